"""Issue 20: a scanned PDF upload returns at once; it is read as a background job with progress.

The request does the checks that refuse a file and finds the pages to OCR; a "read" job keeps
the bytes, reads them page by page (its progress in the jobs table) and stores the version
through the same store function as any upload. Dispatch is captured here, so a test decides when
the job runs; tests/journeys/test_pdf_archive.py runs it in the served app's background thread.
"""

from __future__ import annotations

import datetime as dt
import io
import shutil

import pytest
from sqlalchemy import func, select

from clm import db, jobs, sandbox
from clm.clauses.models import ExtractedTerm
from clm.errors import InvalidInput
from clm.events import Event
from clm.users import Role
from clm.versions import intake, pdfread, reading, store
from clm.versions.models import Blob, Contract, Version
from tests.pdf_fixtures import CONTRACT_PARAGRAPHS, contract_pdf, encrypted_pdf, many_pages_pdf, scanned_pdf

needs_tesseract = pytest.mark.skipif(shutil.which("tesseract") is None, reason="tesseract-ocr is not installed")

LINES = [line for para in CONTRACT_PARAGRAPHS for line in [*para, ""]]


def _scan() -> bytes:
    return scanned_pdf([LINES[:9], LINES[9:]])


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def dispatched(monkeypatch) -> list[int]:
    """Capture dispatch: the read job is queued, and runs only when the test runs it."""
    queued: list[int] = []
    monkeypatch.setattr(reading, "dispatch", lambda settings, job_id: queued.append(job_id))
    return queued


def _run(app, job_id: int) -> str:
    return reading.run_read_job(job_id, app.config["DATABASE_URL"], dict(app.config))


def _job(session, job_id: int) -> jobs.Job:
    session.expire_all()
    job = session.get(jobs.Job, job_id)
    assert job is not None
    return job


def _counts(session) -> tuple[int, int, int]:
    session.expire_all()
    return tuple(session.scalar(select(func.count()).select_from(m)) for m in (Contract, Version, Blob))  # type: ignore[return-value]


def _contract(app, text_version: bool = True) -> int:
    with db.transaction_for(db.sessionmaker_for(app)) as s:
        contract = store.create_contract(s, title="MSA", counterparty=None, author="legal@example.test")
        if text_version:
            store.add_version(s, contract, store.Upload(b"draft", "draft.txt"),
                              intake.read_upload(b"draft", "draft.txt"), source=store.VersionSource.UPLOAD,
                              author="legal@example.test")
        return contract.id


# -- the pieces: progress from the child, the check without OCR ----------------------------------


def _reports(n: int) -> str:
    for i in range(1, n + 1):
        sandbox.report(i, n)
    return "read"


def test_a_capped_child_reports_progress_to_the_parent_while_it_waits():
    seen: list[tuple[int, int]] = []
    result = sandbox.run_capped(_reports, 3, timeout=30, memory_bytes=256 * 1024 * 1024,
                                progress=lambda done, total: seen.append((done, total)))
    assert result == "read"
    assert seen == [(1, 3), (2, 3), (3, 3)]
    # Without a progress callback, report() is a no-op in the child.
    assert sandbox.run_capped(_reports, 2, timeout=30, memory_bytes=256 * 1024 * 1024) == "read"


def test_a_scan_is_checked_but_not_read_a_text_pdf_is_read():
    pending = intake.read_unless_scanned(_scan(), "scan.pdf")
    assert pending == pdfread.ScanPending(pages=2, ocr_pages=2)
    document = intake.read_unless_scanned(contract_pdf(2), "msa.pdf")
    assert not isinstance(document, pdfread.ScanPending) and "MASTER SERVICES AGREEMENT" in document.text


@pytest.mark.parametrize("data, error", [(encrypted_pdf(), "password"), (many_pages_pdf(501), "at most 500 pages")])
def test_the_checks_that_refuse_a_file_still_run_before_any_job(data, error):
    with pytest.raises(Exception) as caught:
        intake.read_unless_scanned(data, "bad.pdf")
    assert error in str(caught.value)


# -- the job ---------------------------------------------------------------------------------------


@needs_tesseract
def test_a_read_job_records_its_progress_and_stores_exactly_one_version(app, session, monkeypatch):
    contract_id = _contract(app)
    with db.transaction_for(db.sessionmaker_for(app)) as s:
        job = reading.receive(s, store.Upload(_scan(), "scan.pdf"), limits=store.limits_from_settings(app.config),
                              author="legal@example.test", contract_id=contract_id)
        assert isinstance(job, jobs.Job)
        job_id = job.id
    queued = _job(session, job_id)
    assert (queued.kind, queued.status, queued.pages_done, queued.pages_total) == ("read", "queued", 0, 2)
    assert queued.filename == "scan.pdf" and queued.created_by == "legal@example.test" and queued.source == "upload"
    assert session.get(Blob, queued.blob_sha256) is not None  # the bytes are kept for the job
    assert _counts(session)[1] == 1  # no version yet
    rows: list[tuple[str, int | None, int | None]] = []
    real = reading._progress

    def progress(url, jid, done, total):
        real(url, jid, done, total)
        with db.transaction_for(db.sessionmaker_for(app)) as s:  # what another process sees, row by row
            row = s.get(jobs.Job, jid)
            rows.append((row.status, row.pages_done, row.pages_total))

    monkeypatch.setattr(reading, "_progress", progress)
    assert _run(app, job_id) == jobs.DONE
    assert rows == [("running", 0, 2), ("running", 1, 2), ("running", 2, 2)]
    done = _job(session, job_id)
    assert (done.status, done.pages_done, done.error, done.attempts) == ("done", 2, None, 1)
    version = session.get(Version, done.version_id)
    assert version.number == 2 and version.contract_id == contract_id and version.ocr_pages == 2
    assert "State of New York" in version.text and version.filename == "scan.pdf"
    # version.stored was published with it and processed: the extraction ran.
    assert session.scalar(select(Event.processed_at).where(Event.key == f"version-{version.id}")) is not None
    assert session.scalar(select(func.count()).select_from(ExtractedTerm)
                          .where(ExtractedTerm.version_id == version.id)) > 0
    # A job run again (a redelivery, a retry after a crash) changes nothing.
    before = _counts(session)
    assert _run(app, job_id) == jobs.DONE
    assert _counts(session) == before and _job(session, job_id).attempts == 1


def test_a_failed_read_stores_nothing_records_the_error_and_can_be_retried(app, session, monkeypatch):
    contract_id = _contract(app)
    with db.transaction_for(db.sessionmaker_for(app)) as s:
        job_id = reading.receive(s, store.Upload(_scan(), "scan.pdf"), limits=store.limits_from_settings(app.config),
                                 author="legal@example.test", contract_id=contract_id).id
    before = _counts(session)

    def broken(*args, **kwargs):  # runs in the forked child, like Tesseract failing on page 1
        raise InvalidInput(pdfread.OCR_FAILED.format(page=1))

    monkeypatch.setattr(pdfread, "_ocr_page", broken)
    monkeypatch.setattr(pdfread, "ocr_available", lambda: True)
    assert _run(app, job_id) == jobs.FAILED
    failed = _job(session, job_id)
    assert failed.status == "failed" and failed.version_id is None
    assert failed.error == "OCR could not read page 1 of this scanned PDF; it may be damaged."
    assert _counts(session) == before
    assert _run(app, job_id) == jobs.FAILED and _job(session, job_id).attempts == 1  # a failed job is not rerun
    # Retried (the jobs page), it reads again.
    with db.transaction_for(db.sessionmaker_for(app)) as s:
        jobs.retry(s, job_id, dict(app.config))
    again = _job(session, job_id)
    assert (again.status, again.error, again.pages_done) == ("queued", None, 0)
    monkeypatch.undo()
    if shutil.which("tesseract") is None:
        return
    assert _run(app, job_id) == jobs.DONE
    assert _counts(session)[1] == before[1] + 1 and _job(session, job_id).attempts == 2


def test_a_read_past_its_budget_fails_with_the_timeout_message(app, session, monkeypatch):
    contract_id = _contract(app)
    with db.transaction_for(db.sessionmaker_for(app)) as s:
        job_id = reading.receive(s, store.Upload(_scan(), "scan.pdf"), limits=store.limits_from_settings(app.config),
                                 author="legal@example.test", contract_id=contract_id).id

    def slow(*args, **kwargs):
        import time

        time.sleep(30)  # the child is killed at the deadline long before this ends

    monkeypatch.setattr(pdfread, "_ocr_page", slow)
    monkeypatch.setattr(pdfread, "ocr_available", lambda: True)
    settings = dict(app.config, PDF_PARSE_TIMEOUT_SECONDS=1.0)
    assert reading.run_read_job(job_id, app.config["DATABASE_URL"], settings) == jobs.FAILED
    assert _job(session, job_id).error == intake.PDF_TIMEOUT.format(seconds=1)
    assert _counts(session)[1] == 1


def test_a_job_left_running_by_a_dead_process_is_interrupted_and_can_be_retried(app, session):
    contract_id = _contract(app)
    with db.transaction_for(db.sessionmaker_for(app)) as s:
        job = jobs.Job(kind=jobs.READ, status=jobs.RUNNING, contract_id=contract_id, filename="scan.pdf",
                       source="upload", created_by="legal@example.test", pages_total=50, pages_done=12, attempts=1)
        s.add(job)
        s.flush()
        job_id = job.id
    settings = dict(app.config)
    now = db.utcnow()
    fresh = _job(session, job_id)
    assert jobs.state(fresh, settings, now) == "running"
    with pytest.raises(Exception, match="only failed"):  # a job still reading is not retried
        with db.transaction_for(db.sessionmaker_for(app)) as s:
            jobs.retry(s, job_id, settings)
    later = now + jobs.STALE_AFTER + dt.timedelta(seconds=1)
    assert jobs.state(fresh, settings, later) == "interrupted"
    # Without Redis a queued job runs in the serving process; still queued after its budget, it was lost.
    fresh.status = jobs.QUEUED
    assert jobs.state(fresh, settings, later) == "queued"
    assert jobs.state(fresh, settings, later + dt.timedelta(seconds=600)) == "interrupted"
    assert jobs.state(fresh, dict(settings, REDIS_URL="redis://x"), later + dt.timedelta(days=1)) == "queued"
    with db.transaction_for(db.sessionmaker_for(app)) as s:
        s.get(jobs.Job, job_id).updated_at = now - jobs.STALE_AFTER - dt.timedelta(minutes=1)
    with db.transaction_for(db.sessionmaker_for(app)) as s:
        jobs.retry(s, job_id, settings)
    assert (_job(session, job_id).status, _job(session, job_id).pages_done) == ("queued", 0)


def test_the_same_scan_twice_is_refused_while_it_is_read(app, session):
    contract_id = _contract(app)
    limits = store.limits_from_settings(app.config)
    scan = _scan()  # once: Pillow writes the time into every PDF it makes
    with db.transaction_for(db.sessionmaker_for(app)) as s:
        reading.receive(s, store.Upload(scan, "scan.pdf"), limits=limits, author="a", contract_id=contract_id)
    with pytest.raises(Exception, match="already being read"):
        with db.transaction_for(db.sessionmaker_for(app)) as s:
            reading.receive(s, store.Upload(scan, "scan.pdf"), limits=limits, author="a", contract_id=contract_id)


# -- the web form, the contract page and its status JSON --------------------------------------------


@needs_tesseract
def test_a_scan_uploaded_in_the_form_returns_at_once_and_the_page_follows_it(app, client, auth, session, dispatched):
    contract_id = _contract(app)
    auth.login(Role.LEGAL)
    response = client.post(f"/contracts/{contract_id}/versions", content_type="multipart/form-data",
                           data={"file": (io.BytesIO(_scan()), "msa-scan.pdf"), "csrf_token": auth.token()})
    assert response.status_code == 302
    assert response.headers["Location"].startswith(f"/contracts/{contract_id}?tab=versions")
    assert len(dispatched) == 1 and _counts(session)[1] == 1  # queued after commit; no version yet
    job_id = dispatched[0]
    page = client.get(f"/contracts/{contract_id}?tab=versions").get_data(as_text=True)
    assert "Reading scanned PDF msa-scan.pdf: page 0 of 2" in page
    assert '<progress max="2" value="0"' in page and "reads.js" in page
    assert f'data-read-status="/contracts/{contract_id}/reads/{job_id}"' in page
    status = client.get(f"/contracts/{contract_id}/reads/{job_id}").json
    assert status == {"id": job_id, "kind": "read", "contract_id": contract_id, "filename": "msa-scan.pdf",
                      "status": "queued", "pages_done": 0, "pages_total": 2, "error": None, "version": None,
                      "version_url": None}
    assert client.get(f"/contracts/{contract_id + 1}/reads/{job_id}").status_code == 404  # another contract's path
    assert _run(app, job_id) == jobs.DONE
    status = client.get(f"/contracts/{contract_id}/reads/{job_id}").json
    assert (status["status"], status["pages_done"], status["version"]) == ("done", 2, 2)
    assert status["version_url"] == f"/contracts/{contract_id}/versions/2"
    page = client.get(f"/contracts/{contract_id}?tab=versions").get_data(as_text=True)
    assert f'Read scanned PDF msa-scan.pdf: <a href="/contracts/{contract_id}/versions/2">version 2</a> stored.' in page


def test_a_failed_read_shows_its_error_on_the_contract_page(app, client, auth, session, dispatched, monkeypatch):
    contract_id = _contract(app)
    auth.login(Role.LEGAL)
    client.post(f"/contracts/{contract_id}/versions", content_type="multipart/form-data",
                data={"file": (io.BytesIO(_scan()), "scan.pdf"), "csrf_token": auth.token()})
    monkeypatch.setattr(pdfread, "_ocr_page", lambda *a, **k: (_ for _ in ()).throw(
        InvalidInput(pdfread.OCR_FAILED.format(page=2))))
    monkeypatch.setattr(pdfread, "ocr_available", lambda: True)
    assert _run(app, dispatched[0]) == jobs.FAILED
    page = client.get(f"/contracts/{contract_id}").get_data(as_text=True)
    assert "Scanned PDF scan.pdf could not be read; no version was stored." in page
    assert "OCR could not read page 2 of this scanned PDF; it may be damaged." in page
    # The jobs page lists it with a retry.
    jobs_page = client.get("/jobs").get_data(as_text=True)
    assert "scan.pdf for" in jobs_page and f"/jobs/{dispatched[0]}/retry" in jobs_page


def test_a_hostile_pdf_is_still_refused_in_the_request(app, client, auth, session, dispatched):
    contract_id = _contract(app)
    auth.login(Role.LEGAL)
    before = _counts(session)
    response = client.post(f"/contracts/{contract_id}/versions", content_type="multipart/form-data",
                           data={"file": (io.BytesIO(encrypted_pdf()), "locked.pdf"), "csrf_token": auth.token()})
    assert response.status_code == 303
    assert dispatched == [] and _counts(session) == before
    assert session.scalar(select(func.count()).select_from(jobs.Job).where(jobs.Job.kind == jobs.READ)) == 0


@needs_tesseract
def test_a_new_contract_from_a_scan_is_named_after_its_first_line_once_read(app, client, auth, session, dispatched):
    auth.login(Role.LEGAL)
    response = client.post("/contracts/new", content_type="multipart/form-data",
                           data={"file": (io.BytesIO(_scan()), "msa_scan.pdf"), "csrf_token": auth.token()})
    assert response.status_code == 302
    contract = session.scalar(select(Contract))
    assert response.headers["Location"] == f"/contracts/{contract.id}"
    assert contract.title == "msa scan" and contract.versions == []
    assert _run(app, dispatched[0]) == jobs.DONE
    session.expire_all()
    contract = session.scalar(select(Contract))
    assert contract.title == "MASTER SERVICES AGREEMENT" and [v.number for v in contract.versions] == [1]


# -- the API: 202 and a status URL -------------------------------------------------------------------


@needs_tesseract
def test_the_api_answers_202_with_a_status_url_then_the_version(app, client, session, make_token, dispatched):
    contract_id = _contract(app)
    legal, viewer = make_token(Role.LEGAL), make_token(Role.VIEWER)
    response = client.post(f"/api/v1/contracts/{contract_id}/versions", headers=_bearer(legal),
                           content_type="multipart/form-data", data={"file": (io.BytesIO(_scan()), "scan.pdf")})
    assert response.status_code == 202, response.json
    job_id = dispatched[0]
    assert response.headers["Location"] == f"/api/v1/jobs/{job_id}"
    assert response.json["status_url"] == f"/api/v1/jobs/{job_id}"
    assert (response.json["status"], response.json["pages_total"], response.json["version"]) == ("queued", 2, None)
    assert client.get(f"/api/v1/jobs/{job_id}").status_code == 401
    assert client.get(f"/api/v1/jobs/{job_id}", headers=_bearer(viewer)).json["status"] == "queued"
    assert _run(app, job_id) == jobs.DONE
    body = client.get(f"/api/v1/jobs/{job_id}", headers=_bearer(viewer)).json
    assert (body["status"], body["pages_done"], body["pages_total"], body["error"], body["version"]) == \
        ("done", 2, 2, None, 2)
    versions = client.get(f"/api/v1/contracts/{contract_id}", headers=_bearer(viewer)).json["versions"]
    assert [v["number"] for v in versions] == [1, 2] and versions[1]["ocr_pages"] == 2
    # A text PDF is stored in the request, as before.
    text = client.post(f"/api/v1/contracts/{contract_id}/versions", headers=_bearer(legal),
                       content_type="multipart/form-data", data={"file": (io.BytesIO(contract_pdf(2)), "msa.pdf")})
    assert text.status_code == 201 and text.json["number"] == 3 and len(dispatched) == 1


def test_the_diff_module_reads_pdfs_too(tmp_path, capsys):
    import json

    from clm.versions import diff
    from tests.versions.test_pdfread import expected_text

    (tmp_path / "signed.pdf").write_bytes(contract_pdf(2))
    (tmp_path / "next.txt").write_text(expected_text().replace("sixty (60) days", "ninety (90) days"))
    assert diff.main([str(tmp_path / "signed.pdf"), str(tmp_path / "next.txt")]) == 0
    ops = json.loads(capsys.readouterr().out)["ops"]
    assert any(op == "delete" and "sixty" in text for op, text in ops)
    assert any(op == "insert" and "ninety" in text for op, text in ops)
    assert not any(op == "delete" and "MASTER SERVICES AGREEMENT" in text for op, text in ops)  # read as text, not bytes
