"""``GET /api/v1/search``: ranked full-text hits with snippets, filtered by contract terms."""

from __future__ import annotations

from typing import TYPE_CHECKING

from flask import Blueprint, jsonify, request

from clm import db
from clm.access import require
from clm.errors import InvalidInput
from clm.search import services

if TYPE_CHECKING:
    from flask.typing import ResponseReturnValue

bp = Blueprint("search_api", __name__, url_prefix="/api/v1")


def _int_arg(name: str, default: int, low: int, high: int) -> int:
    raw = request.args.get(name, "")
    if raw == "":
        return default
    if not raw.isdigit() or not low <= int(raw) <= high:
        raise InvalidInput(f"{name}: expected a whole number from {low} to {high}.")
    return int(raw)


@bp.route("/search")
@require("contracts.read")
def search() -> ResponseReturnValue:
    """Return ``{"hits": [...], "next_offset": n|null}`` for ``?q=`` and the term filters."""
    text = request.args.get("q", "")
    if not text.strip():
        raise InvalidInput("q: type something to search for.")
    if len(text) > 500:
        raise InvalidInput("q: a search is at most 500 characters.")
    filters = services.parse_filters(request.args)
    offset = _int_arg("offset", 0, 0, services.MAX_OFFSET)
    limit = _int_arg("limit", services.PAGE_SIZE, 1, services.MAX_PAGE_SIZE)
    results = services.search(db.get_session(), text, filters, offset=offset, limit=limit)
    return jsonify(
        query=text, hits=[{
            "contract_id": h.contract_id, "version": h.version_number, "version_id": h.version_id,
            "title": h.title, "counterparty": h.counterparty, "status": h.status, "filename": h.filename,
            "score": h.score, "snippet": h.snippet, "snippet_html": h.snippet_html,
        } for h in results.hits],
        next_offset=offset + limit if results.has_more else None)
