"""Term decisions (confirm, correct, clear) and the terms export for finance."""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)

from clm import csvfile, db
from clm.access import current_principal, require
from clm.clauses import services
from clm.clauses.models import DecisionAction
from clm.errors import ClmError
from clm.values import fields
from clm.versions import store

if TYPE_CHECKING:
    from flask.typing import ResponseReturnValue
    from sqlalchemy.orm import Session

bp = Blueprint("clauses", __name__, template_folder="templates", static_folder="static",
               static_url_path="/clauses-static")


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
    except ClmError as err:           # first: a value that cannot be read is a ValueError too
        flash(str(err), "error")
    except ValueError:
        flash("Choose confirm, correct or clear.", "error")
    else:
        label = services.FIELDS_BY_NAME[field].label
        flash(f"{label} {action.value}.")
    # Back to the row of the term, where the page shows the message beside the form (clm.web.contracts).
    anchor = f"term-{field}"
    return redirect(url_for("contracts.show", contract_id=contract_id, tab="terms", at=anchor, _anchor=anchor)), 303


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
    anchor = f"clause-{digest[:12]}"
    return redirect(url_for("contracts.show", contract_id=contract_id, tab="clauses", at=anchor, _anchor=anchor)), 303


def term_rows(session: Session) -> Iterator[dict[str, Any]]:
    """Yield one row per contract: its confirmed terms, or the extracted value where none is confirmed."""
    from sqlalchemy import select

    from clm.versions.models import Contract

    last_id = None
    while True:
        # Keyset pages of 500 keep memory flat however many contracts there are; each page's
        # terms come in a handful of queries (services.term_values), not several per contract.
        query = (select(Contract.id, Contract.title, Contract.counterparty, Contract.status)
                 .order_by(Contract.id).limit(500))
        if last_id is not None:
            query = query.where(Contract.id > last_id)
        contracts = session.execute(query).all()
        if not contracts:
            return
        values = services.term_values(session, [c.id for c in contracts])
        for contract in contracts:
            number, terms = values.get(contract.id, (None, {}))
            row: dict[str, Any] = {"contract_id": contract.id, "title": contract.title,
                                   "counterparty": contract.counterparty or "", "status": contract.status.value,
                                   "version": number or ""}
            for field in services.TERM_FIELDS:
                if field.name in terms:
                    row[field.name], row[f"{field.name}_source"] = terms[field.name]
            yield row
        last_id = contracts[-1].id


#: Each term's value in our own form (ISO dates, P30BD) and its source; then, after them, the dates
#: and durations as people read them ("June 1, 2026", "30 business days").
CSV_COLUMNS = ["contract_id", "title", "counterparty", "status", "version"] + [
    column for field in services.TERM_FIELDS for column in (field.name, f"{field.name}_source")] + [
    f"{field.name}_formatted" for field in services.TERM_FIELDS if field.kind in fields.FORMATTED_KINDS]


def _cell(value: Any, field: str | None = None) -> str:
    if field in fields.FIELDS:
        text = fields.cell(field, value)
    elif isinstance(value, bool):
        text = "yes" if value else "no"
    elif isinstance(value, list):
        text = "; ".join(str(v) for v in value)
    else:
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
    factory = db.sessionmaker_for(current_app)
    locale = str(current_app.config.get("DATE_LOCALE") or "en-US")
    formatted = [f.name for f in services.TERM_FIELDS if f.kind in fields.FORMATTED_KINDS]

    def generate() -> Iterator[str]:
        # The response streams after the request's session is closed, so the generator has a
        # session of its own, closed when it finishes or the client goes away.
        with factory() as session:
            buffer = io.StringIO()
            writer = csvfile.DictWriter(buffer, CSV_COLUMNS, lineterminator="\r\n")
            writer.writeheader()
            for row in term_rows(session):
                cells = {k: _cell(v, k) for k, v in row.items()}
                cells.update({f"{name}_formatted": fields.format(name, row[name], locale)
                              for name in formatted if row.get(name) is not None})
                writer.writerow(cells)
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




# -- drafting from templates -------------------------------------------------------------------

#: Currencies offered in money fields; a default in another currency is added to the list.
CURRENCIES = ("USD", "EUR", "GBP", "CAD", "AUD", "CHF", "JPY")
#: Duration units offered, as the library's parser reads them after the number.
DURATION_UNITS = (("days", "days"), ("business days", "business days"), ("weeks", "weeks"),
                  ("months", "months"), ("years", "years"), ("hours", "hours"))
_UNIT_OF = {"day": "days", "business_day": "business days", "week": "weeks", "month": "months",
            "year": "years", "hour": "hours"}
_NAMED = re.compile(r"[Vv]ariable '([a-z][a-z0-9_]*)'")


def _library() -> Any:
    from clm.clauses.approvals import library_from_settings

    return library_from_settings(current_app.config)


def _default_value(variable: Any) -> Any:
    """Return a variable's default as the form shows it (money and durations as two parts)."""
    default = variable.default
    if default is None:
        return {"amount": "", "currency": "USD", "unit": "days"} if variable.type in {"money", "duration"} else ""
    if variable.type == "money":
        return {"amount": f"{default.amount:f}", "currency": default.currency}
    if variable.type == "duration":
        return {"amount": str(default.amount), "unit": _UNIT_OF[default.unit]}
    if variable.type == "boolean":
        return bool(default)
    if variable.type == "percentage":
        return f"{default.normalize():f}"
    return default.isoformat() if hasattr(default, "isoformat") else str(default)


def read_draft_form(form: Any, variables: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """Return (values for the library, what the form shows again) from a submitted draft form."""
    values: dict[str, Any] = {}
    shown: dict[str, Any] = {}
    for name, variable in variables.items():
        field = f"v.{name}"
        if variable.type == "boolean":
            values[name] = shown[name] = form.get(field) == "yes"
        elif variable.type in {"money", "duration"}:
            amount = form.get(f"{field}.amount", "").strip()
            second = "currency" if variable.type == "money" else "unit"
            other = form.get(f"{field}.{second}", "").strip()
            shown[name] = {"amount": amount, second: other}
            if amount:
                values[name] = f"{other} {amount}" if variable.type == "money" else f"{amount} {other}"
        else:
            text = form.get(field, "").strip()
            shown[name] = text
            if text:
                values[name] = text
    return values, shown


def field_errors(message: str, names: Any) -> tuple[dict[str, str], list[str]]:
    """Split the library's "; "-joined message into errors per variable and the rest."""
    per_field: dict[str, str] = {}
    general: list[str] = []
    for part in message.split("; "):
        found = _NAMED.search(part)
        if found and found.group(1) in names:
            per_field.setdefault(found.group(1), part)
        else:
            general.append(part)
    return per_field, general


def _clause_choices(template: Any, library: Any) -> list[dict[str, Any]]:
    seen: dict[str, dict[str, Any]] = {}
    for section in template.sections:
        if section.clause is None or section.clause in seen:
            continue
        clause = library.clause(section.clause)
        seen[section.clause] = {"key": clause.key, "title": clause.title, "template_position": section.position,
                                "positions": [{"name": p.name, "label": p.label if p.rank else "Standard",
                                               "rank": p.rank} for p in clause.positions]}
    return list(seen.values())


@bp.route("/draft")
@require("contracts.read")
def draft_index() -> ResponseReturnValue:
    """List the library's contract templates."""
    library = _library()
    return render_template("clauses/draft_index.html", templates=sorted(library.templates.values(),
                                                                         key=lambda t: t.title))


@bp.route("/draft/<template_key>", methods=["GET", "POST"])
@require("contracts.read")
def draft_form(template_key: str) -> ResponseReturnValue:
    """A form generated from the template's variables: preview the draft, or store it as a contract."""
    from clm.clauses.drafting import layout
    from clm.clauses.library import template_variables
    from clm.errors import InvalidInput

    library = _library()
    template = library.template(template_key)
    clauses = _clause_choices(template, library)
    keys = {c["key"] for c in clauses}
    errors: dict[str, str] = {}
    general: list[str] = []
    positions: dict[str, str] = {}
    if request.method == "POST":
        for key in keys:
            chosen = request.form.get(f"p.{key}", "").strip()
            if chosen:
                positions[key] = chosen
    try:
        variables = template_variables(template, library, positions)
    except InvalidInput as err:
        general.append(str(err))
        positions = {}
        variables = template_variables(template, library)
    if request.method == "GET":
        shown = {name: _default_value(v) for name, v in variables.items()}
        return render_template("clauses/draft_form.html", template=template, variables=variables, shown=shown,
                               clauses=clauses, positions=positions, errors=errors, general=general,
                               preview=None, counterparty="", currencies=CURRENCIES, units=DURATION_UNITS)
    values, shown = read_draft_form(request.form, variables)
    counterparty = request.form.get("counterparty", "").strip()
    preview = None
    creating = request.form.get("action") == "create"
    principal = current_principal()
    assert principal is not None  # require() let the request through
    if creating and not principal.can("contracts.write"):
        abort(403)
    if not general:
        # The library reports every missing and malformed value at once; each goes to its field.
        try:
            preview = layout(template, library, values, positions)
        except InvalidInput as err:
            errors, general = field_errors(str(err), variables)
    status = 200
    if errors or general:
        status = 422
    elif creating:
        try:
            with db.transaction() as s:
                version = services.draft_contract(s, template.key, values, positions, author=principal.label,
                                                  library=library, counterparty=counterparty or None,
                                                  limits=store.limits_from_settings(current_app.config))
                contract_id = version.contract_id
        except ClmError as err:
            general.append(str(err))
            status = err.status
        else:
            flash(f"Contract {contract_id} drafted from {template.title} and stored as version 1.")
            return redirect(url_for("contracts.show", contract_id=contract_id), 303)
    return render_template("clauses/draft_form.html", template=template, variables=variables, shown=shown,
                           clauses=clauses, positions=positions, errors=errors, general=general,
                           preview=preview, counterparty=counterparty, currencies=CURRENCIES,
                           units=DURATION_UNITS), status


# -- the library browser and editor ------------------------------------------------------------


@bp.route("/library")
@require("contracts.read")
def library_index() -> ResponseReturnValue:
    """Every clause type with its newest version."""
    entries = services.library_entries(db.get_session(), _library())
    return render_template("clauses/library_index.html", entries=entries)


@bp.route("/library/<key>")
@require("contracts.read")
def library_clause(key: str) -> ResponseReturnValue:
    """One clause type: standard text, fallbacks, variables, guidance and version history."""
    entry = services.library_entry(db.get_session(), _library(), key)
    row = entry.version(request.args.get("version", type=int))
    content = row.content if row is not None else entry.clause.content()
    return render_template("clauses/library_clause.html", entry=entry, row=row, content=content)


@bp.route("/library/<key>/versions/<int:number>.yaml")
@require("contracts.read")
def library_yaml(key: str, number: int) -> ResponseReturnValue:
    """A stored version as a clause_library/ file, to review and commit like code."""
    from clm.clauses.edits import clause_yaml

    entry = services.library_entry(db.get_session(), _library(), key)
    row = entry.version(number)
    return Response(clause_yaml(row.content, row.version), mimetype="text/yaml; charset=utf-8",
                    headers={"Content-Disposition": f"attachment; filename={key}.yaml"})


def _edit_from_form(form: Any, content: dict[str, Any]) -> Any:
    from clm.clauses.edits import ClauseEdit

    ranks = sorted(p["rank"] for p in content["positions"] if p["rank"])
    return ClauseEdit(
        standard=form.get("standard", ""),
        fallbacks=tuple((form.get(f"fallback_{r}.label", ""), form.get(f"fallback_{r}.rationale", ""),
                         form.get(f"fallback_{r}.text", "")) for r in ranks),
        overview=form.get("overview", ""),
        when_to_concede={f"fallback_{r}": " ".join(form.get(f"fallback_{r}.concede", "").split()) for r in ranks},
        red_flags=tuple(line.strip() for line in form.get("red_flags", "").splitlines() if line.strip()),
    )


def _edit_field(message: str) -> str | None:
    """Return the form field a loader message is about (standard, fallback_2 ...), if it names one."""
    lowered = message.lower()
    found = re.search(r"fallback[_ ](\d)", lowered)
    if found:
        return f"fallback_{found.group(1)}"
    if "standard text" in lowered or lowered.startswith("standard:"):
        return "standard"
    if "red_flags" in lowered or "overview" in lowered or "guidance" in lowered:
        return "guidance"
    return None


@bp.route("/library/<key>/edit", methods=["GET", "POST"])
@require("clauses.approve")
def library_edit(key: str) -> ResponseReturnValue:
    """Legal's editor: change the texts and guidance; saving stores the clause's next version."""
    from clm.clauses.edits import ClauseEdit

    library = _library()
    entry = services.library_entry(db.get_session(), library, key)
    content = entry.content
    error = None
    if request.method == "POST":
        edit = _edit_from_form(request.form, content)
        try:
            with db.transaction() as s:
                row, added = services.save_clause_edit(s, library, key, edit)
                number = row.version
        except ClmError as err:
            error = str(err)
            form = edit
        else:
            flash(f"Stored version {number} of {key}." if added else f"Nothing changed; version {number} kept.")
            return redirect(url_for("clauses.library_clause", key=key), 303)
    else:
        positions = sorted(content["positions"], key=lambda p: p["rank"])
        guidance = content["guidance"]
        form = ClauseEdit(positions[0]["text"], tuple((p["label"], p["rationale"], p["text"]) for p in positions[1:]),
                          guidance["overview"], dict(guidance["when_to_concede"]), tuple(guidance["red_flags"]))
    return render_template("clauses/library_edit.html", entry=entry, content=content, form=form, error=error,
                           error_field=_edit_field(error) if error else None), 422 if error else 200


# -- JSON for the API (clm.web.api routes to these) ----------------------------------------------
