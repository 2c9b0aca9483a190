"""Field rules: turn processed segment Docs into field values, evidence and confidence."""
from __future__ import annotations

import datetime
import re
from dataclasses import dataclass, field
from typing import Any

from spacy.tokens import Doc

from clm.clauses.extract import components as C
from clm.clauses.extract import normalize as N


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


def is_notice_duration(seg: Seg, d: tuple[str, int, int]) -> bool:
    """Return whether a duration in ``seg`` measures a notice period."""
    after = seg.text[seg.rel(d[2]):seg.rel(d[2]) + 60]
    before = seg.text[max(0, seg.rel(d[1]) - 40):seg.rel(d[1])]
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
    if m:
        return N.normalize_jurisdiction(m.group(1))
    return None


def governing_law(segs: list[Seg]) -> Found | None:
    """Return the jurisdiction whose law governs the contract."""
    best: tuple[float, int, Found] | None = None
    for i, seg in enumerate(segs):
        if "governing_law" not in seg.cats:
            continue
        if not _GOV_STRONG.search(seg.text):
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
        if best is None or score > best[0]:
            best = (score, i, Found(value, [(seg.start, seg.end)], min(0.99, 0.75 + 0.2 * score)))
    return best[2] if best else None


#: Classifier thresholds (probabilities of classifier.LABELS); see termination/renewal/term.
TFC_ADD = 0.8          # a "may terminate" sentence the rules miss counts when the model is this sure
TFC_VETO = 0.03        # a weak rule hit the model finds this unlikely is dropped
RENEWAL_ADD = 0.8
NON_RENEWAL_ADD = 0.7
TERM_ADD = 0.5
TERM_WEIGHT = 2.0    # how much the term probability adds to a term sentence's rule score


def _p(seg: Seg, label: str) -> float:
    """Return the classifier probability of ``label`` for a segment (0.5 without a model)."""
    return seg.p.get(label, 0.5)


def _notice_in(seg: Seg) -> str | None:
    for d in seg.durations:
        if is_notice_duration(seg, d):
            return d[0]
    return None


# ----------------------------------------------------------------------------- renewal
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
_RENEW_ACTION = re.compile(
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
_MUTUAL = re.compile(r"\bmutual(?:ly)?\s+(?:written\s+)?(?:agree\w*|consent|accord)|\bunanimous\s+consent|\bagree\s+in\s+"
                     r"writing\s+to\s+(?:renew|extend)|\bby\s+(?:written\s+)?agreement\s+of|\bmutually\s+agree|"
                     r"\bunless\s+the\s+parties\s+agree|\bhas\s+the\s+meaning|\bshall\s+mean\b|\bmeans\b", re.IGNORECASE)


def renewal(segs: list[Seg]) -> tuple[Found | None, Found | None, Found | None, Found | None]:
    """Return (auto_renewal, renewal_term, non_renewal_notice, renewal_limit)."""
    cands = []
    for i, seg in enumerate(segs):
        if "renewal" not in seg.cats:
            continue
        if not _RENEW_ACTION.search(seg.text):
            continue
        # "...for a term of one year; thereafter, it shall automatically continue": read with the clause before
        context = seg.text
        if i > 0 and seg.start - segs[i - 1].end < 5:
            context = segs[i - 1].text + " " + seg.text
        if not _RENEW_AGREEMENT.search(context):
            continue
        if _MUTUAL.search(seg.text) and not re.search(r"\bautomatic", seg.text, re.IGNORECASE):
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
        act = _RENEW_ACTION.search(seg.text)
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
            value = _notice_in(segs[j])
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


# ----------------------------------------------------------------------------- termination
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
        if (not _MUTUAL.search(seg.text) and not _TERMINATE_OTHER.search(seg.text)
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
                    and not _MUTUAL.search(seg.text) and _any_convenience_part(seg.text, medium))
            p = seg.p.get("tfc")
            if not weak and not renewalish and not _MUTUAL.search(seg.text) and _LIST_INTRO.search(seg.text):
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
                value = _notice_in(where) if where is not None else None
                if value:
                    notice = Found(value, _spans(segs[j], items.get(j)), 0.8)
                    break
            if notice:
                break
    return tfc, notice, cause, cure


# ----------------------------------------------------------------------------- dates and term
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
        if _RENEW_ACTION.search(seg.text) and not re.search(r"\binitial\s+term|\bterm\s+of\s+this|(?:shall|will)\s+"
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


# ----------------------------------------------------------------------------- parties
_PRE_STOP = re.compile(r"\b(?:WHEREAS|W\s?I\s?T\s?N\s?E\s?S\s?S\s?E\s?T\s?H|RECITALS?|NOW,?\s+THEREFORE|BACKGROUND"
                       r"|PREAMBLE|IN\s+CONSIDERATION\s+OF|The\s+parties\s+(?:hereto\s+)?agree)\b")
_BETWEEN = re.compile(r"\b(?:by\s+and\s+(?:between|among)|between|among)\b\s*:?"
                      r"|\b(?:entered\s+into|made|executed|agreement|contract)\s+(?:\w+\s+){0,6}?(?:by|with)\b(?!\s+and\s+(?:between|among))\s*:?",
                      re.IGNORECASE)
_DEFINED = re.compile(r"\(\s*(?:[^()\"“”]{0,100}?\b(?:referred\s+to|called|defined|known)\s+(?:herein\s+)?(?=as\b))?"
                      r"(?:(?:each|individually|collectively|together)[^()]{0,60}?)?(?:hereinafter|herein)?\s*"
                      r"(?:(?:called|referred\s+to\s+as|defined\s+as|known\s+as)\s+)?(?:as\s+)?(?:the\s+)?"
                      r"[\"“”'‘’]+\s*([^\"“”'‘’()]{1,60}?)\s*[\"“”'‘’]+[^()]{0,80}?\)"
                      # no parentheses: ', referred to in this Agreement as "Company" or "Boyd"'
                      r"|,?\s*(?:hereinafter\s+)?(?:referred\s+to|called)\s+(?:in\s+this\s+agreement\s+|herein\s+)?as\s+"
                      r"(?:the\s+)?[\"“]([^\"“”()]{1,60}?)[\"”](?:\s*(?:or|and|,)\s*[\"“][^\"“”()]{1,60}?[\"”])*",
                      re.IGNORECASE)
_DESCRIPTOR = re.compile(
    r",?\s+(?:a|an)\s+(?:[\w.-]+\s+){0,6}?(?:corporation|company|limited|partnership|llc|"
    r"association|organi[sz]ation|bank|entity|institution|individual|resident|national|citizen|"
    r"business|subsidiary|agency|trust|foundation|university|societe|société|aktiengesellschaft|gmbh|"
    r"public|private|joint|state|federal|non-?profit|not-for-profit)\b"
    r"|,?\s+(?:having|with\s+(?:its|a|offices?|principal)|whose|located|organi[sz]ed|incorporated|existing|"
    r"residing|of\s+\d|at\s+\d|address|registered|acting|on\s+behalf|a\s+division|its\s+principal|"
    r"duly|represented|domiciled)\b"
    r"|,?\s+\(?\s*(?:formerly|hereinafter|as\s+successor)\b"
    r"|\s*\(", re.IGNORECASE)
_GENERIC_TERMS = {"agreement", "effective date", "parties", "party", "this agreement", "amendment",
                  "contract", "each", "letter", "term", "territory", "products", "product", "services"}
_CORP = re.compile(r"\b(?:inc|incorporated|corp|corporation|company|co|llc|l\.l\.c|ltd|limited|plc|lp|l\.p|llp|"
                   r"gmbh|ag|s\.a|sa|b\.v|bv|n\.v|nv|pty|s\.p\.a|srl|sarl|ab|oy|kk|holdings?|group|trust|bank|"
                   r"university|partners|fund|association|foundation)\b\.?", re.IGNORECASE)


_COMPANY = re.compile(r"(?<![\w&.-])(?:[A-Z0-9][\w&'.-]*\s+){0,5}[A-Z][\w&'.-]*,?\s+(?:Inc|LLC|L\.L\.C|Ltd|Corporation|Corp"
                      r"|Limited|L\.P|LLP|GmbH|S\.A|B\.V|N\.V|plc|PLC|AG|Co)\b\.?")
_SMALL_WORDS = {"of", "and", "the", "de", "for", "in", "on", "du", "des", "la", "le", "von", "van", "&"}


def _clean_name(chunk: str) -> str | None:
    s = re.sub(r"\s+", " ", chunk).strip(" ,;:.\n\t")
    s = re.sub(r"^(?:(?:and|by|between|among|with|&|,)\s+)+", "", s, flags=re.IGNORECASE)
    s = re.sub(r"^(?:\d+[.)]|\(?[a-z0-9]{1,3}\))\s*", "", s)
    s = re.sub(r"^(?:(?:and|by|between|among|with|&|,)\s+)+", "", s, flags=re.IGNORECASE)
    m = _DESCRIPTOR.search(s)
    if m and m.start() > 0:
        s = s[:m.start()]
    s = s.strip(" ,;:\"“”'")
    s = re.sub(r"^(?:the\s+)?(?:undersigned\s+)?", lambda m: m.group(0) if s[:4].lower() == "the " else "", s)
    if not s or len(s) > 90 or len(s.split()) > 12:
        return None
    if not re.match(r"[A-Z0-9]", s) and not _CORP.search(s):
        # "professional golfer, TOM WATSON": the name is the capitalised piece
        pieces = [p.strip() for p in s.split(",") if re.match(r"\s*[A-Z0-9]", p)]
        if not pieces:
            return None
        s = pieces[0]
    if (s.lower() in _GENERIC_TERMS or s.lower().startswith(("this ", "these ", "such "))
            or re.fullmatch(r"party\s+\w", s, re.IGNORECASE)):
        return None
    words = [w for w in re.findall(r"[^\W\d_][\w'&.-]*", s) if w.lower() not in _SMALL_WORDS]
    # without a corporate suffix a name must look like one: short and capitalised
    if not _CORP.search(s) and (not words or len(words) > 8
                                or sum(w[0].isupper() for w in words) < 0.75 * len(words)):
        return None
    return s


def parties(text: str) -> tuple[Found | None, int]:
    """Return (parties, end of preamble) from the opening of the contract."""
    head = text[:6000]
    stop = _PRE_STOP.search(head, 40)
    pre_end = stop.start() if stop else min(len(head), 3000)
    pre = text[:pre_end]
    names: list[tuple[str, int, int]] = []
    bm = _BETWEEN.search(pre)
    origin = bm.end() if bm else 0
    last = origin
    for m in _DEFINED.finditer(pre, origin):
        term_ = (m.group(1) or m.group(2)).strip().lower()
        chunk = pre[last:m.start()]
        last = m.end()
        if term_ in _GENERIC_TERMS or "agreement" in term_ or "date" in term_:
            continue
        # the name opens the chunk (descriptors follow it), after any "between"
        bw = None
        for bw in re.finditer(r"\b(?:between|among)\b", chunk, re.IGNORECASE):
            pass
        if bw is not None:
            chunk = chunk[bw.end():]
        # a name does not run across a blank line (title pages list the parties one per line)
        para = [p for p in re.split(r"\n\s*\n", chunk.strip()) if p.strip()]
        cand = para[-1] if para else chunk
        # ', a Nevada corporation, and TruckThat LLC': the previous party's descriptor comes first
        if re.match(r"[\s,]*(?:a|an|its|having|with|whose|located|of|which|organi[sz]ed|incorporated)\b",
                    cand, re.IGNORECASE):
            sep = None
            for sep in re.finditer(r"\band\b|;", cand, re.IGNORECASE):
                pass
            if sep is None:
                continue
            cand = cand[sep.end():]
        name = _clean_name(cand)
        if name:
            s = pre.find(name, m.start() - len(chunk) - 5)
            names.append((name, s if s >= 0 else m.start(), (s if s >= 0 else m.start()) + len(name)))
    if not names and bm:
        body = pre[origin:]
        body = re.split(r"(?<!\b[A-Z])\.\s|\n\n", body, maxsplit=1)[0]
        for piece in re.split(r"\band\b|;", body):
            name = _clean_name(piece)
            if name:
                s = pre.find(name, origin)
                names.append((name, s, s + len(name)))
            if len(names) >= 4:
                break
    if not names:
        # no "between ... and ..." frame: fall back to company names with a corporate suffix
        for m in _COMPANY.finditer(pre):
            name = _clean_name(m.group(0))
            if name:
                names.append((name, m.start(), m.start() + len(name)))
            if len(names) >= 2:
                break
    seen: set[str] = set()
    uniq = []
    for n in names:
        k = n[0].lower()
        if k not in seen:
            seen.add(k)
            uniq.append(n)
    if not uniq:
        return None, pre_end
    return Found([n[0] for n in uniq], [(n[1], n[2]) for n in uniq if n[1] >= 0], 0.8), pre_end


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


_PERIOD_WORDS = {"month": "monthly", "monthly": "monthly", "year": "annual", "annual": "annual",
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
            m = re.match(r"\W*(?:\(\S+\)\s*)?(?:per|each|a|every|/)\s*(month|year|quarter|week)|\W*(monthly|annually|"
                         r"annual|quarterly|weekly)", after)
            period = _PERIOD_WORDS.get(m.group(1) or m.group(2)) if m else None
            out.append({"amount": str(amount), "currency": cur, "period": period})
            ev.append((s, e))
            if len(out) >= 10:
                break
        if len(out) >= 10:
            break
    return Found(out, ev, 0.6) if out else None


_BILLING = re.compile(r"\b(?:invoice[sd]?|bill(?:ed)?|payable|paid)\s+(?:\w+\s+){0,4}?(monthly|quarterly|annually|"
                      r"semi-annually|yearly|weekly|in\s+advance|in\s+arrears)\b", re.IGNORECASE)


def billing_frequency(segs: list[Seg]) -> Found | None:
    """Return how often invoices go out (monthly, quarterly, annually ...)."""
    for seg in segs:
        if "payment" not in seg.cats:
            continue
        m = _BILLING.search(seg.text)
        if m:
            v = m.group(1).lower().replace("yearly", "annually")
            return Found(re.sub(r"\s+", " ", v), [(seg.start, seg.end)], 0.7)
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
