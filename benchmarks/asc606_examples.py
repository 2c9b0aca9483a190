"""Print every figure clm computes for the ASC 606 illustrative examples against the published one.

Usage (from the project root, venv active)::

    python benchmarks/asc606_examples.py

The examples (5, 7, 8, 33, 34 and the others the tests work) are the terms documents of
``tests/downstream/asc606.py``; each row prints the published figure, clm's and whether they
match to the cent. Exit status 1 when any figure differs.
"""

from __future__ import annotations

import sys
from collections import defaultdict
from decimal import Decimal
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from clm.downstream.billing import build_billing_schedule
from clm.downstream.revenue import build_revenue_schedule
from clm.downstream.terms import TermsError, parse_terms
from tests.downstream import asc606

ROWS: list[tuple[str, str, str, str]] = []


def row(example: str, figure: str, published: Any, ours: Any) -> None:
    ROWS.append((example, figure, str(published), str(ours)))


def _schedule(doc: dict[str, Any]) -> tuple[Any, Any, Any]:
    terms = parse_terms(doc)
    return terms, build_revenue_schedule(terms), build_billing_schedule(terms)


def _months(result: Any) -> dict[tuple[str, str], Decimal]:
    out: dict[tuple[str, str], Decimal] = defaultdict(Decimal)
    for e in result.entries:
        out[(e.period, e.line_id)] += e.amount
    return out


def allocation_examples() -> None:
    _, r, _ = _schedule(asc606.EXAMPLE_33)
    for line, published in (("A", "33.33"), ("B", "16.67"), ("C", "50.00")):
        row("33", f"allocation {line} (published 33 / 17 / 50, to the dollar)", published, r.allocation[line])
    _, r, _ = _schedule(asc606.EXAMPLE_34A)
    for line, published in (("A", "40.00"), ("B", "33.00"), ("C", "27.00")):
        row("34 A", f"allocation {line}", published, r.allocation[line])
    _, r, _ = _schedule(asc606.EXAMPLE_34B)
    for line, published in (("A", "40.00"), ("B", "33.00"), ("C", "27.00"), ("D", "30.00")):
        row("34 B", f"allocation {line}", published, r.allocation[line])
    try:
        parse_terms(asc606.EXAMPLE_34C)
        ours = "accepted"
    except TermsError as err:
        ours = "refused: " + err.errors[0].split(":")[0]
    row("34 C", "residual 5 outside 15-45", "refused: lines[3].ssp", ours)


def modification_examples() -> None:
    _, r, _ = _schedule(asc606.EXAMPLE_5A)
    row("5 A", "per extra product (separate contract)", "95.00", r.allocation["extra30"] / 30)
    row("5 A", "per original product", "100.00", r.allocation["last60"] / 60)
    _, r, b = _schedule(asc606.EXAMPLE_5B)
    m = _months(r)
    row("5 B", "concession in the month granted", "-900.00", m[("2026-04", "first60")])
    row("5 B", "per remaining original product", "93.33", (m[("2026-06", "last60")] / 60).quantize(Decimal("0.01")))
    row("5 B", "per additional product", "93.33", (m[("2026-06", "extra30")] / 30).quantize(Decimal("0.01")))
    row("5 B", "total billed = total revenue", "13500.00", sum(i.total for i in b))
    _, r, b = _schedule(asc606.EXAMPLE_7)
    for inv, published in zip(b, ("100000.00", "100000.00", "80000.00", "66666.67", "66666.67", "66666.66")):
        row("7", f"invoice {inv.date.year}", published, inv.total)
    years: dict[str, Decimal] = defaultdict(Decimal)
    for e in r.entries:
        years[e.period[:4]] += e.amount
    row("7", "revenue year 3 (70,000 a year after the modification)", "70000.00", years["2027"])
    row("7", "revenue years 4-6 (3 x 70,000)", "210000.00", years["2028"] + years["2029"] + years["2030"])
    _, r, _ = _schedule(asc606.EXAMPLE_8)
    m = _months(r)
    row("8", "revenue year 1 (60 %)", "600000.00", m[("2026-12", "building")])
    row("8", "cumulative catch-up at the modification", "91200.00", m[("2027-01", "building")])


def example_6() -> None:
    _, r, _ = _schedule(asc606.EXAMPLE_6)
    for line, published in (("X", "620.00"), ("Y", "460.00"), ("Z", "460.00")):
        row("6", f"revenue {line} after the modification and the +40 estimate", published, r.allocation[line])


def journal_examples() -> None:
    from collections import defaultdict as dd
    from datetime import date

    from clm.downstream.journal import ACCOUNTS, Received, build_journal

    def net(doc: dict[str, Any], as_of: date, paid: str | None = None) -> dict[tuple[str, str], Decimal]:
        terms, r, b = _schedule(doc)
        cash = [Received(date.fromisoformat(paid), b[0].number, b[0].total)] if paid else []
        out: dict[tuple[str, str], Decimal] = dd(Decimal)
        for e in build_journal(terms, b, r, as_of, payments=cash):
            out[(e.date.isoformat(), e.account)] += e.debit - e.credit
        return out

    ar, asset, liability, revenue, cash = (ACCOUNTS[k] for k in ("receivable", "contract_asset", "contract_liability",
                                                                  "revenue", "cash"))
    ex38 = {"currency": "USD", "signed_on": "2026-01-01", "lines": [
        {"id": "P", "price": "1000.00", "recognition": "point_in_time", "satisfied_on": "2026-03-31",
         "billing": {"frequency": "once", "on": "2026-01-31"}}]}
    n = net({**ex38, "cancellable": True}, date(2026, 3, 31), paid="2026-03-01")
    row("38 A", "31 Jan (cancellable, due): no entry", "0.00", sum((v for (d, _), v in n.items() if d == "2026-01-31"),
                                                                   Decimal("0.00")))
    row("38 A", "1 Mar Dr cash", "1000.00", n[("2026-03-01", cash)])
    row("38 A", "1 Mar Cr contract liability", "-1000.00", n[("2026-03-01", liability)])
    row("38 A", "31 Mar Dr contract liability", "1000.00", n[("2026-03-31", liability)])
    row("38 A", "31 Mar Cr revenue", "-1000.00", n[("2026-03-31", revenue)])
    n = net(ex38, date(2026, 3, 31), paid="2026-03-01")
    row("38 B", "31 Jan Dr receivable", "1000.00", n[("2026-01-31", ar)])
    row("38 B", "31 Jan Cr contract liability", "-1000.00", n[("2026-01-31", liability)])
    row("38 B", "1 Mar Dr cash", "1000.00", n[("2026-03-01", cash)])
    row("38 B", "1 Mar Cr receivable", "-1000.00", n[("2026-03-01", ar)])
    row("38 B", "31 Mar Dr contract liability", "1000.00", n[("2026-03-31", liability)])
    row("38 B", "31 Mar Cr revenue", "-1000.00", n[("2026-03-31", revenue)])
    n = net({"currency": "USD", "signed_on": "2026-01-01", "lines": [
        {"id": "A", "price": "1000.00", "ssp": "400.00", "recognition": "point_in_time", "satisfied_on": "2026-01-31",
         "billing": {"frequency": "once", "on": "2026-03-31"}},
        {"id": "B", "price": "0.00", "ssp": "600.00", "recognition": "point_in_time", "satisfied_on": "2026-03-31",
         "billing": {"frequency": "once", "on": "2026-03-31"}}]}, date(2026, 3, 31))
    row("39", "A delivered: Dr contract asset", "400.00", n[("2026-01-31", asset)])
    row("39", "A delivered: Cr revenue", "-400.00", n[("2026-01-31", revenue)])
    row("39", "B delivered: Dr receivable", "1000.00", n[("2026-03-31", ar)])
    row("39", "B delivered: Cr contract asset", "-400.00", n[("2026-03-31", asset)])
    row("39", "B delivered: Cr revenue", "-600.00", n[("2026-03-31", revenue)])


def proration_rules() -> None:
    from datetime import date

    from clm.downstream.billing import billing_periods, due_date

    seats = parse_terms({"currency": "USD", "signed_on": "2026-01-01", "lines": [
        {"id": "seats", "quantity": 10, "unit_price": "100.00", "recognition": "ratable", "start": "2026-01-01",
         "end": "2026-12-31", "billing": {"frequency": "monthly"},
         "seats": [{"from": "2026-03-16", "quantity": 15}, {"from": "2026-06-11", "quantity": 12}]}]})
    charges = {(inv.date.isoformat(), ln.description): ln.amount for inv in build_billing_schedule(seats)
               for ln in inv.lines if "seats from" in ln.description}
    # Kill Bill / Lago / Stripe daily proration: the change's days of the period over its days.
    row("prorate", "+5 seats from 16 Mar: 5 x 100 x 16/31", "258.06", charges[("2026-03-16", "(+5 seats from 2026-03-16)")])
    row("prorate", "+5 seats in April (a full period)", "500.00", charges[("2026-04-01", "(+5 seats from 2026-03-16)")])
    row("prorate", "-3 seats from 11 Jun: -3 x 100 x 20/30", "-200.00", charges[("2026-06-11", "(-3 seats from 2026-06-11)")])
    periods = billing_periods(date(2026, 1, 31), date(2026, 4, 30), 1)
    row("prorate", "monthly from 31 Jan: second period starts", "2026-02-28", periods[1][0].isoformat())
    row("prorate", "monthly from 31 Jan: third period starts", "2026-03-31", periods[2][0].isoformat())
    stub = parse_terms({"currency": "USD", "signed_on": "2026-01-01", "lines": [
        {"id": "l", "price": "1200.00", "recognition": "ratable", "start": "2026-01-01", "end": "2026-02-14",
         "billing": {"frequency": "monthly"}}]})
    amounts = [inv.total for inv in build_billing_schedule(stub)]
    # 1 full month + 14/28 of February: 1200 x 1/1.5 = 800.00 and 400.00.
    row("prorate", "stub: full January of 1 + 14/28", "800.00", amounts[0])
    row("prorate", "stub: 14 of February's 28 days", "400.00", amounts[1])
    net24 = parse_terms({"currency": "USD", "signed_on": "2026-12-01", "payment_terms_days": 24, "lines": [
        {"id": "l", "price": "1.00", "recognition": "point_in_time", "satisfied_on": "2026-12-01",
         "billing": {"frequency": "once"}}]})
    row("due", "net 24 from 1 Dec (25 Dec, a Friday holiday) -> Monday", "2026-12-28",
        due_date(net24, date(2026, 12, 1)).isoformat())


def main() -> int:
    for section in (allocation_examples, modification_examples, *EXTRA):
        section()
    width = max(len(r[1]) for r in ROWS)
    bad = 0
    print(f"{'example':8} {'figure':{width}} {'published':>12} {'clm':>12}  match")
    for example, figure, published, ours in ROWS:
        ok = Decimal(published) == Decimal(ours) if _number(published) and _number(ours) else published == ours
        bad += not ok
        print(f"{example:8} {figure:{width}} {published:>12} {ours:>12}  {'yes' if ok else 'NO'}")
    print(f"{len(ROWS) - bad} of {len(ROWS)} figures match to the cent.")
    return 1 if bad else 0


def _number(text: str) -> bool:
    try:
        Decimal(text)
    except ArithmeticError:
        return False
    return True


#: Sections added by later items (journal, proration).
EXTRA: list[Any] = [example_6, journal_examples, proration_rules]

if __name__ == "__main__":
    sys.exit(main())
