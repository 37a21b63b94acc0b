"""Fold continuation pages into their product.

A continuation page (`2_ds_x.md`) does not name its vendor or product; the page that leads to
it (`[Next Page -->>](2_ds_x.md)`) does. Follow those links back to a main page; when no page
links to it, fall back to the name convention (`N_ds_x.md` beside `ds_x.md`). A page that
still has no parent keeps empty vendor/product and gets an issue: never a guess.
"""
from __future__ import annotations

import dataclasses
import posixpath
import re

from .issues import issue

_NUMBERED = re.compile(r"^\d+_(?P<base>.+)$")
# Tables whose rows start with (vendor, product, ...).
PRODUCT_TABLES = ("products", "use_cases", "activity_parsers", "use_case_ttps", "attack_matrix",
                  "use_case_categories")


def fold(results: list) -> list:
    """A new list where continuation pages carry their product. The inputs are not changed
    (history shares one parsed page between releases whose parents may differ)."""
    by_path = {r.path: r for r in results}
    led_from: dict[str, str] = {}
    for r in results:
        for target in r.next_pages:
            if target in by_path and target != r.path:
                led_from.setdefault(target, r.path)
    return [_fold_one(r, by_path, led_from) if r.kind == "data_source_continuation" else r
            for r in results]


def _fold_one(r, by_path: dict, led_from: dict):
    parent = _parent(r.path, by_path, led_from)
    if parent is None:
        return dataclasses.replace(r, issues=r.issues + [issue(
            r.path, None, "orphan-continuation",
            "no data-source page links here and no `ds_` page of the same name is beside it; "
            "vendor and product left empty")])
    rows = dict(r.rows)
    for table in PRODUCT_TABLES:
        if rows.get(table):
            rows[table] = [(parent.vendor, parent.product, *row[2:]) for row in rows[table]]
    return dataclasses.replace(r, rows=rows, continues=parent.path,
                               vendor=parent.vendor, product=parent.product)


def _parent(path: str, by_path: dict, led_from: dict):
    seen = {path}
    current = path
    while current in led_from:
        current = led_from[current]
        if current in seen:
            break
        seen.add(current)
        page = by_path[current]
        if page.kind == "data_source":
            return page
    folder, name = posixpath.split(path)
    m = _NUMBERED.match(name)
    if m:
        page = by_path.get(posixpath.join(folder, m.group("base")))
        if page is not None and page.kind == "data_source":
            return page
    return None
