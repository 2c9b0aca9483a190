"""The public verify page: anyone holding a sealed PDF can check it, without an account.

It gives the verdict of ``clm verify`` (seal unmodified, file known to this installation,
audit chain intact) from the same function, parsing the stranger's PDF in a capped child
process. It shows nothing the PDF does not already contain beyond that verdict.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from flask import Blueprint, current_app, render_template, request

from clm import db
from clm.signing import keys, verification

if TYPE_CHECKING:
    from flask import Response
    from flask.typing import ResponseReturnValue

bp = Blueprint("verify", __name__, template_folder="templates")
#: The largest PDF the page accepts (sealed contracts are far smaller).
MAX_PDF_BYTES = 20 * 1024 * 1024
#: Memory the child that parses the PDF may use on top of what it inherits.
PARSE_MEMORY_BYTES = 512 * 1024 * 1024


@bp.url_value_preprocessor
def _allow_large_pdfs(_endpoint: str | None, _values: dict[str, object] | None) -> None:
    # URL value preprocessors run before every before_request function, so the app-wide CSRF
    # check, which reads the form first, already parses this body under this page's limit.
    request.max_content_length = MAX_PDF_BYTES + 64 * 1024


@bp.after_request
def _headers(response: Response) -> Response:
    response.headers["Cache-Control"] = "no-store"
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


def _when(value: dt.datetime | None) -> str:
    return f"{value.astimezone(dt.UTC):%-d %B %Y at %H:%M} UTC" if value else "an unstated time"


def in_words(verdict: verification.Verdict, facts: dict[str, Any] | None = None) -> list[str]:
    """Return the verdict as sentences a signer can read: who sealed it, when, and whether anything changed.

    ``facts`` (the contract title, the signers, when it completed) come from this installation's
    records of the envelope, and only for a file that checked as valid: then the PDF itself
    already carries them.
    """
    if verdict.outcome == verification.UNREADABLE:
        return [f"This file cannot be checked: {verdict.reason}. Upload the PDF exactly as you received it."]
    who = f"“{verdict.sealed_by}”" if verdict.sealed_by else "an unnamed certificate"
    if verdict.outcome == verification.VALID:
        out = [f"Sealed by {who} on {_when(verdict.sealed_at)}."]
        if facts:
            names = facts["signers"]
            signed = (", ".join(names[:-1]) + " and " + names[-1]) if len(names) > 1 else "".join(names)
            out.append(f"It is “{facts['title']}” (envelope {verdict.envelope_id}), "
                       f"{'signed by ' + signed if signed else 'completed'}.")
        out.append("Nothing has changed since it was sealed: the seal covers every byte of this file, the seal is "
                   "this installation's, and this installation's record of the signing is intact.")
        return out
    if not verdict.seal_unmodified:
        return [f"This file has been changed since it was sealed, or carries no valid seal ({verdict.reason}).",
                "Do not rely on it: ask the sender for the original signed PDF."]
    if not verdict.seal_trusted:
        return [f"This file is unchanged since {who} sealed it on {_when(verdict.sealed_at)}, but that seal is "
                "not trusted: it is not this installation's, and anyone can make a certificate with any name.",
                "Compare the certificate fingerprint below with the one in your completion email."]
    return [f"The seal by {who} on {_when(verdict.sealed_at)} is intact, but this installation's records do not "
            f"match it: {verdict.reason}.", "Ask the sender before you rely on this file."]


def _facts(verdict: verification.Verdict) -> dict[str, Any] | None:
    from clm.signing.models import Envelope
    from clm.versions.models import Contract

    if verdict.outcome != verification.VALID or verdict.envelope_id is None:
        return None
    session = db.get_session()
    envelope = session.get(Envelope, verdict.envelope_id)
    if envelope is None:
        return None
    contract = session.get(Contract, envelope.contract_id)
    signers = [r.name for r in sorted(envelope.recipients, key=lambda r: (r.routing_order, r.id))
               if r.acts and r.signed_at is not None]
    return {"title": contract.title if contract else envelope.subject, "signers": signers,
            "completed_at": envelope.completed_at}


def _render(verdict: verification.Verdict | None = None, *, error: str | None = None,
            status: int = 200) -> ResponseReturnValue:
    return render_template("signing/verify.html", verdict=verdict, error=error,
                           words=in_words(verdict, _facts(verdict)) if verdict else [],
                           max_mb=MAX_PDF_BYTES // (1024 * 1024),
                           fingerprint=keys.installation_fingerprint(current_app.instance_path)), status


@bp.route("/verify/certificate.pem")
def certificate() -> ResponseReturnValue:
    """Publish this installation's sealing certificate: the trust anchor signers check sealed PDFs against."""
    _key, cert_path = keys.ensure_signing_identity(current_app.instance_path)
    with open(cert_path, "rb") as handle:
        pem = handle.read()
    response = current_app.response_class(pem, mimetype="application/x-pem-file")
    response.headers["Content-Disposition"] = "attachment; filename=clm-seal-certificate.pem"
    response.headers["X-Clm-Certificate-SHA256"] = keys.fingerprint(pem)
    return response


@bp.route("/verify", methods=["GET", "POST"])
def page() -> ResponseReturnValue:
    """Show the upload form; on POST (CSRF-checked like every form) check the PDF and show the verdict."""
    if request.method == "GET":
        return _render()
    upload = request.files.get("pdf")
    if upload is None or not upload.filename:
        return _render(error="Choose the signed PDF to check.", status=400)
    data = upload.stream.read(MAX_PDF_BYTES + 1)
    if len(data) > MAX_PDF_BYTES:
        return _render(error=f"The file is larger than {MAX_PDF_BYTES // (1024 * 1024)} MB.", status=413)
    # The trust anchor is this installation's certificate, never the one the uploaded file carries.
    own = keys.installation_fingerprint(current_app.instance_path)
    checker = verification.sandboxed_seal_check(float(current_app.config["PARSE_TIMEOUT_SECONDS"]),
                                                PARSE_MEMORY_BYTES)
    verdict = verification.verify_pdf(data, trusted={own} if own else set(),
                                      session=db.get_session(), check_seal=checker)
    return _render(verdict, status=422 if verdict.outcome == verification.UNREADABLE else 200)
