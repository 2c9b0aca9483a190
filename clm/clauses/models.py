"""Stored clause data: library clause versions, extracted terms, and people's decisions on them."""

from __future__ import annotations

import datetime as dt
import enum
from typing import Any

from sqlalchemy import JSON, Enum, Float, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from clm.db import Base, enum_values, utcnow


class LibraryClause(Base):
    """One version of a library clause type; a changed file makes the next version."""

    __tablename__ = "library_clauses"
    __table_args__ = (UniqueConstraint("key", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    #: The clause type, e.g. "governing_law".
    key: Mapped[str] = mapped_column(String(80), index=True)
    #: 1, 2, 3 ... per key; contracts record the version they were drafted or matched against.
    version: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(String(200))
    category: Mapped[str] = mapped_column(String(80))
    #: SHA-256 of the canonical content; equal hashes mean nothing changed.
    content_hash: Mapped[str] = mapped_column(String(64))
    #: Standard text, fallbacks, variables, guidance and match hints as loaded from the file.
    content: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    def __repr__(self) -> str:
        return f"<LibraryClause {self.key} v{self.version}>"


class DecisionAction(enum.Enum):
    CONFIRMED = "confirmed"
    CORRECTED = "corrected"
    CLEARED = "cleared"


class ExtractionRun(Base):
    """One run of an extractor over one version; running it again changes nothing."""

    __tablename__ = "extraction_runs"
    __table_args__ = (UniqueConstraint("version_id", "extractor"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("versions.id"), index=True)
    #: Name and version of the extractor, e.g. "clm-rules/1"; a new extractor makes a new run.
    extractor: Mapped[str] = mapped_column(String(80))
    #: Cross-field inconsistencies found, as sentences for a reviewer.
    issues: Mapped[list[str]] = mapped_column(JSON)
    seconds: Mapped[float] = mapped_column(Float)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    terms: Mapped[list[ExtractedTerm]] = relationship(back_populates="run", lazy="selectin",
                                                      order_by="ExtractedTerm.id")


class ExtractedTerm(Base):
    """A value the extractor found, with the character spans it came from and its confidence."""

    __tablename__ = "extracted_terms"
    __table_args__ = (UniqueConstraint("run_id", "field"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("extraction_runs.id"))
    version_id: Mapped[int] = mapped_column(ForeignKey("versions.id"), index=True)
    field: Mapped[str] = mapped_column(String(64))
    value: Mapped[Any] = mapped_column(JSON)
    #: [[start, end], ...] offsets into the version's text.
    evidence: Mapped[list[list[int]]] = mapped_column(JSON)
    confidence: Mapped[float] = mapped_column(Float)
    #: For a value computed rather than read (an end date from a start date and a term):
    #: {"computed_from": [field, ...], "start_evidence": [[start, end], ...]}; None when stated.
    derivation: Mapped[dict[str, Any] | None] = mapped_column(JSON)

    run: Mapped[ExtractionRun] = relationship(back_populates="terms")


class TermDecision(Base):
    """A person's confirmation or correction of one term; the newest per field is the contract's.

    Insert-only: the history of who confirmed or corrected what, and when, is kept whole.
    """

    __tablename__ = "term_decisions"

    id: Mapped[int] = mapped_column(primary_key=True)
    contract_id: Mapped[int] = mapped_column(ForeignKey("contracts.id"), index=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("versions.id"))
    field: Mapped[str] = mapped_column(String(64))
    #: The confirmed value; None when a person cleared a wrongly found term.
    value: Mapped[Any | None] = mapped_column(JSON)
    action: Mapped[DecisionAction] = mapped_column(
        Enum(DecisionAction, values_callable=enum_values, native_enum=False, length=20))
    extracted_term_id: Mapped[int | None] = mapped_column(ForeignKey("extracted_terms.id"))
    comment: Mapped[str] = mapped_column(Text, default="")
    decided_by: Mapped[str] = mapped_column(String(320))
    decided_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class ApprovalDecision(enum.Enum):
    APPROVED = "approved"
    REJECTED = "rejected"


class ClauseApproval(Base):
    """Legal's decision on one deviating clause, identified by its text's hash.

    A new version whose clause text is unchanged keeps the decision (same hash); a changed
    clause has a new hash and needs a new decision. Insert-only: decisions are evidence.
    """

    __tablename__ = "clause_approvals"

    id: Mapped[int] = mapped_column(primary_key=True)
    contract_id: Mapped[int] = mapped_column(ForeignKey("contracts.id"), index=True)
    #: The version the decision was made on (the hash is what carries it to later versions).
    version_id: Mapped[int] = mapped_column(ForeignKey("versions.id"))
    clause_type: Mapped[str] = mapped_column(String(80))
    #: SHA-256 of the clause text with whitespace normalised.
    clause_hash: Mapped[str] = mapped_column(String(64), index=True)
    decision: Mapped[ApprovalDecision] = mapped_column(
        Enum(ApprovalDecision, values_callable=enum_values, native_enum=False, length=20))
    comment: Mapped[str] = mapped_column(Text, default="")
    decided_by: Mapped[str] = mapped_column(String(320))
    decided_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class DraftRecord(Base):
    """How a contract version was drafted from the library: template, clause versions, values.

    With the stored bytes it makes a draft reproducible and explains it: which template version,
    which version of each clause, which variable values and negotiated positions. Insert-only.
    """

    __tablename__ = "draft_records"

    id: Mapped[int] = mapped_column(primary_key=True)
    contract_id: Mapped[int] = mapped_column(ForeignKey("contracts.id"), index=True)
    #: The version the draft was stored as (version 1 of a new contract).
    version_id: Mapped[int] = mapped_column(ForeignKey("versions.id"), unique=True)
    template_key: Mapped[str] = mapped_column(String(80))
    template_version: Mapped[int] = mapped_column(Integer)
    #: {clause_key: LibraryClause.version} of every clause in the draft.
    clause_versions: Mapped[dict[str, int]] = mapped_column(JSON)
    #: The variable values as supplied (JSON: dates ISO, money "USD 12000"); defaults fill the rest.
    variables: Mapped[dict[str, Any]] = mapped_column(JSON)
    #: {clause_key: "fallback_1"}: positions chosen instead of the template's.
    positions: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_by: Mapped[str] = mapped_column(String(320))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    def __repr__(self) -> str:
        return f"<DraftRecord {self.template_key} v{self.template_version} version={self.version_id}>"
