"""What finance reads: a contract's order, billing, revenue and renewal as JSON, forecasts, deferred revenue, renewals due."""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, or_, select

from clm.downstream.billing import build_billing_schedule
from clm.downstream.models import (
    BillingSchedule,
    ContractTermsDocument,
    Invoice,
    Order,
    OrderCancellation,
    OrderLine,
    Renewal,
    RenewalTerm,
    RevenueLine,
    RevenueSchedule,
    from_minor,
)
from clm.downstream.renewals import (
    RenewalEvent,
    earliest_end,
    next_date,
    renewal_event,
    upcoming_renewal,
)
from clm.downstream.revenue import RevenueSchedule as RevenueResult
from clm.downstream.revenue import balance, build_revenue_schedule
from clm.downstream.terms import ContractTerms, parse_terms
from clm.errors import InvalidInput, NotFound
from clm.events import Event
from clm.values import calendars, display, durations, money
from clm.values.fields import PERPETUAL
from clm.values.dates import add_months
from clm.versions.models import Contract

if TYPE_CHECKING:
    from sqlalchemy.orm import Session


def _money(units: int, currency: str) -> str:
    return money.plain(from_minor(units, currency), currency)


def _iso(day: date | None) -> str | None:
    return day.isoformat() if day else None


def order_of(session: Session, contract_id: int) -> Order | None:
    """Return the contract's order (the latest, should it have several), or None."""
    return session.scalar(select(Order).where(Order.contract_id == contract_id).order_by(Order.id.desc()).limit(1))


def _order_or_404(session: Session, contract_id: int) -> Order:
    order = order_of(session, contract_id)
    if order is None:
        raise NotFound(f"Contract {contract_id} has no order yet (it is not signed, or its terms are pending).")
    return order


def order_json(session: Session, contract_id: int) -> dict[str, Any]:
    """Return the contract's order with its lines."""
    from clm.downstream.orders import cancellation_of

    order = _order_or_404(session, contract_id)
    cancellation = cancellation_of(session, order.id)
    cur = order.currency
    lines = session.scalars(select(OrderLine).where(OrderLine.order_id == order.id).order_by(OrderLine.position))
    return {"id": order.id, "contract_id": order.contract_id, "envelope_id": order.envelope_id,
            "terms_sha256": order.terms_sha256, "currency": cur, "total": _money(order.total_minor, cur),
            "signed_on": order.signed_on.isoformat(), "created_at": order.created_at.isoformat(),
            "status": "cancelled" if cancellation else "active",
            "cancelled_on": _iso(cancellation.cancel_on) if cancellation else None,
            "cancelled_by": cancellation.cancelled_by if cancellation else None,
            "lines": [{"line": ln.line_id, "part": ln.contract_part, "description": ln.description,
                       "price": _money(ln.price_minor, cur), "ssp": _money(ln.ssp_minor, cur),
                       "recognition": ln.recognition, "start": _iso(ln.service_start), "end": _iso(ln.service_end),
                       "satisfied_on": _iso(ln.satisfied_on),
                       "billing": {"frequency": ln.billing_frequency, "timing": ln.billing_timing}}
                      for ln in lines]}


def invoices_of(session: Session, order_id: int) -> list[Invoice]:
    """Return an order's invoices in date order."""
    schedule_id = select(BillingSchedule.id).where(BillingSchedule.order_id == order_id).scalar_subquery()
    return list(session.scalars(select(Invoice).where(Invoice.schedule_id == schedule_id).order_by(Invoice.seq)))


def invoice_json(inv: Invoice, cancellation: OrderCancellation | None = None,
                 bill: tuple[list[dict[str, Any]], int] | None = None) -> dict[str, Any]:
    """Return one invoice as JSON; ``status`` is "cancelled" when ``cancellation`` stops it, else "scheduled".

    ``bill``: its lines and total with the usage billed on it (``invoicing.billed``); the
    scheduled lines when None.
    """
    cancelled = cancellation is not None and cancellation.invoice_cancelled(inv.issued_on, inv.seq)
    lines, total_minor = bill or (inv.lines, inv.total_minor)
    return {"number": inv.number, "date": inv.issued_on.isoformat(), "due": inv.due_on.isoformat(),
            "currency": inv.currency, "total": _money(total_minor, inv.currency), "lines": lines,
            "terms_sha256": inv.terms_sha256, "status": "cancelled" if cancelled else "scheduled"}


def billing_json(session: Session, contract_id: int, settings: dict[str, Any] | None = None) -> dict[str, Any]:
    """Return the contract's billing schedule and invoices, each with what the customer pays
    (seller number once issued, parties, tax per ``settings["TAX_RATES"]``, total due)."""
    from clm.downstream.invoicing import billed, paid_minor, payable

    order = _order_or_404(session, contract_id)
    schedule = session.scalar(select(BillingSchedule).where(BillingSchedule.order_id == order.id))
    assert schedule is not None
    from clm.downstream.orders import (
        cancellation_of,
        credit_note_of,
        stored_credit_note_json,
    )

    note = credit_note_of(session, contract_id)
    cancellation = cancellation_of(session, order.id)
    invoices = invoices_of(session, order.id)
    bills = billed(session, invoices)
    paid = paid_minor(session, [inv.id for inv in invoices])
    cache: dict[int, Any] = {}                    # the terms, read once for every invoice
    return {"order_id": order.id, "terms_sha256": schedule.terms_sha256, "currency": schedule.currency,
            "total": _money(schedule.total_minor, schedule.currency),
            "status": "cancelled" if cancellation else "active",
            "invoices": [_with_cash({**invoice_json(inv, cancellation, bills[inv.id]),
                                     **payable(session, inv, settings or {}, bills[inv.id], cache)}, paid[inv.id])
                         for inv in invoices],
            "credit_note": stored_credit_note_json(note) if note is not None else None}


def _with_cash(invoice: dict[str, Any], paid_units: int) -> dict[str, Any]:
    """Add what was received and what is outstanding to an invoice's JSON (once issued)."""
    cur = invoice["currency"]
    if invoice.get("seller_number") is None:
        return {**invoice, "received": None, "outstanding": None, "paid": False}
    received = from_minor(paid_units, cur)
    outstanding = Decimal(invoice["total_due"]) - received
    return {**invoice, "received": money.plain(received, cur), "outstanding": money.plain(outstanding, cur),
            "paid": outstanding <= 0}


def revenue_json(session: Session, contract_id: int, today: date) -> dict[str, Any]:
    """Return the contract's revenue schedule by month, its allocation and the balance today."""
    from clm.downstream.orders import cancellation_of

    order = _order_or_404(session, contract_id)
    schedule = session.scalar(select(RevenueSchedule).where(RevenueSchedule.order_id == order.id))
    assert schedule is not None
    cur = schedule.currency
    cancellation = cancellation_of(session, order.id)
    if cancellation is None:
        lines = session.scalars(select(RevenueLine).where(RevenueLine.schedule_id == schedule.id)
                                .order_by(RevenueLine.period, RevenueLine.id))
        entries = [{"period": ln.period, "line": ln.line_id, "amount": _money(ln.amount_minor, cur)} for ln in lines]
        total = _money(schedule.total_minor, cur)
    else:  # revenue stops at the cancellation, with its catch-up (order_schedules)
        revenue = order_schedules(session, order)[2]
        entries = [{"period": e.period, "line": e.line_id, "amount": money.plain(e.amount, cur)}
                   for e in revenue.entries]
        total = money.plain(sum((e.amount for e in revenue.entries), Decimal(0)), cur)
    return {"order_id": order.id, "terms_sha256": schedule.terms_sha256, "currency": cur,
            "total": total, "allocation": schedule.allocation, "schedule": entries,
            "cancelled_on": cancellation.cancel_on.isoformat() if cancellation else None,
            "as_of": today.isoformat(),
            "balance": {k: money.plain(v, cur) for k, v in contract_balance(session, order, today).items()}}


def renewal_json(session: Session, contract_id: int, today: date) -> dict[str, Any]:
    """Return the contract's initial term and renewal, and the renewal coming up as of ``today``."""
    order = _order_or_404(session, contract_id)
    rn = session.scalar(select(Renewal).where(Renewal.order_id == order.id))
    assert rn is not None
    terms = order_terms(session, order)
    upcoming = upcoming_renewal(terms, today, contract=str(contract_id))
    out = {"order_id": order.id, "terms_sha256": rn.terms_sha256, "term_start": rn.term_start.isoformat(),
           "term_end": rn.term_end.isoformat(), "renewal_date": rn.renewal_date.isoformat(),
           "notice_deadline": _iso(rn.notice_deadline), "auto_renewal": rn.auto_renewal,
           "renewal_term": rn.renewal_term, "non_renewal_notice": rn.non_renewal_notice,
           "price_increase_cap": rn.price_increase_cap, "evergreen": terms.renewal.evergreen,
           "upcoming": None if upcoming is None else _event_json(upcoming), "runs_on": None}
    if upcoming is None and terms.renewal.evergreen:
        # Past its initial term an evergreen contract has no date ahead: what finance needs is
        # how soon it could end, should a party give notice today.
        out["runs_on"] = {"since": rn.renewal_date.isoformat(), "notice": rn.non_renewal_notice,
                          "earliest_end": _iso(earliest_end(terms.renewal.non_renewal_notice, today,
                                                            terms.calendar()))}
    return out


def _event_json(e: RenewalEvent) -> dict[str, Any]:
    return {"term_number": e.term_number, "term_start": e.term_start.isoformat(), "term_end": e.term_end.isoformat(),
            "renewal_date": e.renewal_date.isoformat(), "notice_deadline": _iso(e.notice_deadline),
            "auto_renewal": e.auto_renewal, "evergreen": e.evergreen}


def order_terms(session: Session, order: Order) -> ContractTerms:
    """Return the terms an order was built from."""
    document = session.get(ContractTermsDocument, order.terms_document_id)
    assert document is not None
    return parse_terms(document.data)


def order_schedules(session: Session, order: Order) -> tuple[ContractTerms, list[Any], RevenueResult]:
    """Return an order's terms, what it bills (credit note included) and its revenue schedule, cancellation applied."""
    from clm.downstream.billing import billed_after_cancellation, credit_note
    from clm.downstream.commercial import usage_of
    from clm.downstream.orders import cancellation_of
    from clm.downstream.revenue import cancel_revenue

    terms = order_terms(session, order)
    usage = usage_of(session, order.contract_id)
    billing = build_billing_schedule(terms, usage=usage)
    revenue = build_revenue_schedule(terms, usage)
    cancellation = cancellation_of(session, order.id)
    if cancellation is None:
        return terms, list(billing), revenue
    billed = billed_after_cancellation(billing, cancellation.cancel_on, credit_note(billing, cancellation.cancel_on),
                                       terms)
    consideration = sum((inv.total for inv in billed), Decimal(0))
    return terms, billed, cancel_revenue(revenue, cancellation.cancel_on, consideration)


def contract_balance(session: Session, order: Order, today: date) -> dict[str, Decimal]:
    """Return billed, recognized, deferred revenue and contract asset of an order through ``today``.

    A cancelled order counts its credit note as billed (negatively) and its revenue stops at
    the cancellation, with the catch-up that brings revenue to what the customer pays.
    """
    terms, billed, revenue = order_schedules(session, order)
    return balance(terms, billed, revenue, today)


def _cancelled_entries(session: Session) -> list[tuple[int, str, str, str, Decimal]]:
    """Return (contract id, title, currency, period, amount) of the revenue of cancelled orders, by line and month."""
    from clm.downstream.models import OrderCancellation

    out = []
    for order, contract in session.execute(
            select(Order, Contract).join(Contract, Contract.id == Order.contract_id)
            .where(Order.id.in_(select(OrderCancellation.order_id))).order_by(Order.id)):
        _terms, _billed, revenue = order_schedules(session, order)
        out += [(contract.id, contract.title, order.currency, e.period, e.amount) for e in revenue.entries]
    return out


def _usage_entries(session: Session) -> list[tuple[int, str, str, str, Decimal]]:
    """Return (contract id, title, currency, period, amount) of the usage revenue of orders not
    cancelled (stored revenue lines are the fixed schedule; usage arrives after signature)."""
    from clm.downstream.commercial import usage_of
    from clm.downstream.models import OrderCancellation, UsageRecord

    out = []
    for order, contract in session.execute(
            select(Order, Contract).join(Contract, Contract.id == Order.contract_id)
            .where(Order.contract_id.in_(select(UsageRecord.contract_id)),
                   Order.id.not_in(select(OrderCancellation.order_id))).order_by(Order.id)):
        terms = order_terms(session, order)
        usage_lines = {ln.id for ln in terms.all_lines() if ln.recognition == "usage"}
        revenue = build_revenue_schedule(terms, usage_of(session, order.contract_id))
        out += [(contract.id, contract.title, order.currency, e.period, e.amount) for e in revenue.entries
                if e.line_id in usage_lines]
    return out


def _not_cancelled() -> Any:
    """Return a condition on RevenueLine: its order is not cancelled (those are computed, see order_schedules)."""
    from clm.downstream.models import OrderCancellation

    cancelled = (select(RevenueSchedule.id).join(OrderCancellation, OrderCancellation.order_id == RevenueSchedule.order_id))
    return RevenueLine.schedule_id.not_in(cancelled)


# -- across contracts ------------------------------------------------------------------------------


def months_from(today: date, count: int) -> list[str]:
    """Return ``count`` YYYY-MM periods starting with ``today``'s month."""
    first = date(today.year, today.month, 1)
    return [add_months(first, i).strftime("%Y-%m") for i in range(count)]


def billing_forecast(session: Session, today: date, months: int = 12) -> dict[str, list[tuple[str, Decimal]]]:
    """Return, per currency, the invoice totals of each month from this one on."""
    periods = months_from(today, months)
    start = date(today.year, today.month, 1)
    end = add_months(start, months)
    totals: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    # Invoices a cancellation stopped (dated on or after it, but for its final invoice) are never issued.
    for issued_on, seq, currency, units, cancel_on, final_seq in session.execute(
            select(Invoice.issued_on, Invoice.seq, Invoice.currency, Invoice.total_minor, OrderCancellation.cancel_on,
                   OrderCancellation.final_invoice_seq)
            .join(BillingSchedule, BillingSchedule.id == Invoice.schedule_id)
            .outerjoin(OrderCancellation, OrderCancellation.order_id == BillingSchedule.order_id)
            .where(Invoice.issued_on >= start, Invoice.issued_on < end)):
        if cancel_on is not None and issued_on >= cancel_on and seq != final_seq:
            continue
        totals[currency][issued_on.strftime("%Y-%m")] += units
    return {cur: [(p, from_minor(by_period.get(p, 0), cur)) for p in periods] for cur, by_period in sorted(totals.items())}


def revenue_by_month(session: Session, today: date, months: int = 12) -> dict[str, list[tuple[str, Decimal]]]:
    """Return, per currency, the revenue recognized in each month from this one on (the waterfall's total row)."""
    periods = months_from(today, months)
    rows = session.execute(select(RevenueLine.currency, RevenueLine.period, func.sum(RevenueLine.amount_minor))
                           .where(RevenueLine.period >= periods[0], RevenueLine.period <= periods[-1], _not_cancelled())
                           .group_by(RevenueLine.currency, RevenueLine.period))
    totals: dict[str, dict[str, Decimal]] = defaultdict(lambda: defaultdict(Decimal))
    for currency, period, units in rows:
        totals[currency][period] += from_minor(int(units), currency)
    for _cid, _title, currency, period, amount in _cancelled_entries(session) + _usage_entries(session):
        if periods[0] <= period <= periods[-1]:
            totals[currency][period] += amount
    return {cur: [(p, by_period.get(p, from_minor(0, cur)) + from_minor(0, cur)) for p in periods]
            for cur, by_period in sorted(totals.items())}


@dataclass
class WaterfallRow:
    """One contract's revenue by month in the waterfall table."""

    contract_id: int
    title: str
    currency: str
    amounts: list[Decimal] = field(default_factory=list)


def revenue_waterfall(session: Session, today: date, months: int = 12) -> tuple[list[str], list[WaterfallRow]]:
    """Return the periods and, per contract with revenue in them, its revenue by month."""
    periods = months_from(today, months)
    index = {p: i for i, p in enumerate(periods)}
    rows: dict[int, WaterfallRow] = {}
    query = (select(RevenueLine.contract_id, Contract.title, RevenueLine.currency, RevenueLine.period,
                    func.sum(RevenueLine.amount_minor))
             .join(Contract, Contract.id == RevenueLine.contract_id)
             .where(RevenueLine.period >= periods[0], RevenueLine.period <= periods[-1], _not_cancelled())
             .group_by(RevenueLine.contract_id, Contract.title, RevenueLine.currency, RevenueLine.period))
    found = [(cid, title, cur, period, from_minor(int(units), cur))
             for cid, title, cur, period, units in session.execute(query)]
    found += [e for e in _cancelled_entries(session) + _usage_entries(session) if periods[0] <= e[3] <= periods[-1]]
    for contract_id, title, currency, period, amount in found:
        row = rows.setdefault(contract_id, WaterfallRow(contract_id, title, currency,
                                                        [from_minor(0, currency)] * len(periods)))
        row.amounts[index[period]] += amount
    return periods, [rows[k] for k in sorted(rows)]


@dataclass(frozen=True)
class DeferredRow:
    """One contract's balance today."""

    contract_id: int
    title: str
    currency: str
    billed: Decimal
    recognized: Decimal
    deferred_revenue: Decimal
    contract_asset: Decimal


def _orders(session: Session) -> Iterable[tuple[Order, Contract]]:
    return session.execute(select(Order, Contract).join(Contract, Contract.id == Order.contract_id)
                           .order_by(Order.contract_id, Order.id)).all()


def deferred_revenue(session: Session, today: date) -> tuple[list[DeferredRow], dict[str, Decimal]]:
    """Return each order's balance as of ``today`` and the deferred revenue total per currency."""
    rows: list[DeferredRow] = []
    totals: dict[str, Decimal] = defaultdict(Decimal)
    for order, contract in _orders(session):
        b = contract_balance(session, order, today)
        rows.append(DeferredRow(contract.id, contract.title, order.currency, **b))
        totals[order.currency] += b["deferred_revenue"]
    return rows, dict(sorted(totals.items()))


@dataclass(frozen=True)
class RenewalDue:
    """A renewal coming up, with its contract."""

    contract_id: int
    title: str
    counterparty: str
    event: RenewalEvent
    days_to_deadline: int | None
    days_to_renewal: int


def renewals_due(session: Session, today: date, within: int) -> list[RenewalDue]:
    """Return the signed contracts whose notice deadline or renewal date is within ``within`` days.

    The same events as ``renewals.renewal_calendar`` over every order's terms, read from the
    :class:`RenewalTerm` projection: one indexed query for the rows whose current term is up to
    date, plus the auto-renewing rows whose term ended before ``today`` and that nobody has
    rolled forward yet (``roll_renewals``), computed here. Cancelled orders do not renew.
    """
    if within < 0:
        raise InvalidInput(f"within: {within} must be 0 or more days")
    horizon = today + timedelta(days=within)
    not_cancelled = ~select(OrderCancellation.id).where(OrderCancellation.order_id == RenewalTerm.order_id).exists()
    # Plain columns, not ORM objects: thousands of rows due must not cost an identity map.
    current = session.execute(
        select(RenewalTerm.contract_id, Contract.title, Contract.counterparty, RenewalTerm.term_number,
               RenewalTerm.term_start, RenewalTerm.term_end, RenewalTerm.renewal_date, RenewalTerm.notice_deadline,
               RenewalTerm.auto_renewal, Renewal.renewal_term == PERPETUAL)
        .join(Contract, Contract.id == RenewalTerm.contract_id)
        .join(Renewal, Renewal.id == RenewalTerm.renewal_id)
        .where(RenewalTerm.term_end >= today, not_cancelled,
               or_(RenewalTerm.renewal_date.between(today, horizon),
                   RenewalTerm.notice_deadline.between(today, horizon))))
    out = [_due(contract_id, title, counterparty, RenewalEvent(str(contract_id), *event, bool(evergreen)), today)
           for contract_id, title, counterparty, *event, evergreen in current]
    for title, counterparty, renewal in session.execute(
            select(Contract.title, Contract.counterparty, Renewal).select_from(RenewalTerm)
            .join(Contract, Contract.id == RenewalTerm.contract_id)
            .join(Renewal, Renewal.id == RenewalTerm.renewal_id)
            .where(RenewalTerm.term_end < today, RenewalTerm.auto_renewal.is_(True), not_cancelled,
                   _renews_by_term())):
        rolled = current_renewal(renewal, today)   # not rolled forward yet (roll_renewals): compute it here
        if rolled is not None and any(today <= d <= horizon for d in (rolled.notice_deadline, rolled.renewal_date)
                                      if d is not None):
            out.append(_due(renewal.contract_id, title, counterparty, rolled, today))
    return sorted(out, key=lambda r: (next_date(r.event, today), r.event.contract))


def roll_renewals(session: Session, today: date) -> int:
    """Move every auto-renewing contract whose term ended before ``today`` into its current term.

    Return how many rows moved. Run daily (``clm renewals remind`` does), so that
    :func:`renewals_due` answers from the index alone; rerunning it changes nothing.
    """
    moved = 0
    for row, renewal in session.execute(
            select(RenewalTerm, Renewal).join(Renewal, Renewal.id == RenewalTerm.renewal_id)
            .where(RenewalTerm.term_end < today, RenewalTerm.auto_renewal.is_(True), _renews_by_term())):
        event = current_renewal(renewal, today)
        if event is None or event.term_number == row.term_number:
            continue
        row.term_number, row.term_start, row.term_end = event.term_number, event.term_start, event.term_end
        row.renewal_date, row.notice_deadline = event.renewal_date, event.notice_deadline
        moved += 1
    return moved


def _renews_by_term() -> Any:
    """The renewals that roll forward term by term: not the evergreen ones, which past their initial
    term have no term to roll into (so no row of theirs is ever behind)."""
    return or_(Renewal.renewal_term.is_(None), Renewal.renewal_term != PERPETUAL)


def current_renewal(renewal: Renewal, today: date) -> RenewalEvent | None:
    """Return the renewal event of the term running on ``today``, from the renewal row alone.

    The same event as ``renewals.upcoming_renewal`` over the order's terms: the row keeps the
    initial term and the renewal and notice periods, so nothing needs parsing.
    """
    evergreen = renewal.renewal_term == PERPETUAL
    return renewal_event(str(renewal.contract_id), renewal.term_start, renewal.term_end, renewal.auto_renewal,
                         durations.parse(renewal.renewal_term) if renewal.renewal_term and not evergreen else None,
                         durations.parse(renewal.non_renewal_notice) if renewal.non_renewal_notice else None, today,
                         calendars.calendar(renewal.holidays), evergreen=evergreen)


def _due(contract_id: int, title: str, counterparty: str | None, event: RenewalEvent, today: date) -> RenewalDue:
    return RenewalDue(contract_id, title, counterparty or "", event,
                      (event.notice_deadline - today).days if event.notice_deadline else None,
                      (event.renewal_date - today).days)


def renewals_json(items: Iterable[RenewalDue]) -> dict[str, Any]:
    """Return renewals due as ``{"renewals": [...]}``."""
    return {"renewals": [{"contract_id": r.contract_id, "title": r.title, "counterparty": r.counterparty,
                          **_event_json(r.event)} for r in items]}


#: How older clm versions told finance to call the API by hand; pages say what to do instead.
_API_HINT = re.compile(r"\s*\((?:PUT|POST|GET) /api/v1/[^)]*\)")


def page_error(message: str | None) -> str:
    """Return a refusal as a page shows it: without an "(PUT /api/v1/...)" hint older versions stored."""
    return _API_HINT.sub("", message or "")


def refused_events(session: Session) -> list[Event]:
    """Return signed contracts' events that could not be processed, with why (for finance to act on)."""
    from clm.downstream.outbox import COMPLETED

    return list(session.scalars(select(Event).where(Event.name == COMPLETED, Event.processed_at.is_(None),
                                                    Event.last_error.isnot(None)).order_by(Event.id)))


# -- the contract page's panel ------------------------------------------------------------------


@dataclass(frozen=True)
class Panel:
    """What the contract page shows downstream of signing (primitives only)."""

    contract_id: int
    terms_version: int | None
    terms_sha256: str | None
    order: dict[str, Any] | None = None
    invoices: list[dict[str, Any]] = field(default_factory=list)
    revenue_total: str | None = None
    balance: dict[str, str] | None = None
    renewal: dict[str, Any] | None = None
    pending_error: str | None = None
    credit_note: dict[str, Any] | None = None
    renewal_draft: dict[str, Any] | None = None
    #: When this contract is a renewal draft: the contract it renews ({"contract_id", "title", ...}).
    renews: dict[str, Any] | None = None
    #: Cash received against the invoices, in date order (``invoicing.payments_json``).
    payments: list[dict[str, Any]] = field(default_factory=list)


def downstream_panel(session: Session, contract: Contract, today: date | None = None,
                     settings: dict[str, Any] | None = None) -> Panel:
    """Return the contract's commercial terms, order, invoices, revenue and renewal for its page
    (the invoices as ``billing_json`` gives them: seller numbers, tax per ``settings``, cash received)."""
    from clm.downstream.commercial import latest_document

    today = today or date.today()
    document = latest_document(session, contract.id)
    base: dict[str, Any] = {"contract_id": contract.id, "terms_version": document.version if document else None,
                            "terms_sha256": document.sha256 if document else None}
    from clm.downstream.renewal_drafts import renewal_of

    draft = renewal_of(session, contract.id)
    if draft is not None:
        original = session.get(Contract, draft.original_contract_id)
        base["renews"] = {"contract_id": draft.original_contract_id, "title": original.title if original else "",
                          "requested_pct": draft.requested_pct, "applied_pct": draft.applied_pct,
                          "capped": Decimal(draft.applied_pct) < Decimal(draft.requested_pct)}
    order = order_of(session, contract.id)
    if order is None:
        error = next((page_error(e.last_error) for e in refused_events(session)
                      if e.payload.get("contract_id") == contract.id), None)
        return Panel(**base, pending_error=error)
    from clm.downstream.orders import credit_note_of, stored_credit_note_json
    from clm.downstream.renewal_drafts import drafts_json

    revenue = revenue_json(session, contract.id, today)
    note = credit_note_of(session, contract.id)
    drafts = drafts_json(session, order.id)
    from clm.downstream.invoicing import payments_json

    return Panel(**base, order=order_json(session, contract.id),
                 invoices=billing_json(session, contract.id, settings)["invoices"],
                 revenue_total=revenue["total"], balance=revenue["balance"],
                 renewal=renewal_json(session, contract.id, today),
                 credit_note=stored_credit_note_json(note) if note is not None else None,
                 renewal_draft=drafts[-1] if drafts else None, payments=payments_json(session, contract.id))


# -- journal entries -------------------------------------------------------------------------------


def contract_journal(session: Session, contract_id: int, as_of: date | None,
                     chart: dict[str, str], tax_rates: dict[str, Decimal] | None = None) -> dict[str, Any]:
    """Return the journal of the contract's order through ``as_of`` (cancellation and usage included)."""
    from clm.downstream.invoicing import received
    from clm.downstream.journal import build_journal, journal_json

    order = _order_or_404(session, contract_id)
    terms, billed, revenue = order_schedules(session, order)
    entries = build_journal(terms, _numbered(billed, order.id), revenue, as_of, chart, tax_rates,
                            received(session, order.id))
    return {"order_id": order.id, "contract_id": contract_id, **journal_json(entries, terms.currency, as_of)}


def _numbered(billed: list[Any], order_id: int) -> list[Any]:
    """Return the invoices numbered as stored (``INV-<order>-nnnn``), credit notes as they are."""
    from dataclasses import replace

    return [replace(inv, number=f"INV-{order_id}-{inv.number.rpartition('-')[2]}")
            if inv.number.startswith("INV-") and inv.number.count("-") == 1 else inv for inv in billed]


def journal_export(session: Session, start: date, end: date, chart: dict[str, str],
                   tax_rates: dict[str, Decimal] | None = None) -> list[tuple[Any, ...]]:
    """Return every order's journal entries dated ``start`` to ``end`` as CSV rows, contract first.

    Each contract's journal is built through ``end`` (so its last month is posted at ``end`` if
    that is mid-month) and the rows dated in the period kept: the period's entries balance per
    date, contract and currency.
    """
    from clm.downstream.invoicing import received
    from clm.downstream.journal import build_journal, entry_row

    if end < start:
        raise InvalidInput(f"to: {end} is before from ({start})")
    rows: list[tuple[Any, ...]] = []
    for order, contract in _orders(session):
        terms, billed, revenue = order_schedules(session, order)
        if end < terms.signed_on:
            continue
        for e in build_journal(terms, _numbered(billed, order.id), revenue, end, chart, tax_rates,
                               received(session, order.id)):
            if start <= e.date <= end:
                rows.append((contract.id, contract.title, *entry_row(e, terms.currency)))
    rows.sort(key=lambda r: (r[2], r[0]))
    return rows


def waterfall_csv(session: Session, today: date, months: int = 12) -> str:
    """Return the revenue waterfall (each contract's revenue by month from ``today``'s) as CSV."""
    import io

    from clm import csvfile

    periods, rows = revenue_waterfall(session, today, months)
    out = io.StringIO()
    writer = csvfile.writer(out)
    writer.writerow(("contract_id", "title", "currency", *periods, "total", "total_formatted"))
    for row in rows:
        total = sum(row.amounts, Decimal(0))
        writer.writerow((row.contract_id, row.title, row.currency,
                         *(money.plain(a, row.currency) for a in row.amounts),
                         money.plain(total, row.currency), display.money_text(total, row.currency)))
    return out.getvalue()
