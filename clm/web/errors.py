"""Turn errors into answers: JSON ``{"error": ...}`` under /api/, a page elsewhere; never a trace."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from flask import jsonify, render_template, request
from sqlalchemy.exc import DataError, DBAPIError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from werkzeug.exceptions import HTTPException

from clm import db
from clm.errors import ClmError

if TYPE_CHECKING:
    from flask import Flask
    from flask.typing import ResponseReturnValue

log = logging.getLogger(__name__)


def init_app(app: Flask) -> None:
    """Register the error handlers."""
    app.register_error_handler(ClmError, _clm_error)
    app.register_error_handler(HTTPException, _http_error)
    app.register_error_handler(DBAPIError, _database_error)
    app.register_error_handler(PoolTimeout, _database_error)
    app.register_error_handler(OverflowError, _out_of_range)
    app.register_error_handler(Exception, _unexpected)


def respond(status: int, message: str) -> ResponseReturnValue:
    """Return an error answer in the form the caller reads: JSON for the API, HTML otherwise."""
    if request.path.startswith("/api/"):
        return jsonify(error=message), status
    return render_template("error.html", status=status, message=message), status


def _clm_error(err: ClmError) -> ResponseReturnValue:
    return respond(err.status, str(err))


_HTTP_MESSAGES = {
    400: "The request could not be understood.",
    401: "Sign in first.",
    403: "Your role does not allow this.",
    404: "There is nothing here.",
    405: "This address does not accept that method.",
    413: "The file is larger than the upload limit.",
}


def _http_error(err: HTTPException) -> ResponseReturnValue:
    status = err.code or 500
    message = _HTTP_MESSAGES.get(status) or err.description or "The request failed."
    if status == 400 and err.description and err.description != HTTPException.description:
        message = err.description
    response = respond(status, message)
    if status == 405 and hasattr(err, "valid_methods") and err.valid_methods:
        body, code = response  # type: ignore[misc]
        return body, code, {"Allow": ", ".join(err.valid_methods)}
    return response


OUT_OF_RANGE = "A number or a text in the request is too large for clm; nothing was changed."


def _out_of_range(err: Exception) -> ResponseReturnValue:
    return respond(422, OUT_OF_RANGE)


UNAVAILABLE = "The database is unavailable for a moment; nothing was changed. Try again shortly."


def _database_error(err: DBAPIError | PoolTimeout) -> ResponseReturnValue:
    # The database refused a value (a number beyond its integer range, a text longer than
    # its column): the request's fault, answered like any other bad input.
    if isinstance(err, DataError):
        return _out_of_range(err)
    # A connection that dropped or was refused (database restarting), a lock held too long
    # (SQLite) or an exhausted pool: a temporary outage, not a bug. One log line, no trace.
    if db.is_unavailable(err):
        log.warning("database unavailable on %s %s: %s", request.method, request.path,
                    str(getattr(err, "orig", err)).strip().splitlines()[0][:200])
        body, status = respond(503, UNAVAILABLE)  # type: ignore[misc]
        return body, status, {"Retry-After": "5"}
    return _unexpected(err)


def _unexpected(err: Exception) -> ResponseReturnValue:
    log.exception("unexpected error on %s %s", request.method, request.path)
    return respond(500, "Something went wrong on our side; nothing was changed. The error has been logged.")
