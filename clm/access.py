"""Who may do what: the caller of a request (a principal), the ``require`` decorator, bounded ids in requests.

Packages own their blueprints and import this module, never ``clm.web`` (ARCHITECTURE.md): the
web layer loads the principal before each request (``clm.web.auth``) and offers sign-in; what a
view needs to check the caller lives here, below every package.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from flask import abort, g, redirect, request, url_for

from clm.errors import InvalidInput
from clm.users import ApiToken, Role, User

F = TypeVar("F", bound=Callable[..., Any])
MAX_ID = 2**31 - 1


@dataclass(frozen=True)
class Principal:
    """The caller of this request: a signed-in user or an API token."""

    label: str
    role: Role
    user: User | None = None
    token: ApiToken | None = None

    def can(self, permission: str) -> bool:
        """Return whether the caller may do ``permission``."""
        holder = self.user or self.token
        return holder is not None and holder.can(permission)


def current_principal() -> Principal | None:
    """Return the caller of this request, or None when anonymous."""
    principal: Principal | None = g.get("principal")
    return principal


def require(permission: str) -> Callable[[F], F]:
    """Decorate a view so it runs only for callers whose role grants ``permission``."""

    def decorator(view: F) -> F:
        @functools.wraps(view)
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            principal = current_principal()
            if principal is None:
                if request.path.startswith("/api/"):
                    abort(401)
                return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))
            if not principal.can(permission):
                abort(403)
            return view(*args, **kwargs)

        return wrapped  # type: ignore[return-value]

    return decorator


def id_arg(name: str) -> int | None:
    """Return the query argument ``name`` as a database id, None when absent.

    Raise InvalidInput for anything but a whole number from 1 to MAX_ID, so an id no table
    can hold is refused alike on SQLite and PostgreSQL.
    """
    raw = request.args.get(name)
    if raw is None or raw == "":
        return None
    if not raw.isdigit() or not 1 <= int(raw) <= MAX_ID:
        raise InvalidInput(f"{name} must be a whole number from 1 to {MAX_ID}, not {raw[:30]!r}.")
    return int(raw)
