"""Revenue schedules under ASC 606: allocation, ratable and point-in-time recognition, balances."""

from __future__ import annotations

import io
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date, timedelta
from decimal import Decimal
from fractions import Fraction
from typing import Any

from clm import csvfile
from clm.downstream.billing import Invoice, build_billing_schedule
from clm.downstream.terms import ContractTerms, Line
from clm.values import money
from clm.values.dates import days_between
from clm.values.money import quantum, round_fraction

ONE_DAY = timedelta(days=1)
ORIGINAL = "original"


# ----------------------------------------------------------------------------- allocation


def allocate(price: Decimal, ssps: Sequence[tuple[str, Decimal]], currency: str) -> dict[str, Decimal]:
    """Return ``price`` allocated to the keys of ``ssps`` by relative standalone selling price.

    ASC 606-10-32-31: the transaction price is allocated in proportion to the standalone
    selling prices. Each share is first rounded down to the minor unit; the cents left over go
    one each to the shares with the largest remainders, ties to the earlier line (the largest
    remainder method), so the shares sum to ``price`` exactly and no share is off by more than
    one minor unit from the exact proportion.
    """
    total_ssp = sum((ssp for _, ssp in ssps), Decimal(0))
    if total_ssp <= 0:
        raise ValueError("standalone selling prices sum to zero")
    unit = Fraction(quantum(currency))
    exact = [Fraction(price) * Fraction(ssp) / Fraction(total_ssp) for _, ssp in ssps]
    floors = [int(x / unit) for x in exact]  # price and SSPs are >= 0, so int() is floor
    left = int(Fraction(price) / unit) - sum(floors)
    order = sorted(range(len(ssps)), key=lambda i: (-(exact[i] / unit - floors[i]), i))
    for i in order[:left]:
        floors[i] += 1
    return {key: Decimal(units) * quantum(currency) for (key, _), units in zip(ssps, floors)}


@dataclass(frozen=True)
class Allocation:
    """The share of one contract's transaction price allocated to one line."""

    #: "original", or "modifications[i]" for the contract a modification creates.
    contract: str
    line_id: str
    amount: Decimal


# ----------------------------------------------------------------------------- segments


@dataclass(frozen=True)
class Segment:
    """Revenue of one line from one allocation: over ``start``..``end`` by days, or all on ``on``.

    ``stop`` is the last day recognized when a prospective modification ended the segment
    early; the unrecognized rest moved into the modification's allocation.
    """

    line_id: str
    contract: str
    amount: Decimal
    start: date | None = None
    end: date | None = None
    on: date | None = None
    stop: date | None = None

    def recognized(self, as_of: date, currency: str) -> Decimal:
        """Return the revenue recognized from this segment through the end of ``as_of``.

        A ratable segment recognizes ``amount * elapsed days / service days``, rounded
        half-up, cumulatively: the schedule never drifts and reaches ``amount`` exactly on
        the last day (a straight-line measure of progress, 606-10-55-16 to 55-21, by time
        elapsed). A point-in-time segment recognizes everything on ``on`` (606-10-25-30).
        """
        cut = min(as_of, self.stop) if self.stop is not None else as_of
        if self.on is not None:
            return self.amount if self.on <= cut else self.amount * 0
        assert self.start is not None and self.end is not None
        if cut < self.start:
            return self.amount * 0
        if cut >= self.end:
            return self.amount
        elapsed = days_between(self.start, cut)
        return round_fraction(Fraction(self.amount) * elapsed / days_between(self.start, self.end),
                              currency)

    def last_day(self) -> date:
        """Return the last day on which this segment may recognize revenue."""
        last = self.on if self.on is not None else self.end
        assert last is not None
        return min(last, self.stop) if self.stop is not None else last


def _segment(line: Line, contract: str, amount: Decimal) -> Segment:
    if line.recognition == "point_in_time":
        return Segment(line.id, contract, amount, on=line.satisfied_on)
    return Segment(line.id, contract, amount, start=line.start, end=line.end)


# ----------------------------------------------------------------------------- schedule


@dataclass(frozen=True)
class RevenueEntry:
    """Revenue of one line in one calendar month."""

    period: str  # YYYY-MM
    line_id: str
    amount: Decimal


@dataclass(frozen=True)
class RevenueSchedule:
    """The revenue of a contract: allocations, segments and the month-by-month schedule."""

    terms: ContractTerms
    allocations: tuple[Allocation, ...]
    segments: tuple[Segment, ...]
    entries: tuple[RevenueEntry, ...]

    @property
    def allocation(self) -> dict[str, Decimal]:
        """Return, per line, everything it recognizes over its life (the sum of its entries).

        Without modifications this is the relative-SSP allocation. A prospectively modified
        line gets what it recognized before the modification plus its share of the new pool.
        """
        out: dict[str, Decimal] = {}
        for seg in self.segments:
            out[seg.line_id] = out.get(seg.line_id, Decimal(0)) + seg.recognized(date.max,
                                                                                  self.terms.currency)
        return out

    def recognized(self, as_of: date) -> Decimal:
        """Return the revenue recognized through the end of ``as_of``."""
        cur = self.terms.currency
        return sum((seg.recognized(as_of, cur) for seg in self.segments), Decimal(0))


def build_revenue_schedule(terms: ContractTerms) -> RevenueSchedule:
    """Return the ASC 606 revenue schedule of ``terms``.

    The transaction price (the sum of the line prices) is allocated by relative SSP
    (606-10-32-31). Ratable lines are recognized by exact days over their service period,
    point-in-time lines on their satisfaction date. Modifications, in order of their dates:

    * ``separate_contract`` (606-10-25-12): its lines are a contract of their own; their
      prices are allocated among them by relative SSP and nothing already scheduled changes.
    * ``prospective`` (606-10-25-13(a)): the lines it names stop recognizing the day before it
      takes effect; what they had not yet recognized, plus the new consideration (the
      modification's prices), is allocated by relative SSP to the modification's lines and
      recognized from the effective date over their (new) service periods. Lines the
      modification does not name are untouched (a simplification of 25-13(a), which would also
      pool the unsatisfied remainder of every other distinct obligation).
    """
    cur = terms.currency
    segments: list[Segment] = []
    allocations: list[Allocation] = []
    price = sum((ln.price for ln in terms.lines), Decimal(0))
    shares = allocate(price, [(ln.id, ln.ssp) for ln in terms.lines], cur)
    for line in terms.lines:
        allocations.append(Allocation(ORIGINAL, line.id, shares[line.id]))
        segments.append(_segment(line, ORIGINAL, shares[line.id]))

    for k, mod in enumerate(terms.modifications):
        contract = f"modifications[{k}]"
        pool = sum((ln.price for ln in mod.lines), Decimal(0))
        if mod.treatment == "prospective":
            cut = mod.effective - ONE_DAY
            named = {ln.id for ln in mod.lines}
            for i, seg in enumerate(segments):
                if seg.line_id in named and (seg.stop is None or seg.stop > cut):
                    done = seg.recognized(cut, cur)
                    pool += seg.recognized(date.max, cur) - done
                    # Keep what was recognized up to the cut as this segment's final amount.
                    segments[i] = replace(seg, stop=cut)
        shares = allocate(pool, [(ln.id, ln.ssp) for ln in mod.lines], cur)
        for line in mod.lines:
            allocations.append(Allocation(contract, line.id, shares[line.id]))
            segments.append(_segment(line, contract, shares[line.id]))

    order: dict[str, int] = {}
    for ln in terms.all_lines():
        order.setdefault(ln.id, len(order))
    return RevenueSchedule(terms, tuple(allocations), tuple(segments),
                           tuple(_monthly_entries(segments, cur, order)))


def _month_end(day: date) -> date:
    nxt = date(day.year + day.month // 12, day.month % 12 + 1, 1)
    return nxt - ONE_DAY


def _monthly_entries(segments: Sequence[Segment], currency: str,
                     order: dict[str, int]) -> list[RevenueEntry]:
    """Return month-by-month revenue per line: each month is the rounded cumulative amount at
    its end minus the rounded cumulative amount at the previous month end, so a line's months
    sum exactly to what it recognizes."""
    totals: dict[tuple[str, str], Decimal] = defaultdict(Decimal)
    for seg in segments:
        first = seg.on if seg.on is not None else seg.start
        assert first is not None
        last = seg.last_day()
        previous = Decimal(0)
        month = date(first.year, first.month, 1)
        while month <= last:
            cumulative = seg.recognized(_month_end(month), currency)
            if cumulative != previous:
                totals[(month.strftime("%Y-%m"), seg.line_id)] += cumulative - previous
            previous = cumulative
            month = _month_end(month) + ONE_DAY
    keys = sorted(totals, key=lambda k: (k[0], order.get(k[1], len(order)), k[1]))
    return [RevenueEntry(period, line_id, totals[(period, line_id)]) for period, line_id in keys
            if totals[(period, line_id)] != 0]


# ----------------------------------------------------------------------------- balances


#: The line id of the catch-up a cancellation books (see :func:`cancel_revenue`).
CANCELLATION = "cancellation"


def cancel_revenue(result: RevenueSchedule, cancel_on: date, consideration: Decimal) -> RevenueSchedule:
    """Return the revenue schedule of the contract cancelled from ``cancel_on`` for ``consideration`` in all.

    A termination is a modification that removes the remaining goods and services: every
    segment stops the day before ``cancel_on`` (a point-in-time line delivered on or after it
    is never recognized), and the transaction price becomes what the customer pays after the
    cancellation (the remaining invoices less the credit note). Where that differs from the
    revenue recognized so far (the refund is computed on prices, the revenue on relative-SSP
    allocations), the difference is a cumulative catch-up on ``cancel_on`` (606-10-32-43 and
    32-44), booked as the line ``"cancellation"``, so the schedule sums exactly to
    ``consideration`` and the balance ends at zero.
    """
    cur = result.terms.currency
    cut = cancel_on - ONE_DAY
    segments = [replace(seg, stop=cut if seg.stop is None else min(seg.stop, cut)) for seg in result.segments]
    recognized = sum((seg.recognized(date.max, cur) for seg in segments), Decimal(0))
    if consideration != recognized:
        segments.append(Segment(CANCELLATION, CANCELLATION, consideration - recognized, on=cancel_on))
    order: dict[str, int] = {}
    for ln in result.terms.all_lines():
        order.setdefault(ln.id, len(order))
    return RevenueSchedule(result.terms, result.allocations, tuple(segments),
                           tuple(_monthly_entries(segments, cur, order)))



def balance(terms: ContractTerms, billing: Sequence[Invoice], revenue: RevenueSchedule,
            as_of: date) -> dict[str, Decimal]:
    """Return billed, recognized, deferred revenue and contract asset through the end of ``as_of``.

    Billed counts invoices dated on or before ``as_of``. The contract is presented net
    (606-10-45-1): billed minus recognized, when positive, is deferred revenue (a contract
    liability, 606-10-45-2); when negative, a contract asset (revenue earned but not yet
    billed, 606-10-45-3). Exactly one of the two is non-zero.
    """
    zero = Decimal(0) * quantum(terms.currency)
    billed = sum((inv.total for inv in billing if inv.date <= as_of), zero)
    recognized = revenue.recognized(as_of) + zero
    net = billed - recognized
    return {"billed": billed, "recognized": recognized,
            "deferred_revenue": max(net, zero), "contract_asset": max(-net, zero)}


# ----------------------------------------------------------------------------- output


def revenue_json(result: RevenueSchedule, as_of: date | None = None,
                 billing: Sequence[Invoice] | None = None) -> dict[str, Any]:
    """Return the schedule as ``{"currency", "allocation", "schedule", "as_of", "balance"}``.

    ``allocation`` maps each line to the revenue it recognizes over its life; ``schedule``
    lists ``{"period": "YYYY-MM", "line", "amount"}`` by month. ``balance`` is the
    :func:`balance` at ``as_of`` (billing built from the terms unless given), or null.
    """
    cur = result.terms.currency
    out: dict[str, Any] = {
        "currency": cur,
        "allocation": {k: money.plain(v, cur) for k, v in result.allocation.items()},
        "schedule": [{"period": e.period, "line": e.line_id, "amount": money.plain(e.amount, cur)}
                     for e in result.entries],
        "as_of": as_of.isoformat() if as_of else None,
        "balance": None,
    }
    if as_of is not None:
        if billing is None:
            billing = build_billing_schedule(result.terms)
        out["balance"] = {k: money.plain(v, cur)
                          for k, v in balance(result.terms, billing, result, as_of).items()}
    return out


def revenue_csv(result: RevenueSchedule) -> str:
    """Return the month-by-month schedule as CSV: ``period,line,amount`` with a header row."""
    out = io.StringIO()
    writer = csvfile.writer(out)
    writer.writerow(("period", "line", "amount"))
    for e in result.entries:
        writer.writerow((e.period, e.line_id, money.plain(e.amount, result.terms.currency)))
    return out.getvalue()
