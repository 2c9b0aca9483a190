"""Background jobs: RQ workers when ``CLM_REDIS_URL`` is set, inline otherwise; their status in the DB.

Job status lives in the ``jobs`` table, never in a process: the web process that shows the jobs
page, the ``clm import`` that queued the work and the RQ workers that do it may all be different
processes on different machines.
"""

from __future__ import annotations

import datetime as dt
import logging
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
EXTRACT, IMPORT = "extract", "import"
QUEUED, RUNNING, DONE, FAILED = "queued", "running", "done", "failed"


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
    """One unit of background work (extracting a version) or one rejected import file."""

    __tablename__ = "jobs"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: "extract" (terms of ``version_id``) or "import" (a file an import rejected: ``path``, ``error``).
    kind: Mapped[str] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(20), default=QUEUED, index=True)
    import_run_id: Mapped[int | None] = mapped_column(ForeignKey("import_runs.id"), index=True)
    version_id: Mapped[int | None] = mapped_column(ForeignKey("versions.id"), index=True)
    path: Mapped[str | None] = mapped_column(String(1000))
    #: Why it failed, one line for a person (no stack trace).
    error: Mapped[str | None] = mapped_column(Text)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    rq_job_id: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    def __repr__(self) -> str:
        return f"<Job {self.id} {self.kind} {self.status}>"


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


_factories: dict[str, sessionmaker[Session]] = {}


def _factory(url: str) -> sessionmaker[Session]:
    """Return the session factory for ``url``, one engine (and pool) per database per process."""
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
    with db.transaction_for(_factory(url)) as session:
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


def retry(session: Session, job_id: int) -> Job:
    """Put a failed extraction job back in the queue; dispatch it after commit (``clm.clauses.jobs.dispatch``)."""
    from clm.errors import Conflict, NotFound

    job = session.get(Job, job_id)
    if job is None:
        raise NotFound(f"Job {job_id} does not exist.")
    if job.kind != EXTRACT or job.status != FAILED:
        raise Conflict(f"Job {job_id} is {job.status}; only failed extraction jobs can be retried "
                       "(run the import again for rejected files).")
    job.status, job.error, job.rq_job_id, job.updated_at = QUEUED, None, None, utcnow()
    return job
