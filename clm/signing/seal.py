"""PAdES seals with pyHanko: seal a finished PDF, and check a seal covers the file and comes from a trusted certificate."""

from __future__ import annotations

import io
import logging
import re
from collections.abc import Collection
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import datetime as dt

SEAL_FIELD = "clmSeal"
#: WeasyPrint writes a page's <meta name="description"> to the PDF's /Subject.
_SUBJECT = re.compile(r"clm envelope (\d+)")
#: ... and <meta name="keywords"> to /Keywords: the head of the audit chain at sealing, inside the
#: signed bytes, so the seal vouches for it.
_HEAD = re.compile(r"clm-audit-head (\d+) ([0-9a-f]{64})")


class UnreadablePdf(ValueError):
    """The bytes are not a PDF we can read at all."""


@dataclass(frozen=True)
class SealReport:
    """What the seal of a PDF says."""

    #: The signed bytes hash to what the signature says and the signature verifies.
    intact: bool
    #: The signature covers the whole file: nothing was appended after sealing.
    whole_file: bool
    #: Signed by a certificate in the trust set (by SHA-256 fingerprint), not merely by some certificate.
    trusted: bool
    envelope_id: int | None
    problem: str | None
    #: SHA-256 fingerprint of the seal's certificate ("AB:CD:..."), None when there is no readable seal.
    fingerprint: str | None = None
    #: The audit chain head the PDF states (seq, hash), or None (sealed before clm recorded it).
    audit_head: tuple[int, str] | None = None
    #: Whom the seal's certificate names (its common name), as the file states it.
    sealed_by: str | None = None
    #: When the seal was applied, as the seal states it (its signing time).
    sealed_at: dt.datetime | None = None

    @property
    def unmodified(self) -> bool:
        return self.intact and self.whole_file

    @property
    def ours(self) -> bool:
        """Kept for callers that ask whether the seal is this installation's."""
        return self.trusted


def seal_pdf(pdf: bytes, key_path: str, cert_path: str, *, reason: str = "Sealed by clm") -> bytes:
    """Return ``pdf`` with a PAdES signature by the installation's key over the whole file."""
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.sign import signers
    from pyhanko.sign.fields import SigSeedSubFilter

    signer = signers.SimpleSigner.load(key_path, cert_path)  # type: ignore[no-untyped-call]
    if signer is None:
        raise OSError(f"cannot load the signing key {key_path} and certificate {cert_path}")
    out = io.BytesIO()
    writer = IncrementalPdfFileWriter(io.BytesIO(pdf))
    meta = signers.PdfSignatureMetadata(field_name=SEAL_FIELD, subfilter=SigSeedSubFilter.PADES,
                                        md_algorithm="sha256", reason=reason)
    signers.sign_pdf(writer, meta, signer=signer, output=out)
    return out.getvalue()


def _info(reader: object) -> dict[str, str]:
    trailer = reader.trailer  # type: ignore[attr-defined]
    if "/Info" not in trailer:
        return {}
    info = trailer["/Info"]
    return {key: str(info.get(key, "")) for key in ("/Subject", "/Keywords")}


def stated_audit_head(pdf: bytes) -> tuple[int, str] | None:
    """Return the audit chain head (seq, hash) a sealed PDF states, or None; never raises."""
    from pyhanko.pdf_utils.reader import PdfFileReader

    try:
        found = _HEAD.search(_info(PdfFileReader(io.BytesIO(pdf), strict=False)).get("/Keywords", ""))
    except Exception:  # noqa: BLE001 - an unreadable file states nothing
        return None
    return (int(found.group(1)), found.group(2)) if found else None


def check_seal(pdf: bytes, trusted: Collection[str]) -> SealReport:
    """Return the state of ``pdf``'s clm seal; raise UnreadablePdf when it is not a PDF at all.

    ``trusted`` holds the SHA-256 fingerprints (as ``keys.fingerprint`` writes them) of the
    certificates a seal may come from. The certificate embedded in the PDF is used only to
    check the signature's mathematics; whether to believe it is decided by the fingerprint,
    which a forger who made their own key cannot match.
    """
    from pyhanko.pdf_utils.misc import PdfError
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.validation import validate_pdf_signature
    from pyhanko.sign.validation.status import SignatureCoverageLevel
    from pyhanko_certvalidator import ValidationContext

    from clm.signing.keys import fingerprint

    if not pdf.startswith(b"%PDF-"):
        raise UnreadablePdf("not a PDF file")
    try:
        reader = PdfFileReader(io.BytesIO(pdf), strict=False)
        info = _info(reader)
        signatures = reader.embedded_signatures
    except (PdfError, KeyError, ValueError, TypeError, IndexError) as err:
        return SealReport(False, False, False, None, f"the PDF structure is damaged ({type(err).__name__})")
    found = _SUBJECT.search(info.get("/Subject", ""))
    envelope_id = int(found.group(1)) if found else None
    head = _HEAD.search(info.get("/Keywords", ""))
    audit_head = (int(head.group(1)), head.group(2)) if head else None
    seals = [s for s in signatures if s.field_name == SEAL_FIELD]
    if not seals:
        return SealReport(False, False, False, envelope_id, "the PDF carries no clm seal", audit_head=audit_head)
    # pyHanko logs suspicious incremental updates at ERROR level; the report says it instead.
    logging.getLogger("pyhanko.sign.diff_analysis").disabled = True
    try:
        # Reading the certificate parses the signature's CMS structure: a damaged signature
        # fails here, and is tampering (exit 1), not an unreadable file.
        embedded = seals[0].signer_cert
        seal_print = fingerprint(embedded.dump())
        sealed_by = embedded.subject.native.get("common_name") or embedded.subject.human_friendly
        status = validate_pdf_signature(seals[0], ValidationContext(trust_roots=[embedded]))
    except Exception as err:  # noqa: BLE001 - any failure to validate means "not intact"
        return SealReport(False, False, False, envelope_id,
                          f"the seal's signature is damaged or does not verify ({type(err).__name__})",
                          audit_head=audit_head)
    whole = status.coverage == SignatureCoverageLevel.ENTIRE_FILE
    intact = bool(status.intact and status.valid)
    is_trusted = seal_print in trusted
    problem = None
    if not status.intact:
        problem = "the sealed content was modified (digest mismatch)"
    elif not status.valid:
        problem = "the seal's signature does not verify"
    elif not whole:
        problem = "content was added after sealing (incremental update)"
    elif not trusted:
        problem = (f"signer not trusted: no trusted certificate was given to check the seal's certificate "
                   f"(SHA-256 {seal_print}) against; pass --fingerprint (from your completion email or the "
                   "installation's published certificate) or --cert")
    elif not is_trusted:
        problem = (f"signer not trusted: the seal's certificate (SHA-256 {seal_print}) is not a trusted "
                   "certificate")
    return SealReport(intact, whole, is_trusted, envelope_id, problem, seal_print, audit_head,
                      str(sealed_by) if sealed_by else None, getattr(status, "signer_reported_dt", None))
