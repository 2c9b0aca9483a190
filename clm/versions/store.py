"""Version store services: content-addressed blobs, contracts, and their immutable versions."""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import threading
import unicodedata
from collections import OrderedDict
from dataclasses import dataclass
from typing import TYPE_CHECKING, Generic, TypeVar

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from clm import events
from clm.errors import Conflict, InvalidInput, NotFound
from clm.versions.models import Blob, Contract, ContractStatus, Version, VersionSource

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from clm.documents import Document
    from clm.versions.diff import Redline
    from clm.versions.intake import Limits

MEDIA_TYPES = {
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "txt": "text/plain; charset=utf-8",
    "md": "text/markdown; charset=utf-8",
    "pdf": "application/pdf",
}
_TITLE_MAX_CHARS = 120
K = TypeVar("K")
V = TypeVar("V")


@dataclass(frozen=True)
class Upload:
    """A file as it arrived: its bytes and the name the sender gave it (untrusted)."""

    data: bytes
    filename: str

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.data).hexdigest()


def safe_filename(name: str) -> str:
    """Return ``name`` reduced to a harmless base name: no directories, controls or odd marks.

    Letters of any script survive (a Japanese or accented file name round-trips); path
    separators, control characters, quotes and leading dots do not.
    """
    name = unicodedata.normalize("NFC", name or "")
    name = re.split(r"[\\/]", name)[-1]
    name = "".join(ch for ch in name if unicodedata.category(ch)[0] not in {"C"} and ch not in '"<>:|?*;')
    name = name.strip().lstrip(".").strip()
    if len(name) > 200:
        stem, dot, ext = name.rpartition(".")
        name = (stem[: 190] + dot + ext[:9]) if dot else name[:200]
    return name or "document"


def _extension(filename: str) -> str:
    return filename.rpartition(".")[2].lower() if "." in filename else ""


def title_from(document: Document, filename: str) -> str:
    """Return the title a contract gets from its first file: its first short line, else its name."""
    for paragraph in document.paragraphs:
        text = " ".join(paragraph.text.split())
        if text:
            if len(text) <= _TITLE_MAX_CHARS and len(text.split()) <= 15:
                return text
            break
    stem = filename.rpartition(".")[0] or filename
    return stem.replace("_", " ").strip() or "Untitled contract"


def _layout(document: Document) -> dict[str, object] | None:
    """Return a PDF Document's page layout as stored on its version (None for other files)."""
    if not document.pages:
        return None
    from clm.versions.pdfread import layout_json

    return layout_json(document)


def _stored_pdf(version: Version) -> Document | None:
    """Return the Document of a PDF version from its stored text and page layout (no re-read,
    no OCR), or None when the version has no stored layout."""
    if version.page_layout is None:
        return None
    from clm.versions.pdfread import from_layout

    return from_layout(version.text, version.page_layout)


def read_upload(upload: Upload, limits: Limits, view: str = "accept") -> Document:
    """Return the parsed Document of ``upload``; raise a ClmError a user can act on otherwise."""
    from clm.versions import intake

    return intake.read_upload(upload.data, upload.filename, limits, view)


# -- services ----------------------------------------------------------------------------------


def put_blob(session: Session, data: bytes, media_type: str) -> Blob:
    """Return the blob holding ``data``, storing it only if no blob has these bytes yet.

    The bytes go to the store ``CLM_BLOB_STORE`` names (the database by default).
    """
    from clm.versions import blobs

    sha = hashlib.sha256(data).hexdigest()
    blob = session.get(Blob, sha)
    if blob is None:
        # The configured store keeps the bytes first (a file store writes and renames its file;
        # if this transaction then rolls back, the file is an unused copy a rerun will reuse).
        store = blobs.current()
        blob = Blob(sha256=sha, size=len(data), media_type=media_type, location=store.location,
                    stored_data=store.put(sha, data))
        session.add(blob)
    return blob


def get_contract(session: Session, contract_id: int) -> Contract:
    """Return the contract ``contract_id``; raise NotFound when there is none."""
    contract = session.get(Contract, contract_id)
    if contract is None:
        raise NotFound(f"Contract {contract_id} does not exist.")
    return contract


def get_version(session: Session, contract_id: int, number: int) -> Version:
    """Return version ``number`` of contract ``contract_id``; raise NotFound otherwise."""
    version = session.scalar(
        select(Version).where(Version.contract_id == contract_id, Version.number == number)
    )
    if version is None:
        raise NotFound(f"Contract {contract_id} has no version {number}.")
    return version


def list_contracts(session: Session, *, before: int | None = None, limit: int = 50) -> list[Contract]:
    """Return up to ``limit`` contracts, newest first, older than id ``before`` (keyset paging)."""
    query = select(Contract).order_by(Contract.id.desc()).limit(max(1, min(limit, 200)))
    if before is not None:
        query = query.where(Contract.id < before)
    return list(session.scalars(query))


def create_contract(session: Session, *, title: str, counterparty: str | None, author: str) -> Contract:
    """Create an empty contract in draft."""
    title = " ".join(title.split())
    if not title:
        raise InvalidInput("A contract needs a title.")
    if len(title) > 300:
        raise InvalidInput("The title is longer than 300 characters.")
    counterparty = " ".join((counterparty or "").split()) or None
    if counterparty is not None and len(counterparty) > 300:
        raise InvalidInput("The counterparty's name is longer than 300 characters.")
    contract = Contract(title=title, counterparty=counterparty,
                        status=ContractStatus.DRAFT, created_by=author)
    session.add(contract)
    session.flush()
    return contract


def refuse_same_file(contract: Contract, sha256: str) -> None:
    """Raise Conflict when a file with these bytes is already one of the contract's versions."""
    same = next((v for v in contract.versions if v.blob_sha256 == sha256), None)
    if same is not None:
        raise Conflict(f"This file is identical to version {same.number} of contract "
                       f"{contract.id}; nothing was stored.")


def add_version(session: Session, contract: Contract, upload: Upload, document: Document, *,
                source: VersionSource, author: str) -> Version:
    """Store ``upload`` as the next version of ``contract``.

    Raise Conflict when the bytes are identical to one of the contract's versions: the
    re-upload is reported and nothing is stored, not even a second copy of the blob.
    """
    sha = upload.sha256
    refuse_same_file(contract, sha)
    filename = safe_filename(upload.filename)
    from clm.versions.intake import is_pdf

    media_type = MEDIA_TYPES["pdf"] if is_pdf(upload.data) else \
        MEDIA_TYPES.get(_extension(filename), "application/octet-stream")
    blob = put_blob(session, upload.data, media_type)
    number = (session.scalar(select(func.max(Version.number)).where(Version.contract_id == contract.id)) or 0) + 1
    text = document.text
    version = Version(
        contract=contract, number=number, blob=blob, filename=filename, source=source,
        author=author, text=text, paragraph_count=len(document.paragraphs),
        word_count=len(text.split()), revision_count=len(document.revisions),
        has_hidden_text=bool(document.has_hidden_text),
        ocr_pages=document.ocr_pages or None, ocr_confidence=document.ocr_confidence,
        page_layout=_layout(document),
    )
    session.add(version)
    try:
        session.flush()
    except IntegrityError:
        # Two uploads raced for the same number; the unique constraint kept the chain intact.
        raise Conflict("Another version of this contract was stored at the same moment; "
                       "upload again.") from None
    publish_stored(session, version)
    return version


#: The event every stored version publishes (term extraction subscribes to it).
VERSION_STORED = "version.stored"


def publish_stored(session: Session, version: Version) -> None:
    """Publish ``version.stored`` for ``version`` in the caller's transaction."""
    events.publish(session, VERSION_STORED, f"version-{version.id}", {
        "version_id": version.id, "contract_id": version.contract_id, "number": version.number,
        "source": version.source.value})


def import_file(session: Session, upload: Upload, *, limits: Limits, author: str,
                contract_id: int | None = None, title: str | None = None,
                counterparty: str | None = None,
                source: VersionSource = VersionSource.UPLOAD) -> Version:
    """Read ``upload`` and store it as a new contract, or as the next version of ``contract_id``.

    The file is read completely before anything is added to the session, so a bad file
    leaves no contract, version or blob behind.
    """
    contract = get_contract(session, contract_id) if contract_id is not None else None
    document = read_upload(upload, limits)
    return store_document(session, upload, document, contract=contract, author=author, title=title,
                          counterparty=counterparty, source=source)


def store_document(session: Session, upload: Upload, document: Document, *, contract: Contract | None,
                   author: str, title: str | None = None, counterparty: str | None = None,
                   source: VersionSource = VersionSource.UPLOAD) -> Version:
    """Store a read ``upload`` as a new contract (``contract`` None), or as ``contract``'s next version.

    What every upload path stores through once the file is read: the form and the API in their
    request, ``clm import``, and the background read of a scanned PDF
    (:mod:`clm.versions.reading`). One transaction: the version and its ``version.stored`` event.
    """
    if contract is None:
        contract = create_contract(session, title=title or title_from(document, upload.filename),
                                   counterparty=counterparty, author=author)
    return add_version(session, contract, upload, document, source=source, author=author)


def title_from_filename(filename: str) -> str:
    """Return the title a contract gets from a file's name alone (before its text is read)."""
    stem = filename.rpartition(".")[0] or filename
    return " ".join(stem.replace("_", " ").split()) or "Untitled contract"


def limits_from_settings(settings: dict[str, object]) -> Limits:
    """Return the upload limits configured in ``settings`` (``MAX_UPLOAD_BYTES`` ...)."""
    from clm.versions.intake import Limits

    defaults = Limits()
    return Limits(max_upload_bytes=int(settings["MAX_UPLOAD_BYTES"]),  # type: ignore[call-overload]
                  parse_timeout_seconds=float(settings["PARSE_TIMEOUT_SECONDS"]),  # type: ignore[arg-type]
                  max_pdf_bytes=int(settings.get("MAX_PDF_UPLOAD_BYTES", defaults.max_pdf_bytes)),  # type: ignore[call-overload]
                  pdf_timeout_seconds=float(settings.get("PDF_PARSE_TIMEOUT_SECONDS",  # type: ignore[arg-type]
                                                         defaults.pdf_timeout_seconds)))


def document_of(version: Version, limits: Limits, view: str = "accept") -> Document:
    """Return the Document of a stored version, read through the same checks as an upload.

    ``view="reject"`` reads a .docx with its tracked changes rejected (the text before the
    sender's changes); the stored text is always the accept-all view. A signed version's
    document is the one that was signed (:attr:`Version.document_version`), not its sealed PDF.
    """
    source = version.document_version
    stored = _stored_pdf(source)
    if stored is not None:
        return stored
    return read_upload(Upload(data=source.blob.data, filename=source.filename), limits, view)


class _Recent(Generic[K, V]):
    """The ``size`` most recently used values by key, safe to share between request threads."""

    def __init__(self, size: int) -> None:
        self._items: OrderedDict[K, V] = OrderedDict()
        self._size = size
        self._lock = threading.Lock()

    def get(self, key: K) -> V | None:
        with self._lock:
            found = self._items.get(key)
            if found is not None:
                self._items.move_to_end(key)
            return found

    def put(self, key: K, value: V) -> V:
        with self._lock:
            self._items[key] = value
            self._items.move_to_end(key)
            while len(self._items) > self._size:
                self._items.popitem(last=False)
        return value

    def clear(self) -> None:
        with self._lock:
            self._items.clear()


#: Documents read for display, by (blob SHA-256, view): blobs never change, so neither does their
#: reading. A page view reads the cached Document instead of parsing the file again (in a capped
#: child, ~0.1-0.4 s for a 30-page contract).
_READ_CACHE: _Recent[tuple[str, str], tuple[Document, dict[str, tuple[str, bytes]]]] = _Recent(16)


def document_and_images(version: Version, limits: Limits,
                        view: str = "accept") -> tuple[Document, dict[str, tuple[str, bytes]]]:
    """Return the Document of a stored version and its inline images ((media type, bytes) by digest).

    The images are what :func:`clm.versions.document_view.build` shows in place; a text version
    has none. Readings are cached by the file's SHA-256 (a few, most recent first).
    """
    from clm.versions.document_view import image_parts

    source = version.document_version
    key = (source.blob_sha256, view)
    found = _READ_CACHE.get(key)
    if found is not None:
        return found
    stored = _stored_pdf(source)
    data = source.blob.data if stored is None else b""
    document = stored or read_upload(Upload(data=data, filename=source.filename), limits, view)
    return _READ_CACHE.put(key, (document, image_parts(data) if data[:2] == b"PK" else {}))


#: Rendered PDF pages (PNG) by (blob SHA-256, page): blobs never change, so neither do their pages.
_PAGE_CACHE: _Recent[tuple[str, int], bytes] = _Recent(64)


def page_image(version: Version, page: int, limits: Limits) -> bytes | None:
    """Return page ``page`` of a PDF version's document as a PNG, or None when its document is
    not a PDF or has no such page. Rendered in a capped child, cached by the file's SHA-256."""
    from clm.versions.intake import is_pdf, render_pdf_page

    source = version.document_version
    key = (source.blob_sha256, page)
    found = _PAGE_CACHE.get(key)
    if found is not None:
        return found
    document, _images = document_and_images(version, limits)
    if not 1 <= page <= len(document.pages):
        return None
    data = source.blob.data
    if not is_pdf(data):
        return None
    return _PAGE_CACHE.put(key, render_pdf_page(data, page, limits))


def add_signed_version(session: Session, contract: Contract, sent: Version, pdf: bytes, *, filename: str,
                       author: str, created_at: dt.datetime) -> Version:
    """Store the sealed PDF of ``sent`` as the contract's signed version, the next after ``sent``.

    The signed version carries the sent version's text (what was signed); its file is the sealed
    PDF. Raise Conflict when ``sent`` is no longer the contract's latest version, since then the
    signed version would not follow the version it carries.
    """
    latest = session.scalar(select(func.max(Version.number)).where(Version.contract_id == contract.id))
    if latest != sent.number:
        raise Conflict(f"Contract {contract.id} has a newer version than version {sent.number}, which was signed.")
    blob = put_blob(session, pdf, "application/pdf")
    signed = Version(contract_id=contract.id, number=sent.number + 1, blob_sha256=blob.sha256,
                     filename=safe_filename(filename), source=VersionSource.SIGNED, author=author,
                     created_at=created_at, text=sent.text, paragraph_count=sent.paragraph_count,
                     word_count=sent.word_count, revision_count=0, has_hidden_text=sent.has_hidden_text)
    session.add(signed)
    session.flush()
    session.refresh(contract, ["versions"])
    publish_stored(session, signed)
    return signed


def compare_versions(session: Session, contract_id: int, old_number: int, new_number: int,
                     limits: Limits) -> tuple[Version, Version, Redline]:
    """Return the two versions of a contract and the redline from the first to the second."""
    from clm.versions.diff import diff

    old = get_version(session, contract_id, old_number)
    new = get_version(session, contract_id, new_number)
    return old, new, diff(document_of(old, limits), document_of(new, limits))


# -- evidence check (`clm audit check`) ---------------------------------------------------------

if TYPE_CHECKING:
    from clm.db import Finding


def evidence_findings(session: Session) -> list[Finding]:
    """Return every blob whose bytes no longer hash to its name, and every gap or reordering in a
    contract's version numbers (a deleted or renumbered version).

    Blobs are read a batch at a time, so a large store is checked without loading it whole.
    """
    from clm.db import Finding

    findings: list[Finding] = []
    table = Blob.__table__
    located = "location" in table.c  # a file store may keep the bytes outside the database
    columns = [table.c.sha256, table.c.size, table.c.data, *([table.c.location] if located else [])]
    for row in session.execute(select(*columns).order_by(table.c.sha256).execution_options(yield_per=50)):
        sha, size = row[0], row[1]
        data, problem = _blob_bytes(sha, row[3] if located else "db", row[2])
        if data is None:
            findings.append(Finding("blobs", sha, problem or "the bytes are missing"))
            continue
        actual = hashlib.sha256(data).hexdigest()
        if actual != sha:
            findings.append(Finding("blobs", sha, f"the bytes were changed (they hash to {actual[:12]}…)"))
        elif size != len(data):
            findings.append(Finding("blobs", sha, f"the recorded size {size} is not the {len(data)} bytes stored"))
    known = set(session.scalars(select(Blob.sha256)))
    numbers: dict[int, list[tuple[int, int]]] = {}
    for version_id, contract_id, number, blob_sha in session.execute(
            select(Version.id, Version.contract_id, Version.number, Version.blob_sha256).order_by(Version.id)):
        numbers.setdefault(contract_id, []).append((version_id, number))
        if blob_sha not in known:
            findings.append(Finding("versions", str(version_id), f"its file (blob {blob_sha[:12]}…) is missing"))
    for contract_id, chain in sorted(numbers.items()):
        previous = 0
        for version_id, number in chain:  # in insertion (id) order: numbers must run 1, 2, 3 ...
            if number <= previous:
                findings.append(Finding("versions", str(version_id),
                                        f"version {number} of contract {contract_id} was stored after version "
                                        f"{previous} (reordered or renumbered)"))
            previous = max(previous, number)
        present = {number for _id, number in chain}
        for missing in sorted(set(range(1, max(present) + 1)) - present):
            findings.append(Finding("versions", f"contract {contract_id}",
                                    f"version {missing} is missing (deleted or renumbered)"))
    return findings + chain_findings(session)


def chain_findings(session: Session) -> list[Finding]:
    """Walk each contract's version chain: a version whose fields or text no longer hash to its
    record, a record that does not follow the version before it, and a contract whose recorded
    head is not its last version (the last version deleted, or a head edited).

    Versions stored before chaining (NULL record hash) are skipped; a NULL after a chained
    version is a finding (its record hash was removed).
    """
    from clm.db import Finding
    from clm.versions.models import chain_head, record_fields, record_hash

    findings: list[Finding] = []
    heads = {cid: head for cid, head in session.execute(select(Contract.id, Contract.versions_sha256))}
    last: dict[int, tuple[int, str | None]] = {}
    rows = session.execute(
        select(Version.id, Version.contract_id, Version.number, Version.blob_sha256, Version.filename, Version.source,
               Version.author, Version.created_at, Version.paragraph_count, Version.word_count,
               Version.revision_count, Version.has_hidden_text, Version.text, Version.record_sha256)
        .order_by(Version.contract_id, Version.number).execution_options(yield_per=200))
    for (version_id, contract_id, number, blob_sha, filename, source, author, created_at, paragraphs, words,
         revisions, hidden, text, record) in rows:
        previous = last.get(contract_id)
        where = str(version_id)
        if record is None:
            if previous is not None and previous[1] is not None:
                findings.append(Finding("versions", where, f"version {number} of contract {contract_id} has no "
                                                           "record hash after a chained version (removed)"))
            last[contract_id] = (number, None)
            continue
        if number > 1 and (previous is None or previous[0] != number - 1):
            last[contract_id] = (number, record)  # after a gap (named above) there is nothing to link to
            continue
        prior = previous[1] if previous is not None else None
        fields = record_fields(contract_id, number, blob_sha, filename, source, author, created_at, paragraphs,
                               words, revisions, hidden)
        if record_hash(fields, text or "", prior) != record:
            findings.append(Finding("versions", where, f"version {number} of contract {contract_id} was edited, or "
                                                       "the version before it was (its fields or text no longer "
                                                       "hash to its record)"))
        last[contract_id] = (number, record)
    for contract_id, (number, record) in sorted(last.items()):
        head = heads.get(contract_id)
        if record is not None and head != chain_head(contract_id, number, record):
            findings.append(Finding("contracts", str(contract_id),
                                    f"its recorded latest version is not version {number} as stored (a later "
                                    "version was deleted, or the record was edited)"))
    return findings


def text_findings(session: Session, limits: Limits) -> list[Finding]:
    """Return every version whose stored text is not what its file reads as (re-parsed, slow)."""
    from sqlalchemy.orm import undefer

    from clm.db import Finding

    findings: list[Finding] = []
    # A signed version's file is the sealed PDF: its bytes are checked against their hash and
    # the envelope's records, its text against the version that was signed.
    for version in session.scalars(select(Version).options(undefer(Version.text))
                                   .where(Version.source != VersionSource.SIGNED).order_by(Version.id)
                                   .execution_options(yield_per=20)):
        try:  # the file itself, read again (a PDF's stored layout is not the file)
            text = read_upload(Upload(data=version.blob.data, filename=version.filename), limits).text
        except Exception as err:  # a changed file may no longer read at all; blob findings say why
            findings.append(Finding("versions", str(version.id), f"its file no longer reads: {err}"))
            continue
        if text != version.text:
            findings.append(Finding("versions", str(version.id),
                                    f"its stored text (version {version.number} of contract {version.contract_id}) "
                                    "is not what its file reads as: edited"))
    return findings


def _blob_bytes(sha256: str, location: str, stored: bytes | None) -> tuple[bytes | None, str | None]:
    """Return (the bytes as kept, unverified; or None, why) for a blob kept at ``location``."""
    if location == "db":
        return stored or b"", None
    from clm.versions import blobs

    store = blobs.current()
    if store.location != location:
        return None, f"its bytes are in a {location} store, but CLM_BLOB_STORE names none"
    path = getattr(store, "path", None)
    if path is None:
        return None, f"the {location} store cannot be checked"
    try:
        return path(sha256).read_bytes(), None
    except OSError:
        return None, f"its file in the {location} store is missing"


def blob_bytes(session: Session, sha256: str) -> tuple[bytes | None, str | None]:
    """Return (the stored bytes of blob ``sha256``, unverified; or None, why), wherever they are kept."""
    table = Blob.__table__
    located = "location" in table.c
    row = session.execute(select(table.c.data, *([table.c.location] if located else []))
                          .where(table.c.sha256 == sha256)).first()
    if row is None:
        return None, "the blob row is missing"
    return _blob_bytes(sha256, row[1] if located else "db", row[0])
