"""Correlation-rule pages (`CR/c_r_*`) and the root correlation-rule index: correlation_rules."""
from __future__ import annotations


def extract(result, doc, tables) -> None:
    """Fill result.rows / result.issues from a parsed page of this kind (not written yet)."""
