"""After a run killed outright (no handler runs), the next run tidies up: an OUT moved aside and
never replaced comes back, temporary folders of dead runs go."""
import subprocess
import sys
from pathlib import Path

import extractor
from extractor import writer

SAMPLES = Path(__file__).resolve().parents[1] / "samples"


def _dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid  # finished and reaped: no process has it (barring reuse within the test)


def test_out_moved_aside_by_a_killed_run_is_put_back(tmp_path):
    out = tmp_path / "out"
    extractor.convert(SAMPLES, out)
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    pid = _dead_pid()
    out.rename(tmp_path / f".out.old-{pid}-0badc0de")  # the killed run got this far
    (tmp_path / f".out.tmp-{pid}-0badc0de").mkdir()  # and had started its new output

    writer.recover(str(out))

    assert {p.name: p.read_bytes() for p in out.iterdir()} == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]


def test_a_live_runs_folders_are_left_alone(tmp_path):
    out = tmp_path / "out"
    live = tmp_path / f".out.tmp-{__import__('os').getpid()}-12345678"
    live.mkdir()
    writer.recover(str(out))
    assert live.exists()
