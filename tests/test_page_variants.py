"""Page layouts the three real trees do not have, but later releases may: a parser page with a
`Sample Log` block before its config, a correlation-rule page without `Correlation` in its
title (or with no title), a use-case page titled with the bare use-case name.

The rule is "nothing lost, nothing invented": every parser, rule or product row on such a page
becomes a record (or an issue), and a block or table that holds none makes none.
The pages were written by hand in the docs' format; every expected record was read off them by
hand. Line numbers are 1-based page lines: the table row, or the opening fence of the config.
"""
from __future__ import annotations

try:
    from pagetools import convert, issues, key as _key, kinds, rows
except ImportError:  # tests/ turned into a package
    from tests.pagetools import convert, issues, key as _key, kinds, rows


# ---------------------------------------------------------------------------------------------
# parser-config pages with more than one code block

PS_DIR = "DS/Marlowe/marlowe_relay/Ps/"

# No `Parser Content` heading; the first block is a log sample with `=` and even a `name=`
# key, but no parser: the page is still a parser page, its second block the config (line 7).
PS_SAMPLE = PS_DIR + "pC_marlowerelaykvlogin.md"
PS_SAMPLE_TEXT = r'''#### Sample Log
```
2024-03-01T10:00:00Z relay01 user=bob src=10.0.0.5 action=login
name=carol outcome=success
```

```Java
{
Name = marlowe-relay-kv-login
  Vendor = Marlowe Systems
  Product = Marlowe Relay
  ParserVersion = "v2.1.0"
  DataType = "vpn-login"
  TimeFormat = "yyyy-MM-dd'T'HH:mm:ssZ"
  Conditions = [ """relay""", """action=login""" ]
  Fields = [
    """user=({user}\S+)""",
    """src=({src_ip}[\d.]+)""",
  ]
}
```
'''

# Under `Parser Content`: a JSON sample (`"name":` and an `=` in it) comes first (line 3); the
# config (line 7) is read, and the sample is neither the config nor a second one.
PS_HEADED = PS_DIR + "pC_marlowerelayjsonlogout.md"
PS_HEADED_TEXT = r'''#### Parser Content
##### Sample Log
```json
{"name": "bob", "event": "logout", "query": "a=1", "ip": "10.1.2.3"}
```

```Java
{
Name = marlowe-relay-json-logout
  Vendor = Marlowe Systems
  Conditions = [ """"event": "logout"""" ]
  Fields = [ """"ip": "({src_ip}[^"]+)"""" ]
}
```
'''

# Two configs after a sample, and a block without `=` at the end: the first config (line 6) is
# read; the second (line 12) is a parser left out, reported; the others are not configs.
PS_TWO = PS_DIR + "pC_marlowerelaytwo.md"
PS_TWO_TEXT = r'''#### Parser Content
```
user=dave action=reset
```

```Java
{
Name = marlowe-relay-reset-first
  Conditions = [ """action=reset""" ]
}
```
```Java
{
Name = marlowe-relay-reset-second
  Conditions = [ """reset""" ]
}
```
```
see the vendor guide
```
'''

# A config block without a Name after a sample log: the missing name is reported at the config
# (line 6, the block shaped like a config), not at the log sample.
PS_NONAME = PS_DIR + "pC_marlowerelaynoname.md"
PS_NONAME_TEXT = r'''#### Parser Content
```
user=erin src=10.0.0.9
```

```Java
{
marlowe-events = {
  Vendor = Marlowe Systems
  Fields = [ """user=({user}\S+)""" ]
}
}
```
'''

# A log sample alone, no heading: nothing says parser, nothing is invented.
NOTES = "notes/sample.md"
NOTES_TEXT = "```\nuser=frank name=frank action=login\n```\n"


def test_parser_config_block_chosen_by_content(tmp_path):
    t = convert(tmp_path, {PS_SAMPLE: PS_SAMPLE_TEXT, PS_HEADED: PS_HEADED_TEXT, PS_TWO: PS_TWO_TEXT,
                           PS_NONAME: PS_NONAME_TEXT, NOTES: NOTES_TEXT})
    assert rows(t, "parsers") == sorted([
        ("marlowe-relay-kv-login", "Marlowe Systems", "Marlowe Relay", "v2.1.0", "vpn-login",
         ["yyyy-MM-dd'T'HH:mm:ssZ"], ["relay", "action=login"], ["user", "src_ip"], PS_SAMPLE, 7),
        ("marlowe-relay-json-logout", "Marlowe Systems", None, None, None,
         [], ['"event": "logout"'], ["src_ip"], PS_HEADED, 7),
        ("marlowe-relay-reset-first", None, None, None, None, [], ["action=reset"], [], PS_TWO, 6),
    ], key=_key)
    assert issues(t) == sorted([
        (PS_TWO, 12, "extra-parser-config"),
        (PS_NONAME, 6, "missing-parser-name"),
    ], key=_key)
    k = kinds(t)
    assert {k[p] for p in (PS_SAMPLE, PS_HEADED, PS_TWO, PS_NONAME)} == {"parser_config"}
    assert k[NOTES] == "unknown"


# ---------------------------------------------------------------------------------------------
# correlation-rule pages known by their table

CR_TABLE = '''| Name | Description | Activity Type | MITRE Tactic | Severity | Overlap with AA |
| ---- | ---- | ---- | ---- | ---- | ---- |
| Relay tunnel to a new host | A relay tunnel was opened to a host never seen before. | network-connection | Lateral Movement , Command and Control | 3 | false |
| Relay admin login from a rare country | An administrator logged in from a country rarely seen. | vpn-login | Initial Access | 4 | true |
'''

# The title lacks `Correlation` (and matches the rules-and-models title); rows on lines 10, 11.
CR_TITLED = "DS/Marlowe/marlowe_relay/CR/c_r_marlowe_marlowe_relay_Lateral_Movement.md"
CR_TITLED_TEXT = '''Rules by Product and UseCase
============================
Vendor: Marlowe Systems
-----------------------
### Product: [Marlowe Relay](../ds_marlowe_marlowe_relay.md)
### Use-Case: [Lateral Movement](../../../../UseCases/uc_lateral_movement.md)

''' + CR_TABLE

# No title at all: only the `Use-Case:` label, which use-case pages share; rows on lines 8, 9.
CR_BARE = "DS/Marlowe/marlowe_relay/CR/c_r_marlowe_marlowe_relay_Lateral_Movement_2.md"
CR_BARE_TEXT = '''Vendor: Marlowe Systems
-----------------------
### Product: [Marlowe Relay](../ds_marlowe_marlowe_relay.md)
### Use-Case: [Lateral Movement](../../../../UseCases/uc_lateral_movement.md)

''' + CR_TABLE

# A change log of rules, without `Correlation` in its title: changes, not rules.
CHANGES = "Rule_Changes.md"
CHANGES_TEXT = '''# Rule Changes

| Rule Name | Description | Change Status | Change Date |
| ---- | ---- | ---- | ---- |
| Relay tunnel to a new host | Threshold lowered. | Modified | 2026-01-05 |
'''


def _cr_rows(path, first):
    return [
        ("Marlowe Systems", "Marlowe Relay", "Lateral Movement", "Relay tunnel to a new host",
         "A relay tunnel was opened to a host never seen before.", "network-connection",
         "Lateral Movement, Command and Control", "3", "false", path, first),
        ("Marlowe Systems", "Marlowe Relay", "Lateral Movement", "Relay admin login from a rare country",
         "An administrator logged in from a country rarely seen.", "vpn-login",
         "Initial Access", "4", "true", path, first + 1),
    ]


def test_correlation_pages_known_by_their_table(tmp_path):
    t = convert(tmp_path, {CR_TITLED: CR_TITLED_TEXT, CR_BARE: CR_BARE_TEXT, CHANGES: CHANGES_TEXT})
    assert rows(t, "correlation_rules") == sorted(_cr_rows(CR_TITLED, 10) + _cr_rows(CR_BARE, 8), key=_key)
    k = kinds(t)
    assert (k[CR_TITLED], k[CR_BARE], k[CHANGES]) == ("correlation_rules", "correlation_rules", "index")
    assert issues(t) == [(CHANGES, 3, "unread-table")]
    assert rows(t, "rules") == [] and rows(t, "use_case_products") == []


# ---------------------------------------------------------------------------------------------
# use-case pages known by their tables

# Titled with the bare use case: rows on lines 6 (two techniques) and 10.
UC_PLAIN = "UseCases/uc_account_manipulation.md"
UC_PLAIN_TEXT = '''# Account Manipulation

### Vendor: Marlowe Systems
| Product | MITRE ATT&CK® TTP | Content |
| ---- | ---- | ---- |
| [Marlowe Relay](../DS/Marlowe/marlowe_relay/ds_marlowe_marlowe_relay.md) | T1098 - Account Manipulation<br>T1136.001 - Local Account<br> | [<ul><li>4 Rules</li></ul><ul><li>1 Models</li></ul>](../DS/Marlowe/marlowe_relay/RM/r_m_marlowe_marlowe_relay_Account_Manipulation.md) |
### Vendor: Quarry Labs
| Product | MITRE ATT&CK® TTP | Content |
| ---- | ---- | ---- |
| [Quarry Vault](../DS/Quarry/quarry_vault/ds_quarry_quarry_vault.md) | T1098 - Account Manipulation<br> | [<ul><li>2 Rules</li></ul>](../DS/Quarry/quarry_vault/RM/r_m_quarry_quarry_vault_Account_Manipulation.md) |
'''

# No title at all: the rows are kept, the missing use-case name is reported.
UC_BARE = "UseCases/uc_untitled.md"
UC_BARE_TEXT = '''### Vendor: Quarry Labs
| Product | MITRE ATT&CK® TTP | Content |
| ---- | ---- | ---- |
| [Quarry Vault](../DS/Quarry/quarry_vault/ds_quarry_quarry_vault.md) | T1531 - Account Access Removal<br> | [<ul><li>1 Rules</li></ul>](../DS/Quarry/quarry_vault/RM/r_m_x.md) |
'''

# A product list (no TTPs, no content) stays an index page: the data-source list.
PRODUCTS = "Products.md"
PRODUCTS_TEXT = '''# Products

| Vendor | Product |
| ---- | ---- |
| Quarry Labs | Quarry Vault |
'''


def test_use_case_pages_known_by_their_tables(tmp_path):
    t = convert(tmp_path, {UC_PLAIN: UC_PLAIN_TEXT, UC_BARE: UC_BARE_TEXT, PRODUCTS: PRODUCTS_TEXT})
    assert rows(t, "use_case_products") == sorted([
        ("Account Manipulation", "Marlowe Systems", "Marlowe Relay", "T1098", "Account Manipulation",
         4, 1, None, UC_PLAIN, 6, "../DS/Marlowe/marlowe_relay/ds_marlowe_marlowe_relay.md"),
        ("Account Manipulation", "Marlowe Systems", "Marlowe Relay", "T1136.001", "Local Account",
         4, 1, None, UC_PLAIN, 6, "../DS/Marlowe/marlowe_relay/ds_marlowe_marlowe_relay.md"),
        ("Account Manipulation", "Quarry Labs", "Quarry Vault", "T1098", "Account Manipulation",
         2, None, None, UC_PLAIN, 10, "../DS/Quarry/quarry_vault/ds_quarry_quarry_vault.md"),
        (None, "Quarry Labs", "Quarry Vault", "T1531", "Account Access Removal", 1, None, None, UC_BARE, 4, "../DS/Quarry/quarry_vault/ds_quarry_quarry_vault.md"),
    ], key=_key)
    k = kinds(t)
    assert (k[UC_PLAIN], k[UC_BARE], k[PRODUCTS]) == ("use_case", "use_case", "index")
    assert rows(t, "data_source_index") == [("Quarry Labs", "Quarry Vault", None, PRODUCTS, 5)]
    assert issues(t) == [(UC_BARE, None, "missing-use-case")]


# ---------------------------------------------------------------------------------------------
# tables Markdown does not read as tables: reported, never lost without a word

UC_TABLE = """| Product | MITRE ATT&CK® TTP | Content |
| :----: | ---- | ---- |
| [Gate](../DS/Acme/gate/ds_acme_gate.md) | T1078 - Valid Accounts<br>T1110 - Brute Force | [<ul><li>3 Rules</li></ul>](../DS/Acme/gate/RM/r_m_acme_gate_Data_Access.md) |
"""
UC_HEAD = "Use Case: Data Access\n=====================\n\n### Vendor: Acme\n"
DS_INDENTED = """Vendor: Acme
============
Product: Gate
-------------

    | Use-Case | Activity Types/Parsers | MITRE ATT&CK® TTP | Content |
    | ---- | ---- | ---- | ---- |
    | [Data Access](../../../UseCases/uc_data_access.md) | app-login<br> ↳[acme-login](Ps/pC_acmelogin.md)<br> ↳[acme-sso](Ps/pC_acmesso.md) | T1078 - Valid Accounts | [<ul><li>3 Rules</li></ul>](RM/r_m.md) |
"""


def test_a_table_inside_html_or_indented_as_code_is_reported(tmp_path):
    pages = {
        "UseCases/uc_details.md": UC_HEAD + "<details>\n" + UC_TABLE + "</details>\n",  # no blank line after the tag
        "UseCases/uc_html.md": UC_HEAD + "<table>\n<tr><td>Gate</td><td>T1078</td></tr>\n</table>\n",
        "UseCases/uc_plain.md": UC_HEAD + "\n" + UC_TABLE,
        "DS/Acme/gate/ds_acme_gate.md": DS_INDENTED,
    }
    t = convert(tmp_path, pages)
    # read off the pages: the header of the table in <details> is line 6, the <table> tag
    # line 5, the indented header line 6
    assert issues(t) == [
        ("DS/Acme/gate/ds_acme_gate.md", 6, "hidden-table"),
        ("DS/Acme/gate/ds_acme_gate.md", None, "unread-page"),
        ("UseCases/uc_details.md", 6, "hidden-table"),
        ("UseCases/uc_html.md", 5, "hidden-table")]
    messages = {f"{r.code} {r.source_path}": r.message for r in t["issues"].itertuples()}
    # two parser links and one ATT&CK id on the indented page
    assert "names 2 parser page link(s) and 1 ATT&CK id(s)" in messages["unread-page DS/Acme/gate/ds_acme_gate.md"]
    assert "HTML table" in messages["hidden-table UseCases/uc_html.md"]
    assert kinds(t)["DS/Acme/gate/ds_acme_gate.md"] == "unknown"
    # the same table with a blank line before it is read: two techniques of one product
    assert [r[3] for r in rows(t, "use_case_products")] == ["T1078", "T1110"]


def test_html_and_code_blocks_without_a_table_say_nothing(tmp_path):
    page = UC_HEAD + "\n" + UC_TABLE + "\n<div>\nA note | with a pipe\n---\n</div>\n\n    some code\n    a | b\n"
    t = convert(tmp_path, {"UseCases/uc_data_access.md": page})
    assert issues(t) == []


def test_a_page_holding_only_a_byte_order_mark_is_empty(tmp_path):
    t = convert(tmp_path, {"a.md": "\ufeff", "b.md": "\ufeff \n"})
    assert issues(t) == [("a.md", None, "empty-page"), ("b.md", None, "empty-page")]


DS_RUN_TOGETHER = """Vendor: Acme
============
Product: Gate
-------------
| Rules | Models | MITRE ATT&CK® TTPs | Activity Types | Parsers |
|:-----:|:------:|:------------------:|:--------------:|:-------:|
|  3   |   1   |         1          |       1        |    2    |
|    Use-Case    | Activity Types/Parsers    | MITRE ATT&CK® TTP    | Content    |
|:----:| ---- | ---- | ---- |
| [Data Access](../../../UseCases/uc_data_access.md) | app-login<br> ↳[acme-login](Ps/pC_a.md)<br> ↳[acme-sso](Ps/pC_b.md) | T1078 - Valid Accounts | [<ul><li>3 Rules</li></ul><ul><li>1 Models</li></ul>](RM/r_m_acme_gate_Data_Access.md) |
"""


def test_a_table_right_under_another_is_read_as_its_own(tmp_path):
    t = convert(tmp_path, {"DS/Acme/gate/ds_acme_gate.md": DS_RUN_TOGETHER})
    # read off the page: counts on line 7, the use-case header on line 8, its row on line 10
    assert rows(t, "products") == [("Acme", "Gate", 3, 1, 1, 1, 2, "DS/Acme/gate/ds_acme_gate.md", 7)]
    assert [(r[2], r[5], r[8]) for r in rows(t, "use_cases")] == [
        ("Data Access", "RM/r_m_acme_gate_Data_Access.md", 10)]
    assert [(r[3], r[5], r[8]) for r in rows(t, "activity_parsers")] == [
        ("app-login", "acme-login", 10), ("app-login", "acme-sso", 10)]
    assert issues(t) == [("DS/Acme/gate/ds_acme_gate.md", 8, "table-under-table")]


def test_a_counts_row_of_dashes_is_no_table_header(tmp_path):
    # (`-` is how a counts cell says "none": a second row of them is an extra counts row)
    page = DS_RUN_TOGETHER.replace("|    Use-Case", "| - | - | - | - | - |\n\n|    Use-Case", 1)
    t = convert(tmp_path, {"DS/Acme/gate/ds_acme_gate.md": page})
    assert issues(t) == [("DS/Acme/gate/ds_acme_gate.md", 8, "extra-counts-row")]
    assert len(rows(t, "activity_parsers")) == 2


def _ds_page(counts: bool, use_case: str, next_page: str | None) -> str:
    text = "Vendor: Acme\n============\nProduct: Gate\n-------------\n"
    if counts:
        text += ("| Rules | Models | MITRE ATT&CK® TTPs | Activity Types | Parsers |\n"
                 "|:-----:|:------:|:------------------:|:--------------:|:-------:|\n"
                 "|  6   |   2   |         2          |       2        |    2    |\n\n")
    text += ("| Use-Case | Activity Types/Parsers | MITRE ATT&CK® TTP | Content |\n| ---- | ---- | ---- | ---- |\n"
             f"| [{use_case}](../../../UseCases/uc.md) | app-login<br> ↳[acme-{use_case[0]}](Ps/pC_a.md) "
             f"| T1078 - Valid Accounts | [<ul><li>3 Rules</li></ul>](RM/r_m.md) |\n")
    if next_page:
        text += f"\n[Next Page -->>]({next_page})\n"
    return text


def test_a_continuation_that_repeats_its_product_headings_is_a_continuation(tmp_path):
    main, cont = "DS/Acme/gate/ds_acme_gate.md", "DS/Acme/gate/2_ds_acme_gate.md"
    t = convert(tmp_path, {main: _ds_page(True, "Data Access", "2_ds_acme_gate.md"),
                           cont: _ds_page(False, "Malware", None)})
    assert [r[:4] for r in rows(t, "products")] == [("Acme", "Gate", 6, 2)]  # once, with its counts
    assert kinds(t) == {main: "data_source", cont: "data_source_continuation"}
    assert rows(t, "pages", source_path=cont)[0][-1] == main  # it continues the main page
    assert [(r[2], r[-2]) for r in rows(t, "use_cases")] == [("Data Access", main), ("Malware", cont)]
    assert issues(t) == []


def test_a_page_without_counts_that_no_page_of_its_product_leads_to_stays_a_product(tmp_path):
    # (the 2021 flat layout: no counts at all; the product is one all the same)
    page = "DS/Acme/gate/ds_acme_gate.md"
    t = convert(tmp_path, {page: _ds_page(False, "Malware", None)})
    assert [r[:4] for r in rows(t, "products")] == [("Acme", "Gate", None, None)]
    assert issues(t) == [(page, None, "missing-counts")]


def test_a_data_sources_table_with_categories_fills_both_tables(tmp_path):
    ds = ("Exabeam Data Sources\n====================\n\n| Vendor | Product | Category |\n| -- | -- | -- |\n"
          "| Acme | [Gate](DS/Acme/gate/ds_acme_gate.md)<br>[Door](DS/Acme/door/ds_acme_door.md) | Identity |\n")
    cats = ("Exabeam Product Categories\n==========================\n\n| Product Category | Vendor | Product |\n"
            "| -- | -- | -- |\n| Storage | Orrin | [Vault](DS/Orrin/vault/ds_orrin_vault.md) |\n")
    t = convert(tmp_path, {"Exabeam Data Sources.md": ds, "Exabeam Product Categories.md": cats})
    assert rows(t, "data_source_index") == [
        ("Acme", "Door", "DS/Acme/door/ds_acme_door.md", "Exabeam Data Sources.md", 6),
        ("Acme", "Gate", "DS/Acme/gate/ds_acme_gate.md", "Exabeam Data Sources.md", 6)]
    assert rows(t, "product_categories") == [
        ("Identity", None, "Acme", "Door", "Exabeam Data Sources.md", 6),
        ("Identity", None, "Acme", "Gate", "Exabeam Data Sources.md", 6),
        ("Storage", None, "Orrin", "Vault", "Exabeam Product Categories.md", 6)]
    assert issues(t) == []


def test_a_use_case_row_naming_two_products_gives_each_its_records(tmp_path):
    page = (UC_HEAD + "| Product | MITRE ATT&CK® TTP | Content |\n| :----: | ---- | ---- |\n"
            "| [Gate](../DS/Acme/gate/ds_acme_gate.md)<br>[Door](../DS/Acme/door/ds_acme_door.md) "
            "| T1078 - Valid Accounts | [<ul><li>3 Rules</li></ul>](../DS/Acme/gate/RM/r_m.md) |\n")
    t = convert(tmp_path, {"UseCases/uc_data_access.md": page})
    assert [(r[2], r[3], r[5], r[-1]) for r in rows(t, "use_case_products")] == [
        ("Door", "T1078", 3, "../DS/Acme/door/ds_acme_door.md"), ("Gate", "T1078", 3, "../DS/Acme/gate/ds_acme_gate.md")]
    assert issues(t) == []


def test_a_row_of_dashes_inside_a_table_starts_no_table(tmp_path):
    page = ("Exabeam Data Sources\n====================\n\n| Vendor | Product |\n|---|---|\n| A | [P](p.md) |\n"
            "| B | [Q](q.md) |\n| --- | --- |\n| C | [R](r.md) |\n")
    t = convert(tmp_path, {"Exabeam Data Sources.md": page})
    assert [(r[0], r[1]) for r in rows(t, "data_source_index")] == [("---", "---"), ("A", "P"), ("B", "Q"), ("C", "R")]
    assert "table-under-table" not in {i[2] for i in issues(t)}


def test_a_cut_off_row_of_an_unread_table_is_still_reported():
    from extractor.extract import extract_bytes

    r = extract_bytes("x.md", b"some text\n\n| a | b |\n|---|---|\n| 1 | 2 |\n| 3 | 4")
    assert [i[3] for i in r.issues if i[3] == "truncated-table"] == ["truncated-table"]


def test_a_link_beside_a_product_is_no_product(tmp_path):
    page = (UC_HEAD + "| Product | MITRE ATT&CK® TTP | Content |\n| :----: | ---- | ---- |\n"
            "| [Gate](../DS/Acme/gate/ds_acme_gate.md) ([notes](https://example.com/n)) | T1078 - Valid Accounts "
            "| [<ul><li>3 Rules</li></ul>](../DS/Acme/gate/RM/r_m.md) |\n")
    t = convert(tmp_path, {"UseCases/uc_data_access.md": page})
    assert [r[2] for r in rows(t, "use_case_products")] == ["Gate"]


def test_a_count_missing_on_one_side_is_a_change():
    import pandas as pd

    from extractor.compare import _compare

    old = pd.DataFrame({"vendor": ["A"], "product": ["P"], "rules": pd.array([None], "Int32"),
                        "models": pd.array([1], "Int32"), "mitre_ttps": pd.array([1], "Int32"),
                        "activity_types": pd.array([1], "Int32"), "parsers": pd.array([1], "Int32")})
    new = old.copy()
    new["rules"] = pd.array([5], "Int32")
    assert list(_compare("products", old, new)["change"]) == ["changed"]


def test_a_very_wide_table_is_named_in_a_message_by_its_first_columns():
    from extractor import markdown
    from extractor.pages.common import header_names

    cols = [f"c{i}" for i in range(100)]
    doc = markdown.parse("| " + " | ".join(cols) + " |\n|" + "---|" * 100 + "\n")
    assert header_names(doc.tables[0]) == ", ".join(f"'c{i}'" for i in range(20)) + " and 80 more"
    narrow = markdown.parse("| a | b |\n|---|---|\n")
    assert header_names(narrow.tables[0]) == "'a', 'b'"
