"""What every page-kind module needs: names from headings, and the row-shape check."""
from __future__ import annotations

from .. import cells, headers
from ..issues import issue
from ..markdown import Doc, has_text, text_of
from . import PageResult

_LABELS = {"missing-vendor": "Vendor", "missing-product": "Product", "missing-use-case-label": "Use-Case"}


# (pattern, flags, heading text) -> the label's name as heading_label reads it ("" when the
# heading is empty), or None when the heading is no such label: the same headings come back
# on thousands of pages (`Rules by Product and UseCase`, `Vendor: Microsoft`), each matched
# once. (Keyed by the pattern's text and flags: hashing a compiled pattern hashes its code.)
_LABELS_READ: dict = {}
_UNSEEN = object()  # (None is a value there)


def heading_label(doc: Doc, rx, result: PageResult, missing: str | None, empty: str):
    """The name in the first heading like `Use-Case: [X](...)` (the link text is the name).
    None with an issue when the heading is empty, or missing and `missing` names a code."""
    pattern, flags = rx.pattern, rx.flags
    for h in doc.headings:
        key = (pattern, flags, h.text)
        value = _LABELS_READ.get(key, _UNSEEN)
        if value is _UNSEEN:
            m = rx.match(h.text)
            value = cells.clean(m.group(1)) if m else None
            if len(_LABELS_READ) >= 8192:
                _LABELS_READ.clear()
            _LABELS_READ[key] = value
        if value is not None:
            if not value:
                result.issues.append(issue(result.path, h.line, empty, f"heading {h.text!r} is empty"))
            return value or None
    if missing:
        result.issues.append(issue(result.path, None, missing, f"no heading like `{_LABELS[missing]}: X`"))
    return None


def page_labels(doc: Doc, result: PageResult, required: bool = True):
    """(vendor, product, use_case) from the page's headings; missing ones are issues when required."""
    def label(rx, missing, empty):
        return heading_label(doc, rx, result, missing if required else None, empty)

    return (label(headers.VENDOR_LABEL, "missing-vendor", "empty-vendor"),
            label(headers.PRODUCT_LABEL, "missing-product", "empty-product"),
            label(headers.USE_CASE_LABEL, "missing-use-case-label", "empty-use-case-label"))


def check_row(result: PageResult, table, row, width: int) -> None:
    if row.missing or row.extra:
        have = len(row.cells) - row.missing
        result.issues.append(issue(
            result.path, row.line, "ragged-row",
            f"row has {'more' if row.extra else have} cells, header has {width}"
            + ("; the extra cells were not read" if row.extra else "; missing cells read as empty")))


def columns(result: PageResult, table, meanings, wanted: tuple, label: str = "column",
            why: str = "is not known here") -> dict:
    """{meaning: column index} for the wanted meanings (the first column of each); every other
    column is an unknown-column issue: `{label} 'Name' {why}; not read`."""
    col: dict = {}
    for i, (meaning, cell) in enumerate(zip(meanings, table.header)):
        if meaning in wanted and meaning not in col:
            col[meaning] = i
        else:
            result.issues.append(issue(result.path, table.line, "unknown-column",
                                       f"{label} {text_of(cell)!r} {why}; not read"))
    return col


def cell_of(row, col: dict, meaning: str) -> list:
    """The row's cell in the column of `meaning`; [] when there is none (or the row is short)."""
    i = col.get(meaning)
    return row.cells[i] if i is not None and i < len(row.cells) else []


COUNT_COLUMNS = ("rules", "models", "mitre_ttps", "activity_types", "parsers")


def read_counts(result: PageResult, table, meanings) -> tuple[dict, int]:
    """A counts table (`Rules | Models | MITRE TTPs | Activity Types | Parsers`, one row):
    ({column: int or None}, line of the row); odd cells, columns and rows are issues."""
    row = table.rows[0]
    check_row(result, table, row, len(table.header))
    values = dict.fromkeys(COUNT_COLUMNS)
    for meaning, cell in zip(meanings, row.cells):
        if meaning in values:
            values[meaning], problems = cells.integer(cell)
            for msg in problems:
                result.issues.append(issue(result.path, row.line, "bad-count", msg))
    for cell, meaning in zip(table.header, meanings):
        if meaning not in values:
            result.issues.append(issue(result.path, table.line, "unknown-column",
                                       f"counts column {text_of(cell)!r} is not known"))
    if len(table.rows) > 1:
        result.issues.append(issue(result.path, table.rows[1].line, "extra-counts-row",
                                   f"counts table has {len(table.rows)} rows"))
    return values, row.line


def tactic_columns(result: PageResult, table) -> list:
    """The tactics a matrix's columns stand for, as ATT&CK names them (`Defense evasion` ->
    `Defense Evasion`). A header within about a letter in ten of a tactic is read as that
    tactic, with a `tactic-spelling` warning; one further off stays as written
    (`unknown-tactic`); an empty header is None."""
    tactics = []
    for cell in table.header:
        name = text_of(cell)
        title = headers.tactic_title(name) if name else None
        if title is None and name:
            title = headers.closest_tactic(name)
            if title is None:
                result.issues.append(issue(result.path, table.line, "unknown-tactic",
                                           f"matrix column {name!r} is not an ATT&CK tactic"))
            else:
                result.issues.append(issue(result.path, table.line, "tactic-spelling",
                                           f"matrix column {name!r} is no ATT&CK tactic name; read as "
                                           f"{title!r}, the closest"))
        tactics.append(title or name or None)
    return tactics


def glued_heading(row) -> str | None:
    """The text of a one-cell row that is a page title (the matrix title, `Vendor: X`) written
    under the table without a blank line, which GFM reads as one more row."""
    if not row.missing or any(has_text(c) for c in row.cells[1:]):
        return None
    cell = row.cells[0] if row.cells else []
    if any(type(tok) is tuple and tok[0] == "a" for tok in cell):
        return None
    text = text_of(cell)
    if headers.MATRIX_TITLE.search(text) or headers.VENDOR_LABEL.match(text) or headers.PRODUCT_LABEL.match(text):
        return text
    return None


def header_names(table, most: int = 20) -> str:
    """A table's column names for a message: the first `most`, and how many more (a page
    may have thousands of columns)."""
    names = [repr(text_of(c)) for c in table.header[:most]]
    more = len(table.header) - most
    return ", ".join(names) + (f" and {more} more" if more > 0 else "")
