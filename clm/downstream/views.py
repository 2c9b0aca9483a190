"""Finance pages: dashboard (billing forecast, revenue waterfall, deferred revenue, renewals), terms table, terms form."""

from __future__ import annotations

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
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)

from clm import csvfile, db
from clm.access import current_principal, require
from clm.downstream import commercial, reports
from clm.downstream.terms import TermsError
from clm.errors import InvalidInput
from clm.values import display, fields, money
from clm.versions import store

if TYPE_CHECKING:
    from flask import Flask
    from flask.typing import ResponseReturnValue
    from sqlalchemy.orm import Session

bp = Blueprint("downstream", __name__, template_folder="templates", static_folder="static",
               static_url_path="/downstream-static")
WINDOWS = (30, 60, 90)


def init_app(app: Flask) -> None:
    """Register the finance pages and API (signed contracts become orders through clm.subscribers)."""
    from clm.downstream import api

    app.register_blueprint(bp)
    app.register_blueprint(api.bp)


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
                        height=round(h, 1), label=label, value=money.plain(value, currency)))
    return Chart(title, currency, width, height, tuple(bars), money.plain(peak, currency), top + plot)


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
                           attention=attention_items(session, reports.refused_events(session)))


#: What finance does about a refused event, by what the refusal says (first match wins).
_ACTIONS = (("has no commercial terms", "Attach the commercial terms"),
            ("changed after signing", "Restore the signed commercial terms"),
            ("changed after it was sent for signature", "Review the confirmed terms"))


@dataclass(frozen=True)
class Attention:
    """One signed contract finance must act on: why, what to do, and where."""

    contract_id: int
    title: str
    message: str
    action: str
    terms_page: bool


def attention_items(session: Any, events: Sequence[Any]) -> list[Attention]:
    """Return the refused events as what finance does in the pages (no API calls to make by hand)."""
    from clm.versions.models import Contract

    items = []
    for event in events:
        contract_id = int(event.payload.get("contract_id") or 0)
        contract = session.get(Contract, contract_id) if contract_id else None
        message = reports.page_error(event.last_error)
        action = next((label for marker, label in _ACTIONS if marker in message), "Open the commercial terms")
        items.append(Attention(contract_id, contract.title if contract else f"Contract {contract_id}", message,
                               action, "confirmed terms" not in action))
    return items


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
        row["contract_value"] = money.plain(order.total, order.currency) if order else ""
        row["terms_version"] = document.version if document else ""
        row["downstream"] = "order" if order else ("terms attached" if document else "")
        rows.append(row)
    return rows


FINANCE_COLUMNS = ("contract_id", "title", "counterparty", "status", "effective_date", "expiration_date",
                   "auto_renewal", "renewal_term", "non_renewal_notice", "payment_terms", "billing_frequency",
                   "fees", "price_increase_cap", "currency", "contract_value", "terms_version", "downstream")
#: The table's column headings: each term's label, and ours for the rest (the CSV keeps the column names).
COLUMN_LABELS = {"contract_id": "#", "title": "Contract", "counterparty": "Counterparty", "status": "Status",
                 "currency": "Currency", "contract_value": "Contract value", "terms_version": "Terms version",
                 "downstream": "Finance", **{f.name: f.label for f in fields.TERM_FIELDS}}
#: The CSV's columns as people read them, after the machine-readable ones (which keep their places):
#: dates per CLM_DATE_LOCALE, durations in words, the contract value with its currency.
FORMATTED_TERMS = tuple(c for c in FINANCE_COLUMNS
                        if c in fields.FIELDS and fields.FIELDS[c].kind in fields.FORMATTED_KINDS)
FORMATTED_COLUMNS = (*(f"{c}_formatted" for c in FORMATTED_TERMS), "contract_value_formatted")


@bp.route("/finance/contracts")
@require("finance.read")
def contracts() -> ResponseReturnValue:
    """Every contract's key terms, filtered by counterparty and status."""
    from clm.versions.models import ContractStatus

    counterparty = request.args.get("counterparty", "").strip()[:200]
    status = request.args.get("status", "")
    rows = _contract_rows(counterparty, status)
    return render_template("downstream/contracts.html", rows=rows, counterparty=counterparty, status=status,
                           statuses=[s.value for s in ContractStatus], columns=FINANCE_COLUMNS, labels=COLUMN_LABELS,
                           term_fields=set(fields.FIELDS))


@bp.route("/finance/contracts.csv")
@require("finance.read")
def contracts_csv() -> ResponseReturnValue:
    """The filtered terms table as CSV: machine-readable columns, then the same values as people read them."""
    from clm.clauses.views import _cell

    locale = current_app.config.get("DATE_LOCALE") or "en-US"
    rows = _contract_rows(request.args.get("counterparty", "").strip()[:200], request.args.get("status", ""))
    out = io.StringIO()
    writer = csvfile.writer(out)
    writer.writerow(FINANCE_COLUMNS + FORMATTED_COLUMNS)
    for row in rows:
        machine = [_cell(row.get(c), c) for c in FINANCE_COLUMNS]
        people = [fields.format(c, row[c], locale) if row.get(c) is not None else "" for c in FORMATTED_TERMS]
        writer.writerow(machine + people + [display.money_text(row.get("contract_value"), row.get("currency"))])
    return Response(out.getvalue(), mimetype="text/csv",
                    headers={"Content-Disposition": "attachment; filename=finance-contracts.csv"})


@bp.route("/contracts/<int:contract_id>/commercial-terms", methods=["GET", "POST"])
@require("finance.read")
def terms_form(contract_id: int) -> ResponseReturnValue:
    """Show the contract's commercial terms as a form; legal and finance save a new version.

    The form (``mode=form``) is laid over the document it was made from (``base``), so what it
    does not show is kept; ``mode=add`` and ``remove=<i>`` add or remove a line and show the form
    again without saving. The same terms as JSON (``terms``) is the advanced view. Every problem
    is shown beside its field, and nothing is saved until there is none.
    """
    session = db.get_session()
    contract = store.get_contract(session, contract_id)
    errors: list[str] = []
    text = None
    form: commercial.TermsForm | None = None
    base: dict[str, Any] | None = None
    status = 200
    if request.method == "POST":
        principal = current_principal()
        assert principal is not None
        if not principal.can("commercial_terms.write"):
            return render_template("error.html", status=403, message="Your role does not allow this."), 403
        mode = request.form.get("mode", "json")
        if mode in ("form", "add") or request.form.get("remove") is not None:
            base = _posted_base(request.form.get("base", ""))
            form = commercial.form_from_post(request.form)
            remove = request.form.get("remove", "")
            if remove.isdigit() and int(remove) < len(form.lines):
                del form.lines[int(remove)]
            if mode == "add":
                commercial.add_line(form)
            if mode != "form" or remove:
                text = json.dumps(commercial.terms_of_form(form, base), indent=2, ensure_ascii=False)
                return _render_terms(session, contract, form, base, text, [], 200)
            data: Any = commercial.terms_of_form(form, base)
            text = json.dumps(data, indent=2, ensure_ascii=False)
        else:
            text = request.form.get("terms", "")
            data = None
        try:
            if data is None:
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
        status = 422
        if form is not None:
            commercial.place_errors(form, errors)
            return _render_terms(session, contract, form, base or {}, text, [], status, advanced_errors=[])
    current = commercial.latest_document(session, contract_id)
    notes: list[str] = []
    if current is not None:
        data = current.data
    else:
        data, notes = commercial.prefill(session, contract, date.today())
    if text is None:
        text = json.dumps(data, indent=2, ensure_ascii=False)
    return _render_terms(session, contract, commercial.form_of(data), data, text, notes, status,
                         advanced_errors=errors)


def _amount_text(currency: str) -> Any:
    """Return a function showing a stored amount of ``currency`` as people read it ("USD 36,000.00")."""
    def text(value: Any) -> str:
        if value in (None, ""):
            return "—"
        try:
            return money.format(money.Money(money.amount(value, currency), money.currency(currency)))
        except ValueError:
            return f"{currency} {value}"
    return text


def _posted_base(raw: str) -> dict[str, Any]:
    """Return the document a posted form was made from (its hidden ``base``), or {} when it is not a JSON object."""
    try:
        base = json.loads(raw) if raw else {}
    except ValueError:
        return {}
    return base if isinstance(base, dict) else {}


def _render_terms(session: Session, contract: Any, form: commercial.TermsForm, base: dict[str, Any], text: str,
                  notes: list[str], status: int, advanced_errors: list[str] | None = None) -> ResponseReturnValue:
    from clm.downstream.terms import FREQUENCIES, RECOGNITIONS, TIMINGS

    document = commercial.latest_document(session, contract.id)
    return render_template("downstream/terms_form.html", contract=contract, document=document,
                           amount=_amount_text(document.currency if document is not None else ""), text=text, form=form,
                           base=json.dumps(base, ensure_ascii=False), notes=notes,
                           errors=advanced_errors or [], recognitions=RECOGNITIONS, frequencies=FREQUENCIES,
                           timings=TIMINGS,
                           downstream=reports.downstream_panel(session, contract, settings=current_app.config)), status


@bp.route("/finance/invoices/<number>.pdf")
@require("finance.read")
def invoice_pdf(number: str) -> ResponseReturnValue:
    """Render one scheduled invoice as PDF (through the sandboxed renderer)."""
    from sqlalchemy import select

    from clm.downstream.models import BillingSchedule, Invoice
    from clm.errors import NotFound
    from clm.pdf import html_to_pdf

    session = db.get_session()
    invoice = session.scalar(select(Invoice).where(Invoice.number == number))
    if invoice is None:
        raise NotFound(f"There is no invoice {number}.")
    contract = store.get_contract(session, invoice.contract_id)
    from clm.downstream.orders import cancellation_of

    schedule = session.get(BillingSchedule, invoice.schedule_id)
    cancellation = cancellation_of(session, schedule.order_id) if schedule is not None else None
    from clm.downstream.invoicing import billed, payable

    bill = billed(session, [invoice])[invoice.id]
    html = render_template("downstream/invoice_pdf.html", invoice=reports.invoice_json(invoice, cancellation, bill),
                           contract=contract, pay=payable(session, invoice, current_app.config, bill))
    pdf = html_to_pdf(html)
    return Response(pdf, mimetype="application/pdf",
                    headers={"Content-Disposition": f"attachment; filename={store.safe_filename(number + '.pdf')}"})


def _may_write() -> Any:
    principal = current_principal()
    assert principal is not None  # require() let the request through
    if not principal.can("commercial_terms.write"):
        return None
    return principal


def _refuse(message: str, status: int) -> ResponseReturnValue:
    return render_template("error.html", status=status, message=message), status


def _refuse_beside(err: Exception, contract_id: int, form: str) -> ResponseReturnValue:
    """Show a refused form's error beside the form on the contract's Finance tab (nothing was changed).

    A contract that is not there (or not the caller's to see) still answers with its error page.
    """
    status = getattr(err, "status", 422)
    if status in (403, 404):
        return _refuse(str(err), status)
    flash(str(err), "error")
    return redirect(url_for("contracts.show", contract_id=contract_id, tab="finance", at=form, _anchor=form)), 303


@bp.route("/contracts/<int:contract_id>/payments", methods=["POST"])
@require("commercial_terms.write")
def record_payment(contract_id: int) -> ResponseReturnValue:
    """Record cash received against an issued invoice from the Finance tab's form."""
    from clm.downstream.invoicing import record_payment as record
    from clm.errors import ClmError

    principal = _may_write()
    data = {name: request.form.get(name, "").strip() for name in ("invoice", "amount", "date", "reference")}
    if not data["reference"]:
        del data["reference"]
    try:
        with db.transaction() as s:
            store.get_contract(s, contract_id)
            row, created = record(s, contract_id, data, by=principal.label, settings=current_app.config,
                                  now=db.utcnow(), typed=True)
            amount = money.from_minor(row.amount_minor, row.currency)
            currency = row.currency
    except ClmError as err:
        return _refuse_beside(err, contract_id, "payment-form")
    shown = display.money_text(money.plain(amount, currency), currency)
    flash(f"Payment of {shown} against {data['invoice']} recorded." if created
          else f"That payment ({data.get('reference')}) was already recorded; nothing changed.")
    return redirect(url_for("contracts.show", contract_id=contract_id, tab="finance", at="payment-form",
                            _anchor="payment-form")), 303


@bp.route("/contracts/<int:contract_id>/cancel", methods=["POST"])
@require("commercial_terms.write")
def cancel(contract_id: int) -> ResponseReturnValue:
    """Cancel the executed contract's order from the posted date: credit note, later invoices stopped."""
    from clm.downstream.orders import cancel_order
    from clm.errors import ClmError

    principal = _may_write()
    raw = request.form.get("cancel_on", "").strip()
    try:
        try:
            cancel_on = date.fromisoformat(raw)
        except ValueError:
            raise InvalidInput(f"cancel_on: {raw[:20]!r} is not a date (YYYY-MM-DD).") from None
        with db.transaction() as s:
            store.get_contract(s, contract_id)
            done = cancel_order(s, contract_id, cancel_on, by=principal.label, now=db.utcnow())
    except ClmError as err:
        return _refuse_beside(err, contract_id, "cancel-form")
    note = done.credit_note
    locale = current_app.config.get("DATE_LOCALE") or "en-US"
    flash(f"Order cancelled from {display.date_text(done.cancel_on, locale)}; "
          + (f"credit note {note['number']} for {display.money_text(note['total'], note['currency'])} stored."
             if note else "nothing was owed back, so no credit note."))
    return redirect(url_for("contracts.show", contract_id=contract_id, tab="finance", at="finance",
                            _anchor="finance")), 303


@bp.route("/contracts/<int:contract_id>/renewal/start", methods=["POST"])
@require("commercial_terms.write")
def start_renewal(contract_id: int) -> ResponseReturnValue:
    """Draft the renewal of the executed contract with the posted uplift, capped by the contract's cap."""
    from clm.clauses.approvals import library_from_settings
    from clm.downstream.renewal_drafts import parse_uplift
    from clm.downstream.renewal_drafts import start_renewal as start
    from clm.errors import ClmError

    principal = _may_write()
    try:
        uplift = parse_uplift(request.form.get("uplift", ""))
        with db.transaction() as s:
            store.get_contract(s, contract_id)
            started = start(s, contract_id, uplift, by=principal.label, now=db.utcnow(), today=date.today(),
                            library=library_from_settings(current_app.config),
                            limits=store.limits_from_settings(current_app.config))
    except ClmError as err:
        return _refuse_beside(err, contract_id, "renewal-form")
    if started.created:
        message = f"Renewal drafted with a {started.applied_pct}% price uplift"
        if started.capped:
            message += (f" (you asked for {started.requested_pct}%; the contract's price increase cap "
                        f"limits it to {started.applied_pct}%)")
        flash(message + ".")
    else:
        flash("This renewal was already started; here is its draft.")
    return redirect(url_for("contracts.show", contract_id=started.contract_id, tab="finance", at="finance",
                            _anchor="finance")), 303


@bp.route("/finance/credit-notes/<number>.pdf")
@require("finance.read")
def credit_note_pdf(number: str) -> ResponseReturnValue:
    """Render a stored credit note as PDF (through the sandboxed renderer)."""
    from clm.downstream.orders import get_credit_note, stored_credit_note_json
    from clm.pdf import html_to_pdf

    session = db.get_session()
    note = get_credit_note(session, number)
    contract = store.get_contract(session, note.contract_id)
    html = render_template("downstream/credit_note_pdf.html", note=stored_credit_note_json(note), contract=contract)
    return Response(html_to_pdf(html), mimetype="application/pdf",
                    headers={"Content-Disposition": f"attachment; filename={store.safe_filename(number + '.pdf')}"})


@bp.route("/finance/orders.csv")
@require("finance.read")
def orders_csv() -> ResponseReturnValue:
    """Every order, one row per line, shaped for an ERP import."""
    from clm.downstream.orders import erp_csv, erp_orders

    return Response(erp_csv(erp_orders(db.get_session())), mimetype="text/csv",
                    headers={"Content-Disposition": "attachment; filename=orders.csv"})


def downstream_panel(session: Any, contract: Any) -> reports.Panel:
    """Return the panel data for ``downstream/_contract_panel.html`` (for the contract page)."""
    return reports.downstream_panel(session, contract, settings=current_app.config)
