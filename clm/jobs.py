"""Background jobs: RQ workers when ``CLM_REDIS_URL`` is set, inline otherwise; their status in the DB.

Job status lives in the ``jobs`` table, never in a process: the web process that shows the jobs
page, the ``clm import`` that queued the work and the RQ workers that do it may all be different
processes on different machines.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from sqlalchemy import ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from clm import config as clm_config
from clm import db
from clm.db import Base, utcnow

if TYPE_CHECKING:
    from sqlalchemy.orm import Session, sessionmaker

QUEUE_NAME = "clm"
log = logging.getLogger(__name__)

#: Job kinds and states, as stored.
EXTRACT, IMPORT, READ = "extract", "import", "read"
QUEUED, RUNNING, DONE, FAILED = "queued", "running", "done", "failed"
#: Not stored: a job left "running" (or, without Redis, "queued") by a process that died. See :func:`interrupted`.
INTERRUPTED = "interrupted"
#: A running read job writes its progress at least this often (OCR of one page is capped at
#: 60 s); one silent for longer was left by a process that died.
STALE_AFTER = dt.timedelta(minutes=5)


class ImportRun(Base):
    """One ``clm import`` of files or directories, with its running counts."""

    __tablename__ = "import_runs"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: What was imported, as given on the command line (paths joined by ", ", shortened).
    source: Mapped[str] = mapped_column(String(1000))
    #: "running" until the import ends; one that stays "running" was interrupted (run it again).
    status: Mapped[str] = mapped_column(String(20), default=RUNNING)
    total: Mapped[int] = mapped_column(Integer, default=0)
    imported: Mapped[int] = mapped_column(Integer, default=0)
    #: Files whose bytes were already stored as a version (a rerun, or a duplicate file).
    skipped: Mapped[int] = mapped_column(Integer, default=0)
    rejected: Mapped[int] = mapped_column(Integer, default=0)
    created_by: Mapped[str] = mapped_column(String(320))
    started_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[dt.datetime | None]

    def __repr__(self) -> str:
        return f"<ImportRun {self.id} {self.status} {self.imported}/{self.total}>"


class Job(Base):
    """One unit of background work (extracting a version, reading an uploaded scan) or one rejected import file."""

    __tablename__ = "jobs"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: "extract" (terms of ``version_id``), "read" (an uploaded PDF with scanned pages, read by OCR
    #: into the next version of ``contract_id``: ``version_id`` once stored) or "import" (a file an
    #: import rejected: ``path``, ``error``).
    kind: Mapped[str] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(20), default=QUEUED, index=True)
    import_run_id: Mapped[int | None] = mapped_column(ForeignKey("import_runs.id"), index=True)
    version_id: Mapped[int | None] = mapped_column(ForeignKey("versions.id"), index=True)
    path: Mapped[str | None] = mapped_column(String(1000))
    #: Why it failed, one line for a person (no stack trace).
    error: Mapped[str | None] = mapped_column(Text)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    rq_job_id: Mapped[str | None] = mapped_column(String(64))
    # -- a read job: the upload (its bytes are a blob), who sent it, and how far reading it got
    contract_id: Mapped[int | None] = mapped_column(ForeignKey("contracts.id"), index=True)
    blob_sha256: Mapped[str | None] = mapped_column(ForeignKey("blobs.sha256"))
    filename: Mapped[str | None] = mapped_column(String(255))
    #: Who the version comes from ("upload" or "counterparty", a VersionSource value).
    source: Mapped[str | None] = mapped_column(String(20))
    created_by: Mapped[str | None] = mapped_column(String(320))
    pages_total: Mapped[int | None] = mapped_column(Integer)
    pages_done: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    def __repr__(self) -> str:
        return f"<Job {self.id} {self.kind} {self.status}>"


def interrupted(job: Job, settings: dict[str, Any], now: dt.datetime | None = None) -> bool:
    """Return whether a read job was left unfinished by a process that died.

    A running read job writes its progress after every page; one silent for :data:`STALE_AFTER`
    is dead. Without Redis a queued one runs in the serving process within its read budget;
    one still queued after that budget (plus :data:`STALE_AFTER`) was lost with its process.
    With Redis a queued job waits in Redis for a worker, however long that takes.
    """
    if job.kind != READ or job.status not in (QUEUED, RUNNING):
        return False
    now = now or utcnow()
    updated = job.updated_at if job.updated_at.tzinfo else job.updated_at.replace(tzinfo=dt.UTC)
    if job.status == RUNNING:
        return now - updated > STALE_AFTER
    if settings.get("REDIS_URL"):
        return False
    budget = dt.timedelta(seconds=float(settings.get("PDF_PARSE_TIMEOUT_SECONDS") or 600))
    return now - updated > budget + STALE_AFTER


def state(job: Job, settings: dict[str, Any], now: dt.datetime | None = None) -> str:
    """Return a job's status as shown: its stored status, or "interrupted"."""
    return INTERRUPTED if interrupted(job, settings, now) else job.status


def queue_name(settings: dict[str, Any]) -> str:
    """Return the RQ queue clm uses (``CLM_RQ_QUEUE``, "clm" by default)."""
    return str(settings.get("RQ_QUEUE") or QUEUE_NAME)


def enqueue(settings: dict[str, Any], func: Callable[..., Any], *args: Any, **kwargs: Any) -> str | None:
    """Run ``func(*args, **kwargs)`` in a worker, or now when no Redis is configured.

    Return the RQ job id, or None when the job ran inline. Jobs must be idempotent: a job
    that runs twice (a retry after a crash) changes nothing the second time.
    """
    url = settings.get("REDIS_URL")
    if not url:
        func(*args, **kwargs)
        return None
    from redis import Redis
    from rq import Queue

    job = Queue(queue_name(settings), connection=Redis.from_url(url)).enqueue(func, *args, **kwargs)
    return str(job.id)


_executor: Any = None
_executor_lock = threading.Lock()


def in_background(func: Callable[..., Any], *args: Any) -> None:
    """Run ``func(*args)`` on this process's background thread (without Redis, in ``clm serve``).

    One thread, so jobs run one after another and a burst of uploads cannot take every core
    from the requests; each job records its own outcome in the ``jobs`` table. A job lost with
    its process (a restart) is shown as interrupted (:func:`interrupted`) and can be retried.
    """
    global _executor
    from concurrent.futures import ThreadPoolExecutor

    with _executor_lock:
        if _executor is None:
            _executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="clm-job")
        executor = _executor

    def run() -> None:
        try:
            func(*args)
        except Exception:
            log.exception("background job %s failed", getattr(func, "__name__", func))

    executor.submit(run)


def wait_for_background() -> None:
    """Wait until the background thread has run every job submitted so far (tests, shutdown)."""
    global _executor
    with _executor_lock:
        executor, _executor = _executor, None
    if executor is not None:
        executor.shutdown(wait=True)


_factories: dict[str, sessionmaker[Session]] = {}


def session_factory(url: str) -> sessionmaker[Session]:
    """Return the session factory for ``url``, one engine (and pool) per database per process."""
    with _executor_lock:  # the background thread and a request may ask at once
        if url not in _factories:
            _factories[url] = db.make_sessionmaker(db.make_engine(url))
        return _factories[url]


def dispose_engines() -> None:
    """Close the pooled connections of every engine jobs opened (tests, worker shutdown)."""
    while _factories:
        _url, factory = _factories.popitem()
        bind = factory.kw["bind"]
        bind.dispose()


@contextmanager
def job_transaction(database_url: str | None = None) -> Iterator[Session]:
    """Yield a session for a job (no Flask in workers); commit on success, roll back on error."""
    settings = clm_config.load()
    from clm.values import calendars

    calendars.configure(settings["HOLIDAYS"])
    url = database_url or settings["DATABASE_URL"]
    with db.transaction_for(session_factory(url)) as session:
        yield session


def run_worker(redis_url: str, *, burst: bool = False, queue: str = QUEUE_NAME, fork: bool = False,
               warm_up: Callable[[], object] | None = None) -> None:
    """Process jobs from ``queue`` until stopped (or until it is empty, with ``burst``).

    By default jobs run in this process (RQ's SimpleWorker), which keeps the extraction
    pipeline and the database pool warm between jobs: forking a child per job costs more than
    extracting a contract. Jobs record their own failures and a document is parsed in a
    separate, limited process anyway; ``fork=True`` gives each job its own child instead.
    """
    from redis import Redis
    from rq import Queue, SimpleWorker, Worker

    if warm_up is not None:
        warm_up()  # load what jobs need once (the extraction pipeline); forked children inherit it
    connection = Redis.from_url(redis_url)
    worker_class = Worker if fork else SimpleWorker
    worker_class([Queue(queue, connection=connection)], connection=connection).work(burst=burst)


# -- jobs tracked in the jobs table (what they run lives with their package: clm.clauses.jobs) -----


def queue_extraction(session: Session, version_id: int, import_run_id: int | None = None) -> Job:
    """Add a queued extraction job for a version (in the caller's transaction); dispatch it after commit."""
    job = Job(kind=EXTRACT, status=QUEUED, version_id=version_id, import_run_id=import_run_id, attempts=0)
    session.add(job)
    session.flush()
    return job


def finish(database_url: str, job_id: int, status: str, error: str | None = None) -> None:
    """Record a job's end (status and one line of error) in its own transaction."""
    with job_transaction(database_url) as session:
        job = session.get(Job, job_id)
        if job is not None:
            job.status, job.error, job.updated_at = status, error, utcnow()


def retry(session: Session, job_id: int, settings: dict[str, Any] | None = None) -> Job:
    """Put a failed extraction or read job (or an interrupted read job) back in the queue;
    dispatch it after commit (``clm.clauses.jobs.dispatch``, ``clm.versions.reading.dispatch``)."""
    from clm.errors import Conflict, NotFound

    job = session.get(Job, job_id)
    if job is None:
        raise NotFound(f"Job {job_id} does not exist.")
    retriable = (job.kind in (EXTRACT, READ) and job.status == FAILED) or interrupted(job, settings or {})
    if not retriable:
        raise Conflict(f"Job {job_id} is {job.status}; only failed extraction and reading jobs (and interrupted "
                       "reading jobs) can be retried (run the import again for rejected files).")
    job.status, job.error, job.rq_job_id, job.updated_at = QUEUED, None, None, utcnow()
    if job.kind == READ:
        job.pages_done = 0
    return job
