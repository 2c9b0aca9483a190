"""Clause services: library versions, extracting a version's terms, and people's decisions on them."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from clm.clauses.models import (
    DecisionAction,
    ExtractedTerm,
    ExtractionRun,
    LibraryClause,
    TermDecision,
)
from clm.errors import Conflict, InvalidInput, NotFound
from clm.values import fields
from clm.values.durations import Duration
from clm.values.money import Money
from clm.versions.models import Contract, Version, VersionSource

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from clm.clauses.library import Library
    from clm.versions.intake import Limits


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


#: The catalogue of terms (name, label, kind) lives with the values: ``clm.values.fields``.
TERM_FIELDS = fields.TERM_FIELDS
FIELDS_BY_NAME = fields.FIELDS


def parse_correction(field_name: str, raw: str) -> Any:
    """Return a person's typed correction of ``field_name`` as the value stored for it (JSON, our own forms).

    The field's kind reads the wording ("thirty (30) days" -> "P30D"); InvalidInput names the field
    and the wording when it is not a value of that kind.
    """
    return fields.to_json(field_name, fields.read(field_name, raw))


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
                                       confidence=float(result.confidence.get(name, 0.0)),
                                       derivation=result.derived.get(name)))
    session.add(run)
    try:
        with session.begin_nested():
            session.flush()
    except IntegrityError:
        # Another worker extracted the same version at the same moment; keep its run.
        return session.scalars(select(ExtractionRun).where(ExtractionRun.version_id == version_id,
                                                           ExtractionRun.extractor == EXTRACTOR)).one()
    return run


def blanks_left(session: Session, version_id: int) -> list[str]:
    """Return what the extraction of a version found left blank ("the agreement date is left
    blank: ..."), for whoever is about to send it for signature."""
    from clm.clauses.extract.term import BLANK_AGREEMENT_DATE

    run = latest_run(session, version_id)
    prefix = BLANK_AGREEMENT_DATE.partition("{")[0]
    return [issue for issue in (run.issues if run else []) if issue.startswith(prefix)]


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
    version = contract.latest_document
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


def confirmed_terms_digest(session: Session, contract_id: int) -> str:
    """Return the SHA-256 of the canonical JSON of the contract's confirmed terms ({} when none).

    Signing freezes it on an envelope; downstream refuses to bill when it no longer matches.
    """
    terms = {name: decision.value for name, decision in contract_terms(session, contract_id).items()}
    text = json.dumps(terms, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class TermRow:
    """One line of a contract's terms panel."""

    field: fields.TermField
    extracted: ExtractedTerm | None
    previous_value: Any
    changed: bool
    decision: TermDecision | None
    needs_review: bool
    #: The version the panel shows; a decision made on it is current, any other is older.
    version_id: int

    @property
    def status(self) -> str:
        if self.decision is not None and self.decision.version_id == self.version_id:
            return self.decision.action.value
        if self.decision is not None:
            return f"{self.decision.action.value} on an earlier version"
        if self.extracted is None:
            return "not found"
        return "needs review" if self.needs_review else "extracted"

    @property
    def computed_from(self) -> tuple[str, ...]:
        """The labels of the fields a computed value was made from ("Effective date", "Initial term"); () when stated."""
        derivation = self.extracted.derivation if self.extracted is not None else None
        if not derivation:
            return ()
        labels = {f.name: f.label for f in TERM_FIELDS}
        return tuple(labels.get(name, name.replace("_", " ")) for name in derivation.get("computed_from", []))

    @property
    def start_evidence(self) -> list[list[int]]:
        """Where the start date a computed value counts from is stated; [] when stated or unknown."""
        derivation = self.extracted.derivation if self.extracted is not None else None
        return [list(span) for span in (derivation or {}).get("start_evidence", [])]


@dataclass(frozen=True)
class TermsPanel:
    version: Version | None
    run: ExtractionRun | None
    previous: Version | None
    rows: tuple[TermRow, ...]


def terms_panel(session: Session, contract: Contract) -> TermsPanel:
    """Return what the contract page shows of its terms: latest values, changes, decisions.

    The terms of a signed contract are those of the version that was signed (its signed version
    carries that version's text).
    """
    version = contract.latest_document
    if version is None:
        return TermsPanel(None, None, None, ())
    run = latest_run(session, version.id)
    earlier = [v for v in contract.versions if v.number < version.number and v.source is not VersionSource.SIGNED]
    previous = earlier[-1] if earlier else None
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
            version_id=version.id,
        ))
    return TermsPanel(version, run, previous, tuple(rows))


def term_values(session: Session, contract_ids: list[int]) -> dict[int, tuple[int, dict[str, tuple[Any, str]]]]:
    """Return, per contract, its latest version number and each term's value with its source.

    The source is "confirmed" (the newest decision, unless it cleared the value) or
    "extracted" (the newest run of the latest version, or of the version a signed one carries,
    for fields nobody decided). The same values as :func:`terms_panel`, for many contracts in
    five queries instead of several per contract: what exports across the whole archive read.
    """
    if not contract_ids:
        return {}
    latest = dict(session.execute(select(Version.contract_id, func.max(Version.number))
                                  .where(Version.contract_id.in_(contract_ids)).group_by(Version.contract_id)).all())
    # A signed version's terms are those of the version it carries: the newest that is not signed.
    newest = (select(Version.contract_id, func.max(Version.number).label("number"))
              .where(Version.contract_id.in_(contract_ids), Version.source != VersionSource.SIGNED)
              .group_by(Version.contract_id).subquery())
    versions = {version_id: (contract_id, latest[contract_id]) for version_id, contract_id in session.execute(
        select(Version.id, Version.contract_id)
        .join(newest, (Version.contract_id == newest.c.contract_id) & (Version.number == newest.c.number)))}
    runs = {run_id: version_id for run_id, version_id in session.execute(
        select(func.max(ExtractionRun.id), ExtractionRun.version_id)
        .where(ExtractionRun.version_id.in_(list(versions))).group_by(ExtractionRun.version_id))}
    out: dict[int, tuple[int, dict[str, tuple[Any, str]]]] = {
        contract_id: (number, {}) for contract_id, number in versions.values()}
    for run_id, field_name, value in session.execute(
            select(ExtractedTerm.run_id, ExtractedTerm.field, ExtractedTerm.value)
            .where(ExtractedTerm.run_id.in_(list(runs)))):
        out[versions[runs[run_id]][0]][1][field_name] = (value, "extracted")
    decided: dict[tuple[int, str], tuple[DecisionAction, Any]] = {}
    for contract_id, field_name, action, value in session.execute(
            select(TermDecision.contract_id, TermDecision.field, TermDecision.action, TermDecision.value)
            .where(TermDecision.contract_id.in_(contract_ids)).order_by(TermDecision.id)):
        decided[(contract_id, field_name)] = (action, value)
    for (contract_id, field_name), (action, value) in decided.items():
        values = out.setdefault(contract_id, (0, {}))[1]
        if action is DecisionAction.CLEARED:
            values.pop(field_name, None)
        else:
            values[field_name] = (value, "confirmed")
    return out


# -- drafting from templates -------------------------------------------------------------------


def _json_value(value: Any) -> Any:
    """Return a supplied variable value as JSON (dates ISO, money and durations as text)."""
    if isinstance(value, Duration):
        return value.iso
    if isinstance(value, Money):
        return f"{value.currency} {value.amount}"
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    if isinstance(value, dict):
        return {str(k): _json_value(v) for k, v in value.items()}
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    return str(value)


def clause_versions_used(session: Session, library: Library, keys: list[str]) -> dict[str, int]:
    """Return {clause_key: LibraryClause.version} for the library's current text of each key.

    The version is the stored row whose content hash equals the file's. A clause whose content
    was never stored (the library was not synced since the file changed) is stored first, as
    ``clm init`` would, so every draft points at a row holding the exact text it used.
    """
    wanted = {key: library.clause(key).content_hash for key in keys}

    def lookup() -> dict[str, int]:
        found: dict[str, int] = {}
        rows = session.execute(select(LibraryClause.key, LibraryClause.version, LibraryClause.content_hash)
                               .where(LibraryClause.key.in_(list(wanted))))
        for key, version, digest in rows:
            if digest == wanted[key] and version > found.get(key, 0):
                found[key] = version
        return found

    found = lookup()
    if len(found) < len(wanted):
        sync_library(session, library)
        found = lookup()
    return {key: found[key] for key in keys}


def default_counterparty(template_key: str, library: Library, values: dict[str, Any]) -> str | None:
    """Return the value of the template's first party variable that has no default (the other side)."""
    from clm.clauses.library import template_variables

    template = library.template(template_key)
    for name, variable in template_variables(template, library).items():
        raw = values.get(name)
        if variable.type == "party" and variable.default is None and isinstance(raw, str) and raw.strip():
            return raw.strip()
    return None


def draft_contract(session: Session, template_key: str, values: dict[str, Any], positions: dict[str, Any],
                   *, author: str, library: Library, counterparty: str | None = None,
                   limits: Limits | None = None, rendered: bytes | None = None) -> Version:
    """Draft ``template_key`` as a .docx and store it as version 1 of a new contract (source template).

    A ``DraftRecord`` keeps the template and clause versions, the values and the positions.
    Raises ``InvalidInput`` naming every missing or malformed variable before anything is stored.
    ``rendered`` is the .docx the caller already drafted from the same inputs (``clm draft -o``
    stores exactly the bytes it wrote: a second rendering would differ in its zip timestamps).
    """
    from clm.clauses.drafting import draft_docx
    from clm.clauses.library import assemble
    from clm.clauses.models import DraftRecord
    from clm.versions import store
    from clm.versions.intake import Limits as IntakeLimits
    from clm.versions.models import VersionSource

    template = library.template(template_key)
    positions = dict(positions or {})
    sections = assemble(template, library, values, positions)
    data = rendered if rendered is not None else draft_docx(template, library, values, positions)
    used = list(dict.fromkeys(s.clause_type for s in sections if s.clause_type))
    clause_versions = clause_versions_used(session, library, used)
    party = (counterparty or "").strip() or default_counterparty(template_key, library, values)
    slug = re.sub(r"[^a-z0-9]+", "-", f"{template_key} {party or ''}".lower()).strip("-")[:80]
    version = store.import_file(session, store.Upload(data, f"{slug}.docx"), limits=limits or IntakeLimits(),
                                author=author, title=template.title, counterparty=party,
                                source=VersionSource.TEMPLATE)
    session.add(DraftRecord(
        contract_id=version.contract_id, version_id=version.id, template_key=template.key,
        template_version=template.version, clause_versions=clause_versions,
        variables={name: _json_value(value) for name, value in values.items() if value is not None},
        positions={key: _json_value(value) for key, value in positions.items()}, created_by=author,
    ))
    session.flush()
    return version


# -- the library browser and editor ------------------------------------------------------------


@dataclass(frozen=True)
class LibraryEntry:
    """A clause type as the library pages show it: the file's clause and the stored versions."""

    key: str
    #: The clause as clause_library/ defines it: what drafting and matching use.
    clause: Any
    #: Stored versions, oldest first.
    versions: tuple[LibraryClause, ...]

    @property
    def latest(self) -> LibraryClause | None:
        return self.versions[-1] if self.versions else None

    def version(self, number: int | None) -> LibraryClause | None:
        """Return stored version ``number`` (the latest when None); raise NotFound when there is none."""
        if number is None:
            return self.latest
        row = next((v for v in self.versions if v.version == number), None)
        if row is None:
            raise NotFound(f"Clause type '{self.key}' has no stored version {number}.")
        return row

    @property
    def in_effect(self) -> LibraryClause | None:
        """Return the newest stored version with the file's content, or None when none has it."""
        if self.clause is None:
            return None
        return next((v for v in reversed(self.versions) if v.content_hash == self.clause.content_hash), None)

    @property
    def edited(self) -> bool:
        """Return whether the newest stored version differs from the file (an edit made in clm)."""
        return self.latest is not None and self.clause is not None and self.latest.content_hash != self.clause.content_hash

    @property
    def content(self) -> dict[str, Any]:
        """Return the newest content: the latest stored version, else the file's."""
        if self.latest is not None:
            return self.latest.content
        return self.clause.content()  # type: ignore[no-any-return]


def library_entries(session: Session, library: Library) -> list[LibraryEntry]:
    """Return every clause type of the files and of the stored history, by key."""
    stored: dict[str, list[LibraryClause]] = {}
    for row in session.scalars(select(LibraryClause).order_by(LibraryClause.key, LibraryClause.version)):
        stored.setdefault(row.key, []).append(row)
    keys = sorted(set(library.clauses) | set(stored))
    return [LibraryEntry(key, library.clauses.get(key), tuple(stored.get(key, ()))) for key in keys]


def library_entry(session: Session, library: Library, key: str) -> LibraryEntry:
    """Return one clause type's entry; raise NotFound when neither the files nor the DB know it."""
    rows = tuple(session.scalars(select(LibraryClause).where(LibraryClause.key == key)
                                 .order_by(LibraryClause.version)))
    if key not in library.clauses and not rows:
        raise NotFound(f"No clause type '{key}' in the clause library.")
    return LibraryEntry(key, library.clauses.get(key), rows)


def save_clause_edit(session: Session, library: Library, key: str, edit: Any) -> tuple[LibraryClause, bool]:
    """Store legal's edit of a clause as its next version; return (row, whether a version was added).

    The edit applies to the newest content and is checked as the loader checks a file. Rows
    are never rewritten; an edit that changes nothing adds no version.
    """
    from clm.clauses.edits import apply_edit

    if key in library.clauses:
        # The file's own content is stored first, so the history shows what the edit replaced.
        clause_versions_used(session, library, [key])
    entry = library_entry(session, library, key)
    latest = entry.latest
    assert latest is not None
    clause = apply_edit(entry.content, edit, latest.version + 1)
    if clause.content_hash == latest.content_hash:
        return latest, False
    row = LibraryClause(key=key, version=latest.version + 1, title=clause.title, category=clause.category,
                        content_hash=clause.content_hash, content=clause.content())
    session.add(row)
    try:
        with session.begin_nested():
            session.flush()
    except IntegrityError:
        raise Conflict(f"Someone saved version {latest.version + 1} of {key} a moment ago; reload and edit again.") from None
    return row, True


# -- evidence check (`clm audit check`) ---------------------------------------------------------

if TYPE_CHECKING:
    from clm.db import Finding


def confirmed_terms_digest_as_of(session: Session, contract_id: int, at: dt.datetime) -> str:
    """Return :func:`confirmed_terms_digest` as it was at ``at`` (decisions made up to then).

    What an envelope froze when it was created: recomputing it from the insert-only decisions
    shows whether any of them was edited or deleted since.
    """
    latest: dict[str, TermDecision] = {}
    for decision in session.scalars(select(TermDecision).where(TermDecision.contract_id == contract_id,
                                                               TermDecision.decided_at <= at)
                                    .order_by(TermDecision.id)):
        latest[decision.field] = decision
    terms = {name: d.value for name, d in latest.items() if d.action is not DecisionAction.CLEARED}
    text = json.dumps(terms, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def decision_findings(session: Session) -> list[Finding]:
    """Return term decisions stored out of time order (reordered) or tied to another contract's version."""
    from clm.db import Finding

    findings: list[Finding] = []
    versions = {version_id: contract_id for version_id, contract_id
                in session.execute(select(Version.id, Version.contract_id))}
    last: dict[int, tuple[int, dt.datetime]] = {}
    for decision_id, contract_id, version_id, decided_at in session.execute(
            select(TermDecision.id, TermDecision.contract_id, TermDecision.version_id, TermDecision.decided_at)
            .order_by(TermDecision.id)):
        if versions.get(version_id) != contract_id:
            findings.append(Finding("term_decisions", str(decision_id),
                                    f"names version {version_id}, which is not a version of contract {contract_id}"))
        previous = last.get(contract_id)
        if previous is not None and decided_at < previous[1]:
            findings.append(Finding("term_decisions", str(decision_id),
                                    f"is dated before decision {previous[0]} of contract {contract_id}, "
                                    "stored earlier (reordered or re-dated)"))
        last[contract_id] = (decision_id, max(decided_at, previous[1]) if previous else decided_at)
    return findings
