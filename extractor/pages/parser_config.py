"""Parser-config pages (`Ps/pC_*`, `Parsers/parserContent_*`): parsers."""
from __future__ import annotations


def extract(result, doc, tables) -> None:
    """Fill result.rows / result.issues from a parsed page of this kind (not written yet)."""
