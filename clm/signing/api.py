"""The envelopes API under /api/v1/envelopes, for programs with bearer tokens."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from flask import Blueprint, current_app, jsonify, request

from clm import db
from clm.clauses.approvals import approval_check
from clm.errors import InvalidInput
from clm.signing import envelopes
from clm.signing.models import AuditEvent, Envelope

# The shared auth arrives through this package's views module, the one place a package
# may import clm.web (setup.cfg's import contract).
from clm.signing.views import client, link_base, require, send_mail, signed_pdf_response

if TYPE_CHECKING:
    from flask.typing import ResponseReturnValue

bp = Blueprint("envelopes_api", __name__, url_prefix="/api/v1/envelopes")


def envelope_json(envelope: Envelope) -> dict[str, Any]:
    """Return the public fields of an envelope; never a token, its hash or a signature image."""
    def when(value: Any) -> str | None:
        return value.isoformat() if value else None

    return {
        "id": envelope.id, "contract_id": envelope.contract_id, "version_id": envelope.version_id,
        "version_sha256": envelope.version_sha256, "document_sha256": envelope.document_sha256,
        "terms_sha256": envelope.terms_sha256, "subject": envelope.subject, "message": envelope.message,
        "status": envelope.status.value, "created_by": envelope.created_by, "created_at": when(envelope.created_at),
        "sent_at": when(envelope.sent_at), "expires_at": when(envelope.expires_at),
        "completed_at": when(envelope.completed_at), "end_reason": envelope.end_reason,
        "final_pdf_sha256": envelope.final_blob_sha256, "signed_version_id": envelope.final_version_id,
        "recipients": [{"id": r.id, "name": r.name, "email": r.email, "role": r.role.value,
                        "routing_order": r.routing_order, "status": r.status.value, "sent_at": when(r.sent_at),
                        "consent_at": when(r.consent_at), "signed_at": when(r.signed_at),
                        "declined_at": when(r.declined_at), "decline_reason": r.decline_reason,
                        "signature_kind": r.signature_kind.value if r.signature_kind else None,
                        "fields": r.fields or [], "field_values": r.field_values}
                       for r in envelope.recipients],
    }


def event_json(event: AuditEvent) -> dict[str, Any]:
    """Return an audit event as JSON."""
    return {"seq": event.seq, "kind": event.kind, "at": event.at.isoformat(), "actor": event.actor, "ip": event.ip,
            "user_agent": event.user_agent, "details": event.details, "prev_hash": event.prev_hash,
            "hash": event.hash}


def _body() -> dict[str, Any]:
    data = request.get_json(silent=True)
    if data is None and not request.data:
        return {}
    if not isinstance(data, dict):
        raise InvalidInput("Send a JSON object.")
    return data


@bp.route("", methods=["POST"])
@require("envelopes.manage")
def create() -> ResponseReturnValue:
    """Create an envelope for a contract's latest version and send it (unless "send": false)."""
    data = _body()
    items = data.get("recipients")
    if not isinstance(items, list) or not all(isinstance(item, dict) for item in items):
        raise InvalidInput('"recipients" must be a list of {"name", "email", "role", "routing_order", "fields"}.')
    contract_id = data.get("contract_id")
    if not isinstance(contract_id, int) or isinstance(contract_id, bool):
        raise InvalidInput('"contract_id" must be an integer.')
    expires = data.get("expires_in_days", envelopes.DEFAULT_EXPIRY_DAYS)
    if not isinstance(expires, int) or isinstance(expires, bool):
        raise InvalidInput('"expires_in_days" must be an integer.')
    recipients = [envelopes.RecipientInput(name=str(i.get("name", "")), email=str(i.get("email", "")),
                                           role=str(i.get("role", "signer")), routing_order=i.get("routing_order", 1),
                                           fields=i.get("fields"))
                  for i in items]
    now = db.utcnow()
    with db.transaction() as session:
        envelope = envelopes.create(session, contract_id, subject=str(data.get("subject", "")),
                                    message=str(data.get("message", "")), recipients=recipients, client=client(),
                                    now=now, expires_in_days=expires,
                                    approvals=approval_check(current_app.config))
        mails = envelopes.send(session, envelope.id, client=client(), now=now, link_base=link_base(),
                               approvals=approval_check(current_app.config)) \
            if data.get("send", True) is not False else []
        body = envelope_json(envelope)
    body["mail_failures"] = send_mail(mails)
    return jsonify(body), 201


@bp.route("/<int:envelope_id>")
@require("envelopes.manage")
def show(envelope_id: int) -> ResponseReturnValue:
    """Return an envelope and its recipients."""
    return jsonify(envelope_json(envelopes.get_envelope(db.get_session(), envelope_id)))


def _action(envelope_id: int, action: str) -> ResponseReturnValue:
    now = db.utcnow()
    with db.transaction() as session:
        if action == "send":
            mails = envelopes.send(session, envelope_id, client=client(), now=now, link_base=link_base(),
                                   approvals=approval_check(current_app.config))
        elif action == "void":
            mails = envelopes.void(session, envelope_id, reason=str(_body().get("reason", "")), client=client(),
                                   now=now)
        else:
            mails = envelopes.remind(session, envelope_id, client=client(), now=now)
        body = envelope_json(envelopes.get_envelope(session, envelope_id))
    body["mail_failures"] = send_mail(mails)
    return jsonify(body)


@bp.route("/<int:envelope_id>/send", methods=["POST"])
@require("envelopes.manage")
def send(envelope_id: int) -> ResponseReturnValue:
    """Send a draft envelope."""
    return _action(envelope_id, "send")


@bp.route("/<int:envelope_id>/void", methods=["POST"])
@require("envelopes.manage")
def void(envelope_id: int) -> ResponseReturnValue:
    """Void a draft or sent envelope; 409 once it is completed, declined or expired."""
    return _action(envelope_id, "void")


@bp.route("/<int:envelope_id>/remind", methods=["POST"])
@require("envelopes.manage")
def remind(envelope_id: int) -> ResponseReturnValue:
    """Mail a fresh link to the recipients whose turn it is."""
    return _action(envelope_id, "remind")


@bp.route("/<int:envelope_id>/document.pdf")
@require("envelopes.manage")
def document(envelope_id: int) -> ResponseReturnValue:
    """Return the sealed PDF of a completed envelope; 409 before completion."""
    return signed_pdf_response(envelope_id)


@bp.route("/<int:envelope_id>/audit")
@require("envelopes.manage")
def audit_trail(envelope_id: int) -> ResponseReturnValue:
    """Return the audit trail and whether its hash chain holds (and where it breaks)."""
    session = db.get_session()
    envelopes.get_envelope(session, envelope_id)
    events, broken = envelopes.audit_events(session, envelope_id)
    return jsonify(envelope_id=envelope_id, intact=broken is None, first_broken_seq=broken.seq if broken else None,
                   events=[event_json(e) for e in events])


_ID = [{"name": "id", "in": "path", "required": True, "schema": {"type": "integer"}}]
#: Paths for the OpenAPI document (merged into clm.web.api's).
OPENAPI_PATHS: dict[str, Any] = {
    "/envelopes": {"post": {
        "summary": "Create an envelope for a contract's latest version and send it",
        "requestBody": {"required": True, "content": {"application/json": {"schema": {
            "type": "object", "required": ["contract_id", "recipients"],
            "properties": {
                "contract_id": {"type": "integer"}, "subject": {"type": "string"}, "message": {"type": "string"},
                "expires_in_days": {"type": "integer", "minimum": 1, "maximum": 365},
                "send": {"type": "boolean", "default": True},
                "recipients": {"type": "array", "items": {"type": "object", "required": ["name", "email"], "properties": {
                    "name": {"type": "string"}, "email": {"type": "string"},
                    "role": {"enum": ["signer", "approver", "cc"]}, "routing_order": {"type": "integer"},
                    "fields": {
                        "type": "array", "maxItems": 10,
                        "description": "What the recipient fills in besides the signature (not for cc). "
                                       "date_signed is filled in by clm with the UTC date of signing.",
                        "items": {"type": "object", "required": ["kind"], "additionalProperties": False,
                                  "properties": {
                                      "kind": {"enum": ["initials", "text", "checkbox", "date_signed"]},
                                      "label": {"type": "string", "maxLength": 200,
                                                "description": "Required for text and checkbox"},
                                      "required": {"type": "boolean", "default": True}}}}}}}}}}}},
        "responses": {"201": {"description": "The envelope (no signer links: they go only by email)"},
                      "401": {"description": "No token"}, "403": {"description": "Role lacks envelopes.manage"},
                      "404": {"description": "No such contract"}, "409": {"description": "Contract not signable"},
                      "422": {"description": "Invalid recipients or fields"}}}},
    "/envelopes/{id}": {"parameters": _ID, "get": {"summary": "An envelope and its recipients",
                                "responses": {"200": {"description": "The envelope"}, "404": {"description": "No such envelope"}}}},
    "/envelopes/{id}/send": {"parameters": _ID, "post": {"summary": "Send a draft envelope",
                                      "responses": {"200": {"description": "Sent"}, "409": {"description": "Not a draft"}}}},
    "/envelopes/{id}/void": {"parameters": _ID, "post": {"summary": "Void an envelope (body: {\"reason\"})",
                                      "responses": {"200": {"description": "Voided"}, "409": {"description": "Already finished"}}}},
    "/envelopes/{id}/remind": {"parameters": _ID, "post": {"summary": "Mail a fresh link to whoever must act now",
                                        "responses": {"200": {"description": "Reminded"}, "409": {"description": "Nobody to remind"}}}},
    "/envelopes/{id}/document.pdf": {"parameters": _ID, "get": {"summary": "The sealed PDF of a completed envelope",
                                             "responses": {"200": {"description": "application/pdf"},
                                                           "409": {"description": "Not completed"}}}},
    "/envelopes/{id}/audit": {"parameters": _ID, "get": {"summary": "Audit trail with hash-chain check",
                                      "responses": {"200": {"description": "Events, intact, first_broken_seq"}}}},
}
