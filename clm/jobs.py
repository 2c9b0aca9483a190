"""Background jobs: RQ workers when ``CLM_REDIS_URL`` is set, inline otherwise."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from clm import config as clm_config
from clm import db

if TYPE_CHECKING:
    from sqlalchemy.orm import Session, sessionmaker

QUEUE_NAME = "clm"
log = logging.getLogger(__name__)


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

    job = Queue(QUEUE_NAME, connection=Redis.from_url(url)).enqueue(func, *args, **kwargs)
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
    url = database_url or clm_config.load()["DATABASE_URL"]
    with db.transaction_for(_factory(url)) as session:
        yield session


def run_worker(redis_url: str, *, burst: bool = False) -> None:
    """Process jobs from the clm queue until stopped (or until it is empty, with ``burst``)."""
    from redis import Redis
    from rq import Queue, Worker

    connection = Redis.from_url(redis_url)
    Worker([Queue(QUEUE_NAME, connection=connection)], connection=connection).work(burst=burst)


# -- the jobs --------------------------------------------------------------------------------


def extract_version_job(version_id: int, database_url: str) -> int:
    """Extract the terms of a stored version; return the extraction run's id. Idempotent."""
    from clm.clauses.services import extract_version

    with job_transaction(database_url) as session:
        return extract_version(session, version_id).id


def after_new_version(settings: dict[str, Any], version_id: int) -> None:
    """Start the work every new version needs (term extraction).

    The version is already committed; a failure here is logged and leaves it stored, and
    the job can be run again (``clm extract-stored``) since it changes nothing twice.
    """
    try:
        enqueue(settings, extract_version_job, version_id, settings["DATABASE_URL"])
    except Exception:  # noqa: BLE001 - the upload succeeded; extraction is retried later
        log.exception("extraction of version %s failed", version_id)
