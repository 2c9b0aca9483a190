"""Who is calling: sign-in for people (sessions, CSRF), bearer tokens for programs, permissions."""

from __future__ import annotations

import hmac
import secrets
import time
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from flask import (
    Blueprint,
    current_app,
    g,
    redirect,
    render_template,
    request,
    session,
    url_for,
)

from clm import db
from clm.access import (  # moved to clm.access; re-exported
    Principal,
    current_principal,
    require,
)
from clm.errors import ClmError
from clm.users import User, authenticate, find_token

if TYPE_CHECKING:
    from flask import Flask
    from flask.typing import ResponseReturnValue

__all__ = ["CsrfError", "Principal", "bp", "csrf_token", "current_principal", "init_app", "require"]

bp = Blueprint("auth", __name__)
_UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


class CsrfError(ClmError):
    status = 400


def init_app(app: Flask) -> None:
    """Load the caller before every request and offer ``csrf_token()`` to templates."""
    app.before_request(_load_principal)
    app.before_request(_check_csrf)
    app.jinja_env.globals["csrf_token"] = csrf_token
    app.jinja_env.globals["current_principal"] = current_principal


def csrf_token() -> str:
    """Return this session's CSRF token, creating it on first use."""
    if "csrf" not in session:
        session["csrf"] = secrets.token_urlsafe(32)
    token: str = session["csrf"]
    return token


def _load_principal() -> None:
    g.principal = None
    if request.path.startswith("/api/"):
        # The API takes bearer tokens only, never the cookie, so it needs no CSRF defence.
        header = request.headers.get("Authorization", "")
        scheme, _, token = header.partition(" ")
        if scheme.lower() == "bearer" and token:
            row = find_token(db.get_session(), token.strip())
            if row is not None:
                g.principal = Principal(label=f"token:{row.label}", role=row.role, token=row)
        return
    user_id = session.get("user_id")
    if user_id is None:
        return
    now = time.time()
    idle = current_app.config["SESSION_IDLE_MINUTES"] * 60
    absolute = current_app.config["SESSION_ABSOLUTE_HOURS"] * 3600
    if now - session.get("seen_at", 0) > idle or now - session.get("login_at", 0) > absolute:
        session.clear()
        return
    user = db.get_session().get(User, user_id)
    if user is None or not user.active:
        session.clear()
        return
    session["seen_at"] = now
    g.principal = Principal(label=user.email, role=user.role, user=user)


def _check_csrf() -> None:
    if request.method not in _UNSAFE_METHODS or request.path.startswith("/api/"):
        return
    sent = request.form.get("csrf_token", "") or request.headers.get("X-CSRF-Token", "")
    expected = session.get("csrf", "")
    if not expected or not hmac.compare_digest(sent.encode(), expected.encode()):
        raise CsrfError("This form has expired or did not come from clm; reload the page and try again.")


def _safe_next(target: str | None) -> str:
    # Only paths on this site: "//evil.example" or "https://evil.example" would be an open redirect.
    if (target and target.startswith("/") and not target.startswith("//") and "\\" not in target
            and not urlsplit(target).netloc):
        return target
    return url_for("versions.index")


@bp.route("/login", methods=["GET", "POST"])
def login() -> ResponseReturnValue:
    """Show the sign-in form; sign the user in on a good email and password."""
    error = None
    if request.method == "POST":
        email = request.form.get("email", "")
        with db.transaction() as s:
            user = authenticate(s, email, request.form.get("password", ""),
                                now=db.utcnow(),
                                max_attempts=current_app.config["LOGIN_ATTEMPTS_PER_15_MINUTES"])
        if user is not None:
            # A fresh session on sign-in: nothing set before it (a planted id) survives.
            session.clear()
            session.permanent = True
            session.update(user_id=user.id, login_at=time.time(), seen_at=time.time(),
                           csrf=secrets.token_urlsafe(32))
            return redirect(_safe_next(request.args.get("next")))
        error = "The email or password is wrong, or too many attempts were made; wait and try again."
    status = 401 if error else 200
    return render_template("auth/login.html", error=error, next=request.args.get("next", "")), status


@bp.route("/logout", methods=["POST"])
def logout() -> ResponseReturnValue:
    """Sign out."""
    session.clear()
    return redirect(url_for("auth.login"))
