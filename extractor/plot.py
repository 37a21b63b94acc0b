"""A heatmap of coverage: distinct techniques per use case (rows) and tactic (columns).

A use case's techniques come from its TTP cells; a technique's tactic from the ATT&CK matrix of
the same product. matplotlib is an optional dependency (`pip install extractor[plot]`).
"""
from __future__ import annotations

import pandas as pd

from . import headers
from .errors import ExtractorError
from .load import load, require
from .navigator import Filters

# Kill-chain order for the columns.
TACTIC_ORDER = list(dict.fromkeys(headers.TACTICS.values()))


def technique_tactics(out: str, filters: Filters | None = None) -> pd.DataFrame:
    """use_case x tactic -> number of distinct techniques."""
    filters = filters or Filters()
    t = load(out, categories=False)
    require(t, ("use_case_ttps", "attack_matrix"), out)
    ttps = filters.apply(t["use_case_ttps"])
    ttps = ttps[ttps["level"] != "tactic"][["product", "use_case", "technique_id"]]
    matrix = filters.apply(t["attack_matrix"])[["product", "technique_id", "tactic"]]
    joined = ttps.merge(matrix, on=["product", "technique_id"]).dropna(subset=["use_case", "tactic"])
    joined["tactic"] = joined["tactic"].map(lambda x: headers.tactic(x) or x)
    table = (joined.drop_duplicates(["use_case", "tactic", "technique_id"])
             .pivot_table(index="use_case", columns="tactic", values="technique_id",
                          aggfunc="nunique", fill_value=0))
    columns = [c for c in TACTIC_ORDER if c in table.columns] + [c for c in table.columns if c not in TACTIC_ORDER]
    return table[columns]


def heatmap(out: str, path: str, filters: Filters | None = None, title: str | None = None) -> pd.DataFrame:
    """Draw the heatmap into a PNG at `path`; return the numbers drawn."""
    try:
        import matplotlib
        matplotlib.use("Agg")  # files only, no screen needed
        import matplotlib.pyplot as plt
    except ImportError:
        raise ExtractorError("matplotlib is not installed: pip install 'extractor[plot]'") from None
    data = technique_tactics(out, filters)
    if data.empty:
        raise ExtractorError(f"{out}: no technique with a known tactic to plot")
    height = max(3.0, 0.35 * len(data.index) + 2)
    width = max(6.0, 0.7 * len(data.columns) + 4)
    fig, ax = plt.subplots(figsize=(width, height))
    image = ax.imshow(data.values, cmap="Blues", aspect="auto")
    ax.set_xticks(range(len(data.columns)), labels=data.columns, rotation=45, ha="right")
    ax.set_yticks(range(len(data.index)), labels=data.index)
    peak = data.values.max()
    for (i, j), v in pd.DataFrame(data.values).stack().items():
        if v:
            ax.text(j, i, str(int(v)), ha="center", va="center", fontsize=8,
                    color="white" if v > peak / 2 else "black")
    fig.colorbar(image, ax=ax, label="distinct techniques")
    ax.set_title(title or f"Techniques per tactic and use case ({(filters or Filters()).describe()})")
    fig.tight_layout()
    try:
        fig.savefig(path, dpi=120, format="png")  # (PNG whatever the name ends in, at that very name)
    except OSError as exc:
        raise ExtractorError(f"{path}: {exc.strerror or exc}") from None
    finally:
        plt.close(fig)
    return data
