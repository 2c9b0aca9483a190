"""The downstream API under /api/v1: commercial terms, a contract's order, billing, revenue, renewal; renewals due."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Any

from flask import Blueprint, jsonify, request

from clm import db
from clm.downstream import commercial, reports
from clm.downstream.models import ContractTermsDocument
from clm.downstream.terms import TermsError
from clm.errors import InvalidInput
from clm.versions import store
from clm.web.auth import current_principal, require

if TYPE_CHECKING:
    from flask.typing import ResponseReturnValue

bp = Blueprint("downstream_api", __name__, url_prefix="/api/v1")
MAX_WITHIN_DAYS = 3660


def document_json(document: ContractTermsDocument) -> dict[str, Any]:
    """Return a terms document as JSON."""
    return {"contract_id": document.contract_id, "version": document.version, "sha256": document.sha256,
            "created_by": document.created_by, "created_at": document.created_at.isoformat(), "terms": document.data}


@bp.route("/contracts/<int:contract_id>/commercial-terms", methods=["PUT"])
@require("commercial_terms.write")
def put_terms(contract_id: int) -> ResponseReturnValue:
    """Attach the contract's commercial terms (JSON body); 201 for a new version, 200 when unchanged."""
    data = request.get_json(silent=True)
    if data is None:
        raise InvalidInput("Send the terms as a JSON object (Content-Type: application/json).")
    principal = current_principal()
    assert principal is not None
    try:
        with db.transaction() as s:
            before = commercial.latest_document(s, contract_id)
            document = commercial.attach_terms(s, store.get_contract(s, contract_id), data, by=principal.label,
                                               now=db.utcnow())
            created = before is None or before.id != document.id
            body = document_json(document)
    except TermsError as err:
        return jsonify(error=str(err), errors=err.errors), 422
    return jsonify(body), 201 if created else 200


@bp.route("/contracts/<int:contract_id>/commercial-terms")
@require("finance.read")
def get_terms(contract_id: int) -> ResponseReturnValue:
    """Return the contract's current commercial terms."""
    session = db.get_session()
    store.get_contract(session, contract_id)
    return jsonify(document_json(commercial.get_document(session, contract_id)))


def _contract(contract_id: int) -> Any:
    session = db.get_session()
    store.get_contract(session, contract_id)
    return session


@bp.route("/contracts/<int:contract_id>/order")
@require("finance.read")
def order(contract_id: int) -> ResponseReturnValue:
    """Return the order the signed contract created."""
    return jsonify(reports.order_json(_contract(contract_id), contract_id))


@bp.route("/contracts/<int:contract_id>/billing")
@require("finance.read")
def billing(contract_id: int) -> ResponseReturnValue:
    """Return the contract's billing schedule with its invoices."""
    return jsonify(reports.billing_json(_contract(contract_id), contract_id))


@bp.route("/contracts/<int:contract_id>/revenue")
@require("finance.read")
def revenue(contract_id: int) -> ResponseReturnValue:
    """Return the contract's revenue schedule by month and its balance today (or ?as_of=YYYY-MM-DD)."""
    return jsonify(reports.revenue_json(_contract(contract_id), contract_id, _day("as_of")))


@bp.route("/contracts/<int:contract_id>/renewal")
@require("finance.read")
def renewal(contract_id: int) -> ResponseReturnValue:
    """Return the contract's term, renewal date and notice deadline."""
    return jsonify(reports.renewal_json(_contract(contract_id), contract_id, _day("today")))


@bp.route("/renewals")
@require("finance.read")
def renewals() -> ResponseReturnValue:
    """Return signed contracts whose notice deadline or renewal date is within ``within`` days."""
    raw = request.args.get("within", "90")
    if not raw.isdigit() or int(raw) > MAX_WITHIN_DAYS:
        raise InvalidInput(f"within: {raw[:20]!r} must be a whole number of days from 0 to {MAX_WITHIN_DAYS}.")
    today = _day("today")
    body = reports.renewals_json(reports.renewals_due(db.get_session(), today, int(raw)))
    return jsonify(today=today.isoformat(), within=int(raw), **body)


def _day(name: str) -> date:
    raw = request.args.get(name)
    if not raw:
        return date.today()
    try:
        return date.fromisoformat(raw)
    except ValueError:
        raise InvalidInput(f"{name}: {raw[:20]!r} is not a date (YYYY-MM-DD).") from None


_ID = {"name": "id", "in": "path", "required": True, "schema": {"type": "integer"}}


def _get(summary: str, params: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    return {"get": {"summary": summary, "parameters": params or [_ID],
                    "responses": {"200": {"description": "OK", "content": {"application/json": {}}},
                                  "401": {"description": "No token"}, "403": {"description": "Role lacks finance.read"},
                                  "404": {"description": "No such contract, or not signed / processed yet"},
                                  "422": {"description": "Bad parameter"}}}}


OPENAPI_PATHS: dict[str, Any] = {
    "/contracts/{id}/commercial-terms": {
        "put": {"summary": "Attach the contract's commercial terms (a new insert-only version)",
                "parameters": [_ID],
                "requestBody": {"required": True, "content": {"application/json": {"schema": {
                    "type": "object", "required": ["currency", "signed_on", "lines"],
                    "description": "currency, signed_on, payment_terms_days, lines[{id, description, price, ssp, "
                                   "recognition, start, end, satisfied_on, billing{frequency, timing, on}}], "
                                   "renewal{auto_renewal, renewal_term, non_renewal_notice, price_increase_cap}, "
                                   "modifications[{effective, treatment, lines}]. Amounts are decimal strings."}}}},
                "responses": {"201": {"description": "Stored as a new version"},
                              "200": {"description": "Same terms as the current version; nothing stored"},
                              "401": {"description": "No token"},
                              "403": {"description": "Role lacks commercial_terms.write"},
                              "404": {"description": "No such contract"},
                              "409": {"description": "Saved concurrently; retry"},
                              "422": {"description": "Invalid terms: {error, errors: ['path: problem', ...]}"}}},
        **_get("The contract's current commercial terms")},
    "/contracts/{id}/order": _get("The order created when the contract was signed, with its lines"),
    "/contracts/{id}/billing": _get("The billing schedule: invoices with numbers, dates, due dates, lines"),
    "/contracts/{id}/revenue": _get("The ASC 606 revenue schedule by month, allocation and balance", [
        _ID, {"name": "as_of", "in": "query", "schema": {"type": "string", "format": "date"}}]),
    "/contracts/{id}/renewal": _get("The initial term, renewal date and non-renewal notice deadline", [
        _ID, {"name": "today", "in": "query", "schema": {"type": "string", "format": "date"}}]),
    "/renewals": _get("Signed contracts with a notice deadline or renewal within DAYS", [
        {"name": "within", "in": "query", "schema": {"type": "integer", "default": 90, "minimum": 0}},
        {"name": "today", "in": "query", "schema": {"type": "string", "format": "date"}}]),
}
