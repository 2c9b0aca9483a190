"""JSON request bodies with a depth limit: a hostile nesting is a 400, never a RecursionError (500)."""

from __future__ import annotations

from typing import Any

from flask.json.provider import DefaultJSONProvider
from werkzeug.exceptions import BadRequest

#: Deeper than any document clm reads (commercial terms, quotes, envelopes nest a few levels).
MAX_DEPTH = 64
TOO_DEEP = f"The JSON body is nested too deeply (more than {MAX_DEPTH} levels)."


def depth_ok(value: Any, limit: int = MAX_DEPTH) -> bool:
    """Return whether ``value`` nests lists and objects at most ``limit`` deep (iteratively)."""
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            children: Any = item.values()
        elif isinstance(item, list):
            children = item
        else:
            continue
        if depth > limit:
            return False
        stack.extend((child, depth + 1) for child in children)
    return True


class BoundedJSONProvider(DefaultJSONProvider):
    """Flask's JSON provider whose ``loads`` refuses bodies nested deeper than MAX_DEPTH.

    It raises BadRequest rather than ValueError: ``request.get_json(silent=True)`` swallows a
    ValueError (the caller then says "send a JSON object", 422), while this is the sender's
    malformed request, answered 400 by every endpoint alike.
    """

    def loads(self, s: str | bytes, **kwargs: Any) -> Any:
        try:
            value = super().loads(s, **kwargs)
        except RecursionError:
            raise BadRequest(TOO_DEEP) from None
        if not depth_ok(value):
            raise BadRequest(TOO_DEEP)
        return value
