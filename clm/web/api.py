"""The JSON API under /api/v1, for programs with bearer tokens, and its OpenAPI document."""

from __future__ import annotations

import io
from typing import TYPE_CHECKING, Any

from flask import Blueprint, current_app, jsonify, request, send_file, url_for
from sqlalchemy import text

import clm
from clm import db, jobs
from clm.errors import InvalidInput
from clm.clauses.services import TERM_FIELDS, contract_terms, terms_panel
from clm.clauses import api as clause_api
from clm.clauses.views import terms_csv_response
from clm.versions import reading, store
from clm.versions.models import Contract, Version, VersionSource
from clm.versions.views import (
    REDLINE_FORMATS,
    compare_numbers,
    read_file_field,
    redline_filename,
    render_redline,
    upload_source,
)
from clm.web.pages import id_arg
from clm.access import current_principal, require

if TYPE_CHECKING:
    from flask.typing import ResponseReturnValue

bp = Blueprint("api", __name__, url_prefix="/api/v1")


def version_json(version: Version) -> dict[str, Any]:
    """Return the public fields of a version."""
    return {
        "number": version.number,
        "filename": version.filename,
        "source": version.source.value,
        "author": version.author,
        "created_at": version.created_at.isoformat(),
        "sha256": version.blob_sha256,
        "size": version.blob.size,
        "media_type": version.blob.media_type,
        "paragraphs": version.paragraph_count,
        "words": version.word_count,
        "revisions": version.revision_count,
        "has_hidden_text": version.has_hidden_text,
        "ocr_pages": version.ocr_pages or 0,
        "ocr_confidence": round(version.ocr_confidence, 1) if version.ocr_confidence is not None else None,
        "download_url": url_for("versions.download", contract_id=version.contract_id,
                                number=version.number, _external=False),
    }


def contract_json(contract: Contract, *, versions: bool = False) -> dict[str, Any]:
    """Return the public fields of a contract, with its versions when asked."""
    data: dict[str, Any] = {
        "id": contract.id,
        "title": contract.title,
        "counterparty": contract.counterparty,
        "status": contract.status.value,
        "created_at": contract.created_at.isoformat(),
        "created_by": contract.created_by,
        "version_count": len(contract.versions),
    }
    if versions:
        data["versions"] = [version_json(v) for v in contract.versions]
    return data


def _author() -> str:
    principal = current_principal()
    return principal.label if principal else "api"


@bp.route("/health")
def health() -> ResponseReturnValue:
    """Report whether the service and its database answer."""
    try:
        db.get_session().execute(text("SELECT 1"))
    except Exception:  # noqa: BLE001 - any failure means "not healthy", reported, not raised
        return jsonify(status="unavailable", database="unreachable", version=clm.__version__), 503
    return jsonify(status="ok", database="ok", version=clm.__version__)


@bp.route("/contracts")
@require("contracts.read")
def list_contracts() -> ResponseReturnValue:
    """List contracts newest first; ``?before=<id>&limit=<n>`` pages through them."""
    limit = request.args.get("limit", default=50, type=int)
    before = id_arg("before")
    contracts = store.list_contracts(db.get_session(), before=before, limit=limit)
    next_before = contracts[-1].id if contracts and len(contracts) == max(1, min(limit, 200)) else None
    return jsonify(contracts=[contract_json(c) for c in contracts], next_before=next_before)


@bp.route("/contracts", methods=["POST"])
@require("contracts.write")
def create_contract() -> ResponseReturnValue:
    """Create a contract from an uploaded file (multipart field ``file``)."""
    upload = read_file_field()
    with db.transaction() as s:
        stored = reading.receive(
            s, upload, limits=store.limits_from_settings(current_app.config), author=_author(),
            title=request.form.get("title") or None, counterparty=request.form.get("counterparty") or None,
        )
        if isinstance(stored, jobs.Job):
            job_id = stored.id
        else:
            body = contract_json(stored.contract, versions=True)
    if isinstance(stored, jobs.Job):
        return _accepted(job_id)
    return jsonify(body), 201


@bp.route("/contracts/<int:contract_id>")
@require("contracts.read")
def get_contract(contract_id: int) -> ResponseReturnValue:
    """Return a contract with its versions."""
    return jsonify(contract_json(store.get_contract(db.get_session(), contract_id), versions=True))


@bp.route("/contracts/<int:contract_id>/versions", methods=["POST"])
@require("contracts.write")
def add_version(contract_id: int) -> ResponseReturnValue:
    """Store an uploaded file as the contract's next version."""
    upload = read_file_field()
    source = upload_source()
    with db.transaction() as s:
        stored = reading.receive(s, upload, limits=store.limits_from_settings(current_app.config),
                                 author=_author(), contract_id=contract_id, source=source)
        if isinstance(stored, jobs.Job):
            job_id = stored.id
        else:
            body = version_json(stored)
    if isinstance(stored, jobs.Job):
        return _accepted(job_id)
    return jsonify(body), 201


def _accepted(job_id: int) -> ResponseReturnValue:
    """Dispatch the committed read job of a scanned PDF; answer 202 with where to follow it."""
    reading.dispatch(current_app.config, job_id)
    return _job_response(job_id, 202)


def _job_response(job_id: int, code: int) -> ResponseReturnValue:
    session = db.get_session()
    status = reading.status_of(session, reading.get_read(session, job_id), current_app.config)
    location = url_for("api.get_job", job_id=job_id)
    body = {**status.as_json(), "status_url": location,
            "version_url": url_for("api.get_contract", contract_id=status.contract_id) if status.version else None}
    response = jsonify(body)
    response.status_code = code
    if code == 202:
        response.headers["Location"] = location
    return response


@bp.route("/jobs/<int:job_id>")
@require("contracts.read")
def get_job(job_id: int) -> ResponseReturnValue:
    """Return how far the reading of an uploaded scanned PDF got: status, pages, error, version number."""
    return _job_response(job_id, 200)


@bp.route("/contracts/<int:contract_id>/compare")
@require("contracts.read")
def compare(contract_id: int) -> ResponseReturnValue:
    """Return the redline from version ``from`` to version ``to`` as json, html, docx or pdf."""
    fmt = request.args.get("format", "json")
    if fmt not in REDLINE_FORMATS:
        raise InvalidInput(f"Unknown format {fmt!r}; choose one of {', '.join(REDLINE_FORMATS)}.")
    old_number, new_number = compare_numbers()
    session = db.get_session()
    contract = store.get_contract(session, contract_id)
    old, new, redline = store.compare_versions(session, contract_id, old_number, new_number,
                                               store.limits_from_settings(current_app.config))
    data = render_redline(contract, old, new, redline, fmt)
    if fmt == "json":
        return current_app.response_class(data, mimetype="application/json")
    if fmt == "html":
        # A self-contained page: its own inline styles, nothing else may load or run.
        response = current_app.response_class(data, mimetype="text/html")
        response.headers["Content-Security-Policy"] = "default-src 'none'; style-src 'unsafe-inline'"
        return response
    return send_file(io.BytesIO(data), mimetype=REDLINE_FORMATS[fmt], as_attachment=fmt in {"docx", "pdf"},
                     download_name=redline_filename(contract, old, new, fmt))


@bp.route("/contracts/<int:contract_id>/terms")
@require("contracts.read")
def terms(contract_id: int) -> ResponseReturnValue:
    """Return the contract's confirmed terms and what was extracted from its latest version."""
    session = db.get_session()
    contract = store.get_contract(session, contract_id)
    panel = terms_panel(session, contract)
    text = panel.version.text if panel.version is not None else ""
    extracted: dict[str, Any] = {}
    for row in panel.rows:
        if row.extracted is None:
            continue
        extracted[row.field.name] = {
            "value": row.extracted.value, "confidence": row.extracted.confidence,
            "needs_review": row.needs_review, "changed_since_previous_version": row.changed,
            "evidence": [{"start": start, "end": end, "text": text[start:end]} for start, end in row.extracted.evidence],
        }
        if row.extracted.derivation:
            extracted[row.field.name]["derived"] = {
                "computed_from": list(row.extracted.derivation.get("computed_from", [])),
                "start_evidence": [{"start": start, "end": end, "text": text[start:end]}
                                   for start, end in row.start_evidence]}
    confirmed = {name: {"value": d.value, "action": d.action.value, "by": d.decided_by,
                        "at": d.decided_at.isoformat(), "version": _version_number(contract, d.version_id)}
                 for name, d in contract_terms(session, contract_id).items()}
    return jsonify(contract_id=contract.id,
                   version=panel.version.number if panel.version else None,
                   extractor=panel.run.extractor if panel.run else None,
                   issues=panel.run.issues if panel.run else [],
                   confirmed=confirmed, extracted=extracted)


def _version_number(contract: Contract, version_id: int) -> int | None:
    return next((v.number for v in contract.versions if v.id == version_id), None)


@bp.route("/terms.csv")
@require("contracts.read")
def terms_csv() -> ResponseReturnValue:
    """Stream every contract's terms as CSV: confirmed values, or extracted ones where none is."""
    return terms_csv_response()


@bp.route("/openapi.json")
def openapi() -> ResponseReturnValue:
    """Return the OpenAPI 3.1 description of this API."""
    return jsonify(OPENAPI)


def _error_responses(*codes: int) -> dict[str, Any]:
    return {str(code): {"$ref": f"#/components/responses/E{code}"} for code in codes}


_UPLOAD_BODY = {
    "required": True,
    "content": {"multipart/form-data": {"schema": {
        "type": "object", "required": ["file"],
        "properties": {
            "file": {"type": "string", "format": "binary", "description": ".docx, .pdf, .txt or .md"},
            "title": {"type": "string"},
            "counterparty": {"type": "string"},
            "source": {"type": "string", "enum": ["upload", "counterparty"]},
        },
    }}},
}

_READ_ACCEPTED = {
    "description": "A PDF with scanned pages: checked, and being read (OCR) in the background. Follow "
                   "the Location (status_url) until status is done (then version is its number) or failed.",
    "headers": {"Location": {"schema": {"type": "string"}, "description": "/api/v1/jobs/{id}"}},
    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ReadJob"}}}}

OPENAPI: dict[str, Any] = {
    "openapi": "3.1.0",
    "info": {"title": "clm API", "version": clm.__version__,
             "description": "Contracts, versions and their terms. Authenticate with "
                            "`Authorization: Bearer <token>` (`clm token create --role ROLE`)."},
    "servers": [{"url": "/api/v1"}],
    "security": [{"bearer": []}],
    "paths": {
        "/health": {"get": {"summary": "Service and database health", "security": [],
                            "responses": {"200": {"description": "Healthy"},
                                          "503": {"description": "Database unreachable"}}}},
        "/contracts": {
            "get": {"summary": "List contracts, newest first",
                    "parameters": [
                        {"name": "before", "in": "query", "schema": {"type": "integer"},
                         "description": "Return contracts with an id below this (keyset paging)"},
                        {"name": "limit", "in": "query", "schema": {"type": "integer", "default": 50,
                                                                    "maximum": 200}}],
                    "responses": {"200": {"description": "A page of contracts", "content": {
                        "application/json": {"schema": {"type": "object", "properties": {
                            "contracts": {"type": "array", "items": {"$ref": "#/components/schemas/Contract"}},
                            "next_before": {"type": ["integer", "null"]}}}}}},
                        **_error_responses(401, 403)}},
            "post": {"summary": "Create a contract from a file", "requestBody": _UPLOAD_BODY,
                     "responses": {"201": {"description": "Created", "content": {"application/json": {
                         "schema": {"$ref": "#/components/schemas/Contract"}}}},
                         "202": _READ_ACCEPTED,
                         **_error_responses(400, 401, 403, 413, 415, 422)}},
        },
        "/contracts/{id}": {"get": {
            "summary": "A contract with its versions",
            "parameters": [{"name": "id", "in": "path", "required": True, "schema": {"type": "integer"}}],
            "responses": {"200": {"description": "The contract", "content": {"application/json": {
                "schema": {"$ref": "#/components/schemas/Contract"}}}}, **_error_responses(401, 403, 404)}}},
        "/contracts/{id}/compare": {"get": {
            "summary": "The redline from one version to another",
            "parameters": [
                {"name": "id", "in": "path", "required": True, "schema": {"type": "integer"}},
                {"name": "from", "in": "query", "required": True, "schema": {"type": "integer"},
                 "description": "Number of the older version"},
                {"name": "to", "in": "query", "required": True, "schema": {"type": "integer"},
                 "description": "Number of the newer version"},
                {"name": "format", "in": "query", "schema": {"type": "string", "enum": list(REDLINE_FORMATS),
                                                              "default": "json"}}],
            "responses": {"200": {"description": "The redline. json: ops such that equal+delete spell the "
                                                 "old text and equal+insert the new text; docx: the new "
                                                 "version with tracked changes; html; pdf",
                                  "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Redline"}},
                                              "text/html": {}, "application/pdf": {},
                                              REDLINE_FORMATS["docx"]: {}}},
                          **_error_responses(401, 403, 404, 422)}}},
        "/contracts/{id}/terms": {"get": {
            "summary": "Confirmed terms, and the terms extracted from the latest version with evidence",
            "parameters": [{"name": "id", "in": "path", "required": True, "schema": {"type": "integer"}}],
            "responses": {"200": {"description": "Terms", "content": {"application/json": {
                "schema": {"$ref": "#/components/schemas/Terms"}}}}, **_error_responses(401, 403, 404)}}},
        "/search": {"get": {
            "summary": "Full-text search over every version's text, ranked, with highlighted snippets",
            "description": "Words are ANDed; \"quotes\" make a phrase, OR allows either, -word excludes. "
                           "Filters apply to the contract's confirmed terms, else the matched version's "
                           "extracted terms; renewal dates use the renewal schedule, else the expiration date.",
            "parameters": [
                {"name": "q", "in": "query", "required": True, "schema": {"type": "string", "maxLength": 500}},
                {"name": "counterparty", "in": "query", "schema": {"type": "string"}},
                {"name": "governing_law", "in": "query", "schema": {"type": "string"}},
                {"name": "auto_renewal", "in": "query", "schema": {"type": "string", "enum": ["yes", "no"]}},
                {"name": "renews_from", "in": "query", "schema": {"type": "string", "format": "date"}},
                {"name": "renews_to", "in": "query", "schema": {"type": "string", "format": "date"}},
                {"name": "status", "in": "query", "schema": {"type": "string"}},
                {"name": "offset", "in": "query", "schema": {"type": "integer", "minimum": 0, "maximum": 1000}},
                {"name": "limit", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": 100}}],
            "responses": {"200": {"description": "Hits best first; next_offset is null on the last page",
                                  "content": {"application/json": {"schema": {"type": "object", "properties": {
                                      "query": {"type": "string"},
                                      "hits": {"type": "array", "items": {"type": "object", "properties": {
                                          "contract_id": {"type": "integer"}, "version": {"type": "integer"},
                                          "version_id": {"type": "integer"}, "title": {"type": "string"},
                                          "counterparty": {"type": "string"}, "status": {"type": "string"},
                                          "filename": {"type": "string"}, "score": {"type": "number"},
                                          "snippet": {"type": "string"},
                                          "snippet_html": {"type": "string", "description":
                                                           "Escaped text, matches in <mark>"}}}},
                                      "next_offset": {"type": ["integer", "null"]}}}}}},
                          **_error_responses(401, 403, 422)}}},
        "/terms.csv": {"get": {
            "summary": "Every contract's terms as CSV (confirmed values, else extracted), streamed",
            "responses": {"200": {"description": "CSV with a header row; a <field>_source column says "
                                                 "'confirmed' or 'extracted'",
                                  "content": {"text/csv": {}}}, **_error_responses(401, 403)}}},
        "/contracts/{id}/versions": {"post": {
            "summary": "Add a version from a file",
            "parameters": [{"name": "id", "in": "path", "required": True, "schema": {"type": "integer"}}],
            "requestBody": _UPLOAD_BODY,
            "responses": {"201": {"description": "Stored", "content": {"application/json": {
                "schema": {"$ref": "#/components/schemas/Version"}}}},
                "202": _READ_ACCEPTED,
                **_error_responses(400, 401, 403, 404, 409, 413, 415, 422)}}},
        "/jobs/{id}": {"get": {
            "summary": "How far the reading of an uploaded scanned PDF got",
            "parameters": [{"name": "id", "in": "path", "required": True, "schema": {"type": "integer"}}],
            "responses": {"200": {"description": "The reading job", "content": {"application/json": {
                "schema": {"$ref": "#/components/schemas/ReadJob"}}}}, **_error_responses(401, 403, 404)}}},
    },
    "components": {
        "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
        "schemas": {
            "Redline": {"type": "object", "properties": {
                "ops": {"type": "array", "items": {"type": "array", "prefixItems": [
                    {"type": "string", "enum": ["equal", "insert", "delete"]}, {"type": "string"}]}},
                "stats": {"type": "object", "additionalProperties": {"type": "integer"}}}},
            "Terms": {"type": "object", "properties": {
                "contract_id": {"type": "integer"}, "version": {"type": ["integer", "null"]},
                "extractor": {"type": ["string", "null"]},
                "issues": {"type": "array", "items": {"type": "string"},
                           "description": "Cross-field inconsistencies for a reviewer"},
                "confirmed": {"type": "object", "additionalProperties": {"type": "object", "properties": {
                    "value": {}, "action": {"type": "string", "enum": ["confirmed", "corrected"]},
                    "by": {"type": "string"}, "at": {"type": "string", "format": "date-time"},
                    "version": {"type": ["integer", "null"]}}}},
                "extracted": {"type": "object", "additionalProperties": {"type": "object", "properties": {
                    "value": {}, "confidence": {"type": "number"}, "needs_review": {"type": "boolean"},
                    "changed_since_previous_version": {"type": "boolean"},
                    "evidence": {"type": "array", "items": {"type": "object", "properties": {
                        "start": {"type": "integer"}, "end": {"type": "integer"}, "text": {"type": "string"}}}},
                    "derived": {"type": "object", "description": "Present when the value was computed, not "
                                "stated (an expiration date from the effective date and the initial term): the "
                                "fields it was computed from and where its start date is stated",
                                "properties": {"computed_from": {"type": "array", "items": {"type": "string"}},
                                               "start_evidence": {"type": "array", "items": {"type": "object"}}}}}}},
                "x-fields": {"type": "string", "description": "Field names: " + ", ".join(
                    f.name for f in TERM_FIELDS) + ". Dates ISO, durations ISO-8601 (P30D, P1Y) or business days (P10BD), fees [{amount, currency, period}]."}}},
            "Error": {"type": "object", "required": ["error"], "properties": {"error": {"type": "string"}}},
            "ReadJob": {"type": "object", "properties": {
                "id": {"type": "integer"}, "kind": {"type": "string", "enum": ["read"]},
                "contract_id": {"type": "integer"}, "filename": {"type": "string"},
                "status": {"type": "string", "enum": ["queued", "running", "done", "failed", "interrupted"],
                           "description": "interrupted: the process reading it stopped; retry it on the jobs page"},
                "pages_done": {"type": "integer"}, "pages_total": {"type": "integer"},
                "error": {"type": ["string", "null"], "description": "Why it failed, in the words an upload "
                                                                     "refused in its request gets"},
                "version": {"type": ["integer", "null"], "description": "The number of the version it stored"},
                "status_url": {"type": "string"}, "version_url": {"type": ["string", "null"]}}},
            "Version": {"type": "object", "properties": {
                "number": {"type": "integer"}, "filename": {"type": "string"},
                "source": {"type": "string", "enum": [s.value for s in VersionSource]},
                "author": {"type": "string"}, "created_at": {"type": "string", "format": "date-time"},
                "sha256": {"type": "string"}, "size": {"type": "integer"}, "media_type": {"type": "string"},
                "paragraphs": {"type": "integer"}, "words": {"type": "integer"},
                "revisions": {"type": "integer", "description": "Tracked changes the file carried"},
                "has_hidden_text": {"type": "boolean"}, "download_url": {"type": "string"},
                "ocr_pages": {"type": "integer", "description": "Pages of a PDF read by OCR (scanned pages)"},
                "ocr_confidence": {"type": ["number", "null"],
                                   "description": "Mean OCR word confidence (0-100) over those pages"}}},
            "Contract": {"type": "object", "properties": {
                "id": {"type": "integer"}, "title": {"type": "string"},
                "counterparty": {"type": ["string", "null"]}, "status": {"type": "string"},
                "created_at": {"type": "string", "format": "date-time"}, "created_by": {"type": "string"},
                "version_count": {"type": "integer"},
                "versions": {"type": "array", "items": {"$ref": "#/components/schemas/Version"}}}},
        },
        "responses": {f"E{code}": {"description": text_, "content": {"application/json": {
            "schema": {"$ref": "#/components/schemas/Error"}}}} for code, text_ in {
            400: "Bad request", 401: "No or unknown bearer token", 403: "The token's role does not allow this",
            404: "Not found", 409: "Conflicts with the current state (e.g. identical to an existing version)",
            413: "Over the upload limit", 415: "Not a file type clm reads",
            422: "The file or a value cannot be used"}.items()},
    },
}
from clm.signing.api import OPENAPI_PATHS as ENVELOPE_PATHS  # noqa: E402 - the signing package documents its API
OPENAPI["paths"].update(ENVELOPE_PATHS)
from clm.downstream.api import OPENAPI_PATHS as DOWNSTREAM_PATHS  # noqa: E402 - the downstream package documents its API
OPENAPI["paths"].update(DOWNSTREAM_PATHS)
OPENAPI["paths"].update(clause_api.OPENAPI_PATHS)
from clm.quotes.api import OPENAPI_PATHS as QUOTE_PATHS  # noqa: E402 - the quotes package documents its API
OPENAPI["paths"].update(QUOTE_PATHS)
OPENAPI["components"]["schemas"].update(clause_api.OPENAPI_SCHEMAS)
