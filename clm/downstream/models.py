"""Commercial terms documents, the outbox, and what signing produces downstream: orders, billing, revenue, renewals.

Money is stored as integer minor units (cents; yen; fils) next to its currency: exact on every
database, where SQLite would hand a ``Numeric`` back through a float. Every downstream row
carries the SHA-256 of the terms document it was built from (RELIABILITY T3).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from clm.db import Base, utcnow
from clm.downstream.terms import minor_units


def to_minor(amount: Decimal, currency: str) -> int:
    """Return ``amount`` in minor units of ``currency`` (12.34 USD -> 1234); exact or ValueError."""
    units = amount.scaleb(minor_units(currency))
    if units != units.to_integral_value():
        raise ValueError(f"{amount} has more decimals than {currency} allows")
    return int(units)


def from_minor(units: int, currency: str) -> Decimal:
    """Return minor ``units`` of ``currency`` as a Decimal with the currency's decimals."""
    return Decimal(units).scaleb(-minor_units(currency))


class ContractTermsDocument(Base):
    """One version of a contract's commercial terms (the JSON ``parse_terms`` reads); insert-only."""

    __tablename__ = "contract_terms_documents"
    __table_args__ = (UniqueConstraint("contract_id", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    contract_id: Mapped[int] = mapped_column(ForeignKey("contracts.id"), index=True)
    #: 1, 2, ... per contract; the highest is the current one.
    version: Mapped[int] = mapped_column(Integer)
    #: The canonical form (``terms_to_dict``), so ``terms_hash(parse_terms(data)) == sha256``.
    data: Mapped[dict[str, Any]] = mapped_column(JSON)
    #: ``terms_hash`` of the document: what signing freezes and every downstream row records.
    sha256: Mapped[str] = mapped_column(String(64))
    currency: Mapped[str] = mapped_column(String(3))
    created_by: Mapped[str] = mapped_column(String(320))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    def __repr__(self) -> str:
        return f"<ContractTermsDocument contract={self.contract_id} v{self.version} {self.sha256[:12]}>"


class OutboxEvent(Base):
    """Something signing did that downstream must act on exactly once (written in the same transaction)."""

    __tablename__ = "outbox_events"
    __table_args__ = (UniqueConstraint("envelope_id", "event"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    envelope_id: Mapped[int] = mapped_column(ForeignKey("envelopes.id"))
    #: "executed": the envelope completed and the contract is signed.
    event: Mapped[str] = mapped_column(String(40))
    #: ``{"contract_id", "terms_sha256", "commercial_terms_sha256", "commercial_terms_version"}``.
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    #: Set once downstream rows exist; NULL while pending or refused.
    processed_at: Mapped[dt.datetime | None]
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    #: Why the last attempt refused (terms changed after signing, no terms document ...).
    last_error: Mapped[str | None] = mapped_column(Text)

    def __repr__(self) -> str:
        return f"<OutboxEvent {self.id} {self.event} envelope={self.envelope_id}>"


class Order(Base):
    """The order a signed contract creates: one per executed envelope."""

    __tablename__ = "orders"

    id: Mapped[int] = mapped_column(primary_key=True)
    envelope_id: Mapped[int] = mapped_column(ForeignKey("envelopes.id"), unique=True)
    contract_id: Mapped[int] = mapped_column(ForeignKey("contracts.id"), index=True)
    terms_document_id: Mapped[int] = mapped_column(ForeignKey("contract_terms_documents.id"))
    terms_sha256: Mapped[str] = mapped_column(String(64))
    currency: Mapped[str] = mapped_column(String(3))
    #: The contract value (every line's price, modifications included), in minor units.
    total_minor: Mapped[int] = mapped_column(BigInteger)
    signed_on: Mapped[dt.date]
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    @property
    def total(self) -> Decimal:
        return from_minor(self.total_minor, self.currency)


class OrderLine(Base):
    """One priced line of an order (original or added by a modification)."""

    __tablename__ = "order_lines"
    __table_args__ = (UniqueConstraint("order_id", "position"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    #: "original", or "modifications[i]".
    contract_part: Mapped[str] = mapped_column(String(40))
    line_id: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text)
    price_minor: Mapped[int] = mapped_column(BigInteger)
    ssp_minor: Mapped[int] = mapped_column(BigInteger)
    recognition: Mapped[str] = mapped_column(String(20))
    service_start: Mapped[dt.date | None]
    service_end: Mapped[dt.date | None]
    satisfied_on: Mapped[dt.date | None]
    billing_frequency: Mapped[str] = mapped_column(String(20))
    billing_timing: Mapped[str] = mapped_column(String(20))
    terms_sha256: Mapped[str] = mapped_column(String(64))


class BillingSchedule(Base):
    """The invoices an order will produce."""

    __tablename__ = "billing_schedules"

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id"), unique=True)
    contract_id: Mapped[int] = mapped_column(ForeignKey("contracts.id"), index=True)
    terms_sha256: Mapped[str] = mapped_column(String(64))
    currency: Mapped[str] = mapped_column(String(3))
    total_minor: Mapped[int] = mapped_column(BigInteger)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class Invoice(Base):
    """One scheduled invoice; ``lines`` as ``billing_json`` writes them."""

    __tablename__ = "invoices"
    __table_args__ = (UniqueConstraint("schedule_id", "seq"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    schedule_id: Mapped[int] = mapped_column(ForeignKey("billing_schedules.id"), index=True)
    seq: Mapped[int] = mapped_column(Integer)
    #: INV-<contract>-<nnnn>; unique across clm.
    number: Mapped[str] = mapped_column(String(60), unique=True)
    contract_id: Mapped[int] = mapped_column(ForeignKey("contracts.id"), index=True)
    issued_on: Mapped[dt.date] = mapped_column(index=True)
    due_on: Mapped[dt.date]
    currency: Mapped[str] = mapped_column(String(3))
    total_minor: Mapped[int] = mapped_column(BigInteger)
    lines: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    terms_sha256: Mapped[str] = mapped_column(String(64))

    @property
    def total(self) -> Decimal:
        return from_minor(self.total_minor, self.currency)


class RevenueSchedule(Base):
    """The ASC 606 revenue of an order: allocation per line and revenue by month."""

    __tablename__ = "revenue_schedules"

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id"), unique=True)
    contract_id: Mapped[int] = mapped_column(ForeignKey("contracts.id"), index=True)
    terms_sha256: Mapped[str] = mapped_column(String(64))
    currency: Mapped[str] = mapped_column(String(3))
    total_minor: Mapped[int] = mapped_column(BigInteger)
    #: ``{line id: amount}`` as decimal strings: what each line recognizes over its life.
    allocation: Mapped[dict[str, str]] = mapped_column(JSON)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class RevenueLine(Base):
    """Revenue of one line in one calendar month."""

    __tablename__ = "revenue_lines"
    __table_args__ = (UniqueConstraint("schedule_id", "period", "line_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    schedule_id: Mapped[int] = mapped_column(ForeignKey("revenue_schedules.id"), index=True)
    contract_id: Mapped[int] = mapped_column(ForeignKey("contracts.id"), index=True)
    #: YYYY-MM
    period: Mapped[str] = mapped_column(String(7))
    line_id: Mapped[str] = mapped_column(String(200))
    currency: Mapped[str] = mapped_column(String(3))
    amount_minor: Mapped[int] = mapped_column(BigInteger)
    terms_sha256: Mapped[str] = mapped_column(String(64))


class Renewal(Base):
    """The initial term of a signed contract and what happens at its end."""

    __tablename__ = "renewals"

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id"), unique=True)
    contract_id: Mapped[int] = mapped_column(ForeignKey("contracts.id"), index=True)
    terms_sha256: Mapped[str] = mapped_column(String(64))
    term_start: Mapped[dt.date]
    term_end: Mapped[dt.date]
    #: The day the next term starts (or the day after expiry without auto-renewal).
    renewal_date: Mapped[dt.date] = mapped_column(index=True)
    #: Last business day to give notice of non-renewal; NULL without auto-renewal or notice.
    notice_deadline: Mapped[dt.date | None]
    auto_renewal: Mapped[bool]
    renewal_term: Mapped[str | None] = mapped_column(String(20))
    non_renewal_notice: Mapped[str | None] = mapped_column(String(20))
    price_increase_cap: Mapped[str | None] = mapped_column(String(20))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
