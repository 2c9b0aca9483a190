"""Contracts, their immutable versions, and the content-addressed blobs that hold the bytes."""

from __future__ import annotations

import datetime as dt
import enum
import hashlib
import json
from typing import Any

from sqlalchemy import JSON, Enum, Float, ForeignKey, Integer, LargeBinary, String, Text, UniqueConstraint, event, select, update
from sqlalchemy.orm import Mapped, mapped_column, relationship, synonym

from clm.db import Base, enum_values, utcnow


class ContractStatus(enum.Enum):
    DRAFT = "draft"
    NEGOTIATION = "negotiation"
    APPROVAL = "approval"
    SIGNING = "signing"
    EXECUTED = "executed"
    EXPIRED = "expired"
    TERMINATED = "terminated"


class VersionSource(enum.Enum):
    UPLOAD = "upload"
    TEMPLATE = "template"
    COUNTERPARTY = "counterparty"
    SIGNED = "signed"


class Blob(Base):
    """Bytes stored once, named by their SHA-256; insert-only."""

    __tablename__ = "blobs"

    #: Hex SHA-256 of ``data``.
    sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    size: Mapped[int] = mapped_column(Integer)
    media_type: Mapped[str] = mapped_column(String(120))
    #: The ``data`` column as stored: the bytes, or empty when a file store keeps them
    #: (``location``). Deferred: listing versions must not load every document into memory.
    stored_data: Mapped[bytes] = mapped_column("data", LargeBinary, deferred=True)
    #: "db" (bytes in ``data``) or "file" (a content-addressed file under CLM_BLOB_STORE).
    location: Mapped[str] = mapped_column(String(16), default="db", server_default="db")

    def _read_data(self) -> bytes:
        from clm.versions import blobs

        return blobs.read(self.sha256, self.location, self.stored_data)

    def _write_data(self, data: bytes) -> None:
        self.stored_data = data

    #: The blob's bytes wherever they live, checked against the hash. In SQL (``select(Blob.data)``)
    #: it is the raw column, empty for file-stored blobs.
    data = synonym("stored_data", descriptor=property(_read_data, _write_data))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    def __repr__(self) -> str:
        return f"<Blob {self.sha256[:12]} {self.size} bytes>"


class Contract(Base):
    """A contract: a title, a counterparty, a status, and its chain of versions."""

    __tablename__ = "contracts"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(300))
    counterparty: Mapped[str | None] = mapped_column(String(300), index=True)
    status: Mapped[ContractStatus] = mapped_column(
        Enum(ContractStatus, values_callable=enum_values, native_enum=False, length=20),
        default=ContractStatus.DRAFT, index=True,
    )
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow, index=True)
    #: Email of whoever created it (a user, a token's label, or "cli").
    created_by: Mapped[str] = mapped_column(String(320))
    #: The head of the version chain: :func:`chain_head` of the latest version's record hash,
    #: so deleting the last version (which no later record points at) is noticed too.
    versions_sha256: Mapped[str | None] = mapped_column(String(64))

    versions: Mapped[list[Version]] = relationship(
        back_populates="contract", order_by="Version.number", lazy="selectin"
    )

    @property
    def latest(self) -> Version | None:
        """Return the newest version, or None for a contract with none yet."""
        return self.versions[-1] if self.versions else None

    @property
    def latest_document(self) -> Version | None:
        """Return the version whose file is the contract's current document: the latest version,
        or, when that is a signed version, the version that was sent for signature."""
        return self.latest.document_version if self.latest is not None else None

    def __repr__(self) -> str:
        return f"<Contract {self.id} {self.title!r}>"


class Version(Base):
    """One immutable draft of a contract, numbered 1, 2, 3 ... within its contract."""

    __tablename__ = "versions"
    __table_args__ = (UniqueConstraint("contract_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    contract_id: Mapped[int] = mapped_column(ForeignKey("contracts.id"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    blob_sha256: Mapped[str] = mapped_column(ForeignKey("blobs.sha256"), index=True)
    #: The uploaded file's name, sanitised; shown and used for downloads only.
    filename: Mapped[str] = mapped_column(String(255))
    source: Mapped[VersionSource] = mapped_column(
        Enum(VersionSource, values_callable=enum_values, native_enum=False, length=20)
    )
    author: Mapped[str] = mapped_column(String(320))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    #: The document's text (paragraphs joined by "\n"), parsed once at upload; every
    #: feature's offsets index this string.
    text: Mapped[str] = mapped_column(Text, deferred=True)
    paragraph_count: Mapped[int] = mapped_column(Integer)
    word_count: Mapped[int] = mapped_column(Integer)
    #: Number of tracked changes the file carried when it arrived (counterparty redlines).
    revision_count: Mapped[int] = mapped_column(Integer, default=0)
    #: True when the file hides text (Word's hidden font), which a reviewer would not see.
    has_hidden_text: Mapped[bool] = mapped_column(default=False)
    #: SHA-256 over this row's fields, its text and the previous version's record hash: a chain
    #: per contract that ``clm audit check`` walks (NULL for versions stored before chaining).
    record_sha256: Mapped[str | None] = mapped_column(String(64))
    #: For a PDF version: how many of its pages were read by OCR (scanned pages), and the mean
    #: OCR word confidence (0-100) over them; NULL when no page needed OCR.
    ocr_pages: Mapped[int | None] = mapped_column(Integer, nullable=True)
    ocr_confidence: Mapped[float | None] = mapped_column(Float, nullable=True)
    #: For a PDF version: its pages and the box of every line (clm.versions.pdfread.layout_json),
    #: read once at upload so showing, comparing or reviewing a scan never runs OCR again.
    page_layout: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True, deferred=True)

    contract: Mapped[Contract] = relationship(back_populates="versions")
    blob: Mapped[Blob] = relationship(lazy="joined")

    @property
    def document_version(self) -> Version:
        """Return the version whose file holds this version's document: itself, or for a signed
        version the version that was sent for signature.

        A signed version's own file is the sealed PDF (the evidence); its text is the text of the
        version that was signed, which is always the version just before it (completing an
        envelope is refused when the contract has a newer version than the one sent), so
        everything that reads documents (compare, clause review, extraction, terms) reads that one.
        """
        if self.source is not VersionSource.SIGNED:
            return self
        earlier = [v for v in self.contract.versions
                   if v.number < self.number and v.source is not VersionSource.SIGNED]
        return earlier[-1] if earlier else self

    def __repr__(self) -> str:
        return f"<Version {self.contract_id}.{self.number}>"


# -- the version chain ----------------------------------------------------------------------------


def record_hash(fields: dict[str, Any], text: str, previous: str | None) -> str:
    """Return the record hash of a version: its fields, its text's SHA-256 and the previous record hash."""
    body = dict(fields, text_sha256=hashlib.sha256(text.encode("utf-8")).hexdigest(), previous=previous or "")
    return hashlib.sha256(json.dumps(body, sort_keys=True, separators=(",", ":")).encode("utf-8")).hexdigest()


def chain_head(contract_id: int, number: int, record: str) -> str:
    """Return what a contract records as the head of its version chain."""
    return hashlib.sha256(f"{contract_id}:{number}:{record}".encode("ascii")).hexdigest()


def record_fields(contract_id: int, number: int, blob_sha256: str, filename: str, source: VersionSource | str,
                  author: str, created_at: dt.datetime, paragraph_count: int, word_count: int,
                  revision_count: int, has_hidden_text: bool) -> dict[str, Any]:
    """Return the fields of a version that its record hash covers."""
    return {"contract_id": contract_id, "number": number, "blob_sha256": blob_sha256, "filename": filename,
            "source": source.value if isinstance(source, VersionSource) else source, "author": author,
            "created_at": created_at.astimezone(dt.UTC).isoformat(timespec="microseconds"),
            "paragraph_count": paragraph_count, "word_count": word_count, "revision_count": revision_count or 0,
            "has_hidden_text": bool(has_hidden_text)}


@event.listens_for(Version, "before_insert")
def _chain_version(_mapper: Any, connection: Any, version: Version) -> None:
    """Link every new version to the one before it (whichever code path stores it)."""
    if version.created_at is None:
        version.created_at = utcnow()
    # Keep microseconds only: what every database gives back, so the hash can be recomputed.
    version.created_at = version.created_at.astimezone(dt.UTC)
    previous = connection.scalar(select(Version.record_sha256).where(
        Version.contract_id == version.contract_id, Version.number == version.number - 1))
    version.record_sha256 = record_hash(
        record_fields(version.contract_id, version.number, version.blob_sha256, version.filename, version.source,
                      version.author, version.created_at, version.paragraph_count, version.word_count,
                      version.revision_count or 0, bool(version.has_hidden_text)),
        version.text, previous)


@event.listens_for(Version, "after_insert")
def _move_chain_head(_mapper: Any, connection: Any, version: Version) -> None:
    connection.execute(update(Contract.__table__).where(Contract.__table__.c.id == version.contract_id)
                       .values(versions_sha256=chain_head(version.contract_id, version.number,
                                                          version.record_sha256 or "")))
