"""HTML for the signer's document PDF and the final PDF with its certificate of completion."""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Sequence
from importlib import resources
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from jinja2 import Environment

    from clm.documents import Document
    from clm.signing.models import AuditEvent, Envelope, Recipient
    from clm.versions.document_view import Stamp
    from clm.versions.models import Contract, Version

STYLESHEET = "signing-pdf.css"


@functools.cache
def _env() -> Environment:
    from jinja2 import ChoiceLoader, Environment, PackageLoader, select_autoescape

    # The versions package's templates give the one document macro (``_document.html``).
    loader = ChoiceLoader([PackageLoader("clm.signing", "templates"), PackageLoader("clm.versions", "templates")])
    env = Environment(loader=loader, autoescape=select_autoescape(default=True))
    env.filters["utc"] = lambda value: value.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M:%S UTC") if value else "—"
    return env


#: The document body's stylesheet, shared with the version view and the signing page.
DOCUMENT_STYLESHEET = "document.css"
STYLESHEETS = [DOCUMENT_STYLESHEET, STYLESHEET]


def _assets() -> dict[str, bytes]:
    return {STYLESHEET: resources.files("clm.signing").joinpath("static", STYLESHEET).read_bytes(),
            DOCUMENT_STYLESHEET: resources.files("clm.versions").joinpath("static", DOCUMENT_STYLESHEET).read_bytes()}


def signed_document(version: Version) -> tuple[Document, dict[str, tuple[str, bytes]]]:
    """Return the document a signer reads and signs: the version's file as it looks, and its images.

    The rendering must say exactly what was signed, so a file that cannot be read again, or that
    reads to other text than the version's stored text, is shown as that text, paragraph by
    paragraph (as a text version always is). Images are (media type, bytes) by digest.
    """
    from clm.documents import from_text
    from clm.errors import ClmError
    from clm.versions import store
    from clm.versions.intake import Limits

    source = version.document_version
    if not source.filename.lower().endswith(".docx"):
        return from_text(version.text), {}
    try:
        # The file was accepted when it was stored; read it again under no smaller a size cap.
        limits = Limits(max_upload_bytes=max(Limits().max_upload_bytes, source.blob.size))
        document, parts = store.document_and_images(version, limits)
    except ClmError:
        return from_text(version.text), {}
    if document.text != version.text:
        return from_text(version.text), {}
    return document, parts


def page_blocks(version: Version, slot: int | None = None) -> list[Any]:
    """Return the signed document's body for the signing page (images as ``data:`` URLs).

    ``slot`` is the reader's own signature block (see :func:`signer_slot`): it says "Your
    signature goes here".
    """
    from clm.versions.document_view import Stamp, build, data_urls

    document, parts = signed_document(version)
    stamps = [Stamp(here=k == slot) for k in range((slot or 0) + 1)] if slot is not None else []
    return build(document, images=data_urls(parts), stamps=stamps)


def signer_slot(recipients: Sequence[Recipient], recipient: Recipient) -> int | None:
    """Return which signature block ``recipient`` fills (the order :func:`final_html` stamps in), or None."""
    from clm.signing.models import RecipientRole

    signers = sorted((r for r in recipients if r.role is RecipientRole.SIGNER), key=lambda r: r.routing_order)
    return next((k for k, r in enumerate(signers) if r.id == recipient.id), None)


def _pdf_blocks(version: Version, assets: dict[str, bytes], stamps: Sequence[Stamp] = ()) -> tuple[list[Any], int]:
    """Return the body for a PDF (images added to ``assets``) and how many stamps found a signature block."""
    from clm.versions.document_view import build, signature_slots

    document, parts = signed_document(version)
    images = {}
    for digest, (_mime, raw) in parts.items():
        assets[f"image-{digest}"] = raw
        images[digest] = f"clm-asset:image-{digest}"
    placed = min(len(stamps), signature_slots(document))
    return build(document, images=images, stamps=stamps[:placed]), placed


def field_display(field: dict[str, Any]) -> str:
    """Return a filled-in field's value as the final PDF shows it."""
    if field.get("kind") == "checkbox":
        return "ticked" if field.get("value") is True else "not ticked"
    return str(field.get("value") or "") or "—"


def document_html(title: str, version: Version, *, note: str) -> tuple[str, dict[str, bytes]]:
    """Return (html, assets) for the document alone, as a signer downloads it before signing."""
    assets = _assets()
    blocks, _ = _pdf_blocks(version, assets)
    html = _env().get_template("signing/document_pdf.html").render(title=title, blocks=blocks, note=note)
    return html, assets


def _stamps(signatures: Sequence[dict[str, Any]]) -> list[Stamp]:
    """Return what each signer writes into their signature block, signers in routing order.

    The n-th signer (routing order, then the order they were added) fills the document's n-th
    signature block; approvers sign no block.
    """
    from clm.versions.document_view import Stamp

    out = []
    for s in signatures:
        if s["kind"] not in ("typed", "drawn"):
            continue
        title = next((str(f.get("value") or "") for f in s["fields"]
                      if str(f.get("label", "")).strip().lower() == "title"), "")
        out.append(Stamp(typed=s["typed"] or s["name"] if s["kind"] == "typed" else "",
                         image=f"clm-asset:{s['image']}" if s["kind"] == "drawn" and s["image"] else "",
                         name=s["name"], title=title, signer=s["name"],
                         date=s["signed_at"].astimezone(dt.UTC).strftime("%Y-%m-%d") if s["signed_at"] else ""))
    return out


def final_html(envelope: Envelope, contract: Contract, version: Version, recipients: Sequence[Recipient],
               events: Sequence[AuditEvent], *, sealed_at: dt.datetime, seal_fingerprint: str | None = None,
               cert_url: str | None = None) -> tuple[str, dict[str, bytes]]:
    """Return (html, assets) for the final PDF: document, signatures, certificate of completion."""
    from clm.signing.signature import png_of

    assets = _assets()
    signatures: list[dict[str, Any]] = []
    for recipient in recipients:
        if not recipient.acts:
            continue
        image = None
        if recipient.signature_image:
            image = f"signature-{recipient.id}.png"
            assets[image] = png_of(recipient.signature_image)
        signatures.append({"name": recipient.name, "email": recipient.email, "role": recipient.role.value,
                           "order": recipient.routing_order, "kind": recipient.signature_kind.value
                           if recipient.signature_kind else None, "typed": recipient.signature_name,
                           "image": image, "signed_at": recipient.signed_at, "ip": recipient.ip,
                           "user_agent": recipient.user_agent,
                           "consent_at": recipient.consent_at, "consent_version": recipient.consent_version,
                           "fields": [{**f, "display": field_display(f)} for f in recipient.field_values or ()]})
    signers = sorted((s for s in signatures if s["kind"] in ("typed", "drawn")), key=lambda s: s["order"])
    blocks, placed = _pdf_blocks(version, assets, _stamps(signers))
    placed_ids = {id(s) for s in signers[:placed]}
    unplaced = [s for s in signatures if id(s) not in placed_ids]
    timeline = [{"seq": e.seq, "kind": e.kind, "at": e.at, "actor": e.actor, "ip": e.ip or "—",
                 "user_agent": e.user_agent, "hash": e.hash} for e in events]
    html = _env().get_template("signing/final_pdf.html").render(
        envelope_id=envelope.id, title=contract.title, counterparty=contract.counterparty,
        blocks=blocks, unplaced=unplaced,
        version_number=version.number,
        version_sha256=envelope.version_sha256, document_sha256=envelope.document_sha256,
        terms_sha256=envelope.terms_sha256, subject=envelope.subject, sender=envelope.created_by,
        sent_at=envelope.sent_at, sealed_at=sealed_at, signatures=signatures,
        cc=[{"name": r.name, "email": r.email} for r in recipients if not r.acts],
        filled=[s for s in signatures if s["fields"]],
        timeline=timeline, head_hash=events[-1].hash if events else None, head_seq=events[-1].seq if events else 0,
        seal_fingerprint=seal_fingerprint, cert_url=cert_url,
    )
    return html, assets

