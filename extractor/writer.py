"""Tables out: written as Parquet + CSV, atomically.

The whole dataset is written into a temporary folder beside OUT and then swapped in, so an
interrupted run leaves the previous OUT whole. Row order is the sorted page path, then the
order on the page: the same input always gives the same files.
"""
from __future__ import annotations

import json
import os
import shutil
import uuid
from concurrent.futures import ThreadPoolExecutor

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from . import arrays
from .errors import OutputNotWritable

MANIFEST = "manifest.json"


def _write_parquet(folder: str, name: str, table: pa.Table) -> None:
    # No column statistics (min/max of every column): a table is one row group, which they
    # cannot help a reader skip, and computing them over the strings took half the time of
    # writing the file.
    pq.write_table(table, os.path.join(folder, f"{name}.parquet"), write_statistics=False)


def _write_csv(folder: str, name: str, table: pa.Table) -> None:
    pacsv.write_csv(_csv_ready(table), os.path.join(folder, f"{name}.csv"))


def _csv_ready(table: pa.Table) -> pa.Table:
    """CSV has no lists: a list column is written as a JSON array in one cell."""
    for i, field in enumerate(table.schema):
        if pa.types.is_list(field.type):
            table = table.set_column(i, field.name, json_lists(table.column(i)))
    return table


# What JSON escapes in a string (json.dumps with ensure_ascii=False), the backslash first.
_JSON_ESCAPES = [("\\", "\\\\"), ('"', '\\"'), ("\n", "\\n"), ("\r", "\\r"), ("\t", "\\t"),
                 ("\b", "\\b"), ("\f", "\\f")]
_OTHER_CONTROLS = [chr(c) for c in range(32) if chr(c) not in "\n\r\t\b\f"]
_OTHER_CONTROLS_CLASS = "[" + "".join(f"\\x{ord(ch):02x}" for ch in _OTHER_CONTROLS) + "]"


# The scalars json_lists gives compute functions, made without pyarrow's pandas probe
# (arrays.py says why).
_S = {text: arrays.string_scalar(text) for text in ("null", '"', "", ", ", "[", "]", None)}
_FALSE = arrays.bool_scalar(False)


def json_lists(column) -> pa.Array:
    """A list<string> column as the text json.dumps(value, ensure_ascii=False) gives each list
    (null for a null list), computed by Arrow over the whole column: thousands of cells, which
    a Python loop took a third of the CSV writing time over."""
    lists = column.combine_chunks() if isinstance(column, pa.ChunkedArray) else column
    items = lists.values
    text = items
    # Only the few items with something to escape go through the escaping passes.
    needs = pc.fill_null(pc.match_substring_regex(items, '[\\\\"\\x00-\\x1f]'), _FALSE)
    if len(items) and pc.any(needs).as_py():
        some = items.filter(needs)
        for raw, escaped in _JSON_ESCAPES:
            some = pc.replace_substring(some, raw, escaped)
        if pc.any(pc.match_substring_regex(some, _OTHER_CONTROLS_CLASS)).as_py():  # (rare)
            for ch in _OTHER_CONTROLS:
                if pc.any(pc.match_substring(some, ch)).as_py():
                    some = pc.replace_substring(some, ch, f"\\u{ord(ch):04x}")
        text = pc.replace_with_mask(items, needs, some)
    quoted = pc.if_else(pc.is_null(items), _S["null"], pc.binary_join_element_wise(_S['"'], text, _S['"'], _S[""]))
    # (The lists are put together again without their nulls, which a slice cannot carry
    # here, and the null lists put back at the end.)
    joined = pc.binary_join(pa.ListArray.from_arrays(lists.offsets, quoted), _S[", "])
    return pc.if_else(lists.is_null(), _S[None], pc.binary_join_element_wise(_S["["], joined, _S["]"], _S[""]))


def manifest_kind(out: str) -> str | None:
    """What wrote this output folder: convert (no kind), history, diff or validate."""
    try:
        with open(os.path.join(out, MANIFEST), encoding="utf-8") as fh:
            return json.load(fh).get("kind", "convert")
    except (OSError, ValueError, AttributeError):
        return None


def check_out(out: str, kind: str = "convert") -> None:
    if os.path.exists(out):
        if not os.path.isdir(out):
            raise OutputNotWritable(f"{out} exists and is not a folder")
        if os.listdir(out) and not os.path.exists(os.path.join(out, MANIFEST)):
            # Never replace a folder we did not write (it could be the docs tree itself).
            raise OutputNotWritable(f"{out} exists, is not empty and holds no {MANIFEST}: "
                                    "not an extractor output folder, refusing to replace it")
        found = manifest_kind(out)
        if found is not None and found != kind:
            # Replacing a history dataset would throw away every release and the blob cache.
            raise OutputNotWritable(f"{out} holds the output of `extractor {found}`; "
                                    f"`extractor {kind}` will not replace it: choose another folder")


def _beside(out: str, what: str) -> str:
    """A fresh name next to OUT (same file system, so renames are atomic)."""
    return os.path.join(os.path.dirname(out), f".{os.path.basename(out)}.{what}-{os.getpid()}-{uuid.uuid4().hex[:8]}")


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True  # exists, owned by someone else
    return True


def recover(out: str) -> None:
    """Tidy up after a run killed outright (SIGKILL, power loss), which no handler sees: put
    back an OUT moved aside and never replaced, and remove dead runs' temporary folders."""
    folder, base = os.path.split(os.path.abspath(out))
    try:
        names = os.listdir(folder)
    except OSError:
        return
    for name in sorted(names):
        for what in ("old", "tmp"):
            prefix = f".{base}.{what}-"
            if not name.startswith(prefix):
                continue
            pid = name[len(prefix):].split("-", 1)[0]
            if not pid.isdigit() or _alive(int(pid)):
                continue
            path = os.path.join(folder, name)
            if what == "old" and not os.path.exists(out):
                os.rename(path, out)
            else:
                shutil.rmtree(path, ignore_errors=True)


def write(out: str, tables: dict[str, pa.Table], manifest: dict, extra: dict | None = None) -> None:
    """Write tables (Parquet + CSV), manifest.json and `extra` text files {name: text} to out.
    An OUT that is a symbolic link to a folder stays one: the folder it names is replaced."""
    out = os.path.realpath(out) if os.path.islink(out) else os.path.abspath(out)
    recover(out)
    check_out(out, manifest.get("kind", "convert"))
    tmp = _beside(out, "tmp")
    # Every step from making tmp on sits inside the try, so an interrupt landing anywhere
    # (even right after the folder is made) removes it again.
    try:
        try:
            os.makedirs(os.path.dirname(out), exist_ok=True)
            os.mkdir(tmp)
        except OSError as exc:
            raise OutputNotWritable(f"cannot write beside {out}: {exc.strerror or exc}") from None
        _write_tables(tmp, tables)
        for name, text in (extra or {}).items():
            with open(os.path.join(tmp, name), "w", encoding="utf-8") as fh:
                fh.write(text)
        with open(os.path.join(tmp, MANIFEST), "w", encoding="utf-8") as fh:
            json.dump(manifest, fh, indent=2, sort_keys=True)
            fh.write("\n")
        _swap(tmp, out)
    except BaseException:
        _discard(out, tmp)
        raise


def _write_tables(folder: str, tables: dict) -> None:
    """Every table into folder, side by side on threads (pyarrow writes without the GIL)."""
    pool = ThreadPoolExecutor(max_workers=min(4, os.cpu_count() or 1))
    try:
        # Largest first: the last table to finish is then a small one. A table's Parquet and
        # CSV files are written side by side too: the largest table alone (rules) takes about
        # as long as all the others.
        order = sorted(tables, key=lambda name: -tables[name].nbytes)
        tasks = [(write, name) for name in order for write in (_write_parquet, _write_csv)]
        for future in [pool.submit(write, folder, name, tables[name]) for write, name in tasks]:
            future.result()
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


def _discard(out: str, tmp: str) -> None:
    """Remove the temporary folder of an interrupted write. A signal can land while a writer
    thread is being started, leaving it unknown to the pool and still writing: the folder is
    first renamed, so such a thread can create nothing more in it, then removed."""
    trash = _beside(out, "tmp")
    try:
        os.rename(tmp, trash)
    except OSError:
        trash = tmp
    shutil.rmtree(trash, ignore_errors=True)


def _swap(tmp: str, out: str) -> None:
    """Put tmp in out's place: OUT is moved aside, tmp renamed in, the old one removed. If
    anything stops us between the two renames, the old OUT is put back (judged by what is on
    disk, not by which line ran last, so a signal between any two steps is safe)."""
    old = _beside(out, "old")
    try:
        if os.path.exists(out):
            os.rename(out, old)
        os.rename(tmp, out)
    except BaseException as exc:
        if os.path.exists(old) and not os.path.exists(out):
            os.rename(old, out)
        if isinstance(exc, OSError):  # OUT is a mount point, or its folder is read-only...
            raise OutputNotWritable(f"cannot put the new output in place of {out}: {exc.strerror or exc} "
                                    "(the previous output, if any, is unchanged)") from None
        raise
    shutil.rmtree(old, ignore_errors=True)
