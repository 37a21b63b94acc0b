"""Hostile input: the extractor never crashes, never loses data, never reads outside the tree.

A damaged tree is built in a temporary folder: a copy of `samples/` plus one page (or file, or
link) for each kind of damage. The checks: the CLI exits 0; every damaged page is reported in
the `issues` table with its code (extractor/issues.py); the pages of `samples/` give exactly the
records of a clean run; copies of a good page (CRLF endings, a BOM, odd names, deep folders, a
20 MB line) give exactly the records of that page; nothing from outside the tree reaches the
output; the run takes bounded time.

Then the run-level promises: `--strict`, usage errors (exit 2, one line, no traceback), byte-
identical output run after run, an interrupted run (SIGKILL, SIGTERM, SIGINT, while parsing and
while writing) leaving the previous output whole, and hypothesis tests over arbitrary bytes.
"""
from __future__ import annotations

import hashlib
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import extractor
from extractor import schema
from extractor.cli import cli
from extractor.extract import extract_bytes
from extractor.issues import CODES

HERE = Path(__file__).resolve()
SAMPLES = HERE.parents[1] / "samples"
BW = "DS/Brightwater_Systems/tidepool_edr/ds_brightwater_systems_tidepool_edr.md"
QF = "DS/Quillfeather/quillfeather_sso/ds_quillfeather_quillfeather_sso.md"
QF_CONT = "DS/Quillfeather/quillfeather_sso/2_ds_quillfeather_quillfeather_sso.md"
RELEASE = "samples"

# Tables convert() writes, and of those the tables of records (all but `pages` and `issues`).
OUT_TABLES = list(getattr(schema, "PAGE_TABLES", schema.TABLES))
RECORD_TABLES = [name for name in OUT_TABLES if name not in ("pages", "issues")]

MiB = 1024 * 1024
LIMIT = 24 * MiB  # --max-page-bytes of the damaged run: over the 21 MB line page, under the big page


# ---------------------------------------------------------------------------------------------
# helpers


def read_out(out: Path) -> dict[str, list[dict]]:
    """Every table of an output folder as a list of row dicts (pyarrow, no pandas NaN games)."""
    return {name: pq.read_table(out / f"{name}.parquet").to_pylist() for name in OUT_TABLES}


def rows_of(tables: dict, path: str, drop=("release", "source_path")) -> dict[str, list[dict]]:
    """The records one page gave, table by table, in output order, without `drop` columns."""
    return {name: [{k: v for k, v in r.items() if k not in drop}
                   for r in tables[name] if r["source_path"] == path]
            for name in RECORD_TABLES}


def issues_of(tables: dict, path: str) -> list[tuple]:
    return [(i["source_line"], i["code"]) for i in tables["issues"] if i["source_path"] == path]


def codes_of(tables: dict, path: str) -> set[str]:
    return {code for _line, code in issues_of(tables, path)}


def snapshot(folder: Path) -> dict[str, str] | None:
    """name -> sha256 of every file of a folder (None when the folder is absent)."""
    if not folder.exists():
        return None
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def convert_cli(*args: str):
    return CliRunner().invoke(cli, ["convert", *map(str, args)], catch_exceptions=True)


@pytest.fixture(scope="module")
def clean(tmp_path_factory) -> dict:
    """A clean run over samples/ (the reference records)."""
    out = tmp_path_factory.mktemp("clean") / "out"
    extractor.convert(str(SAMPLES), str(out), RELEASE, jobs=1)
    tables = read_out(out)
    assert not tables["issues"], "the bundled samples are expected to be clean"
    return tables


# ---------------------------------------------------------------------------------------------
# the damaged tree


class Damaged:
    """The damaged tree, its run, and what each damaged path is expected to give."""

    def __init__(self, base: Path):
        self.base = base
        self.tree = base / "tree"
        self.out = base / "out"
        self.outside = base / "outside"
        self.marker = f"OUTSIDE-MARKER-{uuid.uuid4().hex}"
        self.expected: dict[str, set[str]] = {}  # path -> issue codes it must have
        self.same_as_bw: list[str] = []  # paths that must give exactly the records of BW
        self.unreadable: str | None = None

    def page(self, rel: str, data: bytes, *codes: str, same_as_bw: bool = False) -> str:
        p = self.tree / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_bytes(data)
        self.expected[rel] = set(codes)
        if same_as_bw:
            self.same_as_bw.append(rel)
        return rel


def build_damaged(base: Path) -> Damaged:
    d = Damaged(base)
    shutil.copytree(SAMPLES, d.tree)
    d.outside.mkdir()
    (d.outside / "secret.md").write_text(
        f"Vendor: Outside\n===\nProduct: {d.marker}\n---\n| Rules | Models | Parsers |\n|---|---|---|\n"
        f"| 1 | 2 | 3 |\n\n{d.marker}\n", encoding="utf-8")
    (d.outside / "dir").mkdir()
    (d.outside / "dir" / "ds_secret.md").write_text(f"# {d.marker}\n", encoding="utf-8")

    bw = (SAMPLES / BW).read_bytes()
    qf = (SAMPLES / QF).read_bytes()
    lines = bw.split(b"\n")
    assert lines[11].startswith(b"| [Abnormal") and lines[12].startswith(b"|    [Ransomware")

    # The QF page cut in the middle of its third use-case row (line 13).
    cut = qf.index(b"[Brute Force Attack]") + 60
    d.page("Damaged/ds_truncated.md", qf[:cut], "truncated-table")
    # Invalid UTF-8 in a line of prose after the tables: records untouched.
    assert bw.endswith(b"|\n")
    d.page("Damaged/ds_badutf8_prose.md", bw + b"\nNote: caf\xe9 \xff\xfe bytes \xc3\n", "invalid-utf8")
    d.prose_line = bw.count(b"\n") + 2
    # Invalid UTF-8 inside the use-case name of the first row.
    d.page("Damaged/ds_badutf8_cell.md", bw.replace(b"[Malware]", b"[Mal\xffware]", 1), "invalid-utf8")
    d.page("Damaged/ds_binary.md", b"\x00\x01\x02\x03 | a | b |\n" * 200 + b"\x00", "binary-file")
    d.page("Damaged/ds_empty.md", b"", "empty-page")
    # Row 2 (line 12) one cell short, row 3 (line 13) two cells long.
    ragged = lines[:]
    ragged[11] = ragged[11].replace(b"| T1078 - Valid Accounts<br>    |", b"|", 1)
    ragged[12] = ragged[12] + b" extra cell | and more |"
    d.page("Damaged/ds_ragged.md", b"\n".join(ragged), "ragged-row")
    d.page("Damaged/ds_unknown_header.md", bw.replace(b"| Content    |", b"| Flavour    |", 1), "unknown-column")
    d.page("Damaged/ds_no_vendor.md",
           bw.replace(b"Vendor: Brightwater Systems\n===========================\n", b"", 1), "missing-vendor")
    # A 21 MB line after the page (a blank line first, so it is a paragraph, not a table row).
    d.page("Damaged/ds_hugeline.md", bw + b"\n" + b"x" * (21 * MiB) + b"\n", "huge-line", same_as_bw=True)
    d.page("Damaged/ds_big.md", bw * (LIMIT // len(bw) + 2), "page-too-large")
    # Copies of BW that must read exactly like it.
    d.page("Damaged/ds_crlf.md", bw.replace(b"\n", b"\r\n"), same_as_bw=True)
    d.page("Damaged/ds_bom.md", b"\xef\xbb\xbf" + bw, same_as_bw=True)
    d.page("Damaged/ds_bom_crlf.md", b"\xef\xbb\xbf" + bw.replace(b"\n", b"\r\n"), same_as_bw=True)
    # saved as UTF-16 (with its byte order mark, little or big endian): the same page
    d.page("Damaged/ds_utf16le.md", bw.decode("utf-8").encode("utf-16"), "utf16-page", same_as_bw=True)
    d.page("Damaged/ds_utf16be.md", b"\xfe\xff" + bw.decode("utf-8").encode("utf-16-be"), "utf16-page",
           same_as_bw=True)
    d.page("Damaged/ds with space.md", bw, same_as_bw=True)
    d.page("Damaged/ds_new\nline.md", bw, "odd-file-name", same_as_bw=True)
    d.page("Damaged/ds_$(touch x).md", bw, same_as_bw=True)
    d.page("Damaged/ds_'quote\" ;rm -rf x.md", bw, same_as_bw=True)
    deep = "Damaged/" + "/".join(f"level{i:02d}" for i in range(60)) + "/ds_deep.md"
    d.page(deep, bw, same_as_bw=True)

    links = d.tree / "Damaged" / "links"
    links.mkdir()
    os.symlink("loop_b.md", links / "loop_a.md")
    os.symlink("loop_a.md", links / "loop_b.md")
    os.symlink("self.md", links / "self.md")
    os.symlink(d.outside / "secret.md", links / "ds_outside.md")
    os.symlink(os.path.relpath(d.outside / "secret.md", links), links / "ds_outside_rel.md")
    os.symlink(d.outside / "dir", links / "outside_dir")
    d.expected.update({
        "Damaged/links/loop_a.md": {"symlink-loop"},
        "Damaged/links/loop_b.md": {"symlink-loop"},
        "Damaged/links/self.md": {"symlink-loop"},
        "Damaged/links/ds_outside.md": {"symlink-outside-tree"},
        "Damaged/links/ds_outside_rel.md": {"symlink-outside-tree"},
        "Damaged/links/outside_dir": {"symlink-outside-tree"},
    })
    # chmod 000: as root the bits do not bite; test_unreadable_file checks that case alone.
    d.unreadable = d.page("Damaged/ds_unreadable.md", bw)
    os.chmod(d.tree / d.unreadable, 0)
    del d.expected[d.unreadable]
    return d


@pytest.fixture(scope="module")
def damaged(tmp_path_factory, clean) -> Damaged:
    d = build_damaged(tmp_path_factory.mktemp("hostile"))
    cwd_before = set(os.listdir("."))
    t0 = time.monotonic()
    d.result = convert_cli(d.tree, "-o", d.out, "--release", RELEASE, "--max-page-bytes", LIMIT, "-q")
    d.elapsed = time.monotonic() - t0
    d.cwd_new = set(os.listdir(".")) - cwd_before
    d.tables = read_out(d.out) if (d.out / "manifest.json").exists() else None
    return d


def test_damaged_run_exits_0_in_bounded_time(damaged):
    r = damaged.result
    assert r.exit_code == 0, (r.output, r.exception)
    assert r.exception is None or isinstance(r.exception, SystemExit)
    assert "Traceback" not in r.output
    assert damaged.elapsed < 60, f"the damaged run took {damaged.elapsed:.1f} s"
    assert damaged.tables is not None


def test_every_damaged_page_is_reported(damaged):
    t = damaged.tables
    missing = {path: sorted(codes - codes_of(t, path))
               for path, codes in damaged.expected.items() if codes - codes_of(t, path)}
    assert not missing, f"expected issue codes not reported: {missing}\nall issues: {t['issues']}"
    assert all(i["code"] in CODES for i in t["issues"])
    assert not [i for i in t["issues"] if "internal error" in i["message"]], "a page hit a bug of ours"


def test_issue_lines(damaged):
    t = damaged.tables
    assert ("ragged-row" in codes_of(t, "Damaged/ds_ragged.md"))
    assert sorted(line for line, code in issues_of(t, "Damaged/ds_ragged.md") if code == "ragged-row") == [12, 13]
    assert [line for line, code in issues_of(t, "Damaged/ds_truncated.md") if code == "truncated-table"] == [13]
    assert [line for line, code in issues_of(t, "Damaged/ds_badutf8_prose.md")
            if code == "invalid-utf8"] == [damaged.prose_line]
    assert [line for line, code in issues_of(t, "Damaged/ds_badutf8_cell.md") if code == "invalid-utf8"] == [11]


def test_samples_records_untouched_by_damage(damaged, clean):
    """The pages of samples/ give exactly the records (and page rows) of a clean run."""
    t = damaged.tables
    for name in RECORD_TABLES + ["pages"]:
        got = [r for r in t[name] if not r["source_path"].startswith("Damaged/")]
        assert got == clean[name], f"table {name} differs for the samples pages"
    assert not [i for i in t["issues"] if not i["source_path"].startswith("Damaged/")]


def test_good_copies_give_the_clean_records(damaged, clean):
    """CRLF, BOM, odd names, 60 folders deep, a 21 MB line: the records of the clean page."""
    want = rows_of(clean, BW)
    assert want["products"] and want["use_cases"] and want["activity_parsers"] and want["attack_matrix"]
    bad = {}
    for path in damaged.same_as_bw:
        got = rows_of(damaged.tables, path)
        if got != want:
            bad[path] = {name: (len(got[name]), len(want[name])) for name in want if got[name] != want[name]}
    assert not bad, f"pages whose records differ from {BW} (table: (got, want) rows): {bad}"
    for path in damaged.same_as_bw:  # and no issue beyond the expected ones
        assert codes_of(damaged.tables, path) == damaged.expected[path], path


def test_damaged_pages_keep_what_they_can(damaged, clean):
    t = damaged.tables
    bw, qf = rows_of(clean, BW), rows_of(clean, QF)

    # Truncated QF page: its counts row and its two whole use-case rows are all there.
    got = rows_of(t, "Damaged/ds_truncated.md")
    assert got["products"] == qf["products"]
    assert got["use_cases"][:2] == qf["use_cases"][:2]
    for name in ("activity_parsers", "use_case_ttps"):
        whole = [r for r in qf[name] if r["use_case"] in ("Abnormal Authentication & Access", "Account Manipulation")]
        assert got[name][:len(whole)] == whole, name

    # Bad bytes in prose: nothing lost at all. Bad bytes in a cell: read as U+FFFD, the rest whole.
    assert rows_of(t, "Damaged/ds_badutf8_prose.md") == bw
    got = rows_of(t, "Damaged/ds_badutf8_cell.md")
    assert [r["use_case"] for r in got["use_cases"]] == ["Mal\ufffdware"] + [r["use_case"] for r in bw["use_cases"][1:]]
    assert got["attack_matrix"] == bw["attack_matrix"] and got["products"] == bw["products"]

    # Ragged rows: the short row keeps its use case, the long row all its records.
    got = rows_of(t, "Damaged/ds_ragged.md")
    assert [r["use_case"] for r in got["use_cases"]] == [r["use_case"] for r in bw["use_cases"]]
    for name in ("activity_parsers", "use_case_ttps"):
        for uc in ("Malware", "Ransomware"):
            assert [r for r in got[name] if r["use_case"] == uc] == [r for r in bw[name] if r["use_case"] == uc]

    # Unknown Content header: that column is not read, everything else is.
    got = rows_of(t, "Damaged/ds_unknown_header.md")
    for name in ("products", "activity_parsers", "use_case_ttps", "attack_matrix"):
        assert got[name] == bw[name], name
    assert [(r["use_case"], r["rules"], r["models"]) for r in got["use_cases"]] == [
        (r["use_case"], None, None) for r in bw["use_cases"]]

    # No Vendor line (its two lines removed): the records are there with an empty vendor.
    got = rows_of(t, "Damaged/ds_no_vendor.md")
    assert got == {name: [{**r, "vendor": None, "source_line": r["source_line"] - 2} for r in rows]
                   for name, rows in bw.items()}

    # Pages that cannot be read give no records, but a pages row.
    kinds = {p["source_path"]: p["kind"] for p in t["pages"]}
    for path in ("Damaged/ds_binary.md", "Damaged/ds_big.md", "Damaged/ds_empty.md"):
        assert path in kinds
        assert not any(rows_of(t, path).values()), path


_QF_ROW3 = b"\n|    [Brute Force Attack]"


def _cut_after(needle: bytes, extra: int = 0):
    return lambda page: page.index(needle) + len(needle) + extra


# Where a page can be cut, each with the line that must be reported and the use cases of
# whole rows that must survive. QF lines: 5-7 counts table, 9 use-case header, 10 delimiter,
# 11-13 use-case rows, 14 the Next Page line.
CUTS = {
    "row-opening-pipe": (_cut_after(_QF_ROW3, -len(b"    [Brute Force Attack]")), 13, 2),
    "row-pipe-and-spaces": (_cut_after(_QF_ROW3, -len(b"[Brute Force Attack]")), 13, 2),
    "first-cell-link-text": (_cut_after(_QF_ROW3, -len(b" Attack]")), 13, 2),
    "first-cell-link-url": (_cut_after(b"uc_brute_force"), 13, 2),
    "after-an-inner-pipe": (_cut_after(b"uc_brute_force_attack.md)    |"), 13, 2),
    "middle-cell": (_cut_after(b"T1110 - Brute Force<br>T1110.003"), 13, 2),
    # cut in the delimiter row (line 10): the cut line is where the damage is
    "inside-delimiter-row": (_cut_after(b"|:----:| ----"), 10, 0),
}


@pytest.mark.parametrize("where", list(CUTS))
def test_page_cut_mid_table_is_reported(where, clean):
    """A data-source page cut anywhere inside a table row (not at a line end) is reported on
    that row's line, and every whole row before the cut keeps its records."""
    cut, line, whole_rows = CUTS[where]
    page = (SAMPLES / QF).read_bytes()
    data = page[:cut(page)]
    assert not data.endswith(b"\n")
    result = extract_bytes(QF, data)
    _assert_clean_result(result)
    issues = [(i[1], i[3]) for i in result.issues]
    assert {(line, "truncated-table"), (line, "ragged-row")} & set(issues), (
        f"page cut {where} ({data[-40:]!r}) not reported on line {line}: issues {issues}")
    assert result.kind == "data_source"
    qf = rows_of(clean, QF, drop=("release",))
    rows = {name: [dict(zip([c for c, _ in schema.TABLES[name]][1:], r)) for r in result.rows.get(name, [])]
            for name in ("products", "use_cases")}
    assert rows["products"] == qf["products"]
    assert rows["use_cases"][:whole_rows] == qf["use_cases"][:whole_rows]


def test_page_cut_after_its_counts_table_keeps_its_product(clean):
    """A data-source page cut inside its use-case header line still names its vendor and
    product and holds a whole counts table: that products record must not be lost (nor the
    page be taken for another kind), and the damage must be reported."""
    page = (SAMPLES / QF).read_bytes()
    data = page[:page.index(b"Activity Types/Parsers")]
    result = extract_bytes(QF, data)
    _assert_clean_result(result)
    qf = rows_of(clean, QF, drop=("release",))
    products = [dict(zip([c for c, _ in schema.TABLES["products"]][1:], r)) for r in result.rows.get("products", [])]
    assert (result.kind, result.vendor, result.product) == ("data_source", "Quillfeather", "Quillfeather SSO"), (
        result.kind, [(i[1], i[3], i[4]) for i in result.issues])
    assert products == qf["products"]
    assert result.issues, "the cut page is not reported"


def test_nothing_skipped_silently(damaged):
    """Every file and link placed in the tree shows in `pages` or in `issues`."""
    t = damaged.tables
    seen = {p["source_path"] for p in t["pages"]} | {i["source_path"] for i in t["issues"]}
    placed = set(damaged.expected) | {damaged.unreadable}
    for p in SAMPLES.rglob("*"):
        if p.is_file():
            placed.add(str(p.relative_to(SAMPLES)).replace(os.sep, "/"))
    assert placed - seen == set()


def test_nothing_from_outside_the_tree(damaged):
    marker = damaged.marker.encode()
    for f in sorted(damaged.out.rglob("*")):
        if f.is_file():
            assert marker not in f.read_bytes(), f"{f.name} holds text from outside the tree"
    for name, rows in damaged.tables.items():  # Parquet may compress: look at the values too
        for row in rows:
            assert not any(isinstance(v, str) and damaged.marker in v for v in row.values()), name
    assert "Outside" not in {r["vendor"] for r in damaged.tables["products"]}
    assert damaged.marker not in damaged.result.output


def test_odd_names_run_nothing(damaged):
    """A page named `$(touch x)` is a name, never a command."""
    assert "x" not in damaged.cwd_new
    assert not (damaged.tree / "x").exists() and not (damaged.tree / "Damaged" / "x").exists()
    assert (damaged.tree / "Damaged" / "ds_$(touch x).md").exists()


def test_unreadable_file(tmp_path):
    tree = tmp_path / "tree"
    page = tree / "DS" / "ds_unreadable.md"
    page.parent.mkdir(parents=True)
    page.write_bytes((SAMPLES / BW).read_bytes())
    os.chmod(page, 0)
    try:
        try:
            with open(page, "rb"):
                pass
        except PermissionError:
            pass
        else:
            pytest.skip("running as root (or with CAP_DAC_OVERRIDE): chmod 000 does not stop open()")
        r = convert_cli(tree, "-o", tmp_path / "out", "-q")
        assert r.exit_code == 0, r.output
        tables = read_out(tmp_path / "out")
        assert codes_of(tables, "DS/ds_unreadable.md") == {"unreadable-file"}
    finally:
        os.chmod(page, 0o644)


def test_max_page_bytes_cli(tmp_path):
    """The same limit through the library and the CLI; every page over it is reported, unread."""
    limit = 2000
    big = [str(p.relative_to(SAMPLES)) for p in SAMPLES.rglob("*.md") if p.stat().st_size > limit]
    assert big
    r = convert_cli(SAMPLES, "-o", tmp_path / "cli", "--max-page-bytes", limit, "-q")
    assert r.exit_code == 0, r.output
    extractor.convert(str(SAMPLES), str(tmp_path / "lib"), max_page_bytes=limit)
    cli_t, lib_t = read_out(tmp_path / "cli"), read_out(tmp_path / "lib")
    assert cli_t == lib_t
    assert sorted(i["source_path"] for i in cli_t["issues"] if i["code"] == "page-too-large") == sorted(big)


# ---------------------------------------------------------------------------------------------
# exit codes and usage errors


def _small_tree_with_issue(tmp_path: Path) -> Path:
    tree = tmp_path / "tree"
    shutil.copytree(SAMPLES, tree)
    (tree / "DS" / "ds_empty.md").write_bytes(b"")
    return tree


def test_strict_exits_1_when_issues(tmp_path):
    tree = _small_tree_with_issue(tmp_path)
    r = convert_cli(tree, "-o", tmp_path / "out", "--strict")
    assert r.exit_code == 1, r.output
    assert "empty-page" in r.output
    assert (tmp_path / "out" / "manifest.json").exists()  # the output is still written
    r = convert_cli(tree, "-o", tmp_path / "out2")  # without --strict: 0
    assert r.exit_code == 0, r.output


def test_strict_exits_0_when_clean(tmp_path):
    r = convert_cli(SAMPLES, "-o", tmp_path / "out", "--strict")
    assert r.exit_code == 0, r.output


def _one_line_error(r) -> str:
    assert "Traceback" not in r.output
    assert isinstance(r.exception, SystemExit), repr(r.exception)
    lines = [x for x in r.stderr.splitlines() if x.strip()]
    assert len(lines) == 1, f"expected a one-line message, got {r.stderr!r}"
    return lines[0]


def test_missing_src_exits_2(tmp_path):
    missing = tmp_path / "no-such-tree"
    r = convert_cli(missing, "-o", tmp_path / "out")
    assert r.exit_code == 2, r.output
    assert str(missing) in _one_line_error(r)
    assert not (tmp_path / "out").exists()


def test_missing_src_exits_2_real_process(tmp_path):
    """The same through a real process: nothing but one line on stderr."""
    missing = tmp_path / "no-such-tree"
    p = subprocess.run([sys.executable, "-c", "from extractor.cli import main; main()", "convert",
                        str(missing), "-o", str(tmp_path / "out")],
                       capture_output=True, text=True, timeout=120, cwd=tmp_path)
    assert p.returncode == 2
    assert p.stdout == ""
    assert "Traceback" not in p.stderr
    assert len(p.stderr.strip().splitlines()) == 1 and str(missing) in p.stderr


def test_src_that_is_a_file_exits_2(tmp_path):
    f = tmp_path / "page.md"
    f.write_bytes((SAMPLES / BW).read_bytes())
    r = convert_cli(f, "-o", tmp_path / "out")
    assert r.exit_code == 2, r.output
    assert "Traceback" not in r.output


def test_out_not_an_output_folder_exits_2(tmp_path):
    out = tmp_path / "precious"
    out.mkdir()
    (out / "notes.txt").write_text("mine\n")
    before = snapshot(out)
    r = convert_cli(SAMPLES, "-o", out)
    assert r.exit_code == 2, r.output
    assert str(out) in _one_line_error(r)
    assert snapshot(out) == before
    assert sorted(os.listdir(tmp_path)) == ["precious"], "no temporary folder left beside OUT"


def test_out_is_the_source_tree_exits_2(tmp_path):
    tree = tmp_path / "tree"
    shutil.copytree(SAMPLES, tree)
    before = snapshot(tree)
    r = convert_cli(tree, "-o", tree)
    assert r.exit_code == 2, r.output
    assert snapshot(tree) == before


def test_out_that_is_a_file_exits_2(tmp_path):
    out = tmp_path / "out"
    out.write_text("not a folder\n")
    r = convert_cli(SAMPLES, "-o", out)
    assert r.exit_code == 2, r.output
    assert out.read_text() == "not a folder\n"


def test_previous_output_is_replaced(tmp_path):
    """An OUT written by us is replaced whole (no stale files kept from the earlier run)."""
    out = tmp_path / "out"
    assert convert_cli(SAMPLES, "-o", out, "-q").exit_code == 0
    (out / "stale.csv").write_text("old\n")
    assert convert_cli(SAMPLES, "-o", out, "-q").exit_code == 0
    assert not (out / "stale.csv").exists()


# ---------------------------------------------------------------------------------------------
# determinism


def _csvs(out: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(out.glob("*.csv"))}


def _assert_same_output(a: Path, b: Path) -> None:
    assert _csvs(a) and _csvs(a) == _csvs(b)
    names = sorted(p.name for p in a.glob("*.parquet"))
    assert names == sorted(p.name for p in b.glob("*.parquet"))
    for name in names:
        ta, tb = pq.read_table(a / name), pq.read_table(b / name)
        assert ta.equals(tb), name
        assert ta.schema.equals(tb.schema, check_metadata=True), name


def test_two_runs_identical_output(damaged, tmp_path):
    """The damaged tree again (same SRC, another OUT): byte-identical CSV, equal Parquet."""
    r = convert_cli(damaged.tree, "-o", tmp_path / "again", "--release", RELEASE,
                    "--max-page-bytes", LIMIT, "-q")
    assert r.exit_code == 0, r.output
    _assert_same_output(damaged.out, tmp_path / "again")


@pytest.fixture(scope="module")
def big_tree(tmp_path_factory) -> Path:
    """samples/ replicated 200 times (1,600 pages: enough for the process pool)."""
    root = tmp_path_factory.mktemp("big") / "tree"
    for i in range(200):
        shutil.copytree(SAMPLES, root / f"copy{i:03d}")
    return root


def test_identical_output_with_any_number_of_jobs(big_tree, tmp_path):
    for jobs in (1, 2, 2):
        r = convert_cli(big_tree, "-o", tmp_path / f"j{jobs}", "-j", jobs, "-q")
        assert r.exit_code == 0, r.output
    _assert_same_output(tmp_path / "j1", tmp_path / "j2")
    t = read_out(tmp_path / "j2")
    assert len(t["products"]) == 200 * 3 and not t["issues"]


# ---------------------------------------------------------------------------------------------
# interrupted runs


def _descendants(pid: int) -> list[int]:
    """Child processes (recursively), from /proc; [] where /proc does not tell."""
    out = []
    try:
        tasks = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return out
    for task in tasks:
        try:
            with open(f"/proc/{pid}/task/{task}/children") as fh:
                kids = [int(x) for x in fh.read().split()]
        except OSError:
            continue
        for k in kids:
            out.append(k)
            out.extend(_descendants(k))
    return out


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as fh:
            return fh.read().split(") ", 1)[1][0] != "Z"
    except (OSError, IndexError):
        return False


def _wait_for(cond, timeout: float, step: float = 0.0005) -> bool:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if cond():
            return True
        if step:
            time.sleep(step)
    return cond()


@pytest.fixture(scope="module")
def previous_out(big_tree, tmp_path_factory) -> Path:
    """A complete output of the big tree, kept as the reference copy of `the previous OUT`."""
    ref = tmp_path_factory.mktemp("prev") / "out"
    extractor.convert(str(big_tree), str(ref), jobs=2)
    return ref


def _interruptible() -> None:
    # Tests started in the background (`bash .ci/run &` in a script) inherit SIGINT ignored, as
    # POSIX has background jobs do, and so would the run: it must take SIGINT as Ctrl-C does.
    signal.signal(signal.SIGINT, signal.SIG_DFL)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="uses /proc to see the run's phase and workers")
@pytest.mark.parametrize("phase", ["parse", "write-start", "write-mid"])
@pytest.mark.parametrize("sig", ["SIGKILL", "SIGTERM", "SIGINT"])
@pytest.mark.parametrize("had_out", [True, False], ids=["previous-out", "no-out"])
def test_interrupted_run_leaves_previous_out(big_tree, previous_out, tmp_path, sig, phase, had_out):
    out = tmp_path / "out"
    if had_out:
        shutil.copytree(previous_out, out)
    before = snapshot(out)
    log_out, log_err = tmp_path / "stdout.txt", tmp_path / "stderr.txt"
    # Files, not pipes: a worker left alive must not keep a pipe (and this test) hanging.
    with open(log_out, "wb") as so, open(log_err, "wb") as se:
        proc = subprocess.Popen(
            [sys.executable, "-c", "from extractor.cli import main; main()", "convert", str(big_tree),
             "-o", str(out), "-j", "2", "-q"], stdout=so, stderr=se, cwd=tmp_path,
            preexec_fn=_interruptible)
    workers: list[int] = []
    try:
        if phase == "parse":  # the pool's workers exist: the pages are being read
            started = _wait_for(lambda: _descendants(proc.pid) or proc.poll() is not None, 120)
            time.sleep(0.05)
        else:  # the temporary output folder exists (write-start) and holds files (write-mid)
            least = 0 if phase == "write-start" else 2

            base = str(tmp_path)

            def writing():
                for name in os.listdir(base):
                    if name.startswith(".out.tmp-"):
                        try:
                            return len(os.listdir(os.path.join(base, name))) >= least
                        except OSError:
                            return False
                return False

            # Spin without sleeping: the window right after the folder is made is short.
            started = _wait_for(lambda: writing() or proc.poll() is not None, 120, step=0)
        assert started and proc.poll() is None, "the run ended before it could be interrupted"
        workers = _descendants(proc.pid)
        proc.send_signal(getattr(signal, sig))
        rc = proc.wait(timeout=120)
        err = log_err.read_text(errors="replace")

        assert snapshot(out) == before, "OUT changed (or is partial) after an interrupted run"
        if sig == "SIGKILL":
            assert rc == -signal.SIGKILL
        else:
            assert rc == 130, (rc, err)
            assert "interrupted" in err and "Traceback" not in err, err
            # Given the chance to clean up, nothing is left beside OUT.
            left = {p.name: sorted(os.listdir(p)) for p in tmp_path.iterdir() if p.name.startswith(".out")}
            assert left == {}, (left, err)
        # No worker outlives the run: a stray worker holds the terminal's pipes and memory.
        left = [w for w in workers if _wait_for(lambda w=w: not _alive(w), 10, 0.05) is False]
        assert not left, f"worker processes {left} still alive after the run was stopped by {sig} ({phase})"
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        for w in workers:  # our own run's workers, by pid
            if _alive(w):
                os.kill(w, signal.SIGKILL)

    # Whatever was left behind, the next run works and writes a complete OUT.
    r = convert_cli(big_tree, "-o", out, "-q")
    assert r.exit_code == 0, r.output
    assert snapshot(out).keys() == snapshot(previous_out).keys()
    assert _csvs(out) == _csvs(previous_out)


# The same promise, made deterministic: an interrupt (what SIGINT raises, and what the CLI's
# SIGTERM handler raises) at the exact points of writer.write where a real signal can land.


def _interrupt_once(monkeypatch, module, name, when):
    """Wrap module.name so that the call for which when(args) is true raises KeyboardInterrupt,
    before (`when` returns "before") or after ("after") doing its work."""
    real = getattr(module, name)
    fired = []

    def wrapper(*args, **kwargs):
        moment = None if fired else when(*args)
        if moment == "before":
            fired.append(args)
            raise KeyboardInterrupt
        result = real(*args, **kwargs)
        if moment == "after":
            fired.append(args)
            raise KeyboardInterrupt
        return result

    monkeypatch.setattr(module, name, wrapper)
    return fired


def _interrupted_convert(tmp_path: Path, fired: list) -> tuple:
    out = tmp_path / "out"
    with pytest.raises(KeyboardInterrupt):
        extractor.convert(str(SAMPLES), str(out), jobs=1)
    assert fired, "the interrupt point was never reached"
    return out, sorted(p.name for p in tmp_path.iterdir() if p.name != "out")


@pytest.fixture
def prev_out(tmp_path):
    out = tmp_path / "out"
    extractor.convert(str(SAMPLES), str(out), jobs=1)
    (out / "marker-of-the-previous-run").write_text("previous\n")
    return out, snapshot(out)


def test_interrupt_right_after_the_temp_folder_is_made(monkeypatch, tmp_path, prev_out):
    """A signal landing just after the temporary folder's mkdir returns (with tempfile.mkdtemp,
    before write() even holds its name)."""
    import extractor.writer as writer

    _out, before = prev_out
    # the writer makes its temporary folder with os.mkdir: interrupt right after it returns
    fired = _interrupt_once(monkeypatch, writer.os, "mkdir",
                            lambda path, *a, **k: "after" if ".out.tmp-" in str(path) else None)
    out, beside = _interrupted_convert(tmp_path, fired)
    assert snapshot(out) == before
    assert beside == [], f"left beside OUT: {beside}"


def test_interrupt_while_writing_tables(monkeypatch, tmp_path, prev_out):
    import extractor.writer as writer

    _out, before = prev_out
    calls = []
    fired = _interrupt_once(monkeypatch, writer.pq, "write_table",
                            lambda *a: calls.append(1) or ("before" if len(calls) == 3 else None))
    out, beside = _interrupted_convert(tmp_path, fired)
    assert snapshot(out) == before
    assert beside == [], f"left beside OUT: {beside}"


def test_interrupt_between_the_two_renames(monkeypatch, tmp_path, prev_out):
    """_swap moves OUT aside, then the new output in: an interrupt between the two must not
    lose OUT (the CLI then says `the previous output is unchanged`)."""
    _out, before = prev_out
    out_path = str(tmp_path / "out")
    fired = _interrupt_once(monkeypatch, os, "rename",
                            lambda src, dst, *rest: "before" if str(dst) == out_path else None)
    out, beside = _interrupted_convert(tmp_path, fired)
    assert snapshot(out) == before, "OUT is gone or changed after an interrupt between the renames"
    assert beside == [], f"left beside OUT: {beside}"


def test_interrupt_before_any_output_leaves_no_out(monkeypatch, tmp_path):
    import extractor.writer as writer

    fired = _interrupt_once(monkeypatch, writer.os, "mkdir",
                            lambda path, *a, **k: "after" if ".out.tmp-" in str(path) else None)
    out, beside = _interrupted_convert(tmp_path, fired)
    assert not out.exists() and beside == [], (out.exists(), beside)


# ---------------------------------------------------------------------------------------------
# hypothesis: bad bytes never crash, damage stays on its page


def _assert_clean_result(result) -> None:
    assert isinstance(result.kind, str)
    for path, line, severity, code, message in result.issues:
        assert code in CODES and severity == CODES[code][0]
        assert "internal error" not in message, message


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=4096))
def test_arbitrary_bytes_never_raise(data):
    _assert_clean_result(extract_bytes("DS/V/p/ds_v_p.md", data))


_TABLEISH = st.sampled_from([
    "|", "||", " | ", "\\|", "<br>", "<br/>", "<BR >", "↳", "↳[x](y)", " ↳[p](Ps/pC_p.md)", "[a](b)", "[",
    "](", ")", "\n", "\r\n", "\r", "\n\n", "---", ":-:", "|---|---|", "| --- |", "Vendor: ", "Product: ",
    "===", "#", "### ", "`", "```", "    ", "\t", "T1234 - x", "T1059.001", "<ul><li>", "</li></ul>",
    "<b>", "</b>", "&amp;", "&#0;", "&#x110000;", "[Next Page -->>](2_ds_x.md)", "Use-Case",
    "Activity Types/Parsers", "MITRE ATT&CK® TTP", "Content", "Rules", "Models", "Parsers",
    "3 Rules", "(x)", "app-login:success (app-login)", "https://attack.mitre.org/techniques/T1136/001",
    "Initial Access", "Execution", "\x00", "\ufeff", "\u2028", "é", "𝔘", "<", ">", "*", "_", "~",
])


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.one_of(_TABLEISH, st.text(max_size=8)), max_size=80))
def test_tableish_text_never_raises(parts):
    data = "".join(parts).encode("utf-8", "surrogatepass")
    _assert_clean_result(extract_bytes("DS/V/p/ds_v_p.md", data))


SAMPLE_PAGES = sorted(str(p.relative_to(SAMPLES)).replace(os.sep, "/") for p in SAMPLES.rglob("*.md"))


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(SAMPLE_PAGES), st.integers(0, 10**9), st.binary(min_size=1, max_size=64),
       st.sampled_from(["insert", "replace", "cut"]))
def test_damaged_good_page_never_raises(path, pos, junk, how):
    """Every kind of sample page (data source, continuation, rules and models, parser config,
    use case, index) with junk inserted, overwritten or the page cut at any byte."""
    page = (SAMPLES / path).read_bytes()
    i = pos % (len(page) + 1)
    data = {"insert": page[:i] + junk + page[i:], "replace": page[:i] + junk + page[i + len(junk):],
            "cut": page[:i]}[how]
    _assert_clean_result(extract_bytes(path, data))
# The continuation page takes its vendor and product from the page that leads to it: damaging
# that page rightly changes the continuation's records (it becomes an orphan), so it is left out.
DEPENDS_ON = {QF: {QF_CONT}}


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                  HealthCheck.function_scoped_fixture])
@given(victim=st.sampled_from(SAMPLE_PAGES), junk=st.binary(max_size=3000))
def test_damaging_one_page_leaves_the_others_alone(tmp_path_factory, clean, victim, junk):
    base = tmp_path_factory.mktemp("victim")
    tree = base / "samples"
    shutil.copytree(SAMPLES, tree)
    (tree / victim).write_bytes(junk)
    extractor.convert(str(tree), str(base / "out"), RELEASE, jobs=1)
    got = read_out(base / "out")
    skip = {victim} | DEPENDS_ON.get(victim, set())
    for name in RECORD_TABLES + ["pages", "issues"]:
        a = [r for r in got[name] if r["source_path"] not in skip]
        b = [r for r in clean[name] if r["source_path"] not in skip]
        assert a == b, f"damaging {victim} changed table {name} for other pages"
    shutil.rmtree(base)


@pytest.mark.parametrize("size", [0, 1, 999, 1000, 1001, 5000])
@pytest.mark.parametrize("head", [0, 10])
def test_read_rest_reads_whole_pages_and_stops_past_the_limit(tmp_path, size, head):
    """A page is read whole when it is at most the limit; past it, one byte more than the
    limit shows it is too large. Also when the file says it is empty (a pipe), as long as it
    really has bytes."""
    from extractor.extract import _read, _read_rest

    limit = 1000
    data = bytes(range(256)) * (size // 256 + 1)
    data = data[:size]
    expected = data if size <= limit else data[:limit + 1]
    path = tmp_path / "p.md"
    path.write_bytes(data)
    fd = os.open(path, os.O_RDONLY)
    try:
        assert _read_rest(fd, _read(fd, head), limit) == expected
    finally:
        os.close(fd)
    r, w = os.pipe()
    # A pipe hands its bytes over in pieces: written in two, with a pause between.
    writer = threading.Thread(target=lambda: (os.write(w, data[:300]), time.sleep(0.05),
                                              os.write(w, data[300:]), os.close(w)))
    writer.start()
    try:
        assert os.fstat(r).st_size == 0
        assert _read_rest(r, _read(r, head), limit) == expected
    finally:
        os.close(r)
    writer.join()


# ---------------------------------------------------------------------------------------------
# names that are not UTF-8

_BAD_FILE = b"uc_\xff\xfebad.md"
_BAD_DIR = b"dir_\xff"


def _tree_with_undecodable_names(root: Path) -> None:
    (root / "UseCases").mkdir(parents=True)
    shutil.copy(SAMPLES / "UseCases" / "uc_account_manipulation.md", root / "UseCases" / "uc_account_manipulation.md")
    page = (root / "UseCases" / "uc_account_manipulation.md").read_bytes()
    with open(os.fsencode(root / "UseCases") + b"/" + _BAD_FILE, "wb") as fh:
        fh.write(page)
    os.mkdir(os.fsencode(root) + b"/" + _BAD_DIR)
    with open(os.fsencode(root) + b"/" + _BAD_DIR + b"/x.md", "wb") as fh:
        fh.write(page)


def _expected_undecodable(git: bool) -> list:
    # The names as the issue rows show them: each byte that is not UTF-8 as U+FFFD.
    if git:
        return [("UseCases/uc_\ufffd\ufffdbad.md", "undecodable-name"), ("dir_\ufffd/x.md", "undecodable-name")]
    return [("UseCases/uc_\ufffd\ufffdbad.md", "undecodable-name"), ("dir_\ufffd", "undecodable-name")]


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="needs a file system that takes any bytes in names")
@pytest.mark.parametrize("git", [False, True], ids=["folder", "git"])
def test_names_that_are_not_utf8_are_issues_and_the_rest_is_read(tmp_path, git):
    tree = tmp_path / "tree"
    _tree_with_undecodable_names(tree)
    src = str(tree)
    if git:
        subprocess.run(["git", "init", "-q", str(tree)], check=True)
        subprocess.run(["git", "-C", str(tree), "add", "-A"], check=True)
        subprocess.run(["git", "-C", str(tree), "-c", "user.email=t@t", "-c", "user.name=t", "commit", "-qm", "x"],
                       check=True)
        src = f"{tree}@HEAD"
    out = tmp_path / "out"
    r = convert_cli(src, "-o", out, "--release", "r1")
    assert r.exit_code == 0, r.output
    tables = read_out(out)
    got = sorted((row["source_path"], row["code"]) for row in tables["issues"])
    assert got == _expected_undecodable(git)
    # the page with a good name is read: one row per page, and it is the only page
    assert [row["source_path"] for row in tables["pages"]] == ["UseCases/uc_account_manipulation.md"]
    assert tables["use_case_products"], "the readable use-case page gave no records"


def test_a_release_label_that_is_not_utf8_is_a_usage_error(tmp_path):
    r = convert_cli(SAMPLES, "-o", tmp_path / "out", "--release", "r\udcff")
    assert r.exit_code == 2
    assert "the release label 'r\ufffd' is not UTF-8 text" in r.output
    assert not (tmp_path / "out").exists()


# ---------------------------------------------------------------------------------------------
# output folders damaged by hand, or made with only some tables

@pytest.fixture(scope="module")
def sample_out(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("sample") / "out"
    extractor.convert(str(SAMPLES), str(out), RELEASE, jobs=1)
    return out


def _cli(*args):
    return CliRunner().invoke(cli, [*map(str, args)], catch_exceptions=True)


@pytest.mark.parametrize("command", ["validate", "layer", "diff"])
def test_a_manifest_that_is_not_json_is_named_in_one_line(sample_out, tmp_path, command):
    out = tmp_path / "out"
    shutil.copytree(sample_out, out)
    (out / "manifest.json").write_text("{not json")
    args = [command, out, "-o", tmp_path / "x.json"] if command != "diff" else [command, sample_out, out]
    r = _cli(*args)
    assert r.exit_code == 2, r.output
    assert f"{out / 'manifest.json'}: cannot be read (" in r.output and "Traceback" not in r.output


@pytest.mark.parametrize("command", ["validate", "layer"])
def test_a_cut_off_parquet_file_is_named_in_one_line(sample_out, tmp_path, command):
    out = tmp_path / "out"
    shutil.copytree(sample_out, out)
    data = (out / "rules.parquet").read_bytes()
    (out / "rules.parquet").write_bytes(data[:len(data) // 2])
    r = _cli(command, out, "-o", tmp_path / "x.json")
    assert r.exit_code == 2, r.output
    assert f"{out / 'rules.parquet'}: cannot be read (" in r.output and "Traceback" not in r.output


@pytest.mark.parametrize("command", ["layer", "plot"])
def test_a_layer_of_an_output_without_the_matrix_says_which_tables_are_missing(tmp_path, command):
    out = tmp_path / "out"
    assert convert_cli(SAMPLES, "-o", out, "--tables", "rules", "-q").exit_code == 0
    r = _cli(command, out, "-o", tmp_path / "picture")
    assert r.exit_code == 2, r.output
    assert "holds no" in r.output and "attack_matrix" in r.output and "use_case_ttps" in r.output
    assert "Traceback" not in r.output and not (tmp_path / "picture").exists()


def test_plot_writes_a_png_at_the_very_name_given(sample_out, tmp_path):
    for name in ("coverage", "coverage.txt"):
        r = _cli("plot", sample_out, "-o", tmp_path / name)
        assert r.exit_code == 0, r.output
        assert (tmp_path / name).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        assert str(tmp_path / name) in r.output
    assert sorted(p.name for p in tmp_path.iterdir()) == ["coverage", "coverage.txt"]


def test_a_table_deleted_by_hand_is_an_error_not_a_table_left_out(sample_out, tmp_path):
    out = tmp_path / "out"
    shutil.copytree(sample_out, out)
    (out / "rules.parquet").unlink()
    (out / "rules.csv").unlink()
    r = _cli("validate", out)
    assert r.exit_code == 2, r.output
    assert f"{out}: rules.parquet is missing, though manifest.json lists the table" in r.output
    # A table never converted (--tables) is no error: its checks are said not to run.
    only = tmp_path / "only"
    assert convert_cli(SAMPLES, "-o", only, "--tables", "rules", "-q").exit_code == 0
    r = _cli("validate", only)
    assert r.exit_code == 0, r.output
    assert "not run (their tables were not converted)" in r.output


def test_an_out_that_cannot_be_moved_aside_is_a_clear_error(sample_out, tmp_path, monkeypatch):
    # (As when OUT is a mount point: renaming it fails with EBUSY.)
    import errno

    out = tmp_path / "out"
    shutil.copytree(sample_out, out)
    before = snapshot(out)
    real = os.rename

    def busy(src, dst):
        if os.fspath(src) == str(out):
            raise OSError(errno.EBUSY, "Device or resource busy")
        return real(src, dst)

    monkeypatch.setattr(os, "rename", busy)
    r = convert_cli(SAMPLES, "-o", out, "-q")
    assert r.exit_code == 2, r.output
    assert f"cannot put the new output in place of {out}: Device or resource busy" in r.output
    monkeypatch.undo()
    assert snapshot(out) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]  # nothing left beside it


@pytest.mark.parametrize("command", ["validate", "diff"])
def test_a_folder_of_no_pages_and_no_manifest_is_no_release(sample_out, tmp_path, command):
    other = tmp_path / "notes"
    other.mkdir()
    (other / "notes.txt").write_text("not a docs tree\n")
    r = _cli(command, other) if command == "validate" else _cli(command, sample_out, other)
    assert r.exit_code == 2, r.output
    assert f"{other} holds no Markdown pages and no manifest.json" in r.output


@pytest.mark.parametrize("command", ["validate", "diff"])
def test_the_output_of_another_command_is_no_release(sample_out, tmp_path, command):
    checks = tmp_path / "checks"
    assert _cli("validate", sample_out, "-o", checks).exit_code == 0
    r = _cli(command, checks) if command == "validate" else _cli(command, sample_out, checks)
    assert r.exit_code == 2, r.output
    assert f"{checks} holds the output of `extractor validate`, not of convert" in r.output


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs here")
def test_a_fifo_in_the_tree_is_an_issue_and_is_never_opened(tmp_path):
    tree = tmp_path / "tree"
    shutil.copytree(SAMPLES, tree)
    os.mkfifo(tree / "pipe.md")  # opening it to read would wait for a writer for ever
    out = tmp_path / "out"
    r = convert_cli(tree, "-o", out, "-q")
    assert r.exit_code == 0, r.output
    tables = read_out(out)
    assert [(i["source_path"], i["code"]) for i in tables["issues"]] == [("pipe.md", "special-file")]
    assert "pipe.md" not in {p["source_path"] for p in tables["pages"]}


def test_an_output_inside_the_source_is_not_read_as_pages_by_the_next_run(tmp_path):
    tree = tmp_path / "tree"
    shutil.copytree(SAMPLES, tree)
    out = tree / "out"
    first = convert_cli(tree, "-o", out, "-q")
    assert first.exit_code == 0, first.output
    (tree / ".out.tmp-1-abcdef12").mkdir()  # as a run still writing would leave beside it
    (tree / ".out.tmp-1-abcdef12" / "pages.csv").write_text("x\n")
    again = convert_cli(tree, "-o", out, "-q")
    assert again.exit_code == 0, again.output
    # the pages of the second run are the sample files, and nothing of the output beside them
    want = sorted(p.relative_to(SAMPLES).as_posix() for p in SAMPLES.rglob("*") if p.is_file())
    assert sorted(p["source_path"] for p in read_out(out)["pages"]) == want


def test_an_out_that_is_a_link_to_a_folder_stays_a_link(tmp_path):
    real, link = tmp_path / "real", tmp_path / "link"
    assert convert_cli(SAMPLES, "-o", real, "-q").exit_code == 0
    link.symlink_to(real, target_is_directory=True)
    r = convert_cli(SAMPLES, "-o", link, "--release", "again", "-q")
    assert r.exit_code == 0, r.output
    assert link.is_symlink() and os.readlink(link) == str(real)
    assert {row["release"] for row in read_out(real)["pages"]} == {"again"}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["link", "real"]


def test_a_file_given_as_the_docs_tree_is_said_to_be_a_file(sample_out, tmp_path):
    page = tmp_path / "page.md"
    page.write_text("# a page\n")
    r = _cli("validate", page)
    assert r.exit_code == 2, r.output
    assert f"{page} is a file, not a folder of pages" in r.output


def test_with_tables_the_summary_says_the_other_pages_were_not_read(tmp_path):
    r = convert_cli(SAMPLES, "-o", tmp_path / "out", "--tables", "rules")
    assert r.exit_code == 0, r.output
    assert "with --tables, pages that fill none of those tables were listed, not read" in r.output
    r = convert_cli(SAMPLES, "-o", tmp_path / "all")
    assert "with --tables" not in r.output
