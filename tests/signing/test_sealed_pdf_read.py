"""The sealed PDFs clm makes read, as any uploaded PDF does, to the text that was signed."""

from __future__ import annotations

from clm.versions import pdfread
from clm.versions.intake import read_upload
from tests.signing.conftest import TEXT


def test_a_sealed_pdf_reads_as_the_signed_text(sealed):
    envelope_id, path = sealed
    document = read_upload(path.read_bytes(), "signed.pdf")
    assert document.ocr_pages == 0  # its text layer is read, not OCR
    # Exactly the signed text (what its SHA-256 in the seal names): not the seal note, the
    # title clm adds, the signatures or the certificate of completion.
    assert document.text == TEXT
    assert pdfread.SEALED.format(envelope=envelope_id) in document.problems
    for page in document.pages:
        for line in page.lines:
            assert document.text[line.start:line.end].strip()


def test_a_sealed_pdf_whose_text_no_longer_matches_is_read_whole(sealed, monkeypatch):
    _envelope_id, path = sealed
    monkeypatch.setattr(pdfread, "_SEALED_SUBJECT", pdfread.re.compile(r"^clm envelope (\d+); document sha256 ()"))
    document = pdfread.from_pdf(path.read_bytes())
    assert "Certificate of completion" in document.text and "1. Services." in document.text
    assert any("no part of its text" in p for p in document.problems)
