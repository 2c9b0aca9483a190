"""Clause services: library versions, extracting a version's terms, and people's decisions on them."""

from __future__ import annotations

import datetime as dt
import re
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from clm.clauses.models import DecisionAction, ExtractedTerm, ExtractionRun, LibraryClause, TermDecision
from clm.errors import Conflict, InvalidInput, NotFound
from clm.versions.models import Contract, Version

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


# -- extracted terms ---------------------------------------------------------------------------

#: Name and version of the default extractor; bump it when its output changes, so versions
#: are extracted again rather than keeping the old run.
EXTRACTOR = "clm-rules/1"
#: Below this confidence a value is marked for review.
REVIEW_BELOW = 0.75


@dataclass(frozen=True)
class TermField:
    """How a term is shown and how a person's correction of it is read."""

    name: str
    label: str
    kind: str  # bool | duration | date | text | list | percent | frequency


TERM_FIELDS: tuple[TermField, ...] = (
    TermField("parties", "Parties", "list"),
    TermField("agreement_date", "Agreement date", "date"),
    TermField("effective_date", "Effective date", "date"),
    TermField("initial_term", "Initial term", "duration"),
    TermField("expiration_date", "Expiration date", "date"),
    TermField("auto_renewal", "Auto-renewal", "bool"),
    TermField("renewal_term", "Renewal term", "duration"),
    TermField("non_renewal_notice", "Non-renewal notice", "duration"),
    TermField("renewal_limit", "Renewal limit", "text"),
    TermField("termination_for_convenience", "Termination for convenience", "bool"),
    TermField("termination_notice", "Termination notice", "duration"),
    TermField("termination_for_cause", "Termination for cause", "bool"),
    TermField("cure_period", "Cure period", "duration"),
    TermField("governing_law", "Governing law", "text"),
    TermField("payment_terms", "Payment terms", "duration"),
    TermField("fees", "Fees", "text"),
    TermField("billing_frequency", "Billing frequency", "text"),
    TermField("price_increase_cap", "Price increase cap (%)", "percent"),
)
FIELDS_BY_NAME = {f.name: f for f in TERM_FIELDS}

_DURATION = re.compile(r"^P(?:\d+Y)?(?:\d+M)?(?:\d+W)?(?:\d+D)?$")
_DURATION_WORDS = re.compile(r"^(\d+)\s*(day|week|month|year)s?$", re.I)


def parse_correction(field_name: str, raw: str) -> Any:
    """Return a person's typed correction as the value stored for ``field_name``.

    Raise InvalidInput naming the field when the text is not a value of its kind.
    """
    field = FIELDS_BY_NAME.get(field_name)
    if field is None:
        raise InvalidInput(f"Unknown term {field_name!r}.")
    text = raw.strip()
    if not text:
        raise InvalidInput(f"{field.label}: enter a value, or clear the term instead.")
    if field.kind == "bool":
        lowered = text.lower()
        if lowered in {"yes", "true", "1", "y"}:
            return True
        if lowered in {"no", "false", "0", "n"}:
            return False
        raise InvalidInput(f"{field.label}: answer yes or no, not {text!r}.")
    if field.kind == "duration":
        if _DURATION.match(text.upper()) and text.upper() != "P":
            return text.upper()
        words = _DURATION_WORDS.match(text)
        if words:
            return f"P{words.group(1)}{words.group(2)[0].upper()}"
        raise InvalidInput(f"{field.label}: give a duration such as '30 days', '12 months' or P1Y, not {text!r}.")
    if field.kind == "date":
        try:
            return dt.date.fromisoformat(text).isoformat()
        except ValueError:
            raise InvalidInput(f"{field.label}: give a date as YYYY-MM-DD, not {text!r}.") from None
    if field.kind == "percent":
        try:
            value = float(text.rstrip("%").strip())
        except ValueError:
            raise InvalidInput(f"{field.label}: give a percentage such as 5 or 3.5%, not {text!r}.") from None
        if not 0 <= value <= 1000:
            raise InvalidInput(f"{field.label}: {value} is not a plausible percentage.")
        return value
    if field.kind == "list":
        return [part.strip() for part in re.split(r"[\n;]", text) if part.strip()]
    return text


def extract_version(session: Session, version_id: int) -> ExtractionRun:
    """Extract the terms of a version once; return the run (the existing one when already done)."""
    from clm.clauses.extract import extract

    existing = session.scalar(select(ExtractionRun).where(ExtractionRun.version_id == version_id,
                                                          ExtractionRun.extractor == EXTRACTOR))
    if existing is not None:
        return existing
    version = session.get(Version, version_id)
    if version is None:
        raise NotFound(f"Version {version_id} does not exist.")
    started = time.perf_counter()
    result = extract(version.text)
    run = ExtractionRun(version_id=version_id, extractor=EXTRACTOR, issues=list(result.issues),
                        seconds=round(time.perf_counter() - started, 4))
    for name, value in result.fields.items():
        run.terms.append(ExtractedTerm(version_id=version_id, field=name, value=value,
                                       evidence=[list(span) for span in result.evidence.get(name, [])],
                                       confidence=float(result.confidence.get(name, 0.0))))
    session.add(run)
    try:
        with session.begin_nested():
            session.flush()
    except IntegrityError:
        # Another worker extracted the same version at the same moment; keep its run.
        return session.scalars(select(ExtractionRun).where(ExtractionRun.version_id == version_id,
                                                           ExtractionRun.extractor == EXTRACTOR)).one()
    return run


def latest_run(session: Session, version_id: int) -> ExtractionRun | None:
    """Return the newest extraction run of a version, or None when it has not been extracted."""
    return session.scalar(select(ExtractionRun).where(ExtractionRun.version_id == version_id)
                          .order_by(ExtractionRun.id.desc()).limit(1))


def decide(session: Session, contract: Contract, field_name: str, *, action: DecisionAction, by: str,
           value: Any = None, comment: str = "") -> TermDecision:
    """Record a person's confirmation, correction or clearing of a term of the latest version.

    Confirming takes the extracted value as it is; correcting stores ``value`` instead.
    """
    if field_name not in FIELDS_BY_NAME:
        raise InvalidInput(f"Unknown term {field_name!r}.")
    version = contract.latest
    if version is None:
        raise Conflict("The contract has no version to take terms from.")
    run = latest_run(session, version.id)
    term = next((t for t in run.terms if t.field == field_name), None) if run else None
    if action is DecisionAction.CONFIRMED:
        if term is None:
            raise Conflict(f"{FIELDS_BY_NAME[field_name].label}: nothing was found to confirm; correct it instead.")
        value = term.value
    elif action is DecisionAction.CLEARED:
        value = None
    decision = TermDecision(contract_id=contract.id, version_id=version.id, field=field_name, value=value,
                            action=action, extracted_term_id=term.id if term else None,
                            comment=comment.strip()[:2000], decided_by=by)
    session.add(decision)
    session.flush()
    return decision


def contract_terms(session: Session, contract_id: int) -> dict[str, TermDecision]:
    """Return the contract's confirmed terms: the newest decision per field (cleared ones left out)."""
    latest: dict[str, TermDecision] = {}
    for decision in session.scalars(select(TermDecision).where(TermDecision.contract_id == contract_id)
                                    .order_by(TermDecision.id)):
        latest[decision.field] = decision
    return {name: d for name, d in latest.items() if d.action is not DecisionAction.CLEARED}


@dataclass(frozen=True)
class TermRow:
    """One line of a contract's terms panel."""

    field: TermField
    extracted: ExtractedTerm | None
    previous_value: Any
    changed: bool
    decision: TermDecision | None
    needs_review: bool

    @property
    def status(self) -> str:
        if self.decision is not None and self.decision.version_id == (self.extracted.version_id if self.extracted else None):
            return self.decision.action.value
        if self.decision is not None:
            return f"{self.decision.action.value} on an earlier version"
        if self.extracted is None:
            return "not found"
        return "needs review" if self.needs_review else "extracted"


@dataclass(frozen=True)
class TermsPanel:
    version: Version | None
    run: ExtractionRun | None
    previous: Version | None
    rows: tuple[TermRow, ...]


def terms_panel(session: Session, contract: Contract) -> TermsPanel:
    """Return what the contract page shows of its terms: latest values, changes, decisions."""
    version = contract.latest
    if version is None:
        return TermsPanel(None, None, None, ())
    run = latest_run(session, version.id)
    previous = contract.versions[-2] if len(contract.versions) > 1 else None
    previous_run = latest_run(session, previous.id) if previous is not None else None
    found = {t.field: t for t in run.terms} if run else {}
    before = {t.field: t.value for t in previous_run.terms} if previous_run else {}
    decisions = {}
    for decision in session.scalars(select(TermDecision).where(TermDecision.contract_id == contract.id)
                                    .order_by(TermDecision.id)):
        decisions[decision.field] = decision
    issue_text = " ".join(run.issues).lower() if run else ""
    rows = []
    for field in TERM_FIELDS:
        term = found.get(field.name)
        if term is None and field.name not in decisions:
            continue
        flagged = field.label.lower() in issue_text or field.name.replace("_", " ") in issue_text
        rows.append(TermRow(
            field=field, extracted=term, previous_value=before.get(field.name),
            changed=previous_run is not None and before.get(field.name) != (term.value if term else None),
            decision=decisions.get(field.name),
            needs_review=term is not None and (term.confidence < REVIEW_BELOW or flagged),
        ))
    return TermsPanel(version, run, previous, tuple(rows))
