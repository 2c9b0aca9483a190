"""Background jobs and bulk import: inline without Redis, RQ workers with it; status in the database."""

from __future__ import annotations

import csv
import os
import signal
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from sqlalchemy import func, select

from clm import jobs
from clm.clauses import jobs as extraction
from clm.cli import main
from clm.clauses.models import ExtractionRun
from clm.demo import text_to_docx
from clm.users import Role
from clm.versions.models import Blob, Contract, Version

REDIS_URL = os.environ.get("CLM_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
CLM = str(Path(sys.executable).with_name("clm"))


def append_line(path: str, line: str) -> None:
    """A job: append a line to a file (importable by the worker as tests.test_jobs.append_line)."""
    with open(path, "a", encoding="utf-8") as handle:
        handle.write(line + "\n")


def _counts(session):
    session.expire_all()
    return tuple(session.scalar(select(func.count()).select_from(m)) for m in (Contract, Version, Blob))


def _contract_text(i: int) -> str:
    return (f"SERVICES AGREEMENT NO. {i}\nThis Agreement is between Customer {i} and Supplier.\n"
            "This Agreement shall be governed by the laws of the State of New York.\n"
            f"The initial term is {i % 5 + 1} years and renews automatically for one year.\n")


def test_without_redis_a_job_runs_at_once(tmp_path: Path):
    target = tmp_path / "out.txt"
    assert jobs.enqueue({"REDIS_URL": ""}, append_line, str(target), "inline") is None
    assert target.read_text() == "inline\n"


@pytest.fixture
def redis_queue():
    """A queue of its own on the local Redis (other test runs share the server); deleted afterwards."""
    from redis import Redis
    from redis.exceptions import ConnectionError as RedisConnectionError
    from rq import Queue

    connection = Redis.from_url(REDIS_URL)
    try:
        connection.ping()
    except RedisConnectionError:
        if os.environ.get("CI"):
            raise
        pytest.skip(f"no Redis at {REDIS_URL}")
    queue = Queue(f"clm-test-{uuid.uuid4().hex[:12]}", connection=connection)
    yield queue
    queue.delete(delete_jobs=True)


def test_with_redis_a_worker_runs_the_job(tmp_path: Path, redis_queue):
    from rq import SimpleWorker

    target = tmp_path / "out.txt"
    job_id = jobs.enqueue({"REDIS_URL": REDIS_URL, "RQ_QUEUE": redis_queue.name}, append_line, str(target), "queued")
    assert job_id is not None and not target.exists()
    SimpleWorker([redis_queue], connection=redis_queue.connection).work(burst=True)
    assert target.read_text() == "queued\n"
    assert redis_queue.fetch_job(job_id).is_finished


# -- clm import DIR --recursive ----------------------------------------------------------------


@pytest.fixture
def archive(tmp_path: Path) -> Path:
    """A shared drive: good files in nested folders, a duplicate, and hostile or unreadable ones."""
    root = tmp_path / "drive"
    (root / "2019" / "sales").mkdir(parents=True)
    (root / "legal").mkdir()
    (root / "2019" / "sales" / "msa.docx").write_bytes(text_to_docx(_contract_text(1)))
    (root / "2019" / "nda.txt").write_text(_contract_text(2))
    (root / "legal" / "supply.md").write_text(_contract_text(3))
    (root / "legal" / "copy of nda.txt").write_text(_contract_text(2))  # duplicate bytes
    (root / "legal" / "scan.docx").write_bytes(b"%PDF-1.5 scanned")  # a PDF named .docx
    (root / "legal" / "broken.docx").write_bytes(b"PK\x03\x04" + os.urandom(200))
    (root / "legal" / "empty.txt").write_bytes(b"")
    (root / "legal" / "invoice.xlsx").write_bytes(b"PK\x03\x04 not for clm")
    locked = root / "legal" / "locked.txt"
    locked.write_text(_contract_text(4))
    locked.chmod(0)
    return root


def test_a_directory_imports_the_good_files_and_reports_the_bad(runner, session, archive, tmp_path):
    report = tmp_path / "report.csv"
    result = runner.invoke(main, ["import", str(archive), "--recursive", "--report", str(report)])
    assert result.exit_code == 2
    errors = [line for line in result.stderr.splitlines() if line.startswith("clm: error:")]
    rejected = {"scan.docx", "broken.docx", "empty.txt", "invoice.xlsx"}
    if os.geteuid() != 0:  # root reads a file whatever its mode
        rejected.add("locked.txt")
    assert {Path(line.split(": ")[2]).name for line in errors} == rejected
    assert "Importing [" in result.stderr and "files" in result.stderr and "ETA" in result.stderr
    good = 4 if os.geteuid() == 0 else 3
    assert _counts(session) == (good, good, good)  # nothing half-stored for the bad ones
    rows = list(csv.DictReader(report.open()))
    assert {r["outcome"] for r in rows} == {"imported", "skipped", "rejected"}
    assert [r["path"] for r in rows if r["outcome"] == "skipped"] == [str(archive / "legal" / "copy of nda.txt")]
    assert all(r["detail"] for r in rows if r["outcome"] == "rejected")
    run = session.scalar(select(jobs.ImportRun))
    assert (run.status, run.total, run.imported, run.skipped, run.rejected) == \
        ("finished", 9, good, 1, len(rejected))
    failed = session.scalars(select(jobs.Job).where(jobs.Job.kind == jobs.IMPORT)).all()
    assert {Path(j.path).name for j in failed} == rejected and all(j.error for j in failed)
    # Inline (no Redis): every imported version was extracted, and its job says so.
    assert session.scalar(select(func.count()).select_from(ExtractionRun)) == good
    assert {j.status for j in session.scalars(select(jobs.Job).where(jobs.Job.kind == jobs.EXTRACT))} == {jobs.DONE}


def test_a_rerun_skips_what_is_stored(runner, session, archive):
    runner.invoke(main, ["import", str(archive), "-r"])
    before = _counts(session)
    again = runner.invoke(main, ["import", str(archive), "-r"])
    assert _counts(session) == before
    assert "already stored as contract" in again.stdout
    runs = session.scalars(select(jobs.ImportRun).order_by(jobs.ImportRun.id)).all()
    assert runs[-1].imported == 0 and runs[-1].skipped == before[1] + 1


def test_a_directory_needs_recursive(runner, archive):
    result = runner.invoke(main, ["import", str(archive)])
    assert result.exit_code == 2 and "--recursive" in result.stderr


def test_an_import_killed_half_way_finishes_on_rerun_without_duplicates(cli_env, session, tmp_path):
    folder = tmp_path / "many"
    folder.mkdir()
    total = 40
    for i in range(total):
        (folder / f"contract-{i:03d}.txt").write_text(_contract_text(i))
    env = {**os.environ, **cli_env}
    process = subprocess.Popen([CLM, "import", str(folder), "--recursive"], env=env,
                               stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    imported = 0
    assert process.stdout is not None
    for line in process.stdout:
        imported += "contract" in line
        if imported >= 5:
            break
    process.send_signal(signal.SIGKILL)
    process.wait(30)
    first = _counts(session)
    assert 5 <= first[1] < total, "the import finished before it could be killed"
    rerun = subprocess.run([CLM, "import", str(folder), "--recursive"], env=env, capture_output=True,
                           text=True, timeout=300)
    assert rerun.returncode == 0, rerun.stderr
    assert _counts(session) == (total, total, total)
    assert session.scalar(select(func.count(func.distinct(Version.blob_sha256)))) == total
    assert rerun.stdout.count("already stored as contract") >= 5
    runs = session.scalars(select(jobs.ImportRun).order_by(jobs.ImportRun.id)).all()
    assert runs[0].status == "running" and runs[0].finished_at is None  # killed: never finished
    assert runs[1].status == "finished" and runs[1].skipped + runs[1].imported == total
    # Every version ends extracted once, including any the killed run queued but never ran.
    assert session.scalar(select(func.count(func.distinct(ExtractionRun.version_id)))) == total


def test_the_worker_path_extracts_through_redis(cli_env, session, tmp_path, redis_queue):
    folder = tmp_path / "queued"
    folder.mkdir()
    for i in range(3):
        (folder / f"c{i}.txt").write_text(_contract_text(i))
    env = {**os.environ, **cli_env, "CLM_REDIS_URL": REDIS_URL, "CLM_RQ_QUEUE": redis_queue.name}
    result = subprocess.run([CLM, "import", str(folder), "-r"], env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    queued = session.scalars(select(jobs.Job).where(jobs.Job.kind == jobs.EXTRACT)).all()
    assert len(queued) == 3 and {j.status for j in queued} == {jobs.QUEUED} and all(j.rq_job_id for j in queued)
    assert session.scalar(select(func.count()).select_from(ExtractionRun)) == 0
    # Three extraction jobs, and after each import's commit the drain of the events it published
    # (version.stored: its extraction job exists already, so the drain adds none).
    names = sorted(job.func_name for job in redis_queue.jobs)
    assert names == ["clm.clauses.jobs.run_extraction_job"] * 3 + ["clm.subscribers.process_job"] * 3
    worker = subprocess.run([CLM, "worker", "--burst"], env=env, capture_output=True, text=True, timeout=300)
    assert worker.returncode == 0, worker.stderr
    session.expire_all()
    assert {j.status for j in session.scalars(select(jobs.Job).where(jobs.Job.kind == jobs.EXTRACT))} == {jobs.DONE}
    assert session.scalar(select(func.count()).select_from(ExtractionRun)) == 3
    assert len(redis_queue) == 0


# -- failures, the jobs page and retry ----------------------------------------------------------


def test_a_failed_extraction_is_recorded_and_retried_from_the_jobs_page(app, runner, session, client, auth,
                                                                        tmp_path, monkeypatch):
    from clm.clauses import services

    path = tmp_path / "a.txt"
    path.write_text(_contract_text(7))
    real = services.extract_version

    def broken(*_args, **_kwargs):
        raise RuntimeError("the model file is missing")

    monkeypatch.setattr(services, "extract_version", broken)
    result = runner.invoke(main, ["import", str(path)])
    assert result.exit_code == 0  # the file is stored; extraction failed separately
    job = session.scalar(select(jobs.Job).where(jobs.Job.kind == jobs.EXTRACT))
    assert job.status == jobs.FAILED and "the model file is missing" in job.error and job.attempts == 1

    auth.login(Role.LEGAL)
    page = client.get("/jobs").get_data(as_text=True)
    assert "the model file is missing" in page and "Retry" in page
    monkeypatch.setattr(services, "extract_version", real)
    response = client.post(f"/jobs/{job.id}/retry", data={"csrf_token": auth.token()})
    assert response.status_code == 302
    session.expire_all()
    job = session.get(jobs.Job, job.id)
    assert job.status == jobs.DONE and job.attempts == 2 and job.error is None
    assert session.scalar(select(func.count()).select_from(ExtractionRun)) == 1
    # Done jobs cannot be retried.
    again = client.post(f"/jobs/{job.id}/retry", data={"csrf_token": auth.token()})
    assert again.status_code == 302
    assert "only failed extraction and reading jobs" in client.get("/jobs").get_data(as_text=True)


def test_a_job_that_runs_twice_changes_nothing(app, runner, session, tmp_path):
    path = tmp_path / "a.txt"
    path.write_text(_contract_text(8))
    runner.invoke(main, ["import", str(path)])
    job = session.scalar(select(jobs.Job).where(jobs.Job.kind == jobs.EXTRACT))
    assert extraction.run_extraction_job(job.id, app.config["DATABASE_URL"]) == jobs.DONE
    assert session.scalar(select(func.count()).select_from(ExtractionRun)) == 1


@pytest.mark.parametrize("role, status", [(Role.ADMIN, 200), (Role.LEGAL, 200), (Role.FINANCE, 403),
                                          (Role.VIEWER, 403)])
def test_the_jobs_page_is_for_admin_and_legal(client, auth, role, status):
    auth.login(role)
    assert client.get("/jobs").status_code == status


def test_retry_needs_csrf(client, auth):
    auth.login(Role.ADMIN)
    assert client.post("/jobs/1/retry").status_code == 400


def test_the_hostile_corpus_imports_the_good_file_and_rejects_the_rest(runner, session, tmp_path):
    import json
    import shutil

    corpus = Path(__file__).resolve().parents[2] / "shared" / "data" / "badinputs-sample"
    if not corpus.is_dir():
        pytest.skip("the shared hostile .docx sample is not here")
    manifest = json.loads((corpus / "manifest.json").read_text())
    drive = tmp_path / "hostile"
    shutil.copytree(corpus, drive, ignore=shutil.ignore_patterns("*.json", "*.md"))
    report = tmp_path / "report.csv"
    result = runner.invoke(main, ["import", str(drive), "-r", "--report", str(report)])
    assert result.exit_code == 2
    outcome = {Path(r["path"]).name: r for r in csv.DictReader(report.open())}
    for case in manifest["files"]:
        expected = "imported" if case["expected"] == "accept" else "rejected"
        assert outcome[case["file"]]["outcome"] == expected, (case["file"], outcome[case["file"]]["detail"])
    accepted = sum(case["expected"] == "accept" for case in manifest["files"])
    assert _counts(session) == (accepted, accepted, accepted)
    assert "Traceback" not in result.stderr


# -- reading a scanned upload (issue 20) ---------------------------------------------------------


def test_with_redis_a_scanned_upload_is_read_by_clm_worker(app, client, cli_env, session, make_token, redis_queue):
    import io
    import shutil

    from tests.pdf_fixtures import CONTRACT_PARAGRAPHS, scanned_pdf

    if shutil.which("tesseract") is None:
        pytest.skip("tesseract-ocr is not installed")
    app.config.update(REDIS_URL=REDIS_URL, RQ_QUEUE=redis_queue.name)
    lines = [line for para in CONTRACT_PARAGRAPHS for line in [*para, ""]]
    response = client.post("/api/v1/contracts", headers={"Authorization": f"Bearer {make_token(Role.LEGAL)}"},
                           content_type="multipart/form-data",
                           data={"file": (io.BytesIO(scanned_pdf([lines])), "scan.pdf")})
    assert response.status_code == 202, response.json
    job = session.get(jobs.Job, response.json["id"])
    assert job.kind == jobs.READ and job.status == jobs.QUEUED and job.rq_job_id
    assert [j.func_name for j in redis_queue.jobs] == ["clm.versions.reading.run_read_job"]
    assert session.scalar(select(func.count()).select_from(Version)) == 0
    env = {**os.environ, **cli_env, "CLM_REDIS_URL": REDIS_URL, "CLM_RQ_QUEUE": redis_queue.name}
    worker = subprocess.run([CLM, "worker", "--burst"], env=env, capture_output=True, text=True, timeout=300)
    assert worker.returncode == 0, worker.stderr
    session.expire_all()
    job = session.get(jobs.Job, job.id)
    assert (job.status, job.pages_done, job.pages_total, job.error) == (jobs.DONE, 1, 1, None)
    version = session.get(Version, job.version_id)
    assert "State of New York" in version.text and version.ocr_pages == 1
    # version.stored went to the worker too, and it extracted the version's terms.
    assert session.scalar(select(func.count()).select_from(ExtractionRun)
                          .where(ExtractionRun.version_id == version.id)) == 1
