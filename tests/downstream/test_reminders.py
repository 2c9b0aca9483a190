"""Renewal reminders: emailed at configured offsets before the notice deadline, each (renewal, offset) once."""

from __future__ import annotations

import threading
from datetime import date

import pytest
from sqlalchemy import func, select

from clm import db
from clm.downstream import orders, outbox, reminders
from clm.downstream.models import RenewalReminder
from clm.mail import OutboxMailer, read_outbox

# SAAS_DOC: term 2026-01-01 to 2026-12-31, auto-renews P1Y, notice P60D: deadline 2026-11-01 is a
# Sunday, so the last business day before, Friday 2026-10-30.
DEADLINE = date(2026, 10, 30)
SETTINGS = {"RENEWAL_REMINDER_DAYS": "90,60,30", "RENEWAL_REMINDER_TO": "finance@example.test, legal@example.test",
            "MAIL_FROM": "clm <clm@example.test>"}


@pytest.fixture
def signed(make_signed, plain):
    result = make_signed()
    outbox.drain(plain)
    return result


def rows(plain):
    with db.transaction_for(plain) as s:
        return sorted((r.offset_days, r.notice_deadline, bool(r.sent_to)) for r in s.scalars(select(RenewalReminder)))


@pytest.mark.parametrize("raw, expected", [("90,60,30", (90, 60, 30)), (" 30, 90 ,,60", (90, 60, 30)), ("", ()),
                                           ("7", (7,))])
def test_parse_offsets(raw, expected):
    assert reminders.parse_offsets(raw) == expected


@pytest.mark.parametrize("raw", ["90,sixty", "-5", "99999", "1.5"])
def test_bad_offsets_name_the_setting(raw):
    with pytest.raises(ValueError, match="CLM_RENEWAL_REMINDER_DAYS"):
        reminders.parse_offsets(raw)


def test_each_offset_is_sent_once(signed, plain, tmp_path):
    mailer = OutboxMailer(tmp_path / "out")
    assert reminders.send_reminders(plain, SETTINGS, mailer, date(2026, 7, 31)) == []  # 91 days before
    [sent] = reminders.send_reminders(plain, SETTINGS, mailer, date(2026, 8, 1))  # 90 days before
    assert (sent.contract_id, sent.notice_deadline, sent.offsets) == (signed.contract_id, DEADLINE, (90,))
    messages = read_outbox(tmp_path / "out")
    assert sorted(m["To"] for m in messages) == ["finance@example.test", "legal@example.test"]
    assert messages[0]["Subject"] == "Renewal notice deadline in 90 days: Acme subscription"
    body = messages[0].get_content()
    assert "October 30, 2026" in body and "January 1, 2027" in body and "2026-10-30" not in body
    for day in (date(2026, 8, 1), date(2026, 8, 2), date(2026, 8, 30)):
        assert reminders.send_reminders(plain, SETTINGS, mailer, day) == []
    assert [r.offsets for r in reminders.send_reminders(plain, SETTINGS, mailer, date(2026, 8, 31))] == [(60,)]
    assert reminders.send_reminders(plain, SETTINGS, mailer, date(2026, 8, 31)) == []
    assert len(read_outbox(tmp_path / "out")) == 4
    assert rows(plain) == [(60, DEADLINE, True), (90, DEADLINE, True)]


def test_a_late_first_run_sends_one_mail_for_the_nearest_offset(signed, plain, tmp_path):
    mailer = OutboxMailer(tmp_path / "out")
    [sent] = reminders.send_reminders(plain, SETTINGS, mailer, date(2026, 10, 5))  # 25 days before
    assert sent.offsets == (30, 60, 90)
    assert len(read_outbox(tmp_path / "out")) == 2
    assert read_outbox(tmp_path / "out")[0]["Subject"].startswith("Renewal notice deadline in 25 days")
    assert rows(plain) == [(30, DEADLINE, True), (60, DEADLINE, False), (90, DEADLINE, False)]
    assert reminders.send_reminders(plain, SETTINGS, mailer, date(2026, 10, 30)) == []
    assert reminders.send_reminders(plain, SETTINGS, mailer, date(2026, 10, 31)) == []  # deadline passed


def test_a_failed_send_leaves_the_reminder_due(signed, plain, tmp_path):
    class Broken:
        def send(self, message):
            raise OSError("smtp down")

    with pytest.raises(OSError):
        reminders.send_reminders(plain, SETTINGS, Broken(), date(2026, 8, 1))
    assert rows(plain) == []
    assert len(reminders.send_reminders(plain, SETTINGS, OutboxMailer(tmp_path / "out"), date(2026, 8, 1))) == 1


def test_two_runs_at_once_send_one_mail(signed, plain, tmp_path):
    mailer = OutboxMailer(tmp_path / "out")
    barrier = threading.Barrier(2)
    results, errors = [], []

    def run():
        try:
            barrier.wait()
            results.append(reminders.send_reminders(plain, SETTINGS, mailer, date(2026, 8, 1)))
        except Exception as err:  # pragma: no cover - reported below
            errors.append(err)

    threads = [threading.Thread(target=run) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert sorted(len(r) for r in results) == [0, 1]
    assert len(read_outbox(tmp_path / "out")) == 2  # one mail, two recipients
    with db.transaction_for(plain) as s:
        assert s.scalar(select(func.count()).select_from(RenewalReminder)) == 1


def test_recipients_default_to_finance_and_legal_users(signed, plain, make_user, tmp_path):
    make_user("finance", email="fin@example.test")
    make_user("legal", email="law@example.test")
    make_user("viewer", email="view@example.test")
    settings = {**SETTINGS, "RENEWAL_REMINDER_TO": ""}
    [sent] = reminders.send_reminders(plain, settings, OutboxMailer(tmp_path / "out"), date(2026, 8, 1))
    assert sent.to == ("fin@example.test", "law@example.test")


def test_a_cancelled_order_gets_no_reminders(signed, plain, tmp_path):
    with db.transaction_for(plain) as s:
        orders.cancel_order(s, signed.contract_id, date(2026, 7, 1), by="f", now=db.utcnow())
    assert reminders.send_reminders(plain, SETTINGS, OutboxMailer(tmp_path / "out"), date(2026, 8, 1)) == []


def test_cli_renewals_remind(runner, signed, plain, tmp_path, monkeypatch):
    from clm.cli import main

    monkeypatch.setenv("CLM_MAIL_OUTBOX", str(tmp_path / "out"))
    monkeypatch.setenv("CLM_RENEWAL_REMINDER_TO", "finance@example.test")
    result = runner.invoke(main, ["renewals", "remind", "--today", "2026-08-01"])
    assert result.exit_code == 0, result.output
    assert f"{signed.contract_id}\tnotice by 2026-10-30\t90 days\tfinance@example.test" in result.output
    assert runner.invoke(main, ["downstream", "remind", "--today", "2026-08-01"]).exit_code == 0
    assert len(read_outbox(tmp_path / "out")) == 1
    monkeypatch.setenv("CLM_RENEWAL_REMINDER_DAYS", "90,soon")
    result = runner.invoke(main, ["renewals", "remind"])
    assert result.exit_code == 2 and "CLM_RENEWAL_REMINDER_DAYS" in result.output


def test_an_evergreen_contract_is_reminded_once_before_its_initial_term_ends(make_signed, plain, tmp_path):
    from tests.downstream.examples import saas_doc

    make_signed(saas_doc(renewal={"auto_renewal": True, "renewal_term": "perpetual", "non_renewal_notice": "P30D"}))
    outbox.drain(plain)
    mailer = OutboxMailer(tmp_path / "out")
    # Term ends 2026-12-31; 30 days' notice: by Tuesday 2026-12-01 (a first run 30 days before it
    # covers the 60 and 90 days too).
    [sent] = reminders.send_reminders(plain, SETTINGS, mailer, date(2026, 11, 1))
    assert (sent.notice_deadline, sent.offsets) == (date(2026, 12, 1), (30, 60, 90))
    body = read_outbox(tmp_path / "out")[0].get_content()
    assert ("ends its initial term on December 31, 2026 and then runs on with no fixed end, until a party "
            "terminates it (evergreen)") in body
    assert "renews automatically" not in body and "start the renewal" not in body
    # Running on, it has no deadline to remind of, however long it runs.
    for day in (date(2027, 1, 1), date(2028, 12, 1), date(2031, 11, 2)):
        assert reminders.send_reminders(plain, SETTINGS, mailer, day) == []
