"""Rules-and-models pages and correlation-rule pages: use_case_counts, rules, models,
correlation_rules.

The small pages below were written by hand in the format of the docs (not copied from any
release); every expected record was read off them by hand. Line numbers are the 1-based lines of
the Markdown table rows. The corpus tests at the end count rule items, model items and
correlation-rule rows with their own regexes over the raw page text and compare per page.
"""
from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import given, settings, strategies as st

try:
    from conftest import CORPUS_ARCHIVES
    from pagetools import convert, issues, rows
except ImportError:  # tests/ turned into a package
    from tests.conftest import CORPUS_ARCHIVES
    from tests.pagetools import convert, issues, rows

import extractor
from extractor import cells
from extractor.markdown import BR, parse

# ---------------------------------------------------------------------------------------------
# hand-written pages

FG = ("Fernhollow", "Fernhollow Gate")
FG_RM = "DS/Fernhollow/fernhollow_gate/RM/r_m_fernhollow_fernhollow_gate_Account_Manipulation.md"
# CIM2 spelling: a title, a setext `Vendor:` h2, two event-type rows; a sub-technique whose name
# holds a colon, descriptions holding `:` and `<b>`, the same rule under two techniques, a tactic
# line `TA0003 - TA0003`, a rule without description, an empty Models cell.
FG_RM_TEXT = """\
Rules by Product and UseCase
============================
Vendor: Fernhollow
------------------
### Product: [Fernhollow Gate](../ds_fernhollow_fernhollow_gate.md)
### Use-Case: [Account Manipulation](../../../../UseCases/uc_account_manipulation.md)

| Rules | Models | MITRE ATT&CK® TTPs | Activity Types | Parsers |
|:-----:|:------:|:------------------:|:--------------:|:-------:|
|   3   |   2    |         3          |       2        |    3    |

| Event Type   | Rules    | Models    |
| ---- | ---- | ---- |
| app-login | <b>T1078 - Valid Accounts</b><br> ↳ <b>FG-Login-F</b>: First login for user: from a new host<br> ↳ <b>FG-Admin</b>: Admin login with <b>elevated</b> rights<br><br><b>T1098.002 - Account Manipulation: Exchange Email Delegate Permissions</b><br> ↳ <b>FG-Login-F</b>: First login for user: from a new host |  • <b>FG-UL</b>: Logins per user<br> • <b>FG-OL</b>: Logins for organization: peers |
|  account-password-change  | <b>TA0003 - TA0003</b><br> ↳ <b>FG-PW-NODESC</b>:  |    |
"""

OV = ("Orrin Labs", "Orrin Vault")
OV_RM = "DataSources/Orrin_Labs/Orrin_Vault/RM/r_m_orrin_labs_orrin_vault_Data_Access.md"
# content-doc 2022 spelling: no title, `Vendor:` as a setext h1, `MITRE TTPs`/`Event Types`; a
# rule before any technique (irregular: null technique and an issue), untidy spaces.
OV_RM_TEXT = """\
Vendor: Orrin Labs
==================
### Product: [Orrin Vault](../ds_orrin_labs_orrin_vault.md)
### Use-Case: [Data Access](../../../../UseCases/uc_data_access.md)

| Rules | Models | MITRE TTPs | Event Types | Parsers |
|:-----:|:------:|:----------:|:-----------:|:-------:|
|   2   |   1    |     1      |      1      |    1    |

| Event Type | Rules    | Models    |
| ---------- | ---- | ---- |
| file-read  |  ↳ <b>OV-NoTech</b>:   Read   of a   vault file<br><b>T1005 - Data from Local System</b><br> ↳ <b>OV-Read-A</b>: Abnormal vault reads |  • <b>OV-Reads</b>: Vault reads per user |
"""

QP = ("Quill", "Quill Pad")
QP_RM = "DataSources/Quill/Quill_Pad/Rules_Models/r_m_quill_quill_pad_Other.md"
# 2021 place (`Rules_Models/`, recognised by content) with an empty Rules cell and a model
# written `<b>ID:</b> text`.
QP_RM_TEXT = """\
Vendor: Quill
=============
### Product: [Quill Pad](../ds_quill_quill_pad.md)
### Use-Case: [Other](../../../../UseCases/uc_other.md)

| Rules | Models | MITRE TTPs | Event Types | Parsers |
|:-----:|:------:|:----------:|:-----------:|:-------:|
|   0   |   1    |     0      |      1      |    1    |

| Event Type      | Rules | Models                                  |
| --------------- | ----- | --------------------------------------- |
| physical-access |       |  • <b>QP-BA:</b> Badge accesses per user |
"""

# Header and delimiter written on one line: no table in GFM. The counts say there is nothing
# to list, so the page loses nothing and is clean.
FG_ENRICH = "DS/Fernhollow/fernhollow_gate/RM/r_m_fernhollow_fernhollow_gate_Enrichment.md"
FG_ENRICH_TEXT = """\
Rules by Product and UseCase
============================
Vendor: Fernhollow
------------------
### Product: [Fernhollow Gate](../ds_fernhollow_fernhollow_gate.md)
### Use-Case: [Enrichment](../../../../UseCases/uc_enrichment.md)

| Rules | Models | MITRE ATT&CK® TTPs | Activity Types | Parsers |
|:-----:|:------:|:------------------:|:--------------:|:-------:|
|   0   |   0    |         0          |       0        |    0    |

| Event Type | Rules | Models || ---------- | ----- | ------ |
"""

# Irregular on purpose: a note line in the Rules cell, a rule item with no ID, stray text and an
# empty ID in the Models cell, an unknown column, a short row, a row with no event type.
BAD_RM = "DS/Fernhollow/fernhollow_gate/RM/r_m_fernhollow_fernhollow_gate_Malware.md"
BAD_RM_TEXT = """\
Rules by Product and UseCase
============================
Vendor: Fernhollow
------------------
### Product: [Fernhollow Gate](../ds_fernhollow_fernhollow_gate.md)
### Use-Case: [Malware](../../../../UseCases/uc_malware.md)

| Rules | Models | MITRE ATT&CK® TTPs | Activity Types | Parsers |
|:-----:|:------:|:------------------:|:--------------:|:-------:|
|   3   |   1    |         1          |       2        |    1    |

| Event Type | Rules | Models | Notes |
| ---- | ---- | ---- | ---- |
| process-create | <b>T1204 - User Execution</b><br> ↳ <b>FG-Exe</b>: Rare executable<br>see also the EDR rules<br> ↳ <b>FG-Exe-2</b>: Second rare executable<br> ↳ just some words | • <b>FG-ExeM</b>: Executables per host<br>models below<br> • <b></b>: nothing | n/a |
| | <b>T1204 - User Execution</b><br> ↳ <b>FG-Exe-3</b>: Third | 
"""

# Counts name rules but the page has no detail table at all.
NO_DETAIL = "DS/Fernhollow/fernhollow_gate/RM/r_m_fernhollow_fernhollow_gate_Evasion.md"
NO_DETAIL_TEXT = """\
Rules by Product and UseCase
============================
Vendor: Fernhollow
------------------
### Product: [Fernhollow Gate](../ds_fernhollow_fernhollow_gate.md)
### Use-Case: [Evasion](../../../../UseCases/uc_evasion.md)

| Rules | Models | MITRE ATT&CK® TTPs | Activity Types | Parsers |
|:-----:|:------:|:------------------:|:--------------:|:-------:|
|   2   |   0    |         1          |       1        |    1    |
"""

# No `Use-Case:` heading: the records keep an empty use case and the page gets an error.
NO_UC = "DS/Fernhollow/fernhollow_gate/RM/r_m_fernhollow_fernhollow_gate_Unnamed.md"
NO_UC_TEXT = """\
Rules by Product and UseCase
============================
Vendor: Fernhollow
------------------
### Product: [Fernhollow Gate](../ds_fernhollow_fernhollow_gate.md)

| Rules | Models | MITRE ATT&CK® TTPs | Activity Types | Parsers |
|:-----:|:------:|:------------------:|:--------------:|:-------:|
|   1   |   0    |         1          |       1        |    1    |

| Event Type | Rules | Models |
| ---- | ---- | ---- |
| dlp-alert | <b>T1048 - Exfiltration Over Alternative Protocol</b><br> ↳ <b>FG-DLP</b>: DLP alert |  |
"""

FG_CR = "DS/Fernhollow/fernhollow_gate/CR/c_r_fernhollow_fernhollow_gate_Compromised_Credentials.md"
FG_CR_TEXT = """\
Correlation Rules by Product and UseCase
========================================
Vendor: Fernhollow
------------------
### Product: [Fernhollow Gate](../ds_fernhollow_fernhollow_gate.md)
### Use-Case: [Compromised Credentials](../../../../UseCases/uc_compromised_credentials.md)

| Name    | Description    | Activity Type | MITRE Tactic      | Severity | Overlap with AA |
| ---- | ---- | ---- | ---- | -------- | ---- |
| Gate token file read | The gate token store has been read: possibly a dump. | file-read     | Credential Access | 2        | false    |
| Many gate logins from one IP | 10 logins   in 1 minute. | vpn-login | Credential Access | 3 | true |
"""

CR_INDEX = "Exabeam Correlation Rules.md"
CR_INDEX_TEXT = """\
Exabeam Prebuilt Correlation Rules
==================================

The following table lists the prebuilt supported correlation rules.

| Rule Name | Description | Use Case | MITRE tactics | Severity |
| --- | --- | --- | --- | --- |
| Gate token file read<br><br>&#x26A0; Overlaps with Advanced Analytics rule. | The gate token store has been read. | [Compromised Credentials](UseCases/uc_compromised_credentials.md) | Credential Access | 2 |
| Vault wiped: all keys removed | Every key of a vault was removed. | [Destruction of Data](UseCases/uc_destruction_of_data.md) | Impact , Defense Impairment | 3 |
|  | A row with no rule name. | [Malware](UseCases/uc_malware.md) | Execution | 1 |
"""

# A change log of correlation rules: its rows are changes, not the list of rules.
CR_LOG = "CorrelationRules_ChangeLog.md"
CR_LOG_TEXT = """\
Security Content Changelog
==========================

Correlation Rules
-----------------

| Correlation Rule | Description | Change Status | Change&nbsp;Date | Activity Type |
|:---:|:---:|:---:|:---:|:---:|
| Gate token file read. | The gate token store has been read. | New | 2024-06-20 | file-read |
"""

PAGES = {
    FG_RM: FG_RM_TEXT, OV_RM: OV_RM_TEXT, QP_RM: QP_RM_TEXT, FG_ENRICH: FG_ENRICH_TEXT,
    BAD_RM: BAD_RM_TEXT, NO_DETAIL: NO_DETAIL_TEXT, NO_UC: NO_UC_TEXT, FG_CR: FG_CR_TEXT, CR_INDEX: CR_INDEX_TEXT,
    CR_LOG: CR_LOG_TEXT,
}


def _rows(df, columns=None) -> list[tuple]:
    columns = columns or [c for c in df.columns if c != "release"]
    out = []
    for rec in df[columns].astype(object).itertuples(index=False, name=None):
        out.append(tuple(None if v is None or v is pd.NA or v != v else (int(v) if isinstance(v, float) else v)
                         for v in rec))
    return sorted(out, key=repr)


@pytest.fixture(scope="module")
def t(tmp_path_factory):
    tree = tmp_path_factory.mktemp("rules-tree") / "tree"
    for rel, text in PAGES.items():
        path = tree / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    out = tmp_path_factory.mktemp("rules-out") / "out"
    extractor.convert(tree, out)
    return extractor.load(out)


def _issues(t, path):
    iss = t.issues[t.issues.source_path == path]
    return _rows(iss, ["source_line", "severity", "code"])


# ---------------------------------------------------------------------------------------------
# rules-and-models pages


def test_page_kinds(t):
    kinds = dict(_rows(t.pages, ["source_path", "kind"]))
    for path in (FG_RM, OV_RM, QP_RM, FG_ENRICH, BAD_RM, NO_DETAIL, NO_UC):
        assert kinds[path] == "rules_models", path
    assert kinds[FG_CR] == kinds[CR_INDEX] == "correlation_rules"


def test_use_case_counts(t):
    assert _rows(t.use_case_counts) == sorted([
        (*FG, "Account Manipulation", 3, 2, 3, 2, 3, FG_RM, 10),
        (*FG, "Enrichment", 0, 0, 0, 0, 0, FG_ENRICH, 10),
        (*FG, "Malware", 3, 1, 1, 2, 1, BAD_RM, 10),
        (*FG, "Evasion", 2, 0, 1, 1, 1, NO_DETAIL, 10),
        (*OV, "Data Access", 2, 1, 1, 1, 1, OV_RM, 8),
        (*QP, "Other", 0, 1, 0, 1, 1, QP_RM, 8),
        (*FG, None, 1, 0, 1, 1, 1, NO_UC, 9),
    ], key=repr)


def test_rules_clean_pages(t):
    am = (*FG, "Account Manipulation")
    assert _rows(t.rules[t.rules.source_path.isin([FG_RM, OV_RM, QP_RM])]) == sorted([
        (*am, "app-login", "T1078", "Valid Accounts", "FG-Login-F",
         "First login for user: from a new host", FG_RM, 14),
        (*am, "app-login", "T1078", "Valid Accounts", "FG-Admin", "Admin login with elevated rights",
         FG_RM, 14),
        (*am, "app-login", "T1098.002", "Account Manipulation: Exchange Email Delegate Permissions",
         "FG-Login-F", "First login for user: from a new host", FG_RM, 14),
        (*am, "account-password-change", "TA0003", "TA0003", "FG-PW-NODESC", None, FG_RM, 15),
        (*OV, "Data Access", "file-read", None, None, "OV-NoTech", "Read of a vault file", OV_RM, 12),
        (*OV, "Data Access", "file-read", "T1005", "Data from Local System", "OV-Read-A",
         "Abnormal vault reads", OV_RM, 12),
    ], key=repr)


def test_models_clean_pages(t):
    assert _rows(t.models[t.models.source_path.isin([FG_RM, OV_RM, QP_RM])]) == sorted([
        (*FG, "Account Manipulation", "app-login", "FG-UL", "Logins per user", FG_RM, 14),
        (*FG, "Account Manipulation", "app-login", "FG-OL", "Logins for organization: peers", FG_RM, 14),
        (*OV, "Data Access", "file-read", "OV-Reads", "Vault reads per user", OV_RM, 12),
        (*QP, "Other", "physical-access", "QP-BA", "Badge accesses per user", QP_RM, 12),
    ], key=repr)


def test_clean_pages_have_no_issues(t):
    for path in (FG_RM, QP_RM, FG_ENRICH, FG_CR):
        assert _issues(t, path) == [], path


def test_rule_before_any_technique_is_kept_with_an_issue(t):
    assert _issues(t, OV_RM) == [(12, "warning", "rule-without-technique")]


def test_irregular_page(t):
    mw = (*FG, "Malware")
    assert _rows(t.rules[t.rules.source_path == BAD_RM]) == sorted([
        (*mw, "process-create", "T1204", "User Execution", "FG-Exe", "Rare executable", BAD_RM, 14),
        # the note line in plain text is reported, but does not end the technique above it
        (*mw, "process-create", "T1204", "User Execution", "FG-Exe-2", "Second rare executable", BAD_RM, 14),
        (*mw, None, "T1204", "User Execution", "FG-Exe-3", "Third", BAD_RM, 15),
    ], key=repr)
    assert _rows(t.models[t.models.source_path == BAD_RM]) == [
        (*mw, "process-create", "FG-ExeM", "Executables per host", BAD_RM, 14)]
    assert _issues(t, BAD_RM) == sorted([
        (12, "warning", "unknown-column"),        # Notes
        (14, "warning", "bad-technique"),         # "see also the EDR rules"
        (14, "error", "bad-rule-item"),           # "↳ just some words"
        (14, "warning", "stray-text"),            # "models below"
        (14, "error", "bad-model-item"),          # "• <b></b>: nothing"
        (15, "warning", "ragged-row"),
        (15, "warning", "missing-event-type"),
    ], key=repr)


def test_page_without_use_case_heading(t):
    assert _rows(t.rules[t.rules.source_path == NO_UC]) == [
        (*FG, None, "dlp-alert", "T1048", "Exfiltration Over Alternative Protocol", "FG-DLP", "DLP alert",
         NO_UC, 13)]
    assert _issues(t, NO_UC) == [(None, "error", "missing-use-case-label")]


def test_counts_without_detail_table(t):
    assert _issues(t, NO_DETAIL) == [(None, "warning", "missing-rules-table")]


# ---------------------------------------------------------------------------------------------
# correlation-rule pages


def test_correlation_rules(t):
    cc = (*FG, "Compromised Credentials")
    assert _rows(t.correlation_rules) == sorted([
        (*cc, "Gate token file read", "The gate token store has been read: possibly a dump.",
         "file-read", "Credential Access", "2", "false", FG_CR, 10),
        (*cc, "Many gate logins from one IP", "10 logins in 1 minute.", "vpn-login",
         "Credential Access", "3", "true", FG_CR, 11),
        # the root index: no vendor/product/activity type; the use case from its column; the
        # `⚠ Overlaps with Advanced Analytics rule.` line is the overlap flag, not name text
        (None, None, "Compromised Credentials", "Gate token file read",
         "The gate token store has been read.", None, "Credential Access", "2", "true", CR_INDEX, 8),
        (None, None, "Destruction of Data", "Vault wiped: all keys removed",
         "Every key of a vault was removed.", None, "Impact, Defense Impairment", "3", "false",
         CR_INDEX, 9),
    ], key=repr)


def test_correlation_row_without_name_is_an_issue(t):
    assert _issues(t, CR_INDEX) == [(10, "error", "missing-rule-name")]


def test_change_log_is_not_read_as_rules(t):
    assert (t.correlation_rules.source_path == CR_LOG).sum() == 0
    kind = dict(_rows(t.pages, ["source_path", "kind"]))[CR_LOG]
    assert kind == "index"  # a change log lists changes, not the rules
    assert _issues(t, CR_LOG) == [(7, "info", "unread-table")]


# ---------------------------------------------------------------------------------------------
# cell grammars


def _cell(markdown_cell: str) -> list:
    doc = parse(f"| a |\n| - |\n| {markdown_cell} |\n")
    return doc.tables[0].rows[0].cells[0]


@pytest.mark.parametrize("text, expected", [
    ("<b>T1078 - Valid Accounts</b><br> ↳ <b>R-1</b>: one", [("T1078", "Valid Accounts", "R-1", "one")]),
    ("<b>T1078</b><br> ↳ <b>R-1</b>", [("T1078", None, "R-1", None)]),
    ("<b>T1078 - Valid Accounts</b><br> ↳ <b>R-1:</b> one: two", [("T1078", "Valid Accounts", "R-1", "one: two")]),
    ("<b>T1078 - V</b><br> ↳ R-1: plain id", [("T1078", "V", "R-1", "plain id")]),
    ("<b>T1078 - V</b><br><b>R-1</b>: no arrow", [("T1078", "V", "R-1", "no arrow")]),
    ("<b>T1078</b>: Valid Accounts<br> ↳ <b>R-1</b>: x", [("T1078", "Valid Accounts", "R-1", "x")]),
    ("<strong>T1110.001 - Brute Force: Password Guessing</strong><br>↳<strong>R-2</strong>:x",
     [("T1110.001", "Brute Force: Password Guessing", "R-2", "x")]),
    # another generator's arrow before the rule
    ("<b>T1078 - V</b><br> → <b>R-1</b>: one<br> └ <b>R-2</b>: two",
     [("T1078", "V", "R-1", "one"), ("T1078", "V", "R-2", "two")]),
    ("", []),
])
def test_rule_items(text, expected):
    assert cells.rule_items(_cell(text)) == (expected, [])


@pytest.mark.parametrize("text, expected", [
    (" • <b>M-1</b>: one<br> • <b>M-2</b>: two: three", [("M-1", "one"), ("M-2", "two: three")]),
    ("• <b>M-1</b>", [("M-1", None)]),
    ("<b>M-1</b>: no bullet", [("M-1", "no bullet")]),
    (" · <b>M-1</b>: one<br> ◦ <b>M-2</b>: two", [("M-1", "one"), ("M-2", "two")]),  # other bullets
    ("", []),
])
def test_model_items(text, expected):
    assert cells.model_items(_cell(text)) == (expected, [])


def test_correlation_name_and_comma_list():
    assert cells.correlation_name(_cell("A: b<br><br>&#x26A0; Overlaps with Advanced Analytics rule.")) \
        == ("A: b", True)
    assert cells.correlation_name(_cell("Plain name")) == ("Plain name", False)
    # the flag after a paragraph tag, on the name's own line, or in other words
    assert cells.correlation_name(_cell("Rule A<p>&#x26A0; Overlaps with Advanced Analytics rule.")) == ("Rule A", True)
    assert cells.correlation_name(_cell("Rule A &#x26A0; Overlaps with Advanced Analytics rule.")) == ("Rule A", True)
    assert cells.correlation_name(_cell("Rule A (overlaps with AA)")) == ("Rule A", True)
    assert cells.correlation_name(_cell("Rule overlapping nothing")) == ("Rule overlapping nothing", False)
    assert cells.comma_list("Stealth ,Persistence,, Impact ") == "Stealth, Persistence, Impact"


# ---------------------------------------------------------------------------------------------
# corpus: counts made with plain regexes over the raw pages, compared per page

RULE_ITEM = re.compile(r"↳\s*<b>[^<]+</b>")
MODEL_ITEM = re.compile(r"•\s*<b>[^<]+</b>")
TABLE_LINE = re.compile(r"^\s*\|")
DELIM_LINE = re.compile(r"^\s*\|?\s*:?-+:?\s*(\|\s*:?-+:?\s*)*\|?\s*$")
RM_PATH = re.compile(r"(^|/)(RM|Rules_Models)/[^/]+\.md$")
CR_PATH = re.compile(r"(^|/)CR/c_r_[^/]+\.md$")
CR_INDEX_NAME = "Exabeam Correlation Rules.md"
BROKEN_DETAIL = re.compile(r"^\|[^\n]*Rules[^\n]*\|\|\s*-+", re.M)  # `| Event Type | Rules | Models || --- |`


def _independent(root: Path):
    """Per page: rule items and model items of RM pages, data rows of CR tables and of the root
    index. A data row is a `|` line after a delimiter line, until a line that is not a table line."""
    rules, models, corr = Counter(), Counter(), Counter()
    for path in root.rglob("*.md"):
        rel = path.relative_to(root).as_posix()
        if RM_PATH.search(rel):
            text = path.read_text(encoding="utf-8", errors="replace")
            for line in text.splitlines():
                if TABLE_LINE.match(line):
                    rules[rel] += len(RULE_ITEM.findall(line))
                    models[rel] += len(MODEL_ITEM.findall(line))
        elif CR_PATH.search(rel) or rel == CR_INDEX_NAME:
            in_body = False
            for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
                if DELIM_LINE.match(line):
                    in_body = True
                elif in_body and TABLE_LINE.match(line):
                    corr[rel] += 1
                else:
                    in_body = False
    return +rules, +models, +corr


# Pages that really are irregular, and the issue codes they get. The `DS/RM/r_m___*.md` and
# `DS/CR/c_r___*.md` pages of the CIM2 trees have empty `Vendor:` and `Product:` headings.
EMPTY_LABEL_PAGE = re.compile(r"^DS/(RM/r_m|CR/c_r)___")
EXPECTED_ISSUES = {"empty-vendor", "empty-product"}


@pytest.mark.corpus
@pytest.mark.parametrize("name", CORPUS_ARCHIVES)
def test_corpus_items_match_independent_count(corpus_converted, name):
    run = corpus_converted(name)
    rules, models, corr = _independent(run.tree)
    t = run.tables
    got_rules = Counter(t.rules.source_path.astype(str))
    got_models = Counter(t.models.source_path.astype(str))
    got_corr = Counter(t.correlation_rules.source_path.astype(str))
    assert got_rules == rules
    assert got_models == models
    assert got_corr == corr
    assert len(t.rules) == sum(rules.values())
    assert len(t.models) == sum(models.values())
    assert len(t.correlation_rules) == sum(corr.values())


@pytest.mark.corpus
@pytest.mark.parametrize("name", CORPUS_ARCHIVES)
def test_corpus_rm_and_cr_pages_are_clean(corpus_converted, name):
    run = corpus_converted(name)
    iss = run.tables.issues
    paths = iss.source_path.astype(str)
    mine = iss[paths.str.contains(r"(?:^|/)(?:RM|Rules_Models|CR)/", regex=True) | (paths == CR_INDEX_NAME)]
    # RM pages whose only table is the counts table (content-doc-2022: no title, detail table
    # broken) are read by classify() as use-case pages for now; their issues come from there.
    kinds = dict(_rows(run.tables.pages, ["source_path", "kind"]))
    misrouted = {p for p, k in kinds.items() if RM_PATH.search(p) and k != "rules_models"
                 and BROKEN_DETAIL.search((run.tree / p).read_text(encoding="utf-8", errors="replace"))}
    mine = mine[~mine.source_path.astype(str).isin(misrouted)]
    # The root index writes some use-case links with blanks in their targets (no links to
    # Markdown): each such row, found here by a plain search of the page, is a broken-link.
    index = run.tree / CR_INDEX_NAME
    blank_targets = [n for n, line in enumerate(index.read_text(encoding="utf-8").splitlines(), 1)
                     if BLANK_TARGET.search(line)] if index.exists() else []
    broken = mine[mine.code.astype(str) == "broken-link"]
    assert sorted(_rows(broken, ["source_path", "source_line"])) == [(CR_INDEX_NAME, n) for n in blank_targets]
    mine = mine[mine.code.astype(str) != "broken-link"]
    unexpected = mine[~(mine.source_path.astype(str).str.match(EMPTY_LABEL_PAGE)
                        & mine.code.astype(str).isin(EXPECTED_ISSUES))]
    assert _rows(unexpected, ["source_path", "source_line", "code", "message"]) == []


BLANK_TARGET = re.compile(r"\]\(UseCases/[^()]* [^()]*\)")


@pytest.mark.corpus
@pytest.mark.parametrize("name", CORPUS_ARCHIVES)
def test_corpus_every_rm_page_has_its_counts_row(corpus_converted, name):
    run = corpus_converted(name)
    rm_pages, broken_detail = set(), set()
    for path in run.tree.rglob("*.md"):
        rel = path.relative_to(run.tree).as_posix()
        if RM_PATH.search(rel):
            rm_pages.add(rel)
            if BROKEN_DETAIL.search(path.read_text(encoding="utf-8", errors="replace")):
                broken_detail.add(rel)
    kinds = dict(_rows(run.tables.pages, ["source_path", "kind"]))
    misrouted = {p for p in rm_pages if kinds[p] != "rules_models"}
    # content-doc-2022 pages without the `Rules by Product and UseCase` title whose detail table
    # is broken (header and delimiter on one line) have only a counts table left, and classify()
    # reads them as use-case pages. Until it routes them here, only such pages may be misrouted.
    assert misrouted <= broken_detail
    counted = Counter(run.tables.use_case_counts.source_path.astype(str))
    assert set(counted) == rm_pages - misrouted
    assert max(counted.values()) == 1


# ---------------------------------------------------------------------------------------------
# properties: any tokens never crash the grammars; written items always come back

_TOKENS = st.one_of(
    st.sampled_from([" ↳ ", "• ", "↳", ("h", "<b>"), ("h", "</b>"), ("h", "<i>"), BR, ": ", ":",
                     "T1078 - Valid Accounts", "TA0002", "R-1", " ", ("a", "u.md", "link")]),
    st.text(max_size=8),
)
_ID = st.from_regex(r"[A-Za-z0-9][A-Za-z0-9_.\-]{0,10}", fullmatch=True)
_DESC = st.from_regex(r"[A-Za-z0-9 ,.:()'-]{0,20}", fullmatch=True)


@settings(max_examples=300, deadline=None)
@given(st.lists(_TOKENS, max_size=25))
def test_grammars_never_crash(cell):
    for fn in (cells.rule_items, cells.model_items):
        records, found = fn(cell)
        assert all(r[-2] for r in records)  # every record has an ID
        assert all(isinstance(code, str) and isinstance(msg, str) for code, msg in found)
    name, flag = cells.correlation_name(cell)
    assert name is None or name == name.strip()


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["T1078", "T1098.002", None]), _ID, _DESC), max_size=8))
def test_written_rules_come_back(items):
    """Cells written in the docs' format give back exactly the items written into them."""
    tokens, expected, current = [], [], None
    for tid, rid, desc in items:
        if tid and tid != current:
            tokens += [BR, BR, ("h", "<b>"), f"{tid} - Name", ("h", "</b>")]
            current = tid
        tokens += [BR, " ↳ ", ("h", "<b>"), rid, ("h", "</b>"), f": {desc}"]
        expected.append((current, "Name" if current else None, rid, " ".join(desc.split()) or None))
    records, found = cells.rule_items(tokens)
    assert records == expected
    assert [code for code, _ in found] == ["rule-without-technique"] * sum(1 for e in expected if e[0] is None)
    models, found = cells.model_items([t for tid, rid, desc in items
                                       for t in (BR, " • ", ("h", "<b>"), rid, ("h", "</b>"), f": {desc}")])
    assert models == [(rid, " ".join(desc.split()) or None) for _, rid, desc in items] and found == []


CR_USE_CASES = """\
| Rule Name | Description | Use Case | MITRE tactics | Severity |
| --- | --- | --- | --- | --- |
| Rule one | One. | [Ransomware](UseCases/uc_ransomware.md), [Malware](UseCases/uc_malware.md) | Impact | 3 |
| Rule two | Two. | [Brute Force Attack, lateral Movement](UseCases/uc_brute_force_attack, lateral_movement.md) | Credential Access | 2 |
| Rule three | Three. | Data Leak | Exfiltration | 1 |
"""


def test_correlation_rule_use_cases_as_written(tmp_path):
    t = convert(tmp_path, {CR_INDEX: "Exabeam Correlation Rules\n=========================\n\n" + CR_USE_CASES})
    # read off the rows: two linked use cases (a row each); a link whose target holds blanks (no
    # link to Markdown: its text, with a warning); a plain name
    assert sorted((r[3], r[2], r[-1]) for r in rows(t, "correlation_rules")) == [
        ("Rule one", "Malware", 6), ("Rule one", "Ransomware", 6),
        ("Rule three", "Data Leak", 8), ("Rule two", "Brute Force Attack, lateral Movement", 7)]
    assert issues(t) == [(CR_INDEX, 7, "broken-link")]


@pytest.mark.parametrize("header", ["Rule", "Title", "Rule Name"])
def test_correlation_rule_names_under_other_headers(tmp_path, header):
    table = CR_USE_CASES.replace("| Rule Name |", f"| {header} |", 1)
    t = convert(tmp_path, {CR_INDEX: "Exabeam Correlation Rules\n=========================\n\n" + table})
    assert sorted({r[3] for r in rows(t, "correlation_rules")}) == ["Rule one", "Rule three", "Rule two"]
