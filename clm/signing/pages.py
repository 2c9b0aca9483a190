"""The signer's pages: reached only through the token in their email, no account, no login.

GET renders and never writes (mail scanners and link previews fetch links); every state
change is a CSRF-protected POST that re-checks the token, the envelope and the signing order.
"""

from __future__ import annotations

import datetime as dt
import io
import logging
from typing import TYPE_CHECKING

from flask import Blueprint, current_app, render_template, request, send_file
from sqlalchemy import select
from sqlalchemy.orm import undefer

from clm import db
from clm.errors import ClmError, Conflict, InvalidInput, NotFound
from clm.signing import envelopes
from clm.signing.mail import DEFAULT_SENDER, Mail, deliver, mailer_for, setting
from clm.signing.models import EnvelopeStatus, RecipientRole
from clm.versions import store
from clm.versions.models import Blob, Contract, Version

if TYPE_CHECKING:
    from collections.abc import Mapping

    from flask import Response
    from flask.typing import ResponseReturnValue

    from clm.signing.models import Envelope, Recipient

log = logging.getLogger(__name__)
bp = Blueprint("signing", __name__, template_folder="templates", static_folder="static",
               static_url_path="/signing-static")


@bp.after_request
def _token_page_headers(response: Response) -> Response:
    # The URL holds the signer's token: never send it on in a Referer, never cache the page.
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Robots-Tag"] = "noindex, nofollow"
    return response


@bp.errorhandler(ClmError)
def _signer_error(err: ClmError) -> ResponseReturnValue:
    return render_template("signing/message.html", status=err.status, message=str(err)), err.status


def _client() -> envelopes.Client:
    # The signer services record the recipient ("signer:alice@...") as the actor themselves;
    # the client carries where the request came from.
    return envelopes.Client(actor="signer", ip=request.remote_addr, user_agent=request.user_agent.string)


def _send(mails: list[Mail]) -> None:
    if mails:
        deliver(mailer_for(current_app.config, current_app.instance_path), mails,
                sender=setting(current_app.config, "MAIL_FROM", DEFAULT_SENDER))


def _page(recipient: Recipient, *, error: str | None = None, status: int = 200,
          form: Mapping[str, str] | None = None) -> ResponseReturnValue:
    """Render the signing page; ``form`` refills the fields the signer entered after a refusal."""
    session = db.get_session()
    envelope = recipient.envelope
    # The hot path of signing: only the title of the contract (not its versions), and the
    # version with its text in one query.
    title = session.scalar(select(Contract.title).where(Contract.id == envelope.contract_id))
    version = session.get(Version, envelope.version_id, options=[undefer(Version.text)])
    from clm.signing.certificate import page_blocks, signer_slot

    return render_template(
        "signing/sign.html", token=request.view_args["token"], recipient=recipient,  # type: ignore[index]
        envelope=envelope, title=title or envelope.subject,
        blocks=page_blocks(version, signer_slot(envelope.recipients, recipient))
        if version and recipient.consent_at else [], approver=recipient.role is RecipientRole.APPROVER,
        disclosure=envelopes.DISCLOSURE_TEXT, disclosure_version=envelopes.DISCLOSURE_VERSION, error=error,
        fields=recipient.fields or [], field_chars=envelopes.FIELD_VALUE_CHARS, form=form or {},
        today=db.utcnow().astimezone(dt.UTC).date().isoformat(),
    ), status


@bp.route("/sign/<token>")
def show(token: str) -> ResponseReturnValue:
    """Show the consent step, then the document with the signature and decline forms.

    A link already used to sign shows "You signed this on ..." and the signer's copy instead.
    """
    session = db.get_session()
    now = db.utcnow()
    try:
        recipient = envelopes.view(session, token, now=now)
    except (NotFound, envelopes.Gone) as err:
        try:
            signed = envelopes.signed_copy(session, token, now=now)
        except NotFound:
            raise err from None
        return _signed_page(signed)
    return _page(recipient)


def _signed_page(recipient: Recipient) -> ResponseReturnValue:
    envelope = recipient.envelope
    title = db.get_session().scalar(select(Contract.title).where(Contract.id == envelope.contract_id))
    assert recipient.signed_at is not None
    return render_template("signing/signed.html", token=request.view_args["token"],  # type: ignore[index]
                           recipient=recipient, envelope=envelope, title=title or envelope.subject,
                           signed_on=f"{recipient.signed_at.astimezone(dt.UTC):%-d %B %Y at %H:%M} UTC",
                           completed=envelope.status is EnvelopeStatus.COMPLETED and envelope.final_blob_sha256,
                           approver=recipient.role is RecipientRole.APPROVER)


@bp.route("/sign/<token>/copy.pdf")
def copy_pdf(token: str) -> ResponseReturnValue:
    """Download a signer's copy through their used link: the sealed PDF once everyone has signed,
    until then the document as they signed it."""
    session = db.get_session()
    recipient = envelopes.signed_copy(session, token, now=db.utcnow())
    envelope = recipient.envelope
    contract = session.get(Contract, envelope.contract_id)
    assert contract is not None
    name = store.safe_filename(f"{contract.title[:80]} signed.pdf")
    if envelope.status is EnvelopeStatus.COMPLETED and envelope.final_blob_sha256:
        blob = session.get(Blob, envelope.final_blob_sha256)
        assert blob is not None
        return send_file(io.BytesIO(blob.data), mimetype="application/pdf", as_attachment=True, download_name=name)
    version = session.get(Version, envelope.version_id)
    assert version is not None
    return _document_pdf(contract, version, envelope,
                         note=f"The document you signed through clm, envelope {envelope.id}; the sealed copy with "
                              f"every signature follows once everyone has signed. Document SHA-256 "
                              f"{envelope.document_sha256}.")


@bp.route("/sign/<token>/document.pdf")
def document_pdf(token: str) -> ResponseReturnValue:
    """Download the document being signed as a PDF (after consenting to electronic records)."""
    session = db.get_session()
    recipient = envelopes.view(session, token, now=db.utcnow())
    if recipient.consent_at is None:
        raise Conflict("Agree to receive the document electronically first.")
    envelope = recipient.envelope
    version = session.get(Version, envelope.version_id)
    contract = session.get(Contract, envelope.contract_id)
    assert version is not None and contract is not None
    return _document_pdf(contract, version, envelope,
                         note=f"For signature through clm, envelope {envelope.id}; "
                              f"document SHA-256 {envelope.document_sha256}.")


def _document_pdf(contract: Contract, version: Version, envelope: Envelope, *, note: str) -> ResponseReturnValue:
    from clm.pdf import html_to_pdf
    from clm.signing.certificate import STYLESHEETS, document_html

    html, assets = document_html(contract.title, version, note=note)
    pdf = html_to_pdf(html, assets=assets, stylesheets=STYLESHEETS)
    return send_file(io.BytesIO(pdf), mimetype="application/pdf", as_attachment=True,
                     download_name=f"envelope-{envelope.id}.pdf")


@bp.route("/sign/<token>/consent", methods=["POST"])
def consent(token: str) -> ResponseReturnValue:
    """Record consent to electronic records and signatures; show the document."""
    now = db.utcnow()
    if request.form.get("agree") != "yes":
        recipient = envelopes.view(db.get_session(), token, now=now)
        return _page(recipient, error="Tick the box to agree, or withdraw below.", status=422)
    with db.transaction() as session:
        # The service resolves the token (once) and names the recipient in the audit trail itself.
        recipient = envelopes.consent(session, token, disclosure_version=request.form.get("disclosure_version", ""),
                                      client=_client(), now=now)
    return _page(recipient)


@bp.route("/sign/<token>/sign", methods=["POST"])
def sign(token: str) -> ResponseReturnValue:
    """Apply the adopted signature; complete the envelope when this was the last one."""
    now = db.utcnow()
    try:
        with db.transaction() as session:
            outcome = envelopes.sign(session, token, kind=request.form.get("kind", ""),
                                     typed_name=request.form.get("typed_name", ""),
                                     drawn=request.form.get("drawn", ""), fields=request.form,
                                     client=_client(), now=now)
            envelope_id = outcome.recipient.envelope_id
            name = outcome.recipient.name
    except InvalidInput as err:
        recipient = envelopes.view(db.get_session(), token, now=now)
        return _page(recipient, error=str(err), status=422, form=request.form)
    _send(outcome.mails)
    if outcome.ready_to_complete:
        try:
            with db.transaction() as session:
                mails = envelopes.complete(session, envelope_id, now=db.utcnow(),
                                           instance_path=current_app.instance_path)
            _send(mails)
        except Exception:
            log.exception("completing envelope %s failed; `clm signing sweep` will retry", envelope_id)
    return render_template("signing/message.html", status=200, done=True,
                           message=f"Thank you, {name}. Your signature is recorded; everyone gets the signed "
                                   f"PDF by email once all parties have signed.")


@bp.route("/sign/<token>/decline", methods=["POST"])
def decline(token: str) -> ResponseReturnValue:
    """Decline to sign, with a reason; the envelope ends."""
    return _end(token, withdrawn=False)


@bp.route("/sign/<token>/withdraw", methods=["POST"])
def withdraw(token: str) -> ResponseReturnValue:
    """Withdraw consent to electronic records and signatures; the envelope ends."""
    return _end(token, withdrawn=True)


def _end(token: str, *, withdrawn: bool) -> ResponseReturnValue:
    now = db.utcnow()
    try:
        with db.transaction() as session:
            recipient = envelopes.decline(session, token, reason=request.form.get("reason", ""),
                                          client=_client(), now=now, withdrawn=withdrawn)
            mails = envelopes.sender_notice(recipient.envelope, "Declined")
    except InvalidInput as err:
        recipient = envelopes.view(db.get_session(), token, now=now)
        return _page(recipient, error=str(err), status=422)
    _send(mails)
    message = ("You withdrew your consent to sign electronically. The sender has been told and will contact you."
               if withdrawn else "You declined to sign. The sender has been told.")
    return render_template("signing/message.html", status=200, done=True, message=message)
