"""Issue codes: every problem the tool can meet, with its severity and what it means.

An issue is a row (source_path, source_line, severity, code, message). Codes are stable so
pipelines can filter on them; messages are for people. `error` means data on that page could
not be read (records may be missing); `warning` means the page is odd but its records are
whole as far as the page allows.
"""
from __future__ import annotations

CODES: dict[str, tuple[str, str]] = {
    # reading the tree
    "unreadable-file": ("error", "the file could not be read (permissions, I/O error)"),
    "binary-file": ("error", "a Markdown file holds binary data"),
    "utf16-page": ("warning", "a page in UTF-16 (with its byte order mark), not UTF-8; read as UTF-16"),
    "invalid-utf8": ("warning", "bytes that are not UTF-8; read with U+FFFD in their place"),
    "empty-page": ("warning", "the file is empty"),
    "page-too-large": ("error", "the file is larger than --max-page-bytes; not parsed"),
    "huge-line": ("warning", "a line longer than any real page has; parsed anyway"),
    "symlink-outside-tree": ("error", "a symbolic link points outside the tree; not followed"),
    "symlink-loop": ("error", "a symbolic link that never resolves (a loop or dangling)"),
    "symlink-dir": ("warning", "a symbolic link to a folder inside the tree; not followed, its pages are read at their real place"),
    "unreadable-folder": ("error", "a folder could not be listed"),
    "odd-file-name": ("warning", "a file name with control characters"),
    "special-file": ("info", "a socket, FIFO or device file in the tree; not read"),
    "undecodable-name": ("error", "a file or folder name that is not UTF-8 (no text column can hold it); not read, nor the pages under a folder so named"),
    "submodule": ("warning", "a git submodule inside the tree; its pages are not read"),
    # page structure
    "missing-vendor": ("error", "a data-source page without a `Vendor:` heading"),
    "missing-product": ("error", "a data-source page without a `Product:` heading"),
    "empty-vendor": ("warning", "the `Vendor:` heading names no vendor"),
    "empty-product": ("warning", "the `Product:` heading names no product"),
    "missing-counts": ("info", "a data-source or rules-and-models page without a counts table (some layouts have none); a data-source page still gets its products row, without counts"),
    "missing-use-cases": ("error", "a data-source page without its use-case table (cut off or broken)"),
    "orphan-continuation": ("warning", "a continuation page no data-source page leads to"),
    "ambiguous-continuation": ("warning", "a continuation page that pages of more than one product lead to"),
    "unknown-column": ("warning", "a table header nobody knows; that column was not read"),
    "unknown-table": ("warning", "a table on a data-source page that is not a known kind"),
    "unread-list": ("info", "a list on a page of lists (2020-2021 layouts) under a heading no output table reads"),
    "empty-use-case-list": ("warning", "a data-source page of lists (2020) that lists no use case"),
    "unpaired-lists": ("info", "activity types and parsers listed apart (2020 lists, or two table columns): recorded without pairing"),
    "unread-table": ("info", "a table of an index page that no output table holds (a list of use cases, a change log, ...)"),
    "unknown-tactic": ("warning", "a matrix column that is not an ATT&CK tactic name"),
    "tactic-spelling": ("warning", "a matrix column that misspells an ATT&CK tactic name; read as the closest one"),
    "ragged-row": ("warning", "a table row with fewer or more cells than its header"),
    "heading-in-table": ("warning", "a title written right under a table, without a blank line, read as a row of it; not taken as a record"),
    "rows-outside-table": ("error", "lines written as table rows that are in no table (their header's delimiter row missing or glued to it, or a blank line before them); not read"),
    "parser-named-by-key": ("warning", "a parser config without `Name`, whose object is bound to the key the page's file name names: read as that parser, named by its key"),
    "glued-table-header": ("warning", "a table whose header and delimiter row are written on one line (`| a || --- |`), with rows under it: read as the table all the same"),
    "tab-in-delimiter": ("warning", "a table's delimiter row holds tabs, which the Markdown parser takes for no delimiter (GitHub does); read as spaces"),
    "truncated-table": ("error", "the page ends in the middle of a table row; the records read from that row may be cut off (its last values end where the file does)"),
    "table-under-table": ("warning", "a table written right under another with no blank line between, which Markdown reads as one table: read as a table of its own"),
    "hidden-table": ("warning", "a table inside an HTML block or an indented code block, or an HTML <table>: Markdown reads no table there; not read"),
    "unread-page": ("warning", "a page of no known kind that names parser pages or ATT&CK techniques; not read"),
    "extra-counts-row": ("warning", "a counts table with more than one row; only the first is read"),
    # cells
    "duplicate-parser": ("info", "a cell that lists one parser more than once under one activity type; each pair is recorded once"),
    "parser-without-type": ("warning", "parser links with no activity type before them"),
    "parser-without-name": ("warning", "a parser link with no text (`[](Ps/x.md)`); recorded with parser empty"),
    "parser-without-link": ("warning", "a parser line (`↳ name`) without a link to its page; recorded with parser_page empty"),
    "broken-link": ("warning", "a link whose target holds a blank, which Markdown does not take for a link; its text is read as the name"),
    "stray-text": ("warning", "text in a cell that belongs to no record"),
    "stray-quote": ("warning", "a parser name or activity type with stray quotes (`\"`) at its ends; read without them"),
    "bad-ttp": ("warning", "a TTP item that is not `T#### - name`"),
    "bad-count": ("warning", "a count that is not a whole number"),
    "bad-content": ("warning", "a Content cell without rule or model counts"),
    "bad-matrix-link": ("warning", "a matrix cell entry that is not an ATT&CK technique link"),
    "missing-use-case": ("warning", "a use-case row without a use-case name"),
    # parser-config pages
    "missing-parser-config": ("error", "a parser-config page without a config block"),
    "missing-parser-name": ("error", "a parser config block without `Name`; no parser record"),
    "extra-parser-config": ("warning", "more than one parser config on a page; only the first is read"),
    "truncated-parser-config": ("warning", "a parser config cut off inside a string; the rest is not on the page"),
    "bad-parser-config": ("warning", "text in a parser config that is not `key = value`; not read"),
    # rules-and-models and correlation-rule pages
    "missing-use-case-label": ("error", "a rules-and-models or correlation-rule page without a `Use-Case:` heading"),
    "empty-use-case-label": ("warning", "the `Use-Case:` heading names no use case"),
    "missing-rules-table": ("warning", "counts name rules or models but the page has no `Event Type | Rules | Models` table"),
    "missing-event-type": ("warning", "a rules-and-models row with items but no event type"),
    "rule-without-technique": ("warning", "a rule item with no technique line before it; technique left empty"),
    "items-on-one-line": ("info", "rule or model items written on one line rather than one per line; read one by one"),
    "bad-technique": ("warning", "a Rules-cell line that is neither `T#### - name` nor a rule item"),
    "bad-rule-item": ("error", "a rule item without a rule ID; not read"),
    "bad-model-item": ("error", "a model item without a model ID; not read"),
    "missing-rule-name": ("error", "a correlation-rule row without a name; not read"),
    # index pages (ParsersLegacy, MitreMap, data-source and product-category lists)

    "empty-parser-name": ("warning", "a parser-rename row with an empty old or new name"),
    "empty-category": ("warning", "a product-category row that names no category"),
    "duplicate-technique": ("warning", "a technique counted twice in the MitreMap counts table; both rows kept"),
    "technique-without-count": ("warning", "a MitreMap matrix technique the counts table has no row for; rules left empty"),
}


def undecodable(path: str) -> str | None:
    """`path` as text a table can hold, with U+FFFD for the bytes that are not UTF-8, when
    it has any (os and git give such bytes as lone surrogates); None when it has none."""
    try:
        path.encode("utf-8")
        return None
    except UnicodeEncodeError:
        return path.encode("utf-8", "surrogateescape").decode("utf-8", "replace")


def issue(path: str, line: int | None, code: str, message: str) -> tuple:
    """An issue row, without the release column."""
    return (path, line, CODES[code][0], code, message)
