"""Outgoing webhooks: the one ``webhook_deliveries`` table, HMAC signing, the POST, retries with backoff.

A webhook is a subscriber of domain events (:mod:`clm.events`): an event whose payload carries
a ``"webhook"`` body (envelope status changes, ``order.created``, ``order.cancelled``) gets one
``webhook_deliveries`` row, with the event type in ``event`` and the body's ``"id"`` as its
UNIQUE ``key``, in the transaction that processes the event; :func:`deliver_due` sends due rows
after that commit (inline, or as an RQ job with ``CLM_REDIS_URL``), and the sweepers
(``clm signing sweep``, ``clm downstream process``) retry the rest.

A delivery is ``POST <CLM_WEBHOOK_URL>`` with a JSON body and the headers::

    X-Clm-Timestamp: <unix seconds>
    X-Clm-Signature: sha256=<hex HMAC-SHA256(CLM_WEBHOOK_SECRET, "<timestamp>.<body>")>

Receivers check it with :func:`verify_signature` (or the same few lines in their language)
and deduplicate on the body's ``"id"``: delivery is at least once.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import http.client
import json
import logging
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from sqlalchemy import JSON, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from clm.db import Base, insert_ignore

if TYPE_CHECKING:
    from sqlalchemy.orm import Session, sessionmaker

    from clm.events import Event, Handled

log = logging.getLogger(__name__)

#: Waits after the 1st, 2nd ... failed attempt; after the last one the delivery is given up.
BACKOFF: tuple[dt.timedelta, ...] = (dt.timedelta(minutes=1), dt.timedelta(minutes=5), dt.timedelta(minutes=30),
                                     dt.timedelta(hours=2), dt.timedelta(hours=12))
TIMEOUT_SECONDS = 10.0
#: A claimed row is retried by someone else if its sender has not reported back by then.
LEASE = dt.timedelta(minutes=2)
#: Rows older than this at their first attempt (queued while webhooks were off, or a sweeper
#: that never ran) are given up rather than flooding a receiver with stale news.
MAX_AGE = dt.timedelta(days=2)
#: Receivers refuse timestamps further than this from their clock (replays).
TOLERANCE_SECONDS = 300
BATCH = 200
USER_AGENT = "clm-webhooks/1"


class WebhookDelivery(Base):
    """One webhook to POST to ``CLM_WEBHOOK_URL``: the event type, the body, its attempts and outcome."""

    __tablename__ = "webhook_deliveries"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: The event type: "envelope.sent", "recipient.signed", "envelope.completed", "order.created" ...
    event: Mapped[str] = mapped_column(String(60), index=True)
    #: The body's ``"id"`` ("envelope-4-7", "order-3-created"): one delivery per fact.
    key: Mapped[str] = mapped_column(String(200), unique=True)
    #: The domain event it reports (NULL for rows older than the events table).
    event_id: Mapped[int | None] = mapped_column(ForeignKey("events.id"), index=True)
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
        return f"<WebhookDelivery {self.key} {self.event} {state}>"


# -- signing: pure -------------------------------------------------------------------------------


def _bytes(value: str | bytes) -> bytes:
    return value.encode("utf-8") if isinstance(value, str) else bytes(value)


def sign_payload(secret: str | bytes, timestamp: int | str, body: str | bytes) -> str:
    """Return the ``X-Clm-Signature`` value: ``sha256=`` + hex HMAC-SHA256 of ``"<timestamp>.<body>"``."""
    if not secret:
        raise ValueError("the webhook secret is empty")
    message = str(int(timestamp)).encode("ascii") + b"." + _bytes(body)
    return "sha256=" + hmac.new(_bytes(secret), message, hashlib.sha256).hexdigest()


def verify_signature(secret: str | bytes, header: str | None, timestamp: str | int | None, body: str | bytes,
                     now: float | dt.datetime, tolerance: int = TOLERANCE_SECONDS) -> bool:
    """Return whether ``header`` is a valid signature of ``body`` at ``timestamp``, made within
    ``tolerance`` seconds of ``now`` (unix seconds or an aware datetime).

    Missing or malformed values, an empty secret and stale or future timestamps all give
    False. The comparison takes constant time. ``header`` may list several comma-separated
    ``sha256=`` values (a sender rotating its secret); any one matching is enough.
    """
    if not secret or not header or timestamp is None:
        return False
    try:
        text = str(timestamp).strip()
        if not text.isascii() or not text.isdigit() or len(text) > 12:
            return False
        stamp = int(text)
        current = now.timestamp() if isinstance(now, dt.datetime) else float(now)
    except (TypeError, ValueError, OverflowError):
        return False
    if abs(current - stamp) > tolerance:
        return False
    expected = sign_payload(secret, stamp, body).encode("ascii")
    matched = False
    for candidate in str(header).split(","):
        # No early exit: every candidate is compared, each in constant time.
        matched |= hmac.compare_digest(candidate.strip().encode("utf-8", "replace"), expected)
    return matched


def encode_body(payload: Mapping[str, Any]) -> bytes:
    """Return the exact bytes POSTed for ``payload`` (compact, sorted, UTF-8)."""
    return json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def next_attempt(attempts: int, now: dt.datetime) -> dt.datetime | None:
    """Return when to try again after ``attempts`` failed attempts, or None to give up."""
    if attempts < 1 or attempts > len(BACKOFF):
        return None
    return now + BACKOFF[attempts - 1]


def check_url(url: str) -> str | None:
    """Return why ``url`` cannot be a webhook target, or None when it can."""
    parts = urlsplit(url)
    if parts.scheme not in {"http", "https"} or not parts.hostname:
        return "CLM_WEBHOOK_URL must be an http:// or https:// address"
    if parts.username or parts.password:
        return "CLM_WEBHOOK_URL must not carry a user name or password; the HMAC authenticates clm"
    return None


def headers_for(row_payload: Mapping[str, Any], body: bytes, secret: str, timestamp: int) -> dict[str, str]:
    """Return the request headers of a delivery."""
    return {"Content-Type": "application/json", "User-Agent": USER_AGENT,
            "X-Clm-Event": str(row_payload.get("event", "")), "X-Clm-Delivery": str(row_payload.get("id", "")),
            "X-Clm-Timestamp": str(timestamp), "X-Clm-Signature": sign_payload(secret, timestamp, body)}


# -- the POST -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Response:
    """What a POST got: an HTTP status, or an error before any status (status None)."""

    status: int | None
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.status is not None and 200 <= self.status < 300


#: Sends (url, body, headers) and reports; tests may pass their own.
Poster = Callable[[str, bytes, Mapping[str, str]], Response]


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    """Refuse every redirect: a 3xx is a failed delivery, never a request to somewhere else."""

    def redirect_request(self, req: Any, fp: Any, code: int, msg: str, headers: Any, newurl: str) -> None:
        return None


def post(url: str, body: bytes, headers: Mapping[str, str]) -> Response:
    """POST ``body`` to ``url`` with a 10 s timeout, following no redirects; never raises for network errors."""
    if check_url(url):
        return Response(None, "not an http(s) URL")
    opener = urllib.request.build_opener(_NoRedirects())
    request = urllib.request.Request(url, data=body, headers=dict(headers), method="POST")
    try:
        with opener.open(request, timeout=TIMEOUT_SECONDS) as answer:
            answer.read(64 * 1024)
            return Response(int(answer.status))
    except urllib.error.HTTPError as err:
        err.close()
        return Response(int(err.code), f"HTTP {err.code}")
    except (OSError, http.client.HTTPException, ValueError) as err:
        reason = getattr(err, "reason", None) or err
        return Response(None, f"{type(err).__name__}: {reason}"[:300])


# -- delivery over an outbox table -----------------------------------------------------------------


@dataclass
class DeliveryReport:
    """What one delivery run did."""

    delivered: int = 0
    retrying: int = 0
    failed: int = 0
    #: Why nothing was sent (webhooks off or misconfigured), else None.
    skipped: str | None = None


def deliver_due(factory: sessionmaker[Session], settings: Mapping[str, Any], *,
                now: dt.datetime | None = None, ids: Sequence[int] | None = None, poster: Poster = post,
                clock: Callable[[], dt.datetime] | None = None,
                events: tuple[str, ...] | None = None) -> DeliveryReport:
    """Send every due webhook (or only ``ids``; only event types starting with one of ``events``),
    record each outcome; return what happened.

    Each row is claimed by a compare-and-set on its attempt count before the POST, so two
    sweepers or workers never send one attempt twice; no transaction is open during a POST.
    """
    from sqlalchemy import or_, select, update

    from clm.db import transaction_for, utcnow

    W = WebhookDelivery
    clock = clock or utcnow
    url = str(settings.get("WEBHOOK_URL") or "")
    secret = str(settings.get("WEBHOOK_SECRET") or "")
    report = DeliveryReport()
    if not url:
        report.skipped = "CLM_WEBHOOK_URL is not set"
        return report
    problem = check_url(url) or (None if secret else "CLM_WEBHOOK_SECRET is empty; clm does not send unsigned webhooks")
    if problem:
        log.error("webhooks not sent: %s", problem)
        report.skipped = problem
        return report
    now = now or clock()
    with transaction_for(factory) as session:
        is_due = W.next_attempt_at <= now
        if ids is not None:
            # Rows just committed go out now even if their change carries a clock of its own.
            is_due = or_(is_due, W.attempts == 0)
        query = (select(W.id, W.attempts, W.created_at, W.payload)
                 .where(W.delivered_at.is_(None), W.failed_at.is_(None), W.next_attempt_at.is_not(None), is_due)
                 .order_by(W.id).limit(BATCH))
        if ids is not None:
            query = query.where(W.id.in_(list(ids)))
        if events is not None:
            query = query.where(or_(*(W.event.startswith(prefix) for prefix in events)))
        due = list(session.execute(query))
    for row_id, attempts, created_at, payload in due:
        where = (W.id == row_id, W.attempts == attempts, W.delivered_at.is_(None), W.failed_at.is_(None))
        with transaction_for(factory) as session:
            if attempts == 0 and created_at < now - MAX_AGE:
                session.execute(update(W).where(*where).values(
                    failed_at=now, next_attempt_at=None, last_error="queued too long ago to be worth sending"),
                    execution_options={"synchronize_session": False})
                report.failed += 1
                continue
            claimed = session.execute(update(W).where(*where).values(attempts=attempts + 1,
                                                                     next_attempt_at=now + LEASE),
                                      execution_options={"synchronize_session": False})
        if claimed.rowcount != 1:  # type: ignore[attr-defined]
            continue  # someone else sent or is sending it
        body = encode_body(payload)
        stamp = int(time.time())
        answer = poster(url, body, headers_for(payload, body, secret, stamp))
        done = clock()
        values: dict[str, Any]
        if answer.ok:
            values = {"delivered_at": done, "next_attempt_at": None, "last_error": None}
            report.delivered += 1
        else:
            retry = next_attempt(attempts + 1, done)
            error = (answer.error or f"HTTP {answer.status}")[:500]
            values = {"next_attempt_at": retry, "last_error": error}
            if retry is None:
                values["failed_at"] = done
                report.failed += 1
                log.error("webhook %s given up after %d attempts: %s", payload.get("id"), attempts + 1, error)
            else:
                report.retrying += 1
                log.warning("webhook %s attempt %d failed (%s); retrying at %s", payload.get("id"), attempts + 1,
                            error, retry.isoformat())
        with transaction_for(factory) as session:
            session.execute(update(W).where(W.id == row_id, W.attempts == attempts + 1, W.delivered_at.is_(None),
                                            W.failed_at.is_(None)).values(**values),
                            execution_options={"synchronize_session": False})
    return report


# -- the subscriber: events that carry a webhook body -----------------------------------------------


def queue(session: Session, event: str, body: Mapping[str, Any], *, now: dt.datetime,
          event_id: int | None = None) -> int | None:
    """Add the delivery of ``body`` (type ``event``) in the caller's transaction; None if it is queued already."""
    ids = insert_ignore(session, WebhookDelivery, [{
        "event": event, "key": str(body["id"])[:200], "event_id": event_id, "payload": dict(body),
        "created_at": now, "attempts": 0, "next_attempt_at": now}], ("key",))
    return ids[0] if ids else None


def deliver_job(database_url: str, ids: list[int] | None = None, kind: str | None = None) -> tuple[int, int, int]:
    """RQ job: deliver ``ids`` (or everything due) with the worker's own settings.

    The secret is read from the worker's environment, never passed through Redis. Safe to
    run twice: a delivered row is not sent again. Return (delivered, retrying, failed).
    """
    from clm import config, db

    settings = config.load()
    engine = db.make_engine(database_url)
    try:
        factory = db.make_sessionmaker(engine)
        report = deliver_due(factory, settings, ids=ids)
        if ids is not None and kind:
            more = deliver_due(factory, settings, events=(kind,))
            report.delivered, report.retrying = report.delivered + more.delivered, report.retrying + more.retrying
            report.failed += more.failed
    finally:
        engine.dispose()
    return report.delivered, report.retrying, report.failed


def kick(settings: Mapping[str, Any], factory: sessionmaker[Session] | None, ids: Sequence[int],
         kind: str | None = None) -> None:
    """Deliver freshly committed rows now, then any other due row of event type prefix ``kind``
    (an older one queued while webhooks were off): as an RQ job with Redis, inline otherwise. Never raises."""
    ids = sorted(set(ids))
    if not ids or not settings.get("WEBHOOK_URL"):
        return
    try:
        if settings.get("REDIS_URL"):
            from clm import jobs

            jobs.enqueue(dict(settings), deliver_job, str(settings["DATABASE_URL"]), ids, kind)
        else:
            if factory is None:
                deliver_job(str(settings["DATABASE_URL"]), ids, kind)
                return
            deliver_due(factory, settings, ids=ids)
            if kind:
                deliver_due(factory, settings, events=(kind,))
    except Exception:
        log.exception("webhook delivery of %s failed to start; the sweeper will retry", ids)


def on_event(session: Session, event: Event, settings: Mapping[str, Any]) -> Handled | None:
    """Subscriber: queue the event's webhook body (if it has one) and send it once committed."""
    from clm.events import Handled

    body = (event.payload or {}).get("webhook")
    if not body:
        return None
    row_id = queue(session, event.name, body, now=event.created_at, event_id=event.id)
    if row_id is None:
        return None
    factory = _factory_of(session)
    kind = event.name.partition(".")[0] + "."
    return Handled(after_commit=lambda: kick(settings, factory, [row_id], kind))


def _factory_of(session: Session) -> sessionmaker[Session]:
    """A session factory on the same engine as ``session`` (for delivering after its commit)."""
    from clm.db import make_sessionmaker

    return make_sessionmaker(session.get_bind())  # type: ignore[arg-type]
