"""Finance pages: dashboard (billing forecast, revenue waterfall, deferred revenue, renewals), terms table, terms form."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from flask import (
    Blueprint,
    Response,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)

from clm import db
from clm.downstream import commercial, reports
from clm.downstream.terms import TermsError, format_money
from clm.errors import InvalidInput
from clm.versions import store
from clm.web.auth import current_principal, require

if TYPE_CHECKING:
    from flask import Flask
    from flask.typing import ResponseReturnValue

bp = Blueprint("downstream", __name__, template_folder="templates", static_folder="static",
               static_url_path="/downstream-static")
WINDOWS = (30, 60, 90)


def init_app(app: Flask) -> None:
    """Register the finance pages and API, and process the outbox after commits."""
    from clm.downstream import api, outbox

    app.register_blueprint(bp)
    app.register_blueprint(api.bp)
    outbox.init_app(app)


# -- charts: server-rendered SVG, no script, no inline style (CSP) -----------------------------


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    label: str
    value: str


@dataclass(frozen=True)
class Chart:
    title: str
    currency: str
    width: int
    height: int
    bars: tuple[Bar, ...]
    maximum: str
    baseline: float


def bar_chart(title: str, currency: str, series: Sequence[tuple[str, Decimal]], *, width: int = 720,
              height: int = 220) -> Chart:
    """Return the geometry of a bar chart of ``series`` (label, amount); amounts below zero draw as zero."""
    top, bottom = 16, 36
    plot = height - top - bottom
    peak = max((v for _, v in series), default=Decimal(0))
    step = width / max(len(series), 1)
    bars = []
    for i, (label, value) in enumerate(series):
        h = float(value / peak) * plot if peak > 0 and value > 0 else 0.0
        bars.append(Bar(x=round(i * step + step * 0.15, 1), y=round(top + plot - h, 1), width=round(step * 0.7, 1),
                        height=round(h, 1), label=label, value=format_money(value, currency)))
    return Chart(title, currency, width, height, tuple(bars), format_money(peak, currency), top + plot)


# -- pages ---------------------------------------------------------------------------------------


@bp.route("/finance")
@require("finance.read")
def dashboard() -> ResponseReturnValue:
    """Billing forecast and revenue by month, deferred revenue today, renewals due, events needing attention."""
    session = db.get_session()
    today = date.today()
    within = request.args.get("within", 90, type=int)
    if within not in WINDOWS:
        within = 90
    forecast = [bar_chart(f"Billing forecast ({cur})", cur, series)
                for cur, series in reports.billing_forecast(session, today).items()]
    revenue = [bar_chart(f"Revenue by month ({cur})", cur, series)
               for cur, series in reports.revenue_by_month(session, today).items()]
    periods, waterfall = reports.revenue_waterfall(session, today)
    deferred, deferred_totals = reports.deferred_revenue(session, today)
    return render_template("downstream/dashboard.html", today=today, forecast=forecast, revenue=revenue,
                           periods=periods, waterfall=waterfall, deferred=deferred, deferred_totals=deferred_totals,
                           renewals=reports.renewals_due(session, today, within), within=within, windows=WINDOWS,
                           refused=reports.refused_events(session), money=format_money)


def _contract_rows(counterparty: str, status: str) -> list[dict[str, Any]]:
    from clm.clauses.views import term_rows

    session = db.get_session()
    rows = []
    for row in term_rows(session):
        if counterparty and counterparty.lower() not in str(row.get("counterparty", "")).lower():
            continue
        if status and row.get("status") != status:
            continue
        document = commercial.latest_document(session, row["contract_id"])
        order = reports.order_of(session, row["contract_id"])
        row["currency"] = document.currency if document else ""
        row["contract_value"] = format_money(order.total, order.currency) if order else ""
        row["terms_version"] = document.version if document else ""
        row["downstream"] = "order" if order else ("terms attached" if document else "")
        rows.append(row)
    return rows


FINANCE_COLUMNS = ("contract_id", "title", "counterparty", "status", "effective_date", "expiration_date",
                   "auto_renewal", "renewal_term", "non_renewal_notice", "payment_terms", "billing_frequency",
                   "fees", "price_increase_cap", "currency", "contract_value", "terms_version", "downstream")


@bp.route("/finance/contracts")
@require("finance.read")
def contracts() -> ResponseReturnValue:
    """Every contract's key terms, filtered by counterparty and status."""
    from clm.versions.models import ContractStatus

    counterparty = request.args.get("counterparty", "").strip()[:200]
    status = request.args.get("status", "")
    rows = _contract_rows(counterparty, status)
    return render_template("downstream/contracts.html", rows=rows, counterparty=counterparty, status=status,
                           statuses=[s.value for s in ContractStatus], columns=FINANCE_COLUMNS)


@bp.route("/finance/contracts.csv")
@require("finance.read")
def contracts_csv() -> ResponseReturnValue:
    """The filtered terms table as CSV."""
    from clm.clauses.views import _cell

    rows = _contract_rows(request.args.get("counterparty", "").strip()[:200], request.args.get("status", ""))
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(FINANCE_COLUMNS)
    for row in rows:
        writer.writerow([_cell(row.get(c)) for c in FINANCE_COLUMNS])
    return Response(out.getvalue(), mimetype="text/csv",
                    headers={"Content-Disposition": "attachment; filename=finance-contracts.csv"})


@bp.route("/contracts/<int:contract_id>/commercial-terms", methods=["GET", "POST"])
@require("finance.read")
def terms_form(contract_id: int) -> ResponseReturnValue:
    """Show the contract's commercial terms; legal and finance save a new version as JSON."""
    session = db.get_session()
    contract = store.get_contract(session, contract_id)
    errors: list[str] = []
    text = None
    if request.method == "POST":
        principal = current_principal()
        assert principal is not None
        if not principal.can("commercial_terms.write"):
            return render_template("error.html", status=403, message="Your role does not allow this."), 403
        text = request.form.get("terms", "")
        try:
            try:
                data = json.loads(text)
            except ValueError as err:
                raise InvalidInput(f"terms: not JSON ({err})") from None
            with db.transaction() as s:
                document = commercial.attach_terms(s, store.get_contract(s, contract_id), data,
                                                   by=principal.label, now=db.utcnow())
                version = document.version
        except TermsError as err:
            errors = err.errors
        except InvalidInput as err:
            errors = [str(err)]
        else:
            flash(f"Commercial terms version {version} saved.")
            return redirect(url_for("downstream.terms_form", contract_id=contract_id)), 303
    current = commercial.latest_document(session, contract_id)
    notes: list[str] = []
    if text is None:
        if current is not None:
            data = current.data
        else:
            data, notes = commercial.prefill(session, contract, date.today())
        text = json.dumps(data, indent=2, ensure_ascii=False)
    return render_template("downstream/terms_form.html", contract=contract, document=current, text=text,
                           errors=errors, notes=notes,
                           downstream=reports.downstream_panel(session, contract)), 422 if errors else 200


@bp.route("/finance/invoices/<number>.pdf")
@require("finance.read")
def invoice_pdf(number: str) -> ResponseReturnValue:
    """Render one scheduled invoice as PDF (through the sandboxed renderer)."""
    from sqlalchemy import select

    from clm.downstream.models import Invoice
    from clm.errors import NotFound
    from clm.pdf import html_to_pdf

    session = db.get_session()
    invoice = session.scalar(select(Invoice).where(Invoice.number == number))
    if invoice is None:
        raise NotFound(f"There is no invoice {number}.")
    contract = store.get_contract(session, invoice.contract_id)
    html = render_template("downstream/invoice_pdf.html", invoice=reports.invoice_json(invoice), contract=contract)
    pdf = html_to_pdf(html)
    return Response(pdf, mimetype="application/pdf",
                    headers={"Content-Disposition": f"attachment; filename={store.safe_filename(number + '.pdf')}"})


def downstream_panel(session: Any, contract: Any) -> reports.Panel:
    """Return the panel data for ``downstream/_contract_panel.html`` (for the contract page)."""
    return reports.downstream_panel(session, contract)
