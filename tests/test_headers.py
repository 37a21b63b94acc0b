"""The alias table: header spellings seen across releases (and the variants the corpus README
lists for releases we do not have) map to one meaning each."""
import pytest

from extractor import headers


@pytest.mark.parametrize("spelling, meaning", [
    # types/parsers column, every release's way of saying it
    ("Activity Types/Parsers", "types_parsers"),
    ("Event Types/Parsers", "types_parsers"),
    ("Activity Types (Legacy Event Type)/Parsers", "types_parsers"),
    ("Activity Types(Legacy Event Type)/Parsers", "types_parsers"),
    ("Activity Type (Legacy Event Type)/Parsers", "types_parsers"),
    ("Activity Type/Parsers", "types_parsers"),
    ("Activity Types / Parsers", "types_parsers"),
    ("Activity Types – Parsers", "types_parsers"),
    ("Activity Types Parsers", "types_parsers"),  # (`Activity Types<br>Parsers`)
    ("Event/Activity Types/Parsers", "types_parsers"),
    ("Event/Activity Type", "activity_types"),
    ("Rules/Models", "content"),
    ("Parser (old)", "old_parser"),
    ("Parser Name (new)", "new_parser"),
    # TTP column and counts
    ("MITRE TTP", "mitre_ttps"),
    ("MITRE TTPs", "mitre_ttps"),
    ("MITRE ATT&CK® TTP", "mitre_ttps"),
    ("MITRE ATT&CK® TTPs", "mitre_ttps"),
    ("MITRE ATT&CK® TTP(s)", "mitre_ttps"),
    ("mitre att&ck ttps", "mitre_ttps"),
    # use case, content, counts
    ("Use-Case", "use_case"),
    ("Use Case", "use_case"),
    ("Use Cases", "use_case"),
    ("Content", "content"),
    ("Rules", "rules"),
    ("Models", "models"),
    ("Activity Types", "activity_types"),
    ("Event Types", "activity_types"),
    ("Activity Type", "activity_types"),
    ("Activity Types (Legacy Event Type)", "activity_types"),
    ("Event Type", "activity_types"),
    ("Parsers", "parsers"),
    # spellings of releases we do not have: counts spelt as counts, names as names
    ("Number of Parsers", "parsers"),
    ("# TTPs", "mitre_ttps"),
    ("MITRE ATT&CK® TTPs Count", "mitre_ttps"),
    ("Total Activity Types", "activity_types"),
    ("Parsers Count", "parsers"),
    ("Use Case Name", "use_case"),
    ("Product Name", "product"),
    ("Data Source Name", "product"),
    ("Vendor Name", "vendor"),
    # and what editing real pages showed a generator might write: a colon after the header,
    # `(s)` plurals, (R) for ®, `[...]` for `(...)`, `# of`
    ("Use-Case:", "use_case"),
    ("Rules:", "rules"),
    ("Parser(s)", "parsers"),
    ("Activity Type / Parser(s)", "types_parsers"),
    ("Activity Types [Legacy Event Type]/Parsers", "types_parsers"),
    ("MITRE ATT&CK Technique(s)", "mitre_ttps"),
    ("MITRE ATT&CK(R) TTP", "mitre_ttps"),
    ("# of Rules", "rules"),
    ("Overlap w/ AA", "overlap_with_aa"),
    # other pages
    ("Old Parser Name", "old_parser"),
    ("New-Scale Parser Name", "new_parser"),
    ("MITRE Tactic", "mitre_tactic"),
    ("Overlap with AA", "overlap_with_aa"),
    ("Product Category", "category"),
])
def test_spellings_map_to_one_meaning(spelling, meaning):
    assert headers.meaning(spelling) == meaning
    assert headers.meaning(f"  {spelling.upper()}  ") == meaning  # case and padding do not matter


@pytest.mark.parametrize("spelling", ["Severity Level Of Doom", "Notes", "", "Activity Types/Models"])
def test_unknown_headers_are_unknown(spelling):
    assert headers.meaning(spelling) is None


@pytest.mark.parametrize("title", ["ATT&CK Matrix for Enterprise", "MITRE ATT&CK® Framework for Enterprise",
                                   "MITRE ATT&CK Matrix"])
def test_matrix_titles(title):
    assert headers.MATRIX_TITLE.search(title)


@pytest.mark.parametrize("header, short", [("Initial Access", "initial-access"),
                                           ("Command and Control", "command-and-control"),
                                           ("Command & Control", "command-and-control"),
                                           ("credential access", "credential-access")])
def test_tactic_shortnames(header, short):
    assert headers.tactic(header) == short
