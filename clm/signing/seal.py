"""PAdES seals with pyHanko: seal a finished PDF, and check a seal still covers the file."""

from __future__ import annotations

import io
import logging
import re
from dataclasses import dataclass

SEAL_FIELD = "clmSeal"
#: WeasyPrint writes a page's <meta name="description"> to the PDF's /Subject.
_SUBJECT = re.compile(r"clm envelope (\d+)")


class UnreadablePdf(ValueError):
    """The bytes are not a PDF we can read at all."""


@dataclass(frozen=True)
class SealReport:
    """What the seal of a PDF says."""

    #: The signed bytes hash to what the signature says: nothing inside the signed range changed.
    intact: bool
    #: The signature covers the whole file: nothing was appended after sealing.
    whole_file: bool
    #: Signed by the given certificate (this installation's), not merely by some certificate.
    ours: bool
    envelope_id: int | None
    problem: str | None

    @property
    def unmodified(self) -> bool:
        return self.intact and self.whole_file and self.problem is None


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


def check_seal(pdf: bytes, cert_path: str | None) -> SealReport:
    """Return the state of ``pdf``'s clm seal; raise UnreadablePdf when it is not a PDF at all."""
    from pyhanko.keys import load_cert_from_pemder
    from pyhanko.pdf_utils.misc import PdfError
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.validation import validate_pdf_signature
    from pyhanko.sign.validation.status import SignatureCoverageLevel
    from pyhanko_certvalidator import ValidationContext

    if not pdf.startswith(b"%PDF-"):
        raise UnreadablePdf("not a PDF file")
    try:
        reader = PdfFileReader(io.BytesIO(pdf), strict=False)
        subject = str(reader.trailer["/Info"].get("/Subject", "")) if "/Info" in reader.trailer else ""
        signatures = reader.embedded_signatures
    except (PdfError, KeyError, ValueError, TypeError, IndexError) as err:
        return SealReport(False, False, False, None, f"the PDF structure is damaged ({type(err).__name__})")
    found = _SUBJECT.search(subject)
    envelope_id = int(found.group(1)) if found else None
    seals = [s for s in signatures if s.field_name == SEAL_FIELD]
    if not seals:
        return SealReport(False, False, False, envelope_id, "the PDF carries no clm seal")
    own = load_cert_from_pemder(cert_path) if cert_path else None  # type: ignore[no-untyped-call]
    embedded = seals[0].signer_cert
    roots = [own] if own is not None else [embedded]
    # pyHanko logs suspicious incremental updates at ERROR level; the report says it instead.
    logging.getLogger("pyhanko.sign.diff_analysis").disabled = True
    try:
        status = validate_pdf_signature(seals[0], ValidationContext(trust_roots=roots))
    except Exception as err:  # noqa: BLE001 - any failure to validate means "not intact"
        return SealReport(False, False, False, envelope_id, f"the seal cannot be validated ({type(err).__name__})")
    ours = own is not None and embedded.dump() == own.dump()
    whole = status.coverage == SignatureCoverageLevel.ENTIRE_FILE
    problem = None
    if not status.intact:
        problem = "the sealed content was modified (digest mismatch)"
    elif not whole:
        problem = "content was added after sealing (incremental update)"
    elif own is not None and not ours:
        problem = "sealed by a different certificate than this installation's"
    return SealReport(bool(status.intact), whole, ours, envelope_id, problem)
