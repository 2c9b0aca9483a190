"""A version's document as its reader sees it: structure kept, nothing unsafe let through, signatures in place."""

from __future__ import annotations

import io
import re
import struct
import zlib

import docx
import jinja2
import pytest
from docx.shared import Inches

from clm.clauses.drafting import draft_docx
from clm.clauses.library import default_library_path, load_library
from clm.demo import _MSA_VALUES
from clm.documents import from_docx, from_text
from clm.versions import document_view as dv

TEMPLATES = jinja2.Environment(loader=jinja2.PackageLoader("clm.versions", "templates"), autoescape=True)


def render(blocks: list, ids: bool = True) -> str:
    return TEMPLATES.from_string('{% from "_document.html" import document %}{{ document(blocks, ids) }}').render(
        blocks=blocks, ids=ids)


def png(width: int = 2, height: int = 2) -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    raw = b"".join(b"\x00" + b"\xff\x00\x00" * width for _ in range(height))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))


@pytest.fixture(scope="module")
def msa() -> bytes:
    library = load_library(default_library_path())
    return draft_docx(library.template("master_subscription_agreement"), library, dict(_MSA_VALUES))


def test_a_drafted_msa_keeps_headings_numbers_and_its_signature_table(msa):
    html = render(dv.build(from_docx(msa)))
    assert '<h2 id="p0" class="doc-title">Master Subscription Agreement</h2>' in html
    assert '<h2 id="p2"><span class="num">1.</span> Definitions</h2>' in html
    assert '<span class="num">1.1.</span> &#34;Affiliate&#34; means' in html
    # The two-party signature block stays two columns: a table, each party in its own cell.
    table = html[html.index('<table class="doc-table signature-block">'):]
    assert "<td>" in table and "<strong>Northwind Software, Inc.</strong>" in table
    first_row = table[:table.index("</tr>")]
    assert "Northwind Software, Inc." in first_row and "Contoso Retail LLC" in first_row


def test_emphasis_tables_and_images_from_a_word_file(tmp_path):
    document = docx.Document()
    document.add_heading("Pricing", level=1)
    p = document.add_paragraph("Fees are ")
    p.add_run("due").bold = True
    p.add_run(" within ")
    p.add_run("thirty").italic = True
    p.add_run(" days, ")
    p.add_run("net").underline = True
    table = document.add_table(rows=2, cols=2)
    table.cell(0, 0).text, table.cell(0, 1).text = "Item", "Price"
    table.cell(1, 0).text, table.cell(1, 1).text = "Seats", "USD 100"
    image = tmp_path / "logo.png"
    image.write_bytes(png())
    document.add_picture(str(image), width=Inches(1))
    buffer = io.BytesIO()
    document.save(buffer)
    data = buffer.getvalue()
    html = render(dv.build(from_docx(data), images=dv.images_of(data)))
    assert '<h2 id="p0">Pricing</h2>' in html
    assert "Fees are <strong>due</strong> within <em>thirty</em> days, <u>net</u>" in html
    assert '<table class="doc-table">' in html and "<p id=\"p4\">Seats</p>" in html and "USD 100" in html
    assert '<img class="doc-image" src="data:image/png;base64,' in html and 'width="96"' in html


def test_markup_in_the_text_stays_text_and_no_outside_url_is_ever_loaded():
    document = docx.Document()
    document.add_paragraph('<script>alert(1)</script><img src="https://evil.example/x.png">')
    buffer = io.BytesIO()
    document.save(buffer)
    data = buffer.getvalue()
    html = render(dv.build(from_docx(data), images=dv.images_of(data)))
    assert "<script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert 'src="https://' not in html and "<img" not in html
    # An image that is not PNG, JPEG or GIF by its bytes (an SVG can hold a script) is never inlined.
    assert dv.images_of(b"not a zip") == {}


def test_a_text_version_renders_as_paragraphs_as_before():
    blocks = dv.build(from_text("MASTER SERVICES AGREEMENT\n1. Term. One year."))
    html = render(blocks)
    assert '<p id="p0">MASTER SERVICES AGREEMENT</p>' in html and '<p id="p1">1. Term. One year.</p>' in html
    assert "<h" not in html and "<table" not in html


def test_evidence_is_highlighted_by_its_offsets_in_the_text(msa):
    document = from_docx(msa)
    start = document.text.index("Customer Data")
    html = render(dv.build(document, marks=[(start, start + len("Customer Data"))]))
    assert '<mark id="evidence">Customer Data</mark>' in html and html.count("<mark") == 1


def test_signers_fill_the_signature_blocks_in_order(msa):
    document = from_docx(msa)
    assert dv.signature_slots(document) == 2
    stamps = [dv.Stamp(typed="Alice Able", name="Alice Able", date="2026-12-07"),
              dv.Stamp(image="data:image/png;base64,AAAA", name="Bob Baker", title="CEO", signer="Bob Baker")]
    html = render(dv.build(document, stamps=stamps))
    rows = html[html.index("signature-block"):].split("</tr>")
    by_row = next(r for r in rows if "By:" in r)
    alice, bob = by_row.split("</td>")[:2]
    assert 'By: <span class="stamp stamp-signature">Alice Able</span>' in alice
    assert '<img class="stamp stamp-signature drawn" src="data:image/png;base64,AAAA" alt="Signature of Bob Baker">' in bob
    name_row = next(r for r in rows if "Name:" in r)
    assert "Alice Able" in name_row.split("</td>")[0] and "Bob Baker" in name_row.split("</td>")[1]
    title_row = next(r for r in rows if "Title:" in r)
    # Alice filled in no title: her line stays blank; Bob's has his.
    assert "Title: ______" in title_row.split("</td>")[0] and "CEO" in title_row.split("</td>")[1]


def test_field_lines_outside_a_table_are_slots_too():
    text = ("Provider\nBy: ________  Name: ________  Title: ________\nCustomer\n"
            "By: ________  Name: ________  Title: ________")
    document = from_text(text)
    assert dv.signature_slots(document) == 2
    html = render(dv.build(document, stamps=[dv.Stamp(typed="A Signer", name="A Signer")]))
    lines = html.split("</p>")
    assert '<span class="stamp stamp-signature">A Signer</span>' in lines[1] and "stamp-name" in lines[1]
    assert "stamp" not in lines[3] and "By: ________" in lines[3]


def test_the_redline_shows_headings_and_the_title_as_the_version_view_does(msa):
    from clm.versions import render
    from clm.versions.diff import diff

    old = from_docx(msa)
    html = render.to_html(diff(old, old), title="MSA")
    assert re.search(r'class="rl-p rl-equal rl-title">Master Subscription Agreement', html)
    assert re.search(r'class="rl-p rl-equal rl-heading"><span class="rl-label">1\.</span> Definitions', html)
    assert not re.search(r'rl-heading"><span class="rl-label">1\.1\.', html)


def test_the_signing_page_marks_the_readers_own_block(msa):
    html = render(dv.build(from_docx(msa), stamps=[dv.Stamp(), dv.Stamp(here=True)]))
    by_row = next(r for r in html[html.index("signature-block"):].split("</tr>") if "By:" in r)
    left, right = by_row.split("</td>")[:2]
    assert "stamp-here" not in left and "By: ______" in left
    assert 'By: <strong class="stamp-here">Your signature goes here</strong>' in right
