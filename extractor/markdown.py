"""The one place that talks to the Markdown parser.

pulldown-cmark (through pyromark) does the CommonMark + GFM table parsing; it was the fastest
real parser measured on the whole docs tree (see ARCHITECTURE.md). This module folds its event
stream into a small document model the page modules read: headings, tables (cells as inline
tokens), links outside tables and code blocks, each with its 1-based source line.

Cell tokens are tuples, cheap to build and to pickle between processes:
    ("t", text)          text (entities already decoded by the parser)
    ("br",)              a <br> (or a hard/soft break)
    ("a", url, text)     a link; text is its visible text, inline HTML inside it read as a space
    ("h", html)          any other inline HTML tag, verbatim (e.g. "<b>", "</b>")
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

import pyromark

_OPTIONS = pyromark.Options.ENABLE_TABLES
_BR = re.compile(r"^<br\s*/?>$", re.IGNORECASE)

Token = tuple
Cell = list  # list[Token]


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
class Doc:
    headings: list = field(default_factory=list)
    tables: list = field(default_factory=list)
    links: list = field(default_factory=list)  # [(url, text, line)] outside tables and headings
    code: list = field(default_factory=list)


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
    parts = []
    for tok in cell:
        kind = tok[0]
        if kind == "t":
            parts.append(tok[1])
        elif kind == "a":
            parts.append(tok[2])
        elif kind == "br":
            parts.append(" ")
    return " ".join("".join(parts).split())


def parse(text: str, data: bytes | None = None) -> Doc:
    """Parse one page. `data` must be `text` encoded as UTF-8 (passed in when the caller has
    it already, to save encoding the page twice); it is only used to turn offsets into lines."""
    if data is None:
        data = text.encode("utf-8", "surrogatepass")
    lines = _Lines(data)
    doc = Doc()

    heading: Heading | None = None  # last heading seen
    in_heading = False
    head_text: list = []
    head_links: list = []
    table: Table | None = None
    row: Row | None = None
    cell: Cell | None = None
    in_head = False
    link_url: str | None = None
    link_text: list = []
    link_line = 0
    code_info: str | None = None
    code_text: list = []
    code_line = 0
    last_cell_end = 0
    zero_width: list = []

    for ev, rng in pyromark.events_with_range(text, options=_OPTIONS):
        if type(ev) is str:  # SoftBreak, HardBreak, Rule, ...
            if ev in ("SoftBreak", "HardBreak"):
                if link_url is not None:
                    link_text.append(" ")
                elif cell is not None:
                    cell.append(("br",))
                elif in_heading:
                    head_text.append(" ")
            continue
        (kind, val), = ev.items()
        if kind == "Text" or kind == "Code":
            if code_info is not None:
                code_text.append(val)
            elif link_url is not None:
                link_text.append(val)
            elif cell is not None:
                cell.append(("t", val))
            elif in_heading:
                head_text.append(val)
        elif kind == "InlineHtml":
            if link_url is not None:
                link_text.append(" ")
            elif cell is not None:
                cell.append(("br",) if _BR.match(val) else ("h", val))
            elif in_heading:
                head_text.append(" ")
        elif kind == "Start":
            if type(val) is str:
                if val == "TableCell":
                    cell = []
                elif val == "TableRow":
                    row = Row(lines(rng["start"]), [])
                    last_cell_end, zero_width = rng["start"], []
                elif val == "TableHead":
                    in_head = True
                continue
            (sk, sv), = val.items()
            if sk == "Link":
                link_url, link_text, link_line = sv["dest_url"], [], lines(rng["start"])
            elif sk == "Table":
                table = Table(lines(rng["start"]), [], [], heading)
            elif sk == "Heading":
                in_heading, head_text, head_links = True, [], []
                heading = Heading(int(sv["level"][1:]), "", lines(rng["start"]), head_links)
            elif sk == "CodeBlock":
                code_info = sv.get("Fenced", "") if isinstance(sv, dict) else ""
                code_text, code_line = [], lines(rng["start"])
        elif kind == "End":
            if type(val) is str:
                if val == "TableCell":
                    if in_head:
                        table.header.append(cell)
                    else:
                        if rng["start"] == rng["end"]:
                            zero_width.append(rng["start"])
                        row.cells.append(cell)
                        last_cell_end = rng["end"]
                    cell = None
                elif val == "TableRow":
                    # The parser pads a short row with empty cells placed at the row's end, and
                    # drops the cells of a long one: both are damage worth reporting.
                    row.missing = sum(1 for off in zero_width if off >= rng["end"])
                    row.extra = bool(data[last_cell_end: rng["end"]].strip(b" \t\r\n|"))
                    table.rows.append(row)
                    row = None
                elif val == "TableHead":
                    in_head = False
                elif val == "Link":
                    text_ = " ".join("".join(link_text).split())
                    if cell is not None:
                        cell.append(("a", link_url, text_))
                    elif in_heading:
                        head_links.append((link_url, text_))
                        head_text.append(text_)
                    else:
                        doc.links.append((link_url, text_, link_line))
                    link_url = None
                elif val == "Table":
                    # A page cut off inside a table: the last row reaches the end of the file
                    # without its closing pipe.
                    table.truncated = rng["end"] >= len(data) and not data.rstrip().endswith(b"|")
                    doc.tables.append(table)
                    table = None
                elif val == "CodeBlock":
                    doc.code.append(CodeBlock(code_line, code_info or "", "".join(code_text)))
                    code_info = None
                continue
            if "Heading" in val:
                heading.text = " ".join("".join(head_text).split())
                doc.headings.append(heading)
                in_heading = False
            elif "CodeBlock" in val:
                doc.code.append(CodeBlock(code_line, code_info or "", "".join(code_text)))
                code_info = None
    return doc

