"""Who may do what: roles, their permissions, and which permission each kind of data needs.

Views and API endpoints ask for a permission (``clm.web.auth.require``), never a role. Data
that several routes show (a page and its API twin, a contract page panel and the finance
pages, a version download and the envelope's signed PDF) is classed here once, so every route
that shows it asks the same question: :func:`may_see`. ``tests/test_access_sweep.py`` fetches
every route as every role and checks that what each role sees of each class, on pages and
through the API alike, is exactly what this table grants.
"""

from __future__ import annotations

import enum
from typing import Protocol


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
