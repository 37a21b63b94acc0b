"""Packed cells (markdown.parse(pack=...)): the Rules and Models cells of rules-and-models pages
are parsed with `<b>`, `</b>`, `<br>` written as characters, for speed. Everything read from a
page must be the same as from the usual parse: these tests parse the same Markdown both ways."""
from __future__ import annotations

import os

import pytest
from hypothesis import given, settings, strategies as st

from extractor import cells, pages
from extractor.markdown import Packed, parse, text_of, unpack

from conftest import CORPUS_ARCHIVES


def _pack_all(names, heading):
    return range(len(names))


def _both(markdown_cell: str) -> tuple[list, list]:
    """(the cell parsed the usual way, the same cell parsed packed)."""
    page = f"| a |\n| - |\n| {markdown_cell} |\n"
    plain = parse(page).tables[0].rows[0].cells[0]
    packed = parse(page, pack=_pack_all).tables[0].rows[0].cells[0]
    return plain, packed


@pytest.mark.parametrize("text, expected", [
    ("<b>T1078 - Valid Accounts</b><br> ↳ <b>R-1</b>: one", [("T1078", "Valid Accounts", "R-1", "one")]),
    ("<b>T1078</b><br> ↳ <b>R-1</b>", [("T1078", None, "R-1", None)]),
    ("<b>T1078 - V</b><br> ↳ R-1: plain id", [("T1078", "V", "R-1", "plain id")]),
    ("<b>T1078 - V</b><br><b>R-1</b>: no arrow", [("T1078", "V", "R-1", "no arrow")]),
    # text the parser splits into several events (an entity, an escape): one text when packed
    ("<b>T1078 - V &amp; W</b><br> ↳ <b>R-1</b>: a \\* b &lt;c&gt;", [("T1078", "V & W", "R-1", "a * b <c>")]),
    # a code span keeps its tags as text; a link makes the cell more than one text
    ("<b>T1078 - V</b><br> ↳ <b>R-1</b>: see `<b>x</b>`", [("T1078", "V", "R-1", "see <b>x</b>")]),
    ("<b>T1078 - V</b><br> ↳ <b>R-1</b>: see [the <br>doc](d<b>.md)", [("T1078", "V", "R-1", "see the doc")]),
    ("<b>T1078 - V</b><br/> ↳ <b>R-1</b>: other br", [("T1078", "V", "R-1", "other br")]),
    ("", []),
])
def test_rule_items_packed_and_not(text, expected):
    plain, packed = _both(text)
    assert type(plain) is list
    assert cells.rule_items(plain) == (expected, [])
    assert cells.rule_items(packed) == (expected, [])
    assert unpack(packed) == plain


@pytest.mark.parametrize("text, packed", [
    ("<b>T1078 - V</b><br> ↳ <b>R-1</b>: one", True),
    ("<b>T1078 - V &amp; W</b><br> ↳ <b>R-1</b>: a \\* b", True),
    ("", False),                                                # no tag
    ("<b>T1078 - V</b><br> ↳ <b>R-1</b>: see `<b>x</b>`", False),  # a tag in a code span is text
    ("<b>T</b><br> ↳ <b>R-1</b>: [doc](d<b>.md)", False),      # ... and in a link's address
    ("<b>T</b><br> ↳ <b>R-1</b>: a <http://x<b>>", False),      # an autolink only when packed
    ("<b>T</b><br> ↳ <a title=x<b>>", False),                   # a tag only when packed
])
def test_which_cells_are_packed(text, packed):
    assert (type(_both(text)[1]) is Packed) is packed


@pytest.mark.parametrize("text, expected", [
    (" • <b>M-1</b>: one<br> • <b>M-2</b>: two: three", [("M-1", "one"), ("M-2", "two: three")]),
    ("• <b>M-1</b>", [("M-1", None)]),
    ("<b>M-1</b>: no bullet", [("M-1", "no bullet")]),
    ("• <b>M-1</b>: a<br>stray words", [("M-1", "a")]),
])
def test_model_items_packed_and_not(text, expected):
    plain, packed = _both(text)
    assert cells.model_items(plain)[0] == expected
    assert cells.model_items(packed) == cells.model_items(plain)


def test_a_bad_line_gives_the_same_issue_packed():
    plain, packed = _both("<b>T1078 - V</b><br> ↳ <b>R-1</b>: a<br> ↳ <br> ↳ <b>R-2</b>: b")
    found = cells.rule_items(packed)
    assert found == cells.rule_items(plain)
    assert [r[2] for r in found[0]] == ["R-1", "R-2"]
    assert [code for code, _ in found[1]] == ["bad-rule-item"]


PAGE = """# <b>Rules</b> and Models: [Acme <br>Cloud](../ds.md)

Vendor: Acme
============
Product: Acme Cloud
===================
Use-Case: Abnormal Auth
=======================

| Rules | Models | MITRE TTPs | Activity Types | Parsers |
|-------|--------|------------|----------------|---------|
| 2 | 1 | 1 | 1 | 1 |

| Event Type | Rules | Models |
|------------|-------|--------|
| app-login<br>(old-login) | <b>T1078 - Valid Accounts</b><br> ↳ <b>R-1</b>: one<br> ↳ <b>R-2</b>: two | • <b>M-1</b>: m |

A paragraph with <b>bold</b> and a [link<br>here](x.md).
"""


def _doc_as_read(doc) -> tuple:
    tables = [([unpack(c) for c in t.header], [(r.line, [unpack(c) for c in r.cells], r.missing, r.extra)
                                               for r in t.rows], t.line, t.truncated, t.heading) for t in doc.tables]
    return (doc.headings, tables, doc.links, doc.code, doc.lists, doc.spans)


def test_a_page_reads_the_same_packed():
    plain = parse(PAGE)
    packed = parse(PAGE, pack=pages.packed_columns)
    assert packed.packed and not plain.packed
    detail = packed.tables[1]
    assert [type(c) for c in detail.rows[0].cells] == [list, Packed, Packed]  # only Rules and Models
    assert _doc_as_read(packed) == _doc_as_read(plain)
    assert plain.links[-1][:2] == ("x.md", "link here")
    assert plain.headings[0].text == "Rules and Models: Acme Cloud"


@pytest.mark.parametrize("page", [
    "| Event Type | Rules | Models |\n|-|-|-|\n| a | \\<b>T1078 - V</b> | x |\n",  # an escaped tag
    "| Event Type | Rules | Models |\n|-|-|-|\n| a | <b>T1078 - V</b> | x |\n<br>\n",  # a tag alone on a line
    "| Event Type | Rules | Models |\n|-|-|-|\n| a | [x](<b>) ↳ <b>R</b>: y | x |\n",  # a destination in <>
    "| Event Type | Rules | Models |\n|-|-|-|\n| a | \u2e30 ↳ <b>R</b>: y | x |\n",  # one of our characters
])
def test_pages_where_a_tag_may_not_be_html_are_not_packed(page):
    doc = parse(page, pack=pages.packed_columns)
    assert not doc.packed
    assert _doc_as_read(doc) == _doc_as_read(parse(page))


_HEAD = ("Vendor: Acme\n============\nProduct: Acme Cloud\n===================\n"
         "Use-Case: Abnormal Auth\n=======================\n\n"
         "| Rules | Models | MITRE TTPs | Activity Types | Parsers |\n|-|-|-|-|-|\n| 2 | 1 | 1 | 1 | 1 |\n\n")


def _rm_page(event_type="app-login", rules="<b>T1078 - V</b><br> ↳ <b>R-1</b>: one",
             models="• <b>M-1</b>: m", after="") -> str:
    return _HEAD + f"| Event Type | Rules | Models |\n|-|-|-|\n| {event_type} | {rules} | {models} |\n" + after


def _extracted_both_ways(page: str, monkeypatch) -> tuple:
    from extractor import extract

    data = page.encode("utf-8")
    packed = extract.extract_bytes("RM/r_m_x.md", data)
    with monkeypatch.context() as m:
        m.setattr(extract, "_ITEM_MARKS", ())  # no page is parsed packed
        plain = extract.extract_bytes("RM/r_m_x.md", data)
    return ([(r.kind, r.rows, r.issues) for r in (packed, plain)])


# Pages where a tag is not inline HTML between texts, or a character is not a tag (found by a
# review of this change): each must read exactly as without packing.
@pytest.mark.parametrize("page", [
    _rm_page(models="• <b>M-1</b>: a • <b>M-2</b> \\: b"),                  # text split by an escape
    _rm_page(models="• <b>M-1</b>: a •&nbsp;<b>M-2</b>: b"),                 # ... by an entity
    _rm_page(rules="<b>T1078 - V</b><br> ↳ <b>R-1</b>: a &#x2E3C;% b"),     # entities that are ours
    _rm_page(rules="<b>T1078 - V</b><br> ↳ <b>R-1</b>: [x](&#x2e30;)"),
    _rm_page(event_type="<a title=x<b>>"),                                   # a tag only when packed
    _rm_page(event_type="<!X <b>>"),                                         # a declaration
    _rm_page(rules="<b>T1078 - V</b><br> ↳ <b>R-1</b>: a <http://x<b>>"),   # an autolink only when packed
    _rm_page(event_type="[<B>]", after="\n[<b>]: http://u\n"),             # a reference label
    _rm_page(after="\r<br>\r"),                                            # lone CR line ends
    _rm_page(after="\n<br>\x0c\n| a | b |\n"),                             # form feed is a blank
    _rm_page(after="\n<a title=x<br>>\n| a | b |\n"),                      # an HTML block only when packed
    _rm_page(after="\n> [lbl]:\n> <br> \"t\"\n"),                         # a definition behind `>`
    _rm_page(after="\n```<b>\ncode\n```\n"),                               # a code fence's info
    _rm_page(after="\n```\n<b>code</b>\n```\n"),                           # a code block
    _rm_page(rules="<b>T1078 - V</b><br> ↳ <b>R-1</b>: `<br>`"),            # a code span
    _rm_page(rules="<b>T1078 - V</b><br> ↳ <b>R-1</b>: one <!x <br> ↳ <b>R-2</b>: two"),  # a declaration
    _rm_page(rules="<b>T1078 - V</b><br> ↳ <b>R-1</b>: one [x](<br>' ') two"),  # an angle address
    "Vendor: <b>Acme</b>\\\n\x0c\n" + _rm_page()[len("Vendor: Acme\n"):],  # `\` before a form feed
])
def test_pages_where_a_tag_is_not_html_read_the_same(page, monkeypatch):
    packed, plain = _extracted_both_ways(page, monkeypatch)
    assert packed == plain
    assert packed[0] == "rules_models"


def test_a_clean_page_is_read_packed_and_the_same(monkeypatch):
    from extractor import extract

    page = _rm_page()
    doc, _ = extract._parse(page, page.encode("utf-8"))
    assert doc.packed
    packed, plain = _extracted_both_ways(page, monkeypatch)
    assert packed == plain
    assert packed[1]["rules"] == [("Acme", "Acme Cloud", "Abnormal Auth", "app-login", "T1078", "V", "R-1", "one",
                                   "RM/r_m_x.md", 14)]


_PIECES = st.sampled_from([
    "<b>", "</b>", "<br>", "<br/>", " ↳ ", " • ", "T1078 - Valid Accounts", "R-1", ": ", "x", " ",
    "&amp;", "\\*", "*", "**", "_", "`<b>`", "[l](u.md)", "[a<br>b](<b>.md)", "<i>", ";", ",", "%",
])


@settings(max_examples=300, deadline=None)
@given(st.lists(_PIECES, max_size=20))
def test_any_cell_reads_the_same_packed(pieces):
    plain, packed = _both("".join(pieces))
    assert cells.rule_items(packed) == cells.rule_items(plain)
    assert cells.model_items(packed) == cells.model_items(plain)
    assert text_of(unpack(packed)) == text_of(plain)


@pytest.mark.corpus
@pytest.mark.parametrize("name", CORPUS_ARCHIVES)
def test_corpus_rules_and_models_read_the_same_packed(corpus_tree, name):
    """On every real rules-and-models page, the packed parse gives the same items and issues."""
    tree = corpus_tree(name)
    checked = 0
    for folder, _, files in os.walk(tree):
        for file in files:
            data = open(os.path.join(folder, file), "rb").read()
            if not file.endswith(".md") or "\u21b3 <b>".encode() not in data:
                continue
            text = data.decode("utf-8", "replace")
            data = text.encode("utf-8")
            plain, packed = parse(text, data), parse(text, data, pack=pages.packed_columns)
            for a, b in zip(plain.tables, packed.tables):
                for ra, rb in zip(a.rows, b.rows):
                    for ca, cb in zip(ra.cells, rb.cells):
                        if type(cb) is Packed:
                            checked += 1
                            assert cells.rule_items(cb) == cells.rule_items(ca)
                            assert cells.model_items(cb) == cells.model_items(ca)
    assert checked > 1000
