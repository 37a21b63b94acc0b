"""End-to-end checks of the library API on the hand-written `samples/` tree and on the seed page.

Every expected value below was read off the sample pages (and the seed page) by hand and written
literally: nothing here was produced by running the extractor. Line numbers are 1-based line
numbers of the Markdown table row a record comes from.

The samples (see samples/ for the pages themselves):

* Quillfeather / Quillfeather SSO: current CIM2 spelling, a `Next Page` link to a continuation
  page `2_ds_...` holding two more use cases, an activity type with no parser (`app-activity`,
  once at the end of a cell and once followed directly by `<br><br>`), a use case whose Content
  cell holds only Rules, plus one RM page and one parser page.
* Brightwater Systems / Tidepool EDR: `Activity Types (Legacy Event Type)/Parsers`, type cells
  like `app-login:success (app-login)` and one `app-login:fail(failed-app-login)` without a space.
* Orrin Labs / Orrin Vault: the older spelling (`MITRE TTPs`, `Event Types`, `MITRE TTP`) and
  the old matrix title `ATT&CK Matrix for Enterprise`.
"""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest

HERE = Path(__file__).resolve()
SAMPLES = HERE.parents[1] / "samples"
SHARED = HERE.parents[2] / "shared"
SEED = SHARED / "seed" / "000_755eec933c18ad39.txt"

# ---------------------------------------------------------------------------------------------
# helpers


def _extractor():
    """The package, imported late: collecting the tests must not need it. Falls back to the
    project folder when the package is not installed (plain `pytest` from a checkout)."""
    try:
        import extractor
    except ModuleNotFoundError:
        import sys

        sys.path.insert(0, str(HERE.parents[1]))
        import extractor
    return extractor


def _norm(v):
    """Plain Python value: NaN/NA/None -> None, numpy scalars -> Python, integral floats -> int."""
    if v is None:
        return None
    try:
        import pandas as pd

        if v is pd.NA or v is pd.NaT:
            return None
    except ImportError:  # pragma: no cover
        pass
    if hasattr(v, "item") and not isinstance(v, (str, bytes)):
        v = v.item()
    if isinstance(v, float):
        if v != v:  # NaN
            return None
        if v.is_integer():
            return int(v)
    return v


def _key(t):
    return tuple((x is None, "" if x is None else str(x)) for x in t)


def records(df, cols, **where):
    """Rows of `df` (optionally filtered on column == value) as a sorted list of tuples."""
    sub = df
    for col, val in where.items():
        sub = sub[sub[col] == val]
    out = [tuple(_norm(x) for x in row) for row in sub[list(cols)].itertuples(index=False, name=None)]
    return sorted(out, key=_key)


def srt(rows):
    return sorted(rows, key=_key)


# ---------------------------------------------------------------------------------------------
# the samples tree

QF = ("Quillfeather", "Quillfeather SSO")
BW = ("Brightwater Systems", "Tidepool EDR")
OV = ("Orrin Labs", "Orrin Vault")

QF_MAIN = "DS/Quillfeather/quillfeather_sso/ds_quillfeather_quillfeather_sso.md"
QF_CONT = "DS/Quillfeather/quillfeather_sso/2_ds_quillfeather_quillfeather_sso.md"
QF_RM = "DS/Quillfeather/quillfeather_sso/RM/r_m_quillfeather_quillfeather_sso_Account_Manipulation.md"
QF_PS = "DS/Quillfeather/quillfeather_sso/Ps/pC_quillfeatherssojsonapploginsuccesssignin.md"
BW_MAIN = "DS/Brightwater_Systems/tidepool_edr/ds_brightwater_systems_tidepool_edr.md"
OV_MAIN = "DS/Orrin_Labs/orrin_vault/ds_orrin_labs_orrin_vault.md"
UC_PAGE = "UseCases/uc_account_manipulation.md"
INDEX = "Exabeam Data Sources.md"

ALL_SAMPLE_FILES = sorted([QF_MAIN, QF_CONT, QF_RM, QF_PS, BW_MAIN, OV_MAIN, UC_PAGE, INDEX])

# vendor, product, rules, models, mitre_ttps, activity_types, parsers
PRODUCTS = [
    (*BW, 17, 6, 6, 4, 4),
    (*OV, 10, 5, 3, 3, 3),
    (*QF, 34, 11, 6, 5, 5),
]

AAA = "Abnormal Authentication & Access"
AAA_PAGE = "../../../UseCases/uc_abnormal_authentication_&_access.md"

# vendor, product, use_case, rules, models, rm_page, use_case_page, source_path, source_line
USE_CASES = [
    (*QF, AAA, 14, 5, "RM/r_m_quillfeather_quillfeather_sso_Abnormal_Authentication_&_Access.md",
     AAA_PAGE, QF_MAIN, 11),
    (*QF, "Account Manipulation", 6, 2, "RM/r_m_quillfeather_quillfeather_sso_Account_Manipulation.md",
     "../../../UseCases/uc_account_manipulation.md", QF_MAIN, 12),
    (*QF, "Brute Force Attack", 2, None, "RM/r_m_quillfeather_quillfeather_sso_Brute_Force_Attack.md",
     "../../../UseCases/uc_brute_force_attack.md", QF_MAIN, 13),
    (*QF, "Privilege Escalation", 3, 1, "RM/r_m_quillfeather_quillfeather_sso_Privilege_Escalation.md",
     "../../../UseCases/uc_privilege_escalation.md", QF_CONT, 3),
    (*QF, "Compromised Credentials", 9, 3, "RM/r_m_quillfeather_quillfeather_sso_Compromised_Credentials.md",
     "../../../UseCases/uc_compromised_credentials.md", QF_CONT, 4),
    (*BW, "Malware", 8, 3, "RM/r_m_brightwater_systems_tidepool_edr_Malware.md",
     "../../../UseCases/uc_malware.md", BW_MAIN, 11),
    (*BW, AAA, 5, 2, "RM/r_m_brightwater_systems_tidepool_edr_Abnormal_Authentication_&_Access.md",
     AAA_PAGE, BW_MAIN, 12),
    (*BW, "Ransomware", 4, 1, "RM/r_m_brightwater_systems_tidepool_edr_Ransomware.md",
     "../../../UseCases/uc_ransomware.md", BW_MAIN, 13),
    (*OV, "Data Access", 7, 4, "RM/r_m_orrin_labs_orrin_vault_Data_Access.md",
     "../../../UseCases/uc_data_access.md", OV_MAIN, 11),
    (*OV, "Data Destruction", 3, 1, "RM/r_m_orrin_labs_orrin_vault_Data_Destruction.md",
     "../../../UseCases/uc_data_destruction.md", OV_MAIN, 12),
]

# parsers (name, page as written in the cell)
QP1 = ("quillfeather-sso-json-app-login-success-signin", "Ps/pC_quillfeatherssojsonapploginsuccesssignin.md")
QP2 = ("quillfeather-sso-cef-app-login-success-mfa", "Ps/pC_quillfeatherssocefapploginsuccessmfa.md")
QP3 = ("quillfeather-sso-json-failed-app-login-signin", "Ps/pC_quillfeatherssojsonfailedapploginsignin.md")
QP4 = ("quillfeather-sso-json-account-creation-provision", "Ps/pC_quillfeatherssojsonaccountcreationprovision.md")
QP5 = ("quillfeather-sso-json-member-added-groupassign", "Ps/pC_quillfeatherssojsonmemberaddedgroupassign.md")
NOPARSER = (None, None)
BP1 = ("brightwater-tidepool-json-process-created-success-spawn",
       "Ps/pC_brightwatertidepooljsonprocesscreatedsuccessspawn.md")
BP2 = ("brightwater-tidepool-cef-security-alert-detection", "Ps/pC_brightwatertidepoolcefsecurityalertdetection.md")
BP3 = ("brightwater-tidepool-json-app-login-success-console", "Ps/pC_brightwatertidepooljsonapploginsuccessconsole.md")
BP4 = ("brightwater-tidepool-json-app-login-fail-console", "Ps/pC_brightwatertidepooljsonapploginfailconsole.md")
OP1 = ("orrin-vault-kv-file-read-secretget", "Ps/pC_orrinvaultkvfilereadsecretget.md")
OP2 = ("orrin-vault-kv-file-write-secretput", "Ps/pC_orrinvaultkvfilewritesecretput.md")
OP3 = ("orrin-vault-json-file-delete-secretpurge", "Ps/pC_orrinvaultjsonfiledeletesecretpurge.md")

# vendor, product, use_case, activity_type, legacy_event_type, parser, parser_page, source_path, source_line
ACTIVITY_PARSERS = [
    # Quillfeather SSO, main page
    (*QF, AAA, "app-login", None, *QP1, QF_MAIN, 11),
    (*QF, AAA, "app-login", None, *QP2, QF_MAIN, 11),
    (*QF, AAA, "failed-app-login", None, *QP3, QF_MAIN, 11),
    (*QF, "Account Manipulation", "account-creation", None, *QP4, QF_MAIN, 12),
    (*QF, "Account Manipulation", "member-added", None, *QP5, QF_MAIN, 12),
    (*QF, "Account Manipulation", "app-activity", None, *NOPARSER, QF_MAIN, 12),
    (*QF, "Brute Force Attack", "failed-app-login", None, *QP3, QF_MAIN, 13),
    # Quillfeather SSO, continuation page (vendor/product from the main page)
    (*QF, "Privilege Escalation", "app-activity", None, *NOPARSER, QF_CONT, 3),
    (*QF, "Privilege Escalation", "member-added", None, *QP5, QF_CONT, 3),
    (*QF, "Compromised Credentials", "app-login", None, *QP1, QF_CONT, 4),
    (*QF, "Compromised Credentials", "app-login", None, *QP2, QF_CONT, 4),
    # Tidepool EDR: legacy event types in brackets
    (*BW, "Malware", "process-create:success", "process-created", *BP1, BW_MAIN, 11),
    (*BW, "Malware", "alert-trigger:success", "security-alert", *BP2, BW_MAIN, 11),
    (*BW, AAA, "app-login:success", "app-login", *BP3, BW_MAIN, 12),
    (*BW, AAA, "app-login:fail", "failed-app-login", *BP4, BW_MAIN, 12),
    (*BW, "Ransomware", "alert-trigger:success", "security-alert", *BP2, BW_MAIN, 13),
    (*BW, "Ransomware", "process-create:success", "process-created", *BP1, BW_MAIN, 13),
    # Orrin Vault: old `Event Types/Parsers` spelling
    (*OV, "Data Access", "file-read", None, *OP1, OV_MAIN, 11),
    (*OV, "Data Access", "file-write", None, *OP2, OV_MAIN, 11),
    (*OV, "Data Destruction", "file-delete", None, *OP3, OV_MAIN, 12),
    (*OV, "Data Destruction", "file-write", None, *OP2, OV_MAIN, 12),
]

# vendor, product, use_case, technique_id, technique_name, source_path, source_line
USE_CASE_TTPS = [
    (*QF, AAA, "T1078", "Valid Accounts", QF_MAIN, 11),
    (*QF, AAA, "T1110", "Brute Force", QF_MAIN, 11),
    (*QF, "Account Manipulation", "T1098", "Account Manipulation", QF_MAIN, 12),
    (*QF, "Account Manipulation", "T1136.003", "Create Account: Cloud Account", QF_MAIN, 12),
    (*QF, "Brute Force Attack", "T1110", "Brute Force", QF_MAIN, 13),
    (*QF, "Brute Force Attack", "T1110.003", "Brute Force: Password Spraying", QF_MAIN, 13),
    (*QF, "Privilege Escalation", "T1078.004", "Valid Accounts: Cloud Accounts", QF_CONT, 3),
    (*QF, "Privilege Escalation", "T1098", "Account Manipulation", QF_CONT, 3),
    (*QF, "Compromised Credentials", "T1078", "Valid Accounts", QF_CONT, 4),
    (*BW, "Malware", "T1059", "Command and Scripting Interpreter", BW_MAIN, 11),
    (*BW, "Malware", "T1059.001", "Command and Scripting Interpreter: PowerShell", BW_MAIN, 11),
    (*BW, "Malware", "T1204", "User Execution", BW_MAIN, 11),
    (*BW, AAA, "T1078", "Valid Accounts", BW_MAIN, 12),
    (*BW, "Ransomware", "T1486", "Data Encrypted for Impact", BW_MAIN, 13),
    (*BW, "Ransomware", "T1490", "Inhibit System Recovery", BW_MAIN, 13),
    (*OV, "Data Access", "T1552", "Unsecured Credentials", OV_MAIN, 11),
    (*OV, "Data Access", "T1555", "Credentials from Password Stores", OV_MAIN, 11),
    (*OV, "Data Destruction", "T1485", "Data Destruction", OV_MAIN, 12),
]

M = "https://attack.mitre.org/techniques/"
VA = ("T1078", "Valid Accounts", M + "T1078")
VAC = ("T1078.004", "Valid Accounts: Cloud Accounts", M + "T1078/004")
AM = ("T1098", "Account Manipulation", M + "T1098")

# vendor, product, tactic, technique_id, technique_name, url, source_path, source_line
ATTACK_MATRIX = [
    (*QF, "Initial Access", *VA, QF_MAIN, 20),
    (*QF, "Initial Access", *VAC, QF_MAIN, 20),
    (*QF, "Persistence", *VA, QF_MAIN, 20),
    (*QF, "Persistence", *AM, QF_MAIN, 20),
    (*QF, "Persistence", "T1136.003", "Create Account: Cloud Account", M + "T1136/003", QF_MAIN, 20),
    (*QF, "Persistence", *VAC, QF_MAIN, 20),
    (*QF, "Privilege Escalation", *VA, QF_MAIN, 20),
    (*QF, "Privilege Escalation", *AM, QF_MAIN, 20),
    (*QF, "Privilege Escalation", *VAC, QF_MAIN, 20),
    (*QF, "Defense Evasion", *VA, QF_MAIN, 20),
    (*QF, "Defense Evasion", *VAC, QF_MAIN, 20),
    (*QF, "Credential Access", "T1110", "Brute Force", M + "T1110", QF_MAIN, 20),
    (*QF, "Credential Access", "T1110.003", "Brute Force: Password Spraying", M + "T1110/003", QF_MAIN, 20),
    (*BW, "Initial Access", *VA, BW_MAIN, 19),
    (*BW, "Execution", "T1059", "Command and Scripting Interpreter", M + "T1059", BW_MAIN, 19),
    (*BW, "Execution", "T1059.001", "Command and Scripting Interpreter: PowerShell", M + "T1059/001", BW_MAIN, 19),
    (*BW, "Execution", "T1204", "User Execution", M + "T1204", BW_MAIN, 19),
    (*BW, "Persistence", *VA, BW_MAIN, 19),
    (*BW, "Privilege Escalation", *VA, BW_MAIN, 19),
    (*BW, "Defense Evasion", *VA, BW_MAIN, 19),
    (*BW, "Impact", "T1486", "Data Encrypted for Impact", M + "T1486", BW_MAIN, 19),
    (*BW, "Impact", "T1490", "Inhibit System Recovery", M + "T1490", BW_MAIN, 19),
    (*OV, "Credential Access", "T1552", "Unsecured Credentials", M + "T1552", OV_MAIN, 18),
    (*OV, "Credential Access", "T1555", "Credentials from Password Stores", M + "T1555", OV_MAIN, 18),
    (*OV, "Impact", "T1485", "Data Destruction", M + "T1485", OV_MAIN, 18),
]

# source_path, kind, vendor, product (vendor/product only checked for data-source pages)
DS_PAGES = [
    (BW_MAIN, "data_source", *BW),
    (OV_MAIN, "data_source", *OV),
    (QF_CONT, "data_source_continuation", *QF),
    (QF_MAIN, "data_source", *QF),
]
OTHER_PAGE_KINDS = [
    (INDEX, "index"),
    (QF_PS, "parser_config"),
    (QF_RM, "rules_models"),
    (UC_PAGE, "use_case"),
]

TABLE_NAMES = ["products", "use_cases", "activity_parsers", "use_case_ttps", "attack_matrix", "pages", "issues"]


@pytest.fixture(scope="module")
def converted(tmp_path_factory):
    out = tmp_path_factory.mktemp("samples_out")
    ex = _extractor()
    summary = ex.convert(SAMPLES, out)
    return summary, ex.load(out)


@pytest.fixture(scope="module")
def t(converted):
    return converted[1]


# ---------------------------------------------------------------------------------------------
# tests on samples/


def test_sample_tree_is_what_the_tests_describe():
    """Guard: the expectations below are only valid for exactly these files."""
    found = sorted(p.relative_to(SAMPLES).as_posix() for p in SAMPLES.rglob("*") if p.is_file())
    assert found == ALL_SAMPLE_FILES


def test_release_defaults_to_source_folder_name(t):
    for name in TABLE_NAMES:
        df = getattr(t, name)
        assert set(df["release"]) <= {"samples"}, name
    assert set(t.products["release"]) == {"samples"}


def test_release_override(tmp_path):
    ex = _extractor()
    ex.convert(SAMPLES, tmp_path / "out", release="rel-test")
    t2 = ex.load(tmp_path / "out")
    assert set(t2.products["release"]) == {"rel-test"}
    assert set(t2.activity_parsers["release"]) == {"rel-test"}


def test_products_counts(t):
    cols = ["vendor", "product", "rules", "models", "mitre_ttps", "activity_types", "parsers"]
    assert records(t.products, cols) == srt(PRODUCTS)


def test_products_source(t):
    # source_line: the counts-table data row (line 7 on every sample page)
    assert records(t.products, ["vendor", "product", "source_path", "source_line"]) == srt([
        (*BW, BW_MAIN, 7),
        (*OV, OV_MAIN, 7),
        (*QF, QF_MAIN, 7),
    ])


def test_use_cases(t):
    cols = ["vendor", "product", "use_case", "rules", "models", "rm_page", "use_case_page",
            "source_path", "source_line"]
    assert records(t.use_cases, cols) == srt(USE_CASES)


def test_rules_only_content_cell_has_null_models(t):
    assert records(t.use_cases, ["rules", "models"], use_case="Brute Force Attack") == [(2, None)]


def test_activity_parsers_quillfeather(t):
    cols = ["vendor", "product", "use_case", "activity_type", "legacy_event_type", "parser", "parser_page",
            "source_path", "source_line"]
    assert records(t.activity_parsers, cols, vendor="Quillfeather") == srt(
        [r for r in ACTIVITY_PARSERS if r[0] == "Quillfeather"])


def test_activity_parsers_legacy_event_types(t):
    cols = ["vendor", "product", "use_case", "activity_type", "legacy_event_type", "parser", "parser_page",
            "source_path", "source_line"]
    assert records(t.activity_parsers, cols, vendor="Brightwater Systems") == srt(
        [r for r in ACTIVITY_PARSERS if r[0] == "Brightwater Systems"])


def test_activity_parsers_old_spelling(t):
    cols = ["vendor", "product", "use_case", "activity_type", "legacy_event_type", "parser", "parser_page",
            "source_path", "source_line"]
    assert records(t.activity_parsers, cols, vendor="Orrin Labs") == srt(
        [r for r in ACTIVITY_PARSERS if r[0] == "Orrin Labs"])


def test_activity_parsers_whole_table(t):
    cols = ["vendor", "product", "use_case", "activity_type", "legacy_event_type", "parser", "parser_page",
            "source_path", "source_line"]
    assert records(t.activity_parsers, cols) == srt(ACTIVITY_PARSERS)


def test_type_without_parser_gives_one_null_row(t):
    cols = ["use_case", "source_path", "source_line", "parser", "parser_page"]
    assert records(t.activity_parsers, cols, activity_type="app-activity") == srt([
        ("Account Manipulation", QF_MAIN, 12, None, None),
        ("Privilege Escalation", QF_CONT, 3, None, None),
    ])


def test_use_case_ttps(t):
    cols = ["vendor", "product", "use_case", "technique_id", "technique_name", "source_path", "source_line"]
    assert records(t.use_case_ttps, cols) == srt(USE_CASE_TTPS)


def test_attack_matrix(t):
    cols = ["vendor", "product", "tactic", "technique_id", "technique_name", "url", "source_path", "source_line"]
    assert records(t.attack_matrix, cols) == srt(ATTACK_MATRIX)


def test_old_matrix_title_is_read(t):
    # Orrin Vault uses `ATT&CK Matrix for Enterprise`
    assert records(t.attack_matrix, ["tactic", "technique_id"], vendor="Orrin Labs") == srt([
        ("Credential Access", "T1552"), ("Credential Access", "T1555"), ("Impact", "T1485"),
    ])


def test_continuation_is_folded_into_main_product(t):
    # no product row of its own, and its rows carry the main page's vendor/product
    assert len(t.products) == 3
    for name in ["use_cases", "activity_parsers", "use_case_ttps"]:
        df = getattr(t, name)
        assert records(df, ["vendor", "product"], source_path=QF_CONT) and set(
            records(df, ["vendor", "product"], source_path=QF_CONT)) == {QF}, name
    assert records(t.use_cases, ["use_case"], vendor="Quillfeather") == srt([
        (AAA,), ("Account Manipulation",), ("Brute Force Attack",), ("Privilege Escalation",),
        ("Compromised Credentials",),
    ])
    assert records(t.attack_matrix, ["source_path"], source_path=QF_CONT) == []


def test_counts_agree_with_detail(t):
    """The sample counts tables were written to match their detail (validate relies on it)."""
    for vendor, product, rules, models, ttps, types, parsers in PRODUCTS:
        def mine(df):
            return df[(df["vendor"] == vendor) & (df["product"] == product)]

        ap, uc = mine(t.activity_parsers), mine(t.use_cases)
        tt, mx = mine(t.use_case_ttps), mine(t.attack_matrix)
        assert ap["activity_type"].nunique() == types, product
        assert ap["parser"].dropna().nunique() == parsers, product
        assert tt["technique_id"].nunique() == ttps, product
        assert mx["technique_id"].nunique() == ttps, product
        assert set(tt["technique_id"]) == set(mx["technique_id"]), product
        assert int(uc["rules"].fillna(0).sum()) == rules, product
        assert int(uc["models"].fillna(0).sum()) == models, product


def test_pages_lists_every_file(t):
    assert records(t.pages, ["source_path"]) == [(p,) for p in ALL_SAMPLE_FILES]


def test_pages_kinds_and_bytes(t):
    ds = t.pages[t.pages["kind"].isin(["data_source", "data_source_continuation"])]
    assert records(ds, ["source_path", "kind", "vendor", "product"]) == srt(DS_PAGES)
    others = t.pages[~t.pages["kind"].isin(["data_source", "data_source_continuation"])]
    assert records(others, ["source_path", "kind"]) == srt(OTHER_PAGE_KINDS)
    for path, size in records(t.pages, ["source_path", "bytes"]):
        assert size == (SAMPLES / path).stat().st_size, path


def test_pages_continues_names_the_main_page(t):
    assert records(t.pages, ["source_path", "continues"]) == srt(
        [(p, QF_MAIN if p == QF_CONT else None) for p in ALL_SAMPLE_FILES])


def test_summary_counts_every_page_and_row(converted):
    summary, _ = converted
    assert summary.release == "samples"
    # 8 files: 3 data-source pages, 1 continuation, and one each of the other kinds
    assert summary.pages == {"data_source": 3, "data_source_continuation": 1, "index": 1,
                             "parser_config": 1, "rules_models": 1, "use_case": 1}
    assert sum(summary.pages.values()) == len(ALL_SAMPLE_FILES)
    core = ("products", "use_cases", "activity_parsers", "use_case_ttps", "attack_matrix", "pages", "issues")
    assert {name: summary.rows[name] for name in core} == {
        "products": len(PRODUCTS), "use_cases": len(USE_CASES), "activity_parsers": len(ACTIVITY_PARSERS),
        "use_case_ttps": len(USE_CASE_TTPS), "attack_matrix": len(ATTACK_MATRIX),
        "pages": len(ALL_SAMPLE_FILES), "issues": 0,
    }
    assert (len(PRODUCTS), len(USE_CASES), len(ACTIVITY_PARSERS), len(USE_CASE_TTPS), len(ATTACK_MATRIX)) == (
        3, 10, 21, 18, 25)
    assert not summary.issues


def test_clean_samples_have_no_issues(t):
    assert records(t.issues, ["source_path", "source_line", "severity", "code", "message"]) == []


# ---------------------------------------------------------------------------------------------
# the seed page, placed where the CIM2 tree would hold it

SEED_PATH = "DS/Amazon/aws_cloudtrail/ds_amazon_aws_cloudtrail.md"
AWS = ("Amazon", "AWS CloudTrail")
AWS_AAA_RM = "RM/r_m_amazon_aws_cloudtrail_Abnormal_Authentication_&_Access.md"
AWS_AM_RM = "RM/r_m_amazon_aws_cloudtrail_Account_Manipulation.md"

# the 9 (activity_type, parser, parser_page) entries of each seed use-case cell (both cells are
# identical on the page)
_SEED_TYPES = [
    ("account-creation", "amazon-awscloudtrail-sk4-user-create-createmembers",
     "Ps/pC_amazonawscloudtrailsk4usercreatecreatemembers.md"),
    ("app-activity", "amazon-awscloudtrail-cef-app-activity-awsapicall",
     "Ps/pC_amazonawscloudtrailcefappactivityawsapicall.md"),
    ("app-activity", "amazon-awscloudtrail-cef-app-activity-assumedrole",
     "Ps/pC_amazonawscloudtrailcefappactivityassumedrole.md"),
    ("app-activity-failed", "amazon-awscloudtrail-cef-app-activity-awsapicall",
     "Ps/pC_amazonawscloudtrailcefappactivityawsapicall.md"),
    ("app-activity-failed", "amazon-awscloudtrail-cef-app-activity-assumedrole",
     "Ps/pC_amazonawscloudtrailcefappactivityassumedrole.md"),
    ("failed-usb-activity", "amazon-awscloudtrail-json-peripheral_storage-activity-logaccess",
     "Ps/pC_amazonawscloudtrailjsonperipheral_storageactivitylogaccess.md"),
    ("failed-usb-activity", "amazon-awscloudtrail-sk4-peripheral_storage-activity-awscollector",
     "Ps/pC_amazonawscloudtrailsk4peripheral_storageactivityawscollector.md"),
    ("usb-activity", "amazon-awscloudtrail-json-peripheral_storage-activity-logaccess",
     "Ps/pC_amazonawscloudtrailjsonperipheral_storageactivitylogaccess.md"),
    ("usb-activity", "amazon-awscloudtrail-sk4-peripheral_storage-activity-awscollector",
     "Ps/pC_amazonawscloudtrailsk4peripheral_storageactivityawscollector.md"),
]
SEED_ACTIVITY_PARSERS = [
    (*AWS, uc, typ, None, parser, page, SEED_PATH, line)
    for uc, line in [(AAA, 11), ("Account Manipulation", 12)]
    for typ, parser, page in _SEED_TYPES
]

SEED_TTPS = [
    (*AWS, AAA, "T1078", "Valid Accounts", SEED_PATH, 11),
    (*AWS, AAA, "T1133", "External Remote Services", SEED_PATH, 11),
    (*AWS, "Account Manipulation", "T1098", "Account Manipulation", SEED_PATH, 12),
    (*AWS, "Account Manipulation", "T1098.002", "Account Manipulation: Exchange Email Delegate Permissions",
     SEED_PATH, 12),
    (*AWS, "Account Manipulation", "T1136", "Create Account", SEED_PATH, 12),
    (*AWS, "Account Manipulation", "T1136.001", "Create Account: Create: Local Account", SEED_PATH, 12),
    (*AWS, "Account Manipulation", "T1136.002", "T1136.002", SEED_PATH, 12),
]

SEED_MATRIX = [
    (*AWS, "Initial Access", "T1133", "External Remote Services", M + "T1133", SEED_PATH, 19),
    (*AWS, "Initial Access", "T1078", "Valid Accounts", M + "T1078", SEED_PATH, 19),
    (*AWS, "Persistence", "T1136", "Create Account", M + "T1136", SEED_PATH, 19),
    (*AWS, "Persistence", "T1133", "External Remote Services", M + "T1133", SEED_PATH, 19),
    (*AWS, "Persistence", "T1078", "Valid Accounts", M + "T1078", SEED_PATH, 19),
    (*AWS, "Persistence", "T1098", "Account Manipulation", M + "T1098", SEED_PATH, 19),
    (*AWS, "Persistence", "T1136.001", "Create Account: Create: Local Account", M + "T1136/001", SEED_PATH, 19),
    (*AWS, "Persistence", "T1098.002", "Account Manipulation: Exchange Email Delegate Permissions",
     M + "T1098/002", SEED_PATH, 19),
    (*AWS, "Privilege Escalation", "T1078", "Valid Accounts", M + "T1078", SEED_PATH, 19),
    (*AWS, "Defense Evasion", "T1078", "Valid Accounts", M + "T1078", SEED_PATH, 19),
    (*AWS, "Collection", "T1114", "Email Collection", M + "T1114", SEED_PATH, 19),
    (*AWS, "Collection", "T1114.003", "Email Collection: Email Forwarding Rule", M + "T1114/003", SEED_PATH, 19),
    (*AWS, "Command and Control", "T1090.003", "Proxy: Multi-hop Proxy", M + "T1090/003", SEED_PATH, 19),
    (*AWS, "Command and Control", "T1090", "Proxy", M + "T1090", SEED_PATH, 19),
]


@pytest.fixture(scope="module")
def seed_tables(tmp_path_factory):
    if not SEED.is_file():
        pytest.skip(f"seed page not found at {SEED} (needs ../shared beside the project)")
    root = tmp_path_factory.mktemp("seed")
    src = root / "cim2-seed"
    dest = src / SEED_PATH
    dest.parent.mkdir(parents=True)
    shutil.copyfile(SEED, dest)
    out = root / "out"
    ex = _extractor()
    ex.convert(src, out)
    return ex.load(out)


def test_seed_products(seed_tables):
    cols = ["release", "vendor", "product", "rules", "models", "mitre_ttps", "activity_types", "parsers",
            "source_path"]
    assert records(seed_tables.products, cols) == [("cim2-seed", *AWS, 80, 33, 9, 4, 4, SEED_PATH)]


def test_seed_use_cases(seed_tables):
    cols = ["vendor", "product", "use_case", "rules", "models", "rm_page", "use_case_page", "source_path",
            "source_line"]
    assert records(seed_tables.use_cases, cols) == srt([
        (*AWS, AAA, 12, 4, AWS_AAA_RM, AAA_PAGE, SEED_PATH, 11),
        (*AWS, "Account Manipulation", 23, 9, AWS_AM_RM, "../../../UseCases/uc_account_manipulation.md",
         SEED_PATH, 12),
    ])


def test_seed_activity_parsers(seed_tables):
    cols = ["vendor", "product", "use_case", "activity_type", "legacy_event_type", "parser", "parser_page",
            "source_path", "source_line"]
    got = records(seed_tables.activity_parsers, cols)
    assert len(got) == 18
    assert got == srt(SEED_ACTIVITY_PARSERS)


def test_seed_use_case_ttps(seed_tables):
    cols = ["vendor", "product", "use_case", "technique_id", "technique_name", "source_path", "source_line"]
    got = records(seed_tables.use_case_ttps, cols)
    assert len(got) == 7
    assert got == srt(SEED_TTPS)


def test_seed_attack_matrix(seed_tables):
    cols = ["vendor", "product", "tactic", "technique_id", "technique_name", "url", "source_path", "source_line"]
    got = records(seed_tables.attack_matrix, cols)
    assert len(got) == 14
    assert (*AWS, "Persistence", "T1136.001", "Create Account: Create: Local Account", M + "T1136/001",
            SEED_PATH, 19) in got
    assert got == srt(SEED_MATRIX)


def test_seed_page_kind(seed_tables):
    assert records(seed_tables.pages, ["source_path", "kind", "vendor", "product"]) == [
        (SEED_PATH, "data_source", *AWS)]
