"""Settings from ``CLM_*`` environment variables laid over defaults; no Flask import."""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from typing import Any

#: Defaults for every setting; ``CLM_<NAME>`` in the environment overrides ``<NAME>``.
DEFAULTS: dict[str, Any] = {
    # Empty means the embedded default: SQLite in the instance folder. PostgreSQL in production.
    "DATABASE_URL": "",
    # Where the SQLite file, the local secret key and the mail outbox live.
    "INSTANCE_PATH": "instance",
    # Empty means jobs run inline, in the request or command that queues them.
    "REDIS_URL": "",
    # Without Redis, jobs that must not run in a request (reading a scanned PDF) run on a
    # background thread of the serving process; 1 runs them at once instead (tests).
    "INLINE_JOBS": False,
    # The RQ queue clm's jobs go to and `clm worker` reads (one Redis can serve several installs).
    "RQ_QUEUE": "clm",
    # Where blob bytes live: empty keeps them in the database; file:///srv/clm/blobs keeps them
    # as content-addressed files in that directory (the database keeps the hash and size).
    "BLOB_STORE": "",
    # Only for local use; `clm init` refuses to run a server with it unless told it is a demo.
    "SECRET_KEY": "",
    # The key that MACs the envelope audit chains; empty: audit.key in the instance folder
    # (generated on first use). Every app server and `clm init` need the same key.
    "AUDIT_KEY": "",
    # Cookies marked Secure need HTTPS; production behind TLS sets CLM_SECURE_COOKIES=1.
    "SECURE_COOKIES": False,
    "SESSION_IDLE_MINUTES": 30,
    "SESSION_ABSOLUTE_HOURS": 12,
    "MAX_UPLOAD_BYTES": 10 * 1024 * 1024,
    "PARSE_TIMEOUT_SECONDS": 10.0,
    # PDFs: a 50-page scan is 10-40 MB, and OCR reads 0.2-0.3 pages/s per core.
    "MAX_PDF_UPLOAD_BYTES": 64 * 1024 * 1024,
    "PDF_PARSE_TIMEOUT_SECONDS": 600.0,
    # Failed sign-ins per account (from devices it never signed in from; each known device has
    # its own count) and per client address, over 15 minutes, before they are refused.
    "LOGIN_ATTEMPTS_PER_15_MINUTES": 10,
    "LOGIN_ATTEMPTS_PER_ADDRESS": 30,
    "CLAUSE_LIBRARY": "",
    # Fallback positions up to this rank go to signature without approval; beyond it, and
    # every non-standard clause, need legal's approval.
    "APPROVAL_FALLBACK_LEVEL": 1,
    # Where signer links point (https://clm.example.com); empty: the address the sender used.
    "PUBLIC_URL": "",
    # smtp://user:password@host:587 or smtps://host:465; empty: mail goes to the outbox folder.
    "SMTP_URL": "",
    # The outbox folder for mail when no SMTP server is set; empty: <instance>/outbox.
    "MAIL_OUTBOX": "",
    "MAIL_FROM": "clm <no-reply@localhost>",
    # The company name quotes (PDF, Word, email) are branded with; empty: no brand line.
    "SELLER_NAME": "",
    # Envelope status changes are POSTed here, signed with HMAC-SHA256 of WEBHOOK_SECRET; empty: off.
    "WEBHOOK_URL": "",
    "WEBHOOK_SECRET": "",
    # Days after invitation to remind signers who have not acted, e.g. "3,7"; empty: no reminders.
    "REMINDER_DAYS": "",
    # Days before a renewal's non-renewal notice deadline to email finance and legal, e.g. "90,60,30".
    "RENEWAL_REMINDER_DAYS": "90,60,30",
    # Comma-separated addresses for renewal reminders; empty: every active finance and legal user.
    "RENEWAL_REMINDER_TO": "",
    # The holiday calendar business days count on when a contract names none: a country code
    # with an optional subdivision (US, US-NY, GB-ENG, DE-BY), or "none" for weekends only.
    "HOLIDAYS": "US",
    # How pages, PDFs and CSVs' formatted columns write dates: en-US ("June 1, 2026"), en-GB
    # ("1 June 2026") or iso ("2026-06-01"). Stored values and the API keep ISO dates.
    "DATE_LOCALE": "en-US",
    # Journal accounts: "receivable=1200,contract_asset=1210,contract_liability=2300,revenue=4000",
    # and per line "revenue:<line id>=4010"; empty: the accounts' names (clm.downstream.journal).
    "CHART_OF_ACCOUNTS": "",
    # Tax on invoices, percent per bill-to jurisdiction: "GB=20,CA=5,CA-BC=7,US-NY=8.875"; empty: none.
    "TAX_RATES": "",
    # How many reverse proxies in front of clm append X-Forwarded-For/-Proto/-Host; 0: none,
    # the headers are ignored and the connection's address is the client's.
    "PROXY_HOPS": 0,
    "HOST": "127.0.0.1",
    "PORT": 8000,
    "WORKERS": 2,
}


def _bool(value: str) -> bool:
    lowered = value.strip().lower()
    if lowered in {"1", "true", "yes", "on"}:
        return True
    if lowered in {"0", "false", "no", "off", ""}:
        return False
    raise ValueError(f"expected a boolean (1/0, true/false), got {value!r}")


_PARSERS: dict[type, Callable[[str], Any]] = {bool: _bool, int: int, float: float, str: str}


def load(environ: Mapping[str, str] | None = None) -> dict[str, Any]:
    """Return the settings: ``DEFAULTS`` overridden by ``CLM_*`` variables, parsed to each default's type.

    Raise ``ValueError`` naming the variable when a value does not parse, so a typo in a
    deployment fails at start-up rather than at the first request.
    """
    environ = os.environ if environ is None else environ
    settings = dict(DEFAULTS)
    for name, default in DEFAULTS.items():
        raw = environ.get(f"CLM_{name}")
        if raw is None:
            continue
        try:
            settings[name] = _PARSERS[type(default)](raw)
        except ValueError as err:
            raise ValueError(f"CLM_{name}: {err}") from None
    settings["INSTANCE_PATH"] = os.path.abspath(settings["INSTANCE_PATH"])
    if not settings["DATABASE_URL"]:
        settings["DATABASE_URL"] = f"sqlite:///{os.path.join(settings['INSTANCE_PATH'], 'clm.sqlite3')}"
    return settings
