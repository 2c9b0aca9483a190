"""Outgoing mail behind a small protocol: an outbox folder of .eml files, or SMTP (shared by signing and downstream)."""

from __future__ import annotations

import logging
import os
import smtplib
import ssl
import time
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import unquote, urlsplit

from clm.errors import ClmError

log = logging.getLogger(__name__)
DEFAULT_SENDER = "clm <no-reply@localhost>"


@dataclass(frozen=True)
class Mail:
    """One message to send: plain data, built by a service and sent after its commit."""

    to: str
    subject: str
    body: str
    #: (filename, PDF bytes) pairs, such as the sealed contract sent at completion.
    attachments: tuple[tuple[str, bytes], ...] = ()


class Mailer(Protocol):
    """Something that delivers mail."""

    def send(self, message: EmailMessage) -> None:
        """Deliver ``message`` or raise OSError."""


class OutboxMailer:
    """Write each message as an .eml file into a folder (tests, demos, a relay that picks them up)."""

    def __init__(self, folder: str | os.PathLike[str]) -> None:
        self.folder = Path(folder)

    def send(self, message: EmailMessage) -> None:
        self.folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        name = f"{time.time_ns():020d}-{uuid.uuid4().hex[:12]}.eml"
        path = self.folder / name
        # 0600: the message carries a signer's link, which is as good as their signature.
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as handle:
            handle.write(bytes(message))


class SmtpMailer:
    """Send through an SMTP server named by a URL: ``smtp://user:pass@host:587`` (STARTTLS) or ``smtps://``."""

    def __init__(self, url: str, timeout: float = 20.0) -> None:
        parts = urlsplit(url)
        if parts.scheme not in {"smtp", "smtps"} or not parts.hostname:
            raise ValueError("CLM_SMTP_URL must look like smtp://user:password@host:587 or smtps://host:465")
        self.secure = parts.scheme == "smtps"
        self.host = parts.hostname
        self.port = parts.port or (465 if self.secure else 587)
        self.username = unquote(parts.username) if parts.username else None
        self.password = unquote(parts.password) if parts.password else None
        self.timeout = timeout

    def send(self, message: EmailMessage) -> None:
        context = ssl.create_default_context()
        if self.secure:
            client: smtplib.SMTP = smtplib.SMTP_SSL(self.host, self.port, timeout=self.timeout, context=context)
        else:
            client = smtplib.SMTP(self.host, self.port, timeout=self.timeout)
        with client:
            if not self.secure:
                client.starttls(context=context)
            if self.username:
                client.login(self.username, self.password or "")
            client.send_message(message)


def setting(config: Mapping[str, Any], name: str, default: str = "") -> str:
    """Return the setting ``name`` (loaded from ``CLM_<name>`` by clm.config), else ``default``."""
    return str(config.get(name) or default)


def mailer_for(config: Mapping[str, Any], instance_path: str) -> Mailer:
    """Return the configured mailer: SMTP when CLM_SMTP_URL is set, else the outbox folder."""
    url = setting(config, "SMTP_URL")
    if url:
        return SmtpMailer(url)
    return OutboxMailer(setting(config, "MAIL_OUTBOX") or os.path.join(instance_path, "outbox"))


def to_message(mail: Mail, sender: str) -> EmailMessage:
    """Return ``mail`` as an email message from ``sender``."""
    message = EmailMessage()
    message["From"] = sender
    message["To"] = mail.to
    message["Subject"] = mail.subject
    message["Date"] = formatdate(usegmt=True)
    message["Message-ID"] = make_msgid(domain="clm.invalid")
    # Signer links must not be followed by auto-replies or forwarded by list servers.
    message["Auto-Submitted"] = "auto-generated"
    message.set_content(mail.body)
    for filename, data in mail.attachments:
        message.add_attachment(data, maintype="application", subtype="pdf", filename=filename)
    return message


class NotDelivered(ClmError):
    """The mail server did not take a message that had to go before anything was stored."""

    status = 503


def deliver_now(mailer: Mailer, mail: Mail, sender: str = DEFAULT_SENDER) -> None:
    """Send ``mail`` or raise :class:`NotDelivered` (for a use case that stores nothing unless it went)."""
    try:
        mailer.send(to_message(mail, sender))
    except (OSError, smtplib.SMTPException) as err:
        log.error("mail to %s (%s) failed: %s", mail.to, mail.subject, err)
        raise NotDelivered(f"The email to {mail.to} could not be sent; nothing was changed. Try again later.") \
            from None


def deliver(mailer: Mailer, mails: Iterable[Mail], sender: str = DEFAULT_SENDER) -> int:
    """Send each mail; return how many failed (logged without their body, which holds a link)."""
    failed = 0
    for mail in mails:
        try:
            mailer.send(to_message(mail, sender))
        except (OSError, smtplib.SMTPException) as err:
            failed += 1
            log.error("mail to %s (%s) failed: %s", mail.to, mail.subject, err)
    return failed


def read_outbox(folder: str | os.PathLike[str]) -> list[EmailMessage]:
    """Return the messages in an outbox folder, oldest first (tests and demos read links here)."""
    from email import policy
    from email.parser import BytesParser

    messages = []
    for path in sorted(Path(folder).glob("*.eml")):
        with open(path, "rb") as handle:
            messages.append(BytesParser(policy=policy.default).parse(handle))
    return messages
