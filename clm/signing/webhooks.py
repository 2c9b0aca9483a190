"""Outgoing webhooks: envelope status changes POSTed to ``CLM_WEBHOOK_URL``, signed, retried.

Each status change is a ``webhook_deliveries`` row written by ``audit.append`` in the
transaction of the change itself (an outbox: no change without its row, no row without its
change), keyed by (envelope, event, audit seq) so it is queued exactly once. After commit a
job delivers the new rows; ``clm signing sweep`` retries the rest with backoff.

A delivery is ``POST <CLM_WEBHOOK_URL>`` with a JSON body and the headers::

    X-Clm-Timestamp: <unix seconds>
    X-Clm-Signature: sha256=<hex HMAC-SHA256(CLM_WEBHOOK_SECRET, "<timestamp>.<body>")>

Receivers check it with :func:`verify_signature` (or the same few lines in their language)
and deduplicate on the body's ``"id"``: delivery is at least once.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

# The generic machinery lives in clm.webhooks; these names stay importable from here.
from clm import webhooks as _generic
from clm.webhooks import (
    BACKOFF,
    BATCH,
    LEASE,
    MAX_AGE,
    TIMEOUT_SECONDS,
    TOLERANCE_SECONDS,
    USER_AGENT,
    DeliveryReport,
    Poster,
    Response,
    check_url,
    encode_body,
    headers_for,
    next_attempt,
    post,
    sign_payload,
    verify_signature,
)

if TYPE_CHECKING:
    from flask import Flask
    from sqlalchemy.orm import Session, sessionmaker

    from clm.signing.models import AuditEvent, Envelope

__all__ = ["BACKOFF", "BATCH", "EVENTS", "LEASE", "MAX_AGE", "TIMEOUT_SECONDS", "TOLERANCE_SECONDS", "USER_AGENT",
           "DeliveryReport", "Poster", "Response", "build_payload", "check_url", "deliver_due", "deliver_job",
           "encode_body", "headers_for", "init_app", "kick", "next_attempt", "post", "record", "sign_payload",
           "verify_signature"]

log = logging.getLogger(__name__)

#: Audit event kind -> webhook event name. Only status changes are sent.
EVENTS: Mapping[str, str] = {
    "sent": "envelope.sent",
    "consented": "recipient.viewed",
    "signed": "recipient.signed",
    "approved": "recipient.signed",
    "declined": "envelope.declined",
    "consent_withdrawn": "envelope.declined",
    "voided": "envelope.voided",
    "expired": "envelope.expired",
    "completed": "envelope.completed",
}
_SESSION_KEY = "clm_webhook_ids"


# -- queueing: in the status change's transaction ------------------------------------------------


def _recipient_json(session: Session, recipient_id: Any) -> dict[str, Any] | None:
    from clm.signing.models import Recipient

    recipient = session.get(Recipient, recipient_id) if isinstance(recipient_id, int) else None
    if recipient is None:
        return None
    return {"id": recipient.id, "name": recipient.name, "email": recipient.email, "role": recipient.role.value,
            "routing_order": recipient.routing_order}


def build_payload(session: Session, envelope: Envelope, event: AuditEvent, name: str) -> dict[str, Any]:
    """Return the body of the webhook for audit ``event``: public facts only, never a token."""
    from sqlalchemy import select

    from clm.signing.models import Envelope as EnvelopeRow

    # Read what the status change just wrote, not what this session's identity map remembers.
    status, final_version_id = session.execute(
        select(EnvelopeRow.status, EnvelopeRow.final_version_id).where(EnvelopeRow.id == envelope.id)).one()
    details = event.details or {}
    data: dict[str, Any] = {}
    if event.kind == "sent":
        data["expires_at"] = details.get("expires_at")
    elif event.kind in {"consented", "signed", "approved", "declined", "consent_withdrawn"}:
        data["recipient"] = _recipient_json(session, details.get("recipient_id"))
        if event.kind in {"signed", "approved"}:
            data["action"] = event.kind
        if event.kind in {"declined", "consent_withdrawn"}:
            data["reason"] = details.get("reason")
            data["consent_withdrawn"] = event.kind == "consent_withdrawn"
    elif event.kind == "voided":
        data["reason"] = details.get("reason")
    elif event.kind == "completed":
        data.update(pdf_sha256=details.get("pdf_sha256"), signed_version=details.get("version"),
                    signed_version_id=final_version_id)
    return {
        "id": f"envelope-{envelope.id}-{event.seq}",
        "event": name,
        "occurred_at": event.at.astimezone(dt.UTC).isoformat(),
        "envelope": {"id": envelope.id, "contract_id": envelope.contract_id, "status": status.value,
                     "subject": envelope.subject, "document_sha256": envelope.document_sha256},
        "audit": {"seq": event.seq, "hash": event.hash},
        "data": data,
    }


def record(session: Session, envelope: Envelope, event: AuditEvent) -> None:
    """Queue the webhook for audit ``event`` when it is a status change (called by ``audit.append``).

    The row is written whether or not webhooks are configured: it is the outbox; sending is
    decided at delivery. Its id is remembered on the session for the after-commit kick.
    """
    from clm.signing.models import WebhookDelivery

    name = EVENTS.get(event.kind)
    if name is None:
        return
    row = WebhookDelivery(envelope_id=envelope.id, event=name, audit_seq=event.seq,
                          payload=build_payload(session, envelope, event, name), created_at=event.at,
                          attempts=0, next_attempt_at=event.at)
    session.add(row)
    session.flush()
    session.info.setdefault(_SESSION_KEY, []).append(row.id)


# -- delivery ---------------------------------------------------------------------------------------


def deliver_due(factory: sessionmaker[Session], settings: Mapping[str, Any], *, now: dt.datetime | None = None,
                ids: Sequence[int] | None = None, poster: Poster = post,
                clock: Callable[[], dt.datetime] | None = None) -> DeliveryReport:
    """Send every due envelope webhook (or only ``ids``) and record each outcome; see :func:`clm.webhooks.deliver_due`."""
    from clm.signing.models import WebhookDelivery

    return _generic.deliver_due(factory, WebhookDelivery, settings, now=now, ids=ids, poster=poster, clock=clock)


def deliver_job(database_url: str, ids: list[int] | None = None) -> tuple[int, int, int]:
    """RQ job: deliver ``ids`` (or everything due) with the worker's own settings.

    The secret is read from the worker's environment, never passed through Redis. Safe to
    run twice: a delivered row is not sent again. Return (delivered, retrying, failed).
    """
    from clm import config, db

    settings = config.load()
    engine = db.make_engine(database_url)
    try:
        report = deliver_due(db.make_sessionmaker(engine), settings, ids=ids)
    finally:
        engine.dispose()
    return report.delivered, report.retrying, report.failed


def kick(settings: Mapping[str, Any], factory: sessionmaker[Session], ids: Iterable[int]) -> None:
    """Deliver freshly committed rows now: as an RQ job with Redis, inline otherwise. Never raises."""
    ids = sorted(set(ids))
    if not ids or not settings.get("WEBHOOK_URL"):
        return
    try:
        if settings.get("REDIS_URL"):
            from clm import jobs

            jobs.enqueue(dict(settings), deliver_job, str(settings["DATABASE_URL"]), ids)
        else:
            deliver_due(factory, settings, ids=ids)
    except Exception:
        log.exception("webhook delivery of %s failed to start; the sweeper will retry", ids)


def init_app(app: Flask) -> None:
    """After each commit of the app's sessions, deliver the webhooks that commit queued."""
    from sqlalchemy import event

    from clm import db

    factory = db.sessionmaker_for(app)

    def _after_commit(session: Session) -> None:
        ids = session.info.pop(_SESSION_KEY, None)
        if ids:
            kick(app.config, factory, ids)

    def _after_rollback(session: Session) -> None:
        session.info.pop(_SESSION_KEY, None)

    event.listen(factory, "after_commit", _after_commit)
    event.listen(factory, "after_rollback", _after_rollback)
