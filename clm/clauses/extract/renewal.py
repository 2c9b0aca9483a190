"""Renewal rules: automatic renewal, the renewal term, the non-renewal notice and a renewal limit."""
from __future__ import annotations

import re

from clm.clauses.extract import normalize as N
from clm.clauses.extract.fields import MAX_FORM_LINES, Found, Seg, form_line, is_notice_duration, notice_in
from clm.values import durations
from clm.values.fields import PERPETUAL

#: Classifier thresholds (probabilities of classifier.LABELS).
RENEWAL_ADD = 0.8      # a renewal sentence the rules miss counts when the model is this sure
NON_RENEWAL_ADD = 0.5    # chosen by --cv 5 on the 284 (0.7: non_renewal_notice F1 0.866; 0.5: 0.878; 0.3: 0.878)
#: A renewal the parties must opt into (an option to renew, a renewal by mutual agreement) is no automatic
#: renewal, but its length is still the contract's renewal term: when no automatic renewal gives one, the
#: sentence the model scores at least this for "renewal" (CUAD's Renewal Term clauses) gives the length.
RENEWAL_TERM_ADD = 0.5

_RENEWAL_TERM_BEFORE = re.compile(
    r"(?:additional|successive|renewal|further|subsequent|consecutive|another|extension|extended|renew\w*|automatic|"
    r"period\s+of|periods\s+of|terms?\s+of|for|each|like)\s*(?:\w+\s+){0,2}$", re.IGNORECASE)
_RENEWAL_TERM_AFTER = re.compile(r"^\W{0,3}(?:\w+\s+){0,2}?(?:renewal|periods?|terms?|increments?|each|thereafter"
                                 r"|basis)\b"
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
    r"|\bautomatic\s+(?:[\w-]+\s+){0,3}?(?:renewals?|extensions?)\b|\brenewed\s+tacitly\b"
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


# RENEW_ACTION and MUTUAL are shared with term.py and termination.py; what only renewals need follows.
#: "renewable" speaks of the agreement only when it says for what or when ("renewable for one year",
#: "is renewable", "a renewable one-year term"), not in "renewable notes" or "renewable energy".
_RENEWABLE_OK = re.compile(r"\brenewable\s+(?:for|on|at|upon|by|every|each|annually|automatically|thereafter"
                           r"|(?:[\w-]+\s+){0,2}?(?:terms?|periods?))\b|\b(?:is|be|are|automatically)\s+renewable\b",
                           re.IGNORECASE)
#: Extensions and renewals that are not the agreement's: a deadline moved by a delay or force majeure,
#: a term said to be non-renewable, a disclaimer of any right or commitment to renew.
_NOT_RENEWAL = re.compile(
    r"\b(?:extended|extend)\s+(?:\w+\s+){0,3}?(?:for|by)\s+(?:a\s+|the\s+)?(?:period|time|number\s+of\s+days)"
    r"(?:\s+of\s+time)?\s+(?:equal|equivalent|corresponding)"
    r"|\bextended\s+by\s+(?:the\s+)?(?:number\s+of\s+days|length|duration)\b"
    r"|\b(?:time|date)\s+(?:required\s+)?(?:for|of)\s+(?:its\s+)?performance\b|\bforce\s+majeure\b"
    r"|\bnon-?\s?renewable\b|\b(?:has|have|is|was)\s+not\s+been\s+(?:renewed|extended)\b"
    r"|\bno\s+(?:\w+\s+){0,2}?(?:rights?|options?|commitments?|obligations?|assurances?)\b[^.;]{0,60}?"
    r"\b(?:renew|extend|extension)",
    re.IGNORECASE)
#: Renewal that needs both parties to agree again later is no renewal term (CUAD rarely labels it).
_MUTUAL_RENEWAL = re.compile(
    r"\bmutual(?:ly)?[\s,-]+(?:written\s+|signed\s+)?(?:agree|consent|approv|accord|understanding|acceptable|determined)"
    r"|\b(?:may|shall|will|can)\s+(?:\w+\s+)?agree\s+(?:in\s+writing\s+)?to\s+(?:renew|extend)"
    r"|\bagreement\s+of\s+(?:all|both)\s+(?:the\s+)?parties\b", re.IGNORECASE)
#: A renewal sentence clear enough to count even when the tagger did not mark it as one.
_STRONG_RENEWAL = re.compile(
    r"\bautomatic(?:ally)?\s+(?:be\s+)?(?:renew|extend)\w*|\bautomatic\s+(?:[\w-]+\s+){0,3}?(?:renewals?|extensions?)\b"
    r"|\b(?:renew|extend)\w*\s+(?:tacitly|automatically)\b|\bright\s+to\s+(?:\w+\s+)?(?:renew|extend)\s+this\s+agreement"
    r"\s+for\b", re.IGNORECASE)
#: Evergreen terms: "shall continue in effect thereafter until terminated by either party upon 30 days' notice".
#: CUAD labels these as a (perpetual) renewal term when the sentence also gives the notice period; so does
#: clm (renewal term PERPETUAL) where no renewal sentence gives a period.
_EVERGREEN = re.compile(r"\b(?:continu\w*|remain\w*|indefinitely|thereafter)\b[^.;]{0,60}?\buntil\s+(?:\w+\s+){0,2}?"
                        r"terminated\b[^.;]{0,60}?\bby\s+(?:either|any|each)\s+(?:party|parties)\b", re.IGNORECASE)
#: Periods named by their unit alone: "for an additional month", "on a yearly basis", "monthly periods".
_UNIT_PERIOD = re.compile(r"\b(?:an?\s+)?(?:additional|another|successive|further|subsequent|consecutive|single)\s+"
                          r"(?:calendar\s+)?(year|month)\b|\b(month)ly\s+(?:periods?|terms?|basis|renewals?|increments?)\b"
                          r"|\b(year)ly\s+(?:periods?|terms?|basis|renewals?|increments?)\b", re.IGNORECASE)
#: What a non-renewal notice is about: ending or not renewing (not exercising an option to renew).
_NON_RENEWAL_CUE = re.compile(
    r"\bnot\s+(?:to\s+|wish\w*\s+to\s+|want\s+to\s+|desire\s+to\s+|intend\w*\s+to\s+|elect\s+to\s+)?(?:renew|extend|continu)"
    r"|\bnon-?\s?renew|\bterminat|\bcancel|\bunless\b|\bopt\s+out\b|\bprevent|\bdiscontinu|\botherwise\b"
    r"|\bexpire\s+(?:at|on|upon)\s+the\s+end", re.IGNORECASE)
#: A notice said to stop a renewal in so many words.
_EXPLICIT_NON_RENEWAL = re.compile(r"\bnon-?\s?renewal\b|\bnonrenewal\b|\bnot\s+to\s+(?:renew\b|extend\s+(?:this|the)\s+(?:\w+\s+)?"
                                   r"(?:agreement|term|contract|franchise)\b)", re.IGNORECASE)
#: Insurance policies and certificates also get "notice of cancellation or non-renewal".
_POLICY = re.compile(r"\binsur|\bpolic(?:y|ies)\b|\bcoverage\b|\bcertificate|\bcancell?ation\s*,?\s+(?:or\s+)?non-?\s?renewal"
                     r"|\bnon-?\s?renewal\s*,?\s+(?:or\s+)?(?:\w+\s+)?(?:change|modification|alteration|reduction)",
                     re.IGNORECASE)
#: The sentence speaks of the term's end or renewal (so its notice is not some other notice).
_NOTICE_CONTEXT = re.compile(r"\brenew|\bexpir|\bextend|\bextension|\bend\s+of|\bthen[\s-]*current|\banniversary"
                             r"|\b(?:initial|current)\s+term|\buntil\s+terminated\b|\bautomatic", re.IGNORECASE)
#: "Such notice must be given 90 days before ...": the notice continues the sentence before.
_NOTICE_CONTINUES = re.compile(r"\b(?:such|said|which|this)\s+(?:written\s+)?notice\b|^\W*(?:by|from)\s+either\s+part",
                               re.IGNORECASE)
def _renewal_match(text: str) -> re.Match[str] | None:
    """Return the first RENEW_ACTION match that renews something.

    The noun "renewal" ("any renewal terms of the Agreement, and for a period ...") and "renewable" as a mere
    adjective ("renewable notes") renew nothing.
    """
    for m in RENEW_ACTION.finditer(text):
        word = m.group(0).lower()
        if word.startswith("renewal"):
            continue
        if word == "renewable" and not _RENEWABLE_OK.search(text):
            continue
        return m
    return None


def _is_mutual(text: str) -> bool:
    """Return whether a renewal needs the parties' fresh agreement (and is not automatic)."""
    return bool((MUTUAL.search(text) or _MUTUAL_RENEWAL.search(text))
                and not re.search(r"\bautomatic", text, re.IGNORECASE))


def _term_options(seg: Seg, after_at: int, nxt: Seg | None) -> list[tuple[int, str, float]]:
    """Return (position, ISO value, confidence) for each renewal-period reading of ``seg`` after ``after_at``."""
    options: list[tuple[int, str, float]] = []
    for d in seg.durations:
        if d[1] < after_at - 5 or is_notice_duration(seg, d):
            continue
        before = seg.text[max(0, seg.rel(d[1]) - 40):seg.rel(d[1])]
        after = seg.text[seg.rel(d[2]):seg.rel(d[2]) + 40]
        if _RENEWAL_TERM_BEFORE.search(before) or _RENEWAL_TERM_AFTER.search(after):
            options.append((d[1], d[0], 0.85))
    from_rel = max(0, after_at - seg.start - 5)
    am = _ANNUAL.search(seg.text, from_rel)
    if am:
        options.append((seg.start + am.start(), "P1Y", 0.75))
    mm = re.search(r"\bmonth[\s-]+to[\s-]+month\b", seg.text[from_rel:], re.IGNORECASE)
    if mm:
        options.append((seg.start + from_rel + mm.start(), "P1M", 0.75))
    um = _UNIT_PERIOD.search(seg.text, from_rel)
    if um:
        unit = (um.group(1) or um.group(2) or um.group(3)).lower()
        options.append((seg.start + um.start(), "P1Y" if unit == "year" else "P1M", 0.75))
    if not options and nxt is not None and nxt.start - seg.end < 20 and not re.search(r"[.;:]\s*$", seg.text):
        # the segmenter cut "for a period of 12 | months, each ...": read the number with the next words
        head = seg.text[-30:]
        tail = head + " " + nxt.text[:30]
        for d in N.find_durations(tail):
            if d.start < len(head) <= d.end and _RENEWAL_TERM_BEFORE.search(tail[max(0, d.start - 40):d.start]):
                options.append((seg.end - len(head) + d.start, d.iso, 0.7))
                break
    return options


def _notice_ok(segs: list[Seg], j: int) -> bool:
    """Return whether the notice in ``segs[j]`` is one given to end the term or stop a renewal."""
    seg = segs[j]
    if not _NOTICE_CONTEXT.search(seg.text):
        return False
    if _NON_RENEWAL_CUE.search(seg.text):
        return True
    # "... renew for one-year periods unless terminated | by either party with 90 days' notice before expiry"
    prev = segs[j - 1] if j > 0 else None
    return bool(prev is not None and seg.start - prev.end < 20 and _NON_RENEWAL_CUE.search(prev.text)
                and (_NOTICE_CONTINUES.search(seg.text[:60]) or not re.search(r"[.;:]\W*$", prev.text)))


def _rule_rank(segs: list[Seg], i: int) -> int:
    """Rank a renewal sentence without a classifier: automatic, with a renewal period, not a heading."""
    seg = segs[i]
    act = _renewal_match(seg.text)
    rank = 2 if re.search(r"\bautomatic", seg.text, re.IGNORECASE) else 0
    if act and _term_options(seg, seg.start + act.start(), None):
        rank += 2
    if len(seg.text) < 60:                  # "(b) Option to Renew."
        rank -= 2
    return rank


#: Words that speak of renewing or extending the contract (or of another term after this one).
_RENEWAL_WORD = re.compile(r"\brenew|\bextend|\bextension|\bsuccessor\b|\b(?:additional|successive|further)\s+"
                           r"(?:\w+\s+){0,3}?(?:terms?|periods?)\b", re.IGNORECASE)


def _optional_renewal_term(segs: list[Seg]) -> Found | None:
    """Return the length of a renewal the rules did not read as automatic ("Customer may, at its option,
    renew this Agreement for one (1) twelve month period", "subject to an automatic extension for
    consecutive one (1) year periods"), from the sentence the classifier scores highest for "renewal"
    (at least RENEWAL_TERM_ADD); lower confidence than an automatic one. A renewal both parties must
    agree to again later gives none (CUAD labels those only now and then)."""
    ranked = sorted((i for i, seg in enumerate(segs) if seg.p.get("renewal", 0.0) >= RENEWAL_TERM_ADD),
                    key=lambda i: -segs[i].p.get("renewal", 0.0))
    for i in ranked:
        seg = segs[i]
        word = _RENEWAL_WORD.search(seg.text)
        if word is None or _NOT_RENEWAL.search(seg.text) or _RENEW_OTHER.search(seg.text) or _POLICY.search(seg.text) \
                or _MUTUAL_RENEWAL.search(seg.text):
            continue
        options = _term_options(seg, seg.start + word.start(), None)
        if options:
            _, value, _ = min(options)
            return Found(value, [(seg.start, seg.end)], 0.6)
    return None


#: A renewal as long as the term before it: "for successive periods equal to the initial Subscription Term",
#: "for additional periods equal to the expiring term", "for like periods". The length is the initial term's.
_AS_LONG_AS_INITIAL = re.compile(
    r"\b(?:periods?|terms?)\s+(?:of\s+)?(?:equal|identical|equivalent|the\s+same)\s+(?:in\s+(?:length|duration)\s+)?"
    r"(?:to|as)\s+(?:that\s+of\s+)?(?:the\s+)?(?:initial|original|expiring|then[\s-]*current|preceding|prior|first)\s+"
    r"(?:[\w-]+\s+){0,2}?(?:term|period)\b"
    r"|\b(?:for|by)\s+(?:a\s+)?like\s+(?:terms?|periods?)\b"
    r"|\b(?:for|by)\s+(?:a|the)\s+same\s+(?:term|period|duration)\b", re.IGNORECASE)


_WHICHEVER = re.compile(r"\bwhichever\s+is\s+(?:the\s+)?(shorter|less|lesser|longer|greater)\b", re.IGNORECASE)


def renewal_as_long_as_initial(segs: list[Seg], auto: Found | None, initial: Found) -> Found | None:
    """Return the renewal term of a renewal sentence that makes each renewal as long as the initial
    term, which another clause states (``initial``); None without one.

    Reasoning across the contract. "Equal to the expiring term or one year (whichever is shorter)"
    gives the shorter of the two.
    """
    if auto is None or auto.value is not True:
        return None
    for seg in segs:
        if not (_AS_LONG_AS_INITIAL.search(seg.text) and _renewal_match(seg.text)) or _is_mutual(seg.text):
            continue
        value = initial.value
        which = _WHICHEVER.search(seg.text)
        stated = [d[0] for d in seg.durations if not is_notice_duration(seg, d)]
        if which and stated:
            shorter = which.group(1).lower() in ("shorter", "less", "lesser")
            pick = min if shorter else max
            value = pick([value, *stated], key=lambda iso: durations.parse(iso).approx_days())
        return Found(value, [(seg.start, seg.end)], min(initial.confidence, 0.7))
    return None


#: Form fields of an order form or a cover page, each at the start of a line: "Auto-Renewal: Yes",
#: "Renewal Term: 12 months", "Notice of Non-Renewal: 60 days".
_AUTO_LABEL = form_line(r"auto(?:matic)?[ \t-]*renew(?:al|s)?|renews?[ \t]+automatically|renewal")
_YES = re.compile(r"(?:yes|y|true|automatic(?:ally)?)\b", re.IGNORECASE)
_NO = re.compile(r"(?:no|n|false|none)\b", re.IGNORECASE)
#: "Renewal: Automatic, for successive 12-month terms": the field's value names the renewal's length.
_SUCCESSIVE = re.compile(r"\b(?:successive|additional|further|consecutive|renewal)\s+$", re.IGNORECASE)
_TERM_LABEL = form_line(r"renewal[ \t]+(?:term|period)s?")
_NOTICE_LABEL = form_line(r"(?:notice[ \t]+of[ \t]+non-?[ \t]?renewal|non-?[ \t]?renewal[ \t]+notice"
                          r"|(?:renewal|cancell?ation)[ \t]+notice)(?:[ \t]+period)?")


def _leading_duration(value: str) -> str | None:
    """Return the duration a form field's value opens with ("12 months", "sixty (60) days prior to ...")."""
    found = N.find_durations(value)
    return found[0].iso if found and found[0].start <= 2 else None


def labelled_renewal(text: str) -> tuple[Found | None, Found | None, Found | None]:
    """Return (auto_renewal, renewal_term, non_renewal_notice) stated as form fields, the field as evidence.

    An order form says in a line what a contract says in a sentence; the sentence rules come first
    (see :func:`clm.clauses.extract.extract_from`)."""
    auto = term = notice = None
    said_no = False
    for k, m in enumerate(_AUTO_LABEL.finditer(text)):
        value = m.group("value")
        if _YES.match(value):
            auto = Found(True, [m.span()], 0.85)
            stated = [d for d in N.find_durations(value) if _SUCCESSIVE.search(value[:d.start])]
            if stated:
                term = Found(stated[0].iso, [m.span()], 0.8)
            break
        if _NO.match(value):                              # "Auto-Renewal: No"
            said_no = True
            break
        if k >= MAX_FORM_LINES:
            break
    m = _TERM_LABEL.search(text)
    if term is None and m and (length := _leading_duration(m.group("value"))):
        term = Found(length, [m.span()], 0.8)
    m = _NOTICE_LABEL.search(text)
    if m and (length := _leading_duration(m.group("value"))):
        notice = Found(length, [m.span()], 0.8)
    if auto is None and term is not None and not said_no:
        auto = Found(True, list(term.evidence), 0.6)      # a renewal term: the form renews
    return auto, term, notice


def renewal(segs: list[Seg]) -> tuple[Found | None, Found | None, Found | None, Found | None]:
    """Return (auto_renewal, renewal_term, non_renewal_notice, renewal_limit)."""
    cands = []
    for i, seg in enumerate(segs):
        strong = _STRONG_RENEWAL.search(seg.text)
        if "renewal" not in seg.cats and (not strong or _POLICY.search(seg.text)):
            continue
        if not _renewal_match(seg.text):
            continue
        # "...for a term of one year; thereafter, it shall automatically continue": read with the clause before
        context = seg.text
        if i > 0 and seg.start - segs[i - 1].end < 5:
            context = segs[i - 1].text + " " + seg.text
        if not _RENEW_AGREEMENT.search(context) and not (
                strong and re.search(r"\b(?:agreement|term|contract)\b", context, re.IGNORECASE)):
            continue
        if _is_mutual(seg.text) or _NOT_RENEWAL.search(seg.text):
            continue
        if _RENEW_OTHER.search(seg.text) and not re.search(r"\bthis\s+agreement\b", seg.text, re.IGNORECASE):
            continue
        cands.append(i)
    # sentences the rules pass over but the classifier is sure of
    extra = [i for i, seg in enumerate(segs) if seg.p.get("renewal", 0.0) >= RENEWAL_ADD and i not in cands
             and re.search(r"\brenew|\bextend|\bextension", seg.text, re.IGNORECASE)
             and not _is_mutual(seg.text) and not _NOT_RENEWAL.search(seg.text)]
    cands += extra
    # evergreen terms, used when nothing renews the agreement expressly
    evergreen = [i for i, seg in enumerate(segs) if _EVERGREEN.search(seg.text) and notice_in(seg)
                 and not _is_mutual(seg.text)]
    # "notice of its election not to renew ... six months prior to the expiration", anywhere in the contract
    explicit = [j for j, seg in enumerate(segs) if _EXPLICIT_NON_RENEWAL.search(seg.text)
                and not _RENEW_OTHER.search(seg.text) and not _POLICY.search(seg.text) and notice_in(seg)]
    if not cands and not evergreen and not explicit:
        return None, (_optional_renewal_term(segs) if segs and segs[0].p else None), None, None
    scored = bool(segs[0].p)
    if scored:
        cands.sort(key=lambda i: -segs[i].p.get("renewal", 0.0))
    else:
        cands.sort(key=lambda i: -_rule_rank(segs, i))
    auto: Found | None = None
    if cands or evergreen:
        top = cands[0] if cands else evergreen[0]
        auto = Found(True, [(segs[top].start, segs[top].end)], 0.85 if cands else 0.7)
    term: Found | None = None
    notice: Found | None = None
    for i in cands:
        seg = segs[i]
        act = _renewal_match(seg.text)
        after_at = seg.start + (act.start() if act else 0)
        options = _term_options(seg, after_at, segs[i + 1] if i + 1 < len(segs) else None)
        if options:
            _, value, conf = min(options)
            term = Found(value, [(seg.start, seg.end)], conf)
            break
    if term is None and scored:
        term = _optional_renewal_term(segs)
    if term is None and evergreen:
        # "thereafter ... until terminated by either party": each renewal runs until terminated
        term = Found(PERPETUAL, [(segs[evergreen[0]].start, segs[evergreen[0]].end)], 0.6)
    # The non-renewal notice sits in the renewal sentence or the one after it.
    if scored:
        near = {j for i in cands for j in (i, i + 1) if j < len(segs)} | set(evergreen) | set(explicit)
        ranked = sorted((j for j, seg in enumerate(segs)
                         if j in near or seg.p.get("non_renewal", 0.0) >= NON_RENEWAL_ADD),
                        key=lambda j: -segs[j].p.get("non_renewal", 0.0))
        for j in ranked:
            value = notice_in(segs[j])
            if value and (segs[j].p.get("non_renewal", 0.0) >= 0.1 or "non_renewal" in segs[j].cats
                          or j in evergreen or j in cands) and _notice_ok(segs, j):
                notice = Found(value, [(segs[j].start, segs[j].end)], 0.8)
                break
    for i in (cands + evergreen + explicit) if notice is None and not scored else ():
        for j in (i, i + 1):
            if j >= len(segs) or (j != i and segs[j].start - segs[i].end > 400):
                continue
            seg = segs[j]
            if j != i and "non_renewal" not in seg.cats and "renewal" not in seg.cats:
                continue
            if not _notice_ok(segs, j):
                continue
            value = notice_in(seg)
            if value:
                notice = Found(value, [(seg.start, seg.end)], 0.8)
                break
        if notice:
            break
    if auto is None and notice is not None:
        # "notice of its election not to renew": whatever can be not renewed renews
        auto = Found(True, list(notice.evidence), 0.6)
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
