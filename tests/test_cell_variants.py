"""Spellings the three real trees do not use but another release may: other line breaks and
item marks inside cells, items side by side on one line, other header words, tables with a
column more or less. Each page and cell below was written by hand; the expected records are
read off it. The rule: every item on the page becomes a record or an issue, none is invented.
"""
from __future__ import annotations


import pandas as pd
import pytest

import extractor
from extractor import cells, headers
from extractor.markdown import parse

try:
    from pagetools import convert
except ImportError:  # tests/ turned into a package
    from tests.pagetools import convert


def cell(md: str) -> list:
    """The tokens of one table cell written as `md`."""
    doc = parse(f"| a |\n| --- |\n| {md} |\n")
    return doc.tables[0].rows[0].cells[0]


# ---------------------------------------------------------------------------------------------
# cells

@pytest.mark.parametrize("md", [
    "app-login<br> -> [p-one](Ps/p1.md)<br> → [p-two](Ps/p2.md)<br>",
    "app-login<br/> └─ [p-one](Ps/p1.md)<br /> • [p-two](Ps/p2.md)",
    "app-login</br> ↳[p-one](Ps/p1.md)</br> ↳[p-two](Ps/p2.md)",
    "<ul><li>app-login</li><li>↳[p-one](Ps/p1.md)</li><li>↳[p-two](Ps/p2.md)</li></ul>",
    "<p>app-login</p><p>↳[p-one](Ps/p1.md)</p><p>↳[p-two](Ps/p2.md)</p>",
    "<div>app-login</div><DIV>↳[p-one](Ps/p1.md)</div><div>↳[p-two](Ps/p2.md)</DIV>",
])
def test_parser_marks_and_breaks(md):
    """Another mark before a parser link is a mark, not an activity type called `->`."""
    assert cells.activity_parsers(cell(md)) == ([
        ("app-login", None, "p-one", "Ps/p1.md"),
        ("app-login", None, "p-two", "Ps/p2.md"),
    ], [])


def test_parser_line_without_link():
    rows, problems = cells.activity_parsers(cell(
        'app-login<br> ↳[p-one](Ps/p1.md)<br> ↳ p-two<br> ↳<a href="Ps/p3.md">p-three</a><br>'
        " failed-app-login<br> → p-four"))
    assert rows == [
        ("app-login", None, "p-one", "Ps/p1.md"),
        ("app-login", None, "p-two", None),
        ("app-login", None, "p-three", None),
        ("failed-app-login", None, "p-four", None),
    ]
    assert problems == [("parser-without-link", f"parser {n!r} has no link to its page")
                        for n in ("p-two", "p-three", "p-four")]


@pytest.mark.parametrize("md", [
    "T1078 - Valid Accounts, T1110 - Brute Force; T1110.003 - Brute Force: Password Spraying",
    "<ul><li>T1078 - Valid Accounts</li><li>T1110 - Brute Force</li><li>T1110.003 - Brute Force: Password Spraying</li></ul>",
    'T1078 - Valid Accounts</br>T1110 - Brute Force<br clear="all">T1110.003 - Brute Force: Password Spraying',
    "<p>T1078 - Valid Accounts</p><p>T1110 - Brute Force, T1110.003 - Brute Force: Password Spraying</p>",
])
def test_ttp_items_side_by_side(md):
    assert cells.ttps(cell(md)) == ([
        ("T1078", "Valid Accounts"), ("T1110", "Brute Force"),
        ("T1110.003", "Brute Force: Password Spraying"),
    ], [])


def test_ttp_name_with_a_comma_is_not_split():
    assert cells.ttps(cell("T1000 - Alpha, Beta and Gamma")) == ([("T1000", "Alpha, Beta and Gamma")], [])


def test_ttp_spellings_of_other_generators():
    # a slash for the sub-technique's dot, the id after the name, an em dash; ids after names
    # side by side
    md = ("T1098/002 - Account Manipulation: Additional Email Delegate Permissions<br>"
          "Valid Accounts (T1078)<br>T1110 — Brute Force<br>Phishing (T1566), Brute Force [T1110]")
    assert cells.ttps(cell(md)) == ([
        ("T1098.002", "Account Manipulation: Additional Email Delegate Permissions"),
        ("T1078", "Valid Accounts"), ("T1110", "Brute Force"), ("T1566", "Phishing"),
        ("T1110", "Brute Force"),
    ], [])
    assert [cells.technique_id(x) for x in ("T1098/002", "TA0002", "T1078", "T10/1", "T1078 - X")] == [
        "T1098.002", "TA0002", "T1078", None, None]


def test_ttp_names_with_words_in_parentheses_before_the_id():
    # ATT&CK's own names hold parentheses; written before the id, beside other items.
    md = ("Account Manipulation (Additional Cloud Credentials) (T1098.001)<br>"
          "Phishing (Spearphishing Link) (T1566.002), T1078 - Valid Accounts; Valid Accounts (Cloud Accounts) [T1078.004]")
    assert cells.ttps(cell(md)) == ([
        ("T1098.001", "Account Manipulation (Additional Cloud Credentials)"),
        ("T1566.002", "Phishing (Spearphishing Link)"), ("T1078", "Valid Accounts"),
        ("T1078.004", "Valid Accounts (Cloud Accounts)"),
    ], [])


def test_two_ids_run_together_in_one_item_are_reported_not_guessed():
    # No separator between them: which words name which id is not known.
    assert cells.ttps(cell("Phishing (T1566) Brute Force (T1110)")) == (
        [], ["TTP item 'Phishing (T1566) Brute Force (T1110)' is not `T#### - name`"])


def test_rule_and_model_items_after_typed_marks():
    md = ("<b>Valid Accounts (T1078)</b><br>- <b>R-ONE</b>: first<br>-> <b>R-TWO</b>: second<br>"
          "* <b>R-3</b>: third<br><br>- T1110/001 - Password Guessing<br>=> <b>R-4</b>: fourth - with a dash"
          "<br>- R-5: plain, no bold")
    assert cells.rule_items(cell(md)) == ([
        ("T1078", "Valid Accounts", "R-ONE", "first"),
        ("T1078", "Valid Accounts", "R-TWO", "second"),
        ("T1078", "Valid Accounts", "R-3", "third"),
        ("T1110.001", "Password Guessing", "R-4", "fourth - with a dash"),
        ("T1110.001", "Password Guessing", "R-5", "plain, no bold"),
    ], [])
    assert cells.model_items(cell("- <b>M-1</b>: one<br>* <b>M-2</b>: two<br>+ M-3: three<br>-- not an item")) == (
        [("M-1", "one"), ("M-2", "two"), ("M-3", "three")],
        [("stray-text", "text '-- not an item' in a Models cell is not a model item")])


ONE_LINE = ("items-on-one-line", "2 items written on one line; read one by one")


@pytest.mark.parametrize("md, problems", [
    ("<b>T1078 - Valid Accounts</b><ul><li><b>R-1</b>: first</li><li><b>R-2</b>: second</li></ul>", []),
    ("<b>T1078 - Valid Accounts</b></br> ↳ <b>R-1</b>: first</br> ↳ <b>R-2</b>: second", []),
    ("<b>T1078 - Valid Accounts</b><br> ↳ <b>R-1</b>: first; <b>R-2</b>: second<br>", [ONE_LINE]),
    ("<b>T1078 - Valid Accounts</b> ↳ <b>R-1</b>: first ↳ <b>R-2</b>: second",
     [("items-on-one-line", "3 items written on one line; read one by one")]),
])
def test_rule_items_in_other_layouts(md, problems):
    assert cells.rule_items(cell(md)) == ([
        ("T1078", "Valid Accounts", "R-1", "first"),
        ("T1078", "Valid Accounts", "R-2", "second"),
    ], problems)


def test_rule_description_holding_bold_text_stays_one_item():
    assert cells.rule_items(cell("<b>T1098 - X</b><br> ↳ <b>A</b>: value a: b <b>c</b> d")) == (
        [("T1098", "X", "A", "value a: b c d")], [])


@pytest.mark.parametrize("md, problems", [
    (" • <b>M-1</b>: one • <b>M-2</b>: two", [("items-on-one-line", "2 model items written on one line; read one by one")]),
    ("<ul><li><b>M-1</b>: one</li><li><b>M-2</b>: two</li></ul>", []),
    (" • <b>M-1</b>: one</br> • <b>M-2</b>: two", []),
])
def test_model_items_in_other_layouts(md, problems):
    assert cells.model_items(cell(md)) == ([("M-1", "one"), ("M-2", "two")], problems)


@pytest.mark.parametrize("md, expected", [
    ("↳ <b>R-1</b>: Logon by service account; <b>Note</b>: excludes machine accounts",
     ("R-1", "Logon by service account; Note: excludes machine accounts")),
    ("↳ <b>R-1</b>: Access to <b>admin</b>: share, <b>ADMIN$</b>: or C$", ("R-1", "Access to admin: share, ADMIN$: or C$")),
    ("↳ <b>R-1</b>: First login ↳ <b>Zone</b>: from new zone", ("R-1", "First login ↳ Zone: from new zone")),
])
def test_bold_words_after_a_separator_are_no_items(md, expected):
    assert cells.rule_items(cell(f"<b>T1078 - Valid Accounts</b><br> {md}")) == (
        [("T1078", "Valid Accounts", *expected)], [])


@pytest.mark.parametrize("md, expected", [
    ("[Rules: 14<br>Models: 5](RM/r.md)", (14, 5, "RM/r.md")),
    ("[<ul><li>14 Rules</li></ul><ul><li>5 Models</li></ul>](RM/r.md)", (14, 5, "RM/r.md")),
    ("<ul><li>1 Rule</li><li>Models = 2</li></ul>", (1, 2, None)),
])
def test_content_counts_either_way_round(md, expected):
    assert cells.content(cell(md)) == (expected, [])


@pytest.mark.parametrize("header, meaning", [
    ("Parsers/Activity Types", "types_parsers"),
    ("Activity Types & Parsers", "types_parsers"),
    ("Activity Types and Parsers", "types_parsers"),
    ("Event Type - Parsers", "types_parsers"),
    ("MITRE ATT&CK", "mitre_ttps"),
    ("Contents", "content"),
    ("Rules & Models", "content"),
    ("Rule Count", "rules"),
    ("# Models", "models"),
    ("No. of Rules", "rules"),
    ("Total Models", "models"),
    ("Legacy Parser Name", "old_parser"),
    ("Previous Parser Name", "old_parser"),
    ("NewScale Parser Name", "new_parser"),
    ("Current Parser Name", "new_parser"),
    ("Data Source", "product"),
])
def test_more_header_spellings(header, meaning):
    assert headers.meaning(header) == meaning


# ---------------------------------------------------------------------------------------------
# pages

DS = "DS/Acme/acme_gate/ds_acme_acme_gate.md"
RM = "DS/Acme/acme_gate/RM/r_m_acme_acme_gate_Account_Manipulation.md"
DS2 = "DS/Acme/acme_gate/2_ds_acme_acme_gate.md"
RENAMES = "ParsersLegacy/a_parsers.md"

PAGES = {
    # A counts table with a column more (`Correlation Rules`) and `Parsers` left out; the
    # use-case table spells `Activity Types & Parsers` and `Contents`; the matrix title is
    # written right under the use-case table, with no blank line.
    DS: """Vendor: Acme
============
Product: Acme Gate
------------------
| Rules | Models | MITRE ATT&CK® TTPs | Activity Types | Correlation Rules |
|:-----:|:------:|:------------------:|:--------------:|:-----------------:|
|   2   |   1    |         1          |       1        |         4         |

| Use-Case | Activity Types & Parsers | MITRE ATT&CK | Contents |
| ---- | ---- | ---- | ---- |
| [Account Manipulation](../../../UseCases/uc_account_manipulation.md) | app-login<br> -> [acme-login](Ps/pC_acmelogin.md)<br> | T1098 - Account Manipulation | [Rules: 2<br>Models: 1](RM/r_m_acme_acme_gate_Account_Manipulation.md) |
MITRE ATT&CK® Framework for Enterprise
--------------------------------------
| Initial Access | Persistence | Privilege Escalation |
| -------------- | ----------- | -------------------- |
| | [Account Manipulation](https://attack.mitre.org/techniques/T1098) | |

[Next Page -->>](2_ds_acme_acme_gate.md)
""",
    # A detail table without a Models column.
    RM: """Rules by Product and UseCase
============================
Vendor: Acme
------------
### Product: [Acme Gate](../ds_acme_acme_gate.md)
### Use-Case: [Account Manipulation](../../../../UseCases/uc_account_manipulation.md)

| Rules | Models | MITRE ATT&CK® TTPs | Activity Types | Parsers |
|:-----:|:------:|:------------------:|:--------------:|:-------:|
|   2   |   0    |         1          |       1        |    1    |

| Event Type | Rules |
| ---- | ---- |
| app-login | <b>T1098 - Account Manipulation</b><br> ↳ <b>AG-1</b>: one<br> ↳ <b>AG-2</b>: two |
""",
    # A continuation page whose `[Next Page]` line ends the file right under its table
    # (no blank line, no newline at the end).
    DS2: """| Use-Case | Activity Types/Parsers | MITRE ATT&CK® TTP | Content |
| ---- | ---- | ---- | ---- |
| [Brute Force Attack](../../../UseCases/uc_brute_force_attack.md) | failed-app-login<br> ↳[acme-fail](Ps/pC_acmefail.md)<br> | T1110 - Brute Force<br> | [<ul><li>1 Rules</li></ul>](RM/r_m_acme_acme_gate_Brute_Force_Attack.md) |
[<<-- Previous Page](ds_acme_acme_gate.md)""",
    RENAMES: """| Legacy Parser Name | NewScale Parser Name |
| ------------------ | -------------------- |
| acme-old-login | acme-gate-json-login |
""",
}


@pytest.fixture(scope="module")
def t(tmp_path_factory):
    root = tmp_path_factory.mktemp("variants")
    tree = root / "tree"
    for rel, text in PAGES.items():
        p = tree / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(text, encoding="utf-8")
    extractor.convert(str(tree), str(root / "out"))
    return extractor.load(str(root / "out"))


def rows(df, cols) -> list:
    return sorted((tuple(None if pd.isna(x) else x for x in r) for r in df[cols].itertuples(index=False, name=None)),
                  key=lambda r: tuple((x is None, repr(x)) for x in r))


def test_counts_table_with_a_column_more_and_one_less(t):
    assert rows(t.products, ["vendor", "product", "rules", "models", "mitre_ttps", "activity_types", "parsers"]) == [
        ("Acme", "Acme Gate", 2, 1, 1, 1, None)]
    mine = t.issues[(t.issues["source_path"] == DS) & (t.issues["code"] == "unknown-column")]
    assert list(mine["message"]) == ["counts column 'Correlation Rules' is not known"]


def test_use_case_table_in_other_words(t):
    assert rows(t.use_cases, ["use_case", "rules", "models", "rm_page", "source_line"]) == [
        ("Account Manipulation", 2, 1, "RM/r_m_acme_acme_gate_Account_Manipulation.md", 11),
        ("Brute Force Attack", 1, None, "RM/r_m_acme_acme_gate_Brute_Force_Attack.md", 3),
    ]
    assert rows(t.activity_parsers, ["use_case", "activity_type", "parser", "parser_page"]) == [
        ("Account Manipulation", "app-login", "acme-login", "Ps/pC_acmelogin.md"),
        ("Brute Force Attack", "failed-app-login", "acme-fail", "Ps/pC_acmefail.md"),
    ]
    assert rows(t.use_case_ttps, ["use_case", "technique_id"]) == [
        ("Account Manipulation", "T1098"), ("Brute Force Attack", "T1110")]


def test_title_glued_under_a_table_is_no_use_case(t):
    assert "MITRE ATT&CK® Framework for Enterprise" not in set(t.use_cases["use_case"])
    glued = t.issues[t.issues["code"] == "heading-in-table"]
    assert rows(glued, ["source_path", "source_line"]) == [(DS, 12)]
    # the matrix under it is still read, by its tactic columns
    assert rows(t.attack_matrix, ["tactic", "technique_id", "source_line"]) == [("Persistence", "T1098", 16)]


def test_detail_table_without_models_column(t):
    assert rows(t.rules, ["event_type", "technique_id", "rule_id", "rule_description", "source_line"]) == [
        ("app-login", "T1098", "AG-1", "one", 14), ("app-login", "T1098", "AG-2", "two", 14)]
    assert not (t.issues["source_path"] == RM).any()


def test_page_ending_in_its_nav_line_is_not_cut_off(t):
    assert not (t.issues["code"] == "truncated-table").any()
    assert rows(t.pages[t.pages["source_path"] == DS2], ["kind", "continues"]) == [("data_source_continuation", DS)]
    # its `Previous Page` link leads back: the main page continues nothing
    assert rows(t.pages[t.pages["source_path"] == DS], ["kind", "continues"]) == [("data_source", None)]


def test_renames_with_other_header_words(t):
    assert rows(t.parser_renames, ["old_parser", "new_parser", "source_line"]) == [
        ("acme-old-login", "acme-gate-json-login", 3)]


def _main_page(vendor: str, product: str, next_page: str) -> str:
    return f"""Vendor: {vendor}
=========
Product: {product}
---------
| Rules | Models | MITRE ATT&CK® TTPs | Activity Types | Parsers |
|:-----:|:------:|:------------------:|:--------------:|:-------:|
|   0   |   0    |         0          |       1        |    0    |

| Use-Case | Activity Types/Parsers | MITRE ATT&CK® TTP | Content |
| ---- | ---- | ---- | ---- |
| [Data Access](../../../UseCases/uc_data_access.md) | file-read<br> | | |

[Next Page -->>]({next_page})
"""


CONT = """| Use-Case | Activity Types/Parsers | MITRE ATT&CK® TTP | Content |
| ---- | ---- | ---- | ---- |
| [Data Leak](../../../UseCases/uc_data_leak.md) | file-write<br> | | |
"""


@pytest.mark.parametrize("cont, parent", [
    ("DS/Acme/one/2_ds_acme_one.md", "DS/Acme/one/ds_acme_one.md"),  # its name says which
    ("DS/Acme/one/2_ds_acme_other.md", None),  # nothing says which: no guess
])
def test_continuation_led_to_by_two_products(tmp_path, cont, parent):
    link = "../../../" + cont
    pages = {"DS/Acme/one/ds_acme_one.md": _main_page("Acme", "One", link),
             "DS/Acme/two/ds_acme_two.md": _main_page("Acme", "Two", link),
             cont: CONT}
    t = convert(tmp_path, pages)
    assert rows(t.pages[t.pages["source_path"] == cont], ["continues"]) == [(parent,)]
    leak = t.use_cases[t.use_cases["use_case"] == "Data Leak"]
    assert rows(leak, ["vendor", "product"]) == [("Acme", "One") if parent else (None, None)]
    assert rows(t.issues[t.issues["source_path"] == cont], ["code"]) == [("ambiguous-continuation",)]


@pytest.mark.parametrize("nav", [
    "[Next Page -->>](extra.md)",
    "[<< Previous](../zero/ds_acme_zero.md) | [Next Page >>](extra.md)",
    "Next: [page 2](extra.md)",
    "**[Next →](extra.md)**",
])
def test_navigation_lines_right_under_the_table(tmp_path, nav):
    # Written with no blank line, GFM reads the line as one more row of the use-case table:
    # it is navigation, no use case, and its forward link (only) names the continuation,
    # whose file name says nothing.
    main = _main_page("Acme", "One", "x.md").replace("\n\n[Next Page -->>](x.md)\n", "\n" + nav + "\n")
    t = convert(tmp_path, {"DS/Acme/one/ds_acme_one.md": main, "DS/Acme/one/extra.md": CONT})
    assert rows(t.use_cases, ["vendor", "product", "use_case"]) == [
        ("Acme", "One", "Data Access"), ("Acme", "One", "Data Leak")]
    assert rows(t.pages[t.pages["source_path"] == "DS/Acme/one/extra.md"], ["continues"]) == [
        ("DS/Acme/one/ds_acme_one.md",)]
    assert len(t.issues) == 0


def test_a_line_of_other_links_under_the_table_is_a_row(tmp_path):
    # (not navigation: it stays a row, reported as short, as before)
    main = _main_page("Acme", "One", "x.md").replace("\n\n[Next Page -->>](x.md)\n", "\n[Data Leak 2](x.md)\n")
    t = convert(tmp_path, {"DS/Acme/one/ds_acme_one.md": main})
    assert rows(t.use_cases, ["use_case", "source_line"]) == [("Data Access", 11), ("Data Leak 2", 12)]
    # (it is also the last line, without a closing pipe: a row the page may have cut off)
    assert rows(t.issues, ["code", "source_line"]) == [("ragged-row", 12), ("truncated-table", 12)]


def test_parser_link_without_text():
    assert cells.activity_parsers(cell("app-login<br> ↳[](Ps/pC_x.md)<br> ↳[ ](Ps/pC_y.md)")) == (
        [("app-login", None, None, "Ps/pC_x.md"), ("app-login", None, None, "Ps/pC_y.md")],
        [("parser-without-name", "parser link to 'Ps/pC_x.md' has no text"),
         ("parser-without-name", "parser link to 'Ps/pC_y.md' has no text")])


UC_GLUED = """Use Case: Data Access
=====================

### Vendor: Acme
| Product | MITRE ATT&CK® TTP | Content |
| ---- | ---- | ---- |
| [Acme Gate](../DS/Acme/acme_gate/ds_acme_acme_gate.md) | T1078 - Valid Accounts<br> | [<ul><li>2 Rules</li></ul>](../DS/Acme/acme_gate/RM/r_m_acme_acme_gate_Data_Access.md) |
Vendor: Birch
-------------
| Product | MITRE ATT&CK® TTP | Content |
| ---- | ---- | ---- |
| [Birch Box](../DS/Birch/birch_box/ds_birch_birch_box.md) | T1530 - Data from Cloud Storage<br> | [<ul><li>1 Rules</li></ul>](../DS/Birch/birch_box/RM/r_m_birch_birch_box_Data_Access.md) |

### Vendor: Cedar
| Product | MITRE ATT&CK® TTP | Content |
| ---- | ---- | ---- |
| [Cedar One](../DS/Cedar/cedar_one/ds_cedar_cedar_one.md) | T1078 - Valid Accounts<br> | [<ul><li>3 Rules</li></ul>](../DS/Cedar/cedar_one/RM/r_m_cedar_cedar_one_Data_Access.md) |
"""


def test_vendor_heading_glued_under_a_table(tmp_path):
    """`Vendor: Birch` and its underline right under Acme's table: GFM reads the label as a row
    of that table and the underline as a rule. Birch Box is Birch's, not Acme's; no product
    named `Vendor: Birch` is made."""
    t = convert(tmp_path, {"UseCases/uc_data_access.md": UC_GLUED})
    assert rows(t.use_case_products, ["vendor", "product", "technique_id", "rules", "source_line"]) == [
        ("Acme", "Acme Gate", "T1078", 2, 7),
        ("Birch", "Birch Box", "T1530", 1, 12),
        ("Cedar", "Cedar One", "T1078", 3, 17),
    ]
    assert rows(t.issues, ["code", "source_line"]) == [("heading-in-table", 8)]


def test_matrix_of_two_tactics_under_another_title(tmp_path):
    page = """Vendor: Acme
============
Product: Acme Gate
------------------
| Rules | Models | MITRE ATT&CK® TTPs | Activity Types | Parsers |
|:-----:|:------:|:------------------:|:--------------:|:-------:|
|   1   |   0    |         2          |       1        |    1    |

| Use-Case | Activity Types/Parsers | MITRE ATT&CK® TTP | Content |
| ---- | ---- | ---- | ---- |
| [Data Access](../../../UseCases/uc_data_access.md) | file-read<br> ↳[acme-read](Ps/pC_acmeread.md)<br> | T1078 - Valid Accounts<br>T1530 - Data from Cloud Storage<br> | [<ul><li>1 Rules</li></ul>](RM/r.md) |

## MITRE ATT&CK® Coverage
| Initial Access | Collection |
| -------------- | ---------- |
| [Valid Accounts](https://attack.mitre.org/techniques/T1078) | [Data from Cloud Storage](https://attack.mitre.org/techniques/T1530) |
"""
    t = convert(tmp_path, {"DS/Acme/acme_gate/ds_acme_acme_gate.md": page})
    assert rows(t.attack_matrix, ["tactic", "technique_id", "source_line"]) == [
        ("Collection", "T1530", 16), ("Initial Access", "T1078", 16)]
    assert len(t.issues) == 0


# ---------------------------------------------------------------------------------------------
# what must stay as it was: marks, bold words and tags inside a description

@pytest.mark.parametrize("md, expected", [
    ("↳ <b>R-1</b>: A user logged in to <b>Okta</b>: first time", ("R-1", "A user logged in to Okta: first time")),
    ("↳ <b>R-8</b>: Access to <b>C:</b> drive", ("R-8", "Access to C: drive")),
    ("↳ <b>R-2</b>: Detects <i>x</i> • y", ("R-2", "Detects x • y")),
    ("↳ <b>R-6</b>: see [doc](http://x) ↳ more", ("R-6", "see doc ↳ more")),
    ("↳ <b>R-7</b>: a <p>b</p>", ("R-7", "a b")),
])
def test_rule_description_keeps_its_marks_and_bold_words(md, expected):
    assert cells.rule_items(cell(f"<b>T1078 - Valid Accounts</b><br> {md}")) == (
        [("T1078", "Valid Accounts", *expected)], [])


def test_text_line_between_rules_keeps_the_technique():
    found, problems = cells.rule_items(cell(
        "<b>T1136 - Create Account</b><br> ↳ <b>R-4</b>: has <li>item</li> inside<br> ↳ <b>R-5</b>: ok"))
    assert found == [("T1136", "Create Account", "R-4", "has"), ("T1136", "Create Account", "R-5", "ok")]
    assert [code for code, _ in problems] == ["bad-technique", "bad-technique"]  # `item`, `inside`: kept here


def test_broken_technique_line_ends_the_technique():
    found, problems = cells.rule_items(cell(
        "<b>T1078 - Valid Accounts</b><br> ↳ <b>R-1</b>: a<br><b>T1110 Brute Force</b><br> ↳ <b>R-2</b>: b"))
    assert found == [("T1078", "Valid Accounts", "R-1", "a"), (None, None, "R-2", "b")]
    assert [code for code, _ in problems] == ["bad-technique", "rule-without-technique"]


def test_model_description_keeps_bold_words_and_marks():
    assert cells.model_items(cell(" • <b>M-2</b>: Models <b>host</b>: count<br> • <b>M-3</b>: <code>a</code> ↳ arrows")) == (
        [("M-2", "Models host: count"), ("M-3", "a ↳ arrows")], [])


def test_paragraph_tags_inside_cells():
    assert cells.ttps(cell("T1003 - OS Credential <p>Dumping</p>")) == ([("T1003", "OS Credential Dumping")], [])
    assert cells.activity_parsers(cell("app-login <p>(app-login-old)</p><br> ↳[p-one](Ps/p1.md)")) == (
        [("app-login", "app-login-old", "p-one", "Ps/p1.md")], [])


@pytest.mark.parametrize("header, first_row, kind", [
    # a use-case page's table with count columns: text in the TTP column, a use-case table
    ("| Product | MITRE ATT&CK® TTP | Rules | Models |", "| [Q](q.md) | T1098 - X | 6 | 2 |", "use_case"),
    # a detail table with a TTP column: text, not numbers
    ("| Event Type | MITRE TTPs | Rules | Models |", "| app-login | T1078 - V | <b>T1078 - V</b><br> ↳ <b>R</b>: d | |", "rules_models"),
    # a counts table without Parsers: numbers
    ("| Rules | Models | MITRE TTPs | Activity Types |", "| 1 | 2 | 3 | 4 |", "counts"),
])
def test_count_columns_alone_do_not_make_a_counts_table(header, first_row, kind):
    from extractor import pages
    width = header.count("|") - 1
    doc = parse(f"{header}\n|{' --- |' * width}\n{first_row}\n")
    found = pages.classify(doc)[1][0][1]
    assert found == (kind if kind != "use_case" else None)


def test_continuation_led_to_by_two_pages_of_one_product(tmp_path):
    """Two pages of the same product (an old one kept beside) lead to one continuation: no
    doubt whose rows those are."""
    cont = "DS/Acme/one/page2.md"
    pages = {"DS/Acme/one/ds_acme_one.md": _main_page("Acme", "One", "page2.md"),
             "DS/Acme/one_old/ds_acme_one_old.md": _main_page("Acme", "One", "../one/page2.md"),
             cont: CONT}
    t = convert(tmp_path, pages)
    leak = t.use_cases[t.use_cases["use_case"] == "Data Leak"]
    assert rows(leak, ["vendor", "product"]) == [("Acme", "One")]
    assert len(t.issues) == 0


PS_TWO_BLOCKS = """#### Parser Content
```Java
{
  Vendor = Quill
  Conditions = [ \"\"\"quill\"\"\" ]
}
```

```Java
{
Name = p-two
  Vendor = Quill
  Conditions = [ \"\"\"quill two\"\"\" ]
}
```
"""


def test_config_block_without_name_beside_the_one_read(tmp_path):
    t = convert(tmp_path, {"Ps/pC_ptwo.md": PS_TWO_BLOCKS})
    assert rows(t.parsers, ["parser", "vendor", "source_line"]) == [("p-two", "Quill", 9)]
    assert rows(t.issues, ["code", "source_line"]) == [("missing-parser-name", 2)]


def test_second_counts_table_is_reported(tmp_path):
    page = _main_page("Acme", "One", "2_ds_acme_one.md").replace(
        "\n| Use-Case |", "\n| Rules | Models | MITRE ATT&CK® TTPs | Activity Types | Parsers |\n"
        "|:-----:|:------:|:------------------:|:--------------:|:-------:|\n"
        "|   5   |   5    |         5          |       5        |    5    |\n\n| Use-Case |", 1)
    t = convert(tmp_path, {"DS/Acme/one/ds_acme_one.md": page})
    assert rows(t.products, ["rules", "source_line"]) == [(0, 7)]
    assert rows(t.issues, ["code", "source_line"]) == [("unknown-table", 9)]


CR_PAGE = """Correlation Rules by Product and UseCase
========================================
Vendor: Acme
------------
### Product: [Acme Gate](../ds_acme_acme_gate.md)
### Use-Case: [Privilege Escalation](../../../../UseCases/uc_privilege_escalation.md)

| Name | Description | Activity Types | MITRE ATT&CK® Tactic | Severity | Overlap with AA |
| ---- | ---- | ---- | ---- | ---- | ---- |
| New admin | An admin account was created | account-creation | <ul><li>Persistence</li><li>Privilege Escalation</li></ul> | High | No |
"""

PS_WITH_TABLE = """#### Parser Content
```Java
{
Name = acme-x
  Conditions = [ \"\"\"acme\"\"\" ]
}
```

| Field | Meaning |
| --- | --- |
| user | the user |
"""


def test_tactics_listed_one_per_line(tmp_path):
    t = convert(tmp_path, {"DS/Acme/acme_gate/CR/c_r_acme_gate_Privilege_Escalation.md": CR_PAGE})
    assert rows(t.correlation_rules, ["name", "mitre_tactic"]) == [("New admin", "Persistence, Privilege Escalation")]


def test_parser_page_with_a_table(tmp_path):
    t = convert(tmp_path, {"Ps/pC_acmex.md": PS_WITH_TABLE})
    assert rows(t.parsers, ["parser", "source_line"]) == [("acme-x", 2)]
    assert rows(t.issues, ["code", "source_line"]) == [("unknown-table", 9)]


INDEX_WITH_TTPS = """Exabeam Data Sources
====================
| Vendor | Product | MITRE ATT&CK | Content |
| -- | -- | -- | -- |
| Acme | [Widget](DS/Acme/Widget/ds_acme_widget.md) | T1078 - Valid Accounts | [3 Rules](DS/Acme/Widget/RM/r_m_x.md) |
"""

UC_WITH_RULES = """Use Case: Account Manipulation
==============================

### Vendor: Acme
| Product | MITRE ATT&CK® TTP | Content |
| ---- | ---- | ---- |
| [Acme Gate](../DS/Acme/acme_gate/ds_acme_acme_gate.md) | T1098 - Account Manipulation<br> | [<ul><li>1 Rules</li></ul>](../DS/Acme/acme_gate/RM/r.md) |

### Related rules
| Rule Name | MITRE Tactic | Severity |
| ---- | ---- | ---- |
| New admin created | Persistence | High |
"""

RM_NUMERIC_TYPE = """Rules by Product and UseCase
============================
Vendor: Acme
------------
### Product: [Acme Gate](../ds_acme_acme_gate.md)
### Use-Case: [Account Manipulation](../../../../UseCases/uc_account_manipulation.md)

| Event Type | MITRE TTPs | Rules | Models |
| --- | --- | --- | --- |
| 4624 | | 0 | 0 |
| app-activity | T1078 | <b>T1078 - Valid Accounts</b><br> ↳ <b>R-1</b>: Rule one | • <b>M-1</b>: Model one |
"""


def test_tables_that_only_look_like_other_kinds(tmp_path):
    t = convert(tmp_path, {"Exabeam Data Sources.md": INDEX_WITH_TTPS, "UseCases/uc_account_manipulation.md": UC_WITH_RULES,
                           "DS/Acme/acme_gate/RM/r_m_acme_acme_gate_Account_Manipulation.md": RM_NUMERIC_TYPE})
    assert rows(t.pages, ["source_path", "kind"]) == sorted([
        ("Exabeam Data Sources.md", "index"), ("UseCases/uc_account_manipulation.md", "use_case"),
        ("DS/Acme/acme_gate/RM/r_m_acme_acme_gate_Account_Manipulation.md", "rules_models")])
    assert rows(t.data_source_index, ["vendor", "product"]) == [("Acme", "Widget")]
    assert rows(t.use_case_products, ["vendor", "product", "technique_id"]) == [("Acme", "Acme Gate", "T1098")]
    assert rows(t.rules, ["event_type", "rule_id"]) == [("app-activity", "R-1")]
    assert rows(t.models, ["event_type", "model_id"]) == [("app-activity", "M-1")]
    assert len(t.use_case_counts) == 0 and len(t.correlation_rules) == 0


def test_use_case_table_with_a_parsers_column(tmp_path):
    """An older spelling: the types-and-parsers column headed `Parsers`, its cells as usual (and
    a parser with no type before it, as some old cells have)."""
    page = _main_page("Acme", "One", "2_ds_acme_one.md").replace(
        "| Use-Case | Activity Types/Parsers |", "| Use-Case | Parsers |").replace(
        "| file-read<br> |", "| ↳[acme-any](Ps/pC_acmeany.md)<br> file-read<br> ↳[acme-read](Ps/pC_acmeread.md) |")
    t = convert(tmp_path, {"DS/Acme/one/ds_acme_one.md": page})
    assert rows(t.activity_parsers, ["use_case", "activity_type", "parser"]) == [
        ("Data Access", "file-read", "acme-read"), ("Data Access", None, "acme-any")]
    assert rows(t.issues, ["code", "source_line"]) == [("parser-without-type", 11)]


@pytest.mark.parametrize("text, vendor, product", [
    ("Vendor: Acme / Product: Acme Gate", "Acme", "Acme Gate"),
    ("Vendor: Acme | Product: Acme Gate", "Acme", "Acme Gate"),
    ("Vendor: Acme Inc.", "Acme Inc.", None),
    ("Product: Acme/Gate", None, "Acme/Gate"),
])
def test_vendor_and_product_in_one_heading(text, vendor, product):
    v, p = headers.VENDOR_LABEL.match(text), headers.PRODUCT_LABEL.match(text)
    assert (v and v.group(1), p and p.group(1)) == (vendor, product)


# Spellings a later or earlier generator may use, found by editing real pages in review: a
# colon after a header, `(s)` plurals, `[...]` for `(...)`, `# of`, a dash after a label.
SPELT_DS = """Vendor - Acme
============
Product: Acme Gate
------------------
| Rules: | Models: | MITRE ATT&CK(R) Technique(s): | Activity Types: | # of Parsers: |
|:-----:|:------:|:------------------:|:--------------:|:-----------------:|
|   2   |   1    |         1          |       1        |         1         |

| Use-Case: | Activity Types [Legacy Event Type]/Parser(s): | TTP(s): | Content: |
| ---- | ---- | ---- | ---- |
| [Account Manipulation](../../../UseCases/uc_account_manipulation.md) | app-activity:success [app-activity]<br> ↳[acme-act](Ps/pC_acmeact.md)<br> | T1098 - Account Manipulation | [<ul><li>2 Rules</li></ul>](RM/r_m_acme_acme_gate_Account_Manipulation.md) |
"""
SPELT_UC = UC_WITH_RULES.replace("Use Case: Account Manipulation", "Use Case - Account Manipulation")


def test_other_spellings_of_headers_and_labels(tmp_path):
    try:
        from pagetools import convert as convert_pages
    except ImportError:  # (run from the project root as a package)
        from tests.pagetools import convert as convert_pages

    uc = "UseCases/uc_account_manipulation.md"
    got = convert_pages(tmp_path, {DS: SPELT_DS, uc: SPELT_UC})
    assert rows(got["products"], ["vendor", "product", "rules", "models", "mitre_ttps", "activity_types", "parsers"]) == [
        ("Acme", "Acme Gate", 2, 1, 1, 1, 1)]
    assert rows(got["activity_parsers"], ["use_case", "activity_type", "legacy_event_type", "parser"]) == [
        ("Account Manipulation", "app-activity:success", "app-activity", "acme-act")]
    assert rows(got["use_case_ttps"], ["use_case", "technique_id"]) == [("Account Manipulation", "T1098")]
    assert sorted(set(got["use_case_products"]["use_case"])) == ["Account Manipulation"]
    # (only what the unedited use-case page says too: its `Related rules` table is not read)
    assert rows(got["issues"], ["source_path", "code"]) == [(uc, "unknown-table")]


# ---------------------------------------------------------------------------------------------
# cells read once (cells._remembered)

# grammar -> (cell, its items and number of problems, read off the cell)
REMEMBERED = {
    cells.ttps: ("T1078 - Valid Accounts<br>T1110.003 - Brute Force: Password Spraying<br>Phishing",
                 [("T1078", "Valid Accounts"), ("T1110.003", "Brute Force: Password Spraying")], 1),
    cells.activity_parsers: ("app-login<br> ↳[p-one](Ps/p1.md)<br> ↳[p-one](Ps/p1.md)<br> ↳ p-two",
                             [("app-login", None, "p-one", "Ps/p1.md"), ("app-login", None, "p-two", None)], 2),
    cells.matrix_links: ("[Valid Accounts](https://attack.mitre.org/techniques/T1078)<br>not a link",
                         [("T1078", "Valid Accounts", "https://attack.mitre.org/techniques/T1078")], 1),
    cells.rule_items: ("<b>T1078 - Valid Accounts</b><br> ↳ <b>R-1</b>: one<br> ↳ <b>R-2</b>: two",
                       [("T1078", "Valid Accounts", "R-1", "one"), ("T1078", "Valid Accounts", "R-2", "two")], 0),
    cells.model_items: (" • <b>M-1</b>: model one<br> • <b>M-2</b>: model two",
                        [("M-1", "model one"), ("M-2", "model two")], 0),
}


@pytest.mark.parametrize("grammar", list(REMEMBERED), ids=lambda g: g.__name__)
def test_a_cell_read_again_gives_what_a_first_reading_gives(grammar):
    md, items, problems = REMEMBERED[grammar]
    first = grammar(cell(md))
    assert first[0] == items and len(first[1]) == problems
    assert grammar.__wrapped__(cell(md)) == first  # the grammar itself, nothing remembered
    first[0].append("changed by a caller")
    first[1].clear()
    again = grammar(cell(md))  # (another parse: equal tokens, other objects)
    assert again[0] == items and len(again[1]) == problems


def test_cells_that_differ_only_in_a_link_are_read_apart():
    one = cells.activity_parsers(cell("app-login<br> ↳[p-one](Ps/p1.md)"))
    two = cells.activity_parsers(cell("app-login<br> ↳[p-one](Ps/other.md)"))
    assert one[0] == [("app-login", None, "p-one", "Ps/p1.md")]
    assert two[0] == [("app-login", None, "p-one", "Ps/other.md")]


# ---------------------------------------------------------------------------------------------
# tables without closing pipes (GFM allows them): whole, unless the last row is short

UC_OPEN = """Use Case: Data Access
=====================

### Vendor: Acme
| Product | MITRE ATT&CK® TTP | Content
| :----: | ---- | ----
| [Gate](../DS/Acme/gate/ds_acme_gate.md) | T1078 - Valid Accounts<br>T1110 - Brute Force | [<ul><li>3 Rules</li></ul><ul><li>1 Models</li></ul>](../DS/Acme/gate/RM/r_m_acme_gate_Data_Access.md)
"""


@pytest.mark.parametrize("ending", ["\n", ""], ids=["newline", "no-newline"])
def test_a_table_written_without_closing_pipes_is_whole(tmp_path, ending):
    got = convert(tmp_path, {"UseCases/uc_data_access.md": UC_OPEN.rstrip("\n") + ending})
    assert rows(got["use_case_products"], ["use_case", "vendor", "product", "technique_id", "rules", "models",
                                           "source_line"]) == [
        ("Data Access", "Acme", "Gate", "T1078", 3, 1, 7), ("Data Access", "Acme", "Gate", "T1110", 3, 1, 7)]
    assert len(got["issues"]) == 0


def test_a_short_last_row_of_a_table_without_closing_pipes_is_cut_off(tmp_path):
    page = UC_OPEN.rstrip("\n").rsplit(" | [<ul>", 1)[0]  # the page ends after the TTP cell
    got = convert(tmp_path, {"UseCases/uc_data_access.md": page})
    assert rows(got["issues"], ["code", "source_line"]) == [("ragged-row", 7), ("truncated-table", 7)]


# ---------------------------------------------------------------------------------------------
# the use-case table's types-and-parsers column under other names

DS_UC = """Vendor: Acme
============
Product: Gate
-------------
| Rules | Models | MITRE ATT&CK® TTPs | Activity Types | Parsers |
|:-----:|:------:|:------------------:|:--------------:|:-------:|
|  3   |   1   |         1          |       2        |    2    |

|    Use-Case    | {header}    | MITRE ATT&CK® TTP    | Content    |
|:----:| ---- | ---- | ---- |
| [Data Access](../../../UseCases/uc_data_access.md) |  app-activity<br> ↳[acme-act](Ps/pC_a.md)<br><br> authentication-successful<br> ↳[acme-auth](Ps/pC_c.md)<br> | T1078 - Valid Accounts<br> | [<ul><li>3 Rules</li></ul><ul><li>1 Models</li></ul>](RM/r_m_acme_gate_Data_Access.md) |
"""


@pytest.mark.parametrize("header", ["Activity Types – Parsers", "Activity Types<br>Parsers", "Event Types with Parsers",
                                    "Parsers — Activity Types"])
def test_types_and_parsers_joined_by_other_marks(tmp_path, header):
    got = convert(tmp_path, {"DS/Acme/gate/ds_acme_gate.md": DS_UC.format(header=header)})
    assert rows(got["activity_parsers"], ["use_case", "activity_type", "parser", "parser_page", "source_line"]) == [
        ("Data Access", "app-activity", "acme-act", "Ps/pC_a.md", 11),
        ("Data Access", "authentication-successful", "acme-auth", "Ps/pC_c.md", 11)]
    assert len(got["issues"]) == 0


def test_an_unknown_types_and_parsers_header_loses_that_column_only(tmp_path):
    got = convert(tmp_path, {"DS/Acme/gate/ds_acme_gate.md": DS_UC.format(header="Log Sources")})
    assert rows(got["use_cases"], ["use_case", "rules", "models", "source_line"]) == [("Data Access", 3, 1, 11)]
    assert rows(got["use_case_ttps"], ["use_case", "technique_id", "source_line"]) == [("Data Access", "T1078", 11)]
    assert len(got["activity_parsers"]) == 0
    assert rows(got["issues"], ["code", "source_line", "message"]) == [
        ("unknown-column", 9, "use-case column 'Log Sources' is not known; not read")]


def test_types_in_paragraphs_pair_with_the_parsers_under_them():
    md = ("<p>app-activity</p><p>↳[acme-act](Ps/pC_a.md)</p><p>authentication-successful</p>"
          "<p>↳[acme-auth](Ps/pC_c.md)</p>")
    assert cells.activity_parsers(cell(md)) == ([
        ("app-activity", None, "acme-act", "Ps/pC_a.md"),
        ("authentication-successful", None, "acme-auth", "Ps/pC_c.md"),
    ], [])


def test_a_parser_link_without_a_target_is_a_parser_without_its_page():
    assert cells.activity_parsers(cell("app-login<br> ↳[p-one]()<br> ↳[p-two](Ps/p2.md)")) == (
        [("app-login", None, "p-one", None), ("app-login", None, "p-two", "Ps/p2.md")],
        [("parser-without-link", "parser 'p-one' has no link to its page")])


def test_a_registered_sign_written_in_latin1_does_not_hide_the_header():
    # (the page's bytes `MITRE ATT&CK\xae TTPs` read as invalid UTF-8: U+FFFD where the sign was)
    assert headers.meaning("MITRE ATT&CK\ufffd TTPs") == "mitre_ttps"
    assert headers.meaning("MITRE ATT&CK\ufffd TTP") == "mitre_ttps"


# ---------------------------------------------------------------------------------------------
# rules and models cells in other shapes (expected records read off each cell)

def test_rule_items_in_paragraphs():
    md = ("<b>T1078 - Valid Accounts</b><p> ↳ <b>R-ONE</b>: First rule<p> ↳ <b>R-TWO</b>: Second rule<p><p>"
          "<b>T1133 - External Remote Services</b><p> ↳ <b>R-THREE</b>: Third rule")
    assert cells.rule_items(cell(md)) == ([
        ("T1078", "Valid Accounts", "R-ONE", "First rule"), ("T1078", "Valid Accounts", "R-TWO", "Second rule"),
        ("T1133", "External Remote Services", "R-THREE", "Third rule")], [])
    assert cells.model_items(cell(" • <b>M-ONE</b>: Model one<p> • <b>M-TWO</b>: Model two")) == (
        [("M-ONE", "Model one"), ("M-TWO", "Model two")], [])


def test_a_technique_run_into_the_rule_above_starts_its_own_line():
    md = "<b>T1078 - Valid Accounts</b> ↳ <b>R-ONE</b>: a <b>T1133 - External Remote Services</b> ↳ <b>R-TWO</b>: b"
    rules, problems = cells.rule_items(cell(md))
    assert rules == [("T1078", "Valid Accounts", "R-ONE", "a"), ("T1133", "External Remote Services", "R-TWO", "b")]
    assert [code for code, _ in problems] == ["items-on-one-line"]


def test_techniques_side_by_side_all_apply_to_the_rules_under_them():
    md = ("<b>T1078 - Valid Accounts</b>, <b>T1133 - External Remote Services</b><br> ↳ <b>R-ONE</b>: a<br>"
          "<b>T1110 - Brute Force</b><br> ↳ <b>R-TWO</b>: b")
    rules, _ = cells.rule_items(cell(md))
    assert rules == [("T1078", "Valid Accounts", "R-ONE", "a"), ("T1133", "External Remote Services", "R-ONE", "a"),
                     ("T1110", "Brute Force", "R-TWO", "b")]


@pytest.mark.parametrize("md, types", [
    ("app-login", ("app-login",)),
    ("app-login<br>app-activity", ("app-login", "app-activity")),
    ("app-login, app-activity", ("app-login", "app-activity")),
    ("<p>app-login</p><p>app-activity</p>", ("app-login", "app-activity")),
    ("Logon, Logoff", ("Logon, Logoff",)),  # not a list of types: one name, as written
    ("", ()),
])
def test_event_types_of_a_rules_row(md, types):
    assert cells.event_types(cell(md)) == types


RM_TWO_TYPES = """Rules by Product and UseCase
============================
Vendor: Acme
------------
### Product: Gate
### Use-Case: Data Access

| Rules | Models | MITRE ATT&CK® TTPs | Activity Types | Parsers |
|:-----:|:------:|:------------------:|:--------------:|:-------:|
|   1   |   1    |         1          |       2        |    1    |

| Event Type | {extra}Rules | Models |
| ---- | {extra_delim}---- | ---- |
| app-login<br>app-activity | {extra_cell}<b>T1078 - Valid Accounts</b><br> ↳ <b>R-ONE</b>: First rule | • <b>M-ONE</b>: Model one |
"""


def test_a_rules_row_of_two_event_types_records_its_items_under_each(tmp_path):
    page = RM_TWO_TYPES.format(extra="", extra_delim="", extra_cell="")
    got = convert(tmp_path, {"DS/Acme/gate/RM/r_m_acme_gate_Data_Access.md": page})
    assert rows(got["rules"], ["event_type", "technique_id", "rule_id", "source_line"]) == [
        ("app-activity", "T1078", "R-ONE", 14), ("app-login", "T1078", "R-ONE", 14)]
    assert rows(got["models"], ["event_type", "model_id"]) == [("app-activity", "M-ONE"), ("app-login", "M-ONE")]
    assert len(got["issues"]) == 0


def test_a_detail_table_with_a_parsers_column_is_no_counts_table(tmp_path):
    page = RM_TWO_TYPES.format(extra="Parsers | ", extra_delim="---- | ", extra_cell="[p](../Ps/pC_p.md) | ")
    got = convert(tmp_path, {"DS/Acme/gate/RM/r_m_acme_gate_Data_Access.md": page})
    assert rows(got["rules"], ["event_type", "rule_id"]) == [("app-activity", "R-ONE"), ("app-login", "R-ONE")]
    assert rows(got["use_case_counts"], ["rules", "models", "parsers", "source_line"]) == [(1, 1, 1, 10)]
    assert rows(got["issues"], ["code", "source_line"]) == [("unknown-column", 12)]


@pytest.mark.parametrize("mark", ["-", "*", "+", "->", "=>"])
def test_items_after_a_typed_mark_on_one_line(mark):
    models, problems = cells.model_items(cell(f"{mark} <b>M-ONE</b>: a {mark} <b>M-TWO</b>: b"))
    assert models == [("M-ONE", "a"), ("M-TWO", "b")]
    assert [code for code, _ in problems] == ["items-on-one-line"]
    rules, _ = cells.rule_items(cell(f"<b>T1078 - V</b><br>{mark} <b>R-1</b>: a {mark} <b>R-2</b>: b"))
    assert rules == [("T1078", "V", "R-1", "a"), ("T1078", "V", "R-2", "b")]


def test_a_dash_inside_a_description_cuts_nothing():
    # (no blank before it, or no `<b>ID</b>:` after it)
    assert cells.model_items(cell("• <b>M-1</b>: pre-<b>X-Y</b>: b - c")) == ([("M-1", "pre-X-Y: b - c")], [])


def test_a_content_count_written_in_words_is_reported():
    assert cells.content(cell("[<ul><li>three Rules</li></ul><ul><li>1 Models</li></ul>](RM/x.md)")) == (
        (None, 1, "RM/x.md"), ["Content cell 'three Rules 1 Models' names rules but no number of them"])


# ---------------------------------------------------------------------------------------------
# what the shapes above must not take (a review's cases, read off each cell)

def test_a_bold_technique_inside_a_description_is_part_of_it():
    md = ("<b>T1078 - Valid Accounts</b><br> ↳ <b>R1</b>: uses <b>T1133 - External Remote Services</b> to log in"
          "<br> ↳ <b>R2</b>: second")
    assert cells.rule_items(cell(md)) == ([
        ("T1078", "Valid Accounts", "R1", "uses T1133 - External Remote Services to log in"),
        ("T1078", "Valid Accounts", "R2", "second")], [])


def test_technique_lines_apart_are_not_joined():
    md = ("<b>T1078 - Valid Accounts</b><br> ↳ <b>R1</b>: x<br><b>T1133 - External Remote Services</b><br>"
          "<b>T1110 - Brute Force</b><br> ↳ <b>R2</b>: y")
    assert cells.rule_items(cell(md))[0] == [("T1078", "Valid Accounts", "R1", "x"), ("T1110", "Brute Force", "R2", "y")]


@pytest.mark.parametrize("md, description", [
    ("↳ <b>R1</b>: logins from A - <b>not-a-rule</b>: see below", "logins from A - not-a-rule: see below"),
    ("↳ <b>R1</b>: ratio 3 * <b>x-y</b>: z", "ratio 3 * x-y: z"),
])
def test_a_dash_in_a_description_of_arrow_items_cuts_nothing(md, description):
    assert cells.rule_items(cell("<b>T1078 - V</b><br>" + md)) == ([("T1078", "V", "R1", description)], [])


def test_overlap_words_without_the_sign_are_part_of_the_name():
    assert cells.correlation_name(cell("Login overlaps with AA hours check")) == ("Login overlaps with AA hours check", False)
    assert cells.content(cell("12 Rules (model-based)")) == ((12, None, None), [])


def test_odd_counts_keep_the_counts_table(tmp_path):
    page = DS_UC.format(header="Activity Types/Parsers").replace("|  3   |   1   |         1", "|  3   |   -   |   ~1", 1)
    got = convert(tmp_path, {"DS/Acme/gate/ds_acme_gate.md": page})
    assert rows(got["products"], ["rules", "models", "mitre_ttps", "activity_types", "parsers"]) == [(3, None, None, 2, 2)]
    assert rows(got["issues"], ["code"]) == [("bad-count",), ("bad-count",)]
