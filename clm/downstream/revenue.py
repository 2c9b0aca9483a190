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
from clm.downstream.billing import Invoice, UsageRecord, build_billing_schedule
from clm.downstream.terms import ContractTerms, Line
from clm.values import display, money
from clm.values.dates import days_between
from clm.values.money import quantum, round_fraction

ONE_DAY = timedelta(days=1)
ORIGINAL = "original"
#: The contract name of seat-change and usage segments.
SEATS = "seats"
USAGE = "usage"


# ----------------------------------------------------------------------------- allocation


def allocate(price: Decimal, ssps: Sequence[tuple[str, Decimal | Fraction]], currency: str) -> dict[str, Decimal]:
    """Return ``price`` allocated to the keys of ``ssps`` by relative standalone selling price.

    ASC 606-10-32-31: the transaction price is allocated in proportion to the standalone
    selling prices. Each share is first rounded down to the minor unit; the cents left over go
    one each to the shares with the largest remainders, ties to the earlier line (the largest
    remainder method), so the shares sum to ``price`` exactly and no share is off by more than
    one minor unit from the exact proportion.
    """
    total_ssp = sum((Fraction(ssp) for _, ssp in ssps), Fraction(0))
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


def allocate_contract(terms: ContractTerms) -> dict[str, Decimal]:
    """Return the transaction price of the original contract allocated to its lines.

    By relative SSP (606-10-32-31), except:

    * a ``discount`` that observable prices show belongs to some lines (606-10-32-36 to 32-38):
      every other line gets its SSP, and the discount lines share the rest by relative SSP;
    * a line whose SSP is ``residual`` (606-10-32-34(c)): every other line gets its SSP (less
      its part of the discount, allocated first, 32-37), and the residual line what is left.

    ASC 606 Example 34 Case A (A 40 / B 55 / C 45 sold for 100, B and C together for 60):
    40 / 33 / 27. Case B (D for 30 more, residual): 40 / 33 / 27 / 30. ``parse_terms`` has
    already refused a residual or discount the price cannot carry.
    """
    cur = terms.currency
    lines = tuple(ln for ln in terms.lines if ln.recognition != "usage")
    if not lines:
        return {}
    price = sum((ln.price for ln in lines), Decimal(0))
    d = terms.discount
    residual = next((ln for ln in lines if ln.residual), None)
    if d is None and residual is None:
        return allocate(price, [(ln.id, ln.ssp) for ln in lines], cur)
    named = set(d.lines) if d else set()
    shares = {ln.id: ln.ssp for ln in lines if ln.id not in named and not ln.residual}
    if named:
        in_d = [(ln.id, ln.ssp) for ln in lines if ln.id in named]
        if residual is not None:
            assert d is not None and d.amount is not None
            carried = sum((x for _, x in in_d), Decimal(0)) - d.amount
        else:
            carried = price - sum(shares.values(), Decimal(0))
        if sum((x for _, x in in_d), Decimal(0)) > 0:
            shares.update(allocate(carried, in_d, cur))
        else:
            shares.update({k: Decimal(0) for k, _ in in_d})
    if residual is not None:
        shares[residual.id] = price - sum(shares.values(), Decimal(0))
    return {ln.id: shares[ln.id] for ln in lines}


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
    #: Recognized by a measure of progress: (date, percent complete) (606-10-55-16 to 55-21).
    progress: tuple[tuple[date, Decimal], ...] = ()
    #: A cumulative catch-up (606-10-25-13(b)): recognizes nothing before ``begins`` and, from
    #: it, the measure of progress applied to ``amount`` less ``offset`` (recognized before).
    offset: Decimal = Decimal(0)
    begins: date | None = None

    def first_day(self) -> date:
        """Return the first day on which this segment may recognize revenue."""
        first = self.on or self.start or (self.progress[0][0] if self.progress else None)
        assert first is not None
        return max(first, self.begins) if self.begins is not None else first

    def recognized(self, as_of: date, currency: str) -> Decimal:
        """Return the revenue recognized from this segment through the end of ``as_of``, less its offset."""
        cut = min(as_of, self.stop) if self.stop is not None else as_of
        if self.begins is not None and cut < self.begins:
            return self.amount * 0
        return self._measured(cut, currency) - self.offset

    def _measured(self, cut: date, currency: str) -> Decimal:
        """Return the revenue recognized from this segment through the end of ``as_of``.

        A ratable segment recognizes ``amount * elapsed days / service days``, rounded
        half-up, cumulatively: the schedule never drifts and reaches ``amount`` exactly on
        the last day (a straight-line measure of progress, 606-10-55-16 to 55-21, by time
        elapsed). A point-in-time segment recognizes everything on ``on`` (606-10-25-30).
        """
        if self.on is not None:
            return self.amount if self.on <= cut else self.amount * 0
        if self.progress:
            pct = max((p for d, p in self.progress if d <= cut), default=Decimal(0))
            return round_fraction(Fraction(self.amount) * Fraction(pct) / 100, currency)
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
        last = self.on if self.on is not None else (self.progress[-1][0] if self.progress else self.end)
        assert last is not None
        if self.begins is not None and self.begins > last:
            last = self.begins  # a catch-up of what was already recognized in full
        return min(last, self.stop) if self.stop is not None else last


def _segment(line: Line, contract: str, amount: Decimal) -> Segment:
    if line.recognition == "point_in_time":
        return Segment(line.id, contract, amount, on=line.satisfied_on)
    if line.recognition == "progress":
        return Segment(line.id, contract, amount, progress=line.progress)
    return Segment(line.id, contract, amount, start=line.start, end=line.end)


def _percent_at(progress: tuple[tuple[date, Decimal], ...], day: date) -> Decimal:
    return max((p for d, p in progress if d <= day), default=Decimal(0))


def _remaining(seg: Segment, line: Line, effective: date) -> tuple[Fraction, Segment]:
    """Return the SSP of what remains of ``line`` from ``effective`` and the shape of a segment
    recognizing it (the amount is filled in once the pool is allocated)."""
    ssp = Fraction(line.ssp)
    if seg.on is not None:
        return ssp, Segment(line.id, "", Decimal(0), on=seg.on)
    if seg.progress:
        done = _percent_at(seg.progress, effective - ONE_DAY)
        rest = tuple((d, (p - done) * 100 / (100 - done)) for d, p in seg.progress if d >= effective)
        return ssp * Fraction(100 - done) / 100, Segment(line.id, "", Decimal(0), progress=rest)
    assert seg.start is not None and seg.end is not None
    start = max(seg.start, effective)
    share = Fraction(days_between(start, seg.end), days_between(seg.start, seg.end))
    return ssp * share, Segment(line.id, "", Decimal(0), start=start, end=seg.end)


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


def build_revenue_schedule(terms: ContractTerms, usage: Sequence[UsageRecord] = ()) -> RevenueSchedule:
    """Return the ASC 606 revenue schedule of ``terms``.

    The transaction price (the sum of the line prices) is allocated by :func:`allocate_contract`
    (relative SSP, discounts belonging to some lines, the residual approach). Ratable lines are
    recognized by exact days over their service period, point-in-time lines on their
    satisfaction date, ``progress`` lines by their measure of progress. Modifications, in order
    of their dates (606-10-25-10 to 25-13):

    * ``separate_contract`` (25-12): its lines are a contract of their own; their prices are
      allocated among them by relative SSP and nothing already scheduled changes.
    * ``prospective`` (25-13(a)): the old contract ends the day before; every remaining distinct
      obligation (every line not yet fully recognized, whether the modification names it or
      not) stops there. What they had not yet recognized, plus the new consideration (the
      modification's prices, and each ``reprice`` less what its line had left to bill), is
      allocated by relative SSP at the modification date (what remains of each line's SSP, by
      days left or progress left, unless the modification gives it) to the remaining
      obligations and the modification's lines, recognized from the effective date.
    * ``cumulative_catch_up`` (25-13(b)): the one line it names is a single obligation partly
      satisfied; its allocation grows by the new consideration and its new measure of progress
      applies to the whole from the start, so the difference with what was recognized is
      booked on the effective date.

    A ``concession`` reduces revenue on the effective date by its amount (a credit for what was
    already delivered is not spread forward, 606-10-32-42 to 32-45).

    Variable consideration that depends on usage is allocated wholly to its usage line and
    recognized as the usage occurs (606-10-32-40, 55-65): each day's ``usage`` records x unit
    price on that day, what the arrears invoices bill. A mid-term seat change is priced at the
    line's unit price, so it is a contract of its own (25-12) recognized ratably over the days
    it pays for, from the change to the line's end.
    """
    from clm.downstream.billing import installments, seat_changes, usage_amount

    cur = terms.currency
    segments: list[Segment] = []
    allocations: list[Allocation] = []
    shares = allocate_contract(terms)
    current = {ln.id: ln for ln in terms.lines}
    for line in terms.lines:
        if line.recognition != "usage":
            allocations.append(Allocation(ORIGINAL, line.id, shares[line.id]))
            segments.append(_segment(line, ORIGINAL, shares[line.id]))

    #: (contract, line) -> (modification index) that pooled or caught up that segment
    moved: dict[tuple[str, str], int] = {}
    events = sorted([(m.effective, 0, k) for k, m in enumerate(terms.modifications)]
                    + [(c.on, 1, i) for i, c in enumerate(terms.price_changes)])
    for _, kind, k in events:
        if kind == 1:
            _change_price(terms, k, segments, allocations, moved)
            continue
        mod = terms.modifications[k]
        contract = f"modifications[{k}]"
        cut = mod.effective - ONE_DAY
        if mod.concession is not None:
            segments.append(Segment(mod.concession.line, contract, -mod.concession.amount, on=mod.effective))
        fixed = [ln for ln in mod.lines if ln.recognition != "usage"]
        for line in mod.lines:
            if line.recognition == "usage":
                current[line.id] = line
        if mod.treatment == "separate_contract":
            if fixed:
                shares = allocate(sum((ln.price for ln in fixed), Decimal(0)),
                                  [(ln.id, ln.ssp) for ln in fixed], cur)
            for line in fixed:
                allocations.append(Allocation(contract, line.id, shares[line.id]))
                segments.append(_segment(line, contract, shares[line.id]))
                current[line.id] = line
            continue
        if mod.treatment == "cumulative_catch_up":
            line = mod.lines[0]
            done = Decimal(0)
            total = line.price
            for i, seg in enumerate(segments):
                if seg.line_id == line.id and seg.amount > 0 and (seg.stop is None or seg.stop > cut):
                    done += seg.recognized(cut, cur)
                    total += seg.recognized(date.max, cur)
                    segments[i] = replace(seg, stop=cut)
                    moved[(seg.contract, seg.line_id)] = k
            new = _segment(line, contract, total)
            allocations.append(Allocation(contract, line.id, total - done))
            segments.append(replace(new, offset=done, begins=mod.effective))
            current[line.id] = line
            continue
        # prospective: pool every remaining obligation with the new consideration
        pool = sum((ln.price for ln in fixed), Decimal(0))
        remaining: dict[str, tuple[Fraction, Segment]] = {}
        for i, seg in enumerate(segments):
            if seg.contract in (CANCELLATION, SEATS) or seg.amount < 0 or seg.line_id not in current:
                continue
            if (seg.stop is not None and seg.stop <= cut) or seg.last_day() <= cut:
                continue
            done = seg.recognized(cut, cur)
            pool += seg.recognized(date.max, cur) - done
            segments[i] = replace(seg, stop=cut)
            moved[(seg.contract, seg.line_id)] = k
            if seg.begins is None or seg.offset == 0:
                remaining[seg.line_id] = _remaining(seg, current[seg.line_id], mod.effective)
            else:  # a caught-up segment: what remains is measured on its whole amount
                remaining[seg.line_id] = _remaining(replace(seg, offset=Decimal(0), begins=None),
                                                    current[seg.line_id], mod.effective)
        if mod.reprice:
            before = replace(terms, modifications=terms.modifications[:k])
            for rp in mod.reprice:
                unbilled = sum((ln.amount for when, ln in installments(before)
                                if ln.line_id == rp.line and when >= mod.effective
                                and ln.recognition != "concession"), Decimal(0))
                pool += rp.price - unbilled
                if rp.line in remaining and rp.ssp is not None:
                    remaining[rp.line] = (Fraction(rp.ssp), remaining[rp.line][1])
        for line in fixed:
            remaining.pop(line.id, None)
        weights = [(lid, ssp) for lid, (ssp, _) in remaining.items()] + [(ln.id, ln.ssp) for ln in fixed]
        if not weights:
            continue
        # A price cut larger than what remained unrecognized makes the pool negative: it is
        # allocated the same way, as a reduction of the remaining obligations' revenue.
        shares = _allocate_signed(pool, weights, cur)
        for lid, (_, shape) in remaining.items():
            allocations.append(Allocation(contract, lid, shares[lid]))
            segments.append(replace(shape, contract=contract, amount=shares[lid]))
        for line in fixed:
            allocations.append(Allocation(contract, line.id, shares[line.id]))
            segments.append(_segment(line, contract, shares[line.id]))
            current[line.id] = line

    for line in terms.all_lines():
        for day, charges in seat_changes(terms, line):
            amount = sum((inv_line.amount for _, inv_line in charges), Decimal(0))
            segments.append(Segment(line.id, SEATS, amount, start=day, end=line.end))
    usage_lines = {ln.id: ln for ln in terms.all_lines() if ln.recognition == "usage"}
    by_day: dict[tuple[str, date], Decimal] = defaultdict(Decimal)
    for rec in usage:
        if rec.line_id in usage_lines:
            by_day[(rec.line_id, rec.on)] += usage_amount(usage_lines[rec.line_id], rec.quantity, cur)
    for (line_id, day), amount in sorted(by_day.items(), key=lambda kv: (kv[0][1], kv[0][0])):
        segments.append(Segment(line_id, USAGE, amount, on=day))

    order: dict[str, int] = {}
    for ln in terms.all_lines():
        order.setdefault(ln.id, len(order))
    return RevenueSchedule(terms, tuple(allocations), tuple(segments),
                           tuple(_monthly_entries(segments, cur, order)))


def _allocate_signed(amount: Decimal, weights: Sequence[tuple[str, Decimal | Fraction]],
                     currency: str) -> dict[str, Decimal]:
    if sum((Fraction(w) for _, w in weights), Fraction(0)) <= 0:
        weights = [(k, Fraction(1)) for k, _ in weights]
    shares = allocate(abs(amount), weights, currency)
    return {k: v if amount >= 0 else -v for k, v in shares.items()}


def _change_price(terms: ContractTerms, i: int, segments: list[Segment], allocations: list[Allocation],
                  moved: dict[tuple[str, str], int]) -> None:
    """Allocate a change in the original contract's variable consideration (606-10-32-43 to 32-45).

    On the same basis as at inception (the original lines' allocation); a line's share is then
    followed into each modification that pooled or caught it up, and allocated there on that
    modification's basis. Each share is recognized as its obligation is: what is already
    satisfied at once on the change's date (a cumulative catch-up), the rest as it goes.
    ASC 606 Example 6: 40 more, 20 to X (delivered) and 20 to Y, which a modification pooled
    with Z: 10 each.
    """
    change = terms.price_changes[i]
    cur = terms.currency
    original = [(a.line_id, a.amount) for a in allocations if a.contract == ORIGINAL]
    name = f"price_changes[{i}]"

    def spread(contract: str, line: str, amount: Decimal) -> None:
        k = moved.get((contract, line))
        if k is not None:
            target = f"modifications[{k}]"
            basis = [(a.line_id, a.amount) for a in allocations if a.contract == target]
            for lid, part in _allocate_signed(amount, basis, cur).items():
                if part:
                    spread(target, lid, part)
            return
        base = next((s for s in segments if s.contract == contract and s.line_id == line), None)
        if base is None:
            return
        allocations.append(Allocation(name, line, amount))
        begins = change.on if base.begins is None else max(base.begins, change.on)
        segments.append(replace(base, contract=name, amount=amount, offset=Decimal(0), begins=begins, stop=None))

    for line, part in _allocate_signed(change.amount, original, cur).items():
        if part:
            spread(ORIGINAL, line, part)


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
        first = seg.first_day()
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
    """Return the month-by-month schedule as CSV: ``period,line,amount,currency,amount_formatted`` with a header row.

    ``amount`` is for machines ("9936.99"); ``amount_formatted`` as people read it ("USD 9,936.99").
    """
    out = io.StringIO()
    writer = csvfile.writer(out)
    writer.writerow(("period", "line", "amount", "currency", "amount_formatted"))
    cur = result.terms.currency
    for e in result.entries:
        writer.writerow((e.period, e.line_id, money.plain(e.amount, cur), cur, display.money_text(e.amount, cur)))
    return out.getvalue()
