"""The search box's little language, parsed to plain values and written out for FTS5.

``indemnity "limitation of liability" -insurance``: words are ANDed, quotes make a phrase,
``OR`` between two terms makes either do, a leading ``-`` excludes. Everything else a person
types is text: FTS5 and tsquery syntax (``NEAR(``, ``*``, ``:*``, ``!``, ``^``) never reaches
the database as syntax, because every term is reduced to its words and quoted again here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

#: Longest query read, and most terms kept; the rest is ignored rather than refused.
MAX_QUERY_CHARS = 500
MAX_TERMS = 20
_TOKEN = re.compile(r'(-?)"([^"]*)"?|(\S+)')
_WORD = re.compile(r"\w+", re.UNICODE)


@dataclass(frozen=True)
class Term:
    """A word or a phrase: its words in order (lower-case), and whether it excludes."""

    words: tuple[str, ...]
    exclude: bool = False

    @property
    def text(self) -> str:
        return " ".join(self.words)


@dataclass(frozen=True)
class Query:
    """Groups that must all match (each group: any one of its terms), and terms that must not."""

    groups: tuple[tuple[Term, ...], ...]
    excluded: tuple[Term, ...]

    @property
    def empty(self) -> bool:
        return not self.groups


def parse(text: str) -> Query:
    """Return the Query in ``text``; unknown syntax becomes words, nothing raises."""
    tokens: list[tuple[str, Term | None]] = []
    for match in _TOKEN.finditer((text or "")[:MAX_QUERY_CHARS]):
        negated, phrase, bare = match.group(1), match.group(2), match.group(3)
        if bare is not None:
            if bare == "OR":
                tokens.append(("or", None))
                continue
            negated, raw = ("-", bare[1:]) if bare.startswith("-") and len(bare) > 1 else ("", bare)
        else:
            raw = phrase
        words = tuple(w.lower() for w in _WORD.findall(raw))
        if words:
            tokens.append(("term", Term(words[:12], exclude=bool(negated))))
    groups: list[list[Term]] = []
    excluded: list[Term] = []
    join_next = False
    for kind, term in tokens:
        if kind == "or":
            join_next = bool(groups)
            continue
        assert term is not None
        if term.exclude:
            excluded.append(term)
            join_next = False
        elif join_next and groups:
            groups[-1].append(term)
            join_next = False
        else:
            groups.append([term])
    groups = groups[:MAX_TERMS]
    return Query(tuple(tuple(g) for g in groups), tuple(excluded[:MAX_TERMS]))


def _fts5_string(term: Term) -> str:
    # Words are \w+ only, so they hold no double quote; quoting makes each a plain string.
    return '"' + " ".join(term.words) + '"'


def to_fts5(query: Query) -> str:
    """Return ``query`` as an FTS5 MATCH expression of quoted strings only."""
    if query.empty:
        raise ValueError("an empty query has no FTS5 form")
    parts = []
    for group in query.groups:
        inner = " OR ".join(_fts5_string(t) for t in group)
        parts.append(f"({inner})" if len(group) > 1 else inner)
    expression = "(" + " AND ".join(parts) + ")"
    for term in query.excluded:
        expression += " NOT " + _fts5_string(term)
    return expression


def describe(query: Query) -> str:
    """Return the query as understood, for the page ("a AND (b OR c) NOT d")."""
    parts = [" OR ".join(f'"{t.text}"' if len(t.words) > 1 else t.text for t in g) for g in query.groups]
    text = " AND ".join(f"({p})" if " OR " in p and len(query.groups) > 1 else p for p in parts)
    return text + "".join(f" NOT {t.text}" for t in query.excluded)
