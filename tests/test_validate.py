"""validate(): every check on a small hand-written tree whose inconsistencies are planted and
counted by hand (the comments beside each page say what a reader sees there)."""
from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

import extractor
from extractor.consistency import CHECKS

DS = "DS/Acme/acme_gate/ds_acme_acme_gate.md"
RM = "DS/Acme/acme_gate/RM/r_m_acme_acme_gate_Account_Manipulation.md"
PS = "DS/Acme/acme_gate/Ps/pC_acmelogin.md"
UC = "UseCases/uc_account_manipulation.md"
MITRE = "MitreMap.md"

PAGES = {
    # Counts: 3 rules, 1 model, 3 TTPs, 2 activity types, 2 parsers. The use-case row holds
    # 2 activity types, 2 parsers and 2 techniques (so mitre_ttps is off by one); it says
    # 3 rules where its rules-and-models page counts 2; its second parser page does not exist.
    DS: """Vendor: Acme
============
Product: Acme Gate
------------------
| Rules | Models | MITRE ATT&CK® TTPs | Activity Types | Parsers |
|:-----:|:------:|:------------------:|:--------------:|:-------:|
|   3   |   1    |         3          |       2        |    2    |

| Use-Case | Activity Types/Parsers | MITRE ATT&CK® TTP | Content |
| ---- | ---- | ---- | ---- |
| [Account Manipulation](../../../UseCases/uc_account_manipulation.md) | app-login<br> ↳[acme-login](Ps/pC_acmelogin.md)<br><br> account-creation<br> ↳[acme-create](Ps/pC_acmecreate.md)<br> | T1098 - Account Manipulation<br>T1136.003 - Create Account: Cloud Account<br> | [<ul><li>3 Rules</li></ul><ul><li>1 Models</li></ul>](RM/r_m_acme_acme_gate_Account_Manipulation.md) |
""",
    # Counts say 2 rules and 1 model; the table lists 3 distinct rule ids and 1 model id.
    RM: """Rules by Product and UseCase
============================
Vendor: Acme
------------
### Product: [Acme Gate](../ds_acme_acme_gate.md)
### Use-Case: [Account Manipulation](../../../../UseCases/uc_account_manipulation.md)

| Rules | Models | MITRE ATT&CK® TTPs | Activity Types | Parsers |
|:-----:|:------:|:------------------:|:--------------:|:-------:|
|   2   |   1    |         1          |       1        |    1    |

| Event Type   | Rules    | Models    |
| ---- | ---- | ---- |
| app-login | <b>T1098 - Account Manipulation</b><br> ↳ <b>AG-1</b>: one<br> ↳ <b>AG-2</b>: two<br> ↳ <b>AG-3</b>: three<br> |  • <b>AG-M1</b>: a model<br> |
""",
    PS: """#### Parser Content
```Java
{
Name = acme-login
  Vendor = Acme
  Product = Acme Gate
  Conditions = [ \"\"\"acme login\"\"\" ]
  Fields = [ \"\"\"user=({user}\\S+)\"\"\" ]
}
```
""",
    # Lists Acme Cloud, which has no data-source page, and not Acme Gate.
    UC: """Use Case: Account Manipulation
==============================

### Vendor: Acme
| Product | MITRE ATT&CK® TTP | Content |
| ---- | ---- | ---- |
| [Acme Cloud](../DS/Acme/acme_cloud/ds_acme_acme_cloud.md) | T1098 - Account Manipulation<br> | [<ul><li>1 Rules</li></ul>](../DS/Acme/acme_cloud/RM/r_m_acme_acme_cloud_Account_Manipulation.md) |
""",
    # States 3 techniques (T1078, T1098 and the tactic id TA0010, which the real pages count
    # with the techniques: right) and 1 sub-technique (T1078.004, T1136.003: 2).
    MITRE: """MITRE ATT&CK® Framework for Enterprise
======================================
### MITRE Techniques: 3
### MITRE Sub-techniques: 1
| Initial Access | Persistence |
| -------------- | ----------- |
| [Valid Accounts](https://attack.mitre.org/techniques/T1078)<br><br> | [Account Manipulation](https://attack.mitre.org/techniques/T1098)<br><br>[Create Account: Cloud Account](https://attack.mitre.org/techniques/T1136/003)<br><br> |

| TTP Code | Technique: Sub-technique | Rules |
| -------- | ------------------------ | ----- |
| T1078 | [Valid Accounts](https://attack.mitre.org/techniques/T1078)<br><br> | 4 |
| T1078.004 | [T1078.004](https://attack.mitre.org/techniques/T1078/004)<br><br> | 1 |
| T1098 | [Account Manipulation](https://attack.mitre.org/techniques/T1098)<br><br> | 3 |
| T1136.003 | [Create Account: Cloud Account](https://attack.mitre.org/techniques/T1136/003)<br><br> | 2 |
| TA0010 | [TA0010](https://attack.mitre.org/techniques/TA0010)<br><br> | 1 |
""",
}

EXPECTED = sorted([
    # (check, vendor, product, use_case, expected, actual, source_path, source_line)
    ("counts-mitre-ttps", "Acme", "Acme Gate", None, "3", "2", DS, 7),
    ("use-case-rm-counts", "Acme", "Acme Gate", "Account Manipulation", "2", "3", DS, 11),
    ("rm-rule-items", "Acme", "Acme Gate", "Account Manipulation", "2", "3", RM, 10),
    ("broken-link", "Acme", "Acme Gate", None, "DS/Acme/acme_gate/Ps/pC_acmecreate.md", "missing", DS, 11),
    ("use-case-page-missing", "Acme", "Acme Gate", "Account Manipulation", "listed", "absent", None, None),
    ("use-case-page-extra", "Acme", "Acme Cloud", "Account Manipulation", "absent", "listed", UC, 7),
    ("mitre-totals", None, None, None, "1", "2", MITRE, 4),
], key=repr)


@pytest.fixture(scope="module")
def tree(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("validate") / "tree"
    for rel, text in PAGES.items():
        p = root / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(text, encoding="utf-8")
    return root


def _found(checks) -> list:
    cols = ["check", "vendor", "product", "use_case", "expected", "actual", "source_path", "source_line"]
    out = []
    for row in checks[cols].itertuples(index=False, name=None):
        out.append(tuple(None if pd.isna(x) else (int(x) if c == "source_line" else x)
                         for c, x in zip(cols, row)))
    return sorted(out, key=repr)


def test_every_planted_finding_and_no_other(tree):
    v = extractor.validate(str(tree))
    assert _found(v.checks) == EXPECTED
    assert set(v.checks["release"]) == {"tree"}
    assert v.counts == {c: sum(1 for e in EXPECTED if e[0] == c) for c in CHECKS if any(e[0] == c for e in EXPECTED)}


def test_stated_totals_recorded(tree, tmp_path):
    extractor.convert(str(tree), str(tmp_path / "out"))
    t = extractor.load(str(tmp_path / "out"))
    got = sorted(t["mitre_totals"][["level", "stated", "source_path", "source_line"]].itertuples(index=False, name=None))
    assert [(a, int(b), c, int(d)) for a, b, c, d in got] == [("sub-technique", 1, MITRE, 4), ("technique", 3, MITRE, 3)]


def test_output_folder_gives_the_same_findings(tree, tmp_path):
    out = tmp_path / "out"
    extractor.convert(str(tree), str(out))
    assert _found(extractor.validate(str(out), out=str(tmp_path / "checks")).checks) == EXPECTED
    written = extractor.load(str(tmp_path / "checks"))["checks"]  # the checks table, as written
    assert _found(written) == EXPECTED


def test_samples_findings_are_only_their_missing_pages():
    """The bundled samples were written consistent (see test_samples) but hold only some of the
    pages they link to: every finding is a broken link, to a file that is indeed not there."""
    samples = Path(__file__).resolve().parents[1] / "samples"
    v = extractor.validate(str(samples))
    assert set(v.checks["check"]) == {"broken-link"}
    for target in v.checks["expected"]:
        assert not (samples / target).exists(), target


def test_tactic_total_is_recorded_not_checked(tmp_path):
    """The matrix's empty tactic columns leave no record, so a stated tactic total has nothing
    to be held to: recorded, not checked."""
    page = PAGES[MITRE].replace("### MITRE Sub-techniques: 1\n", "### MITRE Sub-techniques: 2\n### MITRE Tactics: 14\n")
    tree = tmp_path / "tree"
    tree.mkdir()
    (tree / MITRE).write_text(page, encoding="utf-8")
    extractor.convert(str(tree), str(tmp_path / "out"))
    totals = extractor.load(str(tmp_path / "out"))["mitre_totals"]
    assert sorted(zip(totals["level"], totals["stated"])) == [("sub-technique", 2), ("tactic", 14), ("technique", 3)]
    v = extractor.validate(str(tmp_path / "out"))
    assert len(v.checks) == 0, v.checks.to_dict("records")


def test_output_of_some_tables_only(tree, tmp_path):
    """`convert --tables` writes some tables: checks that need the others do not run (an
    absent table is not an empty one)."""
    out = tmp_path / "out"
    extractor.convert(str(tree), str(out), tables=["mitre_totals", "technique_rule_counts"])
    v = extractor.validate(str(out))
    assert _found(v.checks) == [e for e in EXPECTED if e[0] == "mitre-totals"]
    assert set(v.skipped) == set(CHECKS) - {"mitre-totals"}
    extractor.convert(str(tree), str(out), tables=["use_case_counts", "rules", "models"])
    v = extractor.validate(str(out))
    assert _found(v.checks) == [e for e in EXPECTED if e[0] == "rm-rule-items"]  # needs no use_cases
    assert "rm-rule-items" not in v.skipped and "use-case-rm-counts" in v.skipped
