"""Every package's models, imported in one place for Alembic and ``create_all``."""

from __future__ import annotations

from clm.clauses.models import (
    ClauseApproval,
    DraftRecord,
    ExtractedTerm,
    ExtractionRun,
    LibraryClause,
    TermDecision,
)
from clm.db import Base
from clm.downstream.models import (
    BillingSchedule,
    ContractTermsDocument,
    Invoice,
    Order,
    OrderLine,
    OutboxEvent,
    Renewal,
    RevenueLine,
    RevenueSchedule,
)
from clm.signing.models import AuditEvent, Envelope, Recipient, WebhookDelivery
from clm.users import ApiToken, LoginAttempt, User
from clm.versions.models import Blob, Contract, Version

__all__ = [
    "ApiToken", "AuditEvent", "Base", "BillingSchedule", "Blob", "ClauseApproval", "Contract",
    "ContractTermsDocument", "DraftRecord", "Envelope", "ExtractedTerm", "ExtractionRun", "Invoice",
    "LibraryClause", "LoginAttempt", "Order", "OrderLine", "OutboxEvent", "Recipient", "Renewal",
    "RevenueLine", "RevenueSchedule", "TermDecision", "User", "Version", "WebhookDelivery",
]
