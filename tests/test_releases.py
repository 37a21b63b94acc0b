"""Releases from git: convert from a ref, history of many refs, diff between two releases.

The repositories are built here, in tmp folders, from the bundled samples/ tree:

* tag ``r1``: samples/ as it is.
* tag ``r2``: r1 with
  - the parser link ``quillfeather-sso-cef-app-login-success-mfa`` removed from the
    ``Abnormal Authentication & Access`` cell of the Quillfeather SSO main page (it stays in the
    ``Compromised Credentials`` cell of the continuation page, so the product's parser count
    does not move);
  - one use-case row added to Orrin Vault (``Privileged Activity``: one activity type with one
    parser, one technique T1078.003, 2 rules and 1 model), the technique added to its ATT&CK
    matrix (Initial Access) and its counts table moved from 10/5/3/3/3 to 12/6/4/4/4.
* tag ``r3`` (annotated): r2 with Tidepool EDR's ``app-login:success (app-login)`` written
  ``app-login`` (the same event type, spelled the legacy way).
* branch ``main`` at r3 and branch ``topic/x`` at r2 (a ref with a ``/``), neither matched by ``r*``.

Every expected diff row below was worked out by hand from these edits.
"""
from __future__ import annotations

import hashlib
import importlib
import io
import json
import os
import shutil
import subprocess
import sys
import tarfile
from pathlib import Path

import pandas as pd
import pyarrow.dataset as pads
import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner

import extractor
from extractor import schema
from extractor.cli import cli

# The implementations, called through their modules (test_public_history_and_diff_stay_callable
# checks the public names themselves).
run_history = importlib.import_module("extractor.releases").history
run_diff = importlib.import_module("extractor.compare").diff

HERE = Path(__file__).resolve()
SAMPLES = HERE.parents[1] / "samples"

QF_MAIN = "DS/Quillfeather/quillfeather_sso/ds_quillfeather_quillfeather_sso.md"
BW_MAIN = "DS/Brightwater_Systems/tidepool_edr/ds_brightwater_systems_tidepool_edr.md"
OV_MAIN = "DS/Orrin_Labs/orrin_vault/ds_orrin_labs_orrin_vault.md"
AAA = "Abnormal Authentication & Access"
QP2 = "quillfeather-sso-cef-app-login-success-mfa"
QF = ("Quillfeather", "Quillfeather SSO")
OV = ("Orrin Labs", "Orrin Vault")
NEW_UC = "Privileged Activity"
NEW_PARSER = "orrin-vault-json-privileged-access-rootlogin"

GIT_IDENTITY = ["-c", "user.name=Test", "-c", "user.email=test@example.com",
                "-c", "commit.gpgsign=false", "-c", "tag.gpgsign=false", "-c", "init.defaultBranch=main"]


# ---------------------------------------------------------------------------------------------
# helpers


def git(repo, *args) -> str:
    proc = subprocess.run(["git", *GIT_IDENTITY, "-C", str(repo), *args], capture_output=True, check=True)
    return proc.stdout.decode()


def replace_once(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert text.count(old) == 1, (path, old)
    path.write_text(text.replace(old, new), encoding="utf-8")


def edit_r2(tree: Path) -> None:
    # 1. one parser link out of the AAA cell of Quillfeather SSO (line 11)
    replace_once(tree / QF_MAIN,
                 f"<br> ↳[{QP2}](Ps/pC_quillfeatherssocefapploginsuccessmfa.md)<br><br> failed-app-login",
                 "<br><br> failed-app-login")
    # 2. one use-case row added to Orrin Vault, its technique on the matrix, counts moved
    ov = tree / OV_MAIN
    replace_once(ov, "|  10   |   5    |     3      |      3      |    3    |",
                 "|  12   |   6    |     4      |      4      |    4    |")
    row = (f"|    [{NEW_UC}](../../../UseCases/uc_privileged_activity.md)    |  privileged-access<br>"
           f" ↳[{NEW_PARSER}](Ps/pC_orrinvaultjsonprivilegedaccessrootlogin.md)<br>    "
           "| T1078.003 - Valid Accounts: Local Accounts<br>    "
           "| [<ul><li>2 Rules</li></ul><ul><li>1 Models</li></ul>](RM/r_m_orrin_labs_orrin_vault_Privileged_Activity.md)    |\n")
    lines = ov.read_text(encoding="utf-8").splitlines(keepends=True)
    dd = [i for i, line in enumerate(lines) if "[Data Destruction](../../../UseCases/" in line]
    assert len(dd) == 1
    lines.insert(dd[0] + 1, row)
    matrix_rows = [i for i, line in enumerate(lines) if "attack.mitre.org/techniques/T1552" in line]
    assert len(matrix_rows) == 1
    first = "|                |"
    assert lines[matrix_rows[0]].startswith(first)
    lines[matrix_rows[0]] = ("| [Valid Accounts: Local Accounts](https://attack.mitre.org/techniques/T1078/003)<br><br> |"
                             + lines[matrix_rows[0]][len(first):])
    ov.write_text("".join(lines), encoding="utf-8")


def edit_r3(tree: Path) -> None:
    replace_once(tree / BW_MAIN, "app-login:success (app-login)<br>", "app-login<br>")


def first_release(root: Path) -> Path:
    """A repository of the samples, one commit tagged r1."""
    repo = root / "repo"
    shutil.copytree(SAMPLES, repo)
    git(repo, "init", "-q")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "r1")
    git(repo, "tag", "r1")
    return repo


def build_repo(root: Path) -> Path:
    repo = first_release(root)
    edit_r2(repo)
    git(repo, "commit", "-q", "-a", "-m", "r2")
    git(repo, "tag", "r2")
    git(repo, "branch", "topic/x")
    edit_r3(repo)
    git(repo, "commit", "-q", "-a", "-m", "r3")
    git(repo, "tag", "-a", "r3", "-m", "release 3")
    return repo


def checkout(repo: Path, ref: str, dest: Path) -> Path:
    """The tree of `ref` as plain files (git archive), independent of the extractor."""
    data = subprocess.run(["git", "-C", str(repo), "archive", "--format=tar", ref],
                          capture_output=True, check=True).stdout
    dest.mkdir(parents=True)
    with tarfile.open(fileobj=io.BytesIO(data)) as tf:
        if hasattr(tarfile, "data_filter"):
            tf.extractall(dest, filter="data")
        else:  # pragma: no cover
            tf.extractall(dest)
    return dest


def csv_bytes(out: Path) -> dict:
    return {p.name: p.read_bytes() for p in sorted(Path(out).glob("*.csv"))}


def snapshot(folder: Path) -> dict:
    """Every file under folder: (mtime_ns, sha256)."""
    snap = {}
    for p in sorted(Path(folder).rglob("*")):
        if p.is_file():
            snap[p.relative_to(folder).as_posix()] = (p.stat().st_mtime_ns, hashlib.sha256(p.read_bytes()).hexdigest())
    return snap


def _norm(v):
    if v is None:
        return None
    if v is pd.NA or v is pd.NaT:
        return None
    if hasattr(v, "item") and not isinstance(v, (str, bytes)):
        v = v.item()
    if isinstance(v, float):
        if v != v:
            return None
        if v.is_integer():
            return int(v)
    return v


def rows(df: pd.DataFrame, cols=None) -> list:
    cols = list(cols or df.columns)
    out = [tuple(_norm(x) for x in r) for r in df[cols].astype(object).itertuples(index=False, name=None)]
    return sorted(out, key=lambda t: tuple((x is None, "" if x is None else str(x)) for x in t))


def one_error_line(result) -> str:
    """The CLI failed as a usage error: exit 2, no traceback, stderr one `Error: ...` line."""
    text = result.stderr
    assert result.exit_code == 2, (result.exit_code, result.output)
    assert "Traceback" not in result.output
    assert isinstance(result.exception, SystemExit), repr(result.exception)
    lines = text.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: "), text
    return lines[0]


@pytest.fixture(scope="module")
def repo(tmp_path_factory) -> Path:
    return build_repo(tmp_path_factory.mktemp("git"))


@pytest.fixture(scope="module")
def bare(repo, tmp_path_factory) -> Path:
    dest = tmp_path_factory.mktemp("bare") / "repo.git"
    subprocess.run(["git", "clone", "-q", "--bare", str(repo), str(dest)], check=True, capture_output=True)
    return dest


@pytest.fixture(scope="module")
def single(repo, tmp_path_factory) -> dict:
    """One plain conversion per ref: {ref: output folder}."""
    root = tmp_path_factory.mktemp("single")
    outs = {}
    for ref in ("r1", "r2", "r3"):
        outs[ref] = root / ref
        extractor.convert(repo, outs[ref], ref=ref, jobs=1)
    return outs


@pytest.fixture(scope="module")
def hist(repo, tmp_path_factory):
    out = tmp_path_factory.mktemp("hist") / "dataset"
    summary = run_history(repo, out, ["r*"], jobs=1)
    return out, summary


def commit_of(repo, ref) -> str:
    return git(repo, "rev-parse", f"{ref}^{{commit}}").strip()


# ---------------------------------------------------------------------------------------------
# the repository itself (guards: the expectations below hold only for these edits)


def test_repository_is_what_the_tests_describe(repo):
    assert sorted(git(repo, "tag").split()) == ["r1", "r2", "r3"]
    assert git(repo, "diff", "--name-only", "r1", "r2").split() == sorted([OV_MAIN, QF_MAIN])
    assert git(repo, "diff", "--name-only", "r2", "r3").split() == [BW_MAIN]
    assert git(repo, "cat-file", "-t", "r3").strip() == "tag"  # annotated
    assert commit_of(repo, "topic/x") == commit_of(repo, "r2")


PUBLIC_API_SCRIPT = r"""
import sys
import extractor
repo, out = sys.argv[1], sys.argv[2]
for n in range(2):  # a second call must work like the first
    s = extractor.history(repo, out + "/h", ["r*"], jobs=1)
    assert sorted(s.releases) == ["r1", "r2", "r3"], s.releases
    d = extractor.diff(repo + "@r1", repo + "@r2")
    assert d.counts["activity_parsers"] == {"added": 1, "removed": 1, "changed": 0}, d.counts
    v = extractor.validate(repo + "@r1")
import extractor.releases, extractor.compare, extractor.consistency, extractor.cli
assert callable(extractor.history), extractor.history
assert callable(extractor.diff), extractor.diff
assert callable(extractor.validate), extractor.validate
print("ok")
"""


def test_public_history_and_diff_stay_callable(repo, tmp_path):
    """`extractor.history(...)`, `extractor.diff(...)` and `extractor.validate(...)`, called
    twice in a fresh interpreter, and still callable after their modules are imported."""
    proc = subprocess.run([sys.executable, "-c", PUBLIC_API_SCRIPT, str(repo), str(tmp_path)],
                          capture_output=True, text=True, cwd=tmp_path)
    assert proc.returncode == 0 and proc.stdout.strip() == "ok", proc.stderr[-2000:]


# ---------------------------------------------------------------------------------------------
# convert from a ref == convert from a folder


@pytest.mark.parametrize("ref", ["r1", "r2", "r3"])
def test_convert_from_ref_equals_convert_from_folder(repo, ref, tmp_path):
    tree = checkout(repo, ref, tmp_path / "tree")
    if ref == "r1":  # r1 is samples/ itself: compare with a plain copy too
        assert sorted(p.relative_to(tree) for p in tree.rglob("*")) == sorted(
            p.relative_to(SAMPLES) for p in SAMPLES.rglob("*"))
    folder = extractor.convert(tree, tmp_path / "folder", release=ref, jobs=1)
    at = extractor.convert(f"{repo}@{ref}", tmp_path / "at", jobs=1)
    kw = extractor.convert(repo, tmp_path / "kw", ref=ref, jobs=1)
    assert at.release == kw.release == folder.release == ref
    expected = csv_bytes(tmp_path / "folder")
    assert len(expected) == len(schema.PAGE_TABLES)
    assert csv_bytes(tmp_path / "at") == expected
    assert csv_bytes(tmp_path / "kw") == expected
    for name in schema.PAGE_TABLES:
        a = pq.read_table(tmp_path / "folder" / f"{name}.parquet")
        assert pq.read_table(tmp_path / "at" / f"{name}.parquet").equals(a), name
        assert pq.read_table(tmp_path / "kw" / f"{name}.parquet").equals(a), name
    assert at.rows == kw.rows == folder.rows
    assert at.pages == folder.pages


def test_convert_r1_from_ref_equals_samples_copy(repo, tmp_path):
    copy = tmp_path / "copy"
    shutil.copytree(SAMPLES, copy)
    extractor.convert(copy, tmp_path / "folder", release="r1", jobs=1)
    extractor.convert(f"{repo}@r1", tmp_path / "at", jobs=1)
    assert csv_bytes(tmp_path / "at") == csv_bytes(tmp_path / "folder")


def test_convert_ref_source_names_the_commit(repo, tmp_path):
    s = extractor.convert(repo, tmp_path / "o", ref="r3", jobs=1)
    assert commit_of(repo, "r3") in s.source
    manifest = json.loads((tmp_path / "o" / "manifest.json").read_text())
    assert manifest["release"] == "r3"


def test_convert_from_bare_clone(repo, bare, tmp_path):
    for ref in ("r1", "r2", "r3"):
        extractor.convert(repo, tmp_path / f"w-{ref}", ref=ref, jobs=1)
        extractor.convert(f"{bare}@{ref}", tmp_path / f"b-{ref}", jobs=1)
        assert csv_bytes(tmp_path / f"b-{ref}") == csv_bytes(tmp_path / f"w-{ref}"), ref


def test_convert_from_ref_with_a_process_pool(repo, tmp_path):
    # the pool only starts at 200 files: pad the tree so the git workers (one cat-file each) run
    big = tmp_path / "big"
    shutil.copytree(repo, big)
    for i in range(230):
        (big / "assets").mkdir(exist_ok=True)
        (big / "assets" / f"note_{i:03}.md").write_text(f"# note {i}\n", encoding="utf-8")
    git(big, "add", "-A")
    git(big, "commit", "-q", "-m", "pad")
    git(big, "tag", "pad")
    extractor.convert(big, tmp_path / "one", ref="pad", jobs=1)
    extractor.convert(big, tmp_path / "many", ref="pad", jobs=4)
    assert csv_bytes(tmp_path / "many") == csv_bytes(tmp_path / "one")


def test_cli_convert_git_and_ref(repo, tmp_path):
    runner = CliRunner()
    res = runner.invoke(cli, ["convert", "--git", str(repo), "--ref", "r2", "-o", str(tmp_path / "o"), "--json", "-j", "1"])
    assert res.exit_code == 0, res.output
    assert json.loads(res.stdout)["release"] == "r2"
    extractor.convert(repo, tmp_path / "lib", ref="r2", jobs=1)
    assert csv_bytes(tmp_path / "o") == csv_bytes(tmp_path / "lib")


# ---------------------------------------------------------------------------------------------
# bad refs, non-repositories, option-like refs


def test_bad_ref_is_a_one_line_usage_error(repo, tmp_path):
    runner = CliRunner()
    res = runner.invoke(cli, ["convert", f"{repo}@no-such-tag", "-o", str(tmp_path / "o")])
    line = one_error_line(res)
    assert "no-such-tag" in line
    assert not (tmp_path / "o").exists()
    res = runner.invoke(cli, ["convert", "--git", str(repo), "--ref", "no-such-tag", "-o", str(tmp_path / "o")])
    assert "no-such-tag" in one_error_line(res)
    with pytest.raises(extractor.ExtractorError):
        extractor.convert(repo, tmp_path / "o", ref="no-such-tag")


def test_ref_naming_a_blob_or_tree_is_an_error(repo, tmp_path):
    blob = git(repo, "rev-parse", f"r1:{QF_MAIN}").strip()
    tree = git(repo, "rev-parse", "r1^{tree}").strip()
    runner = CliRunner()
    for ref in (blob, tree):
        one_error_line(runner.invoke(cli, ["convert", f"{repo}@{ref}", "-o", str(tmp_path / "o")]))


def test_non_repository_is_a_one_line_usage_error(tmp_path):
    plain = tmp_path / "plain"
    plain.mkdir()
    (plain / "page.md").write_text("# hello\n", encoding="utf-8")
    runner = CliRunner()
    line = one_error_line(runner.invoke(cli, ["convert", "--git", str(plain), "--ref", "r1", "-o", str(tmp_path / "o")]))
    assert "not a git repository" in line
    # `plain@r1` is no folder and plain is no repository: a missing source
    one_error_line(runner.invoke(cli, ["convert", f"{plain}@r1", "-o", str(tmp_path / "o")]))
    one_error_line(runner.invoke(cli, ["history", str(plain), "-o", str(tmp_path / "h")]))
    one_error_line(runner.invoke(cli, ["history", str(tmp_path / "missing"), "-o", str(tmp_path / "h")]))
    one_error_line(runner.invoke(cli, ["diff", f"{plain}@r1", f"{plain}@r2", "-o", str(tmp_path / "d")]))
    with pytest.raises(extractor.ExtractorError):
        extractor.convert(plain, tmp_path / "o", ref="r1")
    with pytest.raises(extractor.ExtractorError):
        run_history(plain, tmp_path / "h")
    assert not (tmp_path / "o").exists()


def test_subfolder_of_a_repository_is_not_the_whole_repository(repo, tmp_path):
    """`REPO/DS@r1`: git finds the enclosing repository from a subfolder. The tool must then
    either read that subfolder's tree or refuse; reading the whole repository's tree (other
    folders' pages with paths outside DS/) is neither."""
    sub = repo / "DS"
    try:
        extractor.convert(f"{sub}@r1", tmp_path / "o", jobs=1)
    except extractor.ExtractorError:
        return
    pages = extractor.load(tmp_path / "o").pages
    extractor.convert(checkout(repo, "r1", tmp_path / "tree") / "DS", tmp_path / "want", release="r1", jobs=1)
    want = extractor.load(tmp_path / "want").pages
    assert sorted(pages["source_path"].astype(str)) == sorted(want["source_path"].astype(str))


def test_history_with_no_matching_ref_is_a_usage_error(repo, tmp_path):
    res = CliRunner().invoke(cli, ["history", str(repo), "-o", str(tmp_path / "h"), "--refs", "zzz*"])
    assert "zzz*" in one_error_line(res)


@pytest.mark.parametrize("ref", ["--output=x", "-h", "--help", "--all", "-p"])
def test_option_like_ref_is_never_an_option(repo, ref, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    before = set(os.listdir(tmp_path))
    runner = CliRunner()
    for args in (["convert", f"{repo}@{ref}", "-o", "o1"],
                 ["convert", "--git", str(repo), f"--ref={ref}", "-o", "o2"],
                 ["diff", f"{repo}@{ref}", f"{repo}@r1", "-o", "d"],
                 ["diff", f"{repo}@r1", f"{repo}@{ref}", "-o", "d"]):
        res = runner.invoke(cli, args)
        line = one_error_line(res)
        assert ref in line, (args, line)
        assert "Usage:" not in res.stdout, args  # neither click's nor git's help
        assert "usage: git" not in res.output, args
    # git wrote nothing (`--output=x` would make rev-parse/log write a file named x)
    assert set(os.listdir(tmp_path)) == before
    with pytest.raises(extractor.ExtractorError):
        extractor.convert(repo, tmp_path / "lib", ref=ref)
    assert not (tmp_path / "x").exists()


# ---------------------------------------------------------------------------------------------
# history


def test_history_layout_and_summary(repo, hist):
    out, summary = hist
    assert sorted(summary.releases) == ["r1", "r2", "r3"]  # `main` and `rel/x` do not match r*
    for ref in ("r1", "r2", "r3"):
        info = summary.releases[ref]
        assert info["commit"] == commit_of(repo, ref)  # the annotated r3 peeled to its commit
        assert info["skipped"] is False
        for name in schema.PAGE_TABLES:
            assert (out / name / f"release={ref}" / "part-0.parquet").is_file(), (name, ref)
    # distinct (path, blob) pairs across r1..r3: r1's 8 files, then 2 changed in r2, 1 in r3
    independent = (len(git(repo, "ls-tree", "-r", "--name-only", "r1").splitlines())
                   + len(git(repo, "diff", "--name-only", "r1", "r2").splitlines())
                   + len(git(repo, "diff", "--name-only", "r2", "r3").splitlines()))
    assert independent == 8 + 2 + 1
    assert summary.parsed_blobs == independent
    assert summary.cached_blobs == 3 * 8 - 11
    assert summary.releases["r2"]["rows"]["activity_parsers"] == 21 - 1 + 1
    assert summary.releases["r2"]["rows"]["use_cases"] == 11
    assert summary.releases["r1"]["rows"]["attack_matrix"] == 25
    assert summary.releases["r2"]["rows"]["attack_matrix"] == 26


def test_history_partitions_equal_single_conversions(hist, single):
    out, _ = hist
    for ref, folder in single.items():
        for name in schema.PAGE_TABLES:
            part = pq.read_table(out / name / f"release={ref}" / "part-0.parquet")
            whole = pq.read_table(folder / f"{name}.parquet")
            assert part.equals(whole.drop_columns(["release"])), (ref, name)


def test_history_read_with_pyarrow_dataset(hist, single):
    out, _ = hist
    ds = pads.dataset(out / "activity_parsers", format="parquet", partitioning="hive")
    table = ds.to_table()
    assert "release" in table.column_names
    counts = table.group_by("release").aggregate([("release", "count")]).to_pydict()
    assert dict(zip(counts["release"], counts["release_count"])) == {"r1": 21, "r2": 21, "r3": 21}
    for ref, folder in single.items():
        got = ds.to_table(filter=pads.field("release") == ref).to_pandas()
        want = pd.read_parquet(folder / "activity_parsers.parquet")
        assert rows(got, schema.columns("activity_parsers")) == rows(want, schema.columns("activity_parsers")), ref


def test_history_read_with_duckdb(hist, single):
    duckdb = pytest.importorskip("duckdb")
    out, _ = hist
    for name in ("products", "use_cases", "activity_parsers", "use_case_ttps", "attack_matrix", "pages"):
        got = duckdb.sql(f"select release, count(*) from read_parquet('{out}/{name}/*/*.parquet', "
                         "hive_partitioning=true) group by release order by release").fetchall()
        want = [(ref, pq.read_metadata(single[ref] / f"{name}.parquet").num_rows) for ref in ("r1", "r2", "r3")]
        assert got == want, name
    rel = duckdb.sql(f"select distinct release, typeof(release) from read_parquet('{out}/products/*/*.parquet', "
                     "hive_partitioning=true) order by 1").fetchall()
    assert rel == [("r1", "VARCHAR"), ("r2", "VARCHAR"), ("r3", "VARCHAR")]


def test_history_load(hist, single):
    out, _ = hist
    t = extractor.load(out)
    assert set(t) == set(schema.PAGE_TABLES)
    for name in schema.PAGE_TABLES:
        assert list(t[name].columns) == schema.columns(name), name
    ap = t.activity_parsers
    assert isinstance(ap["release"].dtype, pd.CategoricalDtype)
    assert set(ap["release"].cat.categories) == {"r1", "r2", "r3"}
    assert isinstance(ap["vendor"].dtype, pd.CategoricalDtype)
    for ref, folder in single.items():
        one = extractor.load(folder)
        for name in ("products", "use_cases", "activity_parsers", "use_case_ttps", "attack_matrix", "pages",
                     "issues", "rules", "models"):
            got = t[name][t[name]["release"] == ref]
            assert rows(got) == rows(one[name]), (ref, name)


def test_history_rerun_with_nothing_new(repo, tmp_path):
    out = tmp_path / "h"
    run_history(repo, out, ["r*"], jobs=1)
    before = snapshot(out)
    again = run_history(repo, out, ["r*"], jobs=1)
    assert again.parsed_blobs == 0
    assert {ref: info["skipped"] for ref, info in again.releases.items()} == {"r1": True, "r2": True, "r3": True}
    assert snapshot(out) == before


def test_history_new_tag_parses_only_changed_blobs(repo, tmp_path):
    work = tmp_path / "repo"
    shutil.copytree(repo, work)
    out = tmp_path / "h"
    first = run_history(work, out, ["r*"], jobs=1)
    assert first.parsed_blobs == 11
    before = snapshot(out)
    # r4: one page changed (Orrin Vault: the Data Access rules go from 7 to 8)
    replace_once(work / OV_MAIN, "<li>7 Rules</li>", "<li>8 Rules</li>")
    git(work, "commit", "-q", "-a", "-m", "r4")
    git(work, "tag", "r4")
    changed = git(work, "diff", "--name-only", "r3", "r4").splitlines()
    assert changed == [OV_MAIN]
    files_r4 = len(git(work, "ls-tree", "-r", "--name-only", "r4").splitlines())
    second = run_history(work, out, ["r*"], jobs=1)
    assert second.parsed_blobs == len(changed)
    assert second.cached_blobs == files_r4 - len(changed)
    assert {ref: info["skipped"] for ref, info in second.releases.items()} == {
        "r1": True, "r2": True, "r3": True, "r4": False}
    after = snapshot(out)
    for path, stamp in before.items():
        if "/release=r" in path and "/release=r4/" not in path:
            assert after[path] == stamp, path  # the old partitions were not rewritten
    t = extractor.load(out)
    uc = t.use_cases[(t.use_cases["release"] == "r4") & (t.use_cases["use_case"] == "Data Access")]
    assert rows(uc, ["rules"]) == [(8,)]
    uc3 = t.use_cases[(t.use_cases["release"] == "r3") & (t.use_cases["use_case"] == "Data Access")]
    assert rows(uc3, ["rules"]) == [(7,)]
    # and r4 equals its own conversion
    extractor.convert(work, tmp_path / "r4", ref="r4", jobs=1)
    for name in schema.PAGE_TABLES:
        part = pq.read_table(out / name / "release=r4" / "part-0.parquet")
        assert part.equals(pq.read_table(tmp_path / "r4" / f"{name}.parquet").drop_columns(["release"])), name


def test_history_moved_branch_is_rewritten(repo, tmp_path):
    """A branch whose commit moved is converted again; the others are skipped."""
    work = tmp_path / "repo"
    shutil.copytree(repo, work)
    git(work, "branch", "-f", "rmoving", "r1")
    out = tmp_path / "h"
    run_history(work, out, ["r*"], jobs=1)
    git(work, "branch", "-f", "rmoving", "r3")
    again = run_history(work, out, ["r*"], jobs=1)
    assert again.parsed_blobs == 0  # r3's blobs are all in the cache
    assert again.releases["rmoving"]["skipped"] is False
    assert all(again.releases[r]["skipped"] for r in ("r1", "r2", "r3"))
    t = extractor.load(out)
    got = t.activity_parsers[t.activity_parsers["release"] == "rmoving"]
    want = t.activity_parsers[t.activity_parsers["release"] == "r3"]
    cols = [c for c in schema.columns("activity_parsers") if c != "release"]
    assert rows(got, cols) == rows(want, cols)


def test_history_slash_ref_round_trips(repo, tmp_path):
    out = tmp_path / "h"
    summary = run_history(repo, out, ["topic/*"], jobs=1)
    assert list(summary.releases) == ["topic/x"]
    assert (out / "products" / "release=topic%2Fx" / "part-0.parquet").is_file()
    t = extractor.load(out)
    assert set(t.products["release"]) == {"topic/x"}
    pytest.importorskip("duckdb")
    con = extractor.duckdb(out)
    assert con.sql("select distinct release from products").fetchall() == [("topic/x",)]


def test_history_from_bare_clone(bare, hist, tmp_path):
    out = tmp_path / "h"
    summary = run_history(bare, out, ["r*"], jobs=1)
    assert sorted(summary.releases) == ["r1", "r2", "r3"]
    ref_out, _ = hist
    for name in schema.PAGE_TABLES:
        for ref in ("r1", "r2", "r3"):
            a = pq.read_table(out / name / f"release={ref}" / "part-0.parquet")
            b = pq.read_table(ref_out / name / f"release={ref}" / "part-0.parquet")
            assert a.equals(b), (name, ref)


def test_cli_history(repo, tmp_path):
    runner = CliRunner()
    out = tmp_path / "h"
    res = runner.invoke(cli, ["history", str(repo), "-o", str(out), "--refs", "r*", "--json", "-j", "1"])
    assert res.exit_code == 0, res.output
    data = json.loads(res.stdout)
    assert sorted(data["releases"]) == ["r1", "r2", "r3"]
    assert data["parsed_blobs"] == 11
    assert sorted(p.name for p in (out / "activity_parsers").iterdir()) == ["release=r1", "release=r2", "release=r3"]
    res = runner.invoke(cli, ["history", str(repo), "-o", str(out), "--refs", "r*", "--json"])
    assert res.exit_code == 0, res.output
    assert json.loads(res.stdout)["parsed_blobs"] == 0
    # text output too
    res = runner.invoke(cli, ["history", str(repo), "-o", str(out), "--refs", "r1", "--refs", "r2"])
    assert res.exit_code == 0, res.output
    assert "parsed 0 blobs" in res.stdout


def test_history_into_a_single_conversion_folder(repo, tmp_path):
    """OUT already holds a convert() output (`<table>.parquet`): history must either refuse
    (a usage error) or leave a dataset whose load() shows the history's releases, not the old
    single conversion hiding them."""
    out = tmp_path / "out"
    extractor.convert(SAMPLES, out, jobs=1)
    try:
        run_history(repo, out, ["r*"], jobs=1)
    except extractor.ExtractorError:
        assert set(extractor.load(out).products["release"]) == {"samples"}  # untouched
        return
    t = extractor.load(out)
    assert set(t.products["release"]) == {"r1", "r2", "r3"}
    assert set(t.activity_parsers["release"]) == {"r1", "r2", "r3"}


def test_history_refuses_a_foreign_folder(repo, tmp_path):
    foreign = tmp_path / "docs"
    foreign.mkdir()
    (foreign / "keep.md").write_text("mine\n", encoding="utf-8")
    one_error_line(CliRunner().invoke(cli, ["history", str(repo), "-o", str(foreign)]))
    assert sorted(os.listdir(foreign)) == ["keep.md"]


# ---------------------------------------------------------------------------------------------
# diff


# expected changes r1 -> r2, by hand
DIFF_PRODUCTS = [(*OV, "changed", 10, 12, 5, 6, 3, 4, 3, 4, 3, 4)]
DIFF_USE_CASES = [(*OV, NEW_UC, "added", None, 2, None, 1)]
DIFF_ACTIVITY_PARSERS = [
    (*OV, NEW_UC, "privileged-access", NEW_PARSER, "added"),
    (*QF, AAA, "app-login", QP2, "removed"),
]
DIFF_TTPS = [(*OV, NEW_UC, "T1078.003", "added")]
DIFF_MATRIX = [(*OV, "Initial Access", "T1078.003", "added")]
DIFF_COUNTS = {
    "products": {"added": 0, "removed": 0, "changed": 1},
    "use_cases": {"added": 1, "removed": 0, "changed": 0},
    "activity_parsers": {"added": 1, "removed": 1, "changed": 0},
    "use_case_ttps": {"added": 1, "removed": 0, "changed": 0},
    "attack_matrix": {"added": 1, "removed": 0, "changed": 0},
}
PRODUCTS_COLS = ["vendor", "product", "change", "old_rules", "new_rules", "old_models", "new_models",
                 "old_mitre_ttps", "new_mitre_ttps", "old_activity_types", "new_activity_types",
                 "old_parsers", "new_parsers"]
USE_CASES_COLS = ["vendor", "product", "use_case", "change", "old_rules", "new_rules", "old_models", "new_models"]
AP_COLS = ["vendor", "product", "use_case", "event_type_key", "parser", "change"]
TTP_COLS = ["vendor", "product", "use_case", "technique_id", "change"]
MATRIX_COLS = ["vendor", "product", "tactic", "technique_id", "change"]


def check_r1_r2(result):
    assert result.old == "r1" and result.new == "r2"
    t = result.tables
    assert list(t["products"].columns) == PRODUCTS_COLS
    assert rows(t["products"], PRODUCTS_COLS) == DIFF_PRODUCTS
    assert list(t["use_cases"].columns) == USE_CASES_COLS
    assert rows(t["use_cases"], USE_CASES_COLS) == DIFF_USE_CASES
    assert list(t["activity_parsers"].columns) == AP_COLS
    assert rows(t["activity_parsers"], AP_COLS) == sorted(DIFF_ACTIVITY_PARSERS)
    assert list(t["use_case_ttps"].columns) == TTP_COLS
    assert rows(t["use_case_ttps"], TTP_COLS) == DIFF_TTPS
    assert rows(t["attack_matrix"], MATRIX_COLS) == DIFF_MATRIX
    for name, counts in result.counts.items():
        assert counts == DIFF_COUNTS.get(name, {"added": 0, "removed": 0, "changed": 0}), name
        assert len(t[name]) == sum(counts.values()), name
    for name in DIFF_COUNTS:
        assert result.counts[name] == DIFF_COUNTS[name], name
    # per product: Orrin Vault gained 4 rows (use case, pair, TTP, matrix) and changed 1; Quillfeather lost 1
    movers = [(m["vendor"], m["product"], m["gained"], m["lost"], m["changed"]) for m in result.movers]
    assert movers == [(*OV, 4, 0, 1), (*QF, 0, 1, 0)]


def test_diff_r1_r2_exact_rows(repo, tmp_path):
    result = run_diff(f"{repo}@r1", f"{repo}@r2", tmp_path / "diff")
    check_r1_r2(result)


def test_diff_written_files(repo, tmp_path):
    d = tmp_path / "diff"
    result = run_diff(f"{repo}@r1", f"{repo}@r2", d)
    for name in result.tables:
        assert (d / f"{name}.parquet").is_file(), name
        assert (d / f"{name}.csv").is_file(), name
    ap = pd.read_parquet(d / "activity_parsers.parquet")
    assert rows(ap, AP_COLS) == sorted(DIFF_ACTIVITY_PARSERS)
    ap_csv = pd.read_csv(d / "activity_parsers.csv")
    assert rows(ap_csv, AP_COLS) == sorted(DIFF_ACTIVITY_PARSERS)
    prod = pd.read_parquet(d / "products.parquet")
    assert rows(prod, PRODUCTS_COLS) == DIFF_PRODUCTS
    prod_csv = pd.read_csv(d / "products.csv")
    assert rows(prod_csv, PRODUCTS_COLS) == DIFF_PRODUCTS
    uc = pd.read_csv(d / "use_cases.csv")
    assert rows(uc, USE_CASES_COLS) == DIFF_USE_CASES
    summary = (d / "summary.md").read_text(encoding="utf-8")
    lines = summary.splitlines()
    assert lines[0] == "# Coverage changes: r1 -> r2"
    assert "| products | 0 | 0 | 1 |" in lines
    assert "| use_cases | 1 | 0 | 0 |" in lines
    assert "| activity_parsers | 1 | 1 | 0 |" in lines
    assert "| use_case_ttps | 1 | 0 | 0 |" in lines
    assert "| attack_matrix | 1 | 0 | 0 |" in lines
    ov = lines.index("### Orrin Labs / Orrin Vault: +4 -0 ~1")
    qf = lines.index("### Quillfeather / Quillfeather SSO: +0 -1 ~0")
    assert ov < qf
    assert "- activity_parsers: removed 1" in lines[qf:]


def test_diff_r2_r3_legacy_spelling_is_no_change(repo, tmp_path):
    result = run_diff(f"{repo}@r2", f"{repo}@r3", tmp_path / "diff")
    assert result.counts["activity_parsers"] == {"added": 0, "removed": 0, "changed": 0}
    assert len(result.tables["activity_parsers"]) == 0
    for name, counts in result.counts.items():
        assert counts == {"added": 0, "removed": 0, "changed": 0}, name
    assert result.movers == []
    # and back again
    back = run_diff(f"{repo}@r3", f"{repo}@r2")
    assert back.counts["activity_parsers"] == {"added": 0, "removed": 0, "changed": 0}
    # the spelling did change on the row itself (guard: r3 is not a no-op)
    t2 = extractor.load(_conv(repo, "r2", tmp_path))
    t3 = extractor.load(_conv(repo, "r3", tmp_path))
    key = (t2.activity_parsers["vendor"] == "Brightwater Systems") & (t2.activity_parsers["use_case"] == AAA)
    assert ("app-login:success", "app-login") in rows(t2.activity_parsers[key], ["activity_type", "legacy_event_type"])
    key3 = (t3.activity_parsers["vendor"] == "Brightwater Systems") & (t3.activity_parsers["use_case"] == AAA)
    assert ("app-login", None) in rows(t3.activity_parsers[key3], ["activity_type", "legacy_event_type"])


def test_diff_r1_r3_has_r1_r2_changes_only(repo):
    result = run_diff(f"{repo}@r1", f"{repo}@r3")
    assert rows(result.tables["activity_parsers"], AP_COLS) == sorted(DIFF_ACTIVITY_PARSERS)


def _conv(repo, ref, root) -> Path:
    out = root / f"out-{ref}"
    if not out.exists():
        extractor.convert(repo, out, ref=ref, jobs=1)
    return out


def test_diff_accepts_every_kind_of_side(repo, tmp_path):
    out1, out2 = _conv(repo, "r1", tmp_path), _conv(repo, "r2", tmp_path)
    # docs folders named after the release, so their labels are the refs too
    docs1 = checkout(repo, "r1", tmp_path / "docs" / "r1")
    docs2 = checkout(repo, "r2", tmp_path / "docs" / "r2")
    at1, at2 = f"{repo}@r1", f"{repo}@r2"
    # each kind once on each side, and each kind against itself
    for old, new in ((out1, docs2), (docs1, at2), (at1, out2), (out1, out2), (docs1, docs2)):
        check_r1_r2(run_diff(old, new))
    check_r1_r2(run_diff(str(out1), str(docs2)))


def test_cli_diff_json_equals_library(repo, tmp_path):
    d = tmp_path / "cli-diff"
    res = CliRunner().invoke(cli, ["diff", f"{repo}@r1", f"{repo}@r2", "-o", str(d), "--json"])
    assert res.exit_code == 0, res.output
    got = json.loads(res.stdout)
    lib = run_diff(f"{repo}@r1", f"{repo}@r2", tmp_path / "lib-diff")
    assert got == json.loads(json.dumps(lib.to_dict()))
    assert got["tables"]["activity_parsers"] == {"added": 1, "removed": 1, "changed": 0}
    assert (d / "summary.md").read_text() == (tmp_path / "lib-diff" / "summary.md").read_text()
    for name in lib.tables:
        assert (d / f"{name}.csv").read_bytes() == (tmp_path / "lib-diff" / f"{name}.csv").read_bytes(), name


def test_diff_with_bare_clone(bare):
    check_r1_r2(run_diff(f"{bare}@r1", f"{bare}@r2"))


def test_diff_bad_side_is_a_usage_error(repo, tmp_path):
    runner = CliRunner()
    one_error_line(runner.invoke(cli, ["diff", f"{repo}@nope", f"{repo}@r2", "-o", str(tmp_path / "d")]))
    one_error_line(runner.invoke(cli, ["diff", str(tmp_path / "missing"), f"{repo}@r2", "-o", str(tmp_path / "d")]))
    assert not (tmp_path / "d").exists()


def test_history_cache_of_other_code_is_not_used(repo, tmp_path, monkeypatch):
    """Pages cached by other code (another version, or the same version changed) would mix
    old records with new ones: a rerun under other code parses every page again."""
    from extractor import releases

    out = tmp_path / "h"
    first = run_history(repo, out, ["r*"], jobs=1)
    assert first.parsed_blobs > 0
    assert run_history(repo, out, ["r*"], jobs=1).parsed_blobs == 0
    monkeypatch.setattr(releases, "_code_version", lambda: "0.0.0+other")
    again = run_history(repo, out, ["r*"], jobs=1)
    assert again.parsed_blobs == first.parsed_blobs
    assert not any(r["skipped"] for r in again.releases.values())
    assert again.removed == []


def test_history_cache_that_does_not_unpickle_here_is_rebuilt(repo, tmp_path, monkeypatch):
    """A cache pickled by other code may hold objects this code's classes cannot take (a
    class that gained slots, a constructor that changed): it is rebuilt, not an error."""
    import pickle

    from extractor import releases
    from extractor.pages import PageResult

    class Unfit:
        def __reduce__(self):
            return (PageResult, ())  # PageResult() wants its fields: TypeError when loaded

    out = tmp_path / "h"
    first = run_history(repo, out, ["r*"], jobs=1)
    cache = out / releases.CACHE_DIR / releases.CACHE_FILE
    cache.write_bytes(pickle.dumps({"version": releases._code_version(), "pages": {("a.md", "0"): Unfit()}}))
    with pytest.raises(TypeError):
        pickle.loads(cache.read_bytes())
    monkeypatch.setattr(releases, "_written_releases", lambda out: {})  # (every release read again)
    again = run_history(repo, out, ["r*"], jobs=1)  # (no error)
    assert again.parsed_blobs == first.parsed_blobs  # (none taken from that cache)
    assert sorted(again.releases) == sorted(first.releases)
    assert set(extractor.load(out).pages["release"].astype(str)) == set(first.releases)


def test_history_removes_releases_of_other_code_not_converted_again(repo, tmp_path, monkeypatch):
    """r1 written by other code, then only r2 asked for: r1 goes (its records were read by
    other code, and its columns may differ), and the dataset holds exactly the manifest's."""
    from extractor import releases

    out = tmp_path / "h"
    monkeypatch.setattr(releases, "_code_version", lambda: "0.0.0+older")
    run_history(repo, out, ["r1"], jobs=1)
    monkeypatch.undo()
    summary = run_history(repo, out, ["r2"], jobs=1)
    assert summary.removed == ["r1"]
    assert set(extractor.load(out).pages["release"].astype(str)) == {"r2"}
    assert not list(out.glob("*/release=r1"))
    # The same code keeps what it wrote: r3 added, r2 kept.
    assert run_history(repo, out, ["r3"], jobs=1).removed == []
    assert set(extractor.load(out).pages["release"].astype(str)) == {"r2", "r3"}


def test_refs_that_name_no_commit_or_no_text_are_passed_over_and_said(tmp_path):
    repo = first_release(tmp_path)
    git(repo, "tag", "r-tree", "HEAD^{tree}")  # a tag of a tree: no release to read
    blob = git(repo, "hash-object", "-w", next(str(p.relative_to(repo)) for p in repo.rglob("*.md"))).strip()
    git(repo, "tag", "r-blob", blob)
    subprocess.run(["git", "-C", str(repo), "branch", b"r-bad\xffname"], check=True, capture_output=True)
    out = tmp_path / "dataset"
    r = CliRunner().invoke(cli, ["history", str(repo), "-o", str(out), "--refs", "r*", "-q"])
    assert r.exit_code == 0, r.output
    assert ("passed over 3 ref(s) that are no release: r-bad\ufffdname (its name is not UTF-8), "
            "r-blob (it names a blob, not a commit), r-tree (it names a tree, not a commit)") in r.output
    assert sorted(p.name for p in (out / "pages").iterdir()) == ["release=r1"]
