"""Billing schedules: periods, proration, grouping, rounding, cancellations and output."""

from __future__ import annotations

import csv
import io
from datetime import date
from decimal import Decimal
from typing import Any

import pytest

from clm.downstream.billing import (
    billing_csv,
    billing_json,
    billing_periods,
    build_billing_schedule,
    cancel_schedule,
    check_schedule_total,
    contract_value,
    credit_note,
    credit_note_json,
)
from clm.downstream.terms import parse_terms
from clm.errors import InvalidInput
from tests.downstream.examples import saas_doc

D = Decimal


def one_line(price: str, start: str | None, end: str | None, frequency: str, timing: str = "advance",
             currency: str = "USD", recognition: str = "ratable", **extra: Any) -> dict[str, Any]:
    line: dict[str, Any] = {"id": "l1", "price": price, "recognition": recognition,
                            "billing": {"frequency": frequency, "timing": timing}}
    if start:
        line["start"] = start
    if end:
        line["end"] = end
    line.update(extra)
    return {"currency": currency, "signed_on": "2025-12-01", "payment_terms_days": 30, "lines": [line]}


def amounts(schedule) -> list[str]:
    return [str(inv.total) for inv in schedule]


def dates(schedule) -> list[str]:
    return [inv.date.isoformat() for inv in schedule]


def test_saas_contract():
    schedule = build_billing_schedule(parse_terms(saas_doc()), prefix="INV-C7")
    # The subscription is billed once a year in advance on its start; the implementation in
    # arrears on go-live. Due 30 days later.
    assert [(i.number, i.date, i.due, i.total) for i in schedule] == [
        # Net 30 from 1 January is Saturday 31 January: due on Monday 2 February.
        ("INV-C7-0001", date(2026, 1, 1), date(2026, 2, 2), D("120000.00")),
        ("INV-C7-0002", date(2026, 3, 15), date(2026, 4, 14), D("15000.00")),
    ]
    assert schedule[0].lines[0].period_start == date(2026, 1, 1)
    assert schedule[0].lines[0].period_end == date(2026, 12, 31)


def test_monthly_in_advance_twelve_equal_invoices():
    schedule = build_billing_schedule(parse_terms(one_line("120000.00", "2026-01-01", "2026-12-31", "monthly")))
    assert amounts(schedule) == ["10000.00"] * 12  # 120,000 / 12
    assert dates(schedule) == [f"2026-{m:02d}-01" for m in range(1, 13)]
    assert [i.number for i in schedule][:2] == ["INV-0001", "INV-0002"]
    assert schedule[1].due == date(2026, 3, 3)  # 1 Feb + 30 days


def test_start_on_the_31st_bills_on_the_last_day_of_short_months():
    schedule = build_billing_schedule(parse_terms(one_line("12000.00", "2026-01-31", "2027-01-30", "monthly")))
    assert amounts(schedule) == ["1000.00"] * 12  # 12 full periods, no stub
    assert dates(schedule) == ["2026-01-31", "2026-02-28", "2026-03-31", "2026-04-30", "2026-05-31",
                               "2026-06-30", "2026-07-31", "2026-08-31", "2026-09-30", "2026-10-31",
                               "2026-11-30", "2026-12-31"]
    # Periods run to the day before the next billing day.
    first, second = schedule[0].lines[0], schedule[1].lines[0]
    assert (first.period_start, first.period_end) == (date(2026, 1, 31), date(2026, 2, 27))
    assert (second.period_start, second.period_end) == (date(2026, 2, 28), date(2026, 3, 30))


def test_start_on_the_31st_in_arrears_bills_the_next_billing_day():
    schedule = build_billing_schedule(parse_terms(one_line("3000.00", "2026-01-31", "2026-04-30", "monthly",
                                                           "arrears")))
    # Periods Jan 31-Feb 27, Feb 28-Mar 30, Mar 31-Apr 29 and a 1-day stub Apr 30 of the
    # 31-day period Apr 30-May 30: weights 1, 1, 1, 1/31, so 3 + 1/31 = 94/31 periods.
    # Each full period 3,000 * 31/94 = 989.3617 -> 989.36; the stub takes the remainder
    # 3,000 - 3 * 989.36 = 31.92 (exactly 3,000/94 = 31.91).
    assert amounts(schedule) == ["989.36", "989.36", "989.36", "31.92"]
    assert dates(schedule) == ["2026-02-28", "2026-03-31", "2026-04-30", "2026-05-01"]


def test_leap_year_annual_billing_from_february_29():
    schedule = build_billing_schedule(parse_terms(one_line("36000.00", "2028-02-29", "2031-02-27", "annual")))
    # Anchored on Feb 29: the billing day is Feb 28 in common years, and the periods are
    # 2028-02-29..2029-02-27, 2029-02-28..2030-02-27, 2030-02-28..2031-02-27: no stub.
    assert dates(schedule) == ["2028-02-29", "2029-02-28", "2030-02-28"]
    assert amounts(schedule) == ["12000.00"] * 3


def test_stub_period_prorated_by_days_over_a_leap_february():
    schedule = build_billing_schedule(parse_terms(one_line("1000.00", "2028-01-15", "2028-03-31", "monthly")))
    # Jan 15-Feb 14 (full), Feb 15-Mar 14 (full, 29 days in 2028), stub Mar 15-Mar 31 =
    # 17 days of the 31-day period Mar 15-Apr 14. 1,000 / (2 + 17/31) = 31,000/79 = 392.4051
    # -> 392.41 twice; the last takes the remainder 1,000 - 784.82 = 215.18 (exactly 215.19).
    assert amounts(schedule) == ["392.41", "392.41", "215.18"]
    assert [(ln.period_start, ln.period_end) for i in schedule for ln in i.lines] == [
        (date(2028, 1, 15), date(2028, 2, 14)), (date(2028, 2, 15), date(2028, 3, 14)),
        (date(2028, 3, 15), date(2028, 3, 31))]


def test_quarterly_in_arrears_with_a_half_stub():
    schedule = build_billing_schedule(parse_terms(one_line("7500.00", "2026-01-01", "2026-08-15", "quarterly",
                                                           "arrears")))
    # Q1, Q2 full; Jul 1-Aug 15 is 46 of the 92 days Jul 1-Sep 30: weights 1, 1, 1/2.
    # 7,500 / 2.5 = 3,000 a quarter, 1,500 for the stub. In arrears: the day after each period.
    assert amounts(schedule) == ["3000.00", "3000.00", "1500.00"]
    assert dates(schedule) == ["2026-04-01", "2026-07-01", "2026-08-16"]
    assert [str(i.due) for i in schedule] == ["2026-05-01", "2026-07-31", "2026-09-15"]


def test_term_shorter_than_one_period_is_one_invoice():
    schedule = build_billing_schedule(parse_terms(one_line("500.00", "2026-01-10", "2026-01-24", "monthly")))
    assert amounts(schedule) == ["500.00"]


def test_remainder_goes_to_the_last_invoice():
    schedule = build_billing_schedule(parse_terms(one_line("100.00", "2026-01-01", "2026-03-31", "monthly")))
    assert amounts(schedule) == ["33.33", "33.33", "33.34"]  # 100/3 = 33.333..., last 100 - 66.66


def test_no_minor_units_for_yen():
    schedule = build_billing_schedule(parse_terms(one_line("100000", "2026-01-01", "2026-03-31", "monthly",
                                                           currency="JPY")))
    assert amounts(schedule) == ["33333", "33333", "33334"]
    assert billing_json(schedule)["invoices"][0]["total"] == "33333"


def test_tiny_amounts_fall_back_to_cumulative_rounding():
    # 0.07 over 12 months and a 1-day stub: 0.07 * 31/(12*31+1) = 0.0058 rounds to 0.01 a
    # month, which would leave the last invoice at 0.07 - 0.12 = -0.05. Cumulative rounding
    # instead: 0.01 in the months where the running total crosses a half cent.
    schedule = build_billing_schedule(parse_terms(one_line("0.07", "2026-01-01", "2027-01-01", "monthly")))
    assert all(i.total > 0 for i in schedule)
    assert sum(i.total for i in schedule) == D("0.07")


@pytest.mark.parametrize(("line", "expected"), [
    # once, advance: the start (or signing when there is none)
    ({"start": "2026-02-01", "end": "2026-12-31", "billing": {"frequency": "once"}}, "2026-02-01"),
    ({"recognition": "point_in_time", "satisfied_on": "2026-05-01", "billing": {"frequency": "once"}},
     "2025-12-01"),
    # once, arrears: the end of service, or the satisfaction date
    ({"start": "2026-02-01", "end": "2026-12-31", "billing": {"frequency": "once", "timing": "arrears"}},
     "2026-12-31"),
    ({"recognition": "point_in_time", "satisfied_on": "2026-05-01",
      "billing": {"frequency": "once", "timing": "arrears"}}, "2026-05-01"),
    # an explicit date wins
    ({"recognition": "point_in_time", "satisfied_on": "2026-05-01",
      "billing": {"frequency": "once", "on": "2026-06-15"}}, "2026-06-15"),
])
def test_once_invoice_date(line, expected):
    doc = one_line("10.00", None, None, "once")
    doc["lines"][0] = {"id": "l1", "price": "10.00", "recognition": "ratable", **line}
    assert dates(build_billing_schedule(parse_terms(doc))) == [expected]


def test_lines_on_the_same_date_share_an_invoice():
    doc = saas_doc()
    doc["lines"][0]["billing"] = {"frequency": "monthly", "timing": "advance"}
    doc["lines"][1]["billing"] = {"frequency": "once", "on": "2026-02-01"}
    schedule = build_billing_schedule(parse_terms(doc), prefix="INV-C7")
    assert len(schedule) == 12
    second = schedule[1]
    assert (second.number, second.date) == ("INV-C7-0002", date(2026, 2, 1))
    assert [(ln.line_id, ln.amount) for ln in second.lines] == [("saas", D("10000.00")),
                                                                ("impl", D("15000.00"))]
    assert second.total == D("25000.00")


def test_modification_bills_its_new_consideration():
    doc = saas_doc(modifications=[{"effective": "2026-07-01", "treatment": "prospective",
                                   "lines": [{"id": "saas", "price": "30000.00"}]}])
    terms = parse_terms(doc)
    schedule = build_billing_schedule(terms)
    # The upsell inherits annual advance billing: one stub invoice on the effective date.
    assert [(i.date, i.total) for i in schedule] == [
        (date(2026, 1, 1), D("120000.00")), (date(2026, 3, 15), D("15000.00")),
        (date(2026, 7, 1), D("30000.00"))]
    assert contract_value(terms) == D("165000.00")


# ----------------------------------------------------------------------------- cancellation


MONTHLY_12K = ("12000.00", "2026-01-01", "2026-12-31", "monthly")


def test_cancellation_in_advance_credits_the_unused_days():
    schedule = build_billing_schedule(parse_terms(one_line(*MONTHLY_12K)))
    note = credit_note(schedule, date(2026, 3, 11))
    # Issued: Jan 1, Feb 1, Mar 1 at 1,000. March is used Mar 1-10, unused Mar 11-31 = 21 of
    # 31 days: 1,000 * 21/31 = 677.419 -> 677.42.
    assert note is not None
    assert [(ln.invoice_number, ln.period_start, ln.period_end, ln.amount) for ln in note.lines] == [
        ("INV-0003", date(2026, 3, 11), date(2026, 3, 31), D("677.42"))]
    remaining = cancel_schedule(schedule, date(2026, 3, 11))
    assert amounts(remaining) == ["1000.00"] * 3  # April onwards is never issued
    assert credit_note_json(note) == {
        "number": "CN-0001", "date": "2026-03-11", "currency": "USD", "total": "677.42",
        "lines": [{"invoice": "INV-0003", "line": "l1", "description": "", "period_start": "2026-03-11",
                   "period_end": "2026-03-31", "amount": "677.42"}]}


def test_cancellation_in_arrears_bills_the_used_days():
    schedule = build_billing_schedule(parse_terms(one_line(*MONTHLY_12K, timing="arrears")))
    assert credit_note(schedule, date(2026, 3, 11)) is None  # nothing billed in advance
    remaining = cancel_schedule(schedule, date(2026, 3, 11))
    # Feb 1 and Mar 1 invoices stand; March 1-10 is 10 of 31 days: 1,000 * 10/31 = 322.58,
    # billed on the cancellation date. Net 2,322.58, the same as the advance case
    # (3,000 - 677.42).
    assert [(i.number, i.date, i.total) for i in remaining] == [
        ("INV-0001", date(2026, 2, 1), D("1000.00")), ("INV-0002", date(2026, 3, 1), D("1000.00")),
        ("INV-0003", date(2026, 3, 11), D("322.58"))]
    assert remaining[-1].due == date(2026, 4, 10)
    assert remaining[-1].lines[0].period_end == date(2026, 3, 10)
    # With the terms, the final invoice is due by them: from Friday 6 March, 30 days is Sunday
    # 5 April, so Monday the 6th.
    terms = parse_terms(one_line(*MONTHLY_12K, timing="arrears"))
    assert cancel_schedule(schedule, date(2026, 3, 6), terms)[-1].due == date(2026, 4, 6)


@pytest.mark.parametrize(("cancel_on", "credited", "final"), [
    # Implementation billed on signing (Dec 15), go-live Mar 15.
    (date(2026, 3, 15), "15000.00", None),    # cancelled on go-live day: not delivered, credited
    (date(2026, 3, 16), None, None),          # delivered the day before: kept
])
def test_cancellation_of_a_point_in_time_line(cancel_on, credited, final):
    doc = saas_doc()
    doc["lines"] = [doc["lines"][1]]
    doc["lines"][0]["billing"] = {"frequency": "once", "on": "2025-12-15"}
    schedule = build_billing_schedule(parse_terms(doc))
    note = credit_note(schedule, cancel_on)
    assert (str(note.total) if note else None) == credited
    assert len(cancel_schedule(schedule, cancel_on)) == 1


def test_cancellation_accelerates_installments_of_a_delivered_line():
    doc = one_line("3000.00", "2026-01-01", "2026-03-31", "monthly", recognition="point_in_time",
                   satisfied_on="2026-01-20")
    schedule = build_billing_schedule(parse_terms(doc))
    remaining = cancel_schedule(schedule, date(2026, 2, 10))
    # Delivered Jan 20; the Mar 1 installment is earned and billed on the cancellation date.
    assert [(i.date, i.total) for i in remaining] == [
        (date(2026, 1, 1), D("1000.00")), (date(2026, 2, 1), D("1000.00")), (date(2026, 2, 10), D("1000.00"))]
    assert credit_note(schedule, date(2026, 2, 10)) is None


# ----------------------------------------------------------------------------- output


def test_billing_json_and_csv():
    schedule = build_billing_schedule(parse_terms(saas_doc()), prefix="INV-C7")
    data = billing_json(schedule)
    assert data["invoices"][1] == {
        "number": "INV-C7-0002", "date": "2026-03-15", "due": "2026-04-14", "currency": "USD",
        "total": "15000.00",
        "lines": [{"line": "impl", "description": "Implementation", "period_start": "2026-03-15",
                   "period_end": "2026-03-15", "amount": "15000.00"}]}
    rows = list(csv.reader(io.StringIO(billing_csv(schedule))))
    assert rows[0] == ["invoice", "date", "due", "currency", "line", "description", "period_start",
                       "period_end", "amount", "amount_formatted"]
    assert rows[1] == ["INV-C7-0001", "2026-01-01", "2026-02-02", "USD", "saas", "CLM Enterprise subscription",
                       "2026-01-01", "2026-12-31", "120000.00", "USD 120,000.00"]
    assert len(rows) == 3


def test_billing_periods_are_anchored_on_the_start():
    periods = billing_periods(date(2026, 1, 31), date(2026, 5, 31), 1)
    assert [p[0].isoformat() for p in periods] == ["2026-01-31", "2026-02-28", "2026-03-31", "2026-04-30",
                                                   "2026-05-31"]
    assert str(periods[-1][2]) == "1/30"  # May 31 is a 1-day stub of the period May 31-Jun 29


def test_check_schedule_total():
    terms = parse_terms(saas_doc())
    schedule = build_billing_schedule(terms)
    check_schedule_total(terms, schedule)
    with pytest.raises(InvalidInput, match="billing schedule totals 120000.00, contract value is 135000.00"):
        check_schedule_total(terms, schedule[:1])


def test_due_dates_move_past_weekends_and_holidays():
    from clm.downstream.billing import due_date

    # Net 24 from 1 December 2026 is Friday 25 December: the 26th is a Saturday, so Monday the 28th
    # (US); in GB the 28th is the Boxing Day substitute holiday, so Tuesday the 29th.
    us = parse_terms(one_line("1000.00", "2026-12-01", "2026-12-31", "monthly") | {"payment_terms_days": 24})
    assert due_date(us, date(2026, 12, 1)) == date(2026, 12, 28)
    gb = parse_terms(one_line("1000.00", "2026-12-01", "2026-12-31", "monthly")
                     | {"payment_terms_days": 24, "holidays": "GB"})
    assert due_date(gb, date(2026, 12, 1)) == date(2026, 12, 29)
    # A business day stays: net 30 from 1 December is Thursday 31 December.
    assert due_date(parse_terms(one_line("1000.00", "2026-12-01", "2026-12-31", "monthly")),
                    date(2026, 12, 1)) == date(2026, 12, 31)
