"""Outgoing webhooks, whatever sends them: HMAC signing, the POST, retries with backoff over an outbox table.

A package that sends webhooks keeps an outbox table with the columns ``id``, ``payload``
(JSON with an ``"id"`` and an ``"event"``), ``created_at``, ``attempts``, ``next_attempt_at``,
``delivered_at``, ``failed_at`` and ``last_error`` (signing's ``webhook_deliveries``,
downstream's ``order_webhook_deliveries``). It writes a row in the transaction of the change
it reports, and :func:`deliver_due` sends due rows after commit, or from a sweeper.

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

if TYPE_CHECKING:
    from sqlalchemy.orm import Session, sessionmaker

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


def deliver_due(factory: sessionmaker[Session], table: Any, settings: Mapping[str, Any], *,
                now: dt.datetime | None = None, ids: Sequence[int] | None = None, poster: Poster = post,
                clock: Callable[[], dt.datetime] | None = None) -> DeliveryReport:
    """Send every due row of the outbox model ``table`` (or only ``ids``), record each outcome; return what happened.

    Each row is claimed by a compare-and-set on its attempt count before the POST, so two
    sweepers or workers never send one attempt twice; no transaction is open during a POST.
    """
    from sqlalchemy import or_, select, update

    from clm.db import transaction_for, utcnow

    W = table
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
