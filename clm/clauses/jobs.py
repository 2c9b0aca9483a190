"""Term extraction as background work: the subscriber of ``version.stored`` and the job it runs.

Storing a version publishes ``version.stored`` (clm.versions.store); :func:`on_version_stored`
(registered in clm.subscribers) adds a tracked extraction job in the event's transaction and
dispatches it once that commits: to an RQ worker with ``CLM_REDIS_URL``, run now without.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from sqlalchemy import select

from clm import jobs
from clm.clauses import services
from clm.clauses.models import ExtractionRun
from clm.db import utcnow

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from clm.events import Event, Handled

log = logging.getLogger(__name__)


def on_version_stored(session: Session, event: Event, settings: Mapping[str, Any]) -> Handled | None:
    """Subscriber: queue the extraction of a stored version (not of a signed one: its terms are
    those of the version it carries) unless it is extracted or queued already; dispatch after commit."""
    from clm.events import Handled

    payload = event.payload or {}
    if payload.get("source") == "signed":
        return None
    version_id = int(payload["version_id"])
    if pending_extraction(session, version_id):
        return None
    job_id = jobs.queue_extraction(session, version_id).id
    return Handled(note=f"extraction job {job_id}", after_commit=lambda: dispatch(dict(settings), job_id))


def start_extraction(settings: dict[str, Any], version_id: int) -> None:
    """Queue and dispatch the extraction of a stored version now (``clm extract-stored``'s backfill).

    A failure here is logged and leaves the version stored; the job can be retried from the jobs page.
    """
    try:
        with jobs.job_transaction(str(settings["DATABASE_URL"])) as session:
            job_id = jobs.queue_extraction(session, version_id).id
        dispatch(settings, job_id)
    except Exception:
        log.exception("extraction of version %s failed", version_id)


def dispatch(settings: dict[str, Any], job_id: int) -> None:
    """Hand a committed job to a worker (or run it now, without Redis); record the RQ id.

    A failure to reach Redis leaves the job queued in the table, where the jobs page can retry it.
    """
    url = str(settings["DATABASE_URL"])
    try:
        rq_id = jobs.enqueue(settings, run_extraction_job, job_id, url)
    except Exception as err:
        log.exception("could not queue job %s", job_id)
        jobs.finish(url, job_id, jobs.FAILED, f"could not queue the job: {type(err).__name__}")
        return
    if rq_id is not None:
        with jobs.job_transaction(url) as session:
            job = session.get(jobs.Job, job_id)
            if job is not None and job.rq_job_id is None:
                job.rq_job_id = rq_id


def run_extraction_job(job_id: int, database_url: str) -> str:
    """Extract the terms of the job's version; record running, done or failed. Idempotent.

    A failure is recorded on the job (one line, for the jobs page) rather than raised, so one
    broken document never stops a worker or an import.
    """
    with jobs.job_transaction(database_url) as session:
        job = session.get(jobs.Job, job_id)
        if job is None or job.status == jobs.DONE or job.version_id is None:
            return job.status if job is not None else "missing"
        job.status, job.attempts, job.updated_at = jobs.RUNNING, job.attempts + 1, utcnow()
        version_id = job.version_id
    try:
        with jobs.job_transaction(database_url) as session:
            services.extract_version(session, version_id)
    except Exception as err:
        log.exception("extraction job %s (version %s) failed", job_id, version_id)
        jobs.finish(database_url, job_id, jobs.FAILED, f"{type(err).__name__}: {err}"[:500])
        return jobs.FAILED
    jobs.finish(database_url, job_id, jobs.DONE)
    return jobs.DONE




def pending_extraction(session: Session, version_id: int) -> bool:
    """Return True when the version has been extracted or has a job queued or running for it."""
    if session.scalar(select(ExtractionRun.id).where(ExtractionRun.version_id == version_id).limit(1)):
        return True
    return session.scalar(select(jobs.Job.id).where(jobs.Job.version_id == version_id, jobs.Job.kind == jobs.EXTRACT,
                                               jobs.Job.status.in_([jobs.QUEUED, jobs.RUNNING])).limit(1)) is not None


def extract_version_job(version_id: int, database_url: str) -> int:
    """Extract the terms of a stored version; return the extraction run's id. Idempotent.

    Untracked; kept so jobs queued in Redis before the jobs table existed still run.
    """
    with jobs.job_transaction(database_url) as session:
        return services.extract_version(session, version_id).id
