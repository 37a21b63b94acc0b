"""Rows remembered between pages (markdown._remembered): a page whose table rows were read on
an earlier page must give exactly the document it gives when read first, whatever the context
the same line stands in there. Expected documents come from parsing the page with nothing
remembered (the plain path), and a few values are read off the pages by hand."""
from __future__ import annotations

import pytest
from hypothesis import given, settings, strategies as st

from extractor import markdown

RULES = ("<b>T1078 - Valid Accounts</b><br> ↳ <b>Auth-Blacklist-Shost</b>: User authenticated "
         "from a blacklisted host<br> ↳ <b>Auth-Tor-Shost</b>: User authenticated from Tor")
ROW = f"| app-login | {RULES} | • <b>AE-UA-F</b>: Abnormal user agent |"
HEAD = "| Event Type | Rules | Models |\n| ---- | ---- | ---- |\n"


def _doc(text: str, warm_with: str | None = None):
    markdown.forget_rows()
    if warm_with is not None:
        markdown.parse(warm_with)
    doc = markdown.parse(text)
    markdown.forget_rows()
    return doc


def _shape(doc):
    return {
        "tables": [(t.line, t.header, [(r.line, r.cells, r.missing, r.extra) for r in t.rows], t.truncated)
                   for t in doc.tables],
        "code": [(c.line, c.info, c.text) for c in doc.code],
        "headings": [(h.level, h.text, h.line, h.links) for h in doc.headings],
        "links": doc.links,
        "spans": doc.spans,
        "lists": [(b.line, b.lead, [(i.line, i.text, i.links) for i in b.items]) for b in doc.lists],
    }


FIRST = "# Rules\n\n" + HEAD + ROW + "\n"

# The same row line on a second page, in other contexts.
CASES = {
    "same table": "Vendor: X\n---------\n\n" + HEAD + "| x | y | z |\n" + ROW + "\n" + ROW + "\n",
    "wider table": "| a | b | c | d |\n|---|---|---|---|\n" + ROW + "\n",
    "narrower table": "| a | b |\n|---|---|\n" + ROW + "\n",
    "in a code block": "```\n" + HEAD + ROW + "\n```\n",
    "in an html block": "<div>\n" + ROW + "\n</div>\n",
    "a header there": ROW + "\n| --- | --- | --- |\n| 1 | 2 | 3 |\n",
    "a paragraph": "some text\n" + ROW + "\n",
    "after a lone pipe": HEAD + "|\n" + ROW + "\n",
    "last line, no newline": HEAD + ROW,
    "crlf": (HEAD + ROW + "\n").replace("\n", "\r\n"),
    "indented": HEAD + "  " + ROW + "\n",
    "in a block quote": "> " + HEAD.replace("\n", "\n> ") + ROW + "\n",
    "in a list item": "- item\n\n  " + HEAD.replace("\n", "\n  ") + ROW + "\n",
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_a_remembered_row_reads_as_it_would_fresh(case):
    text = CASES[case]
    assert _shape(_doc(text, warm_with=FIRST)) == _shape(_doc(text))


def test_the_row_is_remembered_and_read_off_the_page():
    markdown.forget_rows()
    markdown.parse(FIRST)
    doc = markdown.parse(CASES["same table"])
    markdown.forget_rows()
    rows = doc.tables[0].rows
    assert [r.line for r in rows] == [6, 7, 8]
    assert rows[0].key is None  # short: never remembered
    assert rows[1].key == rows[2].key == ROW.encode()
    # read off the row by hand: event type, then the rules cell's tokens
    assert rows[1].cells[0] == ["app-login"]
    assert rows[1].cells[1][:5] == [markdown.B_OPEN, "T1078 - Valid Accounts", markdown.B_CLOSE,
                                    markdown.BR, " ↳ "]
    assert markdown.text_of(rows[1].cells[2]) == "• AE-UA-F: Abnormal user agent"


def test_a_link_definition_on_the_page_is_honoured():
    # `[x]` is a link only where the page defines it: a remembered row must not keep the
    # plain text it was on a page without the definition.
    row = "| app-login | see [x] for the rules of this activity type, and the models too | - |"
    first = HEAD + row + "\n"
    second = HEAD + row + "\n\n[x]: https://example.com/x\n"
    doc = _doc(second, warm_with=first)
    assert doc.tables[0].rows[0].cells[1][1] == ("a", "https://example.com/x", "x")
    assert _shape(doc) == _shape(_doc(second))


def test_rows_are_not_shared_between_widths():
    doc = _doc(CASES["wider table"], warm_with=FIRST)
    row = doc.tables[0].rows[0]
    assert (len(row.cells), row.missing) == (4, 1)
    doc = _doc(CASES["narrower table"], warm_with=FIRST)
    row = doc.tables[0].rows[0]
    assert (len(row.cells), row.extra) == (2, True)


def _rm_page(vendor: str, product: str, detail: str) -> str:
    return (f"Vendor: {vendor}\n------------------\n"
            f"### Product: [{product}](../ds_x.md)\n### Use-Case: [Account Manipulation](../uc.md)\n\n"
            "| Rules | Models | MITRE ATT&CK® TTPs | Activity Types | Parsers |\n"
            "|:-----:|:------:|:------------------:|:--------------:|:-------:|\n"
            "|   3   |   1    |         1          |       2        |    1    |\n\n" + HEAD + detail)


def test_pages_sharing_rows_each_get_their_records(tmp_path):
    from pagetools import convert, issues, rows

    # The same two long rows on the pages of two products, at other lines (the second page has
    # a short row first); the second row has a rule before any technique: an issue on each
    # page, at its own line.
    stray = ("| app-activity | ↳ <b>Stray-Rule</b>: a rule written before any technique line, "
             "which the grammar reports | |")
    detail = ROW + "\n" + stray + "\n"
    a = "DS/Acme/gate/RM/r_m_acme_gate_Account_Manipulation.md"
    b = "DS/Birch/vault/RM/r_m_birch_vault_Account_Manipulation.md"
    t = convert(tmp_path, {a: _rm_page("Acme", "Gate", detail),
                           b: _rm_page("Birch", "Vault", "| x-type | | |\n" + detail)})
    expect = []
    for (vendor, product, path, first) in (("Acme", "Gate", a, 12), ("Birch", "Vault", b, 13)):
        lead = (vendor, product, "Account Manipulation")
        expect += [
            (*lead, "app-login", "T1078", "Valid Accounts", "Auth-Blacklist-Shost",
             "User authenticated from a blacklisted host", path, first),
            (*lead, "app-login", "T1078", "Valid Accounts", "Auth-Tor-Shost", "User authenticated from Tor",
             path, first),
            (*lead, "app-activity", None, None, "Stray-Rule",
             "a rule written before any technique line, which the grammar reports", path, first + 1),
        ]
    got = rows(t, "rules")
    assert sorted(got, key=repr) == sorted(expect, key=repr)
    assert rows(t, "models") == [
        ("Acme", "Gate", "Account Manipulation", "app-login", "AE-UA-F", "Abnormal user agent", a, 12),
        ("Birch", "Vault", "Account Manipulation", "app-login", "AE-UA-F", "Abnormal user agent", b, 13),
    ]
    found = [i for i in issues(t) if i[2] == "rule-without-technique"]
    assert found == [(a, 13, "rule-without-technique"), (b, 14, "rule-without-technique")]


_TOKENS = st.one_of(
    st.text(alphabet=" \t\u00a0\u2003ab-", max_size=4),
    st.just(markdown.BR),
    st.sampled_from([("h", "<b>"), ("h", "</b>")]),
    st.builds(lambda t: ("a", "x.md", t), st.text(alphabet=" \u00a0b", max_size=3)),
)


@given(st.lists(_TOKENS, max_size=6))
def test_has_text_says_what_text_of_shows(cell):
    # (has_text answers the nav-row and glued-heading checks without building the text.)
    assert markdown.has_text(cell) == bool(markdown.text_of(cell))


# Pages made of lines drawn from one pool, so that two pages share row lines in all sorts of
# contexts: the second page must read the same whether the first was read before it or not.
_PAD = " and a long description that makes the row worth remembering, as real rows are"
_POOL = [
    "| app-login | <b>T1078 - Valid Accounts</b><br> ↳ <b>R-1</b>: first" + _PAD + " | • <b>M-1</b>: m |",
    "| app-login | ↳ [p-one](Ps/pC_pone.md)<br> ↳ [p-two](Ps/pC_ptwo.md)" + _PAD + " |",
    "| a `code | span` cell | b \\| escaped pipe | c" + _PAD + " |",
    "| [x] reference-style link, [y][x] too | <br clear=\"all\"> tag" + _PAD + " | &amp; entity |",
    "| only one cell here, but a long one" + _PAD + _PAD + " |",
    "| one | two | three | four | five" + _PAD + " |",
    "| a | b | c |",
    "| --- | --- | --- |",
    "| --- | --- |",
    "|---|---|---|---|",
    "",
    "```",
    "> | app-login | quoted row" + _PAD + " |",
    "> | --- | --- |",
    "- item",
    "  | app-login | indented row" + _PAD + " |",
    "[x]: https://example.com/x",
    "# Heading",
    "Some paragraph text.",
    "|",
    "<div>",
    "</div>",
    "    | code by indent | row" + _PAD + " |",
]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(_POOL), min_size=1, max_size=14),
       st.lists(st.sampled_from(_POOL), min_size=1, max_size=14))
def test_any_page_reads_the_same_with_rows_remembered(first, second):
    text = "\n".join(second) + "\n"
    assert _shape(_doc(text, warm_with="\n".join(first) + "\n")) == _shape(_doc(text))
    # and with the page itself read before (every row line of it remembered)
    assert _shape(_doc(text, warm_with=text)) == _shape(_doc(text))
