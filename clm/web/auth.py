"""Who is calling: sign-in for people (sessions, CSRF), bearer tokens for programs, permissions."""

from __future__ import annotations

import hmac
import secrets
import time
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from flask import Blueprint, current_app, flash, g, redirect, render_template, request, session, url_for

from clm import db
from clm.access import Principal, current_principal  # who may do what lives there, below every package
from clm.errors import ClmError, InvalidInput
from clm.users import Throttle, User, authenticate, change_password, end_sessions, find_token

if TYPE_CHECKING:
    from flask import Flask
    from flask.typing import ResponseReturnValue

__all__ = ["CsrfError", "bp", "csrf_token", "init_app"]

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
            row = find_token(db.get_session(), token.strip(), now=db.utcnow())
            if row is not None:
                g.principal = Principal(label=f"token:{row.label}", role=row.role, user=row.user, token=row)
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
    # A cookie from before a sign-out, a password change or a deactivation is dead (server side).
    if user is None or not user.active or session.get("gen") != user.session_generation:
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


#: The cookie a successful sign-in leaves: it makes this browser a *known device* for the
#: account, which strangers' failed sign-ins cannot lock out (clm.users.authenticate).
DEVICE_COOKIE = "clm_device"
DEVICE_DAYS = 365


def _device_serializer() -> Any:
    from itsdangerous import URLSafeTimedSerializer

    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="clm-sign-in-device")


def _known_device(email: str) -> str | None:
    """Return the id of this browser as a known device of ``email``, or None."""
    raw = request.cookies.get(DEVICE_COOKIE)
    if not raw or len(raw) > 500:
        return None
    from itsdangerous import BadSignature

    try:
        data = _device_serializer().loads(raw, max_age=DEVICE_DAYS * 86400)
    except BadSignature:
        return None
    if not isinstance(data, dict) or data.get("e") != email.strip().lower():
        return None
    import hashlib

    return hashlib.sha256(str(data.get("n", "")).encode()).hexdigest()


def _throttle() -> Throttle:
    return Throttle(per_account=int(current_app.config["LOGIN_ATTEMPTS_PER_15_MINUTES"]),
                    per_address=int(current_app.config["LOGIN_ATTEMPTS_PER_ADDRESS"]))


def _start_session(user: User) -> None:
    # A fresh session on sign-in: nothing set before it (a planted id) survives.
    session.clear()
    session.permanent = True
    session.update(user_id=user.id, gen=user.session_generation, login_at=time.time(), seen_at=time.time(),
                   csrf=secrets.token_urlsafe(32))


@bp.route("/login", methods=["GET", "POST"])
def login() -> ResponseReturnValue:
    """Show the sign-in form; sign the user in on a good email and password."""
    error = None
    if request.method == "POST":
        email = request.form.get("email", "")
        with db.transaction() as s:
            user = authenticate(s, email, request.form.get("password", ""), now=db.utcnow(),
                                client=request.remote_addr, device=_known_device(email), throttle=_throttle())
        if user is not None:
            _start_session(user)
            response = redirect(_safe_next(request.args.get("next")))
            response.set_cookie(DEVICE_COOKIE, _device_serializer().dumps({"e": user.email,
                                                                          "n": secrets.token_urlsafe(16)}),
                                max_age=DEVICE_DAYS * 86400, httponly=True, samesite="Lax",
                                secure=bool(current_app.config["SECURE_COOKIES"]))
            return response
        error = "The email or password is wrong, or too many attempts were made; wait and try again."
    status = 401 if error else 200
    return render_template("auth/login.html", error=error, next=request.args.get("next", "")), status


@bp.route("/logout", methods=["POST"])
def logout() -> ResponseReturnValue:
    """Sign out: end every session of this user, server side, so a saved cookie no longer works."""
    principal = current_principal()
    if principal is not None and principal.user is not None and principal.token is None:
        with db.transaction() as s:
            user = s.get(User, principal.user.id)
            if user is not None:
                end_sessions(s, user)
    session.clear()
    return redirect(url_for("auth.login"))


@bp.route("/account/password", methods=["GET", "POST"])
def password() -> ResponseReturnValue:
    """Change one's own password; every other session of the user ends."""
    principal = current_principal()
    if principal is None or principal.user is None:
        return redirect(url_for("auth.login", next=request.path))
    error = None
    if request.method == "POST":
        new = request.form.get("new_password", "")
        try:
            if new != request.form.get("confirm_password", ""):
                raise InvalidInput("The new password and its confirmation differ.")
            with db.transaction() as s:
                user = s.get(User, principal.user.id)
                assert user is not None
                change_password(s, user, current=request.form.get("current_password", ""), new=new)
                _start_session(user)
        except InvalidInput as err:
            error = str(err)
        else:
            flash("Your password was changed; your other sessions were signed out.")
            return redirect(url_for("versions.index"))
    return render_template("auth/password.html", error=error), 422 if error else 200
