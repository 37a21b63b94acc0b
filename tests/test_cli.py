"""`extractor convert` through click's CliRunner (and, for the progress bar, a real terminal).

Expected counts were read off the sample pages by hand (see tests/test_samples.py for the
records themselves): 3 data-source pages + 1 continuation page; 10 use-case rows (3 + 2 on the
Quillfeather pages, 3 Brightwater, 2 Orrin); 21 (activity type, parser) pairs; 18 TTP items;
25 matrix links.
"""
from __future__ import annotations

import json
import os
import re
import select
import shutil
import subprocess
import sys
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner

import extractor
from extractor.cli import cli

HERE = Path(__file__).resolve()
SAMPLES = HERE.parents[1] / "samples"

FIRST_LINE = ("release samples: 8 pages (3 data_source, 1 data_source_continuation, 1 index, "
              "1 parser_config, 1 rules_models, 1 use_case)")
ROWS = {"products": 3, "use_cases": 10, "activity_parsers": 21, "use_case_ttps": 18,
        "attack_matrix": 25, "pages": 8, "issues": 0}
_ROW_LINE = re.compile(r"^  (\w+) +(\d+) rows$")


def run(*args: str):
    return CliRunner().invoke(cli, [*map(str, args)], catch_exceptions=False)


def table_lines(output: str) -> dict[str, int]:
    return {m.group(1): int(m.group(2)) for m in map(_ROW_LINE.match, output.splitlines()) if m}


def test_convert_samples(tmp_path):
    out = tmp_path / "out"
    r = run("convert", SAMPLES, "-o", out)
    assert r.exit_code == 0, r.output
    lines = r.stdout.splitlines()
    assert lines[0] == FIRST_LINE
    tables = table_lines(r.stdout)
    for name, n in ROWS.items():
        assert tables.get(name) == n, (name, tables.get(name))
    # One line per table written, and a table per line.
    assert set(tables) == {p.stem for p in out.glob("*.parquet")} == {p.stem for p in out.glob("*.csv")}
    assert all(pq.read_table(out / f"{name}.parquet").num_rows == n for name, n in tables.items())
    assert lines[-2:] == ["issues: none", f"written to {out}"]
    assert len(lines) == 1 + len(tables) + 2
    assert r.stderr == ""  # no progress bar when stderr is not a terminal


def test_convert_defaults_samples_to_out(tmp_path, monkeypatch):
    """`extractor convert` alone reads ./samples and writes ./out."""
    shutil.copytree(SAMPLES, tmp_path / "samples")
    monkeypatch.chdir(tmp_path)
    r = run("convert")
    assert r.exit_code == 0, r.output
    assert r.stdout.splitlines()[0] == FIRST_LINE
    assert (tmp_path / "out" / "manifest.json").is_file()
    assert r.stdout.splitlines()[-1] == f"written to {os.path.abspath('out')}"


def test_convert_reports_issues(tmp_path):
    tree = tmp_path / "tree"
    shutil.copytree(SAMPLES, tree)
    (tree / "empty.md").write_bytes(b"")
    (tree / "ds_binary.md").write_bytes(b"\x00" * 10)
    r = run("convert", tree, "-o", tmp_path / "out", "--release", "samples")
    assert r.exit_code == 0, r.output
    assert "issues: 2 (binary-file 1, empty-page 1)" in r.stdout.splitlines()
    assert table_lines(r.stdout)["issues"] == 2


def test_json_equals_library_summary(tmp_path):
    out = tmp_path / "out"
    r = run("convert", SAMPLES, "-o", out, "--json")
    assert r.exit_code == 0, r.output
    printed = json.loads(r.stdout)  # stdout is the JSON document and nothing else
    summary = extractor.convert(str(SAMPLES), str(out))  # the same run, through the library
    assert printed == summary.to_dict()
    assert printed["out"] == str(out) and printed["release"] == "samples"
    assert {k: printed["rows"][k] for k in ROWS} == ROWS
    assert printed["issues"] == {}
    assert printed["tool_version"] == extractor.__version__


def test_json_with_issues_and_strict(tmp_path):
    tree = tmp_path / "tree"
    shutil.copytree(SAMPLES, tree)
    (tree / "empty.md").write_bytes(b"")
    r = run("convert", tree, "-o", tmp_path / "out", "--json", "--strict")
    assert r.exit_code == 1
    printed = json.loads(r.stdout)
    assert printed["issues"] == {"empty-page": 1}
    assert printed == extractor.convert(str(tree), str(tmp_path / "out")).to_dict()


def test_version():
    r = run("--version")
    assert r.exit_code == 0
    assert r.stdout == f"extractor, version {extractor.__version__}\n"


def test_help_lists_convert():
    r = run("--help")
    assert r.exit_code == 0 and "convert" in r.stdout
    r = run("convert", "--help")
    assert r.exit_code == 0
    for opt in ("--out", "--release", "--jobs", "--max-page-bytes", "--quiet", "--json", "--strict"):
        assert opt in r.stdout


def test_quiet_prints_the_same_summary(tmp_path):
    loud = run("convert", SAMPLES, "-o", tmp_path / "a")
    quiet = run("convert", SAMPLES, "-o", tmp_path / "b", "--quiet")
    assert quiet.exit_code == loud.exit_code == 0
    assert quiet.stdout.replace(str(tmp_path / "b"), "OUT") == loud.stdout.replace(str(tmp_path / "a"), "OUT")
    assert quiet.stderr == ""


def _run_with_tty_stderr(args: list[str], cwd: Path) -> tuple[int, str, str]:
    """Run the CLI in a real process whose stderr is a terminal; (rc, stdout, stderr)."""
    pty = pytest.importorskip("pty")
    master, slave = pty.openpty()
    proc = subprocess.Popen([sys.executable, "-c", "from extractor.cli import main; main()", *args],
                            stdout=subprocess.PIPE, stderr=slave, cwd=cwd,
                            env={**os.environ, "TERM": "xterm", "COLUMNS": "100"})
    os.close(slave)
    err = b""
    try:
        while True:
            ready, _, _ = select.select([master], [], [], 60)
            if not ready:
                break
            try:
                chunk = os.read(master, 65536)
            except OSError:  # EIO: the other side is closed
                break
            if not chunk:
                break
            err += chunk
        out = proc.stdout.read()
        rc = proc.wait(timeout=120)
    finally:
        os.close(master)
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    return rc, out.decode(), err.decode(errors="replace")


@pytest.mark.skipif(sys.platform == "win32", reason="needs a pseudo-terminal")
def test_progress_bar_on_a_terminal_and_quiet(tmp_path):
    rc, out, err = _run_with_tty_stderr(["convert", str(SAMPLES), "-o", str(tmp_path / "a"), "-j", "1"], tmp_path)
    assert rc == 0, err
    assert "pages" in err and "100%" in err, f"no progress bar on a terminal: {err!r}"
    assert out.splitlines()[0] == FIRST_LINE

    for flag in ("--quiet", "-q", "--json"):
        rc, out, err = _run_with_tty_stderr(
            ["convert", str(SAMPLES), "-o", str(tmp_path / "b"), "-j", "1", flag], tmp_path)
        assert rc == 0, err
        assert err == "", f"{flag}: stderr {err!r}"
        if flag == "--json":
            assert json.loads(out)["release"] == "samples"
        else:
            assert out.splitlines()[0] == FIRST_LINE


def test_release_label(tmp_path):
    out = tmp_path / "out"
    r = run("convert", SAMPLES, "-o", out, "--release", "2026.6.1-test")
    assert r.exit_code == 0, r.output
    assert r.stdout.splitlines()[0].startswith("release 2026.6.1-test: 8 pages (")
    for parquet in out.glob("*.parquet"):
        values = set(pq.read_table(parquet, columns=["release"]).column("release").to_pylist())
        assert values <= {"2026.6.1-test"}, parquet.name
    assert set(pq.read_table(out / "products.parquet").column("release").to_pylist()) == {"2026.6.1-test"}
    for csv in out.glob("*.csv"):
        lines = csv.read_text(encoding="utf-8").splitlines()
        assert lines[0].split(",")[0] == '"release"', csv.name
        assert all(line.startswith('"2026.6.1-test",') for line in lines[1:] if line), csv.name
    r = run("convert", SAMPLES, "-o", out, "--release", "other", "--json")
    assert json.loads(r.stdout)["release"] == "other"


def test_release_defaults_to_the_folder_name(tmp_path):
    tree = tmp_path / "cim2-2099.1.1"
    shutil.copytree(SAMPLES, tree)
    r = run("convert", str(tree) + os.sep, "-o", tmp_path / "out", "--json")  # a trailing / too
    assert r.exit_code == 0, r.output
    assert json.loads(r.stdout)["release"] == "cim2-2099.1.1"
    assert set(pq.read_table(tmp_path / "out" / "use_cases.parquet").column("release").to_pylist()) == {"cim2-2099.1.1"}


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX permission bits")
def test_out_folder_gets_ordinary_permissions(tmp_path):
    """OUT is written through a private temporary folder (mkdtemp makes it 0700) and renamed into
    place: the folder the user gets must still have the permissions a plain mkdir gives under
    the current umask, like the files inside it."""
    old = os.umask(0o022)
    try:
        r = run("convert", SAMPLES, "-o", tmp_path / "out", "-q")
        (tmp_path / "plain").mkdir()
    finally:
        os.umask(old)
    assert r.exit_code == 0, r.output
    want = (tmp_path / "plain").stat().st_mode & 0o777
    assert oct((tmp_path / "out").stat().st_mode & 0o777) == oct(want)
    assert oct((tmp_path / "out" / "products.csv").stat().st_mode & 0o777) == oct(0o644)


# An interrupt as the call returns: the output may already have been swapped in whole.

def _interrupted_run(out: Path, replace: bool, capsys) -> tuple[int, str]:
    from extractor import cli as cli_module

    def call():
        if replace:  # as writer.write ends: the new folder renamed into OUT's place
            fresh = out.parent / ".out.tmp-new"
            fresh.mkdir()
            (fresh / "manifest.json").write_text("{}\n")
            shutil.rmtree(out, ignore_errors=True)
            fresh.rename(out)
        raise KeyboardInterrupt

    with pytest.raises(SystemExit) as stop:
        cli_module._run(call, False, str(out))
    return stop.value.code, capsys.readouterr().err


@pytest.mark.parametrize("had_out", [True, False])
def test_an_interrupt_after_the_swap_says_the_new_output_is_there(tmp_path, capsys, had_out):
    out = tmp_path / "out"
    if had_out:
        out.mkdir()
        (out / "manifest.json").write_text('{"old": true}\n')
    code, err = _interrupted_run(out, True, capsys)
    assert code == 130
    assert err.strip() == f"interrupted; {out} was already written whole, with the new output"


def test_an_interrupt_before_the_swap_says_the_output_is_unchanged(tmp_path, capsys):
    out = tmp_path / "out"
    out.mkdir()
    (out / "manifest.json").write_text('{"old": true}\n')
    code, err = _interrupted_run(out, False, capsys)
    assert code == 130
    assert err.strip() == "interrupted; the previous output is unchanged"
    assert json.loads((out / "manifest.json").read_text()) == {"old": True}
