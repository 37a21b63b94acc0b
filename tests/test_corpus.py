"""Corpus invariants: the extractor's tables against counts made independently of it.

The counter below is deliberately simple and shares no code with ``extractor``: it reads each page's
raw text with line regexes (headings, pipe tables, ``<br>``-separated cell items). It is honest about
the odd cases found in the real trees and records them per page as *irregularities*, so that a page
with none of them can be called clean:

* cells are split on unescaped ``|`` only (``\\|`` stays in the cell);
* a ``[Next Page -->>](2_ds_*.md)`` line directly under a use-case table is not a row (GFM would
  glue it to the table as a one-cell row; it carries no use case);
* ``Enrichment`` rows have an empty types and TTP cell and a ``[](RM/...)`` content link;
* type cells read ``app-login:success(app-login)`` in cim2-2025 (new type, old type in brackets);
* TTP cells also list tactics (``TA0002 - TA0002``): they are counted apart, not as techniques;
* ``DS/ds__.md`` has an empty ``Vendor: `` and ``Product: `` heading;
* a ``↳`` parser may stand with no activity type before it (older trees), or without a link.

Every comparison is made per tree and per ``source_path`` (a Counter), so a mismatch says where.
"""
from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

import pytest

try:
    from conftest import CORPUS_ARCHIVES
except ImportError:  # tests/ turned into a package
    from tests.conftest import CORPUS_ARCHIVES

# --------------------------------------------------------------------------------------------
# The independent counter
# --------------------------------------------------------------------------------------------

SETEXT_UNDERLINE = re.compile(r"^ {0,3}(=+|-+)[ \t]*$")
ATX_HEADING = re.compile(r"^ {0,3}#{1,6}(?:[ \t]+(.*?))?(?:[ \t]+#+)?[ \t]*$")
DELIMITER_ROW = re.compile(r"^[ \t]*\|?[ \t]*:?-+:?[ \t]*(\|[ \t]*:?-+:?[ \t]*)*\|?[ \t]*$")
VENDOR = re.compile(r"^Vendor:(.*)$")
PRODUCT = re.compile(r"^Product:(.*)$")
MATRIX_TITLE = re.compile(r"ATT&CK(?:®|&reg;)?\s+(?:Matrix|Framework)\s+for\s+Enterprise", re.I)
CONTINUATION_NAME = re.compile(r"^\d+_ds_.*\.md$")
BR = re.compile(r"<br\s*/?>", re.I)
PARSER_LINK = re.compile(r"^↳\s*\[([^\]]*)\]\(([^)\s]*)\)$")
TECHNIQUE = re.compile(r"^T\d{4}(\.\d{3})? - ")
TACTIC = re.compile(r"^TA\d{4} - ")
MATRIX_LINK = re.compile(r"\]\(\s*<?(https?://attack\.mitre\.org/techniques/[^)\s>]*)")
CELL_SPLIT = re.compile(r"(?<!\\)\|")
MD_ESCAPE = re.compile(r"\\([!-/:-@\[-`{-~])")  # a backslash-escaped ASCII punctuation mark
FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})")

# Header meanings, by what the words say rather than one spelling.
H_USE_CASE = re.compile(r"use[\s-]*case", re.I)
H_TYPES_PARSERS = re.compile(r"(activity|event)\s*types?\b.*/\s*parsers", re.I)
H_TTP = re.compile(r"\bTTPs?\b", re.I)
H_CONTENT = re.compile(r"^content$", re.I)


def split_cells(line: str) -> list[str]:
    s = line.strip()
    if s.startswith("|"):
        s = s[1:]
    if s.endswith("|") and not s.endswith("\\|"):
        s = s[:-1]
    return [c.strip() for c in CELL_SPLIT.split(s)]


@dataclass
class Table:
    header_line: int  # 1-based
    header: list[str]
    rows: list[tuple[int, list[str]]]  # (1-based line, cells)
    trailing: list[str]  # non-pipe lines glued under the table (the Next Page link)


@dataclass
class UseCaseColumns:
    use_case: int
    types: int
    ttp: int
    content: int


def use_case_columns(header: list[str]) -> UseCaseColumns | None:
    def find(rx: re.Pattern) -> int | None:
        hits = [i for i, h in enumerate(header) if rx.search(h)]
        return hits[0] if hits else None

    cols = [find(H_USE_CASE), find(H_TYPES_PARSERS), find(H_TTP), find(H_CONTENT)]
    if None in cols:
        return None
    return UseCaseColumns(*cols)  # type: ignore[arg-type]


@dataclass
class Page:
    path: str
    kind: str | None = None  # data_source / data_source_continuation / None (not counted here)
    vendor: str | None = None
    product: str | None = None
    use_case_rows: int = 0
    enrichment_rows: int = 0
    parser_links: Counter = field(default_factory=Counter)  # parser name -> links (a pair once a cell)
    repeat_lines: set = field(default_factory=set)  # rows whose cell lists a (type, parser) pair twice
    parsers_without_type: int = 0
    types_without_parser: int = 0
    techniques: int = 0
    tactics: int = 0
    matrix_links: int = 0
    irregular: list[str] = field(default_factory=list)

    @property
    def n_parser_links(self) -> int:
        return sum(self.parser_links.values())


def read_blocks(text: str) -> tuple[list[tuple[int, str]], list[Table]]:
    """Headings (line, text) and pipe tables of a page, in order, by plain line rules."""
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    headings: list[tuple[int, str]] = []
    tables: list[Table] = []
    in_fence = None
    i = 0
    while i < len(lines):
        line = lines[i]
        fence = FENCE.match(line)
        if fence:
            mark = fence.group(1)[0]
            if in_fence is None:
                in_fence = mark
            elif in_fence == mark:
                in_fence = None
            i += 1
            continue
        if in_fence:
            i += 1
            continue
        nxt = lines[i + 1] if i + 1 < len(lines) else None
        if "|" in line and nxt is not None and DELIMITER_ROW.match(nxt) and "|" in nxt + line:
            header = split_cells(line)
            t = Table(i + 1, header, [], [])
            j = i + 2
            while j < len(lines) and lines[j].strip():
                if lines[j].lstrip().startswith("|"):
                    t.rows.append((j + 1, split_cells(lines[j])))
                else:
                    t.trailing.append(lines[j])
                j += 1
            tables.append(t)
            i = j
            continue
        m = ATX_HEADING.match(line)
        if m and line.lstrip().startswith("#"):
            headings.append((i + 1, (m.group(1) or "").strip()))
        elif line.strip() and nxt is not None and SETEXT_UNDERLINE.match(nxt) and not line.lstrip().startswith("|"):
            headings.append((i + 1, line.strip()))
            i += 2
            continue
        i += 1
    return headings, tables


def count_page(root: Path, file: Path) -> Page:
    rel = file.relative_to(root).as_posix()
    page = Page(rel)
    raw = file.read_bytes()
    text = raw.decode("utf-8", errors="replace").lstrip("\ufeff")
    if "Vendor:" not in text and not CONTINUATION_NAME.match(file.name):
        return page  # cannot be a data-source page: spare the line scan
    if "\ufffd" in text:
        page.irregular.append("not valid UTF-8")
    headings, tables = read_blocks(text)

    vendor_heads = [(ln, VENDOR.match(h)) for ln, h in headings if VENDOR.match(h)]
    uc_tables = [(t, use_case_columns(t.header)) for t in tables]
    uc_tables = [(t, cols) for t, cols in uc_tables if cols is not None]
    first_is_uc = bool(tables) and use_case_columns(tables[0].header) is not None

    if vendor_heads and uc_tables:
        page.kind = "data_source"
        page.vendor = vendor_heads[0][1].group(1).strip()
        products = [PRODUCT.match(h) for _, h in headings if PRODUCT.match(h)]
        page.product = products[0].group(1).strip() if products else None
        if products and not page.product or not page.vendor:
            page.irregular.append("empty Vendor:/Product: heading")
    elif CONTINUATION_NAME.match(file.name) and first_is_uc:
        page.kind = "data_source_continuation"
    else:
        return page

    for t, cols in uc_tables:
        for trailing in t.trailing:
            if not re.match(r"^\s*\[Next Page", trailing):
                page.irregular.append(f"line {t.header_line}: text glued under the table: {trailing[:60]!r}")
        for ln, cells in t.rows:
            page.use_case_rows += 1
            if len(cells) != len(t.header):
                page.irregular.append(f"line {ln}: {len(cells)} cells under a {len(t.header)}-column header")
            get = lambda k: cells[k] if k < len(cells) else ""  # noqa: E731
            if get(cols.use_case).strip().lower() == "enrichment":
                page.enrichment_rows += 1
            if not re.fullmatch(r"\[[^\]]+\]\(.+\)|Enrichment", get(cols.use_case)):
                page.irregular.append(f"line {ln}: use-case cell {get(cols.use_case)[:60]!r}")
            count_types_cell(page, ln, get(cols.types))
            for item in BR.split(get(cols.ttp)):
                item = item.strip()
                if not item:
                    continue
                if TECHNIQUE.match(item):
                    page.techniques += 1
                elif TACTIC.match(item):
                    page.tactics += 1
                else:
                    page.irregular.append(f"line {ln}: TTP item {item[:60]!r}")
    if page.tactics:
        page.irregular.append(f"{page.tactics} tactic ids (TA....) in the TTP column")

    # The matrix: the first table after the title heading and before the next heading.
    for k, (ln, h) in enumerate(headings):
        if not MATRIX_TITLE.search(h):
            continue
        stop = headings[k + 1][0] if k + 1 < len(headings) else float("inf")
        after = [t for t in tables if ln < t.header_line < stop]
        if after:
            page.matrix_links += sum(len(MATRIX_LINK.findall(c)) for _, cells in after[0].rows for c in cells)
        break
    return page


def count_types_cell(page: Page, ln: int, cell: str) -> None:
    items = [x.strip() for x in BR.split(cell)]
    last_type: str | None = None
    type_has_parser = True
    pairs: set = set()  # (type, parser, target): a repeated line adds no record
    for item in items:
        if not item:
            continue
        if item.startswith("↳"):
            m = PARSER_LINK.match(item)
            if m and (last_type, m.group(1), m.group(2)) in pairs:
                page.repeat_lines.add(ln)
            elif m:
                pairs.add((last_type, m.group(1), m.group(2)))
                page.parser_links[MD_ESCAPE.sub(r"\1", m.group(1))] += 1
            else:
                page.irregular.append(f"line {ln}: parser item without a [name](target) link: {item[:60]!r}")
            if last_type is None:
                page.parsers_without_type += 1
            type_has_parser = True
        else:
            if "↳" in item:
                page.irregular.append(f"line {ln}: '↳' inside a type item: {item[:60]!r}")
            if not type_has_parser:
                page.types_without_parser += 1
            last_type, type_has_parser = item, False
    if not type_has_parser:
        page.types_without_parser += 1
    # Legitimate in older trees, but the extractor may rightly report it: not a clean page.
    if page.parsers_without_type and "parsers with no activity type" not in page.irregular:
        page.irregular.append("parsers with no activity type")


@dataclass(repr=False)
class TreeFacts:
    pages: dict[str, Page]
    _mains: dict | None = None

    def __repr__(self) -> str:  # keeps failure tracebacks short
        return f"<TreeFacts {len(self.pages)} pages, {len(self.ds_pages)} data-source pages>"

    def of_kind(self, kind: str) -> list[Page]:
        return [p for p in self.pages.values() if p.kind == kind]

    @property
    def ds_pages(self) -> list[Page]:
        return [p for p in self.pages.values() if p.kind]

    def counter(self, attr: str) -> Counter:
        return Counter({p.path: getattr(p, attr) for p in self.ds_pages if getattr(p, attr)})

    def main_page_of(self, path: str) -> Page | None:
        """The one data-source main page in the folder of ``path`` (None if none or several)."""
        if self._mains is None:
            self._mains = {}
            for p in self.of_kind("data_source"):
                folder = p.path.rpartition("/")[0]
                self._mains[folder] = None if folder in self._mains else p
        return self._mains.get(path.rpartition("/")[0])

    def totals(self) -> dict[str, int]:
        ds = self.ds_pages
        return {
            "data_source pages": len(self.of_kind("data_source")),
            "continuation pages": len(self.of_kind("data_source_continuation")),
            "use-case rows": sum(p.use_case_rows for p in ds),
            "  of which Enrichment": sum(p.enrichment_rows for p in ds),
            "parser links": sum(p.n_parser_links for p in ds),
            "  parsers with no type": sum(p.parsers_without_type for p in ds),
            "types with no parser": sum(p.types_without_parser for p in ds),
            "TTP technique items": sum(p.techniques for p in ds),
            "  tactic items (not counted)": sum(p.tactics for p in ds),
            "matrix links": sum(p.matrix_links for p in ds),
            "irregular pages": sum(1 for p in ds if p.irregular),
        }


def count_tree(root: Path) -> TreeFacts:
    pages = {}
    for file in sorted(root.rglob("*")):
        if file.is_file() and file.suffix.lower() == ".md":
            page = count_page(root, file)
            pages[page.path] = page
    return TreeFacts(pages)


# --------------------------------------------------------------------------------------------
# Fixtures and helpers
# --------------------------------------------------------------------------------------------

_facts: dict[str, TreeFacts] = {}


@pytest.fixture(params=CORPUS_ARCHIVES)
def case(request, corpus_tree, corpus_converted):
    name = request.param
    root = corpus_tree(name)
    if name not in _facts:
        _facts[name] = count_tree(root)
        print(f"\n[{name}] independent counts:")
        for k, v in _facts[name].totals().items():
            print(f"  {k:32} {v:>8}")
    return Case(name, _facts[name], corpus_converted(name).tables)


class Case(tuple):
    """(facts, tables) with a one-line repr, so failure tracebacks stay readable."""

    def __new__(cls, name, facts, tables):
        self = super().__new__(cls, (facts, tables))
        self.name = name
        return self

    def __repr__(self) -> str:
        return f"<corpus case {self.name}>"


def per_path(df, mask=None) -> Counter:
    if mask is not None:
        df = df[mask]
    return Counter(df["source_path"].astype(str).tolist())


def assert_counters_equal(what: str, mine: Counter, theirs: Counter, limit: int = 15) -> None:
    mine, theirs = +mine, +theirs
    if mine == theirs:
        return
    paths = sorted(set(mine) | set(theirs), key=lambda p: (-abs(mine[p] - theirs[p]), p))
    diffs = [p for p in paths if mine[p] != theirs[p]]
    lines = [
        f"{what}: independent {sum(mine.values())} vs extractor {sum(theirs.values())};"
        f" {len(diffs)} source_path(s) differ (independent / extractor):"
    ]
    lines += [f"  {p}: {mine[p]} / {theirs[p]}" for p in diffs[:limit]]
    if len(diffs) > limit:
        lines.append(f"  ... and {len(diffs) - limit} more")
    pytest.fail("\n".join(lines))


def norm(value) -> str:
    if value is None or (isinstance(value, float) and value != value):
        return ""
    try:
        import pandas as pd

        if pd.isna(value):
            return ""
    except (TypeError, ValueError):
        pass
    return str(value).strip()


# --------------------------------------------------------------------------------------------
# The counter's own odd cases (no corpus needed): written here in the format, not copied
# --------------------------------------------------------------------------------------------

ODD_PAGE = """\
Vendor: 
========
Product: 
--------
| Rules | Models | MITRE TTPs | Event Types | Parsers |
|:-----:|:------:|:----------:|:-----------:|:-------:|
|   1   |   0    |     1      |      2      |    3    |

|  Use-Case  | Activity Types (Legacy Event Type)/Parsers | MITRE ATT&CK® TTP | Content |
|:----:| ---- | ---- | ---- |
| [Uc One](../uc_one.md) | ↳[lonely-parser](Ps/pC_lonely.md)<br><br> a-b:ok(a-b)<br> ↳[p\\|pipe](Ps/pC_p.md)<br> ↳[p2](Ps/pC_p2.md)<br><br> bare-type<br> | T1078 - Valid Accounts<br>TA0002 - TA0002<br>T1136.002 - T1136.002<br> | [<ul><li>1 Rules</li></ul>](RM/r_m_x.md) |
| Enrichment |    |    | [](RM/r_m_x_Enrichment.md) |
[Next Page -->>](2_ds_x.md)

ATT&CK Matrix for Enterprise
----------------------------
| Initial Access | Execution |
| --- | --- |
| [Valid Accounts](https://attack.mitre.org/techniques/T1078)<br><br> | [Sub](https://attack.mitre.org/techniques/T1059/001)<br><br>[Other](https://example.org/x) |
"""


def test_counter_odd_cases(tmp_path):
    (tmp_path / "ds_x.md").write_text(ODD_PAGE, encoding="utf-8")
    (tmp_path / "2_ds_x.md").write_text(ODD_PAGE.split("\n\n", 1)[1].split("[Next Page")[0], encoding="utf-8")
    (tmp_path / "r_m_x.md").write_text("Vendor: V\n------\n| Rules | Models |\n| --- | --- |\n| 1 | 2 |\n", encoding="utf-8")
    facts = count_tree(tmp_path)
    main, cont, rm = facts.pages["ds_x.md"], facts.pages["2_ds_x.md"], facts.pages["r_m_x.md"]
    assert (main.kind, cont.kind, rm.kind) == ("data_source", "data_source_continuation", None)
    assert (main.vendor, main.product) == ("", "")
    assert main.use_case_rows == 2 and main.enrichment_rows == 1
    assert main.parser_links == Counter({"lonely-parser": 1, "p|pipe": 1, "p2": 1})
    assert (main.parsers_without_type, main.types_without_parser) == (1, 1)
    assert (main.techniques, main.tactics) == (2, 1)
    assert main.matrix_links == 2
    assert cont.n_parser_links == 3 and cont.matrix_links == 0
    assert facts.main_page_of("2_ds_x.md") is main
    assert main.irregular and not rm.irregular


def test_counter_atx_vendor_and_fenced_tables(tmp_path):
    page = (
        "# Vendor: Acme\n## Product: Rocket\n\n```\n| Use-Case | Event Types/Parsers | MITRE TTP | Content |\n"
        "| --- | --- | --- | --- |\n| [u](u.md) | t<br> ↳[fenced](f.md) | | |\n```\n\n"
        "| Use-Case | Event Types/Parsers | MITRE TTP | Content |\n| --- | --- | --- | --- |\n"
        "| [u](u.md) | t<br> ↳[real](r.md) | T1078 - Valid Accounts | [x](y.md) |\n"
    )
    (tmp_path / "ds_acme_rocket.md").write_text(page, encoding="utf-8")
    p = count_tree(tmp_path).pages["ds_acme_rocket.md"]
    assert (p.kind, p.vendor, p.product) == ("data_source", "Acme", "Rocket")
    assert p.parser_links == Counter({"real": 1}) and p.techniques == 1 and not p.irregular


# --------------------------------------------------------------------------------------------
# The corpus tests
# --------------------------------------------------------------------------------------------


@pytest.mark.corpus
def test_page_kinds(case):
    facts, tables = case
    pages = tables.pages
    for kind in ("data_source", "data_source_continuation"):
        mine = Counter({p.path: 1 for p in facts.of_kind(kind)})
        theirs = per_path(pages, pages["kind"] == kind)
        assert_counters_equal(f"pages of kind {kind}", mine, theirs)


@pytest.mark.corpus
def test_parser_links(case):
    facts, tables = case
    ap = tables.activity_parsers
    theirs = per_path(ap, ap["parser"].notna())
    assert_counters_equal("parser links (activity_parsers rows with a parser)", facts.counter("n_parser_links"), theirs)


@pytest.mark.corpus
def test_repeated_parser_lines_are_reported_where_they_are(case):
    """A cell that lists one (type, parser) pair twice gives one record and one info issue on
    its row: the rows the independent counter saw repeats on, no more, no fewer."""
    facts, tables = case
    iss = tables.issues
    dup = iss[iss["code"] == "duplicate-parser"]
    theirs = set(zip(dup["source_path"].astype(str), dup["source_line"].astype(int)))
    mine = {(page.path, ln) for page in facts.ds_pages for ln in page.repeat_lines}
    assert theirs == mine, (f"{len(mine - theirs)} row(s) with repeats not reported, e.g. {sorted(mine - theirs)[:3]}; "
                            f"{len(theirs - mine)} reported without repeats, e.g. {sorted(theirs - mine)[:3]}")
    print(f"rows with repeated parser lines: {len(mine)}")


@pytest.mark.corpus
def test_parser_names_per_page(case):
    """Not only how many: the same parser names, link for link, on every page."""
    facts, tables = case
    ap = tables.activity_parsers
    ap = ap[ap["parser"].notna()]
    theirs: dict[str, Counter] = {}
    for path, parser in zip(ap["source_path"].astype(str), ap["parser"].astype(str)):
        theirs.setdefault(path, Counter())[parser] += 1
    bad = []
    for page in facts.ds_pages:
        got = theirs.get(page.path, Counter())
        if got != page.parser_links:
            missing, extra = page.parser_links - got, got - page.parser_links
            bad.append(f"  {page.path}: missing {dict(list(missing.items())[:3])} extra {dict(list(extra.items())[:3])}")
    assert not bad, f"{len(bad)} page(s) whose parser names differ:\n" + "\n".join(bad[:15])


@pytest.mark.corpus
def test_types_without_parser_informative(case):
    facts, tables = case
    ap = tables.activity_parsers
    mine = sum(p.types_without_parser for p in facts.ds_pages)
    theirs = int(ap["parser"].isna().sum())
    print(f"activity types with no parser: independent {mine}, extractor rows with parser null {theirs}")


@pytest.mark.corpus
def test_use_case_ttps(case):
    facts, tables = case
    ttps = tables.use_case_ttps
    ids = ttps["technique_id"].astype(str)
    tactic_rows = int(ids.str.match(r"^TA\d{4}$").sum())
    mine_tactics = sum(p.tactics for p in facts.ds_pages)
    if tactic_rows:
        print(f"use_case_ttps rows holding tactic ids (TA....): {tactic_rows}; TA items in TTP cells: {mine_tactics}")
    # Techniques alone first: says whether the technique items agree, whatever the tactics do.
    assert_counters_equal(
        "TTP technique items vs use_case_ttps rows with a T.... id",
        facts.counter("techniques"),
        per_path(ttps, ~ids.str.match(r"^TA\d{4}$")),
    )
    # Tactic items (`TA0002 - TA0002`) are TTPs too: kept as records marked level "tactic".
    assert_counters_equal(
        "TTP tactic items vs use_case_ttps rows with level tactic",
        facts.counter("tactics"),
        per_path(ttps, (ttps["level"] == "tactic").to_numpy()),
    )
    assert (ttps["level"] == "tactic").sum() == tactic_rows == mine_tactics


@pytest.mark.corpus
def test_attack_matrix(case):
    facts, tables = case
    assert_counters_equal("ATT&CK matrix technique links (attack_matrix rows)", facts.counter("matrix_links"), per_path(tables.attack_matrix))


@pytest.mark.corpus
def test_products_are_main_pages(case):
    facts, tables = case
    mine = Counter({p.path: 1 for p in facts.of_kind("data_source")})
    assert_counters_equal("products rows (one per data-source main page)", mine, per_path(tables.products))


@pytest.mark.corpus
def test_use_case_rows(case):
    facts, tables = case
    assert_counters_equal("use-case table rows (use_cases rows)", facts.counter("use_case_rows"), per_path(tables.use_cases))


@pytest.mark.corpus
def test_main_page_vendor_product(case):
    facts, tables = case
    got = {}
    for path, v, p in zip(tables.products["source_path"], tables.products["vendor"], tables.products["product"]):
        got[str(path)] = (norm(v), norm(p))
    bad = [
        f"  {page.path}: heading {(page.vendor, page.product)} / products {got.get(page.path)}"
        for page in facts.of_kind("data_source")
        if page.path in got and got[page.path] != (norm(page.vendor), norm(page.product))
    ]
    assert not bad, f"{len(bad)} products row(s) whose vendor/product differ from the page headings:\n" + "\n".join(bad[:15])


@pytest.mark.corpus
def test_continuations_are_folded(case):
    """Rows from a continuation page carry the vendor/product of the main page in its folder."""
    facts, tables = case
    ap = tables.activity_parsers
    conts = {p.path for p in facts.of_kind("data_source_continuation")}
    orphans = sorted(c for c in conts if facts.main_page_of(c) is None)
    assert not orphans, f"continuation pages without one main page in their folder: {orphans[:10]}"
    sub = ap[ap["source_path"].isin(conts)]
    assert len(sub) > 0 or not conts, "no activity_parsers rows come from continuation pages"
    bad = []
    for path, v, p in zip(sub["source_path"], sub["vendor"], sub["product"]):
        main = facts.main_page_of(str(path))
        want = (norm(main.vendor), norm(main.product))
        if (norm(v), norm(p)) != want:
            bad.append(f"  {path}: {(norm(v), norm(p))} expected {want} from {main.path}")
    assert not bad, f"{len(bad)} continuation row(s) not folded into their main page:\n" + "\n".join(sorted(set(bad))[:15])
    pages = tables.pages
    if "continues" in pages.columns:
        got = {str(a): norm(b) for a, b in zip(pages["source_path"], pages["continues"])}
        wrong = [
            f"  {c}: continues {got.get(c)!r}, main page {facts.main_page_of(c).path!r}"
            for c in sorted(conts)
            if got.get(c) not in (facts.main_page_of(c).path, PurePosixPath(facts.main_page_of(c).path).name)
        ]
        assert not wrong, "pages.continues does not name the main page:\n" + "\n".join(wrong[:15])


@pytest.mark.corpus
def test_no_issues_on_clean_pages(case):
    """Print every issue; fail on an error or warning on a data-source page that looks clean.

    "Clean" is the independent counter's verdict: every row has the header's cell count, every
    ``↳`` is a link under an activity type, every TTP item is a technique, vendor and product are
    not empty. Irregular pages may carry issues; clean ones should not.
    """
    facts, tables = case
    issues = tables.issues
    print(f"issues: {len(issues)} rows")
    if len(issues):
        print(issues.groupby(["severity", "code"], dropna=False).size().sort_values(ascending=False).to_string())
    ds = {p.path: p for p in facts.ds_pages}
    clean = {path for path, page in ds.items() if not page.irregular}
    flagged = set(issues["source_path"].astype(str))
    silent = sorted(path for path, page in ds.items() if page.irregular and path not in flagged)
    print(f"data-source pages: {len(ds)}, clean {len(clean)}, irregular {len(ds) - len(clean)}"
          f" (of which {len(silent)} with no issue, e.g. {silent[:2]})")
    on_clean = issues[issues["source_path"].isin(clean)]
    severe = on_clean[on_clean["severity"].astype(str).str.lower().isin(["error", "warning"])]
    assert severe.empty, (
        f"{len(severe)} error/warning issue(s) on data-source pages the independent check calls clean:\n"
        + severe[["source_path", "source_line", "severity", "code", "message"]].head(15).to_string()
    )
