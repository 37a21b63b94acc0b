"""How a worker's tables reach the main process (transfer.py), and how tasks are handed out
(workers.Workers): the tables that arrive are the tables sent, whichever way they travel."""
from __future__ import annotations

import gc
import multiprocessing
import os
import sys
import threading

import pyarrow as pa
import pytest

from extractor import transfer
from extractor.tables import Chunk, PageInfo
from extractor.workers import WorkerDied, Workers

linux_only = pytest.mark.skipif(not transfer._CAN_MAP, reason="memfd and descriptor passing are Linux-only")


def _tables() -> dict:
    # Types the output tables use (strings with nulls and non-ASCII, lists, integers), one
    # table with no rows, and one large enough to span many pages of memory.
    big = 50_000
    return {
        "rules": pa.table({"rule_id": pa.array(["AE-UA-F", None, "é↳"], pa.string()),
                           "source_line": pa.array([7, None, 9], pa.int32())}),
        "parsers": pa.table({"fields": pa.array([["user", "src_ip"], [], None], pa.list_(pa.string())),
                             "bytes": pa.array([1, 2, 3], pa.int64())}),
        "empty": pa.table({"x": pa.array([], pa.string())}),
        "big": pa.table({"text": pa.array([f"row {i} " * (i % 7) for i in range(big)], pa.string())}),
    }


def _chunk() -> Chunk:
    page = PageInfo("Ps/pC_a.md", "parser_config", None, None, 10, (), ())
    return Chunk([page], _tables())


def _open_fds() -> int:
    return len(os.listdir("/proc/self/fd"))


def _round_trip(chunk):
    # Sent from a thread: a pickle larger than the pipe's buffer waits for the reader.
    sender, receiver = multiprocessing.Pipe(duplex=True)
    thread = threading.Thread(target=transfer.send_result, args=(sender, (5, chunk)))
    thread.start()
    try:
        return transfer.receive_result(receiver)
    finally:
        thread.join()
        sender.close()
        receiver.close()


def _assert_same_tables(got: dict, want: dict) -> None:
    assert list(got) == list(want)
    for name in want:
        assert got[name].schema == want[name].schema, name
        assert got[name].to_pylist() == want[name].to_pylist(), name


@linux_only
def test_tables_through_a_memfd_arrive_as_sent_and_leave_no_descriptor_open():
    before = _open_fds()
    number, chunk = _round_trip(_chunk())
    assert number == 5
    assert chunk.pages[0].path == "Ps/pC_a.md"
    _assert_same_tables(chunk.tables, _tables())
    # The tables are read in place: their mapping holds one descriptor while they live...
    assert _open_fds() == before + 1
    assert transfer.mapped() == 1
    del chunk
    gc.collect()
    # ...and nothing once they are gone (the sender's copy was closed when it was sent).
    assert _open_fds() == before
    assert transfer.mapped() == 0


@linux_only
def test_past_the_budget_of_mappings_the_tables_are_read_into_memory(monkeypatch):
    monkeypatch.setattr(transfer, "_map_budget", lambda: 1)
    before = _open_fds()
    first = _round_trip(_chunk())[1]
    second = _round_trip(_chunk())[1]
    assert _open_fds() == before + 1  # only the first is mapped
    _assert_same_tables(second.tables, _tables())
    _assert_same_tables(first.tables, _tables())
    del first, second
    gc.collect()
    assert _open_fds() == before and transfer.mapped() == 0


@linux_only
def test_a_mapping_that_cannot_be_made_falls_back_to_reading(monkeypatch):
    def no_mapping(*_a, **_k):
        raise OSError(24, "Too many open files")

    monkeypatch.setattr(transfer.mmap, "mmap", no_mapping)
    before = _open_fds()
    _, chunk = _round_trip(_chunk())
    _assert_same_tables(chunk.tables, _tables())
    assert _open_fds() == before and transfer.mapped() == 0


@linux_only
def test_tables_through_a_memfd_are_read_in_place_not_pickled(monkeypatch):
    # The pickle carries only the layout: a table's data in it would make it large.
    sizes = []
    real_send = multiprocessing.connection.Connection.send

    def counting_send(self, obj):
        import pickle
        sizes.append(len(pickle.dumps(obj)))
        return real_send(self, obj)

    monkeypatch.setattr(multiprocessing.connection.Connection, "send", counting_send)
    _round_trip(_chunk())
    data = sum(t.nbytes for t in _tables().values())
    assert data > 500_000
    assert sizes and max(sizes) < 5_000


def test_without_memfd_the_tables_travel_pickled(monkeypatch):
    monkeypatch.setattr(transfer, "_CAN_MAP", False)
    number, chunk = _round_trip(_chunk())
    _assert_same_tables(chunk.tables, _tables())


@linux_only
def test_a_memfd_that_cannot_be_made_falls_back_to_pickling(monkeypatch):
    def no_memfd(*_a, **_k):
        raise OSError(24, "Too many open files")

    monkeypatch.setattr(transfer.os, "memfd_create", no_memfd)
    packed = transfer.pack(_tables())
    assert packed.fd is None and packed.tables is not None
    _, chunk = _round_trip(_chunk())
    _assert_same_tables(chunk.tables, _tables())


def test_results_without_tables_pass_as_they_are():
    assert _round_trip([("seen", 1)]) == (5, [("seen", 1)])


@linux_only
def test_a_worker_gone_before_its_descriptor_is_an_end_of_file_not_a_hang():
    # The layout arrived, the descriptor never will: the sender is gone.
    sender, receiver = multiprocessing.Pipe(duplex=True)
    sender.send((1, Chunk([], transfer.Packed(None, None, (("rules", 0, 8),)))))
    sender.close()
    with pytest.raises(EOFError):
        transfer.receive_result(receiver)
    receiver.close()


# ---- handing out tasks ------------------------------------------------------------------------

def _square(n):
    return n * n


def _record_pid(n):
    return (n, os.getpid())


def test_every_task_is_done_once_and_results_carry_their_number():
    tasks = list(range(40))
    with Workers(2, _square, tasks) as workers:
        got = dict(workers.results())
    assert got == {i: i * i for i in tasks}


def test_more_workers_than_tasks():
    with Workers(3, _square, [3]) as workers:
        assert list(workers.results()) == [(0, 9)]
    with Workers(2, _square, []) as workers:
        assert list(workers.results()) == []


def test_tasks_are_shared_among_the_workers():
    tasks = list(range(30))
    with Workers(2, _record_pid, tasks) as workers:
        got = list(workers.results())
    assert sorted(n for n, _ in got) == tasks
    pids = {pid for _, (_, pid) in got}
    assert len(pids) == 2


def _die_on_seven(n):
    if n == 7:
        os._exit(3)
    return n


@pytest.mark.skipif(sys.platform == "win32", reason="fork only")
def test_a_worker_that_dies_is_reported_not_waited_for():
    with pytest.raises(WorkerDied):
        with Workers(2, _die_on_seven, list(range(20))) as workers:
            list(workers.results())


def test_a_worker_reads_pages_without_importing_pandas(tmp_path):
    """Workers are told pyarrow has no pandas (arrays.refuse_pandas): reading pages and
    building their tables must not import it (0.3 s a worker). In a fresh interpreter, since
    the test run itself has pandas loaded."""
    import subprocess
    from pathlib import Path

    project = Path(__file__).resolve().parents[1]
    code = (
        "import importlib, sys\n"
        "convert = importlib.import_module('extractor.convert')\n"
        "from extractor.sources import list_folder\n"
        "assert 'pandas' not in sys.modules\n"
        "from extractor import arrays\n"
        "arrays.refuse_pandas()\n"
        "items = [(r, f, 1 << 24, None) for r, f in list_folder(sys.argv[1]).files]\n"
        "chunk = convert._chunk_files(items)\n"
        "assert chunk.tables and sum(t.num_rows for t in chunk.tables.values()) > 0\n"
        "import pyarrow as pa\n"
        "pa.array(['its own converter, which asks about pandas'], pa.string())\n"
        "print('pandas' in sys.modules)\n"
        "pa.table({'a': [1]}).to_pandas()\n"  # where pandas is required, it still comes
        "print('pandas' in sys.modules)\n"
    )
    run = subprocess.run([sys.executable, "-c", code, str(project / "samples")], cwd=project,
                         capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    assert run.stdout.split() == ["False", "True"]


def test_page_descriptions_cross_as_they_were_sent():
    """A chunk's pages travel as plain tuples (cheaper to pickle) and arrive as PageInfo again,
    field for field."""
    import pickle

    issue = ("DS/a/ds_a.md", 3, "warning", "unknown-column", "a header nobody knows")
    pages = [PageInfo("DS/a/ds_a.md", "data_source", "Acme", "One", 120, (issue,), ("DS/a/2_ds_a.md",)),
             PageInfo("Ps/pC_a.md", "parser_config", None, None, 10, (), ())]
    got = pickle.loads(pickle.dumps(Chunk(pages, {}), protocol=pickle.HIGHEST_PROTOCOL))
    assert got.pages == pages
    assert [type(p) for p in got.pages] == [PageInfo, PageInfo]
    assert got.pages[0].issues == (issue,) and got.pages[0].next_pages == ("DS/a/2_ds_a.md",)
    assert got.tables == {}
