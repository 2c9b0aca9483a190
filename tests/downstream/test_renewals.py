"""Renewals: notice deadlines around weekends and holidays, rolling terms, the calendar, iCalendar, uplifts."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from clm.downstream.renewals import (
    capped_increase,
    contract_term,
    current_term,
    notice_deadline,
    renewal_calendar,
    renewal_ics,
    renewal_price,
    renewals_json,
    upcoming_renewal,
)
from clm.downstream.terms import parse_terms
from clm.values.calendars import BusinessCalendar
from clm.values.durations import Duration
from clm.values.durations import parse as parse_duration
from clm.errors import InvalidInput
from tests.downstream.examples import saas_doc

D = Decimal
CHRISTMAS = {date(2026, 12, 25): "Christmas Day"}


@pytest.mark.parametrize(("term_end", "notice", "holidays", "expected"), [
    # 2026-12-31 - 60 days = 2026-11-01, a Sunday: the Friday before.
    (date(2026, 12, 31), "P60D", (), date(2026, 10, 30)),
    # - 30 days = 2026-12-01, a Tuesday: unchanged.
    (date(2026, 12, 31), "P30D", (), date(2026, 12, 1)),
    # - 5 days = 2026-12-26, a Saturday; Friday 25th is a holiday: Thursday 24th.
    (date(2026, 12, 31), "P5D", CHRISTMAS, date(2026, 12, 24)),
    # Without the holiday set, Friday 25th.
    (date(2026, 12, 31), "P5D", (), date(2026, 12, 25)),
    # A holiday on a weekday: 2027-01-31 - 31 days = 2026-12-31 (Thursday), a holiday here.
    (date(2027, 1, 31), "P31D", {date(2026, 12, 31): "a holiday"}, date(2026, 12, 30)),
    # Months clamp to the month end: 2027-05-31 - 3 months = 2027-02-28, a Sunday: Friday 26th.
    (date(2027, 5, 31), "P3M", (), date(2027, 2, 26)),
    # A zero notice period: the term end itself (2026-12-31, a Thursday).
    (date(2026, 12, 31), "P0D", (), date(2026, 12, 31)),
    # One year back from 2029-02-28 is 2028-02-28 (a Monday).
    (date(2029, 2, 28), "P1Y", (), date(2028, 2, 28)),
])
def test_notice_deadline(term_end, notice, holidays, expected):
    calendar = BusinessCalendar("test", holidays) if holidays else BusinessCalendar("none")
    assert notice_deadline(term_end, parse_duration(notice), calendar) == expected


def test_contract_term_spans_all_lines():
    terms = parse_terms(saas_doc())
    assert contract_term(terms) == (date(2026, 1, 1), date(2026, 12, 31))


def test_upcoming_renewal_of_the_initial_term():
    event = upcoming_renewal(parse_terms(saas_doc()), date(2026, 6, 1), contract="C-7")
    assert event is not None
    assert (event.term_number, event.term_start, event.term_end) == (0, date(2026, 1, 1), date(2026, 12, 31))
    assert event.renewal_date == date(2027, 1, 1)  # term end + 1 day
    assert event.notice_deadline == date(2026, 10, 30)  # Nov 1 is a Sunday


@pytest.mark.parametrize(("today", "number", "start", "end"), [
    (date(2026, 12, 31), 0, date(2026, 1, 1), date(2026, 12, 31)),   # last day of the initial term
    (date(2027, 1, 1), 1, date(2027, 1, 1), date(2027, 12, 31)),     # renewal day
    (date(2029, 3, 1), 3, date(2029, 1, 1), date(2029, 12, 31)),     # rolled forward three terms
])
def test_auto_renewal_rolls_forward(today, number, start, end):
    assert current_term(parse_terms(saas_doc()), today) == (number, start, end)


def test_rolling_several_terms_keeps_deadlines_on_business_days():
    event = upcoming_renewal(parse_terms(saas_doc()), date(2029, 3, 1))
    assert event is not None
    # Term 3 ends 2029-12-31; - 60 days = 2029-11-01, a Thursday.
    assert (event.renewal_date, event.notice_deadline) == (date(2030, 1, 1), date(2029, 11, 1))


def test_monthly_terms_from_a_month_end_do_not_drift():
    doc = saas_doc(renewal={"auto_renewal": True, "renewal_term": "P1M", "non_renewal_notice": "P10D"})
    doc["lines"] = [doc["lines"][0]]
    doc["lines"][0].update(start="2025-11-01", end="2026-01-30")
    terms = parse_terms(doc)
    # Renewal terms count from the first renewal date, Jan 31: Jan 31-Feb 27, Feb 28-Mar 30,
    # Mar 31-Apr 29 (not Mar 28-Apr 27 as month-by-month stepping from Feb 28 would give).
    assert current_term(terms, date(2026, 2, 27)) == (1, date(2026, 1, 31), date(2026, 2, 27))
    assert current_term(terms, date(2026, 3, 15)) == (2, date(2026, 2, 28), date(2026, 3, 30))
    assert current_term(terms, date(2026, 4, 15)) == (3, date(2026, 3, 31), date(2026, 4, 29))


def test_without_auto_renewal_the_contract_expires():
    doc = saas_doc(renewal={"auto_renewal": False, "non_renewal_notice": "P60D"})
    terms = parse_terms(doc)
    event = upcoming_renewal(terms, date(2026, 12, 1))
    assert event is not None and event.auto_renewal is False
    assert event.notice_deadline is None  # nothing to give notice of
    assert upcoming_renewal(terms, date(2027, 1, 1)) is None


def _contract(end: str, notice: str = "P60D", auto: bool = True) -> dict[str, object]:
    doc = saas_doc(renewal={"auto_renewal": auto, "renewal_term": "P1Y", "non_renewal_notice": notice})
    doc["lines"][0]["end"] = end
    doc["lines"][1]["satisfied_on"] = "2026-01-15"
    return doc


def test_renewal_calendar():
    contracts = {
        # deadline 2026-10-30 (Nov 1 is a Sunday) is in the window
        "A": parse_terms(_contract("2026-12-31")),
        # deadline 2026-10-02 passed, renewal date 2026-11-01 is in the window
        "B": parse_terms(_contract("2026-10-31", notice="P29D")),
        # deadline 2027-01-29 and renewal 2027-03-01: outside
        "C": parse_terms(_contract("2027-02-28", notice="P30D")),
        # expired without auto-renewal
        "D": parse_terms(_contract("2026-09-30", auto=False)),
        # no auto-renewal; the term ends 2026-11-10, so its renewal date is in the window
        "E": parse_terms(_contract("2026-11-10", auto=False)),
    }
    events = renewal_calendar(contracts, date(2026, 10, 15), 30)
    assert [(e.contract, e.notice_deadline, e.renewal_date) for e in events] == [
        ("A", date(2026, 10, 30), date(2027, 1, 1)),
        ("B", date(2026, 10, 2), date(2026, 11, 1)),
        ("E", None, date(2026, 11, 11)),
    ]
    # A window of 0 days holds only today's dates; pairs work as well as a mapping.
    assert renewal_calendar(list(contracts.items()), date(2026, 10, 30), 0)[0].contract == "A"
    assert renewals_json(events)["renewals"][0] == {
        "contract": "A", "term_number": 0, "term_start": "2026-01-01", "term_end": "2026-12-31",
        "renewal_date": "2027-01-01", "notice_deadline": "2026-10-30", "auto_renewal": True, "evergreen": False}


def test_renewal_calendar_refuses_a_negative_window():
    with pytest.raises(InvalidInput, match="within: -1"):
        renewal_calendar({}, date(2026, 1, 1), -1)


def test_renewal_ics():
    icalendar = pytest.importorskip("icalendar")
    events = renewal_calendar({"C-7": parse_terms(saas_doc())}, date(2026, 10, 15), 30)
    data = renewal_ics(events, datetime(2026, 10, 15, 9, 0, tzinfo=UTC))
    cal = icalendar.Calendar.from_ical(data)
    vevents = [c for c in cal.walk("VEVENT")]
    assert [(str(v["SUMMARY"]), v.decoded("DTSTART"), v.decoded("DTEND"), str(v["UID"])) for v in vevents] == [
        ("Non-renewal notice deadline: C-7", date(2026, 10, 30), date(2026, 10, 31),
         "C-7-notice-2026-10-30@clm.invalid"),
        ("Renewal: C-7", date(2027, 1, 1), date(2027, 1, 2), "C-7-renewal-2027-01-01@clm.invalid"),
    ]
    assert b"DTSTAMP:20261015T090000Z" in data
    assert data == renewal_ics(events, datetime(2026, 10, 15, 9, 0, tzinfo=UTC))  # reproducible


@pytest.mark.parametrize(("price", "requested", "cap", "currency", "expected"), [
    ("24000.00", "7", "5", "USD", "25200.00"),    # capped: 24,000 * 1.05
    ("24000.00", "3", "5", "USD", "24720.00"),    # under the cap: 24,000 * 1.03
    ("24000.00", "7", None, "USD", "25680.00"),   # no cap: 24,000 * 1.07
    ("24000.00", "-2", "5", "USD", "23520.00"),   # decreases are not capped: 24,000 * 0.98
    ("999.99", "3.5", "5", "USD", "1034.99"),     # 999.99 * 1.035 = 1,034.98965 -> 1,034.99
    ("1005", "7", "5", "JPY", "1055"),            # 1,005 * 1.05 = 1,055.25 -> 1,055
])
def test_renewal_price(price, requested, cap, currency, expected):
    got = renewal_price(D(price), D(requested), D(cap) if cap else None, currency)
    assert str(got) == expected


def test_capped_increase_uses_the_contract_cap():
    terms = parse_terms(saas_doc())
    assert capped_increase(D(8), terms.renewal.price_increase_cap) == D(5)


def test_renewal_ics_for_a_contract_that_expires():
    icalendar = pytest.importorskip("icalendar")
    doc = saas_doc(renewal={"auto_renewal": False})
    events = renewal_calendar({"C-8": parse_terms(doc)}, date(2026, 12, 15), 30)
    cal = icalendar.Calendar.from_ical(renewal_ics(events, datetime(2026, 12, 15, tzinfo=UTC)))
    (vevent,) = cal.walk("VEVENT")  # no notice deadline without auto-renewal
    assert str(vevent["SUMMARY"]) == "Expiry: C-8"
    assert vevent.decoded("DTSTART") == date(2027, 1, 1)
    assert "ends on 2026-12-31 unless renewed" in str(vevent["DESCRIPTION"])


def _walked_term(start, end, renewal_term, today):
    """The running term found by walking one renewal term at a time (the definition)."""
    from datetime import timedelta

    if today <= end:
        return 0, start, end
    if renewal_term is None:
        return None
    anchor, n = end + timedelta(days=1), 1
    while True:
        t_end = renewal_term.times(n).after(anchor) - timedelta(days=1)
        if today <= t_end:
            return n, renewal_term.times(n - 1).after(anchor), t_end
        n += 1


def test_running_term_jumps_to_the_same_term_as_walking_one_term_at_a_time():
    import random
    from datetime import date, timedelta

    from clm.downstream.renewals import running_term

    rng = random.Random(606)
    lengths = [Duration(1, "month"), Duration(3, "month"), Duration(12, "month"), Duration(2, "year"),
               Duration(30, "day"), Duration(1, "week"), Duration(45, "day")]
    for _ in range(3000):
        start = date(1990, 1, 1) + timedelta(days=rng.randrange(12000))
        end = start + timedelta(days=rng.randrange(1, 2000))
        today = start + timedelta(days=rng.randrange(0, 14000))
        term = rng.choice(lengths + [None])
        assert running_term(start, end, term, today) == _walked_term(start, end, term, today), (start, end, term, today)
    # month ends do not drift: a P1M term from January 31 runs to February 27, then March 30
    assert running_term(date(2025, 1, 1), date(2025, 1, 30), Duration(1, "month"), date(2025, 3, 15)) == (
        2, date(2025, 2, 28), date(2025, 3, 30))


# -- evergreen: after the initial term the contract runs on until a party gives notice ----------

EVERGREEN = {"auto_renewal": True, "renewal_term": "perpetual", "non_renewal_notice": "P30D"}


def test_an_evergreen_document_reads_and_writes_perpetual():
    from clm.downstream.terms import TermsError, terms_hash, terms_to_dict

    terms = parse_terms(saas_doc(renewal=EVERGREEN))
    assert (terms.renewal.evergreen, terms.renewal.renewal_term) == (True, None)
    assert terms_to_dict(terms)["renewal"]["renewal_term"] == "perpetual"
    assert parse_terms(terms_to_dict(terms)) == terms
    assert terms_hash(terms) != terms_hash(parse_terms(saas_doc()))
    assert parse_terms(saas_doc(renewal={**EVERGREEN, "renewal_term": "Perpetual"})) == terms   # as typed
    with pytest.raises(TermsError) as err:   # perpetual without auto-renewal says two contrary things
        parse_terms(saas_doc(renewal={**EVERGREEN, "auto_renewal": False}))
    assert err.value.errors == ["renewal.renewal_term: 'perpetual' (runs on until terminated) needs auto_renewal true"]


def test_an_evergreen_contract_has_one_event_at_the_end_of_its_initial_term():
    terms = parse_terms(saas_doc(renewal=EVERGREEN))      # initial term 2026-01-01 to 2026-12-31
    event = upcoming_renewal(terms, date(2026, 11, 20), "C-9")
    assert event is not None
    # 2026-12-31 - 30 days = 2026-12-01, a Tuesday; notice by then ends it with the initial term.
    assert (event.term_number, event.term_end, event.renewal_date, event.notice_deadline, event.evergreen) == (
        0, date(2026, 12, 31), date(2027, 1, 1), date(2026, 12, 1), True)
    # Past the initial term no term runs and no date is ahead: it is not rolled into renewal terms.
    assert current_term(terms, date(2027, 1, 1)) is None
    assert upcoming_renewal(terms, date(2031, 6, 1)) is None
    assert renewal_calendar({"C-9": terms}, date(2027, 1, 1), 3650) == []
    assert [e.contract for e in renewal_calendar({"C-9": terms}, date(2026, 11, 20), 30)] == ["C-9"]
    assert renewals_json([event])["renewals"][0]["evergreen"] is True


def test_notice_ends_an_evergreen_contract_a_notice_period_later():
    from clm.downstream.renewals import earliest_end

    assert earliest_end(Duration(30, "day"), date(2027, 3, 10)) == date(2027, 4, 9)
    # Business days count on the contract's calendar: 5 business days from Tuesday 22 December
    # 2026 skip the 25th (a holiday) and the weekend: Wednesday 30 December.
    calendar = BusinessCalendar("test", CHRISTMAS)
    assert earliest_end(Duration(5, "business_day"), date(2026, 12, 22), calendar) == date(2026, 12, 30)
    assert earliest_end(None, date(2027, 3, 10)) is None


def test_renewal_ics_for_an_evergreen_contract():
    icalendar = pytest.importorskip("icalendar")
    events = renewal_calendar({"C-9": parse_terms(saas_doc(renewal=EVERGREEN))}, date(2026, 11, 20), 60)
    vevents = icalendar.Calendar.from_ical(renewal_ics(events, datetime(2026, 11, 20, tzinfo=UTC))).walk("VEVENT")
    assert [(str(v["SUMMARY"]), v.decoded("DTSTART")) for v in vevents] == [
        ("Non-renewal notice deadline: C-9", date(2026, 12, 1)),
        ("Runs on until terminated: C-9", date(2027, 1, 1))]
    assert "otherwise it runs on after 2026-12-31 until terminated (evergreen)" in str(vevents[0]["DESCRIPTION"])
    assert "with no fixed end, until a party gives notice" in str(vevents[1]["DESCRIPTION"])


def test_an_evergreen_contract_has_no_renewal_to_draft_once_it_runs_on():
    from clm.downstream.renewals import plan_renewal

    terms = parse_terms(saas_doc(renewal=EVERGREEN))
    plan = plan_renewal(terms, date(2026, 11, 1), D(3))    # in the initial term: the lines move on a year
    assert (plan.term_start, plan.term_end) == (date(2027, 1, 1), date(2027, 12, 31))
    assert plan.document["renewal"]["renewal_term"] == "perpetual"
    with pytest.raises(InvalidInput, match="has run on until terminated .evergreen. since the end of its initial term "
                                           "on 2026-12-31: there is no renewal term to draft"):
        plan_renewal(terms, date(2027, 2, 1), D(3))
