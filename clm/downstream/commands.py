"""The ``clm downstream process`` and ``clm renewals`` commands."""

from __future__ import annotations

import datetime as dt
import json
import os
import sys
from pathlib import Path

import click


@click.group()
def downstream() -> None:
    """Orders, billing, revenue and renewals from signed contracts."""


@downstream.command()
def process() -> None:
    """Process pending outbox events (signed contracts) into orders, billing, revenue and renewals.

    Safe to run any number of times, also beside the web app or workers: nothing is created twice.
    """
    from clm import config, db
    from clm.downstream.outbox import drain

    settings = config.load()
    engine = db.make_engine(settings["DATABASE_URL"])
    try:
        outcomes = drain(db.make_sessionmaker(engine))
    finally:
        engine.dispose()
    for o in outcomes:
        detail = f"order {o.order_id}" if o.order_id else (o.error or "")
        click.echo(f"event {o.event_id}: {o.result}{': ' + detail if detail else ''}")
    processed = sum(o.result == "processed" for o in outcomes)
    click.echo(f"Processed {processed} of {len(outcomes)} pending event(s).")
    if any(o.result == "failed" for o in outcomes):
        sys.exit(1)


@click.command()
@click.option("--within", "within", type=click.IntRange(0, 3660), default=90, show_default=True,
              help="Days ahead to look for notice deadlines and renewal dates.")
@click.option("--ics", type=click.Path(dir_okay=False, path_type=Path),
              help="Also write the events as an iCalendar file.")
@click.option("--today", type=click.DateTime(formats=["%Y-%m-%d"]), help="Count from this day (default today).")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text")
def renewals(within: int, ics: Path | None, today: dt.datetime | None, fmt: str) -> None:
    """List signed contracts whose non-renewal notice deadline or renewal date falls within DAYS."""
    from clm import config, db
    from clm.downstream import reports
    from clm.downstream.renewals import renewal_ics

    settings = config.load()
    day = today.date() if today else dt.date.today()
    engine = db.make_engine(settings["DATABASE_URL"])
    try:
        with db.transaction_for(db.make_sessionmaker(engine)) as session:
            due = reports.renewals_due(session, day, within)
    finally:
        engine.dispose()
    if fmt == "json":
        click.echo(json.dumps(reports.renewals_json(due), indent=2))
    else:
        for r in due:
            e = r.event
            deadline = f"notice by {e.notice_deadline.isoformat()}" if e.notice_deadline else "no notice deadline"
            kind = "renews" if e.auto_renewal else "expires, renewal date"
            click.echo(f"{r.contract_id}\t{r.title}\t{deadline}\t{kind} {e.renewal_date.isoformat()}")
        click.echo(f"{len(due)} renewal(s) within {within} days of {day.isoformat()}.", err=True)
    if ics is not None:
        from dataclasses import replace

        events = [replace(r.event, contract=f"{r.title} (contract {r.contract_id})") for r in due]
        data = renewal_ics(events, stamp=dt.datetime.now(dt.UTC))
        tmp = ics.with_name(f".{ics.name}.tmp{os.getpid()}")
        tmp.write_bytes(data)
        tmp.replace(ics)
