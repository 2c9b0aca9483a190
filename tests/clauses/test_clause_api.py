"""The clause library and clause review over the JSON API: roles, errors as JSON, OpenAPI."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from clm.clauses.models import ApprovalDecision, ClauseApproval, LibraryClause
from clm.demo import _CONTOSO_EDIT, _MSA_VALUES, _edit_paragraph
from clm.users import Role
from clm.versions import store

CONFIDENTIAL = "reasonable person would understand to be confidential"


@pytest.fixture(scope="module")
def edited_msa() -> bytes:
    """An MSA with the liability cap at fallback 2 and a sentence of the counterparty's own."""
    from clm.clauses.drafting import draft_docx
    from clm.clauses.library import default_library_path, load_library

    library = load_library(default_library_path())
    data = draft_docx(library.template("master_subscription_agreement"), library, _MSA_VALUES,
                      positions={"limitation_of_liability": "fallback_2"})
    return _edit_paragraph(data, CONFIDENTIAL, _CONTOSO_EDIT)


@pytest.fixture
def contract_id(app, session, edited_msa) -> int:
    version = store.import_file(session, store.Upload(edited_msa, "msa.docx"),
                                limits=store.limits_from_settings(app.config), author="lee")
    session.commit()
    return version.contract_id


def _get(client, token, url):
    return client.get(url, headers={"Authorization": f"Bearer {token}"})


def _post(client, token, url, body):
    return client.post(url, json=body, headers={"Authorization": f"Bearer {token}"})


def test_library_lists_clause_types_with_their_latest_version(client, make_token, runner):
    from clm.clauses.library import default_library_path, load_library
    from clm.cli import main

    file_version = load_library(default_library_path()).clause("governing_law").version
    token = make_token(Role.VIEWER)
    before = _get(client, token, "/api/v1/library").get_json()["clauses"]
    governing = next(c for c in before if c["key"] == "governing_law")
    assert governing["version"] is None and governing["library_file_version"] == file_version  # nothing stored yet
    assert runner.invoke(main, ["init"]).exit_code == 0
    response = _get(client, token, "/api/v1/library")
    assert response.status_code == 200
    clauses = {c["key"]: c for c in response.get_json()["clauses"]}
    assert len(clauses) >= 20
    assert clauses["governing_law"] == {
        "key": "governing_law", "title": "Governing Law and Jurisdiction", "category": "boilerplate",
        "version": 1, "in_effect_version": 1, "library_file_version": file_version, "edited_in_clm": False,
        "fallbacks": clauses["governing_law"]["fallbacks"], "url": "/api/v1/library/governing_law"}
    assert clauses["governing_law"]["fallbacks"] >= 1


def test_one_clause_type_with_content_and_history(client, make_token, session, runner):
    from clm.cli import main

    runner.invoke(main, ["init"])
    # An edit made in clm: version 2, newer than the files.
    row = session.scalars(select(LibraryClause).where(LibraryClause.key == "governing_law")).one()
    content = {**row.content, "title": "Governing Law"}
    session.add(LibraryClause(key="governing_law", version=2, title="Governing Law", category=row.category,
                              content_hash="0" * 64, content=content))
    session.commit()
    token = make_token(Role.FINANCE)
    body = _get(client, token, "/api/v1/library/governing_law").get_json()
    assert body["version"] == 2 and body["in_effect_version"] == 1 and body["edited_in_clm"] is True
    assert body["shown_version"] == 2 and body["content"]["title"] == "Governing Law"
    assert [v["version"] for v in body["versions"]] == [1, 2]
    assert [v["in_effect"] for v in body["versions"]] == [True, False]
    positions = body["content"]["positions"]
    assert positions[0]["rank"] == 0 and "{{ governing_law }}" in positions[0]["text"]
    assert {"overview", "when_to_concede", "red_flags"} <= set(body["content"]["guidance"])
    first = _get(client, token, "/api/v1/library/governing_law?version=1").get_json()
    assert first["shown_version"] == 1 and first["content"]["title"] == "Governing Law and Jurisdiction"


@pytest.mark.parametrize("url", ["/api/v1/library/nope", "/api/v1/library/governing_law?version=9"])
def test_unknown_clause_or_version_is_a_json_404(client, make_token, url):
    response = _get(client, make_token(Role.VIEWER), url)
    assert response.status_code == 404 and "error" in response.get_json()


@pytest.mark.parametrize("url", ["/api/v1/library", "/api/v1/library/governing_law", "/api/v1/contracts/1/clauses"])
def test_no_token_is_a_json_401(client, url):
    response = client.get(url)
    assert response.status_code == 401 and response.get_json() == {"error": "Sign in first."}


def test_the_review_lists_each_clause_with_status_redline_and_approval(client, make_token, contract_id):
    response = _get(client, make_token(Role.VIEWER), f"/api/v1/contracts/{contract_id}/clauses")
    assert response.status_code == 200
    body = response.get_json()
    assert body["contract_id"] == contract_id and body["version"] == 1 and body["pending"] == 2
    by_type = {c["clause_type"]: c for c in body["clauses"] if c["clause_type"]}
    assert by_type["governing_law"]["status"] == "standard" and by_type["governing_law"]["needs_approval"] is False
    assert by_type["limitation_of_liability"]["status"] == "fallback 2"
    assert by_type["limitation_of_liability"]["position_rank"] == 2
    confidentiality = by_type["confidentiality"]
    assert confidentiality["status"] == "nonstandard" and confidentiality["pending"] is True
    assert confidentiality["approval"] is None and len(confidentiality["clause_hash"]) == 64
    inserted = " ".join(text for op, text in confidentiality["ops"] if op == "insert")
    assert "auditors and regulators" in inserted
    assert {op for op, _ in confidentiality["ops"]} <= {"equal", "insert", "delete"}


def test_legal_approves_a_deviation_over_the_api(client, make_token, contract_id, session):
    token = make_token(Role.LEGAL)
    review = _get(client, token, f"/api/v1/contracts/{contract_id}/clauses").get_json()
    digest = next(c["clause_hash"] for c in review["clauses"] if c["clause_type"] == "confidentiality")
    response = _post(client, token, f"/api/v1/contracts/{contract_id}/approvals",
                     {"clause_hash": digest, "decision": "approved", "comment": "Fine for a retailer."})
    assert response.status_code == 201
    body = response.get_json()
    assert body["decision"] == "approved" and body["clause_type"] == "confidentiality"
    assert body["by"] == "token:test legal" and body["comment"] == "Fine for a retailer."
    stored = session.scalars(select(ClauseApproval)).one()
    assert stored.decision is ApprovalDecision.APPROVED and stored.clause_hash == digest
    after = _get(client, token, f"/api/v1/contracts/{contract_id}/clauses").get_json()
    assert after["pending"] == 1
    row = next(c for c in after["clauses"] if c["clause_type"] == "confidentiality")
    assert row["approval"]["decision"] == "approved" and row["pending"] is False


def test_admin_may_reject_with_a_reason(client, make_token, contract_id):
    token = make_token(Role.ADMIN)
    review = _get(client, token, f"/api/v1/contracts/{contract_id}/clauses").get_json()
    digest = next(c["clause_hash"] for c in review["clauses"] if c["clause_type"] == "limitation_of_liability")
    url = f"/api/v1/contracts/{contract_id}/approvals"
    no_reason = _post(client, token, url, {"clause_hash": digest, "decision": "rejected"})
    assert no_reason.status_code == 409 and "why" in no_reason.get_json()["error"]
    response = _post(client, token, url, {"clause_hash": digest, "decision": "rejected", "comment": "Cap too high."})
    assert response.status_code == 201 and response.get_json()["decision"] == "rejected"


@pytest.mark.parametrize("role", [Role.VIEWER, Role.FINANCE])
def test_viewer_and_finance_may_not_decide(client, make_token, contract_id, session, role):
    response = _post(client, make_token(role), f"/api/v1/contracts/{contract_id}/approvals",
                     {"clause_hash": "0" * 64, "decision": "approved"})
    assert response.status_code == 403 and response.get_json() == {"error": "Your role does not allow this."}
    assert session.scalars(select(ClauseApproval)).all() == []


@pytest.mark.parametrize(("body", "status", "says"), [
    (None, 422, "JSON object"),
    ({"clause_hash": "abc", "decision": "maybe"}, 422, '"decision"'),
    ({"decision": "approved"}, 422, '"clause_hash"'),
    ({"clause_hash": "0" * 64, "decision": "approved"}, 404, "not a deviation"),
])
def test_bad_approval_requests_are_json_errors(client, make_token, contract_id, body, status, says):
    token = make_token(Role.LEGAL)
    url = f"/api/v1/contracts/{contract_id}/approvals"
    if body is None:
        response = client.post(url, data="not json", headers={"Authorization": f"Bearer {token}",
                                                               "Content-Type": "application/json"})
    else:
        response = _post(client, token, url, body)
    assert response.status_code == status
    assert says in response.get_json()["error"]


def test_unknown_contract_is_a_json_404(client, make_token):
    token = make_token(Role.LEGAL)
    assert _get(client, token, "/api/v1/contracts/999/clauses").status_code == 404
    response = _post(client, token, "/api/v1/contracts/999/approvals", {"clause_hash": "a", "decision": "approved"})
    assert response.status_code == 404 and "999" in response.get_json()["error"]


def test_openapi_describes_the_endpoints(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    assert "get" in spec["paths"]["/library"] and "get" in spec["paths"]["/library/{id}"]
    assert "get" in spec["paths"]["/contracts/{id}/clauses"]
    approvals = spec["paths"]["/contracts/{id}/approvals"]["post"]
    assert approvals["requestBody"]["content"]["application/json"]["schema"]["required"] == ["clause_hash", "decision"]
    schemas = spec["components"]["schemas"]
    for name in ("LibraryClauseSummary", "LibraryClause", "ClauseReview", "ClauseApproval"):
        assert name in schemas
    # Every $ref points at something that exists.
    import json
    import re

    text = json.dumps(spec)
    for ref in set(re.findall(r'"\$ref": "#/components/(\w+)/(\w+)"', text)):
        assert ref[1] in spec["components"][ref[0]], ref
