"""Is this sealed PDF what clm sealed? One verdict for ``clm verify`` and the public ``/verify`` page.

The verdict combines four checks: the PAdES seal still covers the whole, unmodified file;
the seal's certificate is one the caller trusts (by SHA-256 fingerprint: the installation's
own certificate, or one given with ``--cert``/``--fingerprint``), never merely the one the file
carries; the file's SHA-256 is the sealed PDF this installation recorded for its envelope; and
that envelope's audit chain is intact, records this completion, and holds the head the sealed
PDF states. Callers only present it.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Callable, Collection
from dataclasses import dataclass
from typing import TYPE_CHECKING

from clm.signing import seal

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

VALID, TAMPERED, UNREADABLE = "valid", "tampered", "unreadable"
#: ``clm verify`` exit codes by outcome.
EXIT_CODES = {VALID: 0, TAMPERED: 1, UNREADABLE: 2}

SealChecker = Callable[[bytes, Collection[str]], seal.SealReport]


@dataclass(frozen=True)
class RecordCheck:
    """What the database says about a sealed PDF."""

    #: The first problem found, or None.
    problem: str | None
    #: "envelope N; audit chain intact (K events)" when there is no problem.
    summary: str
    #: The file's SHA-256 is the sealed PDF recorded for its envelope.
    known: bool
    #: The envelope's audit chain holds; None when not checked (the file is not known).
    chain_intact: bool | None


@dataclass(frozen=True)
class Verdict:
    """The answer to "is this the PDF clm sealed, unchanged, with an intact record?"."""

    outcome: str
    #: One line: why it is tampered or unreadable; None when valid.
    reason: str | None
    sha256: str | None = None
    envelope_id: int | None = None
    seal_unmodified: bool = False
    #: Sealed by a trusted certificate (False also when no certificate was trusted).
    seal_trusted: bool = False
    #: SHA-256 fingerprint of the seal's certificate.
    fingerprint: str | None = None
    #: None when no database was consulted.
    known: bool | None = None
    chain_intact: bool | None = None
    #: The parts of the one-line "valid: ..." summary.
    details: tuple[str, ...] = ()
    #: Whom the seal's certificate names, and when the seal says it was applied.
    sealed_by: str | None = None
    sealed_at: dt.datetime | None = None

    @property
    def valid(self) -> bool:
        return self.outcome == VALID

    @property
    def exit_code(self) -> int:
        return EXIT_CODES[self.outcome]


def check_records(session: Session, envelope_id: int, pdf_sha256: str,
                  sealed_head: tuple[int, str] | None = None) -> RecordCheck:
    """Check a sealed PDF (by its SHA-256) against envelope ``envelope_id``'s records.

    ``sealed_head`` is the audit chain head (seq, hash) the sealed PDF states: the seal vouches
    for it, so a trail rewritten in the database (even with recomputed hashes) no longer holds it.
    """
    from clm.signing import audit
    from clm.signing.envelopes import sha256_text
    from clm.signing.models import Envelope
    from clm.versions.models import Blob, Version

    envelope = session.get(Envelope, envelope_id)
    if envelope is None:
        return RecordCheck(f"envelope {envelope_id} is not in this database", "", False, None)
    if envelope.final_blob_sha256 != pdf_sha256:
        return RecordCheck(f"the file's SHA-256 differs from the PDF sealed for envelope {envelope_id}", "",
                           False, None)
    events = audit.events_of(session, envelope_id)
    broken = audit.verify_chain(events, audit.chain_key(session, envelope_id))
    intact = broken is None

    def problem(text: str) -> RecordCheck:
        return RecordCheck(text, "", True, intact)

    blob = session.get(Blob, pdf_sha256)
    if blob is None or hashlib.sha256(blob.data).hexdigest() != pdf_sha256:
        return problem("the stored copy of the sealed PDF was changed")
    version = session.get(Version, envelope.version_id)
    if version is None or version.blob_sha256 != envelope.version_sha256:
        return problem("the signed version's file hash no longer matches")
    if sha256_text(version.text) != envelope.document_sha256:
        return problem("the signed version's text was changed after signing (document hash mismatch)")
    if broken is not None:
        return problem(audit.describe_break(broken))
    if sealed_head is not None and not audit.holds_head(events, *sealed_head):
        return RecordCheck(f"the audit trail in the database differs from the head sealed in the PDF "
                           f"(event #{sealed_head[0]})", "", True, False)
    completed = [e for e in events if e.kind == "completed"]
    if len(completed) != 1 or completed[0].details.get("pdf_sha256") != pdf_sha256:
        return problem("the audit trail does not record this PDF's completion")
    head_seq = completed[0].details.get("sealed_chain_seq")
    sealed_head = next((e.hash for e in events if e.seq == head_seq), audit.GENESIS)
    if sealed_head != completed[0].details.get("sealed_chain_head"):
        return problem("the audit chain head printed in the PDF does not match the trail")
    return RecordCheck(None, f"envelope {envelope_id}; audit chain intact ({len(events)} events)", True, True)


def verify_pdf(data: bytes, *, trusted: Collection[str], session: Session | None,
               check_seal: SealChecker = seal.check_seal) -> Verdict:
    """Return the verdict on ``data``: its seal, and with a ``session`` its envelope's records.

    ``trusted`` holds the fingerprints of the certificates the seal may come from; with none,
    no seal is trusted (a forger can make a certificate with any name). Never raises for bad input.
    """
    try:
        report = check_seal(data, frozenset(trusted))
    except seal.UnreadablePdf as err:
        return Verdict(UNREADABLE, str(err))
    sha = hashlib.sha256(data).hexdigest()
    records = None
    if session is not None and report.envelope_id is not None:
        records = check_records(session, report.envelope_id, sha, report.audit_head)
    common = {"sha256": sha, "envelope_id": report.envelope_id, "seal_unmodified": report.unmodified,
              "seal_trusted": report.trusted, "fingerprint": report.fingerprint,
              "known": None if session is None else bool(records and records.known),
              "chain_intact": records.chain_intact if records else None,
              "sealed_by": report.sealed_by, "sealed_at": report.sealed_at}
    if report.problem:
        return Verdict(TAMPERED, report.problem, **common)  # type: ignore[arg-type]
    if session is not None and records is None:
        return Verdict(TAMPERED, "the PDF does not name its clm envelope", **common)  # type: ignore[arg-type]
    if records is not None and records.problem:
        return Verdict(TAMPERED, records.problem, **common)  # type: ignore[arg-type]
    details = [f"seal: unmodified, by a trusted certificate (SHA-256 {report.fingerprint})", f"sha256: {sha}"]
    details.append(records.summary if records is not None
                   else "database: not configured; the envelope's audit trail was not checked")
    return Verdict(VALID, None, details=tuple(details), **common)  # type: ignore[arg-type]


# -- the seal check in a capped child process, for files from strangers -------------------------


def _seal_in_child(data: bytes, trusted: Collection[str]) -> tuple[str, object]:
    try:
        return "ok", seal.check_seal(data, trusted)
    except seal.UnreadablePdf as err:
        return "unreadable", str(err)


def sandboxed_seal_check(timeout: float, memory_bytes: int) -> SealChecker:
    """Return a seal checker that parses the PDF in a child capped in time and memory."""

    def check(data: bytes, trusted: Collection[str]) -> seal.SealReport:
        # Load pyHanko here once, so each child starts with it instead of importing it again.
        import pyhanko.keys
        import pyhanko.pdf_utils.reader
        import pyhanko.sign.validation  # noqa: F401
        import pyhanko_certvalidator  # noqa: F401

        from clm.sandbox import SandboxCrash, SandboxMemory, SandboxTimeout, run_capped

        try:
            kind, value = run_capped(_seal_in_child, data, frozenset(trusted), timeout=timeout,
                                     memory_bytes=memory_bytes)
        except (SandboxTimeout, SandboxMemory, SandboxCrash):
            raise seal.UnreadablePdf("the PDF is too large or too complex to check") from None
        if kind == "unreadable":
            raise seal.UnreadablePdf(str(value))
        assert isinstance(value, seal.SealReport)
        return value

    return check


# -- evidence check (`clm audit check`) ---------------------------------------------------------

if TYPE_CHECKING:
    from clm.db import Finding


def evidence_findings(session: Session, *, trusted: Collection[str] | None = None) -> list[Finding]:
    """Return every break in the envelopes' evidence, naming the row.

    * audit events: an edited event (its hash, keyed or, up to the legacy anchor, unkeyed, no
      longer covers its content), a deleted one (a gap in the sequence, or fewer events than the
      envelope counted), a reordered one (a link to the wrong predecessor, or stored out of
      sequence order), an unkeyed event the legacy anchor does not cover;
    * the sealed PDF whose bytes no longer hash to what the envelope recorded, and a trail that
      does not hold the chain head the sealed PDF states; with ``trusted`` (``--deep``) also a
      sealed PDF whose seal is broken or not by a trusted certificate (a replaced PDF);
    * the signed version whose file or text changed after the envelope froze their hashes;
    * confirmed terms that no longer hash to the digest the envelope froze.
    """
    from sqlalchemy import select

    from clm.clauses.services import confirmed_terms_digest_as_of
    from clm.db import Finding
    from clm.signing import audit
    from clm.signing.envelopes import sha256_text
    from clm.signing.models import AuditEvent, Envelope
    from clm.versions.models import Version
    from clm.versions.store import blob_bytes

    findings: list[Finding] = []
    table = AuditEvent.__tablename__
    for envelope in session.scalars(select(Envelope).order_by(Envelope.id)):
        events = audit.events_of(session, envelope.id)
        chain = audit.chain_key(session, envelope.id)
        expected, prev, last_id = 1, audit.GENESIS, 0
        for event in events:
            where = f"{event.id} (envelope {envelope.id}, #{event.seq} {event.kind})"
            if event.seq > expected:
                gap = f"#{expected}" if event.seq == expected + 1 else f"#{expected}–#{event.seq - 1}"
                findings.append(Finding(table, f"envelope {envelope.id}", f"event {gap} is missing (deleted)"))
            should_be = audit.expected_hash(event, chain)
            if should_be is None:
                findings.append(Finding(table, where, "is not keyed with the audit key and no valid legacy anchor "
                                                      "covers it (rewritten, or the anchor was changed)"))
            elif should_be != event.hash:
                findings.append(Finding(table, where, "was edited: its hash no longer matches its content"))
            elif event.seq == chain.legacy_seq and event.hash != chain.legacy_head:
                findings.append(Finding(table, where, "is not the head its legacy anchor vouches for"))
            elif event.prev_hash != prev:
                findings.append(Finding(table, where, "does not link to the event before it (reordered, or an "
                                                      "earlier event was replaced)"))
            if event.id < last_id:
                findings.append(Finding(table, where, "is stored out of sequence order (reordered)"))
            expected, prev, last_id = event.seq + 1, event.hash, max(last_id, event.id)
        if envelope.audit_seq >= expected:
            gap = f"#{expected}" if envelope.audit_seq == expected else f"#{expected}–#{envelope.audit_seq}"
            findings.append(Finding(table, f"envelope {envelope.id}",
                                    f"event {gap} is missing (deleted); the envelope counted {envelope.audit_seq}"))
        if envelope.final_blob_sha256 is not None:
            data, _why = blob_bytes(session, envelope.final_blob_sha256)
            if data is None:
                findings.append(Finding("envelopes", str(envelope.id), "its sealed PDF is missing"))
            elif hashlib.sha256(data).hexdigest() != envelope.final_blob_sha256:
                findings.append(Finding("envelopes", str(envelope.id),
                                        f"its sealed PDF (blob {envelope.final_blob_sha256[:12]}…) was changed"))
            else:
                head = seal.stated_audit_head(data)
                if head is not None and not audit.holds_head(events, *head):
                    findings.append(Finding(table, f"envelope {envelope.id}",
                                            f"the trail does not hold the head sealed in its PDF (event #{head[0]}): "
                                            "it was rewritten after sealing"))
                if trusted is not None:
                    report = seal.check_seal(data, trusted)
                    if report.problem:
                        findings.append(Finding("envelopes", str(envelope.id), f"its sealed PDF: {report.problem}"))
        row = session.execute(select(Version.blob_sha256, Version.text)
                              .where(Version.id == envelope.version_id)).first()
        if row is None:
            findings.append(Finding("versions", str(envelope.version_id),
                                    f"the version envelope {envelope.id} was sent with is missing"))
        else:
            if row.blob_sha256 != envelope.version_sha256:
                findings.append(Finding("versions", str(envelope.version_id),
                                        f"its file is not the one envelope {envelope.id} froze"))
            if sha256_text(row.text) != envelope.document_sha256:
                findings.append(Finding("versions", str(envelope.version_id),
                                        f"its text changed after envelope {envelope.id} froze it"))
        if confirmed_terms_digest_as_of(session, envelope.contract_id, envelope.created_at) != envelope.terms_sha256:
            findings.append(Finding("term_decisions", f"contract {envelope.contract_id}",
                                    f"the confirmed terms no longer hash to what envelope {envelope.id} froze "
                                    "(a decision was edited or deleted)"))
    return findings
