"""HTML for the signer's document PDF and the final PDF with its certificate of completion."""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Sequence
from importlib import resources
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from jinja2 import Environment

    from clm.signing.models import AuditEvent, Envelope, Recipient
    from clm.versions.models import Contract, Version

STYLESHEET = "signing-pdf.css"


@functools.cache
def _env() -> Environment:
    from jinja2 import Environment, PackageLoader, select_autoescape

    env = Environment(loader=PackageLoader("clm.signing", "templates"), autoescape=select_autoescape(default=True))
    env.filters["utc"] = lambda value: value.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M:%S UTC") if value else "—"
    return env


def _assets() -> dict[str, bytes]:
    return {STYLESHEET: resources.files("clm.signing").joinpath("static", STYLESHEET).read_bytes()}


def paragraphs(text: str) -> list[str]:
    """Return the document's paragraphs as signers read them (empty lines dropped).

    A manual line break inside a paragraph is "\\v" in clm's text; it is shown as a new line.
    """
    return [line.replace("\v", "\n") for line in text.split("\n") if line.strip()]


def field_display(field: dict[str, Any]) -> str:
    """Return a filled-in field's value as the final PDF shows it."""
    if field.get("kind") == "checkbox":
        return "ticked" if field.get("value") is True else "not ticked"
    return str(field.get("value") or "") or "—"


def document_html(title: str, text: str, *, note: str) -> tuple[str, dict[str, bytes]]:
    """Return (html, assets) for the document alone, as a signer downloads it before signing."""
    html = _env().get_template("signing/document_pdf.html").render(title=title, paragraphs=paragraphs(text),
                                                                     note=note)
    return html, _assets()


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
    timeline = [{"seq": e.seq, "kind": e.kind, "at": e.at, "actor": e.actor, "ip": e.ip or "—",
                 "user_agent": e.user_agent, "hash": e.hash} for e in events]
    html = _env().get_template("signing/final_pdf.html").render(
        envelope_id=envelope.id, title=contract.title, counterparty=contract.counterparty,
        paragraphs=paragraphs(version.text), version_number=version.number,
        version_sha256=envelope.version_sha256, document_sha256=envelope.document_sha256,
        terms_sha256=envelope.terms_sha256, subject=envelope.subject, sender=envelope.created_by,
        sent_at=envelope.sent_at, sealed_at=sealed_at, signatures=signatures,
        cc=[{"name": r.name, "email": r.email} for r in recipients if not r.acts],
        filled=[s for s in signatures if s["fields"]],
        timeline=timeline, head_hash=events[-1].hash if events else None, head_seq=events[-1].seq if events else 0,
        seal_fingerprint=seal_fingerprint, cert_url=cert_url,
    )
    return html, assets
