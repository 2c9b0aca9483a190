"""Term decisions (confirm, correct, clear) and the terms export for finance."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from flask import Blueprint, Response, current_app, flash, redirect, request, url_for

from clm import db
from clm.clauses import services
from clm.clauses.models import DecisionAction
from clm.errors import ClmError
from clm.versions import store
from clm.web.auth import current_principal, require

if TYPE_CHECKING:
    from flask.typing import ResponseReturnValue
    from sqlalchemy.orm import Session

bp = Blueprint("clauses", __name__)


@bp.route("/contracts/<int:contract_id>/terms/<field>", methods=["POST"])
@require("terms.decide")
def decide(contract_id: int, field: str) -> ResponseReturnValue:
    """Confirm, correct or clear one term of the contract's latest version."""
    principal = current_principal()
    assert principal is not None  # require() let the request through
    try:
        action = DecisionAction(request.form.get("action", ""))
        value = (services.parse_correction(field, request.form.get("value", ""))
                 if action is DecisionAction.CORRECTED else None)
        with db.transaction() as s:
            contract = store.get_contract(s, contract_id)
            services.decide(s, contract, field, action=action, value=value, by=principal.label,
                            comment=request.form.get("comment", ""))
    except ValueError:
        flash("Choose confirm, correct or clear.", "error")
    except ClmError as err:
        flash(str(err), "error")
    else:
        label = services.FIELDS_BY_NAME[field].label
        flash(f"{label} {action.value}.")
    return redirect(url_for("contracts.show", contract_id=contract_id, _anchor="terms")), 303


@bp.route("/contracts/<int:contract_id>/clauses/<digest>", methods=["POST"])
@require("clauses.approve")
def approve(contract_id: int, digest: str) -> ResponseReturnValue:
    """Approve or reject one deviating clause of the latest version."""
    from clm.clauses import approvals
    from clm.clauses.models import ApprovalDecision

    principal = current_principal()
    assert principal is not None  # require() let the request through
    settings = current_app.config
    try:
        decision = ApprovalDecision(request.form.get("decision", ""))
        with db.transaction() as s:
            contract = store.get_contract(s, contract_id)
            approvals.decide(s, contract, digest, decision=decision, by=principal.label,
                             comment=request.form.get("comment", ""),
                             library=approvals.library_from_settings(settings),
                             limits=store.limits_from_settings(settings),
                             fallback_level=int(settings["APPROVAL_FALLBACK_LEVEL"]))
    except ValueError:
        flash("Choose approve or reject.", "error")
    except ClmError as err:
        flash(str(err), "error")
    else:
        flash(f"Clause {decision.value}.")
    return redirect(url_for("contracts.show", contract_id=contract_id, _anchor="clauses")), 303


def term_rows(session: Session) -> Iterator[dict[str, Any]]:
    """Yield one row per contract: its confirmed terms, or the extracted value where none is confirmed."""
    from sqlalchemy import select

    from clm.versions.models import Contract

    last_id = None
    while True:
        # Keyset pages of 200 keep memory flat however many contracts there are.
        query = select(Contract).order_by(Contract.id).limit(200)
        if last_id is not None:
            query = query.where(Contract.id > last_id)
        contracts = list(session.scalars(query))
        if not contracts:
            return
        for contract in contracts:
            panel = services.terms_panel(session, contract)
            row: dict[str, Any] = {"contract_id": contract.id, "title": contract.title,
                                   "counterparty": contract.counterparty or "", "status": contract.status.value,
                                   "version": panel.version.number if panel.version else ""}
            for term in panel.rows:
                if term.decision is not None and term.decision.action is not DecisionAction.CLEARED:
                    row[term.field.name], source = term.decision.value, "confirmed"
                elif term.extracted is not None and term.decision is None:
                    row[term.field.name], source = term.extracted.value, "extracted"
                else:
                    continue
                row[f"{term.field.name}_source"] = source
            yield row
        last_id = contracts[-1].id


CSV_COLUMNS = ["contract_id", "title", "counterparty", "status", "version"] + [
    column for field in services.TERM_FIELDS for column in (field.name, f"{field.name}_source")]


def _cell(value: Any) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list):
        return "; ".join(str(v) for v in value)
    text = "" if value is None else str(value)
    # A cell starting with = + - @ is a formula in a spreadsheet; quote it (CSV injection).
    return "'" + text if text[:1] in {"=", "+", "-", "@"} and not _is_number(text) else text


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def terms_csv_response() -> Response:
    """Return all contracts' terms as a streamed CSV download."""
    session = db.get_session()

    def generate() -> Iterator[str]:
        buffer = io.StringIO()
        writer = csv.DictWriter(buffer, fieldnames=CSV_COLUMNS, extrasaction="ignore")
        writer.writeheader()
        for row in term_rows(session):
            writer.writerow({k: _cell(v) for k, v in row.items()})
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
        yield buffer.getvalue()

    return Response(generate(), mimetype="text/csv",
                    headers={"Content-Disposition": "attachment; filename=contract-terms.csv"})


@bp.route("/terms.csv")
@require("contracts.read")
def terms_csv() -> ResponseReturnValue:
    """Download every contract's terms as CSV (for finance)."""
    return terms_csv_response()


