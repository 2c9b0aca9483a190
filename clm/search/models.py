"""What full-text search keeps in the database: the indexes its filters use, and the FTS objects.

The text index itself is not an ORM object (a generated ``tsvector`` column on PostgreSQL, an
FTS5 virtual table on SQLite, both made by revision f9c3e2a3b003); :func:`include_object` tells
Alembic's comparison to leave exactly those objects alone.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Index

from clm.clauses.models import ExtractedTerm, TermDecision
from clm.downstream.models import Renewal

#: Term filters look up one field of one version, or the decisions on one field of a contract.
#: On PostgreSQL the value is included, so a filter reads the index only (no table rows).
EXTRACTED_TERMS_BY_FIELD = Index("ix_extracted_terms_field_version_id", ExtractedTerm.field,
                                 ExtractedTerm.version_id, postgresql_include=["value"])
DECISIONS_BY_FIELD = Index("ix_term_decisions_contract_id_field", TermDecision.contract_id, TermDecision.field)
#: Renewals due: notice deadlines in a window (renewal_date is indexed by its model).
RENEWALS_BY_NOTICE = Index("ix_renewals_notice_deadline", Renewal.notice_deadline)

#: Tables created by the search revision outside the ORM: the FTS5 table and its shadow tables.
FTS_TABLES = frozenset({"versions_fts", "versions_fts_data", "versions_fts_idx", "versions_fts_docsize",
                        "versions_fts_config", "versions_fts_content"})
#: The PostgreSQL generated column and its GIN index.
FTS_COLUMNS = frozenset({("versions", "search_vector")})
FTS_INDEXES = frozenset({"ix_versions_search_vector"})


def include_object(obj: Any, name: str | None, type_: str, reflected: bool, compare_to: Any) -> bool:
    """Return False for the full-text objects the ORM does not model (Alembic ``include_object``).

    Only objects found in the database (``reflected``) with exactly these names are skipped, so a
    model change that Alembic should see is never hidden.
    """
    if not reflected or compare_to is not None:
        return True
    if type_ == "table":
        return name not in FTS_TABLES
    if type_ == "column":
        return (getattr(obj.table, "name", None), name) not in FTS_COLUMNS
    if type_ == "index":
        return name not in FTS_INDEXES
    return True
