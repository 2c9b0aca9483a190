"""Pages for contracts and their versions: list, upload, version history, download."""

from __future__ import annotations

import io
import re
from typing import TYPE_CHECKING

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from markupsafe import Markup

from clm import access, db, jobs
from clm.access import current_principal, id_arg, require
from clm.errors import ClmError, Conflict, InvalidInput
from clm.versions import reading, store
from clm.versions.models import Contract, Version, VersionSource

if TYPE_CHECKING:
    from collections.abc import Iterable

    from flask.typing import ResponseReturnValue
    from werkzeug.datastructures import FileStorage

    from clm.documents import Tracked
    from clm.versions.diff import Redline

bp = Blueprint("versions", __name__, template_folder="templates", static_folder="static",
               static_url_path="/versions-static")


def read_file_field(field: str = "file") -> store.Upload:
    """Return the uploaded file of the request as an Upload; raise InvalidInput when missing."""
    storage: FileStorage | None = request.files.get(field)
    if storage is None or not storage.filename:
        raise InvalidInput("Choose a .docx, .pdf, .txt or .md file to upload.")
    return store.Upload(data=storage.read(), filename=storage.filename)


def upload_source() -> VersionSource:
    """Return who a new version came from (form field ``source``); raise InvalidInput otherwise."""
    raw = request.form.get("source") or "upload"
    if raw not in {"upload", "counterparty"}:
        raise InvalidInput(f"source must be \"upload\" or \"counterparty\", not {raw[:40]!r}.")
    return VersionSource(raw)


def _author() -> str:
    principal = current_principal()
    return principal.label if principal else "anonymous"


@bp.route("/")
@require("contracts.read")
def index() -> ResponseReturnValue:
    """List contracts, newest first."""
    before = id_arg("before")
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
            stored = reading.receive(
                s, upload, limits=store.limits_from_settings(current_app.config), author=_author(),
                title=request.form.get("title") or None, counterparty=request.form.get("counterparty") or None,
            )
    except ClmError as err:
        return render_template("contracts/new.html", error=str(err)), err.status
    if isinstance(stored, jobs.Job):
        reading.dispatch(current_app.config, stored.id)
        flash(f"Contract {stored.contract_id} created; its scanned PDF is being read (OCR) and becomes version 1 "
              "when done.")
        return redirect(url_for("contracts.show", contract_id=stored.contract_id))
    flash(f"Contract {stored.contract_id} created with version 1.")
    return redirect(url_for("contracts.show", contract_id=stored.contract_id))


@bp.route("/contracts/<int:contract_id>/versions", methods=["POST"])
@require("contracts.write")
def upload_version(contract_id: int) -> ResponseReturnValue:
    """Store an uploaded file as the contract's next version."""
    try:
        source = upload_source()
        upload = read_file_field()
        with db.transaction() as s:
            stored = reading.receive(s, upload, limits=store.limits_from_settings(current_app.config),
                                     author=_author(), contract_id=contract_id, source=source)
    except ClmError as err:
        flash(str(err), "error")
        return redirect(url_for("contracts.show", contract_id=contract_id, tab="versions", at="upload",
                                _anchor="upload")), 303
    if isinstance(stored, jobs.Job):
        reading.dispatch(current_app.config, stored.id)
        flash(f"{stored.filename} is a scanned PDF: it is being read (OCR), and becomes the next version when done.")
        return redirect(url_for("contracts.show", contract_id=contract_id, tab="versions", _anchor="reads"))
    flash(f"Version {stored.number} stored.")
    return redirect(url_for("contracts.show", contract_id=contract_id, tab="versions", at="upload", _anchor="upload"))


@bp.route("/contracts/<int:contract_id>/reads/<int:job_id>")
@require("contracts.read")
def read_status(contract_id: int, job_id: int) -> ResponseReturnValue:
    """Return how far the reading of a scanned PDF got, as JSON (the contract page polls it)."""
    session = db.get_session()
    status = reading.status_of(session, reading.get_read(session, job_id, contract_id), current_app.config)
    body = status.as_json()
    body["version_url"] = url_for("versions.show_version", contract_id=contract_id, number=status.version) \
        if status.version else None
    return jsonify(body)


def parse_spans(raw: str | None, limit: int) -> list[tuple[int, int]]:
    """Return the character spans of a ``highlight=120-180,300-320`` parameter, clipped to ``limit``."""
    spans = []
    for part in (raw or "").split(",")[:20]:
        start, _, end = part.partition("-")
        if start.isdigit() and end.isdigit() and int(start) < int(end):
            spans.append((min(int(start), limit), min(int(end), limit)))
    return sorted(spans)


@bp.route("/contracts/<int:contract_id>/versions/<int:number>")
@require("contracts.read")
def show_version(contract_id: int, number: int) -> ResponseReturnValue:
    """Show one version as its reader sees it (headings, numbers, tables), with evidence highlighted."""
    from clm.versions import document_view

    session = db.get_session()
    contract = store.get_contract(session, contract_id)
    version = store.get_version(session, contract_id, number)
    view = "reject" if request.args.get("view") == "reject" and version.revision_count else "accept"
    limits = store.limits_from_settings(current_app.config)
    document, images = store.document_and_images(version, limits, view=view)
    revisions = ()
    places: dict[str, str] = {}
    if version.revision_count:
        accepted = document if view == "accept" else store.document_of(version, limits)
        revisions = accepted.revisions
        places = {s.id: s.label for s in accepted.stories}
    spans = parse_spans(request.args.get("highlight"), len(document.text)) if view == "accept" else []
    authors = list(dict.fromkeys(r.author or "Unknown author" for r in revisions))
    pdf_pages = []
    if document.pages:
        from clm.versions.pdfread import page_marks

        marks = page_marks(document, spans)
        pdf_pages = [(p, marks.get(p.number, [])) for p in document.pages]
    return render_template("contracts/version.html", contract=contract, version=version, view=view,
                           revisions=revisions, places=places, authors=authors, pdf_pages=pdf_pages,
                           evidence_pages=[p.number for p, m in pdf_pages if m],
                           problems=document.problems if document.pages else (),
                           blocks=document_view.build(document, marks=spans, images=document_view.data_urls(images)))


@bp.route("/contracts/<int:contract_id>/versions/<int:number>/pages/<int:page>.png")
@require("contracts.read")
def page_image(contract_id: int, number: int, page: int) -> ResponseReturnValue:
    """Send page ``page`` of a PDF version as an image (the version view draws evidence on it)."""
    version = store.get_version(db.get_session(), contract_id, number)
    if version.document_version.blob.media_type != store.MEDIA_TYPES["pdf"]:
        raise Conflict(f"Version {number} is not a PDF; it has no pages to show.")
    try:
        png = store.page_image(version, page, store.limits_from_settings(current_app.config))
    except ClmError:
        png = None
    if png is None:
        abort(404)
    response = send_file(io.BytesIO(png), mimetype="image/png", etag=False)
    response.set_etag(f"{version.document_version.blob_sha256}-{page}")
    return response.make_conditional(request)


REDLINE_FORMATS = {
    "html": "text/html; charset=utf-8",
    "json": "application/json",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "pdf": "application/pdf",
}


def compare_numbers() -> tuple[int, int]:
    """Return the ``from`` and ``to`` version numbers of the request; raise InvalidInput if absent."""
    old = id_arg("from")
    new = id_arg("to")
    if old is None or new is None:
        raise InvalidInput("Give the two versions to compare as ?from=<number>&to=<number>.")
    return old, new


def render_redline(contract: Contract, old: Version, new: Version, redline: Redline, fmt: str) -> bytes:
    """Return the redline in ``fmt``; tracked changes are attributed to the new version's author."""
    from clm.versions import render

    title = f"{contract.title}: v{old.number} → v{new.number}"
    old_label, new_label = f"v{old.number} ({old.filename})", f"v{new.number} ({new.filename})"
    if fmt == "json":
        import json

        return json.dumps(render.to_json(redline), ensure_ascii=False).encode()
    if fmt == "html":
        return render.to_html(redline, title=title, old_label=old_label, new_label=new_label,
                              standalone=True).encode()
    if fmt == "pdf":
        return render.to_pdf(redline, title=title, old_label=old_label, new_label=new_label)
    if fmt == "docx":
        from clm.versions import docx_io

        source = new.document_version  # a signed version's document is the .docx that was signed
        base = source.blob.data if source.blob.media_type == store.MEDIA_TYPES["docx"] else None
        old_source = old.document_version
        old_base = old_source.blob.data if old_source.blob.media_type == store.MEDIA_TYPES["docx"] else None
        return docx_io.write_tracked(redline, base, author=new.author, date=new.created_at, old_docx=old_base)
    raise InvalidInput(f"Unknown redline format {fmt!r}; choose one of {', '.join(REDLINE_FORMATS)}.")


def redline_filename(contract: Contract, old: Version, new: Version, fmt: str) -> str:
    """Return the download name of a redline, e.g. ``Master Agreement v1-v3 redline.docx``."""
    return store.safe_filename(f"{contract.title} v{old.number}-v{new.number} redline.{fmt}")


#: The views of the compare page, one shown at a time: (key of ``?view=``, tab label, id of its section).
COMPARE_VIEWS = (("inline", "Inline", "rl-inline"), ("side", "Side by side", "rl-side"),
                 ("changes", "Changes", "rl-changes"))


@bp.route("/contracts/<int:contract_id>/compare")
@require("contracts.read")
def compare(contract_id: int) -> ResponseReturnValue:
    """Show the redline between two versions, or download it with ``format=docx|pdf``."""
    from clm.versions import render

    session = db.get_session()
    contract = store.get_contract(session, contract_id)
    old_number, new_number = compare_numbers()
    limits = store.limits_from_settings(current_app.config)
    old, new, redline = store.compare_versions(session, contract_id, old_number, new_number, limits)
    fmt = request.args.get("format", "page")
    if fmt != "page":
        data = render_redline(contract, old, new, redline, fmt)
        return send_file(io.BytesIO(data), mimetype=REDLINE_FORMATS[fmt], as_attachment=fmt in {"docx", "pdf"},
                         download_name=redline_filename(contract, old, new, fmt))
    fragment = render.to_html(redline, title=f"{contract.title}: v{old.number} → v{new.number}",
                              old_label=f"v{old.number} ({old.source.value})",
                              new_label=f"v{new.number} ({new.source.value})",
                              stylesheet_url=url_for("versions.static", filename="redline.css"),
                              script_url=url_for("versions.static", filename="redline.js"))
    view = request.args.get("view", "inline")
    if view not in {key for key, _, _ in COMPARE_VIEWS}:
        view = "inline"
    count = re.search(r'data-rl-changes="(\d+)"', fragment)
    return render_template("contracts/compare.html", contract=contract, old=old, new=new,
                           redline=redline, fragment=Markup(fragment), views=COMPARE_VIEWS, view=view,
                           change_count=int(count.group(1)) if count else 0,
                           change_authors=_authors([*redline.new.tracked,
                                                    *(t for st in redline.new.stories for t in st.tracked)]))


def _authors(tracked: Iterable[Tracked]) -> list[str]:
    """Return the authors of a file's own tracked changes, in order of first appearance."""
    return list(dict.fromkeys(t.author or "Unknown author" for t in tracked))


def may_download(version: Version) -> bool:
    """Return whether the caller may download ``version``'s file (see clm.access.version_data)."""
    data = access.version_data(version.source.value)
    return data is None or access.may_see(current_principal(), data)


@bp.app_context_processor
def _download_helper() -> dict[str, object]:
    return {"may_download": may_download}


@bp.route("/contracts/<int:contract_id>/versions/<int:number>/download")
@require("contracts.read")
def download(contract_id: int, number: int) -> ResponseReturnValue:
    """Send the version's file exactly as it was uploaded.

    A signed version's file is the sealed PDF (signers' emails and IP addresses): it needs what
    the envelope's own download needs (clm.access), whichever route asks for it.
    """
    version = store.get_version(db.get_session(), contract_id, number)
    if not may_download(version):
        abort(403)
    # send_file writes an RFC 6266 Content-Disposition with an ASCII fallback and filename*.
    return send_file(io.BytesIO(version.blob.data), mimetype=version.blob.media_type,
                     as_attachment=True, download_name=version.filename)
