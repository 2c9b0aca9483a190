"""The ASC 606 illustrative examples, worked to the cent (see tests/downstream/asc606.py)."""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from decimal import Decimal as D

import pytest

from clm.downstream.billing import build_billing_schedule, contract_value
from clm.downstream.revenue import balance, build_revenue_schedule
from clm.downstream.terms import TermsError, parse_terms
from tests.downstream import asc606


def _revenue(doc):
    terms = parse_terms(doc)
    return terms, build_revenue_schedule(terms)


def _by_year(result):
    out: dict[str, D] = defaultdict(D)
    for e in result.entries:
        out[e.period[:4]] += e.amount
    return dict(out)


def test_example_33_relative_ssp():
    _, result = _revenue(asc606.EXAMPLE_33)
    # 100 x 50/150 = 33.333, 100 x 25/150 = 16.667, 100 x 75/150 = 50 (the example: 33 / 17 / 50).
    assert result.allocation == {"A": D("33.33"), "B": D("16.67"), "C": D("50.00")}


def test_example_34_case_a_discount_to_some_lines():
    _, result = _revenue(asc606.EXAMPLE_34A)
    # A keeps its SSP 40; B and C share the 60 they sell for together, 55:45 (606-10-32-37).
    assert result.allocation == {"A": D("40.00"), "B": D("33.00"), "C": D("27.00")}


def test_example_34_spreading_the_discount_is_what_it_replaces():
    doc = dict(asc606.EXAMPLE_34A)
    doc.pop("discount")
    _, result = _revenue(doc)
    # Without the discount's lines every line takes its share: 28.57 / 39.29 / 32.14.
    assert result.allocation == {"A": D("28.57"), "B": D("39.29"), "C": D("32.14")}


def test_example_34_case_b_residual():
    terms, result = _revenue(asc606.EXAMPLE_34B)
    assert result.allocation == {"A": D("40.00"), "B": D("33.00"), "C": D("27.00"), "D": D("30.00")}
    assert sum(result.allocation.values()) == contract_value(terms) == D("130.00")


def test_example_34_case_c_residual_outside_its_range_is_refused():
    with pytest.raises(TermsError) as err:
        parse_terms(asc606.EXAMPLE_34C)
    assert err.value.errors == [
        ("lines[3].ssp: the residual 5.00 is outside the observable range 15.00 to 45.00; it does not "
         "depict the SSP (606-10-32-34(c)): estimate the SSP another way")]


def test_example_5_case_a_separate_contract():
    _, result = _revenue(asc606.EXAMPLE_5A)
    # The 120 products at 100 each, the 30 more at 95 each: nothing already scheduled changes.
    assert result.allocation == {"first60": D("6000.00"), "last60": D("6000.00"), "extra30": D("2850.00")}


def test_example_5_case_b_concession_and_prospective():
    terms, result = _revenue(asc606.EXAMPLE_5B)
    months = {(e.period, e.line_id): e.amount for e in result.entries}
    # The 900 credit for the defective 60 reduces revenue in April, when it is granted.
    assert months[("2026-04", "first60")] == D("-900.00")
    # 6,000 left of the original contract + 2,400 for the 30 = 8,400 over 90 products:
    # 5,600 for the 60 (93.33 each) and 2,800 for the 30 (93.33 each).
    assert months[("2026-06", "last60")] == D("5600.00")
    assert months[("2026-06", "extra30")] == D("2800.00")
    assert (D("5600.00") / 60).quantize(D("0.01")) == D("93.33") == (D("2800.00") / 30).quantize(D("0.01"))
    # Billed: 6,000 in March, then 6,000 + 2,400 - 900 in June and April: 13,500, as recognized.
    schedule = build_billing_schedule(terms)
    assert [(i.date, i.total) for i in schedule] == [
        (date(2026, 3, 31), D("6000.00")), (date(2026, 4, 1), D("-900.00")), (date(2026, 6, 30), D("8400.00"))]
    assert contract_value(terms) == D("13500.00") == sum(e.amount for e in result.entries)


def test_example_7_modification_reprices_and_extends():
    terms, result = _revenue(asc606.EXAMPLE_7)
    schedule = build_billing_schedule(terms)
    # Billing changes with the modification: 100,000 x 2, then 80,000, then 200,000 over 3 years.
    assert [(i.date.year, i.total) for i in schedule] == [
        (2025, D("100000.00")), (2026, D("100000.00")), (2027, D("80000.00")),
        (2028, D("66666.67")), (2029, D("66666.67")), (2030, D("66666.66"))]
    # 280,000 pooled over the remaining services by SSP 80,000 : 240,000 -> 70,000 / 210,000.
    assert [(a.contract, a.line_id, a.amount) for a in result.allocations] == [
        ("original", "svc", D("300000.00")), ("modifications[0]", "svc", D("70000.00")),
        ("modifications[0]", "ext", D("210000.00"))]
    years = _by_year(result)
    assert years["2025"] == years["2026"] == D("100000.00")
    assert years["2027"] == D("70000.00")
    # 210,000 by days over 1,096 days (2028 is a leap year): 70,127.74 + 69,936.13 + 69,936.13.
    assert (years["2028"], years["2029"], years["2030"]) == (D("70127.74"), D("69936.13"), D("69936.13"))
    assert sum(years.values()) == contract_value(terms) == D("480000.00")
    # Deferred revenue is right once the year-3 invoice is cut: 80,000 billed, 70,000 earned.
    b = balance(terms, schedule, result, date(2027, 12, 31))
    assert (b["billed"], b["recognized"], b["deferred_revenue"]) == (
        D("280000.00"), D("270000.00"), D("10000.00"))


def test_example_8_cumulative_catch_up():
    terms, result = _revenue(asc606.EXAMPLE_8)
    months = {(e.period, e.line_id): e.amount for e in result.entries}
    assert months[("2026-12", "building")] == D("600000.00")
    # 51.2 % x 1,350,000 = 691,200 less the 600,000 recognized: +91,200 on the modification date.
    assert months[("2027-01", "building")] == D("91200.00")
    assert months[("2027-12", "building")] == D("658800.00")
    assert sum(result.allocation.values()) == contract_value(terms) == D("1350000.00")


def test_prospective_pools_every_remaining_obligation():
    # A modification that names only a new line still re-allocates the unrecognized remainder of
    # the lines it does not name (606-10-25-13(a)).
    doc = {"currency": "USD", "signed_on": "2026-01-01", "lines": [
        {"id": "saas", "price": "12000.00", "recognition": "ratable", "start": "2026-01-01", "end": "2026-12-31",
         "billing": {"frequency": "monthly"}}],
        "modifications": [{"effective": "2026-07-01", "treatment": "prospective", "lines": [
            {"id": "support", "price": "1000.00", "ssp": "3000.00", "recognition": "ratable",
             "end": "2026-12-31", "billing": {"frequency": "once"}}]}]}
    terms, result = _revenue(doc)
    # saas recognized 12,000 x 181/365 = 5,950.68 through June; left 6,049.32 + 1,000 = 7,049.32,
    # shared by what remains of the SSPs, 12,000 x 184/365 = 6,049.315 : 3,000
    # -> 7,049.32 x 6,049.315 / 9,049.315 = 4,712.352 -> 4,712.35, and 2,336.968 -> 2,336.97.
    assert [(a.line_id, a.amount) for a in result.allocations[1:]] == [
        ("saas", D("4712.35")), ("support", D("2336.97"))]
    assert sum(e.amount for e in result.entries) == contract_value(terms) == D("13000.00")


@pytest.mark.parametrize("doc, error", [
    ({"discount": {"lines": ["B", "X"]}}, "discount.lines[1]: 'X' is not a line of the contract"),
    ({"discount": {"lines": ["B", "C"], "amount": "30.00"}},
     "discount.amount: 30.00 is not the discount the prices give (SSPs 140.00 less price 100.00 = 40.00)"),
    ({"discount": {"lines": []}}, "discount.lines: missing (the lines the discount belongs to)"),
])
def test_bad_discounts_are_refused(doc, error):
    with pytest.raises(TermsError) as err:
        parse_terms({**asc606.EXAMPLE_34A, **doc})
    assert error in err.value.errors


def test_concession_larger_than_billed_is_refused():
    doc = {**asc606.EXAMPLE_5B}
    doc["modifications"] = [dict(doc["modifications"][0], concession={"line": "last60", "amount": "900.00"})]
    with pytest.raises(TermsError) as err:
        parse_terms(doc)
    # last60 is billed on delivery, in June: nothing was billed for it by April 1.
    assert err.value.errors == [
        "modifications[0].concession.amount: 900.00 is more than the 0.00 billed for 'last60' up to 2026-04-01"]


def test_overlapping_modifications_are_refused():
    mod = asc606.EXAMPLE_5B["modifications"][0]
    with pytest.raises(TermsError) as err:
        parse_terms({**asc606.EXAMPLE_5_BASE, "modifications": [
            mod, {"effective": "2026-04-01", "treatment": "separate_contract", "lines": [
                {"id": "more", "price": "100.00", "recognition": "point_in_time", "satisfied_on": "2026-05-01",
                 "billing": {"frequency": "once"}}]}]})
    assert err.value.errors == [("modifications[1].effective: 2026-04-01 overlaps the modification before it on "
                                 "the same date; give them as one modification")]


def test_canonical_form_keeps_the_new_keys():
    from clm.downstream.terms import terms_hash, terms_to_dict

    for doc in (asc606.EXAMPLE_34B, asc606.EXAMPLE_5B, asc606.EXAMPLE_7, asc606.EXAMPLE_8):
        terms = parse_terms(doc)
        assert parse_terms(terms_to_dict(terms)) == terms
        assert terms_hash(parse_terms(terms_to_dict(terms))) == terms_hash(terms)


def test_example_6_change_in_transaction_price_after_a_modification():
    terms, result = _revenue(asc606.EXAMPLE_6)
    assert result.allocation == {"X": D("620.00"), "Y": D("460.00"), "Z": D("460.00")}
    months = {(e.period, e.line_id): e.amount for e in result.entries}
    # X's 20 is recognized when the estimate changes (X was delivered); Y's and Z's on delivery.
    assert months[("2026-07", "X")] == D("600.00") and months[("2026-10", "X")] == D("20.00")
    assert months[("2026-12", "Y")] == months[("2026-12", "Z")] == D("460.00")
    assert contract_value(terms) == sum(e.amount for e in result.entries) == D("1540.00")
    assert [(i.date, i.total) for i in build_billing_schedule(terms)][-2] == (date(2026, 10, 15), D("40.00"))


def test_a_price_change_that_makes_the_price_negative_is_refused():
    with pytest.raises(TermsError) as err:
        parse_terms({**asc606.EXAMPLE_6, "price_changes": [{"on": "2026-10-15", "amount": "-1300.00"}]})
    assert err.value.errors == ["price_changes[0].amount: -1300.00 would make the contract's price negative"]


def test_seat_changes_are_prorated_by_days():
    terms = parse_terms({"currency": "USD", "signed_on": "2026-01-01", "lines": [
        {"id": "seats", "quantity": 10, "unit_price": "100.00", "recognition": "ratable", "start": "2026-01-01",
         "end": "2026-12-31", "billing": {"frequency": "monthly"},
         "seats": [{"from": "2026-03-16", "quantity": 15}, {"from": "2026-06-11", "quantity": 12}]}]})
    assert terms.lines[0].price == D("12000.00")  # 10 seats x 100 x 12 months
    changes = [(inv.date.isoformat(), ln.amount) for inv in build_billing_schedule(terms) for ln in inv.lines
               if "seats from" in ln.description]
    # +5 from 16 March: 5 x 100 x 16/31 = 258.06, then 500.00 a month; -3 from 11 June:
    # -3 x 100 x 20/30 = -200.00, then -300.00 a month.
    assert changes[:2] == [("2026-03-16", D("258.06")), ("2026-04-01", D("500.00"))]
    assert ("2026-06-11", D("-200.00")) in changes and ("2026-07-01", D("-300.00")) in changes
    result = build_revenue_schedule(terms)
    assert sum(e.amount for e in result.entries) == contract_value(terms) == \
        sum(i.total for i in build_billing_schedule(terms))


def test_bad_seat_and_usage_lines_are_refused():
    base = {"currency": "USD", "signed_on": "2026-01-01"}
    with pytest.raises(TermsError) as err:
        parse_terms({**base, "lines": [
            {"id": "s", "quantity": 10, "unit_price": "100", "recognition": "ratable", "start": "2026-01-01",
             "end": "2026-12-31", "billing": {"frequency": "monthly"}, "seats": [{"from": "2027-01-05", "quantity": 3}]},
            {"id": "u", "recognition": "usage", "unit_price": "0.01", "start": "2026-01-01", "end": "2026-12-31",
             "billing": {"frequency": "monthly", "timing": "advance"}}]})
    assert err.value.errors == [
        "lines[0].seats[0].from: 2027-01-05 is not within 2026-01-01 (excluded) to 2026-12-31",
        "lines[1].billing: a usage line is billed periodically in arrears, from usage records"]


def test_a_seat_line_renews_at_its_last_quantity_and_a_discount_stays_with_its_term():
    from clm.downstream.renewals import plan_renewal

    doc = {"currency": "USD", "signed_on": "2026-01-01",
           "lines": [{"id": "seats", "quantity": 10, "unit_price": "100.00", "recognition": "ratable",
                      "start": "2026-01-01", "end": "2026-12-31", "billing": {"frequency": "monthly"},
                      "seats": [{"from": "2026-06-01", "quantity": 12}]},
                     {"id": "support", "price": "1000.00", "ssp": "2000.00", "recognition": "ratable",
                      "start": "2026-01-01", "end": "2026-12-31", "billing": {"frequency": "annual"}}],
           "discount": {"lines": ["support"]},
           "renewal": {"auto_renewal": True, "renewal_term": "P1Y", "price_increase_cap": "5"}}
    plan = plan_renewal(parse_terms(doc), date(2026, 11, 1), D(5))
    renewed = parse_terms(plan.document)
    seats = renewed.lines[0]
    # 12 seats at 105.00 for 12 months = 15,120.00; no seat changes, no discount in the new term.
    assert (seats.quantity, seats.unit_price, seats.price, seats.seats) == (12, D(105), D("15120.00"), ())
    assert renewed.discount is None
