"""Pure parts: signer tokens, and the audit hash chain naming the first broken event."""

from __future__ import annotations

import dataclasses
import datetime as dt

from clm.signing import audit, tokens

NOW = dt.datetime(2026, 11, 28, 12, 0, tzinfo=dt.UTC)


def test_a_token_is_random_and_only_its_hash_is_kept():
    first, second = tokens.issue(NOW, dt.timedelta(days=1)), tokens.issue(NOW, dt.timedelta(days=1))
    assert first.text != second.text and len(first.text) >= 43  # 32 bytes, base64url
    assert first.hash == tokens.hash_token(first.text) and first.text not in first.hash
    assert tokens.verify(first.text, first.hash, first.expires_at, NOW)


def test_a_tampered_expired_or_foreign_token_does_not_verify():
    issued = tokens.issue(NOW, dt.timedelta(hours=1))
    flipped = issued.text[:-1] + ("A" if issued.text[-1] != "A" else "B")
    assert not tokens.verify(flipped, issued.hash, issued.expires_at, NOW)
    assert not tokens.verify(issued.text, issued.hash, issued.expires_at, NOW + dt.timedelta(hours=1))
    assert not tokens.verify(issued.text, tokens.issue(NOW, dt.timedelta(hours=1)).hash, issued.expires_at, NOW)
    assert not tokens.verify(issued.text, None, issued.expires_at, NOW)
    assert not tokens.well_formed("../../etc/passwd") and not tokens.well_formed("short")


@dataclasses.dataclass
class Event:
    envelope_id: int
    seq: int
    kind: str
    at: dt.datetime
    actor: str
    ip: str | None
    user_agent: str | None
    details: dict
    prev_hash: str = ""
    hash: str = ""


def _chain(n: int = 5) -> list[Event]:
    events, prev = [], audit.GENESIS
    for seq in range(1, n + 1):
        event = Event(7, seq, f"kind{seq}", NOW + dt.timedelta(seconds=seq), "alice", "10.0.0.1", "ua",
                      {"n": seq}, prev_hash=prev)
        event.hash = audit.next_hash(prev, event)
        prev = event.hash
        events.append(event)
    return events


def test_an_untouched_chain_verifies():
    assert audit.verify_chain(_chain()) is None
    assert audit.verify_chain([]) is None


def test_the_hash_covers_every_field_and_the_predecessor():
    event = _chain(1)[0]
    base = audit.next_hash(audit.GENESIS, event)
    for change in ({"kind": "other"}, {"actor": "mallory"}, {"ip": "1.2.3.4"}, {"details": {"n": 2}},
                   {"at": NOW}, {"user_agent": None}):
        assert audit.next_hash(audit.GENESIS, dataclasses.replace(event, **change)) != base
    assert audit.next_hash("f" * 64, event) != base


def test_an_edited_event_is_named():
    events = _chain()
    events[2].details = {"n": 99}
    assert audit.verify_chain(events) is events[2]


def test_a_deleted_event_is_named_by_its_successor():
    events = _chain()
    del events[1]
    assert audit.verify_chain(events).seq == 3


def test_reordered_events_are_named():
    events = _chain()
    events[1], events[2] = events[2], events[1]
    assert audit.verify_chain(events).seq == 3


def test_a_rehashed_edit_still_breaks_the_next_link():
    events = _chain()
    events[1].details = {"n": 42}
    events[1].hash = audit.next_hash(events[1].prev_hash, events[1])
    assert audit.verify_chain(events) is events[2]
    assert "#3" in audit.describe_break(events[2])
