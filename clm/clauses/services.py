"""Clause library services: keep the stored clause versions in step with the library files."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import select

from clm.clauses.models import LibraryClause

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from clm.clauses.library import Library


def latest_clauses(session: Session) -> dict[str, LibraryClause]:
    """Return the newest stored version of every clause type, by key."""
    latest: dict[str, LibraryClause] = {}
    for row in session.scalars(select(LibraryClause).order_by(LibraryClause.key, LibraryClause.version)):
        latest[row.key] = row
    return latest


def sync_library(session: Session, library: Library) -> list[str]:
    """Store a new version of each clause type whose content changed; return what happened.

    Rows are never rewritten: an edited clause becomes version n+1, so a contract drafted
    from version n can still show the exact text it used.
    """
    stored = latest_clauses(session)
    report: list[str] = []
    for key, clause in sorted(library.clauses.items()):
        current = stored.get(key)
        if current is not None and current.content_hash == clause.content_hash:
            continue
        version = current.version + 1 if current is not None else 1
        session.add(LibraryClause(key=key, version=version, title=clause.title, category=clause.category,
                                  content_hash=clause.content_hash, content=clause.content()))
        report.append(f"{key}: version {version} ({'changed' if current else 'new'})")
    session.flush()
    return report
