"""The signer's pages under attack: bad tokens, order, replays, races, CSRF, markup, leaks."""

from __future__ import annotations

import re
import threading

import pytest
from sqlalchemy import func, select

from clm import db
from clm.signing import envelopes
from clm.signing.models import (
    AuditEvent,
    Envelope,
    EnvelopeStatus,
    Recipient,
    RecipientStatus,
)

from .conftest import LINK, outbox_tokens


def _csrf(client, token):
    page = client.get(f"/sign/{token}")
    assert page.status_code == 200, page.get_data(as_text=True)
    return re.search(r'name="csrf_token" value="([^"]+)"', page.get_data(as_text=True)).group(1)


def _consent(client, token):
    response = client.post(f"/sign/{token}/consent", data={
        "csrf_token": _csrf(client, token), "agree": "yes", "disclosure_version": envelopes.DISCLOSURE_VERSION})
    assert response.status_code == 200, response.get_data(as_text=True)
    return response


def _sign(client, token, name="Alice Able"):
    return client.post(f"/sign/{token}/sign", data={"csrf_token": _csrf(client, token), "kind": "typed",
                                                    "typed_name": name})


def _state(factory):
    with factory() as s:
        return (s.scalar(select(func.count(AuditEvent.id))),
                tuple(s.execute(select(Recipient.id, Recipient.status, Recipient.token_hash, Recipient.signed_at)
                                .order_by(Recipient.id))),
                tuple(s.execute(select(Envelope.id, Envelope.status).order_by(Envelope.id))))


def test_the_page_shows_consent_then_the_document_and_never_writes_on_get(app, client, factory, send_envelope):
    _id, tokens = send_envelope()
    token = tokens["alice@example.test"]
    before = _state(factory)
    for _ in range(3):  # a mail scanner prefetching the link
        page = client.get(f"/sign/{token}")
    assert page.status_code == 200 and "Agree to sign electronically" in page.get_data(as_text=True)
    assert page.headers["Referrer-Policy"] == "no-referrer" and page.headers["Cache-Control"] == "no-store"
    assert "script-src 'self'" in page.headers["Content-Security-Policy"]
    assert _state(factory) == before
    body = _consent(client, token).get_data(as_text=True)
    assert "2. Fees. Customer pays USD 10,000 per year." in body and "Finish" in body
    assert client.get(f"/sign/{token}/document.pdf").data.startswith(b"%PDF")


@pytest.mark.parametrize("how", ["tampered", "unknown", "traversal"])
def test_a_bad_token_is_404_on_get_and_post_and_changes_nothing(client, factory, send_envelope, how):
    _id, tokens = send_envelope()
    token = tokens["alice@example.test"]
    csrf = _csrf(client, token)
    bad = {"tampered": token[:-1] + ("A" if token[-1] != "A" else "B"), "unknown": "x" * 43,
           "traversal": "..%2F..%2Fetc%2Fpasswd"}[how]
    before = _state(factory)
    assert client.get(f"/sign/{bad}").status_code == 404
    for action in ("consent", "sign", "decline", "withdraw"):
        response = client.post(f"/sign/{bad}/{action}", data={"csrf_token": csrf, "agree": "yes", "kind": "typed",
                                                              "typed_name": "X", "reason": "x"})
        assert response.status_code == 404
    assert client.get(f"/sign/{bad}/document.pdf").status_code == 404
    assert _state(factory) == before


def test_an_expired_token_is_410(app, client, factory, send_envelope):
    _id, tokens = send_envelope()
    token = tokens["alice@example.test"]
    csrf = _csrf(client, token)
    with db.transaction_for(factory) as s:
        s.execute(Recipient.__table__.update().values(token_expires_at=db.utcnow().replace(year=2020)))
    before = _state(factory)
    assert client.get(f"/sign/{token}").status_code == 410
    assert client.post(f"/sign/{token}/sign", data={"csrf_token": csrf, "kind": "typed",
                                                    "typed_name": "A"}).status_code == 410
    assert _state(factory) == before


def test_a_used_token_and_a_replayed_post_are_refused(client, factory, send_envelope):
    _id, tokens = send_envelope()
    token = tokens["alice@example.test"]
    _consent(client, token)
    csrf = _csrf(client, token)
    form = {"csrf_token": csrf, "kind": "typed", "typed_name": "Alice Able"}
    assert client.post(f"/sign/{token}/sign", data=form).status_code == 200
    before = _state(factory)
    assert client.post(f"/sign/{token}/sign", data=form).status_code == 404  # replay: the token died when used
    # Reopened, the used link says she signed and offers her copy: it no longer signs anything.
    reopened = client.get(f"/sign/{token}").get_data(as_text=True)
    assert "You signed this on" in reopened and f"/sign/{token}/sign" not in reopened
    assert _state(factory) == before


def test_voided_and_completed_envelopes_refuse_their_links(app, client, factory, send_envelope):
    envelope_id, tokens = send_envelope([("A", "a@example.test", 1), ("B", "b@example.test", 1)])
    a, b = tokens["a@example.test"], tokens["b@example.test"]
    _consent(client, a)
    csrf = _csrf(client, b)
    with db.transaction_for(factory) as s:
        envelopes.void(s, envelope_id, reason="wrong", client=envelopes.Client("legal"), now=db.utcnow())
    before = _state(factory)
    for token in (a, b):
        assert client.get(f"/sign/{token}").status_code in (404, 410)
        assert client.post(f"/sign/{token}/sign", data={"csrf_token": csrf, "kind": "typed",
                                                        "typed_name": "X"}).status_code in (404, 410)
    assert _state(factory) == before


def test_signer_a_can_never_act_on_envelope_b(client, factory, send_envelope, other_contract_id):
    first_id, first = send_envelope([("A", "a@example.test", 1)])
    second_id, second = send_envelope([("B", "b@example.test", 1)], contract=other_contract_id)
    token = first["a@example.test"]
    _consent(client, token)
    csrf = _csrf(client, token)
    before = _state(factory)
    # No signer route takes an envelope id; ids smuggled into the query or form are ignored.
    response = client.post(f"/sign/{token}/decline?envelope_id={second_id}",
                           data={"csrf_token": csrf, "reason": "no", "envelope_id": second_id, "recipient_id": 99})
    assert response.status_code == 200
    with factory() as s:
        assert s.get(Envelope, first_id).status is EnvelopeStatus.DECLINED
        assert s.get(Envelope, second_id).status is EnvelopeStatus.SENT
    assert client.get(f"/sign/{second['b@example.test']}").status_code == 200
    assert before != _state(factory)


def test_signer_two_before_signer_one_is_409_on_get_and_post(client, factory, send_envelope):
    _id, _tokens = send_envelope()
    with db.transaction_for(factory) as s:
        bob = s.scalars(select(Recipient).where(Recipient.email == "bob@example.test")).one()
        token = envelopes._issue(s, bob, now=db.utcnow(), expected_hash=None,
                                 statuses=(RecipientStatus.PENDING,)).text
    before = _state(factory)
    assert client.get(f"/sign/{token}").status_code == 409
    client.get("/login")
    with client.session_transaction() as sess:
        csrf = sess["csrf"]
    for action, form in (("consent", {"agree": "yes", "disclosure_version": envelopes.DISCLOSURE_VERSION}),
                         ("sign", {"kind": "typed", "typed_name": "Bob"}), ("decline", {"reason": "x"})):
        assert client.post(f"/sign/{token}/{action}", data={"csrf_token": csrf, **form}).status_code == 409
    assert _state(factory) == before


def test_a_post_without_csrf_is_400_and_changes_nothing(client, factory, send_envelope):
    _id, tokens = send_envelope()
    token = tokens["alice@example.test"]
    _consent(client, token)
    before = _state(factory)
    assert client.post(f"/sign/{token}/sign", data={"kind": "typed", "typed_name": "A"}).status_code == 400
    assert client.post(f"/sign/{token}/sign", data={"kind": "typed", "typed_name": "A",
                                                    "csrf_token": "forged"}).status_code == 400
    assert _state(factory) == before


def test_markup_in_a_typed_signature_and_a_decline_reason_is_text(app, client, factory, send_envelope, auth):
    envelope_id, tokens = send_envelope([("A", "a@example.test", 1), ("B", "b@example.test", 2)])
    attack = '<script>alert(1)</script><img src=x onerror=alert(2)>'
    _consent(client, tokens["a@example.test"])
    assert _sign(client, tokens["a@example.test"], attack).status_code == 200
    # Alice's signature mailed Bob his link through the outbox.
    b_token = [t for to, t in outbox_tokens_from_app(app) if to == "b@example.test"][-1]
    _consent(client, b_token)
    response = client.post(f"/sign/{b_token}/decline", data={"csrf_token": _csrf_any(client), "reason": attack})
    assert response.status_code == 200
    auth.login("legal")
    page = client.get(f"/envelopes/{envelope_id}").get_data(as_text=True)
    assert attack not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    with factory() as s:
        alice = s.scalars(select(Recipient).where(Recipient.email == "a@example.test")).one()
        assert alice.signature_name == attack  # stored as typed, escaped wherever it is shown


def outbox_tokens_from_app(app):
    from pathlib import Path

    return outbox_tokens(Path(app.instance_path) / "outbox")


def _csrf_any(client):
    with client.session_transaction() as sess:
        return sess["csrf"]


def test_twenty_parallel_posts_of_one_signature_make_exactly_one(app, factory, send_envelope):
    envelope_id, tokens = send_envelope([("A", "a@example.test", 1)])
    token = tokens["a@example.test"]
    clients = [app.test_client() for _ in range(20)]
    _consent(clients[0], token)
    forms = [{"csrf_token": _csrf(c, token), "kind": "typed", "typed_name": "Alice"} for c in clients]
    barrier = threading.Barrier(20)
    statuses: list[int] = []

    def post(c, form):
        barrier.wait()
        statuses.append(c.post(f"/sign/{token}/sign", data=form).status_code)

    threads = [threading.Thread(target=post, args=pair) for pair in zip(clients, forms)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert sorted(statuses).count(200) == 1, statuses
    assert all(code in (200, 404, 410) for code in statuses), str(sorted(statuses))
    with factory() as s:
        kinds = [e.kind for e in s.scalars(select(AuditEvent).where(AuditEvent.envelope_id == envelope_id))]
        assert kinds.count("signed") == 1 and kinds.count("completed") == 1
        assert s.get(Envelope, envelope_id).status is EnvelopeStatus.COMPLETED


def test_two_signers_of_one_group_at_once_complete_once(app, factory, send_envelope):
    envelope_id, tokens = send_envelope([("A", "a@example.test", 1), ("B", "b@example.test", 1)])
    clients = {email: app.test_client() for email in tokens}
    for email, c in clients.items():
        _consent(c, tokens[email])
    forms = {email: {"csrf_token": _csrf(c, tokens[email]), "kind": "typed", "typed_name": email}
             for email, c in clients.items()}
    barrier = threading.Barrier(len(clients))
    codes: list[int] = []

    def post(email):
        barrier.wait()
        codes.append(clients[email].post(f"/sign/{tokens[email]}/sign", data=forms[email]).status_code)

    threads = [threading.Thread(target=post, args=(email,)) for email in clients]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert codes == [200, 200]
    with factory() as s:
        kinds = [e.kind for e in s.scalars(select(AuditEvent).where(AuditEvent.envelope_id == envelope_id))]
        assert kinds.count("signed") == 2 and kinds.count("completed") == 1


def test_the_sender_never_sees_a_signer_link(app, client, factory, send_envelope, auth, make_token,
                                            other_contract_id):
    envelope_id, tokens = send_envelope()
    token = tokens["alice@example.test"]
    with factory() as s:
        token_hash = s.scalars(select(Recipient.token_hash).where(Recipient.email == "alice@example.test")).one()
    bearer = make_token("legal")
    api = client.get(f"/api/v1/envelopes/{envelope_id}", headers={"Authorization": f"Bearer {bearer}"})
    audit = client.get(f"/api/v1/envelopes/{envelope_id}/audit", headers={"Authorization": f"Bearer {bearer}"})
    created = client.post("/api/v1/envelopes", headers={"Authorization": f"Bearer {bearer}"}, json={
        "contract_id": other_contract_id, "recipients": [{"name": "Carol", "email": "carol@example.test"}]})
    auth.login("legal")
    pages = [client.get(f"/envelopes/{envelope_id}").get_data(as_text=True),
             client.get(f"/envelopes/{created.json['id']}").get_data(as_text=True)]
    for text in [api.get_data(as_text=True), audit.get_data(as_text=True), created.get_data(as_text=True), *pages]:
        assert token not in text and token_hash not in text and not LINK.search(text)
        assert "/sign/" not in text
