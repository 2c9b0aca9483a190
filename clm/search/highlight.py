"""Snippets from the database turned into safe HTML: document text escaped, matches in <mark>."""

from __future__ import annotations

import html
import re

#: Private-use characters the database wraps matches in; never shown, never trusted as HTML.
START, STOP = "\ue000", "\ue001"
_MARKED = re.compile(f"{START}([^{START}{STOP}]*){STOP}")


def snippet_html(raw: str) -> str:
    """Return ``raw`` escaped, with each START…STOP pair as ``<mark>…</mark>``.

    Escaping comes first, so ``<script>`` in a contract stays text; a stray marker (a document
    may contain these characters itself) is dropped rather than turned into a tag.
    """
    escaped = html.escape(" ".join((raw or "").split()), quote=True)
    marked = _MARKED.sub(lambda m: f"<mark>{m.group(1)}</mark>", escaped)
    return marked.replace(START, "").replace(STOP, "")


def snippet_text(raw: str) -> str:
    """Return ``raw`` without markers, whitespace collapsed (the API's plain snippet)."""
    return " ".join((raw or "").replace(START, "").replace(STOP, "").split())
