"""validate(): is the docs tree consistent with itself?

Each counts table is compared with the detail it summarizes, use-case pages with data-source
pages, and links with the pages that exist. The docs are not always consistent: a finding is
data about the docs, not a failure of the tool.
"""
from __future__ import annotations

import os
import posixpath
from dataclasses import dataclass, field

import pandas as pd

from . import schema, writer
from .convert import release_frames

CHECK_COLUMNS = [name for name, _ in schema.TABLES["checks"]]

# check -> what it compares (the summary prints these)
CHECKS = {
    "counts-activity-types": "products.activity_types against the distinct activity types of the product's use-case rows",
    "counts-mitre-ttps": "products.mitre_ttps against the distinct techniques of the product's TTP cells",
    "counts-parsers": "products.parsers against the distinct parsers of the product's use-case rows",
    "use-case-rm-counts": "a use-case row's rule/model counts against the counts table of the rules-and-models page it links",
    "rm-rule-items": "a rules-and-models page's rule count against the distinct rule ids it lists",
    "rm-model-items": "a rules-and-models page's model count against the distinct model ids it lists",
    "use-case-page-missing": "a product's use case that the use-case page does not list",
    "use-case-page-extra": "a use-case page's product that has no such use case on its data-source page",
    "broken-link": "a link to a page that is not in the tree",
    "mitre-totals": "a total stated in a MitreMap heading against the distinct techniques (sub-techniques, tactics) its tables list",
}


@dataclass
class Validation:
    release: str
    checks: pd.DataFrame
    counts: dict = field(default_factory=dict)  # check -> findings
    skipped: list = field(default_factory=list)  # checks not run: a table they compare was not converted

    def to_dict(self) -> dict:
        return {"release": self.release, "findings": int(len(self.checks)), "by_check": self.counts,
                "skipped": self.skipped}


def _finding(check, vendor, product, use_case, expected, actual, message, path, line):
    return {"check": check, "severity": "warning", "vendor": vendor, "product": product,
            "use_case": use_case, "expected": None if expected is None else str(expected),
            "actual": None if actual is None else str(actual), "message": message,
            "source_path": path, "source_line": None if pd.isna(line) else int(line)}


def _counts_vs_detail(t: dict, out: list) -> None:
    k = ["vendor", "product"]
    ap, ttps = t["activity_parsers"], t["use_case_ttps"]
    detail = {
        "activity_types": ("counts-activity-types", ap.groupby(k, dropna=False)["activity_type"].nunique()),
        "mitre_ttps": ("counts-mitre-ttps", ttps.groupby(k, dropna=False)["technique_id"].nunique()),
        "parsers": ("counts-parsers", ap.groupby(k, dropna=False)["parser"].nunique()),
    }
    for row in t["products"].itertuples(index=False):
        for col, (check, series) in detail.items():
            stated = getattr(row, col)
            if pd.isna(stated):
                continue
            found = int(series.get((row.vendor, row.product), 0))
            if int(stated) != found:
                out.append(_finding(check, row.vendor, row.product, None, int(stated), found,
                                    f"counts table says {col} {int(stated)}, the use-case rows hold {found}",
                                    row.source_path, row.source_line))


def _resolve(path: str, url) -> str | None:
    if not isinstance(url, str) or not url or "://" in url or url.startswith(("#", "mailto:")):
        return None
    return posixpath.normpath(posixpath.join(posixpath.dirname(path), url.split("#", 1)[0]))


def _rm_counts(t: dict, out: list) -> None:
    ucc = t["use_case_counts"]
    if not len(ucc):
        return
    by_page = ucc.drop_duplicates("source_path").set_index("source_path")
    for row in t["use_cases"].itertuples(index=False):
        target = _resolve(row.source_path, row.rm_page)
        if target is None or target not in by_page.index:
            continue
        rm = by_page.loc[target]
        for col in ("rules", "models"):
            mine, theirs = getattr(row, col), rm[col]
            if pd.isna(mine) or pd.isna(theirs):
                continue
            if int(mine) != int(theirs):
                out.append(_finding("use-case-rm-counts", row.vendor, row.product, row.use_case,
                                    int(theirs), int(mine),
                                    f"use-case row says {int(mine)} {col}, {target} says {int(theirs)}",
                                    row.source_path, row.source_line))



def _rm_items(t: dict, out: list) -> None:
    ucc = t["use_case_counts"]
    if not len(ucc):
        return
    by_page = ucc.drop_duplicates("source_path").set_index("source_path")
    for table, check, idcol in (("rules", "rm-rule-items", "rule_id"), ("models", "rm-model-items", "model_id")):
        items = t.get(table)
        if items is None:
            continue
        listed = items.groupby("source_path")[idcol].nunique()
        col = table
        for path, row in by_page.iterrows():
            stated = row[col]
            if pd.isna(stated):
                continue
            found = int(listed.get(path, 0))
            if int(stated) != found:
                out.append(_finding(check, row["vendor"], row["product"], row["use_case"], int(stated), found,
                                    f"counts table says {col} {int(stated)}, the page lists {found} distinct ids",
                                    path, row["source_line"]))


def _use_case_pages(t: dict, out: list) -> None:
    ucp = t.get("use_case_products")
    if ucp is None or not len(ucp):
        return
    # Only rows that name vendor and product can be matched: 2020 use-case pages name neither
    # vendors nor (on some) any product, and are not compared.
    ucp = ucp[ucp["vendor"].notna() & ucp["product"].notna()]
    on_ds = set(zip(t["use_cases"]["use_case"], t["use_cases"]["vendor"], t["use_cases"]["product"]))
    on_uc = set(zip(ucp["use_case"], ucp["vendor"], ucp["product"]))
    listed_cases = set(ucp["use_case"])
    for uc, vendor, product in sorted(on_ds - on_uc, key=str):
        if uc in listed_cases:  # only use cases that have a page of their own
            out.append(_finding("use-case-page-missing", vendor, product, uc, "listed", "absent",
                                f"{vendor} / {product} has use case {uc!r}, its use-case page does not list it",
                                None, None))
    first = ucp.drop_duplicates(["use_case", "vendor", "product"]).set_index(["use_case", "vendor", "product"])
    for key in sorted(on_uc - on_ds, key=str):
        row = first.loc[key]
        out.append(_finding("use-case-page-extra", key[1], key[2], key[0], "absent", "listed",
                            f"use-case page lists {key[1]} / {key[2]}, whose data-source page has no such use case",
                            row["source_path"], row["source_line"]))


def _links(t: dict, out: list) -> None:
    existing = set(t["pages"]["source_path"])
    seen = set()
    for table, col in (("activity_parsers", "parser_page"), ("use_cases", "rm_page"), ("use_cases", "use_case_page")):
        frame = t[table]
        for path, url, line, vendor, product in zip(frame["source_path"], frame[col], frame["source_line"],
                                                    frame["vendor"], frame["product"]):
            target = _resolve(path, url)
            if target is None or target in existing or (path, target) in seen:
                continue
            seen.add((path, target))
            out.append(_finding("broken-link", vendor, product, None, target, "missing",
                                f"{col} link {url!r} leads to no page", path, line))


def _counted_as(level: str, tid: str) -> bool:
    """Whether the page counts `tid` in its total of techniques or sub-techniques. Its
    technique total counts every id without a sub-technique part, the tactic ids its counts
    table lists (`TA0010`) too: on cim2-2026.6.1, 104 = 95 `T####` + 9 `TA####`."""
    return ("." in tid) == (level == "sub-technique")


def _mitre_totals(t: dict, out: list) -> None:
    totals, listed = t.get("mitre_totals"), t.get("technique_rule_counts")
    if totals is None or not len(totals) or listed is None:
        return
    ids: dict = {}  # page -> distinct technique ids its tables list
    for path, tid in zip(listed["source_path"], listed["technique_id"]):
        ids.setdefault(path, set()).add(tid)
    for row in totals.itertuples(index=False):
        if row.level == "tactic":
            continue  # the matrix's columns are not kept (an empty one leaves no record): no count to hold it to
        n = sum(1 for tid in ids.get(row.source_path, ()) if _counted_as(row.level, tid))
        if pd.isna(row.stated) or int(row.stated) == n:
            continue
        out.append(_finding("mitre-totals", None, None, None, int(row.stated), n,
                            f"the page states {int(row.stated)} {row.level}s, its tables list {n}",
                            row.source_path, row.source_line))


def validate(src: str = "out", out: str | None = None) -> Validation:
    """Consistency findings of a docs tree or an output folder; written to `out` when given."""
    t, release = release_frames(os.fspath(src), "validate one release (REPO@REF) or one convert output")
    findings: list = []
    # A conversion of some tables only (`--tables`) lacks the others: a check runs when every
    # table it compares is there (an absent table is not an empty one).
    skipped: list = []
    for check, needs, names in (
            (_counts_vs_detail, ("products", "activity_parsers", "use_case_ttps"),
             ("counts-activity-types", "counts-mitre-ttps", "counts-parsers")),
            (_rm_counts, ("use_cases", "use_case_counts"), ("use-case-rm-counts",)),
            (_rm_items, ("use_case_counts",), ("rm-rule-items", "rm-model-items")),
            (_use_case_pages, ("use_cases", "use_case_products"), ("use-case-page-missing", "use-case-page-extra")),
            (_links, ("pages", "activity_parsers", "use_cases"), ("broken-link",)),
            (_mitre_totals, ("mitre_totals", "technique_rule_counts"), ("mitre-totals",))):
        if all(t.get(name) is not None for name in needs):
            check(t, findings)
        else:
            skipped.extend(names)
    checks = pd.DataFrame(findings, columns=CHECK_COLUMNS[1:])
    checks["source_line"] = checks["source_line"].astype("Int64")  # not float for want of a line
    checks.insert(0, "release", release)
    counts = {c: int((checks["check"] == c).sum()) for c in CHECKS}
    result = Validation(release, checks, {c: n for c, n in counts.items() if n}, skipped)
    if out is not None:
        import pyarrow as pa
        table = pa.Table.from_pandas(checks, schema=schema.schema("checks"), preserve_index=False)
        writer.write(os.fspath(out), {"checks": table}, {"kind": "validate", **result.to_dict()})
    return result
