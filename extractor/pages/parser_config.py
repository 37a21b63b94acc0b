"""Parser-config pages (`Ps/pC_*`, 2021 `Parsers/parserContent_*`): parsers.

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
is the page's normal shape, not damage. What is damage, and becomes an issue: a block without
`Name`, a string cut off by the end of the block (the generator stops at a `}` inside a regex),
text that is not `key = value`, and more than one parser config on one page.
"""
from __future__ import annotations

import re

from ..issues import issue

# --------------------------------------------------------------------------------------------
# tokens

_TOKEN = re.compile(r'''
   (?P<nl>\n)
 | (?P<ws>[ \t\r\f\v]+)
 | (?P<comment>(?:\#|//)[^\n]*)
 | (?P<triple>"""[\s\S]*?"*"""(?!"))      # HOCON: extra quotes before the closing """ are text
 | (?P<open3>"""[\s\S]*)                  # never closed: runs to the end of the block
 | (?P<quoted>"(?:[^"\\\n]|\\.)*")
 | (?P<open1>"[^\n]*)                     # never closed: runs to the end of the line
 | (?P<subst>\$\{[^}\n]*\})
 | (?P<punct>[{}\[\],=])
 | (?P<word>(?:[^\s{}\[\],="\#$/]|/(?!/)|\$(?!\{))+)
 | (?P<other>.)
''', re.VERBOSE)
_ESCAPE = re.compile(r'\\(u[0-9a-fA-F]{4}|.)')
_SIMPLE_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", "b": "\b", "f": "\f"}


def _unescape(body: str) -> str:
    def one(m):
        c = m.group(1)
        if c[0] == "u" and len(c) == 5:
            return chr(int(c[1:], 16))
        return _SIMPLE_ESCAPES.get(c, c)
    return _ESCAPE.sub(one, body)


def tokenize(text: str) -> list[tuple]:
    """[(kind, value, start)] without blanks and comments. Kinds: nl, punct, str, word, subst,
    other; a str's value is its text, and kind `cut` marks a string the block cut off."""
    out = []
    for m in _TOKEN.finditer(text):
        kind = m.lastgroup
        raw = m.group()
        if kind in ("ws", "comment"):
            continue
        if kind == "triple":
            out.append(("str", raw[3:-3], m.start()))
        elif kind == "open3":
            out.append(("cut", raw[3:], m.start()))
        elif kind == "quoted":
            out.append(("str", _unescape(raw[1:-1]), m.start()))
        elif kind == "open1":
            out.append(("cut", raw[1:], m.start()))
        elif kind == "subst":
            out.append(("subst", raw[2:-1].lstrip("?").strip(), m.start()))
        else:
            out.append((kind, raw, m.start()))
    return out


# --------------------------------------------------------------------------------------------
# values

class Obj:
    __slots__ = ("entries", "start", "template")

    def __init__(self, start: int):
        self.entries: list = []  # [(key, value, start)]
        self.start = start
        self.template: str | None = None  # `${A.b}{ ... }`: the object extends template `b`

    def get(self, key: str):
        """The last value of `key` (HOCON: a later key wins), or None."""
        found = None
        for k, v, _ in self.entries:
            if k.lower() == key:
                found = v
        return found


class Lst(list):
    __slots__ = ("start",)


class Concat(list):
    """Parts written side by side: `${A.b.Fields}[ ... ]`, `Acme Cloud`."""
    __slots__ = ()


class Scalar:
    __slots__ = ("text", "start", "cut")

    def __init__(self, text: str, start: int, cut: bool = False):
        self.text, self.start, self.cut = text, start, cut


class Subst:
    __slots__ = ("path", "start")

    def __init__(self, path: str, start: int):
        self.path, self.start = path, start


class Reader:
    """A forgiving recursive reader over the tokens of one block. It never raises; text it
    cannot place is kept in `junk` as (start, text)."""

    def __init__(self, text: str):
        self.text = text
        self.toks = tokenize(text)
        self.i = 0
        self.junk: list = []
        self.cut: list = []  # starts of strings the block cut off
        self.objects: list = []  # every object, in document order

    def peek(self, k: int = 0):
        j = self.i + k
        return self.toks[j] if j < len(self.toks) else (None, None, len(self.text))

    def _skip(self, *values):
        while True:
            kind, val, _ = self.peek()
            if kind == "nl" or (kind == "punct" and val in values):
                self.i += 1
            else:
                return

    def read(self) -> list:
        """The top level: bare objects (`{...}`, `${T}{...}`), `key = value` entries."""
        top = Obj(0)
        self._entries(top, closer=None)
        return top

    def _entries(self, obj: Obj, closer: str | None) -> None:
        while True:
            self._skip(",")
            kind, val, start = self.peek()
            if kind is None:
                return
            if kind == "punct" and val in "}]":
                if closer is None:  # a closer with nothing open: stray
                    self.junk.append((start, val))
                    self.i += 1
                    continue
                return  # ours, or an outer one (the generator drops closers): the caller decides
            if kind in ("word", "str") and self._is_key():
                key = self._key()
                kind2, val2, _ = self.peek()
                if kind2 == "punct" and val2 == "=":
                    self.i += 1
                value = self._value()
                obj.entries.append((key, value, start))
                continue
            if kind == "subst" or (kind == "punct" and val == "{"):
                value = self._value()  # a bare object at this level, e.g. the page's parser
                obj.entries.append(("", value, start))
                continue
            # Anything else is not `key = value`: keep it as junk up to the end of the line
            # or the next brace.
            self._junk()

    def _is_key(self) -> bool:
        k = 1
        while self.peek(k)[0] in ("word", "str"):  # `a b = 1` is not HOCON, but keys are one token
            return False
        kind, val, _ = self.peek(k)
        return kind == "punct" and val in ("=", "{")

    def _key(self) -> str:
        kind, val, _ = self.peek()
        self.i += 1
        return val

    def _junk(self) -> None:
        kind, val, start = self.peek()
        end = start
        while True:
            kind, val, s = self.peek()
            if kind is None or kind == "nl" or (kind == "punct" and val in "{}[]"):
                break
            self.i += 1
            end = s + len(val or "")
        if end == start:  # a lone bracket we cannot place
            self.i += 1
            end = start + len(val or "")
        self.junk.append((start, self.text[start:end].strip()))

    def _value(self):
        """One value: parts side by side until a newline, `,` or a closer at this level."""
        parts: list = []
        while True:
            kind, val, start = self.peek()
            if kind is None or kind == "nl":
                break
            if kind == "punct":
                if val == "{":
                    self.i += 1
                    obj = Obj(start)
                    if parts and isinstance(parts[-1], Subst):
                        obj.template = parts[-1].path.rsplit(".", 1)[-1]
                    self.objects.append(obj)
                    self._entries(obj, "}")
                    self._close("}")
                    parts.append(obj)
                    continue
                if val == "[":
                    self.i += 1
                    parts.append(self._list(start))
                    continue
                break  # , ] } = end this value
            self.i += 1
            if kind == "subst":
                parts.append(Subst(val, start))
            elif kind == "cut":
                self.cut.append(start)
                parts.append(Scalar(val, start, cut=True))
            else:
                parts.append(Scalar(val, start))
        if len(parts) == 1:
            return parts[0]
        return Concat(parts)

    def _close(self, closer: str) -> None:
        kind, val, _ = self.peek()
        if kind == "punct" and val == closer:
            self.i += 1
        # Otherwise the block ended, or an outer bracket closes first: the generator's habit of
        # dropping a template's last closer; nothing was lost.

    def _list(self, start: int) -> Lst:
        items = Lst()
        items.start = start
        while True:
            self._skip(",")
            kind, val, s = self.peek()
            if kind is None:
                return items
            if kind == "punct" and val == "]":
                self.i += 1
                return items
            if kind == "punct" and val == "}":
                return items  # the `]` was dropped; the `}` belongs to the object around us
            if kind == "punct" and val == "=":
                self._junk()
                continue
            items.append(self._value())


# --------------------------------------------------------------------------------------------
# what a parser object says

_CAPTURE = re.compile(r"\(\{=?(?P<name>[A-Za-z_][\w.\-]*)\}|exa_field_name=(?P<json>[A-Za-z_][\w.\-]*)")


def _strings(value) -> tuple[list, bool]:
    """(the literal strings of a value, whether it extends a substitution like ${T.Fields})."""
    if value is None:
        return [], False
    if isinstance(value, Scalar):
        return [value.text], False
    if isinstance(value, Subst):
        return [], True
    if isinstance(value, Lst):
        out: list = []
        for item in value:
            out.extend(_strings(item)[0])
        return out, False
    if isinstance(value, Concat):
        if all(isinstance(p, Scalar) for p in value):
            return [_joined(value)], False
        out, extends = [], False
        for part in value:
            strings, ext = _strings(part)
            out.extend(strings)
            extends = extends or ext
        return out, extends
    return [], False  # an object where a string was expected


def _joined(parts) -> str:
    return " ".join(p.text for p in parts)


def _scalar(value) -> str | None:
    if isinstance(value, Scalar):
        return value.text.strip() or None
    if isinstance(value, Concat) and all(isinstance(p, Scalar) for p in value):
        return _joined(value).strip() or None
    return None


def field_names(strings: list) -> list:
    """Captured field names in order of first appearance: `({user}...)`, `({=user}...)`,
    and `exa_field_name=user` (JSON extraction)."""
    seen: dict = {}
    for s in strings:
        for m in _CAPTURE.finditer(s):
            seen.setdefault(m.group("name") or m.group("json"), None)
    return list(seen)


def _is_parser(obj: Obj) -> bool:
    # `Name` alone is not enough: SOAR entity objects inside a parser have a Name too.
    return obj.get("name") is not None and (
        obj.get("conditions") is not None or obj.get("parserversion") is not None)


def _templates(parser: Obj, objects: list) -> list:
    """The template bodies the page prints for this parser: objects written inside it
    (`acme-events = {...}`), then the template named by `${A.acme-events}{` if the page
    defines it."""
    out = [v for k, v, _ in parser.entries if k and isinstance(v, Obj)]
    if parser.template:
        for obj in objects:
            for k, v, _ in obj.entries:
                if k == parser.template and isinstance(v, Obj) and v is not parser and v not in out:
                    out.append(v)
    return out


def _descendants(obj: Obj, acc: set) -> set:
    for _, v, _ in obj.entries:
        for x in (v if isinstance(v, (Lst, Concat)) else [v]):
            if isinstance(x, Obj):
                acc.add(id(x))
                _descendants(x, acc)
    return acc


def parse_config(text: str) -> dict:
    """Read one config block. Returns {parser, vendor, product, version, data_type,
    time_formats, conditions, fields, others, cut, junk}; parser is None when no object in
    the block has a Name."""
    reader = Reader(text)
    reader.read()
    parsers = [o for o in reader.objects if _is_parser(o)]
    if not parsers:
        named = [o for o in reader.objects if o.get("name") is not None]
        parsers = named[:1]
    result = {"parser": None, "others": [], "cut": reader.cut, "junk": reader.junk}
    if not parsers:
        return result
    p = parsers[0]
    inside = _descendants(p, set())
    result["others"] = [(o.start, _scalar(o.get("name"))) for o in parsers[1:] if id(o) not in inside
                        or _scalar(o.get("name")) != _scalar(p.get("name"))]
    templates = _templates(p, reader.objects)

    def own_or_template(key):
        value = p.get(key)
        if value is None:
            for t in templates:
                value = t.get(key)
                if value is not None:
                    break
        return value

    result["parser"] = _scalar(p.get("name"))
    result["vendor"] = _scalar(own_or_template("vendor"))
    result["product"] = _scalar(own_or_template("product"))
    result["version"] = _scalar(own_or_template("parserversion"))
    result["data_type"] = _scalar(own_or_template("datatype"))
    result["time_formats"] = _strings(own_or_template("timeformat"))[0]
    result["conditions"] = _strings(own_or_template("conditions"))[0]
    # Fields: HOCON `Fields = ${T.Fields}[...]` is the template's list then the parser's own;
    # a plain `Fields = [...]` replaces the template's.
    own, extends = _strings(p.get("fields"))
    strings = own
    if extends or p.get("fields") is None:
        for t in templates:
            if t.get("fields") is not None:
                strings = _strings(t.get("fields"))[0] + own
                break
    result["fields"] = field_names(strings)
    return result


# --------------------------------------------------------------------------------------------
# the page

def extract(result, doc, tables) -> None:
    path = result.path
    blocks = [c for c in doc.code if "=" in c.text]
    if not blocks:
        result.issues.append(issue(path, doc.code[0].line if doc.code else None, "missing-parser-config",
                                   "no config block (`{ Name = ... }`) on a parser-config page"))
        return
    block = blocks[0]
    first = block.line + 1  # the block's text starts on the line after the fence

    def line_of(offset: int) -> int:
        return first + block.text.count("\n", 0, offset)

    cfg = parse_config(block.text)
    if cfg["parser"] is None:
        result.issues.append(issue(path, block.line, "missing-parser-name",
                                   "the config block has no `Name = ...`; no parser record"))
    else:
        result.add("parsers", (cfg["parser"], cfg["vendor"], cfg["product"], cfg["version"],
                               cfg["data_type"], cfg["time_formats"], cfg["conditions"], cfg["fields"],
                               path, block.line))
    for start, name in cfg["others"]:
        result.issues.append(issue(path, line_of(start), "extra-parser-config",
                                   f"a second parser config ({name!r}) in the block; only the first is read"))
    for start in cfg["cut"]:
        result.issues.append(issue(path, line_of(start), "truncated-parser-config",
                                   "the block ends inside this string: the rest of the config is not on the page"))
    for start, text in cfg["junk"]:
        short = text if len(text) <= 80 else text[:77] + "..."
        result.issues.append(issue(path, line_of(start), "bad-parser-config",
                                   f"{short!r} is not `key = value`; not read"))
    for extra in blocks[1:]:
        result.issues.append(issue(path, extra.line, "extra-parser-config",
                                   "a second config block on the page; not read"))
