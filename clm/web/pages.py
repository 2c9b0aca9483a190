"""What every page shares: security headers, template helpers, the navigation."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from flask import request
from werkzeug.routing import IntegerConverter

from clm.errors import InvalidInput

if TYPE_CHECKING:
    from flask import Flask, Response

#: No inline script or style anywhere: every script and stylesheet is a static file.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; object-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
)


#: How long browsers keep to https once they saw clm over TLS (one year).
HSTS_SECONDS = 365 * 24 * 3600

MAX_ID = 2**31 - 1


def id_arg(name: str) -> int | None:
    """Return the query argument ``name`` as a database id, None when absent.

    Raise InvalidInput for anything but a whole number from 1 to MAX_ID, so an id no table
    can hold is refused alike on SQLite and PostgreSQL.
    """
    raw = request.args.get(name)
    if raw is None or raw == "":
        return None
    if not raw.isdigit() or not 1 <= int(raw) <= MAX_ID:
        raise InvalidInput(f"{name} must be a whole number from 1 to {MAX_ID}, not {raw[:30]!r}.")
    return int(raw)


class DatabaseId(IntegerConverter):
    """``<int:...>`` in routes: a positive id the database can hold; anything larger is a 404."""

    def __init__(self, url_map: Any, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("max", MAX_ID)
        super().__init__(url_map, *args, **kwargs)


def init_app(app: Flask) -> None:
    """Register the security headers, the bounded ``int`` route converter and the template filters."""
    app.url_map.converters["int"] = DatabaseId
    app.after_request(_security_headers)
    app.jinja_env.filters["filesize"] = filesize
    app.jinja_env.filters["term_value"] = term_value
    app.jinja_env.filters["spans"] = lambda spans: ",".join(f"{s}-{e}" for s, e in spans)
    app.jinja_env.filters["when"] = lambda value: value.strftime("%Y-%m-%d %H:%M UTC") if value else ""


def _security_headers(response: Response) -> Response:
    response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("X-Frame-Options", "DENY")
    # A signer's URL holds their token: no page under it (an error page too) may pass it on.
    response.headers.setdefault("Referrer-Policy",
                                "no-referrer" if request.path.startswith("/sign/") else "same-origin")
    # Pages, API answers, CSVs, invoices, version downloads and signed PDFs hold contract data:
    # no browser or proxy cache keeps them. Only the bundled static files may be cached.
    endpoint = request.endpoint or ""
    if endpoint != "static" and not endpoint.endswith(".static"):
        response.headers["Cache-Control"] = "no-store"
    if request.is_secure:
        # Over TLS (directly, or behind a proxy that CLM_PROXY_HOPS trusts): browsers keep to https.
        response.headers.setdefault("Strict-Transport-Security", f"max-age={HSTS_SECONDS}; includeSubDomains")
    return response


def filesize(size: int) -> str:
    """Return ``size`` bytes as a short human figure (``12.3 kB``)."""
    value = float(size)
    for unit in ("bytes", "kB", "MB", "GB"):
        if value < 1000 or unit == "GB":
            return f"{int(value)} {unit}" if unit == "bytes" else f"{value:.1f} {unit}"
        value /= 1000
    return f"{size} bytes"


def term_value(value: Any) -> str:
    """Return an extracted or confirmed term value as a reader expects to see it."""
    if value is None:
        return "—"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list):
        return "; ".join(term_value(v) for v in value)
    if isinstance(value, dict):
        return ", ".join(f"{k}: {term_value(v)}" for k, v in value.items())
    if isinstance(value, str) and value.startswith("P") and len(value) > 1 and value[1:-1].isdigit():
        amount, unit = int(value[1:-1]), {"D": "day", "W": "week", "M": "month", "Y": "year"}.get(value[-1])
        if unit:
            return f"{amount} {unit}{'s' if amount != 1 else ''}"
    return str(value)
