"""``clm verify SIGNED.pdf`` and ``clm signing sweep``: check a sealed PDF, finish stuck envelopes."""

from __future__ import annotations

import hashlib
import os
import sys
from pathlib import Path
from typing import Any

import click

#: Exit codes of ``clm verify``.
VALID, TAMPERED, UNREADABLE = 0, 1, 2


def _tampered(reason: str) -> None:
    click.echo(f"TAMPERED: {reason}", err=True)
    sys.exit(TAMPERED)


def _database_url(settings: dict[str, Any]) -> str | None:
    """Return the configured database, or None when there is none to check against."""
    if os.environ.get("CLM_DATABASE_URL"):
        return str(settings["DATABASE_URL"])
    default = os.path.join(settings["INSTANCE_PATH"], "clm.sqlite3")
    return str(settings["DATABASE_URL"]) if os.path.exists(default) else None


def check_against_database(url: str, envelope_id: int, pdf_sha256: str) -> tuple[str | None, str]:
    """Return (problem or None, summary) after checking a sealed PDF against the envelope's records."""

    from clm import db
    from clm.signing import audit
    from clm.signing.envelopes import sha256_text
    from clm.signing.models import Envelope
    from clm.versions.models import Blob, Version

    engine = db.make_engine(url)
    try:
        with db.transaction_for(db.make_sessionmaker(engine)) as session:
            envelope = session.get(Envelope, envelope_id)
            if envelope is None:
                return f"envelope {envelope_id} is not in this database", ""
            if envelope.final_blob_sha256 != pdf_sha256:
                return f"the file's SHA-256 differs from the PDF sealed for envelope {envelope_id}", ""
            blob = session.get(Blob, pdf_sha256)
            if blob is None or hashlib.sha256(blob.data).hexdigest() != pdf_sha256:
                return "the stored copy of the sealed PDF was changed", ""
            version = session.get(Version, envelope.version_id)
            if version is None or version.blob_sha256 != envelope.version_sha256:
                return "the signed version's file hash no longer matches", ""
            if sha256_text(version.text) != envelope.document_sha256:
                return "the signed version's text was changed after signing (document hash mismatch)", ""
            events = audit.events_of(session, envelope_id)
            broken = audit.verify_chain(events)
            if broken is not None:
                return audit.describe_break(broken), ""
            completed = [e for e in events if e.kind == "completed"]
            if len(completed) != 1 or completed[0].details.get("pdf_sha256") != pdf_sha256:
                return "the audit trail does not record this PDF's completion", ""
            head_seq = completed[0].details.get("sealed_chain_seq")
            sealed_head = next((e.hash for e in events if e.seq == head_seq), audit.GENESIS)
            if sealed_head != completed[0].details.get("sealed_chain_head"):
                return "the audit chain head printed in the PDF does not match the trail", ""
            return None, f"envelope {envelope_id}; audit chain intact ({len(events)} events)"
    finally:
        engine.dispose()


@click.command()
@click.argument("pdf", metavar="SIGNED.pdf", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--cert", "cert_path", type=click.Path(dir_okay=False, exists=True),
              help="Certificate the seal must come from (default: this installation's).")
@click.option("--no-database", is_flag=True, help="Check only the seal, not the envelope's records.")
def verify(pdf: Path, cert_path: str | None, no_database: bool) -> None:
    """Check that SIGNED.pdf is unmodified since clm sealed it, and its envelope's audit chain.

    Exit 0 when valid; 1 with a one-line reason when anything was tampered with; 2 when the
    file cannot be read as a PDF.
    """
    from clm import config
    from clm.signing import keys, seal

    try:
        data = pdf.read_bytes()
    except OSError as err:
        click.echo(f"clm: error: cannot read {pdf}: {err.strerror}", err=True)
        sys.exit(UNREADABLE)
    settings = config.load()
    if cert_path is None:
        own = os.path.join(settings["INSTANCE_PATH"], keys.CERT_FILE)
        cert_path = own if os.path.exists(own) else None
    try:
        report = seal.check_seal(data, cert_path)
    except seal.UnreadablePdf as err:
        click.echo(f"clm: error: {pdf}: {err}", err=True)
        sys.exit(UNREADABLE)
    if report.problem:
        _tampered(report.problem)
    sha = hashlib.sha256(data).hexdigest()
    lines = [f"seal: unmodified ({'this installation' if report.ours else 'certificate in the file, not checked against an installation'})",
             f"sha256: {sha}"]
    url = None if no_database else _database_url(settings)
    if url is not None:
        if report.envelope_id is None:
            _tampered("the PDF does not name its clm envelope")
        problem, summary = check_against_database(url, report.envelope_id, sha)  # type: ignore[arg-type]
        if problem:
            _tampered(problem)
        lines.append(summary)
    else:
        lines.append("database: not configured; the envelope's audit trail was not checked")
    click.echo("valid: " + "; ".join(lines))


@click.group()
def signing() -> None:
    """E-signature maintenance."""


@signing.command()
def sweep() -> None:
    """Expire overdue envelopes and complete any whose signers have all signed (crash recovery)."""
    import logging

    from clm import config, db
    from clm.signing import envelopes
    from clm.signing.mail import DEFAULT_SENDER, deliver, mailer_for, setting

    settings = config.load()
    engine = db.make_engine(settings["DATABASE_URL"])
    factory = db.make_sessionmaker(engine)
    completed = failures = 0
    try:
        with db.transaction_for(factory) as session:
            expired = envelopes.expire(session, now=db.utcnow())
            pending = envelopes.awaiting_completion(session)
        for envelope_id in pending:
            # One transaction per envelope: one that cannot be sealed does not hold up the rest.
            try:
                with db.transaction_for(factory) as session:
                    mails = envelopes.complete(session, envelope_id, now=db.utcnow(),
                                               instance_path=settings["INSTANCE_PATH"])
            except Exception:
                logging.getLogger(__name__).exception("completing envelope %s failed", envelope_id)
                failures += 1
                continue
            completed += bool(mails)
            deliver(mailer_for(settings, settings["INSTANCE_PATH"]), mails,
                    sender=setting(settings, "MAIL_FROM", DEFAULT_SENDER))
    finally:
        engine.dispose()
    click.echo(f"Expired {len(expired)} envelope(s); completed {completed}; {failures} could not be completed.")
    if failures:
        sys.exit(1)
