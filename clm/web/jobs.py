"""The jobs page: imports and background extraction, their progress and failures, with retry."""

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
    return render_template("jobs/index.html", counts=counts, runs=runs, failures=failures,
                           states=(jobs.QUEUED, jobs.RUNNING, jobs.DONE, jobs.FAILED),
                           queued_to="RQ workers" if current_app.config["REDIS_URL"] else "inline")


@bp.route("/jobs/<int:job_id>/retry", methods=["POST"])
@require("contracts.write")
def retry(job_id: int) -> ResponseReturnValue:
    """Queue a failed extraction job again; a job that is gone or not failed is reported on the page."""
    try:
        with db.transaction() as session:
            jobs.retry(session, job_id)
    except ClmError as err:
        flash(str(err), "error")
        return redirect(url_for("jobs.index"))
    from clm.clauses.jobs import dispatch

    dispatch(current_app.config, job_id)
    flash(f"Job {job_id} was queued again.")
    return redirect(url_for("jobs.index"))
