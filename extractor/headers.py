"""Header and label spellings -> canonical meanings: the one alias table.

The docs spell the same column many ways across releases (`Event Types/Parsers`,
`Activity Types (Legacy Event Type)/Parsers`, `Activity Type(Legacy Event Type)/Parsers`,
`MITRE TTP`, `MITRE ATT&CK® TTP(s)`, ...). Every spelling is normalized (case, ®, spaces,
brackets) and matched by what it means. A new spelling is one line here.
"""
from __future__ import annotations

import difflib
import re

# Canonical column meanings, tried in order; the first pattern that matches wins.
# Patterns see the normalized header: lower case, no ®/™, single spaces.
COLUMN_ALIASES: list[tuple[str, str]] = [
    # (Between the two words any joining mark, or none: `Activity Types<br>Parsers` reads as
    # `activity types parsers`.)
    ("types_parsers", r"(event ?/ ?)?(activity|event) ?types? ?(\(.*\))? ?(/|&|and|with|[-–—+,;:|])? ?parsers?"
                      r"|parsers? ?(/|&|and|[-–—+,;:|])? ?(event ?/ ?)?(activity|event) ?types?( ?\(.*\))?"),
    ("use_case", r"use[ _-]?cases?( names?)?"),
    # (Counts columns may be spelt as counts: `Number of Parsers`, `# TTPs`, `Parsers Count`.)
    ("mitre_ttps", r"(number of |no\.? of |total |# ?(of )?)?(mitre )?(att&ck )?(ttps?|ttp\(s\)|techniques?)( count| total)?"
                   r"|mitre att&ck|mitre (att&ck )?technique ids?"),
    ("content", r"contents?|rules? ?(&|and|/) ?models?"),
    ("rules", r"(number of |no\.? of |total |# ?(of )?)?rules?( count| total)?"),
    ("models", r"(number of |no\.? of |total |# ?(of )?)?models?( count| total)?"),
    ("activity_types", r"(number of |no\.? of |total |# ?(of )?)?(event ?/ ?)?(activity|event) ?types?( ?\(.*\))?"
                       r"( count| total)?"),
    ("parsers", r"(number of |no\.? of |total |# ?(of )?)?parsers?( count| total)?"),
    ("vendor", r"vendors?( names?)?"),
    ("product", r"(products?|data ?sources?)( names?)?"),
    ("old_parser", r"old (parser )?names?|(old|legacy|previous|former) parsers?( names?)?"
                   r"|parsers?( names?)? ?\((old|legacy|previous|former)\)"),
    ("new_parser", r"new(-scale| scale|scale)? (parser )?names?|(new(-scale| scale|scale)?|current) parsers?( names?)?"
                   r"|parsers?( names?)? ?\((new|current)\)"),
    ("rule_name", r"(correlation )?rule ?names?|correlation rules?"),
    ("name", r"names?|titles?"),
    ("description", r"descriptions?"),
    ("mitre_tactic", r"(mitre )?(att&ck )?tactics?"),
    ("severity", r"severity"),
    ("overlap_with_aa", r"overlaps? (with |w/ ?)?aa"),
    ("category", r"(product )?categor(y|ies)"),
    # rules side (page-kinds work): add aliases below this line
    # correlation-rule change log, not a rule list (older logs: `Updated at | Query of Change`;
    # `Updated at` alone is not enough: a rule list may say when each rule last changed)
    ("change_status", r"change status|change type|(query|type|kind) of change"),
    ("change_date", r"change date|date of change"),
    # index side (page-kinds work): add aliases below this line
    ("technique_id", r"(ttp|technique|att&ck) (code|id)s?"),
    ("technique_name", r"technique ?[:/] ?sub-?techniques?|(technique|ttp) names?"),
]
_COMPILED = [(name, re.compile(rf"^(?:{rx})$")) for name, rx in COLUMN_ALIASES]

# What a list holds, by the heading above it (2020 pages list what later pages put in tables):
# `Use Cases`, `Event Types`, `Parsers`, `Supported Data Sources`, `Exabeam Content Library for
# this Use Case` (rules and models lists, told apart by the line above each). Searched in the
# normalized heading, in this order.
LIST_MEANINGS: list[tuple[str, re.Pattern]] = [
    ("content", re.compile(r"content library|\brules?\b|\bmodels?\b")),
    ("activity_types", re.compile(r"\b(activity|event) ?types?\b")),
    ("parsers", re.compile(r"\bparsers?\b")),
    ("use_case", re.compile(r"\buse[ _-]?cases?\b")),
    ("product", re.compile(r"\bdata ?sources?\b|\bproducts?\b")),
]
# The title of the root list of data sources (not `Product Categories`).
DATA_SOURCES_TITLE = re.compile(r"\bdata ?sources?\b", re.IGNORECASE)


def list_meaning(heading: str) -> str | None:
    norm = normalize(heading)
    return next((name for name, rx in LIST_MEANINGS if rx.search(norm)), None)


# ATT&CK Enterprise tactics: header spellings -> Navigator shortname.
TACTICS: dict[str, str] = {
    "reconnaissance": "reconnaissance",
    "resource development": "resource-development",
    "initial access": "initial-access",
    "execution": "execution",
    "persistence": "persistence",
    "privilege escalation": "privilege-escalation",
    "defense evasion": "defense-evasion",
    "defense impairment": "defense-evasion",
    "stealth": "stealth",
    "credential access": "credential-access",
    "discovery": "discovery",
    "lateral movement": "lateral-movement",
    "collection": "collection",
    "command and control": "command-and-control",
    "command & control": "command-and-control",
    "exfiltration": "exfiltration",
    "impact": "impact",
}

# Their names as ATT&CK writes them (the matrix column is recorded so, whatever the page's case).
_TACTIC_TITLES = {name: " ".join(w if w in ("and", "&") else w.capitalize() for w in name.split())
                  .replace("&", "and") for name in TACTICS}

# Headings: "Vendor: X", "Product: X", "Use-Case: X", and the matrix title in its spellings
# (`ATT&CK Matrix for Enterprise`, `MITRE ATT&CK® Framework for Enterprise`).
# (Both may share one heading: `Vendor: Acme / Product: Acme Gate`.)
# (The label ends with a colon, or a dash with a blank before it: `Use Case - Malware`.)
_SEP = r"(?::|\s[-–—])"
VENDOR_LABEL = re.compile(rf"^\s*vendor\s*{_SEP}\s*(.*?)(?:\s*[/|,;]\s*product\s*{_SEP}.*)?$", re.IGNORECASE)
PRODUCT_LABEL = re.compile(rf"^(?:\s*vendor\s*{_SEP}.*?[/|,;])?\s*product\s*{_SEP}\s*(.*)$", re.IGNORECASE)
USE_CASE_LABEL = re.compile(rf"^\s*use[ _-]?case\s*{_SEP}\s*(.*)$", re.IGNORECASE)
MATRIX_TITLE = re.compile(r"att&ck.*(matrix|framework)|(matrix|framework).*att&ck", re.IGNORECASE)
CHANGE_LOG_TITLE = re.compile(r"change[\s-]?log", re.IGNORECASE)
RULES_MODELS_TITLE = re.compile(r"rules?\b.*\bby\b.*\bproduct", re.IGNORECASE)
PARSER_CONTENT_TITLE = re.compile(r"parser\s*content", re.IGNORECASE)
# A total the MitreMap page states in a heading: `MITRE Techniques: 104`, `MITRE
# Sub-techniques: 96`, `Number of tactics - 14`, `Techniques (104)`. Strict on purpose: a
# title such as `Top 10 techniques` states no total.
MITRE_TOTAL_LABEL = re.compile(
    r"^\W*(?:(?:mitre|att&ck®?|enterprise|number\s+of|total|count\s+of)\s+)*"
    r"(?P<level>sub[\s_-]?techniques?|techniques?|tactics?)(?:\s+(?:count|total|covered))?"
    r"\s*(?:[:=–—-]\s*|\(\s*)(?P<count>\d[\d,]*)\s*\)?\s*$",
    re.IGNORECASE)

# Links between the pages of one data source (`[Next Page -->>](2_ds_x.md)`).
# The words of a navigation line between the pages of one product (`Next Page -->>`,
# `<< Previous`, `Next: page 2`): nothing else but digits, arrows and punctuation.
NAV_TEXT = re.compile(r"(?:next|previous|prev|page|[\d\W_])*", re.IGNORECASE)
NAV_WORD = re.compile(r"next|prev|page", re.IGNORECASE)


def normalize(header: str) -> str:
    """Lower case, no ®/™/(R), `(s)` plurals spelt out, `[...]` as `(...)`, single spaces, no
    colon at the end (`Use-Case:`, `Parser(s)`, `Activity Types [Legacy Event Type]`).
    Nor U+FFFD: an ® written in Latin-1 reads so (and is reported as invalid UTF-8)."""
    text = header.replace("®", "").replace("™", "").replace("\ufffd", "").lower()
    text = text.replace("(r)", "").replace("(s)", "s").replace("[", "(").replace("]", ")")
    return " ".join(text.split()).rstrip(":").rstrip()


_MEANINGS: dict = {}  # header text -> meaning: a release spells each header a few ways only


def meaning(header: str) -> str | None:
    """Canonical meaning of a column header, or None when unknown."""
    try:
        return _MEANINGS[header]
    except KeyError:
        pass
    norm = normalize(header)
    found = next((name for name, rx in _COMPILED if rx.match(norm)), None)
    if len(_MEANINGS) < 65536:
        _MEANINGS[header] = found
    return found


def tactic(header: str) -> str | None:
    """Navigator shortname of an ATT&CK tactic header, or None."""
    return TACTICS.get(normalize(header))


def tactic_title(header: str) -> str | None:
    """The tactic's name as ATT&CK writes it (`Defense evasion` -> `Defense Evasion`), or None."""
    return _TACTIC_TITLES.get(normalize(header))


def closest_tactic(header: str) -> str | None:
    """The tactic a misspelt header most likely means (`Privilage escalation`), or None when
    none is close: at most about one letter in ten may differ."""
    found = difflib.get_close_matches(normalize(header), list(TACTICS), n=1, cutoff=0.85)
    return _TACTIC_TITLES[found[0]] if found else None
