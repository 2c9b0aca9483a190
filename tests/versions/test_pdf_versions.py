"""PDF versions are versions like any other: upload (form, API), import, extraction, search, compare."""

from __future__ import annotations

import io
import shutil
from pathlib import Path

import pytest
from sqlalchemy import func, select

from clm.clauses.models import ExtractedTerm
from clm.cli import main
from clm.demo import text_to_docx
from clm.users import Role
from clm.versions.models import Blob, Contract, Version
from tests.pdf_fixtures import (
    CONTRACT_PARAGRAPHS,
    attachment_pdf,
    contract_pdf,
    encrypted_pdf,
    many_pages_pdf,
    scanned_pdf,
    text_pdf,
)
from tests.versions.test_pdfread import expected_text

needs_tesseract = pytest.mark.skipif(shutil.which("tesseract") is None, reason="tesseract-ocr is not installed")


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def _api_upload(client, token, data, filename, url="/api/v1/contracts", **form):
    return client.post(url, headers=_bearer(token), content_type="multipart/form-data",
                       data={"file": (io.BytesIO(data), filename), **form})


def _counts(session):
    session.expire_all()
    return tuple(session.scalar(select(func.count()).select_from(m)) for m in (Contract, Version, Blob))


def test_api_upload_of_a_pdf_stores_its_text_and_extracts_terms(client, session, make_token):
    token = make_token(Role.LEGAL)
    response = _api_upload(client, token, contract_pdf(2), "msa.pdf")
    assert response.status_code == 201, response.json
    body = response.json
    assert body["title"] == "MASTER SERVICES AGREEMENT"
    v = body["versions"][0]
    assert v["media_type"] == "application/pdf" and v["ocr_pages"] == 0 and v["ocr_confidence"] is None
    version = session.scalar(select(Version).where(Version.contract_id == body["id"]))
    assert version.text == expected_text()
    terms = {t.field: t for t in session.scalars(select(ExtractedTerm).where(ExtractedTerm.version_id == version.id))}
    assert "governing_law" in terms, sorted(terms)
    start, end = terms["governing_law"].evidence[0]
    assert "New York" in version.text[start:end] or "governed" in version.text[start:end]
    # Search finds it by words that were split over a line break (and a page break) in the PDF.
    hits = client.get("/api/v1/search", query_string={"q": "termination fee"}, headers=_bearer(token)).json["hits"]
    assert [h["contract_id"] for h in hits] == [body["id"]]


def test_form_upload_of_a_pdf_then_a_docx_and_compare_them(client, auth, session):
    auth.login(Role.LEGAL)
    form = {"csrf_token": auth.token()}
    response = client.post("/contracts/new", content_type="multipart/form-data",
                           data={"file": (io.BytesIO(contract_pdf(2)), "msa.pdf"), **form})
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    contract_id = session.scalar(select(Contract.id))
    revised = expected_text().replace("sixty (60) days", "ninety (90) days")
    response = client.post(f"/contracts/{contract_id}/versions", content_type="multipart/form-data",
                           data={"file": (io.BytesIO(text_to_docx(revised)), "msa-v2.docx"), **form})
    assert response.status_code == 302
    page = client.get(f"/contracts/{contract_id}/versions/1")
    assert page.status_code == 200 and b"governed by the laws of the State of New York" in page.data
    assert b"Text read by OCR" not in page.data
    compare = client.get(f"/contracts/{contract_id}/compare?from=1&to=2&format=json")
    ops = compare.json["ops"] if compare.is_json else None
    if ops is None:  # the page route renders HTML; the API gives the ops
        assert compare.status_code == 200 and b"ninety" in compare.data and b"sixty" in compare.data
    html = client.get(f"/contracts/{contract_id}/compare?from=1&to=2")
    assert html.status_code == 200 and b"ninety" in html.data


def test_api_compare_pdf_with_docx_is_a_word_level_redline(client, make_token):
    token = make_token(Role.LEGAL)
    created = _api_upload(client, token, contract_pdf(2), "msa.pdf").json
    revised = expected_text().replace("thirty (30)", "forty-five (45)")
    added = _api_upload(client, token, text_to_docx(revised), "msa-v2.docx",
                        url=f"/api/v1/contracts/{created['id']}/versions")
    assert added.status_code == 201, added.json
    ops = client.get(f"/api/v1/contracts/{created['id']}/compare?from=1&to=2&format=json",
                     headers=_bearer(token)).json["ops"]
    deleted = "".join(t for op, t in ops if op == "delete")
    inserted = "".join(t for op, t in ops if op == "insert")
    assert "thirty (30)" in deleted and "forty-five (45)" in inserted
    assert len(deleted) < 40  # the rest of the PDF's text matched the Word file's


@pytest.mark.parametrize("data, filename, status, words", [
    (contract_pdf(2), "msa.docx", 415, "name it .pdf"),
    (encrypted_pdf(), "locked.pdf", 422, "password"),
    (attachment_pdf(), "carrier.pdf", 415, "embedded file"),
    (many_pages_pdf(501), "huge.pdf", 413, "at most 500 pages"),
    (b"%PDF-1.7\n" + bytes(range(256)) * 10, "broken.pdf", 422, "damaged"),
    (text_pdf([[(72.0, 90.0, "Hello")]], catalog_extra=b"/Names << /EmbeddedFiles << /Names [] >> >> "),
     "odd.pdf", None, None),
])
def test_bad_pdf_uploads_store_nothing(client, session, make_token, data, filename, status, words):
    before = _counts(session)
    response = _api_upload(client, make_token(Role.LEGAL), data, filename)
    if status is None:  # an empty attachment list is no attachment: read normally
        assert response.status_code == 201
        return
    assert response.status_code == status, response.json
    assert words in response.json["error"]
    assert _counts(session) == before


def test_import_recursive_takes_pdfs(runner, session, tmp_path: Path):
    root = tmp_path / "archive" / "2019"
    root.mkdir(parents=True)
    (root / "msa.pdf").write_bytes(contract_pdf(2))
    (root / "renamed.docx").write_bytes(contract_pdf(3))
    result = runner.invoke(main, ["import", str(tmp_path / "archive"), "--recursive"])
    assert result.exit_code == 2  # the PDF named .docx is refused, the .pdf is stored
    assert "name it .pdf" in result.stderr
    version = session.scalar(select(Version))
    assert version.filename == "msa.pdf" and version.text == expected_text()
    assert session.scalar(select(func.count()).select_from(ExtractedTerm).where(
        ExtractedTerm.version_id == version.id)) > 0


@needs_tesseract
def test_scanned_pdf_upload_records_ocr_and_says_so(app, client, auth, session, make_token):
    app.config["INLINE_JOBS"] = True  # the read job runs before the 202 answers (tests/versions/test_reading.py: in the background)
    token = make_token(Role.LEGAL)
    lines = [line for para in CONTRACT_PARAGRAPHS for line in [*para, ""]]
    response = _api_upload(client, token, scanned_pdf([lines]), "scan.pdf")
    assert response.status_code == 202, response.json
    assert response.json["status"] == "done" and response.json["version"] == 1
    body = client.get(f"/api/v1/contracts/{response.json['contract_id']}", headers=_bearer(token)).json
    assert body["title"] == "MASTER SERVICES AGREEMENT"  # named after the file until read, then after its text
    v = body["versions"][0]
    assert v["ocr_pages"] == 1 and v["ocr_confidence"] > 70
    version = session.scalar(select(Version))
    assert "State of New York" in version.text
    auth.login(Role.VIEWER)
    page = client.get(f"/contracts/{version.contract_id}/versions/1").get_data(as_text=True)
    assert f"Text read by OCR (confidence {version.ocr_confidence:.0f}%)" in page


def test_version_view_shows_pdf_pages_with_evidence_boxes(client, auth, session, make_token):
    token = make_token(Role.LEGAL)
    created = _api_upload(client, token, contract_pdf(2), "msa.pdf").json
    version = session.scalar(select(Version))
    law = version.text.index("governed by the laws of the State of New York")
    span = f"{law}-{law + 45}"
    auth.login(Role.VIEWER)
    page = client.get(f"/contracts/{created['id']}/versions/1?highlight={span}").get_data(as_text=True)
    assert "Evidence on page 2 of the PDF" in page
    assert page.count('class="evidence-box"') == 1  # one line holds the span
    assert 'id="page-1"' in page and 'id="page-2"' in page
    image = client.get(f"/contracts/{created['id']}/versions/1/pages/2.png")
    assert image.status_code == 200 and image.mimetype == "image/png" and image.data.startswith(b"\x89PNG")
    # Pages are rendered once per file and page (cached by the blob's SHA-256 in the server; the
    # app's no-store policy for signed-in pages stays), and a browser holding one gets a 304.
    again = client.get(f"/contracts/{created['id']}/versions/1/pages/2.png",
                       headers={"If-None-Match": image.headers["ETag"]})
    assert again.status_code == 304
    assert client.get(f"/contracts/{created['id']}/versions/1/pages/3.png").status_code == 404
    # A Word version has no pages.
    _api_upload(client, token, text_to_docx(version.text), "msa.docx", url=f"/api/v1/contracts/{created['id']}/versions")
    assert client.get(f"/contracts/{created['id']}/versions/2/pages/1.png").status_code == 409
    assert "Pages of the PDF" not in client.get(f"/contracts/{created['id']}/versions/2").get_data(as_text=True)


def test_page_marks_cover_the_span_on_its_line():
    from clm.versions.pdfread import from_pdf, page_marks

    doc = from_pdf(contract_pdf(2))
    start = doc.text.index("termination fee")
    marks = page_marks(doc, [(start, start + len("termination fee"))])
    # "termi-" ends one line and "nation fee." starts the next: two boxes, on page 2.
    assert list(marks) == [2] and len(marks[2]) == 2
    first, second = marks[2]
    assert first[1] < second[1]  # one line above the other
    assert first[2] - first[0] < 60 and second[0] < 80  # the ends of the lines, not the whole lines


def test_cli_extract_and_diff_read_pdfs(tmp_path: Path):
    import json

    from click.testing import CliRunner

    pdf = tmp_path / "Acme MSA 2024.pdf"
    pdf.write_bytes(contract_pdf(2))
    docx = tmp_path / "msa-v2.docx"
    docx.write_bytes(text_to_docx(expected_text().replace("New York", "Delaware")))
    runner = CliRunner()
    extracted = runner.invoke(main, ["extract", str(pdf)])
    assert extracted.exit_code == 0, extracted.output
    record = json.loads(extracted.stdout)
    assert record["id"] == "Acme MSA 2024" and record["fields"]["governing_law"] == "New York"
    diffed = runner.invoke(main, ["diff", str(pdf), str(docx), "--format", "json"])
    assert diffed.exit_code == 0, diffed.output
    ops = json.loads(diffed.stdout)["ops"]
    assert "".join(t for op, t in ops if op != "insert") == expected_text()
    assert "".join(t for op, t in ops if op == "delete").strip().rstrip(".") == "New York"


def test_a_stored_pdf_is_never_read_again_to_show_or_compare_it(client, session, make_token, monkeypatch):
    from clm.versions import intake, pdfread, store

    token = make_token(Role.LEGAL)
    created = _api_upload(client, token, contract_pdf(2), "msa.pdf").json
    version = session.scalar(select(Version))
    fresh = pdfread.from_pdf(contract_pdf(2))
    stored = pdfread.from_layout(version.text, version.page_layout)
    assert stored.paragraphs == fresh.paragraphs and len(stored.pages) == len(fresh.pages) == 2
    for kept, read in zip(stored.pages, fresh.pages, strict=True):
        assert [(ln.start, ln.end) for ln in kept.lines] == [(ln.start, ln.end) for ln in read.lines]
        assert all(abs(a - b) <= 0.05 for k, r in zip(kept.lines, read.lines, strict=True)
                   for a, b in zip(k.box, r.box, strict=True))  # boxes kept to 0.1 pt
    _api_upload(client, token, text_to_docx(expected_text()), "msa.docx",
                url=f"/api/v1/contracts/{created['id']}/versions")
    store._READ_CACHE.clear()
    calls = []
    real = intake._parse_pdf_in_child
    monkeypatch.setattr(intake, "_parse_pdf_in_child", lambda *a, **kw: calls.append(a) or real(*a, **kw))
    viewer = make_token(Role.VIEWER)
    assert client.get(f"/api/v1/contracts/{created['id']}/compare?from=1&to=2&format=json",
                      headers=_bearer(viewer)).status_code == 200
    assert calls == []
    # `clm audit check --deep` does read the file again, to prove the stored text is the file's.
    assert store.text_findings(session, store.limits_from_settings(client.application.config)) == []
    assert len(calls) == 1


def test_a_pdf_with_scripts_is_stored_and_its_page_says_they_never_ran(client, auth, session, make_token):
    lines = [(72.0, 90.0, "This Agreement is governed by the laws of the State of New York.")]
    pdf = text_pdf([lines], catalog_extra=b"/OpenAction << /S /JavaScript /JS (app.launchURL\\('x'\\)) >> ")
    created = _api_upload(client, make_token(Role.LEGAL), pdf, "scripted.pdf")
    assert created.status_code == 201, created.json
    auth.login(Role.VIEWER)
    page = client.get(f"/contracts/{created.json['id']}/versions/1").get_data(as_text=True)
    assert "contains scripts or automatic actions (JavaScript, OpenAction)" in page
    assert "never runs them" in page
