"""history(): every release of a git repository in one hive-partitioned Parquet dataset.

    OUT/<table>/release=<ref>/part-0.parquet

Releases share most pages, so each distinct (path, blob) is parsed once however many refs hold
it, and the parsed pages are kept in OUT/_cache: a rerun after one new release parses only
that release's new blobs, and a release whose commit has not moved is not touched at all.
"""
from __future__ import annotations

import hashlib
import json
import os
import pickle
import shutil
import tempfile
import urllib.parse
from dataclasses import dataclass, field
from typing import Callable

import pyarrow.parquet as pq

from . import __version__, gitsource, schema, writer
from .convert import Read, _work_blob, run_all, tables_of
from .tables import chunk_of
from .errors import ExtractorError, OutputNotWritable
from .extract import DEFAULT_MAX_PAGE_BYTES

CACHE_DIR = "_cache"
CACHE_FILE = "pages.pickle"
MANIFEST = "manifest.json"


@dataclass
class HistorySummary:
    repo: str
    out: str
    releases: dict = field(default_factory=dict)  # ref -> {"commit", "rows", "issues", "skipped"}
    parsed_blobs: int = 0
    cached_blobs: int = 0
    tool_version: str = __version__
    # Releases written by other code and not converted again by this run (their refs not
    # asked for): removed, so the dataset never mixes two ways of reading pages.
    removed: list = field(default_factory=list)
    # Refs matched but not converted: they name no commit, or their names are not UTF-8.
    passed_over: list = field(default_factory=list)

    def to_dict(self) -> dict:
        return {k: getattr(self, k) for k in self.__dataclass_fields__}


def partition_name(ref: str) -> str:
    """`release=<ref>` with the ref URI-encoded (refs may hold `/`), as hive readers expect."""
    return "release=" + urllib.parse.quote(ref, safe="")


def _code_version() -> str:
    """The tool's version and a digest of its own source files: the cached pages are what
    this code made of them, so any change to how pages are read (even between two releases
    of the tool) must start a new cache, not mix old records with new ones."""
    digest = hashlib.sha256(__version__.encode())
    package = os.path.dirname(os.path.abspath(__file__))
    for folder, dirs, names in sorted(os.walk(package)):
        dirs.sort()
        for name in sorted(n for n in names if n.endswith(".py")):
            path = os.path.join(folder, name)
            digest.update(os.path.relpath(path, package).encode())
            try:
                with open(path, "rb") as fh:
                    digest.update(fh.read())
            except OSError:  # a file gone while we looked: its name still counts
                pass
    return f"{__version__}+{digest.hexdigest()[:16]}"


def _load_cache(out: str) -> dict:
    path = os.path.join(out, CACHE_DIR, CACHE_FILE)
    version = _code_version()
    try:
        with open(path, "rb") as fh:
            cache = pickle.load(fh)
        if cache.get("version") == version:
            return cache
    except (OSError, pickle.UnpicklingError, EOFError, AttributeError, TypeError, ValueError):
        pass  # (objects pickled by other code may not fit this code's classes)
    # A cache from other code (or none, or a damaged one) is simply rebuilt.
    return {"version": version, "pages": {}, "releases": {}}


def _save_cache(out: str, cache: dict) -> None:
    folder = os.path.join(out, CACHE_DIR)
    os.makedirs(folder, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=".tmp-")
    with os.fdopen(fd, "wb") as fh:
        pickle.dump(cache, fh, protocol=pickle.HIGHEST_PROTOCOL)
    os.replace(tmp, os.path.join(folder, CACHE_FILE))


def _check_out(out: str) -> None:
    if os.path.exists(out):
        if not os.path.isdir(out):
            raise OutputNotWritable(f"{out} exists and is not a folder")
        manifest = os.path.join(out, MANIFEST)
        if os.listdir(out) and not os.path.exists(manifest):
            raise OutputNotWritable(f"{out} exists, is not empty and holds no {MANIFEST}: "
                                    "not an extractor output folder, refusing to write there")
        if os.path.exists(manifest) and writer.manifest_kind(out) != "history":
            raise OutputNotWritable(f"{out} holds the output of `extractor {writer.manifest_kind(out)}`, "
                                    "not a history dataset: choose another folder")


def history(repo: str, out: str, patterns: list[str] | None = None, *, jobs: int | None = None,
            max_page_bytes: int = DEFAULT_MAX_PAGE_BYTES,
            progress: Callable[[str, int, int], None] | None = None) -> HistorySummary:
    """Convert every branch and tag of `repo` matching `patterns` (fnmatch; default all)."""
    _check_out(out)
    passed_over: list = []
    found = gitsource.refs(repo, patterns, passed_over)
    if not found:
        raise ExtractorError(f"{repo}: no branch or tag matches {patterns or '*'}")
    os.makedirs(out, exist_ok=True)
    summary = HistorySummary(os.path.abspath(repo), os.path.abspath(out))
    summary.passed_over = [f"{name} ({why})" for name, why in passed_over]
    repo_abs = os.path.abspath(repo)

    # 1. Which releases moved (the manifest is small: the page cache is read only if needed).
    done = _written_releases(out)
    todo = []
    for ref, commit in found:
        if done.get(ref) == commit and _partition_complete(out, ref):
            summary.releases[ref] = {"commit": commit, "skipped": True}
            continue
        todo.append((ref, gitsource.list_tree(repo, ref)))
    if not todo:
        return summary
    cache = _load_cache(out)
    cache["releases"] = {**cache["releases"], **done}
    wanted = {}
    for _, listing in todo:
        for path, oid, size in listing.files:
            if (path, oid) not in cache["pages"]:
                wanted[(path, oid)] = (path, oid, size, repo_abs, max_page_bytes)
    summary.cached_blobs = sum(len(listing.files) for _, listing in todo) - len(wanted)
    summary.parsed_blobs = len(wanted)

    # 2. Parse the new blobs once, all releases together.
    items = sorted(wanted.values())
    step = (lambda done, total: progress("parse", done, total)) if progress else None
    for item, result in zip(items, run_all(_work_blob, items, jobs, step)):
        cache["pages"][(item[0], item[1])] = result

    # 3. Assemble and write each moved release. Releases share most product folders as they
    # are, so the Arrow chunk of a folder is built once per distinct content and reused.
    chunks: dict = {}
    for n, (ref, listing) in enumerate(todo, 1):
        tables, stats = tables_of(Read(_chunks(listing.files, cache["pages"], chunks),
                                       listing.issues, ref, repo_abs), ref)
        _write_partition(out, ref, tables)
        cache["releases"][ref] = listing.commit
        summary.releases[ref] = {"commit": listing.commit, "skipped": False,
                                 "rows": stats["rows"], "issues": stats["issues"]}
        if progress:
            progress(ref, n, len(todo))
    _save_cache(out, cache)
    _write_manifest(out, summary, cache)
    summary.removed = _remove_unlisted(out, set(cache["releases"]))
    return summary


def _remove_unlisted(out: str, listed: set) -> list:
    """Remove the partitions of releases the manifest does not list (written by other code, or
    left by a run killed before its manifest): a history dataset holds exactly its manifest's
    releases. Returns their refs."""
    removed = set()
    for name in schema.PAGE_TABLES:
        folder = os.path.join(out, name)
        try:
            entries = os.listdir(folder)
        except OSError:
            continue
        for entry in entries:
            if not entry.startswith("release="):
                continue
            ref = urllib.parse.unquote(entry[len("release="):])
            if ref not in listed:
                shutil.rmtree(os.path.join(folder, entry), ignore_errors=True)
                removed.add(ref)
    return sorted(removed)


def _group(path: str) -> str:
    """The folder a page belongs to for chunk reuse: its product folder (`DS/Vendor/product`)."""
    return "/".join(path.split("/")[:3])


def _chunks(files: list, pages: dict, memo: dict) -> list:
    """The release's pages as Arrow chunks, one per product folder, in path order (files are
    sorted by path, so each folder's files are contiguous)."""
    out, start = [], 0
    while start < len(files):
        group = _group(files[start][0])
        end = start
        while end < len(files) and _group(files[end][0]) == group:
            end += 1
        key = tuple((path, oid) for path, oid, _ in files[start:end])
        chunk = memo.get(key)
        if chunk is None:
            chunk = memo[key] = chunk_of([pages[k] for k in key])
        out.append(chunk)
        start = end
    return out


def _written_releases(out: str) -> dict:
    """{ref: commit} of the releases written by this very code (others are written again)."""
    try:
        with open(os.path.join(out, MANIFEST), encoding="utf-8") as fh:
            manifest = json.load(fh)
        return dict(manifest.get("releases", {})) if manifest.get("code_version") == _code_version() else {}
    except (OSError, ValueError):
        return {}


def _partition_complete(out: str, ref: str) -> bool:
    return all(os.path.exists(os.path.join(out, t, partition_name(ref), "part-0.parquet"))
               for t in schema.PAGE_TABLES)


def _write_partition(out: str, ref: str, tables: dict) -> None:
    """Write one release into a temporary folder, then move each table's partition in place."""
    tmp = tempfile.mkdtemp(dir=out, prefix=".tmp-")
    try:
        for name, table in tables.items():
            folder = os.path.join(tmp, name)
            os.makedirs(folder)
            # The release lives in the folder name; hive readers add the column back.
            pq.write_table(table.drop_columns(["release"]), os.path.join(folder, "part-0.parquet"))
        for name in tables:
            final = os.path.join(out, name, partition_name(ref))
            os.makedirs(os.path.dirname(final), exist_ok=True)
            old = None
            if os.path.exists(final):
                old = final + ".old"
                shutil.rmtree(old, ignore_errors=True)
                os.rename(final, old)
            os.rename(os.path.join(tmp, name), final)
            if old:
                shutil.rmtree(old, ignore_errors=True)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def _write_manifest(out: str, summary: HistorySummary, cache: dict) -> None:
    manifest = {"kind": "history", "repo": summary.repo, "tool_version": __version__,
                "code_version": cache["version"], "releases": dict(sorted(cache["releases"].items()))}
    fd, tmp = tempfile.mkstemp(dir=out, prefix=".tmp-")
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        json.dump(manifest, fh, indent=2, sort_keys=True)
        fh.write("\n")
    os.replace(tmp, os.path.join(out, MANIFEST))
