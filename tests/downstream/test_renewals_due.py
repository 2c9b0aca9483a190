"""Renewals due read from the renewal_terms projection say what the calendar over every order's terms says."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from clm import db
from clm.downstream import outbox, reports
from clm.downstream.models import Order, RenewalTerm
from clm.downstream.orders import cancel_order
from clm.downstream.renewals import renewal_calendar
from tests.downstream.examples import saas_doc


def _line(start: str, end: str) -> dict:
    return {"id": "saas", "description": "Subscription", "price": "12000.00", "ssp": "12000.00",
            "recognition": "ratable", "start": start, "end": end, "billing": {"frequency": "annual", "timing": "advance"}}


def _calendar(s, today: dt.date, within: int) -> list[tuple[str, dt.date, dt.date | None, int, bool]]:
    """The definition: every uncancelled order's terms through renewals.renewal_calendar."""
    from clm.downstream.orders import cancelled_order_ids

    cancelled = cancelled_order_ids(s)
    terms = [(str(o.contract_id), reports.order_terms(s, o)) for o in s.scalars(select(Order).order_by(Order.id))
             if o.id not in cancelled]
    return [(e.contract, e.renewal_date, e.notice_deadline, e.term_number, e.evergreen)
            for e in renewal_calendar(terms, today, within)]


def _due(s, today: dt.date, within: int) -> list[tuple[str, dt.date, dt.date | None, int, bool]]:
    return [(r.event.contract, r.event.renewal_date, r.event.notice_deadline, r.event.term_number, r.event.evergreen)
            for r in reports.renewals_due(s, today, within)]


def test_renewals_due_match_the_calendar_before_and_after_rolling(make_signed, plain):
    docs = [
        saas_doc(),                                                             # P1Y, 60 days' notice
        saas_doc(lines=[_line("2020-03-01", "2021-02-28")]),                    # renewed five times by 2026
        saas_doc(lines=[_line("2024-01-31", "2024-02-29")],                     # monthly, from a month end
                 renewal={"auto_renewal": True, "renewal_term": "P1M", "non_renewal_notice": "P10D"}),
        saas_doc(lines=[_line("2025-06-01", "2026-05-31")], renewal={"auto_renewal": False}),
        saas_doc(lines=[_line("2021-01-01", "2021-12-31")], renewal={"auto_renewal": False}),  # expired
        saas_doc(lines=[_line("2025-03-01", "2026-02-28")],                     # evergreen: runs on
                 renewal={"auto_renewal": True, "renewal_term": "perpetual", "non_renewal_notice": "P30D"}),
        saas_doc(lines=[_line("2026-01-01", "2026-12-31")]),                    # cancelled below
    ]
    signed = [make_signed(doc, title=f"Contract {i}", counterparty=f"Party {i}") for i, doc in enumerate(docs)]
    outbox.drain(plain)
    with db.transaction_for(plain) as s:
        cancel_order(s, signed[-1].contract_id, dt.date(2026, 6, 1), by="finance@example.test", now=db.utcnow())
    for today in (dt.date(2025, 12, 20), dt.date(2026, 4, 2), dt.date(2026, 11, 1), dt.date(2027, 2, 27)):
        with db.transaction_for(plain) as s:
            for within in (0, 30, 90, 400):
                assert _due(s, today, within) == _calendar(s, today, within), (today, within)
            first = reports.roll_renewals(s, today)
            again = reports.roll_renewals(s, today)
            assert again == 0
            for within in (0, 30, 90, 400):
                assert _due(s, today, within) == _calendar(s, today, within), (today, within, "rolled")
            if today == dt.date(2025, 12, 20):
                assert first == 2        # the 2020 and the monthly contract had moved on
                assert (str(signed[5].contract_id), dt.date(2026, 3, 1), dt.date(2026, 1, 29), 0, True) \
                    in _due(s, today, 90)  # the evergreen contract's last notice deadline
            if today == dt.date(2026, 11, 1):
                assert first == 1        # only the monthly one moved since April
                monthly = s.get(RenewalTerm, _renewal_id(s, signed[2].contract_id))
                assert (monthly.term_start, monthly.term_end) == (dt.date(2026, 11, 1), dt.date(2026, 11, 30))


def _renewal_id(s, contract_id: int) -> int:
    return s.scalar(select(RenewalTerm.renewal_id).where(RenewalTerm.contract_id == contract_id))


def test_an_evergreen_contract_runs_on_past_its_initial_term(make_signed, plain):
    evergreen = {"auto_renewal": True, "renewal_term": "perpetual", "non_renewal_notice": "P30D"}
    signed = make_signed(saas_doc(lines=[_line("2025-03-01", "2026-02-28")], renewal=evergreen))
    outbox.drain(plain)
    with db.transaction_for(plain) as s:
        during = reports.renewal_json(s, signed.contract_id, dt.date(2026, 1, 10))
        assert during["renewal_term"] == "perpetual" and during["evergreen"] is True and during["runs_on"] is None
        assert (during["upcoming"]["notice_deadline"], during["upcoming"]["evergreen"]) == ("2026-01-29", True)
        after = reports.renewal_json(s, signed.contract_id, dt.date(2026, 7, 6))
        assert after["upcoming"] is None
        # Notice given on Monday 6 July 2026 takes effect thirty days later.
        assert after["runs_on"] == {"since": "2026-03-01", "notice": "P30D", "earliest_end": "2026-08-05"}
        assert reports.roll_renewals(s, dt.date(2026, 7, 6)) == 0     # no renewal term to roll into
        assert reports.renewals_due(s, dt.date(2026, 7, 6), 3650) == []
