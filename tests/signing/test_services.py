"""Envelope services: create, order, parallel groups, decline, void, remind, expire, completion."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select

from clm import db
from clm.errors import Conflict, InvalidInput, NotFound
from clm.signing import audit, envelopes
from clm.signing.models import (
    AuditEvent,
    Envelope,
    EnvelopeStatus,
    Recipient,
    RecipientStatus,
)
from clm.versions import store
from clm.versions.models import Contract, ContractStatus, Version, VersionSource

from .conftest import LEGAL, NO_APPROVALS, complete, now, sign_as


def test_an_envelope_needs_a_version_and_a_signer(factory, contract_id):
    with db.transaction_for(factory) as s:
        empty = store.create_contract(s, title="Empty", counterparty=None, author="x")
    with factory() as s, pytest.raises(InvalidInput, match="no version"):
        envelopes.create(s, empty.id, subject="", message="", client=LEGAL, approvals=NO_APPROVALS, now=now(),
                         recipients=[envelopes.RecipientInput("A", "a@example.test")])
    with factory() as s, pytest.raises(InvalidInput, match="signer"):
        envelopes.create(s, contract_id, subject="", message="", client=LEGAL, approvals=NO_APPROVALS, now=now(),
                         recipients=[envelopes.RecipientInput("A", "a@example.test", role="cc")])
    with factory() as s, pytest.raises(InvalidInput, match="not an email"):
        envelopes.create(s, contract_id, subject="", message="", client=LEGAL, approvals=NO_APPROVALS, now=now(),
                         recipients=[envelopes.RecipientInput("A", "nobody")])


def test_create_freezes_the_version_and_send_mails_only_the_first_group(factory, send_envelope):
    envelope_id, tokens = send_envelope()
    assert list(tokens) == ["alice@example.test"]
    with factory() as s:
        envelope = s.get(Envelope, envelope_id)
        version = s.get(Version, envelope.version_id)
        assert envelope.version_sha256 == version.blob_sha256
        assert envelope.document_sha256 == envelopes.sha256_text(version.text)
        assert envelope.status is EnvelopeStatus.SENT
        assert s.get(Contract, envelope.contract_id).status is ContractStatus.SIGNING
        alice, bob = envelope.recipients
        assert (alice.status, bob.status) == (RecipientStatus.SENT, RecipientStatus.PENDING)
        assert bob.token_hash is None and alice.token_hash != tokens["alice@example.test"]
        assert [e.kind for e in audit.events_of(s, envelope_id)] == ["created", "sent", "invited"]


def test_signing_in_order_mails_the_next_group_and_completes_once(app, factory, send_envelope):
    envelope_id, tokens = send_envelope()
    outcome = sign_as(factory, tokens["alice@example.test"])
    assert not outcome.ready_to_complete
    bob = {m.to: m for m in outcome.mails}
    assert list(bob) == ["bob@example.test"]
    bob_token = bob["bob@example.test"].body.split("/sign/")[1].split()[0]
    assert sign_as(factory, bob_token, "Bob Baker").ready_to_complete
    mails = complete(factory, app, envelope_id)
    assert {m.to for m in mails} >= {"alice@example.test", "bob@example.test"}
    assert complete(factory, app, envelope_id) == []  # a second completion changes nothing
    with factory() as s:
        envelope = s.get(Envelope, envelope_id)
        assert envelope.status is EnvelopeStatus.COMPLETED and envelope.final_blob_sha256
        signed = s.get(Version, envelope.final_version_id)
        assert signed.source is VersionSource.SIGNED and signed.blob.data.startswith(b"%PDF")
        assert signed.contract.status is ContractStatus.EXECUTED
        events = audit.events_of(s, envelope_id)
        assert [e.kind for e in events].count("completed") == 1
        assert audit.verify_chain(events, audit.chain_key(s, envelope_id)) is None


def test_a_parallel_group_signs_in_any_order(factory, send_envelope):
    _envelope_id, tokens = send_envelope([("A", "a@example.test", 1), ("B", "b@example.test", 1),
                                         ("C", "c@example.test", 2)])
    assert set(tokens) == {"a@example.test", "b@example.test"}
    assert sign_as(factory, tokens["b@example.test"], "B").mails == []
    outcome = sign_as(factory, tokens["a@example.test"], "A")
    assert [m.to for m in outcome.mails] == ["c@example.test"]


def test_out_of_turn_signer_is_refused_and_nothing_changes(factory, send_envelope):
    _envelope_id, _tokens = send_envelope()
    # A token for Bob before his turn (as if leaked or mis-issued): order is checked anyway.
    with db.transaction_for(factory) as s:
        bob = s.scalars(select(Recipient).where(Recipient.email == "bob@example.test")).one()
        issued = envelopes._issue(s, bob, now=now(), expected_hash=None, statuses=(RecipientStatus.PENDING,))
    with factory() as s:
        count = s.scalar(select(func.count(AuditEvent.id)))
        with pytest.raises(envelopes.NotYourTurn):
            envelopes.view(s, issued.text, now=now())
        with pytest.raises(envelopes.NotYourTurn):
            envelopes.consent(s, issued.text, disclosure_version=envelopes.DISCLOSURE_VERSION, client=LEGAL, now=now())
        with pytest.raises(envelopes.NotYourTurn):
            envelopes.sign(s, issued.text, kind="typed", typed_name="Bob", client=LEGAL, now=now())
        s.rollback()
        assert s.scalar(select(func.count(AuditEvent.id))) == count
        assert s.get(Recipient, bob.id).signed_at is None


def test_signing_needs_consent_first(factory, send_envelope):
    _id, tokens = send_envelope()
    with factory() as s, pytest.raises(Conflict, match="Agree"):
        envelopes.sign(s, tokens["alice@example.test"], kind="typed", typed_name="Alice", client=LEGAL, now=now())


def test_decline_ends_the_envelope_for_everyone(factory, send_envelope):
    envelope_id, tokens = send_envelope([("A", "a@example.test", 1), ("B", "b@example.test", 1)])
    with db.transaction_for(factory) as s:
        envelopes.decline(s, tokens["a@example.test"], reason="Wrong price", client=LEGAL, now=now())
    with factory() as s:
        assert s.get(Envelope, envelope_id).status is EnvelopeStatus.DECLINED
        with pytest.raises(NotFound):
            envelopes.view(s, tokens["b@example.test"], now=now())


def test_void_kills_links_and_is_refused_after_completion(app, factory, send_envelope):
    envelope_id, tokens = send_envelope([("A", "a@example.test", 1)])
    with db.transaction_for(factory) as s:
        mails = envelopes.void(s, envelope_id, reason="typo", client=LEGAL, now=now())
    assert [m.to for m in mails] == ["a@example.test"]
    with factory() as s, pytest.raises(NotFound):
        envelopes.view(s, tokens["a@example.test"], now=now())

    done_id, tokens = send_envelope([("A", "a@example.test", 1)])
    sign_as(factory, tokens["a@example.test"], "A")
    complete(factory, app, done_id)
    with factory() as s, pytest.raises(Conflict, match="completed"):
        envelopes.void(s, done_id, reason="too late", client=LEGAL, now=now())


def test_remind_supersedes_the_old_link(factory, send_envelope):
    envelope_id, tokens = send_envelope()
    with db.transaction_for(factory) as s:
        mails = envelopes.remind(s, envelope_id, client=LEGAL, now=now())
    new = mails[0].body.split("/sign/")[1].split()[0]
    assert new != tokens["alice@example.test"]
    with factory() as s:
        with pytest.raises(NotFound):
            envelopes.view(s, tokens["alice@example.test"], now=now())
        assert envelopes.view(s, new, now=now()).email == "alice@example.test"


def test_expired_envelopes_and_tokens_are_gone(factory, send_envelope):
    envelope_id, tokens = send_envelope()
    later = now() + dt.timedelta(days=15)
    with factory() as s, pytest.raises(envelopes.Gone, match="expired"):
        envelopes.view(s, tokens["alice@example.test"], now=later)
    with db.transaction_for(factory) as s:
        assert envelopes.expire(s, now=now() + dt.timedelta(days=31)) == [envelope_id]
    with factory() as s:
        assert s.get(Envelope, envelope_id).status is EnvelopeStatus.EXPIRED


def test_the_sweeper_completes_an_envelope_left_behind_by_a_crash(app, factory, send_envelope):
    envelope_id, tokens = send_envelope([("A", "a@example.test", 1)])
    assert sign_as(factory, tokens["a@example.test"], "A").ready_to_complete
    # The process died here: the signature is committed, the completion never ran.
    with factory() as s:
        assert envelopes.awaiting_completion(s) == [envelope_id]
    with db.transaction_for(factory) as s:
        envelopes.complete_pending(s, now=now(), instance_path=app.instance_path)
    with db.transaction_for(factory) as s:
        assert envelopes.complete_pending(s, now=now(), instance_path=app.instance_path) == []
    with factory() as s:
        assert s.get(Envelope, envelope_id).status is EnvelopeStatus.COMPLETED
        kinds = [e.kind for e in audit.events_of(s, envelope_id)]
        assert kinds.count("completed") == 1


def test_a_new_version_after_sending_stops_signing(app, factory, send_envelope, contract_id):
    _id, tokens = send_envelope()
    with db.transaction_for(factory) as s:
        store.import_file(s, store.Upload(b"MASTER SERVICES AGREEMENT\nChanged.\n", "v2.txt"),
                          limits=store.limits_from_settings(app.config), author="x", contract_id=contract_id)
    with db.transaction_for(factory) as s:
        envelopes.consent(s, tokens["alice@example.test"], disclosure_version=envelopes.DISCLOSURE_VERSION,
                          client=LEGAL, now=now())
    with factory() as s, pytest.raises(envelopes.Gone, match="changed"):
        envelopes.sign(s, tokens["alice@example.test"], kind="typed", typed_name="A", client=LEGAL, now=now())


def test_the_approval_check_refuses_create_and_send(factory, contract_id):
    def refuse(session, contract):
        raise Conflict("needs approval")

    recipients = [envelopes.RecipientInput("A", "a@example.test")]
    with factory() as s, pytest.raises(Conflict, match="approval"):
        envelopes.create(s, contract_id, subject="", message="", client=LEGAL, approvals=refuse, now=now(),
                         recipients=recipients)
    with factory() as s:
        envelope = envelopes.create(s, contract_id, subject="", message="", client=LEGAL, approvals=NO_APPROVALS,
                                    now=now(), recipients=recipients)
        with pytest.raises(Conflict, match="approval"):
            envelopes.send(s, envelope.id, client=LEGAL, now=now(), link_base="https://clm.example",
                           approvals=refuse)


def test_drawn_signatures_are_checked_and_re_encoded(factory, send_envelope):
    import base64
    import io

    from PIL import Image, ImageDraw

    image = Image.new("RGBA", (300, 100), (0, 0, 0, 0))
    ImageDraw.Draw(image).line((10, 50, 290, 60), fill=(0, 0, 80, 255), width=4)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    good = "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode()
    _id, tokens = send_envelope([("A", "a@example.test", 1)])
    token = tokens["a@example.test"]
    with db.transaction_for(factory) as s:
        envelopes.consent(s, token, disclosure_version=envelopes.DISCLOSURE_VERSION, client=LEGAL, now=now())
    for bad in ("data:image/svg+xml;base64,PHN2Zz4=", "data:image/png;base64,!!!",
                "data:image/png;base64," + base64.b64encode(b"GIF89a" + b"0" * 100).decode(),
                "data:image/png;base64," + "A" * 400_000):
        with factory() as s, pytest.raises(InvalidInput):
            envelopes.sign(s, token, kind="drawn", drawn=bad, typed_name="A", client=LEGAL, now=now())
    with db.transaction_for(factory) as s:
        outcome = envelopes.sign(s, token, kind="drawn", drawn=good, typed_name="A", client=LEGAL, now=now())
        assert outcome.recipient.signature_image.startswith("data:image/png;base64,")


def test_one_envelope_out_for_signature_per_contract(factory, contract_id, send_envelope):
    first, _tokens = send_envelope([("A", "a@example.test", 1)])
    recipients = [envelopes.RecipientInput("B", "b@example.test")]
    with factory() as s, pytest.raises(Conflict, match=f"Envelope {first} is already out for signature"):
        envelopes.create(s, contract_id, subject="", message="", client=LEGAL, approvals=NO_APPROVALS, now=now(),
                         recipients=recipients)
    with db.transaction_for(factory) as s:
        envelopes.void(s, first, reason="wrong signer", client=LEGAL, now=now())
    with db.transaction_for(factory) as s:
        second = envelopes.create(s, contract_id, subject="", message="", client=LEGAL, approvals=NO_APPROVALS,
                                  now=now(), recipients=recipients)
        assert second.id != first


def test_the_certificate_of_completion_names_each_signers_browser(app, factory, send_envelope, monkeypatch):
    """The certificate lists, as the README promises, each signer's IP address and user agent."""
    import clm.pdf

    rendered: list[str] = []
    real = clm.pdf.html_to_pdf
    monkeypatch.setattr(clm.pdf, "html_to_pdf", lambda html, **kw: rendered.append(html) or real(html, **kw))
    envelope_id, tokens = send_envelope([("A", "a@example.test", 1)])
    sign_as(factory, tokens["a@example.test"], "A")
    complete(factory, app, envelope_id)
    certificate = rendered[-1]
    assert "192.0.2.7" in certificate and "pytest-signer" in certificate  # sign_as's client
    assert "Browser: pytest-signer" in certificate
