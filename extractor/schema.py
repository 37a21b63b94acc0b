"""Every output table's columns and types: the data contract, in one place.

Workers emit rows as plain tuples in exactly the column order below, without the leading
``release`` column (the release is the same for a whole run, so it is added once when the
table is built). Adding a column means adding it here and to the one place that emits it.
"""
from __future__ import annotations

import pyarrow as pa

_s = pa.string()
_i = pa.int32()

# name -> list of (column, type). Order matters: it is the tuple order workers emit.
TABLES: dict[str, list[tuple[str, pa.DataType]]] = {
    "products": [
        ("release", _s), ("vendor", _s), ("product", _s),
        ("rules", _i), ("models", _i), ("mitre_ttps", _i), ("activity_types", _i), ("parsers", _i),
        ("source_path", _s), ("source_line", _i),
    ],
    "use_cases": [
        ("release", _s), ("vendor", _s), ("product", _s), ("use_case", _s),
        ("rules", _i), ("models", _i), ("rm_page", _s), ("use_case_page", _s),
        ("source_path", _s), ("source_line", _i),
    ],
    "activity_parsers": [
        ("release", _s), ("vendor", _s), ("product", _s), ("use_case", _s),
        ("activity_type", _s), ("legacy_event_type", _s), ("parser", _s), ("parser_page", _s),
        ("source_path", _s), ("source_line", _i),
    ],
    "use_case_ttps": [
        ("release", _s), ("vendor", _s), ("product", _s), ("use_case", _s),
        ("technique_id", _s), ("technique_name", _s),
        ("source_path", _s), ("source_line", _i),
    ],
    "attack_matrix": [
        ("release", _s), ("vendor", _s), ("product", _s), ("tactic", _s),
        ("technique_id", _s), ("technique_name", _s), ("url", _s),
        ("source_path", _s), ("source_line", _i),
    ],
    "pages": [
        ("release", _s), ("source_path", _s), ("kind", _s), ("vendor", _s), ("product", _s),
        ("bytes", pa.int64()), ("continues", _s),
    ],
    "issues": [
        ("release", _s), ("source_path", _s), ("source_line", _i),
        ("severity", _s), ("code", _s), ("message", _s),
    ],
}

# Columns that identify a row's meaning (never paths or line numbers): used by diff and to
# sort rows deterministically inside a page.
KEYS: dict[str, tuple[str, ...]] = {
    "products": ("vendor", "product"),
    "use_cases": ("vendor", "product", "use_case"),
    "activity_parsers": ("vendor", "product", "use_case", "activity_type", "parser"),
    "use_case_ttps": ("vendor", "product", "use_case", "technique_id"),
    "attack_matrix": ("vendor", "product", "tactic", "technique_id"),
}

# The page kinds the `pages` table may name.
PAGE_KINDS = (
    "data_source",            # Vendor:/Product: headings with counts and use-case tables
    "data_source_continuation",  # 2_ds_*, 3_ds_*...: more use-case rows for the same product
    "rules_models",
    "parser_config",
    "use_case",
    "correlation_rules",
    "index",
    "unknown",                # Markdown we could read but did not recognise
    "asset",                  # not Markdown (images, json, ...): listed, not parsed
    "unreadable",             # could not be read or decoded: see issues
)


def schema(table: str) -> pa.Schema:
    return pa.schema([pa.field(name, typ) for name, typ in TABLES[table]])


def columns(table: str) -> list[str]:
    return [name for name, _ in TABLES[table]]
