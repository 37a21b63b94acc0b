"""Correlation-rule pages (`CR/c_r_*`) and the root correlation-rule index: correlation_rules.

A `CR/c_r_*` page has `Vendor:` / `Product:` / `Use-Case:` headings over a table
`Name | Description | Activity Type | MITRE Tactic | Severity | Overlap with AA`. The root index
(`Exabeam Correlation Rules.md`) has no such headings and its own columns
(`Rule Name | Description | Use Case | MITRE tactics | Severity`); it flags rules that overlap
Advanced Analytics with a `⚠ Overlaps with Advanced Analytics rule.` line in the name cell.
Columns are read by meaning; what a page does not give stays null.
"""
from __future__ import annotations

import re

from .. import cells, headers
from ..issues import issue
from ..markdown import Doc, text_of
from . import PageResult
from .common import check_row, header_names
from .common import page_labels

# column meaning -> field of a correlation_rules row (`name` and `rule_name` are both the name)
_FIELDS = {
    "rule_name": "name", "name": "name", "description": "description",
    "activity_types": "activity_type", "mitre_tactic": "mitre_tactic", "severity": "severity",
    "overlap_with_aa": "overlap_with_aa", "use_case": "use_case", "vendor": "vendor",
    "product": "product",
}
_CHANGE_LOG = {"change_status", "change_date"}


def extract(result: PageResult, doc: Doc, tables: list) -> None:
    # Labels are required only on per-product pages (those with any of the three headings).
    per_product = any(rx.match(h.text) for h in doc.headings
                      for rx in (headers.VENDOR_LABEL, headers.PRODUCT_LABEL, headers.USE_CASE_LABEL))
    labels = page_labels(doc, result, required=per_product)
    result.vendor, result.product = labels[0], labels[1]
    for table, _kind, meanings in tables:
        _table(result, table, meanings, labels)
        if table.truncated:
            result.issues.append(issue(result.path, table.rows[-1].line if table.rows else table.line,
                                       "truncated-table", "the page ends inside this table row: its records may be cut off"))


def _table(result, table, meanings, labels) -> None:
    path = result.path
    names = header_names(table)
    if not {"name", "rule_name"} & set(meanings) and len(set(meanings) & {"mitre_tactic", "severity",
                                                                        "overlap_with_aa"}) >= 2:
        meanings = ["name" if m == "rules" else m for m in meanings]  # `Rule | ... | Severity`
    if _CHANGE_LOG & set(meanings) or not {"name", "rule_name"} & set(meanings):
        what = "a change log" if _CHANGE_LOG & set(meanings) else "not a list of correlation rules"
        result.issues.append(issue(path, table.line, "unknown-table",
                                   f"table with columns {names} is {what}; not read"))
        return
    col = {}
    for i, (meaning, cell) in enumerate(zip(meanings, table.header)):
        field = _FIELDS.get(meaning)
        if field and field not in col:
            col[field] = i
        else:
            result.issues.append(issue(path, table.line, "unknown-column",
                                       f"correlation-rule column {text_of(cell)!r} is not known (or repeats one); not read"))
    width = len(table.header)

    def get(row, field):
        i = col.get(field)
        return row.cells[i] if i is not None and i < len(row.cells) else []

    def text(row, field):
        return cells.clean(text_of(get(row, field))) or None

    parsed = [(row, *cells.correlation_name(get(row, "name"))) for row in table.rows]
    # Without an `Overlap with AA` column the marker line is the table's only word on overlap:
    # when the table uses it at all, a row without it does not overlap.
    marker_used = any(overlaps for _, _, overlaps in parsed)
    vendor, product, use_case = labels
    for row, name, overlaps in parsed:
        if not any(text_of(c) for c in row.cells):
            continue  # an empty row lists nothing
        check_row(result, table, row, width)
        if name is None:
            result.issues.append(issue(path, row.line, "missing-rule-name",
                                       "correlation-rule row has no name; not read"))
            continue
        overlap = text(row, "overlap_with_aa")
        if overlap is None and "overlap_with_aa" not in col and marker_used:
            overlap = "true" if overlaps else "false"
        elif overlap is None and overlaps:
            overlap = "true"
        # (tactics one per line, `<li>` or `<br>`, are a list as much as comma-separated ones)
        tactic = cells.comma_list(", ".join(text_of(x) for x in cells.lines(get(row, "mitre_tactic"))))
        row_vendor, row_product = text(row, "vendor") or vendor, text(row, "product") or product
        for row_use_case in _use_cases(result, row, get(row, "use_case")) or [use_case]:
            result.add("correlation_rules", (
                row_vendor, row_product, row_use_case,
                name, text(row, "description"), text(row, "activity_type"), tactic, text(row, "severity"),
                overlap,
                path, row.line))


# `[Name](UseCases/uc_a, b.md)`: a link whose target holds a blank, which Markdown does not take
# for a link (the docs generator writes such targets): the cell is then this text.
_BROKEN_LINK = re.compile(r"\[(?P<text>[^\[\]]+)\]\((?P<url>[^()]*)\)")


def _use_cases(result, row, cell) -> list:
    """The use cases a row names: the text of each link in its cell (a rule may serve more
    than one: a row each), else the cell's text; [] when the cell is empty."""
    names = [cells.clean(tok[2]) for tok in cell if type(tok) is tuple and tok[0] == "a" and cells.clean(tok[2])]
    if names:
        return list(dict.fromkeys(names))
    written = cells.clean(text_of(cell))
    m = _BROKEN_LINK.fullmatch(written)
    if m:
        result.issues.append(issue(result.path, row.line, "broken-link",
                                   f"the use-case link's target {m.group('url')!r} holds a blank, so it is no "
                                   f"link; its text {cells.clean(m.group('text'))!r} is read as the use case"))
        return [cells.clean(m.group("text"))]
    return [written] if written else []
