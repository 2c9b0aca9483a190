"""Tests for PDF intake: clm.versions.pdfread (text layer, OCR) and intake's PDF path (hostile files)."""

from __future__ import annotations

import io
import shutil
import zlib

import pytest

from clm.errors import ClmError, InvalidInput, TooLarge, UnsupportedMedia
from clm.versions import intake
from clm.versions.intake import Limits, read_upload
from clm.versions.pdfread import PdfOptions, from_pdf, needs_ocr
from tests.pdf_fixtures import (
    CONTRACT_PARAGRAPHS,
    contract_pdf,
    scanned_pdf,
    text_pdf,
    write_pdf,
)

needs_tesseract = pytest.mark.skipif(shutil.which("tesseract") is None, reason="tesseract-ocr is not installed")


def expected_text() -> str:
    paragraphs = []
    for lines in CONTRACT_PARAGRAPHS:
        text = ""
        for line in lines:
            if text.endswith("-") and line[:1].islower():
                text = text[:-1] + line
            else:
                text = f"{text} {line}" if text else line
        paragraphs.append(text)
    return "\n".join(paragraphs)


DEFAULT = Limits()


def refused(cls: type[ClmError], data: bytes, filename: str = "contract.pdf", limits: Limits = DEFAULT,
            match: str = "") -> ClmError:
    with pytest.raises(ClmError) as info:
        read_upload(data, filename, limits)
    err = info.value
    assert type(err) is cls, f"{type(err).__name__}: {err}"
    message = str(err)
    assert message and "Traceback" not in message and "\n" not in message
    assert match.lower() in message.lower(), message
    return err


# --- the text layer ---------------------------------------------------------------------------


def test_one_page_keeps_its_header_since_nothing_shows_it_runs() -> None:
    doc = from_pdf(contract_pdf(1))
    assert doc.text == "Acme / Widget Labs - Confidential\n" + expected_text()  # the page number is gone


@pytest.mark.parametrize("pages", [2, 3])
def test_text_pdf_reads_as_the_paragraphs_it_shows(pages: int) -> None:
    # Line breaks inside sentences joined, "termi-" + "nation" joined, a paragraph running over a
    # page break kept whole, the running header and the page numbers dropped.
    doc = from_pdf(contract_pdf(pages))
    assert doc.text == expected_text()
    assert "Confidential" not in doc.text
    assert doc.ocr_pages == 0 and doc.ocr_confidence is None
    assert len(doc.pages) == pages


def test_every_line_points_at_its_box_on_its_page() -> None:
    doc = from_pdf(contract_pdf(2))
    seen = []
    for page in doc.pages:
        for line in page.lines:
            left, top, right, bottom = line.box
            assert 0 <= left < right <= page.width and 0 <= top < bottom <= page.height
            seen.append((line.start, line.end))
            assert doc.text[line.start:line.end].strip()
    assert seen == sorted(seen)
    # "Governing Law" sits on page 2 (the last paragraph), "MASTER" on page 1 at the top.
    law = doc.text.index("Governing Law")
    on = [(p.number, ln) for p in doc.pages for ln in p.lines if ln.start <= law < ln.end]
    assert len(on) == 1 and on[0][0] == 2
    first = doc.pages[0].lines[0]
    assert doc.text[first.start:first.end] == "MASTER SERVICES AGREEMENT" and first.box[1] < 120


def test_lines_of_a_paragraph_are_spliced_but_a_sentence_end_on_a_short_line_breaks() -> None:
    pdf = text_pdf([[(72, 90, "The Supplier shall deliver the goods to the Customer at the address given"),
                     (72, 104, "in the order."),
                     (72, 118, "Payment is due within thirty days of the invoice date, in United States"),
                     (72, 132, "dollars.")]])
    assert from_pdf(pdf).text == ("The Supplier shall deliver the goods to the Customer at the address given "
                                  "in the order.\nPayment is due within thirty days of the invoice date, in "
                                  "United States dollars.")


def test_an_order_form_keeps_its_fields_one_a_line() -> None:
    # Short lines that end in no full stop are a paragraph's wrapped lines, except a form's fields.
    pdf = text_pdf([[(72, 90, "ORDER FORM"),
                     (72, 118, "Customer: Contoso Retail LLC"),
                     (72, 132, "Start Date: March 1, 2027"),
                     (72, 146, "Renewal Term: 12 months"),
                     (72, 160, "Governing Law: State of California"),
                     (72, 188, "The Supplier shall deliver the goods to the Customer at the address given"),
                     (72, 202, "in the order: Customer's own warehouse.")]])
    assert from_pdf(pdf).text == ("ORDER FORM\nCustomer: Contoso Retail LLC\nStart Date: March 1, 2027\n"
                                  "Renewal Term: 12 months\nGoverning Law: State of California\n"
                                  "The Supplier shall deliver the goods to the Customer at the address given "
                                  "in the order: Customer's own warehouse.")
    from clm.clauses.extract import extract

    fields = extract(from_pdf(pdf).text).fields
    assert (fields["effective_date"], fields["governing_law"]) == ("2027-03-01", "California")


@needs_tesseract
def test_a_scanned_order_form_keeps_its_fields_one_a_line() -> None:
    # Tesseract puts the fields in one paragraph; they are still one a line.
    pdf = scanned_pdf([["ORDER FORM", "", "Customer: Contoso Retail LLC", "Start Date: March 1, 2027",
                        "Renewal Term: 12 months", "Governing Law: State of California"]])
    assert from_pdf(pdf).text == ("ORDER FORM\nCustomer: Contoso Retail LLC\nStart Date: March 1, 2027\n"
                                  "Renewal Term: 12 months\nGoverning Law: State of California")


def test_garbage_text_layer_is_detected() -> None:
    assert needs_ocr("")
    assert needs_ocr("\x01\x02 ¤¤¤ ¦¦¦ ÿÿ ªª «» ¬¬ ®® ¯¯ °° ±± ²² ³³ ´´ µµ")
    assert needs_ocr("Xqzt Brrk Qwtz Pllt Mnrk Zxcv Bnmq Wrtp Sdfg Hjkl")
    assert not needs_ocr("This Agreement is governed by the laws of the State of New York.")
    assert not needs_ocr("本协议受中华人民共和国法律管辖。双方同意如下条款。")  # another script is not garbage
    assert not needs_ocr("Η παρούσα σύμβαση διέπεται από το ελληνικό δίκαιο.")


# --- scans --------------------------------------------------------------------------------------


@needs_tesseract
def test_scanned_pdf_is_read_by_ocr_with_its_confidence() -> None:
    lines = [line for para in CONTRACT_PARAGRAPHS for line in [*para, ""]]
    doc = read_upload(scanned_pdf([lines]), "scan.pdf")
    assert doc.ocr_pages == 1 and doc.ocr_confidence is not None and doc.ocr_confidence > 70
    text = doc.text
    for phrase in ("MASTER SERVICES AGREEMENT", "Governing Law", "State of New York", "termination fee",
                   "sixty (60) days"):
        assert phrase in text, phrase
    # Line boxes are in points on the page, where the words were drawn (1 inch from the left).
    line = doc.pages[0].lines[0]
    assert 60 < line.box[0] < 90 and line.box[2] < doc.pages[0].width


def test_scan_without_tesseract_is_refused_clearly(monkeypatch: pytest.MonkeyPatch) -> None:
    from clm.versions import pdfread

    monkeypatch.setattr(pdfread, "ocr_available", lambda: False)
    with pytest.raises(UnsupportedMedia, match="OCR is not installed"):
        pdfread.from_pdf(scanned_pdf([["Hello"]]))


# --- intake: naming, sizes ----------------------------------------------------------------------


def test_pdf_upload_is_read_in_the_capped_child(monkeypatch: pytest.MonkeyPatch) -> None:
    calls = []
    real = intake.sandbox.run_capped

    def spy(func, *args, **kwargs):  # type: ignore[no-untyped-def]
        calls.append((func.__name__, kwargs["timeout"], kwargs["memory_bytes"]))
        return real(func, *args, **kwargs)

    monkeypatch.setattr(intake.sandbox, "run_capped", spy)
    doc = read_upload(contract_pdf(2), "contract.pdf")
    assert doc.text == expected_text()
    assert calls == [("_parse_pdf_checked", Limits().pdf_timeout_seconds, Limits().parse_memory_bytes)]


@pytest.mark.parametrize("name", ["contract.docx", "contract.txt", "contract.md", "contract.doc"])
def test_pdf_named_as_another_kind_is_refused(name: str) -> None:
    refused(UnsupportedMedia, contract_pdf(1), filename=name, match="name it .pdf")


def test_pdf_without_extension_is_read() -> None:
    assert read_upload(contract_pdf(2), "scan-0001").text == expected_text()


def test_not_a_pdf_named_pdf() -> None:
    refused(InvalidInput, b"PK\x03\x04 not a pdf", match="not a PDF")


def test_pdfs_may_be_larger_than_word_files() -> None:
    limits = Limits(max_upload_bytes=1000, max_pdf_bytes=200_000)
    pdf = contract_pdf(2) + b"%" + b" " * 20_000  # trailing comment bytes after %%EOF
    assert len(pdf) > limits.max_upload_bytes
    assert read_upload(pdf, "contract.pdf", limits).text == expected_text()
    refused(TooLarge, pdf + b" " * 200_000, limits=limits, match="PDFs up to")
    assert Limits().max_pdf_bytes >= 50 * 1024 * 1024  # a 50-page scan


# --- hostile PDFs: refused, or neutralised, with a clear message ------------------------------


def test_encrypted_pdf_is_refused() -> None:
    pypdf = pytest.importorskip("pypdf")
    writer = pypdf.PdfWriter(clone_from=io.BytesIO(contract_pdf(1)))
    writer.encrypt("secret", algorithm="AES-256")
    out = io.BytesIO()
    writer.write(out)
    refused(InvalidInput, out.getvalue(), match="password")


def test_embedded_file_is_refused() -> None:
    pypdf = pytest.importorskip("pypdf")
    writer = pypdf.PdfWriter(clone_from=io.BytesIO(contract_pdf(1)))
    writer.add_attachment("payload.exe", b"MZ" + b"\x00" * 100)
    out = io.BytesIO()
    writer.write(out)
    refused(UnsupportedMedia, out.getvalue(), match="embedded file")


@pytest.mark.parametrize("catalog, kind", [
    (b"/OpenAction << /S /JavaScript /JS (app.alert\\(1\\)) >> ", "JavaScript"),
    (b"/OpenAction << /S /Launch /F (calc.exe) >> ", "Launch"),
    (b"/Names << /JavaScript << /Names [(x) << /S /JavaScript /JS (app.alert\\(2\\)) >>] >> >> ", "JavaScript"),
])
def test_scripts_and_actions_are_never_run_and_said_so(catalog: bytes, kind: str) -> None:
    lines = [(72.0, 90.0 + 14 * i, t) for i, t in enumerate(["This Agreement is governed by the laws of",
                                                             "the State of New York."])]
    doc = read_upload(text_pdf([lines], catalog_extra=catalog), "contract.pdf")
    assert doc.text == "This Agreement is governed by the laws of the State of New York."
    assert any(kind in p and "never runs" in p for p in doc.problems), doc.problems


def test_too_many_pages_is_refused() -> None:
    page = [(72.0, 90.0, "A page.")]
    refused(TooLarge, text_pdf([page] * 6), limits=Limits(max_pdf_pages=5), match="at most 5 pages")
    assert Limits().max_pdf_pages == 500


def test_decompression_bomb_is_refused_within_the_memory_cap() -> None:
    comp = zlib.compressobj(9)
    chunk = b" " * (1 << 20)
    parts = [comp.compress(b"BT /F1 11 Tf 72 700 Td (Bomb) Tj ET\n")]
    parts.extend(comp.compress(chunk) for _ in range(1200))  # 1.2 GB of content stream
    parts.append(comp.flush())
    data = b"".join(parts)
    pdf = write_pdf([b"<< /Type /Catalog /Pages 2 0 R >>", b"<< /Type /Pages /Kids [4 0 R] /Count 1 >>",
                     b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
                     (b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /Font << /F1 3 0 R >> >> "
                      b"/Contents 5 0 R >>"),
                     b"<< /Length %d /Filter /FlateDecode >>\nstream\n" % len(data) + data + b"\nendstream"])
    assert len(pdf) < 2 * 1024 * 1024
    limits = Limits(parse_memory_bytes=256 * 1024 * 1024)
    with pytest.raises((InvalidInput, TooLarge), match="decompression bomb|more memory"):
        read_upload(pdf, "bomb.pdf", limits)


def test_malformed_xref_is_repaired_or_refused_never_a_crash() -> None:
    good = contract_pdf(2)
    start = good.index(b"\nxref\n") + 1
    broken = good[:start] + good[start:].replace(b" 00000 n", b" 00000 x")
    no_xref = good[:start] + good[good.index(b"trailer", start):]
    for data in (broken, no_xref):
        assert read_upload(data, "contract.pdf").text == expected_text()  # PDFium rebuilds the xref
    refused(InvalidInput, b"%PDF-1.7\n" + bytes(range(256)) * 40, match="damaged")
    refused(InvalidInput, good[:400], match="damaged")


def test_pdf_with_no_text_at_all_is_refused() -> None:
    empty_page = write_pdf([b"<< /Type /Catalog /Pages 2 0 R >>", b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
                            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] >>"])
    refused(InvalidInput, empty_page, match="no text")


def test_options_default_pages() -> None:
    assert PdfOptions().max_pages == 500


def test_ocr_digit_slips_and_quotes_are_fixed() -> None:
    from clm.versions.pdfread import _ocr_word

    assert [_ocr_word(w) for w in ["lst", "2O03", "l0", "1l", "“Agreement”", "Company’s", "list", "Olive", "I"]] == \
        ["1st", "2003", "10", "11", '"Agreement"', "Company's", "list", "Olive", "I"]


def test_owner_password_only_pdf_is_read() -> None:
    # Encrypted with an empty user password (printing/copying restrictions only): anyone can
    # open it, so clm reads it; only a PDF that needs a password to open is refused.
    pypdf = pytest.importorskip("pypdf")
    writer = pypdf.PdfWriter(clone_from=io.BytesIO(contract_pdf(2)))
    writer.encrypt(user_password="", owner_password="owner-secret", algorithm="AES-256")
    out = io.BytesIO()
    writer.write(out)
    assert read_upload(out.getvalue(), "restricted.pdf").text == expected_text()


def test_what_counts_as_a_page_number() -> None:
    from clm.versions.pdfread import _PAGE_NUMBER

    assert all(_PAGE_NUMBER.match(t) for t in ["7", "- 7 -", "Page 7 of 30", "page 7", "7/30", "iv", "— 12 —"])
    assert not any(_PAGE_NUMBER.match(t) for t in ["(c)", "(iv)", "II", "ARTICLE IV", "1.", "2024 Acme", "(3)"])
