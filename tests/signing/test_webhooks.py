"""Outgoing webhooks: signed, queued with the status change exactly once, retried with backoff."""

from __future__ import annotations

import datetime as dt
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from clm import db
from clm.cli import main
from clm.signing import envelopes, webhooks
from clm.webhooks import WebhookDelivery

from .conftest import LEGAL, complete, now, sign_as, tokens_in

SECRET = "whsec_test_0123456789"


# -- the pure signature functions ----------------------------------------------------------------


def test_a_signature_verifies_and_anything_else_does_not():
    body = b'{"event":"envelope.completed","id":"envelope-1-9"}'
    stamp = 1_800_000_000
    header = webhooks.sign_payload(SECRET, stamp, body)
    assert header.startswith("sha256=") and len(header) == 7 + 64
    assert webhooks.verify_signature(SECRET, header, str(stamp), body, now=stamp + 10)
    assert webhooks.verify_signature(SECRET, header, stamp, body.decode(), now=dt.datetime.fromtimestamp(stamp, dt.UTC))
    # Rotation: a header listing an old and the current signature passes.
    assert webhooks.verify_signature(SECRET, "sha256=" + "0" * 64 + ", " + header, stamp, body, now=stamp)
    refused = [
        ("wrong secret", "other-secret", header, stamp, body, stamp),
        ("missing header", SECRET, None, stamp, body, stamp),
        ("empty header", SECRET, "", stamp, body, stamp),
        ("bare hex", SECRET, header.removeprefix("sha256="), stamp, body, stamp),
        ("one hex digit changed", SECRET, header[:-1] + ("0" if header[-1] != "0" else "1"), stamp, body, stamp),
        ("body changed", SECRET, header, stamp, body + b" ", stamp),
        ("timestamp changed", SECRET, header, stamp + 1, body, stamp),
        ("stale timestamp", SECRET, header, stamp, body, stamp + 301),
        ("future timestamp", SECRET, header, stamp, body, stamp - 301),
        ("missing timestamp", SECRET, header, None, body, stamp),
        ("malformed timestamp", SECRET, header, "1.8e9", body, stamp),
        ("negative timestamp", SECRET, header, "-5", body, stamp),
        ("empty secret", "", header, stamp, body, stamp),
    ]
    for why, secret, head, ts, payload, clock in refused:
        assert not webhooks.verify_signature(secret, head, ts, payload, now=clock), why
    assert webhooks.verify_signature(SECRET, header, stamp, body, now=stamp + 300)
    with pytest.raises(ValueError):
        webhooks.sign_payload("", stamp, body)


def test_the_backoff_schedule_then_giving_up():
    start = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    waits = [webhooks.next_attempt(n, start) - start for n in range(1, 6)]  # type: ignore[operator]
    assert waits == [dt.timedelta(minutes=1), dt.timedelta(minutes=5), dt.timedelta(minutes=30),
                     dt.timedelta(hours=2), dt.timedelta(hours=12)]
    assert webhooks.next_attempt(6, start) is None


@pytest.mark.parametrize("url", ["file:///etc/passwd", "ftp://example.test/x", "https://user:pw@example.test/",
                                 "not a url", "http://"])
def test_only_plain_http_urls_are_targets(url):
    assert webhooks.check_url(url) is not None


# -- a receiver on a local port ------------------------------------------------------------------


class Receiver:
    """An HTTP server thread that records each POST and answers with scripted statuses."""

    def __init__(self) -> None:
        self.requests: list[tuple[str, dict[str, str], bytes]] = []
        self.statuses: list[int] = []
        self.lock = threading.Lock()
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                with outer.lock:
                    outer.requests.append((self.path, dict(self.headers.items()), body))
                    status = outer.statuses.pop(0) if outer.statuses else 200
                self.send_response(status)
                if 300 <= status < 400:
                    self.send_header("Location", "/elsewhere")
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hooks/clm"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def events(self) -> list[str]:
        return [json.loads(body)["event"] for _path, _headers, body in self.requests]

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(5)


@pytest.fixture
def receiver():
    server = Receiver()
    yield server
    server.close()


@pytest.fixture
def app_config(app_config, receiver):
    return {**app_config, "WEBHOOK_URL": receiver.url, "WEBHOOK_SECRET": SECRET}


def _rows(factory, event=None):
    with factory() as s:
        query = select(WebhookDelivery).order_by(WebhookDelivery.id)
        if event:
            query = query.where(WebhookDelivery.event == event)
        return list(s.scalars(query))


def test_each_status_change_is_delivered_signed_after_commit(app, factory, send_envelope, receiver):
    envelope_id, tokens = send_envelope([("A", "a@example.test", 1), ("B", "b@example.test", 2)])
    assert receiver.events() == ["envelope.sent"]
    outcome = sign_as(factory, tokens["a@example.test"], "A")
    rows = _rows(factory)
    assert [r.event for r in rows] == ["envelope.sent", "recipient.viewed", "recipient.signed"]
    b_token = tokens_in(outcome.mails)["b@example.test"]
    sign_as(factory, b_token, "B")
    complete(factory, app, envelope_id)
    assert receiver.events() == ["envelope.sent", "recipient.viewed", "recipient.signed",
                                 "recipient.viewed", "recipient.signed", "envelope.completed"]
    secrets_seen = set(tokens.values()) | {b_token}
    for path, headers, body in receiver.requests:
        assert path == "/hooks/clm" and headers["Content-Type"] == "application/json"
        assert webhooks.verify_signature(SECRET, headers["X-Clm-Signature"], headers["X-Clm-Timestamp"], body,
                                         now=time.time())
        assert not webhooks.verify_signature("another-secret", headers["X-Clm-Signature"],
                                             headers["X-Clm-Timestamp"], body, now=time.time())
        payload = json.loads(body)
        assert headers["X-Clm-Event"] == payload["event"] and headers["X-Clm-Delivery"] == payload["id"]
        assert payload["envelope"]["id"] == envelope_id
        assert not any(token in body.decode() for token in secrets_seen)
    completed = json.loads(receiver.requests[-1][2])
    assert completed["envelope"]["status"] == "completed" and len(completed["data"]["pdf_sha256"]) == 64
    signed = json.loads(receiver.requests[2][2])
    assert signed["data"]["recipient"]["email"] == "a@example.test" and signed["data"]["action"] == "signed"
    assert all(r.delivered_at is not None and r.attempts == 1 and r.next_attempt_at is None for r in _rows(factory))


def test_declined_voided_and_expired_are_delivered(app, factory, send_envelope, receiver):
    _one, tokens = send_envelope([("A", "a@example.test", 1)])
    with db.transaction_for(factory) as s:
        envelopes.decline(s, tokens["a@example.test"], reason="Wrong price", client=LEGAL, now=now())
    two, _tokens = send_envelope([("A", "a@example.test", 1)])
    with db.transaction_for(factory) as s:
        envelopes.void(s, two, reason="Superseded", client=LEGAL, now=now())
    send_envelope([("A", "a@example.test", 1)])
    with db.transaction_for(factory) as s:
        envelopes.expire(s, now=now() + dt.timedelta(days=31))
    assert receiver.events() == ["envelope.sent", "envelope.declined", "envelope.sent", "envelope.voided",
                                 "envelope.sent", "envelope.expired"]
    declined = json.loads(receiver.requests[1][2])
    assert declined["data"]["reason"] == "Wrong price" and declined["envelope"]["status"] == "declined"


def test_a_500_is_retried_with_backoff_then_delivered(app, factory, send_envelope, receiver):
    receiver.statuses = [500]
    send_envelope([("A", "a@example.test", 1)])
    (row,) = _rows(factory)
    assert row.delivered_at is None and row.attempts == 1 and row.last_error == "HTTP 500"
    assert dt.timedelta(seconds=50) < row.next_attempt_at - now() <= dt.timedelta(minutes=1)
    # Not due yet: nothing is sent.
    assert webhooks.deliver_due(factory, app.config).delivered == 0 and len(receiver.requests) == 1
    report = webhooks.deliver_due(factory, app.config, now=now() + dt.timedelta(minutes=2))
    assert (report.delivered, report.retrying, report.failed) == (1, 0, 0)
    (row,) = _rows(factory)
    assert row.delivered_at is not None and row.attempts == 2 and row.last_error is None
    first, second = receiver.requests
    assert first[2] == second[2] and first[1]["X-Clm-Delivery"] == second[1]["X-Clm-Delivery"]
    # Delivered rows are never sent again.
    assert webhooks.deliver_due(factory, app.config, now=now() + dt.timedelta(days=1)).delivered == 0
    assert len(receiver.requests) == 2


def test_redirects_are_not_followed(app, factory, send_envelope, receiver):
    receiver.statuses = [302]
    send_envelope([("A", "a@example.test", 1)])
    assert [path for path, _h, _b in receiver.requests] == ["/hooks/clm"]
    (row,) = _rows(factory)
    assert row.delivered_at is None and row.last_error == "HTTP 302"


def test_a_dead_receiver_is_given_up_after_the_last_retry(app, factory, send_envelope, receiver):
    calls = []

    def refuse(url, body, headers):
        calls.append(url)
        return webhooks.Response(None, "ConnectionRefusedError: refused")

    config = {**app.config, "WEBHOOK_URL": "http://127.0.0.1:9/"}
    app.config.update(WEBHOOK_URL="")  # queued, but not sent after commit
    send_envelope([("A", "a@example.test", 1)])
    (row,) = _rows(factory)
    attempts = row.attempts
    clock = now()
    for _attempt in range(10):
        clock += dt.timedelta(hours=13)
        report = webhooks.deliver_due(factory, config, now=clock, poster=refuse, clock=lambda at=clock: at)
        if report.failed:
            break
        assert report.retrying == 1
    (row,) = _rows(factory)
    assert row.failed_at is not None and row.next_attempt_at is None and row.delivered_at is None
    assert row.attempts == 1 + len(webhooks.BACKOFF) and attempts + len(calls) == row.attempts
    assert "refused" in row.last_error
    assert webhooks.deliver_due(factory, config, now=clock + dt.timedelta(days=1), poster=refuse).failed == 0


def test_one_row_per_status_change_even_when_completion_runs_twice(app, factory, send_envelope, receiver):
    envelope_id, tokens = send_envelope([("A", "a@example.test", 1)])
    sign_as(factory, tokens["a@example.test"], "A")
    complete(factory, app, envelope_id)
    assert complete(factory, app, envelope_id) == []
    with db.transaction_for(factory) as s:
        assert envelopes.complete_pending(s, now=now(), instance_path=app.instance_path) == []
    (row,) = _rows(factory, "envelope.completed")
    assert receiver.events().count("envelope.completed") == 1
    # The database itself refuses a second row for the same change.
    with factory() as s:
        s.add(WebhookDelivery(event=row.event, key=row.key, payload={}, created_at=now(), attempts=0,
                              next_attempt_at=now()))
        with pytest.raises(IntegrityError):
            s.flush()
        s.rollback()


def test_parallel_senders_send_one_attempt_once(app, factory, send_envelope, receiver):
    receiver.statuses = [503]
    send_envelope([("A", "a@example.test", 1)])
    later = now() + dt.timedelta(minutes=2)
    barrier = threading.Barrier(4)
    sent = []

    def slow(url, body, headers):
        sent.append(url)
        time.sleep(0.2)
        return webhooks.Response(200)

    def run():
        barrier.wait()
        webhooks.deliver_due(factory, app.config, now=later, poster=slow)

    threads = [threading.Thread(target=run) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert len(sent) == 1
    (row,) = _rows(factory)
    assert row.delivered_at is not None and row.attempts == 2


def test_nothing_is_sent_without_a_url_or_a_secret(app, factory, send_envelope, receiver):
    app.config.update(WEBHOOK_URL="")
    send_envelope([("A", "a@example.test", 1)])
    assert receiver.requests == []
    (row,) = _rows(factory)  # the outbox row is still written, in the same transaction
    assert row.event == "envelope.sent" and row.attempts == 0
    assert webhooks.deliver_due(factory, app.config).skipped == "CLM_WEBHOOK_URL is not set"
    unsigned = {**app.config, "WEBHOOK_URL": receiver.url, "WEBHOOK_SECRET": ""}
    assert "SECRET" in (webhooks.deliver_due(factory, unsigned).skipped or "")
    assert receiver.requests == []
    # Turned on later: recent rows go out, rows queued long ago are given up.
    report = webhooks.deliver_due(factory, {**unsigned, "WEBHOOK_SECRET": SECRET}, now=now() + dt.timedelta(days=3))
    assert report.failed == 1 and receiver.requests == []


def test_the_sweeper_retries_due_deliveries(app, factory, send_envelope, receiver, runner, monkeypatch):
    receiver.statuses = [500]
    send_envelope([("A", "a@example.test", 1)])
    monkeypatch.setenv("CLM_WEBHOOK_URL", receiver.url)
    monkeypatch.setenv("CLM_WEBHOOK_SECRET", SECRET)
    result = runner.invoke(main, ["signing", "sweep"])
    assert result.exit_code == 0, result.output
    assert "webhooks: 0 delivered, 0 to retry" in result.output  # the retry is not due for a minute
    with db.transaction_for(factory) as s:
        s.execute(WebhookDelivery.__table__.update().values(next_attempt_at=now() - dt.timedelta(seconds=1)))
    result = runner.invoke(main, ["signing", "sweep"])
    assert result.exit_code == 0 and "webhooks: 1 delivered" in result.output, result.output
    assert len(receiver.requests) == 2
    with factory() as s:
        assert s.scalar(select(func.count()).select_from(WebhookDelivery)
                        .where(WebhookDelivery.delivered_at.is_(None))) == 0
