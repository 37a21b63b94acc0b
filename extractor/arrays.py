"""Arrow arrays of strings and integers made from Python lists, for the main process.

`pa.array(a_list)` first asks whether the list is a pandas object, and to answer, pyarrow
imports pandas: 0.4 s of CPU, which a conversion spends while its two workers need both
cores, and for nothing (a conversion never uses pandas). The workers are simply told pandas
is absent (convert._without_pandas), but the main process may be a user's notebook, where
that answer would be wrong later on. So the few arrays the main process builds (the `pages`
and `issues` tables, the release column, the products of continuation pages) are laid out
here from their buffers, which asks pyarrow nothing. Values are exactly those pa.array
takes for these types, and the errors the same (a lone surrogate: UnicodeEncodeError).
"""
from __future__ import annotations

import numpy as np
import pyarrow as pa

_INT32_MAX = 2**31 - 1


def strings(values: list) -> pa.Array:
    """pa.array(values, pa.string()) for values that are str or None."""
    n = len(values)
    nulls = values.count(None)
    present = [v for v in values if v is not None] if nulls else values
    encoded = list(map(str.encode, present))  # (UTF-8, strict: a lone surrogate raises)
    lengths = np.fromiter(map(len, encoded), np.int64, len(encoded))
    valid = None
    if nulls:
        mask = _present(values)
        valid = pa.py_buffer(np.packbits(mask, bitorder="little"))
        full = np.zeros(n, np.int64)
        full[mask] = lengths
        lengths = full
    if int(lengths.sum()) > _INT32_MAX:  # past what one string array holds: pyarrow chunks it
        return pa.array(values, pa.string())
    offsets = np.zeros(n + 1, np.int32)
    np.cumsum(lengths, out=offsets[1:], dtype=np.int32)
    return pa.Array.from_buffers(pa.string(), n, [valid, pa.py_buffer(offsets), pa.py_buffer(b"".join(encoded))],
                                 null_count=nulls)


def repeated(value: str, n: int) -> pa.Array:
    """A string array of `value`, n times."""
    data = value.encode("utf-8")
    if len(data) * n > _INT32_MAX:
        return pa.array([value] * n, pa.string())
    offsets = (np.arange(n + 1, dtype=np.int64) * len(data)).astype(np.int32)
    return pa.Array.from_buffers(pa.string(), n, [None, pa.py_buffer(offsets), pa.py_buffer(data * n)])


def integers(values: list, type_: pa.DataType) -> pa.Array:
    """pa.array(values, type_) for an integer type and values that are int or None."""
    n = len(values)
    nulls = values.count(None)
    dtype = np.dtype(f"{'u' if pa.types.is_unsigned_integer(type_) else 'i'}{type_.byte_width}")
    data = np.fromiter((0 if v is None else v for v in values) if nulls else values, dtype, n)
    valid = pa.py_buffer(np.packbits(_present(values), bitorder="little")) if nulls else None
    return pa.Array.from_buffers(type_, n, [valid, pa.py_buffer(data)], null_count=nulls)


def column(values: list, type_: pa.DataType) -> pa.Array:
    """One column of the given type: strings and integers from their buffers, anything else
    by pa.array."""
    if pa.types.is_string(type_):
        return strings(values)
    if pa.types.is_integer(type_):
        return integers(values, type_)
    return pa.array(values, type_)


def string_scalar(value: str | None) -> pa.Scalar:
    """pa.scalar(value, pa.string()), for compute functions (which would call pa.scalar)."""
    return strings([value])[0]


def bool_scalar(value: bool) -> pa.Scalar:
    return pa.Array.from_buffers(pa.bool_(), 1, [None, pa.py_buffer(bytes([value]))])[0]


def empty_table(sch: pa.Schema) -> pa.Table:
    """sch.empty_table(), which would build its columns by pa.array."""
    return pa.Table.from_arrays([pa.nulls(0, f.type) for f in sch], schema=sch)


def _present(values: list):
    """A boolean numpy array: which values are not None."""
    return np.not_equal(np.array(values, dtype=object), None)
