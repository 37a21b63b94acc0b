"""How pages are shared out among worker processes (convert.run_batches)."""
from __future__ import annotations

import importlib
import json

import pytest

from extractor.writer import json_lists

convert = importlib.import_module("extractor.convert")  # the module, not the API function


def _sizes(n: int) -> list[int]:
    # A few very large pages among many small ones, as in a real tree.
    return [200_000 if i % 97 == 0 else 2_000 + (i * 37) % 5_000 for i in range(n)]


@pytest.mark.parametrize("jobs", [1, 2, 3])
def test_batches_are_runs_of_consecutive_pages_of_about_equal_cost(jobs):
    items = list(range(5000))
    costs = _sizes(len(items))
    batches = convert._cut(items, costs, jobs)
    assert [i for batch, _ in batches for i in batch] == items  # nothing lost, order kept
    assert all(cost == sum(costs[i] + 256 for i in batch) for batch, cost in batches)
    assert all(len(batch) <= 2 * convert._BATCH for batch, _ in batches)
    total = sum(c + 256 for c in costs)
    target = total // (jobs * 24)
    # Each batch stops as soon as it reaches the target: none is larger than the target plus
    # its last page, and all but the last reach it (or hold the most pages a batch may).
    assert all(cost < target + max(costs) + 256 for _, cost in batches)
    assert all(cost >= target or len(batch) == 2 * convert._BATCH for batch, cost in batches[:-1])
    assert total / (target + max(costs) + 256) <= len(batches) <= jobs * 24 + 1


@pytest.mark.parametrize("jobs", [2, 3])
def test_without_costs_batches_shrink_with_the_pages_left(jobs):
    items = list(range(5000))
    batches = convert._guided(items, jobs)
    assert [i for batch, _ in batches for i in batch] == items  # nothing lost, order kept
    assert all(n == len(batch) for batch, n in batches)
    sizes = [n for _, n in batches]
    assert sizes == sorted(sizes, reverse=True)
    assert max(sizes) == convert._BATCH and sizes[-2] == convert._GUIDED_MIN
    # each batch is a (4 * jobs)-th of what is left when it is cut, within the bounds
    left = len(items)
    for n in sizes[:-1]:
        assert n == max(convert._GUIDED_MIN, min(convert._BATCH, left // (4 * jobs)))
        left -= n
    assert 0 < sizes[-1] <= convert._GUIDED_MIN and left == sizes[-1]


def test_results_come_back_in_page_order_without_costs():
    items = list(range(3000))
    results = convert.run_batches(_tag, items, None, jobs=2)
    assert [i for result in results for _, i in result] == items


def _tag(batch):
    return [("seen", i) for i in batch]


def test_results_come_back_in_page_order_though_handed_out_largest_first():
    items = list(range(3000))
    costs = _sizes(len(items))
    results = convert.run_batches(_tag, items, costs, jobs=2)
    assert [i for result in results for _, i in result] == items


def test_progress_counts_every_page_once():
    items = list(range(1000))
    seen = []
    convert.run_batches(_tag, items, _sizes(len(items)), jobs=2, progress=lambda done, total: seen.append((done, total)))
    assert seen[-1] == (1000, 1000)
    assert [d for d, _ in seen] == sorted(d for d, _ in seen)


LISTS = [[], ["a"], ['say "hi"', "é\\x", "\u2028", "tab\there"], [None, "x"], None,
         ["".join(map(chr, range(40))), "\x7f\\\\n"], ["back\\", '"', "\b\f\r\n"]]


def test_list_cells_are_json_as_json_dumps_writes_them():
    import pyarrow as pa

    column = pa.chunked_array([pa.array(LISTS[:3], pa.list_(pa.string())),
                               pa.array(LISTS[3:], pa.list_(pa.string()))])
    expected = [None if v is None else json.dumps(v, ensure_ascii=False) for v in LISTS]
    assert json_lists(column).to_pylist() == expected
    # a slice of a column (its offsets do not start at 0)
    whole = pa.array(LISTS, pa.list_(pa.string()))
    assert json_lists(whole.slice(2, 4)).to_pylist() == expected[2:6]
    assert json_lists(pa.array([], pa.list_(pa.string()))).to_pylist() == []


def _die_on_500(batch):
    import os
    import signal

    if 500 in batch:
        os.kill(os.getpid(), signal.SIGKILL)
    return _tag(batch)


def test_a_worker_killed_mid_run_is_an_error_not_a_hang():
    """A worker that dies (killed, out of memory) is seen at once: the run stops with a clear
    error instead of waiting for its result for ever, and no worker is left behind."""
    import multiprocessing

    from extractor.workers import WorkerDied

    items = list(range(3000))
    with pytest.raises(WorkerDied, match="worker process ended"):
        convert.run_batches(_die_on_500, items, _sizes(len(items)), jobs=2)
    assert multiprocessing.active_children() == []


def test_leaving_early_ends_the_workers():
    """An exception in the main process while workers are busy (what Ctrl-C raises) ends them."""
    import multiprocessing

    items = list(range(3000))

    def stop(done, total):
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        convert.run_batches(_tag, items, _sizes(len(items)), jobs=2, progress=stop)
    assert multiprocessing.active_children() == []


def test_convert_leaves_the_garbage_collector_as_it_found_it(tmp_path):
    """convert pauses the cyclic collector while it runs; a notebook calling it keeps its own
    setting, on or off."""
    import gc
    from pathlib import Path

    import extractor

    samples = Path(__file__).resolve().parent.parent / "samples"
    assert gc.isenabled()
    extractor.convert(samples, tmp_path / "a", jobs=1)
    assert gc.isenabled()
    gc.disable()
    try:
        extractor.convert(samples, tmp_path / "b", jobs=1)
        assert not gc.isenabled()
    finally:
        gc.enable()


def _assert_no_cyclic_garbage(read_chunk, items: list) -> None:
    """read_chunk(items) reads pages of every kind, and with the collector off reading them
    again (rows and lines remembered the first time) and in other runs leaves nothing for it."""
    import gc

    kinds = {r.kind for r in read_chunk(items).pages}
    assert {"data_source", "rules_models", "parser_config", "use_case"} <= kinds
    gc.collect()
    was = gc.isenabled()
    gc.disable()
    try:
        read_chunk(items)
        for n in range(1, 4):
            read_chunk(items[n::4])
        assert gc.collect() == 0
    finally:
        if was:
            gc.enable()


def test_reading_pages_leaves_no_cyclic_garbage(corpus_tree):
    """Workers run without the cyclic collector (convert._worker_init): whatever reading a
    page makes must be freed by reference counting alone. Checked on real pages of every
    kind, and on the samples."""
    from pathlib import Path

    from extractor.sources import list_folder

    samples = Path(__file__).resolve().parent.parent / "samples"
    items = []
    for root in (corpus_tree("cim2-2026.6.1"), samples):
        files = list_folder(str(root)).files
        # every 20th page: all kinds, a few hundred pages
        items += [(rel, full, 1 << 24, None) for rel, full in files[:: 20 if root != samples else 1]]
    _assert_no_cyclic_garbage(convert._chunk_files, items)


def test_reading_pages_from_git_leaves_no_cyclic_garbage(corpus_tree, tmp_path):
    """The same, for pages read from git's object database (one `git cat-file` per worker)."""
    import shutil
    import subprocess
    from pathlib import Path

    from extractor import gitsource
    from extractor.sources import list_folder

    repo = tmp_path / "repo"
    for root, step in ((corpus_tree("cim2-2026.6.1"), 20), (Path(__file__).resolve().parent.parent / "samples", 1)):
        for rel, full in list_folder(str(root)).files[::step]:
            dest = repo / root.name / rel
            dest.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(full, dest)
    git = ["git", "-C", str(repo), "-c", "user.name=t", "-c", "user.email=t@t"]
    subprocess.run(["git", "init", "-q", str(repo)], check=True)
    subprocess.run([*git, "add", "-A"], check=True)
    subprocess.run([*git, "commit", "-qm", "pages"], check=True)
    listing = gitsource.list_tree(str(repo), "HEAD")
    items = [(path, oid, size, str(repo), 1 << 24, None) for path, oid, size in listing.files]
    try:
        _assert_no_cyclic_garbage(convert._chunk_blobs, items)
    finally:
        convert._close_readers()
