"""Sender pages for legal: create and send an envelope, follow it, void, remind, download."""

from __future__ import annotations

import io
from typing import TYPE_CHECKING, Any

from flask import (
    Blueprint,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)

from clm import db
from clm.access import current_principal, require
from clm.clauses.approvals import approval_check
from clm.errors import ClmError, Conflict
from clm.signing import envelopes
from clm.signing.mail import DEFAULT_SENDER, Mail, deliver, mailer_for, setting
from clm.versions import store
from clm.versions.models import Blob

__all__ = ["bp", "client", "link_base", "require", "send_mail", "signed_pdf_response"]

if TYPE_CHECKING:
    from flask.typing import ResponseReturnValue

bp = Blueprint("envelopes", __name__, template_folder="templates")
#: Rows of recipients the form offers; blank rows are ignored.
FORM_ROWS = 5
#: Extra fields (text or checkbox) the form offers per recipient; a field without a label is ignored.
FORM_FIELDS = 3


def client() -> envelopes.Client:
    """Return who is calling, for the audit trail."""
    principal = current_principal()
    return envelopes.Client(actor=principal.label if principal else "anonymous", ip=request.remote_addr,
                            user_agent=request.user_agent.string)


def link_base() -> str:
    """Return where signer links point: CLM_PUBLIC_URL, else the address ``clm serve`` binds.

    Never the request's Host header: anyone can send one, and a link to their host would hand
    them the signer's token. Production sets CLM_PUBLIC_URL; the fallback suits a local install.
    """
    configured = setting(current_app.config, "PUBLIC_URL")
    if configured:
        return str(configured)
    return f"http://{current_app.config['HOST']}:{current_app.config['PORT']}/"


def send_mail(mails: list[Mail]) -> int:
    """Deliver mail made by a service after its transaction committed; return the failures."""
    return deliver(mailer_for(current_app.config, current_app.instance_path), mails,
                sender=setting(current_app.config, "MAIL_FROM", DEFAULT_SENDER)) if mails else 0


def _recipients_from_form() -> list[envelopes.RecipientInput]:
    rows = []
    for i in range(FORM_ROWS):
        name, email = request.form.get(f"name-{i}", "").strip(), request.form.get(f"email-{i}", "").strip()
        if not name and not email:
            continue
        rows.append(envelopes.RecipientInput(name=name, email=email, role=request.form.get(f"role-{i}", "signer"),
                                             routing_order=request.form.get(f"order-{i}", "1") or 1,  # type: ignore[arg-type]
                                             fields=_fields_from_form(i)))
    return rows


def _fields_from_form(i: int) -> list[dict[str, object]]:
    """Return recipient ``i``'s field definitions from the form, for ``envelopes.parse_fields``."""
    fields: list[dict[str, object]] = []
    if request.form.get(f"initials-{i}") == "yes":
        fields.append({"kind": "initials", "label": "Initials", "required": True})
    if request.form.get(f"date-{i}") == "yes":
        fields.append({"kind": "date_signed", "label": "Date signed"})
    for j in range(FORM_FIELDS):
        label = request.form.get(f"field-{i}-{j}-label", "").strip()
        if label:
            fields.append({"kind": request.form.get(f"field-{i}-{j}-kind", "text"), "label": label,
                           "required": request.form.get(f"field-{i}-{j}-required") == "yes"})
    return fields


@bp.route("/contracts/<int:contract_id>/envelopes/new", methods=["GET", "POST"])
@require("envelopes.manage")
def new(contract_id: int) -> ResponseReturnValue:
    """Create an envelope for the contract's latest version, and send it unless saved as a draft."""
    from clm.clauses.services import blanks_left

    reading = db.get_session()
    contract = store.get_contract(reading, contract_id)

    def page(form: Any, error: str | None) -> str:
        # The blanks the latest version's extraction found: shown with the form, not read for a send.
        blanks = blanks_left(reading, contract.latest.id) if contract.latest else []
        return render_template("signing/new.html", contract=contract, rows=FORM_ROWS, field_rows=FORM_FIELDS,
                               form=form, error=error, blanks=blanks)

    if request.method == "GET":
        return page({}, None)
    now = db.utcnow()
    try:
        with db.transaction() as session:
            envelope = envelopes.create(
                session, contract_id, subject=request.form.get("subject", ""), message=request.form.get("message", ""),
                recipients=_recipients_from_form(), client=client(), now=now,
                expires_in_days=request.form.get("expires_in_days", type=int) or envelopes.DEFAULT_EXPIRY_DAYS,
                approvals=approval_check(current_app.config))
            mails = [] if request.form.get("action") == "draft" else envelopes.send(
                session, envelope.id, client=client(), now=now, link_base=link_base(),
                approvals=approval_check(current_app.config))
            envelope_id = envelope.id
    except ClmError as err:
        return page(request.form, str(err)), err.status
    failed = send_mail(mails)
    flash(f"Envelope {envelope_id} " + ("saved as a draft." if not mails else f"sent to {len(mails)} recipient(s).")
          + (f" {failed} email(s) could not be sent; use Remind." if failed else ""))
    return redirect(url_for("envelopes.show", envelope_id=envelope_id))


@bp.route("/envelopes/<int:envelope_id>")
@require("envelopes.manage")
def show(envelope_id: int) -> ResponseReturnValue:
    """Show an envelope: recipients and their status, the audit trail and whether its chain holds."""
    session = db.get_session()
    envelope = envelopes.get_envelope(session, envelope_id)
    contract = store.get_contract(session, envelope.contract_id)
    events, broken = envelopes.audit_events(session, envelope_id)
    return render_template("signing/show.html", envelope=envelope, contract=contract, events=events, broken=broken)


def _act(envelope_id: int, action: str) -> ResponseReturnValue:
    now = db.utcnow()
    try:
        with db.transaction() as session:
            if action == "send":
                mails = envelopes.send(session, envelope_id, client=client(), now=now, link_base=link_base(),
                approvals=approval_check(current_app.config))
            elif action == "void":
                mails = envelopes.void(session, envelope_id, reason=request.form.get("reason", ""),
                                       client=client(), now=now)
            else:
                mails = envelopes.remind(session, envelope_id, client=client(), now=now)
    except Conflict as err:
        flash(str(err), "error")
        return redirect(url_for("envelopes.show", envelope_id=envelope_id))
    failed = send_mail(mails)
    done = {"send": "Envelope sent.", "void": "Envelope voided.", "remind": "Reminder sent."}[action]
    flash(done + (f" {failed} email(s) could not be sent." if failed else ""))
    return redirect(url_for("envelopes.show", envelope_id=envelope_id))


@bp.route("/envelopes/<int:envelope_id>/send", methods=["POST"])
@require("envelopes.manage")
def send(envelope_id: int) -> ResponseReturnValue:
    """Send a draft envelope."""
    return _act(envelope_id, "send")


@bp.route("/envelopes/<int:envelope_id>/void", methods=["POST"])
@require("envelopes.manage")
def void(envelope_id: int) -> ResponseReturnValue:
    """Void an envelope that is not finished."""
    return _act(envelope_id, "void")


@bp.route("/envelopes/<int:envelope_id>/remind", methods=["POST"])
@require("envelopes.manage")
def remind(envelope_id: int) -> ResponseReturnValue:
    """Mail a fresh link to whoever must act now."""
    return _act(envelope_id, "remind")


def signed_pdf_response(envelope_id: int) -> ResponseReturnValue:
    """Return the sealed PDF of a completed envelope as a download; raise Conflict before completion."""
    session = db.get_session()
    envelope = envelopes.get_envelope(session, envelope_id)
    if envelope.final_blob_sha256 is None:
        raise Conflict(f"Envelope {envelope_id} is {envelope.status.value}; the signed PDF exists once it completes.")
    blob = session.get(Blob, envelope.final_blob_sha256)
    assert blob is not None
    return send_file(io.BytesIO(blob.data), mimetype="application/pdf", as_attachment=True,
                     download_name=f"envelope-{envelope_id}-signed.pdf")


@bp.route("/envelopes/<int:envelope_id>/signed.pdf")
@require("envelopes.manage")
def signed_pdf(envelope_id: int) -> ResponseReturnValue:
    """Download the sealed PDF."""
    return signed_pdf_response(envelope_id)
