"""Use-case pages (`UseCases/uc_*`): use_case_products.

    Use Case: Data Access
    =====================
    ### Vendor: Acme
    | Product | MITRE ATT&CK® TTP | Content |
    | [Acme SSO](../DS/...) | T1078 - Valid Accounts<br>T1110 - Brute Force<br> | [<ul><li>19 Rules</li></ul>...](../DS/.../RM/...) |

One row per technique of the TTP cell (a product with none: one row with technique null).
Older pages add an `Event Types` column holding a `<ul><li>` list; it is kept, comma-joined,
in event_types. 2021 pages add beside it an `Activity Types` column of categories:
use_case_categories.
"""
from __future__ import annotations

from .. import cells, headers
from ..issues import issue
from ..markdown import text_of
from .common import cell_of, check_row, columns, glued_heading, header_names

def _title(doc) -> tuple[str | None, int | None]:
    for h in doc.headings:
        m = headers.USE_CASE_LABEL.match(h.text)
        if m:
            return cells.clean(m.group(1)) or None, h.line
    # A page recognised by its tables may be titled with just the use case (`# Account
    # Manipulation`): the page's title, a level-1 heading above its tables, names it.
    first_table = doc.tables[0].line if doc.tables else None
    for h in doc.headings:
        if first_table is not None and h.line > first_table:
            break
        if h.level == 1 and not (headers.VENDOR_LABEL.match(h.text) or headers.PRODUCT_LABEL.match(h.text)):
            return cells.clean(h.text) or None, h.line
    return None, None


def extract(result, doc, tables) -> None:
    path = result.path
    use_case, title_line = _title(doc)
    if use_case is None:
        result.issues.append(issue(path, title_line, "missing-use-case",
                                   "no `Use Case: X` title, or it names no use case"))
    glued: tuple | None = None  # (vendor, the heading it replaces): see _products
    for table, _kind, meanings in tables:
        if "product" not in meanings:
            names = header_names(table)
            result.issues.append(issue(path, table.line, "unknown-table",
                                       f"table with columns {names} has no Product column; not read"))
            continue
        vendor = None
        m = headers.VENDOR_LABEL.match(table.heading.text) if table.heading else None
        if glued is not None and glued[1] is table.heading:
            vendor = glued[0]  # no heading since the one glued under the table above
        elif m is None:
            result.issues.append(issue(path, table.line, "missing-vendor",
                                       "no `Vendor: X` heading above this table"))
        else:
            vendor = cells.clean(m.group(1)) or None
            if vendor is None:
                result.issues.append(issue(path, table.heading.line, "empty-vendor",
                                           f"heading {table.heading.text!r} names no vendor"))
        label = _products(result, table, meanings, use_case, vendor)
        vendor_label = headers.VENDOR_LABEL.match(label) if label is not None else None
        if vendor_label is not None:  # (a label is returned only when it matches)
            glued = (cells.clean(vendor_label.group(1)) or None, table.heading)
        if table.truncated:
            result.issues.append(issue(path, table.rows[-1].line if table.rows else table.line,
                                       "truncated-table", "the page ends inside this table row: its records may be cut off"))
    if doc.lists and not tables:  # the 2020 layout: lists, no tables
        _lists(result, doc, use_case)


def _lists(result, doc, use_case) -> None:
    """The 2020 layout: `### Supported Data Sources` (links named by product), `### Exabeam
    Event Types` (of the use case as a whole: each product row carries them all) and `###
    Exabeam Content Library for this Use Case`, a `Rules` and a `Models` list of `ID :
    description` items. No vendor, techniques or counts are on such a page: they stay empty."""
    path = result.path
    products: list = []
    types: list = []
    for block in doc.lists:
        what = headers.list_meaning(block.heading.text) if block.heading else None
        if what == "product":
            products.extend(block.items)
        elif what == "activity_types":
            types.extend(item.text for item in block.items if item.text)
        elif what == "content" and (kind := _content_kind(block)) is not None:
            _content_list(result, block, use_case, kind)
        elif block.items:
            where = f"{block.heading.text!r}" + (f" ({block.lead!r})" if block.lead else "") if block.heading else "no heading"
            result.issues.append(issue(path, block.line, "unread-list", f"a list under {where}; no output table holds it"))
    event_types = ", ".join(types) or None
    for item in products:
        page, name = item.links[0] if item.links else (None, item.text)
        if name:
            result.add("use_case_products", (use_case, None, name, None, None, None, None, event_types,
                                             path, item.line, page))
        elif page:
            result.issues.append(issue(path, item.line, "empty-product",
                                       f"the link to {page!r} names no product"))
    if types and not products:
        # No supported data source listed: the event types are still the use case's.
        line = next((b.line for b in doc.lists if b.heading and headers.list_meaning(b.heading.text)
                     == "activity_types"), None)
        result.add("use_case_products", (use_case, None, None, None, None, None, None, event_types,
                                         path, line, None))
        result.issues.append(issue(path, line, "empty-product",
                                   "the page lists no supported data source; its event types are "
                                   "recorded on a row without product"))


def _content_kind(block) -> str | None:
    """`rules` or `models`: said by the line above the list (`_Rules_`, `_Exabeam Models_`),
    else by its heading (`#### Models`)."""
    for label in (block.lead.lower(), block.heading.text.lower()):
        if "model" in label:
            return "models"
        if "rule" in label:
            return "rules"
    return None


def _content_list(result, block, use_case, table: str) -> None:
    what = table[:-1]
    for item in block.items:
        if not item.text:
            continue
        found = cells.plain_item(item.text)
        if found is None:
            result.issues.append(issue(result.path, item.line, f"bad-{what}-item",
                                       f"{what} item {item.text!r} is not `ID : description`"))
        elif table == "rules":
            result.add("rules", (None, None, use_case, None, None, None, *found, result.path, item.line))
        else:
            result.add("models", (None, None, use_case, None, *found, result.path, item.line))


def _type_columns(table, meanings) -> list:
    """2021 pages set `Activity Types` (categories) beside `Event Types`, two headers of one
    meaning elsewhere: there the column that says `event` holds the types and the other the
    categories."""
    both = [i for i, m in enumerate(meanings) if m == "activity_types"]
    events = [i for i in both if "event" in headers.normalize(text_of(table.header[i]))]
    if len(both) < 2 or len(events) != 1:
        return meanings
    return ["category" if i in both and i != events[0] else m for i, m in enumerate(meanings)]


def _products(result, table, meanings, use_case, vendor) -> str | None:
    path = result.path
    col = columns(result, table, _type_columns(table, meanings),
                  ("product", "mitre_ttps", "content", "activity_types", "category"),
                  "use-case column", "is not known")
    width = len(table.header)
    vendor_label = None
    for row in table.rows:
        # `Vendor: X` with its underline, written right under the table without a blank line:
        # GFM reads the label as a row of this table (and the underline as a rule), so the
        # tables below it would keep the vendor above. Return it, for them.
        text = glued_heading(row) if row.missing else None  # (none without padded cells: no call)
        if text is not None:
            is_vendor = bool(headers.VENDOR_LABEL.match(text))
            result.issues.append(issue(path, row.line, "heading-in-table",
                                       f"{text!r}, written right under the table with no blank line, reads as "
                                       "a row of it; " + ("taken as the heading of the tables below" if is_vendor
                                                          else "not a product")))
            if is_vendor:
                vendor_label = text
            continue
        if row.missing or row.extra:  # (what check_row reports; tested here, without a call a row)
            check_row(result, table, row, width)
        line = row.line
        # (one product a row; a cell naming several, a link each, gives each the row's records)
        product_cell = cell_of(row, col, "product")
        named: list[tuple[str | None, str | None]] = [(tok[1], link_text) for tok in product_cell
                 if type(tok) is tuple and tok[0] == "a" and (link_text := cells.clean(tok[2]))]
        # (several only when nothing but breaks and separators stand between the links: a
        # link in words beside a product, `[X](..) ([notes](..))`, is no product)
        if len(named) < 2 or any(type(tok) is str and tok.strip(" ,;/&") and tok.strip().lower() != "and"
                                 or type(tok) is tuple and tok[0] not in ("a", "br")
                                 for tok in product_cell):
            # (a cell that is one named link, most: named holds just what first_link reads)
            if not (named and len(product_cell) == 1):
                page, text = cells.first_link(product_cell)
                named = [(page, text or None)]
        if named[0][1] is None:
            result.issues.append(issue(path, line, "empty-product", "the row names no product"))
        rules = models = None
        if "content" in col:
            (rules, models, _rm_page), problems = cells.content(cell_of(row, col, "content"))
            for msg in problems:
                result.issues.append(issue(path, line, "bad-content", msg))
        # (Most pages have neither column: an empty cell lists nothing, read without a call.)
        types_cell = cell_of(row, col, "activity_types")
        event_types = (", ".join(cells.list_items(types_cell)) or None) if types_cell else None
        category_cell = cell_of(row, col, "category")
        categories = cells.list_items(category_cell) if category_cell else []
        ttps, problems = cells.ttps(cell_of(row, col, "mitre_ttps"))
        for msg in problems:
            result.issues.append(issue(path, line, "bad-ttp", msg))
        for product_page, product in named:
            for category in categories:
                result.add("use_case_categories", (vendor, product, use_case, category, path, line))
            # (a row names up to dozens of techniques: its records are added in one call)
            result.extend("use_case_products", [(use_case, vendor, product, tid, name, rules, models,
                                                 event_types, path, line, product_page)
                                                for tid, name in ttps or [(None, None)]])
    return vendor_label
