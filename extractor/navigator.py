"""ATT&CK Navigator layers (layer format 4.5) from the extracted tables.

One technique entry per (technique, tactic): the tactic comes from the data-source pages'
ATT&CK matrix (its column), the score from the rules naming the technique when the rules
table has any, else from the use cases naming it. Filters narrow the coverage to a vendor,
product, use case or release.
"""
from __future__ import annotations

import json
from dataclasses import dataclass

import pandas as pd

from . import __version__, headers
from .errors import OutputNotWritable
from .load import load, require

LAYER_VERSION = "4.5"
NAVIGATOR_VERSION = "5.1.0"
ATTACK_VERSION = "16"
DOMAIN = "enterprise-attack"
# Diff layers: one colour per change.
_GRADIENT = ["#ffffffff", "#66b1ffff", "#08306bff"]
DIFF_COLORS = {"added": "#31a354", "removed": "#de2d26", "kept": "#c6dbef"}


@dataclass
class Filters:
    vendor: str | None = None
    product: str | None = None
    use_case: str | None = None
    release: str | None = None

    def apply(self, frame: pd.DataFrame) -> pd.DataFrame:
        for col in ("vendor", "product", "use_case", "release"):
            want = getattr(self, col)
            if want is not None and col in frame.columns:
                frame = frame[frame[col].astype("string").str.casefold() == want.casefold()]
        return frame

    def describe(self) -> str:
        parts = [f"{k}={v}" for k, v in vars(self).items() if v is not None]
        return ", ".join(parts) or "all products"


def _frames(out: str, filters: Filters) -> dict:
    t = load(out, categories=False)
    require(t, ("attack_matrix", "use_case_ttps"), out)
    return {name: filters.apply(t[name]) for name in ("attack_matrix", "use_case_ttps", "rules") if name in t}


def coverage(out: str, filters: Filters | None = None) -> pd.DataFrame:
    """One row per (technique_id, tactic): score, products, use cases, rule count, name."""
    filters = filters or Filters()
    f = _frames(out, filters)
    matrix, ttps = f["attack_matrix"], f["use_case_ttps"]
    ttps = ttps[ttps["level"] != "tactic"]  # a layer lists techniques; tactics are its columns
    rules = f.get("rules")
    rules = rules if rules is not None and len(rules) else None
    # The use-case filter applies to use_case_ttps and rules; the matrix has no use case, so
    # keep only its techniques that the filtered use cases name.
    if filters.use_case is not None:
        matrix = matrix[matrix["technique_id"].isin(set(ttps["technique_id"]))]
    tactics = matrix[["technique_id", "tactic"]].drop_duplicates()
    tactics = tactics.assign(shortname=tactics["tactic"].map(lambda t: headers.tactic(t) if isinstance(t, str) else None))
    names = pd.concat([matrix[["technique_id", "technique_name"]], ttps[["technique_id", "technique_name"]]])
    names = names.dropna().drop_duplicates("technique_id").set_index("technique_id")["technique_name"]

    per_tech: dict = {}
    for tid, group in ttps.groupby("technique_id"):
        per_tech.setdefault(tid, {})["use_cases"] = sorted(set(group["use_case"].dropna()))
        per_tech[tid]["products"] = sorted(set(group["product"].dropna()))
    for tid, group in matrix.groupby("technique_id"):
        entry = per_tech.setdefault(tid, {})
        entry["products"] = sorted(set(entry.get("products", [])) | set(group["product"].dropna()))
    if rules is not None:
        for tid, group in rules.dropna(subset=["technique_id"]).groupby("technique_id"):
            per_tech.setdefault(tid, {})["rules"] = int(group["rule_id"].nunique())

    rows = []
    for tid, info in sorted(per_tech.items()):
        uc = info.get("use_cases", [])
        n_rules = info.get("rules", 0)
        score = n_rules if rules is not None else len(uc)
        shorts = tactics[tactics["technique_id"] == tid]["shortname"].dropna().unique().tolist() or [None]
        for short in sorted(shorts, key=lambda s: s or ""):
            rows.append({"technique_id": tid, "tactic": short, "score": score, "rules": n_rules,
                         "use_cases": uc, "products": info.get("products", []),
                         "technique_name": names.get(tid)})
    return pd.DataFrame(rows, columns=["technique_id", "tactic", "score", "rules", "use_cases",
                                       "products", "technique_name"])


def _entry(row, color: str | None = None, comment: str | None = None) -> dict:
    entry = {
        "techniqueID": row["technique_id"],
        "score": int(row["score"]),
        "color": color or "",
        "comment": comment or f"{len(row['use_cases'])} use case(s), {row['rules']} rule(s)",
        "enabled": True,
        "metadata": [
            {"name": "products", "value": ", ".join(row["products"])[:2000]},
            {"name": "use cases", "value": ", ".join(row["use_cases"])[:2000]},
        ],
        "links": [],
        "showSubtechniques": False,
    }
    if isinstance(row["tactic"], str):
        entry["tactic"] = row["tactic"]
    return entry


def _layer(name: str, description: str, techniques: list, max_score: int, legend: list) -> dict:
    return {
        "name": name,
        "versions": {"attack": ATTACK_VERSION, "navigator": NAVIGATOR_VERSION, "layer": LAYER_VERSION},
        "domain": DOMAIN,
        "description": description,
        "filters": {"platforms": ["Windows", "Linux", "macOS", "Network", "PRE", "Containers",
                                  "IaaS", "SaaS", "Office Suite", "Identity Provider"]},
        "sorting": 3,
        "layout": {"layout": "side", "aggregateFunction": "max", "showID": True, "showName": True,
                   "showAggregateScores": False, "countUnscored": False, "expandedSubtechniques": "annotated"},
        "hideDisabled": False,
        "techniques": techniques,
        # Navigator (and mitreattack-python) need maxValue - minValue >= colours - 1.
        "gradient": {"colors": _GRADIENT, "minValue": 0, "maxValue": max(len(_GRADIENT) - 1, max_score)},
        "legendItems": legend,
        "metadata": [{"name": "generated by", "value": f"extractor {__version__}"}],
        "links": [],
        "showTacticRowBackground": False,
        "tacticRowBackground": "#dddddd",
        "selectTechniquesAcrossTactics": True,
        "selectSubtechniquesWithParent": False,
        "selectVisibleTechniques": False,
    }


def layer(out: str, filters: Filters | None = None, name: str | None = None) -> dict:
    """A Navigator layer of the coverage in output folder `out`."""
    filters = filters or Filters()
    cov = coverage(out, filters)
    techniques = [_entry(row) for _, row in cov.iterrows()]
    max_score = int(cov["score"].max()) if len(cov) else 1
    what = "rules" if len(cov) and cov["rules"].sum() else "use cases"
    legend = [{"label": f"score = {what} naming the technique", "color": "#66b1ff"}]
    return _layer(name or f"Exabeam coverage ({filters.describe()})",
                  f"Techniques covered, scored by the {what} that name them; {filters.describe()}.",
                  techniques, max_score, legend)


def diff_layer(old: str, new: str, filters: Filters | None = None) -> dict:
    """A layer colouring techniques added (green), removed (red) and kept from OLD to NEW."""
    filters = filters or Filters()
    a, b = coverage(old, filters), coverage(new, filters)
    ka = {(r.technique_id, r.tactic) for r in a.itertuples()}
    kb = {(r.technique_id, r.tactic) for r in b.itertuples()}
    techniques = []
    for _, row in b.iterrows():
        change = "kept" if (row["technique_id"], row["tactic"]) in ka else "added"
        techniques.append(_entry(row, DIFF_COLORS[change], f"{change} from {old} to {new}"))
    for _, row in a.iterrows():
        if (row["technique_id"], row["tactic"]) not in kb:
            techniques.append(_entry(row, DIFF_COLORS["removed"], f"removed from {old} to {new}"))
    legend = [{"label": k, "color": v} for k, v in DIFF_COLORS.items()]
    max_score = max([t["score"] for t in techniques] or [1])
    return _layer(f"Exabeam coverage changes ({filters.describe()})",
                  f"Techniques added, removed and kept between {old} and {new}.", techniques, max_score, legend)


def write(layer_: dict, path: str) -> None:
    try:
        with open(path, "w", encoding="utf-8") as fh:
            json.dump(layer_, fh, indent=2)
            fh.write("\n")
    except OSError as exc:
        raise OutputNotWritable(f"{path}: {exc.strerror or exc}") from None
