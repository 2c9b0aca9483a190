"""A real-size agreement (30+ pages, a logo, a table, Word numbering, header and footer) through the
served app with jobs on an RQ worker: upload, extraction, the counterparty's tracked changes, compare,
the DOCX redline, and the evidence checks, each cron command as its own process."""

from __future__ import annotations

import io
import re
import zipfile
from pathlib import Path

import pytest
import requests

from tests.journeys.conftest import Installation, sign_in, watch_console
from tests.journeys.documents import COUNTERPARTY_AUTHOR, agreement, expected_terms, revise

pytestmark = [pytest.mark.journey, pytest.mark.browser]


def _media(docx: bytes) -> list[str]:
    return [name for name in zipfile.ZipFile(io.BytesIO(docx)).namelist() if name.startswith("word/media/")]


def test_a_real_agreement_is_read_compared_and_redlined(clm_site_with_workers: Installation, page,
                                                        tmp_path: Path) -> None:
    site = clm_site_with_workers
    errors = watch_console(page)
    ours = agreement(0)
    assert 1_000_000 < len(ours) < 3_500_000
    (tmp_path / "northwind-contoso-msa.docx").write_bytes(ours)

    # Legal uploads it as a new contract in the browser; extraction waits for a worker.
    sign_in(page, site, "legal")
    page.goto(f"{site.url}/contracts/new")
    page.get_by_label("File (.docx, .pdf, .txt or .md)").set_input_files(str(tmp_path / "northwind-contoso-msa.docx"))
    page.get_by_label("Counterparty").fill("Contoso Retail LLC")
    page.get_by_role("button", name="Upload").click()
    page.wait_for_url(re.compile(rf"{re.escape(site.url)}/contracts/\d+$"))
    contract_url = page.url
    contract_id = int(contract_url.rsplit("/", 1)[1])
    assert "being extracted" in page.locator("#terms").inner_text()
    worker = site.clm("worker", "--burst", timeout=600)
    assert worker.returncode == 0
    page.reload()
    terms = page.locator("#terms").inner_text()
    for shown in ("New York", "12 months", "60 days", "30 days"):
        assert shown in terms, (shown, terms)
    extracted = site.api("finance").get(f"{site.url}/api/v1/contracts/{contract_id}/terms", timeout=60).json()
    expected = expected_terms()
    for field in ("governing_law", "initial_term", "renewal_term", "non_renewal_notice", "termination_notice",
                  "effective_date"):
        assert extracted["extracted"][field]["value"] == expected[field], field

    # The evidence link opens the 30-page text at the sentence.
    page.get_by_role("tab", name="Terms").click()
    page.locator("#term-governing_law").get_by_role("link", name="show in text").click()
    assert "New York" in page.locator("mark#evidence").inner_text()

    # The counterparty's tracked changes arrive over the API (their counsel's portal).
    revised = revise(ours)
    upload = requests.post(f"{site.url}/api/v1/contracts/{contract_id}/versions", timeout=120,
                           headers={"Authorization": f"Bearer {site.token('legal')}"},
                           data={"source": "counterparty"},
                           files={"file": ("contoso-markup.docx", revised.data)})
    assert upload.status_code == 201, upload.text
    site.clm("worker", "--burst", timeout=600)
    page.goto(f"{contract_url}/versions/2")
    changes = page.locator("table.revisions").inner_text()
    assert changes.count(COUNTERPARTY_AUTHOR) == len(revised.revisions)
    for change in revised.revisions[:3]:
        assert change.text[:40] in changes

    # Compare, and the DOCX redline to send back: their changes under their name, its structure kept.
    page.goto(f"{contract_url}/compare?from=1&to=2")
    inline = page.locator("#rl-inline")
    inserted = [c for c in revised.revisions if c.kind == "insert"]
    assert inline.locator("ins").filter(has_text=inserted[0].text[:30]).count() >= 1
    with page.expect_download() as download:
        page.get_by_role("link", name="Download DOCX with tracked changes").click()
    redline = Path(download.value.path()).read_bytes()
    (tmp_path / "redline.docx").write_bytes(redline)
    with zipfile.ZipFile(io.BytesIO(redline)) as package:
        body = package.read("word/document.xml").decode()
        assert any(name.startswith("word/header") for name in package.namelist())
    assert COUNTERPARTY_AUTHOR in body
    assert inserted[0].text[:30] in body
    assert len(_media(redline)) == len(_media(revised.data)) >= 1
    assert ("<w:tbl>" in body or "<w:tbl " in body) and "<w:numPr>" in body

    # Nothing left to extract; the evidence is intact, re-read from the files.
    assert "Queued term extraction for 0 versions." in site.clm("extract-stored").stdout
    assert "no edited, deleted or reordered evidence" in site.clm("audit", "check", "--deep").stdout
    assert errors == [], errors


def test_the_redline_of_a_real_agreement_keeps_its_structure(tmp_path: Path) -> None:
    """The DOCX redline against the counterparty's markup keeps the logo, the table and the numbering."""
    ours, revised = agreement(0), revise(agreement(0))
    (tmp_path / "ours.docx").write_bytes(ours)
    (tmp_path / "theirs.docx").write_bytes(revised.data)
    site = Installation(root=tmp_path, env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)})
    site.clm("diff", str(tmp_path / "ours.docx"), str(tmp_path / "theirs.docx"), "--format", "docx",
             "-o", str(tmp_path / "redline.docx"))
    redline = (tmp_path / "redline.docx").read_bytes()
    assert len(_media(redline)) == len(_media(revised.data)) >= 1
    with zipfile.ZipFile(io.BytesIO(redline)) as package:
        body = package.read("word/document.xml").decode()
        assert "<w:tbl>" in body or "<w:tbl " in body
        assert "<w:numPr>" in body and "word/numbering.xml" in package.namelist()
        assert any(name.startswith("word/header") for name in package.namelist())
