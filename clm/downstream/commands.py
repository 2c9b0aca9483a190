"""The ``clm downstream process|cancel|remind`` and ``clm renewals [remind]`` commands."""

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
    """Process pending events: signed contracts into orders, billing, revenue and renewals, and
    whatever else waits in the outbox (extraction of stored versions, webhooks to queue).

    Safe to run any number of times, also beside the web app or workers: nothing is created twice.
    """
    from clm import config, db, events
    from clm.downstream.outbox import COMPLETED
    from clm.values import calendars

    settings = config.load()
    calendars.configure(settings["HOLIDAYS"])
    engine = db.make_engine(settings["DATABASE_URL"])
    try:
        outcomes = events.drain(db.make_sessionmaker(engine), settings)
    finally:
        engine.dispose()
    # Signed contracts are what this command reports on; the other events are counted on one line.
    signed = [o for o in outcomes if o.name == COMPLETED]
    for o in signed:
        detail = o.note or o.error or ""
        result = "refused" if o.result == "deferred" else o.result
        click.echo(f"event {o.event_id}: {result}{': ' + detail if detail else ''}")
    processed = sum(o.result == "processed" for o in signed)
    click.echo(f"Processed {processed} of {len(signed)} pending event(s).")
    others = [o for o in outcomes if o.name != COMPLETED]
    if others:
        click.echo(f"Other events: {sum(o.result == 'processed' for o in others)} of {len(others)} processed.")
        for o in others:
            if o.result == "failed":
                click.echo(f"event {o.event_id} ({o.name}): failed: {o.error}")
    _deliver_webhooks(settings)
    if any(o.result == "failed" for o in outcomes):
        sys.exit(1)


def _deliver_webhooks(settings: dict[str, object]) -> None:
    """Send due ``order.created`` webhooks (new ones and retries); say so only when something happened."""
    from clm import db
    from clm.downstream.orders import deliver_order_webhooks

    engine = db.make_engine(str(settings["DATABASE_URL"]))
    try:
        report = deliver_order_webhooks(db.make_sessionmaker(engine), settings)
    finally:
        engine.dispose()
    if report.delivered or report.retrying or report.failed:
        click.echo(f"Order webhooks: {report.delivered} delivered, {report.retrying} to retry, "
                   f"{report.failed} given up.")


@downstream.command()
@click.argument("contract_id", type=int)
@click.option("--from", "cancel_on", required=True, type=click.DateTime(formats=["%Y-%m-%d"]),
              help="The first day without service (YYYY-MM-DD).")
@click.option("--by", default="clm cli", show_default=True, help="Who cancels (recorded on the order).")
def cancel(contract_id: int, cancel_on: dt.datetime, by: str) -> None:
    """Cancel an executed contract's order from a date: store its credit note, stop later invoices."""
    from clm import config, db, events
    from clm.downstream.orders import cancel_order
    from clm.errors import ClmError
    from clm.values import calendars

    settings = config.load()
    calendars.configure(settings["HOLIDAYS"])
    engine = db.make_engine(settings["DATABASE_URL"])
    try:
        factory = db.make_sessionmaker(engine)
        events.listen(factory, settings)  # order.cancelled and its webhook follow the commit
        with db.transaction_for(factory) as session:
            done = cancel_order(session, contract_id, cancel_on.date(), by=by, now=db.utcnow())
    except ClmError as err:
        click.echo(f"Error: {err}", err=True)
        sys.exit(2)
    finally:
        engine.dispose()
    note = done.credit_note
    click.echo(f"Order {done.order_id} cancelled from {done.cancel_on.isoformat()}; "
               + (f"credit note {note['number']} for {note['currency']} {note['total']}" if note
                  else "nothing to credit") + "; "
               + (f"invoices not issued: {', '.join(done.cancelled_invoices)}" if done.cancelled_invoices
                  else "no later invoices")
               + (f"; final invoice {done.final_invoice}" if done.final_invoice else "") + ".")


@downstream.command("issue")
@click.option("--today", type=click.DateTime(formats=["%Y-%m-%d"]), help="Issue what is dated up to this day.")
def issue(today: dt.datetime | None) -> None:
    """Number the invoices dated up to today with their seller's next sequential number; cron it daily."""
    from clm import config, db
    from clm.downstream.invoicing import DEFAULT_SELLER, issue_invoices
    from clm.errors import ClmError

    settings = config.load()
    day = today.date() if today else dt.date.today()
    engine = db.make_engine(settings["DATABASE_URL"])
    try:
        with db.transaction_for(db.make_sessionmaker(engine)) as session:
            issued = issue_invoices(session, day, default_seller=os.environ.get("CLM_INVOICE_SELLER_CODE")
                                    or DEFAULT_SELLER, now=db.utcnow())
    except ClmError as err:
        click.echo(f"Error: {err}", err=True)
        sys.exit(2)
    finally:
        engine.dispose()
    for i in issued:
        click.echo(f"{i.number}\t{i.invoice}\t{i.issued_on.isoformat()}")
    click.echo(f"Issued {len(issued)} invoice(s).", err=True)


def _remind(today: dt.datetime | None) -> None:
    from clm import config, db
    from clm.downstream.reminders import parse_offsets, send_reminders
    from clm.mail import mailer_for
    from clm.values import calendars

    settings = config.load()
    calendars.configure(settings["HOLIDAYS"])
    try:
        parse_offsets(str(settings["RENEWAL_REMINDER_DAYS"]))
    except ValueError as err:
        click.echo(f"Error: {err}", err=True)
        sys.exit(2)
    day = today.date() if today else dt.date.today()
    engine = db.make_engine(settings["DATABASE_URL"])
    try:
        from clm.downstream.reports import roll_renewals

        factory = db.make_sessionmaker(engine)
        with db.transaction_for(factory) as session:
            moved = roll_renewals(session, day)  # keeps "renewals due" an indexed lookup
        if moved:
            click.echo(f"Rolled {moved} auto-renewed contract(s) into their new term.", err=True)
        sent = send_reminders(factory, settings,
                              mailer_for(settings, settings["INSTANCE_PATH"]), day,
                              public_url=str(settings.get("PUBLIC_URL") or ""))
    except OSError as err:
        click.echo(f"Error: sending a renewal reminder failed ({err}); it is sent on the next run.", err=True)
        sys.exit(1)
    finally:
        engine.dispose()
    for r in sent:
        click.echo(f"{r.contract_id}\tnotice by {r.notice_deadline.isoformat()}\t{r.offsets[0]} days\t"
                   f"{', '.join(r.to)}")
    click.echo(f"Sent {len(sent)} renewal reminder(s).", err=True)


_TODAY = click.option("--today", type=click.DateTime(formats=["%Y-%m-%d"]), help="Count from this day (default today).")


@downstream.command("remind")
@_TODAY
def downstream_remind(today: dt.datetime | None) -> None:
    """Email renewal reminders due today (same as ``clm renewals remind``)."""
    _remind(today)


@click.group(invoke_without_command=True)
@click.option("--within", "within", type=click.IntRange(0, 3660), default=90, show_default=True,
              help="Days ahead to look for notice deadlines and renewal dates.")
@click.option("--ics", type=click.Path(dir_okay=False, path_type=Path),
              help="Also write the events as an iCalendar file.")
@click.option("--today", type=click.DateTime(formats=["%Y-%m-%d"]), help="Count from this day (default today).")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text")
@click.pass_context
def renewals(ctx: click.Context, within: int, ics: Path | None, today: dt.datetime | None, fmt: str) -> None:
    """List signed contracts whose non-renewal notice deadline or renewal date falls within DAYS.

    ``clm renewals remind`` emails the reminders due today instead (cron it daily).
    """
    if ctx.invoked_subcommand is not None:
        return
    from clm import config, db
    from clm.downstream import reports
    from clm.downstream.renewals import renewal_ics
    from clm.values import calendars

    settings = config.load()
    calendars.configure(settings["HOLIDAYS"])
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
            kind = ("runs on until terminated from" if e.evergreen else "renews" if e.auto_renewal
                    else "expires, renewal date")
            click.echo(f"{r.contract_id}\t{r.title}\t{deadline}\t{kind} {e.renewal_date.isoformat()}")
        click.echo(f"{len(due)} renewal(s) within {within} days of {day.isoformat()}.", err=True)
    if ics is not None:
        from dataclasses import replace

        events = [replace(r.event, contract=f"{r.title} (contract {r.contract_id})") for r in due]
        data = renewal_ics(events, stamp=dt.datetime.now(dt.UTC))
        tmp = ics.with_name(f".{ics.name}.tmp{os.getpid()}")
        tmp.write_bytes(data)
        tmp.replace(ics)


@renewals.command("remind")
@_TODAY
def renewals_remind(today: dt.datetime | None) -> None:
    """Email finance and legal the renewal reminders due today, each (renewal, offset) once; cron it daily."""
    _remind(today)
