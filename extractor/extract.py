"""One page in, one PageResult out: read, decode, parse once, extract every table it feeds.

Runs inside worker processes, so it never raises for bad input: whatever is wrong with a
page becomes an issue row and the page's kind says `unreadable` when nothing could be read.
"""
from __future__ import annotations

import os
import re

from . import headers, markdown, pages
from .issues import issue
from .pages import PageResult

MARKDOWN_SUFFIXES = (".md", ".markdown")
DEFAULT_MAX_PAGE_BYTES = 16 * 1024 * 1024
# The longest line in any real release is about 1.2 MB (one huge table row).
HUGE_LINE = 4 * 1024 * 1024
_BOM = b"\xef\xbb\xbf"
_UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")


def is_markdown(path: str) -> bool:
    return path.lower().endswith(MARKDOWN_SUFFIXES)


def _longest_line(data: bytes) -> int:
    longest = start = 0
    while True:
        end = data.find(b"\n", start)
        if end < 0:
            return max(longest, len(data) - start)
        longest = max(longest, end - start)
        start = end + 1


def _cut_row_line(data: bytes) -> int | None:
    """The line of a table row the file ends in the middle of (`| a | b` with no newline, or
    a lone `|`), which the Markdown parser does not see as a row at all."""
    if data.endswith(b"\n"):
        return None
    last = data[data.rfind(b"\n") + 1:].strip()
    if last.startswith(b"|") and (last == b"|" or not last.endswith(b"|")):
        return data.count(b"\n") + 1
    return None


def extract_bytes(path: str, data: bytes, modules: frozenset | None = None) -> PageResult:
    """Parse one Markdown page (its bytes) into records and issues."""
    result = PageResult(path, "unknown", len(data))
    try:
        _extract(result, data, modules)
    except Exception as exc:  # a bug of ours must cost one page, not the run
        result.kind = "unreadable"
        result.rows.clear()
        result.issues.append(issue(path, None, "unreadable-file",
                                   f"internal error while reading this page: {type(exc).__name__}: {exc}"))
    return result


def _decoded(result: PageResult, data: bytes) -> tuple[str, bytes]:
    """(text, data) of a page: not UTF-8, its bad bytes read as U+FFFD (an issue says where)."""
    try:
        return data.decode("utf-8"), data
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        result.issues.append(issue(result.path, line, "invalid-utf8",
                                   f"byte {exc.start:,} (line {line}) is not UTF-8; such bytes read as U+FFFD"))
        text = data.decode("utf-8", "replace")
        return text, text.encode("utf-8")


def _extract(result: PageResult, data: bytes, modules: frozenset | None) -> None:
    path = result.path
    if data.startswith(_BOM):  # a BOM is not damage; offsets below stay those of the body
        data = data[3:]
    elif data[:2] in _UTF16_BOMS:  # (saved by an editor as "Unicode"): its text, in UTF-8
        try:
            data = data.decode("utf-16").encode("utf-8", "surrogatepass")
            result.issues.append(issue(path, None, "utf16-page", "the page is UTF-16, not UTF-8; read as UTF-16"))
        except UnicodeDecodeError:
            pass  # not UTF-16 after all: the checks below report what it is
    if not data or data.isspace():
        result.issues.append(issue(path, None, "empty-page", "the page is empty"))
        return
    if data.find(b"\x00", 0, 8192) >= 0:  # (in the first 8 KiB, without copying them)
        result.kind = "unreadable"
        result.issues.append(issue(path, None, "binary-file", "the file holds binary data (NUL bytes), not Markdown"))
        return
    if len(data) > HUGE_LINE and _longest_line(data) > HUGE_LINE:
        result.issues.append(issue(path, None, "huge-line",
                                   f"a line of {_longest_line(data):,} bytes; parsed anyway"))
    # The page is decoded by the parse, only as far as it is read (see markdown.parse), which
    # raises UnicodeDecodeError when it is not UTF-8: then it is decoded whole here, to say
    # where, as it is when a run wants the text before the parse.
    text = None
    if modules is not None:
        text, data = _decoded(result, data)
        if _skippable(result, text, modules):
            return
    try:
        doc = markdown.parse(text, data)
    except UnicodeDecodeError:
        text, data = _decoded(result, data)
        doc = markdown.parse(text, data)
    tabbed = _tabbed_delimiters(data, doc) if b"\t" in data else {}
    if tabbed:  # parsed again with their tabs as spaces (same length: lines and offsets stay)
        for at, end in tabbed.values():
            data = data[:at] + data[at:end].replace(b"\t", b" ") + data[end:]
        text = data.decode("utf-8", "replace")
        doc = markdown.parse(text, data)
        _report_tabs(result, doc, tabbed)
    # The lines like rows outside the tables, found once: the glued headers are looked for
    # among them, and so are the rows outside tables below unless the page is parsed again.
    piped = list(_pipe_lines(data, doc))
    split = _glued_headers(data, doc, piped)
    under = _tables_run_together(data, doc)
    if split or under:  # parsed again, each glued header cut from its delimiter row, each
        # table run into the one above set apart by a blank line
        cut_doc, kept = _split_glued(markdown.page_text(text, data), data, doc, {**split, **under})
        if cut_doc is not doc:  # (other tables: other lines outside them)
            doc, piped = cut_doc, list(_pipe_lines(data, cut_doc))
        _report_glued(result, doc, {line: at for line, at in kept.items() if line in split})
        _report_run_together(result, [line for line in kept if line in under])
    pages.extract(result, doc, modules)
    cut = _cut_row_line(data)
    if cut and any(t.rows and t.rows[-1].line == cut and not t.truncated for t in doc.tables):
        cut = None  # a row the parser read, of a table written whole (see markdown._cut_off)
    _rows_outside_tables(result, data, doc, cut, piped)
    if doc.hidden:
        _hidden_tables(result, data, doc)
    if result.kind == "unknown":
        _unread_page(result, markdown.page_text(text, data))  # (UTF-8: the parse said so)
    if cut and not any(i[3] == "truncated-table" for i in result.issues):
        result.issues.append(issue(path, cut, "truncated-table",
                                   "the page ends inside a table row; the rest of the page is missing"))


# A line that starts with `|` (after at most three blanks, as a table row may) and belongs to
# no table, nor to a code or HTML block. The docs generator sometimes writes a table's header
# and delimiter row on one line (`| a | b || --- | --- |`), which is no table to a Markdown
# parser. Such a line is cut in two and the page parsed again: the table is then read, and
# rows under it are records (with a warning), not text lost without a word. Any other line
# like a row outside every table is reported (a glued header alone loses nothing: it is not).
# (Also inside a block quote: `> | a | b |`.)
_QUOTED = rb"(?:[ ]{0,3}>[ ]?)*[ ]{0,3}"
_PIPE_LINE = re.compile(rb"^" + _QUOTED + rb"\|", re.M)
_GLUED_HEADER = re.compile(rb"\|[ \t]*\|[ \t]*:?-{3,}")  # `| b || --- |`
_DELIMITER_ROW = rb"\|[ \t]*:?-+:?[ \t]*(?:\|[ \t]*:?-+:?[ \t]*)*\|?[ \t\r]*$"
# A whole glued line, as the generator writes it: blanks, the header up to its last pipe, and
# right after that pipe a delimiter row to the end of the line, with as many cells as the
# header. (`| x | | --- |` is more likely a row with an empty cell: a row, reported as such.)
_GLUED_CUT = re.compile(rb"(" + _QUOTED + rb")(\|[^\n]*?\|)(" + _DELIMITER_ROW + rb")")


def _pipe_lines(data: bytes, doc):
    """(line, start, end) of each line starting with `|` outside the tables, code blocks and
    HTML blocks of doc."""
    # Only the text between those blocks is searched: on a rules-and-models page that is a
    # few lines between tables of megabytes.
    line, counted = 1, 0
    gap = 0
    for first, last in sorted(doc.spans) + [(len(data), len(data))]:
        # (`^` matches only at a real line start, also when the search starts at `gap`. Most
        # gaps hold no pipe at all, which a plain find tells far faster than the pattern.)
        for m in _PIPE_LINE.finditer(data, gap, first) if data.find(b"|", gap, first) >= 0 else ():
            pos = m.start()
            line += data.count(b"\n", counted, pos)
            counted = pos
            end = data.find(b"\n", pos)
            yield line, pos, len(data) if end < 0 else end
        gap = max(gap, last)


# A delimiter row with a tab after its first pipe or dash (`|---\t|---|`): pulldown-cmark
# takes it for no delimiter row, so the table above it is no table; cmark-gfm (GitHub) reads
# it as one. Its tabs are read as spaces. (A tab before the row would make it indented code.)
_TABBED_DELIMITER = re.compile(_QUOTED + rb"(?=[^\n]*\t)" + _DELIMITER_ROW)
# The same without its leading pipe (`---\t|---`), which only a header line above can make a
# delimiter row: looked for under each line that starts with a pipe.
_TABBED_BARE_DELIMITER = re.compile(_QUOTED + rb"(?=[^\n]*\t)[ \t]*:?-+:?[ \t]*(?:\|[ \t]*:?-+:?[ \t]*)+\|?[ \t\r]*$")


def _tabbed_delimiters(data: bytes, doc) -> dict:
    """{line: (start, end)} of the delimiter rows with tabs outside the tables, code blocks
    and HTML blocks of doc."""
    found = {}
    for line, pos, end in _pipe_lines(data, doc):
        m = _TABBED_DELIMITER.match(data, pos, end)
        if m:
            found[line] = m.span()
            continue
        below = data.find(b"\n", end + 1)
        m = _TABBED_BARE_DELIMITER.match(data, end + 1, len(data) if below < 0 else below)
        if m:
            found[line + 1] = m.span()
    return found


def _report_tabs(result: PageResult, doc, tabbed: dict) -> None:
    for table in doc.tables:
        if table.line + 1 in tabbed:
            result.issues.append(issue(result.path, table.line + 1, "tab-in-delimiter",
                                       "the table's delimiter row holds tabs, which the Markdown parser "
                                       "does not take there; read as spaces"))


def _cells(row: bytes) -> int:
    return len(row.strip(b" \t\r|").split(b"|"))


def _glued_headers(data: bytes, doc, piped: list) -> dict:
    """{line: (offset where its delimiter row starts, its indent)} of the glued table headers
    of a page that can be cut in two. `piped`: _pipe_lines(data, doc)."""
    if not piped:  # (most pages)
        return {}
    skip = {h.line for h in doc.headings}
    found = {}
    for line, pos, end in piped:
        m = None if line in skip else _glued_line(data, pos, end)
        if m:
            found[line] = (m.start(3), m.group(1))
    # Lines are cut only on a page where a glued header with three dashes shows somewhere
    # (in a table or code block too). That search of the whole page is left to the pages with
    # a line to cut (rare): on the others it gives {} either way, and it scans every byte
    # of the page, where the loop above looks only between tables and code blocks.
    if found and not _GLUED_HEADER.search(data):
        return {}
    return found


def _glued_line(data: bytes, pos: int, end: int):
    m = _GLUED_CUT.match(data, pos, end)
    return m if m and _cells(m.group(2)) == _cells(m.group(3)) else None


def _split_glued(text: str, data: bytes, doc, split: dict) -> tuple:
    """(the page parsed with its glued headers cut, the ones that start a table so). A glued
    line right under a table is one of its rows once the table above is read, as it would be
    under any table: it is not cut (else its delimiter would become a row of records)."""
    for _ in range(2):
        cut = markdown.parse(text, data, list(split.values()))
        started = {t.line for t in cut.tables}
        kept = {line: at for line, at in split.items() if line in started}
        if kept == split:
            return cut, split
        if not kept:
            break
        split = kept
    return doc, {}


# A cell of a delimiter row (`---`, `:---:`): three dashes at least, so that a counts row of
# `-` (no count) is not one.
_DELIMITER_CELL = re.compile(r":?-{3,}:?")


def _tables_run_together(data: bytes, doc) -> dict:
    """{line: (offset of its start, b"")} of the header lines of tables written right under
    another table, with no blank line between: GFM reads such a header and its delimiter row
    as two more rows of the table above. Found as a body row of delimiter cells under a row."""
    found = {}
    for table in doc.tables:
        rows = table.rows
        for above, row in zip(rows, rows[1:]):
            first = row.cells[0] if row.cells else None  # (a quick look first: `---` or `:---`)
            if first and type(first[0]) is str and first[0].lstrip()[:1] in ("-", ":") \
                    and row.line == above.line + 1 and _delimiter_row(row.cells) and _header_like(above.cells):
                found[above.line] = (_line_start(data, above.line), b"")
    return found


def _delimiter_row(cells: list) -> bool:
    texts = [markdown.text_of(c) for c in cells]
    return bool(texts) and bool(texts[0]) and all(_DELIMITER_CELL.fullmatch(t) for t in texts if t)


def _header_like(cells: list) -> bool:
    """Whether a row reads as a table header: no links, and most of its cells column names
    the tool knows (a row of data over a row of `---` placeholders is no header)."""
    names = [markdown.text_of(c) for c in cells if markdown.has_text(c)]
    if not names or any(type(t) is tuple and t[0] == "a" for c in cells for t in c):
        return False
    return 2 * sum(1 for n in names if headers.meaning(n)) >= len(names)


def _line_start(data: bytes, line: int) -> int:
    pos = 0
    for _ in range(line - 1):
        pos = data.index(b"\n", pos) + 1
    return pos


def _report_run_together(result: PageResult, lines: list) -> None:
    for line in lines:
        result.issues.append(issue(result.path, line, "table-under-table",
                                   "a table starts right under the table above, with no blank line "
                                   "between (Markdown reads one table): read as a table of its own"))


def _report_glued(result: PageResult, doc, split: dict) -> None:
    # A glued header with nothing under it is how the generator writes an empty table:
    # nothing to say. Rows under one are read, and that reading is said.
    for table in doc.tables:
        if table.line in split and table.rows:
            result.issues.append(issue(result.path, table.line, "glued-table-header",
                                       f"the table's header and its delimiter row are on one line; "
                                       f"its {len(table.rows)} row(s) are read all the same"))


def _rows_outside_tables(result: PageResult, data: bytes, doc, cut: int | None, piped: list) -> None:
    """`piped`: _pipe_lines(data, doc)."""
    if not piped:  # (most pages)
        return
    skip = {cut}  # a row the page ends inside has its own issue (truncated-table)
    skip.update(h.line for h in doc.headings)  # `| a |` over `---` is a heading
    rows, glued = [], False
    for line, pos, end in piped:
        if line not in skip and not _glued_line(data, pos, end):  # (one left uncut is a header alone: nothing lost)
            rows.append(line)
            glued = glued or bool(_GLUED_HEADER.search(data, pos, end))
    if rows:
        why = " (a table header among them has its delimiter row on the same line)" if glued else ""
        result.issues.append(issue(result.path, rows[0], "rows-outside-table",
                                   f"{len(rows)} line(s) written as table rows are in no table{why}; not read"))


# A table Markdown reads as no table: an HTML <table>, or a delimiter row (`| --- | --- |`)
# inside an HTML block (`<details>` with no blank line after it) or an indented code block.
_HIDDEN_TABLE = re.compile(rb"<table\b|^[ \t>]*\|?[ \t]*:?-{3,}:?[ \t]*\|[ \t|:-]*\r?$", re.IGNORECASE | re.MULTILINE)
_HIDDEN_IN = {"html": "an HTML block", "indented": "a code block (indented four spaces or more)"}


def _hidden_tables(result: PageResult, data: bytes, doc) -> None:
    for start, end, what in doc.hidden:
        m = _HIDDEN_TABLE.search(data, start, end)
        if m:
            html = m.group().lower().startswith(b"<")
            line = data.count(b"\n", 0, m.start()) + 1
            if not html and data.rfind(b"\n", start, m.start()) >= 0:
                line -= 1  # (the table's header, above its delimiter row)
            result.issues.append(issue(result.path, line, "hidden-table",
                                       "an HTML table (`<table>`): only Markdown tables are read; not read" if html
                                       else f"a table inside {_HIDDEN_IN[what]}, where Markdown reads no table; "
                                       "not read"))


# What records are made of, looked for on a page of no known kind: links to parser pages and
# ATT&CK ids (in any markup: an HTML table, a code block).
_PARSER_PAGE = re.compile(r"(?:^|[/(\[\s\"'<])(?:Ps/pC_|Parsers/parserContent_)", re.IGNORECASE)
_ATTACK_ID = re.compile(r"\bTA?\d{4}(?:[./]\d{3})?\b")


def _unread_page(result: PageResult, text: str) -> None:
    parsers = len(_PARSER_PAGE.findall(text))
    ids = len(set(_ATTACK_ID.findall(text)))
    if parsers or ids:
        what = " and ".join(x for x in (f"{parsers} parser page link(s)" if parsers else "",
                                        f"{ids} ATT&CK id(s)" if ids else "") if x)
        result.issues.append(issue(result.path, None, "unread-page",
                                   f"a page of no known kind that names {what}; not read"))


# When a run wants only some tables, a page is first classified from its opening lines: the
# headings and table headers that tell its kind come first on every kind of page. A kind that
# fills none of the wanted tables is recorded without parsing the (often large) rest; any other
# outcome, including a kind that is not clear yet, goes on to the full parse.
# (Such a page is then not read past its head: damage further down is not looked for.)
_HEAD_CHARS = _HEAD_BYTES = 1024
_DECISIVE = {"rules_models", "parser_config", "correlation_rules", "use_case", "parser_renames", "mitre_map"}


def _kind_from_head(text: str, modules: frozenset) -> str | None:
    """The page's kind, from its first lines, when that kind fills none of the wanted tables."""
    cut = text.rfind("\n", 0, _HEAD_CHARS)
    if cut <= 0:
        return None
    kind, _ = pages.classify(markdown.parse(text[:cut + 1]))
    if kind in _DECISIVE and pages.module_of(kind) not in modules:
        return kind
    return None


def _skippable(result: PageResult, text: str, modules: frozenset) -> bool:
    if len(text) <= _HEAD_CHARS:
        return False
    kind = _kind_from_head(text, modules)
    if kind is not None:
        result.kind = kind
        return True
    return False


def unreadable(path: str, size: int, code: str, message: str) -> PageResult:
    result = PageResult(path, "unreadable", size)
    result.issues.append(issue(path, None, code, message))
    return result


def _read(fd: int, size: int) -> bytes:
    """Up to `size` bytes from fd: fewer only at the end of the file."""
    data = os.read(fd, size)
    while 0 < len(data) < size:
        more = os.read(fd, size - len(data))
        if not more:
            break
        data += more
    return data


def _read_rest(fd: int, head: bytes, max_bytes: int) -> bytes:
    """head + the rest of the file, up to max_bytes + 1 bytes (one more than allowed, so a page
    over the limit shows).
    Read by the size the file says it has: asking for max_bytes + 1 at once would set up a
    buffer that large for every page (16 MiB), which costs more than the parse of a small
    page. The size is only trusted as far as it goes: a file that says 0 (not a regular file)
    or has grown is read on, up to the limit."""
    want = min(os.fstat(fd).st_size, max_bytes) + 1 - len(head)
    data = head + _read(fd, want) if want > 0 else head
    if len(data) > max_bytes or len(data) < len(head) + want:
        return data  # over the limit, or the whole file (it ended before `want`)
    return data + _read(fd, max_bytes + 1 - len(data))


def extract_file(path: str, abspath: str, max_bytes: int, modules: frozenset | None = None) -> PageResult:
    """Read and extract one file of a folder tree (called in worker processes)."""
    if not is_markdown(path):
        try:
            return PageResult(path, "asset", os.path.getsize(abspath))
        except OSError as exc:
            return unreadable(path, 0, "unreadable-file", f"cannot read: {exc.strerror or exc}")
    # (Plain file descriptors: a buffered file object costs more to set up than most pages
    # take to read.)
    try:
        fd = os.open(abspath, os.O_RDONLY | getattr(os, "O_BINARY", 0))
    except OSError as exc:
        return unreadable(path, 0, "unreadable-file", f"cannot read: {exc.strerror or exc}")
    try:
        if modules is not None:
            # Only some tables wanted: the opening lines may show the rest is not needed.
            head = _read(fd, _HEAD_BYTES)
            if len(head) == _HEAD_BYTES and b"\x00" not in head:
                kind = _kind_from_head(head.decode("utf-8", "replace"), modules)
                if kind is not None:
                    return PageResult(path, kind, os.fstat(fd).st_size)
            data = _read_rest(fd, head, max_bytes)
        else:
            data = _read_rest(fd, b"", max_bytes)
        if len(data) > max_bytes:
            size = os.fstat(fd).st_size
            return unreadable(path, size, "page-too-large",
                              f"{size:,} bytes is over the limit of {max_bytes:,} (--max-page-bytes)")
    except OSError as exc:
        return unreadable(path, 0, "unreadable-file", f"cannot read: {exc.strerror or exc}")
    finally:
        os.close(fd)
    return extract_bytes(path, data, modules)
