"""Parser-config, use-case and root index pages: parsers, use_case_products, parser_renames,
technique_rule_counts, data_source_index, product_categories.

The small pages below were written by hand in the docs' format (not copied from any release);
every expected record was read off them by hand. Line numbers are 1-based lines of the page:
the table row a record comes from, or the opening fence of a parser's config block.

The corpus tests at the end count parser pages, rename rows and use-case technique items with
their own plain-text code (no extractor code) and compare with the tables, per page.
"""
from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import pytest

try:
    from conftest import CORPUS_ARCHIVES
except ImportError:  # tests/ turned into a package
    from tests.conftest import CORPUS_ARCHIVES


try:
    from pagetools import convert, issues, key as _key, rows
except ImportError:  # tests/ turned into a package
    from tests.pagetools import convert, issues, key as _key, rows


# ---------------------------------------------------------------------------------------------
# parser-config pages

PS_TEMPLATE = "DS/Kestrel/kestrel_gate/Ps/pC_kestrelgatecefvpnloginsuccess.md"
PS_TEMPLATE_TEXT = r'''#### Parser Content
```Java
{
Name = kestrel-gate-cef-vpn-login-success
  DataType = "vpn-login"
  Conditions = [ """CEF:""", """|Kestrel|Gate|""", """"act":"login"""" ]
  Fields = ${KestrelParsersTemplates.kestrel-gate-events.Fields}[
    """suser=({user}[\w.-]+)""",
    """"session":"({session_id}[^"]+)"""",
  ]

kestrel-gate-events = {
    Vendor = Kestrel Networks
    Product = Kestrel Gate
    # comments are not fields: ({not_a_field}x)
    TimeFormat = ["yyyy-MM-dd HH:mm:ss", "epoch"]
    Fields = [
      """rt=({time}\d{13})""",
      """src=({src_ip}[\d.]+)(:({src_port}\d+))?""",
      """duser=(({=user}[^@]+)@({domain}\S+))""",
      """exa_json_path=$.host,exa_field_name=host"""

}
```
'''

PS_FLAT = "DS/Kestrel/kestrel_gate/Ps/pC_kestrelgatejsonvpnlogout.md"
PS_FLAT_TEXT = r'''#### Parser Content
```Java
{
Name = "kestrel-gate-json-vpn-logout"
Vendor = "Kestrel Networks"
Product = "Kestrel Gate"
ParserVersion = "v1.0.0"
TimeFormat = "yyyy-MM-dd'T'HH:mm:ss.SSSZ"
Conditions = [
  """"event":"logout""""
  """kestrel"""
]
Fields = [
  """exa_json_path=$.ts,exa_field_name=time""",
  """exa_json_path=$.who,exa_regex=({user}[^@]+)@({domain}.+)""",
  """"ip":"({src_ip}[^"]+)""""
]
DupFields = [ "user->account" ]
}
```
'''

PS_CUT = "DS/Kestrel/kestrel_gate/Ps/pC_kestrelgatekvalert.md"
PS_CUT_TEXT = r'''#### Parser Content
```Java
{
Name = kestrel-gate-kv-alert
  ParserVersion = v1.0.0
  Vendor = Kestrel Networks
  Conditions = [ """alert=""" ]
  Fields = [
    """alert=({alert_name}[^;]+)""",
    """detail=\{({additional_info}[^}
}
```
'''

PS_NONAME = "DS/Kestrel/kestrel_gate/Ps/pC_kestrelgatebroken.md"
PS_NONAME_TEXT = '''#### Parser Content
```Java
{
  Vendor = Kestrel Networks
  Conditions = [ """x""" ]
}
```
'''

PS_TWO = "DS/Kestrel/kestrel_gate/Ps/pC_kestrelgatetwo.md"
PS_TWO_TEXT = '''#### Parser Content
```Java
{
Name = kestrel-gate-str-first
  Conditions = [ """first""" ]
  ParserVersion = "v1.0.0"
}
${KestrelParsersTemplates.kestrel-gate-events}{
  Name = kestrel-gate-str-second
  Conditions = [ """second""" ]
}
```
'''


def test_parser_configs(tmp_path):
    t = convert(tmp_path, {PS_TEMPLATE: PS_TEMPLATE_TEXT, PS_FLAT: PS_FLAT_TEXT, PS_CUT: PS_CUT_TEXT,
                           PS_NONAME: PS_NONAME_TEXT, PS_TWO: PS_TWO_TEXT})
    assert rows(t, "parsers") == sorted([
        # vendor/product/time formats from the template body printed inside the block; fields:
        # the template's list, then the parser's own (`${...Fields}[...]`), first appearance.
        ("kestrel-gate-cef-vpn-login-success", "Kestrel Networks", "Kestrel Gate", None, "vpn-login",
         ["yyyy-MM-dd HH:mm:ss", "epoch"], ["CEF:", "|Kestrel|Gate|", '"act":"login"'],
         ["time", "src_ip", "src_port", "user", "domain", "host", "session_id"], PS_TEMPLATE, 2),
        ("kestrel-gate-json-vpn-logout", "Kestrel Networks", "Kestrel Gate", "v1.0.0", None,
         ["yyyy-MM-dd'T'HH:mm:ss.SSSZ"], ['"event":"logout"', "kestrel"],
         ["time", "user", "domain", "src_ip"], PS_FLAT, 2),
        ("kestrel-gate-kv-alert", "Kestrel Networks", None, "v1.0.0", None, [], ["alert="],
         ["alert_name", "additional_info"], PS_CUT, 2),
        ("kestrel-gate-str-first", None, None, "v1.0.0", None, [], ["first"], [], PS_TWO, 2),
    ], key=_key)
    assert issues(t) == sorted([
        (PS_CUT, 10, "truncated-parser-config"),
        (PS_NONAME, 2, "missing-parser-name"),
        (PS_TWO, 8, "extra-parser-config"),
    ], key=_key)
    kinds = dict(zip(t["pages"]["source_path"], t["pages"]["kind"]))
    assert {kinds[p] for p in (PS_TEMPLATE, PS_FLAT, PS_CUT, PS_NONAME, PS_TWO)} == {"parser_config"}


# A parser printed under its key, with no `Name` (as on some 2022 pages): the key and the
# file name say the same name. On a page named otherwise, or for an object that holds no parser
# key, nothing is named.
PS_KEYED = "DS/Kestrel/kestrel_gate/Ps/pC_kestrelgateapplogin.md"
PS_KEYED_TEXT = '''#### Parser Content
```Java
{
kestrel-gate-app-login = {
  Vendor = Kestrel Networks
  DataType = "app-login"
  TimeFormat = "epoch"
  Fields = [
    """user=({user}\\S+)""",
    """src=({src_ip}[\\d.]+)""",
  ]
}
}
```
'''
PS_KEYED_ELSEWHERE = "DS/Kestrel/kestrel_gate/Ps/pC_kestrelgateother.md"
PS_KEYED_EMPTY = "DS/Kestrel/kestrel_gate/Ps/pC_kestrelgatenothing.md"
PS_KEYED_EMPTY_TEXT = "#### Parser Content\n```Java\n{\nkestrel-gate-nothing = {\n  Lms = Splunk\n}\n}\n```\n"


GLUED = "| Old Parser Name | New-Scale Parser Name || --- | --- |"


def _read(page: str, path: str = "ParsersLegacy/x.md"):
    from extractor.extract import extract_bytes

    r = extract_bytes(path, page.encode())
    return r.rows.get("parser_renames", []), sorted((i[1], i[3]) for i in r.issues)


def test_a_glued_header_right_under_a_table_is_a_row_of_it():
    """The second of two glued headers in a row is under the first table once that is read:
    a row of it (too long: ragged), as it would be under any table; its delimiter is no row."""
    rows, found = _read(f"# T\n\n{GLUED}\n{GLUED}\n| a | b |\n")
    assert [r[:2] + r[3:] for r in rows] == [("Old Parser Name", "New-Scale Parser Name", 4), ("a", "b", 5)]
    assert found == [(3, "glued-table-header"), (4, "ragged-row")]


def test_lines_that_only_look_glued_are_not_cut():
    # an empty cell before `---`, and a header with more cells than its delimiter
    for page in ("# T\n\n| x | | --- |\n| y | z |\n",
                 "# T\n\n| Old Parser Name | New-Scale Parser Name || --- |\n| y | z |\n"):
        rows, found = _read(page)
        assert rows == []
        assert found == [(3, "rows-outside-table")]  # the line and the row under it
    # header, delimiter and a row all on one line: its row is lost, and said to be
    rows, found = _read(f"# T\n\n{GLUED}| old-a | new-a |\n")
    assert rows == [] and found == [(3, "rows-outside-table")]


def test_a_glued_header_inside_a_list_item():
    """Cut in two, the delimiter row keeps the header's indent, so the table stays in the item
    (as the same table written on two lines would)."""
    rows, found = _read(f"# T\n\n- item\n\n  {GLUED}\n  | old-a | new-a |\n")
    assert [r[:2] + r[3:] for r in rows] == [("old-a", "new-a", 6)]
    assert found == [(5, "glued-table-header")]


def test_a_glued_header_inside_a_block_quote():
    """Cut in two as in a list item, the delimiter row keeps the quote's `> `; table rows in a
    quote that belong to no table are reported like any other."""
    rows, found = _read(f"# T\n\n> {GLUED}\n> | old-a | new-a |\n")
    assert [r[:2] + r[3:] for r in rows] == [("old-a", "new-a", 4)]
    assert found == [(3, "glued-table-header")]
    rows, found = _read("# T\n\n> | old-a | new-a |\n> | old-b | new-b |\n")
    assert rows == [] and found == [(3, "rows-outside-table")]
    # a quoted table, written as usual, is no row outside a table
    rows, found = _read("# T\n\n> | Old Parser Name | New-Scale Parser Name |\n> | --- | --- |\n> | old-a | new-a |\n")
    assert [r[:2] + r[3:] for r in rows] == [("old-a", "new-a", 5)]
    assert found == []


def test_a_delimiter_row_with_tabs():
    """GitHub reads `|---\t|---|` as a delimiter row, the Markdown parser does not: the table
    is read, with a warning at the delimiter's line; inside a code block nothing changes."""
    rows, found = _read("# T\n\n| Old Parser Name | New-Scale Parser Name |\n|---\t|\t---|\n| old-a | new-a |\n")
    assert [r[:2] + r[3:] for r in rows] == [("old-a", "new-a", 5)]
    assert found == [(4, "tab-in-delimiter")]
    # without its leading pipe (a delimiter row GitHub reads too), and in a block quote
    rows, found = _read("# T\n\n| Old Parser Name | New-Scale Parser Name |\n---\t| ---\n| old-a | new-a |\n")
    assert [r[:2] + r[3:] for r in rows] == [("old-a", "new-a", 5)]
    assert found == [(4, "tab-in-delimiter")]
    rows, found = _read("# T\n\n> | Old Parser Name | New-Scale Parser Name |\n> :--\t|\t--:\n> | old-a | new-a |\n")
    assert [r[:2] + r[3:] for r in rows] == [("old-a", "new-a", 5)]
    assert found == [(4, "tab-in-delimiter")]
    # a line with a tab and a pipe that is no delimiter row changes nothing
    rows, found = _read("# T\n\n| old-a | new-a |\nnot\t| a delimiter row\n")
    assert rows == [] and found == [(3, "rows-outside-table")]
    from extractor import markdown
    from extractor.extract import extract_bytes

    page = "# Notes\n```\n| a |\n|---\t|\n```\n"
    assert extract_bytes("x.md", page.encode()).issues == []
    assert markdown.parse(page).code[0].text == "| a |\n|---\t|\n"


def test_parser_named_by_its_key(tmp_path):
    t = convert(tmp_path, {PS_KEYED: PS_KEYED_TEXT, PS_KEYED_ELSEWHERE: PS_KEYED_TEXT,
                           PS_KEYED_EMPTY: PS_KEYED_EMPTY_TEXT})
    assert rows(t, "parsers") == [
        ("kestrel-gate-app-login", "Kestrel Networks", None, None, "app-login", ["epoch"], [],
         ["user", "src_ip"], PS_KEYED, 2)]
    assert issues(t) == sorted([
        (PS_KEYED, 2, "parser-named-by-key"),
        (PS_KEYED_ELSEWHERE, 2, "missing-parser-name"),
        (PS_KEYED_EMPTY, 2, "missing-parser-name"),
    ], key=_key)


def _config_page(body: str) -> str:
    return "#### Parser Content\n```Java\n{\n" + body + "}\n```\n"


@pytest.mark.parametrize("body, parsed, codes", [
    # a template the nameless parser holds, named like the page: not the parser
    ('  Vendor = Box\n  Conditions = [ """ev""" ]\n  box-activity = {\n    Vendor = Box\n  }\n',
     None, ["missing-parser-name"]),
    # a template another object extends (`${...box-activity}`): not the parser
    ('T = {\n box-activity = {\n  Vendor = Box\n }\n}\nx = ${T.box-activity}{\n Conditions = [ """x""" ]\n}\n',
     None, ["missing-parser-name"]),
    # the parser extending a template itself
    ('box-activity = ${T.t}{\n Vendor = Box\n Conditions = [ """x""" ]\n}\n',
     ("box-activity", "Box", ["x"]), ["parser-named-by-key"]),
    # an object with a Name inside it (a SOAR entity) does not name the parser
    ('box-activity = {\n Vendor = Box\n SOAR {\n  Name = user-entity\n }\n}\n',
     ("box-activity", "Box", []), ["parser-named-by-key"]),
    # two objects under the page's name: the first is read, the other said
    ('box-activity = {\n Vendor = Box\n}\nboxactivity = {\n Vendor = Box2\n}\n',
     ("box-activity", "Box", []), ["extra-parser-config", "parser-named-by-key"]),
])
def test_what_a_key_does_not_name(body, parsed, codes):
    from extractor.extract import extract_bytes

    r = extract_bytes("DS/Box/box/Ps/pC_boxactivity.md", _config_page(body).encode())
    assert [(p[0], p[1], p[6]) for p in r.rows.get("parsers", [])] == ([parsed] if parsed else [])
    assert sorted(i[3] for i in r.issues) == codes


def test_config_reader_odd_syntax():
    from extractor.pages.parser_config import parse_config

    cfg = parse_config('{\n Name = a // a comment\n Conditions = ["""x"""] # another\n'
                       ' Fields = ${T.t.Fields}\n}')
    assert (cfg["parser"], cfg["conditions"], cfg["fields"], cfg["junk"], cfg["cut"]) == ("a", ["x"], [], [], [])
    # Nothing nests this deep in a real config: read without recursing forever, never raise.
    assert parse_config("{" * 5000 + "Name = deep")["parser"] == "deep"
    assert parse_config("[" * 5000)["parser"] is None


TEMPLATE_T = '\nt = {\n Vendor = V\n Fields = [ """({host}x)""" ]\n}\n'


@pytest.mark.parametrize("config, vendor, fields", [
    # HOCON `+=` appends to what the key held: the template's fields, then the parser's own
    ('${T.t}{\nName = a\nConditions = [ """x""" ]\nFields += [\n  """user=({user}\\S+)"""\n]\n}' + TEMPLATE_T,
     "V", ["host", "user"]),
    ('${T.t}{\nName = a\nConditions = [ """x""" ]\nFields+=[\n  """u=({user}\\S+)""",\n  """s=({src_ip}x)"""\n]\n}'
     + TEMPLATE_T, "V", ["host", "user", "src_ip"]),
    # with no template to append to, its own
    ('{\nName = a\nConditions = [ """x""" ]\nFields+=[ """({user}x)""" ]\n}', None, ["user"]),
    # a plain `=` replaces the template's list
    ('${T.t}{\nName = a\nConditions = [ """x""" ]\nFields = [ """({user}x)""" ]\n}' + TEMPLATE_T, "V", ["user"]),
    # an earlier value of the key in the same object, then the appended one
    ('{\nName = a\nConditions = [ """x""" ]\nFields = [ """({host}x)""" ]\nFields += [ """({user}x)""" ]\n}', None,
     ["host", "user"]),
])
def test_fields_appended_with_plus_equals(config, vendor, fields):
    from extractor.pages.parser_config import parse_config

    cfg = parse_config(config)
    assert (cfg["parser"], cfg["vendor"], cfg["fields"], cfg["junk"]) == ("a", vendor, fields, [])


def test_table_rows_outside_tables(tmp_path):
    pages = {
        # the docs generator's habit: header and delimiter glued, here with rows under them:
        # read as the table all the same, with a warning
        "ParsersLegacy/g_parsers.md": "| Old Parser Name | New-Scale Parser Name || --- | --- |\n"
                                      "| old-a | new-a |\n| old-b | new-b |\n",
        # the same with no rows: nothing is lost, nothing to say
        "ParsersLegacy/h_parsers.md": "| Old Parser Name | New-Scale Parser Name || --- | --- |\n",
        # glued, but the delimiter has one cell for two headers: no table, the rows are lost
        "ParsersLegacy/i_parsers.md": "| Old Parser Name | New-Scale Parser Name || --- |\n| old-x | new-x |\n",
        # a table shown in a code block, and a good table: no issue
        "notes.md": "# Notes\n\n```\n| a | b |\n```\n\n| Old Parser Name | New-Scale Parser Name |\n"
                    "| --- | --- |\n| old-c | new-c |\n",
        # a row cut off from its table by a blank line
        "more.md": "| Old Parser Name | New-Scale Parser Name |\n| --- | --- |\n| old-d | new-d |\n\n| old-e | new-e |\n",
    }
    t = convert(tmp_path, pages)
    issues_ = t["issues"][t["issues"]["code"] == "rows-outside-table"]
    assert sorted(zip(issues_["source_path"], issues_["source_line"], issues_["message"])) == [
        ("ParsersLegacy/i_parsers.md", 1, "2 line(s) written as table rows are in no table (a table header "
                                          "among them has its delimiter row on the same line); not read"),
        ("more.md", 5, "1 line(s) written as table rows are in no table; not read"),
    ]
    glued = t["issues"][t["issues"]["code"] == "glued-table-header"]
    assert list(zip(glued["source_path"], glued["source_line"], glued["severity"])) == [
        ("ParsersLegacy/g_parsers.md", 1, "warning")]
    renames = t["parser_renames"].sort_values("old_parser")
    assert list(zip(renames["old_parser"], renames["new_parser"], renames["source_path"])) == [
        ("old-a", "new-a", "ParsersLegacy/g_parsers.md"), ("old-b", "new-b", "ParsersLegacy/g_parsers.md"),
        ("old-c", "new-c", "notes.md"), ("old-d", "new-d", "more.md")]
    kinds = dict(zip(t["pages"]["source_path"], t["pages"]["kind"]))
    assert kinds["ParsersLegacy/h_parsers.md"] == "parser_renames"  # an empty table of renames


def test_glued_header_keeps_the_lines_and_offsets_of_the_page():
    """The page is parsed with the glued line cut in two; every line and byte range is still
    that of the page as written (the delimiter row shares its header's line)."""
    from extractor.extract import extract_bytes

    page = ("# Renames\n\nSee below.\n\n| Old Parser Name | New-Scale Parser Name || --- | --- |\n"
            "| old-a | new-a |\n| old-b | new-b |\n\n| stray | row |\n\n"
            "| Old Parser Name | New-Scale Parser Name || --- | --- |\n| old-c | new-c |\n")
    r = extract_bytes("ParsersLegacy/x.md", page.encode())
    lines = page.split("\n")
    assert [row[3] for row in r.rows["parser_renames"]] == [
        lines.index("| old-a | new-a |") + 1, lines.index("| old-b | new-b |") + 1,
        lines.index("| old-c | new-c |") + 1]
    assert sorted((i[1], i[3]) for i in r.issues) == [
        (5, "glued-table-header"),
        (lines.index("| stray | row |") + 1, "rows-outside-table"),  # found between the two tables
        (11, "glued-table-header"),
    ]


@pytest.mark.parametrize("page", [
    "<!--\n| a | b |\n-->\n",                                # an HTML comment
    "<pre>\n| a | b |\n</pre>\n",                             # an HTML block
    "    code\n    | a | b |\n",                              # an indented code block
    "| a |\n---\n",                                          # a setext heading
    "| a | b |\n|---|---|\n| 1 | 2 |\n|",                      # cut off: truncated-table only
])
def test_lines_like_rows_that_are_not_lost_rows(page):
    from extractor.extract import extract_bytes

    codes = [i[3] for i in extract_bytes("p.md", page.encode()).issues]
    assert "rows-outside-table" not in codes


@pytest.mark.parametrize("page, line", [
    ("a | b\n--- | ---\n1 | 2\n3 | 4\n\n| orphan | row |\n", 6),   # beside a table without pipes
    ("> | a | b |\n> |---|---|\n> | 1 | 2 |\n\n| orphan | row |\n", 5),  # beside a quoted table
    ("    code\n| orphan | row |\n", 2),                               # right under a code block
])
def test_lost_rows_beside_other_tables(page, line):
    from extractor.extract import extract_bytes

    found = [(i[1], i[3]) for i in extract_bytes("p.md", page.encode()).issues if i[3] != "unread-table"]
    assert found == [(line, "rows-outside-table")]


def test_autolink_inside_a_link():
    from extractor import markdown

    doc = markdown.parse("Before [<https://x.y>](https://x.y) after [ok](z)\n\n| a |\n|---|\n"
                         "| [<https://x.y/T1078> site](https://x.y/T1078)<br>next |\n")
    assert [(url, text) for url, text, _ in doc.links] == [("https://x.y", "https://x.y"), ("z", "ok")]
    assert doc.tables[0].rows[0].cells == [[("a", "https://x.y/T1078", "https://x.y/T1078 site"),
                                            markdown.BR, "next"]]


def _without_item_runs(monkeypatch):
    """Make the config reader tokenize every line with the token pattern (no item runs)."""
    from extractor.pages import parser_config

    plain = parser_config.tokenize
    monkeypatch.setattr(parser_config, "tokenize",
                        lambda text, start=0, end=None, runs=True: plain(text, start, end, runs=False))


# Lines that look like list items, and some that only nearly do. The expected strings were
# worked out by hand from the HOCON rules the reader follows.
ODD_ITEMS = '{\n Name = odd\n Conditions = ["""c"""]\n Fields = [\n' + "\n".join([
    '  """({a}x)""",',          # the usual item
    '"""({b}y)""""',            # an extra quote before the closing ones is text: ({b}y)"
    '  """"""  ,  ',            # empty string, blanks around the comma
    ' """({c}z)""", """({d}w)"""',  # two items on one line: not a run, same strings
    '\t""""({e}v)"""\r',       # CRLF, a quote opening the text
    ']\n}',
])


def test_field_names_in_order_of_first_appearance_across_strings():
    """Names come in the order they first appear, string after string; a JSON name
    (`exa_field_name=`) counts where it stands; no name is made of two strings' pieces; and a
    string met again (its names remembered) reads the same."""
    from extractor.pages.parser_config import field_names

    strings = ['a=({user}x) b=({src_ip}y)', 'exa_json_path=$.t,exa_field_name=time', '({=user}z) ({host}w)',
               '({us', 'er}v)', 'exa_field_name=host ({dest_ip}q)']
    expected = ["user", "src_ip", "time", "host", "dest_ip"]
    assert field_names(strings) == expected
    assert field_names(strings) == expected  # (every string remembered now)
    # (`exa_field_name=host` stands before `({dest_ip}` in its string)
    assert field_names(list(reversed(strings))) == ["host", "dest_ip", "user", "time", "src_ip"]
    assert field_names([]) == []


def test_config_item_runs_read_like_tokens(monkeypatch):
    from extractor.pages.parser_config import parse_config

    cfg = parse_config(ODD_ITEMS)
    assert cfg["fields"] == ["a", "b", "c", "d", "e"]
    assert (cfg["junk"], cfg["cut"]) == ([], [])
    _without_item_runs(monkeypatch)
    assert parse_config(ODD_ITEMS) == cfg


@pytest.mark.parametrize("text", [
    '{\n Name = x\n Conditions = ["""c"""]\n"""({a}x)""",\n"""({b}y)"""\n}',  # items, their `[` lost
    '{\n Name = x\n Conditions = ["""c"""]\n Fields =\n """({a}x)"""\n}',      # key, items below
    '{\n Name = x\n Conditions = [\n """c"""\n """cut\n]\n}',                 # a cut string after a run
    '""""""x"""\n{\n Name = x\n Conditions = ["""c"""]\n}',                       # closes early: not an item
])
def test_config_item_runs_in_odd_places(monkeypatch, text):
    from extractor.pages.parser_config import parse_config

    with_runs = parse_config(text)
    _without_item_runs(monkeypatch)
    assert parse_config(text) == with_runs




def test_config_lines_seen_before_keep_the_offsets_of_where_they_are():
    """The reader remembers lines by their text (they repeat across pages); a line met again
    at another place still reports that place."""
    from extractor.pages import parser_config

    body = '{\n Name = x\n Conditions = ["""c"""]\n Fields = [\n """({a}x)""",\n """cut\n]\n}'
    prefixed = "# moved down\n\n" + body
    parser_config._LINES.clear()
    first = parser_config.parse_config(body)
    second = parser_config.parse_config(prefixed)  # every line of `body` is remembered now
    assert first["cut"] == [body.index('"""cut')]
    assert second["cut"] == [prefixed.index('"""cut')]
    assert (first["fields"], second["fields"]) == (["a"], ["a"])
    remembered = parser_config.tokenize(prefixed)
    parser_config._LINES.clear()
    assert parser_config.tokenize(prefixed) == remembered
    items = [t for t in remembered if t[0] == "run"]
    assert items == [("run", ["({a}x)"], prefixed.index(' """({a}'), prefixed.index(' """cut'))]


# ---------------------------------------------------------------------------------------------
# use-case pages

UC = "UseCases/uc_data_leak.md"
UC_TEXT = """
Use Case: Data Leak
===================

### Vendor: Kestrel Networks
| Product | MITRE ATT&CK® TTP | Content |
|:-------:| ----------------- | ------- |
| [Kestrel Gate](../DS/Kestrel/kestrel_gate/ds_kestrel_kestrel_gate.md) | T1048 - Exfiltration Over Alternative Protocol<br>T1567.002 - Exfiltration to Cloud Storage<br> | [<ul><li>12 Rules</li></ul><ul><li>3 Models</li></ul>](../DS/Kestrel/kestrel_gate/RM/r_m_kestrel_kestrel_gate_Data_Leak.md) |
| [Kestrel Mail](../DS/Kestrel/kestrel_mail/ds_kestrel_kestrel_mail.md) | | [<ul><li>2 Rules</li></ul>](../DS/Kestrel/kestrel_mail/RM/r_m_kestrel_kestrel_mail_Data_Leak.md) |
### Vendor: Obsidian Labs
| Product | Event Types | MITRE TTP | Content |
|:-------:| ----------- | --------- | ------- |
| [Obsidian Print](../DS/Obsidian_Labs/obsidian_print/ds_obsidian_labs_obsidian_print.md) | <ul><li>print-activity</li><li>usb-write</li></li></ul> | T1052 - Exfiltration Over Physical Medium<br> | [<ul><li>4 Models</li></ul>](../DS/Obsidian_Labs/obsidian_print/RM/r_m_obsidian_labs_obsidian_print_Data_Leak.md) |
"""


def test_use_case_page(tmp_path):
    t = convert(tmp_path, {UC: UC_TEXT})
    assert rows(t, "use_case_products") == sorted([
        ("Data Leak", "Kestrel Networks", "Kestrel Gate", "T1048", "Exfiltration Over Alternative Protocol",
         12, 3, None, UC, 8, "../DS/Kestrel/kestrel_gate/ds_kestrel_kestrel_gate.md"),
        ("Data Leak", "Kestrel Networks", "Kestrel Gate", "T1567.002", "Exfiltration to Cloud Storage",
         12, 3, None, UC, 8, "../DS/Kestrel/kestrel_gate/ds_kestrel_kestrel_gate.md"),
        ("Data Leak", "Kestrel Networks", "Kestrel Mail", None, None, 2, None, None, UC, 9, "../DS/Kestrel/kestrel_mail/ds_kestrel_kestrel_mail.md"),
        ("Data Leak", "Obsidian Labs", "Obsidian Print", "T1052", "Exfiltration Over Physical Medium",
         None, 4, "print-activity, usb-write", UC, 13, "../DS/Obsidian_Labs/obsidian_print/ds_obsidian_labs_obsidian_print.md"),
    ], key=_key)
    assert issues(t) == []
    assert list(t["pages"]["kind"]) == ["use_case"]


def test_use_case_page_odd_rows(tmp_path):
    text = """Use Case: Evasion
=================
### Vendor: Kestrel Networks
| Product | MITRE ATT&CK® TTP | Content | Owner |
| ------- | ----------------- | ------- | ----- |
| [Kestrel Gate](x.md) | Valid Accounts<br> | [<ul><li>1 Rules</li></ul>](r.md) | me |
| [Kestrel Mail](y.md) | T1078 - Valid Accounts |
### Vendor:
| Product | MITRE ATT&CK® TTP | Content |
| ------- | ----------------- | ------- |
| [](../DS///ds__.md) | T1110 - Brute Force | [<ul><li>5 Rules</li></ul>](r.md) |
"""
    t = convert(tmp_path, {UC: text})
    assert rows(t, "use_case_products") == sorted([
        ("Evasion", "Kestrel Networks", "Kestrel Gate", None, None, 1, None, None, UC, 6, "x.md"),
        ("Evasion", "Kestrel Networks", "Kestrel Mail", "T1078", "Valid Accounts", None, None, None, UC, 7, "y.md"),
        ("Evasion", None, None, "T1110", "Brute Force", 5, None, None, UC, 11, "../DS///ds__.md"),
    ], key=_key)
    assert issues(t) == sorted([
        (UC, 4, "unknown-column"),   # Owner
        (UC, 6, "bad-ttp"),          # `Valid Accounts` has no technique id
        (UC, 7, "ragged-row"),       # two cells of four
        (UC, 8, "empty-vendor"),
        (UC, 11, "empty-product"),
    ], key=_key)


# ---------------------------------------------------------------------------------------------
# ParsersLegacy, MitreMap, Exabeam Data Sources, Exabeam Product Categories

RENAMES = "ParsersLegacy/k_parsers.md"
RENAMES_TEXT = """| Old Parser Name | New-Scale Parser Name |
| --------------- | --------------------- |
| kestrel-vpn-login | kestrel-gate-cef-vpn-login-success |
| kestrel-vpn-logout | "kestrel-gate-json-vpn-logout |
| "dummy-kestrel-alert | kestrel-gate-kv-alert" |
"""

MITRE = "MitreMap.md"
MITRE_TEXT = """MITRE ATT&CK® Framework for Enterprise
======================================
### MITRE Techniques: 3
| Initial Access | Persistence | Exfiltration |
| -------------- | ----------- | ------------ |
| [Valid Accounts](https://attack.mitre.org/techniques/T1078)<br><br> | [Valid Accounts](https://attack.mitre.org/techniques/T1078)<br><br>[Create Account: Cloud Account](https://attack.mitre.org/techniques/T1136/003)<br><br> | [Exfiltration Over Web Service](https://attack.mitre.org/techniques/T1567)<br><br> |

| TTP Code | Technique: Sub-technique | Rules |
| -------- | ------------------------ | ----- |
| T1078 | [Valid Accounts](https://attack.mitre.org/techniques/T1078)<br><br> | 40 |
| T1078.004 | [T1078.004](https://attack.mitre.org/techniques/T1078/004)<br><br> | 6 |
| T1136.003 | [Create Account: Cloud Account](https://attack.mitre.org/techniques/T1136/003)<br><br> | 2 |
| TA0010 | [TA0010](https://attack.mitre.org/techniques/TA0010)<br><br> | 1 |
"""

DSI = "Exabeam Data Sources.md"
DSI_TEXT = """Exabeam Data Sources
====================

| Vendor | Product |
| ------ | ------- |
| <b>Kestrel Networks</b> | [Kestrel Gate](DS/Kestrel/kestrel_gate/ds_kestrel_kestrel_gate.md)<br>[Kestrel Mail](DS/Kestrel/kestrel_mail/ds_kestrel_kestrel_mail.md)<br> |
| Obsidian Labs | [Obsidian Print](DS/Obsidian_Labs/obsidian_print/ds_obsidian_labs_obsidian_print.md)<br> |
"""

CATS = "Exabeam Product Categories.md"
CATS_TEXT = """Exabeam Product Categories
==========================

| Product Category | Description | Product |
| ---------------- | ----------- | ------- |
| <b>remote access</b> | These products let people reach the network from outside. | [kestrel gate](DS/Kestrel/kestrel_gate/ds_kestrel_kestrel_gate.md)<br> [obsidian print](DS/Obsidian_Labs/obsidian_print/ds_obsidian_labs_obsidian_print.md)<br> |
| <b>email security</b> | -- | [kestrel mail](DS/Kestrel/kestrel_mail/ds_kestrel_kestrel_mail.md)<br> |
"""


def test_index_pages(tmp_path):
    t = convert(tmp_path, {RENAMES: RENAMES_TEXT, MITRE: MITRE_TEXT, DSI: DSI_TEXT, CATS: CATS_TEXT})
    assert rows(t, "parser_renames") == sorted([
        ("kestrel-vpn-login", "kestrel-gate-cef-vpn-login-success", RENAMES, 3),
        ("kestrel-vpn-logout", "kestrel-gate-json-vpn-logout", RENAMES, 4),
        ("dummy-kestrel-alert", "kestrel-gate-kv-alert", RENAMES, 5),
    ], key=_key)
    assert rows(t, "technique_rule_counts") == sorted([
        ("Initial Access", "T1078", "Valid Accounts", 40, MITRE, 10),
        ("Persistence", "T1078", "Valid Accounts", 40, MITRE, 10),
        (None, "T1078.004", "T1078.004", 6, MITRE, 11),
        ("Persistence", "T1136.003", "Create Account: Cloud Account", 2, MITRE, 12),
        (None, "TA0010", "TA0010", 1, MITRE, 13),
        # in the matrix, not in the counts table: rules unknown
        ("Exfiltration", "T1567", "Exfiltration Over Web Service", None, MITRE, 6),
    ], key=_key)
    assert rows(t, "mitre_totals") == [("technique", 3, MITRE, 3)]  # `### MITRE Techniques: 3`
    assert rows(t, "data_source_index") == sorted([
        ("Kestrel Networks", "Kestrel Gate", "DS/Kestrel/kestrel_gate/ds_kestrel_kestrel_gate.md", DSI, 6),
        ("Kestrel Networks", "Kestrel Mail", "DS/Kestrel/kestrel_mail/ds_kestrel_kestrel_mail.md", DSI, 6),
        ("Obsidian Labs", "Obsidian Print",
         "DS/Obsidian_Labs/obsidian_print/ds_obsidian_labs_obsidian_print.md", DSI, 7),
    ], key=_key)
    remote = "These products let people reach the network from outside."
    assert rows(t, "product_categories") == sorted([
        ("remote access", remote, None, "kestrel gate", CATS, 6),
        ("remote access", remote, None, "obsidian print", CATS, 6),
        ("email security", None, None, "kestrel mail", CATS, 7),
    ], key=_key)
    assert issues(t) == sorted([
        (RENAMES, 4, "stray-quote"),
        (RENAMES, 5, "stray-quote"),
        (RENAMES, 5, "stray-quote"),
        (MITRE, 6, "technique-without-count"),
    ], key=_key)
    kinds = dict(zip(t["pages"]["source_path"], t["pages"]["kind"]))
    assert kinds == {RENAMES: "parser_renames", MITRE: "mitre_map", DSI: "index", CATS: "index"}


def test_old_mitre_counts_table(tmp_path):
    """The 2022-era MitreMap: a bare `TTP | Rules` table, ids sometimes listed twice."""
    text = """ATT&CK Matrix for Enterprise
============================
| Initial Access | Execution | Impact |
| -------------- | --------- | ------ |
| [Valid Accounts](https://attack.mitre.org/techniques/T1078)<br><br> | | |

| TTP | Rules |
| --- | ----- |
| T1078 | 12 |
|  T1078 | 3 |
| T1531 | 4 |
"""
    t = convert(tmp_path, {MITRE: text})
    assert rows(t, "technique_rule_counts") == sorted([
        ("Initial Access", "T1078", "Valid Accounts", 12, MITRE, 9),
        ("Initial Access", "T1078", "Valid Accounts", 3, MITRE, 10),
        (None, "T1531", None, 4, MITRE, 11),
    ], key=_key)
    assert issues(t) == [(MITRE, 10, "duplicate-technique")]


# ---------------------------------------------------------------------------------------------
# corpus: counts made without extractor code

NAME_LINE = re.compile(r"^\s*Name\s*=", re.M)
TECH_ITEM = re.compile(r"(?:^|\||<br>)\s*TA?\d{4}(?:\.\d{3})?\s+-\s")
SEPARATOR = re.compile(r"^\|?\s*:?-{3,}")


def _md_files(root: Path):
    for p in sorted(root.rglob("*.md")):
        yield p.relative_to(root).as_posix(), p.read_text(encoding="utf-8", errors="replace")


def _fenced_texts(text: str) -> list[str]:
    out, inside, buf = [], False, []
    for line in text.splitlines():
        if line.lstrip().startswith("```"):
            if inside:
                out.append("\n".join(buf))
                buf = []
            inside = not inside
        elif inside:
            buf.append(line)
    if inside:
        out.append("\n".join(buf))
    return out


def _table_rows(text: str) -> int:
    """Rows of the pipe tables of a page: lines starting `|` after a header and a separator
    line (a header run together with its separator on one line is no table)."""
    n, state = 0, 0  # 0 outside, 1 saw header, 2 in body
    for line in text.splitlines():
        s = line.strip()
        if not s.startswith("|"):
            state = 0
            continue
        if state == 0:
            state = 1
        elif state == 1:
            state = 2 if SEPARATOR.match(s) else 1
        else:
            n += 1
    return n


# What the docs generator does to some parser pages, seen in the raw text: a line with an odd
# number of `"""` runs (a regex cut off at a `}`), several parser names, a pasted fragment of
# another config (`acme-events.Fields}[`, `SSSZ"`), a block with no Name. Such pages may carry
# parser-config issues; every other parser page must have none.
QUOTE_RUN = re.compile(r'"{3,}')
PARSER_NAME = re.compile(r'^\s*Name\s*=\s*"?([^"\s]+)', re.M)
CONFIG_LINE = re.compile(r'^\s*\{?\s*($|[{}\[\],]+\s*$|"|#|//|\$\{|[\w.-]+\s*(=|\{))')
PARSER_ISSUES = {"truncated-parser-config", "bad-parser-config", "extra-parser-config", "missing-parser-name",
                 "parser-named-by-key"}
OBJECT_KEY = re.compile(r"^\s*([\w.-]+)\s*=\s*\{", re.M)


def _keyed_by_file_name(rel: str, block: str) -> bool:
    """A block without Name holding `key = {` where the key, without its hyphens, is what
    the file name says after `pC_` (`box-activity` on `pC_boxactivity.md`)."""
    stem = rel.rsplit("/", 1)[-1][:-len(".md")]
    named = stem[3:] if stem.startswith("pC_") else stem[14:] if stem.startswith("parserContent_") else None
    return named is not None and not NAME_LINE.search(block) and any(k.replace("-", "").lower() == named.lower()
                                                for k in OBJECT_KEY.findall(block))


def _irregular(block: str) -> bool:
    lines = block.splitlines()
    return (any(len(QUOTE_RUN.findall(line)) % 2 for line in lines)
            or len({n for n in PARSER_NAME.findall(block) if "-" in n}) > 1  # parser names have dashes
            or any(not CONFIG_LINE.match(line) for line in lines)
            or not PARSER_NAME.search(block))


@pytest.mark.corpus
@pytest.mark.parametrize("name", CORPUS_ARCHIVES)
def test_corpus_parser_pages(corpus_converted, name):
    run = corpus_converted(name)
    expected, pages, irregular = Counter(), set(), set()
    for rel, text in _md_files(run.tree):
        if "/Ps/" in rel or "/Parsers/" in rel:
            blocks = _fenced_texts(text)[:1]
            pages.add(rel)
            if any(NAME_LINE.search(b) for b in blocks) or any(_keyed_by_file_name(rel, b) for b in blocks):
                expected[rel] += 1
            if not blocks or _irregular(blocks[0]):
                irregular.add(rel)
    assert Counter(run.tables["parsers"]["source_path"]) == expected
    issues_ = run.tables["issues"]
    on_pages = issues_[issues_["source_path"].isin(pages)]
    assert set(on_pages["code"]) <= PARSER_ISSUES
    assert set(on_pages["source_path"]) <= irregular


@pytest.mark.corpus
@pytest.mark.parametrize("name", CORPUS_ARCHIVES)
def test_corpus_configs_read_alike_with_and_without_item_runs(corpus_tree, monkeypatch, name):
    """The fast reading of list-item lines changes nothing on any real config block."""
    from extractor.pages.parser_config import parse_config

    blocks = [b for rel, text in _md_files(corpus_tree(name)) if "/Ps/" in rel or "/Parsers/" in rel
              for b in _fenced_texts(text)[:1]]
    assert len(blocks) > 5000
    with_runs = [parse_config(b) for b in blocks]
    _without_item_runs(monkeypatch)
    assert [parse_config(b) for b in blocks] == with_runs


GLUED_HEADER = re.compile(r"^ {0,3}\|.*\|[ \t]*\|[ \t]*:?-{3,}", re.M)


@pytest.mark.corpus
@pytest.mark.parametrize("name", CORPUS_ARCHIVES)
def test_corpus_no_table_rows_outside_tables(corpus_converted, name):
    """The real trees have tables whose header is glued to its delimiter row, but no rows
    under them: no line of a table is lost, so none is reported."""
    run = corpus_converted(name)
    glued = [rel for rel, text in _md_files(run.tree) if GLUED_HEADER.search(text)]
    assert len(glued) >= 10
    assert not (run.tables["issues"]["code"] == "rows-outside-table").any()


@pytest.mark.corpus
@pytest.mark.parametrize("name", CORPUS_ARCHIVES)
def test_corpus_parser_renames(corpus_converted, name):
    run = corpus_converted(name)
    expected = Counter()
    for rel, text in _md_files(run.tree):
        if rel.startswith("ParsersLegacy/"):
            n = _table_rows(text)
            if n:
                expected[rel] = n
    got = Counter(run.tables["parser_renames"]["source_path"]) if "parser_renames" in run.tables else Counter()
    assert got == expected
    issues_ = run.tables["issues"]
    on_pages = issues_[issues_["source_path"].str.startswith("ParsersLegacy/")]
    # Only the stray `"` left from the CSV the pages were made from.
    assert set(on_pages["code"]) <= {"stray-quote"}


@pytest.mark.corpus
@pytest.mark.parametrize("name", CORPUS_ARCHIVES)
def test_corpus_use_case_techniques(corpus_converted, name):
    run = corpus_converted(name)
    expected = Counter()
    for rel, text in _md_files(run.tree):
        if rel.startswith("UseCases/uc_"):
            n = sum(len(TECH_ITEM.findall(line)) for line in text.splitlines() if line.startswith("|"))
            expected[rel] = n
    ucp = run.tables["use_case_products"]
    got = Counter(ucp[ucp["technique_id"].notna()]["source_path"])
    assert got == +expected
    issues_ = run.tables["issues"]
    on_pages = issues_[issues_["source_path"].str.startswith("UseCases/uc_")]
    # The one irregular entry: the generator's empty vendor/product (`### Vendor: `, `[](../DS///ds__.md)`),
    # once per page that lists it.
    assert set(on_pages["code"]) <= {"empty-vendor", "empty-product"}
    assert (on_pages["code"] == "empty-vendor").sum() == (on_pages["code"] == "empty-product").sum()


@pytest.mark.corpus
@pytest.mark.parametrize("name", CORPUS_ARCHIVES)
def test_corpus_mitre_totals(corpus_converted, name):
    """The MitreMap headings' totals are read, and they agree with the page's counts table
    counted here line by line (ids without a `.` are techniques, tactic ids among them, as the
    page counts them): validate finds nothing on them."""
    run = corpus_converted(name)
    page = run.tree / "MitreMap.md"
    text = page.read_text(encoding="utf-8") if page.exists() else ""  # the 2022 tree has none
    stated = {("sub-technique" if "Sub" in m[1] else "technique"): int(m[2])
              for m in re.finditer(r"^#+ MITRE (Techniques|Sub-techniques): (\d+)$", text, re.M)}
    ids = {m[1] for m in re.finditer(r"^\|\s*(TA?\d{4}(?:\.\d{3})?)\s*\|", text, re.M)}
    totals = run.tables["mitre_totals"]
    got = {r.level: int(r.stated) for r in totals.itertuples()}
    assert got == stated
    if stated:
        assert stated == {"technique": sum("." not in i for i in ids), "sub-technique": sum("." in i for i in ids)}
        import extractor
        checks = extractor.validate(str(run.out)).checks
        assert not (checks["check"] == "mitre-totals").any()


def test_conditions_appended_with_plus_equals():
    from extractor.pages.parser_config import parse_config

    cfg = parse_config('${T.t}{\nName = a\nParserVersion = v1\nConditions += [ """c""" ]\n}\n'
                       't = {\n Vendor = V\n Conditions = [ """t""" ]\n}\n')
    assert (cfg["parser"], cfg["conditions"]) == ("a", ["t", "c"])
