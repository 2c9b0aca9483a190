"""Journey: the archive is PDFs. Legal uploads a signed text PDF and a scan in the browser (the
scan is read in the background while the contract page shows its progress), reads the terms clm
found (OCR for the scan), sees the evidence boxed on the page, finds them by search, and compares
the PDF with the Word draft that followed."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
import requests

from clm.demo import text_to_docx
from tests.journeys.conftest import Installation, sign_in, watch_console
from tests.pdf_fixtures import CONTRACT_PARAGRAPHS, contract_pdf, scanned_pdf
from tests.versions.test_pdfread import expected_text

pytestmark = pytest.mark.journey

UPLOAD_LABEL = "File (.docx, .pdf, .txt or .md)"


def _upload(page, site: Installation, path: Path) -> str:
    page.goto(f"{site.url}/contracts/new")
    page.get_by_label(UPLOAD_LABEL).set_input_files(str(path))
    page.get_by_role("button", name="Upload").click()
    page.wait_for_url(re.compile(rf"{re.escape(site.url)}/contracts/\d+$"), timeout=300_000)
    return str(page.url)


def test_text_and_scanned_pdfs_are_read_searched_compared_and_shown(clm_site: Installation, page,
                                                                   tmp_path: Path) -> None:
    if shutil.which("tesseract") is None:
        pytest.skip("tesseract-ocr is not installed (scripts/install installs it)")
    site = clm_site
    errors = watch_console(page)
    (tmp_path / "msa-signed.pdf").write_bytes(contract_pdf(2))
    lines = [line for para in CONTRACT_PARAGRAPHS for line in [*para, ""]]
    (tmp_path / "msa-scan.pdf").write_bytes(scanned_pdf([lines[:9], lines[9:]]))

    sign_in(page, site, "legal")

    # The text PDF: its terms are extracted (inline, no worker configured) and shown.
    text_url = _upload(page, site, tmp_path / "msa-signed.pdf")
    text_id = int(text_url.rsplit("/", 1)[1])
    page.get_by_role("tab", name="Terms").click()
    terms = page.locator("#terms").inner_text()
    assert "New York" in terms, terms

    # The evidence link opens the text at the sentence, and the PDF page with the line boxed.
    page.locator("#term-governing_law").get_by_role("link", name="show in text").click()
    assert "New York" in page.locator("mark#evidence").inner_text()
    assert page.get_by_text("Evidence on page 2 of the PDF").is_visible()
    figure = page.locator("#page-2")
    figure.scroll_into_view_if_needed()
    assert figure.locator("rect.evidence-box").count() >= 1
    image = figure.locator("img")
    image.wait_for()
    page.wait_for_function("img => img.complete && img.naturalWidth > 0", arg=image.element_handle())

    # The scan: the upload returns at once and the contract page follows the reading (OCR, page
    # by page, in the server's background thread), then links the version it stored.
    scan_url = _upload(page, site, tmp_path / "msa-scan.pdf")
    reading = page.locator("[data-read-status]")
    first = reading.inner_text()
    assert re.search(r"Reading scanned PDF msa-scan\.pdf: page [01] of 2", first), first
    assert reading.locator("progress").count() == 1
    reading.get_by_role("link", name="version 1").wait_for(timeout=300_000)
    assert "Read scanned PDF msa-scan.pdf: version 1 stored." in reading.inner_text()
    assert reading.locator("progress").count() == 0
    page.goto(scan_url)  # named after its first line once read (after its file until then)
    assert page.get_by_role("heading", name="MASTER SERVICES AGREEMENT").count() == 1
    # Its terms are extracted after the version is stored, in the same background thread: the
    # Terms tab says so until they are there, and the user reloads.
    for _attempt in range(120):
        page.goto(f"{scan_url}?tab=terms")
        scan_terms = page.locator("#terms").inner_text()
        if "being extracted" not in scan_terms:
            break
        page.wait_for_timeout(1000)
    assert "New York" in scan_terms, scan_terms
    page.goto(f"{scan_url}/versions/1")
    note = page.get_by_role("note").filter(has_text="Text read by OCR").inner_text()
    assert re.search(r"Text read by OCR \(confidence \d{2,3}%\)", note), note
    assert page.locator("#page-2 img").count() == 1

    # Search finds both, by words the PDFs broke over lines and pages.
    page.goto(f"{site.url}/search?q=termination+fee")
    results = page.locator("main").inner_text()
    assert results.count("MASTER SERVICES AGREEMENT") >= 2, results

    # The Word draft that followed the signed PDF; compare the two in the browser.
    revised = expected_text().replace("sixty (60) days", "ninety (90) days")
    upload = requests.post(f"{site.url}/api/v1/contracts/{text_id}/versions", timeout=120,
                           headers={"Authorization": f"Bearer {site.token('legal')}"},
                           files={"file": ("msa-2025.docx", text_to_docx(revised))})
    assert upload.status_code == 201, upload.text
    page.goto(f"{text_url}/compare?from=1&to=2")
    inline = page.locator("#rl-inline")
    assert inline.locator("ins").filter(has_text="ninety").count() >= 1
    assert inline.locator("del").filter(has_text="sixty").count() >= 1
    assert "no edited, deleted or reordered evidence" in site.clm("audit", "check", "--deep").stdout
    assert errors == [], errors
