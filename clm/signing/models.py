"""Envelopes sent for signature, their recipients, and the hash-chained audit trail."""

from __future__ import annotations

import datetime as dt
import enum
from typing import Any

from sqlalchemy import JSON, Enum, ForeignKey, Integer, SmallInteger, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from clm.db import Base, enum_values, utcnow


class EnvelopeStatus(enum.Enum):
    DRAFT = "draft"
    SENT = "sent"
    COMPLETED = "completed"
    DECLINED = "declined"
    VOIDED = "voided"
    EXPIRED = "expired"


class RecipientRole(enum.Enum):
    SIGNER = "signer"
    APPROVER = "approver"
    CC = "cc"


class RecipientStatus(enum.Enum):
    PENDING = "pending"
    SENT = "sent"
    DELIVERED = "delivered"
    VIEWED = "viewed"
    SIGNED = "signed"
    DECLINED = "declined"


class SignatureKind(enum.Enum):
    TYPED = "typed"
    DRAWN = "drawn"
    #: An approver approves; there is no signature image.
    APPROVAL = "approval"


def _enum(cls: type[enum.Enum]) -> Enum:
    return Enum(cls, values_callable=enum_values, native_enum=False, length=20)


class Envelope(Base):
    """One version of a contract sent to recipients for signature, frozen by its SHA-256."""

    __tablename__ = "envelopes"

    id: Mapped[int] = mapped_column(primary_key=True)
    contract_id: Mapped[int] = mapped_column(ForeignKey("contracts.id"), index=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("versions.id"))
    #: SHA-256 of the version's bytes when the envelope was made; signing refuses if it differs.
    version_sha256: Mapped[str] = mapped_column(String(64))
    #: SHA-256 of the text signers read (the version's paragraphs joined by "\n").
    document_sha256: Mapped[str] = mapped_column(String(64))
    #: SHA-256 of the canonical JSON of the contract's confirmed terms when it was made.
    terms_sha256: Mapped[str] = mapped_column(String(64))
    subject: Mapped[str] = mapped_column(String(300))
    message: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[EnvelopeStatus] = mapped_column(_enum(EnvelopeStatus), default=EnvelopeStatus.DRAFT)
    expires_at: Mapped[dt.datetime]
    created_by: Mapped[str] = mapped_column(String(320))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[dt.datetime | None]
    completed_at: Mapped[dt.datetime | None]
    ended_at: Mapped[dt.datetime | None]
    #: Why it was voided or declined, for the sender.
    end_reason: Mapped[str | None] = mapped_column(Text)
    #: Where signer links point (CLM_PUBLIC_URL, else the sender's site), fixed at sending so a
    #: signer's request (its Host header) never decides where the next signer's link goes.
    link_base: Mapped[str | None] = mapped_column(String(300))
    #: SHA-256 of the sealed PDF (a blob), set once at completion.
    final_blob_sha256: Mapped[str | None] = mapped_column(ForeignKey("blobs.sha256"))
    final_version_id: Mapped[int | None] = mapped_column(ForeignKey("versions.id"))
    #: Number of audit events; bumped by every append, which also serialises appends per envelope.
    audit_seq: Mapped[int] = mapped_column(Integer, default=0)

    recipients: Mapped[list[Recipient]] = relationship(
        back_populates="envelope", order_by="(Recipient.routing_order, Recipient.id)", lazy="selectin")

    def __repr__(self) -> str:
        return f"<Envelope {self.id} {self.status.value}>"


class Recipient(Base):
    """Someone who signs, approves or gets a copy of an envelope, in a routing order."""

    __tablename__ = "envelope_recipients"

    id: Mapped[int] = mapped_column(primary_key=True)
    envelope_id: Mapped[int] = mapped_column(ForeignKey("envelopes.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str] = mapped_column(String(320))
    role: Mapped[RecipientRole] = mapped_column(_enum(RecipientRole))
    #: Recipients with the same number form a group that acts in parallel; groups go in order.
    routing_order: Mapped[int] = mapped_column(Integer, default=1)
    status: Mapped[RecipientStatus] = mapped_column(_enum(RecipientStatus), default=RecipientStatus.PENDING)
    #: Hex SHA-256 of the signing token; the token itself is only ever in the email. NULL once
    #: the recipient has acted, so a used link is dead.
    token_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    #: Hex SHA-256 of the link the recipient signed with: that link, dead for signing, then shows
    #: "You signed this on ..." and gives their copy (see ``envelopes.signed_copy``).
    signed_token_hash: Mapped[str | None] = mapped_column(String(64), index=True, unique=True)
    token_expires_at: Mapped[dt.datetime | None]
    sent_at: Mapped[dt.datetime | None]
    consent_at: Mapped[dt.datetime | None]
    #: Version of the ESIGN/UETA disclosure the recipient agreed to.
    consent_version: Mapped[str | None] = mapped_column(String(20))
    signed_at: Mapped[dt.datetime | None]
    declined_at: Mapped[dt.datetime | None]
    decline_reason: Mapped[str | None] = mapped_column(Text)
    signature_kind: Mapped[SignatureKind | None] = mapped_column(_enum(SignatureKind))
    signature_name: Mapped[str | None] = mapped_column(String(200))
    #: A drawn signature: ``data:image/png;base64,...``, re-encoded by clm and size-capped.
    signature_image: Mapped[str | None] = mapped_column(Text)
    #: What the sender asks this recipient to fill in besides the signature, validated by
    #: ``envelopes.parse_fields``: ``[{"kind", "label", "required"}]``; NULL means none.
    fields: Mapped[list[dict[str, Any]] | None] = mapped_column(JSON)
    #: What the recipient filled in, recorded with the signature (same order as ``fields``):
    #: ``[{"kind", "label", "value"}]``; a checkbox's value is a bool, the others are strings.
    field_values: Mapped[list[dict[str, Any]] | None] = mapped_column(JSON)
    ip: Mapped[str | None] = mapped_column(String(64))
    user_agent: Mapped[str | None] = mapped_column(String(400))

    envelope: Mapped[Envelope] = relationship(back_populates="recipients")

    @property
    def acts(self) -> bool:
        """Return whether this recipient must act (sign or approve) before completion."""
        return self.role is not RecipientRole.CC

    def __repr__(self) -> str:
        return f"<Recipient {self.id} {self.role.value} #{self.routing_order} {self.status.value}>"


class AuditEvent(Base):
    """One thing that happened to an envelope; insert-only, each hash covers the one before."""

    __tablename__ = "envelope_audit_events"
    __table_args__ = (UniqueConstraint("envelope_id", "seq"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    envelope_id: Mapped[int] = mapped_column(ForeignKey("envelopes.id"), index=True)
    #: 1, 2, 3 ... within the envelope.
    seq: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(40))
    at: Mapped[dt.datetime]
    #: Who: a user's email, a token label, a recipient ("signer:alice@example.com") or "system".
    actor: Mapped[str] = mapped_column(String(400))
    ip: Mapped[str | None] = mapped_column(String(64))
    user_agent: Mapped[str | None] = mapped_column(String(400))
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    prev_hash: Mapped[str] = mapped_column(String(64))
    #: HMAC-SHA256(audit key, prev_hash ‖ canonical JSON of this event) for scheme 2; plain
    #: sha256 for scheme 1, the events written before keyed chains (see ``clm.signing.audit``).
    hash: Mapped[str] = mapped_column(String(64))
    #: 1: unkeyed SHA-256 (only up to the envelope's legacy anchor); 2: keyed HMAC-SHA256.
    scheme: Mapped[int] = mapped_column(SmallInteger, server_default="1")

    def __repr__(self) -> str:
        return f"<AuditEvent {self.envelope_id}.{self.seq} {self.kind}>"


class AuditLegacyAnchor(Base):
    """The head of an envelope's unkeyed trail when keyed chains began, MAC'd with the audit key.

    Written once, by the migration that introduced keyed chains, for every envelope that had
    events; insert-only. Without a valid anchor no unkeyed event of an envelope is accepted.
    """

    __tablename__ = "audit_legacy_anchors"

    envelope_id: Mapped[int] = mapped_column(ForeignKey("envelopes.id"), primary_key=True)
    #: The last unkeyed event (1..seq are scheme 1).
    seq: Mapped[int] = mapped_column(Integer)
    head_hash: Mapped[str] = mapped_column(String(64))
    #: HMAC-SHA256(audit key, "clm-audit-legacy|envelope|seq|head"), hex.
    mac: Mapped[str] = mapped_column(String(64))


class WebhookDelivery(Base):
    """One envelope status change to POST to ``CLM_WEBHOOK_URL``: an outbox row with its retries.

    Written by ``audit.append`` in the transaction of the status change itself, keyed by the
    audit event's sequence number, so a status change is queued exactly once.
    """

    __tablename__ = "webhook_deliveries"
    __table_args__ = (UniqueConstraint("envelope_id", "event", "audit_seq"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    envelope_id: Mapped[int] = mapped_column(ForeignKey("envelopes.id"), index=True)
    #: "envelope.sent", "recipient.viewed", "recipient.signed", "envelope.completed" ...
    event: Mapped[str] = mapped_column(String(40))
    #: The ``seq`` of the audit event this delivery reports.
    audit_seq: Mapped[int] = mapped_column(Integer)
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[dt.datetime]
    #: Attempts started so far; also the compare-and-set token that claims a row for one sender.
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    #: When the next attempt is due; NULL once delivered or given up.
    next_attempt_at: Mapped[dt.datetime | None] = mapped_column(index=True)
    delivered_at: Mapped[dt.datetime | None]
    #: Set when every retry failed (or the row was too old to send): the row is given up.
    failed_at: Mapped[dt.datetime | None]
    last_error: Mapped[str | None] = mapped_column(String(500))

    def __repr__(self) -> str:
        state = "delivered" if self.delivered_at else "failed" if self.failed_at else "pending"
        return f"<WebhookDelivery {self.envelope_id}.{self.audit_seq} {self.event} {state}>"
