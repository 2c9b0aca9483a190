"""What finance reads: a contract's order, billing, revenue and renewal as JSON, forecasts, deferred revenue, renewals due."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, select

from clm.downstream.billing import build_billing_schedule
from clm.downstream.models import (
    BillingSchedule,
    ContractTermsDocument,
    Invoice,
    Order,
    OrderLine,
    OutboxEvent,
    Renewal,
    RevenueLine,
    RevenueSchedule,
    from_minor,
)
from clm.downstream.renewals import RenewalEvent, renewal_calendar, upcoming_renewal
from clm.downstream.revenue import balance, build_revenue_schedule
from clm.downstream.terms import ContractTerms, add_months, format_money, parse_terms
from clm.errors import NotFound
from clm.versions.models import Contract

if TYPE_CHECKING:
    from sqlalchemy.orm import Session


def _money(units: int, currency: str) -> str:
    return format_money(from_minor(units, currency), currency)


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
    order = _order_or_404(session, contract_id)
    cur = order.currency
    lines = session.scalars(select(OrderLine).where(OrderLine.order_id == order.id).order_by(OrderLine.position))
    return {"id": order.id, "contract_id": order.contract_id, "envelope_id": order.envelope_id,
            "terms_sha256": order.terms_sha256, "currency": cur, "total": _money(order.total_minor, cur),
            "signed_on": order.signed_on.isoformat(), "created_at": order.created_at.isoformat(),
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


def invoice_json(inv: Invoice) -> dict[str, Any]:
    """Return one invoice as JSON."""
    return {"number": inv.number, "date": inv.issued_on.isoformat(), "due": inv.due_on.isoformat(),
            "currency": inv.currency, "total": _money(inv.total_minor, inv.currency), "lines": inv.lines,
            "terms_sha256": inv.terms_sha256}


def billing_json(session: Session, contract_id: int) -> dict[str, Any]:
    """Return the contract's billing schedule and invoices."""
    order = _order_or_404(session, contract_id)
    schedule = session.scalar(select(BillingSchedule).where(BillingSchedule.order_id == order.id))
    assert schedule is not None
    return {"order_id": order.id, "terms_sha256": schedule.terms_sha256, "currency": schedule.currency,
            "total": _money(schedule.total_minor, schedule.currency),
            "invoices": [invoice_json(inv) for inv in invoices_of(session, order.id)]}


def revenue_json(session: Session, contract_id: int, today: date) -> dict[str, Any]:
    """Return the contract's revenue schedule by month, its allocation and the balance today."""
    order = _order_or_404(session, contract_id)
    schedule = session.scalar(select(RevenueSchedule).where(RevenueSchedule.order_id == order.id))
    assert schedule is not None
    cur = schedule.currency
    lines = session.scalars(select(RevenueLine).where(RevenueLine.schedule_id == schedule.id)
                            .order_by(RevenueLine.period, RevenueLine.id))
    return {"order_id": order.id, "terms_sha256": schedule.terms_sha256, "currency": cur,
            "total": _money(schedule.total_minor, cur), "allocation": schedule.allocation,
            "schedule": [{"period": ln.period, "line": ln.line_id, "amount": _money(ln.amount_minor, cur)}
                         for ln in lines],
            "as_of": today.isoformat(),
            "balance": {k: format_money(v, cur) for k, v in contract_balance(session, order, today).items()}}


def renewal_json(session: Session, contract_id: int, today: date) -> dict[str, Any]:
    """Return the contract's initial term and renewal, and the renewal coming up as of ``today``."""
    order = _order_or_404(session, contract_id)
    rn = session.scalar(select(Renewal).where(Renewal.order_id == order.id))
    assert rn is not None
    upcoming = upcoming_renewal(order_terms(session, order), today, contract=str(contract_id))
    return {"order_id": order.id, "terms_sha256": rn.terms_sha256, "term_start": rn.term_start.isoformat(),
            "term_end": rn.term_end.isoformat(), "renewal_date": rn.renewal_date.isoformat(),
            "notice_deadline": _iso(rn.notice_deadline), "auto_renewal": rn.auto_renewal,
            "renewal_term": rn.renewal_term, "non_renewal_notice": rn.non_renewal_notice,
            "price_increase_cap": rn.price_increase_cap,
            "upcoming": None if upcoming is None else _event_json(upcoming)}


def _event_json(e: RenewalEvent) -> dict[str, Any]:
    return {"term_number": e.term_number, "term_start": e.term_start.isoformat(), "term_end": e.term_end.isoformat(),
            "renewal_date": e.renewal_date.isoformat(), "notice_deadline": _iso(e.notice_deadline),
            "auto_renewal": e.auto_renewal}


def order_terms(session: Session, order: Order) -> ContractTerms:
    """Return the terms an order was built from."""
    document = session.get(ContractTermsDocument, order.terms_document_id)
    assert document is not None
    return parse_terms(document.data)


def contract_balance(session: Session, order: Order, today: date) -> dict[str, Decimal]:
    """Return billed, recognized, deferred revenue and contract asset of an order through ``today``."""
    terms = order_terms(session, order)
    return balance(terms, build_billing_schedule(terms), build_revenue_schedule(terms), today)


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
    for issued_on, currency, units in session.execute(
            select(Invoice.issued_on, Invoice.currency, Invoice.total_minor)
            .where(Invoice.issued_on >= start, Invoice.issued_on < end)):
        totals[currency][issued_on.strftime("%Y-%m")] += units
    return {cur: [(p, from_minor(by_period.get(p, 0), cur)) for p in periods] for cur, by_period in sorted(totals.items())}


def revenue_by_month(session: Session, today: date, months: int = 12) -> dict[str, list[tuple[str, Decimal]]]:
    """Return, per currency, the revenue recognized in each month from this one on (the waterfall's total row)."""
    periods = months_from(today, months)
    rows = session.execute(select(RevenueLine.currency, RevenueLine.period, func.sum(RevenueLine.amount_minor))
                           .where(RevenueLine.period >= periods[0], RevenueLine.period <= periods[-1])
                           .group_by(RevenueLine.currency, RevenueLine.period))
    totals: dict[str, dict[str, int]] = defaultdict(dict)
    for currency, period, units in rows:
        totals[currency][period] = int(units)
    return {cur: [(p, from_minor(by_period.get(p, 0), cur)) for p in periods] for cur, by_period in sorted(totals.items())}


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
             .where(RevenueLine.period >= periods[0], RevenueLine.period <= periods[-1])
             .group_by(RevenueLine.contract_id, Contract.title, RevenueLine.currency, RevenueLine.period))
    for contract_id, title, currency, period, units in session.execute(query):
        row = rows.setdefault(contract_id, WaterfallRow(contract_id, title, currency,
                                                        [from_minor(0, currency)] * len(periods)))
        row.amounts[index[period]] = from_minor(int(units), currency)
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
    """Return the signed contracts whose notice deadline or renewal date is within ``within`` days."""
    contracts: dict[str, Contract] = {}
    terms: list[tuple[str, ContractTerms]] = []
    for order, contract in _orders(session):
        contracts[str(contract.id)] = contract
        terms.append((str(contract.id), order_terms(session, order)))
    out = []
    for event in renewal_calendar(terms, today, within):
        contract = contracts[event.contract]
        out.append(RenewalDue(contract.id, contract.title, contract.counterparty or "", event,
                              (event.notice_deadline - today).days if event.notice_deadline else None,
                              (event.renewal_date - today).days))
    return out


def renewals_json(items: Iterable[RenewalDue]) -> dict[str, Any]:
    """Return renewals due as ``{"renewals": [...]}``."""
    return {"renewals": [{"contract_id": r.contract_id, "title": r.title, "counterparty": r.counterparty,
                          **_event_json(r.event)} for r in items]}


def refused_events(session: Session) -> list[OutboxEvent]:
    """Return events that could not be processed, with why (for finance to act on)."""
    return list(session.scalars(select(OutboxEvent).where(OutboxEvent.processed_at.is_(None),
                                                          OutboxEvent.last_error.isnot(None))
                                .order_by(OutboxEvent.id)))


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


def downstream_panel(session: Session, contract: Contract, today: date | None = None) -> Panel:
    """Return the contract's commercial terms, order, invoices, revenue and renewal for its page."""
    from clm.downstream.commercial import latest_document

    today = today or date.today()
    document = latest_document(session, contract.id)
    base: dict[str, Any] = {"contract_id": contract.id, "terms_version": document.version if document else None,
                            "terms_sha256": document.sha256 if document else None}
    order = order_of(session, contract.id)
    if order is None:
        error = next((e.last_error for e in refused_events(session)
                      if e.payload.get("contract_id") == contract.id), None)
        return Panel(**base, pending_error=error)
    revenue = revenue_json(session, contract.id, today)
    return Panel(**base, order=order_json(session, contract.id),
                 invoices=[invoice_json(inv) for inv in invoices_of(session, order.id)],
                 revenue_total=revenue["total"], balance=revenue["balance"],
                 renewal=renewal_json(session, contract.id, today))
