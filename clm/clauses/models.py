"""Library clauses as stored: one insert-only row per version of each clause type."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from clm.db import Base, utcnow


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
