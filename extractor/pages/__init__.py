"""Page kinds: recognise what a page is by what it contains, and extract its records.

One module per page kind turns a parsed document into rows. File names are only hints: a page
is a data-source page because it has the data-source tables, wherever it lives.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from .. import headers
from ..markdown import B_OPEN, Doc, text_of
from .parser_config import NAME_KEY, parse_config


@dataclass(slots=True)  # (one per page: slots make it, and each access to it, cheaper)
class PageResult:
    path: str
    kind: str
    size: int
    vendor: str | None = None
    product: str | None = None
    rows: dict = field(default_factory=dict)  # table name -> [tuple, ...] (no release column)
    issues: list = field(default_factory=list)
    next_pages: list = field(default_factory=list)  # pages this one says continue it
    continues: str | None = None  # for continuation pages: the data-source page they extend

    def add(self, table: str, row: tuple) -> None:
        rows = self.rows.get(table)  # (setdefault would make an empty list at every call)
        if rows is None:
            self.rows[table] = [row]
        else:
            rows.append(row)

    def extend(self, table: str, rows: list) -> None:
        have = self.rows.get(table)  # (as in add)
        if have is None:
            self.rows[table] = list(rows)
        else:
            have.extend(rows)


def table_kind(header_meanings: tuple, names: tuple, under_matrix_title: bool) -> str | None:
    """What a table holds, judged by its columns' meanings (and a matrix title above it)."""
    m = set(header_meanings)
    # (An older spelling may head the types-and-parsers column `Parsers` alone.)
    # (An older spelling may head the types-and-parsers column `Parsers` alone, beside an
    # `Activity Types` column of categories, or of the types themselves.)
    if "use_case" in m and ("types_parsers" in m or "parsers" in m):
        return "use_cases"
    # The same table with its types-and-parsers column spelt some way nobody knows: still the
    # use-case table (its use cases, TTPs and content are read; the unknown column is an
    # unknown-column issue, not the loss of the whole table).
    if {"use_case", "mitre_ttps", "content"} <= m and not m & _RULE_LIST_COLUMNS:
        return "use_cases"
    named = [n for n in names if n]
    tactics = sum(1 for n in named if headers.tactic(n))
    # Tactic columns make a matrix: at least three (or half the columns), or every column when
    # a product covers only two tactics (its matrix title may be spelled any way).
    if under_matrix_title or tactics >= max(3, len(named) // 2) or (tactics >= 2 and tactics == len(named)):
        return "matrix"
    # A counts table: `Rules | Models | MITRE TTPs | Activity Types | Parsers`, only count
    # columns, Rules and Parsers among them (the `Event Type | Rules | Models` detail table
    # never has Parsers).
    k = m & COUNT_MEANINGS
    if m == k and {"rules", "parsers"} <= m:
        # (unless its first row holds no numbers but items: a detail table with a Parsers
        # column, `Event Type | Parsers | Rules | Models`, which classify() tells)
        return LIKELY_COUNTS if _detail_kind(m) else "counts"
    # Mostly count columns but one more or one less (`Correlation Rules`, no `Parsers`): a
    # counts table only if its first row holds numbers, which classify() checks (a detail
    # table with a TTP column has the same header meanings). Tables that name products, use
    # cases or vendors hold text, never counts.
    if "rules" in k and k & {"parsers", "mitre_ttps"} and len(k) >= 3 and 2 * len(k) > len(names) \
            and not m & _TEXT_COLUMNS:
        return MAYBE_COUNTS
    return _detail_kind(m)


# Columns of correlation-rule lists, which may name a use case too.
_RULE_LIST_COLUMNS = frozenset({"rule_name", "name", "mitre_tactic", "severity", "description"})
COUNT_MEANINGS = frozenset({"rules", "models", "mitre_ttps", "activity_types", "parsers"})
_TEXT_COLUMNS = frozenset({"product", "use_case", "vendor", "types_parsers", "content"})
MAYBE_COUNTS = "counts?"
LIKELY_COUNTS = "counts!"


def _detail_kind(m: set) -> str | None:
    if "activity_types" in m and m & {"rules", "models"}:
        return "rules_models"
    return None


_NO_COUNT = {"", "-", "–", "—", "n/a", "na"}


def _numbers_first_row(table, meanings) -> bool:
    """Whether the table is one row holding a whole number (or nothing, or `-`) in every count
    column, and numbers in two at least: a counts row, not a detail row that happens to
    start with a number (`| 4624 | | |`)."""
    return len(table.rows) == 1 and _numbers_row(table.rows[0], meanings)


def _items_row(row, meanings) -> bool:
    """Whether the row's Rules or Models cell lists items (`<b>ID</b>`, `↳`, `•`): a detail
    row, where a counts row holds numbers (or odd counts, reported as such)."""
    for cell, m in zip(row.cells, meanings):
        if m in ("rules", "models"):
            for tok in cell:
                if tok is B_OPEN or (type(tok) is str and ("↳" in tok or "•" in tok)):
                    return True
    return False


def _numbers_row(row, meanings) -> bool:
    """Whether every count column of the row holds a whole number (or nothing, or `-`), two
    at least."""
    values = [text_of(c) for c, m in zip(row.cells, meanings) if m in COUNT_MEANINGS]
    numbers = [v for v in values if v.lower() not in _NO_COUNT]
    return len(numbers) >= 2 and all(v.replace(",", "").isdigit() for v in numbers)


# (header names, under a matrix title) -> (table kind, meanings, whether a use-case table, whether a
# correlation-rule table): few repeat, and what the meanings say is judged once for each
_KINDS: dict = {}


_MATRIX_HEADINGS: dict = {}  # heading text -> whether it is a matrix title: headings repeat


def _table_kind(names: tuple, heading_text: str) -> tuple:
    matrix = _MATRIX_HEADINGS.get(heading_text)
    if matrix is None:
        matrix = bool(headers.MATRIX_TITLE.search(heading_text))
        if len(_MATRIX_HEADINGS) >= 8192:
            _MATRIX_HEADINGS.clear()
        _MATRIX_HEADINGS[heading_text] = matrix
    key = (names, matrix)
    found = _KINDS.get(key)
    if found is None:
        meanings = tuple(headers.meaning(n) for n in names)
        found = (table_kind(meanings, names, key[1]), meanings, _use_case_table(meanings),
                 _correlation_table(meanings))
        if len(_KINDS) < 4096:
            _KINDS[key] = found
    return found


# Columns only a correlation-rule list has (rules-and-models tables have none of them). The
# change log shares the name and may grow these; its change columns keep it out.
_CORRELATION_COLUMNS = {"mitre_tactic", "severity", "overlap_with_aa"}


def _correlation_table(meanings) -> bool:
    m = set(meanings)
    # (`Rule` alone heads the names too: beside two correlation columns, not a count)
    return bool(m & {"name", "rule_name", "rules"}) and len(m & _CORRELATION_COLUMNS) >= 2 and not (
        m & {"change_status", "change_date"})


def _use_case_table(meanings) -> bool:
    """A use-case page's table: `Product | MITRE ATT&CK® TTP | Content` (no Use Case column,
    which data-source tables have; index pages list products without TTPs or content)."""
    m = set(meanings)
    return {"product", "mitre_ttps", "content"} <= m and not m & {"use_case", "types_parsers", "vendor", "category"}


def _has_parser_block(doc: Doc) -> bool:
    """A code block holds a parser config: the first block names one (the old test, kept), or
    any block parses to one (a page may show a `Sample Log` block before its config)."""
    if any("Name" in c.text and "=" in c.text for c in doc.code[:1]):
        return True
    # The Name key is only a cheap hint; a parse decides. Rare: parser pages without a
    # `Parser Content` heading (tested first) whose first block is not the config.
    return any("=" in c.text and NAME_KEY.search(c.text) and parse_config(c.text)["parser"] is not None
               for c in doc.code)


_DATA_SOURCE_LISTS = ("use_case", "activity_types", "parsers")


def _list_meaning(block) -> str | None:
    return headers.list_meaning(block.heading.text) if block.heading else None


# What a heading's text says, as bits: headings repeat across pages (`Parser Content` on
# thousands), so each text is matched against the patterns once.
_VENDOR, _PRODUCT, _USE_CASE, _USE_CASE_TEXT, _CORRELATION, _RM_TITLE, _PARSER_CONTENT, \
    _CHANGE_LOG, _DATA_SOURCES = (1 << i for i in range(9))
_HEADING_BITS: dict = {}


def _heading_bits(text: str) -> int:
    bits = _HEADING_BITS.get(text)
    if bits is None:
        bits = 0
        if headers.VENDOR_LABEL.match(text):
            bits |= _VENDOR
        if headers.PRODUCT_LABEL.match(text):
            bits |= _PRODUCT
        if headers.USE_CASE_LABEL.match(text):
            bits |= _USE_CASE | (_USE_CASE_TEXT if text else 0)
        if not bits:  # a title, not a label
            if "correlation" in text.lower():
                bits |= _CORRELATION
            if headers.RULES_MODELS_TITLE.search(text):
                bits |= _RM_TITLE
        if headers.PARSER_CONTENT_TITLE.search(text):
            bits |= _PARSER_CONTENT
        if headers.CHANGE_LOG_TITLE.search(text):
            bits |= _CHANGE_LOG
        if headers.DATA_SOURCES_TITLE.search(text):
            bits |= _DATA_SOURCES
        if len(_HEADING_BITS) < 8192:
            _HEADING_BITS[text] = bits
    return bits


_NONE: frozenset = frozenset()  # (what a page without tables has of table kinds and meanings)


def classify(doc: Doc) -> tuple[str, list]:
    """(page kind, [(table, table kind, column meanings)]), judged by headings and tables."""
    tables = []
    use_case_table = correlation_table = False  # whether any table is one (both read off meanings)
    for t in doc.tables:
        kind, meanings, is_use_case, is_correlation = _table_kind(tuple(map(text_of, t.header)),
                                                                  t.heading.text if t.heading else "")
        use_case_table = use_case_table or is_use_case
        correlation_table = correlation_table or is_correlation
        if kind == MAYBE_COUNTS:
            kind = "counts" if _numbers_first_row(t, meanings) else _detail_kind(set(meanings))
        elif kind == LIKELY_COUNTS:
            kind = _detail_kind(set(meanings)) if t.rows and _items_row(t.rows[0], meanings) else "counts"
        tables.append((t, kind, list(meanings)))
    # (Most pages, parser pages, have no table: nothing to gather from them.)
    kinds = {k for _, k, _ in tables} if tables else _NONE
    meanings_seen = {m for _, _, ms in tables for m in ms} if tables else _NONE
    seen = 0  # what any heading says
    for h in doc.headings:
        bits = _HEADING_BITS.get(h.text)  # (_heading_bits, without its call when it is known)
        seen |= _heading_bits(h.text) if bits is None else bits
    first = _heading_bits(doc.headings[0].text) if doc.headings else 0  # what the page's first heading says
    has_vendor = bool(seen & _VENDOR)
    has_product = bool(seen & _PRODUCT)
    if "use_cases" in kinds:
        if has_vendor or has_product or "counts" in kinds or "matrix" in kinds:
            return "data_source", tables
        return "data_source_continuation", tables
    # (Correlation and rules-and-models titles are looked for in titles, not in labels.)
    correlation = bool(seen & _CORRELATION)
    # (The page's title only: a rules page may have a `changelog` section below its rules.)
    if correlation and ({"change_status", "change_date"} & meanings_seen or first & _CHANGE_LOG):
        return "index", tables  # the correlation-rule change log: changes, not the rules
    # Titles vary (`Rules by Product and UseCase`, none at all: then only the `Use-Case:` label
    # is left, which use-case pages share), so the tables decide when they are clear.
    if not use_case_table and (correlation_table or (
            correlation and (has_vendor or {"rule_name", "name"} & meanings_seen))):
        return "correlation_rules", tables
    has_use_case_label = bool(seen & _USE_CASE)
    if seen & _RM_TITLE or "rules_models" in kinds or (
        # a rules-and-models page whose detail table is broken still has its counts
        "counts" in kinds and has_vendor and has_use_case_label
    ):
        return "rules_models", tables
    if has_vendor and has_product and "counts" in kinds:
        return "data_source", tables  # its use-case table is missing or broken: reported there
    if has_vendor and has_product and any(_list_meaning(b) in _DATA_SOURCE_LISTS for b in doc.lists):
        return "data_source", tables  # the 2020 layout: lists, not tables
    if seen & _PARSER_CONTENT or _has_parser_block(doc):
        return "parser_config", tables
    if {"old_parser", "new_parser"} <= meanings_seen:
        return "parser_renames", tables
    if use_case_table or seen & _USE_CASE_TEXT:
        return "use_case", tables  # the title may be just the use case's name
    if "matrix" in kinds and not has_vendor:
        return "mitre_map", tables
    if not doc.tables and first & _DATA_SOURCES and any(i.links for b in doc.lists for i in b.items):
        return "index", tables  # `Exabeam Data Sources` of 2021: lists of links under vendor headings
    if doc.tables:
        return "index", tables
    return "unknown", tables


# page kind -> module in this package with extract(result, doc, tables)
_EXTRACTORS = {
    "data_source": "datasource",
    "data_source_continuation": "datasource",
    "rules_models": "rules_models",
    "correlation_rules": "correlation",
    "use_case": "use_case",
    "parser_config": "parser_config",
    "parser_renames": "index",
    "mitre_map": "index",
    "index": "index",
}


# page-kind module -> the tables it fills (to skip the modules a run does not need)
FILLS = {
    "datasource": {"products", "use_cases", "activity_parsers", "use_case_ttps", "attack_matrix",
                   "use_case_categories"},
    "rules_models": {"use_case_counts", "rules", "models"},
    "correlation": {"correlation_rules"},
    "use_case": {"use_case_products", "use_case_categories", "rules", "models"},
    "parser_config": {"parsers"},
    "index": {"parser_renames", "technique_rule_counts", "mitre_totals", "data_source_index",
              "product_categories"},
}


def module_of(kind: str) -> str | None:
    return _EXTRACTORS.get(kind)


def modules_for(tables) -> frozenset | None:
    """The page-kind modules needed to fill `tables` (None: all of them)."""
    if tables is None:
        return None
    return frozenset(m for m, filled in FILLS.items() if filled & set(tables))


def extract(result: PageResult, doc: Doc, modules: frozenset | None = None) -> None:
    """Classify the page and extract its records (only with the modules asked for)."""
    kind, tables = classify(doc)
    result.kind = kind
    name = _EXTRACTORS.get(kind)
    if name and (modules is None or name in modules):
        _MODULES[name].extract(result, doc, tables)


# The page-kind modules, imported with the package (they import PageResult from here, so
# below it): the worker processes of a conversion are forked from this one and find them
# loaded, where each worker would otherwise import them again (40 ms of CPU apiece).
from . import correlation, datasource, index, parser_config, rules_models, use_case  # noqa: E402

_MODULES = {module.__name__.rsplit(".", 1)[1]: module
            for module in (correlation, datasource, index, parser_config, rules_models, use_case)}
