"""Values flow from a contract's wording to money and deadlines (issue 18): business days, fees, holidays."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from clm import db
from clm.clauses.extract import extract
from clm.clauses.models import DecisionAction, TermDecision
from clm.downstream import commercial, outbox
from clm.downstream.models import Renewal
from clm.downstream.renewals import upcoming_renewal
from clm.downstream.terms import parse_terms, terms_hash
from clm.values import calendars
from clm.versions import store
from tests.downstream.examples import saas_doc

WORDING = (
    "This Agreement is effective as of January 1, 2026 and shall continue until December 31, 2026. "
    "This Agreement shall automatically renew for successive one (1) year terms unless either party gives "
    "written notice of non-renewal at least ten (10) business days prior to the end of the then-current term. "
    "Customer shall pay fees of USD 120,000.00 per year. "
    "This Agreement is governed by the laws of the State of New York."
)


def _confirm_what_was_extracted(s, contract_id: int, found: dict) -> None:
    contract = store.get_contract(s, contract_id)
    for field, value in found.items():
        s.add(TermDecision(contract_id=contract.id, version_id=contract.latest.id, field=field,
                           action=DecisionAction.CONFIRMED, value=value, decided_by="legal",
                           decided_at=db.utcnow(), comment=""))


def test_business_days_and_fees_flow_from_extraction_to_the_renewal_deadline(make_signed, plain):
    found = extract(WORDING).fields
    # "ten (10) business days" was read as P10D: the deadline came out four days late.
    assert found["non_renewal_notice"] == "P10BD"
    assert found["fees"] == [{"amount": "120000.00", "currency": "USD", "period": "annual"}]
    signed = make_signed(attach=False)
    with db.transaction_for(plain) as s:
        _confirm_what_was_extracted(s, signed.contract_id, found)
    with db.transaction_for(plain) as s:
        doc, notes = commercial.prefill(s, store.get_contract(s, signed.contract_id), date(2026, 1, 1))
    # The fees prefill the commercial terms (the prefill once read only a hand-written string).
    assert doc["currency"] == "USD" and doc["lines"][0]["price"] == "120000.00"
    assert doc["lines"][0]["billing"]["frequency"] == "annual"
    assert doc["renewal"]["non_renewal_notice"] == "P10BD"
    # The calendar of the governing law, for the person to confirm by saving the document.
    assert doc["holidays"] == "US-NY" and "holidays from the confirmed governing law" in notes
    terms = parse_terms(doc)           # the terms document once refused P10BD
    event = upcoming_renewal(terms, date(2026, 6, 1))
    assert event is not None and event.term_end == date(2026, 12, 31)
    # Ten business days back from Thursday 31 December 2026, skipping weekends and Christmas Day:
    # 30, 29, 28, 24, 23, 22, 21, 18, 17, 16.
    assert event.notice_deadline == date(2026, 12, 16)


def _christmas_doc(**changes):
    doc = saas_doc(**changes)
    # 30 days before 24 January 2027 is Friday 25 December 2026.
    doc["lines"][0]["end"] = "2027-01-24"
    doc["renewal"]["non_renewal_notice"] = "P30D"
    return doc


def test_a_deadline_on_a_holiday_moves_to_the_business_day_before():
    assert upcoming_renewal(parse_terms(_christmas_doc()), date(2026, 6, 1)).notice_deadline == date(2026, 12, 24)
    weekends_only = upcoming_renewal(parse_terms(_christmas_doc(holidays="none")), date(2026, 6, 1))
    assert weekends_only.notice_deadline == date(2026, 12, 25)


def test_the_contracts_own_calendar_overrides_the_default():
    doc = _christmas_doc(holidays="GB")
    doc["lines"][0]["end"] = "2027-01-25"       # 30 days before: Saturday 26 December, Boxing Day
    terms = parse_terms(doc)
    assert terms.holidays == "GB"
    assert upcoming_renewal(terms, date(2026, 6, 1)).notice_deadline == date(2026, 12, 24)


def test_the_default_calendar_is_a_setting():
    try:
        calendars.configure("none")
        assert upcoming_renewal(parse_terms(_christmas_doc()), date(2026, 6, 1)).notice_deadline == date(2026, 12, 25)
    finally:
        calendars.configure(calendars.DEFAULT)
    with pytest.raises(ValueError, match="holiday calendar"):
        calendars.configure("XX")


def test_a_document_without_a_calendar_hashes_as_before():
    # Hashes stored before calendars existed must still verify (RELIABILITY T3).
    assert "holidays" not in commercial.terms_to_dict(parse_terms(saas_doc()))
    assert terms_hash(parse_terms(saas_doc())) != terms_hash(parse_terms(saas_doc(holidays="US")))


def test_the_renewal_row_keeps_its_calendar_and_its_holiday_deadline(make_signed, plain):
    signed = make_signed(_christmas_doc(holidays="US"))
    outbox.drain(plain)
    with db.transaction_for(plain) as s:
        renewal = s.scalars(select(Renewal).where(Renewal.contract_id == signed.contract_id)).one()
        assert (renewal.holidays, renewal.notice_deadline) == ("US", date(2026, 12, 24))


def test_payment_terms_in_business_days_count_on_the_calendar():
    from clm.downstream.billing import build_billing_schedule

    doc = saas_doc(payment_terms="P10BD")
    del doc["payment_terms_days"]
    doc["lines"][0]["start"] = "2026-12-18"
    doc["lines"][0]["end"] = "2027-12-17"
    terms = parse_terms(doc)
    first = next(inv for inv in build_billing_schedule(terms) if inv.date == date(2026, 12, 18))
    # Issued Friday 18 December 2026: ten business days skip two weekends, Christmas and New Year's Day.
    assert (first.date, first.due) == (date(2026, 12, 18), date(2027, 1, 5))
    assert commercial.terms_to_dict(terms)["payment_terms"] == "P10BD"
