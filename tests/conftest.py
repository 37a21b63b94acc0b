"""Shared fixtures: the real docs trees in ../shared/corpus, unpacked and converted once per session.

The corpus lives beside the clone (``<clone>/../shared/corpus/<name>.tar.xz``), never inside the
project. Tests that need it are marked ``corpus`` and skip with the reason when an archive is absent.
"""
from __future__ import annotations

import tarfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

import pytest

CORPUS_DIR = Path(__file__).resolve().parents[2] / "shared" / "corpus"

# The three releases the corpus README describes; each archive holds one top folder of that name.
CORPUS_ARCHIVES = ("cim2-2026.6.1", "cim2-2025.26.1", "content-doc-2022-08-30")


def corpus_archive(name: str) -> Path:
    return CORPUS_DIR / f"{name}.tar.xz"


def _extract(archive: Path, dest: Path) -> None:
    with tarfile.open(archive, "r:xz") as tf:
        if hasattr(tarfile, "data_filter"):  # 3.12+, backported to 3.8.17+/3.10.12+/3.11.4+
            tf.extractall(dest, filter="data")
        else:  # pragma: no cover - old interpreters only
            tf.extractall(dest)


@pytest.fixture(scope="session")
def corpus_tree(tmp_path_factory: pytest.TempPathFactory) -> Callable[[str], Path]:
    """Factory: ``corpus_tree("cim2-2026.6.1")`` -> root of that tree, unpacked once per session.

    Skips the calling test when the archive is not there.
    """
    roots: dict[str, Path] = {}

    def unpack(name: str) -> Path:
        if name in roots:
            return roots[name]
        archive = corpus_archive(name)
        if not archive.is_file():
            pytest.skip(f"corpus archive not found: {archive} (put ../shared/corpus beside the clone)")
        dest = tmp_path_factory.mktemp(f"corpus-{name}")
        _extract(archive, dest)
        root = dest / name
        if not root.is_dir():
            tops = [p for p in dest.iterdir() if p.is_dir()]
            if len(tops) != 1:
                raise RuntimeError(f"{archive}: expected one top folder, found {sorted(p.name for p in tops)}")
            root = tops[0]
        roots[name] = root
        return root

    return unpack


@dataclass
class Converted:
    """One extractor run over one corpus tree."""

    name: str
    tree: Path
    out: Path
    summary: Any
    tables: Any  # extractor.load(out): one pandas DataFrame attribute per table


@pytest.fixture(scope="session")
def corpus_converted(
    corpus_tree: Callable[[str], Path], tmp_path_factory: pytest.TempPathFactory
) -> Callable[[str], Converted]:
    """Factory: ``corpus_converted(name)`` runs ``extractor.convert`` once per archive per session
    and returns the loaded tables, so many tests share one conversion."""
    runs: dict[str, Converted | BaseException] = {}

    def convert(name: str) -> Converted:
        tree = corpus_tree(name)  # skips here when the archive is absent
        if name not in runs:
            import extractor  # imported late: collecting the tests must not need the package

            out = tmp_path_factory.mktemp(f"out-{name}") / "tables"
            try:
                summary = extractor.convert(tree, out)
                runs[name] = Converted(name, tree, out, summary, extractor.load(out))
            except Exception as exc:  # remembered, so a broken run is not repeated by every test
                runs[name] = exc
        run = runs[name]
        if isinstance(run, BaseException):
            raise RuntimeError(f"extractor.convert failed on corpus tree {name}: {run!r}") from run
        return run

    return convert
