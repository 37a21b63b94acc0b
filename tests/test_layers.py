"""Issue 5: tables for notebooks (load, DuckDB), ATT&CK Navigator layers, the heatmap, the example
notebook, and the command line's common contract (--json, --version, usage errors).

Expected layers and heatmap numbers were worked out by hand from the sample pages:

ATT&CK matrices (tactic -> techniques) of the three data-source pages
  Quillfeather SSO:  Initial Access T1078 T1078.004 | Persistence T1078 T1098 T1136.003 T1078.004
                     | Privilege Escalation T1078 T1098 T1078.004 | Defense Evasion T1078 T1078.004
                     | Credential Access T1110 T1110.003
  Tidepool EDR:      Initial Access, Persistence, Privilege Escalation, Defense Evasion: T1078
                     | Execution T1059 T1059.001 T1204 | Impact T1486 T1490
  Orrin Vault:       Credential Access T1552 T1555 | Impact T1485

TTP cells (use case -> techniques)
  Quillfeather SSO:  Abnormal Authentication & Access T1078 T1110 | Account Manipulation T1098
                     T1136.003 | Brute Force Attack T1110 T1110.003 | (continuation) Privilege
                     Escalation T1078.004 T1098 | Compromised Credentials T1078
  Tidepool EDR:      Malware T1059 T1059.001 T1204 | Abnormal Authentication & Access T1078
                     | Ransomware T1486 T1490
  Orrin Vault:       Data Access T1552 T1555 | Data Destruction T1485

Rules: the one rules-and-models page (Quillfeather SSO / Account Manipulation) names
  T1136.003: QF-AC-Cloud-F, QF-AC-Cloud-A, QF-AC-Svc-Name   (3 rule ids)
  T1098:     QF-GA-Admin, QF-GA-Self, QF-APP-Policy          (3 rule ids)
so the rules table has rows and (extractor/navigator.py) the score of a technique is the number
of distinct rule ids naming it: 3 for T1098 and T1136.003, 0 for every other technique. A filter
that leaves no rules row (e.g. --product "Orrin Vault") scores by the use cases naming the
technique instead.
"""
from __future__ import annotations

import importlib
import io
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

import extractor
from extractor import navigator, schema
from extractor import plot as plotting
from extractor.cli import cli
from extractor.navigator import Filters

HERE = Path(__file__).resolve()
ROOT = HERE.parents[1]
SAMPLES = ROOT / "samples"
NOTEBOOK = ROOT / "examples" / "coverage.ipynb"

# history(), called through its module (see test_releases.py).
run_history = importlib.import_module("extractor.releases").history

GIT = ["git", "-c", "user.name=Test", "-c", "user.email=test@example.com", "-c", "commit.gpgsign=false",
       "-c", "tag.gpgsign=false", "-c", "init.defaultBranch=main"]

AAA = "Abnormal Authentication & Access"

# (technique, tactic shortname) -> score, all products
LAYER_ALL = {
    ("T1059", "execution"): 0,
    ("T1059.001", "execution"): 0,
    ("T1078", "initial-access"): 0,
    ("T1078", "persistence"): 0,
    ("T1078", "privilege-escalation"): 0,
    ("T1078", "defense-evasion"): 0,
    ("T1078.004", "initial-access"): 0,
    ("T1078.004", "persistence"): 0,
    ("T1078.004", "privilege-escalation"): 0,
    ("T1078.004", "defense-evasion"): 0,
    ("T1098", "persistence"): 3,
    ("T1098", "privilege-escalation"): 3,
    ("T1110", "credential-access"): 0,
    ("T1110.003", "credential-access"): 0,
    ("T1136.003", "persistence"): 3,
    ("T1204", "execution"): 0,
    ("T1485", "impact"): 0,
    ("T1486", "impact"): 0,
    ("T1490", "impact"): 0,
    ("T1552", "credential-access"): 0,
    ("T1555", "credential-access"): 0,
}
# technique -> distinct use-case names naming it (all products)
USE_CASES_OF = {
    "T1059": ["Malware"], "T1059.001": ["Malware"], "T1204": ["Malware"],
    "T1078": [AAA, "Compromised Credentials"], "T1078.004": ["Privilege Escalation"],
    "T1098": ["Account Manipulation", "Privilege Escalation"],
    "T1110": [AAA, "Brute Force Attack"], "T1110.003": ["Brute Force Attack"],
    "T1136.003": ["Account Manipulation"],
    "T1485": ["Data Destruction"], "T1486": ["Ransomware"], "T1490": ["Ransomware"],
    "T1552": ["Data Access"], "T1555": ["Data Access"],
}
RULES_OF = {"T1098": 3, "T1136.003": 3}

# Quillfeather only: its 13 matrix entries, rules still present (its RM page)
LAYER_QF = {k: v for k, v in LAYER_ALL.items() if k[0] in {"T1078", "T1078.004", "T1098", "T1110", "T1110.003",
                                                              "T1136.003"}}
# Orrin Vault only: no rules row left -> score = use cases naming the technique
LAYER_OV = {("T1552", "credential-access"): 1, ("T1555", "credential-access"): 1, ("T1485", "impact"): 1}
# Tidepool EDR only: no rules -> use cases (T1078: only Abnormal Authentication & Access there)
LAYER_BW = {("T1078", "initial-access"): 1, ("T1078", "persistence"): 1, ("T1078", "privilege-escalation"): 1,
            ("T1078", "defense-evasion"): 1, ("T1059", "execution"): 1, ("T1059.001", "execution"): 1,
            ("T1204", "execution"): 1, ("T1486", "impact"): 1, ("T1490", "impact"): 1}
# use case Account Manipulation: its two techniques, on every tactic the matrices give them
LAYER_AM = {("T1098", "persistence"): 3, ("T1098", "privilege-escalation"): 3, ("T1136.003", "persistence"): 3}

TACTIC_COLUMNS = ["initial-access", "execution", "persistence", "privilege-escalation", "defense-evasion",
                  "credential-access", "impact"]
# use case -> distinct techniques per tactic (a use case's techniques, on the tactics its product's
# matrix gives them; Abnormal Authentication & Access is on two products, T1078 counted once)
HEATMAP = {
    AAA:                       [1, 0, 1, 1, 1, 1, 0],
    "Account Manipulation":    [0, 0, 2, 1, 0, 0, 0],
    "Brute Force Attack":      [0, 0, 0, 0, 0, 2, 0],
    "Compromised Credentials": [1, 0, 1, 1, 1, 0, 0],
    "Data Access":             [0, 0, 0, 0, 0, 2, 0],
    "Data Destruction":        [0, 0, 0, 0, 0, 0, 1],
    "Malware":                 [0, 3, 0, 0, 0, 0, 0],
    "Privilege Escalation":    [1, 0, 2, 2, 1, 0, 0],
    "Ransomware":              [0, 0, 0, 0, 0, 0, 2],
}

SAMPLE_ROWS = {"products": 3, "use_cases": 10, "activity_parsers": 21, "use_case_ttps": 18, "attack_matrix": 25,
               "pages": 8, "issues": 0}


# ---------------------------------------------------------------------------------------------
# helpers and fixtures


def git(repo, *args) -> str:
    return subprocess.run([*GIT, "-C", str(repo), *args], capture_output=True, check=True).stdout.decode()


def make_repo(root: Path, tags: list[str]) -> Path:
    """samples/ committed once per tag; each later tag adds one line to the Orrin Vault page."""
    repo = root / "repo"
    shutil.copytree(SAMPLES, repo)
    git(repo, "init", "-q")
    page = repo / "DS/Orrin_Labs/orrin_vault/ds_orrin_labs_orrin_vault.md"
    for n, tag in enumerate(tags):
        if n:
            with page.open("a", encoding="utf-8") as fh:
                fh.write(f"\nRevision {n}.\n")
        git(repo, "add", "-A")
        git(repo, "commit", "-q", "-m", tag)
        git(repo, "tag", tag)
    return repo


def entries(layer: dict) -> dict:
    got = {}
    for t in layer["techniques"]:
        key = (t["techniqueID"], t.get("tactic"))
        assert key not in got, f"duplicate entry {key}"
        got[key] = t["score"]
    return got


def usage_error(result) -> str:
    """exit 2, no traceback, and exactly one `Error: ...` line (click's usage errors may print
    their `Usage:`/`Try` lines before it)."""
    assert result.exit_code == 2, (result.exit_code, result.output)
    assert "Traceback" not in result.output
    assert isinstance(result.exception, SystemExit), repr(result.exception)
    errors = [line for line in result.stderr.splitlines() if line.startswith("Error: ")]
    assert len(errors) == 1, result.stderr
    assert not result.stdout.strip(), result.stdout
    return errors[0]


def one_line_error(result) -> str:
    """A library error (ExtractorError): stderr is the one `Error: ...` line, nothing else."""
    line = usage_error(result)
    assert result.stderr.strip().splitlines() == [line], result.stderr
    return line


@pytest.fixture(scope="module")
def out(tmp_path_factory) -> Path:
    o = tmp_path_factory.mktemp("layers") / "out"
    extractor.convert(SAMPLES, o, jobs=1)
    return o


@pytest.fixture(scope="module")
def hist(tmp_path_factory):
    root = tmp_path_factory.mktemp("hist")
    repo = make_repo(root, ["r1", "r2"])
    o = root / "dataset"
    summary = run_history(repo, o, ["r*"], jobs=1)
    return o, summary


@pytest.fixture(scope="module")
def diff_pair(tmp_path_factory):
    """OLD = samples without Brightwater Systems, NEW = samples without Orrin Labs."""
    root = tmp_path_factory.mktemp("pair")
    old_tree, new_tree = root / "old", root / "new"
    shutil.copytree(SAMPLES, old_tree)
    shutil.rmtree(old_tree / "DS" / "Brightwater_Systems")
    shutil.copytree(SAMPLES, new_tree)
    shutil.rmtree(new_tree / "DS" / "Orrin_Labs")
    extractor.convert(old_tree, root / "old-out", jobs=1)
    extractor.convert(new_tree, root / "new-out", jobs=1)
    return root / "old-out", root / "new-out"


# ---------------------------------------------------------------------------------------------
# load and duckdb


def test_load_single_conversion(out):
    t = extractor.load(out)
    assert set(t) == set(schema.PAGE_TABLES)
    for name in t:
        assert list(t[name].columns) == schema.columns(name), name
    for name, n in SAMPLE_ROWS.items():
        assert len(t[name]) == n, name
    assert t.products is t["products"]
    for name in ("activity_parsers", "use_case_ttps", "attack_matrix"):
        assert isinstance(t[name]["release"].dtype, pd.CategoricalDtype), name
        assert list(t[name]["release"].cat.categories) == ["samples"]
    assert isinstance(t.activity_parsers["vendor"].dtype, pd.CategoricalDtype)
    assert isinstance(t.attack_matrix["tactic"].dtype, pd.CategoricalDtype)
    plain = extractor.load(out, categories=False)
    assert not any(isinstance(plain[n][c].dtype, pd.CategoricalDtype) for n in plain for c in plain[n].columns)
    assert int(t.products.set_index("product").loc["Quillfeather SSO", "rules"]) == 34


def test_load_history_dataset(hist):
    o, summary = hist
    t = extractor.load(o)
    assert set(t) == set(schema.PAGE_TABLES)
    for name in t:
        assert list(t[name].columns) == schema.columns(name), name
    ap = t.activity_parsers
    assert isinstance(ap["release"].dtype, pd.CategoricalDtype)
    assert sorted(ap["release"].cat.categories) == ["r1", "r2"]
    assert ap.groupby("release", observed=True).size().to_dict() == {"r1": 21, "r2": 21}
    for ref, info in summary.releases.items():
        for name, n in info["rows"].items():
            assert int((t[name]["release"] == ref).sum()) == n, (ref, name)


def test_duckdb_single_conversion(out):
    pytest.importorskip("duckdb")
    con = extractor.duckdb(out)
    views = {r[0] for r in con.sql("select table_name from information_schema.tables").fetchall()}
    assert views == set(schema.PAGE_TABLES)
    manifest = json.loads((out / "manifest.json").read_text())
    for name in schema.PAGE_TABLES:
        assert con.sql(f'select count(*) from "{name}"').fetchall()[0][0] == manifest["rows"][name], name
    for name, n in SAMPLE_ROWS.items():
        assert con.sql(f'select count(*) from "{name}"').fetchall()[0][0] == n, name
    got = con.sql("select tactic, count(distinct technique_id) from attack_matrix group by 1 order by 1").fetchall()
    assert got == [("Credential Access", 4), ("Defense Evasion", 2), ("Execution", 3), ("Impact", 3),
                   ("Initial Access", 2), ("Persistence", 4), ("Privilege Escalation", 3)]


def test_duckdb_history_dataset(hist):
    pytest.importorskip("duckdb")
    o, summary = hist
    con = extractor.duckdb(o)
    views = {r[0] for r in con.sql("select table_name from information_schema.tables").fetchall()}
    assert views == set(schema.PAGE_TABLES)
    for name in schema.PAGE_TABLES:
        got = dict(con.sql(f'select release, count(*) from "{name}" group by release').fetchall())
        want = {ref: info["rows"][name] for ref, info in summary.releases.items() if info["rows"][name]}
        assert got == want, name
    assert con.sql("select distinct typeof(release) from products").fetchall() == [("VARCHAR",)]


@pytest.mark.parametrize("tags", [["2024"], ["2025.26"], ["2024", "2025"]])
def test_duckdb_release_stays_text_for_number_like_tags(tags, tmp_path):
    """A release is a label: `2024` or `2025.26` must come back as that text, as load() gives it."""
    pytest.importorskip("duckdb")
    repo = make_repo(tmp_path, tags)
    o = tmp_path / "dataset"
    run_history(repo, o, tags, jobs=1)
    assert sorted(extractor.load(o).products["release"].astype(str).unique()) == sorted(tags)
    con = extractor.duckdb(o)
    got = con.sql("select distinct release, typeof(release) from products order by 1").fetchall()
    assert got == [(tag, "VARCHAR") for tag in sorted(tags)]


def test_duckdb_on_a_non_output_is_an_error(tmp_path):
    with pytest.raises(extractor.ExtractorError):
        extractor.duckdb(tmp_path)


# ---------------------------------------------------------------------------------------------
# Navigator layers


def test_layer_samples(out):
    d = navigator.layer(out)
    assert d["versions"]["layer"] == "4.5"
    assert d["domain"] == "enterprise-attack"
    assert entries(d) == LAYER_ALL
    assert len(d["techniques"]) == 21
    assert {t["tactic"] for t in d["techniques"]} == {
        "initial-access", "execution", "persistence", "privilege-escalation", "defense-evasion",
        "credential-access", "impact"}
    assert d["gradient"]["minValue"] == 0 and d["gradient"]["maxValue"] == 3
    assert len(d["gradient"]["colors"]) >= 2
    assert d["legendItems"] and all({"label", "color"} <= set(item) for item in d["legendItems"])
    for t in d["techniques"]:
        tid = t["techniqueID"]
        assert t["comment"] == f"{len(USE_CASES_OF[tid])} use case(s), {RULES_OF.get(tid, 0)} rule(s)", tid
        meta = {m["name"]: m["value"] for m in t["metadata"]}
        assert meta["use cases"] == ", ".join(USE_CASES_OF[tid]), tid
        assert t["enabled"] is True
    t1078 = [t for t in d["techniques"] if t["techniqueID"] == "T1078"][0]
    assert {m["name"]: m["value"] for m in t1078["metadata"]}["products"] == "Quillfeather SSO, Tidepool EDR"
    json.dumps(d)  # plain JSON all the way down


@pytest.mark.parametrize("filters, expected", [
    (Filters(vendor="Quillfeather"), LAYER_QF),
    (Filters(vendor="quillfeather"), LAYER_QF),  # case-insensitive
    (Filters(product="Orrin Vault"), LAYER_OV),
    (Filters(product="Tidepool EDR"), LAYER_BW),
    (Filters(vendor="Brightwater Systems", product="Tidepool EDR"), LAYER_BW),
    (Filters(use_case="Account Manipulation"), LAYER_AM),
    (Filters(vendor="Nobody"), {}),
], ids=["vendor", "vendor-casefold", "product-ov", "product-bw", "vendor+product", "use-case", "none"])
def test_layer_filters(out, filters, expected):
    d = navigator.layer(out, filters)
    assert entries(d) == expected
    assert d["versions"]["layer"] == "4.5"


def test_layer_release_filter_on_history(hist):
    o, _ = hist
    for ref in ("r1", "r2"):
        assert entries(navigator.layer(o, Filters(release=ref))) == LAYER_ALL
    assert entries(navigator.layer(o, Filters(release="r3"))) == {}


LAYER_CASES = {
    "all": lambda out, pair: navigator.layer(out),
    "vendor": lambda out, pair: navigator.layer(out, Filters(vendor="Quillfeather")),
    "product-max-score-1": lambda out, pair: navigator.layer(out, Filters(product="Orrin Vault")),
    "empty": lambda out, pair: navigator.layer(out, Filters(vendor="Nobody")),
    "diff": lambda out, pair: navigator.diff_layer(*pair),
}


@pytest.mark.parametrize("case", list(LAYER_CASES))
def test_layer_loads_in_mitreattack(out, diff_pair, case):
    navlayers = pytest.importorskip("mitreattack.navlayers")
    d = json.loads(json.dumps(LAYER_CASES[case](out, diff_pair)))
    lay = navlayers.Layer()
    lay.from_dict(d)  # mitreattack prints the error and keeps a str on failure: check what it kept
    assert not isinstance(lay.layer, str), f"mitreattack-python rejected the layer (gradient {d['gradient']})"
    assert len(lay.layer.techniques or []) == len(d["techniques"])
    back = lay.to_dict()
    assert {(t["techniqueID"], t.get("tactic")) for t in back.get("techniques", [])} == {
        (t["techniqueID"], t.get("tactic")) for t in d["techniques"]}


def test_cli_layer_matches_library(out, tmp_path):
    path = tmp_path / "layer.json"
    res = CliRunner().invoke(cli, ["layer", str(out), "-o", str(path), "--vendor", "Quillfeather", "--json"])
    assert res.exit_code == 0, res.output
    counts = json.loads(res.stdout)
    assert counts["techniques"] == len(LAYER_QF) == 13
    assert counts["max_score"] == 3
    assert counts["file"] == str(path.resolve())
    written = json.loads(path.read_text())
    assert written == json.loads(json.dumps(navigator.layer(out, Filters(vendor="Quillfeather"))))
    res = CliRunner().invoke(cli, ["layer", str(out), "-o", str(path), "--product", "Orrin Vault"])
    assert res.exit_code == 0, res.output
    assert entries(json.loads(path.read_text())) == LAYER_OV


def test_layer_diff(diff_pair, tmp_path):
    old, new = diff_pair
    # OLD has Quillfeather + Orrin Vault, NEW Quillfeather + Tidepool EDR
    added = {("T1059", "execution"), ("T1059.001", "execution"), ("T1204", "execution"),
             ("T1486", "impact"), ("T1490", "impact")}
    removed = {("T1552", "credential-access"), ("T1555", "credential-access"), ("T1485", "impact")}
    kept = set(LAYER_QF)
    d = navigator.diff_layer(old, new)
    assert d["versions"]["layer"] == "4.5"
    by_key = {(t["techniqueID"], t.get("tactic")): t for t in d["techniques"]}
    assert len(by_key) == len(d["techniques"]) == 21
    assert set(by_key) == added | removed | kept
    colors = navigator.DIFF_COLORS
    for key in added:
        assert by_key[key]["color"] == colors["added"], key
    for key in removed:
        assert by_key[key]["color"] == colors["removed"], key
    for key in kept:
        assert by_key[key]["color"] == colors["kept"], key
    assert len({colors["added"], colors["removed"], colors["kept"]}) == 3
    assert {item["label"] for item in d["legendItems"]} >= {"added", "removed", "kept"}

    path = tmp_path / "diff-layer.json"
    res = CliRunner().invoke(cli, ["layer", "--diff", str(old), str(new), "-o", str(path), "--json"])
    assert res.exit_code == 0, res.output
    counts = json.loads(res.stdout)
    assert (counts["techniques"], counts["added"], counts["removed"], counts["kept"]) == (21, 5, 3, 13)
    assert json.loads(path.read_text()) == json.loads(json.dumps(d))


def test_layer_diff_same_release_keeps_everything(out):
    d = navigator.diff_layer(out, out)
    assert {t["color"] for t in d["techniques"]} == {navigator.DIFF_COLORS["kept"]}
    assert len(d["techniques"]) == 21


# ---------------------------------------------------------------------------------------------
# the heatmap


def test_technique_tactics_numbers(out):
    data = plotting.technique_tactics(out)
    assert list(data.columns) == TACTIC_COLUMNS
    assert sorted(data.index) == sorted(HEATMAP)
    for use_case, row in HEATMAP.items():
        assert [int(v) for v in data.loc[use_case, TACTIC_COLUMNS]] == row, use_case
    # two cells read straight off the pages
    assert int(data.loc["Malware", "execution"]) == 3  # T1059, T1059.001, T1204
    assert int(data.loc["Privilege Escalation", "persistence"]) == 2  # T1078.004, T1098


def test_technique_tactics_filtered(out):
    data = plotting.technique_tactics(out, Filters(vendor="Orrin Labs"))
    assert list(data.columns) == ["credential-access", "impact"]
    assert {uc: [int(v) for v in row] for uc, row in data.iterrows()} == {
        "Data Access": [2, 0], "Data Destruction": [0, 1]}


def test_cli_plot_png(out, tmp_path):
    png = tmp_path / "x.png"
    res = CliRunner().invoke(cli, ["plot", str(out), "-o", str(png), "--json"])
    assert res.exit_code == 0, res.output
    data = png.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    from PIL import Image

    with Image.open(io.BytesIO(data)) as img:
        img.verify()
    with Image.open(png) as img:
        width, height = img.size
        assert width >= 400 and height >= 300, img.size
        low, high = img.convert("L").getextrema()
        assert high - low > 100  # not a blank canvas
    import matplotlib.image as mpimg

    arr = mpimg.imread(png)
    assert arr.shape[0] == height and arr.shape[1] == width
    cells = json.loads(res.stdout)["cells"]
    assert cells == {uc: {t: n for t, n in zip(TACTIC_COLUMNS, row) if n} for uc, row in HEATMAP.items()}
    assert json.loads(res.stdout)["file"] == str(png.resolve())


def test_plot_of_output_without_techniques_is_a_usage_error(tmp_path):
    empty = tmp_path / "empty"
    empty.mkdir()
    extractor.convert(empty, tmp_path / "o", jobs=1)
    line = one_line_error(CliRunner().invoke(cli, ["plot", str(tmp_path / "o"), "-o", str(tmp_path / "x.png")]))
    assert "no technique" in line
    assert not (tmp_path / "x.png").exists()


# ---------------------------------------------------------------------------------------------
# the example notebook


def test_example_notebook_runs(tmp_path):
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    nb = nbformat.read(NOTEBOOK, as_version=4)
    client = nbclient.NotebookClient(nb, timeout=600, kernel_name="python3",
                                     resources={"metadata": {"path": str(NOTEBOOK.parent)}})
    client.execute()
    errors = [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", []) if o.output_type == "error"]
    assert not errors
    assert all(c.get("execution_count") for c in nb.cells if c.cell_type == "code")


# ---------------------------------------------------------------------------------------------
# the command line's common contract


def test_every_command_has_json():
    for name, command in cli.commands.items():
        flags = {opt for p in command.params for opt in getattr(p, "opts", [])}
        assert "--json" in flags, name


def test_every_command_prints_json(out, hist, diff_pair, tmp_path):
    repo = make_repo(tmp_path / "git", ["r1"])
    runner = CliRunner()
    old, new = diff_pair
    calls = {
        "convert": ["convert", str(SAMPLES), "-o", str(tmp_path / "c"), "--json", "-j", "1"],
        "history": ["history", str(repo), "-o", str(tmp_path / "h"), "--json", "-j", "1"],
        "diff": ["diff", str(old), str(new), "-o", str(tmp_path / "d"), "--json"],
        "layer": ["layer", str(out), "-o", str(tmp_path / "l.json"), "--json"],
        "plot": ["plot", str(out), "-o", str(tmp_path / "p.png"), "--json"],
        "validate": ["validate", str(out), "--json"],
    }
    assert set(cli.commands) <= set(calls), "a command without a --json check here"
    for name, args in calls.items():
        if name not in cli.commands:
            continue
        res = runner.invoke(cli, args)
        assert res.exit_code == 0, (name, res.output)
        assert isinstance(json.loads(res.stdout), dict), name
    assert json.loads(runner.invoke(cli, calls["convert"]).stdout)["rows"]["activity_parsers"] == 21


def test_version():
    res = CliRunner().invoke(cli, ["--version"])
    assert res.exit_code == 0
    assert res.stdout.strip() == f"extractor, version {extractor.__version__}"
    script = Path(sys.executable).with_name("extractor")  # the installed console script
    if script.exists():
        proc = subprocess.run([str(script), "--version"], capture_output=True, text=True)
        assert proc.returncode == 0 and proc.stdout.strip() == f"extractor, version {extractor.__version__}"


@pytest.mark.parametrize("args, says", [
    (["nosuchcommand"], "No such command"),
    (["diff", "only-one"], "NEW"),
    (["diff"], "OLD"),
    (["history"], "REPO"),
    (["history", "."], "--out"),
    (["convert", "--jobs", "0"], "--jobs"),
    (["convert", "--max-page-bytes", "lots"], "--max-page-bytes"),
    (["layer", "--diff", "only-one"], "--diff"),
    (["plot", "--vendor"], "--vendor"),
    (["convert", "--bogus"], "--bogus"),
])
def test_usage_errors(args, says):
    line = usage_error(CliRunner().invoke(cli, args))
    assert says in line, line


def test_input_errors_are_one_line(out, tmp_path):
    runner = CliRunner()
    missing = str(tmp_path / "missing")
    cases = [
        ["layer", missing, "-o", str(tmp_path / "l.json")],
        ["layer", "--diff", missing, str(out), "-o", str(tmp_path / "l.json")],
        ["layer", str(out), "--diff", str(out), str(out), "-o", str(tmp_path / "l.json")],
        ["layer", str(SAMPLES), "-o", str(tmp_path / "l.json")],  # a docs tree, not an output
        ["plot", missing, "-o", str(tmp_path / "p.png")],
        ["convert", missing, "-o", str(tmp_path / "c")],
        ["convert", "--ref", "r1", "-o", str(tmp_path / "c")],
        ["convert", str(SAMPLES), "-o", str(SAMPLES)],  # never replaces a folder it did not write
        ["diff", missing, str(out), "-o", str(tmp_path / "d")],
        ["validate", missing],
    ]
    before = sorted(p.relative_to(SAMPLES).as_posix() for p in SAMPLES.rglob("*"))
    for args in cases:
        one_line_error(runner.invoke(cli, args))
    assert sorted(p.relative_to(SAMPLES).as_posix() for p in SAMPLES.rglob("*")) == before
    assert not (tmp_path / "l.json").exists()
    assert not (tmp_path / "p.png").exists()


@pytest.mark.parametrize("command", ["layer", "plot", "diff", "convert"])
def test_unwritable_output_is_a_usage_error(out, command):
    """An output path that cannot be written (here under /proc) is the user's to fix, as convert
    and diff already say: exit 2 with one `Error:` line, not exit 1 as if the tool had a bug."""
    target = Path("/proc") / "no-such-folder"
    args = {
        "layer": ["layer", str(out), "-o", str(target / "l.json")],
        "plot": ["plot", str(out), "-o", str(target / "p.png")],
        "diff": ["diff", str(out), str(out), "-o", str(target / "d")],
        "convert": ["convert", str(SAMPLES), "-o", str(target / "c")],
    }[command]
    one_line_error(CliRunner().invoke(cli, args))
