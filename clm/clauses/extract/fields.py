"""Field rules: segments and found values, notice periods, governing law and commercial terms.

The renewal, termination, term and party rules live beside this module (renewal.py,
termination.py, term.py, parties.py) and build on its Seg and Found.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from spacy.tokens import Doc

from clm.clauses.extract import components as C
from clm.clauses.extract import normalize as N
from clm.values import fields as values_fields
from clm.values import frequencies
from clm.values.money import Money


@dataclass
class Seg:
    """A processed segment with absolute offsets and the entities its Doc holds."""

    start: int
    end: int
    text: str
    cats: set[str]
    dates: list[tuple[str, int, int]]          # (iso, start, end), absolute offsets
    durations: list[tuple[str, int, int]]
    money: list[tuple[Any, int, int]]
    juris: list[tuple[str, int, int]]
    #: Classifier probabilities per label (classifier.LABELS); empty when no model is loaded.
    p: dict[str, float] = field(default_factory=dict)

    def rel(self, pos: int) -> int:
        """Return ``pos`` relative to the segment text."""
        return pos - self.start


def seg_from_doc(doc: Doc) -> Seg:
    """Return the Seg view of a Doc made by pipeline.run."""
    off = doc._.clm_offset

    def spans(group: str) -> list[tuple[Any, int, int]]:
        return [(s._.clm_value, s._.clm_chars[0] + off, s._.clm_chars[1] + off)
                for s in doc.spans.get(group, [])]

    return Seg(off, off + len(doc.text), doc.text, {k for k, v in doc.cats.items() if v >= 0.5},
               spans(C.DATES), spans(C.DURATIONS), spans(C.MONEY), spans(C.JURISDICTIONS))


@dataclass
class Found:
    """A field value with its evidence spans and confidence."""

    value: Any
    evidence: list[tuple[int, int]]
    confidence: float
    extra: dict[str, Any] = field(default_factory=dict)


# ----------------------------------------------------------------------------- helpers
_NOTICE_AFTER = re.compile(
    r"^\W{0,3}(?:\(\d+\)\s*)?(?:'s?\s*)?(?:of\s+)?(?:(?:prior|advance|advanced|written|express|"
    r"previous|formal|\)|,)\s*)*(?:notice|notification|prior\s+to|before|in\s+advance|preceding"
    r"|written\s+notice)", re.IGNORECASE)
_NOTICE_BEFORE = re.compile(r"(?:notice\s+(?:of\s+)?(?:at\s+least|not\s+less\s+than|no\s+less\s+than|a\s+minimum\s+of)?"
                            r"|notify\s+\w+\s+(?:at\s+least|not\s+less\s+than|no\s+less\s+than)?"
                            r"|(?:at\s+least|not\s+less\s+than|no\s+less\s+than|no\s+later\s+than|"
                            r"a\s+minimum\s+of|within|minimum))\s*$", re.IGNORECASE)


#: "within 30 days of receiving such notice": a time to answer a notice, not a notice period.
_ANSWER_WINDOW = re.compile(r"^\W{0,3}(?:of|after|following|from)\s+(?:the\s+)?(?:date\s+of\s+)?(?:its\s+|their\s+)?"
                            r"(?:receipt|receiving|delivery)\b", re.IGNORECASE)


def is_notice_duration(seg: Seg, d: tuple[str, int, int]) -> bool:
    """Return whether a duration in ``seg`` measures a notice period."""
    after = seg.text[seg.rel(d[2]):seg.rel(d[2]) + 60]
    before = seg.text[max(0, seg.rel(d[1]) - 40):seg.rel(d[1])]
    if re.search(r"\bwithin\s*$", before, re.IGNORECASE) and _ANSWER_WINDOW.search(after):
        return False
    return bool(_NOTICE_AFTER.search(after) or _NOTICE_BEFORE.search(before))


# ----------------------------------------------------------------------------- governing law
_GOV_STRONG = re.compile(r"\bgovern(?:ed|s|ing)?\b|\bconstru(?:ed|e|ction)\b|\binterpret(?:ed|ation)?\b"
                         r"|\benforced\b|\bshall\s+apply\b|\bapplicable\s+law\b|\bsubject\s+to\b", re.IGNORECASE)
_LAW_WORD = re.compile(r"\blaws?\b|\blegislation\b", re.IGNORECASE)
_LAW_OF = re.compile(r"\blaws?\s+(?:in\s+force\s+)?(?:of|in)\s+(?:the\s+)?(?:(?:State|Commonwealth|Province"
                     r"|Republic|Kingdom)\s+of\s+)?", re.IGNORECASE)
_LAW_AFTER = re.compile(r"^\s*(?:\w+\s+)?laws?\b", re.IGNORECASE)
_UNKNOWN_JUR = re.compile(r"\blaws?\s+of\s+(?:the\s+)?(?:State|Commonwealth|Province|Republic|Kingdom)\s+of\s+"
                          r"((?:[A-Z][\w'-]+)(?:\s+(?:of\s+)?[A-Z][\w'-]+){0,3})")
_NOT_A_PLACE = re.compile(r"\b(?:governing|laws?|jurisdiction|venue|courts?|states?|country|province|part(?:y|ies)"
                          r"|agreement)\b", re.IGNORECASE)
_NEGATED_LAW = re.compile(r"\b(?:without\s+(?:regard|reference|giving\s+effect)|conflicts?\s+of\s+laws?"
                          r"|choice\s+of\s+laws?)\b", re.IGNORECASE)


def _pick_jurisdiction(seg: Seg) -> str | None:
    """Return the jurisdiction a governing-law sentence points at, or None."""
    first_law = _LAW_WORD.search(seg.text)
    if first_law is None:
        return None
    law_at = seg.start + first_law.start()
    for jv, js, je in seg.juris:
        if js >= law_at:
            return jv
    for jv, js, je in seg.juris:                 # "New York law", "PRC Laws"
        if _LAW_AFTER.match(seg.text[seg.rel(je):]):
            return jv
    m = _UNKNOWN_JUR.search(seg.text)
    if m and not _NOT_A_PLACE.search(m.group(1)):      # a template's "the State of Governing Law"
        return N.normalize_jurisdiction(m.group(1))
    return None


#: A segment the classifier scores at least this for "law" is read as a governing-law clause even when
#: no cue pattern matched it ("This AGREEMENT is controlled by the laws of ...").
LAW_ADD = 0.5
#: How much the classifier's "law" probability moves a segment's rule score (ranks close calls).
LAW_WEIGHT = 0.4


def governing_law(segs: list[Seg]) -> Found | None:
    """Return the jurisdiction whose law governs the contract.

    A sentence counts when the cue tagger tagged it and it has a governing verb, or when the
    classifier (trained on CUAD Governing Law clauses) scores it at least LAW_ADD; either way a
    jurisdiction must stand after its "law" (or before it: "English law")."""
    best: tuple[float, int, Found] | None = None
    for i, seg in enumerate(segs):
        p = seg.p.get("law")
        learned = p is not None and p >= LAW_ADD       # the classifier reads it as a governing-law clause
        if "governing_law" not in seg.cats and not learned:
            continue
        if not _GOV_STRONG.search(seg.text) and not learned:
            continue
        if "incorporation" in seg.cats and not re.search(r"\bgovern|\bconstrued", seg.text, re.IGNORECASE):
            continue
        value = _pick_jurisdiction(seg)
        if value is None:
            continue
        score = 1.0 if re.search(r"\bgovern", seg.text, re.IGNORECASE) else 0.8
        if re.search(r"governing\s+law|choice\s+of\s+law|applicable\s+law", seg.text, re.IGNORECASE):
            score += 0.1
        if re.search(r"\b(?:courts?|jurisdiction|venue|arbitrat)", seg.text, re.IGNORECASE) and not re.search(
                r"\bgovern", seg.text, re.IGNORECASE):
            score -= 0.3
        if p is not None:
            score += LAW_WEIGHT * (p - 0.5)
        if best is None or score > best[0]:
            best = (score, i, Found(value, [(seg.start, seg.end)], min(0.99, 0.75 + 0.2 * score)))
    return best[2] if best else None


def notice_in(seg: Seg) -> str | None:
    """Return the first notice period stated in a segment, or None."""
    for d in seg.durations:
        if is_notice_duration(seg, d):
            return d[0]
    return None


# ----------------------------------------------------------------------------- commercial terms
_NET_DAYS = re.compile(r"\bnet\s*\(?(\d{1,3})\)?(?:\s*days)?\b", re.IGNORECASE)


def payment_terms(segs: list[Seg]) -> Found | None:
    """Return the payment period (net days) as an ISO duration."""
    for seg in segs:
        if "payment" not in seg.cats:
            continue
        m = _NET_DAYS.search(seg.text)
        if m:
            return Found(f"P{int(m.group(1))}D", [(seg.start, seg.end)], 0.85)
        if re.search(r"invoice", seg.text, re.IGNORECASE):
            for d in seg.durations:
                after = seg.text[seg.rel(d[2]):seg.rel(d[2]) + 60]
                before = seg.text[max(0, seg.rel(d[1]) - 30):seg.rel(d[1])]
                if d[0].endswith("D") and re.search(r"within\s*$", before, re.IGNORECASE) and re.search(
                        r"(?:after|of|following|from)\s+(?:the\s+)?(?:\w+\s+){0,2}?(?:receipt|date|invoice)", after, re.IGNORECASE):
                    return Found(d[0], [(seg.start, seg.end)], 0.75)
    return None


#: An amount per unit of something other than time: an hourly, per-user or per-unit rate.
_RATE = re.compile(r"\W*(?:\(\S+\)\s*)?(?:per|/)\s*(?!(?:the|this|that|such|its|section|schedule|exhibit|clause)\b)[a-z]"
                   r"|\s*an?\s+(?:hour|day|user|seat|unit)\b")
_PERIOD_WORDS = {"month": "monthly", "annum": "annual", "monthly": "monthly", "year": "annual", "annual": "annual",
                 "annually": "annual", "quarter": "quarterly", "quarterly": "quarterly", "week": "weekly",
                 "weekly": "weekly"}


def fees(segs: list[Seg]) -> Found | None:
    """Return recurring or one-off fees: [{"amount", "currency", "period"}]."""
    out = []
    ev = []
    for seg in segs:
        if not seg.money or not re.search(r"\bfee|\bprice|\bcharge|\bpay|\broyalt|\bcompensat", seg.text, re.IGNORECASE):
            continue
        for (amount, cur), s, e in seg.money:
            after = seg.text[seg.rel(e):seg.rel(e) + 40].lower()
            m = re.match(r"\W*(?:\(\S+\)\s*)?(?:per|each|a|every|/)\s*(month|year|quarter|week|annum)|\W*(monthly|annually|"
                         r"annual|quarterly|weekly)", after)
            if m is None and _RATE.match(after):
                continue        # "$150 per hour", "$12 per user": a rate, not what the contract costs
            period = _PERIOD_WORDS.get(m.group(1) or m.group(2)) if m else None
            out.append(values_fields.fee_json(values_fields.Fee(Money(amount, cur), period)))
            ev.append((s, e))
            if len(out) >= 10:
                break
        if len(out) >= 10:
            break
    return Found(out, ev, 0.6) if out else None


_BILLING = re.compile(r"\b(?:invoice[sd]?|bill(?:ed)?|payable|paid)\s+(?:\w+\s+){0,4}?(monthly|quarterly|annually|"
                      r"semi-annually|yearly|weekly|in\s+advance|in\s+arrears)\b", re.IGNORECASE)


#: How many lines of one form label are read: a form has one, a flood of them costs a scan each.
MAX_FORM_LINES = 20


def form_line(label: str) -> re.Pattern[str]:
    """Return the pattern of an order form's field at the start of a line, "Label: value", for the
    labels ``label`` matches; the value (to the end of the line, at most 120 characters) is group
    ``value``. An order form says in such a line what a contract says in a sentence."""
    return re.compile(rf"^[ \t]*(?:{label})[ \t]*[:\-–][ \t]*(?P<value>[^\n]{{1,120}})", re.IGNORECASE | re.MULTILINE)


#: The form field: "Billing Frequency: Quarterly in advance", "Invoicing: annually".
_BILLING_LABEL = form_line(r"(?:billing|invoicing)(?:[ \t]+(?:frequency|cycle|period|schedule))?")
_FREQUENCY_WORD = re.compile(r"(monthly|quarterly|annually|annual|yearly|semi-annually|weekly)\b", re.IGNORECASE)


def billing_frequency(segs: list[Seg], text: str = "") -> Found | None:
    """Return how often invoices go out (monthly, quarterly, annually ...): said in a payment
    sentence, or in an order form's field."""
    for seg in segs:
        if "payment" not in seg.cats:
            continue
        m = _BILLING.search(seg.text)
        if m and not m.group(1).lower().startswith("in "):        # "in advance" is a timing, not a frequency
            return Found(frequencies.read(m.group(1)), [(seg.start, seg.end)], 0.7)
    for k, m in enumerate(_BILLING_LABEL.finditer(text)):
        word = _FREQUENCY_WORD.match(m.group("value"))
        if word:
            return Found(frequencies.read(word.group(1)), [m.span()], 0.8)
        if k >= MAX_FORM_LINES:
            break
    return None


_CAP = re.compile(r"(?:not\s+(?:to\s+)?exceed|no\s+(?:more|greater)\s+than|not\s+more\s+than|maximum\s+of|"
                  r"up\s+to|capped\s+at|limited\s+to)\s+(?:\w+\s+){0,2}?\(?(\d{1,2}(?:\.\d+)?)\s*\)?\s*(?:%|percent)",
                  re.IGNORECASE)


def price_increase_cap(segs: list[Seg]) -> Found | None:
    """Return the cap on price increases, in percent."""
    for seg in segs:
        if "price_increase" not in seg.cats:
            continue
        m = _CAP.search(seg.text)
        if m:
            return Found(float(m.group(1)), [(seg.start, seg.end)], 0.7)
    return None
