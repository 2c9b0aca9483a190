"""Every clm_ spaCy component factory, registered once (like spaCy's pipeline/factories.py)."""
from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from spacy.language import Language
from spacy.matcher import PhraseMatcher
from spacy.tokens import Doc, Span

from clm.clauses.extract import normalize

#: Span groups the components write (doc.spans[...]); values sit in span._.clm_value.
DATES = "clm_dates"
DURATIONS = "clm_durations"
MONEY = "clm_money"
JURISDICTIONS = "clm_jurisdictions"
CUES = "clm_cues"

#: Clause cues: label -> case-insensitive pattern. A segment doc gets doc.cats[label] = 1.0
#: when its text matches, and a span in doc.spans["clm_cues"] per match.
CUE_PATTERNS: dict[str, str] = {
    "governing_law": (
        r"\b(?:govern(?:ed|s|ing)?|constru(?:ed|e|ction)|interpret(?:ed|ation)?|enforced"
        r"|subject\s+to)\b[^.]{0,200}?\blaws?\b|\blaws?\b[^.]{0,200}?\bgovern(?:s|ed)?\b"
        r"|\bgoverning\s+law\b|\blegislation\b[^.]{0,200}?\bapply\b|\b[A-Z][\w\']+\s+laws?\s+shall\s+(?:govern|apply)"
    ),
    "incorporation": (
        r"\b(?:organi[sz]ed|incorporated|existing|formed|chartered|registered|established)\s+"
        r"(?:and\s+existing\s+)?(?:under|in\s+accordance\s+with|pursuant\s+to)\s+the\s+laws?\b"
    ),
    "renewal": (
        r"\b(?:(?:auto(?:matically|matic)?|tacitly)\s+(?:be\s+)?(?:renew|extend|continu|prolong)\w*|renew\w*\s+automatically"
        r"|renewable|right\s+to\s+(?:renew|extend)|automatically\s+(?:\w+\s+)?(?:extend|continu)\w*|prolong\w*"
        r"|month[\s-]+to[\s-]+month|thereafter\s+automatically"
        r"|(?:renew|extend)\w*\s+(?:\w+\s+){0,8}?(?:for|by)\s+(?:an?\s+)?(?:additional|successive|further"
        r"|subsequent|consecutive|another|like)|successive\s+(?:renewal\s+)?(?:\w+\s+){0,3}?(?:terms?|periods?"
        r"|years?|months?)|year[\s-]+to[\s-]+year|renewal\s+(?:term|period)s?|option\s+to\s+(?:renew|extend)"
        r"|(?:may|shall|will)\s+(?:be\s+)?(?:renew|extend)\w*|evergreen|continue\s+(?:automatically\s+)?"
        r"(?:thereafter\s+)?(?:for|from)\s+(?:successive|additional|consecutive|year|month))"
    ),
    "non_renewal": (
        r"\b(?:not\s+to\s+(?:renew|extend)|non-?\s?renew\w*|(?:intention|intent|election|decision|desire"
        r"|wish)\s+(?:not\s+)?to\s+(?:renew|extend|terminate)|unless\s+(?:either|one|a|the)\s+\w+\s+"
        r"(?:party\s+)?(?:gives?|provides?|delivers?|notifies|serves?|terminates?)|unless\s+(?:terminated|cancel\w+)"
        r"|(?:prior\s+to|before|in\s+advance\s+of)\s+(?:the\s+)?(?:end|expiration|expiry|conclusion|"
        r"termination|last\s+day|anniversary)|written\s+notice\s+of\s+(?:its\s+|their\s+)?"
        r"(?:non-?renewal|termination|cancellation))"
    ),
    "convenience": (
        r"\b(?:at\s+(?:its|their)\s+(?:sole\s+)?option|for\s+(?:its\s+|their\s+|his\s+|her\s+)?(?:own\s+)?convenience|without\s+(?:any\s+)?"
        r"(?:cause|reason)|for\s+any\s+(?:or\s+no\s+)?reason|for\s+no\s+reason|with\s+or\s+without\s+"
        r"(?:cause|reason)|at\s+(?:any\s+time|will)[^.;]{0,80}?(?:upon|on|by\s+giving|by\s+providing|with"
        r"|after|giving|providing)[^.;]{0,40}?notice|in\s+its\s+(?:sole\s+)?discretion[^.;]{0,60}?notice"
        r"|(?:upon|on|by\s+(?:giving|providing))\s+(?:at\s+least\s+)?(?:\S+\s+){0,4}?(?:\(\d+\)\s+)?"
        r"(?:calendar\s+|business\s+)?(?:days?|months?)'?\s*(?:prior\s+|advance\s+)?(?:written\s+)?notice)"
    ),
    "terminate": r"\b(?:terminat\w*|terminab\w*|cancel\w*)\b",
    "for_cause": (
        r"\b(?:material(?:ly)?\s+breach\w*|breach\w*|default\w*|insolven\w*|bankrupt\w*|for\s+cause"
        r"|fails?\s+to|failure\s+to|cure[sd]?|receiver|winding\s+up|liquidat\w*|change\s+of\s+control"
        r"|violat\w*|force\s+majeure)\b"
    ),
    "cure": r"\b(?:cure[sd]?|remed(?:y|ied|ies))\b",
    "term": (
        r"\b(?:term\s+of\s+this|this\s+agreement\s+(?:shall|will|is\s+to)\s+(?:\w+\s+){0,6}?(?:continue|remain"
        r"|expire|terminate|be\s+(?:in\s+effect|effective|valid))|initial\s+term|(?:shall|will)\s+"
        r"(?:continue|remain)\s+in\s+(?:full\s+)?(?:force|effect)|(?:shall|will)\s+expire|perpetu\w*"
        r"|indefinite\w*|\"term\"|“term”|term\s+of\s+(?:the|this)\s+(?:agreement|contract)|the\s+term\s+"
        r"(?:shall|will)|(?:shall|will)\s+continue\s+(?:until|for|through|thereafter))"
    ),
    "effective": (
        r"\b(?:effective\s+date|effective\s+(?:as\s+)?(?:of|on|from|upon)|commenc\w+\s+(?:on|as\s+of|upon"
        r"|from)|come[s]?\s+into\s+(?:force|effect)|enter\s+into\s+force)"
    ),
    "payment": (
        r"\b(?:net\s*\(?\d+|invoice\w*|payable|payment\s+(?:is\s+|shall\s+be\s+)?due|shall\s+pay|will\s+pay"
        r"|paid)\b"
    ),
    "price_increase": (
        r"\bincreas\w*\b[^.;]{0,120}?\b(?:price|fee|rate|charge)s?\b|\b(?:price|fee|rate|charge)s?\b[^.;]"
        r"{0,120}?\bincreas\w*"
    ),
}

_REGISTERED = False


def _set_spans(doc: Doc, group: str, items: list[tuple[int, int, Any, str]]) -> None:
    spans = []
    for start, end, value, label in items:
        span = doc.char_span(start, end, label=label, alignment_mode="expand")
        if span is None:
            continue
        span._.clm_value = value
        span._.clm_chars = (start, end)
        spans.append(span)
    doc.spans[group] = spans


class DateRecognizer:
    """Find dates in every form contracts use; value = ISO date."""

    def __init__(self, nlp: Language, name: str) -> None:
        self.name = name

    def __call__(self, doc: Doc) -> Doc:
        _set_spans(doc, DATES, [(d.start, d.end, d.iso, "DATE") for d in normalize.find_dates(doc.text)])
        return doc


class DurationRecognizer:
    """Find durations ("thirty (30) days"); value = ISO-8601 duration."""

    def __init__(self, nlp: Language, name: str) -> None:
        self.name = name

    def __call__(self, doc: Doc) -> Doc:
        items = [(d.start, d.end, d.iso, "BUSINESS" if d.business else "DURATION")
                 for d in normalize.find_durations(doc.text)]
        _set_spans(doc, DURATIONS, items)
        return doc


class MoneyRecognizer:
    """Find amounts of money; value = (Decimal amount, ISO currency)."""

    def __init__(self, nlp: Language, name: str) -> None:
        self.name = name

    def __call__(self, doc: Doc) -> Doc:
        _set_spans(doc, MONEY, [(m.start, m.end, (m.amount, m.currency), m.currency)
                                for m in normalize.find_money(doc.text)])
        return doc


class JurisdictionRecognizer:
    """Find jurisdiction names with a PhraseMatcher gazetteer; value = canonical name."""

    def __init__(self, nlp: Language, name: str, extra_names: list[str]) -> None:
        self.name = name
        self.matcher = PhraseMatcher(nlp.vocab, attr="LOWER")
        names = (normalize.US_STATES + normalize.CA_PROVINCES + normalize.COUNTRIES
                 + list(extra_names))
        self.matcher.add("JURISDICTION", [nlp.make_doc(n) for n in names])

    def __call__(self, doc: Doc) -> Doc:
        matches = self.matcher(doc, as_spans=True)
        # Longest match wins ("West Virginia" over "Virginia", "England and Wales" over "England").
        kept: list[Span] = []
        for span in sorted(matches, key=lambda s: (s.start, -(s.end - s.start))):
            if kept and span.start < kept[-1].end:
                continue
            kept.append(span)
        spans = []
        for span in kept:
            value = normalize.normalize_jurisdiction(span.text)
            # "Washington" and "Georgia" need capitalisation or a "State of" frame to count.
            if span.text.islower():
                continue
            span._.clm_value = value
            span._.clm_chars = (span.start_char, span.end_char)
            spans.append(span)
        taken = [(s.start_char, s.end_char) for s in spans]
        for m in normalize.LAW_ADJECTIVE_RE.finditer(doc.text):     # "English law"
            if any(a < m.end() and m.start() < b for a, b in taken):
                continue
            span = doc.char_span(m.start(), m.end(), label="JURISDICTION", alignment_mode="expand")
            if span is None:
                continue
            span._.clm_value = normalize.LAW_ADJECTIVES[m.group(1)]
            span._.clm_chars = (m.start(), m.end())
            spans.append(span)
        spans.sort(key=lambda s: s.start_char)
        doc.spans[JURISDICTIONS] = spans
        return doc


class CueTagger:
    """Tag a segment with the clause topics its wording signals (doc.cats and cue spans)."""

    def __init__(self, nlp: Language, name: str, patterns: dict[str, str]) -> None:
        self.name = name
        self.patterns = {label: re.compile(p, re.IGNORECASE) for label, p in patterns.items()}

    def __call__(self, doc: Doc) -> Doc:
        items = []
        for label, rx in self.patterns.items():
            hit = False
            for m in rx.finditer(doc.text):
                hit = True
                items.append((m.start(), m.end(), m.group(0), label))
            doc.cats[label] = 1.0 if hit else 0.0
        _set_spans(doc, CUES, items)
        return doc


def register() -> None:
    """Register every clm_ factory and span extension; calling it again does nothing."""
    global _REGISTERED
    if _REGISTERED:
        return
    if not Span.has_extension("clm_value"):
        Span.set_extension("clm_value", default=None)
    if not Span.has_extension("clm_chars"):
        Span.set_extension("clm_chars", default=None)
    if not Doc.has_extension("clm_offset"):
        Doc.set_extension("clm_offset", default=0)

    def factory(name: str, cls: Callable[..., Any], default_config: dict[str, Any] | None = None) -> None:
        Language.factory(name, default_config=default_config or {}, func=cls)

    factory("clm_dates", DateRecognizer)
    factory("clm_durations", DurationRecognizer)
    factory("clm_money", MoneyRecognizer)
    factory("clm_jurisdictions", JurisdictionRecognizer, {"extra_names": []})
    factory("clm_cues", CueTagger, {"patterns": CUE_PATTERNS})
    _REGISTERED = True


register()
