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
    Renewal,
    RevenueLine,
    RevenueSchedule,
)
from clm.events import Event
from clm.signing.models import AuditEvent, Envelope, Recipient
from clm.users import ApiToken, LoginAttempt, User
from clm.versions.models import Blob, Contract, Version
from clm.webhooks import WebhookDelivery

__all__ = [
    "ApiToken", "AuditEvent", "Base", "BillingSchedule", "Blob", "ClauseApproval", "Contract",
    "ContractTermsDocument", "DraftRecord", "Envelope", "Event", "ExtractedTerm", "ExtractionRun", "Invoice",
    "LibraryClause", "LoginAttempt", "Order", "OrderLine", "Recipient", "Renewal",
    "RevenueLine", "RevenueSchedule", "TermDecision", "User", "Version", "WebhookDelivery",
]

from clm.downstream.models import (  # noqa: E402
    CreditNote,
    OrderCancellation,
    RenewalDraft,
    RenewalReminder,
    RenewalTerm,
)

__all__ += ["CreditNote", "OrderCancellation", "RenewalDraft", "RenewalReminder",
            "RenewalTerm"]

from clm.jobs import ImportRun, Job  # noqa: E402
from clm.search import models as _search_models  # noqa: E402,F401 - the indexes search filters use

__all__ += ["ImportRun", "Job"]

from clm.quotes.models import (  # noqa: E402
    PriceBookEntry,
    Product,
    Quote,
    QuoteApproval,
    QuoteCatalog,
    QuoteLine,
    QuoteVersion,
)

__all__ += ["PriceBookEntry", "Product", "Quote", "QuoteApproval", "QuoteCatalog", "QuoteLine", "QuoteVersion"]
