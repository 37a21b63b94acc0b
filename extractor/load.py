"""load(): an output folder back as pandas DataFrames, one per table.

Works on both shapes convert() and history() write: a single conversion (`<table>.parquet`)
and a hive-partitioned history (`<table>/release=<ref>/part-0.parquet`).
"""
from __future__ import annotations

import json
import os

import pyarrow as pa
import pyarrow.parquet as pq

from . import schema
from .errors import NotAnOutput
from .writer import MANIFEST

# Repeated strings (vendor, product, release, ...) become pandas categoricals when the column
# has at most this share of distinct values: much less memory, faster group-bys.
_CATEGORY_SHARE = 0.5


class Tables(dict):
    """A mapping of table name -> DataFrame that also answers `tables.products`."""

    def __getattr__(self, name):
        try:
            return self[name]
        except KeyError:
            raise AttributeError(name) from None

    def __dir__(self):
        return list(self) + dir(dict)


def require(tables: Tables, names, out: str) -> None:
    """Raise NotAnOutput unless `tables` (loaded from `out`) holds every table in `names`
    (an output of `convert --tables`, or of another command, may hold others only)."""
    missing = [name for name in names if name not in tables]
    if missing:
        raise NotAnOutput(f"{out} holds no {' or '.join(missing)} table: convert the docs with "
                          f"{'it' if len(missing) == 1 else 'them'} (`--tables` left {'it' if len(missing) == 1 else 'them'} out?)")


def manifest(out: str) -> dict:
    path = os.path.join(out, MANIFEST)
    if not os.path.exists(path):
        raise NotAnOutput(f"{out}: no {MANIFEST}, not an extractor output folder")
    try:
        with open(path, encoding="utf-8") as fh:
            found = json.load(fh)
    except (OSError, ValueError) as exc:  # (UnicodeDecodeError is a ValueError)
        raise NotAnOutput(f"{path}: cannot be read ({exc})") from None
    if not isinstance(found, dict):
        raise NotAnOutput(f"{path}: not a manifest (a JSON object)")
    return found


def read_arrow(out: str, name: str) -> pa.Table | None:
    """One table of an output folder as a pyarrow Table (None when the folder lacks it)."""
    single = os.path.join(out, f"{name}.parquet")
    if os.path.exists(single):
        try:
            return pq.read_table(single)
        except (OSError, pa.ArrowException) as exc:  # cut off, overwritten, not Parquet
            raise NotAnOutput(f"{single}: cannot be read ({exc})") from None
    folder = os.path.join(out, name)
    if os.path.isdir(folder):
        import pyarrow.dataset as pads  # only history datasets need it, and it is slow to import

        part = pads.partitioning(pa.schema([("release", pa.string())]), flavor="hive")
        try:
            data = pads.dataset(folder, format="parquet", partitioning=part).to_table()
        except (OSError, pa.ArrowException) as exc:
            raise NotAnOutput(f"{folder}: cannot be read ({exc})") from None
        # Put columns back in the contract's order (the partition column comes last).
        return data.select([c for c in schema.columns(name) if c in data.column_names])
    return None


def _nullable_ints(type_: pa.DataType):
    if pa.types.is_integer(type_):
        import pandas as pd

        return pd.api.types.pandas_dtype(f"{'U' if pa.types.is_unsigned_integer(type_) else ''}Int{type_.bit_width}")
    return None


def load(out: str = "out", categories: bool = True) -> Tables:
    """Read every table of an output folder written by convert() or history()."""
    listed = manifest(out).get("rows")  # (convert's manifest: the tables it wrote)
    listed = listed if isinstance(listed, dict) else {}
    tables = Tables()
    for name in schema.TABLES:
        data = read_arrow(out, name)
        if data is None:
            if name in listed:  # deleted by hand: not the same as a table never converted
                raise NotAnOutput(f"{out}: {name}.parquet is missing, though {MANIFEST} lists the table")
            continue
        # Whole numbers stay whole numbers where some are missing (pandas' nullable Int32,
        # missing = <NA>), instead of turning into floats with NaN.
        frame = data.to_pandas(types_mapper=_nullable_ints)
        if categories and len(frame):
            for col in frame.columns:
                if frame[col].dtype == object or str(frame[col].dtype) in ("string", "str"):
                    try:
                        if frame[col].nunique() <= _CATEGORY_SHARE * len(frame):
                            frame[col] = frame[col].astype("category")
                    except TypeError:  # lists (parser fields) are not hashable: left as they are
                        pass
        tables[name] = frame
    return tables


def duckdb(out: str = "out", connection=None):
    """A DuckDB connection with one view per table of `out` (needs the duckdb package)."""
    try:
        import duckdb as _duckdb
    except ImportError:
        raise NotAnOutput("the duckdb package is not installed: pip install duckdb") from None
    manifest(out)
    con = connection or _duckdb.connect()
    for name in schema.TABLES:
        single = os.path.join(out, f"{name}.parquet")
        folder = os.path.join(out, name)
        if os.path.exists(single):
            src = f"read_parquet('{_sql(single)}')"
        elif os.path.isdir(folder):
            src = (f"read_parquet('{_sql(folder)}/*/*.parquet', hive_partitioning = true, "
                   "hive_types = {'release': VARCHAR})")
        else:
            continue
        con.execute(f'CREATE OR REPLACE VIEW "{name}" AS SELECT * FROM {src}')
    return con


def _sql(path: str) -> str:
    return os.path.abspath(path).replace("'", "''")
