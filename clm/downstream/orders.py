"""Orders after signing: cancellation with its credit note, the ERP export, the ``order.created|cancelled`` webhooks."""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from clm import csvfile
from clm.downstream.billing import (
    build_billing_schedule,
    cancel_schedule,
    credit_note,
    credit_note_json,
)
from clm.downstream.models import (
    BillingSchedule,
    CreditNote,
    Invoice,
    Order,
    OrderCancellation,
    OrderLine,
    from_minor,
    to_minor,
)
from clm.downstream.renewals import contract_term
from clm.errors import Conflict, InvalidInput, NotFound
from clm.values import money
from clm.versions.models import Contract

if TYPE_CHECKING:
    import datetime as dt

    from sqlalchemy.orm import Session

ACTIVE, CANCELLED = "active", "cancelled"
ORDER_CREATED = "order.created"
ORDER_CANCELLED = "order.cancelled"


def invoice_prefix(order_id: int) -> str:
    """Return the invoice number prefix of an order: INV-<order id>, so numbers never repeat across contracts."""
    return f"INV-{order_id}"


def credit_note_number(order_id: int) -> str:
    """Return the number of an order's credit note (an order is cancelled at most once)."""
    return f"CN-{order_id}-0001"


# -- cancellation ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Cancellation:
    """What cancelling an order did: the credit note (None when nothing was owed back), invoices stopped and added."""

    order_id: int
    contract_id: int
    cancel_on: date
    credit_note: dict[str, Any] | None
    cancelled_invoices: tuple[str, ...]
    final_invoice: str | None


def serialize_order_writes(session: Session, order_id: int | None = None) -> None:
    """Make concurrent changes to an order wait for each other instead of failing half-way.

    On SQLite this must be the transaction's first statement: an empty UPDATE takes the write
    lock, so a second writer waits (busy timeout) and then reads what the first committed,
    where a reader upgraded to writer later would fail with "database is locked". On
    PostgreSQL the order's row is locked (FOR UPDATE), with the same effect per order.
    """
    from sqlalchemy import text

    if session.get_bind().dialect.name == "sqlite":
        session.execute(text("UPDATE order_cancellations SET id = id WHERE 0"))
    elif order_id is not None:
        session.execute(select(Order.id).where(Order.id == order_id).with_for_update())


def cancellation_of(session: Session, order_id: int) -> OrderCancellation | None:
    """Return the order's cancellation, or None while it is active."""
    return session.scalar(select(OrderCancellation).where(OrderCancellation.order_id == order_id))


def cancelled_order_ids(session: Session) -> set[int]:
    """Return the ids of every cancelled order."""
    return set(session.scalars(select(OrderCancellation.order_id)))


def cancel_order(session: Session, contract_id: int, cancel_on: date, *, by: str, now: dt.datetime) -> Cancellation:
    """Cancel the executed contract's order from ``cancel_on`` (the first day without service).

    Stores the cancellation and the credit note ``billing.credit_note`` computes for the
    invoices issued before ``cancel_on`` (each UNIQUE per order). Invoices dated on or after
    it are then not issued nor forecast, and one final invoice is added for what was earned
    but not billed (``billing.cancel_schedule``). Orders and invoices are insert-only evidence:
    nothing already stored changes. Refuses, storing nothing, a contract without an order, an
    order already cancelled, and a date before the term starts or after it ends.
    """
    serialize_order_writes(session)
    order = session.scalar(select(Order).where(Order.contract_id == contract_id).order_by(Order.id.desc()).limit(1))
    if order is None:
        raise Conflict(f"Contract {contract_id} is not executed: it has no order to cancel.")
    serialize_order_writes(session, order.id)
    existing = cancellation_of(session, order.id)
    if existing is not None:
        raise Conflict(f"The order of contract {contract_id} was already cancelled from "
                       f"{existing.cancel_on.isoformat()}.")
    from clm.downstream.reports import order_terms

    terms = order_terms(session, order)
    start, end = contract_term(terms)
    if cancel_on < start:
        raise InvalidInput(f"cancel_on: {cancel_on.isoformat()} is before the contract term starts "
                           f"({start.isoformat()}).")
    if cancel_on > end:
        raise InvalidInput(f"cancel_on: {cancel_on.isoformat()} is after the contract term ends ({end.isoformat()}); "
                           "there is nothing left to cancel.")
    schedule_row = session.scalar(select(BillingSchedule).where(BillingSchedule.order_id == order.id))
    assert schedule_row is not None
    stored = list(session.scalars(select(Invoice).where(Invoice.schedule_id == schedule_row.id).order_by(Invoice.seq)))
    # Number the rebuilt schedule as it was stored (orders from before issue 7 carry INV-<contract>).
    prefix = stored[0].number.rpartition("-")[0] if stored else invoice_prefix(order.id)
    schedule = build_billing_schedule(terms, prefix=prefix)
    if [inv.number for inv in schedule] != [inv.number for inv in stored]:
        raise Conflict(f"The invoices of order {order.id} no longer match its terms; nothing was cancelled.")
    note = credit_note(schedule, cancel_on, number=credit_note_number(order.id))
    note_json = credit_note_json(note)
    remaining = cancel_schedule(schedule, cancel_on, terms)
    issued = [inv for inv in schedule if inv.date < cancel_on]
    final_seq = final_number = None
    if len(remaining) > len(issued):
        final = remaining[-1]
        final_seq = len(stored) + 1
        final_number = f"{prefix}-{final_seq:04d}"
        cur = final.currency
        session.add(Invoice(schedule_id=schedule_row.id, seq=final_seq, number=final_number,
                            contract_id=order.contract_id, issued_on=final.date, due_on=final.due, currency=cur,
                            total_minor=to_minor(final.total, cur), terms_sha256=order.terms_sha256,
                            lines=[{"line": ln.line_id, "description": ln.description,
                                    "period_start": ln.period_start.isoformat(),
                                    "period_end": ln.period_end.isoformat(),
                                    "amount": money.plain(ln.amount, cur)} for ln in final.lines]))
    session.add(OrderCancellation(order_id=order.id, contract_id=order.contract_id, cancel_on=cancel_on,
                                  final_invoice_seq=final_seq, cancelled_by=by, created_at=now))
    if note is not None and note_json is not None:
        session.add(CreditNote(order_id=order.id, contract_id=order.contract_id, number=note.number,
                               issued_on=note.date, currency=note.currency,
                               total_minor=to_minor(note.total, note.currency), lines=note_json["lines"],
                               terms_sha256=order.terms_sha256, created_by=by, created_at=now))
    try:
        session.flush()
    except IntegrityError:
        # UNIQUE(order_id) on the cancellation: of two people cancelling at once, one wins.
        raise Conflict(f"The order of contract {contract_id} was cancelled at the same moment by someone else.") from None
    stopped = tuple(inv.number for inv in stored if inv.issued_on >= cancel_on)
    _record(session, order, ORDER_CANCELLED, now=now, credit_note=note_json, cancelled_invoices=list(stopped),
            final_invoice=final_number)
    return Cancellation(order.id, order.contract_id, cancel_on, note_json, stopped, final_number)


def credit_note_of(session: Session, contract_id: int) -> CreditNote | None:
    """Return the credit note of the contract's order, or None."""
    return session.scalar(select(CreditNote).where(CreditNote.contract_id == contract_id)
                          .order_by(CreditNote.id.desc()).limit(1))


def stored_credit_note_json(note: CreditNote) -> dict[str, Any]:
    """Return a stored credit note as JSON."""
    return {"number": note.number, "order_id": note.order_id, "contract_id": note.contract_id,
            "date": note.issued_on.isoformat(), "currency": note.currency,
            "total": money.plain(from_minor(note.total_minor, note.currency), note.currency), "lines": note.lines,
            "terms_sha256": note.terms_sha256, "created_by": note.created_by}


def get_credit_note(session: Session, number: str) -> CreditNote:
    """Return the credit note numbered ``number``; raise NotFound."""
    note = session.scalar(select(CreditNote).where(CreditNote.number == number))
    if note is None:
        raise NotFound(f"There is no credit note {number}.")
    return note


# -- the ERP export -------------------------------------------------------------------------------

ERP_COLUMNS = ("order_number", "order_id", "contract_id", "customer", "order_date", "status", "cancelled_on",
               "currency", "line_number", "line_id", "description", "quantity", "unit_price", "amount",
               "service_start", "service_end", "satisfied_on", "revenue_recognition", "billing_frequency",
               "billing_timing", "terms_sha256")


def erp_order(session: Session, order: Order) -> dict[str, Any]:
    """Return ``order`` shaped for an ERP sales order: header fields and one line per order line (quantity 1)."""
    contract = session.get(Contract, order.contract_id)
    cancellation = cancellation_of(session, order.id)
    cur = order.currency
    lines = session.scalars(select(OrderLine).where(OrderLine.order_id == order.id).order_by(OrderLine.position))
    return {
        "order_number": f"SO-{order.id}", "order_id": order.id, "contract_id": order.contract_id,
        "customer": (contract.counterparty if contract else None) or "", "contract_title": contract.title if contract else "",
        "order_date": order.signed_on.isoformat(), "status": CANCELLED if cancellation else ACTIVE,
        "cancelled_on": cancellation.cancel_on.isoformat() if cancellation else None,
        "currency": cur, "total": money.plain(from_minor(order.total_minor, cur), cur),
        "terms_sha256": order.terms_sha256,
        "lines": [{"line_number": ln.position + 1, "line_id": ln.line_id, "description": ln.description,
                   "quantity": 1, "unit_price": money.plain(from_minor(ln.price_minor, cur), cur),
                   "amount": money.plain(from_minor(ln.price_minor, cur), cur),
                   "service_start": ln.service_start.isoformat() if ln.service_start else None,
                   "service_end": ln.service_end.isoformat() if ln.service_end else None,
                   "satisfied_on": ln.satisfied_on.isoformat() if ln.satisfied_on else None,
                   "revenue_recognition": ln.recognition, "billing_frequency": ln.billing_frequency,
                   "billing_timing": ln.billing_timing, "contract_part": ln.contract_part} for ln in lines],
    }


def erp_orders(session: Session, *, since: date | None = None, status: str | None = None) -> list[dict[str, Any]]:
    """Return every order (signed on or after ``since``, with ``status``) in ERP shape, oldest first."""
    query = select(Order).order_by(Order.id)
    if since is not None:
        query = query.where(Order.signed_on >= since)
    if status:
        if status not in {ACTIVE, CANCELLED}:
            raise InvalidInput(f"status: {status[:20]!r} must be active or cancelled.")
        cancelled = select(OrderCancellation.order_id)
        query = query.where(Order.id.in_(cancelled) if status == CANCELLED else Order.id.not_in(cancelled))
    return [erp_order(session, order) for order in session.scalars(query)]


def erp_csv(orders: list[dict[str, Any]]) -> str:
    """Return ERP orders as CSV: one row per order line, header fields repeated, with a header row."""
    out = io.StringIO()
    writer = csvfile.writer(out)
    writer.writerow(ERP_COLUMNS)
    for order in orders:
        for ln in order["lines"]:
            row = {**order, **ln}
            writer.writerow(["" if row.get(c) is None else row[c] for c in ERP_COLUMNS])
    return out.getvalue()


# -- the order.created webhook --------------------------------------------------------------------


def record_order_created(session: Session, order_id: int, *, now: dt.datetime) -> None:
    """Queue the ``order.created`` webhook in the transaction that creates the order (once: UNIQUE order, event)."""
    order = session.get(Order, order_id)
    assert order is not None
    _record(session, order, ORDER_CREATED, now=now)


def _record(session: Session, order: Order, event: str, *, now: dt.datetime, **data: Any) -> None:
    """Publish ``event`` about ``order`` in the current transaction, with its webhook body; once per pair."""
    from clm import events

    body = {"id": f"order-{order.id}-{event.rpartition('.')[2]}", "event": event, "occurred_at": now.isoformat(),
            "order": erp_order(session, order), **data}
    events.publish(session, event, body["id"], {"order_id": order.id, "contract_id": order.contract_id,
                                                "webhook": body}, now=now)


#: The webhook event types downstream sends, by prefix (what ``clm downstream process`` delivers).
PREFIXES = ("order.",)


def deliver_order_webhooks(factory: Any, settings: Any, **kw: Any) -> Any:
    """Send due ``order.created|cancelled`` webhooks (see :func:`clm.webhooks.deliver_due`); return the report."""
    from clm import webhooks

    return webhooks.deliver_due(factory, settings, events=PREFIXES, **kw)
