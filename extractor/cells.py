"""Cell grammars: what the inline tokens of one table cell mean.

Each function takes a cell (list of tokens from markdown.py) and returns plain values plus a
list of problems (message strings); the page module turns problems into issue rows with the
page's path and the row's line. Nothing here knows about files or tables.
"""
from __future__ import annotations

import re

from .markdown import BR, text_of

_ARROW = "↳"
_LEGACY = re.compile(r"^(?P<type>.*?)\s*\((?P<legacy>[^()]*)\)$")
_TTP = re.compile(r"^(?P<id>T[A]?\d{4}(?:\.\d{3})?)\s*[-–:]\s*(?P<name>.*)$")
_TTP_BARE = re.compile(r"^(?P<id>T[A]?\d{4}(?:\.\d{3})?)$")
_TECHNIQUE_URL = re.compile(r"/techniques/(?P<id>T\d{4})(?:[/.](?P<sub>\d{3}))?/?(?:[#?].*)?$")
_COUNT = re.compile(r"(?P<n>\d[\d,]*)\s*(?P<what>rules?|models?)\b", re.IGNORECASE)
_INT = re.compile(r"^\d[\d,]*$")


def clean(text: str) -> str:
    """Trim and collapse inner whitespace (entities were decoded by the parser)."""
    return " ".join(text.split())


def lines(cell: list) -> list[list]:
    """Split a cell into <br>-separated lines of tokens (empty lines kept as [])."""
    out: list[list] = [[]]
    for tok in cell:
        if tok is BR:
            out.append([])
        else:
            out[-1].append(tok)
    return out


def first_link(cell: list) -> tuple[str | None, str]:
    """(url, text) of the cell's first link, or (None, cell text)."""
    for tok in cell:
        if type(tok) is tuple and tok[0] == "a":
            return tok[1], clean(tok[2])
    return None, text_of(cell)


def split_legacy(type_text: str) -> tuple[str, str | None]:
    """`app-login:success (app-login)` -> ("app-login:success", "app-login")."""
    m = _LEGACY.match(type_text)
    if m and m.group("type"):
        return clean(m.group("type")), clean(m.group("legacy")) or None
    return type_text, None


def _is_link(tok) -> bool:
    return type(tok) is tuple and tok[0] == "a"


def _plain(tokens) -> str:
    return clean("".join(tok for tok in tokens if type(tok) is str).replace(_ARROW, " "))


def activity_parsers(cell: list):
    """The `Activity Types/Parsers` cell -> [(activity_type, legacy_event_type, parser,
    parser_page)], problems.

    A line of plain text starts an activity type; each following `↳[parser](page)` line is
    a parser under it. A type with no parser yields one row with parser None; parsers before
    any type yield rows with activity_type None and a problem.
    """
    rows: list[tuple] = []
    problems: list[str] = []
    current: tuple[str, str | None] | None = None
    current_used = True
    for line in lines(cell):
        cut = next((i for i, tok in enumerate(line) if _is_link(tok)), len(line))
        links = [tok for tok in line[cut:] if _is_link(tok)]
        before = _plain(line[:cut])
        after = _plain(tok for tok in line[cut:] if not _is_link(tok))
        if after:
            problems.append(f"text {after!r} after a parser link is not part of any record")
        if before:
            # A type line (or a type written on the same line as its first parser).
            if current is not None and not current_used:
                rows.append((*current, None, None))
            current, current_used = split_legacy(before), False
        for tok in links:
            name = clean(tok[2])
            if current is None:
                problems.append(f"parser {name!r} has no activity type before it")
                rows.append((None, None, name, tok[1]))
            else:
                rows.append((*current, name, tok[1]))
                current_used = True
    if current is not None and not current_used:
        rows.append((*current, None, None))
    return rows, problems


def ttps(cell: list):
    """The TTP cell -> [(technique_id, technique_name)], problems.
    Items are `T1098.002 - Name` separated by <br>; the name may be missing."""
    out: list[tuple] = []
    problems: list[str] = []
    for line in lines(cell):
        text = clean(" ".join(tok if type(tok) is str else tok[2] for tok in line
                              if type(tok) is str or tok[0] == "a"))
        if not text:
            continue
        m = _TTP.match(text) or _TTP_BARE.match(text)
        if m:
            name = clean(m.groupdict().get("name") or "") or None
            out.append((m.group("id"), name))
        else:
            problems.append(f"TTP item {text!r} is not `T#### - name`")
    return out, problems


def content(cell: list):
    """The Content cell -> (rules, models, rm_page), problems.
    `[<ul><li>12 Rules</li></ul><ul><li>4 Models</li></ul>](RM/...)`; either count may be absent."""
    url, text = first_link(cell)
    if url is not None:
        text = text_of(cell)
    found = {"rule": None, "model": None}
    for m in _COUNT.finditer(text):
        what = m.group("what").lower().rstrip("s")
        found[what] = int(m.group("n").replace(",", ""))
    problems = []
    if text and found["rule"] is None and found["model"] is None:
        problems.append(f"Content cell {text!r} names no rule or model count")
    return (found["rule"], found["model"], url), problems


def integer(cell: list):
    """A counts-table number -> int or None, problems."""
    text = text_of(cell)
    if _INT.match(text):
        return int(text.replace(",", "")), []
    if not text:
        return None, []
    return None, [f"count {text!r} is not a whole number"]


def matrix_links(cell: list):
    """A matrix cell -> [(technique_id, technique_name, url)], problems.
    `techniques/T1136/001` -> `T1136.001`."""
    out: list[tuple] = []
    problems: list[str] = []
    for tok in cell:
        if _is_link(tok):
            m = _TECHNIQUE_URL.search(tok[1])
            if m:
                tid = m.group("id") + (f".{m.group('sub')}" if m.group("sub") else "")
                out.append((tid, clean(tok[2]) or None, tok[1]))
            else:
                problems.append(f"matrix link {tok[1]!r} is not an ATT&CK technique URL")
        elif type(tok) is str and clean(tok):
            problems.append(f"matrix cell text {clean(tok)!r} is not a technique link")
    return out, problems
