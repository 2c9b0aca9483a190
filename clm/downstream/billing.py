"""Billing schedules: invoices from contract terms, cancellations and credit notes, JSON and CSV."""

from __future__ import annotations

import datetime
import io
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date, timedelta
from decimal import Decimal
from fractions import Fraction
from typing import Any

from clm import csvfile
from clm.downstream.terms import ContractTerms, Line
from clm.errors import InputErrors, InvalidInput
from clm.values import display, money
from clm.values.dates import add_months, days_between
from clm.values.durations import Duration
from clm.values.frequencies import PERIOD_MONTHS
from clm.values.money import round_fraction

ONE_DAY = timedelta(days=1)


@dataclass(frozen=True)
class InvoiceLine:
    """The part of one contract line billed on one invoice."""

    line_id: str
    description: str
    #: The service (or installment) period this amount pays for, both days included.
    period_start: date
    period_end: date
    amount: Decimal
    recognition: str
    #: For a point-in-time line, the date control transfers; decides what a cancellation credits.
    satisfied_on: date | None = None


@dataclass(frozen=True)
class Invoice:
    """One invoice: every line billed on the same date."""

    number: str
    date: datetime.date
    due: datetime.date
    currency: str
    lines: tuple[InvoiceLine, ...]

    @property
    def total(self) -> Decimal:
        """Return the sum of the invoice's lines."""
        return sum((ln.amount for ln in self.lines), Decimal(0))


@dataclass(frozen=True)
class CreditLine:
    """An amount credited back against one line of an issued invoice."""

    invoice_number: str
    line_id: str
    description: str
    period_start: date
    period_end: date
    amount: Decimal


@dataclass(frozen=True)
class CreditNote:
    """A credit note issued on a cancellation."""

    number: str
    date: datetime.date
    currency: str
    lines: tuple[CreditLine, ...]

    @property
    def total(self) -> Decimal:
        """Return the sum of the credited amounts."""
        return sum((ln.amount for ln in self.lines), Decimal(0))


@dataclass(frozen=True)
class UsageRecord:
    """Units of a usage-based line used on one day (``POST /api/v1/contracts/<id>/usage``)."""

    line_id: str
    on: datetime.date
    quantity: Decimal


class UsageError(InputErrors):
    """A usage record that cannot be billed; ``errors`` names each field."""

    summary = "invalid usage record"


def check_usage(terms: ContractTerms, line_id: Any, on: Any, quantity: Any) -> UsageRecord:
    """Return the usage record, or raise :class:`UsageError` naming ``line``, ``date`` or ``quantity``.

    The line must be a usage-based line of the contract (or of a modification), the date within
    its service period and the quantity a number from 0 up (decimals allowed: 1.5 GB).
    """
    errors: list[str] = []
    lines = {ln.id: ln for ln in terms.all_lines()}
    line = lines.get(line_id) if isinstance(line_id, str) else None
    if line is None:
        errors.append(f"line: {str(line_id)[:40]!r} is not a line of the contract")
    elif line.recognition != "usage":
        errors.append(f"line: {line_id!r} is not usage-based (its recognition is {line.recognition})")
    day: date | None = None
    try:
        day = date.fromisoformat(on) if isinstance(on, str) else None
    except ValueError:
        day = None
    if day is None:
        errors.append(f"date: {str(on)[:20]!r} is not a date (YYYY-MM-DD)")
    elif line is not None and line.start and line.end and not line.start <= day <= line.end:
        errors.append(f"date: {day} is outside the line's service period {line.start} to {line.end}")
    amount: Decimal | None = None
    if isinstance(quantity, bool) or not isinstance(quantity, (int, str)):
        errors.append(f"quantity: {str(quantity)[:20]!r} must be a number (a string such as \"1200\" or \"1.5\")")
    else:
        try:
            amount = Decimal(str(quantity).strip())
        except ArithmeticError:
            errors.append(f"quantity: {str(quantity)[:20]!r} is not a number")
        else:
            if not amount.is_finite() or amount < 0 or amount >= Decimal(10) ** 12:
                errors.append(f"quantity: {str(quantity)[:20]} must be from 0 to less than 10^12")
            elif -amount.as_tuple().exponent > 6:  # type: ignore[operator]
                errors.append(f"quantity: {str(quantity)[:20]} has more than 6 decimal places")
    if errors:
        raise UsageError(errors)
    assert day is not None and amount is not None and isinstance(line_id, str)
    return UsageRecord(line_id, day, amount)


def usage_amount(line: Line, quantity: Decimal, currency: str) -> Decimal:
    """Return what ``quantity`` units of a usage line cost, rounded half-up to the minor unit."""
    assert line.unit_price is not None
    return round_fraction(Fraction(quantity) * Fraction(line.unit_price), currency)


# ----------------------------------------------------------------------------- periods


def billing_periods(start: date, end: date, months: int) -> list[tuple[date, date, Fraction]]:
    """Return the billing periods of ``start``..``end`` with their weight (1 for a full period).

    Period ``i`` starts ``i * months`` calendar months after ``start``, always counted from
    ``start`` so that a start on the 31st bills on the 31st, the 28th/29th of February, the
    30th of April ... and never drifts. A last period cut short by ``end`` is a stub weighted by
    its days over the days of the full period it belongs to (daily proration).
    """
    periods: list[tuple[date, date, Fraction]] = []
    i = 0
    while True:
        p_start = add_months(start, i * months)
        if p_start > end:
            return periods
        p_next = add_months(start, (i + 1) * months)
        full_end = p_next - ONE_DAY
        if full_end <= end:
            periods.append((p_start, full_end, Fraction(1)))
        else:
            periods.append((p_start, end, Fraction(days_between(p_start, end),
                                                    days_between(p_start, full_end))))
        i += 1


def _split(price: Decimal, weights: Sequence[Fraction], currency: str) -> list[Decimal]:
    """Return ``price`` split in proportion to ``weights``, rounded, summing to ``price`` exactly.

    Each installment is rounded half-up to the minor unit and the rounding remainder goes to
    the last one, so equal periods get equal invoices. If that would leave the last one
    negative (only for a few cents spread over many periods), cumulative rounding is used
    instead: each amount is the rounded running total minus the previous rounded running total.
    """
    total_weight = sum(weights, Fraction(0))
    exact = Fraction(price)
    amounts = [round_fraction(exact * w / total_weight, currency) for w in weights[:-1]]
    last = price - sum(amounts, Decimal(0))
    if last >= 0:
        return amounts + [last]
    out: list[Decimal] = []
    running, previous = Fraction(0), Decimal(0)
    for w in weights:
        running += w
        cumulative = round_fraction(exact * running / total_weight, currency)
        out.append(cumulative - previous)
        previous = cumulative
    return out


def _line_installments(terms: ContractTerms, line: Line,
                       usage: Sequence[UsageRecord] = ()) -> list[tuple[date, InvoiceLine]]:
    """Return (invoice date, invoice line) for every installment of ``line``."""
    if line.recognition == "usage":
        return _usage_installments(terms, line, usage)
    return _fixed_installments(terms, line) + seat_installments(terms, line)


def _usage_installments(terms: ContractTerms, line: Line,
                        usage: Sequence[UsageRecord]) -> list[tuple[date, InvoiceLine]]:
    """Bill a usage line in arrears: each period's records x unit price, the day after it ends."""
    assert line.start is not None and line.end is not None
    out = []
    records = [u for u in usage if u.line_id == line.id]
    for p_start, p_end, _ in billing_periods(line.start, line.end, PERIOD_MONTHS[line.billing.frequency]):
        used = [u for u in records if p_start <= u.on <= p_end]
        if not used:
            continue
        amount = sum((usage_amount(line, u.quantity, terms.currency) for u in used), Decimal(0))
        units = sum((u.quantity for u in used), Decimal(0))
        out.append((p_end + ONE_DAY, InvoiceLine(
            line.id, f"{line.description} ({units.normalize():f} x {line.unit_price.normalize():f})".strip()
            if line.unit_price is not None else line.description,
            p_start, p_end, amount, line.recognition)))
    return out


def usage_lines(terms: ContractTerms) -> list[Line]:
    """Return the usage-based lines of ``terms`` and of its modifications."""
    return [ln for ln in list(terms.lines) + [m for mod in terms.modifications for m in mod.lines]
            if ln.recognition == "usage" and ln.start is not None and ln.end is not None]


def usage_invoice_date(line: Line, on: date) -> date | None:
    """Return the date the usage of ``line`` on ``on`` is invoiced (the day after its period ends)."""
    assert line.start is not None and line.end is not None
    for p_start, p_end, _ in billing_periods(line.start, line.end, PERIOD_MONTHS[line.billing.frequency]):
        if p_start <= on <= p_end:
            return p_end + ONE_DAY
    return None


def usage_invoice_dates(terms: ContractTerms) -> list[date]:
    """Return the dates the usage lines of ``terms`` are invoiced on."""
    return sorted({p_end + ONE_DAY for line in usage_lines(terms) for _s, p_end, _w in billing_periods(
        line.start, line.end, PERIOD_MONTHS[line.billing.frequency])})  # type: ignore[arg-type]


def seat_installments(terms: ContractTerms, line: Line) -> list[tuple[date, InvoiceLine]]:
    """Return the prorated charges (or credits) of a line's mid-term seat changes.

    A change to ``q`` seats from day ``d`` bills ``(q - previous) x unit price`` for each billing
    period that ends on or after ``d``, times the days of the period from ``d`` (both included)
    over the days of the full period (daily proration, as Kill Bill and Stripe do): in advance on
    ``d`` for the period it falls in and on each later period's first day, in arrears the day
    after each period ends. A decrease is a credit (a negative amount).
    """
    return [x for _, charges in seat_changes(terms, line) for x in charges]


def seat_changes(terms: ContractTerms, line: Line) -> list[tuple[date, list[tuple[date, InvoiceLine]]]]:
    """Return each seat change's first day with its charges (see :func:`seat_installments`)."""
    if not line.seats or line.quantity is None or line.unit_price is None:
        return []
    assert line.start is not None and line.end is not None
    b = line.billing
    if b.frequency == "once":
        periods = [(line.start, line.end, Fraction(1))]
    else:
        periods = billing_periods(line.start, line.end, PERIOD_MONTHS[b.frequency])
    changes: list[tuple[date, list[tuple[date, InvoiceLine]]]] = []
    previous = line.quantity
    for day, quantity in line.seats:
        delta, previous = quantity - previous, quantity
        if not delta:
            continue
        out: list[tuple[date, InvoiceLine]] = []
        changes.append((day, out))
        for p_start, p_end, weight in periods:
            if p_end < day:
                continue
            full_days = Fraction(days_between(p_start, p_end)) / weight
            used_from = max(p_start, day)
            share = Fraction(days_between(used_from, p_end)) / full_days
            amount = round_fraction(Fraction(line.unit_price) * delta * share, terms.currency)
            when = used_from if b.timing == "advance" else p_end + ONE_DAY
            sign = "+" if delta > 0 else ""
            out.append((when, InvoiceLine(line.id, f"{line.description} ({sign}{delta} seats from {day})".strip(),
                                          used_from, p_end, amount, line.recognition)))
    return changes


def _fixed_installments(terms: ContractTerms, line: Line) -> list[tuple[date, InvoiceLine]]:
    b = line.billing
    satisfied = line.satisfied_on if line.recognition == "point_in_time" else None
    if b.frequency == "once":
        if b.on is not None:
            when = b.on
        elif b.timing == "advance":
            when = line.start or terms.signed_on
        else:
            when = (line.satisfied_on if line.recognition == "point_in_time" else line.end) \
                or terms.signed_on
        p_start = line.start or line.satisfied_on or when
        p_end = line.end or line.satisfied_on or when
        return [(when, InvoiceLine(line.id, line.description, p_start, p_end, line.price,
                                   line.recognition, satisfied))]
    assert line.start is not None and line.end is not None  # checked by parse_terms
    periods = billing_periods(line.start, line.end, PERIOD_MONTHS[b.frequency])
    amounts = _split(line.price, [w for _, _, w in periods], terms.currency)
    out = []
    for (p_start, p_end, _), amount in zip(periods, amounts):
        # In advance: on the first day of the period. In arrears: on the day after it ends,
        # which is the next billing day, so the billing day stays aligned to the start date.
        when = p_start if b.timing == "advance" else p_end + ONE_DAY
        out.append((when, InvoiceLine(line.id, line.description, p_start, p_end, amount,
                                      line.recognition, satisfied)))
    return out


def installments(terms: ContractTerms, usage: Sequence[UsageRecord] = ()) -> list[tuple[date, InvoiceLine]]:
    """Return (invoice date, invoice line) for everything the contract bills, modifications applied.

    A modification's lines bill their price by their own billing terms from their start. A
    ``reprice`` drops the line's instalments dated on or after the modification and bills the
    new price over what remains (from the modification date to the line's end, by the line's
    billing terms; a one-off line on the later of its billing date and the modification date).
    A ``concession`` is a credit (a negative line) on the modification date.
    """
    out = [x for line in terms.lines for x in _line_installments(terms, line, usage)]
    current = {ln.id: ln for ln in terms.lines}
    for mod in terms.modifications:
        for rp in mod.reprice:
            out = [(when, ln) for when, ln in out
                   if not (ln.line_id == rp.line and when >= mod.effective and ln.recognition != "concession")]
            base = current[rp.line]
            if base.billing.frequency == "once":
                first = _fixed_installments(terms, base)[0][0]
                rest = replace(base, price=rp.price,
                               billing=replace(base.billing, on=max(first, mod.effective)))
            else:
                rest = replace(base, price=rp.price, start=max(mod.effective, base.start or mod.effective))
            if rest.end is None or rest.start is None or rest.start <= rest.end or rest.billing.frequency == "once":
                out.extend(_fixed_installments(terms, rest))
            elif rp.price:
                out.append((mod.effective, InvoiceLine(rp.line, base.description, mod.effective,
                                                       mod.effective, rp.price, base.recognition,
                                                       base.satisfied_on)))
        for line in mod.lines:
            out.extend(_line_installments(terms, line, usage))
            current[line.id] = line
        if mod.concession is not None:
            c = mod.concession
            out.append((mod.effective, InvoiceLine(c.line, f"Price concession: {current[c.line].description}".strip(),
                                                   mod.effective, mod.effective, -c.amount, "concession")))
    for i, change in enumerate(terms.price_changes):
        out.append((change.on, InvoiceLine(f"price_changes[{i}]", "Change in variable consideration",
                                           change.on, change.on, change.amount, "variable")))
    out.sort(key=lambda x: x[0])
    return out


def build_billing_schedule(terms: ContractTerms, prefix: str = "INV",
                           usage: Sequence[UsageRecord] = ()) -> list[Invoice]:
    """Return the invoices of ``terms`` in date order, numbered ``<prefix>-0001`` onwards.

    Every line of the contract and of its modifications is billed by its own billing terms
    (a modification's line bills its new consideration from its start). Installments that fall
    on the same date share one invoice; due date = invoice date + payment terms. Each line's
    installments sum to its price to the cent, so the schedule sums to the contract value.
    Zero amounts are not invoiced. Pass ``prefix="INV-<contract id>"`` for per-contract numbers.

    The date a usage line's period is billed on (the day after it ends) has its invoice even
    before any usage is recorded (with no lines when nothing else bills that day), so numbers do
    not move as usage arrives; an invoice with nothing on it is never issued.
    """
    by_date: dict[date, list[InvoiceLine]] = defaultdict(list)
    for when in usage_invoice_dates(terms):
        by_date[when] = []
    for when, inv_line in installments(terms, usage):
        if inv_line.amount != 0:
            by_date[when].append(inv_line)
    return [Invoice(f"{prefix}-{n:04d}", when, due_date(terms, when), terms.currency, tuple(by_date[when]))
            for n, when in enumerate(sorted(by_date), start=1)]


def due_date(terms: ContractTerms, issued: date) -> date:
    """Return when an invoice issued on ``issued`` is due: payment terms in days, or in business
    days counted on the contract's holiday calendar ("P10BD" from a Friday before a holiday Monday
    skips the weekend and the holiday).

    A due date in calendar days that falls on a weekend or a holiday of the contract's calendar
    moves to the next business day, as a period counted forward does (Fed. R. Civ. P.
    6(a)(1)(C)): net 30 from 1 December is 31 December, and net 24 is 25 December, so the 26th
    (the 28th in GB, where the 26th is Boxing Day and the 27th a Sunday).
    """
    if terms.payment_business_days:
        return Duration(terms.payment_terms_days, "business_day").after(issued, terms.calendar())
    return terms.calendar().on_or_after(issued + timedelta(days=terms.payment_terms_days))


def contract_value(terms: ContractTerms, usage: Sequence[UsageRecord] = ()) -> Decimal:
    """Return the total consideration: every line's price, modifications included (a reprice
    replaces what was left to bill of its line, a concession is deducted)."""
    if not any(m.reprice or m.concession for m in terms.modifications) and not usage \
            and not terms.price_changes and not any(ln.seats for ln in terms.all_lines()):
        return sum((ln.price for ln in terms.all_lines()), Decimal(0))
    return sum((ln.amount for _, ln in installments(terms, usage)), Decimal(0))


# ----------------------------------------------------------------------------- cancellation


def _prorate(amount: Decimal, days: int, of_days: int, currency: str) -> Decimal:
    return round_fraction(Fraction(amount) * days / of_days, currency)


def credit_note(schedule: Sequence[Invoice], cancel_on: date, number: str = "CN-0001") -> CreditNote | None:
    """Return the credit note for cancelling the contract from ``cancel_on``, or None if nothing is owed back.

    ``cancel_on`` is the first day without service. Only invoices dated before it have been
    issued; of those:

    * a ratable line is credited for the unused days of its period (the days from
      ``cancel_on`` to the period end), prorated by days over the period and rounded half-up;
    * a point-in-time line is credited in full when control had not transferred before
      ``cancel_on`` (``satisfied_on`` on or after it), and not at all when it had.

    Invoices dated on or after ``cancel_on`` are not credited: they are never issued (see
    :func:`cancel_schedule`).
    """
    if not schedule:
        return None
    lines: list[CreditLine] = []
    for inv in schedule:
        if inv.date >= cancel_on:
            continue
        for ln in inv.lines:
            if ln.recognition == "point_in_time":
                credit = ln.amount if ln.satisfied_on is None or ln.satisfied_on >= cancel_on \
                    else Decimal(0)
            elif ln.period_end >= cancel_on:
                unused = days_between(max(ln.period_start, cancel_on), ln.period_end)
                credit = _prorate(ln.amount, unused, days_between(ln.period_start, ln.period_end),
                                  inv.currency)
            else:
                credit = Decimal(0)
            if credit:
                lines.append(CreditLine(inv.number, ln.line_id, ln.description,
                                        max(ln.period_start, cancel_on), ln.period_end, credit))
    if not lines:
        return None
    return CreditNote(number, cancel_on, schedule[0].currency, tuple(lines))


def cancel_schedule(schedule: Sequence[Invoice], cancel_on: date,
                    terms: ContractTerms | None = None) -> list[Invoice]:
    """Return the invoices that remain billable when the contract is cancelled from ``cancel_on``.

    Invoices dated before ``cancel_on`` stay as issued. Later installments are dropped, except
    what was earned before ``cancel_on`` and not yet billed, which goes on one final invoice
    dated ``cancel_on`` (numbered after the last issued one):

    * for a ratable line, the used days of a period billed in arrears, prorated by days;
    * for a point-in-time line whose control transferred before ``cancel_on``, every remaining
      installment (the performance obligation is satisfied, so the consideration is earned).
    """
    issued = [inv for inv in schedule if inv.date < cancel_on]
    final: list[InvoiceLine] = []
    for inv in schedule:
        if inv.date < cancel_on:
            continue
        for ln in inv.lines:
            if ln.recognition == "point_in_time":
                if ln.satisfied_on is not None and ln.satisfied_on < cancel_on:
                    final.append(ln)
            elif ln.period_start < cancel_on:
                used_end = min(ln.period_end, cancel_on - ONE_DAY)
                amount = _prorate(ln.amount, days_between(ln.period_start, used_end),
                                  days_between(ln.period_start, ln.period_end), inv.currency)
                if amount:
                    final.append(InvoiceLine(ln.line_id, ln.description, ln.period_start, used_end,
                                             amount, ln.recognition, ln.satisfied_on))
    if final:
        template = schedule[0]
        prefix = template.number.rpartition("-")[0] or "INV"
        # Due by the contract's payment terms (a weekend or holiday moves it on), given the terms.
        due = due_date(terms, cancel_on) if terms is not None else cancel_on + (template.due - template.date)
        issued.append(Invoice(f"{prefix}-{len(issued) + 1:04d}", cancel_on, due, template.currency,
                              tuple(final)))
    return issued


def billed_after_cancellation(schedule: Sequence[Invoice], cancel_on: date,
                              note: CreditNote | None, terms: ContractTerms | None = None) -> list[Invoice]:
    """Return what is billed once the contract is cancelled from ``cancel_on``: the invoices that
    remain (:func:`cancel_schedule`) and the credit note as a negative invoice on its date.

    Their sum is the consideration the cancelled contract is worth (its new transaction price).
    """
    billed = cancel_schedule(schedule, cancel_on, terms)
    if note is not None:
        billed.append(Invoice(note.number, note.date, note.date, note.currency, tuple(
            InvoiceLine(ln.line_id, ln.description, ln.period_start, ln.period_end, -ln.amount, "credit")
            for ln in note.lines)))
    return billed


# ----------------------------------------------------------------------------- output


def billing_json(schedule: Sequence[Invoice]) -> dict[str, Any]:
    """Return the schedule as ``{"invoices": [...]}`` with amounts as strings at minor units."""
    return {"invoices": [_invoice_dict(inv) for inv in schedule]}


def _invoice_dict(inv: Invoice) -> dict[str, Any]:
    cur = inv.currency
    return {
        "number": inv.number,
        "date": inv.date.isoformat(),
        "due": inv.due.isoformat(),
        "currency": cur,
        "total": money.plain(inv.total, cur),
        "lines": [{"line": ln.line_id, "description": ln.description,
                   "period_start": ln.period_start.isoformat(), "period_end": ln.period_end.isoformat(),
                   "amount": money.plain(ln.amount, cur)} for ln in inv.lines],
    }


def credit_note_json(note: CreditNote | None) -> dict[str, Any] | None:
    """Return the credit note as a JSON-ready dict, or None."""
    if note is None:
        return None
    cur = note.currency
    return {
        "number": note.number, "date": note.date.isoformat(), "currency": cur,
        "total": money.plain(note.total, cur),
        "lines": [{"invoice": ln.invoice_number, "line": ln.line_id, "description": ln.description,
                   "period_start": ln.period_start.isoformat(), "period_end": ln.period_end.isoformat(),
                   "amount": money.plain(ln.amount, cur)} for ln in note.lines],
    }


BILLING_CSV_COLUMNS = ("invoice", "date", "due", "currency", "line", "description",
                       "period_start", "period_end", "amount", "amount_formatted")


def billing_csv(schedule: Sequence[Invoice]) -> str:
    """Return the schedule as CSV, one row per invoice line, with a header row.

    ``amount`` and ``currency`` are for machines ("120000.00", "USD"); ``amount_formatted`` is
    the amount as people read it ("USD 120,000.00").
    """
    out = io.StringIO()
    writer = csvfile.writer(out)
    writer.writerow(BILLING_CSV_COLUMNS)
    for inv in schedule:
        for ln in inv.lines:
            writer.writerow([inv.number, inv.date.isoformat(), inv.due.isoformat(), inv.currency,
                             ln.line_id, ln.description, ln.period_start.isoformat(),
                             ln.period_end.isoformat(), money.plain(ln.amount, inv.currency),
                             display.money_text(ln.amount, inv.currency)])
    return out.getvalue()


def check_schedule_total(terms: ContractTerms, schedule: Sequence[Invoice],
                         usage: Sequence[UsageRecord] = ()) -> None:
    """Raise InvalidInput unless the invoices sum to the contract value to the minor unit."""
    billed = sum((inv.total for inv in schedule), Decimal(0))
    expected = contract_value(terms, usage)
    if billed != expected:
        raise InvalidInput(f"billing schedule totals {money.plain(billed, terms.currency)}, "
                           f"contract value is {money.plain(expected, terms.currency)}")


# ----------------------------------------------------------------------------- tax


def parse_tax_rates(text: str) -> dict[str, Decimal]:
    """Return the tax rates of the ``CLM_TAX_RATES`` setting: ``GB=20,CA=5,CA-BC=7,US-NY=8.875``
    (percent per jurisdiction, a country or a country-subdivision code)."""
    import re

    rates: dict[str, Decimal] = {}
    for part in (p.strip() for p in text.split(",")):
        if not part:
            continue
        code, sep, raw = (x.strip() for x in part.partition("="))
        if not sep or not re.fullmatch(r"[A-Z]{2}(-[A-Z0-9]{1,3})?", code):
            raise InvalidInput(f"CLM_TAX_RATES: {part[:40]!r} must be JURISDICTION=PERCENT, e.g. GB=20")
        try:
            rate = Decimal(raw)
        except ArithmeticError:
            rate = Decimal(-1)
        if not rate.is_finite() or not 0 <= rate <= 100:
            raise InvalidInput(f"CLM_TAX_RATES: {code}={raw[:20]} must be a percent from 0 to 100")
        rates[code] = rate
    return rates


@dataclass(frozen=True)
class TaxLine:
    """Tax charged on one invoice for one jurisdiction."""

    jurisdiction: str
    rate: Decimal
    amount: Decimal


def invoice_tax(subtotal: Decimal, jurisdiction: str | None, rates: dict[str, Decimal],
                currency: str) -> list[TaxLine]:
    """Return the tax lines of an invoice of ``subtotal`` billed to ``jurisdiction``.

    The country's rate and the subdivision's each apply when configured (CA=5 and CA-BC=7 give
    GST and PST lines), each rounded half-up to the minor unit. No jurisdiction or no rate: none.
    """
    if not jurisdiction:
        return []
    country = jurisdiction.split("-")[0]
    codes = [country] + ([jurisdiction] if jurisdiction != country else [])
    return [TaxLine(code, rates[code], round_fraction(Fraction(subtotal) * Fraction(rates[code]) / 100, currency))
            for code in codes if code in rates]
