"""The envelopes API: bearer auth, create/send, status, void, remind, sealed PDF, audit."""

from __future__ import annotations

from clm import db
from clm.signing import envelopes

from .conftest import outbox_tokens, sign_as


def _h(token):
    return {"Authorization": f"Bearer {token}"}


def test_the_api_needs_a_token_with_envelopes_manage(client, make_token, contract_id):
    body = {"contract_id": contract_id, "recipients": [{"name": "A", "email": "a@example.test"}]}
    assert client.post("/api/v1/envelopes", json=body).status_code == 401
    assert client.post("/api/v1/envelopes", json=body, headers=_h(make_token("finance"))).status_code == 403
    assert client.get("/api/v1/envelopes/1", headers=_h(make_token("viewer"))).status_code == 403


def test_create_send_remind_void_and_audit(app, client, make_token, contract_id, outbox):
    token = make_token("legal")
    created = client.post("/api/v1/envelopes", headers=_h(token), json={
        "contract_id": contract_id, "subject": "Sign please", "recipients": [
            {"name": "A", "email": "a@example.test", "routing_order": 1},
            {"name": "B", "email": "b@example.test", "routing_order": 2},
            {"name": "C", "email": "c@example.test", "role": "cc"}]})
    assert created.status_code == 201, created.json
    envelope = created.json
    assert envelope["status"] == "sent" and [r["status"] for r in envelope["recipients"]] == ["sent", "pending", "pending"]
    assert [to for to, _t in outbox_tokens(outbox)] == ["a@example.test"]
    reminded = client.post(f"/api/v1/envelopes/{envelope['id']}/remind", headers=_h(token))
    assert reminded.status_code == 200 and len(outbox_tokens(outbox)) == 2
    assert client.get(f"/api/v1/envelopes/{envelope['id']}/document.pdf", headers=_h(token)).status_code == 409
    voided = client.post(f"/api/v1/envelopes/{envelope['id']}/void", headers=_h(token), json={"reason": "typo"})
    assert voided.status_code == 200 and voided.json["status"] == "voided"
    assert client.post(f"/api/v1/envelopes/{envelope['id']}/void", headers=_h(token)).status_code == 409
    trail = client.get(f"/api/v1/envelopes/{envelope['id']}/audit", headers=_h(token)).json
    assert trail["intact"] and [e["kind"] for e in trail["events"]] == ["created", "sent", "invited", "reminded",
                                                                        "voided"]


def test_bad_input_is_a_json_4xx(client, make_token, contract_id):
    token = make_token("legal")
    for body in ({}, {"contract_id": "1", "recipients": []}, {"contract_id": contract_id, "recipients": "x"},
                 {"contract_id": contract_id, "recipients": [{"name": "A", "email": "nope"}]}):
        response = client.post("/api/v1/envelopes", headers=_h(token), json=body)
        assert 400 <= response.status_code < 500 and "error" in response.json
    assert client.post("/api/v1/envelopes", headers=_h(token), json={
        "contract_id": 999, "recipients": [{"name": "A", "email": "a@example.test"}]}).status_code == 404


def test_the_sealed_pdf_downloads_once_completed_and_void_is_refused(app, client, make_token, factory,
                                                                     send_envelope):
    from .conftest import complete

    envelope_id, tokens = send_envelope([("A", "a@example.test", 1)])
    sign_as(factory, tokens["a@example.test"], "A")
    complete(factory, app, envelope_id)
    token = make_token("legal")
    pdf = client.get(f"/api/v1/envelopes/{envelope_id}/document.pdf", headers=_h(token))
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF") and pdf.mimetype == "application/pdf"
    assert client.post(f"/api/v1/envelopes/{envelope_id}/void", headers=_h(token)).status_code == 409
    assert client.get(f"/api/v1/envelopes/{envelope_id}", headers=_h(token)).json["status"] == "completed"


def test_the_sender_pages_create_send_and_show(app, client, auth, contract_id, outbox):
    auth.login("legal")
    form = client.get(f"/contracts/{contract_id}/envelopes/new")
    assert form.status_code == 200
    response = client.post(f"/contracts/{contract_id}/envelopes/new", data={
        "csrf_token": auth.token(), "subject": "Sign", "message": "", "expires_in_days": "10",
        "name-0": "A", "email-0": "a@example.test", "role-0": "signer", "order-0": "1", "action": "send"})
    assert response.status_code == 302
    page = client.get(response.headers["Location"])
    assert "a@example.test" in page.get_data(as_text=True) and "intact" in page.get_data(as_text=True)
    assert len(outbox_tokens(outbox)) == 1
    assert client.post(f"/contracts/{contract_id}/envelopes/new", data={"subject": "x"}).status_code == 400


def test_the_contract_panel_lists_envelopes(app, factory, send_envelope, contract_id):
    send_envelope()
    with factory() as s:
        from clm.versions.models import Contract

        panel = envelopes.signing_panel(s, s.get(Contract, contract_id))
    assert len(panel.rows) == 1 and panel.rows[0].status == "sent" and not panel.can_send
    with app.test_request_context():
        html = app.jinja_env.get_template("signing/_contract_panel.html").render(signing=panel)
    assert "Please sign" in html


def test_signer_links_never_take_their_host_from_the_request(app, client, make_token, contract_id, outbox):
    """Finding 12 (issue 17): without CLM_PUBLIC_URL a forged Host header does not decide where links point."""
    from clm.signing.mail import read_outbox

    assert not app.config["PUBLIC_URL"]
    created = client.post("/api/v1/envelopes", headers={**_h(make_token("legal")), "Host": "evil.example"},
                          json={"contract_id": contract_id, "recipients": [{"name": "A", "email": "a@example.test"}]})
    assert created.status_code == 201, created.json
    [message] = read_outbox(outbox)
    body = message.get_body(preferencelist=("plain",)).get_content()
    assert "evil.example" not in body
    assert f"http://{app.config['HOST']}:{app.config['PORT']}/sign/" in body


def test_signer_links_use_the_public_url_when_set(app, client, make_token, contract_id, outbox):
    from clm.signing.mail import read_outbox

    app.config["PUBLIC_URL"] = "https://clm.example.com/"
    created = client.post("/api/v1/envelopes", headers={**_h(make_token("legal")), "Host": "evil.example"},
                          json={"contract_id": contract_id, "recipients": [{"name": "A", "email": "a@example.test"}]})
    assert created.status_code == 201
    [message] = read_outbox(outbox)
    assert "https://clm.example.com/sign/" in message.get_body(preferencelist=("plain",)).get_content()


def test_the_send_page_says_what_is_left_blank(app, client, auth, factory, contract_id):
    from clm.clauses import services
    from clm.versions import store

    auth.login("legal")
    with db.transaction_for(factory) as s:
        services.extract_version(s, store.get_contract(s, contract_id).latest.id)
    assert 'id="blanks"' not in client.get(f"/contracts/{contract_id}/envelopes/new").get_data(as_text=True)
    with db.transaction_for(factory) as s:
        version = store.import_file(
            s, store.Upload(b"SERVICES AGREEMENT made this ___ day of __________, 2026 between Acme Inc. and "
                            b"Contoso LLC.\n\n1. Services. Acme provides the services.\n", "msa-v2.txt"),
            limits=store.limits_from_settings(app.config), author="legal@example.test", contract_id=contract_id)
        services.extract_version(s, version.id)
    page = client.get(f"/contracts/{contract_id}/envelopes/new").get_data(as_text=True)
    warning = page[page.index('id="blanks"'):]
    warning = warning[:warning.index("</div>")]
    assert "the agreement date is left blank: \u201cthis ___ day of __________, 2026\u201d" in warning
