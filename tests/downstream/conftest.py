"""Fixtures for downstream services: a contract signed with commercial terms, the outbox delivered by hand."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from clm import db, events
from clm.clauses.services import confirmed_terms_digest
from clm.downstream import commercial
from clm.downstream.models import (
    BillingSchedule,
    Invoice,
    Order,
    OrderLine,
    Renewal,
    RevenueLine,
    RevenueSchedule,
)
from clm.signing import envelopes
from clm.signing.models import Envelope, EnvelopeStatus
from clm.versions import store
from clm.webhooks import WebhookDelivery
from tests.downstream.examples import saas_doc

TEXT = "MASTER SUBSCRIPTION AGREEMENT\n1. Fees. Customer pays USD 120,000 per year.\n"


@dataclass(frozen=True)
class Signed:
    contract_id: int
    envelope_id: int


@pytest.fixture
def plain(app: Flask) -> sessionmaker[Session]:
    """A session factory on the test database without the after-commit processing (deliver by hand)."""
    return db.make_sessionmaker(app.extensions["clm_db"].kw["bind"])


def make_envelope(s: Session, cid: int, *, now: dt.datetime, completed_at: dt.datetime | None = None) -> Envelope:
    """Add a completed envelope for the contract's latest version, as signing leaves it."""
    contract = store.get_contract(s, cid)
    version = contract.latest
    assert version is not None
    envelope = Envelope(contract_id=cid, version_id=version.id, version_sha256=version.blob_sha256,
                        document_sha256=envelopes.sha256_text(version.text),
                        terms_sha256=confirmed_terms_digest(s, cid), subject="Please sign", message="",
                        status=EnvelopeStatus.COMPLETED, expires_at=now + dt.timedelta(days=30),
                        created_by="legal@example.test", created_at=now, sent_at=now, completed_at=completed_at or now,
                        audit_seq=0)
    s.add(envelope)
    s.flush()
    return envelope


@pytest.fixture
def make_signed(app: Flask, plain: sessionmaker[Session]) -> Callable[..., Signed]:
    """Return a function: contract + terms document + completed envelope whose ``_on_completed`` ran.

    ``via`` chooses the session factory of the completing transaction: the app's (processing
    runs after commit, as in the web app) or ``plain`` (the event waits to be delivered by hand).
    """

    def _make(doc: dict[str, Any] | None = None, *, title: str = "Acme subscription", counterparty: str = "Acme",
              via: sessionmaker[Session] | None = None, attach: bool = True,
              completed_on: dt.date | None = None) -> Signed:
        """``completed_on``: the day the envelope completed (default: the terms' ``signed_on``)."""
        now = db.utcnow()
        signed_on = completed_on or dt.date.fromisoformat((doc or saas_doc())["signed_on"])
        completed_at = dt.datetime.combine(signed_on, dt.time(12), tzinfo=dt.UTC)
        with db.transaction_for(plain) as s:
            version = store.import_file(s, store.Upload(TEXT.encode(), f"{title}.txt"),
                                        limits=store.limits_from_settings(app.config), author="legal@example.test",
                                        title=title, counterparty=counterparty)
            cid = version.contract_id
            if attach:
                commercial.attach_terms(s, version.contract, doc or saas_doc(), by="finance@example.test", now=now)
        with db.transaction_for(via or plain) as s:
            envelope = make_envelope(s, cid, now=now, completed_at=completed_at)
            publish_completed(s, envelope)
            envelope_id = envelope.id
        return Signed(cid, envelope_id)

    return _make


def publish_completed(s: Session, envelope: Envelope) -> None:
    """Publish ``envelope.completed`` as signing's audit trail does on completion (webhook body aside)."""
    completed_at = envelope.completed_at
    assert completed_at is not None
    events.publish(s, "envelope.completed", f"envelope-{envelope.id}-completed", {
        "envelope_id": envelope.id, "contract_id": envelope.contract_id,
        "signed_on": completed_at.date().isoformat(), "terms_sha256": envelope.terms_sha256}, now=completed_at)


def counts(s: Session) -> dict[str, int]:
    """Return how many rows each downstream table holds, and how many order webhooks are queued."""
    found = {model.__tablename__: s.scalar(select(func.count()).select_from(model)) or 0
             for model in (Order, OrderLine, BillingSchedule, Invoice, RevenueSchedule, RevenueLine, Renewal)}
    found["order_webhook_deliveries"] = s.scalar(select(func.count()).select_from(WebhookDelivery)
                                                 .where(WebhookDelivery.event.startswith("order."))) or 0
    return found


#: What one signed SAAS_DOC produces: 1 order, 2 lines, 1 schedule, 2 invoices, 1 revenue schedule,
#: 12 months of subscription + 1 month of implementation, 1 renewal, 1 order.created webhook.
ONE_SAAS = {"orders": 1, "order_lines": 2, "billing_schedules": 1, "invoices": 2, "revenue_schedules": 1,
            "revenue_lines": 13, "renewals": 1, "order_webhook_deliveries": 1}


# The signing tests' fixtures, for the end-to-end test that signs through the real envelope flow.
from tests.signing.conftest import contract_id, factory, send_envelope  # noqa: F401
