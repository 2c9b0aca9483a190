"""Required fields besides the signature: initials, date signed, text and checkboxes."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from sqlalchemy import func, select

from clm import db
from clm.errors import InvalidInput
from clm.signing import audit, envelopes
from clm.signing.models import (
    AuditEvent,
    Envelope,
    EnvelopeStatus,
    Recipient,
    RecipientStatus,
)

from .conftest import complete, sign_as

FIELDS = [{"kind": "initials", "label": "Initials", "required": True},
          {"kind": "checkbox", "label": "I have read clause 2 (Fees)", "required": True},
          {"kind": "text", "label": "Job title", "required": False},
          {"kind": "date_signed", "label": "Date signed"}]
ATTACK = "<script>alert(1)</script>"


def _h(token):
    return {"Authorization": f"Bearer {token}"}


def _csrf(client, token):
    page = client.get(f"/sign/{token}")
    assert page.status_code == 200, page.get_data(as_text=True)
    return re.search(r'name="csrf_token" value="([^"]+)"', page.get_data(as_text=True)).group(1)


def _consent(client, token):
    response = client.post(f"/sign/{token}/consent", data={
        "csrf_token": _csrf(client, token), "agree": "yes", "disclosure_version": envelopes.DISCLOSURE_VERSION})
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_data(as_text=True)


def _state(factory):
    with factory() as s:
        return (s.scalar(select(func.count(AuditEvent.id))),
                tuple(s.execute(select(Recipient.id, Recipient.status, Recipient.token_hash, Recipient.signed_at,
                                       Recipient.field_values).order_by(Recipient.id))),
                tuple(s.execute(select(Envelope.id, Envelope.status).order_by(Envelope.id))))


# -- definitions -------------------------------------------------------------------------------


@pytest.mark.parametrize(("fields", "problem"), [
    ("initials", '"fields" must be a list'),
    ([{"kind": "signature", "label": "X"}], "field 1: the kind must be one of initials, text, checkbox"),
    ([{"kind": "text", "label": "x" * 201}], "field 1: the label is longer than 200 characters"),
    ([{"kind": "text", "label": f"L{n}"} for n in range(11)], "at most 10 fields"),
    ([{"kind": "text"}], "field 1: a text field needs a label"),
    ([{"kind": "initials"}, {"kind": "checkbox", "label": "ok", "required": "yes"}],
     'field 2: "required" must be true or false'),
    ([{"kind": "text", "label": "A"}, {"kind": "text", "label": "a"}], "the label 'a' is used twice"),
    ([{"kind": "text", "label": "A", "x": 1}], "unknown key 'x'"),
    (["text"], "field 1: a field must be an object"),
])
def test_the_api_refuses_bad_field_definitions_naming_the_problem(client, make_token, contract_id, factory,
                                                                   fields, problem):
    response = client.post("/api/v1/envelopes", headers=_h(make_token("legal")), json={
        "contract_id": contract_id, "recipients": [{"name": "A", "email": "a@example.test"},
                                                   {"name": "B", "email": "b@example.test", "fields": fields}]})
    assert response.status_code == 422, response.json
    assert response.json["error"].startswith("Recipient 2") and problem in response.json["error"]
    with factory() as s:
        assert s.scalar(select(func.count(Envelope.id))) == 0


def test_a_cc_gets_no_fields(client, make_token, contract_id):
    response = client.post("/api/v1/envelopes", headers=_h(make_token("legal")), json={
        "contract_id": contract_id, "recipients": [
            {"name": "A", "email": "a@example.test"},
            {"name": "C", "email": "c@example.test", "role": "cc", "fields": [{"kind": "initials"}]}]})
    assert response.status_code == 422 and "a cc only gets a copy" in response.json["error"]


def test_the_api_stores_definitions_and_the_created_event_records_them(client, make_token, contract_id):
    token = make_token("legal")
    fields = [{"kind": "initials"}, {"kind": "checkbox", "label": "  I   agree ", "required": False},
              {"kind": "date_signed", "label": "Dated", "required": False}]
    response = client.post("/api/v1/envelopes", headers=_h(token), json={
        "contract_id": contract_id, "recipients": [{"name": "A", "email": "a@example.test", "fields": fields},
                                                   {"name": "B", "email": "b@example.test", "fields": []}]})
    assert response.status_code == 201, response.json
    expected = [{"kind": "initials", "label": "Initials", "required": True},
                {"kind": "checkbox", "label": "I agree", "required": False},
                {"kind": "date_signed", "label": "Dated", "required": True}]
    a, b = response.json["recipients"]
    assert a["fields"] == expected and a["field_values"] is None
    assert b["fields"] == [] and b["field_values"] is None
    trail = client.get(f"/api/v1/envelopes/{response.json['id']}/audit", headers=_h(token)).json
    created = trail["events"][0]
    assert created["kind"] == "created" and created["details"]["recipients"][0]["fields"] == expected
    assert "fields" not in created["details"]["recipients"][1]


def test_the_sender_form_defines_initials_date_and_extra_fields(client, auth, contract_id, factory):
    auth.login("legal")
    base = {"csrf_token": auth.token(), "subject": "Sign", "message": "", "expires_in_days": "10",
            "name-0": "A", "email-0": "a@example.test", "role-0": "signer", "order-0": "1",
            "name-1": "B", "email-1": "b@example.test", "role-1": "signer", "order-1": "2", "action": "draft",
            "initials-0": "yes", "date-0": "yes",
            "field-0-0-kind": "checkbox", "field-0-0-label": "I accept the fees", "field-0-0-required": "yes",
            "field-0-1-kind": "text", "field-0-1-label": "", "field-0-2-kind": "text", "field-0-2-label": "Title"}
    page = client.get(f"/contracts/{contract_id}/envelopes/new").get_data(as_text=True)
    assert 'name="initials-0"' in page and 'name="field-4-2-label"' in page
    bad = client.post(f"/contracts/{contract_id}/envelopes/new", data={**base, "field-1-0-label": "x" * 201})
    assert bad.status_code == 422 and "Recipient 2, field 1: the label is longer than 200" in bad.get_data(as_text=True)
    assert 'value="I accept the fees"' in bad.get_data(as_text=True)  # the form keeps what was entered
    response = client.post(f"/contracts/{contract_id}/envelopes/new", data=base)
    assert response.status_code == 302, response.get_data(as_text=True)
    with factory() as s:
        a, b = s.scalars(select(Recipient).order_by(Recipient.id)).all()
        assert a.fields == [{"kind": "initials", "label": "Initials", "required": True},
                            {"kind": "date_signed", "label": "Date signed", "required": True},
                            {"kind": "checkbox", "label": "I accept the fees", "required": True},
                            {"kind": "text", "label": "Title", "required": False}]
        assert b.fields is None


def test_field_values_fill_the_date_and_read_checkboxes_and_text():
    now = dt.datetime(2026, 3, 4, 23, 30, tzinfo=dt.timezone(dt.timedelta(hours=-5)))  # 5 March in UTC
    values = envelopes.field_values(envelopes.parse_fields(FIELDS), {
        "field-0": " a  b ", "field-1": "yes", "field-2": "line\none\x00", "field-3": "1999-01-01"}, now=now)
    assert [v["value"] for v in values] == ["a b", True, "line one", "2026-03-05"]
    optional = envelopes.parse_fields([{"kind": "checkbox", "label": "Opt in", "required": False}])
    assert envelopes.field_values(optional, {}, now=now) == [{"kind": "checkbox", "label": "Opt in", "value": False}]
    with pytest.raises(InvalidInput, match="Initials.*longer than 10"):
        envelopes.field_values(envelopes.parse_fields(FIELDS), {"field-0": "x" * 11, "field-1": "yes"}, now=now)
    with pytest.raises(InvalidInput, match="Job title.*longer than 500"):
        envelopes.field_values(envelopes.parse_fields(FIELDS), {"field-0": "AA", "field-1": "yes",
                                                                "field-2": "x" * 501}, now=now)
    assert envelopes.field_values(None, {"field-0": "x"}, now=now) == []


# -- the signing page --------------------------------------------------------------------------


def test_the_page_renders_the_fields_with_labels_escaped(client, send_envelope, other_contract_id):
    label = '<b onmouseover="x">Title</b>'
    _id, tokens = send_envelope(fields={"alice@example.test": [*FIELDS, {"kind": "text", "label": label}]})
    page = _consent(client, tokens["alice@example.test"])
    assert '<label for="field-0">Initials <span class="required">(required)</span></label>' in page
    assert re.search(r'<input id="field-0" name="field-0" type="text" maxlength="10"[^>]* required', page)
    assert re.search(r'<input type="checkbox" id="field-1" name="field-1" value="yes" required', page)
    assert re.search(r'<input id="field-2" name="field-2" type="text" maxlength="500" value=""\s', page)
    assert db.utcnow().date().isoformat() in page and "Date signed:" in page
    assert label not in page and "&lt;b onmouseover=&#34;x&#34;&gt;Title&lt;/b&gt;" in page
    # A recipient without fields gets no fieldset.
    _id, others = send_envelope([("Bob Baker", "bob@example.test", 1)], contract=other_contract_id)
    assert 'class="fields"' not in _consent(client, others["bob@example.test"])


@pytest.mark.parametrize(("form", "named"), [
    ({"field-1": "yes"}, "Fill in \u201cInitials\u201d: it is required."),
    ({"field-0": "   ", "field-1": "yes"}, "Fill in \u201cInitials\u201d: it is required."),
    ({"field-0": "AA"}, "Tick \u201cI have read clause 2 (Fees)\u201d: it is required."),
    ({"field-0": "AA", "field-1": "on"}, "Tick \u201cI have read clause 2 (Fees)\u201d: it is required."),
    ({"field-0": "A" * 11, "field-1": "yes"}, "\u201cInitials\u201d is longer than 10 characters."),
])
def test_a_missing_required_field_is_422_naming_it_and_changes_nothing(client, factory, send_envelope, form, named):
    _id, tokens = send_envelope(fields={"alice@example.test": FIELDS})
    token = tokens["alice@example.test"]
    _consent(client, token)
    before = _state(factory)
    response = client.post(f"/sign/{token}/sign", data={"csrf_token": _csrf(client, token), "kind": "typed",
                                                        "typed_name": "Alice Able", "field-2": ATTACK, **form})
    assert response.status_code == 422
    body = response.get_data(as_text=True)
    assert named in body and 'role="alert"' in body
    # What the signer typed comes back, escaped, so they need not type it again.
    assert ATTACK not in body and 'value="&lt;script&gt;alert(1)&lt;/script&gt;"' in body
    assert _state(factory) == before
    with factory() as s:
        alice = s.scalars(select(Recipient).where(Recipient.email == "alice@example.test")).one()
        assert alice.status is RecipientStatus.VIEWED and alice.signature_kind is None and alice.field_values is None


def test_an_approver_must_fill_its_fields_too(factory, send_envelope):
    _id, tokens = send_envelope([("Ann", "ann@example.test", 1), ("S", "s@example.test", 2)],
                                roles={"ann@example.test": "approver"},
                                fields={"ann@example.test": [{"kind": "initials"}]})
    with pytest.raises(InvalidInput, match="Initials"):
        sign_as(factory, tokens["ann@example.test"], "Ann")
    outcome = sign_as(factory, tokens["ann@example.test"], "Ann", fields={"field-0": "AN"})
    assert outcome.recipient.field_values == [{"kind": "initials", "label": "Initials", "value": "AN"}]


def test_values_are_stored_audited_escaped_and_sealed(app, client, auth, factory, send_envelope, monkeypatch):
    import clm.pdf

    rendered: list[str] = []
    real = clm.pdf.html_to_pdf
    monkeypatch.setattr(clm.pdf, "html_to_pdf", lambda html, **kw: rendered.append(html) or real(html, **kw))
    envelope_id, tokens = send_envelope([("Alice Able", "alice@example.test", 1), ("Bob Baker", "bob@example.test", 1)],
                                        fields={"alice@example.test": FIELDS})
    token = tokens["alice@example.test"]
    _consent(client, token)
    response = client.post(f"/sign/{token}/sign", data={
        "csrf_token": _csrf(client, token), "kind": "typed", "typed_name": "Alice Able",
        "field-0": "AA", "field-1": "yes", "field-2": ATTACK, "field-3": "1999-01-01"})
    assert response.status_code == 200, response.get_data(as_text=True)
    today = db.utcnow().date().isoformat()
    expected = [{"kind": "initials", "label": "Initials", "value": "AA"},
                {"kind": "checkbox", "label": "I have read clause 2 (Fees)", "value": True},
                {"kind": "text", "label": "Job title", "value": ATTACK},
                {"kind": "date_signed", "label": "Date signed", "value": today}]
    with factory() as s:
        alice = s.scalars(select(Recipient).where(Recipient.email == "alice@example.test")).one()
        assert alice.field_values == expected
    # The sender's page shows them, escaped.
    auth.login("legal")
    page = client.get(f"/envelopes/{envelope_id}").get_data(as_text=True)
    assert ATTACK not in page and "Job title: &lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "I have read clause 2 (Fees): ticked" in page and f"Date signed: {today}" in page

    sign_as(factory, tokens["bob@example.test"], "Bob Baker")
    complete(factory, app, envelope_id)
    with factory() as s:
        assert s.get(Envelope, envelope_id).status is EnvelopeStatus.COMPLETED
        events = audit.events_of(s, envelope_id)
        signed = [e for e in events if e.kind == "signed"]
        assert signed[0].details["fields"] == expected and "fields" not in signed[1].details
        chain = audit.chain_key(s, envelope_id)
        assert audit.verify_chain(events, chain) is None
        completed = events[-1]
        assert completed.kind == "completed" and completed.details["sealed_chain_seq"] == events[-2].seq
        # The chain covers the values: changing one breaks it.
        signed[0].details = {**signed[0].details, "fields": [{**expected[0], "value": "ZZ"}, *expected[1:]]}
        assert audit.verify_chain(events, chain) is signed[0]
        s.rollback()
    # The sealed PDF's HTML: values beside Alice's signature and in the certificate, escaped.
    html, = rendered
    signatures, certificate = html.split('<section class="certificate">')
    for part in (signatures, certificate):
        assert "Initials:" in part or "<td>Initials</td>" in part
        assert ATTACK not in part and "&lt;script&gt;alert(1)&lt;/script&gt;" in part
        assert today in part and "ticked" in part
    assert '<span class="label">I have read clause 2 (Fees):</span> ticked' in signatures
    assert "<td>Alice Able &lt;alice@example.test&gt;</td><td>Date signed</td><td>date_signed</td>" \
           f"<td>{today}</td>" in certificate
    assert "Bob Baker &lt;bob@example.test&gt;</td><td>" not in certificate  # Bob had no fields
