"""diff(): what coverage appeared or vanished between two releases.

Each side is an output folder of convert(), a docs folder, or a git reference (`REPO@REF`).
Rows are compared on their semantic keys (schema.KEYS: vendor, product, use case, event type,
parser, technique, ...), never on paths or line numbers, so moving or re-spelling a page changes
nothing. Tables with counts also get `changed` rows carrying old and new values.
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field

import pandas as pd
import pyarrow as pa

from . import schema, writer
from .convert import release_frames

CHANGES = ("added", "removed", "changed")


@dataclass
class DiffResult:
    old: str
    new: str
    tables: dict = field(default_factory=dict)  # table -> DataFrame of changes
    counts: dict = field(default_factory=dict)  # table -> {"added": n, "removed": n, "changed": n}
    movers: list = field(default_factory=list)  # [{"vendor", "product", "gained", "lost", table: {...}}]

    def to_dict(self) -> dict:
        return {"old": self.old, "new": self.new, "tables": self.counts, "products": self.movers}


def _with_type_key(frame: pd.DataFrame, mapping: dict) -> pd.DataFrame:
    """Add the event-type key: the legacy event type when the row has one, else the activity
    type, itself mapped through the other release's (activity type -> legacy type) pairs."""
    frame = frame.copy()
    plain = frame["activity_type"].map(lambda t: mapping.get(t, t))
    frame[schema.TYPE_KEY] = frame["legacy_event_type"].where(frame["legacy_event_type"].notna(), plain)
    return frame


def _type_mapping(*frames: pd.DataFrame) -> dict:
    pairs: dict = {}
    for f in frames:
        both = f[f["legacy_event_type"].notna()][["activity_type", "legacy_event_type"]].drop_duplicates()
        for a, legacy in both.itertuples(index=False):
            pairs.setdefault(a, legacy)
    return pairs


def _compare(name: str, old: pd.DataFrame, new: pd.DataFrame) -> pd.DataFrame:
    keys = list(schema.KEYS[name])
    counts = list(schema.COUNTS.get(name, ()))
    o = old[keys + counts].drop_duplicates(subset=keys)
    n = new[keys + counts].drop_duplicates(subset=keys)
    merged = o.merge(n, on=keys, how="outer", suffixes=("_old", "_new"), indicator=True)
    merged["change"] = merged["_merge"].astype(str).map({"left_only": "removed", "right_only": "added", "both": ""})
    if counts:
        differs = pd.Series(False, index=merged.index)
        for c in counts:
            a, b = merged[f"{c}_old"], merged[f"{c}_new"]
            # (nullable Int32 columns say <NA> where one side is missing: filled as "not equal")
            same = (a == b).astype("boolean").fillna(False).astype(bool)
            differs |= ~(same | (a.isna() & b.isna()))
        merged.loc[(merged["change"] == "") & differs, "change"] = "changed"
    out = merged[merged["change"] != ""].drop(columns="_merge")
    out = out.rename(columns={f"{c}_old": f"old_{c}" for c in counts} | {f"{c}_new": f"new_{c}" for c in counts})
    order = keys + ["change"] + [f"{p}_{c}" for c in counts for p in ("old", "new")]
    return out[order].sort_values(keys + ["change"], na_position="first").reset_index(drop=True)


def diff(old: str, new: str, out: str | None = None) -> DiffResult:
    """Compare two releases; write DIFF tables (Parquet + CSV) and summary.md when `out` is given."""
    why = "compare two refs of the repository (REPO@OLD REPO@NEW) or two convert outputs"
    old_frames, old_label = release_frames(os.fspath(old), why)
    new_frames, new_label = release_frames(os.fspath(new), why)
    result = DiffResult(old_label, new_label)
    if "activity_parsers" in old_frames and "activity_parsers" in new_frames:
        mapping = _type_mapping(old_frames["activity_parsers"], new_frames["activity_parsers"])
        for frames in (old_frames, new_frames):
            frames["activity_parsers"] = _with_type_key(frames["activity_parsers"], mapping)
    for name in schema.KEYS:
        if name not in old_frames or name not in new_frames:
            continue
        if not len(old_frames[name]) and not len(new_frames[name]):
            continue
        changes = _compare(name, old_frames[name], new_frames[name])
        result.tables[name] = changes
        result.counts[name] = {c: int((changes["change"] == c).sum()) for c in CHANGES}
    result.movers = _movers(result.tables)
    if out is not None:
        _write(os.fspath(out), result)
    return result


def _movers(tables: dict) -> list:
    """Per vendor and product: what was gained and lost, largest movers first."""
    per: dict = {}
    for name, frame in tables.items():
        if "vendor" not in frame.columns or not len(frame):
            continue
        grouped = frame.groupby(["vendor", "product", "change"], dropna=False).size()
        for (vendor, product, change), n in grouped.items():
            vendor = None if pd.isna(vendor) else vendor
            product = None if pd.isna(product) else product
            entry = per.setdefault((vendor, product), {"vendor": vendor, "product": product,
                                                       "gained": 0, "lost": 0, "changed": 0, "tables": {}})
            entry["tables"].setdefault(name, {})[change] = int(n)
            entry[{"added": "gained", "removed": "lost", "changed": "changed"}[change]] += int(n)
    return sorted(per.values(), key=lambda e: (-(e["gained"] + e["lost"] + e["changed"]),
                                               e["vendor"] or "", e["product"] or ""))


def _write(out: str, result: DiffResult) -> None:
    tables = {name: pa.Table.from_pandas(frame, preserve_index=False) for name, frame in result.tables.items()}
    manifest = {"kind": "diff", **result.to_dict()}
    writer.write(out, tables, manifest, extra={"summary.md": summary_markdown(result)})


def summary_markdown(result: DiffResult, top: int = 50) -> str:
    lines = [f"# Coverage changes: {result.old} -> {result.new}", "",
             "| table | added | removed | changed |", "|---|---:|---:|---:|"]
    for name, c in result.counts.items():
        lines.append(f"| {name} | {c['added']} | {c['removed']} | {c['changed']} |")
    lines += ["", f"## Products, largest movers first (top {top})", ""]
    if not result.movers:
        lines.append("No product gained or lost anything.")
    for entry in result.movers[:top]:
        who = f"{entry['vendor'] or '(no vendor)'} / {entry['product'] or '(no product)'}"
        lines.append(f"### {who}: +{entry['gained']} -{entry['lost']} ~{entry['changed']}")
        for name, c in entry["tables"].items():
            parts = ", ".join(f"{k} {v}" for k, v in sorted(c.items()))
            lines.append(f"- {name}: {parts}")
        lines.append("")
    if len(result.movers) > top:
        lines.append(f"... and {len(result.movers) - top} more products: see the tables.")
    return "\n".join(lines) + "\n"
