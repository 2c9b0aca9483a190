"""Quote pages: list, configure and price (with the approval needed), the quote page, approve, send, accept, documents."""

from __future__ import annotations

import io
from datetime import date
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
from markupsafe import Markup

from clm import db
from clm.access import current_principal, require
from clm.errors import ClmError, InvalidInput
from clm.quotes import services
from clm.quotes.catalog import ConfigurationError
from clm.quotes.models import QuoteStatus
from clm.quotes.pricing import QuoteInputError

if TYPE_CHECKING:
    from flask import Flask
    from flask.typing import ResponseReturnValue

bp = Blueprint("quotes", __name__, template_folder="templates", static_folder="static",
               static_url_path="/quotes-static")
#: Product rows on the configure form.
FORM_LINES = 8


def init_app(app: Flask) -> None:
    """Register the quote pages and the quote API."""
    from clm.quotes import api

    app.register_blueprint(bp)
    app.register_blueprint(api.bp)


def _label() -> str:
    principal = current_principal()
    assert principal is not None
    return principal.label


def form_request(form: Any) -> dict[str, Any]:
    """Return the quote request the configure form describes (empty product rows left out)."""
    data: dict[str, Any] = {key: form.get(key, "").strip() for key in
                            ("customer", "currency", "price_book", "bundle", "term_months", "start_date", "discount",
                             "payment_terms_days", "valid_days")}
    data = {k: v for k, v in data.items() if v != ""}
    data["promotions"] = form.get("promotions", "").strip()
    lines = []
    for i in range(FORM_LINES):
        product = form.get(f"line-{i}-product", "").strip()
        if product:
            lines.append({"product": product, "quantity": form.get(f"line-{i}-quantity", "").strip() or "1",
                          "discount": form.get(f"line-{i}-discount", "").strip()})
    data["lines"] = lines
    return data


def _form_values(data: dict[str, Any]) -> dict[str, Any]:
    """Return the request as the form's field values."""
    values = {k: ("" if v is None else str(v)) for k, v in data.items() if k not in ("lines", "promotions")}
    promos = data.get("promotions") or []
    values["promotions"] = promos if isinstance(promos, str) else " ".join(promos)
    for i, line in enumerate((data.get("lines") or [])[:FORM_LINES]):
        values[f"line-{i}-product"] = str(line.get("product", ""))
        values[f"line-{i}-quantity"] = str(line.get("quantity", ""))
        values[f"line-{i}-discount"] = "" if str(line.get("discount", "0")) == "0" else str(line.get("discount"))
    return values


def _configure(quote_id: int | None) -> ResponseReturnValue:
    session = db.get_session()
    _, catalog = services.current_catalog(session)
    quote = services.get_quote(session, quote_id) if quote_id else None
    errors: list[str] = []
    result = None
    if request.method == "POST":
        data = form_request(request.form)
        today = date.today()
        try:
            if request.form.get("action") == "price":
                result = services.preview(session, data, today=today)
            elif quote is None:
                with db.transaction() as s:
                    created = services.create_quote(s, data, by=_label(), today=today)
                    number, new_id = created.number, created.id
                flash(f"Quote {number} saved as version 1.")
                return redirect(url_for("quotes.show", quote_id=new_id)), 303
            else:
                with db.transaction() as s:
                    version = services.revise_quote(s, quote.id, data, by=_label(), today=today)
                    number = version.number
                flash(f"Quote {quote.number} saved as version {number}.")
                return redirect(url_for("quotes.show", quote_id=quote.id)), 303
        except (QuoteInputError, ConfigurationError) as err:
            errors = err.errors
        except InvalidInput as err:
            errors = [str(err)]
        values = _form_values(data)
    else:
        values = _form_values(quote.current.request) if quote else {"term_months": "12",
                                                                      "valid_days": str(catalog.defaults.valid_days)}
    status = 422 if errors else 200
    return render_template("quotes/configure.html", quote=quote, catalog=catalog, values=values, errors=errors,
                           result=result, lines=range(FORM_LINES), levels=services.LEVEL_LABELS), status


@bp.route("/quotes")
@require("quotes.read")
def index() -> ResponseReturnValue:
    """List quotes, newest first."""
    session = db.get_session()
    return render_template("quotes/index.html", quotes=services.list_quotes(session), today=date.today(),
                           loaded=services.latest_catalog(session) is not None)


@bp.route("/quotes/new", methods=["GET", "POST"])
@require("quotes.write")
def new() -> ResponseReturnValue:
    """Configure and price a new quote; Price shows totals and the approval needed, Save stores version 1."""
    return _configure(None)


@bp.route("/quotes/<int:quote_id>/revise", methods=["GET", "POST"])
@require("quotes.write")
def revise(quote_id: int) -> ResponseReturnValue:
    """Change the quote: saving stores a new version (approvals start over)."""
    return _configure(quote_id)


@bp.route("/quotes/<int:quote_id>")
@require("quotes.read")
def show(quote_id: int) -> ResponseReturnValue:
    """The quote: lines, totals, approvals, status, actions, versions, documents, and drift once accepted."""
    session = db.get_session()
    quote = services.get_quote(session, quote_id)
    version = quote.current
    principal = current_principal()
    assert principal is not None
    pending = services.pending_levels(version)
    can_approve = bool(pending) and principal.can(services.LEVEL_PERMISSIONS[pending[0]]) \
        and principal.label != version.created_by and all(a.decided_by != principal.label for a in version.approvals)
    report = services.drift(session, quote) if quote.contract_id else None
    return render_template("quotes/show.html", quote=quote, version=version, q=services.priced(version),
                           pending=pending, can_approve=can_approve, levels=services.LEVEL_LABELS,
                           expired=services.is_expired(version, date.today()), drift=report,
                           accepted=quote.status is QuoteStatus.ACCEPTED, sent=quote.status is QuoteStatus.SENT)


def _act(quote_id: int, action: Any, message: str) -> ResponseReturnValue:
    try:
        with db.transaction() as s:
            action(s)
    except ClmError as err:
        flash(str(err), "error")
        return redirect(url_for("quotes.show", quote_id=quote_id)), 303
    flash(message)
    return redirect(url_for("quotes.show", quote_id=quote_id)), 303


@bp.route("/quotes/<int:quote_id>/approve", methods=["POST"])
@require("quotes.approve")
def approve(quote_id: int) -> ResponseReturnValue:
    """Record the next approval the current version needs."""
    principal = current_principal()
    assert principal is not None
    return _act(quote_id, lambda s: services.approve(s, quote_id, by=principal.label, can=principal.can,
                                                     now=db.utcnow(), comment=request.form.get("comment", "")),
                "Approval recorded.")


@bp.route("/quotes/<int:quote_id>/send", methods=["POST"])
@require("quotes.write")
def send(quote_id: int) -> ResponseReturnValue:
    """Email the quote's PDF to the customer's address and mark it sent (unsent if the mail does not go)."""
    from clm.mail import DEFAULT_SENDER, mailer_for, setting

    config = current_app.config
    to = request.form.get("to", "")
    return _act(quote_id, lambda s: services.send_by_mail(
        s, quote_id, to=to, by=_label(), now=db.utcnow(), seller=setting(config, "SELLER_NAME"),
        mailer=mailer_for(config, current_app.instance_path), sender=setting(config, "MAIL_FROM", DEFAULT_SENDER)),
        f"Quote sent to {to.strip()[:320]} with its PDF.")


@bp.route("/quotes/<int:quote_id>/accept", methods=["POST"])
@require("contracts.write")
def accept(quote_id: int) -> ResponseReturnValue:
    """Accept the quote: create its Order Form + MSA contract with the quote's lines as commercial terms."""
    from clm.clauses.approvals import library_from_settings
    from clm.versions import store

    try:
        with db.transaction() as s:
            version = services.accept(s, quote_id, by=_label(), now=db.utcnow(),
                                      library=library_from_settings(current_app.config),
                                      limits=store.limits_from_settings(current_app.config))
            contract_id = version.contract_id
    except ClmError as err:
        flash(str(err), "error")
        return redirect(url_for("quotes.show", quote_id=quote_id)), 303
    flash(f"Quote accepted: contract {contract_id} drafted with the quote's commercial terms.")
    return redirect(url_for("quotes.show", quote_id=quote_id)), 303


@bp.route("/quotes/<int:quote_id>/versions/<int:number>.<fmt>")
@require("quotes.read")
def document(quote_id: int, number: int, fmt: str) -> ResponseReturnValue:
    """Download a version as the branded PDF or Word document."""
    data, mimetype, name = services.document_file(services.get_quote(db.get_session(), quote_id), number, fmt,
                                                  seller=current_app.config.get("SELLER_NAME") or "")
    return send_file(io.BytesIO(data), mimetype=mimetype, as_attachment=True, download_name=name)


@bp.route("/quotes/<int:quote_id>/compare")
@require("quotes.read")
def compare(quote_id: int) -> ResponseReturnValue:
    """Redline two versions of the quote (``old`` and ``new`` version numbers)."""
    from clm.versions import render

    quote = services.get_quote(db.get_session(), quote_id)
    try:
        old = int(request.args.get("old", "1"))
        new_number = int(request.args.get("new", str(quote.current_version)))
    except ValueError:
        raise InvalidInput("old, new: give version numbers") from None
    a, b, redline = services.compare(quote, old, new_number)
    fragment = render.to_html(redline, title=f"Quote {quote.number}: v{a.number} → v{b.number}",
                              old_label=f"v{a.number}", new_label=f"v{b.number}",
                              stylesheet_url=url_for("versions.static", filename="redline.css"))
    return render_template("quotes/compare.html", quote=quote, old=a, new=b, fragment=Markup(fragment))
