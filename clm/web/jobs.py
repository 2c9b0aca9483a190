"""The jobs page: imports, background extraction and reading of scans, their progress and failures, with retry."""

from __future__ import annotations

from typing import TYPE_CHECKING

from flask import Blueprint, current_app, flash, redirect, render_template, url_for
from sqlalchemy import func, select

from clm import db, jobs
from clm.access import require
from clm.errors import ClmError

if TYPE_CHECKING:
    from flask.typing import ResponseReturnValue

bp = Blueprint("jobs", __name__)
#: Rows shown per table; the counts above them cover everything.
SHOWN = 50


@bp.route("/jobs")
@require("contracts.write")
def index() -> ResponseReturnValue:
    """Show import runs, extraction job counts, and the newest failures."""
    session = db.get_session()
    by_status = (select(jobs.Job.status, func.count()).where(jobs.Job.kind == jobs.EXTRACT)
                 .group_by(jobs.Job.status))
    counts: dict[str, int] = {status: count for status, count in session.execute(by_status)}
    runs = list(session.scalars(select(jobs.ImportRun).order_by(jobs.ImportRun.id.desc()).limit(10)))
    failures = list(session.scalars(select(jobs.Job).where(jobs.Job.status == jobs.FAILED)
                                    .order_by(jobs.Job.updated_at.desc(), jobs.Job.id.desc()).limit(SHOWN)))
    # Reading uploaded scans: the unfinished ones, with those a dead process left (interrupted).
    reads = list(session.scalars(select(jobs.Job).where(jobs.Job.kind == jobs.READ,
                                                        jobs.Job.status.in_([jobs.QUEUED, jobs.RUNNING]))
                                 .order_by(jobs.Job.id).limit(SHOWN)))
    return render_template("jobs/index.html", counts=counts, runs=runs, failures=failures, reads=reads,
                           state=lambda job: jobs.state(job, current_app.config),
                           states=(jobs.QUEUED, jobs.RUNNING, jobs.DONE, jobs.FAILED),
                           queued_to="RQ workers" if current_app.config["REDIS_URL"] else "inline")


@bp.route("/jobs/<int:job_id>/retry", methods=["POST"])
@require("contracts.write")
def retry(job_id: int) -> ResponseReturnValue:
    """Queue a failed extraction or reading job (or an interrupted reading job) again; a job that is
    gone or cannot be retried is reported on the page."""
    try:
        with db.transaction() as session:
            kind = jobs.retry(session, job_id, current_app.config).kind
    except ClmError as err:
        flash(str(err), "error")
        return redirect(url_for("jobs.index"))
    from clm.clauses.jobs import dispatch as dispatch_extraction
    from clm.versions.reading import dispatch as dispatch_read

    (dispatch_read if kind == jobs.READ else dispatch_extraction)(current_app.config, job_id)
    flash(f"Job {job_id} was queued again.")
    return redirect(url_for("jobs.index"))
