"""The outbox processor: a signed contract becomes an order, billing, revenue and renewal rows, exactly once.

Completing an envelope publishes ``envelope.completed`` (clm.events: the one outbox) in the
transaction that completes it; :func:`on_envelope_completed` is its subscriber (registered in
clm.subscribers) and a second delivery is a no-op. Processing may run
any number of times, in any number of processes at once: every row it creates is inserted
with ``INSERT ... ON CONFLICT DO NOTHING`` against a UNIQUE key (one order per envelope, one
schedule per order, one invoice per (schedule, seq) ...), so a duplicate delivery, a retry
after a crash half-way, or five workers racing each other leave exactly one of each. The
whole of one event is one transaction: a crash leaves nothing behind and the retry redoes it.

What is billed is what was signed (RELIABILITY T3): the event carries the hash of the
commercial terms document current at signing and the hash of the confirmed terms frozen on
the envelope; when either no longer matches, the processor refuses and records why on the
event, which stays pending until the terms are put back (or the signed ones re-attached).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import replace
from datetime import date
from typing import TYPE_CHECKING, Any

from sqlalchemy import select

from clm import events
from clm.clauses.services import confirmed_terms_digest
from clm.db import insert_ignore, utcnow
from clm.downstream import commercial, orders
from clm.downstream.billing import billing_json, build_billing_schedule, contract_value
from clm.downstream.models import (
    BillingSchedule,
    ContractTermsDocument,
    Invoice,
    Order,
    OrderLine,
    Renewal,
    RenewalTerm,
    RevenueLine,
    RevenueSchedule,
    to_minor,
)
from clm.downstream.renewals import contract_term, notice_deadline
from clm.downstream.revenue import ORIGINAL, build_revenue_schedule
from clm.downstream.terms import ContractTerms, parse_terms, renewal_term_json, terms_hash
from clm.errors import Conflict
from clm.values import durations, money
from clm.values.numbers import plain_percent

if TYPE_CHECKING:
    import datetime as dt

    from sqlalchemy.orm import Session, sessionmaker

    from clm.events import Event, Handled

log = logging.getLogger(__name__)
#: The event a completed envelope publishes (signing).
COMPLETED = "envelope.completed"


class Refused(Conflict):
    """Downstream will not act on this event as things stand (terms changed, none attached)."""


def _one_id(session: Session, model: type[Any], **keys: Any) -> int:
    found: int | None = session.scalar(select(model.id).filter_by(**keys))
    assert found is not None, f"{model.__name__} {keys} was just inserted"
    return found


# -- checks -------------------------------------------------------------------------------------


def bound_document(session: Session, payload: dict[str, Any]) -> ContractTermsDocument:
    """Return the terms document the event binds to; raise Refused when it changed after signing."""
    contract_id = int(payload["contract_id"])
    latest = commercial.latest_document(session, contract_id)
    if latest is None:
        raise Refused(f"Contract {contract_id} is signed but has no commercial terms; attach them on its "
                      "commercial terms page and the order, invoices and revenue are made from them.")
    signed = payload.get("commercial_terms_sha256")
    if signed is None:
        # Nothing was attached when it was signed: the first document attached afterwards binds.
        first = commercial.document_version(session, contract_id, 1)
        signed = first.sha256 if first is not None else latest.sha256
    if latest.sha256 != signed:
        raise Refused(f"The commercial terms of contract {contract_id} changed after signing (signed "
                      f"{signed[:12]}, now version {latest.version} {latest.sha256[:12]}); nothing is billed "
                      "until the signed terms are restored.")
    frozen = payload.get("terms_sha256")
    if frozen and confirmed_terms_digest(session, contract_id) != frozen:
        raise Refused(f"The confirmed terms of contract {contract_id} changed after it was sent for signature "
                      f"(frozen {frozen[:12]}); nothing is billed until they match what was signed.")
    return latest


# -- building the rows --------------------------------------------------------------------------


def materialize(session: Session, envelope_id: int, payload: dict[str, Any], *, now: dt.datetime) -> int:
    """Create the order, billing schedule, revenue schedule and renewal of an executed envelope.

    Return the order id. Idempotent and safe to run concurrently: each row is inserted on
    conflict do nothing against its UNIQUE key, then read back.
    """
    document = bound_document(session, payload)
    terms = parse_terms(document.data)
    if terms_hash(terms) != document.sha256:
        raise Refused(f"Terms document {document.id} does not hash to its recorded SHA-256.")
    if payload.get("signed_on"):
        # The order is dated on the day the envelope completed, not on the date the terms were
        # drafted with: invoices due "on signature" go out then. (Events written before the
        # payload carried the day keep the terms' date.)
        terms = replace(terms, signed_on=date.fromisoformat(payload["signed_on"]))
    sha, contract_id, cur = document.sha256, document.contract_id, terms.currency
    insert_ignore(session, Order, [{
        "envelope_id": envelope_id, "contract_id": contract_id, "terms_document_id": document.id,
        "terms_sha256": sha, "currency": cur, "total_minor": to_minor(contract_value(terms), cur),
        "signed_on": terms.signed_on, "created_at": now}], ("envelope_id",))
    order_id = _one_id(session, Order, envelope_id=envelope_id)
    order_sha = session.scalar(select(Order.terms_sha256).where(Order.id == order_id))
    if order_sha != sha:
        raise Refused(f"Order {order_id} was built from terms {order_sha}, not {sha}.")
    _after_order(session, order_id)
    insert_ignore(session, OrderLine, _order_lines(order_id, terms, sha), ("order_id", "position"))
    _billing(session, order_id, contract_id, terms, sha, now)
    _revenue(session, order_id, contract_id, terms, sha, now)
    _renewal(session, order_id, contract_id, terms, sha, now)
    # The ERP hears of the order through the same transaction: no order without its event.
    orders.record_order_created(session, order_id, now=now)
    return order_id


def _after_order(session: Session, order_id: int) -> None:
    """Nothing; a test replaces it to crash between the order and the rest."""


def _order_lines(order_id: int, terms: ContractTerms, sha: str) -> list[dict[str, Any]]:
    parts = [(ORIGINAL, ln) for ln in terms.lines] + [
        (f"modifications[{k}]", ln) for k, mod in enumerate(terms.modifications) for ln in mod.lines]
    cur = terms.currency
    return [{"order_id": order_id, "position": i, "contract_part": part, "line_id": ln.id,
             "description": ln.description, "price_minor": to_minor(ln.price, cur), "ssp_minor": to_minor(ln.ssp, cur),
             "recognition": ln.recognition, "service_start": ln.start, "service_end": ln.end,
             "satisfied_on": ln.satisfied_on, "billing_frequency": ln.billing.frequency,
             "billing_timing": ln.billing.timing, "terms_sha256": sha} for i, (part, ln) in enumerate(parts)]


def _billing(session: Session, order_id: int, contract_id: int, terms: ContractTerms, sha: str,
             now: dt.datetime) -> None:
    cur = terms.currency
    schedule = build_billing_schedule(terms, prefix=orders.invoice_prefix(order_id))
    insert_ignore(session, BillingSchedule, [{
        "order_id": order_id, "contract_id": contract_id, "terms_sha256": sha, "currency": cur,
        "total_minor": to_minor(sum((inv.total for inv in schedule), contract_value(terms) * 0), cur),
        "created_at": now}], ("order_id",))
    schedule_id = _one_id(session, BillingSchedule, order_id=order_id)
    rows = []
    for seq, (inv, data) in enumerate(zip(schedule, billing_json(schedule)["invoices"]), start=1):
        rows.append({"schedule_id": schedule_id, "seq": seq, "number": inv.number, "contract_id": contract_id,
                     "issued_on": inv.date, "due_on": inv.due, "currency": cur,
                     "total_minor": to_minor(inv.total, cur), "lines": data["lines"], "terms_sha256": sha})
    insert_ignore(session, Invoice, rows, ("schedule_id", "seq"))


def _revenue(session: Session, order_id: int, contract_id: int, terms: ContractTerms, sha: str,
             now: dt.datetime) -> None:
    cur = terms.currency
    result = build_revenue_schedule(terms)
    total = sum((e.amount for e in result.entries), contract_value(terms) * 0)
    insert_ignore(session, RevenueSchedule, [{
        "order_id": order_id, "contract_id": contract_id, "terms_sha256": sha, "currency": cur,
        "total_minor": to_minor(total, cur),
        "allocation": {k: money.plain(v, cur) for k, v in result.allocation.items()}, "created_at": now}],
        ("order_id",))
    schedule_id = _one_id(session, RevenueSchedule, order_id=order_id)
    insert_ignore(session, RevenueLine, [
        {"schedule_id": schedule_id, "contract_id": contract_id, "period": e.period, "line_id": e.line_id,
         "currency": cur, "amount_minor": to_minor(e.amount, cur), "terms_sha256": sha}
        for e in result.entries], ("schedule_id", "period", "line_id"))


def _renewal(session: Session, order_id: int, contract_id: int, terms: ContractTerms, sha: str,
             now: dt.datetime) -> None:
    start, end = contract_term(terms)
    rn = terms.renewal
    deadline = (notice_deadline(end, rn.non_renewal_notice, terms.calendar())
                if rn.auto_renewal and rn.non_renewal_notice is not None else None)
    insert_ignore(session, Renewal, [{
        "order_id": order_id, "contract_id": contract_id, "terms_sha256": sha, "term_start": start,
        "term_end": end, "renewal_date": date.fromordinal(end.toordinal() + 1), "notice_deadline": deadline,
        "auto_renewal": rn.auto_renewal,
        "renewal_term": renewal_term_json(rn),
        "non_renewal_notice": durations.canonical(rn.non_renewal_notice) if rn.non_renewal_notice else None,
        "price_increase_cap": None if rn.price_increase_cap is None else plain_percent(rn.price_increase_cap),
        "holidays": terms.holidays, "created_at": now}], ("order_id",))
    insert_ignore(session, RenewalTerm, [{
        "renewal_id": _one_id(session, Renewal, order_id=order_id), "contract_id": contract_id,
        "order_id": order_id, "term_number": 0, "term_start": start, "term_end": end,
        "renewal_date": date.fromordinal(end.toordinal() + 1), "notice_deadline": deadline,
        "auto_renewal": rn.auto_renewal}], ("renewal_id",))


# -- the subscriber of envelope.completed --------------------------------------------------------


def freeze_commercial_terms(session: Session, payload: Mapping[str, Any]) -> dict[str, Any]:
    """Stamp of ``envelope.completed``: the commercial terms current at signing, frozen on the event.

    Runs in the completing transaction (clm.subscribers registers it), so what is billed is what
    was signed (RELIABILITY T3) without signing reading downstream's tables.
    """
    current = commercial.latest_document(session, int(payload["contract_id"]))
    return {"commercial_terms_sha256": current.sha256 if current else None,
            "commercial_terms_version": current.version if current else None}


def on_envelope_completed(session: Session, event: Event, settings: Mapping[str, Any]) -> Handled:
    """Subscriber: build the order, schedules and renewal of a signed contract; defer while refused."""
    from clm.events import Deferred, Handled

    try:
        order_id = materialize(session, int(event.payload["envelope_id"]), event.payload, now=utcnow())
    except Refused as err:
        raise Deferred(str(err)) from None
    return Handled(note=f"order {order_id}")


def process_event(session: Session, event_id: int, *, now: dt.datetime | None = None,
                  settings: Mapping[str, Any] | None = None) -> events.Outcome:
    """Process one event now, in this session's transaction (its after-commit work is dropped)."""
    outcome, _after = events.process_event(session, event_id, settings or {}, now=now)
    return outcome


def process_outbox(session: Session, *, now: dt.datetime | None = None) -> list[events.Outcome]:
    """Process every pending ``envelope.completed`` event in this session's transaction, then the order
    events that published; return the signed contracts' outcomes."""
    done = [process_event(session, event_id, now=now) for event_id in events.pending(session, (COMPLETED,))]
    for event_id in events.pending(session, (orders.ORDER_CREATED, orders.ORDER_CANCELLED)):
        process_event(session, event_id, now=now)
    return done


def drain(factory: sessionmaker[Session], settings: Mapping[str, Any] | None = None) -> list[events.Outcome]:
    """Process the pending signed contracts and the order events they publish, one transaction each;
    return the signed contracts' outcomes (:func:`clm.events.drain` processes every kind)."""
    if settings is None:
        from clm import config

        settings = config.load()
        settings["DATABASE_URL"] = factory.kw["bind"].url.render_as_string(hide_password=False)
    names = (COMPLETED, orders.ORDER_CREATED, orders.ORDER_CANCELLED)
    return [o for o in events.drain(factory, settings, names=names) if o.name == COMPLETED]


# -- evidence check (`clm audit check`) ---------------------------------------------------------

if TYPE_CHECKING:
    from clm.db import Finding


def terms_findings(session: Session) -> list[Finding]:
    """Return terms documents that no longer hash to their recorded SHA-256, gaps in a contract's
    terms versions, and downstream rows whose terms hash differs from the terms they were built from."""
    from clm.db import Finding
    from clm.downstream.models import (
        BillingSchedule,
        ContractTermsDocument,
        Invoice,
        Order,
        OrderLine,
        Renewal,
        RevenueLine,
        RevenueSchedule,
    )

    findings: list[Finding] = []
    documents: dict[int, str] = {}
    versions: dict[int, set[int]] = {}
    for document in session.scalars(select(ContractTermsDocument).order_by(ContractTermsDocument.id)):
        documents[document.id] = document.sha256
        versions.setdefault(document.contract_id, set()).add(document.version)
        try:
            actual = terms_hash(parse_terms(document.data))
        except Exception as err:  # an edited document may not even parse
            findings.append(Finding("contract_terms_documents", str(document.id), f"no longer reads as terms: {err}"))
            continue
        if actual != document.sha256:
            findings.append(Finding("contract_terms_documents", str(document.id),
                                    f"the terms were changed (they hash to {actual[:12]}…, recorded "
                                    f"{document.sha256[:12]}…)"))
    for contract_id, present in sorted(versions.items()):
        for missing in sorted(set(range(1, max(present) + 1)) - present):
            findings.append(Finding("contract_terms_documents", f"contract {contract_id}",
                                    f"terms version {missing} is missing (deleted)"))
    orders: dict[int, str] = {}
    for order_id, document_id, sha in session.execute(
            select(Order.id, Order.terms_document_id, Order.terms_sha256).order_by(Order.id)):
        orders[order_id] = sha
        if documents.get(document_id) != sha:
            findings.append(Finding("orders", str(order_id),
                                    f"terms hash {sha[:12]}… is not that of terms document {document_id}"))
    schedules: dict[type[Any], dict[int, str]] = {}
    for model in (OrderLine, BillingSchedule, RevenueSchedule, Renewal):
        schedules[model] = {}
        for row_id, order_id, sha in session.execute(
                select(model.id, model.order_id, model.terms_sha256).order_by(model.id)):
            schedules[model][row_id] = sha
            if orders.get(order_id) != sha:
                findings.append(Finding(model.__tablename__, str(row_id),
                                        f"terms hash {sha[:12]}… differs from order {order_id}'s"))
    for model, parent in ((Invoice, BillingSchedule), (RevenueLine, RevenueSchedule)):
        for row_id, schedule_id, sha in session.execute(
                select(model.id, model.schedule_id, model.terms_sha256).order_by(model.id)):
            if schedules[parent].get(schedule_id) != sha:
                findings.append(Finding(model.__tablename__, str(row_id),
                                        f"terms hash {sha[:12]}… differs from {parent.__tablename__} {schedule_id}'s"))
    return findings
