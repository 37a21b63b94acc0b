"""Data-source pages (`ds_*.md`) and their continuation pages (`2_ds_*.md`, ...).

A main page has `Vendor:` / `Product:` headings, a counts table, a use-case table and the
ATT&CK matrix; a continuation page has only more use-case rows. Rows of continuation pages
leave vendor and product empty: the run fills them from the page that leads there (see
fold.py), because the page itself does not say.
"""
from __future__ import annotations

import posixpath

from .. import cells, headers
from ..issues import issue
from ..markdown import Doc
from . import PageResult
from .common import cell_of, check_row, columns, glued_heading, heading_label, read_counts, tactic_columns, header_names



def _problems(result: PageResult, line: int, code: str, problems: list) -> None:
    for msg in problems:
        result.issues.append(issue(result.path, line, code, msg))


def _nav_link(text: str, lead: str = "") -> bool | None:
    """Whether a link (its text, and the text before it) leads on to the next page (True) or
    back (False); None when it is no navigation link."""
    if not (headers.NAV_TEXT.fullmatch(text) and headers.NAV_TEXT.fullmatch(lead)
            and headers.NAV_WORD.search(lead + text)):
        return None
    return "prev" not in (lead + text).lower()


def _nav_row(row) -> list | None:
    """A navigation line written right under the table, which GFM reads as one more row
    (`[Next Page -->>](2_ds_x.md)`, `[<< Previous](1.md) | [Next Page >>](3.md)`, `Next: [page
    2](2.md)`): [(url, leads on)]; None when the row holds anything else."""
    found = []
    for cell in row.cells:
        lead = ""  # the text since the cell's last link
        for tok in cell:
            if type(tok) is str:
                lead += tok
            elif tok[0] == "a":
                on = _nav_link(tok[2], lead)
                if on is None:
                    return None
                found.append((tok[1], on))
                lead = ""
            # (other inline HTML is formatting)
        if not headers.NAV_TEXT.fullmatch(lead):
            return None
    return found or None


def _resolve(path: str, url: str) -> str:
    url = url.split("#", 1)[0]
    return posixpath.normpath(posixpath.join(posixpath.dirname(path), url))


def extract(result: PageResult, doc: Doc, tables: list) -> None:
    main = result.kind == "data_source"
    vendor = product = None
    if main:
        vendor = heading_label(doc, headers.VENDOR_LABEL, result, "missing-vendor", "empty-vendor")
        product = heading_label(doc, headers.PRODUCT_LABEL, result, "missing-product", "empty-product")
    result.vendor, result.product = vendor, product
    path = result.path

    for url, text, _line in doc.links:
        if _nav_link(text):
            result.next_pages.append(_resolve(path, url))

    seen_counts = False
    for table, kind, meanings in tables:
        if kind == "counts":
            if seen_counts and table.rows:
                result.issues.append(issue(path, table.line, "unknown-table",
                                           "a second counts table; only the first is read"))
            if seen_counts or not table.rows:
                continue
            seen_counts = True
            _counts(result, table, meanings, vendor, product)
        elif kind == "use_cases":
            _use_cases(result, table, meanings, vendor, product)
        elif kind == "matrix":
            _matrix(result, table, vendor, product)
        else:
            names = header_names(table)
            result.issues.append(issue(path, table.line, "unknown-table",
                                       f"table with columns {names} is not a known kind; not read"))
        # (A page that ends with its `[Next Page -->>](...)` line right under the table ends
        # inside that one-cell "row", and loses nothing.)
        if table.truncated and not (table.rows and _nav_row(table.rows[-1])):
            result.issues.append(issue(path, table.rows[-1].line if table.rows else table.line,
                                       "truncated-table", "the page ends inside this table row: its records may be cut off"))
    # The 2020 layout has lists where later pages have tables; on a page with its use-case
    # table, a list is something else (a footnote, links), whatever heading is above it.
    has_table = any(kind == "use_cases" for _, kind, _ in tables)
    listed = _lists(result, doc, vendor, product) if main and not has_table else set()
    if main and not seen_counts:
        # Some layouts (2021 flat pages) have none: the product is still one, its counts unknown.
        line = next((h.line for h in doc.headings if headers.PRODUCT_LABEL.match(h.text)), None)
        result.add("products", (vendor, product, None, None, None, None, None, path, line))
        result.issues.append(issue(path, None, "missing-counts",
                                   "no counts table (Rules | Models | ...): the product's counts are left empty"))
    if main and not has_table and "use_case" not in listed:
        if listed:  # a page of lists (2020): its use-case list is empty, or not there
            line = next((h.line for h in doc.headings if headers.list_meaning(h.text) == "use_case"), None)
            result.issues.append(issue(path, line, "empty-use-case-list",
                                       "the page lists no use case (its `Use Cases` list is empty or missing)"))
        else:
            result.issues.append(issue(path, None, "missing-use-cases",
                                       "no use-case table (Use-Case | Activity Types/Parsers | ...)"))


def _lists(result, doc, vendor, product) -> set:
    """The 2020 layout: `### Use Cases`, `### Event Types` and `### Parsers` as lists of the
    whole data source. The page does not say which parser serves which type, nor which types
    serve which use case: types and parsers are recorded without a use case, parsers without
    an activity type (pairing them would be a guess). Returns the meanings of the lists read."""
    path = result.path
    read = set()
    for block in doc.lists:
        what = headers.list_meaning(block.heading.text) if block.heading else None
        if what not in ("use_case", "activity_types", "parsers"):
            if block.items:
                result.issues.append(issue(path, block.line, "unread-list",
                                           f"a list under {block.heading.text if block.heading else 'no heading'!r}"
                                           "; no output table holds it"))
            continue
        read.add(what)
        for item in block.items:
            if what == "use_case":
                url, name = item.links[0] if item.links else (None, item.text)
                if name:
                    result.add("use_cases", (vendor, product, name, None, None, None, url, path, item.line))
                elif url:
                    result.issues.append(issue(path, item.line, "missing-use-case",
                                               f"the link to {url!r} names no use case"))
            elif what == "activity_types":
                if item.text:
                    problems: list = []
                    result.add("activity_parsers", (vendor, product, None, *cells.activity_type(item.text, problems),
                                                    None, None, path, item.line))
                    for code, msg in problems:
                        result.issues.append(issue(path, item.line, code, msg))
            elif item.links:
                for url, name in item.links:
                    if not name:
                        result.issues.append(issue(path, item.line, "parser-without-name",
                                                   f"parser link to {url!r} has no text"))
                    result.add("activity_parsers", (vendor, product, None, None, None, name or None, url,
                                                    path, item.line))
            elif item.text:
                result.issues.append(issue(path, item.line, "parser-without-link",
                                           f"parser {item.text!r} has no link to its page"))
                result.add("activity_parsers", (vendor, product, None, None, None, item.text, None,
                                                path, item.line))
    if {"activity_types", "parsers"} <= read:
        result.issues.append(issue(path, None, "unpaired-lists",
                                   "event types and parsers are listed apart: recorded without a use case, "
                                   "and parsers without an activity type"))
    return read


def _counts(result, table, meanings, vendor, product) -> None:
    values, line = read_counts(result, table, meanings)
    result.add("products", (vendor, product, *values.values(), result.path, line))


def _use_cases(result, table, meanings, vendor, product) -> None:
    path = result.path
    # `activity_types` here is the 2021 column of category lists (<ul><li>).
    separate = "types_parsers" not in meanings and "activity_types" in meanings
    if "types_parsers" not in meanings:  # a `Parsers` column: the same `type<br> ↳[parser]` cells
        meanings = ["types_parsers" if m == "parsers" else m for m in meanings]
    col = columns(result, table, meanings, ("use_case", "types_parsers", "mitre_ttps", "content", "activity_types"),
                  "use-case column", "is not known")
    width = len(table.header)
    for row in table.rows:
        nav = _nav_row(row)
        if nav is not None:
            result.next_pages.extend(_resolve(path, url) for url, on in nav if on)
            continue
        glued = glued_heading(row)
        if glued is not None:
            result.issues.append(issue(path, row.line, "heading-in-table",
                                       f"{glued!r}, written right under the table with no blank line, "
                                       "reads as a row of it; not a use case"))
            continue
        check_row(result, table, row, width)
        line = row.line
        use_case: str | None
        uc_page, use_case = cells.first_link(cell_of(row, col, "use_case"))
        use_case = use_case or None
        if use_case is None:
            result.issues.append(issue(path, line, "missing-use-case", "row has no use-case name"))
        if "content" in col:
            (rules, models, rm_page), problems = cells.content(cell_of(row, col, "content"))
            _problems(result, line, "bad-content", problems)
        else:
            rules = models = rm_page = None
        result.add("use_cases", (vendor, product, use_case, rules, models, rm_page, uc_page, path, line))

        pairs, problems = cells.activity_parsers(cell_of(row, col, "types_parsers"))
        listed = cells.list_items(cell_of(row, col, "activity_types"))
        if separate and listed and all(cells.looks_like_type(x) for x in listed):
            pairs, problems = _unpaired(result, line, pairs, problems, listed)
            listed = []
        for code, msg in problems:
            result.issues.append(issue(path, line, code, msg))
        lead, tail = (vendor, product, use_case), (path, line)
        if pairs:  # (activity type, legacy event type, parser, parser page): in bulk
            result.extend("activity_parsers", [lead + pair + tail for pair in pairs])
        for category in listed:
            result.add("use_case_categories", (vendor, product, use_case, category, path, line))
        ttps, problems = cells.ttps(cell_of(row, col, "mitre_ttps"))
        _problems(result, line, "bad-ttp", problems)
        if ttps:
            result.extend("use_case_ttps", [(*lead, tid, name, *tail, cells.ttp_level(tid)) for tid, name in ttps])


def _unpaired(result, line, pairs, problems, types) -> tuple:
    """`Activity Types` and `Parsers` as two columns, the types themselves in the first (not
    2021 categories): the cells do not say which parser serves which type. The types are
    records without a parser, the parsers records without a type, and one issue says so
    (instead of a `parser-without-type` for every parser)."""
    found: list = []
    rows = [(*cells.activity_type(t, found), None, None) for t in types]
    problems = [p for p in problems if p[0] != "parser-without-type"] + found
    if pairs:
        problems.append(("unpaired-lists", f"{len(types)} activity type(s) and {len(pairs)} parser(s) in separate "
                                           "columns: recorded without pairing"))
    return rows + pairs, problems


def _matrix(result, table, vendor, product) -> None:
    tactics = tactic_columns(result, table)
    for row in table.rows:
        check_row(result, table, row, len(tactics))
        for i, cell in enumerate(row.cells):
            links, problems = cells.matrix_links(cell)
            _problems(result, row.line, "bad-matrix-link", problems)
            if links:
                tactic = tactics[i] if i < len(tactics) else None
                lead, tail = (vendor, product, tactic), (result.path, row.line)
                result.extend("attack_matrix", [lead + link + tail for link in links])
