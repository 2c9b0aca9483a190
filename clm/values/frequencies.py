"""How often something recurs: once, weekly, monthly, quarterly, semiannual, annual."""

from __future__ import annotations

import re
from dataclasses import dataclass

from clm.values import ValueReadError

WHAT = "a frequency"
EXAMPLE = "once, monthly, quarterly or annual"
#: Our own names, from least to most frequent period length.
FREQUENCIES = ("once", "weekly", "monthly", "quarterly", "semiannual", "annual")
#: Months in one period of each monthly-or-longer frequency.
PERIOD_MONTHS = {"monthly": 1, "quarterly": 3, "semiannual": 6, "annual": 12}
_WORDS = {"once": "once", "weekly": "weekly", "monthly": "monthly", "quarterly": "quarterly",
          "semiannual": "semi-annually", "annual": "annually"}
_READ = [
    ("semiannual", (r"semi-?\s?annual(?:ly)?|bi-?annual(?:ly)?|twice\s+(?:a|per|each)\s+year|half-?\s?yearly"
                    r"|every\s+six\s+(?:\(6\)\s+)?months")),
    ("annual", r"annual(?:ly)?|yearly|year|(?:per|a|each|every|/)\s*(?:calendar\s+)?year|per\s+annum|p\.a\."),
    ("quarterly", r"quarterly|quarter|(?:per|a|each|every|/)\s*(?:calendar\s+)?quarter"),
    ("monthly", r"monthly|month|(?:per|a|each|every|/)\s*(?:calendar\s+)?month"),
    ("weekly", r"weekly|week|(?:per|a|each|every|/)\s*week"),
    ("once", r"once|one[\s-]?time|one[\s-]?off|single"),
]
_READ_RE = [(name, re.compile(rf"(?:{p})", re.IGNORECASE)) for name, p in _READ]
_FIND_RE = re.compile(r"\b(?:" + "|".join(f"(?P<{n}>{p})" for n, p in _READ) + r")\b", re.IGNORECASE)


def parse(text: str) -> str:
    """Return the frequency in our own form ("annual"), also as :func:`format` writes it ("annually")."""
    if isinstance(text, str):
        s = text.strip().lower()
        if s in FREQUENCIES:
            return s
        for name, word in _WORDS.items():
            if s == word:
                return name
    raise ValueReadError(text, WHAT, EXAMPLE)


def read(text: str) -> str:
    """Return the frequency a contract or a person words ("annually", "per year", "semi-annually")."""
    if isinstance(text, str):
        s = " ".join(text.strip().rstrip(".;,").split())
        for name, rx in _READ_RE:
            if rx.fullmatch(s):
                return name
    return parse(text)


def format(name: str) -> str:
    """Return the frequency as a contract words it: "annually", "quarterly", "once"."""
    return _WORDS[name]


@dataclass(frozen=True)
class FoundFrequency:
    """A frequency named in text, with its span."""

    value: str
    start: int
    end: int


def find(text: str) -> list[FoundFrequency]:
    """Return every frequency named in ``text`` ("billed quarterly", "USD 10 per month"), with spans."""
    out = []
    for m in _FIND_RE.finditer(text):
        name = next(n for n, _ in _READ if m.group(n))
        out.append(FoundFrequency(name, m.start(), m.end()))
    return out
