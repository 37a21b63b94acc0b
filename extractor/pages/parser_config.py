r'''Parser-config pages (`Ps/pC_*`, 2021 `Parsers/parserContent_*`): parsers.

The page is `#### Parser Content` and one fenced block holding the parser's config in Exabeam's
HOCON-like syntax:

    {
    Name = cef-acme-login
      Vendor = Acme
      TimeFormat = ["yyyy-MM-dd HH:mm:ss", "epoch"]
      Conditions = [ """CEF:""", """|Acme|""" ]
      Fields = ${AcmeTemplates.acme-events.Fields}[
        """\suser=({user}[^\s]+)""",
      ]

    acme-events = {
      Vendor = Acme
      Fields = [ """\ssrc=({src_ip}[\d.]+)""" ...
    }

Markdown is not the grammar here, so the block text gets its own small tokenizer and a tolerant
recursive reader. The docs generator prints, after the parser's own keys, the body of the
template the parser extends (`acme-events = {...}` above), usually without the template's
closing `]`; so a list or object still open when its parent closes (or when the block ends)
is the page's normal shape, not damage (nothing is lost). What is damage, and becomes an issue:
a block without `Name`; a string cut off at the end of its line (the generator stops at a `}`
inside a regex; `"""` strings never span lines in these configs, so a line is the limit);
text that is not `key = value` (fragments of other configs pasted in); more than one parser
config on one page. Only the first parser config of a page makes a record.

What a record takes: the parser object's own keys, else the template body the page prints for
it (named by `${A.acme-events}{` or `${A.acme-events.Fields}`, or written inside the parser's
braces). Fields follow HOCON: `Fields = ${T.Fields}[...]` is T's list then the parser's own, a
plain list replaces T's. `fields` lists the captured names in order of first appearance:
`({user}...)`, `({=user}...)` and JSON `exa_field_name=user`.
'''
from __future__ import annotations

import gc
import re

from ..issues import issue

# --------------------------------------------------------------------------------------------
# tokens

# Blanks before a token are skipped inside the match; quantifiers are possessive (`*+`, `++`)
# so a long regex inside a string is scanned once, without backtracking.
# The alternatives start with different characters (only the quoted ones overlap, and keep their
# order), so they are listed most frequent first.
_BLANKS = r"[ \t\r\f\v]*+"
# HOCON: extra quotes before the closing """ are text.
_TRIPLE = r'''"""(?:[^"\n]++|"(?!""))*+"*"""(?!")'''
_TOKENS = r'''
   (?P<punct>[{}\[\],=])
 | (?P<triple>''' + _TRIPLE + r''')
 | (?P<word>(?:[^\s{}\[\],="\#$/]++|/(?!/)|\$(?!\{))++)
 | (?P<open3>"""[^\n]*+)                              # never closed on its line: cut off (see below)
 | (?P<quoted>"(?:[^"\\\n]++|\\.)*+")
 | (?P<open1>"[^\n]*+)                               # never closed: runs to the end of the line
 | (?P<comment>(?:\#|//)[^\n]*+)
 | (?P<subst>\$\{[^}\n]*+\})
 | (?P<other>.)
'''
# Matched within one line (the newlines are added by tokenize).
_TOKEN = re.compile(_BLANKS + "(?:" + _TOKENS + ")", re.VERBOSE)
_BLANK_CHARS = " \t\r\f\v"
_TRIPLE_QUOTE = '"' * 3
_MAX_DEPTH = 64
_ESCAPE = re.compile(r'\\(u[0-9a-fA-F]{4}|.)')
_SIMPLE_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", "b": "\b", "f": "\f"}


def _unescape(body: str) -> str:
    def one(m):
        c = m.group(1)
        if c[0] == "u" and len(c) == 5:
            return chr(int(c[1:], 16))
        return _SIMPLE_ESCAPES.get(c, c)
    return _ESCAPE.sub(one, body)


class Tokens(list):
    """tokenize's tokens, with `bases`: what to add to each token's start and end (see tokenize)."""
    __slots__ = ("bases",)
    bases: list


def tokenize(text: str, start: int = 0, end: int | None = None, runs: bool = True) -> Tokens:
    """[(kind, value, start, end)] of text[start:end], without blanks and comments; token i
    starts and ends at its start and end plus `bases[i]` (see below). Kinds: nl, punct, str, word,
    subst, other, cut, run. A str's value is its text; `cut` marks a string cut off at the end
    of its line; `run` is a run of whole lines that each hold one list item (a triple-quoted
    regex and a comma: most lines of a config), its value the items' strings (plain str, no
    Scalar: a list holds them as they are), its start and end those of its lines, newlines
    included.

    No token spans a line (strings never do in these configs), so the text is read line by line:
    item lines are recognised with plain string operations, which is several times faster than
    scanning their long regexes with the token pattern, and give the same strings.

    A line's tokens are those remembered for its text (see _LINES), offsets from the line's
    start, and `bases[i]` is where token i's line starts. (Shifting every token by its line's
    offset here rebuilt each tuple, a seventh of tokenize's time, for offsets the reader keeps
    for few tokens: it adds the base where it keeps one.) nl and run tokens hold offsets in the
    text, base 0."""
    out = Tokens()
    bases: list = []
    out.bases = bases
    add = out.append
    add_base = bases.append
    size = len(text) if end is None else end
    run: list | None = None
    run_start = pos = start
    for line in text[start:size].split("\n"):
        stop = pos + len(line)  # where this line's newline is (size for the last line)
        known = _LINES.get(line)
        if known is None:
            known = _learn(line)
        if type(known) is str:  # an item line: its string
            if runs and stop < size:
                if run is None:
                    run, run_start = [], pos
                run.append(known)
                pos = stop + 1
                continue
            known = _line_tokens(line)
        if run is not None:
            add(("run", run, run_start, pos))
            add_base(0)
            run = None
        if known:
            out.extend(known)
            bases.extend([pos] * len(known))
        if stop < size:
            add(("nl", "\n", stop, stop + 1))
            add_base(0)
        pos = stop + 1
    if run is not None:
        add(("run", run, run_start, pos))
        add_base(0)
    return out


# What each line is, by its text: an item line's string, or any other line's tokens with
# offsets from the line's start. Config lines repeat a great deal across pages (`]`,
# `Vendor = Microsoft`, `TimeFormat = "epoch"`, common regexes, the lines of shared templates):
# a line seen before costs a lookup instead of a scan.
_LINES: dict = {}
_LINES_MAX = 1 << 16


def _learn(line: str):
    known: str | list | None = _item_body(line)
    if known is None:
        known = _line_tokens(line)
    if len(_LINES) >= _LINES_MAX:
        _LINES.clear()
    _LINES[line] = known
    return known


def _line_tokens(line: str) -> list:
    """The tokens of one line (no newline in it), offsets from its start."""
    out: list = []
    add = out.append
    for m in _TOKEN.finditer(line):
        kind = m.lastgroup
        # Every alternative ends the match, so a token ends where its match does.
        if kind == "punct":
            e = m.end()
            add((kind, line[e - 1], e - 1, e))
        elif kind == "triple":
            s, e = m.span(kind)
            add(("str", line[s + 3:e - 3], s, e))
        elif kind == "word" or kind == "other":
            s, e = m.span(kind)
            add((kind, line[s:e], s, e))
        elif kind == "quoted":
            s, e = m.span(kind)
            raw = line[s + 1:e - 1]
            add(("str", _unescape(raw) if "\\" in raw else raw, s, e))
        elif kind is None or kind == "comment":  # trailing blanks, comments
            continue
        elif kind == "open3":
            s, e = m.span(kind)
            add(("cut", line[s + 3:e], s, e))
        elif kind == "open1":
            s, e = m.span(kind)
            add(("cut", line[s + 1:e], s, e))
        else:  # subst
            s, e = m.span(kind)
            add(("subst", line[s + 2:e - 1].lstrip("?").strip(), s, e))
    return out


def _item_body(line: str) -> str | None:
    """The string of a line holding one triple-quoted string and at most a comma after it,
    else None.
    The same string the token pattern reads: it closes at the end of the first run of three
    or more quotes after the opening ones."""
    item = line.strip(_BLANK_CHARS)
    if item[-1:] == ",":
        item = item[:-1].rstrip(_BLANK_CHARS)
    if item[:3] != _TRIPLE_QUOTE or len(item) < 6:
        return None
    close = item.find(_TRIPLE_QUOTE, 3)
    if close < 0 or item[close:].strip('"'):
        return None
    return item[3:-3]


# --------------------------------------------------------------------------------------------
# values

class Obj:
    __slots__ = ("entries", "start", "template", "_index")

    def __init__(self, start: int):
        self.entries: list = []  # [(key, value, start)]
        self.start = start
        self.template: str | None = None  # `${A.b}{ ... }`: the object extends template `b`
        self._index: dict | None = None  # lower-cased key -> last value, built on the first get

    def get(self, key: str):
        """The last value of `key` (HOCON: a later key wins), or None. Read only once the
        object is complete (the index is built on the first call)."""
        index = self._index
        if index is None:
            index = self._index = {k.lower(): v for k, v, _ in self.entries}
        return index.get(key)


class Lst(list):
    __slots__ = ("start", "closed")
    start: int
    closed: bool


class Concat(list):
    """Parts written side by side: `${A.b.Fields}[ ... ]`, `Acme Cloud`."""
    __slots__ = ()


class Scalar:
    __slots__ = ("text", "start", "cut", "end")

    def __init__(self, text: str, start: int, cut: bool = False, end: int | None = None):
        self.text, self.start, self.cut = text, start, cut
        self.end = start + len(text) if end is None else end


class Subst:
    __slots__ = ("path", "start")

    def __init__(self, path: str, start: int):
        self.path, self.start = path, start


# The substitution `key += value` stands for: the key's earlier value (HOCON), here the
# template's.
APPENDED = "+="


class Reader:
    """A forgiving recursive reader over the tokens of one block. It never raises; text it
    cannot place is kept in `junk` as (start, text)."""

    def __init__(self, text: str):
        self.text = text
        # End markers past the last token, so looking ahead never needs a bounds check.
        toks = tokenize(text)
        self.toks = toks + [(None, None, len(text), len(text))] * 8
        self.bases = toks.bases + [0] * 8  # token i's offsets: its start and end + bases[i]
        self.i = 0
        self.junk: list = []
        self.cut: list = []  # starts of strings the block cut off
        self.objects: list = []  # every object, in document order
        self.depth = 0

    def peek(self, k: int = 0):
        # The reader never moves past the first end marker and looks at most a few tokens
        # past a run of newlines, so the padding keeps this in bounds.
        return self.toks[self.i + k]

    def read(self) -> Obj:
        """The top level: bare objects (`{...}`, `${T}{...}`), `key = value` entries."""
        top = Obj(0)
        self._entries(top, closer=None)
        return top

    def _entries(self, obj: Obj, closer: str | None) -> None:
        toks = self.toks
        bases = self.bases
        add = obj.entries.append
        while True:
            i = self.i
            tok = toks[i]
            while tok[0] == "nl" or (tok[0] == "punct" and tok[1] == ","):
                i += 1
                tok = toks[i]
            self.i = i
            kind, val, start, end = tok
            if kind is None:
                return
            start += bases[i]  # (end only serves run tokens, whose base is 0)
            if kind == "run":
                # List items where entries belong (their `[` was lost): each line is text that
                # is not `key = value`, kept as junk from its string to its end, as _junk would.
                at = start
                for line, _item in zip(self.text[start:end].split("\n"), val):
                    lead = len(line) - len(line.lstrip(_BLANK_CHARS))
                    self.junk.append((at + lead, line.strip(_BLANK_CHARS)))
                    at += len(line) + 1
                self.i = i + 1
                continue
            if kind == "punct" and val in "}]":
                if closer is None:  # a closer with nothing open: stray
                    self.junk.append((start, val))
                    self.i = i + 1
                    continue
                return  # ours, or an outer one (the generator drops closers): the caller decides
            if kind == "word" or kind == "str":
                nxt = toks[i + 1]
                append = False
                if kind == "word" and nxt[0] == "punct" and nxt[1] == "=" and val.endswith("+") and len(val) > 1:
                    val, append = val[:-1], True  # HOCON `Fields+= [...]`: appended to
                elif nxt[0] == "word" and nxt[1] == "+" and toks[i + 2][1] == "=" and toks[i + 2][0] == "punct":
                    i, nxt, append = i + 1, toks[i + 2], True  # `Fields += [...]`
                if nxt[0] == "punct" and nxt[1] in ("=", "{"):  # a key
                    key = val
                    i += 1
                    if nxt[1] == "=":
                        i += 1
                        while toks[i][0] == "nl":
                            self.i = i
                            if self._next_solid() not in ("[", "{"):
                                break
                            i += 1  # `Fields =` with its `[` on the next line
                    vtok = toks[i]
                    if (vtok[0] == "str" or vtok[0] == "word") and not append:
                        after = toks[i + 1]
                        if after[0] == "nl" or after[0] is None or (after[0] == "punct" and after[1] in ",]}"):
                            # the common `key = value` on one line: what _value would return
                            self.i = i + 1
                            base = bases[i]
                            add((key, Scalar(vtok[1], vtok[2] + base, False, vtok[3] + base), start))
                            continue
                    self.i = i
                    value = self._value()
                    if append:  # what the key held before, then this (HOCON `+=`)
                        earlier = next((v for k, v, _ in reversed(obj.entries) if k.lower() == key.lower()), None)
                        # (held in this object: that value; else a template's, found later)
                        value = Concat([earlier if earlier is not None else Subst(APPENDED, start), value])
                    add((key, value, start))
                    continue
            if kind == "subst" or (kind == "punct" and val == "{"):
                value = self._value()  # a bare object at this level, e.g. the page's parser
                add(("", value, start))
                continue
            # Anything else is not `key = value`: keep it as junk up to the end of the line
            # or the next brace.
            self._junk()

    def _next_solid(self):
        """The value of the next token that is not a newline."""
        k = 0
        while self.peek(k)[0] == "nl":
            k += 1
        return self.peek(k)[1]

    def _junk(self) -> None:
        """Skip text that is not `key = value`, up to the end of the line or the next bracket,
        and keep it in `junk`."""
        first = self.i
        start = end = self.peek()[2] + self.bases[first]
        while True:
            kind, val, _, e = self.peek()
            if kind is None or kind == "nl" or (kind == "punct" and val in "{}[]"):
                break
            end = e + self.bases[self.i]
            self.i += 1
        if self.i == first:  # a lone bracket we cannot place
            end = self.peek()[3] + self.bases[first]
            self.i += 1
        self.junk.append((start, self.text[start:end].strip()))

    def _value(self, in_list: bool = False):
        """One value: parts side by side until a newline, `,` or a closer at this level."""
        parts: list = []
        toks = self.toks
        bases = self.bases
        i = self.i
        while True:
            kind, val, start, end = toks[i]
            if kind is None or kind == "nl":
                break
            base = bases[i]
            if kind == "punct":
                self.i = i
                if val in "{[" and self.depth >= _MAX_DEPTH:
                    self._junk()  # no real config nests this deep; don't recurse without end
                    i = self.i
                    break
                if val == "{":
                    self.i = i + 1
                    obj = Obj(start + base)
                    if parts and isinstance(parts[-1], Subst):
                        obj.template = parts[-1].path.rsplit(".", 1)[-1]
                    self.objects.append(obj)
                    self.depth += 1
                    self._entries(obj, "}")
                    self.depth -= 1
                    i = self.i
                    tok = toks[i]
                    if tok[0] == "punct" and tok[1] == "}":
                        i += 1
                    parts.append(obj)
                    continue
                if val == "[":
                    self.i = i + 1
                    self.depth += 1
                    items = self._list(start + base)
                    self.depth -= 1
                    i = self.i
                    parts.append(items)
                    if not items.closed:
                        break  # its `]` was dropped: what follows belongs to the object around
                    continue
                break  # , ] } = end this value
            if in_list and parts and (kind == "word" or kind == "str"):
                nxt = toks[i + 1]
                if nxt[0] == "punct" and nxt[1] in ("=", "{"):
                    break  # `"""x"""  acme-events = {`: the generator ate the `]` and the newline
            i += 1
            if kind == "str" or kind == "word":
                parts.append(Scalar(val, start + base, False, end + base))
            elif kind == "subst":
                parts.append(Subst(val, start + base))
            elif kind == "cut":
                self.cut.append(start + base)
                parts.append(Scalar(val, start + base, True, end + base))
            else:
                parts.append(Scalar(val, start + base, False, end + base))
        self.i = i
        if len(parts) == 1:
            return parts[0]
        if parts and all(isinstance(p, Scalar) for p in parts):
            # `Product = Acme Cloud Gate`, `"a" "b"`: one string, with the blanks written between
            text = parts[0].text
            for prev, part in zip(parts, parts[1:]):
                text += self.text[prev.end:part.start] + part.text
            return Scalar(text, parts[0].start, any(p.cut for p in parts), parts[-1].end)
        return Concat(parts)

    def _list(self, start: int) -> Lst:
        items = Lst()
        items.start, items.closed = start, False
        add = items.append
        toks = self.toks
        bases = self.bases
        i = self.i
        while True:
            tok = toks[i]
            while tok[0] == "nl" or (tok[0] == "punct" and tok[1] == ","):
                i += 1
                tok = toks[i]
            kind = tok[0]
            if kind is None:
                self.i = i
                return items
            if kind == "run":
                items.extend(tok[1])
                i += 1
                continue
            if kind == "punct":
                val = tok[1]
                if val == "]":
                    self.i = i + 1
                    items.closed = True
                    return items
                if val == "}":
                    self.i = i
                    return items  # the `]` was dropped; the `}` belongs to the object around us
                if val == "=":
                    self.i = i
                    self._junk()
                    i = self.i
                    continue
            elif kind == "word" or kind == "str":
                nxt = toks[i + 1]
                if nxt[0] == "punct":
                    if nxt[1] in ("=", "{"):
                        self.i = i
                        return items  # `name = {` : the `]` was dropped before a template body
                    if nxt[1] in ",]}":  # a lone string item: what _value would return
                        base = bases[i]
                        i += 1
                        add(Scalar(tok[1], tok[2] + base, False, tok[3] + base))
                        continue
                elif nxt[0] == "nl" or nxt[0] is None:
                    base = bases[i]
                    i += 1
                    add(Scalar(tok[1], tok[2] + base, False, tok[3] + base))
                    continue
            self.i = i
            add(self._value(in_list=True))
            i = self.i


# --------------------------------------------------------------------------------------------
# what a parser object says

_CAPTURE = re.compile(r"\(\{=?(?P<name>[A-Za-z_][\w.\-]*)\}|exa_field_name=(?P<json>[A-Za-z_][\w.\-]*)")
_NAMED_CAPTURE = re.compile(r"\(\{=?([A-Za-z_][\w.\-]*)\}")


def _strings(value) -> tuple[list, bool]:
    """(the literal strings of a value, whether it extends a substitution like ${T.Fields})."""
    if value is None:
        return [], False
    if isinstance(value, Scalar):
        return [value.text], False
    if isinstance(value, Subst):
        return [], True
    if isinstance(value, Lst):
        try:  # (items of a run of item lines are plain str; a lone item is a Scalar)
            return [item if type(item) is str else item.text for item in value], False
        except AttributeError:  # something else in the list: a nested list, object...
            out: list = []
            for item in value:
                if type(item) is str:
                    out.append(item)
                elif type(item) is Scalar:
                    out.append(item.text)
                else:
                    out.extend(_strings(item)[0])
            return out, False
    if isinstance(value, Concat):
        out, extends = [], False
        for part in value:
            strings, ext = _strings(part)
            out.extend(strings)
            extends = extends or ext
        return out, extends
    return [], False  # an object where a string was expected


def _scalar(value) -> str | None:
    if isinstance(value, Scalar):
        return value.text.strip() or None
    return None


def field_names(strings: list) -> list:
    """Captured field names in order of first appearance: `({user}...)`, `({=user}...)`,
    and `exa_field_name=user` (JSON extraction)."""
    # String by string (no capture spans two strings, nor a newline), each string's names
    # remembered: the same regexes recur on many pages (a template's Fields on every parser
    # that extends it, common patterns), and a look-up costs far less than a scan.
    found: list = []
    known = _NAMES.get
    for s in strings:
        names = known(s)
        if names is None:
            names = _names_in(s)
        found += names
    return list(dict.fromkeys(found))


# string -> the names captured in it, in order, repeats kept (see field_names)
_NAMES: dict = {}
_NAMES_MAX = 1 << 16


def _names_in(s: str) -> tuple:
    if "exa_field_name=" in s:
        names = tuple([name or json for name, json in _CAPTURE.findall(s)])
    else:  # (most strings: a pattern that starts with the literal `({` scans fastest)
        names = tuple(_NAMED_CAPTURE.findall(s))
    if len(_NAMES) >= _NAMES_MAX:
        _NAMES.clear()
    _NAMES[s] = names
    return names


def _is_parser(obj: Obj) -> bool:
    # `Name` alone is not enough: SOAR entity objects inside a parser have a Name too.
    return obj.get("name") is not None and (
        obj.get("conditions") is not None or obj.get("parserversion") is not None)


_TEMPLATE_KEYS = ("vendor", "product", "timeformat", "fields", "conditions", "parserversion", "datatype")


def _substitutions(value) -> list:
    if isinstance(value, Subst):
        return [value.path]
    if isinstance(value, (Lst, Concat)):
        out: list = []
        for x in value:
            if type(x) is not str and type(x) is not Scalar:  # (the items of most lists: none)
                out.extend(_substitutions(x))
        return out
    return []


def _template_name(path: str) -> str:
    """`AcmeTemplates.acme-events.Fields` -> `acme-events`."""
    parts = path.split(".")
    if len(parts) > 1 and parts[-1].lower() == "fields":
        parts = parts[:-1]
    return parts[-1]


def _definitions(name: str, objects: list, top: Obj) -> list:
    return [v for o in [top, *objects] for k, v, _ in o.entries if k == name and isinstance(v, Obj)]


def _templates(parser: Obj, objects: list, top: Obj) -> tuple[list, Obj | None]:
    """(the template bodies the page prints for this parser, the one its Fields extend).

    First the templates it names (`${A.acme-events}{`, `Fields = ${A.acme-events.Fields}[`)
    when the page defines them anywhere, then objects written inside it that look like a
    template body (`acme-events = { Vendor = ... }`): the generator prints the body of the
    template a parser extends inside the parser's block, often without the `${...}` line."""
    out: list = []
    fields_from = None
    named = [parser.template] if parser.template else []
    field_refs = [_template_name(p) for p in _substitutions(parser.get("fields"))]
    for name in named + field_refs:
        for body in _definitions(name, objects, top):
            if body is not parser and body not in out:
                out.append(body)
    for name in field_refs:
        bodies = _definitions(name, objects, top)
        if bodies and fields_from is None:
            fields_from = bodies[0]
    for k, v, _ in parser.entries:
        if k and isinstance(v, Obj) and v not in out and any(v.get(key) is not None for key in _TEMPLATE_KEYS):
            out.append(v)
    return out, fields_from


def _descendants(obj: Obj, acc: set) -> set:
    for _, v, _ in obj.entries:
        for x in (v if isinstance(v, (Lst, Concat)) else [v]):
            if isinstance(x, Obj):
                acc.add(id(x))
                _descendants(x, acc)
    return acc


def parse_config(text: str, page_key: str | None = None) -> dict:
    """Read one config block. Returns {parser, vendor, product, version, data_type,
    time_formats, conditions, fields, others, cut, junk, named_by_key}; parser is None when no
    object in the block has a Name, unless `page_key` (see page_key) names one by its key."""
    # Reading allocates about a hundred thousand small tuples and objects per large block, none
    # of them in a reference cycle; with the cyclic collector on, those allocations trigger
    # collections that rescan the caller's whole heap (a third of the time here). Pause it,
    # and restore whatever state the caller had.
    if not gc.isenabled():
        return _parse_config(text, page_key)
    gc.disable()
    try:
        return _parse_config(text, page_key)
    finally:
        gc.enable()


def page_key(path: str) -> str | None:
    """The parser a page is named after, as a key to compare: `Ps/pC_boxactivity.md`,
    `Parsers/parserContent_box-activity.md` -> `boxactivity` (letters and digits only, as the
    file names drop the hyphens)."""
    stem = path.rsplit("/", 1)[-1].rsplit(".", 1)[0]
    for prefix in ("pc_", "parsercontent_"):
        if stem.lower().startswith(prefix):
            return _squash(stem[len(prefix):]) or None
    return None


# (`\w` is a letter or digit as str.isalnum() says, or `_`.)
_NOT_ALNUM = re.compile(r"[\W_]+")


def _squash(name: str) -> str:
    """The letters and digits of a name, lower-cased."""
    return _NOT_ALNUM.sub("", name.lower())


def _keyed(text: str, top: Obj, objects: list, key: str) -> list:
    """[(key as written, object)] bound to the page's parser name and reading like a parser
    (`box-activity = { Vendor = ... }` on `pC_boxactivity.md`, or `= ${T.t}{ ... }`).
    Only under an object that is a mere wrapper (no parser keys of its own: then it is the
    parser, and the keyed one a template inside it), and never one a `${...}` names (a
    template the parser extends)."""
    found = []
    for o in [top, *objects]:
        if any(o.get(x) is not None for x in _TEMPLATE_KEYS):
            continue
        for k, v, _ in o.entries:
            if isinstance(v, Concat) and v and isinstance(v[-1], Obj):
                v = v[-1]  # `key = ${T.t}{ ... }`
            if not (isinstance(v, Obj) and k and _squash(k) == key):
                continue
            if any(v.get(x) is not None for x in _TEMPLATE_KEYS) and not re.search(
                    r"\$\{[^}\n]*(?<![\w-])" + re.escape(k) + r"(?![\w-])", text):
                found.append((k, v))
    return found


def _parse_config(text: str, page_key: str | None = None) -> dict:
    reader = Reader(text)
    top = reader.read()
    parsers = [o for o in reader.objects if _is_parser(o)]
    result: dict = {"parser": None, "others": [], "cut": reader.cut, "junk": reader.junk, "named_by_key": None}
    keyed = None
    if not parsers and page_key:
        # Some pages print a parser's body under its key, without `Name` (the key and the
        # page's file name say the same name): that object is the parser, named by its key
        # (before any object with a Name nested in it, such as a SOAR entity's).
        found = _keyed(text, top, reader.objects, page_key)
        if found:
            keyed = found[0]
            parsers = [keyed[1]]
            result["named_by_key"] = keyed[0]
            result["others"] = [(v.start, k) for k, v in found[1:]]
    if not parsers:
        named = [o for o in reader.objects if o.get("name") is not None]
        parsers = named[:1]
    if not parsers:
        return result
    p = parsers[0]
    if keyed is None and len(parsers) > 1:  # (most blocks hold one parser: nothing to compare)
        inside = _descendants(p, set())
        result["others"] = [(o.start, _scalar(o.get("name"))) for o in parsers[1:] if id(o) not in inside
                            or _scalar(o.get("name")) != _scalar(p.get("name"))]
    templates, fields_from = _templates(p, reader.objects, top)

    def own_or_template(key):
        value = p.get(key)
        if value is None:
            for t in templates:
                value = t.get(key)
                if value is not None:
                    break
        return value

    result["parser"] = _scalar(p.get("name")) if keyed is None else keyed[0]
    result["vendor"] = _scalar(own_or_template("vendor"))
    result["product"] = _scalar(own_or_template("product"))
    result["version"] = _scalar(own_or_template("parserversion"))
    result["data_type"] = _scalar(own_or_template("datatype"))
    def listed(key):  # the strings of a list key, a `+=` appended to the template's
        value = own_or_template(key)
        strings, _ = _strings(value)
        if APPENDED in _substitutions(value):
            base = next((t.get(key) for t in templates if t.get(key) is not None), None)
            strings = _strings(base)[0] + strings
        return strings

    result["time_formats"] = listed("timeformat")
    result["conditions"] = listed("conditions")
    # Fields: HOCON `Fields = ${T.Fields}[...]` is T's list then the parser's own; a plain
    # `Fields = [...]` replaces the template's; no Fields at all inherits the template's.
    own, extends = _strings(p.get("fields"))
    strings = own
    if extends:
        if fields_from is None and APPENDED in _substitutions(p.get("fields")):
            fields_from = next((t for t in templates if t.get("fields") is not None), None)
        if fields_from is not None:
            strings = _strings(fields_from.get("fields"))[0] + own
    elif p.get("fields") is None:
        for t in templates:
            if t.get("fields") is not None:
                strings = _strings(t.get("fields"))[0]
                break
    result["fields"] = field_names(strings)
    return result


# --------------------------------------------------------------------------------------------
# the page

# A `Name` key at the start of a line or after `{` / `,`: HOCON `Name = x` or JSON `"name": "x"`.
# Only a hint (a log sample may say `name=bob` too); what decides is whether the block's parse
# yields a parser.
NAME_KEY = re.compile(r'(?:^|[{,])[ \t]*"?name"?[ \t]*[=:]', re.IGNORECASE | re.MULTILINE)
# `key = {` or `key = [` opening a line: config syntax, which a log sample's `user=bob` is not.
# A key only parser configs have: a block with one is a config, not a log sample.
_PARSER_KEY = re.compile(r'^[ \t]*"?(?:conditions|fields|timeformat|parserversion|datatype)"?[ \t]*=',
                         re.IGNORECASE | re.MULTILINE)
_CONFIG_SHAPE = re.compile(r'^[ \t]*"?[\w.-]+"?[ \t]*=[ \t]*[{\[]', re.MULTILINE)


def _choose(blocks: list, key: str | None) -> tuple:
    """(the config block, its parse, other blocks that hold a parser too, other blocks shaped
    like a config that hold none).

    Pages may carry other code blocks (a `Sample Log`, often with `key=value` text) before or
    after the config, so the block is chosen by what it holds: the first one whose parse yields
    a parser. When none does, the first block shaped like a config (`key = {`), else the first
    with a Name key, else the first with `=` (its missing Name is then reported there). Blocks
    without a parser are not configs: nothing of theirs is lost, so they are not reported."""
    named = [c for c in blocks if NAME_KEY.search(c.text)]
    parsed = [(c, parse_config(c.text, key)) for c in named]
    configs = [(c, cfg) for c, cfg in parsed if cfg["parser"] is not None]
    if configs:
        chosen = configs[0][0]
        # A block shaped like a config but holding no parser, beside the one read: its
        # content is lost, so it is reported (as a config without Name).
        broken = [c for c in blocks if c is not chosen and all(c is not x for x, _ in configs)
                  and _CONFIG_SHAPE.search(c.text) and _PARSER_KEY.search(c.text)]
        return chosen, configs[0][1], [c for c, _ in configs[1:]], broken
    block = next((c for c in blocks if _CONFIG_SHAPE.search(c.text)), named[0] if named else blocks[0])
    cfg = next((cfg for c, cfg in parsed if c is block), None)
    return block, cfg if cfg is not None else parse_config(block.text, key), [], []


def extract(result, doc, tables) -> None:
    path = result.path
    blocks = [c for c in doc.code if "=" in c.text]
    if not blocks:
        result.issues.append(issue(path, doc.code[0].line if doc.code else None, "missing-parser-config",
                                   "no config block (`{ Name = ... }`) on a parser-config page"))
    else:
        _config(result, *_choose(blocks, page_key(path)))
    # No real parser page has a table; one that does holds something no output table takes.
    for table, _kind, _meanings in tables:
        result.issues.append(issue(path, table.line, "unknown-table",
                                   "a table on a parser-config page; not read"))


def _config(result, block, cfg, extra_blocks, broken_blocks) -> None:
    path = result.path
    for other in broken_blocks:
        result.issues.append(issue(path, other.line, "missing-parser-name",
                                   "a config block without `Name = ...` beside the one read; not read"))
    first = block.line + 1  # the block's text starts on the line after the fence

    def line_of(offset: int) -> int:
        return first + block.text.count("\n", 0, offset)

    if cfg["parser"] is None:
        result.issues.append(issue(path, block.line, "missing-parser-name",
                                   "the config block has no `Name = ...`; no parser record"))
    else:
        if cfg["named_by_key"] is not None:
            result.issues.append(issue(path, block.line, "parser-named-by-key",
                                       f"the config has no `Name = ...`; its parser is named by its key "
                                       f"{cfg['named_by_key']!r}, which the page's file name matches"))
        result.add("parsers", (cfg["parser"], cfg["vendor"], cfg["product"], cfg["version"],
                               cfg["data_type"], cfg["time_formats"], cfg["conditions"], cfg["fields"],
                               path, block.line))
    if cfg["others"]:
        names = [name for _, name in cfg["others"]]
        shown = ", ".join(repr(n) for n in names[:3]) + (f" and {len(names) - 3} more" if len(names) > 3 else "")
        result.issues.append(issue(path, line_of(cfg["others"][0][0]), "extra-parser-config",
                                   f"{len(names)} more parser config(s) in the block ({shown}); "
                                   f"only the first, {cfg['parser']!r}, is read"))
    for start in cfg["cut"]:
        result.issues.append(issue(path, line_of(start), "truncated-parser-config",
                                   "a string cut off at the end of its line: the rest of this config "
                                   "is not on the page"))
    # Text that is not `key = value` (usually fragments of other configs pasted in by the docs
    # generator): one issue per run of consecutive lines.
    runs: list = []
    for start, text in cfg["junk"]:
        line = line_of(start)
        if runs and line - runs[-1][1] <= 1:
            runs[-1][1] = line
            runs[-1][2] += 1
        else:
            runs.append([line, line, 1, text])
    for first_line, last_line, count, text in runs:
        short = text if len(text) <= 60 else text[:57] + "..."
        where = f"lines {first_line}-{last_line}" if last_line > first_line else f"line {first_line}"
        result.issues.append(issue(path, first_line, "bad-parser-config",
                                   f"{where}: {short!r}{' and more' if count > 1 else ''} "
                                   "is not `key = value`; not read"))
    for extra in extra_blocks:
        result.issues.append(issue(path, extra.line, "extra-parser-config",
                                   "a second config block on the page; not read"))
