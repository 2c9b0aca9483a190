"""Renewal rules: automatic renewal, the renewal term, the non-renewal notice and a renewal limit."""
from __future__ import annotations

import re

from clm.clauses.extract import normalize as N
from clm.clauses.extract.fields import Found, Seg, is_notice_duration, notice_in

#: Classifier thresholds (probabilities of classifier.LABELS).
RENEWAL_ADD = 0.8      # a renewal sentence the rules miss counts when the model is this sure
NON_RENEWAL_ADD = 0.7

_RENEWAL_TERM_BEFORE = re.compile(
    r"(?:additional|successive|renewal|further|subsequent|consecutive|another|extension|extended|renew\w*|automatic|"
    r"period\s+of|periods\s+of|terms?\s+of|for|each|like)\s*(?:\w+\s+){0,2}$", re.IGNORECASE)
_RENEWAL_TERM_AFTER = re.compile(r"^\W{0,3}(?:\w+\s+){0,2}?(?:renewal|periods?|terms?|increments?|each|thereafter)\b"
                                 r"|^\s*(?:,\s*)?(?:unless|until|on\s+the\s+same)", re.IGNORECASE)
_ANNUAL = re.compile(r"\byear[\s-]+to[\s-]+year\b|\b(?:each|every)\s+(?:calendar\s+)?year\b|\bsuccessive\s+(?:annual|yearly)\b|\bannual(?:ly)?\s+(?:renewals?|basis|periods?|terms?)\b|"
                     r"\bsuccessive\s+annual\b|\bannually\b|\bfrom\s+year\s+to\s+year\b", re.IGNORECASE)
_RENEW_OTHER = re.compile(r"\brenew\w*\s+(?:of\s+)?(?:the\s+|any\s+|such\s+|its\s+)?(?:licen[cs]e|permit|insurance"
                          r"|polic(?:y|ies)|registration|lease|certificat\w+|patent|order|purchase\s+order)", re.IGNORECASE)
_RENEW_AGREEMENT = re.compile(
    r"\b(?:agreement|term|contract|license\s+period|arrangement|franchise)\b[^.]{0,160}?\b(?:renew|extend|continu"
    r"|prolong)\w*|\b(?:renew|extend|continu|prolong)\w*[^.;]{0,60}?\b(?:agreement|term|contract|arrangement|franchise)\b",
    re.IGNORECASE)
RENEW_ACTION = re.compile(
    r"\b(?:auto(?:matically|matic|-)?|tacitly)\s*(?:be\s+)?(?:renew|extend|continu|prolong)\w*"
    r"|\bautomatic\s+(?:[\w-]+\s+){1,3}?(?:renewals?|extensions?)\b|\brenewed\s+tacitly\b"
    r"|\b(?:renew|extend|continu|prolong)\w*\s+(?:\w+\s+)?automatically|\brenewable\b|\bright\s+to\s+(?:renew|extend)"
    r"|\bthereafter\s+automatically\b|\bprolong\w*\s+(?:\w+\s+){0,6}?(?:for|by)\b"
    r"|\b(?:renew|extend)\w*\s+(?:[\w,()]+\s+){0,8}?(?:for|by)\s+(?:an?\s+)?(?:additional|successive|further"
    r"|subsequent|consecutive|another|like|renewal|extension|period|term|one|two|three|four|five|\d)"
    r"|\bcontinu\w*\s+(?:automatically\s+)?(?:thereafter\s+)?(?:in\s+(?:full\s+)?(?:force|effect)\s+(?:and\s+effect\s+)?)?"
    r"(?:for|from|on)\s+(?:an?\s+)?(?:successive|additional|consecutive|further|year|month|annual)"
    r"|\byear[\s-]+to[\s-]+year\b|\bmonth[\s-]+to[\s-]+month\b|\boption\s+to\s+(?:renew|extend)"
    r"|\b(?:shall|will|may)\s+(?:\w+\s+)?be\s+renewed\b|\b(?:may|shall|will)\s+renew\b|\brenew\s+(?:this|the)\s+"
    r"(?:agreement|term|franchise|license)|\bevergreen\b|\bsuccessive\s+(?:renewal\s+)?(?:terms|periods)\b", re.IGNORECASE)
MUTUAL = re.compile(r"\bmutual(?:ly)?\s+(?:written\s+)?(?:agree\w*|consent|accord)|\bunanimous\s+consent|\bagree\s+in\s+"
                     r"writing\s+to\s+(?:renew|extend)|\bby\s+(?:written\s+)?agreement\s+of|\bmutually\s+agree|"
                     r"\bunless\s+the\s+parties\s+agree|\bhas\s+the\s+meaning|\bshall\s+mean\b|\bmeans\b", re.IGNORECASE)


def renewal(segs: list[Seg]) -> tuple[Found | None, Found | None, Found | None, Found | None]:
    """Return (auto_renewal, renewal_term, non_renewal_notice, renewal_limit)."""
    cands = []
    for i, seg in enumerate(segs):
        if "renewal" not in seg.cats:
            continue
        if not RENEW_ACTION.search(seg.text):
            continue
        # "...for a term of one year; thereafter, it shall automatically continue": read with the clause before
        context = seg.text
        if i > 0 and seg.start - segs[i - 1].end < 5:
            context = segs[i - 1].text + " " + seg.text
        if not _RENEW_AGREEMENT.search(context):
            continue
        if MUTUAL.search(seg.text) and not re.search(r"\bautomatic", seg.text, re.IGNORECASE):
            continue
        if _RENEW_OTHER.search(seg.text) and not re.search(r"\bthis\s+agreement\b", seg.text, re.IGNORECASE):
            continue
        cands.append(i)
    # sentences the rules pass over but the classifier is sure of
    extra = [i for i, seg in enumerate(segs) if seg.p.get("renewal", 0.0) >= RENEWAL_ADD and i not in cands
             and re.search(r"\brenew|\bextend|\bextension", seg.text, re.IGNORECASE)]
    cands += extra
    if not cands:
        return None, None, None, None
    if segs[cands[0]].p:
        cands.sort(key=lambda i: -segs[i].p.get("renewal", 0.0))
    else:
        cands.sort(key=lambda i: 0 if re.search(r"\bautomatic", segs[i].text, re.IGNORECASE) else 1)
    auto = Found(True, [(segs[cands[0]].start, segs[cands[0]].end)], 0.85)
    term: Found | None = None
    notice: Found | None = None
    for i in cands:
        seg = segs[i]
        act = RENEW_ACTION.search(seg.text)
        after_at = seg.start + (act.start() if act else 0)
        options: list[tuple[int, str, float]] = []
        for d in seg.durations:
            if d[1] < after_at - 5 or is_notice_duration(seg, d):
                continue
            before = seg.text[max(0, seg.rel(d[1]) - 40):seg.rel(d[1])]
            after = seg.text[seg.rel(d[2]):seg.rel(d[2]) + 40]
            if _RENEWAL_TERM_BEFORE.search(before) or _RENEWAL_TERM_AFTER.search(after):
                options.append((d[1], d[0], 0.85))
        for am in _ANNUAL.finditer(seg.text, max(0, after_at - seg.start - 5)):
            options.append((seg.start + am.start(), "P1Y", 0.75))
            break
        for am in re.finditer(r"\bmonth[\s-]+to[\s-]+month\b", seg.text[max(0, after_at - seg.start - 5):], re.IGNORECASE):
            options.append((after_at + am.start(), "P1M", 0.75))
            break
        if options:
            _, value, conf = min(options)
            term = Found(value, [(seg.start, seg.end)], conf)
            break
    # The non-renewal notice sits in the renewal sentence or the one after it.
    if segs[cands[0]].p:
        near = {j for i in cands for j in (i, i + 1) if j < len(segs)}
        ranked = sorted((j for j, seg in enumerate(segs)
                         if j in near or seg.p.get("non_renewal", 0.0) >= NON_RENEWAL_ADD),
                        key=lambda j: -segs[j].p.get("non_renewal", 0.0))
        for j in ranked:
            value = notice_in(segs[j])
            if value and (segs[j].p.get("non_renewal", 0.0) >= 0.1 or "non_renewal" in segs[j].cats) and re.search(
                    r"\brenew|\bexpir|\bextend|\bextension|\bend\s+of|\bthen[\s-]*current|\banniversary"
                    r"|\b(?:initial|current)\s+term", segs[j].text, re.IGNORECASE):
                notice = Found(value, [(segs[j].start, segs[j].end)], 0.8)
                break
    for i in cands if notice is None and not segs[cands[0]].p else ():
        for j in (i, i + 1):
            if j >= len(segs) or (j != i and segs[j].start - segs[i].end > 400):
                continue
            seg = segs[j]
            if j != i and "non_renewal" not in seg.cats and "renewal" not in seg.cats:
                continue
            for d in seg.durations:
                if is_notice_duration(seg, d):
                    notice = Found(d[0], [(seg.start, seg.end)], 0.8)
                    break
            if notice:
                break
        if notice:
            break
    limit = None
    for i in cands:
        m = re.search(r"\b(?:up\s+to|maximum\s+of|no\s+more\s+than|not\s+more\s+than)\s+(" + N.NUMBER_WORD
                      + r"|\d+)\s*(?:\(\d+\)\s*)?(?:additional\s+|successive\s+|consecutive\s+|further\s+)*"
                      r"(?:renewal|extension|period|term|time)", segs[i].text, re.IGNORECASE)
        if m:
            n = N.parse_number_word(m.group(1))
            if n:
                limit = Found(n, [(segs[i].start, segs[i].end)], 0.7)
                break
    return auto, term, notice, limit
