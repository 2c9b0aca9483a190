"""Signing's outgoing mail: the transport lives in :mod:`clm.mail`; re-exported here for signing's callers."""

from __future__ import annotations

from clm.mail import (
    DEFAULT_SENDER,
    Mail,
    Mailer,
    OutboxMailer,
    SmtpMailer,
    deliver,
    mailer_for,
    read_outbox,
    setting,
    to_message,
)

__all__ = ["DEFAULT_SENDER", "Mail", "Mailer", "OutboxMailer", "SmtpMailer", "deliver", "mailer_for", "read_outbox",
           "setting", "to_message"]
