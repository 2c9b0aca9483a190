"""The search box's language: parsed to plain values, written out as quoted FTS5 strings only."""

from __future__ import annotations

import pytest

from clm.search.highlight import START, STOP, snippet_html, snippet_text
from clm.search.query import describe, parse, to_fts5


@pytest.mark.parametrize("text, fts5", [
    ("indemnify", '("indemnify")'),
    ("indemnify supplier", '("indemnify" AND "supplier")'),
    ('"limitation of liability"', '("limitation of liability")'),
    ("indemnify OR hold harmless", '(("indemnify" OR "hold") AND "harmless")'),
    ("indemnify -insurance", '("indemnify") NOT "insurance"'),
    ('licence -"sub licence" OR royalty', '(("licence" OR "royalty")) NOT "sub licence"'),
    # Operators are text: "NEAR(a" is the phrase "near a", "c*" the word "c".
    ("NEAR(a b) c*", '("near a" AND "b" AND "c")'),
    ("Governing-Law", '("governing law")'),
    ('unclosed "phrase here', '("unclosed" AND "phrase here")'),
])
def test_queries_become_quoted_strings(text, fts5):
    assert to_fts5(parse(text)) == fts5


@pytest.mark.parametrize("hostile", ['"', "*", "(", ":*", "!", "()", "-", "OR", '""', "^", "&|!", "-indemnify"])
def test_punctuation_alone_or_only_exclusions_is_an_empty_query(hostile):
    query = parse(hostile)
    assert query.empty
    with pytest.raises(ValueError):
        to_fts5(query)


def test_no_syntax_survives_in_any_term():
    query = parse('a:* & !b | c^2 "d NEAR e" {f} col:g')
    words = [w for group in query.groups for term in group for w in term.words]
    assert all(w.isalnum() for w in words)
    assert words == ["a", "b", "c", "2", "d", "near", "e", "f", "col", "g"]


def test_long_queries_are_cut_not_refused():
    query = parse(" ".join(f"w{i}" for i in range(500)))
    assert len(query.groups) == 20


def test_describe_says_what_was_understood():
    assert describe(parse('indemnify OR harmless "sole remedy" -insurance')) == \
        '(indemnify OR harmless) AND "sole remedy" NOT insurance'


def test_snippets_escape_the_document_and_mark_only_matched_pairs():
    raw = f'<script>alert(1)</script> the {START}supplier{STOP} & "co" {START}stray'
    html = snippet_html(raw)
    assert html == '&lt;script&gt;alert(1)&lt;/script&gt; the <mark>supplier</mark> &amp; &quot;co&quot; stray'
    assert snippet_text(raw) == '<script>alert(1)</script> the supplier & "co" stray'
