"""The search page: a search box, term filters, ranked hits with highlighted snippets."""

from __future__ import annotations

from typing import TYPE_CHECKING

from flask import Blueprint, render_template, request

from clm import db
from clm.access import require
from clm.search import services
from clm.search.query import describe
from clm.versions.models import ContractStatus

if TYPE_CHECKING:
    from flask import Flask
    from flask.typing import ResponseReturnValue

bp = Blueprint("search", __name__, template_folder="templates")


def init_app(app: Flask) -> None:
    """Register the search page and ``GET /api/v1/search``."""
    from clm.search import api

    app.register_blueprint(bp)
    app.register_blueprint(api.bp)


def _offset() -> int:
    raw = request.args.get("offset", "0")
    return int(raw) if raw.isdigit() else 0


@bp.route("/search")
@require("contracts.read")
def index() -> ResponseReturnValue:
    """Search every version's text; filter by counterparty, governing law, renewal and status."""
    text = request.args.get("q", "")[:500]
    filters = services.parse_filters(request.args)
    results = services.search(db.get_session(), text, filters, offset=_offset()) if text.strip() else None
    return render_template("search/index.html", q=text, filters=filters, results=results,
                           understood=describe(results.query) if results else "",
                           statuses=[s.value for s in ContractStatus], args=filters.as_args())
