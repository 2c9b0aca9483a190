"""People and programs that use clm: users with a role, and hashed API tokens."""

from __future__ import annotations

import datetime as dt
import enum
import hashlib
import secrets
from typing import TYPE_CHECKING

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import Enum, ForeignKey, String, func, select
from sqlalchemy.orm import Mapped, mapped_column

from clm.db import Base, enum_values, utcnow
from clm.errors import Conflict, InvalidInput

if TYPE_CHECKING:
    from sqlalchemy.orm import Session


class Role(enum.Enum):
    ADMIN = "admin"
    LEGAL = "legal"
    FINANCE = "finance"
    VIEWER = "viewer"


#: What each role may do; views and API endpoints ask for a permission, not a role.
PERMISSIONS: dict[str, frozenset[Role]] = {
    "contracts.read": frozenset(Role),
    "contracts.write": frozenset({Role.ADMIN, Role.LEGAL}),
    "terms.decide": frozenset({Role.ADMIN, Role.LEGAL}),
    "envelopes.manage": frozenset({Role.ADMIN, Role.LEGAL}),
    "clauses.approve": frozenset({Role.ADMIN, Role.LEGAL}),
    "finance.read": frozenset({Role.ADMIN, Role.LEGAL, Role.FINANCE}),
    "commercial_terms.write": frozenset({Role.ADMIN, Role.LEGAL, Role.FINANCE}),
    "users.manage": frozenset({Role.ADMIN}),
    # Quotes (clm.quotes): there is no sales role yet, so legal and finance build quotes; whoever
    # priced a version may not approve it, and only finance (or an admin) clears the finance level.
    "quotes.read": frozenset(Role),
    "quotes.write": frozenset({Role.ADMIN, Role.LEGAL, Role.FINANCE}),
    "quotes.approve": frozenset({Role.ADMIN, Role.LEGAL, Role.FINANCE}),
    "quotes.approve_finance": frozenset({Role.ADMIN, Role.FINANCE}),
}

_ROLE_ENUM = Enum(Role, values_callable=enum_values, native_enum=False, length=20)
_hasher = PasswordHasher()
#: Tokens carry a prefix so a leaked one is recognisable (secret scanners, logs).
TOKEN_PREFIX = "clm_"
MIN_PASSWORD_LENGTH = 10


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

    def can(self, permission: str) -> bool:
        """Return whether this user's role grants ``permission``."""
        return self.active and self.role in PERMISSIONS[permission]

    def __repr__(self) -> str:
        return f"<User {self.email} {self.role.value}>"


class ApiToken(Base):
    """A bearer token for a program; only its SHA-256 is stored."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: Hex SHA-256 of the token; the token itself is shown once, at creation.
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    role: Mapped[Role] = mapped_column(_ROLE_ENUM)
    label: Mapped[str] = mapped_column(String(200))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    revoked_at: Mapped[dt.datetime | None]

    def can(self, permission: str) -> bool:
        """Return whether this token's role grants ``permission``."""
        return self.revoked_at is None and self.role in PERMISSIONS[permission]


class LoginAttempt(Base):
    """A failed sign-in, kept in the database so rate limits hold across app processes."""

    __tablename__ = "login_attempts"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(320), index=True)
    at: Mapped[dt.datetime] = mapped_column(default=utcnow, index=True)


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


def create_user(session: Session, *, email: str, name: str, password: str, role: Role) -> User:
    """Create a user; raise Conflict when the email is taken, InvalidInput for a weak password."""
    email = email.strip().lower()
    local, _, domain = email.partition("@")
    if not local or "." not in domain or domain.startswith(".") or domain.endswith(".") or len(email) > 320:
        raise InvalidInput(f"{email!r} is not an email address.")
    if len(name.strip()) > 200:
        raise InvalidInput("The name is longer than 200 characters.")
    if len(password) < MIN_PASSWORD_LENGTH:
        raise InvalidInput(f"The password must be at least {MIN_PASSWORD_LENGTH} characters long.")
    if session.scalar(select(User.id).where(User.email == email)) is not None:
        raise Conflict(f"A user with the email {email} already exists.")
    user = User(email=email, name=name.strip() or email, password_hash=_hasher.hash(password), role=role)
    session.add(user)
    session.flush()
    return user


def authenticate(session: Session, email: str, password: str, *, now: dt.datetime,
                 max_attempts: int) -> User | None:
    """Return the active user whose email and password match, or None.

    Failed attempts are counted per email over 15 minutes; past ``max_attempts`` every
    attempt fails, even with the right password, until the window has passed.
    """
    email = email.strip().lower()
    since = now - dt.timedelta(minutes=15)
    failures = session.scalar(
        select(func.count(LoginAttempt.id)).where(LoginAttempt.email == email, LoginAttempt.at >= since)
    ) or 0
    user = session.scalar(select(User).where(User.email == email))
    ok = False
    if failures < max_attempts and user is not None and user.active:
        try:
            ok = _hasher.verify(user.password_hash, password)
        except (VerificationError, InvalidHashError):
            ok = False
    elif user is None:
        # Spend the same time as a real check, so response times do not reveal which emails exist.
        _hasher.hash(password)
    if not ok:
        session.add(LoginAttempt(email=email, at=now))
        return None
    return user


def create_token(session: Session, *, role: Role, label: str, user: User | None = None) -> tuple[ApiToken, str]:
    """Create an API token; return the row and the token text, which is never stored."""
    if len(label.strip()) > 200:
        raise InvalidInput("The token's label is longer than 200 characters.")
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    row = ApiToken(token_hash=hash_token(token), role=role, label=label.strip() or role.value,
                   user_id=user.id if user else None)
    session.add(row)
    session.flush()
    return row, token


def find_token(session: Session, token: str) -> ApiToken | None:
    """Return the live token row for ``token``, or None."""
    if not token.startswith(TOKEN_PREFIX):
        return None
    row = session.scalar(select(ApiToken).where(ApiToken.token_hash == hash_token(token)))
    if row is None or row.revoked_at is not None:
        return None
    return row
