"""The public verify page: anyone holding a sealed PDF can check it, without an account.

It gives the verdict of ``clm verify`` (seal unmodified, file known to this installation,
audit chain intact) from the same function, parsing the stranger's PDF in a capped child
process. It shows nothing the PDF does not already contain beyond that verdict.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

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


def _render(verdict: verification.Verdict | None = None, *, error: str | None = None,
            status: int = 200) -> ResponseReturnValue:
    return render_template("signing/verify.html", verdict=verdict, error=error,
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
