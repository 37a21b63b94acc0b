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
        # "technique", "sub-technique", or "tactic": TTP cells also name tactics (TA0002).
        ("level", _s),
    ],
    "attack_matrix": [
        ("release", _s), ("vendor", _s), ("product", _s), ("tactic", _s),
        ("technique_id", _s), ("technique_name", _s), ("url", _s),
        ("source_path", _s), ("source_line", _i),
    ],
    # Rules-and-models pages (`RM/r_m_*`, `Rules_Models/`).
    "use_case_counts": [
        ("release", _s), ("vendor", _s), ("product", _s), ("use_case", _s),
        ("rules", _i), ("models", _i), ("mitre_ttps", _i), ("activity_types", _i), ("parsers", _i),
        ("source_path", _s), ("source_line", _i),
    ],
    "rules": [
        ("release", _s), ("vendor", _s), ("product", _s), ("use_case", _s), ("event_type", _s),
        ("technique_id", _s), ("technique_name", _s), ("rule_id", _s), ("rule_description", _s),
        ("source_path", _s), ("source_line", _i),
    ],
    "models": [
        ("release", _s), ("vendor", _s), ("product", _s), ("use_case", _s), ("event_type", _s),
        ("model_id", _s), ("model_description", _s),
        ("source_path", _s), ("source_line", _i),
    ],
    # Correlation-rule pages (`CR/c_r_*`) and the root correlation-rule index.
    "correlation_rules": [
        ("release", _s), ("vendor", _s), ("product", _s), ("use_case", _s),
        ("name", _s), ("description", _s), ("activity_type", _s), ("mitre_tactic", _s),
        ("severity", _s), ("overlap_with_aa", _s),
        ("source_path", _s), ("source_line", _i),
    ],
    # Use-case pages (`UseCases/uc_*`): one row per (product, technique).
    "use_case_products": [
        ("release", _s), ("use_case", _s), ("vendor", _s), ("product", _s),
        ("technique_id", _s), ("technique_name", _s), ("rules", _i), ("models", _i),
        ("event_types", _s), ("source_path", _s), ("source_line", _i),
        # The product's data-source page, as linked: two products of one name (`Oracle` the
        # database and `Oracle` the CRM on 2020 pages) are told apart by it.
        ("product_page", _s),
    ],
    # The 2021 extra `Activity Types` column of data-source and use-case pages (`<ul><li>` categories).
    "use_case_categories": [
        ("release", _s), ("vendor", _s), ("product", _s), ("use_case", _s), ("category", _s),
        ("source_path", _s), ("source_line", _i),
    ],
    # Parser-config pages (`Ps/pC_*`, `Parsers/parserContent_*`): the config block in the fence.
    "parsers": [
        ("release", _s), ("parser", _s), ("vendor", _s), ("product", _s), ("version", _s),
        ("data_type", _s), ("time_formats", pa.list_(_s)), ("conditions", pa.list_(_s)),
        ("fields", pa.list_(_s)), ("source_path", _s), ("source_line", _i),
    ],
    # `ParsersLegacy/*.md`: old parser name -> new-scale parser name.
    "parser_renames": [
        ("release", _s), ("old_parser", _s), ("new_parser", _s),
        ("source_path", _s), ("source_line", _i),
    ],
    # `MitreMap.md`: rules per technique.
    "technique_rule_counts": [
        ("release", _s), ("tactic", _s), ("technique_id", _s), ("technique_name", _s), ("rules", _i),
        ("source_path", _s), ("source_line", _i),
    ],
    # `MitreMap.md`: the totals its headings state (`### MITRE Techniques: 104`); validate
    # compares them with the techniques the page lists. level: technique, sub-technique, tactic.
    "mitre_totals": [
        ("release", _s), ("level", _s), ("stated", _i), ("source_path", _s), ("source_line", _i),
    ],
    # Root index pages.
    "data_source_index": [
        ("release", _s), ("vendor", _s), ("product", _s), ("page", _s),
        ("source_path", _s), ("source_line", _i),
    ],
    "product_categories": [
        ("release", _s), ("category", _s), ("description", _s), ("vendor", _s), ("product", _s),
        ("source_path", _s), ("source_line", _i),
    ],
    # validate(): one finding per row (data about the docs, not failures of the tool).
    "checks": [
        ("release", _s), ("check", _s), ("severity", _s), ("vendor", _s), ("product", _s),
        ("use_case", _s), ("expected", _s), ("actual", _s), ("message", _s),
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

# activity_parsers is keyed by the event type, not by its spelling of the moment: releases
# wrote `app-login:success (app-login)`, then `app-login` again. diff derives this column as
# the legacy event type when there is one, else the activity type.
TYPE_KEY = "event_type_key"

# Columns that identify a row's meaning (never paths or line numbers): used by diff and to
# sort rows deterministically inside a page.
KEYS: dict[str, tuple[str, ...]] = {
    "products": ("vendor", "product"),
    "use_cases": ("vendor", "product", "use_case"),
    "activity_parsers": ("vendor", "product", "use_case", TYPE_KEY, "parser"),
    "use_case_ttps": ("vendor", "product", "use_case", "technique_id"),
    "attack_matrix": ("vendor", "product", "tactic", "technique_id"),
    "use_case_counts": ("vendor", "product", "use_case"),
    "rules": ("vendor", "product", "use_case", "event_type", "technique_id", "rule_id"),
    "models": ("vendor", "product", "use_case", "event_type", "model_id"),
    "correlation_rules": ("vendor", "product", "use_case", "name"),
    "use_case_products": ("use_case", "vendor", "product", "technique_id"),
    "use_case_categories": ("vendor", "product", "use_case", "category"),
    "parsers": ("parser",),
    "parser_renames": ("old_parser", "new_parser"),
    "technique_rule_counts": ("tactic", "technique_id"),
    "mitre_totals": ("level",),
}

# Tables filled from pages by convert(); the others are derived later (validate's checks).
PAGE_TABLES = tuple(name for name in TABLES if name != "checks")

# Tables whose rows carry counts: diff reports `changed` rows (old_* / new_*) for these columns.
COUNTS: dict[str, tuple[str, ...]] = {
    "products": ("rules", "models", "mitre_ttps", "activity_types", "parsers"),
    "use_cases": ("rules", "models"),
    "use_case_counts": ("rules", "models", "mitre_ttps", "activity_types", "parsers"),
    "technique_rule_counts": ("rules",),
    "mitre_totals": ("stated",),
}

# The page kinds the `pages` table may name.
PAGE_KINDS = (
    "data_source",            # Vendor:/Product: headings with counts and use-case tables
    "data_source_continuation",  # 2_ds_*, 3_ds_*...: more use-case rows for the same product
    "rules_models",           # rules and models of one product and use case
    "parser_config",          # one parser's config block
    "use_case",               # one use case across products
    "correlation_rules",      # correlation rules of one product and use case, or the root list
    "parser_renames",         # old -> new parser names
    "mitre_map",              # rules per ATT&CK technique, whole library
    "index",                  # other root index pages (data sources, product categories, ...)
    "unknown",                # Markdown we could read but did not recognise
    "asset",                  # not Markdown (images, json, ...): listed, not parsed
    "unreadable",             # could not be read or decoded: see issues
)


def schema(table: str) -> pa.Schema:
    return pa.schema([pa.field(name, typ) for name, typ in TABLES[table]])


def columns(table: str) -> list[str]:
    return [name for name, _ in TABLES[table]]
