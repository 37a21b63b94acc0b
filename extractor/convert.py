"""convert(): a docs tree in, a dataset of tables out."""
from __future__ import annotations

import collections
import multiprocessing
import os
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, dataclass, field
from typing import Callable

from . import __version__, schema, writer
from .errors import SourceNotFound
from .extract import DEFAULT_MAX_PAGE_BYTES, extract_file
from .fold import fold
from .sources import list_folder

# Below this many files a process pool costs more than it saves.
_POOL_MIN_FILES = 200


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


def _work(item):
    rel, abspath, max_bytes = item
    return extract_file(rel, abspath, max_bytes)


def _pool(jobs: int) -> ProcessPoolExecutor:
    methods = multiprocessing.get_all_start_methods()
    ctx = multiprocessing.get_context("fork" if "fork" in methods else None)
    return ProcessPoolExecutor(max_workers=jobs, mp_context=ctx)


def extract_all(files: list, jobs: int | None, max_page_bytes: int,
                progress: Callable[[int, int], None] | None = None) -> list:
    """Extract every file; results in the order of `files`."""
    items = [(rel, full, max_page_bytes) for rel, full in files]
    jobs = jobs or os.cpu_count() or 1
    total = len(items)
    results = []
    if jobs <= 1 or total < _POOL_MIN_FILES:
        for item in items:
            results.append(_work(item))
            if progress:
                progress(len(results), total)
        return results
    chunk = max(8, min(256, total // (jobs * 16) or 1))
    with _pool(jobs) as pool:
        for result in pool.map(_work, items, chunksize=chunk):
            results.append(result)
            if progress and (len(results) % chunk == 0 or len(results) == total):
                progress(len(results), total)
    return results


def convert(src: str = "samples", out: str = "out", release: str | None = None, *,
            jobs: int | None = None, max_page_bytes: int = DEFAULT_MAX_PAGE_BYTES,
            progress: Callable[[int, int], None] | None = None) -> Summary:
    """Convert the docs tree at `src` into Parquet + CSV tables in `out`; return a Summary.

    `release` labels every row (default: the name of src's folder). `progress(done, total)` is
    called as pages are read. Problems with pages become rows of the `issues` table; only an
    unusable src or out raises (ExtractorError).
    """
    if not os.path.isdir(src):
        raise SourceNotFound(f"{src}: no such folder")
    release = release or os.path.basename(os.path.abspath(src))
    listing = list_folder(src)
    results = extract_all(listing.files, jobs, max_page_bytes, progress)
    fold(results)
    tables = writer.build_tables(results, listing.issues, release)
    summary = Summary(
        release=release, source=os.path.abspath(src), out=os.path.abspath(out),
        pages=dict(sorted(collections.Counter(r.kind for r in results).items())),
        rows={name: tables[name].num_rows for name in schema.TABLES},
        issues=dict(sorted(collections.Counter(tables["issues"].column("code").to_pylist()).items())),
    )
    manifest = summary.to_dict()
    manifest.pop("out")
    writer.write(out, tables, manifest)
    return summary
