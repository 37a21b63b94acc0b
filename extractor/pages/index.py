"""Root index pages: parser_renames (`ParsersLegacy/*`), technique_rule_counts (`MitreMap.md`),
data_source_index (`Exabeam Data Sources.md`), product_categories (`Exabeam Product Categories.md`).

Each table is read by what its columns mean, whatever page it sits on:

* `Old Parser Name | New-Scale Parser Name` -> parser_renames. Some cells carry a stray `"`
  at one end (left over from the CSV the page was made from); parser names never contain
  quotes, so the quote is dropped and a `stray-quote` warning keeps the cell as written.
* `Vendor | Product` -> data_source_index, one row per product of the `<br>`-separated cell
  (2021: a `#### Vendor` heading over a list of product links).
* `Product Category | Description | Product` -> product_categories, one row per product.
  The cell names products only (`[aws cloudtrail](DS/Amazon/...)`), so vendor stays empty.
* MitreMap.md holds the ATT&CK matrix (tactic columns of technique links) and a counts table
  (`TTP Code | Technique: Sub-technique | Rules`, older: `TTP | Rules`). A technique row of
  the counts table becomes one record per tactic column the matrix lists it under (the
  technique's count repeated: the page counts rules per technique, not per tactic), or one
  record with tactic empty when the matrix does not list it. Matrix techniques the counts
  table has no row for become records with rules empty and a `technique-without-count` issue.
  Its headings state totals (`### MITRE Techniques: 104`): mitre_totals, checked by validate.
"""
from __future__ import annotations

import re

from .. import cells, headers
from ..issues import issue
from ..markdown import text_of
from .common import cell_of, check_row, columns, tactic_columns, header_names

_PLACEHOLDER = re.compile(r"^[-–—]+$")  # `--`: the page's way of writing "no description"


def extract(result, doc, tables) -> None:
    path = result.path
    # A counts table is known by its columns; classify() may call it a matrix too when the
    # matrix title is the nearest heading above it.
    # (Not a product's counts table, `Rules | ... | MITRE TTPs | ... | Parsers`, which counts
    # techniques rather than naming them.)
    counts = [(t, m) for t, k, m in tables
              if ({"technique_id", "mitre_ttps"} & set(m)) and "rules" in m and k != "counts"]
    matrix = [(t, m) for t, k, m in tables if k == "matrix" and not any(t is c for c, _ in counts)]
    if counts or (matrix and result.kind == "mitre_map"):
        _rule_counts(result, matrix, counts)
        _stated_totals(result, doc)
    done = {id(t) for t, _ in matrix + counts}
    for table, kind, meanings in tables:
        if id(table) in done:
            continue
        m = set(meanings)
        if {"old_parser", "new_parser"} <= m:
            _renames(result, table, meanings)
        elif "category" in m and "product" in m:
            if "vendor" in m and doc.headings and headers.DATA_SOURCES_TITLE.search(doc.headings[0].text):
                # `Vendor | Product | Category` on the data-sources page: both lists in one
                _data_sources(result, table, meanings, with_categories=True)
            else:
                _categories(result, table, meanings)
        elif {"vendor", "product"} <= m:
            _data_sources(result, table, meanings)
        else:
            names = header_names(table)
            result.issues.append(issue(path, table.line, "unread-table",
                                       f"table with columns {names} is not one the tool reads"))
            continue
        if table.truncated:
            result.issues.append(issue(path, table.rows[-1].line if table.rows else table.line,
                                       "truncated-table", "the page ends inside this table row: its records may be cut off"))
    if doc.lists and not doc.tables and doc.headings and headers.DATA_SOURCES_TITLE.search(doc.headings[0].text):
        _data_source_lists(result, doc)


def _data_source_lists(result, doc) -> None:
    """`Exabeam Data Sources` of 2021: a `#### Vendor` heading over a list of product links.
    (Lists above the title, or right under it, are the page's navigation, not products.)"""
    path = result.path
    title = doc.headings[0]
    for block in doc.lists:
        if block.heading is None or block.heading is title:
            if any(item.links or item.text for item in block.items):
                result.issues.append(issue(path, block.line, "unread-list",
                                           "a list under no vendor heading; not read as products"))
            continue
        vendor = cells.clean(block.heading.text) or None
        if vendor is None:
            result.issues.append(issue(path, block.heading.line, "empty-vendor", "the heading names no vendor"))
        for item in block.items:
            if not item.links and item.text:
                result.issues.append(issue(path, item.line, "stray-text",
                                           f"list item {item.text!r} links to no data-source page"))
            elif item.links:
                _text_beside_links(result, item)
            for page, product in item.links:
                if not product:
                    result.issues.append(issue(path, item.line, "empty-product",
                                               f"the link to {page!r} has no product name"))
                result.add("data_source_index", (vendor, product or None, page or None, path, item.line))


def _text_beside_links(result, item) -> None:
    """`* Gatekeep [docs](x.md)`: the product is named by its link's text ("docs"); the words
    beside the link are kept in an issue rather than guessed to be the name."""
    rest = item.text
    for _page, text in item.links:
        # (the link's text as a whole word: `Gatekeeper [Gate](x)` leaves `Gatekeeper`)
        whole = re.compile(r"(?<!\w)" + re.escape(text) + r"(?!\w)") if text else None
        rest = whole.sub(" ", rest, count=1) if whole and whole.search(rest) else rest.replace(text, " ", 1)
    rest = cells.clean(rest)
    if any(c.isalnum() for c in rest):  # (separators such as `,` between links say nothing)
        result.issues.append(issue(result.path, item.line, "stray-text",
                                   f"text {rest!r} beside a link is not part of any record"))


def _link_items(result, cell, line) -> list:
    """[(text or None, url or None)] for the `<br>`-separated entries of a cell."""
    out: list = []
    for tokens in cells.lines(cell):
        links = [t for t in tokens if type(t) is tuple and t[0] == "a"]
        text = cells.clean("".join(t for t in tokens if type(t) is str))
        if links:
            if text:
                result.issues.append(issue(result.path, line, "stray-text",
                                           f"text {text!r} beside a link is not part of any record"))
            out.extend((cells.clean(t[2]) or None, t[1] or None) for t in links)
        elif text:
            out.append((text, None))
    return out


# ---------------------------------------------------------------------------------------------
# ParsersLegacy/*.md

def _parser_name(result, cell, line, side: str) -> str | None:
    raw = text_of(cell)
    name = raw.strip('"').strip()
    if name != raw:
        result.issues.append(issue(result.path, line, "stray-quote",
                                   f"{side} parser {raw!r} carries a stray quote; read as {name!r}"))
    return name or None


def _renames(result, table, meanings) -> None:
    col = columns(result, table, meanings, ("old_parser", "new_parser"))
    path, width = result.path, len(table.header)
    renames = []  # (a legacy page lists thousands: added in one call, after the rows)
    for row in table.rows:
        if row.missing or row.extra:  # (what check_row reports; tested here, without a call a row)
            check_row(result, table, row, width)
        line = row.line
        old = _parser_name(result, cell_of(row, col, "old_parser"), line, "old")
        new = _parser_name(result, cell_of(row, col, "new_parser"), line, "new")
        if old is None or new is None:
            result.issues.append(issue(path, line, "empty-parser-name",
                                       "the row has an empty old or new parser name"))
        renames.append((old, new, path, line))
    if renames:  # (no rows: no parser_renames entry, as before)
        result.extend("parser_renames", renames)


# ---------------------------------------------------------------------------------------------
# Exabeam Data Sources.md, Exabeam Product Categories.md

def _products(result, items: list, line: int) -> list:
    """The (product, page) links of a row, with an issue for a row without any and for a link
    without a name."""
    if not items:
        result.issues.append(issue(result.path, line, "empty-product", "the row lists no product"))
    for product, page in items:
        if product is None:
            result.issues.append(issue(result.path, line, "empty-product",
                                       f"the link to {page!r} has no product name"))
    return items


def _data_sources(result, table, meanings, with_categories: bool = False) -> None:
    """`with_categories`: the table has a Category column too, whose rows are
    product_categories as well."""
    path = result.path
    wanted = ("vendor", "product") + (("category", "description") if with_categories else ())
    col = columns(result, table, meanings, wanted)
    for row in table.rows:
        check_row(result, table, row, len(table.header))
        vendor = text_of(cell_of(row, col, "vendor")) or None
        items = _link_items(result, cell_of(row, col, "product"), row.line)
        if vendor is None:
            result.issues.append(issue(path, row.line, "empty-vendor", "the row names no vendor"))
        category = text_of(cell_of(row, col, "category")) or None
        description = _description(cell_of(row, col, "description"))
        for product, page in _products(result, items, row.line):
            result.add("data_source_index", (vendor, product, page, path, row.line))
            if category is not None:  # (a data source with no category: none to list it under)
                result.add("product_categories", (category, description, vendor, product, path, row.line))


def _description(cell) -> str | None:
    text = text_of(cell)
    return None if not text or _PLACEHOLDER.match(text) else text


def _categories(result, table, meanings) -> None:
    path = result.path
    col = columns(result, table, meanings, ("category", "description", "vendor", "product"))
    for row in table.rows:
        check_row(result, table, row, len(table.header))
        category = text_of(cell_of(row, col, "category")) or None
        description = _description(cell_of(row, col, "description"))
        vendor = text_of(cell_of(row, col, "vendor")) or None
        items = _link_items(result, cell_of(row, col, "product"), row.line)
        if category is None:
            result.issues.append(issue(path, row.line, "empty-category", "the row names no category"))
        for product, page in _products(result, items, row.line):
            result.add("product_categories", (category, description, vendor, product, path, row.line))


# ---------------------------------------------------------------------------------------------
# MitreMap.md

def _rule_counts(result, matrix, counts) -> None:
    path = result.path
    # technique id -> [(tactic, name, line)] in matrix order
    listed: dict = {}
    for table, _ in matrix:
        tactics = tactic_columns(result, table)
        for row in table.rows:
            check_row(result, table, row, len(tactics))
            for i, cell in enumerate(row.cells):
                links, problems = cells.matrix_links(cell)
                for msg in problems:
                    result.issues.append(issue(path, row.line, "bad-matrix-link", msg))
                tactic = tactics[i] if i < len(tactics) else None
                for tid, name, _url in links:
                    listed.setdefault(tid, []).append((tactic, name, row.line))
    counted: dict = {}  # technique id -> first counts row line
    for table, meanings in counts:
        col = columns(result, table, meanings, ("technique_id", "mitre_ttps", "technique_name", "rules"))
        id_col = "technique_id" if "technique_id" in col else "mitre_ttps"
        for row in table.rows:
            check_row(result, table, row, len(table.header))
            written = text_of(cell_of(row, col, id_col))
            tid = cells.technique_id(written)
            if tid is None:
                result.issues.append(issue(path, row.line, "bad-ttp",
                                           f"technique {written!r} is not `T####`, `T####.###` or `TA####`"))
                continue
            name = None
            if "technique_name" in col:
                name = cells.first_link(cell_of(row, col, "technique_name"))[1] or None
            rules, problems = cells.integer(cell_of(row, col, "rules"))
            for msg in problems:
                result.issues.append(issue(path, row.line, "bad-count", msg))
            if tid in counted:
                result.issues.append(issue(path, row.line, "duplicate-technique",
                                           f"{tid} already counted on line {counted[tid]}; both rows kept"))
            counted.setdefault(tid, row.line)
            for tactic, matrix_name, _line in listed.get(tid) or [(None, None, None)]:
                result.add("technique_rule_counts", (tactic, tid, name or matrix_name, rules,
                                                     path, row.line))
    for tid, places in listed.items():
        if tid in counted:
            continue
        for tactic, name, line in places:
            if counts:
                result.issues.append(issue(path, line, "technique-without-count",
                                           f"{tid} ({tactic}) is in the matrix but not in the counts table"))
            result.add("technique_rule_counts", (tactic, tid, name, None, path, line))


def _level(word: str) -> str:
    word = word.lower()
    return "sub-technique" if word.startswith("sub") else "tactic" if word.startswith("tactic") else "technique"


def _stated_totals(result, doc) -> None:
    for h in doc.headings:
        m = headers.MITRE_TOTAL_LABEL.match(h.text)
        if m:
            result.add("mitre_totals", (_level(m["level"]), int(m["count"].replace(",", "")),
                                        result.path, h.line))
