"""Two signers in order in a real browser, following the links in the outbox emails."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from clm import db
from clm.app import create_app
from tests.conftest import serving
from clm.signing import audit
from clm.signing.models import Envelope, EnvelopeStatus
from clm.versions.models import Contract, ContractStatus

from .conftest import NO_APPROVALS, SIGNERS, outbox_tokens

pytestmark = pytest.mark.browser


@pytest.fixture
def viewport() -> dict[str, int]:
    return {"width": 390, "height": 844}  # signers sign on their phones


@pytest.fixture
def live(app_config) -> Iterator[tuple[str, object]]:
    app = create_app(app_config)
    with serving(app) as url:
        yield url, app
    app.extensions["clm_db"].kw["bind"].dispose()


def test_two_signers_sign_in_order_from_their_emails(live, page, factory, contract_id, send_envelope):
    base, app = live
    outbox = Path(app.instance_path) / "outbox"
    # Links point at the live server, as CLM_PUBLIC_URL would make them.
    from clm.signing import envelopes

    from .conftest import LEGAL

    alice_fields = [{"kind": "initials"}, {"kind": "checkbox", "label": "I have read the fees clause"},
                    {"kind": "date_signed"}]
    recipients = [envelopes.RecipientInput(name=n, email=e, routing_order=o,
                                           fields=alice_fields if e == "alice@example.test" else None)
                  for n, e, o in SIGNERS]
    with db.transaction_for(factory) as s:
        envelope = envelopes.create(s, contract_id, subject="Please sign", message="", recipients=recipients,
                                    client=LEGAL, now=db.utcnow(), approvals=NO_APPROVALS)
        mails = envelopes.send(s, envelope.id, client=LEGAL, now=db.utcnow(), link_base=base, approvals=NO_APPROVALS)
        envelope_id = envelope.id
    from clm.signing.mail import OutboxMailer, deliver, read_outbox

    deliver(OutboxMailer(outbox), mails)
    errors: list[str] = []
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)

    # Signer 1 types a signature.
    (to, token), = outbox_tokens(outbox)
    assert to == "alice@example.test"
    page.goto(f"{base}/sign/{token}")
    page.get_by_label("I agree to use electronic records and signatures").check()
    page.get_by_role("button", name="Continue").click()
    assert page.locator("article.document").get_by_text("2. Fees. Customer pays USD 10,000 per year.").is_visible()
    page.get_by_label("Full name").fill("Alice Able")
    assert page.locator("#sig-preview").inner_text() == "Alice Able"
    # Her required fields: the browser will not submit them empty.
    page.get_by_role("button", name="Finish").click()
    assert page.locator("#field-0").evaluate("el => el.validity.valueMissing")
    assert page.get_by_role("status").count() == 0
    assert page.get_by_text(f"Date signed: {db.utcnow().date().isoformat()}").is_visible()
    # Initials typed, the checkbox ticked from the keyboard.
    page.get_by_label("Initials").fill("AA")
    page.keyboard.press("Tab")
    checkbox = page.get_by_label("I have read the fees clause")
    assert checkbox.evaluate("el => el === document.activeElement")
    page.keyboard.press("Space")
    assert checkbox.is_checked()
    page.get_by_role("button", name="Finish").click()
    assert page.get_by_role("status").inner_text().startswith("Thank you, Alice Able")

    # Signer 2 got the next email only now, and draws a signature.
    tokens = outbox_tokens(outbox)
    assert [t[0] for t in tokens] == ["alice@example.test", "bob@example.test"]
    page.goto(f"{base}/sign/{tokens[1][1]}")
    page.get_by_label("I agree to use electronic records and signatures").check()
    page.get_by_role("button", name="Continue").click()
    page.get_by_role("radio", name="Draw").check()
    page.locator("#sig-canvas").scroll_into_view_if_needed()
    box = page.locator("#sig-canvas").bounding_box()
    page.mouse.move(box["x"] + 20, box["y"] + box["height"] / 2)
    page.mouse.down()
    for step in range(1, 12):
        page.mouse.move(box["x"] + 20 + step * 25, box["y"] + box["height"] / 2 + (step % 3) * 8)
    page.mouse.up()
    assert page.locator("#drawn").input_value().startswith("data:image/png;base64,")
    page.get_by_role("button", name="Finish").click()
    assert page.get_by_role("status").inner_text().startswith("Thank you, Bob Baker")
    assert errors == []

    with factory() as s:
        envelope = s.get(Envelope, envelope_id)
        assert envelope.status is EnvelopeStatus.COMPLETED
        assert s.get(Contract, envelope.contract_id).status is ContractStatus.EXECUTED
        assert [r.signature_kind.value for r in envelope.recipients] == ["typed", "drawn"]
        alice, bob = envelope.recipients
        assert [(f["label"], f["value"]) for f in alice.field_values] == [
            ("Initials", "AA"), ("I have read the fees clause", True), ("Date signed", db.utcnow().date().isoformat())]
        assert bob.fields is None and bob.field_values is None
        assert audit.verify_chain(audit.events_of(s, envelope_id), audit.chain_key(s, envelope_id)) is None
    completed = [m for m in read_outbox(outbox) if str(m["Subject"]).startswith("Completed")]
    assert {str(m["To"]) for m in completed} == {"alice@example.test", "bob@example.test", "legal@example.test"}
