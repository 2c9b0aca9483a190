"""Outgoing webhooks: envelope status changes POSTed to ``CLM_WEBHOOK_URL``, signed, retried.

Each status change is a domain event (:mod:`clm.events`) published by ``audit.append`` in the
transaction of the change itself (an outbox: no change without its event, no event without its
change), keyed by the body's id ``envelope-<id>-<audit seq>`` so it is queued exactly once. After
commit the webhook subscriber (:func:`clm.webhooks.on_event`) adds the ``webhook_deliveries`` row
and sends it; ``clm signing sweep`` retries the rest with backoff.

A delivery is ``POST <CLM_WEBHOOK_URL>`` with a JSON body and the headers::

    X-Clm-Timestamp: <unix seconds>
    X-Clm-Signature: sha256=<hex HMAC-SHA256(CLM_WEBHOOK_SECRET, "<timestamp>.<body>")>

Receivers check it with :func:`verify_signature` (or the same few lines in their language)
and deduplicate on the body's ``"id"``: delivery is at least once.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Mapping, Sequence
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
    from sqlalchemy.orm import Session, sessionmaker

    from clm.signing.models import AuditEvent, Envelope

__all__ = ["BACKOFF", "BATCH", "EVENTS", "LEASE", "MAX_AGE", "PREFIXES", "TIMEOUT_SECONDS", "TOLERANCE_SECONDS",
           "USER_AGENT", "DeliveryReport", "Poster", "Response", "build_payload", "check_url", "deliver_due",
           "encode_body", "headers_for", "next_attempt", "post", "record", "sign_payload", "verify_signature"]

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


#: The event types signing sends, by prefix (what ``clm signing sweep`` delivers).
PREFIXES = ("envelope.", "recipient.")


def record(session: Session, envelope: Envelope, event: AuditEvent) -> None:
    """Publish audit ``event`` as a domain event when it is a status change (called by ``audit.append``).

    The event carries its webhook body, built now (the status as this change left it); the
    webhook subscriber queues and sends it after commit, whether or not webhooks are configured
    at that moment being decided at delivery. ``envelope.completed`` also carries what downstream
    needs to turn the signed contract into an order (``clm.subscribers``).
    """
    from clm import events

    name = EVENTS.get(event.kind)
    if name is None:
        return
    body = build_payload(session, envelope, event, name)
    payload: dict[str, Any] = {"webhook": body, "envelope_id": envelope.id, "contract_id": envelope.contract_id}
    if event.kind == "completed":
        completed_at = envelope.completed_at or event.at
        # The day the last signature completed the envelope is the day the contract was signed,
        # whatever date the commercial terms were drafted with (UTC).
        payload.update(signed_on=completed_at.astimezone(dt.UTC).date().isoformat(),
                       terms_sha256=envelope.terms_sha256)
    events.publish(session, name, body["id"], payload, now=event.at)


# -- delivery ---------------------------------------------------------------------------------------


def deliver_due(factory: sessionmaker[Session], settings: Mapping[str, Any], *, now: dt.datetime | None = None,
                ids: Sequence[int] | None = None, poster: Poster = post,
                clock: Callable[[], dt.datetime] | None = None) -> DeliveryReport:
    """Send every due envelope webhook (or only ``ids``) and record each outcome; see :func:`clm.webhooks.deliver_due`."""
    return _generic.deliver_due(factory, settings, now=now, ids=ids, poster=poster, clock=clock, events=PREFIXES)
