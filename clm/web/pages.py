"""What every page shares: security headers, template helpers, the navigation."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from flask import current_app, request
from werkzeug.routing import IntegerConverter

from clm.access import MAX_ID, id_arg  # moved to clm.access; re-exported
from clm.values import display, fields

__all__ = ["MAX_ID", "DatabaseId", "day", "filesize", "id_arg", "init_app", "term_value", "when"]

if TYPE_CHECKING:
    from flask import Flask, Response

#: No inline script or style anywhere: every script and stylesheet is a static file.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; object-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
)


#: How long browsers keep to https once they saw clm over TLS (one year).
HSTS_SECONDS = 365 * 24 * 3600


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
    # The one formatting of values on every page and PDF (clm.values.display): every blueprint's
    # templates use these, none registers its own.
    app.jinja_env.filters["money"] = display.money_text
    app.jinja_env.filters["duration"] = display.duration_text
    app.jinja_env.filters["day"] = day
    app.jinja_env.filters["percent"] = display.percent_text
    app.jinja_env.filters["month"] = display.month_text
    app.jinja_env.filters["spans"] = lambda spans: ",".join(f"{s}-{e}" for s, e in spans)
    app.jinja_env.filters["when"] = when


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


def term_value(value: Any, field: str) -> str:
    """Return an extracted or confirmed value of term ``field`` as a reader sees it ("30 business days").

    Dates as the install's ``CLM_DATE_LOCALE`` writes them ("June 1, 2026").
    """
    return fields.format(field, value, _locale())


def _locale() -> str:
    return str(current_app.config.get("DATE_LOCALE") or "en-US")


def when(value: Any) -> str:
    """Return a moment (stored in UTC) as the install's locale writes its day: "June 1, 2026 14:05 UTC"."""
    return f"{day(value)} {value:%H:%M} UTC" if value else ""


def day(value: Any) -> str:
    """Return a date as the install's ``CLM_DATE_LOCALE`` writes it ("June 1, 2026"); "" for none."""
    return display.date_text(value, _locale())
