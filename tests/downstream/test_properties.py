"""Property-style checks over many random contracts: every schedule sums exactly."""

from __future__ import annotations

import random
from collections import defaultdict
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest

from clm.downstream.billing import (
    build_billing_schedule,
    cancel_schedule,
    contract_value,
    credit_note,
)
from clm.downstream.revenue import balance, build_revenue_schedule
from clm.downstream.terms import parse_terms
from clm.values.money import minor_units, quantum

CURRENCIES = ["USD", "USD", "EUR", "JPY", "KWD"]


def _amount(rng: random.Random, currency: str, zero_ok: bool = False) -> str:
    digits = minor_units(currency)
    units = rng.choice([rng.randint(1, 99), rng.randint(100, 10**7), rng.randint(10**7, 10**10)])
    if zero_ok and rng.random() < 0.15:
        units = 0
    return str(Decimal(units).scaleb(-digits))


def _line(rng: random.Random, currency: str, i: int, earliest: date) -> dict[str, Any]:
    start = earliest + timedelta(days=rng.randint(0, 400))
    end = start + timedelta(days=rng.choice([0, 1, 27, 28, 29, 30, 364, 365, 366, rng.randint(0, 1500)]))
    recognition = rng.choice(["ratable", "point_in_time"])
    frequency = rng.choice(["once", "monthly", "quarterly", "annual"])
    line: dict[str, Any] = {
        "id": f"l{i}", "price": _amount(rng, currency, zero_ok=True), "ssp": _amount(rng, currency, zero_ok=True),
        "recognition": recognition, "start": start.isoformat(), "end": end.isoformat(),
        "billing": {"frequency": frequency, "timing": rng.choice(["advance", "arrears"])},
    }
    if recognition == "point_in_time":
        line["satisfied_on"] = (start + timedelta(days=rng.randint(0, 200))).isoformat()
    return line


def random_terms_doc(seed: int) -> dict[str, Any]:
    rng = random.Random(seed)
    currency = rng.choice(CURRENCIES)
    signed = date(2024, 1, 1) + timedelta(days=rng.randint(0, 2000))
    lines = [_line(rng, currency, i, signed) for i in range(rng.randint(1, 5))]
    if all(Decimal(ln["ssp"]) == 0 for ln in lines):
        lines[0]["ssp"] = "1"
    doc: dict[str, Any] = {"currency": currency, "signed_on": signed.isoformat(),
                           "payment_terms_days": rng.choice([0, 15, 30, 45]), "lines": lines}
    mods = []
    effective = signed
    for k in range(rng.choice([0, 0, 1, 2])):
        effective += timedelta(days=rng.randint(1, 300))
        if rng.random() < 0.5:
            mod_lines = [_line(rng, currency, 100 * (k + 1) + j, effective) for j in range(rng.randint(1, 2))]
            for ln in mod_lines:
                ln["start"] = max(date.fromisoformat(ln["start"]), effective).isoformat()
                if ln["recognition"] == "point_in_time":
                    ln["satisfied_on"] = max(date.fromisoformat(ln["satisfied_on"]), effective).isoformat()
                ln["end"] = max(date.fromisoformat(ln["end"]), date.fromisoformat(ln["start"])).isoformat()
            if all(Decimal(ln["ssp"]) == 0 for ln in mod_lines):
                mod_lines[0]["ssp"] = "1"
            treatment = "separate_contract"
        else:
            target = rng.choice(lines)
            change: dict[str, Any] = {"id": target["id"], "price": _amount(rng, currency, zero_ok=True),
                                      "ssp": _amount(rng, currency)}
            last = max(date.fromisoformat(target["end"]), effective)
            change["end"] = (last + timedelta(days=rng.randint(0, 200))).isoformat()
            if target["recognition"] == "point_in_time":
                change["satisfied_on"] = (effective + timedelta(days=rng.randint(0, 100))).isoformat()
            mod_lines = [change]
            treatment = "prospective"
        mods.append({"effective": effective.isoformat(), "treatment": treatment, "lines": mod_lines})
    if mods:
        doc["modifications"] = mods
    return doc


SEEDS = range(400)


@pytest.mark.parametrize("seed", SEEDS)
def test_schedules_sum_exactly(seed):
    terms = parse_terms(random_terms_doc(seed))
    q = quantum(terms.currency)
    value = contract_value(terms)

    # Invoices sum to the contract value; each line's installments to its price.
    schedule = build_billing_schedule(terms)
    assert sum(inv.total for inv in schedule) == value
    billed: dict[str, Decimal] = defaultdict(Decimal)
    for inv in schedule:
        # Due after the payment terms, on the next business day when that day is not one.
        nominal = inv.date + timedelta(days=terms.payment_terms_days)
        assert inv.due == terms.calendar().on_or_after(nominal)
        assert inv.due - nominal < timedelta(days=7)
        for ln in inv.lines:
            assert ln.amount > 0 and ln.amount == ln.amount.quantize(q)
            billed[ln.line_id] += ln.amount
    prices: dict[str, Decimal] = defaultdict(Decimal)
    for ln in terms.all_lines():
        prices[ln.id] += ln.price
    assert {k: v for k, v in billed.items()} == {k: v for k, v in prices.items() if v}
    assert [inv.date for inv in schedule] == sorted({inv.date for inv in schedule})

    # The original allocation sums to the original price.
    revenue = build_revenue_schedule(terms)
    original = [a for a in revenue.allocations if a.contract == "original"]
    assert sum(a.amount for a in original) == sum(ln.price for ln in terms.lines)

    # Each line's months sum to what it recognizes; everything sums to the contract value.
    months: dict[str, Decimal] = defaultdict(Decimal)
    for e in revenue.entries:
        assert e.amount == e.amount.quantize(q)
        months[e.line_id] += e.amount
    allocation = revenue.allocation
    assert {k: v for k, v in allocation.items() if v} == {k: v for k, v in months.items() if v}
    assert sum(allocation.values()) == value
    assert revenue.recognized(date.max) == value

    # After the last invoice and the last day of service nothing is deferred or unbilled.
    last = max([inv.date for inv in schedule] + [seg.last_day() for seg in revenue.segments])
    end = balance(terms, schedule, revenue, last)
    assert end["deferred_revenue"] == end["contract_asset"] == 0
    assert end["billed"] == end["recognized"] == value


@pytest.mark.parametrize("seed", range(0, 400, 4))
def test_cancellation_never_bills_more_than_the_contract(seed):
    terms = parse_terms(random_terms_doc(seed))
    schedule = build_billing_schedule(terms)
    rng = random.Random(seed)
    cancel_on = terms.signed_on + timedelta(days=rng.randint(0, 900))
    kept = sum(inv.total for inv in cancel_schedule(schedule, cancel_on))
    note = credit_note(schedule, cancel_on)
    credited = note.total if note else Decimal(0)
    assert 0 <= credited <= sum(inv.total for inv in schedule if inv.date < cancel_on)
    assert 0 <= kept - credited <= contract_value(terms)


@pytest.mark.parametrize("seed", range(1, 400, 8))
def test_cancelled_revenue_sums_to_what_is_paid_and_ends_at_zero(seed):
    from clm.downstream.billing import billed_after_cancellation
    from clm.downstream.revenue import cancel_revenue

    terms = parse_terms(random_terms_doc(seed))
    schedule = build_billing_schedule(terms)
    rng = random.Random(seed)
    cancel_on = terms.signed_on + timedelta(days=rng.randint(0, 900))
    billed = billed_after_cancellation(schedule, cancel_on, credit_note(schedule, cancel_on))
    paid = sum((inv.total for inv in billed), Decimal(0))
    revenue = cancel_revenue(build_revenue_schedule(terms), cancel_on, paid)
    assert sum((e.amount for e in revenue.entries), Decimal(0)) == paid
    assert all(e.period <= cancel_on.strftime("%Y-%m") for e in revenue.entries)
    last = max([inv.date for inv in billed] + [cancel_on])
    end = balance(terms, billed, revenue, last)
    assert end["deferred_revenue"] == end["contract_asset"] == 0
