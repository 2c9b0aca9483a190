"""Clause services: extraction runs once per version, decisions make the contract's terms."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from clm.clauses import services
from clm.clauses.models import DecisionAction, ExtractedTerm, ExtractionRun
from clm.errors import Conflict, InvalidInput
from clm.versions import store

CONTRACT = (
    "SERVICES AGREEMENT\n"
    "This Services Agreement is entered into as of June 1, 2026 between Alpha Corp. (\"Alpha\") and Beta LLC (\"Beta\").\n"
    "1. Term. This Agreement continues for an initial term of two (2) years and renews automatically for successive "
    "one (1) year terms unless either party gives notice of non-renewal at least ninety (90) days before the end of the then-current term.\n"
    "2. Law. This Agreement is governed by the laws of the State of New York.\n"
)


@pytest.fixture
def version(app, session):
    v = store.import_file(session, store.Upload(CONTRACT.encode(), "services.txt"),
                          limits=store.limits_from_settings(app.config), author="lee")
    session.commit()
    return v


def test_extraction_stores_values_with_evidence_and_runs_once(session, version):
    run = services.extract_version(session, version.id)
    session.commit()
    found = {t.field: t for t in run.terms}
    assert found["governing_law"].value == "New York"
    assert found["non_renewal_notice"].value == "P90D"
    start, end = found["governing_law"].evidence[0]
    assert "New York" in version.text[start:end]
    assert 0 < found["governing_law"].confidence <= 1
    again = services.extract_version(session, version.id)
    session.commit()
    assert again.id == run.id
    assert session.scalar(select(func.count()).select_from(ExtractionRun)) == 1
    assert session.scalar(select(func.count()).select_from(ExtractedTerm)) == len(run.terms)


def test_confirm_correct_and_clear_make_the_contract_terms(session, version):
    services.extract_version(session, version.id)
    contract = version.contract
    services.decide(session, contract, "governing_law", action=DecisionAction.CONFIRMED, by="lee")
    services.decide(session, contract, "renewal_term", action=DecisionAction.CORRECTED, value="P2Y", by="kim",
                    comment="side letter")
    services.decide(session, contract, "auto_renewal", action=DecisionAction.CONFIRMED, by="lee")
    services.decide(session, contract, "auto_renewal", action=DecisionAction.CLEARED, by="kim")
    session.commit()
    terms = services.contract_terms(session, contract.id)
    assert {k: (d.value, d.decided_by) for k, d in terms.items()} == {
        "governing_law": ("New York", "lee"), "renewal_term": ("P2Y", "kim")}
    assert terms["renewal_term"].action is DecisionAction.CORRECTED and terms["renewal_term"].comment == "side letter"


def test_confirming_a_term_that_was_not_found_is_refused(session, version):
    services.extract_version(session, version.id)
    with pytest.raises(Conflict, match="nothing was found"):
        services.decide(session, version.contract, "payment_terms", action=DecisionAction.CONFIRMED, by="lee")


def test_the_panel_shows_what_changed_in_a_new_version(app, session, version):
    services.extract_version(session, version.id)
    services.decide(session, version.contract, "governing_law", action=DecisionAction.CONFIRMED, by="lee")
    v2 = store.import_file(session, store.Upload(CONTRACT.replace("New York", "Delaware").encode(), "v2.txt"),
                           limits=store.limits_from_settings(app.config), author="them",
                           contract_id=version.contract_id)
    services.extract_version(session, v2.id)
    session.commit()
    panel = services.terms_panel(session, v2.contract)
    rows = {row.field.name: row for row in panel.rows}
    law = rows["governing_law"]
    assert law.extracted.value == "Delaware" and law.changed and law.previous_value == "New York"
    assert law.status == "confirmed on an earlier version"
    assert not rows["non_renewal_notice"].changed


@pytest.mark.parametrize(("field", "raw", "expected"), [
    ("auto_renewal", "Yes", True),
    ("auto_renewal", "no", False),
    ("renewal_term", "p1y", "P1Y"),
    ("renewal_term", "12 months", "P12M"),
    ("non_renewal_notice", "60 days", "P60D"),
    ("effective_date", "2026-06-01", "2026-06-01"),
    ("price_increase_cap", "3.5%", 3.5),
    ("parties", "Alpha Corp.; Beta LLC", ["Alpha Corp.", "Beta LLC"]),
    ("governing_law", " England and Wales ", "England and Wales"),
    # Issue 18: the correction form reads the extractor's own wording, business days included.
    ("non_renewal_notice", "thirty (30) days", "P30D"),
    ("termination_notice", "thirty (30) business days", "P30BD"),
    ("non_renewal_notice", "P30BD", "P30BD"),
    ("governing_law", "the laws of the State of New York", "New York"),
    ("effective_date", "June 1, 2026", "2026-06-01"),
    ("renewal_limit", "three (3)", 3),
    ("billing_frequency", "annually", "annual"),
    ("fees", "USD 135,000.00 per year; EUR 5,000", [
        {"amount": "135000.00", "currency": "USD", "period": "annual"},
        {"amount": "5000.00", "currency": "EUR", "period": None}]),
    ("fees", "KWD 1,250.500 per month", [{"amount": "1250.500", "currency": "KWD", "period": "monthly"}]),
])
def test_corrections_are_read_by_the_kind_of_term(field, raw, expected):
    assert services.parse_correction(field, raw) == expected


@pytest.mark.parametrize(("field", "raw", "message"), [
    # One message shape: the field's label, the wording, what it should be.
    ("auto_renewal", "maybe", "Auto-renewal: cannot read 'maybe' as yes or no"),
    ("renewal_term", "a while", "Renewal term: cannot read 'a while' as a duration"),
    ("renewal_term", "P", "Renewal term: cannot read 'P' as a duration"),
    ("renewal_term", "P1M15D", "Renewal term: cannot read 'P1M15D' as a duration in one unit"),
    ("effective_date", "June 1", "Effective date: cannot read 'June 1' as a date"),
    ("price_increase_cap", "lots", "Price increase cap \\(%\\): cannot read 'lots' as a percentage"),
    ("fees", "USD 12.345", "Fees: cannot read 'USD 12.345' as an amount with at most 2 decimals in USD"),
    ("fees", "a lot of money", "Fees: cannot read 'a lot of money' as a fee"),
    ("governing_law", "   ", "enter a value"),
    ("no_such_term", "x", "Unknown term"),
])
def test_bad_corrections_name_the_term(field, raw, message):
    with pytest.raises(InvalidInput, match=message):
        services.parse_correction(field, raw)


def test_a_correction_of_a_term_that_was_not_found_is_current(session, version):
    services.extract_version(session, version.id)
    services.decide(session, version.contract, "payment_terms", action=DecisionAction.CORRECTED, value="P45D",
                    by="kim")
    session.commit()
    row = next(r for r in services.terms_panel(session, version.contract).rows if r.field.name == "payment_terms")
    assert row.extracted is None and row.status == "corrected"


def test_term_values_for_many_contracts_agree_with_each_contract_panel(app, session, version):
    """The archive-wide export reads term_values; it must say what each contract's panel says."""
    services.extract_version(session, version.id)
    services.decide(session, version.contract, "governing_law", action=DecisionAction.CONFIRMED, by="lee")
    services.decide(session, version.contract, "renewal_term", action=DecisionAction.CORRECTED, value="P2Y", by="kim")
    services.decide(session, version.contract, "auto_renewal", action=DecisionAction.CONFIRMED, by="lee")
    services.decide(session, version.contract, "auto_renewal", action=DecisionAction.CLEARED, by="kim")
    limits = store.limits_from_settings(app.config)
    second = store.import_file(session, store.Upload(CONTRACT.replace("New York", "Delaware").encode(), "v2.txt"),
                               limits=limits, author="lee", contract_id=version.contract_id)
    services.extract_version(session, second.id)
    other = store.import_file(session, store.Upload(CONTRACT.encode() + b"\nSchedule A.\n", "other.txt"),
                              limits=limits, author="lee")
    services.extract_version(session, other.id)
    unread = store.import_file(session, store.Upload(b"Not yet extracted.\n", "unread.txt"), limits=limits, author="lee")
    session.commit()
    ids = [version.contract_id, other.contract_id, unread.contract_id]
    values = services.term_values(session, ids)
    for contract_id in ids:
        panel = services.terms_panel(session, store.get_contract(session, contract_id))
        expected = {}
        for row in panel.rows:
            if row.decision is not None and row.decision.action is not DecisionAction.CLEARED:
                expected[row.field.name] = (row.decision.value, "confirmed")
            elif row.extracted is not None and row.decision is None:
                expected[row.field.name] = (row.extracted.value, "extracted")
        assert values[contract_id] == (panel.version.number, expected)
    number, first = values[version.contract_id]
    assert number == 2 and first["governing_law"] == ("New York", "confirmed") and "auto_renewal" not in first
    assert values[unread.contract_id] == (1, {})
