"""The envelope audit trail: each event's hash covers the previous one, so edits show."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from clm.signing.models import AuditEvent, Envelope

#: The ``prev_hash`` of an envelope's first event.
GENESIS = "0" * 64


class EventLike(Protocol):
    """What the pure chain functions read of an event (an AuditEvent row or a stand-in)."""

    @property
    def envelope_id(self) -> int: ...
    @property
    def seq(self) -> int: ...
    @property
    def kind(self) -> str: ...
    @property
    def at(self) -> dt.datetime: ...
    @property
    def actor(self) -> str: ...
    @property
    def ip(self) -> str | None: ...
    @property
    def user_agent(self) -> str | None: ...
    @property
    def details(self) -> Mapping[str, Any]: ...
    @property
    def prev_hash(self) -> str: ...
    @property
    def hash(self) -> str: ...


E = TypeVar("E", bound=EventLike)


def canonical(event: EventLike) -> bytes:
    """Return the canonical JSON of ``event``'s content (everything but its hashes)."""
    at = event.at.astimezone(dt.UTC).isoformat(timespec="microseconds")
    body = {"envelope_id": event.envelope_id, "seq": event.seq, "kind": event.kind, "at": at,
            "actor": event.actor, "ip": event.ip, "user_agent": event.user_agent,
            "details": dict(event.details or {})}
    return json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def next_hash(prev_hash: str, event: EventLike) -> str:
    """Return sha256(prev_hash ‖ canonical JSON of event), hex."""
    return hashlib.sha256(prev_hash.encode("ascii") + canonical(event)).hexdigest()


def verify_chain(events: Iterable[E]) -> E | None:
    """Return the first event that breaks the chain, or None when every link holds.

    ``events`` are one envelope's events in the order stored (by ``seq``). An edited event
    fails its own hash; a deleted or reordered one breaks the sequence or the link to its
    predecessor; the first such event is named.
    """
    prev = GENESIS
    expected_seq = 1
    for event in events:
        if event.seq != expected_seq or event.prev_hash != prev or next_hash(prev, event) != event.hash:
            return event
        prev = event.hash
        expected_seq += 1
    return None


def describe_break(event: EventLike | None) -> str:
    """Return a one-line description of a chain break found by verify_chain."""
    if event is None:
        return "audit chain intact"
    return f"audit event #{event.seq} ({event.kind}) does not match the chain"


# -- the database side --------------------------------------------------------------------------


def append(session: Session, envelope: Envelope, kind: str, *, at: dt.datetime, actor: str,
           ip: str | None = None, user_agent: str | None = None,
           details: Mapping[str, Any] | None = None) -> AuditEvent:
    """Append an event to ``envelope``'s trail and return it.

    Bumping ``envelopes.audit_seq`` first takes the envelope's row lock (PostgreSQL) or the
    write lock (SQLite) until commit, so two requests can never claim the same sequence
    number or link to the same predecessor.
    """
    from sqlalchemy import select, update

    from clm.signing.models import AuditEvent, Envelope

    seq = session.execute(
        update(Envelope).where(Envelope.id == envelope.id).values(audit_seq=Envelope.audit_seq + 1)
        .returning(Envelope.audit_seq), execution_options={"synchronize_session": False}).scalar_one()
    prev = GENESIS if seq == 1 else session.scalar(
        select(AuditEvent.hash).where(AuditEvent.envelope_id == envelope.id, AuditEvent.seq == seq - 1))
    if prev is None:
        # The predecessor is missing: the trail was tampered with; refuse to build on it.
        raise RuntimeError(f"audit event {seq - 1} of envelope {envelope.id} is missing")
    event = AuditEvent(envelope_id=envelope.id, seq=seq, kind=kind, at=at.astimezone(dt.UTC), actor=actor,
                       ip=(ip or None) and ip[:64], user_agent=(user_agent or None) and user_agent[:400],
                       details=_plain(details or {}), prev_hash=prev, hash="")
    event.hash = next_hash(prev, event)
    session.add(event)
    session.flush()
    # A status change also queues its webhook, in this same transaction (an outbox row).
    from clm.signing import webhooks

    webhooks.record(session, envelope, event)
    return event


def _plain(details: Mapping[str, Any]) -> dict[str, Any]:
    # Round-trip through JSON so what is hashed is exactly what the JSON column gives back.
    loaded: dict[str, Any] = json.loads(json.dumps(dict(details), sort_keys=True, default=str))
    return loaded


def events_of(session: Session, envelope_id: int) -> list[AuditEvent]:
    """Return the envelope's events in sequence order."""
    from sqlalchemy import select

    from clm.signing.models import AuditEvent

    return list(session.scalars(select(AuditEvent).where(AuditEvent.envelope_id == envelope_id)
                                .order_by(AuditEvent.seq, AuditEvent.id)))
