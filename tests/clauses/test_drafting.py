"""Tests for clm.clauses.drafting: Word and HTML contracts drafted from the library's templates."""

from __future__ import annotations

import io
import shutil
import subprocess
import zipfile
from pathlib import Path

import docx
import pytest

from clm.clauses.drafting import draft_docx, draft_html, layout
from clm.clauses.library import Library, assemble, default_library_path, load_library
from clm.errors import InvalidInput
from tests.clauses.test_library import SAMPLE_VALUES

#: The same sample values the library tests assemble each template with.
VALUES: dict[str, dict[str, object]] = SAMPLE_VALUES
#: What each template's text must show once filled in.
SHOWN = {
    "master_subscription_agreement": ["Acme Widgets LLC", "June 1, 2026", "5%", "Example Software, Inc."],
    "order_form": ["CLM Enterprise", "twenty-five (25) named users", "USD 24,000.00", "July 1, 2026", "3%"],
    "mutual_nda": ["Beta Labs, Inc.", "a California corporation", "two (2) years"],
}


@pytest.fixture(scope="module")
def library() -> Library:
    return load_library(default_library_path())


def reopen(data: bytes) -> docx.document.Document:
    return docx.Document(io.BytesIO(data))


def body_text(document: docx.document.Document) -> str:
    parts = [p.text for p in document.paragraphs]
    for table in document.tables:
        parts += [cell.text for row in table.rows for cell in row.cells]
    return "\n".join(parts)


@pytest.mark.parametrize("key", sorted(VALUES))
def test_each_template_drafts_to_a_word_document(library: Library, key: str) -> None:
    template = library.template(key)
    data = draft_docx(template, library, VALUES[key])
    document = reopen(data)
    text = body_text(document)
    for value in SHOWN[key]:
        assert value in text
    assert document.core_properties.title == template.title

    paragraphs = document.paragraphs
    assert (paragraphs[0].style.name, paragraphs[0].text) == ("Title", template.title)
    headings = [p.text for p in paragraphs if p.style.name == "Heading 1"]
    assert headings == [s.heading for s in assemble(template, library, VALUES[key]) if s.heading]
    assert {p.style.name for p in paragraphs} <= {"Title", "Heading 1", "Normal"}

    # Numbered sections carry real Word numbering: numPr at level 0, paragraphs of a section at 1.
    numbered = [p for p in paragraphs if p._p.pPr is not None and p._p.pPr.numPr is not None]
    levels = {(p.style.name, p._p.pPr.numPr.ilvl.val) for p in numbered}
    assert ("Heading 1", 0) in levels
    num_ids = {p._p.pPr.numPr.numId.val for p in numbered}
    assert len(num_ids) == 1
    with zipfile.ZipFile(io.BytesIO(data)) as package:
        numbering = package.read("word/numbering.xml").decode()
    assert 'w:val="%1."' in numbering and 'w:val="%1.%2."' in numbering

    # The signature blocks are a table with one column per party.
    table = document.tables[-1]
    assert len(table.columns) == 2
    assert "By: ____" in table.cell(1, 0).text


def test_sections_are_numbered_consistently_in_word_and_html(library: Library) -> None:
    template = library.template("mutual_nda")
    sections = layout(template, library, VALUES["mutual_nda"])
    numbered = [s for s in sections if s.number]
    assert [s.number for s in numbered] == [str(n) for n in range(1, len(numbered) + 1)]
    confidentiality = next(s for s in numbered if s.clause_type == "confidentiality")
    assert [n for n, _ in confidentiality.paragraphs][:2] == [f"{confidentiality.number}.1",
                                                              f"{confidentiality.number}.2"]
    html = draft_html(template, library, VALUES["mutual_nda"])
    assert f'<span class="num">{confidentiality.number}.</span>Confidentiality</h2>' in html
    assert f'<span class="num">{confidentiality.number}.2.</span>' in html
    # Signatures close the contract without a number.
    assert sections[-1].number is None and sections[-1].signatories


@pytest.mark.parametrize(("flag", "heading"), [
    ("include_insurance", "Insurance"),
    ("include_security_audits", "Security Audits and Reports"),
    ("include_non_solicitation", "Non-Solicitation"),
])
def test_conditional_sections_are_included_or_left_out(library: Library, flag: str, heading: str) -> None:
    template = library.template("master_subscription_agreement")
    on = reopen(draft_docx(template, library, {**VALUES["master_subscription_agreement"], flag: True}))
    off = reopen(draft_docx(template, library, {**VALUES["master_subscription_agreement"], flag: False}))
    assert heading in [p.text for p in on.paragraphs if p.style.name == "Heading 1"]
    assert heading not in [p.text for p in off.paragraphs if p.style.name == "Heading 1"]
    html_off = draft_html(template, library, {**VALUES["master_subscription_agreement"], flag: False})
    assert f"</span>{heading}</h2>" not in html_off


def test_optional_text_sections_follow_their_values(library: Library) -> None:
    template = library.template("order_form")
    values = {k: v for k, v in VALUES["order_form"].items() if k not in ("special_terms", "price_increase_cap")}
    text = body_text(reopen(draft_docx(template, library, values)))
    assert "Additional Terms" not in text and "Special Terms" not in text and "Price Increases" not in text
    text = body_text(reopen(draft_docx(template, library, VALUES["order_form"])))
    assert "Customer may add users at the same per-user price." in text


def test_a_position_override_drafts_the_fallback(library: Library) -> None:
    template = library.template("mutual_nda")
    data = draft_docx(template, library, VALUES["mutual_nda"], positions={"governing_law": "fallback_1"})
    assert "non-exclusive jurisdiction" in body_text(reopen(data))
    html = draft_html(template, library, VALUES["mutual_nda"], positions={"governing_law": "fallback_1"})
    assert "non-exclusive jurisdiction" in html


@pytest.mark.parametrize("draft", [draft_docx, draft_html])
@pytest.mark.parametrize(("change", "named"), [
    ({"customer_name": None}, "customer_name"),
    ({"effective_date": "next Tuesday"}, "effective_date"),
    ({"price_increase_cap": "150%"}, "price_increase_cap"),
    ({"no_such_variable": "x"}, "no_such_variable"),
])
def test_bad_variables_are_named(library: Library, draft, change: dict[str, object], named: str) -> None:
    values = {**VALUES["master_subscription_agreement"], **change}
    values = {k: v for k, v in values.items() if v is not None}
    with pytest.raises(InvalidInput, match=named):
        draft(library.template("master_subscription_agreement"), library, values)


MARKUP = {
    "customer_name": "<script>alert('x')</script> Corp",
    "customer_description": "<img src=file:///etc/passwd> & {{ provider_name }}",
}


def test_markup_in_values_is_literal_text_in_html(library: Library) -> None:
    values = {**VALUES["master_subscription_agreement"], **MARKUP}
    html = draft_html(library.template("master_subscription_agreement"), library, values)
    assert "<script" not in html and "<img" not in html
    assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; Corp" in html
    assert "&lt;img src=file:///etc/passwd&gt; &amp; {{ provider_name }}" in html


def test_markup_in_values_is_literal_text_in_word(library: Library) -> None:
    values = {**VALUES["master_subscription_agreement"], **MARKUP}
    data = draft_docx(library.template("master_subscription_agreement"), library, values)
    text = body_text(reopen(data))
    assert MARKUP["customer_name"] in text and MARKUP["customer_description"] in text
    with zipfile.ZipFile(io.BytesIO(data)) as package:
        xml = package.read("word/document.xml").decode()
    assert "<script" not in xml and "<img" not in xml
    assert "&lt;script&gt;" in xml


def test_html_is_a_standalone_page(library: Library) -> None:
    html = draft_html(library.template("order_form"), library, VALUES["order_form"])
    assert html.startswith("<!doctype html>")
    assert "<title>Order Form</title>" in html
    assert "src=" not in html and "href=" not in html  # nothing for a PDF renderer to fetch
    assert '<table class="signatures">' in html


def test_html_renders_to_pdf_with_weasyprint(library: Library) -> None:
    weasyprint = pytest.importorskip("weasyprint")

    def refuse(url: str, *args: object, **kwargs: object) -> dict[str, object]:
        raise ValueError(f"no fetching: {url}")

    values = {**VALUES["mutual_nda"], "party_b_name": "<img src=file:///etc/passwd>"}
    html = draft_html(library.template("mutual_nda"), library, values)
    pdf = weasyprint.HTML(string=html, url_fetcher=refuse).write_pdf()
    assert pdf.startswith(b"%PDF")


@pytest.mark.skipif(shutil.which("soffice") is None, reason="LibreOffice (soffice) is not installed")
@pytest.mark.parametrize("key", sorted(VALUES))
def test_libreoffice_converts_the_docx_to_pdf(library: Library, tmp_path: Path, key: str) -> None:
    source = tmp_path / f"{key}.docx"
    source.write_bytes(draft_docx(library.template(key), library, VALUES[key]))
    subprocess.run(
        ["soffice", "--headless", f"-env:UserInstallation=file://{tmp_path}/profile", "--convert-to", "pdf",
         "--outdir", str(tmp_path), str(source)],
        check=True, capture_output=True, timeout=180,
    )
    assert (tmp_path / f"{key}.pdf").read_bytes().startswith(b"%PDF")
