"""Administration pages: API tokens (list, create for a user, revoke)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from flask import Blueprint, flash, redirect, render_template, request, url_for

from clm import db
from clm.access import require
from clm.errors import ClmError
from clm.users import (
    DEFAULT_TOKEN_DAYS,
    MAX_TOKEN_DAYS,
    Role,
    create_token,
    find_user,
    list_tokens,
    parse_role,
    revoke_token,
)

if TYPE_CHECKING:
    from flask.typing import ResponseReturnValue

bp = Blueprint("admin", __name__)


def _page(*, created: str | None = None, error: str | None = None, status: int = 200) -> ResponseReturnValue:
    return render_template("admin/tokens.html", tokens=list_tokens(db.get_session()), now=db.utcnow(),
                           roles=[r.value for r in Role], created=created, error=error, form=request.form,
                           default_days=DEFAULT_TOKEN_DAYS, max_days=MAX_TOKEN_DAYS), status


@bp.route("/admin/tokens")
@require("users.manage")
def tokens() -> ResponseReturnValue:
    """List every API token: owner, role, created, expiry, whether revoked."""
    return _page()


@bp.route("/admin/tokens", methods=["POST"])
@require("users.manage")
def create() -> ResponseReturnValue:
    """Create a token for a user; it is shown on this page once."""
    try:
        days = int(request.form.get("days") or DEFAULT_TOKEN_DAYS)
        with db.transaction() as s:
            owner = find_user(s, request.form.get("email", ""))
            role = parse_role(request.form["role"]) if request.form.get("role") else None
            _row, text = create_token(s, user=owner, role=role, label=request.form.get("label", ""), days=days,
                                      now=db.utcnow())
    except ValueError:
        return _page(error="Days must be a whole number.", status=422)
    except ClmError as err:
        # An unknown owner is a mistake in the form (422), not a missing page.
        return _page(error=str(err), status=422 if err.status == 404 else err.status)
    return _page(created=text, status=201)


@bp.route("/admin/tokens/<int:token_id>/revoke", methods=["POST"])
@require("users.manage")
def revoke(token_id: int) -> ResponseReturnValue:
    """Revoke a token: it stops working at once."""
    with db.transaction() as s:
        revoke_token(s, token_id, now=db.utcnow())
    flash(f"API token {token_id} revoked.")
    return redirect(url_for("admin.tokens"))
