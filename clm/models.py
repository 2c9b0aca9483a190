"""Every package's models, imported in one place for Alembic and ``create_all``."""

from __future__ import annotations

from clm.clauses.models import ClauseApproval, ExtractedTerm, ExtractionRun, LibraryClause, TermDecision
from clm.db import Base
from clm.signing.models import AuditEvent, Envelope, Recipient
from clm.users import ApiToken, LoginAttempt, User
from clm.versions.models import Blob, Contract, Version

__all__ = ["ApiToken", "AuditEvent", "Envelope", "Recipient", "Base", "Blob", "ClauseApproval", "Contract", "ExtractedTerm", "ExtractionRun", "LibraryClause", "TermDecision", "LoginAttempt", "User", "Version"]
