"""ASC 606 revenue: relative-SSP allocation, ratable and point-in-time schedules, balances, modifications."""

from __future__ import annotations

import csv
import io
from datetime import date
from decimal import Decimal

import pytest

from clm.downstream.billing import build_billing_schedule
from clm.downstream.revenue import (
    allocate,
    balance,
    build_revenue_schedule,
    revenue_csv,
    revenue_json,
)
from clm.downstream.terms import parse_terms
from tests.downstream.examples import saas_doc

D = Decimal


@pytest.mark.parametrize(("price", "ssps", "currency", "expected"), [
    # 135,000 * 130/150 = 117,000; 135,000 * 20/150 = 18,000 (the SaaS example)
    ("135000.00", ["130000", "20000"], "USD", ["117000.00", "18000.00"]),
    # 100/3 = 33.333 each; one cent left over, equal remainders: to the earliest line
    ("100.00", ["1", "1", "1"], "USD", ["33.34", "33.33", "33.33"]),
    # 10 * 1/3 = 3.333, 10 * 2/3 = 6.666: the left-over cent goes to the larger remainder
    ("10.00", ["1", "2"], "USD", ["3.33", "6.67"]),
    # 1.00 * 3/6 = 0.50, * 1/6 = 0.1666, * 2/6 = 0.3333: the cent goes to the middle line
    ("1.00", ["3", "1", "2"], "USD", ["0.50", "0.17", "0.33"]),
    # 100 * 1/6 = 16.6666 twice and 66.6666: two cents left, three equal remainders
    ("100.00", ["1", "1", "4"], "USD", ["16.67", "16.67", "66.66"]),
    # half-up rounding would give 0.03 + 0.03 = 0.06; largest remainder keeps 0.05
    ("0.05", ["1", "1"], "USD", ["0.03", "0.02"]),
    ("1000", ["1", "1", "1"], "JPY", ["334", "333", "333"]),
    ("10.000", ["1", "2"], "KWD", ["3.333", "6.667"]),
    # a line with a zero SSP gets nothing
    ("50.00", ["0", "5"], "USD", ["0.00", "50.00"]),
])
def test_allocate_by_relative_ssp(price, ssps, currency, expected):
    shares = allocate(D(price), [(f"l{i}", D(s)) for i, s in enumerate(ssps)], currency)
    assert [str(v) for v in shares.values()] == expected
    assert sum(shares.values()) == D(price)


def test_allocate_refuses_zero_ssps():
    with pytest.raises(ValueError):
        allocate(D(1), [("a", D(0))], "USD")


# ----------------------------------------------------------------------------- the SaaS contract
#
# SaaS: 117,000 allocated, ratable over 2026-01-01..2026-12-31 = 365 days. Each month is the
# cumulative amount at its end, rounded, minus the previous month's:
#   Jan  31 days: 117,000 * 31/365  =   9,936.9863 ->   9,936.99  ->  9,936.99
#   Feb  59 days: 117,000 * 59/365  =  18,912.3288 ->  18,912.33  ->  8,975.34
#   Mar  90 days: 117,000 * 90/365  =  28,849.3151 ->  28,849.32  ->  9,936.99
#   Apr 120 days: 117,000 * 120/365 =  38,465.7534 ->  38,465.75  ->  9,616.43
#   May 151 days: 117,000 * 151/365 =  48,402.7397 ->  48,402.74  ->  9,936.99
#   Jun 181 days: 117,000 * 181/365 =  58,019.1781 ->  58,019.18  ->  9,616.44
#   Jul 212 days: 117,000 * 212/365 =  67,956.1644 ->  67,956.16  ->  9,936.98
#   Aug 243 days: 117,000 * 243/365 =  77,893.1507 ->  77,893.15  ->  9,936.99
#   Sep 273 days: 117,000 * 273/365 =  87,509.5890 ->  87,509.59  ->  9,616.44
#   Oct 304 days: 117,000 * 304/365 =  97,446.5753 ->  97,446.58  ->  9,936.99
#   Nov 334 days: 117,000 * 334/365 = 107,063.0137 -> 107,063.01  ->  9,616.43
#   Dec 365 days:                      117,000.00                 ->  9,936.99
# Implementation: 18,000 on go-live, 2026-03-15.
SAAS_MONTHS = ["9936.99", "8975.34", "9936.99", "9616.43", "9936.99", "9616.44",
               "9936.98", "9936.99", "9616.44", "9936.99", "9616.43", "9936.99"]


def test_saas_schedule():
    result = build_revenue_schedule(parse_terms(saas_doc()))
    assert result.allocation == {"saas": D("117000.00"), "impl": D("18000.00")}
    saas = [(e.period, str(e.amount)) for e in result.entries if e.line_id == "saas"]
    assert saas == [(f"2026-{m:02d}", a) for m, a in enumerate(SAAS_MONTHS, start=1)]
    assert sum(D(a) for a in SAAS_MONTHS) == D("117000.00")
    impl = [(e.period, e.amount) for e in result.entries if e.line_id == "impl"]
    assert impl == [("2026-03", D("18000.00"))]
    # Within a month, lines keep the order of the terms.
    assert [e.line_id for e in result.entries if e.period == "2026-03"] == ["saas", "impl"]


@pytest.mark.parametrize(("as_of", "billed", "recognized", "deferred"), [
    # Billed 120,000 on Jan 1; recognized January 9,936.99: deferred 110,063.01.
    (date(2026, 1, 31), "120000.00", "9936.99", "110063.01"),
    # Day before go-live: 73 days of SaaS = 117,000 * 73/365 = 23,400.00 exactly.
    (date(2026, 3, 14), "120000.00", "23400.00", "96600.00"),
    # March end: implementation billed (15,000) and recognized (18,000);
    # 135,000 - (28,849.32 + 18,000) = 88,150.68.
    (date(2026, 3, 31), "135000.00", "46849.32", "88150.68"),
    (date(2026, 12, 31), "135000.00", "135000.00", "0.00"),
    (date(2025, 12, 31), "0.00", "0.00", "0.00"),
])
def test_saas_deferred_revenue(as_of, billed, recognized, deferred):
    terms = parse_terms(saas_doc())
    b = balance(terms, build_billing_schedule(terms), build_revenue_schedule(terms), as_of)
    assert {k: str(v) for k, v in b.items()} == {
        "billed": billed, "recognized": recognized, "deferred_revenue": deferred, "contract_asset": "0.00"}


def test_contract_asset_when_billing_lags():
    doc = saas_doc()
    doc["lines"][0]["billing"] = {"frequency": "monthly", "timing": "arrears"}
    doc["lines"][1]["billing"] = {"frequency": "once", "on": "2026-04-30"}
    terms = parse_terms(doc)
    b = balance(terms, build_billing_schedule(terms), build_revenue_schedule(terms), date(2026, 3, 31))
    # Billed Feb 1 and Mar 1 at 10,000 = 20,000; recognized 28,849.32 + 18,000 = 46,849.32;
    # earned but not billed: a contract asset of 26,849.32.
    assert b == {"billed": D("20000.00"), "recognized": D("46849.32"),
                 "deferred_revenue": D("0.00"), "contract_asset": D("26849.32")}


def test_leap_year_ratable_by_days():
    doc = {"currency": "USD", "signed_on": "2027-12-01", "lines": [
        {"id": "s", "price": "36600.00", "recognition": "ratable", "start": "2028-01-01", "end": "2028-12-31",
         "billing": {"frequency": "once"}}]}
    result = build_revenue_schedule(parse_terms(doc))
    # 36,600 over 366 days is 100 a day: February 2028 has 29 days.
    amounts = {e.period: e.amount for e in result.entries}
    assert amounts["2028-01"] == D("3100.00")
    assert amounts["2028-02"] == D("2900.00")
    assert amounts["2028-12"] == D("3100.00")
    assert len(amounts) == 12


def test_partial_first_and_last_months():
    doc = {"currency": "USD", "signed_on": "2026-01-01", "lines": [
        {"id": "s", "price": "1000.00", "recognition": "ratable", "start": "2026-01-20", "end": "2026-03-10",
         "billing": {"frequency": "once"}}]}
    result = build_revenue_schedule(parse_terms(doc))
    # 12 + 28 + 10 = 50 days, 20 a day: Jan 240, Feb 560, Mar 200.
    assert [(e.period, str(e.amount)) for e in result.entries] == [
        ("2026-01", "240.00"), ("2026-02", "560.00"), ("2026-03", "200.00")]
    assert result.recognized(date(2026, 2, 1)) == D("260.00")  # 13 days, mid-month


# ----------------------------------------------------------------------------- modifications

UPSELL = {"effective": "2026-07-01", "treatment": "prospective",
          "lines": [{"id": "saas", "price": "30000.00"}]}


def test_prospective_modification():
    terms = parse_terms(saas_doc(modifications=[UPSELL]))
    result = build_revenue_schedule(terms)
    # Through Jun 30 the SaaS line recognized 58,019.18 (181 days). Unrecognized:
    # 117,000 - 58,019.18 = 58,980.82; plus the new 30,000 = 88,980.82, spread over
    # Jul 1-Dec 31 = 184 days (606-10-25-13(a)):
    #   Jul  31 days: 88,980.82 * 31/184  = 14,991.3338 -> 14,991.33
    #   Aug  62 days: 88,980.82 * 62/184  = 29,982.6676 -> 29,982.67 -> 14,991.34
    #   Sep  92 days: 88,980.82 * 92/184  = 44,490.41             -> 14,507.74
    #   Oct 123 days: 88,980.82 * 123/184 = 59,481.7438 -> 59,481.74 -> 14,991.33
    #   Nov 153 days: 88,980.82 * 153/184 = 73,989.4903 -> 73,989.49 -> 14,507.75
    #   Dec:          88,980.82 - 73,989.49                        = 14,991.33
    saas = [(e.period, str(e.amount)) for e in result.entries if e.line_id == "saas"]
    assert saas == [(f"2026-{m:02d}", a) for m, a in enumerate(SAAS_MONTHS[:6], start=1)] + [
        ("2026-07", "14991.33"), ("2026-08", "14991.34"), ("2026-09", "14507.74"),
        ("2026-10", "14991.33"), ("2026-11", "14507.75"), ("2026-12", "14991.33")]
    assert [(a.contract, a.line_id, str(a.amount)) for a in result.allocations] == [
        ("original", "saas", "117000.00"), ("original", "impl", "18000.00"),
        ("modifications[0]", "saas", "88980.82")]
    # Over its life the line recognizes 58,019.18 + 88,980.82 = 147,000.00.
    assert result.allocation == {"saas": D("147000.00"), "impl": D("18000.00")}
    b = balance(terms, build_billing_schedule(terms), result, date(2026, 7, 31))
    # Billed 120,000 + 15,000 + 30,000 (the upsell, on Jul 1) = 165,000; recognized
    # 58,019.18 + 14,991.33 + 18,000 = 91,010.51; deferred 73,989.49.
    assert b["billed"] == D("165000.00")
    assert b["recognized"] == D("91010.51")
    assert b["deferred_revenue"] == D("73989.49")


def test_prospective_modification_pools_by_relative_ssp():
    mod = {"effective": "2026-07-01", "treatment": "prospective", "lines": [
        {"id": "saas", "price": "0", "ssp": "60000"},
        {"id": "support", "price": "20000.00", "ssp": "20000", "recognition": "ratable",
         "end": "2026-12-31", "billing": {"frequency": "once"}}]}
    result = build_revenue_schedule(parse_terms(saas_doc(modifications=[mod])))
    # Pool: 58,980.82 unrecognized SaaS + 20,000 new = 78,980.82, split 60:20 (606-10-32-31):
    # saas 78,980.82 * 3/4 = 59,235.615, floor 59,235.61; support 78,980.82 / 4 = 19,745.205,
    # floor 19,745.20. One cent is left; the remainders tie (half a cent each), so it goes
    # to the earlier line: 59,235.62 + 19,745.20 = 78,980.82.
    assert [(a.line_id, str(a.amount)) for a in result.allocations[2:]] == [
        ("saas", "59235.62"), ("support", "19745.20")]
    assert sum(result.allocation.values()) == D("155000.00")  # 135,000 + 20,000


def test_separate_contract_modification():
    mod = {"effective": "2026-07-01", "treatment": "separate_contract", "lines": [
        {"id": "support", "price": "6000.00", "ssp": "8000.00", "recognition": "ratable",
         "end": "2026-12-31", "billing": {"frequency": "once"}},
        {"id": "training", "price": "2000.00", "ssp": "2000.00", "recognition": "point_in_time",
         "satisfied_on": "2026-07-15", "billing": {"frequency": "once"}}]}
    result = build_revenue_schedule(parse_terms(saas_doc(modifications=[mod])))
    # A contract of its own (606-10-25-12): 8,000 split 8,000:2,000 = 6,400 / 1,600.
    # Support from Jul 1 over 184 days: July 6,400 * 31/184 = 1,078.2609 -> 1,078.26.
    # The original lines are untouched.
    assert result.allocation == {"saas": D("117000.00"), "impl": D("18000.00"),
                                 "support": D("6400.00"), "training": D("1600.00")}
    july = {e.line_id: str(e.amount) for e in result.entries if e.period == "2026-07"}
    assert july == {"saas": "9936.98", "support": "1078.26", "training": "1600.00"}


def test_prospective_change_of_an_undelivered_point_in_time_line():
    mod = {"effective": "2026-03-01", "treatment": "prospective",
           "lines": [{"id": "impl", "price": "5000.00", "satisfied_on": "2026-04-30"}]}
    result = build_revenue_schedule(parse_terms(saas_doc(modifications=[mod])))
    # Not yet delivered on Mar 1: its whole 18,000 moves to the pool with the new 5,000, and so
    # does what the SaaS line has not recognized (606-10-25-13(a) pools every remaining
    # obligation): 117,000 - 18,912.33 (59 days) = 98,087.67; pool 121,087.67, shared by the
    # SSP left, 130,000 x 306/365 = 108,986.30 : 20,000 -> impl 121,087.67 x 20,000 / 128,986.30
    # = 18,775.276 -> 18,775.28, recognized on the new go-live date.
    assert [(e.period, str(e.amount)) for e in result.entries if e.line_id == "impl"] == [
        ("2026-04", "18775.28")]


# ----------------------------------------------------------------------------- output


def test_revenue_json():
    result = build_revenue_schedule(parse_terms(saas_doc()))
    data = revenue_json(result, as_of=date(2026, 3, 31))
    assert data["allocation"] == {"saas": "117000.00", "impl": "18000.00"}
    assert data["schedule"][0] == {"period": "2026-01", "line": "saas", "amount": "9936.99"}
    assert len(data["schedule"]) == 13
    assert data["balance"] == {"billed": "135000.00", "recognized": "46849.32",
                               "deferred_revenue": "88150.68", "contract_asset": "0.00"}
    assert data["as_of"] == "2026-03-31"
    assert revenue_json(result)["balance"] is None


def test_revenue_csv():
    rows = list(csv.reader(io.StringIO(revenue_csv(build_revenue_schedule(parse_terms(saas_doc()))))))
    assert rows[:4] == [["period", "line", "amount", "currency", "amount_formatted"],
                        ["2026-01", "saas", "9936.99", "USD", "USD 9,936.99"],
                        ["2026-02", "saas", "8975.34", "USD", "USD 8,975.34"],
                        ["2026-03", "saas", "9936.99", "USD", "USD 9,936.99"]]
    assert rows[4] == ["2026-03", "impl", "18000.00", "USD", "USD 18,000.00"]
