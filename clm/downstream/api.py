"""The downstream API under /api/v1: commercial terms, a contract's order, billing, revenue, renewal; renewals due."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Any

from flask import Blueprint, jsonify, request

from clm import db
from clm.access import current_principal, require
from clm.downstream import commercial, reports
from clm.downstream.models import ContractTermsDocument
from clm.downstream.terms import TermsError
from clm.errors import InvalidInput
from clm.versions import store

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
    from flask import current_app

    return jsonify(reports.billing_json(_contract(contract_id), contract_id, current_app.config))


@bp.route("/contracts/<int:contract_id>/revenue")
@require("finance.read")
def revenue(contract_id: int) -> ResponseReturnValue:
    """Return the contract's revenue schedule by month and its balance today (or ?as_of=YYYY-MM-DD)."""
    return jsonify(reports.revenue_json(_contract(contract_id), contract_id, _day("as_of")))


@bp.route("/contracts/<int:contract_id>/usage", methods=["POST"])
@require("commercial_terms.write")
def post_usage(contract_id: int) -> ResponseReturnValue:
    """Record usage of a usage-based line ``{"line", "date", "quantity", "reference"?}``; 201, or 200 for a
    reference already posted."""
    from clm.downstream.billing import UsageError

    data = request.get_json(silent=True)
    principal = current_principal()
    assert principal is not None
    try:
        with db.transaction() as s:
            row, created = commercial.record_usage(s, store.get_contract(s, contract_id), data,
                                                   by=principal.label, now=db.utcnow())
            body = commercial.usage_json(row)
    except UsageError as err:
        return jsonify(error=str(err), errors=err.errors), 422
    return jsonify(body), 201 if created else 200


@bp.route("/contracts/<int:contract_id>/payments", methods=["POST"])
@require("commercial_terms.write")
def post_payment(contract_id: int) -> ResponseReturnValue:
    """Record cash received against an issued invoice ``{"invoice", "amount", "date", "reference"?}``; 201,
    or 200 for a reference already posted."""
    from flask import current_app

    from clm.downstream.invoicing import PaymentError, payment_json, record_payment

    data = request.get_json(silent=True)
    principal = current_principal()
    assert principal is not None
    try:
        with db.transaction() as s:
            store.get_contract(s, contract_id)
            row, created = record_payment(s, contract_id, data, by=principal.label, settings=current_app.config,
                                          now=db.utcnow())
            body = payment_json(row, data["invoice"])
    except PaymentError as err:
        return jsonify(error=str(err), errors=err.errors), 422
    return jsonify(body), 201 if created else 200


@bp.route("/contracts/<int:contract_id>/payments")
@require("finance.read")
def get_payments(contract_id: int) -> ResponseReturnValue:
    """Return the cash received against the contract's invoices, in date order."""
    from clm.downstream.invoicing import payments_json

    return jsonify(payments=payments_json(_contract(contract_id), contract_id))


@bp.route("/receivables")
@require("finance.read")
def receivables() -> ResponseReturnValue:
    """Every issued invoice with cash outstanding on ``as_of`` (default today), with its aging bucket;
    ``format=csv`` for a spreadsheet."""
    from flask import Response, current_app

    from clm.downstream.invoicing import receivables as outstanding

    fmt = _format()
    as_of = _day("as_of")
    rows = outstanding(db.get_session(), as_of, current_app.config)
    if fmt == "csv":
        import io

        from clm import csvfile

        out = io.StringIO()
        writer = csvfile.writer(out)
        keys = ("contract_id", "title", "invoice", "scheduled_number", "date", "due", "currency", "total_due",
                "received", "outstanding", "days_past_due", "bucket")
        writer.writerow(keys)
        for row in rows:
            writer.writerow([row[k] for k in keys])
        return Response(out.getvalue(), mimetype="text/csv",
                        headers={"Content-Disposition": f"attachment; filename=receivables-{as_of}.csv"})
    return jsonify(as_of=as_of.isoformat(), receivables=rows)


@bp.route("/contracts/<int:contract_id>/usage")
@require("finance.read")
def get_usage(contract_id: int) -> ResponseReturnValue:
    """Return the contract's usage records in date order."""
    from sqlalchemy import select

    from clm.downstream.models import UsageRecord

    session = _contract(contract_id)
    rows = session.scalars(select(UsageRecord).where(UsageRecord.contract_id == contract_id)
                           .order_by(UsageRecord.used_on, UsageRecord.id))
    return jsonify(usage=[commercial.usage_json(r) for r in rows])


def _chart() -> dict[str, str]:
    from flask import current_app

    from clm.downstream.journal import parse_chart

    return parse_chart(str(current_app.config.get("CHART_OF_ACCOUNTS", "")))


def _tax_rates() -> dict[str, Decimal]:
    from flask import current_app

    from clm.downstream.billing import parse_tax_rates

    return parse_tax_rates(str(current_app.config.get("TAX_RATES", "")))


def _format() -> str:
    fmt = request.args.get("format", "json")
    if fmt not in {"json", "csv"}:
        raise InvalidInput(f"format: {fmt[:20]!r} must be json or csv.")
    return fmt


@bp.route("/contracts/<int:contract_id>/journal")
@require("finance.read")
def journal(contract_id: int) -> ResponseReturnValue:
    """Return the contract's journal entries (``?as_of=YYYY-MM-DD``, default all; ``?format=csv``)."""
    from flask import Response

    from clm.downstream.journal import JOURNAL_COLUMNS, journal_csv

    fmt = _format()
    as_of = _day("as_of") if request.args.get("as_of") else None
    body = reports.contract_journal(_contract(contract_id), contract_id, as_of, _chart(), _tax_rates())
    if fmt == "csv":
        rows = [tuple(e[k] if k != "currency" else body["currency"] for k in JOURNAL_COLUMNS) for e in body["entries"]]
        return Response(journal_csv(rows), mimetype="text/csv",
                        headers={"Content-Disposition": f"attachment; filename=journal-{contract_id}.csv"})
    return jsonify(body)


@bp.route("/journal")
@require("finance.read")
def journal_export() -> ResponseReturnValue:
    """Every contract's journal entries dated ``from`` to ``to`` (both required), CSV for the ERP (or ``format=json``)."""
    from flask import Response

    from clm.downstream.journal import JOURNAL_COLUMNS, journal_csv

    fmt = request.args.get("format", "csv")
    if fmt not in {"json", "csv"}:
        raise InvalidInput(f"format: {fmt[:20]!r} must be json or csv.")
    for name in ("from", "to"):
        if not request.args.get(name):
            raise InvalidInput(f"{name}: missing (the period, YYYY-MM-DD)")
    start, end = _day("from"), _day("to")
    rows = reports.journal_export(db.get_session(), start, end, _chart(), _tax_rates())
    if fmt == "json":
        keys = ("contract_id", "title", *JOURNAL_COLUMNS)
        return jsonify(entries=[dict(zip(keys, r)) for r in rows])
    return Response(journal_csv(rows, ("contract_id", "title")), mimetype="text/csv",
                    headers={"Content-Disposition": f"attachment; filename=journal-{start}-{end}.csv"})


@bp.route("/revenue/waterfall")
@require("finance.read")
def waterfall() -> ResponseReturnValue:
    """The revenue waterfall as CSV: each contract's revenue by month for ``months`` (12) from ``today``'s."""
    from flask import Response

    raw = request.args.get("months", "12")
    if not raw.isdigit() or not 1 <= int(raw) <= 120:
        raise InvalidInput(f"months: {raw[:20]!r} must be a whole number from 1 to 120.")
    body = reports.waterfall_csv(db.get_session(), _day("today"), int(raw))
    return Response(body, mimetype="text/csv", headers={"Content-Disposition": "attachment; filename=waterfall.csv"})


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


@bp.route("/contracts/<int:contract_id>/cancel", methods=["POST"])
@require("commercial_terms.write")
def cancel(contract_id: int) -> ResponseReturnValue:
    """Cancel the executed contract's order from ``{"cancel_on": "YYYY-MM-DD"}``; 201 with the credit note."""
    from clm.downstream.orders import cancel_order

    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        raise InvalidInput("Send {\"cancel_on\": \"YYYY-MM-DD\"} as JSON (Content-Type: application/json).")
    raw = data.get("cancel_on")
    try:
        cancel_on = date.fromisoformat(raw) if isinstance(raw, str) else None
    except ValueError:
        cancel_on = None
    if cancel_on is None:
        raise InvalidInput(f"cancel_on: {str(raw)[:20]!r} is not a date (YYYY-MM-DD).")
    principal = current_principal()
    assert principal is not None
    with db.transaction() as s:
        store.get_contract(s, contract_id)
        done = cancel_order(s, contract_id, cancel_on, by=principal.label, now=db.utcnow())
    return jsonify(order_id=done.order_id, contract_id=done.contract_id, cancel_on=done.cancel_on.isoformat(),
                   credit_note=done.credit_note, cancelled_invoices=list(done.cancelled_invoices),
                   final_invoice=done.final_invoice), 201


@bp.route("/contracts/<int:contract_id>/credit-note")
@require("finance.read")
def credit_note(contract_id: int) -> ResponseReturnValue:
    """Return the credit note of the contract's cancelled order."""
    from clm.downstream.orders import credit_note_of, stored_credit_note_json
    from clm.errors import NotFound

    note = credit_note_of(_contract(contract_id), contract_id)
    if note is None:
        raise NotFound(f"Contract {contract_id} has no credit note (its order is not cancelled, or nothing was owed).")
    return jsonify(stored_credit_note_json(note))


@bp.route("/contracts/<int:contract_id>/renewal/start", methods=["POST"])
@require("commercial_terms.write")
def start_renewal(contract_id: int) -> ResponseReturnValue:
    """Draft the renewal with ``{"uplift": "7"}`` percent, capped; 201 when drafted, 200 when it already was."""
    from flask import current_app

    from clm.clauses.approvals import library_from_settings
    from clm.downstream.renewal_drafts import parse_uplift
    from clm.downstream.renewal_drafts import start_renewal as start

    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        raise InvalidInput("Send {\"uplift\": \"5\"} as JSON (Content-Type: application/json).")
    uplift = parse_uplift(data.get("uplift"))
    principal = current_principal()
    assert principal is not None
    with db.transaction() as s:
        store.get_contract(s, contract_id)
        started = start(s, contract_id, uplift, by=principal.label, now=db.utcnow(), today=_day("today"),
                        library=library_from_settings(current_app.config),
                        limits=store.limits_from_settings(current_app.config))
        body = {"contract_id": started.contract_id, "original_contract_id": contract_id,
                "requested_pct": started.requested_pct, "applied_pct": started.applied_pct,
                "capped": started.capped, "created": started.created,
                "terms": commercial.get_document(s, started.contract_id).data}
    return jsonify(body), 201 if started.created else 200


@bp.route("/orders")
@require("finance.read")
def orders() -> ResponseReturnValue:
    """Every order shaped for an ERP (``?format=csv`` for one row per line; ``since``, ``status`` filter)."""
    from flask import Response

    from clm.downstream.orders import erp_csv, erp_orders

    fmt = request.args.get("format", "json")
    if fmt not in {"json", "csv"}:
        raise InvalidInput(f"format: {fmt[:20]!r} must be json or csv.")
    since = _day("since") if request.args.get("since") else None
    found = erp_orders(db.get_session(), since=since, status=request.args.get("status") or None)
    if fmt == "csv":
        return Response(erp_csv(found), mimetype="text/csv",
                        headers={"Content-Disposition": "attachment; filename=orders.csv"})
    return jsonify(orders=found)


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
                                   "renewal{auto_renewal, renewal_term (ISO 8601, or \"perpetual\": evergreen, runs on "
                                   "until terminated after the initial term), non_renewal_notice, price_increase_cap}, "
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
    "/contracts/{id}/usage": {
        "post": {"summary": "Record usage of a usage-based line (billed in arrears, recognized as used)",
                 "parameters": [_ID],
                 "requestBody": {"required": True, "content": {"application/json": {"schema": {
                     "type": "object", "required": ["line", "date", "quantity"],
                     "properties": {"line": {"type": "string"}, "date": {"type": "string", "format": "date"},
                                    "quantity": {"type": "string", "description": "Units used, e.g. 1200 or 1.5"},
                                    "reference": {"type": "string", "description": "Your id: a retry stores nothing"}}}}}},
                 "responses": {"201": {"description": "Stored"}, "200": {"description": "Reference already posted"},
                               "401": {"description": "No token"},
                               "403": {"description": "Role lacks commercial_terms.write"},
                               "404": {"description": "No such contract, or no terms"},
                               "409": {"description": "Reference posted with other values"},
                               "422": {"description": "{error, errors}: line not usage-based, date outside "
                                                      "the service period, bad quantity"}}},
        **_get("The contract's usage records")},
    "/contracts/{id}/payments": {
        "post": {"summary": "Record cash received against an issued invoice",
                 "parameters": [_ID],
                 "requestBody": {"required": True, "content": {"application/json": {"schema": {
                     "type": "object", "required": ["invoice", "amount", "date"],
                     "properties": {"invoice": {"type": "string", "description": "The seller's number, e.g. INV-000001"},
                                    "amount": {"type": "string", "description": "Decimal string in the invoice's "
                                                                               "currency, at most what is outstanding"},
                                    "date": {"type": "string", "format": "date"},
                                    "reference": {"type": "string", "description": "Your id: a retry stores nothing"}}}}}},
                 "responses": {"201": {"description": "Stored"}, "200": {"description": "Reference already posted"},
                               "401": {"description": "No token"},
                               "403": {"description": "Role lacks commercial_terms.write"},
                               "404": {"description": "No such contract"},
                               "409": {"description": "Reference posted with other values"},
                               "422": {"description": "{error, errors}: invoice not issued, amount over what is "
                                                      "outstanding, date before the invoice or in the future"}}},
        **_get("The cash received against the contract's invoices")},
    "/receivables": _get("Issued invoices with cash outstanding, with days past due and aging bucket", [
        {"name": "as_of", "in": "query", "schema": {"type": "string", "format": "date"}},
        {"name": "format", "in": "query", "schema": {"type": "string", "enum": ["json", "csv"]}}]),
    "/contracts/{id}/journal": _get("Journal entries: receivable, contract asset, contract liability, revenue per "
                                    "line; every date balances", [
        _ID, {"name": "as_of", "in": "query", "schema": {"type": "string", "format": "date"}},
        {"name": "format", "in": "query", "schema": {"type": "string", "enum": ["json", "csv"]}}]),
    "/journal": _get("Every contract's journal entries in a period, for the ERP (CSV by default)", [
        {"name": "from", "in": "query", "required": True, "schema": {"type": "string", "format": "date"}},
        {"name": "to", "in": "query", "required": True, "schema": {"type": "string", "format": "date"}},
        {"name": "format", "in": "query", "schema": {"type": "string", "enum": ["csv", "json"]}}]),
    "/revenue/waterfall": _get("The revenue waterfall as CSV: each contract's revenue by month", [
        {"name": "today", "in": "query", "schema": {"type": "string", "format": "date"}},
        {"name": "months", "in": "query", "schema": {"type": "integer", "default": 12}}]),
    "/contracts/{id}/renewal": _get("The initial term, renewal date and non-renewal notice deadline; for an "
                                    "evergreen contract past its initial term, runs_on {since, notice, earliest_end}", [
        _ID, {"name": "today", "in": "query", "schema": {"type": "string", "format": "date"}}]),
    "/contracts/{id}/cancel": {"post": {
        "summary": "Cancel the executed contract's order from a date: stores one credit note, stops later invoices",
        "parameters": [_ID],
        "requestBody": {"required": True, "content": {"application/json": {"schema": {
            "type": "object", "required": ["cancel_on"],
            "properties": {"cancel_on": {"type": "string", "format": "date",
                                         "description": "First day without service, within the term"}}}}}},
        "responses": {"201": {"description": "{order_id, cancel_on, credit_note, cancelled_invoices, final_invoice}"},
                      "401": {"description": "No token"}, "403": {"description": "Role lacks commercial_terms.write"},
                      "404": {"description": "No such contract"},
                      "409": {"description": "Not executed, or already cancelled"},
                      "422": {"description": "cancel_on missing, malformed, before the term or after it"}}}},
    "/contracts/{id}/credit-note": _get("The credit note of the contract's cancelled order"),
    "/contracts/{id}/renewal/start": {"post": {
        "summary": "Start the renewal: a draft contract with the terms moved on and prices uplifted, capped",
        "parameters": [_ID],
        "requestBody": {"required": True, "content": {"application/json": {"schema": {
            "type": "object", "required": ["uplift"],
            "properties": {"uplift": {"type": "string", "description": "Requested price uplift in percent, e.g. 7"}}}}}},
        "responses": {"201": {"description": "{contract_id, requested_pct, applied_pct, capped, terms}"},
                      "200": {"description": "Already started: the existing draft"},
                      "401": {"description": "No token"}, "403": {"description": "Role lacks commercial_terms.write"},
                      "404": {"description": "No such contract"},
                      "409": {"description": "Not executed, or cancelled"},
                      "422": {"description": "Bad uplift"}}}},
    "/orders": _get("Every order shaped for an ERP: header and lines (JSON), or one row per line (format=csv)", [
        {"name": "format", "in": "query", "schema": {"type": "string", "enum": ["json", "csv"]}},
        {"name": "since", "in": "query", "schema": {"type": "string", "format": "date"}},
        {"name": "status", "in": "query", "schema": {"type": "string", "enum": ["active", "cancelled"]}}]),
    "/renewals": _get("Signed contracts with a notice deadline or renewal within DAYS", [
        {"name": "within", "in": "query", "schema": {"type": "integer", "default": 90, "minimum": 0}},
        {"name": "today", "in": "query", "schema": {"type": "string", "format": "date"}}]),
}
