"""Start renewal: a draft renewal contract from the library template, with the original's terms uplifted and capped."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from clm.downstream.models import Order, RenewalDraft
from clm.downstream.renewals import RenewalPlan, plan_renewal
from clm.errors import Conflict, InvalidInput
from clm.values import money

if TYPE_CHECKING:
    import datetime as dt

    from sqlalchemy.orm import Session

    from clm.clauses.library import Library
    from clm.versions.intake import Limits

#: The template a renewal is drafted from when the original was not drafted from the library.
DEFAULT_TEMPLATE = "order_form"


@dataclass(frozen=True)
class RenewalStart:
    """What starting a renewal did (or found already done)."""

    contract_id: int
    original_contract_id: int
    requested_pct: str
    applied_pct: str
    created: bool
    plan: RenewalPlan | None = None

    @property
    def capped(self) -> bool:
        return Decimal(self.applied_pct) < Decimal(self.requested_pct)


def parse_uplift(raw: Any) -> Decimal:
    """Return the requested uplift in percent from "5", "5%" or 5; raise InvalidInput naming ``uplift``."""
    text = str(raw if raw is not None else "").strip().removesuffix("%").strip()
    try:
        value = Decimal(text)
    except ArithmeticError:
        raise InvalidInput(f"uplift: {str(raw)[:20]!r} is not a percentage such as 5 or 3.5") from None
    if not value.is_finite() or value <= -100 or value > 1000:
        raise InvalidInput(f"uplift: {text[:20]} must be a percentage above -100 and at most 1000")
    return value


def _pct(value: Decimal) -> str:
    return format(value.normalize(), "f")


def _values(session: Session, order: Order, plan: RenewalPlan, template_key: str, library: Library,
            today: date) -> dict[str, Any]:
    """Return the template variables of the renewal: the original draft's values, dates and fee moved on."""
    from clm.clauses.library import template_variables
    from clm.clauses.models import DraftRecord
    from clm.versions.models import Contract

    contract = session.get(Contract, order.contract_id)
    assert contract is not None
    record = session.scalar(select(DraftRecord).where(DraftRecord.contract_id == order.contract_id)
                            .order_by(DraftRecord.id.desc()).limit(1))
    values: dict[str, Any] = dict(record.variables) if record is not None and record.template_key == template_key else {}
    doc = plan.document
    cur = doc["currency"]
    fee = sum((Decimal(ln["price"]) for ln in doc["lines"]), Decimal(0))
    months = (plan.term_end.year - plan.term_start.year) * 12 + plan.term_end.month - plan.term_start.month + 1
    derived: dict[str, Any] = {
        "customer_name": contract.counterparty or "", "order_date": today.isoformat(),
        "start_date": plan.term_start.isoformat(), "effective_date": plan.term_start.isoformat(),
        "initial_term": f"{months} months" if months % 12 else f"{months // 12} years",
        "product_name": "; ".join(ln["description"] or ln["id"] for ln in doc["lines"]),
        "annual_fee": money.format_amount(fee, cur), "payment_terms": doc.get("payment_terms") or f"P{doc['payment_terms_days']}D",
    }
    cap = doc["renewal"].get("price_increase_cap")
    if cap:
        derived["price_increase_cap"] = f"{cap}%"
    values.setdefault("agreement_date", order.signed_on.isoformat())
    values.setdefault("customer_address", "As stated in the Agreement")
    values.setdefault("customer_description", "the customer named above")
    values.setdefault("quantity", "1")
    wanted = template_variables(library.template(template_key), library)
    for name, value in derived.items():
        if name in wanted and value:
            values[name] = value
    return {name: value for name, value in values.items() if name in wanted}


def start_renewal(session: Session, contract_id: int, uplift: Decimal, *, by: str, now: dt.datetime, today: date,
                  library: Library, limits: Limits | None = None) -> RenewalStart:
    """Draft the renewal of the executed contract's current term as a new contract, with its commercial terms.

    The draft uses the template the original was drafted from, else the order form; it is
    stored as version 1 (source template) and its terms document is the original's recurring
    lines moved to the renewal term with prices raised by ``uplift`` percent, limited to the
    contract's price increase cap. Starting the same renewal again returns the existing draft.
    """
    from clm.clauses.models import DraftRecord
    from clm.clauses.services import draft_contract
    from clm.downstream import commercial
    from clm.downstream.orders import cancellation_of, serialize_order_writes
    from clm.downstream.reports import order_terms

    serialize_order_writes(session)
    order = session.scalar(select(Order).where(Order.contract_id == contract_id).order_by(Order.id.desc()).limit(1))
    if order is None:
        raise Conflict(f"Contract {contract_id} is not executed: there is nothing to renew yet.")
    serialize_order_writes(session, order.id)

    if cancellation_of(session, order.id) is not None:
        raise Conflict(f"The order of contract {contract_id} was cancelled; a cancelled contract does not renew.")
    plan = plan_renewal(order_terms(session, order), today, uplift)
    existing = session.scalar(select(RenewalDraft).where(RenewalDraft.order_id == order.id,
                                                         RenewalDraft.term_number == plan.renews_term))
    if existing is not None:
        return RenewalStart(existing.contract_id, contract_id, existing.requested_pct, existing.applied_pct, False)
    record = session.scalar(select(DraftRecord.template_key).where(DraftRecord.contract_id == contract_id)
                            .order_by(DraftRecord.id.desc()).limit(1))
    template_key = record if record in library.templates else DEFAULT_TEMPLATE
    values = _values(session, order, plan, template_key, library, today)
    from clm.versions.models import Contract

    original = session.get(Contract, contract_id)
    assert original is not None
    version = draft_contract(session, template_key, values, {}, author=by, library=library,
                             counterparty=original.counterparty, limits=limits)
    version.contract.title = f"Renewal of {original.title}"[:300]
    commercial.attach_terms(session, version.contract, plan.document, by=by, now=now)
    session.add(RenewalDraft(order_id=order.id, original_contract_id=contract_id, term_number=plan.renews_term,
                             contract_id=version.contract_id, requested_pct=_pct(plan.requested_pct),
                             applied_pct=_pct(plan.applied_pct), created_by=by, created_at=now))
    try:
        session.flush()
    except IntegrityError:
        raise Conflict(f"The renewal of contract {contract_id} was started at the same moment; reload.") from None
    return RenewalStart(version.contract_id, contract_id, _pct(plan.requested_pct), _pct(plan.applied_pct), True, plan)


def drafts_json(session: Session, order_id: int) -> list[dict[str, Any]]:
    """Return the renewal drafts started from an order, oldest first."""
    rows = session.scalars(select(RenewalDraft).where(RenewalDraft.order_id == order_id).order_by(RenewalDraft.id))
    return [{"contract_id": r.contract_id, "original_contract_id": r.original_contract_id,
             "term_number": r.term_number, "requested_pct": r.requested_pct, "applied_pct": r.applied_pct,
             "capped": Decimal(r.applied_pct) < Decimal(r.requested_pct), "created_by": r.created_by,
             "created_at": r.created_at.isoformat()} for r in rows]


def renewal_of(session: Session, contract_id: int) -> RenewalDraft | None:
    """Return the renewal draft record when ``contract_id`` is itself a renewal draft (to link back)."""
    return session.scalar(select(RenewalDraft).where(RenewalDraft.contract_id == contract_id))
