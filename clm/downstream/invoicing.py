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
    Payment,
)
from clm.downstream.terms import ContractTerms, Party, parse_terms
from clm.errors import Conflict, InputErrors, InvalidInput
from clm.values import ValueReadError, money

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


def payable(session: Session, inv: Invoice, settings: Mapping[str, Any], bill: Billed | None = None,
            cache: dict[int, ContractTerms] | None = None) -> dict[str, Any]:
    """Return what a customer needs to pay ``inv``: the seller's number (None until issued), the
    seller and bill-to parties, the tax lines and the total due (on ``bill``, what :func:`billed` says).
    ``cache``: terms already read, by schedule (for many invoices at once)."""
    terms = _terms_of(session, inv.schedule_id, {} if cache is None else cache)
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


# -- cash received ---------------------------------------------------------------------------------


class PaymentError(InputErrors):
    """A payment that cannot be applied; ``errors`` names each field."""

    summary = "invalid payment"


def _issued_invoice(session: Session, contract_id: int, ref: str) -> tuple[Invoice, InvoiceNumber] | None:
    """Return the contract's issued invoice by its seller number (or its scheduled number)."""
    found = session.execute(select(Invoice, InvoiceNumber).join(InvoiceNumber, InvoiceNumber.invoice_id == Invoice.id)
                            .where(Invoice.contract_id == contract_id,
                                   (InvoiceNumber.number == ref) | (Invoice.number == ref))).first()
    return (found[0], found[1]) if found is not None else None


def paid_minor(session: Session, invoice_ids: list[int]) -> dict[int, int]:
    """Return the cash received against each invoice, in minor units (0 when none)."""
    out = dict.fromkeys(invoice_ids, 0)
    if invoice_ids:
        for invoice_id, units in session.execute(select(Payment.invoice_id, func.sum(Payment.amount_minor))
                                                 .where(Payment.invoice_id.in_(invoice_ids))
                                                 .group_by(Payment.invoice_id)):
            out[invoice_id] = int(units)
    return out


def record_payment(session: Session, contract_id: int, data: Any, *, by: str, settings: Mapping[str, Any],
                   now: dt.datetime, typed: bool = False) -> tuple[Payment, bool]:
    """Store cash received ``{"invoice", "amount", "date", "reference"?}`` against an issued invoice.

    ``invoice`` is the seller's number (or the scheduled one), of this contract and issued;
    ``amount`` a decimal string in the invoice's currency, more than 0 and at most what is still
    outstanding (the total due, tax included, less what was received); ``date`` not before the
    invoice's date nor after today. Otherwise :class:`PaymentError` names each field and nothing
    is stored. A ``reference`` already posted for this contract returns the stored payment (a
    retried post changes nothing) and its second value is False. ``typed``: ``amount`` is what a
    person typed into a form ("100,000.00", "$1,200"; :func:`clm.values.money.typed`).
    """
    if not isinstance(data, dict):
        raise InvalidInput('Send {"invoice": "INV-000001", "amount": "1200.00", "date": "YYYY-MM-DD"} as a JSON object.')
    errors = [f"{key[:40]}: unknown field" for key in sorted(set(data) - {"invoice", "amount", "date", "reference"})]
    reference = data.get("reference")
    if reference is not None and (not isinstance(reference, str) or not 0 < len(reference) <= 200):
        errors.append("reference: must be a string of 1 to 200 characters")
    ref = data.get("invoice")
    found = _issued_invoice(session, contract_id, ref) if isinstance(ref, str) else None
    if found is None:
        errors.append(f"invoice: {str(ref)[:40]!r} is not an issued invoice of this contract"
                      " (its seller number, e.g. INV-000001; an invoice can be paid once `clm downstream issue` issued it)")
    day: date | None = None
    try:
        day = date.fromisoformat(data["date"]) if isinstance(data.get("date"), str) else None
    except ValueError:
        day = None
    if day is None:
        errors.append(f"date: {str(data.get('date'))[:20]!r} is not a date (YYYY-MM-DD)")
    elif day > now.date():
        errors.append(f"date: {day} is in the future")
    elif found is not None and day < found[0].issued_on:
        errors.append(f"date: {day} is before the invoice's date {found[0].issued_on}")
    amount: Decimal | None = None
    if found is not None:
        inv, number = found
        try:
            amount = (money.typed if typed else money.amount)(data.get("amount"), inv.currency)
        except ValueReadError as err:
            errors.append(str(err.named("amount")))
        else:
            due = money.to_minor(Decimal(payable(session, inv, settings)["total_due"]), inv.currency)
            outstanding = due - paid_minor(session, [inv.id])[inv.id]
            units = money.to_minor(amount, inv.currency)
            if units <= 0:
                errors.append("amount: must be more than 0")
            elif units > outstanding and not _same_reference(session, contract_id, reference):
                errors.append(f"amount: {money.plain(amount, inv.currency)} is more than the "
                              f"{money.plain(money.from_minor(outstanding, inv.currency), inv.currency)} "
                              f"outstanding on {number.number}")
    if errors:
        raise PaymentError(errors)
    assert found is not None and day is not None and amount is not None
    from clm.downstream.commercial import add_once

    inv, _number = found
    units = money.to_minor(amount, inv.currency)
    row = Payment(contract_id=contract_id, invoice_id=inv.id, received_on=day, amount_minor=units,
                  currency=inv.currency, reference=reference, recorded_by=by, created_at=now)
    return add_once(session, row, lambda old: (old.invoice_id, old.received_on, old.amount_minor) == (inv.id, day, units))


def _same_reference(session: Session, contract_id: int, reference: Any) -> bool:
    return reference is not None and session.scalar(select(Payment.id).where(
        Payment.contract_id == contract_id, Payment.reference == reference)) is not None


def payments_json(session: Session, contract_id: int) -> list[dict[str, Any]]:
    """Return the cash received against the contract's invoices, in date order (each with the
    seller's number it was applied to)."""
    rows = session.execute(select(Payment, InvoiceNumber.number)
                           .join(InvoiceNumber, InvoiceNumber.invoice_id == Payment.invoice_id)
                           .where(Payment.contract_id == contract_id).order_by(Payment.received_on, Payment.id))
    return [payment_json(p, number) for p, number in rows]


def payment_json(row: Payment, invoice: str | None = None) -> dict[str, Any]:
    """Return a stored payment as JSON (``invoice``: the seller's number it was applied to)."""
    return {"id": row.id, "contract_id": row.contract_id, "invoice": invoice, "date": row.received_on.isoformat(),
            "amount": money.plain(money.from_minor(row.amount_minor, row.currency), row.currency),
            "currency": row.currency, "reference": row.reference, "recorded_by": row.recorded_by,
            "created_at": row.created_at.isoformat()}


def received(session: Session, order_id: int) -> list[Any]:
    """Return the cash received against an order's invoices as ``journal.Received``, in date order."""
    from clm.downstream.journal import Received

    schedule_id = select(BillingSchedule.id).where(BillingSchedule.order_id == order_id).scalar_subquery()
    rows = session.execute(select(Payment, Invoice.number).join(Invoice, Invoice.id == Payment.invoice_id)
                           .where(Invoice.schedule_id == schedule_id).order_by(Payment.received_on, Payment.id))
    return [Received(p.received_on, number, money.from_minor(p.amount_minor, p.currency), p.reference)
            for p, number in rows]


#: Days past due that start each bucket of the receivables aging, and the bucket's name.
AGING = ((0, "current"), (1, "1-30"), (31, "31-60"), (61, "61-90"), (91, "over 90"))


def receivables(session: Session, as_of: date, settings: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Return every issued invoice with cash still outstanding on ``as_of``, oldest due first.

    Each with the contract, both numbers, dates, total due (tax included), what was received by
    ``as_of``, what is outstanding, days past due and the aging bucket (current, 1-30, 31-60,
    61-90, over 90 days past due).
    """
    from clm.versions.models import Contract

    rows = session.execute(select(Invoice, InvoiceNumber, Contract.title)
                           .join(InvoiceNumber, InvoiceNumber.invoice_id == Invoice.id)
                           .join(Contract, Contract.id == Invoice.contract_id)
                           .where(Invoice.issued_on <= as_of)
                           .order_by(Invoice.due_on, Invoice.id)).all()
    got: dict[int, int] = dict.fromkeys((inv.id for inv, _n, _t in rows), 0)
    if got:
        for invoice_id, units in session.execute(
                select(Payment.invoice_id, func.sum(Payment.amount_minor))
                .where(Payment.invoice_id.in_(list(got)), Payment.received_on <= as_of).group_by(Payment.invoice_id)):
            got[invoice_id] = int(units)
    bills = billed(session, [inv for inv, _n, _t in rows])
    cache: dict[int, ContractTerms] = {}
    out = []
    for inv, number, title in rows:
        cur = inv.currency
        due = payable(session, inv, settings, bills[inv.id], cache)
        total = money.to_minor(Decimal(due["total_due"]), cur)
        outstanding = total - got[inv.id]
        if outstanding <= 0:
            continue
        late = max((as_of - inv.due_on).days, 0)
        bucket = next(name for start, name in reversed(AGING) if late >= start)
        out.append({"contract_id": inv.contract_id, "title": title, "invoice": number.number,
                    "scheduled_number": inv.number, "date": inv.issued_on.isoformat(), "due": inv.due_on.isoformat(),
                    "currency": cur, "total_due": due["total_due"],
                    "received": money.plain(money.from_minor(got[inv.id], cur), cur),
                    "outstanding": money.plain(money.from_minor(outstanding, cur), cur),
                    "days_past_due": late, "bucket": bucket})
    return out
