"""The clause library and contract clause-review API under /api/v1 (bearer tokens)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from flask import Blueprint, current_app, jsonify, request, url_for

from clm import db
from clm.access import current_principal, require
from clm.clauses import services
from clm.clauses.approvals import decide, library_from_settings, review_for
from clm.clauses.models import ApprovalDecision
from clm.errors import InvalidInput
from clm.versions import store

if TYPE_CHECKING:
    from flask.typing import ResponseReturnValue

bp = Blueprint("clauses_api", __name__, url_prefix="/api/v1")


def _author() -> str:
    principal = current_principal()
    return principal.label if principal else "api"


@bp.route("/library")
@require("contracts.read")
def library() -> ResponseReturnValue:
    """Every clause type with its latest stored version."""
    entries = services.library_entries(db.get_session(), library_from_settings(current_app.config))
    return jsonify(clauses=[library_summary_json(e) for e in entries])


@bp.route("/library/<key>")
@require("contracts.read")
def library_clause(key: str) -> ResponseReturnValue:
    """One clause type: a stored version's content (``?version=N``, default the latest) and its history."""
    entry = services.library_entry(db.get_session(), library_from_settings(current_app.config), key)
    return jsonify(library_clause_json(entry, request.args.get("version", type=int)))


@bp.route("/contracts/<int:contract_id>/clauses")
@require("contracts.read")
def contract_clauses(contract_id: int) -> ResponseReturnValue:
    """The clause review of the latest version: library position, redline and approval per clause."""
    session = db.get_session()
    contract = store.get_contract(session, contract_id)
    return jsonify(review_json(review_for(session, contract, current_app.config), contract))


@bp.route("/contracts/<int:contract_id>/approvals", methods=["POST"])
@require("clauses.approve")
def approve_clause(contract_id: int) -> ResponseReturnValue:
    """Approve or reject one deviating clause of the latest version (``{"clause_hash", "decision"}``)."""
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise InvalidInput('Send a JSON object: {"clause_hash": ..., "decision": "approved" or "rejected"}.')
    try:
        decision = ApprovalDecision(body.get("decision"))
    except ValueError:
        raise InvalidInput('"decision" must be "approved" or "rejected".') from None
    digest, comment = body.get("clause_hash"), body.get("comment") or ""
    if not isinstance(digest, str) or not digest or not isinstance(comment, str):
        raise InvalidInput('"clause_hash" (from GET /contracts/{id}/clauses) and "comment" must be text.')
    settings = current_app.config
    with db.transaction() as s:
        approval = decide(s, store.get_contract(s, contract_id), digest, decision=decision, by=_author(),
                                 comment=comment, library=library_from_settings(settings),
                                 limits=store.limits_from_settings(settings),
                                 fallback_level=int(settings["APPROVAL_FALLBACK_LEVEL"]))
        body = approval_json(approval)
    return jsonify(body), 201


def library_summary_json(entry: services.LibraryEntry) -> dict[str, Any]:
    """Return a clause type with its latest stored version, for the library listing."""
    content = entry.content
    latest, in_effect = entry.latest, entry.in_effect
    return {
        "key": entry.key, "title": content["title"], "category": content["category"],
        "version": latest.version if latest else None,
        "in_effect_version": in_effect.version if in_effect else None,
        "library_file_version": entry.clause.version if entry.clause is not None else None,
        "edited_in_clm": entry.edited, "fallbacks": len(content["positions"]) - 1,
        "url": url_for("clauses_api.library_clause", key=entry.key),
    }


def library_clause_json(entry: services.LibraryEntry, number: int | None) -> dict[str, Any]:
    """Return one clause type: the content of a stored version (default the latest) and the history."""
    row = entry.version(number)
    data = library_summary_json(entry)
    data["shown_version"] = row.version if row is not None else None
    data["content"] = row.content if row is not None else entry.clause.content()
    data["content_hash"] = row.content_hash if row is not None else entry.clause.content_hash
    data["versions"] = [{"version": v.version, "title": v.title, "content_hash": v.content_hash,
                         "created_at": v.created_at.isoformat(),
                         "in_effect": entry.in_effect is not None and v.id == entry.in_effect.id}
                        for v in entry.versions]
    return data


def approval_json(approval: Any) -> dict[str, Any]:
    """Return legal's decision on a clause."""
    return {"decision": approval.decision.value, "clause_hash": approval.clause_hash,
            "clause_type": approval.clause_type, "comment": approval.comment, "by": approval.decided_by,
            "at": approval.decided_at.isoformat(), "version_id": approval.version_id}


def review_json(review: Any, contract: Any) -> dict[str, Any]:
    """Return the clause review of a contract's latest version."""
    clauses = []
    for row in review.rows:
        analyzed, match = row.analyzed, row.analyzed.match
        clauses.append({
            "clause_type": analyzed.clause_type, "title": row.title, "heading": analyzed.clause.heading,
            "status": row.status, "position_rank": match.position_rank if match else None,
            "nearest_position": match.nearest_position if match else None,
            "similarity": round(match.similarity, 4) if match else None,
            "start": analyzed.clause.start, "end": analyzed.end or analyzed.clause.end,
            "clause_hash": row.hash, "needs_approval": row.needs_approval, "pending": row.pending,
            "ops": [list(op) for op in match.ops] if match else [],
            "approval": approval_json(row.decision) if row.decision is not None else None,
        })
    return {"contract_id": contract.id, "version": review.version.number if review.version else None,
            "pending": len(review.pending), "clauses": clauses,
            "missing": [{"clause_type": m.clause_type, "title": m.title, "clause_hash": m.hash, "pending": m.pending,
                         "approval": approval_json(m.decision) if m.decision is not None else None}
                        for m in review.missing]}


# Path parameters are all named {id} in this document (tests/web/test_api.py checks the routes that way).
_KEY_PARAM = {"name": "id", "in": "path", "required": True, "schema": {"type": "string"},
              "description": "Clause type key, e.g. governing_law"}
_ID_PARAM = {"name": "id", "in": "path", "required": True, "schema": {"type": "integer"}}


def _errors(*codes: int) -> dict[str, Any]:
    return {str(code): {"$ref": f"#/components/responses/E{code}"} for code in codes}


#: The clause library and clause review endpoints, merged into clm.web.api's OpenAPI document.
OPENAPI_PATHS: dict[str, Any] = {
    "/library": {"get": {
        "summary": "Every clause type with its latest stored version",
        "description": "Drafting and matching read the clause_library/ files; `in_effect_version` is the "
                       "stored version with the files' content, `version` the newest (an edit in clm may "
                       "be newer than the files).",
        "responses": {"200": {"description": "Clause types", "content": {"application/json": {"schema": {
            "type": "object", "properties": {"clauses": {"type": "array", "items": {
                "$ref": "#/components/schemas/LibraryClauseSummary"}}}}}}}, **_errors(401, 403)}}},
    "/library/{id}": {"get": {
        "summary": "One clause type: a stored version's texts, fallbacks, variables, guidance; the history",
        "parameters": [_KEY_PARAM, {"name": "version", "in": "query", "schema": {"type": "integer"},
                                    "description": "A stored version (default the latest)"}],
        "responses": {"200": {"description": "The clause type", "content": {"application/json": {"schema": {
            "$ref": "#/components/schemas/LibraryClause"}}}}, **_errors(401, 403, 404)}}},
    "/contracts/{id}/clauses": {"get": {
        "summary": "The clause review of the latest version: type, library position, redline, approval",
        "parameters": [_ID_PARAM],
        "responses": {"200": {"description": "The review", "content": {"application/json": {"schema": {
            "$ref": "#/components/schemas/ClauseReview"}}}}, **_errors(401, 403, 404)}}},
    "/contracts/{id}/approvals": {"post": {
        "summary": "Approve or reject a deviating clause of the latest version (legal, admin)",
        "parameters": [_ID_PARAM],
        "requestBody": {"required": True, "content": {"application/json": {"schema": {
            "type": "object", "required": ["clause_hash", "decision"], "properties": {
                "clause_hash": {"type": "string", "description": "From GET /contracts/{id}/clauses"},
                "decision": {"type": "string", "enum": ["approved", "rejected"]},
                "comment": {"type": "string", "description": "Required when rejecting"}}}}}},
        "responses": {"201": {"description": "Recorded", "content": {"application/json": {"schema": {
            "$ref": "#/components/schemas/ClauseApproval"}}}}, **_errors(400, 401, 403, 404, 409, 422)}}},
}

#: Schemas for OPENAPI_PATHS.
OPENAPI_SCHEMAS: dict[str, Any] = {
    "LibraryClauseSummary": {"type": "object", "properties": {
        "key": {"type": "string"}, "title": {"type": "string"}, "category": {"type": "string"},
        "version": {"type": ["integer", "null"], "description": "Newest stored version"},
        "in_effect_version": {"type": ["integer", "null"],
                              "description": "Stored version whose content equals clause_library/"},
        "library_file_version": {"type": ["integer", "null"], "description": "`version:` in the YAML file"},
        "edited_in_clm": {"type": "boolean"}, "fallbacks": {"type": "integer"}, "url": {"type": "string"}}},
    "LibraryClause": {"allOf": [{"$ref": "#/components/schemas/LibraryClauseSummary"}, {
        "type": "object", "properties": {
            "shown_version": {"type": ["integer", "null"]}, "content_hash": {"type": "string"},
            "content": {"type": "object", "description": "key, title, category, positions [{rank, label, "
                                                         "text, rationale}], variables, guidance, match_hints"},
            "versions": {"type": "array", "items": {"type": "object", "properties": {
                "version": {"type": "integer"}, "title": {"type": "string"}, "content_hash": {"type": "string"},
                "created_at": {"type": "string", "format": "date-time"}, "in_effect": {"type": "boolean"}}}}}}]},
    "ClauseApproval": {"type": "object", "properties": {
        "decision": {"type": "string", "enum": ["approved", "rejected"]}, "clause_hash": {"type": "string"},
        "clause_type": {"type": "string"}, "comment": {"type": "string"}, "by": {"type": "string"},
        "at": {"type": "string", "format": "date-time"}, "version_id": {"type": "integer"}}},
    "ClauseReview": {"type": "object", "properties": {
        "contract_id": {"type": "integer"}, "version": {"type": ["integer", "null"]},
        "pending": {"type": "integer", "description": "Deviations still waiting for approval"},
        "missing": {"type": "array", "items": {"type": "string"}},
        "clauses": {"type": "array", "items": {"type": "object", "properties": {
            "clause_type": {"type": ["string", "null"]}, "title": {"type": ["string", "null"]},
            "heading": {"type": ["string", "null"]},
            "status": {"type": "string", "description": "standard, fallback N, nonstandard or unclassified"},
            "position_rank": {"type": ["integer", "null"]}, "nearest_position": {"type": ["integer", "null"]},
            "similarity": {"type": ["number", "null"]}, "start": {"type": "integer"}, "end": {"type": "integer"},
            "clause_hash": {"type": "string"}, "needs_approval": {"type": "boolean"}, "pending": {"type": "boolean"},
            "ops": {"type": "array", "description": "Redline from the nearest library position to the clause: "
                                                    "equal+delete spell the library text, equal+insert the clause",
                    "items": {"type": "array", "prefixItems": [
                        {"type": "string", "enum": ["equal", "insert", "delete"]}, {"type": "string"}]}},
            "approval": {"oneOf": [{"$ref": "#/components/schemas/ClauseApproval"}, {"type": "null"}]}}}}}},
}
