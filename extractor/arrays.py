"""Arrow arrays made from Python lists without making pyarrow import pandas.

`pa.array(a_list)` first asks whether the list is a pandas object, and to answer, pyarrow
imports pandas: 0.4 s of CPU, spent for nothing (a conversion never uses pandas), while the
workers need both cores, or before the first record of a small tree is out. A worker process
is simply told pandas is absent (refuse_pandas, below, called as it starts).
The main process may be a user's notebook, where that answer would be wrong later on, so its
arrays are laid out here from their buffers, which asks pyarrow nothing. That is 3-6 times
slower than pyarrow's own converter for large columns: past a budget of values in one process,
the import is paid once and pa.array used, as it is wherever pandas is already loaded.
Values are exactly those pa.array takes for these types, and the errors the same (a lone
surrogate: UnicodeEncodeError).
"""
from __future__ import annotations

import sys
from collections.abc import Sequence

import numpy as np
import pyarrow as pa

_INT32_MAX = 2**31 - 1
_BUDGET = 500_000  # values laid out from buffers in one process (a release's pages and
# issues are about 100,000)
_state = {"laid_out": 0, "refused": False}


def refuse_pandas() -> None:
    """Only in a worker process: have pyarrow's quiet pandas check answer "not installed".
    pyarrow keeps that answer for the checks `pa.array` makes, and tries again wherever pandas
    is required. Should pyarrow ever behave otherwise, the process merely imports pandas."""
    if "pandas" not in sys.modules:  # (forked from a process that has it: nothing to save)
        sys.meta_path.insert(0, _NoPandas)  # type: ignore[arg-type]
        try:
            pa.array([], pa.string())
        except Exception:  # pragma: no cover - a pyarrow that does not take the refusal quietly
            pass
        finally:
            sys.meta_path.remove(_NoPandas)  # type: ignore[arg-type]
    _state["refused"] = True


class _NoPandas:
    """An import finder that says pandas is not there (sys.meta_path protocol)."""

    @staticmethod
    def find_spec(name, path=None, target=None):
        if name == "pandas" or name.startswith("pandas."):
            raise ImportError("pandas is not imported in a worker process")
        return None


def converts_freely() -> bool:
    """Whether pa.array costs no pandas import here (refused in a worker, or pandas already
    loaded), or the budget of values laid out from buffers is spent."""
    return bool(_state["refused"]) or "pandas" in sys.modules or _state["laid_out"] > _BUDGET


def column(values: Sequence, type_: pa.DataType) -> pa.Array:
    """pa.array(values, type_), by pyarrow's converter where converts_freely(), else from
    buffers (strings, integers, lists of strings)."""
    if converts_freely():
        return pa.array(values, type_)
    if pa.types.is_string(type_):
        array = strings(values)
    elif pa.types.is_integer(type_):
        array = integers(values, type_)
    elif pa.types.is_list(type_) and pa.types.is_string(type_.value_type):
        array = string_lists(values, type_)
    else:
        return pa.array(values, type_)
    _state["laid_out"] += len(values)
    return array


def strings(values: Sequence) -> pa.Array:
    """pa.array(values, pa.string()) for values that are str or None."""
    nulls = values.count(None)
    present = [v for v in values if v is not None] if nulls else values
    encoded = list(map(str.encode, present))  # (UTF-8, strict: a lone surrogate raises)
    valid, offsets = _layout(values, nulls, map(len, encoded))
    if offsets is None:  # past what one string array holds: pyarrow chunks it
        return pa.array(values, pa.string())
    return pa.Array.from_buffers(pa.string(), len(values),
                                 [valid, pa.py_buffer(offsets), pa.py_buffer(b"".join(encoded))], null_count=nulls)


def repeated(value: str, n: int) -> pa.Array:
    """A string array of `value`, n times."""
    data = value.encode("utf-8")
    if len(data) * n > _INT32_MAX:
        return pa.array([value] * n, pa.string())
    offsets = (np.arange(n + 1, dtype=np.int64) * len(data)).astype(np.int32)
    return pa.Array.from_buffers(pa.string(), n, [None, pa.py_buffer(offsets), pa.py_buffer(data * n)])


def integers(values: Sequence, type_: pa.DataType) -> pa.Array:
    """pa.array(values, type_) for an integer type and values that are int or None."""
    n = len(values)
    nulls = values.count(None)
    dtype = np.dtype(f"{'u' if pa.types.is_unsigned_integer(type_) else 'i'}{type_.byte_width}")
    data = np.fromiter((0 if v is None else v for v in values) if nulls else values, dtype, n)
    valid = pa.py_buffer(np.packbits(_present(values), bitorder="little")) if nulls else None
    return pa.Array.from_buffers(type_, n, [valid, pa.py_buffer(data)], null_count=nulls)


def string_lists(values: Sequence, type_: pa.DataType) -> pa.Array:
    """pa.array(values, type_) for a list<string> type and values that are lists of str, or
    None."""
    nulls = values.count(None)
    lists = [v for v in values if v is not None] if nulls else values
    valid, offsets = _layout(values, nulls, map(len, lists))
    if offsets is None:
        return pa.array(values, type_)
    items = strings([item for lst in lists for item in lst])
    return pa.Array.from_buffers(type_, len(values), [valid, pa.py_buffer(offsets)], null_count=nulls,
                                 children=[items])


def _layout(values: Sequence, nulls: int, sizes) -> tuple:
    """(validity bitmap or None, int32 offsets) of values of variable size (strings, lists), or
    offsets None past what one array holds. `sizes`: those of the values that are not None."""
    lengths = np.fromiter(sizes, np.int64)
    valid = None
    if nulls:
        present = _present(values)
        valid = pa.py_buffer(np.packbits(present, bitorder="little"))
        full = np.zeros(len(values), np.int64)
        full[present] = lengths
        lengths = full
    if int(lengths.sum()) > _INT32_MAX:
        return valid, None
    offsets = np.zeros(len(values) + 1, np.int32)
    np.cumsum(lengths, out=offsets[1:], dtype=np.int32)
    return valid, offsets


def string_scalar(value: str | None) -> pa.Scalar:
    """pa.scalar(value, pa.string()), for compute functions (which would call pa.scalar)."""
    return strings([value])[0]


def bool_scalar(value: bool) -> pa.Scalar:
    return pa.Array.from_buffers(pa.bool_(), 1, [None, pa.py_buffer(bytes([value]))])[0]


def empty_table(sch: pa.Schema) -> pa.Table:
    """sch.empty_table(), which would build its columns by pa.array."""
    return pa.Table.from_arrays([pa.nulls(0, f.type) for f in sch], schema=sch)


def _present(values: Sequence):
    """A boolean numpy array: which values are not None."""
    return np.fromiter((v is not None for v in values), np.bool_, len(values))
