"""Term decisions (confirm, correct, clear) and the terms export for finance."""

from __future__ import annotations

import csv
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

from clm import db
from clm.clauses import services
from clm.clauses.models import DecisionAction
from clm.errors import ClmError
from clm.versions import store
from clm.web.auth import current_principal, require

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
    factory = db.sessionmaker_for(current_app)

    def generate() -> Iterator[str]:
        # The response streams after the request's session is closed, so the generator has a
        # session of its own, closed when it finishes or the client goes away.
        with factory() as session:
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
                contract_id, version_id = version.contract_id, version.id
        except ClmError as err:
            general.append(str(err))
            status = err.status
        else:
            from clm import jobs

            jobs.after_new_version(current_app.config, version_id)
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


def _shown_version(entry: services.LibraryEntry, number: int | None) -> Any:
    if number is None:
        return entry.latest
    row = next((v for v in entry.versions if v.version == number), None)
    if row is None:
        from clm.errors import NotFound

        raise NotFound(f"Clause type '{entry.key}' has no stored version {number}.")
    return row


@bp.route("/library/<key>")
@require("contracts.read")
def library_clause(key: str) -> ResponseReturnValue:
    """One clause type: standard text, fallbacks, variables, guidance and version history."""
    entry = services.library_entry(db.get_session(), _library(), key)
    row = _shown_version(entry, request.args.get("version", type=int))
    content = row.content if row is not None else entry.clause.content()
    return render_template("clauses/library_clause.html", entry=entry, row=row, content=content)


@bp.route("/library/<key>/versions/<int:number>.yaml")
@require("contracts.read")
def library_yaml(key: str, number: int) -> ResponseReturnValue:
    """A stored version as a clause_library/ file, to review and commit like code."""
    from clm.clauses.edits import clause_yaml

    entry = services.library_entry(db.get_session(), _library(), key)
    row = _shown_version(entry, number)
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


def library_summary_json(entry: services.LibraryEntry) -> dict[str, Any]:
    """Return a clause type with its latest stored version, for the library listing."""
    content = entry.content
    latest, in_effect = entry.latest, entry.in_effect
    return {
        "key": entry.key, "title": content["title"], "category": content["category"],
        "version": latest.version if latest else None,
        "in_effect_version": in_effect.version if in_effect else None,
        "library_file_version": entry.clause.version if entry.clause is not None else None,
        "edited_in_clm": entry.edited, "fallbacks": len(content["positions"]) - 1,
        "url": url_for("api.library_clause", key=entry.key),
    }


def library_clause_json(entry: services.LibraryEntry, number: int | None) -> dict[str, Any]:
    """Return one clause type: the content of a stored version (default the latest) and the history."""
    row = _shown_version(entry, number)
    data = library_summary_json(entry)
    data["shown_version"] = row.version if row is not None else None
    data["content"] = row.content if row is not None else entry.clause.content()
    data["content_hash"] = row.content_hash if row is not None else entry.clause.content_hash
    data["versions"] = [{"version": v.version, "title": v.title, "content_hash": v.content_hash,
                         "created_at": v.created_at.isoformat(),
                         "in_effect": entry.in_effect is not None and v.id == entry.in_effect.id}
                        for v in entry.versions]
    return data


def approval_json(approval: Any) -> dict[str, Any]:
    """Return legal's decision on a clause."""
    return {"decision": approval.decision.value, "clause_hash": approval.clause_hash,
            "clause_type": approval.clause_type, "comment": approval.comment, "by": approval.decided_by,
            "at": approval.decided_at.isoformat(), "version_id": approval.version_id}


def review_json(review: Any, contract: Any) -> dict[str, Any]:
    """Return the clause review of a contract's latest version."""
    clauses = []
    for row in review.rows:
        analyzed, match = row.analyzed, row.analyzed.match
        clauses.append({
            "clause_type": analyzed.clause_type, "title": row.title, "heading": analyzed.clause.heading,
            "status": row.status, "position_rank": match.position_rank if match else None,
            "nearest_position": match.nearest_position if match else None,
            "similarity": round(match.similarity, 4) if match else None,
            "start": analyzed.clause.start, "end": analyzed.end or analyzed.clause.end,
            "clause_hash": row.hash, "needs_approval": row.needs_approval, "pending": row.pending,
            "ops": [list(op) for op in match.ops] if match else [],
            "approval": approval_json(row.decision) if row.decision is not None else None,
        })
    return {"contract_id": contract.id, "version": review.version.number if review.version else None,
            "pending": len(review.pending), "clauses": clauses,
            "missing": [{"clause_type": m.clause_type, "title": m.title, "clause_hash": m.hash, "pending": m.pending,
                         "approval": approval_json(m.decision) if m.decision is not None else None}
                        for m in review.missing]}


# Path parameters are all named {id} in this document (tests/web/test_api.py checks the routes that way).
_KEY_PARAM = {"name": "id", "in": "path", "required": True, "schema": {"type": "string"},
              "description": "Clause type key, e.g. governing_law"}
_ID_PARAM = {"name": "id", "in": "path", "required": True, "schema": {"type": "integer"}}


def _errors(*codes: int) -> dict[str, Any]:
    return {str(code): {"$ref": f"#/components/responses/E{code}"} for code in codes}


#: The clause library and clause review endpoints, merged into clm.web.api's OpenAPI document.
OPENAPI_PATHS: dict[str, Any] = {
    "/library": {"get": {
        "summary": "Every clause type with its latest stored version",
        "description": "Drafting and matching read the clause_library/ files; `in_effect_version` is the "
                       "stored version with the files' content, `version` the newest (an edit in clm may "
                       "be newer than the files).",
        "responses": {"200": {"description": "Clause types", "content": {"application/json": {"schema": {
            "type": "object", "properties": {"clauses": {"type": "array", "items": {
                "$ref": "#/components/schemas/LibraryClauseSummary"}}}}}}}, **_errors(401, 403)}}},
    "/library/{id}": {"get": {
        "summary": "One clause type: a stored version's texts, fallbacks, variables, guidance; the history",
        "parameters": [_KEY_PARAM, {"name": "version", "in": "query", "schema": {"type": "integer"},
                                    "description": "A stored version (default the latest)"}],
        "responses": {"200": {"description": "The clause type", "content": {"application/json": {"schema": {
            "$ref": "#/components/schemas/LibraryClause"}}}}, **_errors(401, 403, 404)}}},
    "/contracts/{id}/clauses": {"get": {
        "summary": "The clause review of the latest version: type, library position, redline, approval",
        "parameters": [_ID_PARAM],
        "responses": {"200": {"description": "The review", "content": {"application/json": {"schema": {
            "$ref": "#/components/schemas/ClauseReview"}}}}, **_errors(401, 403, 404)}}},
    "/contracts/{id}/approvals": {"post": {
        "summary": "Approve or reject a deviating clause of the latest version (legal, admin)",
        "parameters": [_ID_PARAM],
        "requestBody": {"required": True, "content": {"application/json": {"schema": {
            "type": "object", "required": ["clause_hash", "decision"], "properties": {
                "clause_hash": {"type": "string", "description": "From GET /contracts/{id}/clauses"},
                "decision": {"type": "string", "enum": ["approved", "rejected"]},
                "comment": {"type": "string", "description": "Required when rejecting"}}}}}},
        "responses": {"201": {"description": "Recorded", "content": {"application/json": {"schema": {
            "$ref": "#/components/schemas/ClauseApproval"}}}}, **_errors(400, 401, 403, 404, 409, 422)}}},
}

#: Schemas for OPENAPI_PATHS.
OPENAPI_SCHEMAS: dict[str, Any] = {
    "LibraryClauseSummary": {"type": "object", "properties": {
        "key": {"type": "string"}, "title": {"type": "string"}, "category": {"type": "string"},
        "version": {"type": ["integer", "null"], "description": "Newest stored version"},
        "in_effect_version": {"type": ["integer", "null"],
                              "description": "Stored version whose content equals clause_library/"},
        "library_file_version": {"type": ["integer", "null"], "description": "`version:` in the YAML file"},
        "edited_in_clm": {"type": "boolean"}, "fallbacks": {"type": "integer"}, "url": {"type": "string"}}},
    "LibraryClause": {"allOf": [{"$ref": "#/components/schemas/LibraryClauseSummary"}, {
        "type": "object", "properties": {
            "shown_version": {"type": ["integer", "null"]}, "content_hash": {"type": "string"},
            "content": {"type": "object", "description": "key, title, category, positions [{rank, label, "
                                                         "text, rationale}], variables, guidance, match_hints"},
            "versions": {"type": "array", "items": {"type": "object", "properties": {
                "version": {"type": "integer"}, "title": {"type": "string"}, "content_hash": {"type": "string"},
                "created_at": {"type": "string", "format": "date-time"}, "in_effect": {"type": "boolean"}}}}}}]},
    "ClauseApproval": {"type": "object", "properties": {
        "decision": {"type": "string", "enum": ["approved", "rejected"]}, "clause_hash": {"type": "string"},
        "clause_type": {"type": "string"}, "comment": {"type": "string"}, "by": {"type": "string"},
        "at": {"type": "string", "format": "date-time"}, "version_id": {"type": "integer"}}},
    "ClauseReview": {"type": "object", "properties": {
        "contract_id": {"type": "integer"}, "version": {"type": ["integer", "null"]},
        "pending": {"type": "integer", "description": "Deviations still waiting for approval"},
        "missing": {"type": "array", "items": {"type": "string"}},
        "clauses": {"type": "array", "items": {"type": "object", "properties": {
            "clause_type": {"type": ["string", "null"]}, "title": {"type": ["string", "null"]},
            "heading": {"type": ["string", "null"]},
            "status": {"type": "string", "description": "standard, fallback N, nonstandard or unclassified"},
            "position_rank": {"type": ["integer", "null"]}, "nearest_position": {"type": ["integer", "null"]},
            "similarity": {"type": ["number", "null"]}, "start": {"type": "integer"}, "end": {"type": "integer"},
            "clause_hash": {"type": "string"}, "needs_approval": {"type": "boolean"}, "pending": {"type": "boolean"},
            "ops": {"type": "array", "description": "Redline from the nearest library position to the clause: "
                                                    "equal+delete spell the library text, equal+insert the clause",
                    "items": {"type": "array", "prefixItems": [
                        {"type": "string", "enum": ["equal", "insert", "delete"]}, {"type": "string"}]}},
            "approval": {"oneOf": [{"$ref": "#/components/schemas/ClauseApproval"}, {"type": "null"}]}}}}}},
}
