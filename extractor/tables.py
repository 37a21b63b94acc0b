"""Page results -> pyarrow tables.

Rows are turned into Arrow columns where they are made: a worker builds the tables of its
chunk of pages and ships them back as Arrow (cheap to send, nothing to transpose in the main
process), keeping only each page's small description. The main process then concatenates the
chunks, gives continuation pages their product (fold.py), and adds `pages`, `issues` and the
release column.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import NamedTuple

import pyarrow as pa
import pyarrow.compute as pc

from . import arrays, schema
from .fold import demoted, patch_products, resolve_parents

# Row tables: every page table but the two built from page descriptions.
ROW_TABLES = tuple(n for n in schema.PAGE_TABLES if n not in ("pages", "issues"))


def body_schema(name: str) -> pa.Schema:
    """A table's schema without its leading `release` column (added once, at the end)."""
    return schema.schema(name).remove(0)


def rows_to_table(name: str, rows: list) -> pa.Table:
    sch = body_schema(name)
    if not rows:
        return arrays.empty_table(sch)
    columns = [arrays.column(values, f.type) for f, values in zip(sch, zip(*rows))]
    return pa.Table.from_arrays(columns, schema=sch)


class PageInfo(NamedTuple):
    """A page without its rows: what the main process needs to list and fold it. A tuple,
    because thousands cross from the workers and tuples are the cheapest thing to send."""
    path: str
    kind: str
    vendor: str | None
    product: str | None
    size: int
    issues: tuple
    next_pages: tuple


@dataclass
class Chunk:
    """What a worker sends back for a run of pages: their descriptions and the Arrow tables
    of their rows."""
    pages: list  # [PageInfo]
    tables: dict = field(default_factory=dict)  # name -> pa.Table (body schema); only tables with rows

    # Pickled between processes with its pages as plain tuples: a named tuple pickles through
    # a Python call apiece, ten times slower (a release's 13,700 pages cost 30 ms of CPU).
    def __getstate__(self):
        return [tuple(p) for p in self.pages], self.tables

    def __setstate__(self, state) -> None:
        pages, self.tables = state
        new = tuple.__new__  # (what PageInfo._make calls, without its Python frame)
        self.pages = [new(PageInfo, p) for p in pages]


def chunk_of(results: list) -> Chunk:
    rows: dict = {name: [] for name in ROW_TABLES}
    for r in results:
        for name, table_rows in r.rows.items():
            rows[name].extend(table_rows)
    new = tuple.__new__  # (what PageInfo() calls, without its Python frame: one a page)
    pages = [new(PageInfo, (r.path, r.kind, r.vendor, r.product, r.size, tuple(r.issues), tuple(r.next_pages)))
             for r in results]
    # Only tables with rows: most runs of pages fill two or three of the tables, and every
    # table sent back costs its schema in the pickle.
    return Chunk(pages, {name: rows_to_table(name, table_rows) for name, table_rows in rows.items() if table_rows})


def assemble(chunks: list, extra_issues: list, release: str) -> tuple[dict, list]:
    """(every page table, with release; the page descriptions after folding)."""
    pages = [p for c in chunks for p in c.pages]
    parents, fold_issues = resolve_parents(pages)
    continuations = demoted(pages, parents)
    tables = {}
    for name in ROW_TABLES:
        parts = [c.tables[name] for c in chunks if name in c.tables]
        body = pa.concat_tables(parts) if parts else arrays.empty_table(body_schema(name))
        if name == "products" and continuations:  # (their countless rows: the product again)
            body = body.filter(pc.invert(pc.is_in(body["source_path"], value_set=arrays.strings(list(continuations)))))
        tables[name] = patch_products(body, parents)
    page_rows: list = []
    issue_rows: list = []
    for p in pages:
        parent = parents.get(p.path)
        if parent is not None and p.path in continuations:
            page_rows.append((p.path, "data_source_continuation", parent.vendor, parent.product, p.size, parent.path))
            issue_rows.extend(i for i in p.issues if i[3] != "missing-counts")  # (none expected of one)
            continue
        if parent is not None:
            page_rows.append((p.path, p.kind, parent.vendor, parent.product, p.size, parent.path))
        else:
            page_rows.append((p.path, p.kind, p.vendor, p.product, p.size, None))
        issue_rows.extend(p.issues)
    issue_rows.extend(fold_issues)
    issue_rows.extend(extra_issues)
    issue_rows.sort(key=lambda i: (i[0], i[1] or 0, i[3], i[4]))
    tables["pages"] = rows_to_table("pages", page_rows)
    tables["issues"] = rows_to_table("issues", issue_rows)
    out = {}
    for name in schema.PAGE_TABLES:
        body = tables[name]
        out[name] = body.add_column(0, schema.schema(name).field(0), arrays.repeated(release, body.num_rows))
    return out, pages
