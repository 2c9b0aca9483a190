"""Commercial terms documents: attach a contract's terms JSON (insert-only versions), prefill it from confirmed terms."""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from clm.downstream.models import ContractTermsDocument, OutboxEvent
from clm.downstream.terms import (
    CURRENCIES,
    FREQUENCIES,
    parse_duration,
    parse_terms,
    terms_hash,
    terms_to_dict,
)
from clm.errors import Conflict, NotFound

if TYPE_CHECKING:
    import datetime as dt

    from sqlalchemy.orm import Session

    from clm.versions.models import Contract

#: session.info flag: the transaction left outbox events to process once it commits.
PENDING_KEY = "clm.outbox_pending"

_FEES = re.compile(r"\b([A-Z]{3})\s*([0-9][0-9,]*(?:\.[0-9]+)?)")


def latest_document(session: Session, contract_id: int) -> ContractTermsDocument | None:
    """Return the contract's current terms document (its highest version), or None."""
    return session.scalar(select(ContractTermsDocument).where(ContractTermsDocument.contract_id == contract_id)
                          .order_by(ContractTermsDocument.version.desc()).limit(1))


def document_version(session: Session, contract_id: int, version: int) -> ContractTermsDocument | None:
    """Return version ``version`` of the contract's terms document, or None."""
    return session.scalar(select(ContractTermsDocument).where(ContractTermsDocument.contract_id == contract_id,
                                                              ContractTermsDocument.version == version))


def attach_terms(session: Session, contract: Contract, data: Any, *, by: str, now: dt.datetime) -> ContractTermsDocument:
    """Store ``data`` (parsed JSON) as the contract's next terms document and return it.

    Raises ``TermsError`` (422) naming every bad field. Nothing is stored when the terms are
    the same (same canonical hash) as the current document: the current one is returned.
    Two people saving at once: one gets version n+1, the other a Conflict to reload.
    """
    terms = parse_terms(data)
    sha = terms_hash(terms)
    latest = latest_document(session, contract.id)
    if latest is not None and latest.sha256 == sha:
        return latest
    document = ContractTermsDocument(contract_id=contract.id, version=(latest.version if latest else 0) + 1,
                                     data=terms_to_dict(terms), sha256=sha, currency=terms.currency,
                                     created_by=by, created_at=now)
    session.add(document)
    try:
        session.flush()
    except IntegrityError:
        raise Conflict("Someone else saved the terms of this contract at the same moment; reload and "
                       "try again.") from None
    # A signed contract waiting for its terms (or refused over them) is processed after commit.
    waiting = session.scalar(select(func.count(OutboxEvent.id)).where(OutboxEvent.processed_at.is_(None)))
    if waiting:
        session.info[PENDING_KEY] = True
    return document


def prefill(session: Session, contract: Contract, today: date) -> tuple[dict[str, Any], list[str]]:
    """Return a starting terms document drawn from the confirmed terms, and notes on what came from where.

    Renewal (auto-renewal, renewal term, notice, price cap), payment days, the signing date,
    the service period, billing frequency and the currency and amount of the fees are taken
    where they were confirmed; the rest is left for a person to fill in.
    """
    from clm.clauses.services import contract_terms

    confirmed = {name: d.value for name, d in contract_terms(session, contract.id).items()}
    notes: list[str] = []

    def took(field: str, target: str) -> None:
        notes.append(f"{target} from the confirmed {field.replace('_', ' ')}")

    doc: dict[str, Any] = {"currency": "", "signed_on": today.isoformat(), "payment_terms_days": 30}
    signed = confirmed.get("agreement_date") or confirmed.get("effective_date")
    if isinstance(signed, str) and signed:
        doc["signed_on"] = signed
        took("agreement_date" if confirmed.get("agreement_date") else "effective_date", "signed_on")
    payment = confirmed.get("payment_terms")
    if isinstance(payment, str) and payment:
        try:
            duration = parse_duration(payment)
        except ValueError:
            duration = None
        if duration is not None and duration.months == 0:
            doc["payment_terms_days"] = duration.days
            took("payment_terms", "payment_terms_days")
    line: dict[str, Any] = {"id": "main", "description": contract.title, "price": "", "recognition": "ratable",
                            "start": "", "end": "", "billing": {"frequency": "annual", "timing": "advance"}}
    fees = confirmed.get("fees")
    match = _FEES.search(fees) if isinstance(fees, str) else None
    if match and match.group(1) in CURRENCIES:
        doc["currency"] = match.group(1)
        line["price"] = match.group(2).replace(",", "")
        took("fees", "currency and lines[0].price")
    start = confirmed.get("effective_date")
    if isinstance(start, str) and start:
        line["start"] = start
        took("effective_date", "lines[0].start")
    end = confirmed.get("expiration_date")
    if isinstance(end, str) and end:
        line["end"] = end
        took("expiration_date", "lines[0].end")
    elif line["start"] and isinstance(confirmed.get("initial_term"), str):
        try:
            term = parse_duration(str(confirmed["initial_term"]))
            line["end"] = date.fromordinal(term.after(date.fromisoformat(line["start"])).toordinal() - 1).isoformat()
            took("initial_term", "lines[0].end")
        except ValueError:
            pass
    # The extractor says how invoices go out as a contract words it ("annually"); billing's
    # vocabulary is once/monthly/quarterly/annual.
    frequency = str(confirmed.get("billing_frequency") or "").lower()
    frequency = {"annually": "annual", "yearly": "annual"}.get(frequency, frequency)
    if frequency in FREQUENCIES:
        line["billing"]["frequency"] = frequency
        took("billing_frequency", "lines[0].billing.frequency")
    doc["lines"] = [line]
    renewal: dict[str, Any] = {}
    for field in ("auto_renewal", "renewal_term", "non_renewal_notice"):
        if confirmed.get(field) not in (None, ""):
            renewal[field] = confirmed[field]
            took(field, f"renewal.{field}")
    cap = confirmed.get("price_increase_cap")
    if cap not in (None, ""):
        renewal["price_increase_cap"] = f"{format(Decimal(str(cap)).normalize(), 'f')}%"
        took("price_increase_cap", "renewal.price_increase_cap")
    if renewal:
        doc["renewal"] = renewal
    return doc, notes


def get_document(session: Session, contract_id: int) -> ContractTermsDocument:
    """Return the contract's current terms document; raise NotFound when it has none."""
    document = latest_document(session, contract_id)
    if document is None:
        raise NotFound(f"Contract {contract_id} has no commercial terms yet.")
    return document
