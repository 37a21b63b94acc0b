"""Helpers of the page tests: write hand-made pages into a tree, convert it, read rows back
as plain sorted tuples."""
from __future__ import annotations

from pathlib import Path


def _extractor():
    try:
        import extractor
    except ModuleNotFoundError:  # plain `pytest` from a checkout without the package installed
        import sys

        sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
        import extractor
    return extractor


def plain(v):
    """A DataFrame cell as a plain Python value (lists stay lists, NA -> None)."""
    if v is None:
        return None
    if hasattr(v, "tolist") and not isinstance(v, (str, bytes)):
        v = v.tolist()
    if isinstance(v, list):
        return [plain(x) for x in v]
    if isinstance(v, float):
        return None if v != v else (int(v) if v.is_integer() else v)
    try:
        import pandas as pd

        if v is pd.NA:
            return None
    except ImportError:  # pragma: no cover
        pass
    return v


def key(row):
    return tuple((x is None, repr(x)) for x in row)


def rows(tables, name, **where):
    """A table's rows without the release column, as sorted tuples (lists kept as lists)."""
    df = tables[name]
    for col, val in where.items():
        df = df[df[col] == val]
    cols = [c for c in df.columns if c != "release"]
    out = [tuple(plain(x) for x in r) for r in df[cols].itertuples(index=False, name=None)]
    return sorted(out, key=key)


def issues(tables, path=None):
    df = tables["issues"]
    if path is not None:
        df = df[df["source_path"] == path]
    return sorted(((r.source_path, plain(r.source_line), r.code) for r in df.itertuples()), key=key)


def convert(tmp_path: Path, pages: dict):
    tree = tmp_path / "tree"
    for rel, text in pages.items():
        p = tree / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(text, encoding="utf-8")
    ex = _extractor()
    out = tmp_path / "out"
    ex.convert(str(tree), str(out))
    return ex.load(str(out))


def kinds(tables) -> dict:
    """source_path -> page kind."""
    return dict(zip(tables["pages"]["source_path"], tables["pages"]["kind"]))
