"""The quote API under /api/v1/quotes: catalog, price, create, revise, approve, send, accept, documents, compare."""

from __future__ import annotations

import io
from datetime import date
from typing import TYPE_CHECKING, Any

from flask import Blueprint, current_app, jsonify, request, send_file

from clm import db
from clm.access import current_principal, require
from clm.errors import InvalidInput
from clm.quotes import services
from clm.quotes.catalog import CatalogError, ConfigurationError
from clm.quotes.models import Quote
from clm.quotes.pricing import QuoteInputError

if TYPE_CHECKING:
    from flask.typing import ResponseReturnValue

bp = Blueprint("quotes_api", __name__, url_prefix="/api/v1")


def quote_json(quote: Quote) -> dict[str, Any]:
    """Return a quote with its current version as JSON."""
    v = quote.current
    return {"id": quote.id, "number": quote.number, "customer": quote.customer, "currency": quote.currency,
            "status": quote.status.value, "version": v.number, "versions": [x.number for x in quote.versions],
            "expires_on": v.expires_on.isoformat(), "expired": services.is_expired(v, date.today()),
            "approvals_required": list(v.approvals_required), "approvals_pending": services.pending_levels(v),
            "approvals": [{"level": a.level, "by": a.decided_by, "at": a.decided_at.isoformat(), "comment": a.comment}
                          for a in v.approvals],
            "contract_id": quote.contract_id, "request": v.request, "priced": v.priced,
            "created_by": v.created_by, "created_at": v.created_at.isoformat()}


def _body() -> Any:
    data = request.get_json(silent=True)
    if data is None:
        raise InvalidInput("Send the quote as a JSON object (Content-Type: application/json).")
    return data


def _invalid(err: QuoteInputError | ConfigurationError | CatalogError) -> ResponseReturnValue:
    return jsonify(error=str(err), errors=err.errors), 422


def _label() -> str:
    """Return who acts: the person (a token's owner), so the approval rules (who priced, who
    approved which level) see one identity whether they use the pages or any of their tokens."""
    principal = current_principal()
    assert principal is not None
    return principal.user.email if principal.user is not None else principal.label


@bp.route("/quotes/catalog")
@require("quotes.read")
def catalog() -> ResponseReturnValue:
    """Return the catalog in force."""
    row, _ = services.current_catalog(db.get_session())
    return jsonify(version=row.version, sha256=row.sha256, loaded_at=row.loaded_at.isoformat(), catalog=row.data)


@bp.route("/quotes/catalog", methods=["PUT"])
@require("quotes.approve_finance")
def put_catalog() -> ResponseReturnValue:
    """Load a catalog (JSON body); 201 when it is new, 200 when unchanged."""
    data = _body()
    try:
        with db.transaction() as s:
            row, new = services.load_catalog(s, data, source="api", by=_label(),
                                             may_change_rules=current_principal().can("quotes.catalog_rules"))
            body = {"version": row.version, "sha256": row.sha256}
    except CatalogError as err:
        return _invalid(err)
    return jsonify(body), 201 if new else 200


@bp.route("/quotes/price", methods=["POST"])
@require("quotes.read")
def price() -> ResponseReturnValue:
    """Price a request without storing it."""
    data = _body()
    try:
        result = services.preview(db.get_session(), data, today=date.today())
    except (QuoteInputError, ConfigurationError) as err:
        return _invalid(err)
    return jsonify(result.to_dict())


@bp.route("/quotes")
@require("quotes.read")
def list_quotes() -> ResponseReturnValue:
    """List quotes, newest first."""
    return jsonify(quotes=[quote_json(q) for q in services.list_quotes(db.get_session())])


@bp.route("/quotes", methods=["POST"])
@require("quotes.write")
def create() -> ResponseReturnValue:
    """Create a quote (version 1) from a request."""
    data = _body()
    try:
        with db.transaction() as s:
            body = quote_json(services.create_quote(s, data, by=_label(), today=date.today()))
    except (QuoteInputError, ConfigurationError) as err:
        return _invalid(err)
    return jsonify(body), 201


@bp.route("/quotes/<int:quote_id>")
@require("quotes.read")
def show(quote_id: int) -> ResponseReturnValue:
    """Return the quote and its current version."""
    return jsonify(quote_json(services.get_quote(db.get_session(), quote_id)))


@bp.route("/quotes/<int:quote_id>", methods=["PUT"])
@require("quotes.write")
def revise(quote_id: int) -> ResponseReturnValue:
    """Store a request as the quote's next version (200 and no new version when nothing changed)."""
    data = _body()
    try:
        with db.transaction() as s:
            before = services.get_quote(s, quote_id).current_version
            version = services.revise_quote(s, quote_id, data, by=_label(), today=date.today())
            created = version.number != before
            body = quote_json(services.get_quote(s, quote_id))
    except (QuoteInputError, ConfigurationError) as err:
        return _invalid(err)
    return jsonify(body), 201 if created else 200


@bp.route("/quotes/<int:quote_id>/approve", methods=["POST"])
@require("quotes.approve")
def approve(quote_id: int) -> ResponseReturnValue:
    """Record the next approval of the current version (optional body: {"level", "comment"})."""
    data = request.get_json(silent=True) or {}
    if not isinstance(data, dict):
        raise InvalidInput("Send an object: {\"level\": ..., \"comment\": ...}.")
    principal = current_principal()
    assert principal is not None
    with db.transaction() as s:
        services.approve(s, quote_id, by=_label(), can=principal.can, now=db.utcnow(),
                         comment=str(data.get("comment") or ""), level=data.get("level"))
        body = quote_json(services.get_quote(s, quote_id))
    return jsonify(body)


@bp.route("/quotes/<int:quote_id>/send", methods=["POST"])
@require("quotes.write")
def send(quote_id: int) -> ResponseReturnValue:
    """Mark the quote sent; with {"to": address} email its PDF there first (unsent if the mail does not go)."""
    from clm.mail import DEFAULT_SENDER, mailer_for, setting

    data = request.get_json(silent=True) or {}
    if not isinstance(data, dict):
        raise InvalidInput("Send an object: {\"to\": \"buyer@customer.example\"}, or no body.")
    to = data.get("to")
    config = current_app.config
    with db.transaction() as s:
        if to is None:
            quote = services.send(s, quote_id, by=_label(), now=db.utcnow())
        else:
            quote = services.send_by_mail(
                s, quote_id, to=to, by=_label(), now=db.utcnow(), seller=setting(config, "SELLER_NAME"),
                mailer=mailer_for(config, current_app.instance_path),
                sender=setting(config, "MAIL_FROM", DEFAULT_SENDER))
        body = quote_json(quote)
    return jsonify(body)


@bp.route("/quotes/<int:quote_id>/accept", methods=["POST"])
@require("contracts.write")
def accept(quote_id: int) -> ResponseReturnValue:
    """Accept the sent quote: the contract is drafted with the quote's lines as its commercial terms."""
    from clm.clauses.approvals import library_from_settings
    from clm.versions import store

    with db.transaction() as s:
        services.accept(s, quote_id, by=_label(), now=db.utcnow(), library=library_from_settings(current_app.config),
                        limits=store.limits_from_settings(current_app.config))
        body = quote_json(services.get_quote(s, quote_id))
    return jsonify(body), 201


@bp.route("/quotes/<int:quote_id>/document")
@require("quotes.read")
def document(quote_id: int) -> ResponseReturnValue:
    """Return a version (?version=N, default the current one) as the branded PDF (?format=pdf) or Word (docx)."""
    quote = services.get_quote(db.get_session(), quote_id)
    raw = request.args.get("version", str(quote.current_version))
    if not raw.isdigit() or len(raw) > 6:
        raise InvalidInput(f"version: {raw[:10]!r} is not a version number")
    data, mimetype, name = services.document_file(quote, int(raw), request.args.get("format", "pdf"),
                                                  seller=current_app.config.get("SELLER_NAME") or "")
    return send_file(io.BytesIO(data), mimetype=mimetype, as_attachment=True, download_name=name)


@bp.route("/quotes/<int:quote_id>/compare")
@require("quotes.read")
def compare(quote_id: int) -> ResponseReturnValue:
    """Return the redline of two versions (?old=1&new=2) as {"ops", "stats"}."""
    from clm.versions import render

    quote = services.get_quote(db.get_session(), quote_id)
    try:
        old, new = int(request.args.get("old", "1")), int(request.args.get("new", str(quote.current_version)))
    except ValueError:
        raise InvalidInput("old, new: give version numbers") from None
    _, _, redline = services.compare(quote, old, new)
    return jsonify(render.to_json(redline))


@bp.route("/quotes/<int:quote_id>/drift")
@require("quotes.read")
def drift(quote_id: int) -> ResponseReturnValue:
    """Return priced terms the accepted quote's contract now states differently."""
    session = db.get_session()
    report = services.drift(session, services.get_quote(session, quote_id))
    return jsonify(version=report.version_number, notes=list(report.notes),
                   findings=[{"field": f.field, "quote": f.quote, "contract": f.contract} for f in report.findings])


_QID = {"name": "id", "in": "path", "required": True, "schema": {"type": "integer"}}
_ERR = {"401": {"description": "No token"}, "403": {"description": "Role lacks the permission"},
        "404": {"description": "No such quote"}}
_BODY = {"required": True, "content": {"application/json": {"schema": {
    "type": "object", "required": ["customer", "lines"],
    "description": "customer, currency (or price_book), price_book, bundle, term_months (1-120), start_date "
                   "(YYYY-MM-DD), discount (quote %), promotions [codes], payment_terms_days, valid_days, "
                   "lines [{product (SKU), quantity (>= 1), discount (0-100 %)}]. Percentages are decimal strings."}}}}


def _op(summary: str, ok: str = "200", *, body: bool = False, params: list[dict[str, Any]] | None = None,
        extra: dict[str, Any] | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {"summary": summary, "parameters": params if params is not None else [_QID],
                           "responses": {ok: {"description": "OK", "content": {"application/json": {}}}, **_ERR,
                                         **(extra or {})}}
    if body:
        out["requestBody"] = _BODY
    return out


_422 = {"422": {"description": "Invalid: {error, errors: ['path: problem' or \"rule 'X requires Y': ...\"]}"}}
_409 = {"409": {"description": "Not allowed in the quote's state (approvals missing, expired, accepted ...)"}}

OPENAPI_PATHS: dict[str, Any] = {
    "/quotes/catalog": {
        "get": _op("The product catalog in force", params=[]),
        "put": {**_op("Load a catalog (products, bundles, price_books, promotions, approvals, defaults)", "201",
                      params=[], extra=_422),
                "requestBody": {"required": True, "content": {"application/json": {}}}}},
    "/quotes/price": {"post": _op("Price a quote request without storing it", body=True, params=[], extra=_422)},
    "/quotes": {"get": _op("Quotes, newest first", params=[]),
                "post": _op("Create a quote (version 1)", "201", body=True, params=[], extra=_422)},
    "/quotes/{id}": {"get": _op("A quote with its current version"),
                     "put": _op("Revise: store the request as the next version", "201", body=True,
                                extra={**_422, **_409})},
    "/quotes/{id}/approve": {"post": _op("Record the next discount approval (sales manager, then finance)",
                                         extra=_409)},
    "/quotes/{id}/send": {"post": _op("Mark the quote sent; with {\"to\"} email its PDF there first", extra=_409)},
    "/quotes/{id}/accept": {"post": _op("Accept: draft the Order Form + MSA contract with the quote's lines as "
                                        "its commercial terms", "201", extra=_409)},
    "/quotes/{id}/document": {"get": _op("A version as a branded PDF or Word document", params=[
        _QID, {"name": "version", "in": "query", "schema": {"type": "integer"}},
        {"name": "format", "in": "query", "schema": {"type": "string", "enum": ["pdf", "docx"]}}])},
    "/quotes/{id}/compare": {"get": _op("Redline of two quote versions", params=[
        _QID, {"name": "old", "in": "query", "schema": {"type": "integer"}},
        {"name": "new", "in": "query", "schema": {"type": "integer"}}])},
    "/quotes/{id}/drift": {"get": _op("Priced terms the contract's latest version states differently")},
}
