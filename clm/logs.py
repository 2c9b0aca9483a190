"""Secrets never reach a log line: signer links and API tokens are redacted in every record.

A signer's link (``/sign/<token>``) is the signer's only credential, and gunicorn's access
log writes each request line; an API token may appear in an error message. The redaction is
a log record factory, so it covers every logger of the process (clm's, Flask's, Werkzeug's,
gunicorn's access and error logs) whatever handlers a deployment configures.
"""

from __future__ import annotations

import logging
import re
from typing import Any

REDACTED = "[redacted]"
#: A signer token in a path (43 URL-safe characters; a shorter run is no token clm issued),
#: and an API token (``clm_`` + 43 characters) anywhere.
_SECRETS = (
    (re.compile(r"(/sign/)[A-Za-z0-9_-]{16,}"), r"\1" + REDACTED),
    (re.compile(r"\bclm_[A-Za-z0-9_-]{16,}"), "clm_" + REDACTED),
)
_installed = False


def redact(text: str) -> str:
    """Return ``text`` with every signer token and API token replaced by ``[redacted]``."""
    for pattern, replacement in _SECRETS:
        text = pattern.sub(replacement, text)
    return text


def install_redaction() -> None:
    """Make every log record of this process carry its message with secrets redacted (idempotent)."""
    global _installed
    if _installed:
        return
    previous = logging.getLogRecordFactory()

    def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = previous(*args, **kwargs)
        try:
            message = record.getMessage()
        except Exception:  # noqa: BLE001 - a malformed record is logging's to report, not ours
            return record
        cleaned = redact(message)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        return record

    logging.setLogRecordFactory(factory)
    _installed = True
