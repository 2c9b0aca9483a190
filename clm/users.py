"""People and programs that use clm: users with a role, and hashed API tokens."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from dataclasses import dataclass
from typing import TYPE_CHECKING

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import Enum, ForeignKey, Integer, String, delete, func, select, update
from sqlalchemy.orm import Mapped, mapped_column, relationship

from clm.access import PERMISSIONS, Role
from clm.db import Base, enum_values, utcnow
from clm.errors import Conflict, InvalidInput, NotFound

if TYPE_CHECKING:
    from sqlalchemy.orm import Session


# Roles and their permissions live in clm.access (below every package); importable from here too.

_ROLE_ENUM = Enum(Role, values_callable=enum_values, native_enum=False, length=20)
_hasher = PasswordHasher()
#: Tokens carry a prefix so a leaked one is recognisable (secret scanners, logs).
TOKEN_PREFIX = "clm_"
MIN_PASSWORD_LENGTH = 10
#: Longer passwords are refused before hashing (Argon2 over megabytes is a denial of service).
MAX_PASSWORD_LENGTH = 1024
MAX_EMAIL_LENGTH = 320
#: zxcvbn's score (0-4) a password must reach: 3 is "safely unguessable" against online and slow
#: offline guessing; it refuses the common-password list zxcvbn ships, dictionary words, keyboard
#: walks, repeats, dates and the user's own email or name.
MIN_PASSWORD_SCORE = 3
#: Sign-in throttling: failures counted over this window.
THROTTLE_WINDOW = dt.timedelta(minutes=15)
#: After this many failures from one address for one account, each try waits 1, 2, 4 ... seconds.
BACKOFF_AFTER = 3
MAX_BACKOFF_SECONDS = 60
#: Failed sign-ins older than this are deleted (they count for nothing after the window).
ATTEMPT_RETENTION = dt.timedelta(days=1)
#: API tokens live this long by default, and at most MAX_TOKEN_DAYS.
DEFAULT_TOKEN_DAYS = 90
MAX_TOKEN_DAYS = 365


class User(Base):
    """A person who signs in with an email and a password."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: Stored lower-case; unique.
    email: Mapped[str] = mapped_column(String(320), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    #: Argon2id hash; never the password.
    password_hash: Mapped[str] = mapped_column(String(200))
    role: Mapped[Role] = mapped_column(_ROLE_ENUM)
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    #: Bumped by sign-out, a password change and deactivation: every session cookie carries the
    #: generation it was issued under, and one from an earlier generation is refused.
    session_generation: Mapped[int] = mapped_column(Integer, default=0, server_default="0")

    def can(self, permission: str) -> bool:
        """Return whether this user's role grants ``permission``."""
        return self.active and self.role in PERMISSIONS[permission]

    def __repr__(self) -> str:
        return f"<User {self.email} {self.role.value}>"


class ApiToken(Base):
    """A bearer token for a program, owned by a user; only its SHA-256 is stored.

    It grants at most what its owner's role grants (checked on every request, so demoting or
    deactivating the owner limits or ends the token), until it expires or is revoked. Tokens
    made before tokens had owners have none (``user_id`` NULL) and expire on the date the
    migration gave them.
    """

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: Hex SHA-256 of the token; the token itself is shown once, at creation.
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    role: Mapped[Role] = mapped_column(_ROLE_ENUM)
    label: Mapped[str] = mapped_column(String(200))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    revoked_at: Mapped[dt.datetime | None]
    #: After this the token no longer works.
    expires_at: Mapped[dt.datetime]

    user: Mapped[User | None] = relationship(lazy="joined")

    def live(self, now: dt.datetime) -> bool:
        """Return whether the token works at ``now``: not revoked, not expired, its owner active."""
        if self.revoked_at is not None or self.expires_at <= now:
            return False
        return self.user is None or self.user.active

    def can(self, permission: str) -> bool:
        """Return whether this token grants ``permission``: its role does, and its owner's role too."""
        if not self.live(utcnow()) or self.role not in PERMISSIONS[permission]:
            return False
        return self.user is None or self.user.can(permission)


class LoginAttempt(Base):
    """A failed sign-in, kept in the database so rate limits hold across app processes."""

    __tablename__ = "login_attempts"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(320), index=True)
    at: Mapped[dt.datetime] = mapped_column(default=utcnow, index=True)
    #: The client's address (the proxy's client with CLM_PROXY_HOPS), for per-address throttling.
    ip: Mapped[str | None] = mapped_column(String(64), index=True)
    #: The sign-in device the attempt came from (a hash of its device cookie), or NULL.
    device: Mapped[str | None] = mapped_column(String(64))


def parse_role(value: str) -> Role:
    """Return the role named ``value``; raise InvalidInput listing the roles otherwise."""
    try:
        return Role(value.strip().lower())
    except ValueError:
        names = ", ".join(r.value for r in Role)
        raise InvalidInput(f"Unknown role {value!r}; choose one of {names}.") from None


def hash_token(token: str) -> str:
    """Return the SHA-256 under which ``token`` is stored."""
    return hashlib.sha256(token.encode()).hexdigest()


# -- services ----------------------------------------------------------------------------------


def check_password(password: str, *, email: str = "", name: str = "") -> None:
    """Raise InvalidInput unless ``password`` is long enough and hard to guess.

    zxcvbn refuses what its shipped lists of common and breached passwords hold, and the
    patterns guessers try first (words, l33t, keyboard walks, repeats, sequences, dates), and
    the user's own email and name.
    """
    if len(password) < MIN_PASSWORD_LENGTH:
        raise InvalidInput(f"The password must be at least {MIN_PASSWORD_LENGTH} characters long.")
    if len(password) > MAX_PASSWORD_LENGTH:
        raise InvalidInput(f"The password must be at most {MAX_PASSWORD_LENGTH} characters long.")
    from zxcvbn import zxcvbn

    local, _, domain = email.partition("@")
    result = zxcvbn(password[:100], user_inputs=[v for v in (email, local, domain, name, "clm") if v])
    if result["score"] < MIN_PASSWORD_SCORE:
        warning = result["feedback"].get("warning") or "It follows a pattern guessers try first."
        raise InvalidInput(f"This password is too easy to guess: {warning.rstrip('.')}. "
                           "Use a few unrelated words, or a password manager's password.")


def create_user(session: Session, *, email: str, name: str, password: str, role: Role) -> User:
    """Create a user; raise Conflict when the email is taken, InvalidInput for a weak password."""
    email = email.strip().lower()
    local, _, domain = email.partition("@")
    if not local or "." not in domain or domain.startswith(".") or domain.endswith(".") or len(email) > 320:
        raise InvalidInput(f"{email[:100]!r} is not an email address.")
    if len(name.strip()) > 200:
        raise InvalidInput("The name is longer than 200 characters.")
    check_password(password, email=email, name=name)
    if session.scalar(select(User.id).where(User.email == email)) is not None:
        raise Conflict(f"A user with the email {email} already exists.")
    user = User(email=email, name=name.strip() or email, password_hash=_hasher.hash(password), role=role)
    session.add(user)
    session.flush()
    return user


def find_user(session: Session, email: str) -> User:
    """Return the user with ``email``; raise NotFound otherwise."""
    user = session.scalar(select(User).where(User.email == email.strip().lower()[:MAX_EMAIL_LENGTH]))
    if user is None:
        raise NotFound(f"No user has the email {email.strip()[:100]!r}.")
    return user


def end_sessions(session: Session, user: User) -> int:
    """End every session of ``user`` (sign-out, password change, deactivation); return the new generation."""
    generation: int = session.execute(
        update(User).where(User.id == user.id).values(session_generation=User.session_generation + 1)
        .returning(User.session_generation), execution_options={"synchronize_session": False}).scalar_one()
    user.session_generation = generation
    return generation


def change_password(session: Session, user: User, *, current: str | None, new: str) -> int:
    """Set ``user``'s password and end their other sessions; return the new session generation.

    ``current`` is checked unless None (an administrator's reset from the CLI). Raise
    InvalidInput for a wrong current password or a weak new one.
    """
    if current is not None and not _verify(user.password_hash, current[:MAX_PASSWORD_LENGTH]):
        raise InvalidInput("The current password is wrong.")
    check_password(new, email=user.email, name=user.name)
    user.password_hash = _hasher.hash(new)
    session.flush()
    return end_sessions(session, user)


def set_active(session: Session, user: User, active: bool) -> None:
    """Activate or deactivate ``user``; deactivation ends their sessions and stops their API tokens."""
    user.active = active
    session.flush()
    if not active:
        end_sessions(session, user)


def _verify(password_hash: str, password: str) -> bool:
    try:
        return bool(_hasher.verify(password_hash, password))
    except (VerificationError, InvalidHashError):
        return False


@dataclass(frozen=True)
class Throttle:
    """Sign-in limits over THROTTLE_WINDOW (settings ``CLM_LOGIN_ATTEMPTS_PER_15_MINUTES``, ``..._PER_ADDRESS``)."""

    #: Failures for one account from unknown devices, and from one known device, before it locks.
    per_account: int = 10
    #: Failures from one address, whatever the accounts (password spraying), before it locks.
    per_address: int = 30


def authenticate(session: Session, email: str, password: str, *, now: dt.datetime, client: str | None = None,
                 device: str | None = None, throttle: Throttle | None = None,
                 max_attempts: int | None = None) -> User | None:
    """Return the active user whose email and password match, or None.

    Failed attempts are throttled three ways over 15 minutes, so that guessing is slowed while
    an attacker cannot lock the owner out of their account:

    * per account: after ``per_account`` failures from devices the owner never signed in
      from, those are refused; a *known device* (``device``: the hash of the cookie a
      successful sign-in left in that browser) has a counter of its own, which strangers'
      failures do not touch;
    * per client address, across accounts (password spraying): after ``per_address``
      failures the address is refused, except from a device known for the account;
    * per account and address, with backoff: from the fourth failure on, each try must wait
      1, 2, 4 ... (at most 60) seconds after the last one; a try too soon is refused unchecked.

    A refused try does not say which limit refused it. Over-long input is refused before
    hashing; attempts older than a day are purged.
    """
    throttle = throttle or Throttle(per_account=max_attempts or Throttle.per_account)
    email = email.strip().lower()
    if len(email) > MAX_EMAIL_LENGTH or len(password) > MAX_PASSWORD_LENGTH:
        _record_failure(session, "", now=now, client=client, device=None)
        return None
    since = now - THROTTLE_WINDOW
    recent = select(func.count(LoginAttempt.id)).where(LoginAttempt.at >= since)
    if device is not None:
        account_failures = session.scalar(recent.where(LoginAttempt.email == email, LoginAttempt.device == device))
    else:
        account_failures = session.scalar(recent.where(LoginAttempt.email == email,
                                                       LoginAttempt.device.is_(None)))
    address_failures = session.scalar(recent.where(LoginAttempt.ip == client)) if client else 0
    refused = (account_failures or 0) >= throttle.per_account
    if device is None and (address_failures or 0) >= throttle.per_address:
        refused = True
    if not refused and client:
        pair = session.execute(select(func.count(LoginAttempt.id), func.max(LoginAttempt.at)).where(
            LoginAttempt.at >= since, LoginAttempt.email == email, LoginAttempt.ip == client)).one()
        if pair[0] >= BACKOFF_AFTER and pair[1] is not None:
            wait = min(2 ** (pair[0] - BACKOFF_AFTER), MAX_BACKOFF_SECONDS)
            last = pair[1] if pair[1].tzinfo else pair[1].replace(tzinfo=dt.UTC)
            if now - last < dt.timedelta(seconds=wait):
                return None  # too soon: refused unchecked, and not counted
    user = session.scalar(select(User).where(User.email == email))
    ok = False
    if not refused and user is not None and user.active:
        ok = _verify(user.password_hash, password)
    elif user is None:
        # Spend the same time as a real check, so response times do not reveal which emails exist.
        _hasher.hash(password)
    if not ok:
        _record_failure(session, email, now=now, client=client, device=device)
        return None
    return user


def _record_failure(session: Session, email: str, *, now: dt.datetime, client: str | None,
                    device: str | None) -> None:
    session.add(LoginAttempt(email=email[:MAX_EMAIL_LENGTH], at=now, ip=(client or None) and client[:64],
                             device=device))
    # The table stays small: what is older than a day counts for nothing.
    session.execute(delete(LoginAttempt).where(LoginAttempt.at < now - ATTEMPT_RETENTION))


def create_token(session: Session, *, user: User, label: str, role: Role | None = None,
                 days: int = DEFAULT_TOKEN_DAYS, now: dt.datetime | None = None) -> tuple[ApiToken, str]:
    """Create an API token owned by ``user``; return the row and the token text, which is never stored.

    ``role`` defaults to the user's; a role granting anything the user's role does not is
    refused. The token expires after ``days`` (1 to MAX_TOKEN_DAYS).
    """
    if len(label.strip()) > 200:
        raise InvalidInput("The token's label is longer than 200 characters.")
    if not user.active:
        raise InvalidInput(f"{user.email} is deactivated; their tokens would not work.")
    role = role or user.role
    beyond = sorted(name for name, roles in PERMISSIONS.items() if role in roles and user.role not in roles)
    if beyond:
        raise InvalidInput(f"A {role.value} token would allow more than {user.email}'s role ({user.role.value}) "
                           f"allows ({', '.join(beyond[:3])}); choose {user.role.value} or a narrower role.")
    if not 1 <= days <= MAX_TOKEN_DAYS:
        raise InvalidInput(f"A token lives from 1 to {MAX_TOKEN_DAYS} days, not {days}.")
    now = now or utcnow()
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    row = ApiToken(token_hash=hash_token(token), role=role, label=label.strip() or role.value, user_id=user.id,
                   created_at=now, expires_at=now + dt.timedelta(days=days))
    session.add(row)
    session.flush()
    return row, token


def find_token(session: Session, token: str, *, now: dt.datetime | None = None) -> ApiToken | None:
    """Return the live token row for ``token`` (not revoked, not expired, its owner active), or None."""
    if not token.startswith(TOKEN_PREFIX) or len(token) > 200:
        return None
    row = session.scalar(select(ApiToken).where(ApiToken.token_hash == hash_token(token)))
    if row is None or not row.live(now or utcnow()):
        return None
    return row


def list_tokens(session: Session) -> list[ApiToken]:
    """Return every API token, newest first (live, expired and revoked)."""
    return list(session.scalars(select(ApiToken).order_by(ApiToken.id.desc())))


def revoke_token(session: Session, token_id: int, *, now: dt.datetime) -> ApiToken:
    """Revoke token ``token_id`` (it stops working at once); raise NotFound or Conflict."""
    row = session.get(ApiToken, token_id)
    if row is None:
        raise NotFound(f"There is no API token {token_id}.")
    if row.revoked_at is not None:
        raise Conflict(f"API token {token_id} was already revoked.")
    row.revoked_at = now
    session.flush()
    return row
