"""load(): an output folder back as pandas DataFrames, one per table."""
from __future__ import annotations

import os

import pyarrow.parquet as pq

from . import schema
from .errors import NotAnOutput
from .writer import MANIFEST


class Tables(dict):
    """A mapping of table name -> DataFrame that also answers `tables.products`."""

    def __getattr__(self, name):
        try:
            return self[name]
        except KeyError:
            raise AttributeError(name) from None

    def __dir__(self):
        return list(self) + dir(dict)


def load(out: str = "out") -> Tables:
    """Read every table of an output folder written by convert()."""
    if not os.path.exists(os.path.join(out, MANIFEST)):
        raise NotAnOutput(f"{out}: no {MANIFEST}, not an extractor output folder")
    tables = Tables()
    for name in schema.TABLES:
        path = os.path.join(out, f"{name}.parquet")
        if os.path.exists(path):
            tables[name] = pq.read_table(path).to_pandas()
    return tables
