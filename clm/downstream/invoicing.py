"""Invoices a customer can pay: the seller's sequential numbers, the parties, tax per jurisdiction."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from clm.downstream.billing import invoice_tax, parse_tax_rates
from clm.downstream.models import (
    BillingSchedule,
    ContractTermsDocument,
    Invoice,
    InvoiceNumber,
    Order,
)
from clm.downstream.terms import ContractTerms, Party, parse_terms
from clm.errors import Conflict
from clm.values import money

if TYPE_CHECKING:
    from collections.abc import Mapping

    from sqlalchemy.orm import Session

#: The seller code of invoices whose terms name no seller (``CLM_INVOICE_SELLER_CODE`` overrides).
DEFAULT_SELLER = "INV"


@dataclass(frozen=True)
class Issued:
    """An invoice given its seller number by :func:`issue_invoices`."""

    invoice: str
    number: str
    issued_on: date


def _terms_of(session: Session, schedule_id: int, cache: dict[int, ContractTerms]) -> ContractTerms:
    if schedule_id not in cache:
        order = session.scalar(select(Order).join(BillingSchedule, BillingSchedule.order_id == Order.id)
                               .where(BillingSchedule.id == schedule_id))
        assert order is not None
        document = session.get(ContractTermsDocument, order.terms_document_id)
        assert document is not None
        cache[schedule_id] = parse_terms(document.data)
    return cache[schedule_id]


def seller_code(terms: ContractTerms, default: str = DEFAULT_SELLER) -> str:
    """Return the code a contract's invoices are numbered under: its seller's, else ``default``."""
    return terms.seller.code if terms.seller is not None and terms.seller.code else default


#: An invoice's lines (as ``billing_json`` writes them) and its total in minor units.
Billed = tuple[list[dict[str, Any]], int]


def billed(session: Session, invoices: list[Invoice]) -> dict[int, Billed]:
    """Return what each invoice bills, by invoice id: its scheduled lines, and its usage lines.

    Invoices are scheduled when the contract is signed, before any usage; a usage line's amount
    comes from the usage records of its period (``POST /api/v1/contracts/<id>/usage``) until the
    invoice is issued, and from what was issued after (:func:`issue_invoices` keeps it).
    """
    from clm.downstream.billing import billing_json, build_billing_schedule, usage_lines
    from clm.downstream.commercial import usage_of

    out: dict[int, Billed] = {}
    issued = {n.invoice_id: n for n in session.scalars(select(InvoiceNumber).where(
        InvoiceNumber.invoice_id.in_([inv.id for inv in invoices])))} if invoices else {}
    cache: dict[int, ContractTerms] = {}
    computed: dict[int, dict[str, list[dict[str, Any]]]] = {}
    for inv in invoices:
        number = issued.get(inv.id)
        if number is not None and number.lines is not None and number.total_minor is not None:
            out[inv.id] = (number.lines, number.total_minor)
            continue
        terms = _terms_of(session, inv.schedule_id, cache)
        metered = {ln.id for ln in usage_lines(terms)}
        if not metered:
            out[inv.id] = (inv.lines, inv.total_minor)
            continue
        if inv.schedule_id not in computed:
            prefix = inv.number.rpartition("-")[0]
            schedule = build_billing_schedule(terms, prefix, usage_of(session, inv.contract_id))
            computed[inv.schedule_id] = {i["number"]: i["lines"] for i in billing_json(schedule)["invoices"]}
        usage = [ln for ln in computed[inv.schedule_id].get(inv.number, []) if ln["line"] in metered]
        lines = [ln for ln in inv.lines if ln["line"] not in metered] + usage
        out[inv.id] = (lines, inv.total_minor + sum(money.to_minor(Decimal(ln["amount"]), inv.currency) for ln in usage))
    return out


def refuse_usage_on_issued(session: Session, contract_id: int, line_id: str, used_on: date) -> None:
    """Raise Conflict when usage of ``line_id`` on ``used_on`` belongs on an invoice already issued."""
    from clm.downstream.billing import usage_invoice_date, usage_lines
    from clm.downstream.reports import invoices_of, order_of, order_terms

    order = order_of(session, contract_id)
    if order is None:
        return
    line = next((ln for ln in usage_lines(order_terms(session, order)) if ln.id == line_id), None)
    when = usage_invoice_date(line, used_on) if line is not None else None
    for inv in invoices_of(session, order.id):
        if inv.issued_on == when:
            number = session.scalar(select(InvoiceNumber.number).where(InvoiceNumber.invoice_id == inv.id))
            if number is not None:
                raise Conflict(f"date: usage on {used_on} is billed on invoice {inv.number}, already issued as "
                               f"{number}; usage is recorded until the invoice of its period is issued")


def issue_invoices(session: Session, today: date, *, default_seller: str = DEFAULT_SELLER,
                   now: dt.datetime) -> list[Issued]:
    """Give every invoice dated on or before ``today`` and not yet numbered its seller's next number.

    In the order the invoices are dated (then scheduled), so each seller's numbers rise with
    the invoice dates and have no gaps. Invoices a cancellation stopped are never issued, nor one
    that bills nothing (a usage period's invoice with no usage recorded). The issued number keeps
    the lines and total the invoice billed, usage included. Two
    runs at once: the second gets a Conflict and changes nothing (unique seller and number).
    """
    from clm.downstream.orders import cancellation_of

    numbered = select(InvoiceNumber.invoice_id)
    pending = session.scalars(select(Invoice).where(Invoice.issued_on <= today, Invoice.id.not_in(numbered))
                              .order_by(Invoice.issued_on, Invoice.id)).all()
    cache: dict[int, ContractTerms] = {}
    last: dict[str, int] = {}
    out: list[Issued] = []
    for inv in pending:
        schedule = session.get(BillingSchedule, inv.schedule_id)
        assert schedule is not None
        cancellation = cancellation_of(session, schedule.order_id)
        if cancellation is not None and cancellation.invoice_cancelled(inv.issued_on, inv.seq):
            continue
        lines, total_minor = billed(session, [inv])[inv.id]
        if not lines:
            continue  # a usage period's invoice with no usage (yet): issued once usage is on it
        seller = seller_code(_terms_of(session, inv.schedule_id, cache), default_seller)
        if seller not in last:
            last[seller] = session.scalar(select(func.max(InvoiceNumber.seq))
                                          .where(InvoiceNumber.seller == seller)) or 0
        last[seller] += 1
        number = f"{seller}-{last[seller]:06d}"
        session.add(InvoiceNumber(invoice_id=inv.id, seller=seller, seq=last[seller], number=number, issued_at=now,
                                  lines=lines, total_minor=total_minor))
        out.append(Issued(inv.number, number, inv.issued_on))
    try:
        session.flush()
    except IntegrityError:
        raise Conflict("Invoices were being issued at the same moment; run it again.") from None
    return out


def _party(p: Party | None) -> dict[str, Any] | None:
    if p is None:
        return None
    return {"name": p.name, "address": list(p.address), "tax_id": p.tax_id, "jurisdiction": p.jurisdiction,
            "code": p.code}


def payable(session: Session, inv: Invoice, settings: Mapping[str, Any], bill: Billed | None = None) -> dict[str, Any]:
    """Return what a customer needs to pay ``inv``: the seller's number (None until issued), the
    seller and bill-to parties, the tax lines and the total due (on ``bill``, what :func:`billed` says)."""
    terms = _terms_of(session, inv.schedule_id, {})
    rates = parse_tax_rates(str(settings.get("TAX_RATES", "")))
    cur = inv.currency
    subtotal = money.from_minor((bill or billed(session, [inv])[inv.id])[1], cur)
    taxes = invoice_tax(subtotal, terms.bill_to.jurisdiction if terms.bill_to else None, rates, cur)
    issued = session.scalar(select(InvoiceNumber).where(InvoiceNumber.invoice_id == inv.id))
    return {
        "seller_number": issued.number if issued else None,
        "seller": _party(terms.seller), "bill_to": _party(terms.bill_to),
        "subtotal": money.plain(subtotal, cur),
        "tax": [{"jurisdiction": t.jurisdiction, "rate": f"{t.rate.normalize():f}", "amount": money.plain(t.amount, cur)}
                for t in taxes],
        "total_due": money.plain(subtotal + sum((t.amount for t in taxes), Decimal(0)), cur),
    }
