"""Fold continuation pages into their product.

A continuation page (`2_ds_x.md`) does not name its vendor or product; the page that leads to
it (`[Next Page -->>](2_ds_x.md)`) does. Follow those links back to a main page; when no page
links to it, fall back to the name convention (`N_ds_x.md` beside `ds_x.md`). A page that
still has no parent keeps empty vendor/product and gets an issue: never a guess.
"""
from __future__ import annotations

import posixpath
import re

import pyarrow as pa
import pyarrow.compute as pc

from .arrays import strings
from .issues import issue

_NUMBERED = re.compile(r"^\d+_(?P<base>.+)$")
# Tables whose rows carry the (vendor, product) of the data-source page they come from.
PRODUCT_TABLES = ("products", "use_cases", "activity_parsers", "use_case_ttps", "attack_matrix",
                  "use_case_categories")


def resolve_parents(pages: list) -> tuple[dict, list]:
    """({continuation path: its data-source page}, issues for continuations without one).
    Continuations include data-source pages without counts led to from their product's page
    (see `demoted`)."""
    by_path = {p.path: p for p in pages}
    led_from: dict[str, list] = {}
    for p in pages:
        for target in p.next_pages:
            if target in by_path and target != p.path:
                led_from.setdefault(target, []).append(p.path)
    parents, problems = {}, []
    for p in pages:
        if p.kind == "data_source" and _without_counts(p):
            # A page that repeats its product's `Vendor:`/`Product:` headings over a use-case
            # table but has no counts, led to from that product's page: a continuation of it
            # (its own products row would be the product a second time, without counts).
            mains = [m for m in _mains(p.path, by_path, led_from)
                     if m is not p and (m.vendor, m.product) == (p.vendor, p.product) and not _without_counts(m)]
            if mains:
                parents[p.path] = mains[0]
            continue
        if p.kind != "data_source_continuation":
            continue
        mains = _mains(p.path, by_path, led_from)
        by_name = _by_name(p.path, by_path)
        products = {(m.vendor, m.product) for m in mains}
        if len(products) > 1:
            # Pages of different products lead here: the one whose name it carries, if any.
            names = ", ".join(sorted(m.path for m in mains))
            parent = by_name if by_name in mains else None
            problems.append(issue(p.path, None, "ambiguous-continuation",
                                  f"pages of {len(products)} products lead here ({names}); " + (
                                      f"read as part of {parent.path}, whose name it carries" if parent
                                      else "vendor and product left empty")))
        else:  # one product, whichever of its pages leads here
            parent = (by_name if by_name in mains else next(iter(mains), None)) or by_name
            if parent is None:
                problems.append(issue(p.path, None, "orphan-continuation",
                                      "no data-source page links here and no `ds_` page of the same name "
                                      "is beside it; vendor and product left empty"))
        if parent is not None:
            parents[p.path] = parent
    return parents, problems


def _without_counts(page) -> bool:
    return any(i[3] == "missing-counts" for i in page.issues)


def demoted(pages: list, parents: dict) -> set:
    """Paths of the data-source pages resolve_parents found to be continuations."""
    return {p.path for p in pages if p.kind == "data_source" and p.path in parents}


def patch_products(table: pa.Table, parents: dict) -> pa.Table:
    """Give the rows of continuation pages the vendor and product of their parent page."""
    if not parents or table.num_rows == 0 or "vendor" not in table.column_names \
            or "source_path" not in table.column_names:
        return table
    paths = list(parents)
    where = pc.index_in(table["source_path"], value_set=strings(paths))
    if where.null_count == len(where):
        return table
    found = pc.is_valid(where)
    for col, values in (("vendor", [parents[p].vendor for p in paths]),
                        ("product", [parents[p].product for p in paths])):
        patched = pc.if_else(found, pc.take(strings(values), where), table[col])
        table = table.set_column(table.column_names.index(col), col, patched)
    return table


def _mains(path: str, by_path: dict, led_from: dict) -> list:
    """The data-source pages that lead to `path`, through chains of continuation pages."""
    found: list = []
    seen, todo = {path}, [path]
    while todo:
        for source in led_from.get(todo.pop(), ()):
            if source in seen:
                continue
            seen.add(source)
            page = by_path[source]
            if page.kind == "data_source":
                if page not in found:
                    found.append(page)
            else:
                todo.append(source)
    return found


def _by_name(path: str, by_path: dict):
    """`N_ds_x.md` -> the `ds_x.md` page beside it, when that is a data-source page."""
    folder, name = posixpath.split(path)
    m = _NUMBERED.match(name)
    if m:
        page = by_path.get(posixpath.join(folder, m.group("base")))
        if page is not None and page.kind == "data_source":
            return page
    return None
