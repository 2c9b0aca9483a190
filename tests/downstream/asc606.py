"""ASC 606 illustrative examples as terms documents, shared by the tests and benchmarks/asc606_examples.py.

Each ``EXAMPLES`` entry is (name, terms document, published figures); the figures are what
the FASB's illustrative examples (ASC 606-10-55) state, worked to the cent where the
standard rounds to the dollar or to a tenth of a percent.
"""

from __future__ import annotations

import copy
from typing import Any


def _pit(id_: str, price: str, ssp: str, on: str, **extra: Any) -> dict[str, Any]:
    return {"id": id_, "description": f"Product {id_}", "price": price, "ssp": ssp,
            "recognition": "point_in_time", "satisfied_on": on,
            "billing": {"frequency": "once", "timing": "arrears"}, **extra}


#: Example 33 (606-10-55-256 to 55-258): A, B and C for 100; SSPs 50, 25 and 75 (directly
#: observable, adjusted market assessment, expected cost plus margin) -> 33 / 17 / 50.
EXAMPLE_33: dict[str, Any] = {
    "currency": "USD", "signed_on": "2026-01-05",
    "lines": [_pit("A", "100.00", "50.00", "2026-01-31"), _pit("B", "0.00", "25.00", "2026-01-31"),
              _pit("C", "0.00", "75.00", "2026-01-31")],
}

#: Example 34 Case A (55-259 to 55-264): A 40, B 55, C 45 sold together for 100; B and C are
#: regularly sold together for 60, so the 40 discount belongs to B and C: 40 / 33 / 27.
EXAMPLE_34A: dict[str, Any] = {
    "currency": "USD", "signed_on": "2026-01-05",
    "lines": [_pit("A", "50.00", "40.00", "2026-01-31"), _pit("B", "25.00", "55.00", "2026-02-28"),
              _pit("C", "25.00", "45.00", "2026-03-31")],
    "discount": {"lines": ["B", "C"]},
}

#: Case B (55-265 to 55-268): D added for 30 (130 in all); D's SSP is highly variable (15 to 45),
#: so it is the residual after A, B and C take 100: 40 / 33 / 27 / 30.
EXAMPLE_34B: dict[str, Any] = copy.deepcopy(EXAMPLE_34A)
EXAMPLE_34B["lines"].append(_pit("D", "30.00", "residual", "2026-03-31", ssp_range=["15.00", "45.00"]))
EXAMPLE_34B["discount"] = {"lines": ["B", "C"], "amount": "40.00"}

#: Case C (55-269): the same for 105: the residual 5 is outside 15 to 45, so the residual
#: approach does not depict D's SSP and must not be used (refused).
EXAMPLE_34C: dict[str, Any] = copy.deepcopy(EXAMPLE_34B)
EXAMPLE_34C["lines"][3]["price"] = "5.00"

#: Example 5 (55-111 to 55-116): 120 products for 12,000 (100 each) over six months, modelled as
#: two deliveries of 60 (end of March and end of June); after the first 60, 30 more.
EXAMPLE_5_BASE: dict[str, Any] = {
    "currency": "USD", "signed_on": "2026-01-02",
    "lines": [
        {"id": "first60", "description": "60 products", "price": "6000.00", "ssp": "6000.00",
         "recognition": "point_in_time", "satisfied_on": "2026-03-31",
         "billing": {"frequency": "once", "timing": "arrears"}},
        {"id": "last60", "description": "60 products", "price": "6000.00", "ssp": "6000.00",
         "recognition": "point_in_time", "satisfied_on": "2026-06-30",
         "billing": {"frequency": "once", "timing": "arrears"}},
    ],
}
#: Case A: the 30 at 95 each, their SSP: a separate contract (606-10-25-12).
EXAMPLE_5A = copy.deepcopy(EXAMPLE_5_BASE)
EXAMPLE_5A["modifications"] = [{"effective": "2026-04-01", "treatment": "separate_contract", "lines": [
    {"id": "extra30", "description": "30 more products", "price": "2850.00", "ssp": "2850.00",
     "recognition": "point_in_time", "satisfied_on": "2026-06-30",
     "billing": {"frequency": "once", "timing": "arrears"}}]}]
#: Case B: the 30 at 80 each (not their SSP) less a 900 credit (15 x 60) for defects in what was
#: delivered: the credit reduces revenue at the modification; the 60 remaining and the 30 new
#: products (identical, so the same SSP each) share 6,000 + 2,400 = 8,400: 93.33 a product.
EXAMPLE_5B = copy.deepcopy(EXAMPLE_5_BASE)
EXAMPLE_5B["modifications"] = [{"effective": "2026-04-01", "treatment": "prospective",
                                "concession": {"line": "first60", "amount": "900.00"}, "lines": [
    {"id": "extra30", "description": "30 more products", "price": "2400.00", "ssp": "3000.00",
     "recognition": "point_in_time", "satisfied_on": "2026-06-30",
     "billing": {"frequency": "once", "timing": "arrears"}}]}]

#: Example 7 (55-125 to 55-128): three years of services at 100,000 a year, billed yearly in
#: advance; at the start of year 3 the year-3 fee drops to 80,000 and three more years are
#: added for 200,000 (billed 66,666.67 a year). SSP then 80,000 a year. Prospective: 280,000
#: over the four remaining years, 70,000 a year (by days: 2028 has 366). Years 2025 to 2027
#: have no 29 February, so the first three years recognize 100,000 each by days too.
EXAMPLE_7: dict[str, Any] = {
    "currency": "USD", "signed_on": "2025-01-01",
    "lines": [{"id": "svc", "description": "Services", "price": "300000.00", "ssp": "300000.00",
               "recognition": "ratable", "start": "2025-01-01", "end": "2027-12-31",
               "billing": {"frequency": "annual", "timing": "advance"}}],
    "modifications": [{"effective": "2027-01-01", "treatment": "prospective",
                       "reprice": [{"line": "svc", "price": "80000.00", "ssp": "80000.00"}],
                       "lines": [{"id": "ext", "description": "Services, years 4 to 6", "price": "200000.00",
                                  "ssp": "240000.00", "recognition": "ratable", "start": "2028-01-01",
                                  "end": "2030-12-31", "billing": {"frequency": "annual", "timing": "advance"}}]}],
}

#: Example 8 (55-129 to 55-133): a building for 1,000,000 (a 200,000 bonus constrained out),
#: expected costs 700,000; 60 % complete at the end of year 1 (600,000). The modification adds
#: 150,000 and 120,000 of costs, and the bonus becomes probable: 1,350,000; progress 420/820
#: = 51.2 %: a cumulative catch-up of 51.2 % x 1,350,000 - 600,000 = 91,200.
EXAMPLE_8: dict[str, Any] = {
    "currency": "USD", "signed_on": "2026-01-01",
    "lines": [{"id": "building", "description": "Building", "price": "1000000.00",
               "recognition": "progress",
               "progress": [{"on": "2026-12-31", "percent": "60"}, {"on": "2027-12-31", "percent": "100"}],
               "billing": {"frequency": "once", "on": "2027-12-31"}}],
    "modifications": [{"effective": "2027-01-01", "treatment": "cumulative_catch_up", "lines": [
        {"id": "building", "price": "350000.00",
         "progress": [{"on": "2026-12-31", "percent": "51.2"}, {"on": "2027-12-31", "percent": "100"}]}]}],
}

#: Example 6 (55-117 to 55-124): X and Y for 1,000 fixed + 200 variable (estimated), SSPs equal:
#: 600 each; X delivered at once. Z is added for 300 (not its SSP, equal to Y's): prospective,
#: Y and Z share 600 + 300 = 900, 450 each. Then the variable estimate rises to 240: the 40 is
#: allocated as at inception, 20 to X (revenue at once) and 20 to Y, which the modification
#: pooled with Z, so 10 each: X 620, Y 460, Z 460.
EXAMPLE_6: dict[str, Any] = {
    "currency": "USD", "signed_on": "2026-07-01",
    "lines": [_pit("X", "600.00", "600.00", "2026-07-01"), _pit("Y", "600.00", "600.00", "2026-12-31")],
    "modifications": [{"effective": "2026-09-01", "treatment": "prospective", "lines": [
        _pit("Z", "300.00", "600.00", "2026-12-31")]}],
    "price_changes": [{"on": "2026-10-15", "amount": "40.00"}],
}
