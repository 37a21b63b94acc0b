"""Rules-and-models pages (`RM/r_m_*`, `Rules_Models/`): use_case_counts, rules, models."""
from __future__ import annotations


def extract(result, doc, tables) -> None:
    """Fill result.rows / result.issues from a parsed page of this kind (not written yet)."""
