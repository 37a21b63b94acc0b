"""Layouts of 2020-2021 releases (Content-Doc) that the three real trees do not have: flat data-source
pages without a counts table, category cells written as `- A<br>- B`, a matrix whose tactic
headers are lower case or misspelt, use-case pages with both an `Activity Types` (categories) and
an `Event Types` column.

The pages were written by hand in the docs' format, with made-up vendors; every expected record
was read off them by hand. Line numbers are 1-based page lines.
"""
from __future__ import annotations

try:
    from pagetools import convert, issues, key, kinds, rows
except ImportError:  # tests/ turned into a package
    from tests.pagetools import convert, issues, key, kinds, rows


# A flat 2021 data-source page: no counts table, categories as dash items, `-- [parser]` marks,
# and a matrix with one header in lower case and one misspelt.
FLAT = "DataSources/datasource_quarrel_quarrel_gate.md"
FLAT_TEXT = """Vendor: Quarrel
===============
Product: Quarrel Gate
---------------------
| Use-Case | Activity Types | Event Types/Parsers | MITRE TTP | Content |
|:--------:|:--------------:|:-------------------:|:---------:|:-------:|
| [Badge Access](../UseCases/usecase_badge_access.md) | - Physical Access<br>- Activity Time  and Type<br> | physical-access<br> -- [quarrel-badge-in](../Parsers/parserContent_quarrel-badge-in.md)<br> | T1078 - Valid Accounts<br> | - 3 Rules<br> - 1 Models |

ATT&CK Matrix for Enterprise
----------------------------
| Initial Access | Privilage escalation | Defense evasion |
|:--------------:|:--------------------:|:---------------:|
| [Valid Accounts](https://attack.mitre.org/techniques/T1078) | [Valid Accounts](https://attack.mitre.org/techniques/T1078) | [Valid Accounts](https://attack.mitre.org/techniques/T1078) |
"""


def test_flat_page_without_counts_categories_and_tactics(tmp_path):
    t = convert(tmp_path, {FLAT: FLAT_TEXT})
    assert kinds(t) == {FLAT: "data_source"}
    # The product is a row even without counts (line 3: the `Product:` heading).
    assert rows(t, "products") == [("Quarrel", "Quarrel Gate", None, None, None, None, None, FLAT, 3)]
    uc = "Badge Access"
    assert rows(t, "use_case_categories") == sorted([
        ("Quarrel", "Quarrel Gate", uc, "Activity Time and Type", FLAT, 7),
        ("Quarrel", "Quarrel Gate", uc, "Physical Access", FLAT, 7),
    ])
    assert rows(t, "activity_parsers") == [
        ("Quarrel", "Quarrel Gate", uc, "physical-access", None, "quarrel-badge-in",
         "../Parsers/parserContent_quarrel-badge-in.md", FLAT, 7)]
    url = "https://attack.mitre.org/techniques/T1078"
    assert rows(t, "attack_matrix") == sorted([
        ("Quarrel", "Quarrel Gate", tactic, "T1078", "Valid Accounts", url, FLAT, 13)
        for tactic in ("Initial Access", "Privilege Escalation", "Defense Evasion")])
    # The misspelling is reported (the case is not: `Defense evasion` is the tactic's name);
    # the page has no counts table, which is news, not damage.
    assert issues(t) == [(FLAT, 11, "tactic-spelling"), (FLAT, None, "missing-counts")]
    sev = dict(zip(t["issues"]["code"], t["issues"]["severity"]))
    assert sev["missing-counts"] == "info"


def test_a_header_far_from_any_tactic_is_still_unknown(tmp_path):
    text = FLAT_TEXT.replace("Privilage escalation", "Reputation")
    t = convert(tmp_path, {FLAT: text})
    assert (FLAT, 11, "unknown-tactic") in issues(t)
    assert "Reputation" in set(t["attack_matrix"]["tactic"])


# A 2021 use-case page: `Activity Types` holds categories, `Event Types` the event types.
UC = "UseCases/usecase_badge_access.md"
UC_TEXT = """Use Case: Badge Access
======================

### Vendor: Quarrel
| Product | Activity Types | Event Types | MITRE TTP | Content |
|:-------:|:--------------:|:-----------:|:---------:|:-------:|
| [Quarrel Gate](../DataSources/datasource_quarrel_quarrel_gate.md) | - Physical Access<br>- Activity Time  and Type | - physical-access<br>- failed-physical-access<br> | T1078 - Valid Accounts<br>T1110 - Brute Force | - 3 Rules<br> - 1 Models |
"""


def test_use_case_page_with_categories_beside_event_types(tmp_path):
    t = convert(tmp_path, {UC: UC_TEXT})
    assert kinds(t) == {UC: "use_case"}
    events = "physical-access, failed-physical-access"
    assert rows(t, "use_case_products") == sorted([
        ("Badge Access", "Quarrel", "Quarrel Gate", "T1078", "Valid Accounts", 3, 1, events, UC, 7, "../DataSources/datasource_quarrel_quarrel_gate.md"),
        ("Badge Access", "Quarrel", "Quarrel Gate", "T1110", "Brute Force", 3, 1, events, UC, 7, "../DataSources/datasource_quarrel_quarrel_gate.md"),
    ])
    assert rows(t, "use_case_categories") == sorted([
        ("Quarrel", "Quarrel Gate", "Badge Access", "Activity Time and Type", UC, 7),
        ("Quarrel", "Quarrel Gate", "Badge Access", "Physical Access", UC, 7),
    ])
    assert issues(t) == []


def test_quoted_activity_types_are_read_without_their_quotes():
    """Some CIM2 pages quote a type (`""app-notification:success""`, `"account-deleted"`):
    the same type as unquoted, with a warning."""
    from extractor import cells
    from extractor.markdown import parse

    md = ('| a |\n| --- |\n| ""app-notification:success""<br> ↳[f5-notice](Ps/pC_f5notice.md)<br><br>'
          ' "account-deleted"<br> ↳[az-delete](Ps/pC_azdelete.md)<br>dlp-alert |\n')
    pairs, problems = cells.activity_parsers(parse(md).tables[0].rows[0].cells[0])
    assert pairs == [("app-notification:success", None, "f5-notice", "Ps/pC_f5notice.md"),
                     ("account-deleted", None, "az-delete", "Ps/pC_azdelete.md"),
                     ("dlp-alert", None, None, None)]
    assert [code for code, _ in problems] == ["stray-quote", "stray-quote"]


# An older correlation-rule change log (CIM2, 2023): `Updated at | Query of Change` columns, not
# `Change Status | Change Date`. Changes, not the rules: no correlation_rules row.
LOG = "CorrelationRules_ChangeLog.md"
LOG_TEXT = """Security Content c0101.1 Changelog
==================================

Correlation Rules
-----------------

| Correlation Rule | Descriptiom | Updated at | Query of Change |
|:---:|:---:|:---:|:---:|
| Shadow copy of the directory database | A copy was made. | 2023-07-03T15:00:00.000+00:00 | process-create |
"""


def test_older_change_log_is_not_read_as_rules(tmp_path):
    t = convert(tmp_path, {LOG: LOG_TEXT})
    assert kinds(t) == {LOG: "index"}
    assert rows(t, "correlation_rules") == []
    assert issues(t) == [(LOG, 7, "unread-table")]


# ---------------------------------------------------------------------------------------------
# The 2020 layout: lists, not tables.

DS20 = "DataSources/datasource_quarrel_turnstile.md"
DS20_TEXT = """Vendor: Quarrel
===============
Product: Turnstile
------------------

### Use Cases

_The following Use Cases can be operationalized using log data from this data source_

* [Badge Access](../UseCases/usecase_badge_access.md)
* [Physical Security](../UseCases/usecase_physical_security.md)


### Event Types

_The following list of Event Types can be generated by Data Source Quarrel Turnstile:_

- physical-access
- failed-physical-access


### Parsers

* [quarrel-turnstile-in](../Parsers/parserContent_quarrel-turnstile-in.md)
* quarrel-turnstile-out

### See also

* [Quarrel](https://quarrel.example/)
"""


def test_2020_data_source_page_of_lists(tmp_path):
    """Use cases, event types and parsers listed apart: each a record, none paired with
    another (the page does not say which parser serves which type)."""
    t = convert(tmp_path, {DS20: DS20_TEXT})
    assert kinds(t) == {DS20: "data_source"}
    v, p = "Quarrel", "Turnstile"
    assert rows(t, "products") == [(v, p, None, None, None, None, None, DS20, 3)]
    assert rows(t, "use_cases") == sorted([
        (v, p, "Badge Access", None, None, None, "../UseCases/usecase_badge_access.md", DS20, 10),
        (v, p, "Physical Security", None, None, None, "../UseCases/usecase_physical_security.md", DS20, 11),
    ])
    assert rows(t, "activity_parsers") == sorted([
        (v, p, None, "physical-access", None, None, None, DS20, 18),
        (v, p, None, "failed-physical-access", None, None, None, DS20, 19),
        (v, p, None, None, None, "quarrel-turnstile-in", "../Parsers/parserContent_quarrel-turnstile-in.md", DS20, 24),
        (v, p, None, None, None, "quarrel-turnstile-out", None, DS20, 25),
    ], key=key)
    assert issues(t) == [(DS20, 25, "parser-without-link"), (DS20, 29, "unread-list"),
                         (DS20, None, "missing-counts"), (DS20, None, "unpaired-lists")]


UC20 = "UseCases/usecase_turnstile_activity.md"
UC20_TEXT = """Use Case: Turnstile Activity
============================

### Supported Data Sources

_The following list of Supported Exabeam Data Sources power this use case:_

* [Quarrel Turnstile](../DataSources/datasource_quarrel_turnstile.md)
* [Gatekeep](../DataSources/datasource_gatekeep_gatekeep.md)


### Exabeam Event Types

- 
- physical-access
- failed-physical-access
### Exabeam Content Library for this Use Case


_Rules_
- PA-UT-A : Abnormal turnstile time for the user
- PA-F-Z : First turnstile for the user in the zone
- a note with no ID


_Exabeam Models_
- PA-UT : 
- PA-ZN : Zones a user passes through
"""


def test_2020_use_case_page_of_lists(tmp_path):
    t = convert(tmp_path, {UC20: UC20_TEXT})
    assert kinds(t) == {UC20: "use_case"}
    uc = "Turnstile Activity"
    events = "physical-access, failed-physical-access"
    assert rows(t, "use_case_products") == sorted([
        (uc, None, "Quarrel Turnstile", None, None, None, None, events, UC20, 8,
         "../DataSources/datasource_quarrel_turnstile.md"),
        (uc, None, "Gatekeep", None, None, None, None, events, UC20, 9, "../DataSources/datasource_gatekeep_gatekeep.md"),
    ])
    assert rows(t, "rules") == sorted([
        (None, None, uc, None, None, None, "PA-UT-A", "Abnormal turnstile time for the user", UC20, 21),
        (None, None, uc, None, None, None, "PA-F-Z", "First turnstile for the user in the zone", UC20, 22),
    ])
    assert rows(t, "models") == sorted([
        (None, None, uc, None, "PA-UT", None, UC20, 27),
        (None, None, uc, None, "PA-ZN", "Zones a user passes through", UC20, 28),
    ], key=key)
    assert issues(t) == [(UC20, 23, "bad-rule-item")]


IDX21 = "Exabeam Data Sources.md"
IDX21_TEXT = """Exabeam Data Sources
====================

The following list are the out-of-the-box supported Data Sources.

#### Gatekeep
* [Gatekeep](DataSources/datasource_gatekeep_gatekeep.md)
#### Quarrel
* [Turnstile](DataSources/datasource_quarrel_turnstile.md)
* [Quarrel Gate](DataSources/datasource_quarrel_quarrel_gate.md)
"""


def test_2021_data_source_index_of_lists(tmp_path):
    t = convert(tmp_path, {IDX21: IDX21_TEXT})
    assert kinds(t) == {IDX21: "index"}
    assert rows(t, "data_source_index") == sorted([
        ("Gatekeep", "Gatekeep", "DataSources/datasource_gatekeep_gatekeep.md", IDX21, 7),
        ("Quarrel", "Turnstile", "DataSources/datasource_quarrel_turnstile.md", IDX21, 9),
        ("Quarrel", "Quarrel Gate", "DataSources/datasource_quarrel_quarrel_gate.md", IDX21, 10),
    ])
    assert issues(t) == []


def test_2021_index_item_with_words_beside_its_link(tmp_path):
    """`* Gatekeep [docs](...)`: the link names the product (its text, as everywhere); the
    words beside it are not guessed to be the name, and not dropped either: an issue."""
    text = IDX21_TEXT.replace("* [Gatekeep](DataSources/datasource_gatekeep_gatekeep.md)",
                              "* Gatekeep [docs](DataSources/datasource_gatekeep_gatekeep.md) (2021)")
    # (the link's text also inside a word beside it: the word is said whole)
    text = text.replace("* [Turnstile](", "* Turnstiles [Turnstile](")
    text = text.replace("* [Quarrel Gate](DataSources/datasource_quarrel_quarrel_gate.md)",
                        "* [Quarrel Gate](DataSources/datasource_quarrel_quarrel_gate.md), "
                        "[Turnstile](DataSources/datasource_quarrel_turnstile.md)")
    t = convert(tmp_path, {IDX21: text})
    assert sorted(rows(t, "data_source_index")) == sorted([
        ("Gatekeep", "docs", "DataSources/datasource_gatekeep_gatekeep.md", IDX21, 7),
        ("Quarrel", "Turnstile", "DataSources/datasource_quarrel_turnstile.md", IDX21, 9),
        ("Quarrel", "Quarrel Gate", "DataSources/datasource_quarrel_quarrel_gate.md", IDX21, 10),
        ("Quarrel", "Turnstile", "DataSources/datasource_quarrel_turnstile.md", IDX21, 10),
    ])
    # (the comma between two links of line 10 says nothing: no issue there)
    assert issues(t) == [(IDX21, 7, "stray-text"), (IDX21, 9, "stray-text")]
    found = t["issues"][t["issues"]["code"] == "stray-text"].sort_values("source_line")
    assert list(found["message"]) == ["text 'Gatekeep (2021)' beside a link is not part of any record",
                                      "text 'Turnstiles' beside a link is not part of any record"]


# ---------------------------------------------------------------------------------------------
# Lists where they are not data, and lists holding other blocks (found in review)

def test_a_heading_or_code_block_inside_a_list_item():
    from extractor.markdown import parse

    doc = parse("# T\n\n- a\n\n  ```\n  code\n  ```\n- ## H\n- b [l](u)\n\nafter [x](y)\n")
    assert [(i.line, i.text) for i in doc.lists[0].items] == [(3, "a"), (8, ""), (9, "b l")]
    assert [c.text for c in doc.code] == ["code\n"]
    assert [h.text for h in doc.headings] == ["T", "H"]
    assert doc.links == [("u", "l", 9), ("y", "x", 11)]


def test_a_parser_page_with_its_config_in_a_numbered_list(tmp_path):
    page = "Parsers/parserContent_quarrel-gate-in.md"
    text = ("# Parser Content\n\n1. The config:\n\n   ```\n   {\n   Name = quarrel-gate-in\n"
            "   Vendor = Quarrel\n   Conditions = [ \"\"\"gate-in\"\"\" ]\n   }\n   ```\n2. Done\n")
    t = convert(tmp_path, {page: text})
    assert kinds(t) == {page: "parser_config"}
    assert [r[:2] for r in rows(t, "parsers")] == [("quarrel-gate-in", "Quarrel")]


def test_lists_beside_the_tables_of_current_pages_are_not_records(tmp_path):
    """A footnote list under the use-case table, a navigation list above the index's title:
    not use cases, not products."""
    ds = "DS/Quarrel/quarrel_gate/ds_quarrel_quarrel_gate.md"
    ds_text = FLAT_TEXT.replace("ATT&CK Matrix", "* Rules marked * are new\n* [notes](n.md)\n\nATT&CK Matrix")
    idx_text = "- [Home](README.md)\n\n" + IDX21_TEXT
    t = convert(tmp_path, {ds: ds_text, IDX21: idx_text})
    assert [r[2] for r in rows(t, "use_cases")] == ["Badge Access"]
    assert len(rows(t, "data_source_index")) == 3
    assert (IDX21, 1, "unread-list") in issues(t)


def test_2020_rules_and_models_lists_under_their_own_headings(tmp_path):
    text = UC20_TEXT.replace("_Rules_", "#### Rules").replace("_Exabeam Models_", "#### Models")
    t = convert(tmp_path, {UC20: text})
    assert [r[6] for r in rows(t, "rules")] == ["PA-F-Z", "PA-UT-A"]
    assert [r[4] for r in rows(t, "models")] == ["PA-UT", "PA-ZN"]


def test_a_quoted_type_with_its_legacy_name():
    from extractor import cells

    problems: list = []
    assert cells.activity_type('"app-login" (app-login)', problems) == ("app-login", "app-login")
    assert [code for code, _ in problems] == ["stray-quote"]


def test_rule_lists_with_a_last_updated_column_or_a_changelog_section(tmp_path):
    cr = "CR/c_r_quarrel_quarrel_gate_Badge_Access.md"
    cr_text = ("Vendor: Quarrel\n===============\nProduct: Quarrel Gate\n---------------------\n"
               "Use-Case: Badge Access\n----------------------\n\n"
               "| Name | Description | Activity Type | MITRE Tactic | Severity | Last Updated |\n"
               "|---|---|---|---|---|---|\n"
               "| Gate forced open | A door was forced | physical-access | Impact | High | 2021-05-01 |\n\n"
               "## Correlation rules changelog\n\n- 2021: added\n")
    t = convert(tmp_path, {cr: cr_text})
    assert kinds(t) == {cr: "correlation_rules"}
    assert [r[3] for r in rows(t, "correlation_rules")] == ["Gate forced open"]


def test_2020_use_case_page_without_data_sources_keeps_its_event_types(tmp_path):
    text = UC20_TEXT.replace("* [Quarrel Turnstile](../DataSources/datasource_quarrel_turnstile.md)\n"
                             "* [Gatekeep](../DataSources/datasource_gatekeep_gatekeep.md)\n", "")
    t = convert(tmp_path, {UC20: text})
    events = "physical-access, failed-physical-access"
    # The event types' list starts on line 12 of the page without its two product lines.
    assert rows(t, "use_case_products") == [
        ("Turnstile Activity", None, None, None, None, None, None, events, UC20, 12, None)]
    assert (UC20, 12, "empty-product") in issues(t)


def test_2020_data_source_page_with_an_empty_use_case_list(tmp_path):
    text = DS20_TEXT.replace("* [Badge Access](../UseCases/usecase_badge_access.md)\n"
                             "* [Physical Security](../UseCases/usecase_physical_security.md)\n", "")
    t = convert(tmp_path, {DS20: text})
    assert rows(t, "use_cases") == []
    assert (DS20, 6, "empty-use-case-list") in issues(t)
    assert not [i for i in issues(t) if i[2] == "missing-use-cases"]


# ---------------------------------------------------------------------------------------------
# `Activity Types` and `Parsers` as two columns of a use-case table

SEP = "DS/Quarrel/quarrel_gate/ds_quarrel_quarrel_gate.md"
SEP_TEXT = """### Vendor: Quarrel

### Product: Quarrel Gate

| Use-Case | Activity Types | Parsers | MITRE ATT&CK® TTP |
|:--:|:--:|:--:|:--:|
| [Badge Access](../../../UseCases/uc_badge_access.md) | physical-access<br>"failed-physical-access" | ↳[quarrel-in](Ps/pC_quarrelin.md)<br>↳[quarrel-out](Ps/pC_quarrelout.md) | T1078 - Valid Accounts |
| [Physical Security](../../../UseCases/uc_physical_security.md) | <ul><li>Physical Access</li></ul> | ↳[quarrel-in](Ps/pC_quarrelin.md) | |
"""


def test_types_and_parsers_in_two_columns(tmp_path):
    """The types themselves (row 7): types and parsers recorded apart, as on 2020 list pages.
    Categories (row 8): categories, and the parser under no type, as 2021 pages have them."""
    t = convert(tmp_path, {SEP: SEP_TEXT})
    v, p, uc1, uc2 = "Quarrel", "Quarrel Gate", "Badge Access", "Physical Security"
    assert rows(t, "activity_parsers") == sorted([
        (v, p, uc1, "physical-access", None, None, None, SEP, 7),
        (v, p, uc1, "failed-physical-access", None, None, None, SEP, 7),
        (v, p, uc1, None, None, "quarrel-in", "Ps/pC_quarrelin.md", SEP, 7),
        (v, p, uc1, None, None, "quarrel-out", "Ps/pC_quarrelout.md", SEP, 7),
        (v, p, uc2, None, None, "quarrel-in", "Ps/pC_quarrelin.md", SEP, 8),
    ], key=key)
    assert rows(t, "use_case_categories") == [(v, p, uc2, "Physical Access", SEP, 8)]
    assert [r[2] for r in rows(t, "use_cases")] == [uc1, uc2]
    assert [r[3] for r in rows(t, "use_case_ttps")] == ["T1078"]
    assert issues(t) == [(SEP, 7, "stray-quote"), (SEP, 7, "unpaired-lists"), (SEP, 8, "parser-without-type"),
                         (SEP, None, "missing-counts")]
