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

import re
from dataclasses import dataclass, field

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


class Packed(list):
    """A cell kept packed (see `parse(pack=...)`): its texts hold `<b>`, `</b>` and `<br>` as
    the characters below. `unpack` gives the tokens the usual parse gives."""
    __slots__ = ()


# ---- packed cells ---------------------------------------------------------------------------
# The Rules and Models cells of rules-and-models pages are a third of a release's parser
# events: each `<b>`, `</b>`, `<br>` is an event of its own, and turning events into Python
# objects is most of the parse. So such a page is parsed with the three tags written as
# characters of the same UTF-8 length: byte offsets (ranges, lines) stay those of the page,
# the parser reads the characters as text, and a cell is a few text events, which the cell
# grammar reads a line at a time (cells.rule_items). `<b>` becomes one Unicode punctuation
# character (3 bytes); `</b>` and `<br>` another such character and `%` (4 bytes: a 4-byte
# character would make Python hold the whole page at 4 bytes a character). Both ends are
# punctuation, as the tags' `<` and `>` are, so emphasis delimiters beside them read the same
# (CommonMark's flanking rules only ask whether a neighbour is punctuation), and `%` means
# nothing to Markdown.
#
# That is the same parse only where each tag is inline HTML standing between texts. So the
# result is kept only when every character came back inside a text event, as many as there
# were tags; one inside anything else (a code span or block, an HTML block, another tag, a
# link's address or title, a code fence's info) means a tag that was not inline HTML there,
# and the page is parsed again as it is. Some cases leave no trace to count, and such pages
# are parsed as they are from the start: an escaped tag (`\<b>`); a tag alone on its line
# (it starts an HTML block; looked for more widely, behind blanks and list or quote marks);
# link reference definitions (`]:`: labels are matched and limited by their text); a link
# address in angle brackets (`[x](<br>" ")`: packed, no link at all); a declaration or comment
# (`<!X <b>`: the tag's `>` ends it); a vertical tab or form feed (pulldown-cmark reads a
# backslash before such a line differently after inline HTML); an entity or a character on
# the page that is one of ours. (Two reviews fuzzed millions of pages against the plain parse
# to find these.)
B_OPEN_CHARS, B_CLOSE_CHARS, BR_CHARS = "\u2e30", "\u2e31%", "\u2e3c%"
_TAG_CHARS = (("<b>", B_OPEN_CHARS), ("</b>", B_CLOSE_CHARS), ("<br>", BR_CHARS))
_TAG_BYTES = tuple((tag.encode(), chars.encode()) for tag, chars in _TAG_CHARS)
_CHAR_TOKENS = {B_OPEN_CHARS: B_OPEN, B_CLOSE_CHARS: B_CLOSE, BR_CHARS: BR}
_TAG_CHAR = re.compile("(\u2e30|\u2e31%|\u2e3c%)")
_TAG_ALONE = re.compile(rb"[\n\r][ \t\x0b\x0c>*+\-0-9.)]*</?br?>[ \t\x0b\x0c\r]*(?:[\n\r]|\Z)")
_TAG_ALONE_FIRST = re.compile(rb"[ \t\x0b\x0c>*+\-0-9.)]*</?br?>[ \t\x0b\x0c\r]*(?:[\n\r]|\Z)")
_ANGLE_DESTINATION = re.compile(rb"\]\(\s*<")
_OUR_CHARS = re.compile(rb"\xe2\xb8[\xb0\xb1\xbc]")
_OUR_ENTITIES = re.compile(rb"&#(?:[xX]0*2[eE]3[01cC]|0*1182[45]|0*11836);")


class _NotTags(Exception):
    """A tag of the page was not inline HTML between texts: parse the page as it is."""


def _tags_as_chars(data: bytes) -> tuple[str, int] | None:
    """(the page as text with its `<b>`, `</b>`, `<br>` written as characters, how many), or
    None when they are better left alone (none there, or the page is one of the cases above)."""
    if b"<b" not in data or b"\\<" in data or b"]:" in data or b"<!" in data:
        return None
    if b"\x0b" in data or b"\x0c" in data or _ANGLE_DESTINATION.search(data):
        return None
    if b"\xe2\xb8" in data and _OUR_CHARS.search(data) or b"&#" in data and _OUR_ENTITIES.search(data):
        return None
    if _TAG_ALONE.search(data) or _TAG_ALONE_FIRST.match(data):
        return None
    count = 0
    for tag, chars in _TAG_BYTES:
        count += data.count(tag)
        data = data.replace(tag, chars)
    return data.decode("utf-8", "surrogatepass"), count


def _chars_in(text: str) -> int:
    """How many tags' characters a text holds."""
    if text.isascii():
        return 0
    return text.count("\u2e30") + text.count("\u2e31") + text.count("\u2e3c")


def _chars_to_spaces(text: str) -> str:
    """Text where inline HTML reads as a space (headings, links, list items, paragraphs)."""
    return _TAG_CHAR.sub(" ", text)


def _add_text(cell: list, text: str) -> int:
    """A cell's text, its characters for tags read as the tags' tokens; how many tags."""
    parts = _TAG_CHAR.split(text)
    if len(parts) == 1:
        cell.append(text)
        return 0
    cell.extend([_CHAR_TOKENS.get(p, p) for p in parts if p])
    return len(parts) // 2


def _no_chars(*texts) -> None:
    """Where a tag's characters must not be (see above): raise _NotTags if they are."""
    for text in texts:
        if type(text) is str and _chars_in(text):
            raise _NotTags


def _check_start(val: dict) -> None:
    """A Start event's own strings (a link's address and title, a code fence's info)."""
    for inner in val.values():
        if type(inner) is dict:
            _no_chars(*inner.values())
        else:
            _no_chars(inner)


def tokens_of(text: str) -> list:
    """The tokens of a packed cell's text."""
    out: list = []
    _add_text(out, text)
    return out


def unpack(cell: list) -> list:
    """The tokens of a cell: a packed cell's are those the usual parse gives."""
    if type(cell) is not Packed:
        return cell
    out: list = []
    for tok in cell:
        if type(tok) is str:
            _add_text(out, tok)
        else:
            out.append(tok)
    return out


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
    packed: bool = False  # some cells are Packed (parse(pack=...))


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


def _cell(events) -> tuple[list, dict]:
    """The tokens of one table cell, read from the events after its Start, and the range of
    its End. Cells hold most of a page's events, so they get this loop of their own."""
    cell: list = []
    add = cell.append
    for ev, rng in events:
        # (Text and InlineHtml first: neither name is inside the names of the string events
        # SoftBreak, HardBreak and Rule, so `in` is safe before the type test.)
        if "Text" in ev:
            add(ev["Text"])
        elif "InlineHtml" in ev:
            val = ev["InlineHtml"]
            add(_HTML_TOKENS.get(val) or _html_token(val))
        elif type(ev) is str:
            if ev != "Rule":
                add(BR)
        elif "End" in ev:
            if ev["End"] == "TableCell":
                return cell, rng
        elif "Start" in ev:
            val = ev["Start"]
            if type(val) is dict and "Link" in val:
                add(_link(events, val["Link"]["dest_url"]))
        elif "Code" in ev:  # inline code span: its text counts as text
            add(ev["Code"])
    return cell, {"start": 0, "end": 0}  # no End: cannot happen in a well-formed stream


def _cell_tagged(events, packed: bool, tally: list) -> tuple[list, dict]:
    """_cell on a page whose tags are characters: a packed cell keeps them, any other cell
    reads them as the tags' tokens; tally[0] counts them (see _NotTags)."""
    cell: list = Packed() if packed else []
    add = cell.append
    for ev, rng in events:
        if "Text" in ev:
            val = ev["Text"]
            if val.isascii():
                add(val)
            elif packed:
                tally[0] += _chars_in(val)
                add(val)
            else:
                tally[0] += _add_text(cell, val)
        elif "InlineHtml" in ev:
            val = ev["InlineHtml"]
            _no_chars(val)
            add(_HTML_TOKENS.get(val) or _html_token(val))
        elif type(ev) is str:
            if ev != "Rule":
                add(BR)
        elif "End" in ev:
            if ev["End"] == "TableCell":
                return cell, rng
        elif "Start" in ev:
            val = ev["Start"]
            if type(val) is dict:
                _check_start(val)
                if "Link" in val:
                    add(_link(events, val["Link"]["dest_url"], tally))
        elif "Code" in ev:  # inline code span: its text counts as text
            val = ev["Code"]
            _no_chars(val)
            add(val)
        else:
            _no_chars(*ev.values())
    return cell, {"start": 0, "end": 0}


def _link(events, url: str, tally: list | None = None) -> tuple:
    """A link inside a cell, read up to its End: ("a", url, visible text). (An autolink inside
    the link text comes as a link within the link: its text is part of the outer one.)
    With `tally`, on a page whose tags are characters: they read as spaces, and are counted."""
    parts: list = []
    depth = 1
    for ev, _ in events:
        if "Text" in ev:
            parts.append(ev["Text"])
        elif "InlineHtml" in ev or type(ev) is str:  # inline HTML, soft and hard breaks
            if tally is not None and type(ev) is not str:
                _no_chars(ev["InlineHtml"])
            parts.append(" ")
        elif "End" in ev:
            if ev["End"] == "Link":
                depth -= 1
                if not depth:
                    break
        elif "Start" in ev:
            val = ev["Start"]
            if type(val) is dict:
                if tally is not None:
                    _check_start(val)
                if "Link" in val:
                    depth += 1
        elif "Code" in ev:
            if tally is not None:
                _no_chars(ev["Code"])
            parts.append(ev["Code"])
        elif tally is not None:
            _no_chars(*ev.values())
    text = "".join(parts)
    if tally is not None and not text.isascii():
        tally[0] += _chars_in(text)
        text = _chars_to_spaces(text)
    return ("a", url, " ".join(text.split()))


def parse(text: str, data: bytes | None = None, pack=None) -> Doc:
    """Parse one page. `data` must be `text` encoded as UTF-8 (passed in when the caller has
    it already, to save encoding the page twice); it is only used to turn offsets into lines.
    `pack(header texts, heading text)`, when given, names the columns of a table whose body
    cells are to be kept packed (see Packed); `Doc.packed` then says whether any were."""
    if data is None:
        data = text.encode("utf-8", "surrogatepass")
    if pack is not None:
        tagged = _tags_as_chars(data)
        if tagged is not None:
            try:
                return _parse(tagged[0], data, pack, tagged[1])
            except _NotTags:
                pass  # a tag that was not inline HTML between texts: parse the page as it is
    return _parse(text, data, None, None)


def _parse(text: str, data: bytes, pack, tags: int | None) -> Doc:
    """parse(); `tags` is how many tags the text holds as characters (None: it holds none,
    as written), which must all come back in text events, else _NotTags."""
    lines = _Lines(data)
    doc = Doc()
    tagged = tags is not None
    tally = [0]  # tags' characters met in text events
    packed: frozenset | tuple = ()  # the current table's packed columns
    # This loop sees every event of every page (millions per release): it is the hot path.
    # Table cells are read by _cell. Other text goes to `sink`, the list being filled now (a
    # link's text, a heading, a code block); `mode` says which.
    sink: list | None = None
    # 0 nothing, 2 link, 3 heading, 4 code, 5 list item, 6 paragraph (1 was a table cell, now
    # read by _cell)
    mode = 0
    outer_sink: list | None = None
    outer_mode = 0
    heading: Heading | None = None
    table: Table | None = None
    row: Row | None = None
    in_head = False
    link_url = ""
    link_line = 0
    link_depth = 0
    code: CodeBlock | None = None
    last_cell_end = table_start = 0
    zero_width: list = []
    block: ListBlock | None = None  # the list being read
    list_depth = 0
    items: list = []  # [(item, the sink it interrupted)]: items open, nested ones last
    lead = ""  # the last paragraph's text since the last heading, table or list
    block_outer: tuple = (None, 0)  # (sink, mode) a heading or code block interrupted

    events = iter(pyromark.events_with_range(text, options=_OPTIONS))
    for ev, rng in events:
        if type(ev) is str:  # SoftBreak, HardBreak, Rule
            if mode and ev != "Rule":
                sink.append(" ")
            continue
        if "Text" in ev:
            val = ev["Text"]
            if tagged and _chars_in(val):
                if mode == 4:
                    raise _NotTags  # in a code block: text, not a tag
                tally[0] += _chars_in(val)
                val = _chars_to_spaces(val)
            if mode:
                sink.append(val)
            continue
        if "InlineHtml" in ev:
            if tagged:
                _no_chars(ev["InlineHtml"])
            if mode:
                sink.append(" ")
            continue
        if "Start" in ev:
            val = ev["Start"]
            if val == "TableCell":
                if not tagged:
                    cell, rng = _cell(events)
                else:
                    cell, rng = _cell_tagged(events, not in_head and len(row.cells) in packed, tally)
                if in_head:
                    table.header.append(cell)
                else:
                    if rng["start"] == rng["end"]:
                        zero_width.append(rng["start"])
                    row.cells.append(cell)
                    last_cell_end = rng["end"]
            elif val == "TableRow":
                row = Row(lines(rng["start"]), [])
                last_cell_end, zero_width = rng["start"], []
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
                if tagged:
                    _check_start(val)
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
                    block_outer = (sink, mode)
                    sink, mode = [], 4
            elif val == "HtmlBlock":
                doc.spans.append((rng["start"], rng["end"]))
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
                row.missing = sum(1 for off in zero_width if off >= rng["end"])
                row.extra = bool(data[last_cell_end: rng["end"]].strip(b" \t\r\n|"))
                table.rows.append(row)
            elif val == "TableHead":
                in_head = False
                if tagged:
                    packed = frozenset(pack(tuple(text_of(c) for c in table.header),
                                            table.heading.text if table.heading else ""))
                    doc.packed = doc.packed or bool(packed)
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
                # A page cut off inside a table: the last row reaches the end of the file
                # without its closing pipe.
                table.truncated = rng["end"] >= len(data) and not data.rstrip().endswith(b"|")
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
        if tagged:
            _no_chars(*ev.values())  # a code span, an HTML block's text
        if "Code" in ev and mode:  # inline code span: its text counts as text
            sink.append(ev["Code"])
    if tagged and tally[0] != tags:
        raise _NotTags  # some tag came back in no text event
    return doc
