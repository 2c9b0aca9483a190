"""Who may do what: roles and their permissions, which permission each kind of data needs, the
caller of a request (a principal), the ``require`` decorator and bounded ids in requests.

Views and API endpoints ask for a permission, never a role. Packages own their blueprints and
import this module, never ``clm.web`` (ARCHITECTURE.md): the web layer loads the principal before
each request (``clm.web.auth``) and offers sign-in; what a view needs to check the caller lives
here, below every package. Data that several routes show (a page and its API twin, a contract
page panel and the finance pages, a version download and the envelope's signed PDF) is classed
here once, so every route that shows it asks the same question: :func:`may_see`.
``tests/test_access_sweep.py`` fetches every route as every role and checks that what each role
sees of each class, on pages and through the API alike, is exactly what this table grants.
"""

from __future__ import annotations

import enum
import functools
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

from flask import abort, g, redirect, request, url_for

from clm.errors import InvalidInput

if TYPE_CHECKING:
    from clm.users import ApiToken, User

F = TypeVar("F", bound=Callable[..., Any])
MAX_ID = 2**31 - 1


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
    # Quotes (clm.quotes): there is no sales role yet, so legal and finance build quotes. Each of
    # the two approval levels needs its own approver (clm.quotes.services.approve): a sales
    # manager's level needs quotes.approve, the finance level quotes.approve_finance.
    "quotes.read": frozenset(Role),
    "quotes.write": frozenset({Role.ADMIN, Role.LEGAL, Role.FINANCE}),
    "quotes.approve": frozenset({Role.ADMIN, Role.LEGAL, Role.FINANCE}),
    "quotes.approve_finance": frozenset({Role.ADMIN, Role.FINANCE}),
    # The catalog's approval thresholds decide which discounts go out unapproved: admin only.
    "quotes.catalog_rules": frozenset({Role.ADMIN}),
}

#: Kinds of data and the permission that shows them, on every route (page or API) that does.
DATA: dict[str, str] = {
    # Orders, invoices, credit notes, revenue and deferred revenue, renewals' money.
    "finance": "finance.read",
    # The sealed PDF (signers' emails, IP addresses, the audit timeline) and the audit trail.
    "signing_evidence": "envelopes.manage",
}


class Holder(Protocol):
    """Anything that answers ``can(permission)``: a user, an API token, a request's principal."""

    def can(self, permission: str) -> bool: ...


def may_see(holder: Holder | None, data: str) -> bool:
    """Return whether ``holder`` may see data of kind ``data`` (a key of :data:`DATA`)."""
    return holder is not None and holder.can(DATA[data])


def version_data(source: str) -> str | None:
    """Return the kind of data a version's file is beyond the contract itself, or None.

    A signed version's file is the sealed PDF: signing evidence, shown only to whoever may
    download it from the envelope.
    """
    return "signing_evidence" if source == "signed" else None


# -- the caller of a request -----------------------------------------------------------------


@dataclass(frozen=True)
class Principal:
    """The caller of this request: a signed-in user or an API token."""

    label: str
    role: Role
    user: User | None = None
    token: ApiToken | None = None

    def can(self, permission: str) -> bool:
        """Return whether the caller may do ``permission`` (a token: its role and its owner's both grant it)."""
        holder = self.token or self.user
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
