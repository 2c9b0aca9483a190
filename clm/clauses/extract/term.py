"""Date and term rules: agreement and effective dates, the initial term and the expiration date."""
from __future__ import annotations

import datetime
import re

from clm.clauses.extract import normalize as N
from clm.clauses.extract.fields import Found, Seg, is_notice_duration
from clm.clauses.extract.renewal import RENEW_ACTION

#: Classifier thresholds (probabilities of classifier.LABELS).
TERM_ADD = 0.5
TERM_WEIGHT = 2.0    # how much the term probability adds to a term sentence's rule score

_PREAMBLE_DATE_CUE = re.compile(
    r"(?:dated|as\s+of|made|entered|executed|effective|this|day|on|date[d]?:?)\W*(?:\w+\W+){0,6}$", re.IGNORECASE)
_EFFECTIVE_AT = re.compile(
    r"(?:effective\s+(?:as\s+)?(?:of|on|from|upon)\s*(?:the\s+)?(?:date\s+of\s+)?|effective\s+date\W{0,4}\s*"
    r"(?:shall\s+)?(?:mean|be|is|of)\w*\s*|commenc\w+\s+(?:(?:on|as\s+of|from|upon)\s*)?(?:the\s+)?|"
    r"come[s]?\s+into\s+(?:force|effect)\s+(?:on|as\s+of)\s*|begin\w*\s+on\s*)\W*$", re.IGNORECASE)
_EFFECTIVE_AFTER = re.compile(r"^\W{0,4}(?:\(|,)?\s*(?:the\s+|hereinafter\s+)?(?:\"|“|')?\s*effective\s+date", re.IGNORECASE)
_EFFECTIVE_REF = re.compile(r"\beffective\s+date\b|\beffective\s+as\s+of\b|\bshall\s+be(?:come)?\s+effective\b"
                            r"|\bcommenc\w+\s+on\s+the\s+date|\beffective\s+(?:on|upon|from)\b", re.IGNORECASE)


def agreement_date(text: str, pre_end: int) -> Found | None:
    """Return the date the agreement is made, from the preamble."""
    found = N.find_dates(text[:pre_end])
    if not found:
        return None
    for d in found:
        before = text[max(0, d.start - 80):d.start]
        if _PREAMBLE_DATE_CUE.search(before):
            return Found(d.iso, [(d.start, d.end)], 0.85)
    d = found[0]
    return Found(d.iso, [(d.start, d.end)], 0.6)


def effective_date(text: str, segs: list[Seg], agreed: Found | None, pre_end: int) -> Found | None:
    """Return the effective (commencement) date."""
    for seg in segs:
        if not seg.dates or not re.search(r"effective|commenc|into\s+force|begin", seg.text, re.IGNORECASE):
            continue
        for iso, s, e in seg.dates:
            before = seg.text[max(0, seg.rel(s) - 60):seg.rel(s)]
            after = seg.text[seg.rel(e):seg.rel(e) + 40]
            if _EFFECTIVE_AT.search(before) or _EFFECTIVE_AFTER.search(after):
                return Found(iso, [(s, e)], 0.9)
    if agreed is not None and (_EFFECTIVE_REF.search(text) or re.search(r"\beffective\b", text[:pre_end], re.IGNORECASE)):
        return Found(agreed.value, list(agreed.evidence), 0.7)
    return None


_LATER_OF = r"(?:(?:on\s+)?(?:the\s+)?(?:later|earlier)\s+(?:to\s+occur\s+)?of\s+(?:the\s+date\s+(?:that\s+is\s+)?)?(?:\(\w{1,3}\)\s*)?)"
_UNTIL_DATE = re.compile(r"\b(?:(?:expiration|termination|end)\s+date\W{0,3}\s*(?:means|shall\s+mean|shall\s+be|is)?|until|through|to|ending\s+on|end\s+on|ends\s+on|expire\w*\s+on|terminat\w*\s+on|"
                         r"and\s+ending|expiring|expire\w*|terminat\w*|ending|ends?|concluding|-|–)\W*" + _LATER_OF
                         + r"?(?:\w+\W+){0,3}$", re.IGNORECASE)
_RANGE_START = re.compile(r"(?:from|commencing|beginning|starting|begin|commence|effective|of)\W*(?:\w+\W+){0,3}$", re.IGNORECASE)
_TERMISH = re.compile(r"\b(?:term|period|agreement|contract|venture|project|engagement)\b", re.IGNORECASE)
_PERPETUAL = re.compile(
    r"\bperpetu\w*|\bindefinite\w*|\bin\s+(?:full\s+)?(?:force|effect)\s+until\s+(?:terminated|"
    r"(?:either|one|a)\s+party)|\bcontinue\w*\s+(?:in\s+(?:full\s+)?(?:force\s+and\s+effect|effect|force)\s+)?"
    r"(?:thereafter\s+)?(?:indefinitely\s+)?until\s+(?:terminated|termination\b|(?:it\s+is\s+)?(?:terminated|cancel\w+)|"
    r"(?:either|one|a)\s+party)|\bunless\s+and\s+until\s+(?:terminated|either)|\buntil\s+the\s+(?:expiration|termination)"
    r"\s+(?:or\s+(?:earlier\s+)?termination\s+)?of\b", re.IGNORECASE)
_TERM_DURATION_BEFORE = re.compile(
    r"(?:period\s+of|term\s+of|for|be|is|last|initial|until|continu\w+|expire\w*|end|terminate|valid|run|through|"
    r"remain\w*(?:\s+in\s+(?:full\s+)?"
    r"(?:force|effect)(?:\s+and\s+effect)?)?(?:\s+for)?|of|(?:an?\s+)?(?:initial\s+)?(?:term|period))\s*(?:a\s+)?"
    r"(?:(?:period|term)\s+of\s+)?(?:an?\s+)?(?:the\s+entire\s+|at\s+least\s+|" + _LATER_OF + r")?$", re.IGNORECASE)
_TERM_DURATION_AFTER = re.compile(r"^\W{0,3}(?:(?:from|after|following|commencing|beginning|starting|of|"
                                  r"thereafter|\(|term|period|unless|,)\b|\s*[.(,\"“]|$)", re.IGNORECASE)
_ANNIVERSARY = re.compile(r"\b(first|second|third|fourth|fifth|sixth|seventh|eighth|ninth|tenth|fifteenth|twentieth"
                          r"|\d+(?:st|nd|rd|th))\s*(?:\(\d+(?:st|nd|rd|th)?\)\s*)?anniversary", re.IGNORECASE)
_ORD = {"first": 1, "second": 2, "third": 3, "fourth": 4, "fifth": 5, "sixth": 6, "seventh": 7,
        "eighth": 8, "ninth": 9, "tenth": 10, "fifteenth": 15, "twentieth": 20}
_RENEWALISH = re.compile(r"\brenew|\bsuccessive\b|\badditional\s+(?:\w+\s+){0,3}?(?:term|period)", re.IGNORECASE)


_TERM_STRONG = re.compile(
    r"\b(?:initial\s+|effective\s+)?terms?\s+of\s+(?:this|the)\s+(?:agreement|contract)|[\"“](?:initial\s+)?term[\"”]"
    r"|[\"“](?:expiration|termination|end)\s+date[\"”]\s+(?:means|shall\s+mean)|^\W*(?:expiration|termination)\s+date\s*:"
    r"|\bterm\s+shall\s+mean\b|\b(?:contract|agreement|license|licen[cs]e|service)\s+period[\"”]?\s+(?:means|shall\s+mean)"
    r"|\b(?:initial|effective)\s+term\b|\bduration\s+of\s+this|\b(?:this|the)\s+(?:agreement|contract)\s+(?:shall|will|is\s+to|is)"
    r"\s+(?:[\w,()]+\s+){0,14}?(?:continue|remain|expire|terminate|end|be\s+(?:in\s+(?:full\s+)?(?:force|effect)|valid|"
    r"effective|for)|extend|last|run|for\s+a)\b", re.IGNORECASE)
_TERM_WEAK = re.compile(
    r"\bfor\s+a\s+(?:term|period)\s+of\b|\b(?:venture|term|period)\b[^.;]{0,60}?\b(?:shall|will|is)\s+(?:[\w,()]+\s+){0,14}?"
    r"(?:continue|remain|expire|terminate|end|be)\b|\b(?:shall|will)\s+(?:commence|begin)\s+(?:on|as\s+of|upon)\b[^.;]{0,120}?"
    r"\b(?:continu|until|end|terminat|expir)", re.IGNORECASE)
_TERM_NOT = re.compile(
    r"\bduring\s+the\s+(?:initial\s+)?term\b|\b(?:following|after|upon)\s+(?:the\s+|any\s+|such\s+)?(?:expiration|"
    r"termination|expiry)\b|\bsurviv\w*|\birrevocable\b|\bcalendar\s+(?:quarter|year)\b|\bcontract\s+year\b|"
    r"\bconfidential|\bnon-?compet|\bwarrant\w*|\bforce\s+majeure|^\W*whereas\b|\beach\s+year\s+of\s+the\s+term|\bcovenants?\b|\bshall\s+within\b|\bbankrupt|\binsolv|\bminimum\s+royalt|\broyalty\s+payment|\bincrease|\bretain\b|\brecords\b|\bfail(?:s|ure)\s+to\b|\bfollowing\s+"
    r"(?:installation|delivery|receipt)|\binsurance\b|\broyalty\s+term\b.{0,30}\bmeans|\bshall\s+mean\b.{0,60}"
    r"\bquarter", re.IGNORECASE)
_TERM_HEADING = re.compile(r"^\W{0,3}(?:\d+(?:\.\d+)*\.?\s*)?(?:\(\w\)\s*)?(?:initial\s+)?(?:term(?:\s+and\s+termination)?|"
                           r"duration|period\s+of\s+agreement)\b\s*[.:\-]", re.IGNORECASE)


def _term_value(seg: Seg, base: Found | None) -> tuple[Found | None, Found | None] | None:
    """Return (initial_term, expiration_date) stated in one term sentence, or None."""
    ev = [(seg.start, seg.end)]
    for iso, s, e in seg.dates:                       # an explicit end date
        before = seg.text[max(0, seg.rel(s) - 60):seg.rel(s)]
        if _UNTIL_DATE.search(before):
            start_iso = next((d[0] for d in seg.dates if d[1] < s), None) or (base.value if base else None)
            length = N.duration_between(start_iso, iso) if start_iso else None
            return (Found(length, ev, 0.7) if length else None), Found(iso, ev, 0.85)
    for d in seg.durations:                           # a length of time
        if is_notice_duration(seg, d):
            continue
        before = seg.text[max(0, seg.rel(d[1]) - 50):seg.rel(d[1])]
        after = seg.text[seg.rel(d[2]):seg.rel(d[2]) + 30]
        if re.search(r"(?:additional|successive|renewal|further|extension)\s*(?:\w+\s+){0,1}$", before, re.IGNORECASE):
            continue
        anniversary = re.match(r"\s*anniversary", after, re.IGNORECASE)
        survival = re.match(r"\W*(?:after|following)\s+(?:the\s+)?(?:expiration|termination|delivery|receipt|installation"
                            r"|completion|date\s+of\s+(?:termination|expiration))", after, re.IGNORECASE)
        if anniversary or (_TERM_DURATION_BEFORE.search(before) and not survival):
            start_iso = None
            for iso, s, e in seg.dates:
                if s < d[1] and re.search(r"commenc|begin|start|from|effective|as\s+of|on\s*$",
                                          seg.text[max(0, seg.rel(s) - 30):seg.rel(s)], re.IGNORECASE):
                    start_iso = iso
                    break
            if start_iso is None and base is not None:
                start_iso = base.value
            exp = None
            if start_iso:
                end = N.add_duration(datetime.date.fromisoformat(start_iso), d[0])
                exp = Found(end.isoformat(), ev, 0.7) if end else None
            return Found(d[0], ev, 0.8), exp
    am = _ANNIVERSARY.search(seg.text)
    if am and base is not None:
        w = am.group(1).lower()
        digits = re.match(r"\d+", w)
        n = _ORD.get(w) or (int(digits.group(0)) if digits else 0)
        end = N.add_duration(datetime.date.fromisoformat(base.value), f"P{n}Y") if n else None
        if end:
            return Found(f"P{n}Y", ev, 0.7), Found(end.isoformat(), ev, 0.7)
    if _PERPETUAL.search(seg.text):
        return None, Found("perpetual", ev, 0.7)
    return None


def term(segs: list[Seg], eff: Found | None, agreed: Found | None) -> tuple[Found | None, Found | None]:
    """Return (initial_term, expiration_date) from the best-scoring term sentence."""
    base = eff or agreed
    best: tuple[float, int, tuple[Found | None, Found | None]] | None = None
    for i, seg in enumerate(segs):
        score = 0.0
        if _TERM_STRONG.search(seg.text):
            score += 2
        elif _TERM_WEAK.search(seg.text):
            score += 1
        if _TERM_HEADING.match(seg.text):
            score += 1
        if _TERM_NOT.search(seg.text):
            score -= 3
        if RENEW_ACTION.search(seg.text) and not re.search(r"\binitial\s+term|\bterm\s+of\s+this|(?:shall|will)\s+"
                                                            r"(?:commence|begin|become\s+effective)"
                                                   r"|\bfor\s+a\s+(?:period|term)\s+of", seg.text, re.IGNORECASE):
            score -= 2
        if score < 1 and len(seg.dates) >= 2 and _TERMISH.search(seg.text):
            first, second = seg.dates[0], seg.dates[1]
            if (_RANGE_START.search(seg.text[max(0, seg.rel(first[1]) - 40):seg.rel(first[1])])
                    and _UNTIL_DATE.search(seg.text[seg.rel(first[2]):seg.rel(second[1])])):
                score += 1.5                          # "from January 30, 2012 until July 29, 2012"
        pt = seg.p.get("term")
        if pt is not None:
            if score < 1 and pt >= TERM_ADD:
                score = 1.0
            score += TERM_WEIGHT * pt
        if score < 1:
            continue
        value = _term_value(seg, base)
        if value is None:
            continue
        if value[0] is not None or (value[1] is not None and value[1].value != "perpetual"):
            score += 0.5
        if best is None or score > best[0]:
            best = (score, i, value)
    if best is None:
        return None, None
    return best[2]
