"""Deviation approvals: what needs legal's approval, decisions, and what a new version invalidates."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from clm.clauses import approvals
from clm.clauses.models import ApprovalDecision, ClauseApproval
from clm.demo import _CONTOSO_EDIT, _MSA_VALUES, _edit_paragraph
from clm.errors import Conflict, NotFound
from clm.users import Role
from clm.versions import store

CONFIDENTIAL = "reasonable person would understand to be confidential"


@pytest.fixture(scope="module")
def drafts():
    from clm.clauses.drafting import draft_docx
    from clm.clauses.library import default_library_path, load_library

    library = load_library(default_library_path())
    msa = library.template("master_subscription_agreement")
    standard = draft_docx(msa, library, _MSA_VALUES)
    fallbacks = draft_docx(msa, library, _MSA_VALUES, positions={"fees_and_payment": "fallback_1",
                                                                  "limitation_of_liability": "fallback_2"})
    edited = _edit_paragraph(fallbacks, CONFIDENTIAL, _CONTOSO_EDIT)
    return {"standard": standard, "fallbacks": fallbacks, "edited": edited,
            "edited_again": _edit_paragraph(fallbacks, CONFIDENTIAL, _CONTOSO_EDIT + " Also its insurers."),
            "library": library}


def _add(app, session, data, contract_id=None, name="msa.docx"):
    version = store.import_file(session, store.Upload(data, name), limits=store.limits_from_settings(app.config),
                                author="lee", contract_id=contract_id)
    session.commit()
    return version


def _review(app, session, contract):
    return approvals.review_for(session, contract, app.config)


def test_a_contract_drafted_from_the_library_needs_no_approval(app, session, drafts):
    contract = _add(app, session, drafts["standard"]).contract
    review = _review(app, session, contract)
    statuses = {row.analyzed.clause_type: row.status for row in review.rows if row.analyzed.clause_type}
    assert statuses["governing_law"] == "standard" and statuses["fees_and_payment"] == "standard"
    assert review.pending == ()
    approvals.ensure_approved(session, contract, drafts["library"], store.limits_from_settings(app.config), 1)


def test_fallbacks_beyond_the_level_and_nonstandard_clauses_need_approval(app, session, drafts):
    contract = _add(app, session, drafts["edited"]).contract
    review = _review(app, session, contract)
    pending = {row.analyzed.clause_type: row.status for row in review.pending}
    assert pending == {"limitation_of_liability": "fallback 2", "confidentiality": "nonstandard"}
    confidentiality = next(r for r in review.pending if r.analyzed.clause_type == "confidentiality")
    inserted = " ".join(text for op, text in confidentiality.analyzed.match.ops if op == "insert")
    assert "auditors and regulators" in inserted
    with pytest.raises(Conflict, match="2 clause\\(s\\) deviate"):
        approvals.ensure_approved(session, contract, drafts["library"], store.limits_from_settings(app.config), 1)
    app.config["APPROVAL_FALLBACK_LEVEL"] = 2
    assert {r.analyzed.clause_type for r in _review(app, session, contract).pending} == {"confidentiality"}


def test_approvals_carry_over_unchanged_clauses_and_not_changed_ones(app, session, drafts):
    first = _add(app, session, drafts["edited"])
    contract = first.contract
    library, limits = drafts["library"], store.limits_from_settings(app.config)
    for row in _review(app, session, contract).pending:
        approvals.decide(session, contract, row.hash, decision=ApprovalDecision.APPROVED, by="kim",
                         comment="fine for this customer", library=library, limits=limits, fallback_level=1)
    session.commit()
    assert _review(app, session, contract).pending == ()
    approvals.ensure_approved(session, contract, library, limits, 1)
    # A new version with the same confidentiality wording and a changed one.
    _add(app, session, drafts["edited_again"], contract_id=contract.id, name="v2.docx")
    session.refresh(contract)
    pending = _review(app, session, contract).pending
    assert [row.analyzed.clause_type for row in pending] == ["confidentiality"]
    liability = next(r for r in _review(app, session, contract).rows if r.analyzed.clause_type == "limitation_of_liability")
    assert liability.decision.decided_by == "kim" and not liability.pending


def test_a_rejection_needs_a_reason_and_unknown_clauses_are_refused(app, session, drafts):
    contract = _add(app, session, drafts["edited"]).contract
    library, limits = drafts["library"], store.limits_from_settings(app.config)
    row = _review(app, session, contract).pending[0]
    with pytest.raises(Conflict, match="Say why"):
        approvals.decide(session, contract, row.hash, decision=ApprovalDecision.REJECTED, by="kim", comment=" ",
                         library=library, limits=limits, fallback_level=1)
    with pytest.raises(NotFound):
        approvals.decide(session, contract, "0" * 64, decision=ApprovalDecision.APPROVED, by="kim", comment="",
                         library=library, limits=limits, fallback_level=1)
    approvals.decide(session, contract, row.hash, decision=ApprovalDecision.REJECTED, by="kim",
                     comment="no disclosure without notice", library=library, limits=limits, fallback_level=1)
    session.commit()
    assert _review(app, session, contract).pending[0].decision.decision is ApprovalDecision.REJECTED


def test_approving_through_the_contract_page(app, client, auth, session, drafts):
    contract = _add(app, session, drafts["edited"]).contract
    auth.login(Role.LEGAL)
    page = client.get(f"/contracts/{contract.id}").get_data(as_text=True)
    assert "2 still pending" in page and "Signature is blocked" in page
    row = _review(app, session, contract).pending[0]
    url = f"/contracts/{contract.id}/clauses/{row.hash}"
    assert client.post(url, data={"decision": "approved"}).status_code == 400  # no CSRF token
    response = client.post(url, data={"decision": "approved", "comment": "ok", "csrf_token": auth.token()})
    assert response.status_code == 303
    assert "1 still pending" in client.get(f"/contracts/{contract.id}").get_data(as_text=True)
    client.post("/logout", data={"csrf_token": auth.token()})
    auth.login(Role.FINANCE)
    assert client.post(url, data={"decision": "rejected", "comment": "x", "csrf_token": auth.token()}).status_code == 403
    assert session.scalar(select(func.count()).select_from(ClauseApproval)) == 1


def test_signature_is_blocked_until_every_deviation_is_approved(app, client, session, make_token, drafts):
    contract = _add(app, session, drafts["edited"]).contract
    headers = {"Authorization": f"Bearer {make_token(Role.LEGAL)}"}
    body = {"contract_id": contract.id, "recipients": [{"name": "Pat Signer", "email": "pat@contoso.example"}]}
    refused = client.post("/api/v1/envelopes", json=body, headers=headers)
    assert refused.status_code == 409
    assert "need legal's approval before signature" in refused.json["error"]
    assert "Confidentiality (nonstandard)" in refused.json["error"]
    library, limits = drafts["library"], store.limits_from_settings(app.config)
    for row in _review(app, session, contract).pending:
        approvals.decide(session, contract, row.hash, decision=ApprovalDecision.APPROVED, by="kim", comment="",
                         library=library, limits=limits, fallback_level=1)
    session.commit()
    created = client.post("/api/v1/envelopes", json=body, headers=headers)
    assert created.status_code == 201, created.json
    assert created.json["status"] == "sent"


def test_a_clause_the_draft_had_and_a_new_version_dropped_needs_approval(app, client, auth, session):
    from clm.clauses.services import draft_contract
    from clm.documents import from_docx

    library = approvals.library_from_settings(app.config)
    first = draft_contract(session, "master_subscription_agreement", dict(_MSA_VALUES), {}, author="lee",
                           library=library, counterparty="Contoso")
    session.commit()
    contract = first.contract
    assert _review(app, session, contract).missing == ()
    # The counterparty's version drops the limitation of liability section entirely.
    paragraphs = from_docx(first.blob.data).text.split("\n")
    start = next(i for i, p in enumerate(paragraphs) if p.strip() == "Limitation of Liability")
    end = next(i for i in range(start + 1, len(paragraphs)) if paragraphs[i].strip() == "Insurance")
    dropped = "\n".join(paragraphs[:start] + paragraphs[end:]).encode()
    _add(app, session, dropped, contract_id=contract.id, name="theirs.txt")
    session.refresh(contract)
    review = _review(app, session, contract)
    assert [m.clause_type for m in review.missing] == ["limitation_of_liability"]
    assert [getattr(r, "clause_type", None) for r in review.pending] == ["limitation_of_liability"]
    with pytest.raises(Conflict, match="Limitation of Liability \\(missing\\)"):
        approvals.ensure_approved(session, contract, library, store.limits_from_settings(app.config), 1)
    auth.login(Role.LEGAL)
    page = client.get(f"/contracts/{contract.id}").get_data(as_text=True)
    assert "Missing from v2" in page and "Accept removal" in page
    response = client.post(f"/contracts/{contract.id}/clauses/{review.missing[0].hash}",
                           data={"decision": "approved", "comment": "cap is in the order form", "csrf_token": auth.token()})
    assert response.status_code == 303
    approvals.ensure_approved(session, contract, library, store.limits_from_settings(app.config), 1)


# --------------------------------------------------------------------------- clm's own templates

#: Values for each shipped template (the quote order form's as clm.quotes.conversion writes them).
TEMPLATE_VALUES = {
    "master_subscription_agreement": dict(_MSA_VALUES),
    "order_form": {"customer_name": "Contoso Retail LLC", "customer_address": "1 Main St., Springfield, IL 62701",
                   "agreement_date": "2026-03-01", "order_date": "2026-03-01", "start_date": "2026-04-01",
                   "product_name": "Northwind Analytics, Enterprise edition", "quantity": 250,
                   "annual_fee": "USD 60,000", "payment_terms": "P45D", "price_increase_cap": "4%",
                   "customer_may_terminate_for_convenience": True},
    "mutual_nda": {"party_b_name": "Fabrikam Manufacturing GmbH", "party_b_description": "a German limited "
                   "liability company", "effective_date": "2026-01-15", "nda_term": "P18M"},
    "quote_order_form": {"customer_name": "Initech Corporation", "quote_number": "Q-0001 v1",
                         "order_date": "2026-12-10", "start_date": "2027-01-01",
                         "order_lines": "Platform (PLATFORM), 120 x USD 1,080.00 per user per year, less discounts "
                                        "of USD 86,832.00, fee USD 172,368.00; Analytics (ANALYTICS), 120 x USD "
                                        "300.00 per user per year, fee USD 61,560.00",
                         "total_fees": "USD 248,178.00", "annual_fee": "USD 116,964.00", "initial_term": "P24M",
                         "renewal_term": "P12M", "renewal_notice_period": "P60D"},
}


@pytest.mark.parametrize("key", sorted(TEMPLATE_VALUES))
def test_every_template_drafted_by_clm_can_go_for_signature(app, session, key):
    from clm.clauses.services import draft_contract

    library = approvals.library_from_settings(app.config)
    assert set(TEMPLATE_VALUES) == set(library.templates)
    version = draft_contract(session, key, dict(TEMPLATE_VALUES[key]), {}, author="lee", library=library)
    session.commit()
    review = _review(app, session, version.contract)
    assert [(approvals._name(row), row.status) for row in review.pending] == []
    assert review.missing == ()
    # The template's own sections are shown as the library's text, not as unknown clauses.
    assert any(row.analyzed.section is not None and row.status == "standard" for row in review.rows)
    approvals.ensure_approved(session, version.contract, library, store.limits_from_settings(app.config), 1)


def test_the_customers_governing_law_is_named_before_signature(app, session):
    from clm.clauses.services import draft_contract

    library = approvals.library_from_settings(app.config)
    version = draft_contract(session, "master_subscription_agreement",
                             {**_MSA_VALUES, "customer_governing_law": "New York"}, {"governing_law": "fallback_2"},
                             author="lee", library=library)
    session.commit()
    review = _review(app, session, version.contract)
    assert [(approvals._name(row), row.status) for row in review.pending] == [
        ("Governing Law and Jurisdiction", "fallback 2")]
    with pytest.raises(Conflict, match=r"Governing Law and Jurisdiction \(fallback 2\)"):
        approvals.ensure_approved(session, version.contract, library, store.limits_from_settings(app.config), 1)
    app.config["APPROVAL_FALLBACK_LEVEL"] = 2
    assert _review(app, session, version.contract).pending == ()


def test_the_demo_shows_the_counterpartys_deviations_and_nothing_else(app, session):
    from clm.demo import seed
    from clm.versions.models import Contract

    seed(session)
    session.commit()
    pending = {}
    for contract in session.scalars(select(Contract).order_by(Contract.id)):
        pending[contract.title] = sorted((approvals._name(row), row.status)
                                         for row in _review(app, session, contract).pending)
    assert pending == {
        # Contoso's own sentence in the confidentiality clause; the fallbacks we answered with are
        # within the approval level.
        "Master Subscription Agreement": [("Confidentiality", "nonstandard")],
        # Fabrikam changed only the date: nothing to approve.
        "Mutual Non-Disclosure Agreement": [],
        "Order Form 2026-014": [],
    }
