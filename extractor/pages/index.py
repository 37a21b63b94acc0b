"""Root index pages: parser_renames (`ParsersLegacy/*`), technique_rule_counts (`MitreMap.md`), data_source_index, product_categories."""
from __future__ import annotations


def extract(result, doc, tables) -> None:
    """Fill result.rows / result.issues from a parsed page of this kind (not written yet)."""
