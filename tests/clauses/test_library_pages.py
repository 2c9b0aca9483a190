"""The drafting form, the clause library pages and legal's clause editor."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from clm.clauses.models import DraftRecord, LibraryClause
from clm.users import Role
from clm.versions.models import Contract, Version, VersionSource

MSA_FORM = {
    "v.customer_name": "Acme Widgets LLC",
    "v.customer_description": "a New York limited liability company",
    "v.effective_date": "2026-06-01",
    "v.price_increase_cap": "5",
    "v.include_insurance": "yes",
    "v.processes_personal_data": "yes",
}


def _field_error(html: str, name: str) -> str | None:
    """Return the error shown inside the form field of variable ``name``, if any."""
    block = re.search(rf'<div class="field[^"]*" id="field-{name}">(.*?)</div>\s*(?:<div class="field|</fieldset>)',
                      html, re.DOTALL)
    assert block is not None, f"no field for {name}"
    found = re.search(r'class="field-error"[^>]*>([^<]*)<', block.group(1))
    return found.group(1) if found else None


# -- the drafting form ---------------------------------------------------------------------------


def test_draft_lists_templates(client, auth):
    auth.login(Role.VIEWER)
    html = client.get("/draft").get_data(as_text=True)
    for key in ("master_subscription_agreement", "mutual_nda", "order_form"):
        assert f'href="/draft/{key}"' in html
    assert 'href="/draft"' in html  # the nav link


def test_the_form_has_a_typed_input_per_variable(client, auth):
    auth.login(Role.LEGAL)
    html = client.get("/draft/order_form").get_data(as_text=True)
    assert re.search(r'<input type="date" id="v-order_date" name="v.order_date"', html)
    assert re.search(r'name="v.annual_fee.amount"', html) and 'name="v.annual_fee.currency"' in html
    assert re.search(r'<input type="number" step="any"[^>]*name="v.price_increase_cap"', html)
    assert re.search(r'<input type="number" step="1"[^>]*name="v.quantity"', html)
    assert re.search(r'<input id="v-customer_name" name="v.customer_name"', html)
    msa = client.get("/draft/master_subscription_agreement").get_data(as_text=True)
    # Booleans are checkboxes, checked when the default is true; defaults fill the inputs.
    assert re.search(r'<input type="checkbox" id="v-include_publicity" name="v.include_publicity" value="yes" checked', msa)
    assert re.search(r'<input type="checkbox" id="v-include_insurance" name="v.include_insurance" value="yes">', msa)
    assert 'value="Example Software, Inc."' in msa
    # One position picker per clause, with the fallbacks' labels.
    assert 'name="p.indemnity"' in msa and re.search(r'<option value="fallback_1">Fallback 1: ', msa)
    assert "Create contract" in msa


def test_finance_may_preview_but_not_create(client, auth, session):
    auth.login(Role.FINANCE)
    html = client.get("/draft/master_subscription_agreement").get_data(as_text=True)
    assert "Create contract" not in html
    preview = client.post("/draft/master_subscription_agreement",
                          data={**MSA_FORM, "action": "preview", "csrf_token": auth.token()})
    assert preview.status_code == 200 and "Acme Widgets LLC" in preview.get_data(as_text=True)
    created = client.post("/draft/master_subscription_agreement",
                          data={**MSA_FORM, "action": "create", "csrf_token": auth.token()})
    assert created.status_code == 403
    assert session.scalars(select(Contract)).all() == []


def test_preview_shows_the_drafted_text(client, auth):
    auth.login(Role.LEGAL)
    response = client.post("/draft/master_subscription_agreement",
                           data={**MSA_FORM, "action": "preview", "csrf_token": auth.token()})
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    preview = html[html.index('<article class="document preview">'):]
    assert "June 1, 2026" in preview and "Acme Widgets LLC" in preview and "5%" in preview
    assert "Insurance" in preview  # switched on by the checkbox


def test_errors_are_shown_next_to_their_fields(client, auth, session):
    auth.login(Role.LEGAL)
    data = {**MSA_FORM, "v.customer_name": "", "v.effective_date": "2026-13-45", "v.price_increase_cap": "abc",
            "action": "create", "csrf_token": auth.token()}
    response = client.post("/draft/master_subscription_agreement", data=data)
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "needs a value" in _field_error(html, "customer_name")
    assert "must be a date" in _field_error(html, "effective_date")
    assert "percentage" in _field_error(html, "price_increase_cap")
    assert _field_error(html, "customer_description") is None
    # What was typed is shown again, and nothing was stored.
    assert 'value="a New York limited liability company"' in html and 'value="abc"' in html
    assert session.scalars(select(Contract)).all() == []


def test_a_bad_money_value_is_reported_on_its_field(client, auth):
    auth.login(Role.LEGAL)
    data = {"v.customer_name": "Acme", "v.customer_address": "1 Main St", "v.agreement_date": "2026-06-01",
            "v.order_date": "2026-06-01", "v.start_date": "2026-07-01", "v.product_name": "CLM",
            "v.quantity": "25", "v.annual_fee.amount": "lots", "v.annual_fee.currency": "USD",
            "action": "preview", "csrf_token": auth.token()}
    html = client.post("/draft/order_form", data=data).get_data(as_text=True)
    assert "must be an amount" in _field_error(html, "annual_fee")
    assert _field_error(html, "quantity") is None


def test_create_stores_version_1_and_redirects_to_the_contract(client, auth, session):
    auth.login(Role.LEGAL)
    data = {**MSA_FORM, "p.indemnity": "fallback_1", "action": "create", "csrf_token": auth.token()}
    response = client.post("/draft/master_subscription_agreement", data=data)
    assert response.status_code == 303
    contract = session.scalars(select(Contract)).one()
    assert response.headers["Location"] == f"/contracts/{contract.id}"
    assert contract.counterparty == "Acme Widgets LLC"
    version = session.scalars(select(Version)).one()
    assert version.source is VersionSource.TEMPLATE and version.author == "legal@example.test"
    record = session.scalars(select(DraftRecord)).one()
    assert record.positions == {"indemnity": "fallback_1"}
    assert record.variables["customer_name"] == "Acme Widgets LLC"
    assert record.variables["include_insurance"] is True and record.variables["include_security_audits"] is False
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "stored as version 1" in page and "Master Subscription Agreement" in page


def test_an_unknown_template_is_404(client, auth):
    auth.login(Role.LEGAL)
    assert client.get("/draft/nope").status_code == 404


def test_a_bad_position_is_reported(client, auth):
    auth.login(Role.LEGAL)
    response = client.post("/draft/master_subscription_agreement",
                           data={**MSA_FORM, "p.indemnity": "fallback_7", "action": "preview",
                                 "csrf_token": auth.token()})
    assert response.status_code == 422 and "no position" in response.get_data(as_text=True)


# -- the library browser -----------------------------------------------------------------------


def test_library_lists_every_clause_type(client, auth):
    from clm.clauses.library import default_library_path, load_library

    auth.login(Role.VIEWER)
    html = client.get("/library").get_data(as_text=True)
    for key, clause in load_library(default_library_path()).clauses.items():
        assert f'href="/library/{key}"' in html and clause.title in html
    assert "clause_library/" in html and "clm init" in html


@pytest.mark.parametrize("role", [Role.VIEWER, Role.FINANCE, Role.LEGAL])
def test_a_clause_page_shows_texts_fallbacks_variables_guidance(client, auth, role):
    from clm.clauses.library import default_library_path, load_library

    clause = load_library(default_library_path()).clause("governing_law")
    auth.login(role)
    html = client.get("/library/governing_law").get_data(as_text=True)
    from markupsafe import escape

    assert str(escape(clause.standard.text.split("\n")[0])) in html
    for fallback in clause.fallbacks:
        assert str(escape(fallback.label)) in html and str(escape(fallback.rationale)) in html
    assert "{{ governing_law }}" in html and "jurisdiction" in html
    assert str(escape(clause.guidance.overview)) in html
    assert str(escape(clause.guidance.red_flags[0])) in html
    assert ('/library/governing_law/edit' in html) is (role is Role.LEGAL)


def test_unknown_clause_is_404(client, auth):
    auth.login(Role.VIEWER)
    assert client.get("/library/nope").status_code == 404


# -- the editor --------------------------------------------------------------------------------


def _edit_form(client, key: str) -> dict[str, str]:
    """Return the editor's fields as the browser would submit them unchanged."""
    html = client.get(f"/library/{key}/edit").get_data(as_text=True)
    from html import unescape

    data = {name: unescape(value) for name, value in re.findall(r'<input id="[^"]*" name="([^"]+)" value="([^"]*)"', html)}
    data.update({name: unescape(value) for name, value in re.findall(r'<textarea id="[^"]*" name="([^"]+)"[^>]*>(.*?)</textarea>', html, re.DOTALL)})
    data["csrf_token"] = re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)
    return data


def test_legal_edits_a_clause_into_a_new_version(client, auth, session):
    auth.login(Role.LEGAL)
    data = _edit_form(client, "governing_law")
    assert "{{ governing_law }}" in data["standard"]
    data["standard"] = data["standard"].replace("This Agreement", "This Agreement, and any dispute under it,", 1)
    data["overview"] = "Reviewed by legal in 2026. " + data["overview"]
    response = client.post("/library/governing_law/edit", data=data)
    assert response.status_code == 303 and response.headers["Location"] == "/library/governing_law"
    rows = session.scalars(select(LibraryClause).where(LibraryClause.key == "governing_law")
                           .order_by(LibraryClause.version)).all()
    assert [r.version for r in rows] == [1, 2]
    assert "any dispute under it" in rows[1].content["positions"][0]["text"]
    assert "any dispute under it" not in rows[0].content["positions"][0]["text"]  # never rewritten
    assert rows[1].content["guidance"]["overview"].startswith("Reviewed by legal in 2026.")
    # Provider's own law stays fixed through the edit (else fallback 2 would read as the standard).
    assert {v["name"]: v.get("fixed", False) for v in rows[1].content["variables"]} == {
        "governing_law": True, "venue": True, "customer_governing_law": False}
    page = client.get("/library/governing_law").get_data(as_text=True)
    assert "Stored version 2 of governing_law" in page and "edited in clm" in page
    assert "any dispute under it" in page
    old = client.get("/library/governing_law?version=1").get_data(as_text=True)
    assert "any dispute under it" not in old
    yaml_text = client.get("/library/governing_law/versions/2.yaml").get_data(as_text=True)
    assert "version: 2" in yaml_text and "any dispute under it" in yaml_text


@pytest.mark.parametrize("key", ["severability", "governing_law"])
def test_saving_unchanged_adds_no_version(client, auth, session, key):
    auth.login(Role.LEGAL)
    response = client.post(f"/library/{key}/edit", data=_edit_form(client, key))
    assert response.status_code == 303
    assert [r.version for r in session.scalars(select(LibraryClause).where(LibraryClause.key == key))] == [1]
    assert "Nothing changed" in client.get(f"/library/{key}").get_data(as_text=True)


@pytest.mark.parametrize(("field", "value", "message"), [
    ("standard", "Governed by {{ law_of_the_land }}.", "no variable &#39;law_of_the_land&#39; is declared"),
    ("standard", "Governed by {% if x %}the laws{% endif %}.", "malformed placeholder"),
    ("fallback_1.text", "", "must not be empty"),
    ("fallback_1.label", "x" * 61, "label is over 60 characters"),
])
def test_an_invalid_edit_names_the_problem_and_stores_nothing(client, auth, session, field, value, message):
    auth.login(Role.LEGAL)
    data = _edit_form(client, "governing_law")
    data[field] = value
    response = client.post("/library/governing_law/edit", data=data)
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert message in html.lower() or message in html
    assert value[:20] in html or not value  # the edit is shown again, not lost
    marked = "standard" if field == "standard" else "fallback_1-text"
    assert re.search(rf'<textarea id="{marked}" [^>]*aria-invalid="true"', html)
    versions = [r.version for r in session.scalars(select(LibraryClause).where(LibraryClause.key == "governing_law"))]
    assert versions in ([], [1])


def test_dropping_a_variable_from_every_position_is_refused(client, auth):
    auth.login(Role.LEGAL)
    data = _edit_form(client, "governing_law")
    for key in list(data):
        if key == "standard" or key.endswith(".text"):
            data[key] = re.sub(r"\{\{\s*governing_law\s*\}\}", "Delaware", data[key])
    html = client.post("/library/governing_law/edit", data=data).get_data(as_text=True)
    assert "declared but no position uses it" in html


@pytest.mark.parametrize("role", [Role.VIEWER, Role.FINANCE])
def test_viewer_and_finance_cannot_edit(client, auth, session, role):
    auth.login(role)
    assert client.get("/library/governing_law/edit").status_code == 403
    response = client.post("/library/governing_law/edit", data={"standard": "x", "csrf_token": auth.token()})
    assert response.status_code == 403
    assert session.scalars(select(LibraryClause)).all() == []
