"""Termination rules: termination for convenience and its notice, for cause and the cure period."""
from __future__ import annotations

import re

from clm.clauses.extract import components as C
from clm.clauses.extract.fields import Found, Seg, notice_in
from clm.clauses.extract.renewal import MUTUAL

#: Classifier thresholds (probabilities of classifier.LABELS).
TFC_ADD = 0.8          # a "may terminate" sentence the rules miss counts when the model is this sure
TFC_VETO = 0.03        # a weak rule hit the model finds this unlikely is dropped

_TFC_STRONG = re.compile(
    r"\bfor\s+(?:its\s+|their\s+|his\s+|her\s+)?(?:own\s+)?convenience\b|\bwithout\s+(?:any\s+)?cause\b|"
    r"\bfor\s+any\s+or\s+no\s+reason\b|\bfor\s+no\s+reason\b|\bwith\s+or\s+without\s+(?:cause|reason)\b|"
    r"\bwithout\s+(?:any\s+)?reason\b|\bfor\s+non-?cause\b", re.IGNORECASE)
_TFC_MEDIUM = re.compile(r"\bfor\s+any\s+reason\b|\bin\s+(?:its|their|his|her)\s+(?:sole\s+|absolute\s+|sole\s+and\s+absolute\s+)?discretion\b"
                         r"|\bat\s+the\s+(?:sole\s+)?discretion\s+of\b|\bat\s+will\b"
                         r"|\bat\s+(?:its|their)\s+(?:sole\s+)?option\b|\bat\s+the\s+option\s+of\b|\bunilateral(?:ly)?\b", re.IGNORECASE)
_TFC_NOTICE = re.compile(
    r"\b(?:upon|on|by\s+(?:giving|providing|delivering|serving)|with|after|giving|providing|delivering|following)"
    r"\s+(?:(?:at\s+least|not\s+less\s+than|no\s+less\s+than|a\s+minimum\s+of)\s+)?(?:\S+\s+){0,6}?"
    r"(?:(?:prior|advance|advanced|written|express)\s+)*notic|\bat\s+any\s+time\b[^.;]{0,60}?\bby\s+(?:\w+\s+)?notice"
    r"|\b(?:give|provide|deliver|serve|send)s?\s+(?:\S+\s+){0,8}?(?:(?:prior|advance|written)\s+)*notic",
    re.IGNORECASE)
# "Except as otherwise provided ..., either party may ..." and "unless sooner terminated" set no condition.
_NOT_A_CONDITION = re.compile(r"^\W*(?:\w+\W+){0,2}?except\s+as\s+[^,;]{0,100},|\bunless\s+(?:sooner|earlier)\s+terminated\b"
                              r"|\bexcept\s+as\s+(?:otherwise\s+)?(?:set\s+forth|provided|specified|described)\s+"
                              r"(?:in|under|herein|elsewhere)[^,;]{0,60}", re.IGNORECASE)
_CONDITIONAL = re.compile(r"\b(?:in\s+the\s+event|if|upon\s+the\s+occurrence|should|in\s+case|where|unless|"
                          r"due\s+to|as\s+a\s+result\s+of|following\s+(?:a|an|the|any)|pursuant\s+to\s+section|"
                          r"except|prior\s+to\s+the\s+(?:commencement|closing|distribution|effective))\b", re.IGNORECASE)
_NEGATED_TERMINATION = re.compile(r"\b(?:may|shall|will|can)\s+not\s+(?:\w+\s+){0,3}?terminat|\bno\s+(?:party|right)\b"
                                  r"[^.;]{0,40}terminat|\bnot\s+(?:be\s+)?entitled\s+to\s+terminat"
                                  r"|\bneither\s+(?:party|of\s+the\s+parties)\b[^.;]{0,40}terminat", re.IGNORECASE)
_NOT = re.compile(r"\bnot\b|\bno\b|\bnor\b|\bneither\b", re.IGNORECASE)


def _may_terminate(text: str) -> bool:
    """Return whether ``text`` grants a right to terminate that is not itself negated.

    "Party B may terminate ...; but Party A may not terminate" grants Party B's right, and
    "provided that such termination shall not act as a termination of ..." takes nothing away.
    """
    if not _NEGATED_TERMINATION.search(text):
        return bool(_MAY_TERMINATE.search(text))
    return any(not _NOT.search(m.group(0)) and not _NEGATED_TERMINATION.search(text, max(0, m.start() - 30), m.end() + 5)
               for m in _MAY_TERMINATE.finditer(text))
_MAY_TERMINATE = re.compile(
    r"\b(?:may|can|shall\s+have\s+the\s+right\s+to|is\s+entitled\s+to|right\s+to|ability\s+to|option\s+to)[\s,]+"
    r"(?:[\w,]+[\s,]+){0,8}?(?:terminat|cancel)\w*|\b(?:terminable|cancell?able)\b"
    r"|\bright\s+(?:at\s+any\s+time|at\s+all\s+times)[^.;]{0,60}?\bto\s+(?:terminat|cancel)\w*"
    r"|\bterminate\s+(?:\(\w{1,3}\)\s*)?at\s+the\s+option\s+of\b"
    r"|\b(?:wishing|electing|elects?|desiring)\s+to\s+terminate|\b(?:unless|until)\s+(?:sooner\s+|earlier\s+)?"
    r"terminated\s+by|\b(?:may|can|shall|will)\s+(?:\w+\s+){0,2}?be\s+(?:earlier\s+)?"
    r"(?:terminated|cancel\w*)|\buntil\s+terminated\s+by|\bnotice\s+of\s+termination\b", re.IGNORECASE)
_TERMINATE_OTHER = re.compile(r"\bterminat\w*\s+(?:the\s+|any\s+|such\s+|its\s+)?(?:service|employment|license|"
                              r"order|purchase\s+order|sow|statement\s+of\s+work|appointment|rights?|display|"
                              r"exclusivity|provisions?)\b|\bwith\s+cause\b|\bfor\s+[\"“]?cause\b|\boption\s+to\s+"
                              r"terminate\b[^.;]{0,60}\bwithin\b", re.IGNORECASE)


_SUBCLAUSE = re.compile(r";|\(\s*(?:[ivx]{1,4}|[a-h]|\d{1,2})\s*\)|,?\s+or\s+(?=immediately|\(|upon|if|in\s+the\s+event)",
                        re.IGNORECASE)
_FOR_CAUSE = re.compile(C.CUE_PATTERNS["for_cause"], re.IGNORECASE)


def _weak_convenience(part: str, medium: bool) -> bool:
    """Return whether one sub-clause allows termination on notice with no condition attached."""
    part = _NOT_A_CONDITION.sub(" ", part)
    return bool((medium or _TFC_NOTICE.search(part)) and not _FOR_CAUSE.search(part)
                and not _CONDITIONAL.search(part) and not re.search(r"\bimmediately\b", part, re.IGNORECASE))


def _any_convenience_part(text: str, medium: bool) -> bool:
    """Return whether the sentence, or one enumerated alternative in it, is an unconditional right."""
    if _weak_convenience(text, medium):
        return True
    # "(i) upon thirty days' notice, or (ii) immediately if ...": an alternative of its own;
    # the text before the first alternative does not count (its conditions may follow it).
    head, *alternatives = _SUBCLAUSE.split(text)
    head = _NOT_A_CONDITION.sub(" ", head)
    if _CONDITIONAL.search(head) or _FOR_CAUSE.search(head):
        return False                                  # "may terminate if (i) ..., (ii) ..."
    return any(_weak_convenience(part, medium) for part in alternatives)


_LIST_INTRO = re.compile(r"(?::|\bas\s+follows\W*)\s*$", re.IGNORECASE)
_ENUMERATED = re.compile(r"^\W{0,2}(?:\(?(?:[ivx]{1,4}|[a-h]|\d{1,2})\)|(?:\d{1,2}\.){1,3}\d{0,2}|[a-h]\.)\s", re.IGNORECASE)


def _spans(seg: Seg, item: Seg | None) -> list[tuple[int, int]]:
    """Return the evidence of a termination right: its sentence, and the list item it points at."""
    return [(seg.start, seg.end)] + ([(item.start, item.end)] if item is not None else [])


def _convenience_item(segs: list[Seg], i: int) -> Seg | None:
    """Return the enumerated item after a "may terminate ... as follows:" sentence that is an
    unconditional right to terminate on notice, or None."""
    for seg in segs[i + 1:i + 7]:
        if seg.start - segs[i].end > 2000 or not _ENUMERATED.match(seg.text):
            break
        if (not MUTUAL.search(seg.text) and not _TERMINATE_OTHER.search(seg.text)
                and _weak_convenience(seg.text, bool(_TFC_MEDIUM.search(seg.text)))):
            return seg
    return None


_ADD_BLOCK = re.compile(r"\b(?:breach\w*|default\w*|fails?|failure|insolven\w*|bankrupt\w*|if|in\s+the\s+event)\b",
                        re.IGNORECASE)


def termination(segs: list[Seg]) -> tuple[Found | None, Found | None, Found | None, Found | None]:
    """Return (termination_for_convenience, termination_notice, termination_for_cause, cure_period)."""
    cause = cure = None
    tfc_cands: list[tuple[float, int, float]] = []      # (rank, index, confidence)
    items: dict[int, Seg] = {}                          # "as follows:" sentence -> its convenience item
    for i, seg in enumerate(segs):
        if "terminate" not in seg.cats:
            continue
        if _may_terminate(seg.text):
            strong = bool(_TFC_STRONG.search(seg.text)) and not re.match(
                r"\W*(?:\(?\w{1,3}\)\s*)?(?:if|in\s+the\s+event|should|where)\b", seg.text, re.IGNORECASE)
            medium = bool(_TFC_MEDIUM.search(seg.text))
            renewalish = re.search(r"\brenew|(?:prior\s+to|before)\s+(?:the\s+)?(?:end|expiration|expiry)\s+of\s+(?:the\s+)?"
                                   r"(?:then[\s-]*current|current|initial|renewal|any)", seg.text, re.IGNORECASE)
            weak = (not renewalish and not _TERMINATE_OTHER.search(seg.text)
                    and not re.search(r":\s*$|\bas\s+follows\b", seg.text)
                    and not MUTUAL.search(seg.text) and _any_convenience_part(seg.text, medium))
            p = seg.p.get("tfc")
            if not weak and not renewalish and not MUTUAL.search(seg.text) and _LIST_INTRO.search(seg.text):
                item = _convenience_item(segs, i)
                if item is not None:
                    weak = True
                    items[i] = item
                    if p is not None:
                        p = max(p, item.p.get("tfc", p))
            if strong or (weak and (p is None or p >= TFC_VETO)):
                tfc_cands.append((p if p is not None else (1.0 if strong else 0.5) - i * 1e-6, i,
                                  0.9 if strong else 0.7))
            elif (p is not None and p >= TFC_ADD and not _TERMINATE_OTHER.search(seg.text)
                  and not _ADD_BLOCK.search(seg.text)):
                tfc_cands.append((p, i, 0.6))
        if cause is None and "for_cause" in seg.cats and _MAY_TERMINATE.search(seg.text) and re.search(
                r"\bbreach|\bdefault|\bfor\s+cause\b", seg.text, re.IGNORECASE):
            cause = Found(True, [(seg.start, seg.end)], 0.8)
        if cure is None and "cure" in seg.cats and re.search(r"\bbreach|\bdefault", seg.text, re.IGNORECASE):
            for d in seg.durations:
                after = seg.text[seg.rel(d[2]):seg.rel(d[2]) + 120]
                before = seg.text[max(0, seg.rel(d[1]) - 120):seg.rel(d[1])]
                if re.search(r"\bcure|\bremed", before + after, re.IGNORECASE):
                    cure = Found(d[0], [(seg.start, seg.end)], 0.75)
                    break
    tfc = notice = None
    if tfc_cands:
        tfc_cands.sort(key=lambda c: (-c[0], c[1]))
        _, i, conf = tfc_cands[0]
        tfc = Found(True, _spans(segs[i], items.get(i)), conf)
        for _, j, _conf in tfc_cands:
            for where in (segs[j], items.get(j)):
                value = notice_in(where) if where is not None else None
                if value:
                    notice = Found(value, _spans(segs[j], items.get(j)), 0.8)
                    break
            if notice:
                break
    return tfc, notice, cause, cure
