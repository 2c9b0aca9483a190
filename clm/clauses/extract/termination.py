"""Termination rules: termination for convenience and its notice, for cause and the cure period."""
from __future__ import annotations

import re

from clm.clauses.extract import components as C
from clm.clauses.extract.fields import Found, Seg, is_notice_duration, notice_in
from clm.clauses.extract.renewal import MUTUAL

#: Classifier thresholds (probabilities of classifier.LABELS).
TFC_ADD = 0.8          # a "may terminate" sentence the rules miss counts when the model is this sure
TFC_VETO = 0.03        # a weak rule hit the model finds this unlikely is dropped

_TFC_STRONG = re.compile(
    r"\bfor\s+(?:its\s+|their\s+|his\s+|her\s+)?(?:own\s+)?convenience\b|\bwithout\s+(?:any\s+)?cause\b|"
    r"\bfor\s+any\s+(?:reason\s+)?or\s+no\s+reason\b|\bfor\s+no\s+reason\b|"
    r"\bwith\s+or\s+without\s+(?:\w+\s+){0,2}?(?:cause|reason)\b|"
    r"\bwithout\s+(?:any\s+)?reason\b|\bfor\s+non-?cause\b", re.IGNORECASE)
_TFC_MEDIUM = re.compile(r"\bfor\s+any\s+reason\b|\bin\s+(?:its|their|his|her)\s+(?:sole\s+|absolute\s+|sole\s+and\s+absolute\s+)?discretion\b"
                         r"|\bat\s+the\s+(?:sole\s+)?discretion\s+of\b|\bat\s+will\b"
                         r"|\bat\s+(?:its|their)\s+(?:sole\s+)?option\b|\bat\s+the\s+option\s+of\b|\bunilateral(?:ly)?\b", re.IGNORECASE)
_TFC_NOTICE = re.compile(
    r"\b(?:upon|on|by\s+(?:giving|providing|delivering|serving)|with|after|giving|providing|delivering|following)"
    r"\s+(?:(?:at\s+least|not\s+less\s+than|no\s+less\s+than|a\s+minimum\s+of)\s+)?(?:\S+\s+){0,6}?"
    r"(?:(?:prior|advance|advanced|written|express)\s+)*notic|\bat\s+any\s+time\b[^.;]{0,60}?\bby\s+(?:\w+\s+)?notice"
    r"|\b(?:(?:giv|provid|serv)(?:es?|ing)|(?:deliver|send)(?:s|ing)?)\s+(?:\S+\s+){0,8}?"
    r"(?:(?:prior|advance|written)\s+)*notic",
    re.IGNORECASE)
# "Except as otherwise provided ..., either party may ..." and "unless sooner terminated" set no condition.
# "So long as no default exists, either party may ..." grants the right while nobody is in default.
_NOT_A_CONDITION = re.compile(r"^\W*(?:\w+\W+){0,2}?except\s+as\s+[^,;]{0,100},|\bunless\s+(?:sooner|earlier)\s+terminated\b"
                              r"|\b(?:so|as)\s+long\s+as\s+(?:no|neither)\b[^,;]{0,120},"
                              r"|\bexcept\s+as\s+(?:otherwise\s+)?(?:set\s+forth|provided|specified|described)\s+"
                              r"(?:in|under|herein|elsewhere)[^,;]{0,60}", re.IGNORECASE)
# "following the second anniversary" / "following the end of the initial term" is a time window, not a condition;
# "by the vote of a majority of ..." makes termination a body's decision, not a party's right at will.
_CONDITIONAL = re.compile(r"\b(?:in\s+the\s+event|if|upon\s+the\s+occurrence|should|in\s+case|where|unless|"
                          r"due\s+to|as\s+a\s+result\s+of|following\s+(?:a|an|the|any)\b(?!\s+(?:[\w()-]+\s+){0,3}?"
                          r"anniversary|\s+(?:expiration|expiry|end)\s+of\s+the\s+initial)|pursuant\s+to\s+section|"
                          r"except|prior\s+to\s+the\s+(?:commencement|closing|distribution|effective)"
                          r"|by\s+(?:a|the)\s+(?:majority\s+)?vote\s+of)\b", re.IGNORECASE)
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
_TERMINATE_OTHER = re.compile(r"\b(?:terminat|cancel)\w*\s+(?:the\s+|any\s+|such\s+|its\s+)?(?:service|employment|license|"
                              r"order|purchase\s+order|sow|statement\s+of\s+work|appointment|rights?|display|"
                              r"exclusivity|provisions?|events?|meetings?|conferences?|shipments?|deliver(?:y|ies))\b|\bwith\s+cause\b|\bfor\s+[\"“]?cause\b|\boption\s+to\s+"
                              r"terminate\b[^.;]{0,60}\bwithin\b", re.IGNORECASE)


# "(ii)", "(b)", "(y)", "(3)" open an alternative; "thirty (30) days" and "Section 6(b)" do not.
_SUBCLAUSE = re.compile(r";|(?<![\w)])\(\s*(?:[ivx]{1,4}|[a-h]|[yz]|\d{1,2})\s*\)"
                        r"(?![\s-]*(?:calendar\s+|business\s+|consecutive\s+)?"
                        r"(?:days?|months?|years?|weeks?)\b)|,?\s+or\s+(?=immediately|\(|upon|if|in\s+the\s+event)",
                        re.IGNORECASE)
_FOR_CAUSE = re.compile(C.CUE_PATTERNS["for_cause"], re.IGNORECASE)
# "forty-five (45)": the figure after a spelled-out number glosses it, it opens no alternative.
_SPELLED_NUMBER = re.compile(r"\b[a-z-]*(?:one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|teen|ty"
                             r"|hundred|thousand)\s*$", re.IGNORECASE)
_NEW_GRANTEE = re.compile(r"\s*(?:(?:or|and)\s+)?[Bb]y\s+(?:(?:either|any|each|the)\s+)?[A-Z]")
# "(c) If ...", "12.2 Either party ...": the item's own label is not an alternative.
_LEADING_LABEL = re.compile(r"^\W{0,2}(?:\(?(?:[ivx]{1,4}|[a-h]|\d{1,2})\)|(?:\d{1,2}\.){1,3}\d{0,2}|[a-h]\.)\s+", re.IGNORECASE)


# "at any time, in its sole discretion, prior to the Distribution": a window, not a condition.
_TIME_WINDOW = re.compile(r"\bat\s+any\s+time\b[^.;]{0,40}?\b(?:prior\s+to|before)\s+the\s+\w+", re.IGNORECASE)
# "(x) by mutual agreement of the parties, or (y) at any time upon ...": the mutual way out is one alternative.
_MUTUAL_ALTERNATIVE = re.compile(r"\bby\s+(?:the\s+)?mutual(?:ly)?\s+(?:written\s+)?(?:agreement|consent)\b[^,;()]{0,40}?,?"
                                 r"\s+or\b(?!\s+by\s+(?:either|any|each)\s+party)", re.IGNORECASE)
# "(i) at any time upon six (6) months prior written notice", "(a) at the option of any party, upon 90 days'
# notice": an unconditional alternative that names its notice period, or says "at any time", is a right at will.
_ANY_TIME_ON_NOTICE = re.compile(
    r"\b(?:at\s+any\s+time|at\s+the\s+option\s+of\s+(?:any|either|each)\s+party)\W+(?:upon|on|with|by\s+giving)\s+"
    r"(?:(?:at\s+least|not\s+less\s+than|no\s+less\s+than)\s+)?(?:[\w-]+\s+){1,4}?(?:\(\d+\)\s+)?"
    r"(?:calendar\s+|business\s+)?(?:days?|months?|weeks?)'?\s+(?:(?:prior|advance|advanced|written),?\s+)*notice",
    re.IGNORECASE)
_AT_ANY_TIME = re.compile(r"\bat\s+any\s+time\b", re.IGNORECASE)


def _mutual(text: str) -> bool:
    """Return whether ``text`` needs both parties (or defines a term) rather than granting one a right."""
    return bool(MUTUAL.search(_MUTUAL_ALTERNATIVE.sub(" ", text)))


def _weak_convenience(part: str, medium: bool) -> bool:
    """Return whether one sub-clause allows termination on notice with no condition attached."""
    part = _TIME_WINDOW.sub("at any time", _NOT_A_CONDITION.sub(" ", part))
    return bool((medium or _TFC_NOTICE.search(part)) and not _FOR_CAUSE.search(part)
                and not _CONDITIONAL.search(part) and not re.search(r"\bimmediately\b", part, re.IGNORECASE))


def _convenience_parts(text: str, medium: bool) -> list[tuple[int, int]]:
    """Return the spans of ``text`` (the whole sentence, or some of its enumerated alternatives) that
    are unconditional rights to terminate; empty if none."""
    if _weak_convenience(text, medium):
        return [(0, len(text))]
    # "(i) upon thirty days' notice, or (ii) immediately if ...": an alternative of its own;
    # the text before the first alternative does not count (its conditions may follow it).
    # A list item ("(b) following ...; and (c) at any time ...") is itself one alternative.
    label = _LEADING_LABEL.match(text)
    cuts = [m for m in _SUBCLAUSE.finditer(text, label.end() if label else 0)
            if not (m.group(0)[:1] == "(" and _SPELLED_NUMBER.search(text, max(0, m.start() - 40), m.start()))]
    starts = [label.end() if label else 0] + [m.end() for m in cuts]
    spans = list(zip(starts, [m.start() for m in cuts] + [len(text)]))
    head, alternatives = spans[0], spans[1:]
    if label:
        alternatives.append(head)
    elif _CONDITIONAL.search(_NOT_A_CONDITION.sub(" ", text[head[0]:head[1]])) or _FOR_CAUSE.search(text, *head):
        # "may terminate if (i) ..., (ii) ...": the head's condition covers its alternatives, except those
        # that name another party ("terminable by A if ...; by A or B upon sixty days' notice; ...")
        alternatives = [(a, b) for a, b in alternatives if _NEW_GRANTEE.match(text, a, b)]
    return [(a, b) for a, b in alternatives if _weak_convenience(text[a:b], medium)]


_LIST_INTRO = re.compile(r"(?::|\bas\s+follows\W*)\s*$", re.IGNORECASE)
_ENUMERATED = re.compile(r"^\W{0,2}(?:\(?(?:[ivx]{1,4}|[a-h]|\d{1,2})\)|(?:\d{1,2}\.){1,3}\d{0,2}|[a-h]\.)\s", re.IGNORECASE)


def _spans(seg: Seg, item: Seg | None) -> list[tuple[int, int]]:
    """Return the evidence of a termination right: its sentence, and the list item it points at."""
    return [(seg.start, seg.end)] + ([(item.start, item.end)] if item is not None else [])


_WORD = re.compile(r"[^\W\d_][\w'-]*")
_MINOR_WORDS = {"of", "and", "or", "for", "by", "to", "the", "in", "on", "a", "an", "upon", "without", "with"}


def _is_heading(text: str) -> bool:
    """Return whether ``text`` is a section heading ("11.3 Unilateral Termination by Buyer.")."""
    words = [w for w in _WORD.findall(text) if w.lower() not in _MINOR_WORDS]
    return 0 < len(words) <= 8 and all(w[0].isupper() for w in words)


# Notice before the end of a term, or termination at its end, is non-renewal (renewal.py reads it).
_RENEWALISH = re.compile(r"\brenew|(?:prior\s+to|before)\s+(?:the\s+)?(?:end|expiration|expiry)\s+of\s+(?:the\s+)?"
                         r"(?:then[\s-]*current|current|initial|renewal|any)"
                         r"|\bterminat\w*\s+(?:[\w-]+\s+){0,6}?at\s+the\s+(?:end|expiration|expiry)\s+of\s+(?:a|an|the|any|each|such)"
                         r"\s+(?:[\w-]+\s+)?term\b(?!\s+or\s+(?:at\s+)?any\s+time)", re.IGNORECASE)
# "for any reason other than ...", "for any reason set forth in Section 12.2" name reasons after all.
_NAMED_REASONS = (r"(?!\s+(?:other\s+than|except|set\s+forth|specified|described|listed|stated|provided|enumerated"
                  r"|referred|mentioned|permitted|allowed|under|pursuant|as\s+(?:set|provided|described|specified)"
                  r"|in\s+(?:this\s+)?(?:section|clause|article|paragraph)))")
# "may terminate this Agreement immediately upon written notice for any reason, including if ...": the right
# needs no reason; what follows "including" illustrates it.
_TERMINATE_FOR_ANY_REASON = re.compile(r"\bterminate\s+this\s+agreement\b[^.;]{0,80}?\bfor\s+any\s+reasons?"
                                       r"(?:\s+whatsoever)?\b" + _NAMED_REASONS, re.IGNORECASE)
_ANY_REASON = re.compile(r"\bfor\s+any\s+reason\b" + _NAMED_REASONS + "|" + _TFC_STRONG.pattern, re.IGNORECASE)
# "... will not constitute a termination without Cause": the phrase is named, no right is granted.
_NOT_A_GRANT = re.compile(r"\bnot\s+(?:constitute|be\s+(?:deemed|considered|treated\s+as))\b[^.;]{0,60}$", re.IGNORECASE)
# "This option to terminate may only be exercised ...": a right granted (with its conditions) just before.
_RESTATED_RIGHT = re.compile(r"\W*(?:\w+\W+){0,2}?(?:this|such|said|the\s+foregoing)\s+(?:option|right)\s+(?:to|of)\s+"
                             r"(?:terminat|cancel)", re.IGNORECASE)
# "may terminate ... immediately ... if:", "upon the occurrence of any of the following events:" lists causes.
_INTRO_BLOCK = re.compile(_CONDITIONAL.pattern + r"|\bimmediately\b|\boccurrence\b|" + C.CUE_PATTERNS["for_cause"],
                          re.IGNORECASE)


def _convenience_item(segs: list[Seg], i: int) -> tuple[Seg, list[tuple[int, int]]] | None:
    """Return the enumerated item after a "may terminate ... as follows:" sentence that is (or holds,
    "(i) upon thirty days' notice, or (ii) immediately if:") an unconditional right to terminate on
    notice, with the spans of its unconditional alternatives; None if there is none."""
    for seg in segs[i + 1:i + 7]:
        if seg.start - segs[i].end > 2000 or not _ENUMERATED.match(seg.text) or _is_heading(seg.text):
            break
        if MUTUAL.search(seg.text) or _TERMINATE_OTHER.search(seg.text):
            continue
        parts = _convenience_parts(seg.text, bool(_TFC_MEDIUM.search(seg.text)))
        if parts:
            return seg, parts
    return None


_ADD_BLOCK = re.compile(r"\b(?:breach\w*|default\w*|fails?|failure|insolven\w*|bankrupt\w*|if|in\s+the\s+event)\b",
                        re.IGNORECASE)


#: A piece of a sentence broken by a page break is joined to the rest when this close.
JOIN_GAP = 150
_SENTENCE_END = re.compile(r"[.;:!?][\"”')\]]?\s*$")
_LOWER_START = re.compile(r"\s*[a-z]")


def _join_broken(segs: list[Seg]) -> list[Seg]:
    """Return ``segs`` with a sentence cut by a page break ("... after the first three" | "months of
    the Term, by giving ...") joined into one Seg, so its conditions and notice are read together.

    The gap is filled with spaces, so offsets into the joined text stay absolute."""
    out: list[Seg] = []
    for seg in segs:
        prev = out[-1] if out else None
        if (prev is None or seg.start - prev.end > JOIN_GAP or not _LOWER_START.match(seg.text)
                or _SENTENCE_END.search(prev.text)):
            out.append(seg)
            continue
        p = {k: max(v, seg.p.get(k, v)) for k, v in prev.p.items()} if prev.p else dict(seg.p)
        out[-1] = Seg(prev.start, seg.end, prev.text + " " * (seg.start - prev.end) + seg.text, prev.cats | seg.cats,
                      prev.dates + seg.dates, prev.durations + seg.durations, prev.money + seg.money,
                      prev.juris + seg.juris, p)
    return out


# "by giving written notice", "through written notification": no period, and none before it ("prior notice").
_ON_NOTICE_ALONE = re.compile(r"\b(?:upon|on|by(?:\s+(?:giving|providing|delivering|serving|sending))?|through|with)\s+"
                              r"(?:(?:a|the|its|immediate|express)\s+)?(?:written\s+)?(?:notice|notification)\b"
                              r"|\bby\s+notifying\b", re.IGNORECASE)
_REDACTED = re.compile(r"\[\s*\*|\*\s*\*\s*\*|_{3,}")
_NOTICE_WORD = re.compile(r"\bnoti(?:ce|fication|fy)", re.IGNORECASE)


# "effective sixty (60) days after written notice", "ninety days following receipt of such notice": a period
# that runs from the notice; it measures the notice when the termination takes effect at its end.
_AFTER_NOTICE = re.compile(r"\W{0,3}(?:\(\d+\)\s*)?(?:calendar\s+|business\s+)?(?:after|following|from)\s+(?:the\s+)?"
                           r"(?:(?:date\s+of|receipt\s+of|delivery\s+of|service\s+of|giving(?:\s+of)?)\s+)?"
                           r"(?:(?:such|the|its|a|written|prior)\s+)*(?:notice|notification)\b", re.IGNORECASE)
_TAKES_EFFECT = re.compile(r"\b(?:effective|terminat\w*|takes?\s+effect)\b", re.IGNORECASE)


def _is_notice(seg: Seg, d: tuple[str, int, int]) -> bool:
    """Return whether duration ``d`` of ``seg`` is a notice period: before the notice, or the time after it
    that the termination takes effect ("effective 60 days after notice", not "refund within 30 days after notice")."""
    at = seg.rel(d[1])
    return is_notice_duration(seg, d) or bool(_AFTER_NOTICE.match(seg.text, seg.rel(d[2]))
                                              and _TAKES_EFFECT.search(seg.text, max(0, at - 60), at))


def _notice_of(seg: Seg, parts: list[tuple[int, int]] | None) -> str | None:
    """Return the notice period of the right in ``seg``: the one stated in its unconditional
    alternative when there is one ("(a) on breach, upon 30 days' notice; (b) at any time upon 90 days'
    notice" gives 90 days), else the first in the sentence."""
    for d in seg.durations:
        if parts and any(a <= seg.rel(d[1]) < b for a, b in parts) and _is_notice(seg, d):
            return d[0]
    found = notice_in(seg)
    if found is None and not _FOR_CAUSE.search(seg.text):
        found = next((d[0] for d in seg.durations if _is_notice(seg, d)), None)
    return found


#: The sentence that states a right's notice period follows it this closely (in characters).
FOLLOW_UP_GAP = 10
# "Such termination shall be effective ninety (90) days after notice", "Any such notice shall be given at
# least thirty days before ...": the next sentence states the period of the right just granted.
_FOLLOW_UP = re.compile(r"\W{0,3}(?:any\s+)?(?:such|this|that|the)\s+(?:termination|notice)\b"
                        r"|\W{0,3}(?:any\s+)?termination\s+(?:under|pursuant\s+to)\b", re.IGNORECASE)


def _follow_up_notice(segs: list[Seg], j: int) -> tuple[Seg, str] | None:
    """Return the sentence after ``segs[j]`` that states the notice period its right leaves unsaid, with the
    period; None if there is none (or ``segs[j]`` has a figure of its own, even a redacted one)."""
    if j + 1 >= len(segs) or segs[j].durations or _REDACTED.search(segs[j].text):
        return None
    nxt = segs[j + 1]
    if nxt.start - segs[j].end > FOLLOW_UP_GAP or not _FOLLOW_UP.match(nxt.text) or _FOR_CAUSE.search(nxt.text):
        return None
    value = next((d[0] for d in nxt.durations if _is_notice(nxt, d)), None)
    return (nxt, value) if value else None


def _takes_effect_at_once(said: list[Seg]) -> bool:
    """Return whether a right to terminate states no notice period because it needs none: it is
    exercised "upon written notice" or "at any time", with no figure (or a redacted one) in sight."""
    text = " ".join(x.text for x in said)
    if any(x.durations for x in said) or _REDACTED.search(text):
        return False
    return bool(_ON_NOTICE_ALONE.search(text) or (_AT_ANY_TIME.search(text) and not _NOTICE_WORD.search(text)))


def _convenience(segs: list[Seg]) -> tuple[Found | None, Found | None]:
    """Return (termination_for_convenience, termination_notice)."""
    tfc_cands: list[tuple[float, int, float]] = []      # (rank, index, confidence)
    items: dict[int, Seg] = {}                          # "as follows:" sentence -> its convenience item
    item_parts: dict[int, list[tuple[int, int]]] = {}   # ... and the item's unconditional alternatives
    rights: dict[int, list[tuple[int, int]]] = {}       # sentence -> its unconditional alternatives
    for i, seg in enumerate(segs):
        if "terminate" not in seg.cats or not _may_terminate(seg.text) or _RESTATED_RIGHT.match(seg.text):
            continue
        sm = _TFC_STRONG.search(seg.text) or _TERMINATE_FOR_ANY_REASON.search(seg.text)
        strong = bool(sm) and not _NOT_A_GRANT.search(seg.text, max(0, sm.start() - 80), sm.start()) and not re.match(
            r"\W*(?:\(?\w{1,3}\)\s*)?(?:if|in\s+the\s+event|should|where)\b", seg.text, re.IGNORECASE)
        medium = bool(_TFC_MEDIUM.search(seg.text))
        # a non-renewal notice gives no reasons: "for any reason ... prior to the expiration" is a right at will
        renewalish = _RENEWALISH.search(seg.text) and not _ANY_REASON.search(seg.text)
        parts = ([] if renewalish or _TERMINATE_OTHER.search(seg.text) or _mutual(seg.text)
                 or re.search(r":\s*$|\bas\s+follows\b", seg.text) else _convenience_parts(seg.text, medium))
        weak = bool(parts)
        # an unconditional alternative "at any time" or "for any reason" is a right at will
        strong = strong or any(_ANY_TIME_ON_NOTICE.search(seg.text, a, b) or _AT_ANY_TIME.search(seg.text, a, b)
                               or _ANY_REASON.search(seg.text, a, b) for a, b in parts)
        if parts:
            rights[i] = parts
        p = seg.p.get("tfc")
        if (not weak and not renewalish and not _mutual(seg.text) and _LIST_INTRO.search(seg.text)
                and not _INTRO_BLOCK.search(_NOT_A_CONDITION.sub(" ", seg.text))):
            found = _convenience_item(segs, i)
            if found is not None:
                item, item_parts[i] = found
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
    # an item that is a candidate itself is better evidence than its list introduction
    chosen = {segs[j].start for _, j, _ in tfc_cands}
    tfc_cands = [c for c in tfc_cands if c[1] not in items or items[c[1]].start not in chosen]
    if not tfc_cands:
        return None, None
    tfc_cands.sort(key=lambda c: (-c[0], c[1]))
    _, i, conf = tfc_cands[0]
    tfc = Found(True, _spans(segs[i], items.get(i)), conf)
    for _, j, _conf in tfc_cands:
        for where, parts in ((segs[j], rights.get(j)), (items.get(j), item_parts.get(j))):
            value = _notice_of(where, parts) if where is not None else None
            if value:
                return tfc, Found(value, _spans(segs[j], items.get(j)), 0.8)
        follow = _follow_up_notice(segs, j) if items.get(j) is None else None
        if follow is not None:
            return tfc, Found(follow[1], _spans(segs[j], None) + [(follow[0].start, follow[0].end)], 0.75)
    if _takes_effect_at_once([x for x in (segs[i], items.get(i)) if x is not None]):
        return tfc, Found("P0D", tfc.evidence, 0.6)
    return tfc, None


def termination(segs: list[Seg]) -> tuple[Found | None, Found | None, Found | None, Found | None]:
    """Return (termination_for_convenience, termination_notice, termination_for_cause, cure_period)."""
    cause = cure = None
    for seg in segs:
        if "terminate" not in seg.cats:
            continue
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
    tfc, notice = _convenience(_join_broken(segs))
    return tfc, notice, cause, cure
