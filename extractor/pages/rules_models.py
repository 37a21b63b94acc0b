"""Rules-and-models pages (`RM/r_m_*`, `Rules_Models/`): use_case_counts, rules, models.

One page per (product, use case): `Vendor:` / `Product:` / `Use-Case:` headings, a counts table
(`Rules | Models | MITRE TTPs | Activity Types | Parsers`) and a table with one row per event type:

    | Event Type | Rules                                            | Models                   |
    | app-login  | <b>T1078 - Valid Accounts</b><br> ↳ <b>ID</b>: … |  • <b>ID</b>: …           |

Every rule and model item becomes a record, or an issue when it cannot (see cells.rule_items).
"""
from __future__ import annotations

from .. import cells
from ..issues import issue
from ..markdown import Doc
from . import PageResult
from .common import cell_of, check_row, columns, page_labels, read_counts, header_names

def problems(result: PageResult, line: int, found: list) -> None:
    """Cell-grammar problems, (code, message) pairs, as issues at `line`."""
    for code, msg in found:
        result.issues.append(issue(result.path, line, code, msg))


def extract(result: PageResult, doc: Doc, tables: list) -> None:
    vendor, product, use_case = page_labels(doc, result)
    result.vendor, result.product = vendor, product
    labels = (vendor, product, use_case)
    counts = None  # the counts row's values, to tell whether a missing detail table loses anything
    detail = False
    for table, kind, meanings in tables:
        if kind == "counts" and counts is None and table.rows:
            counts = _counts(result, table, meanings, labels)
        elif kind == "rules_models":
            detail = True
            _items(result, table, meanings, labels)
        else:
            names = header_names(table)
            result.issues.append(issue(result.path, table.line, "unknown-table",
                                       f"table with columns {names} is not a known kind; not read"))
        if table.truncated:
            result.issues.append(issue(result.path, table.rows[-1].line if table.rows else table.line,
                                       "truncated-table", "the page ends inside this table row: its records may be cut off"))
    if counts is None:
        result.issues.append(issue(result.path, None, "missing-counts", "no counts table (Rules | Models | ...)"))
    elif not detail and (counts["rules"] or counts["models"]):
        # Some pages write the detail header and its delimiter on one line: no table, and when
        # the counts say there is nothing to list, nothing is lost.
        result.issues.append(issue(result.path, None, "missing-rules-table",
                                   f"counts name {counts['rules']} rules and {counts['models']} models "
                                   "but there is no Event Type | Rules | Models table"))


def _counts(result, table, meanings, labels) -> dict:
    values, line = read_counts(result, table, meanings)
    result.add("use_case_counts", (*labels, *values.values(), result.path, line))
    return values


# What the rows seen before said, by their line and the columns read (see markdown.Row.key):
# most rows of a release repeat on the pages of other products.
_READ: dict = {}
_READ_MAX = 50_000


def _read_row(row, col) -> tuple:
    """(event types, rule records, model records, problems) of one row. The Event Type cell
    names one type, or several (a line each, or `a, b`): the rules and models are then
    recorded under each."""
    types = cells.event_types(cell_of(row, col, "activity_types"))
    rules, found = cells.rule_items(cell_of(row, col, "rules"))
    models, more = cells.model_items(cell_of(row, col, "models"))
    return types, rules, models, found + more


def _items(result, table, meanings, labels) -> None:
    path = result.path
    col = columns(result, table, meanings, ("activity_types", "rules", "models"),
                  "rules-and-models column", "is not known (or repeats one)")
    width = len(table.header)
    where = (col.get("activity_types"), col.get("rules"), col.get("models"))
    for row in table.rows:
        if row.missing or row.extra:  # (what check_row reports; tested here, without a call a row)
            check_row(result, table, row, width)
        read = _READ.get((row.key, where)) if row.key is not None else None
        if read is None:
            read = _read_row(row, col)
            if row.key is not None:
                if len(_READ) >= _READ_MAX:
                    _READ.clear()
                _READ[row.key, where] = read
        event_types, rules, models, found = read
        if found:
            problems(result, row.line, found)
        if not event_types and (rules or models):
            result.issues.append(issue(path, row.line, "missing-event-type",
                                       f"row with {len(rules)} rules and {len(models)} models names no event type"))
        tail = (path, row.line)
        for event_type in event_types or (None,):
            # (a page lists thousands of items: rows are built by tuple concatenation, in bulk)
            lead = labels + (event_type,)
            if rules:
                result.extend("rules", [lead + rule + tail for rule in rules])
            if models:
                result.extend("models", [lead + model + tail for model in models])
