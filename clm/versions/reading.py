"""Reading an uploaded PDF with scanned pages as a background job, its progress in the jobs table.

OCR takes seconds a page, so an upload whose PDF has pages without a text layer is not read in
its request. The request does only what is fast, :func:`clm.versions.intake.read_unless_scanned`
(every check that refuses a file, with the same errors, and finding which pages need OCR), keeps
the bytes as a blob and records a "read" job (:class:`clm.jobs.Job`: contract, file name, who
sent it, pages done of pages total). :func:`run_read_job` then reads the PDF in the capped child,
writing its progress after every page, and stores the version through
:func:`clm.versions.store.store_document`, as an upload read in its request is stored: one
transaction, the version and its ``version.stored`` event (which queues extraction).

Dispatch: an RQ job for ``clm worker`` with ``CLM_REDIS_URL``; without it, the serving process's
background thread (:func:`clm.jobs.in_background`), never the request. ``INLINE_JOBS`` (tests)
runs it at once.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy import select, update

from clm import events, jobs
from clm.db import utcnow
from clm.errors import ClmError, Conflict
from clm.versions import store
from clm.versions.models import Contract, Version, VersionSource

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from clm.versions.intake import Limits
    from clm.versions.pdfread import ScanPending

log = logging.getLogger(__name__)

#: The one line a job records when something other than the file failed (no stack trace).
BROKEN = "The PDF could not be read: the reading job failed ({what}); retry it from the jobs page."
#: A finished read stays on its contract's page this long (a refresh without JavaScript still sees it).
SHOWN_AFTER_DONE = dt.timedelta(minutes=10)


def receive(session: Session, upload: store.Upload, *, limits: Limits, author: str, contract_id: int | None = None,
            title: str | None = None, counterparty: str | None = None,
            source: VersionSource = VersionSource.UPLOAD) -> Version | jobs.Job:
    """Store an upload as a version now, or, for a PDF with pages to OCR, queue its reading.

    Return the stored Version, or the queued read Job (dispatch it with :func:`dispatch` once
    the transaction commits). A file the checks refuse raises the same ClmError as
    :func:`clm.versions.store.import_file`, and nothing is stored.
    """
    from clm.versions import intake
    from clm.versions.pdfread import ScanPending

    contract = store.get_contract(session, contract_id) if contract_id is not None else None
    read = intake.read_unless_scanned(upload.data, upload.filename, limits)
    if isinstance(read, ScanPending):
        return queue_read(session, upload, read, contract=contract, author=author, title=title,
                          counterparty=counterparty, source=source)
    return store.store_document(session, upload, read, contract=contract, author=author, title=title,
                                counterparty=counterparty, source=source)


def queue_read(session: Session, upload: store.Upload, scan: ScanPending, *, contract: Contract | None, author: str,
               title: str | None = None, counterparty: str | None = None,
               source: VersionSource = VersionSource.UPLOAD) -> jobs.Job:
    """Keep the upload's bytes and record a queued read job for them (in the caller's transaction).

    A new contract (``contract`` None) is created now, titled ``title`` or after the file's name
    (its first line once read, if the title was the file's name). Raise Conflict when the bytes
    are already one of the contract's versions or are being read for it.
    """
    sha = upload.sha256
    if contract is not None:
        store.refuse_same_file(contract, sha)
        pending = session.scalar(select(jobs.Job.id).where(
            jobs.Job.kind == jobs.READ, jobs.Job.contract_id == contract.id, jobs.Job.blob_sha256 == sha,
            jobs.Job.status.in_([jobs.QUEUED, jobs.RUNNING])).limit(1))
        if pending is not None:
            raise Conflict(f"This file is already being read (job {pending}) for contract {contract.id}; "
                           "nothing more was stored.")
    filename = store.safe_filename(upload.filename)
    if contract is None:
        contract = store.create_contract(session, title=title or store.title_from_filename(filename),
                                         counterparty=counterparty, author=author)
    blob = store.put_blob(session, upload.data, store.MEDIA_TYPES["pdf"])
    session.flush()  # the blob row before the job that names it (no relationship orders them)
    job = jobs.Job(kind=jobs.READ, status=jobs.QUEUED, contract_id=contract.id, blob_sha256=blob.sha256,
                   filename=filename, source=source.value, created_by=author, pages_total=scan.pages,
                   pages_done=0, attempts=0)
    session.add(job)
    session.flush()
    return job


def dispatch(settings: dict[str, Any], job_id: int) -> None:
    """Hand a committed read job to a worker (Redis), the background thread, or (``INLINE_JOBS``) run it now.

    A failure to reach Redis is recorded on the job, which the jobs page can retry.
    """
    url = str(settings["DATABASE_URL"])
    if settings.get("REDIS_URL"):
        try:
            rq_id = jobs.enqueue(settings, run_read_job, job_id, url)
        except Exception as err:
            log.exception("could not queue read job %s", job_id)
            jobs.finish(url, job_id, jobs.FAILED, BROKEN.format(what=f"could not queue it: {type(err).__name__}"))
            return
        with jobs.job_transaction(url) as session:
            job = session.get(jobs.Job, job_id)
            if job is not None and job.rq_job_id is None:
                job.rq_job_id = rq_id
    elif settings.get("INLINE_JOBS"):
        run_read_job(job_id, url, dict(settings))
    else:
        jobs.in_background(run_read_job, job_id, url, dict(settings))


def _progress(database_url: str, job_id: int, done: int, total: int) -> None:
    """Record how many pages a read job has read, in a short transaction of its own."""
    try:
        with jobs.job_transaction(database_url) as session:
            session.execute(update(jobs.Job).where(jobs.Job.id == job_id, jobs.Job.status == jobs.RUNNING)
                            .values(pages_done=done, pages_total=total, updated_at=utcnow()))
    except Exception:  # progress is for people; the read goes on without it
        log.exception("could not record the progress of read job %s", job_id)


def _failed(database_url: str, job_id: int, err: Exception, what: str) -> str:
    """Record a read job's failure in one line: a ClmError's own words, else BROKEN (logged in full)."""
    if isinstance(err, ClmError):
        jobs.finish(database_url, job_id, jobs.FAILED, str(err))
    else:
        log.exception("read job %s %s", job_id, what)
        jobs.finish(database_url, job_id, jobs.FAILED, BROKEN.format(what=type(err).__name__))
    return jobs.FAILED


def run_read_job(job_id: int, database_url: str, settings: dict[str, Any] | None = None) -> str:
    """Read a queued job's PDF (OCR page by page, progress recorded) and store it as the next
    version of its contract; record done or failed (one line). Return the job's status.

    Idempotent: a job that is done, failed or already has its version is left alone, and the
    version is stored only by the run that moves the job from running to done (a compare and
    set in the version's own transaction), so two runs of one job store one version.
    """
    from clm import config
    from clm.versions import intake

    if settings is None:
        settings = config.load()
        settings["DATABASE_URL"] = database_url
    limits = store.limits_from_settings(settings)
    with jobs.job_transaction(database_url) as session:
        job = session.get(jobs.Job, job_id)
        if job is None:
            return "missing"
        if job.kind != jobs.READ or job.status in (jobs.DONE, jobs.FAILED) or job.version_id is not None:
            return job.status
        job.status, job.attempts, job.pages_done, job.updated_at = jobs.RUNNING, job.attempts + 1, 0, utcnow()
        sha, filename = str(job.blob_sha256), str(job.filename)
        data, problem = store.blob_bytes(session, sha)
    if data is None:
        jobs.finish(database_url, job_id, jobs.FAILED, BROKEN.format(what=f"the uploaded file is gone: {problem}"))
        return jobs.FAILED
    try:
        document = intake.read_upload(data, filename, limits,
                                      progress=lambda done, total: _progress(database_url, job_id, done, total))
    except Exception as err:  # a ClmError is the file's fault: the words the upload would have got
        return _failed(database_url, job_id, err, "failed")
    try:
        with jobs.job_transaction(database_url) as session:
            claimed = session.execute(
                update(jobs.Job).where(jobs.Job.id == job_id, jobs.Job.status == jobs.RUNNING,
                                       jobs.Job.version_id.is_(None))
                .values(status=jobs.DONE, error=None, updated_at=utcnow())).rowcount
            if not claimed:
                return jobs.DONE  # another run of this job stored its version (or it was retried meanwhile)
            job = session.get(jobs.Job, job_id)
            assert job is not None and job.contract_id is not None
            contract = store.get_contract(session, job.contract_id)
            if not contract.versions and contract.title == store.title_from_filename(filename):
                contract.title = store.title_from(document, filename)  # named after its file until read
            version = store.store_document(session, store.Upload(data=data, filename=filename), document,
                                           contract=contract, author=job.created_by or "unknown",
                                           source=VersionSource(job.source or VersionSource.UPLOAD.value))
            job.version_id, job.pages_done = version.id, job.pages_total
    except Exception as err:  # a ClmError: identical to a version stored meanwhile, a number taken ...
        return _failed(database_url, job_id, err, "could not store its version")
    events.follow(settings, jobs.session_factory(database_url))  # version.stored: extraction
    return jobs.DONE


# -- what pages and the API show ------------------------------------------------------------------


@dataclass(frozen=True)
class ReadStatus:
    """A read job as a person (the contract page) or a program (the API) follows it."""

    id: int
    contract_id: int
    filename: str
    #: queued, running, done, failed or interrupted (see clm.jobs.interrupted).
    status: str
    pages_done: int
    pages_total: int
    error: str | None
    #: The number of the version it stored, once done.
    version: int | None

    def as_json(self) -> dict[str, Any]:
        return {"id": self.id, "kind": jobs.READ, "contract_id": self.contract_id, "filename": self.filename,
                "status": self.status, "pages_done": self.pages_done, "pages_total": self.pages_total,
                "error": self.error, "version": self.version}


def status_of(session: Session, job: jobs.Job, settings: dict[str, Any]) -> ReadStatus:
    """Return what is known of a read job now."""
    number = session.scalar(select(Version.number).where(Version.id == job.version_id)) if job.version_id else None
    return ReadStatus(id=job.id, contract_id=int(job.contract_id or 0), filename=job.filename or "",
                      status=jobs.state(job, settings), pages_done=job.pages_done or 0,
                      pages_total=job.pages_total or 0, error=job.error, version=number)


def get_read(session: Session, job_id: int, contract_id: int | None = None) -> jobs.Job:
    """Return read job ``job_id`` (of contract ``contract_id``, when given); raise NotFound otherwise."""
    from clm.errors import NotFound

    # Fresh from the database: the job's process writes its progress, not this session.
    job = session.get(jobs.Job, job_id, populate_existing=True)
    if job is None or job.kind != jobs.READ or (contract_id is not None and job.contract_id != contract_id):
        raise NotFound(f"There is no reading job {job_id}" + (f" for contract {contract_id}." if contract_id else "."))
    return job


def contract_reads(session: Session, contract: Contract, settings: dict[str, Any]) -> list[ReadStatus]:
    """Return the read jobs a contract's page shows: those not finished, those that failed since
    its latest version, and those done in the last few minutes; oldest first."""
    latest = max((v.created_at for v in contract.versions), default=None)
    now = utcnow()
    shown = []
    for job in session.scalars(select(jobs.Job).where(jobs.Job.kind == jobs.READ, jobs.Job.contract_id == contract.id)
                               .order_by(jobs.Job.id.desc()).limit(20)):
        updated = job.updated_at if job.updated_at.tzinfo else job.updated_at.replace(tzinfo=dt.UTC)
        created = job.created_at if job.created_at.tzinfo else job.created_at.replace(tzinfo=dt.UTC)
        if job.status == jobs.DONE and now - updated > SHOWN_AFTER_DONE:
            continue
        if job.status == jobs.FAILED and latest is not None and created < (
                latest if latest.tzinfo else latest.replace(tzinfo=dt.UTC)):
            continue
        shown.append(status_of(session, job, settings))
    return shown[::-1]
