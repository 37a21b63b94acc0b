"""Cell grammars: what the inline tokens of one table cell mean.

Each function takes a cell (list of tokens from markdown.py) and returns plain values plus a
list of problems (message strings); the page module turns problems into issue rows with the
page's path and the row's line. Nothing here knows about files or tables.
"""
from __future__ import annotations

import functools
import re

from .markdown import B_CLOSE, B_OPEN, BR, text_of

_ARROW = "↳"
_LEGACY = re.compile(r"^(?P<type>.*?)\s*(?:\((?P<legacy>[^()]*)\)|\[(?P<bracketed>[^\[\]]*)\])$")
# A technique or tactic: `T1078 - Valid Accounts` (or `:`, `–`, `—` after the id), the id
# alone, or the other way round, `Valid Accounts (T1078)`. A sub-technique's dot may be
# written as a slash (`T1098/002`): the id is recorded with the dot. A name written before its
# id may hold words in parentheses (`Account Manipulation (Additional Cloud Credentials)
# (T1098.001)`), never an id in them: two ids in one item are two items run together.
_TTP_ID = r"TA?\d{4}(?:[./]\d{3})?"
_TTP = re.compile(r"^(?P<id>" + _TTP_ID + r")\s*[-–—:]\s*(?P<name>.*)$")
_TTP_BARE = re.compile(r"^(?P<id>" + _TTP_ID + r")$")
_TTP_AFTER = re.compile(r"^(?P<name>(?:[^()\[\]]|\((?!TA?\d{4})[^()\[\]]*\))*?)\s*[(\[](?P<id>" + _TTP_ID
                        + r")[)\]]$")
_TTP_ID_START = re.compile(r"^TA?\d{4}")
_TECHNIQUE_URL = re.compile(r"/techniques/(?P<id>T\d{4})(?:[/.](?P<sub>\d{3}))?/?(?:[#?].*)?$")
# `12 Rules`, and the other way round `Rules: 12`
_COUNT = re.compile(r"(?P<n>\d[\d,]*)\s*(?P<what>rules?|models?)\b"
                    r"|\b(?P<what2>rules?|models?)\s*[:=]\s*(?P<n2>\d[\d,]*)", re.IGNORECASE)
# Items written side by side on one line (`T1078 - Valid Accounts, T1110 - Brute Force`, or in
# `<p>`s) are split: before a `,`/`;` followed by another id (technique names may hold commas
# of their own), and before an id followed by its dash (`T1110 - `). Only lines that hold a
# second id are tried.
_AN_ID = re.compile(r"TA?\d{4}")
# Items side by side: a comma or semicolon before an id, or after an id in brackets, or before
# an item that ends with its id in brackets (`T1078 - Valid Accounts; Phishing (T1566)`).
_TTP_SEPARATOR = re.compile(r"\s*[,;]\s*(?=" + _TTP_ID + r"\b)|\s+(?=" + _TTP_ID + r"\s*[-–—]\s)"
                            r"|(?<=[)\]])\s*[,;]\s*"
                            r"|\s*[,;]\s*(?=[^,;]*[(\[]" + _TTP_ID + r"[)\]]\s*(?:[,;]|$))")
_INT = re.compile(r"^\d[\d,]*$")


# Cells a grammar has read, by their tokens: the same cells come back page after page (a use
# case's TTP list on every product that covers it: 9,871 TTP cells of a release hold 505
# distinct ones; 4,955 activity-type cells, 2,464). Per process; forgotten when full.
_REMEMBERED_MAX = 20_000


def _remembered(grammar):
    """grammar(cell) -> (items, problems), read once per distinct cell. The tokens are the
    key (text, link and tag tokens are tuples and strings: equal tokens read the same); each
    call gets lists of its own, so a caller may change them."""
    seen: dict = {}

    @functools.wraps(grammar)
    def read(cell: list):
        key = tuple(cell)
        found = seen.get(key)
        if found is None:
            items, problems = grammar(cell)
            if len(seen) >= _REMEMBERED_MAX:
                seen.clear()
            found = seen[key] = (tuple(items), tuple(problems))
        return list(found[0]), list(found[1])

    return read


def clean(text: str) -> str:
    """Trim and collapse inner whitespace (entities were decoded by the parser)."""
    return " ".join(text.split())


# Item text -> what technique() read in it: the same items fill cell after cell (`T1078 - Valid
# Accounts` in most TTP cells of a release), each read once. (None is a value there.)
_TECHNIQUES: dict = {}
_UNREAD = object()


def technique(text: str) -> tuple[str, str | None] | None:
    """`T1078 - Valid Accounts` (any spelling _TTP and its kin read) -> ("T1078", "Valid
    Accounts"); the name is None when the text has none. None: not a technique."""
    found = _TECHNIQUES.get(text, _UNREAD)
    if found is _UNREAD:
        found = _technique(text)
        if len(_TECHNIQUES) >= _REMEMBERED_MAX:
            _TECHNIQUES.clear()
        _TECHNIQUES[text] = found
    return found


def _technique(text: str) -> tuple[str, str | None] | None:
    m = _TTP.match(text) or _TTP_BARE.match(text) or _TTP_AFTER.match(text)
    if m is None:
        return None
    return m.group("id").replace("/", "."), clean(m.groupdict().get("name") or "") or None


def technique_id(text: str) -> str | None:
    """A bare technique or tactic id (`T1098.002`, `T1098/002`, `TA0002`) as recorded."""
    m = _TTP_BARE.match(text)
    return m.group("id").replace("/", ".") if m else None


def lines(cell: list) -> list[list]:
    """Split a cell into <br>-separated lines of tokens (empty lines kept as [])."""
    return [cell[first:stop] for first, stop in _spans(cell)]


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
        return clean(m.group("type")), clean(m.group("legacy") or m.group("bracketed") or "") or None
    return type_text, None


def _is_link(tok) -> bool:
    return type(tok) is tuple and tok[0] == "a"


def _plain(tokens) -> str:
    return clean("".join(tok for tok in tokens if type(tok) is str).replace(_ARROW, " "))


_ARROW_ONLY = {_ARROW, ""}
# A parser line's mark, in the spellings a line without a link may use (with a link, any
# text without a letter or digit before it is a mark).
_PARSER_MARK = re.compile(r"^\s*(?:↳|→|⤷|↪|└─*|-+>|=>)\s*(?P<name>\S.*)$")


# Paragraph and division tags, which a cell may use to set its lines apart.
_BLOCK_TAG = re.compile(r"^</?(?:p|div)\b[^>]*>$", re.IGNORECASE)


def _paragraph_lines(cell: list) -> list:
    """A cell with no <br> whose lines are paragraphs (`<p>app-login</p><p>↳[parser](page)</p>`),
    its paragraph tags read as line breaks. (Beside <br> lines a paragraph tag is inline:
    `app-login <p>(legacy)</p>`.)"""
    if BR in cell or not any(type(tok) is tuple and tok[0] == "h" and _BLOCK_TAG.match(tok[1]) for tok in cell):
        return cell
    return [BR if type(tok) is tuple and tok[0] == "h" and _BLOCK_TAG.match(tok[1]) else tok for tok in cell]

_QUOTES = '"“”'
# An activity type as the docs write them: `app-login`, `app-login:success`, `http-session:success
# (web-activity-allowed)` (quoted or not); never spaces or capitals, which categories have.
_TYPE_LIKE = re.compile(r'^["“”]*[a-z0-9][a-z0-9_.:-]*["“”]*(\s*\([^()]*\))?$')


def looks_like_type(text: str) -> bool:
    return bool(_TYPE_LIKE.match(text))


def event_types(cell: list) -> tuple:
    """The Event Type cell of a rules-and-models row -> its types: one, or several written a
    line each (or `a, b` when every part is a type); () when empty. Text that is not a list
    of types stays one name, as written."""
    if len(cell) == 1 and type(cell[0]) is str:  # (nearly every cell: one type)
        text = clean(cell[0])
        if "," not in text:
            return (text,) if text else ()
    texts = [t for t in (clean(text_of(line)) for line in lines(_paragraph_lines(cell))) if t]
    if len(texts) == 1 and "," in texts[0]:
        parts = [clean(p) for p in texts[0].split(",")]
        if all(looks_like_type(p) for p in parts):
            texts = parts
    if len(texts) > 1 and not all(looks_like_type(t) for t in texts):
        texts = [" ".join(texts)]  # (one name across lines, as it was read before)
    return tuple(dict.fromkeys(texts))


def activity_type(text: str, problems: list) -> tuple[str, str | None]:
    """A type line -> (activity type, legacy event type); see split_legacy.
    `""app-login:success""` -> `app-login:success`: some pages quote a type, and activity
    types never hold quotes (left as they are, the same type would differ between releases)."""
    type_text, legacy = split_legacy(text)
    name = type_text.strip(_QUOTES).strip()
    if name and name != type_text:
        problems.append(("stray-quote", f"activity type {type_text!r} is written in quotes; read as {name!r}"))
        return name, legacy
    return type_text, legacy


@_remembered
def activity_parsers(cell: list):
    """The `Activity Types/Parsers` cell -> [(activity_type, legacy_event_type, parser,
    parser_page)], problems as (issue code, message) pairs.

    A line of plain text starts an activity type; each following `↳[parser](page)` line is
    a parser under it. A type with no parser yields one row with parser None; parsers before
    any type yield rows with activity_type None and a problem.
    """
    rows: list[tuple] = []
    problems: list[tuple[str, str]] = []
    current: tuple[str, str | None] | None = None
    current_used = True
    cell = _paragraph_lines(cell)
    for line in lines(cell):
        # The two shapes nearly every line has, read without the general machinery below:
        # ` ↳[parser](page)` and a bare ` activity-type`.
        if len(line) == 2 and type(line[1]) is tuple and line[1][0] == "a" and type(line[0]) is str \
                and line[0].strip() in _ARROW_ONLY and current is not None and line[1][2] and line[1][1]:
            rows.append((*current, clean(line[1][2]), line[1][1]))
            current_used = True
            continue
        if len(line) < 2 and (not line or type(line[0]) is str and not _PARSER_MARK.match(line[0])):
            # An empty line, or plain text with no parser mark: a type line (what the
            # general path below makes of it).
            before = clean(line[0].replace(_ARROW, " ")) if line else ""
            if before:
                if current is not None and not current_used:
                    rows.append((*current, None, None))
                current, current_used = activity_type(before, problems), False
            continue
        cut = next((i for i, tok in enumerate(line) if _is_link(tok)), len(line))
        links = [tok for tok in line[cut:] if _is_link(tok)]
        before = _plain(line[:cut])
        if not links:
            m = _PARSER_MARK.match("".join(tok for tok in line if type(tok) is str))
            if m:  # `↳ name` with no link: a parser all the same, whose page is not named
                name: str | None = clean(m.group("name"))
                problems.append(("parser-without-link", f"parser {name!r} has no link to its page"))
                if current is None:
                    problems.append(("parser-without-type", f"parser {name!r} has no activity type before it"))
                rows.append((*(current or (None, None)), name, None))
                current_used = True
                continue
        elif before and not any(ch.isalnum() for ch in before):
            before = ""  # `-> [parser](page)`, `→ [parser](page)`: another mark, not a type
        after = _plain(tok for tok in line[cut:] if not _is_link(tok))
        if after:
            problems.append(("stray-text", f"text {after!r} after a parser link is not part of any record"))
        if before:
            # A type line (or a type written on the same line as its first parser).
            if current is not None and not current_used:
                rows.append((*current, None, None))
            current, current_used = activity_type(before, problems), False
        for tok in links:
            name = clean(tok[2]) or None
            url = tok[1].strip() or None
            if name is None:  # `[](Ps/x.md)`: a page, but no name to record it under
                problems.append(("parser-without-name", f"parser link to {tok[1]!r} has no text"))
            elif url is None:  # `[name]()`: a name, but no page
                problems.append(("parser-without-link", f"parser {name!r} has no link to its page"))
            if current is None:
                problems.append(("parser-without-type", f"parser {name!r} has no activity type before it"))
                rows.append((None, None, name, url))
            else:
                rows.append((*current, name, url))
                current_used = True
    if current is not None and not current_used:
        rows.append((*current, None, None))
    if len(rows) > 1 and len(set(rows)) < len(rows):
        rows = _once(rows, problems)
    return rows, problems


def _once(rows: list, problems: list) -> list:
    """Some cells repeat a parser line under one type (up to eighteen times on real pages): a
    pair is one record. One problem per cell says how many lines repeated one."""
    counts: dict = {}
    for row in rows:
        counts[row] = counts.get(row, 0) + 1
    repeats = [(row, n) for row, n in counts.items() if n > 1]
    (typ, _legacy, parser, _page), n = repeats[0]
    what = (f"parser {parser!r}" + (f" under {typ!r}" if typ is not None else " with no activity type")
            if parser is not None else f"activity type {typ!r}")
    more = f" and {len(repeats) - 1} more" if len(repeats) > 1 else ""
    problems.append(("duplicate-parser", f"{len(rows) - len(counts)} repeated record(s) in this cell ({what}, "
                                         f"{n} times{more}); each is recorded once"))
    return list(counts)


@_remembered
def ttps(cell: list):
    """The TTP cell -> [(technique_id, technique_name)], problems.
    Items are `T1098.002 - Name` separated by <br>; the name may be missing."""
    out: list[tuple] = []
    problems: list[str] = []
    for line in lines(cell):
        # (Text pieces are joined as written: the parser may cut `[T1110]` into three. A tag
        # between them reads as a space.)
        if len(line) == 1 and type(line[0]) is str:  # (most lines: one piece of text)
            text = clean(line[0])
        else:
            text = clean("".join([tok if type(tok) is str else tok[2] if tok[0] == "a" else " " for tok in line]))
        if not text:
            continue
        for item in _TTP_SEPARATOR.split(text) if _AN_ID.search(text, 1) else (text,):
            found = technique(item)
            if found:
                out.append(found)
            else:
                problems.append(f"TTP item {item!r} is not `T#### - name`")
    return out, problems


def ttp_level(ttp_id: str) -> str:
    """`TA0002` -> tactic, `T1098` -> technique, `T1098.002` -> sub-technique."""
    if ttp_id.startswith("TA"):
        return "tactic"
    return "sub-technique" if "." in ttp_id else "technique"


def content(cell: list):
    """The Content cell -> (rules, models, rm_page), problems.
    `[<ul><li>12 Rules</li></ul><ul><li>4 Models</li></ul>](RM/...)`; either count may be absent."""
    url, text = first_link(cell)
    if url is not None:
        text = text_of(cell)
    # (The link differs on every row, its text much less: `19 Rules 4 Models`. What the text
    # says is read once per text.)
    read = _CONTENT_READ.get(text)
    if read is None:
        rules, models, problems = _content_text(text)
        if len(_CONTENT_READ) >= _REMEMBERED_MAX:
            _CONTENT_READ.clear()
        read = _CONTENT_READ[text] = (rules, models, tuple(problems))
    return (read[0], read[1], url), list(read[2])


_CONTENT_READ: dict = {}  # Content cell text -> (rules, models, problems)


def _content_text(text: str) -> tuple:
    """(rules, models, problems) the text of a Content cell names (see content)."""
    found: dict[str, int | None] = {"rule": None, "model": None}
    for m in _COUNT.finditer(text):
        what = (m.group("what") or m.group("what2")).lower().rstrip("s")
        found[what] = int((m.group("n") or m.group("n2")).replace(",", ""))
    problems = []
    if text and found["rule"] is None and found["model"] is None:
        problems.append(f"Content cell {text!r} names no rule or model count")
    else:
        # `three Rules, 1 Models`: a count the text names but not as a number
        for what in ("rule", "model"):
            if found[what] is None and re.search(rf"(?<![\w-]){what}s?(?![\w-])", text, re.IGNORECASE):
                problems.append(f"Content cell {text!r} names {what}s but no number of them")
    return found["rule"], found["model"], problems


def integer(cell: list):
    """A counts-table number -> int or None, problems."""
    text = text_of(cell)
    # (Most counts are plain digits: str.isdecimal is what `\d` matches in a str pattern,
    # and a non-empty run of them is what _INT matches without a comma.)
    if text.isdecimal():
        return int(text), []
    if _INT.match(text):
        return int(text.replace(",", "")), []
    if not text:
        return None, []
    return None, [f"count {text!r} is not a whole number"]


@_remembered
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


# A list marker written as text before an item (`- Authentication<br>- Network`).
_LIST_MARK = re.compile(r"^[-*+•]\s+")


def list_items(cell: list) -> list[str]:
    """A cell that lists names: `<ul><li>Authentication</li><li>...</li></ul>`, plain
    <br>-separated names, or `- A<br>- B` -> ["Authentication", ...] (the 2021 `Activity Types`
    categories, the `Event Types` of older use-case pages). Link text counts as text."""
    items: list[str] = []
    current: list[str] = []
    for tok in cell:
        if type(tok) is str:
            current.append(tok)
        elif tok is BR:  # <br> and the list tags
            items.append(clean("".join(current)))
            current = []
        elif tok[0] == "a":
            current.append(tok[2])
    items.append(clean("".join(current)))
    return [_LIST_MARK.sub("", item) for item in items if item and not _LIST_MARK.fullmatch(item + " ")]


def plain_item(text: str) -> tuple[str, str | None] | None:
    """`WSC-GH-F : First service installation` (a rule or model in a 2020 list) -> (ID,
    description or None); None when the text is not `ID : description`."""
    m = _BARE_ITEM.match(text)
    if m is None:
        return None
    return m.group("id"), clean(m.group("desc")) or None


# --- rules, models and correlation-rule cells
# The Rules cell of a rules-and-models page lists techniques, each followed by its rules:
#     <b>T1078 - Valid Accounts</b><br> ↳ <b>RULE-ID</b>: description<br><br><b>T1110 - ...</b>
# and the Models cell lists `• <b>MODEL-ID</b>: description` items. Problems here are
# (issue code, message) pairs rather than bare messages: one cell can go wrong in several
# distinct ways and only the grammar knows which.

# The marks before an item: `↳` (rules) and `•` (models), and what another generator might
# draw instead, as the data-source cells accept before a parser (arrows) and lists (bullets).
_ITEM_MARKS = "↳•→⤷↪└·◦▪"
# A mark typed on a keyboard at the end of a text, after a blank (`- `, `* `, `+ `, `-> `, `=> `):
# one more item follows when a `<b>ID</b>:` does.
_TYPED_MARK_END = re.compile(r"(?:^|\s)(-+>|=>|[-*+])\s*$")
_TYPED_LAST = ("-", "*", "+", ">")
_TYPED_MARK_START = re.compile(r"^\s*(-+>|=>|[-*+])(?:\s|$)")


def _leading_text(line: list) -> str:
    """The text a line starts with, up to its first tag or link (the parser may split it)."""
    head = []
    for tok in line:
        if type(tok) is not str:
            break
        head.append(tok)
    return "".join(head)
_BOLD_OPEN = ("<b>", "<strong>")
_BOLD_CLOSE = ("</b>", "</strong>")
_BARE_ITEM = re.compile(r"^(?P<id>[^\s:<>]+)\s*:\s*(?P<desc>.*)$")
_DESC_LEAD = re.compile(r"^[:\-–—]\s*")
_DESC_LEADS = frozenset(":-–—")
# Marks typed with a keyboard (`- <b>ID</b>: text`, `-> <b>ID</b>: text`): taken for a mark only
# when they stand alone before the item (never inside a description, nor to cut a line).
_ASCII_MARKS = frozenset({"-", "*", "+", "->", "-->", "=>", ">", "–", "—"})
_MARKS = frozenset(_ITEM_MARKS) | _ASCII_MARKS
# The overlap flag, on its own line or after the name on the same one behind its sign (`Rule A ⚠
# Overlaps with Advanced Analytics rule.`, `(overlaps with AA)`): it runs to the end of its line.
# (Without the sign, mid-line, `overlaps with AA` is words of the name.)
_AA_OVERLAP = re.compile(r"(?:^|[\u26a0\ufe0f!(])[\u26a0\ufe0f!(\s]*overlaps?\s+with\s+(advanced\s+analytics|aa)\b.*$",
                         re.IGNORECASE)


_TAG_KINDS: dict = {}  # inline HTML -> 1 opens bold, 2 closes it, 0 anything else


def _tag_kind(html: str) -> int:
    kind = _TAG_KINDS.get(html)
    if kind is None:
        tag = html.lower().replace(" ", "")
        kind = 1 if tag in _BOLD_OPEN else 2 if tag in _BOLD_CLOSE else 0
        if len(_TAG_KINDS) < 1024:
            _TAG_KINDS[html] = kind
    return kind


def _bold_parts(pre: str, bold: str, rest: str):
    """_item_parts of a line with a closed <b>…</b>."""
    text = " ".join((pre + bold + rest).split())
    mark = ""
    pre = pre.lstrip()
    if pre[:1] and pre[0] in _ITEM_MARKS:
        mark, pre, text = pre[0], pre[1:], text[1:].lstrip()
    elif pre.rstrip() in _ASCII_MARKS:
        mark = pre.rstrip()
        pre, text = "", text[len(mark):].lstrip()
    return mark, " ".join(pre.split()), " ".join(bold.split()), " ".join(rest.split()), text


def _item_parts(line: list):
    """One <br>-line of a Rules/Models cell -> (mark, pre, bold, rest, text).

    mark is one of _ITEM_MARKS (`↳`, `•`, ...) or ""; bold is the text of the first <b>…</b>
    (None when there is none, or it is never closed), pre and rest the text before and after
    it; text is the whole line without the mark. Other inline HTML is formatting and is
    dropped; link text counts as text.
    (Called for every item of every page: kept to plain loops and joins.)
    """
    n = len(line)
    # The common shapes, `↳ <b>ID</b>: description` and `<b>T1078 - Name</b>`, without the loop.
    if n == 5 and line[1] is B_OPEN and line[3] is B_CLOSE and type(line[0]) is str \
            and type(line[2]) is str and type(line[4]) is str:
        return _bold_parts(line[0], line[2], line[4])
    if n == 3 and line[0] is B_OPEN and line[2] is B_CLOSE and type(line[1]) is str:
        return _bold_parts("", line[1], "")
    parts: tuple[list, list, list] = ([], [], [])
    state = 0  # 0 before the first <b>, 1 inside it, 2 after it
    for tok in line:
        if type(tok) is str:
            parts[state].append(tok)
        elif tok[0] == "h":
            kind = _tag_kind(tok[1])
            if kind == state + 1:  # the first <b>, then its </b>
                state = kind
        elif tok[0] == "a":
            parts[state].append(tok[2])
    pre, bold, rest = ("".join(p) for p in parts)
    if state == 2:
        return _bold_parts(pre, bold, rest)
    text = " ".join((pre + bold + rest).split())
    mark = ""
    pre = pre.lstrip()
    if pre[:1] and pre[0] in _ITEM_MARKS:
        mark, text = pre[0], text[1:].lstrip()
    else:
        first = text.split(" ", 1)
        if len(first) == 2 and first[0] in _ASCII_MARKS:  # `- ID: text`
            mark, text = first
    # no bold, or a <b> never closed: the whole line is plain text
    return mark, text, None, "", text


def _id_and_description(mark: str, pre: str, bold, rest: str, text: str):
    """(id, description) of an item line, or None when the line names no ID.
    `<b>ID</b>: text`, `<b>ID:</b> text`, `<b>ID</b>` alone, or without bold `ID: text`."""
    if bold is not None and not pre:
        item_id = bold.rstrip(":").strip()
        desc = _DESC_LEAD.sub("", rest)
        return (item_id, desc or None) if item_id else None
    if bold is None:
        m = _BARE_ITEM.match(text)
        if m:
            return m.group("id"), clean(m.group("desc")) or None
        if mark and " " not in text:
            return text, None
    return None


def _marked_item(lead, bold, rest):
    """(id, description) of `↳ <b>ID</b>: description`, given the three texts around the
    bold tags, when there is a mark and nothing else before the bold; else None (the general
    path decides)."""
    if type(lead) is not str or type(bold) is not str or type(rest) is not str:
        return None
    if lead.strip() not in _MARKS:
        return None
    item_id = " ".join(bold.split()).rstrip(":").strip()
    if not item_id:
        return None
    rest = " ".join(rest.split())
    if rest[:1] in _DESC_LEADS:  # what _DESC_LEAD removes, on text already cleaned
        rest = rest[1:].lstrip(" ")
    return (item_id, rest or None)


def _spans(cell: list) -> list:
    """(first, stop) token positions of each <br>-line of a cell: the lines of `lines`,
    without copying them out."""
    out = []
    start = 0
    index = cell.index
    try:
        while True:
            stop = index(BR, start)  # in C: only BR equals BR among the token kinds
            out.append((start, stop))
            start = stop + 1
    except ValueError:
        out.append((start, len(cell)))
    return out


def _has_text(tokens: list) -> bool:
    return any(type(t) is not str or t.strip() for t in tokens)


def _item_lines(line: list) -> list[list]:
    """A Rules/Models line that holds several items, as one line per item. The generator
    writes one item per line; a line with more (`<b>T1098 - X</b> ↳ <b>R</b>: a`,
    `• <b>M</b>: a • <b>N</b>: b`, `↳ <b>A</b>: a; <b>B</b>: b`) is cut before a mark that
    starts another `<b>ID</b>:` item, and before a `<b>ID</b>:` after a `;` or `,`. A mark or a
    bold word anywhere else is part of a description."""
    out: list[list] = [[]]
    bold_closed = False  # the current line has had its <b>…</b>
    n = len(line)
    for i, tok in enumerate(line):
        if type(tok) is str:
            cut = max(tok.rfind(m) for m in _ITEM_MARKS)
            if cut < 0 or tok[cut + 1:].strip():
                # `a - <b>M-2</b>: b`: a mark typed on a keyboard
                typed = _TYPED_MARK_END.search(tok) if tok.rstrip()[-1:] in _TYPED_LAST else None
                # (only the mark the line's own items are written with: a dash in a description
                # before a bold word is text)
                lead = _TYPED_MARK_START.match(_leading_text(line))
                cut = typed.start(1) if typed and lead and lead.group(1) == typed.group(1) else -1
            if cut >= 0 and i + 1 < n and _starts_item(line, i + 1) \
                    and (tok[:cut].strip() or _has_text(out[-1])):
                if tok[:cut]:
                    out[-1].append(tok[:cut])
                out.append([tok[cut:]])
                bold_closed = False
            else:
                out[-1].append(tok)
            continue
        if type(tok) is tuple and tok[0] == "h":
            kind = _tag_kind(tok[1])
            if kind == 1 and _has_text(out[-1]) and _run_in_technique(line, i, out[-1]):
                # `... a description <b>T1133 - X</b> ↳ ...`: a technique line run into the item
                # above (or beside another technique: `<b>T1 - A</b>, <b>T2 - B</b>`)
                last = out[-1][-1] if out[-1] else None
                if type(last) is str and last.rstrip()[-1:] in (";", ","):
                    out[-1][-1] = last.rstrip()[:-1].rstrip()
                out.append([])
                bold_closed = False
            elif kind == 1 and bold_closed and _starts_item(line, i):
                last = out[-1][-1] if out[-1] else None
                if type(last) is str and last.rstrip()[-1:] in (";", ","):
                    out[-1][-1] = last.rstrip()[:-1].rstrip()  # the separator, not description
                    out.append([])
                    bold_closed = False
            elif kind == 2:
                bold_closed = True
        out[-1].append(tok)
    return [x for x in out if x]


# What a rule or model ID looks like (`QF-GA-Admin`, `EM-InB-Ex`, `R-1`): words joined by `-`,
# `_` or `.`. A bold word in a description (`<b>Note</b>:`, `<b>DC</b>:`) does not.
_ID_LIKE = re.compile(r"^[A-Za-z0-9]+(?:[-_.][A-Za-z0-9]+)+:?$")


def _bold_text(line: list, i: int) -> tuple[str, int] | None:
    """The text inside the <b> at line[i], and where its </b> is; None when it is not closed."""
    inside = []
    for j in range(i + 1, len(line)):
        t = line[j]
        if type(t) is str:
            inside.append(t)
        elif t[0] == "h" and _tag_kind(t[1]) == 2:
            return "".join(inside), j
    return None


def _run_in_technique(line: list, i: int, before: list) -> bool:
    """Whether line[i] is a <b> around a whole technique (`<b>T1133 - External Remote
    Services</b>`: a bare id in bold may be a word of a description) that starts an item of
    its own: a rule mark follows it, or it follows another technique after `,` or `;`. (In
    the middle of a description, `uses <b>T1133 - X</b> to log in`, it is part of it.)"""
    found = _bold_text(line, i)
    m = _TTP.match(" ".join(found[0].split())) if found else None
    if not (m and m.group("name")) or found is None:
        return False
    after = line[found[1] + 1] if found[1] + 1 < len(line) else None
    if type(after) is str and after.strip()[:1] in _ITEM_MARKS and after.strip():
        return True
    last = before[-1] if before else None
    return type(last) is str and last.rstrip()[-1:] in (";", ",") and B_CLOSE in before


def _starts_item(line: list, i: int) -> bool:
    """Whether line[i] is a <b> that opens `<b>ID</b>:`: an ID-like text, then `:` after the
    </b> (or inside it, `<b>ID:</b>`)."""
    tok = line[i]
    if not (type(tok) is tuple and tok[0] == "h" and _tag_kind(tok[1]) == 1):
        return False
    found = _bold_text(line, i)
    if found is None:
        return False  # never closed
    text, j = found[0].strip(), found[1]
    after = line[j + 1] if j + 1 < len(line) else ""
    colon = text.endswith(":") or (type(after) is str and after.lstrip().startswith(":"))
    return colon and bool(_ID_LIKE.match(text))


def _looks_like_item(pre: str, bold, rest: str) -> bool:
    """A line without a mark that still reads `<b>ID</b>: description`."""
    return bold is not None and not pre and rest.startswith(":")


@_remembered
def rule_items(cell: list):
    """The Rules cell -> [(technique_id, technique_name, rule_id, description)], problems.

    A technique line applies to the rule lines under it until the next technique line;
    technique lines with no rule between them (`<b>T1078 - A</b>, <b>T1133 - B</b>`) all apply,
    a record each. A rule before any technique gets technique None and a problem; so do the
    rules under a line that is neither a technique nor a rule (that line is reported too).
    """
    out: list[tuple] = []
    problems: list[tuple[str, str]] = []
    state = _Techniques()
    cell = _paragraph_lines(cell)
    # Lines are walked by position (a cell holds hundreds): nearly every line of every release
    # is one of three shapes, read here directly with the result the general path gives them.
    for first, stop in _spans(cell):
        n = stop - first
        if not n:
            continue
        if n == 5 and cell[first + 1] is B_OPEN and cell[first + 3] is B_CLOSE:
            item = _marked_item(cell[first], cell[first + 2], cell[first + 4])
            if item is not None:
                if len(state.now) == 1:  # (nearly every rule: one technique in force)
                    out.append(state.now[0] + item)
                    state.used = True
                else:
                    state.rule(item, out, problems)
                continue
        elif n == 3 and cell[first] is B_OPEN and cell[first + 2] is B_CLOSE and type(cell[first + 1]) is str:
            found = technique(" ".join(cell[first + 1].split()))
            if found:
                state.technique(found)
                continue
        parts = _item_lines(cell[first:stop])
        if len(parts) > 1:
            problems.append(("items-on-one-line", f"{len(parts)} items written on one line; read one by one"))
        for k, line in enumerate(parts):
            _rule_line(line, state, out, problems, beside=k > 0)
    return out, problems


class _Techniques:
    """The techniques in force while a Rules cell is read."""
    __slots__ = ("now", "used")

    def __init__(self):
        self.now: list = []  # [(technique_id, technique_name)]
        self.used = True  # a rule was read under them: the next technique line starts anew

    def technique(self, found: tuple, beside: bool = False) -> None:
        """`beside`: written on the line of the technique before it (`<b>T1</b>, <b>T2</b>`),
        with no rule between: both apply to the rules under them."""
        if beside and not self.used:
            self.now.append(found)
        else:
            self.now, self.used = [found], False

    def end(self) -> None:
        self.now, self.used = [], True

    def rule(self, item: tuple, out: list, problems: list) -> None:
        if not self.now:
            problems.append(("rule-without-technique", f"rule {item[0]!r} has no technique before it"))
            out.append((None, None, *item))
        else:
            out.extend([found + item for found in self.now])
        self.used = True


def _rule_line(line: list, state: _Techniques, out: list, problems: list, beside: bool = False) -> None:
    """One line of a Rules cell, the general way: its item goes to `out`, a technique to
    `state`."""
    mark, pre, bold, rest, text = _item_parts(line)
    if not text:
        if mark:
            problems.append(("bad-rule-item", f"rule item {mark!r} names no rule"))
        return
    if not mark or not rest.startswith(":"):
        # (A technique may be bulleted too, `- T1078 - Valid Accounts`; a marked line that
        # reads `ID: description` is a rule item whatever its ID looks like.)
        found = technique(text)
        if found:
            state.technique(found, beside)
            return
    if not mark:
        if not _looks_like_item(pre, bold, rest):
            problems.append(("bad-technique", f"line {text!r} is neither `T#### - name` nor a rule item"))
            # A broken technique line (bold, or an id) ends the technique above; a note in
            # plain text (or the rest of a description cut by a list tag) does not, so the
            # rules under it keep their technique.
            if bold is not None or _TTP_ID_START.match(text):
                state.end()
            return
    item = _id_and_description(mark, pre, bold, rest, text)
    if item is None:
        problems.append(("bad-rule-item", f"rule item {text!r} has no `<b>ID</b>: description`"))
        return
    state.rule(item, out, problems)


@_remembered
def model_items(cell: list):
    """The Models cell -> [(model_id, description)], problems. Items are `• <b>ID</b>: text`."""
    out: list[tuple] = []
    problems: list[tuple[str, str]] = []
    cell = _paragraph_lines(cell)
    for first, stop in _spans(cell):
        n = stop - first
        if not n:
            continue
        if n == 5 and cell[first + 1] is B_OPEN and cell[first + 3] is B_CLOSE:  # `• <b>ID</b>: text`
            item = _marked_item(cell[first], cell[first + 2], cell[first + 4])
            if item is not None:
                out.append(item)
                continue
        parts = _item_lines(cell[first:stop])
        if len(parts) > 1:
            problems.append(("items-on-one-line", f"{len(parts)} model items written on one line; read one by one"))
        for line in parts:
            mark, pre, bold, rest, text = _item_parts(line)
            if not text:
                if mark:
                    problems.append(("bad-model-item", f"model item {mark!r} names no model"))
                continue
            if not mark and not _looks_like_item(pre, bold, rest):
                problems.append(("stray-text", f"text {text!r} in a Models cell is not a model item"))
                continue
            item = _id_and_description(mark, pre, bold, rest, text)
            if item is None:
                problems.append(("bad-model-item", f"model item {text!r} has no `<b>ID</b>: description`"))
            else:
                out.append(item)
    return out, problems


def correlation_name(cell: list) -> tuple[str | None, bool]:
    """A correlation-rule name cell -> (name, overlaps_aa). The root index marks rules that
    overlap Advanced Analytics with a line `⚠ Overlaps with Advanced Analytics rule.` under the
    name; that line is a flag, not part of the name."""
    name_lines: list[str] = []
    overlaps = False
    for line in lines(_paragraph_lines(cell)):
        text = text_of(line)
        m = _AA_OVERLAP.search(text)
        if m:
            overlaps = True
            text = text[:m.start()]
        if text.strip():
            name_lines.append(text)
    return clean(" ".join(name_lines)) or None, overlaps


def comma_list(text: str) -> str | None:
    """`Persistence , Privilege Escalation` -> `Persistence, Privilege Escalation`."""
    items = [clean(x) for x in text.split(",")]
    return ", ".join(x for x in items if x) or None
