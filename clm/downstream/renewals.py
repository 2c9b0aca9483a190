"""Renewals: term dates, non-renewal notice deadlines, the renewal calendar, iCalendar, price uplifts."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from fractions import Fraction
from typing import Any

from clm.downstream.terms import ContractTerms
from clm.errors import InvalidInput
from clm.values import calendars
from clm.values.calendars import BusinessCalendar
from clm.values.dates import add_months, days_between
from clm.values.durations import Duration
from clm.values.money import round_fraction

ONE_DAY = timedelta(days=1)


def contract_term(terms: ContractTerms) -> tuple[date, date]:
    """Return the initial term (first day, last day) of ``terms``.

    The term runs from the earliest line start (or the signing date) to the latest line end
    (or satisfaction date), modifications included, since a modification may extend it.
    """
    lines = terms.all_lines()
    starts = [ln.start for ln in lines if ln.start is not None]
    ends = [d for d in (ln.end or ln.satisfied_on for ln in lines) if d is not None]
    if not ends:
        raise InvalidInput("lines: no line has an end date, so the contract has no term end")
    return min(starts, default=terms.signed_on), max(ends)


def notice_deadline(term_end: date, notice: Duration, calendar: BusinessCalendar | None = None) -> date:
    """Return the last day to give notice of non-renewal: ``term_end`` minus ``notice``.

    Notice "at least 60 days before the end of the term" must be given by term end minus 60
    days; "30 business days" counts back business days on ``calendar`` (the configured default
    when None). When the day is a weekend day or a holiday, the deadline is the business day
    before (moving it later would let notice arrive too late): 25 December moves to the 24th.
    """
    calendar = calendar or calendars.calendar()
    return calendar.on_or_before(notice.before(term_end, calendar))


@dataclass(frozen=True)
class RenewalEvent:
    """The coming renewal of one contract: the term running on ``today`` and its deadlines."""

    contract: str
    #: 0 for the initial term, n for the n-th renewal term.
    term_number: int
    term_start: date
    term_end: date
    #: The day the next term starts (term end + 1 day), or the day after expiry.
    renewal_date: date
    #: Last day to give notice of non-renewal; None without auto-renewal or a notice period.
    notice_deadline: date | None
    auto_renewal: bool
    #: An evergreen contract in its initial term: at ``renewal_date`` it runs on, with no further
    #: term, until a party gives notice (no event follows this one).
    evergreen: bool = False


def current_term(terms: ContractTerms, today: date) -> tuple[int, date, date] | None:
    """Return (term number, first day, last day) of the term running on ``today``.

    An auto-renewing contract rolls forward one renewal term at a time until the term
    contains ``today`` (see :func:`running_term`). Return None when the contract has expired
    (no auto-renewal and ``today`` after the term), or when an evergreen contract runs on past
    its initial term (no term runs: it continues until terminated, see :func:`earliest_end`).
    """
    start, end = contract_term(terms)
    rn = terms.renewal
    return running_term(start, end, rn.renewal_term if rn.auto_renewal else None, today)


def running_term(start: date, end: date, renewal_term: Duration | None, today: date) -> tuple[int, date, date] | None:
    """Return (term number, first day, last day) of the term running on ``today``.

    ``start``..``end`` is the initial term; ``renewal_term`` is the length of each renewal, or
    None when the contract does not renew. Term ``n`` starts ``n - 1`` renewal terms after
    the first renewal date, counted from that anchor so that month-end dates do not drift
    (a P1M term from January 31 runs to February 27, the next starts February 28, then
    March 31). Return None when the contract has expired.
    """
    if today <= end:
        return 0, start, end
    if renewal_term is None:
        return None
    anchor = end + ONE_DAY
    # Jump close to today first: a monthly contract from 1995 must not walk 370 terms one by one.
    days = int(renewal_term.approx_days()) - 1
    n = max(1, (today - anchor).days // max(days, 1) - 1)
    while renewal_term.times(n - 1).after(anchor) > today and n > 1:
        n -= 1
    while True:
        t_start = renewal_term.times(n - 1).after(anchor)
        t_end = renewal_term.times(n).after(anchor) - ONE_DAY
        if today <= t_end:
            return n, t_start, t_end
        n += 1


def upcoming_renewal(terms: ContractTerms, today: date, contract: str = "") -> RenewalEvent | None:
    """Return the renewal of the term running on ``today``, or None if the contract has expired
    (or, evergreen, runs on past its initial term).

    The notice deadline counts on the contract's holiday calendar.
    """
    start, end = contract_term(terms)
    rn = terms.renewal
    return renewal_event(contract, start, end, rn.auto_renewal, rn.renewal_term, rn.non_renewal_notice, today,
                         terms.calendar(), evergreen=rn.evergreen)


def renewal_event(contract: str, start: date, end: date, auto_renewal: bool, renewal_term: Duration | None,
                  non_renewal_notice: Duration | None, today: date,
                  calendar: BusinessCalendar | None = None, *, evergreen: bool = False) -> RenewalEvent | None:
    """Return the renewal of the term running on ``today`` of a contract whose initial term is
    ``start``..``end``, or None if it has expired.

    An ``evergreen`` contract has one event, at the end of its initial term: notice by the
    deadline ends it there, otherwise it runs on until terminated. Past that, None.
    """
    term = running_term(start, end, None if evergreen or not auto_renewal else renewal_term, today)
    if term is None:
        return None
    number, t_start, t_end = term
    deadline = None
    if auto_renewal and non_renewal_notice is not None:
        deadline = notice_deadline(t_end, non_renewal_notice, calendar)
    return RenewalEvent(contract, number, t_start, t_end, t_end + ONE_DAY, deadline, auto_renewal,
                        evergreen and auto_renewal)


def earliest_end(notice: Duration | None, given_on: date, calendar: BusinessCalendar | None = None) -> date | None:
    """Return the day notice given on ``given_on`` ends an evergreen contract that runs on past its
    initial term: the notice period later ("upon thirty days' notice"), business days counted on
    ``calendar``. None when the contract states no notice period.
    """
    if notice is None:
        return None
    return notice.after(given_on, calendar or calendars.calendar())


def renewal_calendar(contracts: Mapping[str, ContractTerms] | Iterable[tuple[str, ContractTerms]],
                     today: date, within_days: int) -> list[RenewalEvent]:
    """Return the renewals whose notice deadline or renewal date falls in the next ``within_days`` days.

    The window is ``today`` to ``today + within_days``, both included. Events are sorted by
    their first date still ahead (the deadline, or the renewal date once it has passed),
    then by contract.
    """
    if within_days < 0:
        raise InvalidInput(f"within: {within_days} must be 0 or more days")
    items = contracts.items() if isinstance(contracts, Mapping) else contracts
    horizon = today + timedelta(days=within_days)
    events = []
    for contract, terms in items:
        event = upcoming_renewal(terms, today, contract)
        if event is None:
            continue
        dates = [d for d in (event.notice_deadline, event.renewal_date) if d is not None]
        if any(today <= d <= horizon for d in dates):
            events.append(event)
    return sorted(events, key=lambda e: (next_date(e, today), e.contract))


def next_date(event: RenewalEvent, today: date) -> date:
    if event.notice_deadline is not None and event.notice_deadline >= today:
        return event.notice_deadline
    return event.renewal_date


def renewals_json(events: Iterable[RenewalEvent]) -> dict[str, Any]:
    """Return ``{"renewals": [...]}`` with ISO dates."""
    return {"renewals": [{
        "contract": e.contract, "term_number": e.term_number,
        "term_start": e.term_start.isoformat(), "term_end": e.term_end.isoformat(),
        "renewal_date": e.renewal_date.isoformat(),
        "notice_deadline": e.notice_deadline.isoformat() if e.notice_deadline else None,
        "auto_renewal": e.auto_renewal, "evergreen": e.evergreen,
    } for e in events]}


def renewal_ics(events: Iterable[RenewalEvent], stamp: datetime,
                domain: str = "clm.invalid") -> bytes:
    """Return an iCalendar (RFC 5545) file with all-day VEVENTs for each notice deadline and renewal.

    ``stamp`` is the DTSTAMP of every event (the caller's "now", so the output is
    reproducible). UIDs are derived from the contract, the kind of event and its date, so
    re-importing an updated file replaces the events rather than duplicating them.
    """
    import icalendar  # imported here so the rest of clm works without the optional dependency

    cal = icalendar.Calendar()
    cal.add("prodid", "-//clm//renewal calendar//EN")
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("x-wr-calname", "Contract renewals")
    for e in events:
        term = f"term {e.term_start.isoformat()} to {e.term_end.isoformat()}"
        if e.notice_deadline is not None:
            otherwise = (f"otherwise it runs on after {e.term_end.isoformat()} until terminated (evergreen)"
                         if e.evergreen else f"otherwise it renews on {e.renewal_date.isoformat()}")
            cal.add_component(_vevent(
                icalendar, f"{e.contract}-notice-{e.notice_deadline.isoformat()}@{domain}", stamp,
                e.notice_deadline, f"Non-renewal notice deadline: {e.contract}",
                f"Last day to give notice of non-renewal of {e.contract}; {otherwise} ({term})."))
        if e.evergreen:
            summary = f"Runs on until terminated: {e.contract}"
            detail = (f"{e.contract} ends its initial term on {e.term_end.isoformat()} and runs on from "
                      f"{e.renewal_date.isoformat()} with no fixed end, until a party gives notice.")
        elif e.auto_renewal:
            summary = f"Renewal: {e.contract}"
            detail = f"{e.contract} renews automatically on {e.renewal_date.isoformat()}."
        else:
            summary = f"Expiry: {e.contract}"
            detail = (f"{e.contract} ends on {e.term_end.isoformat()} unless renewed; the renewal "
                      f"date is {e.renewal_date.isoformat()}.")
        cal.add_component(_vevent(
            icalendar, f"{e.contract}-renewal-{e.renewal_date.isoformat()}@{domain}", stamp,
            e.renewal_date, summary, detail))
    data: bytes = cal.to_ical()
    return data


def _vevent(icalendar: Any, uid: str, stamp: datetime, day: date, summary: str,
            description: str) -> Any:
    ev = icalendar.Event()
    ev.add("uid", uid)
    ev.add("dtstamp", stamp)
    ev.add("dtstart", day)
    ev.add("dtend", day + ONE_DAY)  # all-day events end on the next day (RFC 5545 3.6.1)
    ev.add("summary", summary)
    ev.add("description", description)
    ev.add("transp", "TRANSPARENT")
    return ev


# ----------------------------------------------------------------------------- price uplift


def capped_increase(requested_pct: Decimal, cap_pct: Decimal | None) -> Decimal:
    """Return the increase in percent that may apply: the request, limited to ``cap_pct``.

    A decrease is never capped; no cap (None) lets the request through.
    """
    if cap_pct is not None and requested_pct > cap_pct:
        return cap_pct
    return requested_pct


def renewal_price(price: Decimal, requested_pct: Decimal, cap_pct: Decimal | None,
                  currency: str = "USD") -> Decimal:
    """Return the price for the renewal term: ``price`` raised by the capped increase, rounded half-up.

    E.g. 24,000.00 with 7 % requested and a 5 % cap gives 24,000 * 1.05 = 25,200.00.
    """
    pct = capped_increase(requested_pct, cap_pct)
    return round_fraction(Fraction(price) * (1 + Fraction(pct) / 100), currency)



@dataclass(frozen=True)
class RenewalPlan:
    """The commercial terms of a renewal: the recurring lines moved to the renewal term, prices uplifted."""

    #: The renewal's terms document (JSON-ready, for ``parse_terms``).
    document: dict[str, Any]
    #: The term being renewed (0: the initial term) and the renewal term's first and last day.
    renews_term: int
    term_start: date
    term_end: date
    requested_pct: Decimal
    applied_pct: Decimal
    #: (line id, price for the original period, price for the renewal term), per renewed line.
    prices: tuple[tuple[str, Decimal, Decimal], ...]

    @property
    def capped(self) -> bool:
        """Return True when the contract's cap reduced the uplift asked for."""
        return self.applied_pct < self.requested_pct


def _whole_months(start: date, end: date) -> int | None:
    """Return how many calendar months ``start``..``end`` (both included) spans, or None if not whole months."""
    after = end + ONE_DAY
    months = (after.year - start.year) * 12 + after.month - start.month
    return months if months > 0 and add_months(start, months) == after else None


def plan_renewal(terms: ContractTerms, today: date, requested_pct: Decimal) -> RenewalPlan:
    """Return the renewal of the term running on ``today`` with prices raised by ``requested_pct``, capped.

    The lines that run to the end of the contract term (recurring, ratable lines) renew; one-off
    lines (point in time: set-up, implementation) do not. The renewal term starts the day after
    the current term ends and lasts the contract's renewal term, or as long as each line did
    when there is none. A line's price is scaled to the renewal term (by whole months where both
    periods are whole months, by days otherwise) and then raised by the requested uplift,
    limited to ``price_increase_cap`` (:func:`capped_increase`), rounded half-up per line.
    """
    from dataclasses import replace

    from clm.downstream.terms import Billing, periodic_price, terms_to_dict

    if not requested_pct.is_finite() or requested_pct <= -100 or requested_pct > 1000:
        raise InvalidInput(f"uplift: {requested_pct} must be a percentage above -100 and at most 1000")
    term = current_term(terms, today)
    if term is None and terms.renewal.evergreen:
        raise InvalidInput(f"the contract has run on until terminated (evergreen) since the end of its initial "
                           f"term on {contract_term(terms)[1].isoformat()}: there is no renewal term to draft; "
                           f"draft a new contract to replace it")
    if term is None:  # expired without auto-renewal: renew the initial term late
        start, end = contract_term(terms)
        term = (0, start, end)
    number, _t_start, t_end = term
    first = t_end + ONE_DAY
    applied = capped_increase(requested_pct, terms.renewal.price_increase_cap)
    _c_start, c_end = contract_term(terms)
    recurring = [ln for ln in terms.all_lines()
                 if ln.recognition == "ratable" and ln.start is not None and ln.end is not None]
    renewing = [ln for ln in recurring if ln.end == c_end] or recurring
    if not renewing:
        raise InvalidInput("lines: the contract has no recurring (ratable) line to renew")
    new_lines, prices, last = [], [], first
    seen: set[str] = set()
    for ln in renewing:
        assert ln.start is not None and ln.end is not None
        if ln.id in seen:  # a modification that re-states a line: the later statement wins below
            new_lines = [x for x in new_lines if x.id != ln.id]
            prices = [p for p in prices if p[0] != ln.id]
        seen.add(ln.id)
        months = _whole_months(ln.start, ln.end)
        rn = terms.renewal.renewal_term
        if rn is not None:
            end = rn.after(first) - ONE_DAY
        elif months is not None:
            end = add_months(first, months) - ONE_DAY
        else:
            end = first + timedelta(days=days_between(ln.start, ln.end) - 1)
        new_months = _whole_months(first, end)
        if months is not None and new_months is not None:
            ratio = Fraction(new_months, months)
        else:
            ratio = Fraction(days_between(first, end), days_between(ln.start, ln.end))
        factor = ratio * (1 + Fraction(applied) / 100)
        price = round_fraction(Fraction(ln.price) * factor, terms.currency)
        ssp = round_fraction(Fraction(ln.ssp) * factor, terms.currency)
        renewed = replace(ln, price=price, ssp=ssp, start=first, end=end, satisfied_on=None,
                          billing=Billing(ln.billing.frequency, ln.billing.timing), seats=())
        if ln.quantity is not None and ln.unit_price is not None:
            # Seats renew at the quantity they ended with, the unit price uplifted.
            quantity = ln.seats[-1][1] if ln.seats else ln.quantity
            unit_price = (ln.unit_price * (1 + applied / 100)).quantize(Decimal("0.000001")).normalize()
            price = periodic_price(quantity, unit_price, first, end, renewed.billing, terms.currency)
            renewed = replace(renewed, quantity=quantity, unit_price=unit_price, price=price,
                              ssp=price if ln.ssp == ln.price else ssp)
        new_lines.append(renewed)
        prices.append((ln.id, ln.price, price))
        last = max(last, end)
    # A discount, price changes and seat changes belong to the term that ends.
    renewal_terms = replace(terms, signed_on=today, lines=tuple(new_lines), modifications=(), discount=None,
                            price_changes=())
    return RenewalPlan(terms_to_dict(renewal_terms), number, first, last, requested_pct, applied, tuple(prices))
