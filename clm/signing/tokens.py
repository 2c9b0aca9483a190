"""Signer tokens: issued as random text for the email, kept only as a SHA-256 hash."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets
from dataclasses import dataclass

#: 32 random bytes: 256 bits, far past guessing.
TOKEN_BYTES = 32
_URLSAFE = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")


@dataclass(frozen=True)
class IssuedToken:
    """A fresh token: ``text`` goes into one email, ``hash`` into the database."""

    text: str
    hash: str
    expires_at: dt.datetime


def hash_token(text: str) -> str:
    """Return the hex SHA-256 under which ``text`` is stored."""
    return hashlib.sha256(text.encode()).hexdigest()


def issue(now: dt.datetime, lifetime: dt.timedelta) -> IssuedToken:
    """Return a new token that expires ``lifetime`` after ``now``."""
    text = secrets.token_urlsafe(TOKEN_BYTES)
    return IssuedToken(text=text, hash=hash_token(text), expires_at=now + lifetime)


def well_formed(text: str) -> bool:
    """Return whether ``text`` could be a token we issued (cheap check before any lookup)."""
    return 40 <= len(text) <= 64 and set(text) <= _URLSAFE


def verify(text: str, stored_hash: str | None, expires_at: dt.datetime | None, now: dt.datetime) -> bool:
    """Return whether ``text`` matches ``stored_hash`` and has not expired at ``now``."""
    if not stored_hash or expires_at is None or not well_formed(text):
        return False
    if not hmac.compare_digest(hash_token(text), stored_hash):
        return False
    return now < expires_at
