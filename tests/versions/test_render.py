"""Tests for the redline renderers: JSON, text, HTML and PDF."""

from __future__ import annotations

import json
import re
import zlib
from html.parser import HTMLParser

import pytest

from clm.documents import from_text
from clm.versions import render
from clm.versions.diff import Redline, diff

LONG = "The Supplier shall deliver the Goods to the Customer at the agreed place within thirty days."
PARAS = [f"{k}: {LONG}" for k in range(4)]


def red(old: str, new: str) -> Redline:
    return diff(from_text(old), from_text(new))


def test_to_json_spells_both_versions_and_counts() -> None:
    old, new = "Pay within thirty days.\nKeep.", "Pay within sixty days.\nKeep.\nNew."
    out = render.to_json(red(old, new))
    json.dumps(out)  # serialisable as is
    assert "".join(t for op, t in out["ops"] if op != "insert") == old
    assert "".join(t for op, t in out["ops"] if op != "delete") == new
    assert out["stats"]["words_inserted"] == 2
    assert out["stats"]["words_deleted"] == 1
    assert {op for op, _ in out["ops"]} <= {"equal", "insert", "delete"}


@pytest.mark.parametrize("old, new, expected", [
    ("Pay within thirty days.", "Pay within sixty days.", "Pay within [-thirty-]{+sixty+} days.\n"),
    ("a\nb", "a\nb", "a\nb\n"),
    ("One. Two.", "One.\nTwo.", "One.[- -]{+¶+}\nTwo.\n"),
    # a paragraph end before a wholly new paragraph goes without saying
    ("Keep.", "Keep.\nAdded.", "Keep.\n{+Added.+}\n"),
])
def test_to_text(old: str, new: str, expected: str) -> None:
    assert render.to_text(red(old, new)) == expected


def test_to_text_tags_moves() -> None:
    out = render.to_text(red("\n".join(PARAS), "\n".join([PARAS[0], PARAS[2], PARAS[3], PARAS[1]])))
    assert "[-[moved to M1]-]" in out
    assert "{+[moved from M1]+}" in out


class _Collect(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.ids: list[str] = []
        self.hrefs: list[str] = []
        self.tags: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        self.tags.append((tag, a))
        if a.get("id"):
            self.ids.append(a["id"] or "")
        if a.get("href"):
            self.hrefs.append(a["href"] or "")


def parse(html: str) -> _Collect:
    c = _Collect()
    c.feed(html)
    return c


def test_html_escapes_every_text() -> None:
    evil = '<script>alert("x")</script> & <img src=x onerror=alert(1)>'
    html = render.to_html(red("Plain text.", evil), title="<b>T</b>", old_label="<i>v1</i>", new_label="v2 & co")
    assert "<script>" not in html
    assert "<img" not in html
    assert "&lt;script&gt;" in html
    assert "&lt;b&gt;T&lt;/b&gt;" in html
    assert "&lt;i&gt;v1&lt;/i&gt;" in html
    assert not [t for t, _ in parse(html).tags if t == "script"]


def test_html_has_inline_side_by_side_change_list_and_summary() -> None:
    html = render.to_html(red("Pay within thirty days.\nKeep.", "Pay within sixty days.\nKeep.\nAdded."),
                          title="T", old_label="v1", new_label="v2")
    c = parse(html)
    for section in ("rl-inline", "rl-side", "rl-changes"):
        assert section in c.ids
    assert '<del class="rl-del"' in html and '<ins class="rl-ins"' in html
    # every link of the change list leads to an element of the page
    targets = [h[1:] for h in c.hrefs if h.startswith("#")]
    assert targets and set(targets) <= set(c.ids)
    assert "Words inserted" in html
    assert re.search(r"<td>2</td>", html)  # two changes listed


def test_html_links_the_two_places_of_a_move() -> None:
    html = render.to_html(red("\n".join(PARAS), "\n".join([PARAS[0], PARAS[2], PARAS[3], PARAS[1]])),
                          title="T", old_label="a", new_label="b")
    c = parse(html)
    assert {"m1-from", "m1-to"} <= set(c.ids)
    assert "#m1-to" in c.hrefs and "#m1-from" in c.hrefs
    assert "rl-move-from" in html and "rl-move-to" in html


def test_html_never_has_inline_script_and_can_reference_static_files() -> None:
    html = render.to_html(red("a", "b"), title="T", old_label="a", new_label="b",
                          stylesheet_url="/static/redline.css", script_url="/static/redline.js")
    scripts = [a for t, a in parse(html).tags if t == "script"]
    assert scripts == [{"src": "/static/redline.js", "defer": None}]
    assert "<style>" not in html
    assert "<style>" in render.to_html(red("a", "b"), title="T", old_label="a", new_label="b")


def test_standalone_html_is_a_whole_page() -> None:
    html = render.to_html(red("a", "b"), title="T", old_label="a", new_label="b", standalone=True)
    assert html.lstrip().startswith("<!DOCTYPE html>")
    assert '<meta charset="utf-8">' in html


def test_identical_versions_say_so() -> None:
    html = render.to_html(red("same", "same"), title="T", old_label="a", new_label="b")
    assert "identical" in html


def test_to_pdf_renders_a_summary_page() -> None:
    pdf = render.to_pdf(red("Pay within thirty days.", "Pay within sixty days. <script>x</script>"),
                        title="Redline", old_label="v1", new_label="v2")
    assert pdf.startswith(b"%PDF")
    assert _page_count(pdf) >= 2  # summary page, then the redline


def _page_count(pdf: bytes) -> int:
    """Return the number of page objects, looking inside compressed object streams too."""
    chunks = [pdf]
    for m in re.finditer(rb"stream\r?\n(.*?)endstream", pdf, re.DOTALL):
        try:
            chunks.append(zlib.decompress(m.group(1)))
        except zlib.error:
            pass
    return sum(len(re.findall(rb"/Type\s*/Page(?![a-zA-Z])", c)) for c in chunks)


@pytest.mark.parametrize("url", [
    "file:///etc/passwd",
    "http://example.com/x.css",
    "https://example.com/x.png",
    "data:text/css,body{}",
    "clm-asset:../../errors.py",
])
def test_pdf_fetcher_refuses_everything_but_bundled_assets(url: str) -> None:
    from clm import pdf

    refused: list[str] = []
    fetcher = pdf._fetcher({"redline.css": b"/* css */"}, refused)
    with pytest.raises(ValueError):
        fetcher.fetch(url)
    assert refused == [url]
    assert fetcher.fetch("clm-asset:redline.css").read().startswith(b"/*")


def _change_list(html: str) -> list[str]:
    """Return each change list entry's text (tags removed, white space collapsed)."""
    ol = html[html.index('<ol class="rl-changes">'):]
    ol = ol[:ol.index("</ol>")]
    return [" ".join(re.sub(r"<[^>]+>", " ", li).split()) for li in ol.split("<li>")[1:]]


def test_change_list_entries_without_words_show_where_they_are() -> None:
    """Issue 21: "Paragraphs joined" and an inserted space said nothing about where they were."""
    old = "1. Fees. The Customer pays the fees.\n\nThe Supplier invoices monthly.\n\nTermination. Either party may end it.\n"
    new = "1. Fees. The Customer pays the fees. The Supplier invoices monthly.\n\nTermination.  Either party may end it.\n"
    entries = _change_list(render.to_html(red(old, new), title="T", old_label="v1", new_label="v2"))
    joined = next(e for e in entries if e.startswith("Paragraphs joined"))
    assert "pays the fees. ¶ The Supplier invoices monthly." in joined
    space = next(e for e in entries if e.startswith("Inserted"))
    assert "a space" in space and "The Supplier invoices" in space
    spaces = next(e for e in entries if e.startswith("Replaced"))
    assert "a space 2 spaces" in spaces and "Termination. [here] Either party may end it." in spaces
    for entry in entries:
        assert len(entry.split()) > 2, entry          # every entry says more than its kind
    pdf_html = render.to_html(red(old, new), title="T", old_label="v1", new_label="v2", standalone=True)
    assert "pays the fees. ¶ The Supplier" in pdf_html


def test_change_list_context_is_a_few_words_each_side() -> None:
    words = " ".join(f"w{k}" for k in range(20))
    entries = _change_list(render.to_html(red(f"{words}.\n\nNext {words}.", f"{words}. Next {words}."),
                                          title="T", old_label="v1", new_label="v2"))
    joined = next(e for e in entries if e.startswith("Paragraphs joined"))
    assert joined.endswith("…w14 w15 w16 w17 w18 w19. ¶ Next w0 w1 w2 w3 w4…")
