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
from clm.values.money import from_minor, to_minor

__all__ = ["from_minor", "to_minor"]


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
    #: INV-<order id>-<nnnn> (INV-<contract id>-<nnnn> before issue 7's migration); unique across clm.
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
    notice_deadline: Mapped[dt.date | None] = mapped_column(index=True)
    auto_renewal: Mapped[bool]
    renewal_term: Mapped[str | None] = mapped_column(String(20))
    non_renewal_notice: Mapped[str | None] = mapped_column(String(20))
    price_increase_cap: Mapped[str | None] = mapped_column(String(20))
    #: The holiday calendar its deadlines count on ("GB", "US-NY"); NULL: the configured default.
    holidays: Mapped[str | None] = mapped_column(String(20))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class RenewalTerm(Base):
    """The term a renewal is in now: the initial term, rolled forward as auto-renewals happen.

    A projection of :class:`Renewal` kept so that "what renews in the next 90 days" is one
    indexed query however many contracts there are. It is derived data, not evidence:
    ``reports.roll_renewals`` updates rows whose term has ended (``clm renewals remind`` runs
    it), and readers compute rows that are behind on the fly, so a missed roll is never wrong,
    only slower.
    """

    __tablename__ = "renewal_terms"

    renewal_id: Mapped[int] = mapped_column(ForeignKey("renewals.id"), primary_key=True)
    contract_id: Mapped[int] = mapped_column(ForeignKey("contracts.id"), index=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id"), index=True)
    #: 0 for the initial term, n for the n-th renewal term.
    term_number: Mapped[int] = mapped_column(Integer)
    term_start: Mapped[dt.date]
    term_end: Mapped[dt.date] = mapped_column(index=True)
    renewal_date: Mapped[dt.date] = mapped_column(index=True)
    notice_deadline: Mapped[dt.date | None] = mapped_column(index=True)
    auto_renewal: Mapped[bool]


class OrderCancellation(Base):
    """An order cancelled from a date; one per order, insert-only (orders and invoices themselves never change).

    Invoices of the order dated on or after ``cancel_on`` are not issued, except the final
    invoice (``final_invoice_seq``) added for what was earned before it and not yet billed.
    """

    __tablename__ = "order_cancellations"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: UNIQUE: an order is cancelled once.
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id"), unique=True)
    contract_id: Mapped[int] = mapped_column(ForeignKey("contracts.id"), index=True)
    #: The first day without service.
    cancel_on: Mapped[dt.date]
    #: ``Invoice.seq`` of the final invoice dated ``cancel_on``; NULL when nothing was left to bill.
    final_invoice_seq: Mapped[int | None] = mapped_column(Integer)
    cancelled_by: Mapped[str] = mapped_column(String(320))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    def invoice_cancelled(self, issued_on: dt.date, seq: int) -> bool:
        """Return whether the order's invoice ``seq`` dated ``issued_on`` is not issued because of this cancellation."""
        return issued_on >= self.cancel_on and seq != self.final_invoice_seq


class CreditNote(Base):
    """The credit note of a cancelled order: what was invoiced for service after the cancellation; one per order."""

    __tablename__ = "credit_notes"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: UNIQUE: an order is cancelled once, so it has at most one credit note.
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id"), unique=True)
    contract_id: Mapped[int] = mapped_column(ForeignKey("contracts.id"), index=True)
    #: CN-<order id>-0001; unique across clm.
    number: Mapped[str] = mapped_column(String(60), unique=True)
    #: The cancellation date (first day without service).
    issued_on: Mapped[dt.date]
    currency: Mapped[str] = mapped_column(String(3))
    total_minor: Mapped[int] = mapped_column(BigInteger)
    #: ``credit_note_json`` lines: invoice, line, description, period, amount.
    lines: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    terms_sha256: Mapped[str] = mapped_column(String(64))
    created_by: Mapped[str] = mapped_column(String(320))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    @property
    def total(self) -> Decimal:
        return from_minor(self.total_minor, self.currency)


class RenewalReminder(Base):
    """A renewal reminder that went out: one per (renewal, notice deadline, offset in days)."""

    __tablename__ = "renewal_reminders"
    __table_args__ = (UniqueConstraint("renewal_id", "notice_deadline", "offset_days"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    renewal_id: Mapped[int] = mapped_column(ForeignKey("renewals.id"), index=True)
    contract_id: Mapped[int] = mapped_column(ForeignKey("contracts.id"), index=True)
    #: The deadline the reminder was about (an auto-renewing contract has one per term).
    notice_deadline: Mapped[dt.date]
    #: Days before the deadline this reminder is for (90, 60, 30 ...).
    offset_days: Mapped[int] = mapped_column(Integer)
    #: Comma-separated addresses; empty when the mail went with a nearer offset's reminder.
    sent_to: Mapped[str] = mapped_column(Text)
    sent_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class RenewalDraft(Base):
    """A renewal contract drafted from a signed one ("start renewal"): one per order and term."""

    __tablename__ = "renewal_drafts"
    __table_args__ = (UniqueConstraint("order_id", "term_number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id"), index=True)
    #: The contract being renewed.
    original_contract_id: Mapped[int] = mapped_column(ForeignKey("contracts.id"), index=True)
    #: The term the renewal replaces (0: the initial term).
    term_number: Mapped[int] = mapped_column(Integer)
    #: The new draft contract.
    contract_id: Mapped[int] = mapped_column(ForeignKey("contracts.id"), unique=True)
    #: The uplift asked for and the one applied after the contract's cap, in percent.
    requested_pct: Mapped[str] = mapped_column(String(20))
    applied_pct: Mapped[str] = mapped_column(String(20))
    created_by: Mapped[str] = mapped_column(String(320))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class UsageRecord(Base):
    """Units of a usage-based line used on one day, posted to ``/api/v1/contracts/<id>/usage``; insert-only.

    Billing reads them in arrears (each period's quantity x unit price) and revenue recognizes
    them on their day. ``reference`` (the caller's id of the record) makes a retried post a
    no-op: one row per contract and reference.
    """

    __tablename__ = "usage_records"
    __table_args__ = (UniqueConstraint("contract_id", "reference"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    contract_id: Mapped[int] = mapped_column(ForeignKey("contracts.id"), index=True)
    line_id: Mapped[str] = mapped_column(String(200))
    used_on: Mapped[dt.date]
    #: The quantity as an exact decimal string ("1200", "1.5"): no float on any database.
    quantity: Mapped[str] = mapped_column(String(40))
    reference: Mapped[str | None] = mapped_column(String(200))
    recorded_by: Mapped[str] = mapped_column(String(320))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class Payment(Base):
    """Cash received against an issued invoice (``POST /api/v1/contracts/<id>/payments``); insert-only.

    ``reference`` (the bank's or the ERP's id of the receipt) makes a retried post a no-op: one
    row per contract and reference. The journal debits cash and credits the receivable with it.
    """

    __tablename__ = "payments"
    __table_args__ = (UniqueConstraint("contract_id", "reference"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    contract_id: Mapped[int] = mapped_column(ForeignKey("contracts.id"), index=True)
    invoice_id: Mapped[int] = mapped_column(ForeignKey("invoices.id"), index=True)
    received_on: Mapped[dt.date]
    amount_minor: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    reference: Mapped[str | None] = mapped_column(String(200))
    recorded_by: Mapped[str] = mapped_column(String(320))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class InvoiceNumber(Base):
    """The seller's sequential number of an issued invoice (``clm downstream issue``); insert-only.

    Invoices are scheduled when the contract is signed (``INV-<order>-nnnn``); the day each is
    issued it takes the next number of its seller, so a seller's numbers run without gaps in
    the order its invoices were issued, across contracts.
    """

    __tablename__ = "invoice_numbers"
    __table_args__ = (UniqueConstraint("seller", "seq"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    invoice_id: Mapped[int] = mapped_column(ForeignKey("invoices.id"), unique=True)
    #: The seller's code (its ``code`` in the terms, else the configured INVOICE_SELLER_CODE).
    seller: Mapped[str] = mapped_column(String(40))
    seq: Mapped[int] = mapped_column(Integer)
    #: <seller>-<seq, 6 digits>, e.g. ACME-US-000042.
    number: Mapped[str] = mapped_column(String(60), unique=True)
    issued_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    #: The invoice's lines and total as issued, usage included (None: issued before usage was
    #: kept here, when the scheduled lines were all it billed).
    lines: Mapped[list[dict[str, Any]] | None] = mapped_column(JSON)
    total_minor: Mapped[int | None] = mapped_column(BigInteger)
