"""``clm verify SIGNED.pdf`` and the work of ``clm signing sweep``: check a sealed PDF, finish stuck envelopes."""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

if TYPE_CHECKING:
    from sqlalchemy.orm import Session, sessionmaker

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


def trust_set(settings: Mapping[str, Any], cert_files: tuple[str, ...], fingerprints: tuple[str, ...]) -> set[str]:
    """Return the fingerprints ``clm verify`` trusts: those given, else this installation's certificate.

    Raise ValueError for a fingerprint that does not parse or a file that holds no certificate.
    """
    from clm.signing import keys

    trusted = {keys.parse_fingerprint(text) for text in fingerprints}
    for path in cert_files:
        try:
            certificates = keys.load_certificates(Path(path).read_bytes())
        except ValueError as err:
            raise ValueError(f"{path}: {err}") from None
        trusted.update(keys.fingerprint(der) for der in certificates)
    if not trusted:
        own = keys.installation_fingerprint(settings["INSTANCE_PATH"])
        if own is not None:
            trusted.add(own)
    return trusted


@click.command()
@click.argument("pdf", metavar="SIGNED.pdf", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--cert", "cert_files", multiple=True, type=click.Path(dir_okay=False, exists=True),
              help="A certificate (PEM or DER; a PEM file may hold several: a trust store) the seal may come "
                   "from. Repeatable. Default: this installation's, when run inside it.")
@click.option("--fingerprint", "fingerprints", multiple=True, metavar="SHA256",
              help="SHA-256 fingerprint of a certificate the seal may come from, as printed in the completion "
                   "email (colons optional). Repeatable.")
@click.option("--no-database", is_flag=True, help="Check only the seal, not the envelope's records.")
def verify(pdf: Path, cert_files: tuple[str, ...], fingerprints: tuple[str, ...], no_database: bool) -> None:
    """Check that SIGNED.pdf is unmodified since clm sealed it, that a trusted certificate sealed it,
    and its envelope's audit chain.

    A seal proves nothing by itself (anyone can make a certificate named "clm"): outside the
    installation, give the fingerprint from your completion email (--fingerprint) or the
    installation's published certificate (--cert). Exit 0 when valid; 1 with a one-line reason
    when anything was tampered with or the signer is not trusted; 2 when the file cannot be read
    as a PDF.
    """
    from clm import config, db
    from clm.signing import audit, keys, verification

    try:
        data = pdf.read_bytes()
    except OSError as err:
        click.echo(f"clm: error: cannot read {pdf}: {err.strerror}", err=True)
        sys.exit(UNREADABLE)
    settings = config.load()
    trusted = trust_set(settings, cert_files, fingerprints)
    url = None if no_database else _database_url(settings)
    if url is None:
        verdict = verification.verify_pdf(data, trusted=trusted, session=None)
    else:
        engine = db.make_engine(url)
        try:
            factory = db.make_sessionmaker(engine)
            factory.configure(info={audit.KEY_INFO: keys.audit_key(settings)})
            with db.transaction_for(factory) as session:
                verdict = verification.verify_pdf(data, trusted=trusted, session=session)
        finally:
            engine.dispose()
    if verdict.outcome == verification.UNREADABLE:
        click.echo(f"clm: error: {pdf}: {verdict.reason}", err=True)
        sys.exit(UNREADABLE)
    if verdict.outcome == verification.TAMPERED:
        _tampered(verdict.reason or "unknown problem")
    click.echo("valid: " + "; ".join(verdict.details))


@click.group()
def signing() -> None:
    """E-signature maintenance."""


@signing.command("certificate")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path),
              help="Also write the certificate (PEM) to this file, to publish it.")
def certificate(output: Path | None) -> None:
    """Print the SHA-256 fingerprint of this installation's sealing certificate (created on first use).

    Signers check sealed PDFs against it; it is printed on every certificate of completion and
    in every completion email, and served at /verify/certificate.pem.
    """
    from clm import config
    from clm.signing import keys

    settings = config.load()
    _key, cert_path = keys.ensure_signing_identity(settings["INSTANCE_PATH"])
    pem = Path(cert_path).read_bytes()
    if output is not None:
        output.write_bytes(pem)
    click.echo(keys.fingerprint(pem))


def run_sweep(factory: sessionmaker[Session], settings: Mapping[str, Any]) -> tuple[str, int]:
    """Expire overdue envelopes, send scheduled reminders, complete envelopes whose signers all
    signed (crash recovery) and deliver or retry webhooks; return (summary line, failures).

    ``factory`` should be the app's session factory (``clm signing sweep`` passes it), so the
    after-commit work of a completion (downstream processing, webhooks) runs as it does when the
    last signer finishes on the web.
    """
    import logging

    from clm import db
    from clm.errors import InvalidInput
    from clm.signing import envelopes, webhooks
    from clm.signing.mail import DEFAULT_SENDER, deliver, mailer_for, setting

    log = logging.getLogger(__name__)
    try:
        days = envelopes.parse_reminder_days(str(settings.get("REMINDER_DAYS") or ""))
    except ValueError as err:
        raise InvalidInput(f"CLM_REMINDER_DAYS: {err}") from None
    mailer = mailer_for(settings, settings["INSTANCE_PATH"])
    sender = setting(settings, "MAIL_FROM", DEFAULT_SENDER)
    completed = failures = reminded = 0
    with db.transaction_for(factory) as session:
        expired = envelopes.expire(session, now=db.utcnow())
        to_remind = envelopes.envelopes_to_remind(session, now=db.utcnow()) if days else []
        pending = envelopes.awaiting_completion(session)
    for envelope_id in to_remind:
        try:
            with db.transaction_for(factory) as session:
                mails = envelopes.send_scheduled_reminders(session, envelope_id, days=days, now=db.utcnow())
        except Exception:
            log.exception("reminding the signers of envelope %s failed", envelope_id)
            failures += 1
            continue
        reminded += len(mails)
        deliver(mailer, mails, sender=sender)
    for envelope_id in pending:
        # One transaction per envelope: one that cannot be sealed does not hold up the rest.
        try:
            with db.transaction_for(factory) as session:
                mails = envelopes.complete(session, envelope_id, now=db.utcnow(),
                                           instance_path=settings["INSTANCE_PATH"])
        except Exception:
            log.exception("completing envelope %s failed", envelope_id)
            failures += 1
            continue
        completed += bool(mails)
        deliver(mailer, mails, sender=sender)
    # Events a crashed process left (status changes whose webhook is not queued yet), then the webhooks.
    from clm import events

    events.drain(factory, settings, names=tuple(sorted(set(webhooks.EVENTS.values()))))
    hooks = webhooks.deliver_due(factory, dict(settings))
    webhook_line = (f"webhooks: {hooks.skipped}" if hooks.skipped else
                    f"webhooks: {hooks.delivered} delivered, {hooks.retrying} to retry, {hooks.failed} given up")
    return (f"Expired {len(expired)} envelope(s); reminded {reminded} recipient(s); completed {completed}; "
            f"{failures} could not be completed or reminded; {webhook_line}.", failures)
