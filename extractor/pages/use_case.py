"""Use-case pages (`UseCases/uc_*`): use_case_products."""
from __future__ import annotations


def extract(result, doc, tables) -> None:
    """Fill result.rows / result.issues from a parsed page of this kind (not written yet)."""
