"""Scheduled reminders (CLM_REMINDER_DAYS): once per offset after invitation, by the sweeper."""

from __future__ import annotations

import datetime as dt

import pytest

from clm import db
from clm.cli import main
from clm.signing import audit, envelopes
from clm.signing.models import Recipient

from .conftest import LEGAL, now, outbox_tokens, sign_as, tokens_in


def _remind(factory, envelope_id, at, days=(3, 7)):
    with db.transaction_for(factory) as s:
        return envelopes.send_scheduled_reminders(s, envelope_id, days=days, now=at)


def _reminded_events(factory, envelope_id):
    with factory() as s:
        return [e.details for e in audit.events_of(s, envelope_id) if e.kind == "reminded"]


def test_parse_reminder_days():
    assert envelopes.parse_reminder_days("") == ()
    assert envelopes.parse_reminder_days(" 7, 3,3 ,") == (3, 7)
    for bad in ("3;7", "-1", "0", "x", "366", "2.5", "３"):
        with pytest.raises(ValueError):
            envelopes.parse_reminder_days(bad)


def test_each_offset_reminds_once_with_a_fresh_link(factory, send_envelope):
    envelope_id, tokens = send_envelope([("A", "a@example.test", 1)])
    start = now()
    assert _remind(factory, envelope_id, start + dt.timedelta(days=2, hours=23)) == []
    (mail,) = _remind(factory, envelope_id, start + dt.timedelta(days=3, minutes=1))
    assert mail.to == "a@example.test" and mail.subject.startswith("Reminder: ")
    assert _remind(factory, envelope_id, start + dt.timedelta(days=3, minutes=2)) == []
    assert _remind(factory, envelope_id, start + dt.timedelta(days=6)) == []
    (second,) = _remind(factory, envelope_id, start + dt.timedelta(days=7, minutes=1))
    assert _remind(factory, envelope_id, start + dt.timedelta(days=20)) == []
    events = _reminded_events(factory, envelope_id)
    with factory() as s:
        alice = s.query(Recipient).filter_by(email="a@example.test").one()
    assert [e["scheduled_days"] for e in events] == [[3], [7]]
    assert all(e["recipients"] == [alice.id] for e in events)
    # Each reminder's link replaces the one before; the newest one works.
    old, newest = tokens_in([mail])["a@example.test"], tokens_in([second])["a@example.test"]
    with factory() as s:
        with pytest.raises(envelopes.NotFound):
            envelopes.view(s, tokens["a@example.test"], now=now())
        with pytest.raises(envelopes.NotFound):
            envelopes.view(s, old, now=now())
        assert envelopes.view(s, newest, now=now()).email == "a@example.test"


def test_a_late_sweep_sends_one_reminder_for_all_missed_offsets(factory, send_envelope):
    envelope_id, _tokens = send_envelope([("A", "a@example.test", 1), ("B", "b@example.test", 1)])
    mails = _remind(factory, envelope_id, now() + dt.timedelta(days=8))
    assert sorted(m.to for m in mails) == ["a@example.test", "b@example.test"]
    (event,) = _reminded_events(factory, envelope_id)
    assert event["scheduled_days"] == [3, 7] and len(event["recipients"]) == 2
    assert _remind(factory, envelope_id, now() + dt.timedelta(days=9)) == []


def test_only_the_current_group_and_only_who_has_not_acted(factory, send_envelope):
    envelope_id, tokens = send_envelope([("A", "a@example.test", 1), ("C", "c@example.test", 1),
                                         ("B", "b@example.test", 2)])
    sign_as(factory, tokens["a@example.test"], "A")
    (mail,) = _remind(factory, envelope_id, now() + dt.timedelta(days=3, minutes=1))
    assert mail.to == "c@example.test"  # A signed; B's group is not invited yet
    # C signs (with the reminder's link) two days later; B is invited then and counted from then.
    outcome = sign_as(factory, tokens_in([mail])["c@example.test"], "C")
    (invite,) = outcome.mails
    assert invite.to == "b@example.test"
    b_invited = now()
    (b_mail,) = _remind(factory, envelope_id, b_invited + dt.timedelta(days=3, minutes=1))
    assert b_mail.to == "b@example.test"


def test_finished_and_expired_envelopes_get_no_reminders(factory, send_envelope):
    declined, tokens = send_envelope([("A", "a@example.test", 1)])
    with db.transaction_for(factory) as s:
        envelopes.decline(s, tokens["a@example.test"], reason="No", client=LEGAL, now=now())
    assert _remind(factory, declined, now() + dt.timedelta(days=4)) == []
    expired, _tokens = send_envelope([("A", "a@example.test", 1)])
    assert _remind(factory, expired, now() + dt.timedelta(days=31)) == []
    with factory() as s:
        assert envelopes.envelopes_to_remind(s, now=now() + dt.timedelta(days=31)) == []
    assert _reminded_events(factory, declined) == [] and _reminded_events(factory, expired) == []


def test_the_sweeper_sends_reminders_once(app, factory, send_envelope, runner, outbox, monkeypatch):
    envelope_id, _tokens = send_envelope([("A", "a@example.test", 1)])
    monkeypatch.setenv("CLM_REMINDER_DAYS", "3,7")
    later = now() + dt.timedelta(days=3, minutes=5)
    monkeypatch.setattr(db, "utcnow", lambda: later)
    before = len(outbox_tokens(outbox)) if outbox.exists() else 0
    first = runner.invoke(main, ["signing", "sweep"])
    assert first.exit_code == 0 and "reminded 1 recipient(s)" in first.output, first.output
    second = runner.invoke(main, ["signing", "sweep"])
    assert second.exit_code == 0 and "reminded 0 recipient(s)" in second.output, second.output
    assert len(outbox_tokens(outbox)) == before + 1
    assert [e["scheduled_days"] for e in _reminded_events(factory, envelope_id)] == [[3]]


def test_the_sweeper_refuses_a_malformed_schedule(runner, monkeypatch):
    monkeypatch.setenv("CLM_REMINDER_DAYS", "3 days")
    result = runner.invoke(main, ["signing", "sweep"])
    assert result.exit_code == 2 and "CLM_REMINDER_DAYS" in result.output and "Traceback" not in result.output
