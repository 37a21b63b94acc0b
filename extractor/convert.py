"""convert(): a docs tree (a folder, or a ref of a git repository) in, a dataset of tables out."""
from __future__ import annotations

import collections
import contextlib
import gc
import functools
import os
import signal
from dataclasses import asdict, dataclass, field
from typing import Callable

from . import __version__, arrays, gitsource, pages, schema, tables, transfer, writer
from .errors import ExtractorError, SourceNotFound
from .issues import undecodable
from .extract import DEFAULT_MAX_PAGE_BYTES, extract_bytes, extract_file, is_markdown, unreadable
from .pages import PageResult
from .sources import list_folder
from .workers import Workers

# Below this many files a process pool costs more than it saves.
_POOL_MIN_FILES = 200
# Pages per batch on the serial path (and at most twice that per worker task): each batch's
# rows become Arrow tables.
_BATCH = 256


@dataclass
class Summary:
    release: str
    source: str
    out: str
    pages: dict = field(default_factory=dict)  # kind -> count
    rows: dict = field(default_factory=dict)  # table -> count
    issues: dict = field(default_factory=dict)  # code -> count
    tool_version: str = __version__

    def to_dict(self) -> dict:
        return asdict(self)

    @property
    def issue_count(self) -> int:
        return sum(self.issues.values())


# ---- workers: each item is one page, read inside the worker -------------------------------

def _work_file(item):
    rel, abspath, max_bytes, modules = item
    return extract_file(rel, abspath, max_bytes, modules)


def _chunk_files(items):
    return tables.chunk_of([_work_file(item) for item in items])


def _chunk_blobs(items):
    return tables.chunk_of([_work_blob(item) for item in items])


_readers: dict = {}  # (pid, repo) -> BlobReader: one `git cat-file` per worker process


def _work_blob(item):
    path, oid, size, repo, max_bytes = item[:5]
    modules = item[5] if len(item) > 5 else None
    if not is_markdown(path):
        return PageResult(path, "asset", size)
    if size > max_bytes:
        return unreadable(path, size, "page-too-large",
                          f"{size:,} bytes is over the limit of {max_bytes:,} (--max-page-bytes)")
    key = (os.getpid(), repo)
    reader = _readers.get(key)
    if reader is None:
        reader = _readers[key] = gitsource.BlobReader(repo)
    try:
        data = reader.read(oid)
    except (OSError, gitsource.GitError) as exc:
        _readers.pop(key, None)
        return unreadable(path, size, "unreadable-file", f"git could not read blob {oid}: {exc}")
    return extract_bytes(path, data, modules)


def _worker_init() -> None:
    # Parsing makes millions of short-lived objects, all freed by reference counting: reading
    # a whole release in one process leaves no cyclic garbage (tests/test_workers.py checks it
    # on real pages). The cyclic collector would only scan them (50 ms a pass over the young
    # objects, a few passes per worker), so it stays off in a worker, which lives for one
    # conversion.
    arrays.refuse_pandas()  # (see arrays.py)
    gc.freeze()
    gc.disable()
    # Ctrl-C reaches the whole process group: the parent handles it and ends the workers.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    # A parent killed outright (SIGKILL) cannot end its workers: have the kernel do it.
    try:
        import ctypes
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):  # not Linux: orphans finish their chunk and exit
        pass


def _workers(jobs: int, work, tasks: list) -> Workers:
    # (Results holding tables, tables.Chunk, have them travel by transfer.py.)
    return Workers(jobs, work, tasks, _worker_init, transfer.send_result, transfer.receive_result)


def run_all(work, items: list, jobs: int | None,
            progress: Callable[[int, int], None] | None = None) -> list:
    """work(item) for every item, over worker processes; results in the order of `items`."""
    jobs = jobs or os.cpu_count() or 1
    total = len(items)
    if jobs <= 1 or total < _POOL_MIN_FILES:
        return _run_here(work, items, progress, total, lambda item: 1)
    per_task = max(8, min(256, total // (jobs * 16) or 1))
    chunks = [items[i:i + per_task] for i in range(0, total, per_task)]
    results: list = [None] * len(chunks)
    done = 0
    with _workers(jobs, functools.partial(_each, work), chunks) as workers:
        for number, result in workers.results():
            results[number] = result
            done += len(result)
            if progress:
                progress(done, total)
    return [r for chunk in results for r in chunk]


def _each(work, chunk: list) -> list:
    return [work(item) for item in chunk]


def run_batches(work, items: list, costs: list | None, jobs: int | None,
                progress: Callable[[int, int], None] | None = None) -> list:
    """work(batch) over runs of consecutive items, on worker processes; one result per batch,
    in the order of `items`.

    The batches are cut so that every worker stays busy until the end, instead of one of
    them finishing a big batch alone. `costs` estimates each item's work (its size in bytes),
    when known for free (git says a blob's size): batches are then cut to about equal cost and
    handed out largest first. Without costs (a folder: asking the file system for 14,000
    sizes would hold the workers back for a twentieth of a second), they are handed out in
    order, each about a (4 * jobs)-th of the items left: large at first, down to a few pages
    at the end, where a worker finishing before the other waits at most that long."""
    jobs = jobs or os.cpu_count() or 1
    total = len(items)
    if jobs <= 1 or total < _POOL_MIN_FILES:
        batches = [items[i:i + _BATCH] for i in range(0, total, _BATCH)]
        return _run_here(work, batches, progress, total, len)
    if costs is None:
        batches = _guided(items, jobs)
        order = list(range(len(batches)))
    else:
        batches = _cut(items, costs, jobs)
        order = sorted(range(len(batches)), key=lambda b: -batches[b][1])
    results: list = [None] * len(batches)
    done = 0
    with _workers(jobs, work, [batches[b][0] for b in order]) as workers:
        for n, result in workers.results():
            b = order[n]
            results[b] = result
            done += len(batches[b][0])
            if progress:
                progress(done, total)
    return results


def _cut(items: list, costs: list, jobs: int) -> list:
    """[(batch of consecutive items, its cost)]: about jobs * 24 batches of equal cost (more
    where many cheap items meet the cap of 2 * _BATCH items a batch)."""
    # Every page also costs a fixed amount (opening, classifying), worth about this many bytes.
    weights = [c + 256 for c in costs]
    target = max(1, sum(weights) // (jobs * 24))
    batches, start, acc = [], 0, 0
    for i, w in enumerate(weights):
        acc += w
        if acc >= target or i - start + 1 >= 2 * _BATCH:
            batches.append((items[start:i + 1], acc))
            start, acc = i + 1, 0
    if start < len(items):
        batches.append((items[start:], acc))
    return batches


# The fewest items of a batch cut by _guided: fewer would cost more in round trips than the
# balance they buy.
_GUIDED_MIN = 4


def _guided(items: list, jobs: int) -> list:
    """[(batch of consecutive items, its number of items)]: each a (4 * jobs)-th of the
    items left, at most _BATCH and at least _GUIDED_MIN (but for the last, which takes what
    is left)."""
    batches, start, total = [], 0, len(items)
    while start < total:
        size = max(_GUIDED_MIN, min(_BATCH, (total - start) // (4 * jobs)))
        batches.append((items[start:start + size], min(size, total - start)))
        start += size
    return batches


def _run_here(work, tasks: list, progress, total: int, size) -> list:
    """The serial path, for one job or a small tree: work(task) for each task in turn."""
    results, done = [], 0
    try:
        for task in tasks:
            results.append(work(task))
            done += size(task)
            if progress:
                progress(done, total)
    finally:
        _close_readers()
    return results


def _close_readers() -> None:
    for key in [k for k in _readers if k[0] == os.getpid()]:
        _readers.pop(key).close()


# ---- reading a source -----------------------------------------------------------------------

@dataclass
class Read:
    """What one source gave: page results (not yet folded) and listing issues."""
    chunks: list  # tables.Chunk, in page order
    issues: list
    release: str
    source: str


def read_folder(src: str, jobs=None, max_page_bytes=DEFAULT_MAX_PAGE_BYTES, progress=None,
                modules=None, out: str | None = None) -> Read:
    """Read a folder's pages; `out`, where the output goes, is not listed when it lies in
    the folder (a second run would read the first one's tables as pages)."""
    if not os.path.isdir(src):
        if os.path.exists(src):
            raise SourceNotFound(f"{src} is a file, not a folder of pages (nor REPO@REF of a git repository)")
        raise SourceNotFound(f"{src}: no such folder")
    listing = list_folder(src, os.path.abspath(out) if out is not None else None)
    items = [(rel, full, max_page_bytes, modules) for rel, full in listing.files]
    chunks = run_batches(_chunk_files, items, None, jobs, progress)
    return Read(chunks, listing.issues, os.path.basename(os.path.abspath(src)), os.path.abspath(src))


def read_git(repo: str, ref: str, jobs=None, max_page_bytes=DEFAULT_MAX_PAGE_BYTES, progress=None,
             modules=None) -> Read:
    listing = gitsource.list_tree(repo, ref)
    repo_abs = os.path.abspath(repo)
    items = [(path, oid, size, repo_abs, max_page_bytes, modules) for path, oid, size in listing.files]
    costs = [size if is_markdown(path) else 0 for path, _, size in listing.files]
    chunks = run_batches(_chunk_blobs, items, costs, jobs, progress)
    return Read(chunks, listing.issues, ref, f"{repo_abs}@{ref} ({listing.commit})")


def parse_source(src: str) -> tuple[str, str | None]:
    """`REPO@REF` -> (REPO, REF) when REPO is a git repository; a plain folder -> (src, None)."""
    if "@" in src and not os.path.isdir(src):
        repo, _, ref = src.rpartition("@")
        if repo and ref and gitsource.is_repo(repo):
            return repo, ref
    return src, None


def read(src, ref: str | None = None, out: str | None = None, **kw) -> Read:
    """Read a folder, `REPO@REF`, or (with ref) a git repository. `out`: where the output
    goes (left out of a folder's listing)."""
    src = os.fspath(src)
    if ref is None:
        src, ref = parse_source(src)
    if ref is not None:
        return read_git(src, ref, **kw)
    return read_folder(src, out=out, **kw)


def tables_of(read_: Read, release: str, only=None) -> tuple[dict, dict]:
    """(pyarrow tables, manifest summary fields) of one read source; `only` keeps those
    tables (with `pages` and `issues`, always written)."""
    built, _pages = tables.assemble(read_.chunks, read_.issues, release)
    if only is not None:
        built = {n: t for n, t in built.items() if n in only or n in ("pages", "issues")}
    stats = dict(
        pages=dict(sorted(collections.Counter(built["pages"].column("kind").to_pylist()).items())),
        rows={name: t.num_rows for name, t in built.items()},
        issues=dict(sorted(collections.Counter(built["issues"].column("code").to_pylist()).items())),
    )
    return built, stats


def convert(src: str = "samples", out: str = "out", release: str | None = None, *,
            ref: str | None = None, jobs: int | None = None, tables: list | None = None,
            max_page_bytes: int = DEFAULT_MAX_PAGE_BYTES,
            progress: Callable[[int, int], None] | None = None) -> Summary:
    """Convert a docs tree into Parquet + CSV tables in `out`; return a Summary.

    `src` is a folder, or a git repository with `ref` (or written `REPO@REF`); pages are then
    read from git's object database. `release` labels every row (default: the folder's name or
    the ref). `progress(done, total)` is called as pages are read. Problems with pages become
    rows of the `issues` table; only an unusable src or out raises (ExtractorError).
    `tables` limits the run to those tables (every page is still read and listed): page kinds
    that fill none of them are not extracted, which is faster.
    """
    out = os.fspath(out)
    writer.check_out(out)
    only = _table_names(tables)
    if release is not None:
        _check_label(release)
    with _collector_paused():
        read_ = read(src, ref, out, jobs=jobs, max_page_bytes=max_page_bytes, progress=progress,
                     modules=pages.modules_for(only))
        release = release or read_.release
        _check_label(release)  # (a folder's name, as the OS gave it)
        built, stats = tables_of(read_, release, only)
        summary = Summary(release=release, source=read_.source, out=os.path.abspath(out), **stats)
        manifest = summary.to_dict()
        manifest.pop("out")
        writer.write(out, built, manifest)
    return summary


def _check_label(release: str) -> None:
    shown = undecodable(release)
    if shown is not None:
        raise ExtractorError(f"the release label {shown!r} is not UTF-8 text; name the release with --release")


@contextlib.contextmanager
def _collector_paused():
    """The cyclic garbage collector off for a conversion (restored after, as the caller had
    it): the results received make hundreds of thousands of objects, none in a cycle, and
    each full collection they set off walks the whole heap (a tenth of a second per run)."""
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


# Names for groups of tables (`--tables core`).
TABLE_GROUPS = {"core": ("products", "use_cases", "activity_parsers", "use_case_ttps", "attack_matrix")}


def _table_names(tables) -> frozenset | None:
    if tables is None:
        return None
    names: set[str] = set()
    for name in tables:
        names.update(TABLE_GROUPS.get(name, (name,)))
    unknown = names - set(schema.PAGE_TABLES)
    if unknown:
        raise ExtractorError(f"unknown table(s) {', '.join(sorted(unknown))}; known: "
                             f"{', '.join(schema.PAGE_TABLES)} or {', '.join(TABLE_GROUPS)}")
    return frozenset(names)


def release_frames(spec: str, purpose: str) -> tuple[dict, str]:
    """One release as pandas DataFrames, and its label: `spec` is an output folder of convert,
    a docs folder or REPO@REF. A history dataset holds many releases: `purpose` says in the
    error what to give instead."""
    from .load import load

    kind = writer.manifest_kind(spec)
    if kind == "history":
        raise ExtractorError(f"{spec} is a history dataset of many releases: {purpose}")
    if kind is not None and kind != "convert":
        raise ExtractorError(f"{spec} holds the output of `extractor {kind}`, not of convert: {purpose}")
    if os.path.exists(os.path.join(spec, writer.MANIFEST)):
        frames = dict(load(spec, categories=False))
        pages_ = frames.get("pages")
        label = pages_["release"].iloc[0] if pages_ is not None and len(pages_) else os.path.basename(spec)
        return frames, str(label)
    read_ = read(spec)
    built, _ = tables_of(read_, read_.release)
    if not any(page_kind != "asset" for page_kind in built["pages"].column("kind").to_pylist()):
        # (A folder of other files, or an output folder whose manifest was lost.)
        raise ExtractorError(f"{spec} holds no Markdown pages and no {writer.MANIFEST}: neither a docs "
                             f"tree nor an output folder; {purpose}")
    return {name: t.to_pandas() for name, t in built.items()}, read_.release
