"""Fixtures for signing: a contract with a version, envelopes sent through the outbox."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy.orm import Session

from clm import db
from clm.signing import envelopes
from clm.signing.mail import read_outbox
from clm.signing.models import Envelope
from clm.versions import store
from clm.versions.models import Blob

TEXT = ("MASTER SERVICES AGREEMENT\n1. Services. Supplier provides the services.\n"
        "2. Fees. Customer pays USD 10,000 per year.\n3. Term. One (1) year.\n")
LINK = re.compile(r"https?://\S+/sign/([A-Za-z0-9_-]+)")
SIGNERS = (("Alice Able", "alice@example.test", 1), ("Bob Baker", "bob@example.test", 2))
LEGAL = envelopes.Client(actor="legal@example.test", ip="10.0.0.1", user_agent="pytest")


def NO_APPROVALS(session: Session, contract: Any) -> None:
    """An approval check that passes: these tests are about signing, not about the clause review."""


def now() -> Any:
    return db.utcnow()


@pytest.fixture
def factory(app: Flask) -> Any:
    return db.sessionmaker_for(app)


@pytest.fixture
def contract_id(factory: Any, app: Flask) -> int:
    """A contract with one plain-text version whose deviations legal has approved."""
    return make_contract(factory, app)


@pytest.fixture
def other_contract_id(factory: Any, app: Flask) -> int:
    """A second such contract (one contract has one envelope out for signature at a time)."""
    return make_contract(factory, app)


def make_contract(factory: Any, app: Flask) -> int:
    """Create a contract with one plain-text version whose deviations legal has approved."""
    from clm.clauses import approvals
    from clm.clauses.models import ApprovalDecision

    with db.transaction_for(factory) as s:
        version = store.import_file(s, store.Upload(TEXT.encode(), "msa.txt"),
                                    limits=store.limits_from_settings(app.config), author="legal@example.test",
                                    counterparty="Contoso")
        contract = version.contract
        for row in approvals.review_for(s, contract, app.config).pending:
            approvals.decide(s, contract, row.hash, decision=ApprovalDecision.APPROVED, by="legal@example.test",
                             comment="", library=approvals.library_from_settings(app.config),
                             limits=store.limits_from_settings(app.config),
                             fallback_level=int(app.config["APPROVAL_FALLBACK_LEVEL"]))
        return version.contract_id


@pytest.fixture
def outbox(app: Flask) -> Path:
    return Path(app.instance_path) / "outbox"


def tokens_in(mails: list[envelopes.Mail]) -> dict[str, str]:
    """Return {email: token} from the signer links in ``mails``."""
    return {m.to: LINK.search(m.body).group(1) for m in mails if LINK.search(m.body)}  # type: ignore[union-attr]


def outbox_tokens(outbox: Path) -> list[tuple[str, str]]:
    """Return (recipient, token) for every signer link in the outbox, oldest first."""
    found = []
    for message in read_outbox(outbox):
        body = message.get_body(preferencelist=("plain",)).get_content()  # type: ignore[union-attr]
        match = LINK.search(body)
        if match:
            found.append((str(message["To"]), match.group(1)))
    return found


@pytest.fixture
def send_envelope(factory: Any, contract_id: int) -> Callable[..., tuple[int, dict[str, str]]]:
    """Return a function that creates and sends an envelope; it returns (id, {email: token})."""

    def _send(signers: Any = SIGNERS, *, contract: int | None = None, roles: Any = None,
              fields: Any = None) -> tuple[int, dict[str, str]]:
        recipients = [envelopes.RecipientInput(name=n, email=e, routing_order=o,
                                               role=(roles or {}).get(e, "signer"), fields=(fields or {}).get(e))
                      for n, e, o in signers]
        with db.transaction_for(factory) as s:
            envelope = envelopes.create(s, contract or contract_id, subject="Please sign", message="Thanks",
                                        recipients=recipients, client=LEGAL, now=now(), approvals=NO_APPROVALS)
            mails = envelopes.send(s, envelope.id, client=LEGAL, now=now(), link_base="https://clm.example", approvals=NO_APPROVALS)
            return envelope.id, tokens_in(mails)

    return _send


def sign_as(factory: Any, token: str, name: str = "Alice Able", fields: Any = None) -> envelopes.Outcome:
    """Consent and sign with ``token`` in two transactions, as the signing page does."""
    client = envelopes.Client(actor="signer", ip="192.0.2.7", user_agent="pytest-signer")
    with db.transaction_for(factory) as s:
        envelopes.consent(s, token, disclosure_version=envelopes.DISCLOSURE_VERSION, client=client, now=now())
    with db.transaction_for(factory) as s:
        return envelopes.sign(s, token, kind="typed", typed_name=name, fields=fields, client=client, now=now())


def complete(factory: Any, app: Flask, envelope_id: int) -> list[envelopes.Mail]:
    with db.transaction_for(factory) as s:
        return envelopes.complete(s, envelope_id, now=now(), instance_path=app.instance_path)


@pytest.fixture
def sealed(app: Flask, factory: Any, send_envelope: Any, tmp_path: Path) -> tuple[int, Path]:
    """Return (envelope id, path of the sealed PDF) for a completed two-signer envelope."""
    envelope_id, tokens = send_envelope([("A", "a@example.test", 1), ("B", "b@example.test", 1)])
    sign_as(factory, tokens["a@example.test"], "A")
    sign_as(factory, tokens["b@example.test"], "B")
    complete(factory, app, envelope_id)
    with factory() as s:
        envelope = s.get(Envelope, envelope_id)
        path = tmp_path / "signed.pdf"
        path.write_bytes(s.get(Blob, envelope.final_blob_sha256).data)
    return envelope_id, path


def session_in(factory: Any) -> Session:
    return factory()
