"""Pages for contracts and their versions: list, upload, version history, download."""

from __future__ import annotations

import io
from typing import TYPE_CHECKING

from flask import Blueprint, current_app, flash, redirect, render_template, request, send_file, url_for

from clm import db
from clm.errors import ClmError, InvalidInput
from clm.versions import store
from clm.versions.models import VersionSource
from clm.web.auth import current_principal, require

if TYPE_CHECKING:
    from flask.typing import ResponseReturnValue
    from werkzeug.datastructures import FileStorage

bp = Blueprint("versions", __name__, template_folder="templates")


def read_file_field(field: str = "file") -> store.Upload:
    """Return the uploaded file of the request as an Upload; raise InvalidInput when missing."""
    storage: FileStorage | None = request.files.get(field)
    if storage is None or not storage.filename:
        raise InvalidInput("Choose a .docx, .txt or .md file to upload.")
    return store.Upload(data=storage.read(), filename=storage.filename)


def _author() -> str:
    principal = current_principal()
    return principal.label if principal else "anonymous"


@bp.route("/")
@require("contracts.read")
def index() -> ResponseReturnValue:
    """List contracts, newest first."""
    before = request.args.get("before", type=int)
    contracts = store.list_contracts(db.get_session(), before=before, limit=50)
    next_before = contracts[-1].id if len(contracts) == 50 else None
    return render_template("contracts/index.html", contracts=contracts, next_before=next_before)


@bp.route("/contracts/new", methods=["GET", "POST"])
@require("contracts.write")
def new() -> ResponseReturnValue:
    """Upload a file as a new contract."""
    if request.method == "GET":
        return render_template("contracts/new.html", error=None)
    try:
        upload = read_file_field()
        with db.transaction() as s:
            version = store.import_file(
                s, upload, limits=store.limits_from_settings(current_app.config), author=_author(),
                title=request.form.get("title") or None, counterparty=request.form.get("counterparty") or None,
            )
    except ClmError as err:
        return render_template("contracts/new.html", error=str(err)), err.status
    flash(f"Contract {version.contract_id} created with version 1.")
    return redirect(url_for("versions.show", contract_id=version.contract_id))


@bp.route("/contracts/<int:contract_id>")
@require("contracts.read")
def show(contract_id: int) -> ResponseReturnValue:
    """Show a contract and its versions."""
    contract = store.get_contract(db.get_session(), contract_id)
    return render_template("contracts/show.html", contract=contract, error=None)


@bp.route("/contracts/<int:contract_id>/versions", methods=["POST"])
@require("contracts.write")
def upload_version(contract_id: int) -> ResponseReturnValue:
    """Store an uploaded file as the contract's next version."""
    source = VersionSource.COUNTERPARTY if request.form.get("source") == "counterparty" else VersionSource.UPLOAD
    try:
        upload = read_file_field()
        with db.transaction() as s:
            version = store.import_file(s, upload, limits=store.limits_from_settings(current_app.config),
                                        author=_author(), contract_id=contract_id, source=source)
    except ClmError as err:
        contract = store.get_contract(db.get_session(), contract_id)
        return render_template("contracts/show.html", contract=contract, error=str(err)), err.status
    flash(f"Version {version.number} stored.")
    return redirect(url_for("versions.show", contract_id=contract_id))


@bp.route("/contracts/<int:contract_id>/versions/<int:number>")
@require("contracts.read")
def show_version(contract_id: int, number: int) -> ResponseReturnValue:
    """Show the text of one version, paragraph by paragraph."""
    session = db.get_session()
    contract = store.get_contract(session, contract_id)
    version = store.get_version(session, contract_id, number)
    return render_template("contracts/version.html", contract=contract, version=version,
                           paragraphs=version.text.split("\n"))


@bp.route("/contracts/<int:contract_id>/versions/<int:number>/download")
@require("contracts.read")
def download(contract_id: int, number: int) -> ResponseReturnValue:
    """Send the version's file exactly as it was uploaded."""
    version = store.get_version(db.get_session(), contract_id, number)
    # send_file writes an RFC 6266 Content-Disposition with an ASCII fallback and filename*.
    return send_file(io.BytesIO(version.blob.data), mimetype=version.blob.media_type,
                     as_attachment=True, download_name=version.filename)
