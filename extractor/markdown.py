"""The one place that talks to the Markdown parser.

pulldown-cmark (through pyromark) does the CommonMark + GFM table parsing; it was the fastest
real parser measured on the whole docs tree (see ARCHITECTURE.md). This module folds its event
stream into a small document model the page modules read: headings, tables (cells as inline
tokens), links outside tables and code blocks, each with its 1-based source line.

Cell tokens are tuples, cheap to build and to pickle between processes:
    "text"               a plain str: text (entities already decoded by the parser)
    BR                   a line break: <br>, a list tag, a hard/soft break: ("br",)
    ("a", url, text)     a link; text is its visible text, inline HTML inside it read as a space
    ("h", html)          any other inline HTML tag, verbatim (e.g. "<b>", "</b>")
"""
from __future__ import annotations

import bisect
import itertools
import re
from dataclasses import dataclass, field
from typing import Any

import pyromark

_OPTIONS = pyromark.Options.ENABLE_TABLES
# Tags that break a cell into lines: <br> in its spellings (`<br/>`, `</br>`, `<br clear="all">`)
# and list tags, which some cells use instead (`<ul><li>a</li><li>b</li></ul>`). (Not <p>: a
# paragraph tag inside a description would cut it in two.)
_BR = re.compile(r"^</?(?:br|li|ul|ol)\b[^>]*>$", re.IGNORECASE)
_HTML_TOKENS: dict = {}  # inline HTML -> token; the same few tags repeat millions of times


def _html_token(html: str):
    tok = _HTML_TOKENS.get(html)
    if tok is None:
        tok = BR if _BR.match(html) else ("h", html)
        if len(_HTML_TOKENS) < 4096:
            _HTML_TOKENS[html] = tok
    return tok

BR = ("br",)
# The bold tags of rules-and-models cells, made once so cell grammars can test them by identity.
B_OPEN = _HTML_TOKENS["<b>"] = ("h", "<b>")
B_CLOSE = _HTML_TOKENS["</b>"] = ("h", "</b>")
Cell = list  # list of tokens


@dataclass(slots=True)
class Heading:
    level: int
    text: str
    line: int
    links: list  # [(url, text)] inside the heading (e.g. "### Product: [X](../ds_x.md)")


@dataclass(slots=True)
class Row:
    line: int
    cells: list  # list[Cell]
    missing: int = 0   # cells the parser had to pad (row shorter than the header)
    extra: bool = False  # text after the last cell the parser kept (row longer than the header)
    # The row's line as written, when the row is remembered (see _remembered): rows with the
    # same key have the same cells, so what a page module reads off them can be kept too.
    key: bytes | None = None


@dataclass(slots=True)
class Table:
    line: int
    header: list  # list[Cell]
    rows: list  # list[Row]
    heading: Heading | None  # the nearest heading above the table
    truncated: bool = False  # the file ends inside the table's last row


@dataclass(slots=True)
class CodeBlock:
    line: int
    info: str
    text: str


@dataclass(slots=True)
class ListItem:
    line: int
    text: str  # visible text, link text included
    links: list  # [(url, text)]


@dataclass(slots=True)
class ListBlock:
    """A Markdown list outside tables (older pages list use cases, event types, parsers and
    rules this way). Items of nested lists are items of the list they sit in, in page order."""
    line: int
    heading: Heading | None  # the nearest heading above
    lead: str  # the text of a paragraph between that heading and the list (`Rules`), or ""
    items: list  # [ListItem]


@dataclass(slots=True)
class Doc:
    headings: list = field(default_factory=list)
    tables: list = field(default_factory=list)
    links: list = field(default_factory=list)  # [(url, text, line)] outside tables and headings
    code: list = field(default_factory=list)
    lists: list = field(default_factory=list)  # [ListBlock]
    # [(start, end)] byte ranges of the tables, code blocks and HTML blocks: the lines inside
    # them are accounted for, whatever they look like.
    spans: list = field(default_factory=list)
    # [(start, end, "html" or "indented")] of the HTML blocks and indented code blocks, where
    # a table may stand unread (extract.py looks there)
    hidden: list = field(default_factory=list)


class _Lines:
    """Byte offset -> 1-based line number. Offsets arrive almost always in increasing order,
    so one forward cursor over the text answers in O(total length)."""

    __slots__ = ("data", "pos", "line")

    def __init__(self, data: bytes):
        self.data, self.pos, self.line = data, 0, 1

    def __call__(self, offset: int) -> int:
        if offset < self.pos:
            self.pos, self.line = 0, 1
        self.line += self.data.count(b"\n", self.pos, offset)
        self.pos = offset
        return self.line


def text_of(cell: Cell) -> str:
    """The visible text of a cell: text and link text, a <br> read as a space."""
    if len(cell) == 1 and type(cell[0]) is str:  # most header and count cells
        return " ".join(cell[0].split())
    parts = []
    for tok in cell:
        if type(tok) is str:
            parts.append(tok)
        elif tok[0] == "a":
            parts.append(tok[2])
        elif tok is BR:
            parts.append(" ")
    return " ".join("".join(parts).split())


def has_text(cell: Cell) -> bool:
    """Whether text_of(cell) is not empty, without building it (most cells answer at their
    first token)."""
    for tok in cell:
        if type(tok) is str:
            if tok and not tok.isspace():
                return True
        elif tok[0] == "a" and tok[2] and not tok[2].isspace():
            return True
    return False


def _cell(events) -> tuple[list, dict]:
    """The tokens of one table cell, read from the events after its Start, and the range of
    its End. Cells hold most of a page's events, so they get this loop of their own."""
    cell: list = []
    add = cell.append
    for ev, rng in events:
        # (Events by how often cells hold them: Text, InlineHtml, a link's Start, End. None of
        # the names tested with `in` is inside the names of the string events SoftBreak,
        # HardBreak and Rule, so `in` is safe before the type test, which comes last.)
        if "Text" in ev:
            add(ev["Text"])
        elif "InlineHtml" in ev:
            val = ev["InlineHtml"]
            add(_HTML_TOKENS.get(val) or _html_token(val))
        elif "Start" in ev:
            val = ev["Start"]
            if type(val) is dict and "Link" in val:
                url = val["Link"]["dest_url"]
                # Most links are their text alone (`[parser](Ps/...)`): read here, without
                # the call. (A stream ends with the End events of what is open: `next` finds
                # them.)
                ev = next(events)[0]
                if "Text" in ev:
                    text = ev["Text"]
                    ev = next(events)[0]
                    # (An End right after the link's first text is the link's own: events
                    # nest, and a Text opens nothing that could end first.)
                    if "End" in ev:
                        add(("a", url, " ".join(text.split())))
                    else:
                        add(_link(events, url, [text], ev))
                else:
                    add(_link(events, url, [], ev))
        elif "End" in ev:
            if ev["End"] == "TableCell":
                return cell, rng
        elif type(ev) is str:
            if ev != "Rule":
                add(BR)
        elif "Code" in ev:  # inline code span: its text counts as text
            add(ev["Code"])
    return cell, {"start": 0, "end": 0}  # no End: cannot happen in a well-formed stream


def _link(events, url: str, parts: list, ev) -> tuple:
    """A link inside a cell, read up to its End: ("a", url, visible text), from `ev`, the
    event after the texts in `parts` (its text read so far). (An autolink inside the link
    text comes as a link within the link: its text is part of the outer one.)"""
    depth = 1
    for ev, _ in itertools.chain([(ev, None)], events):
        if "Text" in ev:
            parts.append(ev["Text"])
        elif "InlineHtml" in ev or type(ev) is str:  # inline HTML, soft and hard breaks
            parts.append(" ")
        elif "End" in ev:
            if ev["End"] == "Link":
                depth -= 1
                if not depth:
                    break
        elif "Start" in ev:
            val = ev["Start"]
            if type(val) is dict and "Link" in val:
                depth += 1
        elif "Code" in ev:
            parts.append(ev["Code"])
    return ("a", url, " ".join("".join(parts).split()))


class _SplitLines:
    """Offsets of a page with text put in (see parse) -> lines of the page as written."""

    __slots__ = ("lines", "starts", "ends", "shifts")

    def __init__(self, data: bytes, inserts: list):
        """inserts: [(offset in the page, length put in there)], in page order."""
        self.lines = _Lines(data)
        self.starts: list = []  # where each insertion starts in the new text
        self.ends: list = []
        self.shifts: list = []  # bytes put in before it
        shift = 0
        for offset, length in inserts:
            self.starts.append(offset + shift)
            self.ends.append(offset + shift + length)
            self.shifts.append(shift)
            shift += length

    def original(self, offset: int) -> int:
        k = bisect.bisect_right(self.starts, offset) - 1  # the last insertion at or before offset
        if k < 0:
            return offset
        if offset < self.ends[k]:  # inside it: where it was put in
            return self.starts[k] - self.shifts[k]
        return offset - self.shifts[k] - (self.ends[k] - self.starts[k])

    def __call__(self, offset: int) -> int:
        return self.lines(self.original(offset))


# `]:`, as every link reference definition has. (A compiled search finds it in half the time
# `in` takes on pages full of `](`.)
_DEFINITION_HINT = re.compile(rb"\]:")


def parse(text: str | None, data: bytes | None = None, split: list | None = None) -> Doc:
    """Parse one page. `data` must be `text` encoded as UTF-8 (passed in when the caller has
    it already, to save encoding the page twice); it is used to turn offsets into lines.
    `text` may be None when `data` is given: the page is then decoded here, only as far as
    it is parsed (the rows remembered from earlier pages are not decoded again), and
    UnicodeDecodeError is raised when `data` is not UTF-8 (see _remembered).

    `split`: [(byte offset, indent)] at which a line is cut in two before parsing, the second
    part starting with that indent (a table header glued to its delimiter row, `| a | b ||
    --- | --- |`, maybe in a list item: see extract.py). Lines and spans are still those of the
    page as written; the delimiter row shares its header's line."""
    if data is None:
        data = text.encode("utf-8", "surrogatepass")  # type: ignore[union-attr]
    if split:
        cuts = sorted(set(split))
        ends = [0, *(offset for offset, _ in cuts), len(data)]
        pieces = [data[a:b] for a, b in zip(ends, ends[1:])]
        lines = _SplitLines(data, [(offset, 1 + len(indent)) for offset, indent in cuts])
        data = pieces[0] + b"".join(b"\n" + indent + piece for (_, indent), piece in zip(cuts, pieces[1:]))
        text = data.decode("utf-8", "surrogatepass")
        doc = _parse(text, data, lines, False)
        doc.spans = [(lines.original(a), lines.original(b)) for a, b in doc.spans]
        doc.hidden = [(lines.original(a), lines.original(b), what) for a, b, what in doc.hidden]
        return doc
    return _remembered(text, data)


# ---- rows read before ------------------------------------------------------------------------
# The docs repeat whole table rows across pages: a rules-and-models page lists, per activity
# type, the same rules and models for every product with that activity type. In a release,
# 19 MB of such rows hold 2.3 MB of distinct lines. A GFM body row is read from its own line
# alone (its cells, their inline content), given the width of its table: so a row line read
# once, at the start of a line, is remembered with its cells, and a page holding it again is
# parsed with that line replaced by a blank row of the same length (`|    |`, a handful of
# parser events instead of thousands). Lines, offsets and the table structure stay the
# parser's. Then every such line must have come back as a body row of a table as wide as the
# remembered one; if any did not (the line sits in a code block, or is a table's header
# there), the page is parsed again as written.

_ROWS: dict = {}  # line bytes -> (table width, cells, missing, extra)
_ROW_MIN = 80  # shorter rows cost less to parse than to remember
_ROWS_MAX_BYTES = 16 << 20  # of lines, per process (a release has about 10 MB per worker); then
# forgotten and learnt again
_rows_bytes = 0


def forget_rows() -> None:
    """Forget every remembered row (tests compare pages read with and without them)."""
    global _rows_bytes
    _ROWS.clear()
    _rows_bytes = 0


def _remember(key: bytes, entry: tuple) -> None:
    global _rows_bytes
    if _rows_bytes + len(key) > _ROWS_MAX_BYTES:
        _ROWS.clear()
        _rows_bytes = 0
    _ROWS[key] = entry
    _rows_bytes += len(key)


def _long_rows(data: bytes):
    """(offset, line) of the lines that could be remembered rows: long, starting with a pipe.
    (bytes.find is several times faster here than a regex search or splitting into lines.)"""
    at = 0 if data[:1] == b"|" else data.find(b"\n|") + 1 or -1
    while at >= 0:
        end = data.find(b"\n", at)
        if end < 0:
            end = len(data)
        if end - at >= _ROW_MIN:
            yield at, data[at:end]
        at = data.find(b"\n|", end) + 1 or -1


def page_text(text: str | None, data: bytes) -> str:
    """The text of a page: `text` itself, or `data` decoded when the caller has not decoded it."""
    return data.decode("utf-8") if text is None else text


def _remembered(text: str | None, data: bytes) -> Doc:
    """parse() of a page, with the rows remembered from earlier pages not parsed again."""
    rows = _ROWS
    hits = [(at, line) for at, line in _long_rows(data) if line in rows]
    if not hits:
        if _DEFINITION_HINT.search(data):  # maybe a link reference definition, which a link in a row may use
            return _parse(page_text(text, data), data, _Lines(data), False)
        return _parse(page_text(text, data), data, _Lines(data), True)
    # Each remembered line is replaced by a short blank row, `| |`: the parser reads it as the
    # same empty body row a blank row of the line's length would be (a row is read from its
    # own line alone), but the text left to encode, scan and parse is a fraction of the page
    # (most of a rules-and-models page is remembered rows). Only bytes inside those lines
    # go, never a newline: every line keeps its number, and offsets past a replaced line
    # are mapped back to the page's by adding the bytes dropped before them (`original`).
    pieces = []
    ends: list = []  # where each blank row ends in the short text
    dropped: list = []  # bytes dropped up to the end of that row
    prev = cut = 0
    for at, line in hits:
        pieces.append(data[prev:at])
        prev = at + len(line)
        cut += len(line) - len(_BLANK_ROW)  # (> 0: the lines are _ROW_MIN long at least)
        ends.append(prev - cut)
        dropped.append(cut)
    pieces.append(data[prev:])
    short = _BLANK_ROW.join(pieces)
    # `]:` looked for in the short text finds what it finds in the page: rows are remembered
    # only from pages without one (they are parsed here, and only here rows are remembered),
    # and none can be made at a cut (a line starts with `|`, a `\n` follows it).
    if _DEFINITION_HINT.search(short):  # maybe a link reference definition, which a link in a row may use
        return _parse(page_text(text, data), data, _Lines(data), False)
    # (Line numbers counted in the short text: the same, and far fewer bytes to count.)
    lines = _Lines(short)
    entries = {lines(end - len(_BLANK_ROW)): (line, rows[line]) for end, (_, line) in zip(ends, hits)}

    def original(offset: int) -> int:
        # (Offsets handed back are block starts and ends, at line boundaries: never inside a
        # blank row.)
        k = bisect.bisect_right(ends, offset)
        return offset + dropped[k - 1] if k else offset

    def cut_off(_short: bytes, table_start: int, table: Table) -> bool:
        return _cut_off(data, original(table_start), table)  # on the page as written

    # (Decoding the short text checks the page is UTF-8, when the caller has not decoded it:
    # the lines left out are, as remembered rows of pages that were, and they are whole lines,
    # cut at ASCII bytes, so no character straddles a cut.)
    doc = _parse(short.decode("utf-8"), short, _Lines(short), True, set(entries), cut_off)
    for table in doc.tables:
        width = len(table.header)
        for row in table.rows:
            found = entries.pop(row.line, None)
            if found is not None:
                key, (row_width, row.cells, row.missing, row.extra) = found
                if row_width != width:
                    return _parse(page_text(text, data), data, _Lines(data), True)
                row.key = key
    if entries:  # a blanked line that is no body row here
        return _parse(page_text(text, data), data, _Lines(data), True)
    doc.spans = [(original(a), original(b)) for a, b in doc.spans]
    doc.hidden = [(original(a), original(b), what) for a, b, what in doc.hidden]
    return doc


_BLANK_ROW = b"| |"


_END_ROW = {"End": "TableRow"}


def _cut_off(data: bytes, table_start: int, table: Table) -> bool:
    """Whether a table that runs to the end of the file ends in a row cut off there: the last
    line lacks the closing pipe the header has (`| a | b |` over `| 1 | 2`), or, in a table
    written without closing pipes (`| a | b`, as GFM allows), the last row is short."""
    if data.rstrip().endswith(b"|"):
        return False
    end = data.find(b"\n", table_start)
    if data[table_start:end if end >= 0 else len(data)].rstrip().endswith(b"|"):
        return True
    return bool(table.rows) and table.rows[-1].missing > 0


def _parse(text: str, data: bytes, lines, remember: bool, blanked=(), cut_off=None) -> Doc:
    """The page's document. `remember`: keep its long body rows that start a line (see
    _remembered). Rows on the `blanked` lines are passed over: _remembered gives them cells.
    `cut_off`: _cut_off for a text whose blanked rows were shortened (see _remembered), which
    must look at the page as written."""
    doc = Doc()
    # This loop sees every event of every page (millions per release): it is the hot path.
    # Table cells are read by _cell. Other text goes to `sink`, the list being filled now (a
    # link's text, a heading, a code block); `mode` says which.
    # (The state below is typed Any where it may be None: the parser's event order sets each
    # before it is read, which no type checker can see.)
    sink: Any = None
    # 0 nothing, 2 link, 3 heading, 4 code, 5 list item, 6 paragraph (1 was a table cell, now
    # read by _cell)
    mode = 0
    outer_sink: Any = None
    outer_mode = 0
    heading: Any = None  # Heading | None
    table: Any = None  # Table
    row: Any = None  # Row
    in_head = False
    link_url = ""
    link_line = 0
    link_depth = 0
    code: Any = None  # CodeBlock
    last_cell_end = table_start = row_start = 0
    zero_width: list = []
    block: Any = None  # ListBlock: the list being read
    list_depth = 0
    items: list = []  # [(item, the sink it interrupted)]: items open, nested ones last
    lead = ""  # the last paragraph's text since the last heading, table or list
    block_outer: tuple = (None, 0)  # (sink, mode) a heading or code block interrupted

    # (Events are dicts and strings; Any, as the stubs' literal types don't allow `ev["Text"]`.)
    events: Any = iter(pyromark.events_with_range(text, options=_OPTIONS))
    for ev, rng in events:
        # (Events by how often this loop sees them: cell contents are read by _cell, so Start
        # and End come first. The string events, SoftBreak, HardBreak and Rule, are rare and
        # tested last: none of the names tested with `in` before is inside theirs.)
        if "Start" in ev:
            val = ev["Start"]
            if val == "TableCell":
                cell, rng = _cell(events)
                if in_head:
                    table.header.append(cell)
                else:
                    if rng["start"] == rng["end"]:
                        zero_width.append(rng["start"])
                    row.cells.append(cell)
                    last_cell_end = rng["end"]
            elif val == "TableRow":
                row_start = rng["start"]
                row = Row(lines(row_start), [])
                if row.line in blanked:
                    # A remembered row, blanked: _remembered gives it its cells. Its events
                    # (empty cells) are passed over.
                    for ev, rng in events:
                        if ev == _END_ROW:
                            break
                    table.rows.append(row)
                    continue
                last_cell_end, zero_width = row_start, []
            elif val == "TableHead":
                in_head = True
            elif val == "Paragraph":
                if mode == 0:
                    sink, mode = [], 6
            elif val == "Item":
                if list_depth and (mode == 0 or mode == 5):
                    item = ListItem(lines(rng["start"]), "", [])
                    block.items.append(item)
                    items.append((item, sink))
                    sink, mode = [], 5
            elif type(val) is dict:
                if "Link" in val:
                    if mode == 2:  # an autolink inside a link's text: part of that text
                        link_depth += 1
                        continue
                    outer_sink, outer_mode, link_depth = sink, mode, 1
                    link_url, link_line = val["Link"]["dest_url"], lines(rng["start"])
                    sink, mode = [], 2
                elif "List" in val:
                    if list_depth:
                        list_depth += 1
                    elif mode == 0:
                        block = ListBlock(lines(rng["start"]), heading, lead, [])
                        list_depth = 1
                elif "Table" in val:
                    table = Table(lines(rng["start"]), [], [], heading)
                    table_start, lead = rng["start"], ""
                elif "Heading" in val:
                    heading = Heading(int(val["Heading"]["level"][1:]), "", lines(rng["start"]), [])
                    # (A heading or code block may sit inside a list item: the item's text
                    # goes on after it.)
                    block_outer = (sink, mode)
                    sink, mode, lead = [], 3, ""
                elif "CodeBlock" in val:
                    kind = val["CodeBlock"]
                    code = CodeBlock(lines(rng["start"]), kind.get("Fenced", "") if type(kind) is dict else "", "")
                    doc.spans.append((rng["start"], rng["end"]))
                    if kind == "Indented":
                        doc.hidden.append((rng["start"], rng["end"], "indented"))
                    block_outer = (sink, mode)
                    sink, mode = [], 4
            elif val == "HtmlBlock":
                doc.spans.append((rng["start"], rng["end"]))
                doc.hidden.append((rng["start"], rng["end"], "html"))
            continue
        if "End" in ev:
            val = ev["End"]
            if val == "Link":
                link_depth -= 1
                if link_depth:
                    continue
                link_text = " ".join("".join(sink).split())
                sink, mode = outer_sink, outer_mode
                if mode == 3:
                    heading.links.append((link_url, link_text))
                    sink.append(link_text)
                elif mode == 0:
                    doc.links.append((link_url, link_text, link_line))
                else:
                    sink.append(link_text)
                    if mode >= 5:  # a list item's or a paragraph's: still a link of the page
                        doc.links.append((link_url, link_text, link_line))
                        if mode == 5:
                            items[-1][0].links.append((link_url, link_text))
            elif val == "TableRow":
                # The parser pads a short row with empty cells placed at the row's end, and
                # drops the cells of a long one: both are damage worth reporting.
                # (Most rows have no zero-width cell: no generator made for them.)
                row.missing = sum(1 for off in zero_width if off >= rng["end"]) if zero_width else 0
                row.extra = bool(data[last_cell_end: rng["end"]].strip(b" \t\r\n|"))
                table.rows.append(row)
                if remember and data[row_start] == 124 and (not row_start or data[row_start - 1] == 10):
                    end = data.find(b"\n", row_start)
                    key = data[row_start:end if end >= 0 else len(data)]
                    if len(key) >= _ROW_MIN:  # (blanked rows never get here: passed over above)
                        row.key = key
                        _remember(key, (len(table.header), row.cells, row.missing, row.extra))
            elif val == "TableHead":
                in_head = False
            elif val == "Paragraph":
                if mode == 6:
                    lead = " ".join("".join(sink).split())
                    sink, mode = None, 0
                elif mode == 5:
                    sink.append(" ")
            elif val == "Item":
                if mode == 5 and items:
                    item, outer = items.pop()
                    item.text = " ".join("".join(sink).split())
                    sink = outer
                    mode = 5 if items else 0
            elif type(val) is dict and "List" in val:
                if list_depth:
                    list_depth -= 1
                    if not list_depth:
                        doc.lists.append(block)
                        block, lead = None, ""
            elif val == "Table":
                table.truncated = rng["end"] >= len(data) and (cut_off or _cut_off)(data, table_start, table)
                doc.tables.append(table)
                doc.spans.append((table_start, rng["end"]))
            elif val == "CodeBlock":
                code.text = "".join(sink)
                doc.code.append(code)
                sink, mode = block_outer
            elif type(val) is dict and "Heading" in val:
                heading.text = " ".join("".join(sink).split())
                doc.headings.append(heading)
                sink, mode = block_outer
            continue
        if "Text" in ev:
            if mode:
                sink.append(ev["Text"])
            continue
        if "InlineHtml" in ev:
            if mode:
                sink.append(" ")
            continue
        if type(ev) is str:
            if mode and ev != "Rule":
                sink.append(" ")
            continue
        if "Code" in ev and mode:  # inline code span: its text counts as text
            sink.append(ev["Code"])
    return doc
