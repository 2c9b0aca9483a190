"""Deviation review: which clauses of a contract's latest version need legal's approval."""

from __future__ import annotations

import functools
import hashlib
import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlalchemy import select

from clm.clauses.models import ApprovalDecision, ClauseApproval
from clm.errors import Conflict, NotFound

if TYPE_CHECKING:
    from pathlib import Path

    from sqlalchemy.orm import Session

    from clm.clauses.library import Library
    from clm.clauses.match import Analysis, AnalyzedClause
    from clm.versions.intake import Limits
    from clm.versions.models import Contract, Version


def clause_hash(text: str) -> str:
    """Return the identity of a clause's wording: SHA-256 of its whitespace-normalised text."""
    return hashlib.sha256(" ".join(text.split()).encode()).hexdigest()


@functools.lru_cache(maxsize=4)
def load_library_cached(path: Path) -> Library:
    """Return the clause library at ``path``, loaded once per process."""
    from clm.clauses.library import load_library

    return load_library(path)


def library_from_settings(settings: dict[str, object]) -> Library:
    """Return the clause library the settings name (``CLAUSE_LIBRARY``, else the bundled one)."""
    from clm.clauses.library import default_library_path

    return load_library_cached(default_library_path(str(settings.get("CLAUSE_LIBRARY") or "") or None))


def review_for(session: Session, contract: Contract, settings: dict[str, object]) -> Review:
    """Return :func:`review` with the library, limits and approval level of ``settings``."""
    from clm.versions.store import limits_from_settings

    return review(session, contract, library_from_settings(settings), limits_from_settings(settings),
                  int(settings["APPROVAL_FALLBACK_LEVEL"]))  # type: ignore[call-overload]


# A version's bytes never change, so an analysis keyed by their hash is valid for as long as
# the library is the same object (database ids would not do: they repeat across databases).
# The entry keeps its library, so an id() can never be reused for another one; the lock makes
# the cache safe under a threaded server.
_ANALYSES: OrderedDict[tuple[str, str], tuple[Library, Analysis]] = OrderedDict()
_ANALYSES_MAX = 64
_ANALYSES_LOCK = threading.Lock()


def analyze_version(version: Version, library: Library, limits: Limits) -> Analysis:
    """Return the clause analysis of a stored version (cached per version and library)."""
    from clm.clauses.match import analyze
    from clm.versions.store import document_of

    key = (version.blob_sha256, version.filename.rpartition(".")[2].lower())
    with _ANALYSES_LOCK:
        cached = _ANALYSES.get(key)
        if cached is not None and cached[0] is library:
            _ANALYSES.move_to_end(key)
            return cached[1]
    analysis = analyze(document_of(version, limits), library)
    with _ANALYSES_LOCK:
        _ANALYSES[key] = (library, analysis)
        _ANALYSES.move_to_end(key)
        while len(_ANALYSES) > _ANALYSES_MAX:
            _ANALYSES.popitem(last=False)
    return analysis


@dataclass(frozen=True)
class ClauseRow:
    """One clause of the latest version as the contract page shows it."""

    analyzed: AnalyzedClause
    text: str
    hash: str
    title: str | None
    needs_approval: bool
    decision: ClauseApproval | None

    @property
    def status(self) -> str:
        match = self.analyzed.match
        if match is None:
            return "unclassified"
        if match.status == "fallback":
            return f"fallback {match.position_rank}"
        return match.status

    @property
    def pending(self) -> bool:
        return self.needs_approval and (self.decision is None or self.decision.decision is not ApprovalDecision.APPROVED)


@dataclass(frozen=True)
class MissingClause:
    """A clause type the contract was drafted with that its latest version no longer has."""

    clause_type: str
    title: str
    hash: str
    decision: ClauseApproval | None

    needs_approval = True
    status = "missing"

    @property
    def pending(self) -> bool:
        return self.decision is None or self.decision.decision is not ApprovalDecision.APPROVED


@dataclass(frozen=True)
class Review:
    """The clause review of a contract's latest version."""

    version: Version | None
    rows: tuple[ClauseRow, ...]
    missing: tuple[MissingClause, ...]

    @property
    def pending(self) -> tuple[ClauseRow | MissingClause, ...]:
        return tuple(row for row in (*self.rows, *self.missing) if row.pending)

    @property
    def deviations(self) -> tuple[ClauseRow | MissingClause, ...]:
        return tuple(row for row in (*self.rows, *self.missing) if row.needs_approval)


def _needs_approval(analyzed: AnalyzedClause, fallback_level: int) -> bool:
    match = analyzed.match
    if match is None:
        return False
    if match.status == "nonstandard":
        return True
    return match.status == "fallback" and (match.position_rank or 0) > fallback_level


def latest_decisions(session: Session, contract_id: int) -> dict[str, ClauseApproval]:
    """Return the newest decision per clause hash for a contract."""
    decisions: dict[str, ClauseApproval] = {}
    for row in session.scalars(select(ClauseApproval).where(ClauseApproval.contract_id == contract_id)
                               .order_by(ClauseApproval.id)):
        decisions[row.clause_hash] = row
    return decisions


def expected_clause_types(session: Session, contract: Contract) -> set[str] | None:
    """Return the clause types the contract was drafted with, or None when it was not drafted."""
    from clm.clauses.models import DraftRecord

    record = session.scalar(select(DraftRecord).where(DraftRecord.contract_id == contract.id)
                            .order_by(DraftRecord.id.desc()).limit(1))
    return set(record.clause_versions) if record is not None else None


def review(session: Session, contract: Contract, library: Library, limits: Limits,
           fallback_level: int) -> Review:
    """Return every clause of the latest version with its status and what still needs approval.

    For a contract drafted from a template, a clause type the draft had and the latest
    version lacks is a deviation too: deleting the liability cap needs approval as much as
    rewriting it.
    """
    version = contract.latest_document
    if version is None:
        return Review(None, (), ())
    analysis = analyze_version(version, library, limits)
    decisions = latest_decisions(session, contract.id)
    text = version.text
    rows = []
    for analyzed in analysis.clauses:
        clause = analyzed.clause
        body = text[clause.start:analyzed.end] if analyzed.end else clause.text
        digest = clause_hash(body)
        title = library.clauses[analyzed.clause_type].title if analyzed.clause_type in library.clauses else None
        if analyzed.section is not None and analyzed.section[0] in library.templates:
            # A template's own text ("Order Details" of the order form) is the library's too.
            title = f"{library.templates[analyzed.section[0]].title}: {analyzed.section[1]}"
        rows.append(ClauseRow(analyzed, body, digest, title, _needs_approval(analyzed, fallback_level),
                              decisions.get(digest)))
    missing = []
    for key in sorted((expected_clause_types(session, contract) or set()) - analysis.found):
        digest = clause_hash(f"missing clause: {key}")
        title = library.clauses[key].title if key in library.clauses else key
        missing.append(MissingClause(key, title, digest, decisions.get(digest)))
    return Review(version, tuple(rows), tuple(missing))


def decide(session: Session, contract: Contract, digest: str, *, decision: ApprovalDecision, by: str,
           comment: str, library: Library, limits: Limits, fallback_level: int) -> ClauseApproval:
    """Record legal's approval or rejection of one deviating clause of the latest version."""
    current = review(session, contract, library, limits, fallback_level)
    row = next((r for r in current.deviations if r.hash == digest), None)
    if row is None or current.version is None:
        raise NotFound("That clause is not a deviation of the latest version; reload the page.")
    if decision is ApprovalDecision.REJECTED and not comment.strip():
        raise Conflict("Say why the clause is rejected, so the negotiator knows what to change.")
    clause_type = row.clause_type if isinstance(row, MissingClause) else row.analyzed.clause_type or ""
    approval = ClauseApproval(contract_id=contract.id, version_id=current.version.id,
                              clause_type=clause_type, clause_hash=digest, decision=decision,
                              comment=comment.strip()[:4000], decided_by=by)
    session.add(approval)
    session.flush()
    return approval


def ensure_approved(session: Session, contract: Contract, library: Library, limits: Limits,
                    fallback_level: int) -> None:
    """Raise Conflict naming the clauses that still need approval before signature."""
    pending = review(session, contract, library, limits, fallback_level).pending
    if pending:
        names = ", ".join(f"{_name(row)} ({row.status})" for row in pending[:5])
        more = f" and {len(pending) - 5} more" if len(pending) > 5 else ""
        raise Conflict(f"{len(pending)} clause(s) deviate from the library and need legal's approval "
                       f"before signature: {names}{more}.")


def _name(row: ClauseRow | MissingClause) -> str:
    if isinstance(row, MissingClause):
        return row.title
    return row.title or row.analyzed.clause.heading or "a clause"


def approval_check(settings: dict[str, object]) -> Callable[[Session, Contract], None]:
    """Return the check signing runs before an envelope is created or sent, for ``settings``."""

    def check(session: Session, contract: Contract) -> None:
        from clm.versions.store import limits_from_settings

        ensure_approved(session, contract, library_from_settings(settings), limits_from_settings(settings),
                        int(settings["APPROVAL_FALLBACK_LEVEL"]))  # type: ignore[call-overload]

    return check
