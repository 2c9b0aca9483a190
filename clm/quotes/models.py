"""Quote tables: loaded catalogs, products, price book entries, quotes, their immutable versions, lines and approvals.

Money is stored as integer minor units next to its currency (as downstream does): exact on
every database. A quote version, its lines and its approvals are insert-only; a revision is a
new version, and only the quote row (status, current version, contract) changes.
"""

from __future__ import annotations

import datetime as dt
import enum
from typing import Any

from sqlalchemy import JSON, BigInteger, Date, Enum, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from clm.db import Base, enum_values, utcnow

#: Evidence of what was quoted and who approved it: the database refuses UPDATE and DELETE.
INSERT_ONLY = ("quote_catalogs", "quote_versions", "quote_lines", "quote_approvals")


class QuoteStatus(enum.Enum):
    DRAFT = "draft"
    PENDING_APPROVAL = "pending_approval"
    APPROVED = "approved"
    SENT = "sent"
    ACCEPTED = "accepted"


class QuoteCatalog(Base):
    """One loaded version of the catalog file (canonical JSON); the highest version is in force."""

    __tablename__ = "quote_catalogs"

    id: Mapped[int] = mapped_column(primary_key=True)
    version: Mapped[int] = mapped_column(Integer, unique=True)
    #: SHA-256 of the canonical JSON: loading the same file twice stores nothing.
    sha256: Mapped[str] = mapped_column(String(64))
    data: Mapped[dict[str, Any]] = mapped_column(JSON)
    #: The file it came from, as given.
    source: Mapped[str] = mapped_column(String(300))
    loaded_by: Mapped[str] = mapped_column(String(320))
    loaded_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class Product(Base):
    """A product or bundle of the catalog in force (``active`` False once a later catalog drops it)."""

    __tablename__ = "products"

    id: Mapped[int] = mapped_column(primary_key=True)
    sku: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    #: recurring, one_time or bundle.
    kind: Mapped[str] = mapped_column(String(20))
    billing: Mapped[str | None] = mapped_column(String(20))
    recognition: Mapped[str | None] = mapped_column(String(20))
    #: The product's or bundle's full definition (options, rules) as in the catalog.
    data: Mapped[dict[str, Any]] = mapped_column(JSON)
    active: Mapped[bool] = mapped_column(default=True)
    catalog_version: Mapped[int] = mapped_column(Integer)


class PriceBookEntry(Base):
    """A product's price in one price book of the catalog in force."""

    __tablename__ = "price_book_entries"
    __table_args__ = (UniqueConstraint("price_book", "product_sku"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    price_book: Mapped[str] = mapped_column(String(60))
    currency: Mapped[str] = mapped_column(String(3))
    product_sku: Mapped[str] = mapped_column(String(40), index=True)
    list_price_minor: Mapped[int] = mapped_column(BigInteger)
    ssp_minor: Mapped[int] = mapped_column(BigInteger)
    #: [{"from": 1, "price": "1200.00"}, ...] and the mode, as in the catalog.
    tiers: Mapped[list[Any]] = mapped_column(JSON)
    tier_mode: Mapped[str] = mapped_column(String(20))
    active: Mapped[bool] = mapped_column(default=True)
    catalog_version: Mapped[int] = mapped_column(Integer)


class Quote(Base):
    """A quote to one customer: its status, its current version and, once accepted, its contract."""

    __tablename__ = "quotes"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: Q-0001, Q-0002 ...
    number: Mapped[str] = mapped_column(String(20), unique=True)
    customer: Mapped[str] = mapped_column(String(300))
    currency: Mapped[str] = mapped_column(String(3))
    status: Mapped[QuoteStatus] = mapped_column(
        Enum(QuoteStatus, values_callable=enum_values, native_enum=False, length=20), default=QuoteStatus.DRAFT)
    current_version: Mapped[int] = mapped_column(Integer, default=1)
    contract_id: Mapped[int | None] = mapped_column(ForeignKey("contracts.id"), index=True)
    created_by: Mapped[str] = mapped_column(String(320))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow, index=True)
    sent_at: Mapped[dt.datetime | None] = mapped_column()
    sent_by: Mapped[str | None] = mapped_column(String(320))
    accepted_at: Mapped[dt.datetime | None] = mapped_column()
    accepted_by: Mapped[str | None] = mapped_column(String(320))

    versions: Mapped[list[QuoteVersion]] = relationship(back_populates="quote", order_by="QuoteVersion.number",
                                                        lazy="selectin")

    @property
    def current(self) -> QuoteVersion:
        """Return the version in force."""
        return next(v for v in self.versions if v.number == self.current_version)

    def __repr__(self) -> str:
        return f"<Quote {self.number} {self.status.value}>"


class QuoteVersion(Base):
    """One immutable priced version of a quote: the request, the priced result, the approvals it needs."""

    __tablename__ = "quote_versions"
    __table_args__ = (UniqueConstraint("quote_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    quote_id: Mapped[int] = mapped_column(ForeignKey("quotes.id"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    catalog_id: Mapped[int] = mapped_column(ForeignKey("quote_catalogs.id"))
    #: What was asked for (``QuoteRequest.to_dict``).
    request: Mapped[dict[str, Any]] = mapped_column(JSON)
    #: What it costs (``PricedQuote.to_dict``): lines, totals, ACV, TCV, approvals needed.
    priced: Mapped[dict[str, Any]] = mapped_column(JSON)
    currency: Mapped[str] = mapped_column(String(3))
    list_total_minor: Mapped[int] = mapped_column(BigInteger)
    net_total_minor: Mapped[int] = mapped_column(BigInteger)
    acv_minor: Mapped[int] = mapped_column(BigInteger)
    tcv_minor: Mapped[int] = mapped_column(BigInteger)
    #: Approval levels this version needs, in order (["sales_manager", "finance"]).
    approvals_required: Mapped[list[str]] = mapped_column(JSON)
    #: The last day the customer may accept this version.
    expires_on: Mapped[dt.date] = mapped_column(Date)
    created_by: Mapped[str] = mapped_column(String(320))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    quote: Mapped[Quote] = relationship(back_populates="versions")
    lines: Mapped[list[QuoteLine]] = relationship(order_by="QuoteLine.position", lazy="selectin")
    approvals: Mapped[list[QuoteApproval]] = relationship(order_by="QuoteApproval.id", lazy="selectin")


class QuoteLine(Base):
    """One priced line of a quote version."""

    __tablename__ = "quote_lines"
    __table_args__ = (UniqueConstraint("version_id", "position"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("quote_versions.id"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    product_sku: Mapped[str] = mapped_column(String(40))
    quantity: Mapped[int] = mapped_column(Integer)
    unit_price_minor: Mapped[int] = mapped_column(BigInteger)
    list_total_minor: Mapped[int] = mapped_column(BigInteger)
    net_total_minor: Mapped[int] = mapped_column(BigInteger)
    #: The line's own discount in percent, as entered ("12.5").
    discount: Mapped[str] = mapped_column(String(12))
    promotion: Mapped[str | None] = mapped_column(String(40))


class QuoteApproval(Base):
    """A recorded discount approval: which version, which level, who, when."""

    __tablename__ = "quote_approvals"
    __table_args__ = (UniqueConstraint("version_id", "level"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("quote_versions.id"), index=True)
    level: Mapped[str] = mapped_column(String(20))
    decided_by: Mapped[str] = mapped_column(String(320))
    decided_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    comment: Mapped[str] = mapped_column(Text, default="")
