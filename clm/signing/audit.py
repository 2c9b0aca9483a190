"""The envelope audit trail: each event's hash covers the previous one, so edits show.

Two hash schemes, recorded per event in ``scheme``:

1. ``sha256(prev_hash ‖ canonical event)``: events written before keyed chains existed. Anyone
   with database write access could rewrite such a trail and recompute every hash, so these
   events are accepted only up to the *legacy anchor* of their envelope: the head of the
   unkeyed trail as it stood at the upgrade, MAC'd with the audit key (``audit_legacy_anchors``).
2. ``HMAC-SHA256(audit key, prev_hash ‖ canonical event)``: every event since. The key lives
   outside the database (``CLM_AUDIT_KEY``, or ``audit.key`` in the instance folder), so a
   rewritten trail cannot be given matching hashes, and an event downgraded to scheme 1 has no
   anchor to hide behind.

Completed envelopes are also held by their seal: the sealed PDF states the chain head at
sealing, and verification compares it with the database.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from clm.signing.models import AuditEvent, Envelope

#: The ``prev_hash`` of an envelope's first event.
GENESIS = "0" * 64
#: Hash schemes (see the module docstring).
SCHEME_SHA256, SCHEME_HMAC = 1, 2


@dataclass(frozen=True)
class ChainKey:
    """How to check one envelope's trail: the audit key and the legacy anchor that holds its unkeyed part."""

    key: bytes
    #: Events 1..legacy_seq are unkeyed (scheme 1) and must lead to ``legacy_head``; 0 when none may be.
    legacy_seq: int = 0
    legacy_head: str = GENESIS


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


def next_hash(prev_hash: str, event: EventLike, key: bytes | None = None) -> str:
    """Return the hash of ``event`` after ``prev_hash``: HMAC-SHA256 with ``key`` when given
    (scheme 2), else sha256(prev_hash ‖ canonical JSON of event) (scheme 1), hex."""
    message = prev_hash.encode("ascii") + canonical(event)
    if key is not None:
        return hmac.new(key, message, hashlib.sha256).hexdigest()
    return hashlib.sha256(message).hexdigest()


def expected_hash(event: EventLike, chain: ChainKey | None) -> str | None:
    """Return the hash ``event`` must carry, or None when its scheme is not allowed where it stands.

    Without a ``chain`` (pure use, no key) every event is read as scheme 1. With one, events up
    to the legacy anchor must be scheme 1 and every later one scheme 2 (keyed).
    """
    scheme = getattr(event, "scheme", SCHEME_SHA256)
    if chain is None:
        return next_hash(event.prev_hash, event) if scheme == SCHEME_SHA256 else None
    if event.seq <= chain.legacy_seq:
        return next_hash(event.prev_hash, event) if scheme == SCHEME_SHA256 else None
    return next_hash(event.prev_hash, event, chain.key) if scheme == SCHEME_HMAC else None


def verify_chain(events: Iterable[E], chain: ChainKey | None = None) -> E | None:
    """Return the first event that breaks the chain, or None when every link holds.

    ``events`` are one envelope's events in the order stored (by ``seq``). An edited event
    fails its own hash; a deleted or reordered one breaks the sequence or the link to its
    predecessor; an unkeyed event the legacy anchor does not cover fails too; the first such
    event is named. ``chain`` (from :func:`chain_key`) is required for keyed trails.
    """
    prev = GENESIS
    expected_seq = 1
    for event in events:
        if event.seq != expected_seq or event.prev_hash != prev or expected_hash(event, chain) != event.hash:
            return event
        if chain is not None and event.seq == chain.legacy_seq and event.hash != chain.legacy_head:
            return event
        prev = event.hash
        expected_seq += 1
    return None


def holds_head(events: Iterable[EventLike], seq: int, head: str) -> bool:
    """Return whether the trail's event ``seq`` has hash ``head`` (seq 0: the empty trail's GENESIS)."""
    if seq == 0:
        return head == GENESIS
    return any(event.seq == seq and event.hash == head for event in events)


def anchor_mac(key: bytes, envelope_id: int, seq: int, head: str) -> str:
    """Return the MAC that vouches for an envelope's unkeyed trail up to event ``seq`` with hash ``head``."""
    return hmac.new(key, f"clm-audit-legacy|{envelope_id}|{seq}|{head}".encode(), hashlib.sha256).hexdigest()


def describe_break(event: EventLike | None) -> str:
    """Return a one-line description of a chain break found by verify_chain."""
    if event is None:
        return "audit chain intact"
    return f"audit event #{event.seq} ({event.kind}) does not match the chain"


# -- the database side --------------------------------------------------------------------------

#: Where a session finds the audit key (``create_app`` and ``clm verify`` put it there).
KEY_INFO = "clm.audit_key"


def key_of(session: Session) -> bytes:
    """Return the audit key for ``session``: its ``info``, else the one the environment names."""
    key = session.info.get(KEY_INFO)
    if key is None:
        from clm import config
        from clm.signing.keys import audit_key

        key = audit_key(config.load())
        session.info[KEY_INFO] = key
    return bytes(key)


def chain_key(session: Session, envelope_id: int) -> ChainKey:
    """Return how to check envelope ``envelope_id``'s trail: the key, and its legacy anchor when the MAC holds."""
    from sqlalchemy import select

    from clm.signing.models import AuditLegacyAnchor

    key = key_of(session)
    anchor = session.scalar(select(AuditLegacyAnchor).where(AuditLegacyAnchor.envelope_id == envelope_id))
    if anchor is None or not hmac.compare_digest(anchor.mac, anchor_mac(key, envelope_id, anchor.seq, anchor.head_hash)):
        # No anchor, or a forged one: no unkeyed event is accepted for this envelope.
        return ChainKey(key)
    return ChainKey(key, anchor.seq, anchor.head_hash)


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
                       details=_plain(details or {}), prev_hash=prev, hash="", scheme=SCHEME_HMAC)
    event.hash = next_hash(prev, event, key_of(session))
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
