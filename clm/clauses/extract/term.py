"""Date and term rules: agreement and effective dates, the initial term and the expiration date."""
from __future__ import annotations

import calendar
import datetime
import re

from clm.clauses.extract import normalize as N
from clm.clauses.extract.fields import Found, Seg, is_notice_duration
from clm.clauses.extract.renewal import RENEW_ACTION

#: Classifier thresholds (probabilities of classifier.LABELS).
TERM_ADD = 0.3      # chosen by --cv 5 on the 284 (0.5: expiration_date F1 0.855; 0.3: 0.858; 0.2: 0.861 but value acc 0.928)
TERM_WEIGHT = 2.0    # how much the term probability adds to a term sentence's rule score

_PREAMBLE_DATE_CUE = re.compile(
    r"\b(?:dated|as\s+of|made|entered|executed|effective|this|day|on|date[d]?:?)\W*(?:\w+\W+){0,6}$", re.IGNORECASE)
#: Confidence of an agreement date read from the signature blocks (the preamble has none).
SIGNED_CONFIDENCE = 0.55
#: EDGAR page footers ("Source: ACME INC, 10-K, 3/6/2020") carry the filing date, not a contract date.
_FILING_STAMP = re.compile(r"\bSource:[^\n]{0,160}$")
#: A label that names the date right after it as the start: "Effective Date: June 1, 2019",
#: '"Effective Date" means 12:01 a.m. on March 3, 2003', "The commencement date ... will be 16th June 2004".
_EFFECTIVE_LABEL = re.compile(
    r"\b(?:effective|commencement|start(?:ing)?)\s+dates?\b[^\n.;:]{0,40}?(?:[:\-–]|\bshall\s+(?:be|mean)|\bmeans"
    r"|\bis|\bwill\s+be|(?=\s{2}))\s*(?:\d{1,2}:\d{2}\s*[ap]\.?\s?m\.?(?:\s+\w+){0,4}\s+on\s+)?(?:the\s+)?\W*$",
    re.IGNORECASE)
#: A cue that binds the date right after it to a start: "effective as of", "commencing on",
#: "comes into force on". Other things start too (a prior agreement, a price), so the sentence must
#: be about this contract or its term (_ABOUT_THIS).
_EFFECTIVE_AT = re.compile(
    r"(?:\beffective(?:\s+(?:as\s+(?:of|from)|on|from|upon))?\s*(?:this\s+|the\s+)?(?:(?:date|day)\s+of\s+)?"
    r"|\bcommenc\w+\s+(?:(?:on|as\s+of|from|upon)\s*)?(?:the\s+)?|\bbegin\w*\s+(?:on|as\s+of|from)\s*(?:the\s+)?"
    r"|\b(?:beginning|commencing|starting)\s+"
    r"|\b(?:come|comes|came|enter|enters)\s+into\s+(?:force|effect)\s+(?:on|as\s+of|from)\s*(?:the\s+)?"
    r"|\btakes?\s+effect\s+(?:on|as\s+of|from)?\s*(?:the\s+)?)\W*$", re.IGNORECASE)
_ABOUT_THIS = re.compile(r"\b(?:this|the)\s+(?:[A-Z]\w*\s+){0,3}?(?:agreement|contract|amendment|addendum|venture"
                         r"|promotion|licen[cs]e|engagement|arrangement|appointment|sponsorship)\b|\bterm\b"
                         r"|\b(?:contract|agreement)\s+period\b|\bhere(?:of|by|under)\b", re.IGNORECASE)
_NOT_THIS = re.compile(r"\bterminat\w*|\bexpir\w*|\bwhich\s+was\b|\bresign\w*|\bappoint\w*|\b(?:original|prior|previous"
                       r"|existing)\b|\bredeem\w*|\bstock\b|\bshares?\b|\bprices?\b|\bfees?\b|\bpayments?\b|\broyalt"
                       r"|\bquarter|\bfiscal\b|\bfinancial\s+year", re.IGNORECASE)
#: The date is named the Effective Date right after it: 'June 1, 2019 (the "Effective Date")'.
_EFFECTIVE_AFTER = re.compile(r"\s*(?:the\s+)?[(,]\s*\(?\s*(?:the\s+|hereinafter\s+(?:referred\s+to\s+as\s+)?(?:the\s+)?)?"
                              r"[\"“']?\s*(?:\w+\s+){0,3}?effective\s+date|\s*[\"“']\s*effective\s+date", re.IGNORECASE)
#: Words near which an effective or commencement date is stated; the date scan starts at them.
#: How many start words ("effective", "commence" ...) one text is searched at; a CUAD dev contract has at
#: most 101, and each costs a date search (a text of nothing but "Effective Date:" would cost seconds).
_MAX_EFFECTIVE_WORDS = 500
_EFFECTIVE_WORD = re.compile(r"effective|commenc|into\s+(?:force|effect)|take[sn]?\s+effect|begin|\bstart\s+date\b",
                             re.IGNORECASE)
#: The preamble calls its date (or a blank for it) the effective date: "is effective as of the ___ day of".
_PREAMBLE_EFFECTIVE = re.compile(r"\beffective\b(?:\s+dates?\b|[^.;\n]{0,30}?\b(?:date|day)\b"
                                 r"|\s+(?:as\s+(?:of|from)|on)\s+(?:the\s+)?(?:\d|[A-Z][a-z]+\.?\s+\d|_))", re.IGNORECASE)
#: "the date first above written", "the date hereof", "the date of signature of this Agreement".
_DATE_HEREOF = (r"(?:date|day)\s+(?:and\s+year\s+)?(?:first\s+)?(?:(?:above|below|herein)\s+)?"
                r"(?:written|set\s+forth|listed|stated|mentioned|indicated)(?!\s+notice)(?:\s+above)?"
                r"|(?:date|day)\s+(?:hereof|of\s+(?:this|the)\s+(?:agreement|contract)"
                r"|of\s+(?:its\s+)?(?:execution|signature|signing)(?:\s+hereof|\s+of\s+(?:this|the)\s+(?:agreement|contract))?)")
#: The contract says it takes effect on the date it bears (the agreement date): "This Agreement shall
#: become effective as of the date first written above", "enters into force on the date of signature",
#: "the Term shall commence on the date hereof", '"Effective Date" means the date first written above'.
_EFFECTIVE_ON_SIGNING = re.compile(
    r"\b(?P<verb>effective|(?:come|comes|enter|enters)\s+into\s+(?:force|effect)|takes?\s+effect|commenc\w*|begin\w*"
    r"|start\w*)\s+(?:as\s+of|on|from|upon)\s+(?:the\s+)?(?:" + _DATE_HEREOF + r")"
    # ... unless that date gets a name of its own: 'the date set forth above (the "Launch Date")'
    r"(?!(?:\s+(?:above|below))?[\s*]*\(\s*(?:the\s+)?[\"“](?!effective|commencement)\w+\s+date)"
    r"|[\"“]?(?:effective|commencement)\s+date[\"”]?\s+(?:shall\s+)?(?:means?|is)\s+(?:the\s+)?(?:"
    + _DATE_HEREOF + r")",
    re.IGNORECASE)
#: The subject of such a start must be this contract or its term (not "the Warrant").
_SIGNING_SUBJECT = re.compile(r"\b(?:this\s+(?:[\w-]+\s+){0,3}?(?:agreement|contract|amendment|addendum)"
                              r"|the\s+(?:agreement|contract)|term)\b[^.;]*$", re.IGNORECASE)


def _takes_effect_on_signing(text: str) -> tuple[int, int] | None:
    """Return the span of the clause saying this contract starts on the date it bears, or None."""
    for m in _EFFECTIVE_ON_SIGNING.finditer(text):
        if m.group("verb") is None:
            return m.span()
        subject = _SIGNING_SUBJECT.search(text, max(0, m.start() - 100), m.start())
        if subject:
            return subject.start(), m.end()
    return None


def _sentence_at(text: str, span: tuple[int, int]) -> tuple[int, int]:
    """Return the sentence (or line) around ``span``: the evidence for a clause a pattern matched in it."""
    s, e = span
    lo = max(0, s - 400)
    cut = max((m.end() for m in _SENTENCE_STOP.finditer(text, lo, min(len(text), s + 3)) if m.end() <= s), default=lo)
    stop = _SENTENCE_STOP.search(text, e, e + 600)
    end = stop.start() + 1 if stop and text[stop.start()] in ".;" else (stop.start() if stop else min(len(text), e + 600))
    while cut < s and text[cut].isspace():
        cut += 1
    return cut, max(end, e)


#: Where a sentence ends: a full stop or semicolon before a blank and a capital, or a blank line.
_SENTENCE_STOP = re.compile(r"[.;](?=\s+[\"“(]?[A-Z0-9])|\n\s*\n")


def _from_stated_start(value: str, clause: tuple[int, int], start: Found, source: str, confidence: float,
                       text: str) -> Found:
    """Return an effective date that is another date (the agreement date, the last signature) because a
    clause says so: the clause is the evidence, and ``extra`` names the source and where its date stands."""
    return Found(value, [_sentence_at(text, clause)], confidence,
                 {"computed_from": [source], "start_evidence": [list(x) for x in start.evidence]})


def _filing_stamp(text: str, pos: int) -> bool:
    """Return whether the date at ``pos`` sits in an EDGAR "Source: ..." page footer."""
    return bool(_FILING_STAMP.search(text, max(0, pos - 160), pos))


_MONTH_NAME = (r"(?:January|February|March|April|May|June|July|August|September|October|November|December"
               r"|Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sept?|Oct|Nov|Dec)\.?")
#: A blank left for a date: underscores, or empty brackets ("[ ]", "[___]", "[•]"); "[***]" is a
#: redaction, not a blank.
_BLANK = r"(?:_{2,}|\[[ _·•●]{0,5}\])"
_BLANK_DATE = re.compile(
    rf"\b(?:this|the)\s+(?:{_BLANK}\s*)?day\s+of\s*(?:{_BLANK}|{_MONTH_NAME})?\s*,?\s*(?:19|20)(?:\d\d|_+)"
    rf"|\b{_MONTH_NAME}\s*{_BLANK}\s*,?\s*(?:19|20)\d\d|{_BLANK}\s*,\s*(?:19|20)\d\d", re.IGNORECASE)
BLANK_AGREEMENT_DATE = "the agreement date is left blank: \u201c{blank}\u201d"


def blank_date(text: str, pre_end: int) -> tuple[int, int] | None:
    """Return the span of a date left blank in the preamble ("this ___ day of ________, 2004",
    "September __, 2018", "[•], 2020"): a draft not yet dated, or a form filed blank."""
    m = _BLANK_DATE.search(text, 0, pre_end)
    return (m.start(), m.end()) if m else None


def agreement_date(text: str, pre_end: int) -> Found | None:
    """Return the date the agreement is made, from the preamble.

    A date left blank there ("made this ___ day of ______, 2004") is the agreement's date, not yet
    filled in: a date after it (another agreement's, a filing's) is not taken for it.
    """
    found = [d for d in N.find_dates(text[:pre_end]) if not _filing_stamp(text, d.start)]
    blank = blank_date(text, pre_end)
    if blank is not None:
        found = [d for d in found if d.end <= blank[0]]
    if not found:                # undated preamble: the parties date it where they sign
        signed = _last_signature_date(text)
        return Found(signed.value, signed.evidence, SIGNED_CONFIDENCE) if signed else None
    for d in found:
        before = text[max(0, d.start - 80):d.start]
        if _PREAMBLE_DATE_CUE.search(before):
            return Found(d.iso, [(d.start, d.end)], 0.85)
    d = found[0]
    return Found(d.iso, [(d.start, d.end)], 0.6)


def _stated_effective_date(text: str, pre_end: int) -> Found | None:
    """Return the date the text names as its start: a date labelled the Effective (or Commencement)
    Date, or bound by an effective/commencement cue in the preamble; else the first date such a
    cue binds to this contract further on."""
    last = -1
    cued: Found | None = None
    for k, m in enumerate(_EFFECTIVE_WORD.finditer(text)):
        if k >= _MAX_EFFECTIVE_WORDS:
            break
        lo = max(m.start() - 40, last)
        for d in N.find_dates(text[lo:m.end() + 120]):
            s, e = lo + d.start, lo + d.end
            last = max(last, e)
            if _filing_stamp(text, s):
                continue
            before = text[max(0, s - 90):s]
            if _EFFECTIVE_LABEL.search(before) or _EFFECTIVE_AFTER.match(text, e, e + 60):
                return Found(d.iso, [(s, e)], 0.9)
            if cued is None and _EFFECTIVE_AT.search(before):
                clause = re.split(r"\.\s|\n|;", text[max(0, s - 160):s])[-1]
                if (s < pre_end or _ABOUT_THIS.search(clause)) and not _NOT_THIS.search(clause):
                    cued = Found(d.iso, [(s, e)], 0.85)
                    if s < pre_end:
                        return cued
    return cued


#: The preamble leaves the effective date blank: 'effective as of the ____ day of ______ 2000',
#: '14 day of SEPTEMBER, 200_ (the "Effective Date")'.
_BLANK_EFFECTIVE = re.compile(r"\beffective\s+(?:as\s+of\s+|on\s+)?(?:this\s+|the\s+)?_{2,}|_\s*\(?\s*(?:the\s+)?[\"“]?"
                              r"effective\s+date", re.IGNORECASE)
#: The effective date is defined as something other than the agreement date (an event).
_EFFECTIVE_IS_EVENT = re.compile(r"[\"“]effective\s+date[\"”]\s+(?:shall\s+)?(?:means?|is)\s+"
                                 r"(?!(?:the\s+)?(?:date|day)\s+(?:first|hereof|of\s+this|set\s+forth|written))",
                                 re.IGNORECASE)
#: The contract takes effect when the last party signs: 'the date of the last signature',
#: 'effective as of the later of the two signature dates below', 'the date last written below'.
_EFFECTIVE_ON_LAST_SIGNATURE = re.compile(
    r"\beffective\b[^.;]{0,120}?\b(?:last|latest|later|final|most\s+recent)\b[^.;]{0,40}?\b(?:sign\w*|execut\w*"
    r"|written\s+below|set\s+forth\s+below|dates?\s+below)"
    r"|\b(?:last|latest|later|final|most\s+recent)\b[^.;]{0,40}?\b(?:sign\w*|execut\w*)\b[^.;]{0,80}?[\"“(]\s*"
    r"(?:the\s+)?[\"“]?effective\s+date", re.IGNORECASE)
_IN_WITNESS = re.compile(r"\bIN\s+WITNESS\s+WHEREOF\b", re.IGNORECASE)


#: Only "Date:" labels (and blanks) between a signature-block label and its date.
_DATE_LABEL = re.compile(r"^\s*(?:\bDated?\s*:\s*)+$", re.IGNORECASE)
#: "Date:" as a signature block labels it; "Termination Date:" and the like name other dates.
_SIGNED_DATE_LABEL = re.compile(r"(?:\b(\w+)[ \t]+)?\bDated?\s*:", re.IGNORECASE)
_OTHER_DATES = {"effective", "termination", "expiration", "expiry", "commencement", "trade", "end", "start", "closing",
                "delivery", "due", "payment", "filing", "issue", "maturity", "renewal", "launch", "completion",
                "ship", "order", "invoice", "birth", "release", "target", "execution"}


def _last_signature_date(text: str) -> Found | None:
    """Return the latest signing date: the dates after the last "IN WITNESS WHEREOF" and
    those labelled "Date:" (signature blocks carry one per party)."""
    found = []
    witness = None
    for witness in _IN_WITNESS.finditer(text):
        pass
    if witness is not None:
        found += [(d.iso, witness.end() + d.start, witness.end() + d.end)
                  for d in N.find_dates(text[witness.end():witness.end() + 4000])]
    for m in _SIGNED_DATE_LABEL.finditer(text):
        if (m.group(1) or "").lower() in _OTHER_DATES:
            continue
        gap_from = m.end()                  # "Date:  Date:  3-29-2016  3-31-16": a row of blocks
        for d in N.find_dates(text[m.end():m.end() + 60]):
            s, e = m.end() + d.start, m.end() + d.end
            if text[gap_from:s].strip() and not _DATE_LABEL.search(text[gap_from:s]):
                break
            found.append((d.iso, s, e))
            gap_from = e
    found = [f for f in found if not _filing_stamp(text, f[1])]
    if not found:
        return None
    iso, s, e = max(found, key=lambda f: (f[0], -f[1]))
    return Found(iso, [(s, e)], 0.75)


def effective_date(text: str, segs: list[Seg], agreed: Found | None, pre_end: int) -> Found | None:
    """Return the effective (commencement) date.

    A date the text binds to an effective or commencement cue comes first; then the last
    signature date where the contract takes effect when the last party signs; otherwise the
    agreement date, but only where the contract says it takes effect on the date it bears
    (CUAD leaves the effective date blank where the contract is silent). A preamble that
    leaves the effective date blank, or a definition making it an event, gives no date.
    The cues are read from the whole text, not ``segs``: the segmenter splits a label such as
    "Effective Date:" from the date on the next line.
    """
    stated = _stated_effective_date(text, pre_end)
    if stated is not None:
        return stated
    if _BLANK_EFFECTIVE.search(text, 0, pre_end):
        return None
    last = _EFFECTIVE_ON_LAST_SIGNATURE.search(text)
    if last:
        signed = _last_signature_date(text)
        return _from_stated_start(signed.value, last.span(), signed, "last_signature_date", signed.confidence,
                                  text) if signed else None
    if agreed is None or agreed.confidence <= SIGNED_CONFIDENCE or _EFFECTIVE_IS_EVENT.search(text):
        return None
    on_signing = _takes_effect_on_signing(text)
    if on_signing is not None:
        return _from_stated_start(agreed.value, on_signing, agreed, "agreement_date", 0.7, text)
    if _PREAMBLE_EFFECTIVE.search(text, 0, pre_end):
        return Found(agreed.value, list(agreed.evidence), 0.7)
    return None


_LATER_OF = r"(?:(?:on\s+)?(?:the\s+)?(?:later|earlier)\s+(?:to\s+occur\s+)?of\s+(?:the\s+date\s+(?:that\s+is\s+)?)?(?:\(\w{1,3}\)\s*)?)"
_UNTIL_DATE = re.compile(r"\b(?:(?:expiration|termination|end)\s+date\W{0,3}\s*(?:means|shall\s+mean|shall\s+be|is)?|until|through"
                         r"|to(?!\s+(?:commence|begin|start))|ending\s+on|end\s+on|ends\s+on|expire\w*\s+on|terminat\w*\s+on|"
                         r"and\s+ending|expiring|expire\w*|terminat\w*|ending|ends?|concluding|-|–)\W*" + _LATER_OF
                         + r"?(?:\w+\W+){0,3}$", re.IGNORECASE)
_RANGE_START = re.compile(r"(?:from|commencing|beginning|starting|begin|commence|effective|of)\W*(?:\w+\W+){0,3}$"
                          r"|\b(?:term|period)\s*:\s*$", re.IGNORECASE)
#: "will end automatically upon the end of Year 3": the term runs N (contract) years.
_END_OF_YEAR_N = re.compile(r"\b(?:end|expire|terminate)\w*\s+(?:\w+\s+){0,3}?(?:the\s+)?end\s+of\s+(?:contract\s+)?"
                            r"year\s+(\d{1,2})\b", re.IGNORECASE)
_TERMISH = re.compile(r"\b(?:term|agreement|contract|venture|project|engagement)\b", re.IGNORECASE)
#: A term with no end but termination: "shall continue until terminated", "remain effective until
#: terminated", "in perpetuity", "for an unlimited period", "will end when terminated by either party".
_PERPETUAL = re.compile(
    r"\bperpetu\w*|\bindefinitely\b|\b(?:indefinite|unlimited)\s+(?:period|duration|term|time)\b"
    r"|\b(?:in\s+(?:full\s+)?(?:force|effect)|remain\w*\s+(?:effective|valid|in\s+(?:full\s+)?(?:force|effect)"
    r"(?:\s+and\s+effect)?))\s+(?:thereafter\s+)?until\s+(?:terminated|(?:either|one|a)\s+party)"
    r"|\bcontinue\w*(?:,[^,.;]{1,80},)?\s+(?:in\s+(?:full\s+)?(?:force\s+and\s+effect|effect|force)\s+)?"
    r"(?:thereafter\s+)?(?:indefinitely\s+)?until\s+(?:terminated|termination\b|(?:it\s+is\s+)?(?:terminated|cancel\w+)|"
    r"(?:either|one|a)\s+party)|\bunless\s+and\s+until\s+(?:terminated|either)|\buntil\s+the\s+(?:expiration|termination)"
    r"\s+(?:or\s+(?:earlier\s+)?termination\s+)?of\b"
    r"|\b(?:end|expire)s?\s+(?:only\s+)?when\s+(?:it\s+is\s+)?terminated\s+by\b"
    # it ends only when a party gives notice (or on an event): "shall continue in force until the earlier to
    # occur of (i) ... and (ii) the delivery of written notice of termination", "shall terminate (a) at the
    # option of any party, upon 90 days' advance written notice"
    r"|\b(?:continue|remain)\w*\s+in\s+(?:full\s+)?(?:force|effect)(?:\s+and\s+effect)?\s+until\s+(?:the\s+)?(?:earlie"
    r"|first)\w*\s+(?:to\s+occur\s+)?of\b[^.]{0,300}?\bnotice\s+of\s+termination\b"
    r"|\b(?:agreement|contract)\s+(?:shall|will)\s+terminate\s+(?:\(\w\)\s*)?at\s+the\s+option\s+of\s+(?:any|either)"
    r"\s+party",
    re.IGNORECASE)
_TERM_DURATION_BEFORE = re.compile(
    r"(?:period\s+of|term\s+of|for|be|is|last|initial|until|continu\w+|expire\w*(?:\s+in)?|end|ending|terminat\w*|valid"
    r"|run|through|"
    r"remain\w*(?:\s+in\s+(?:full\s+)?"
    r"(?:force|effect)(?:\s+and\s+effect)?)?(?:\s+for)?|of|(?:an?\s+)?(?:initial\s+)?(?:term|period))\s*(?:a\s+)?"
    r"(?:(?:period|term)\s+of\s+)?(?:an?\s+)?(?:on\s+)?(?:the\s+(?:date|day)\s+(?:that\s+is\s+|which\s+is\s+)?)?"
    r"(?:the\s+entire\s+|the\s+|at\s+least\s+|" + _LATER_OF + r")?$", re.IGNORECASE)
_TERM_DURATION_AFTER = re.compile(r"^\W{0,3}(?:(?:from|after|following|commencing|beginning|starting|of|"
                                  r"thereafter|\(|term|period|unless|,)\b|\s*[.(,\"“]|$)", re.IGNORECASE)
_OCR_ORD = r"(?:st|nd|rd|th|s\s?t|n\s?d|r\s?d|t\s?h)"       # OCR splits "5th" into "5t h"
_ANNIVERSARY = re.compile(r"\b(first|second|third|fourth|fifth|sixth|seventh|eighth|ninth|tenth|fifteenth|twentieth"
                          r"|\d+\s?" + _OCR_ORD + r")\s*(?:\(\d+\s?" + _OCR_ORD + r"?\)\s*)?anniversary", re.IGNORECASE)
_OF_THIS_DATE = re.compile(r"\s+of\s+(?:the\s+date\s+(?:hereof|of\s+this\s+(?:agreement|contract))"
                           r"|this\s+(?:agreement|contract)\b)", re.IGNORECASE)
#: Years counted as contract years: "ten (10) Contract Years" (a duration the generic parser leaves out).
_CONTRACT_YEARS = re.compile(r"\b(" + N.NUMBER_WORD + r"|\d{1,2})\s*(?:\(\s*(\d{1,2})\s*\)\s*)?(?:contract|lease|agreement"
                             r"|license)\s+years\b", re.IGNORECASE)
#: "for at least one year": a minimum length of the term, not a notice period.
_MINIMUM_TERM = re.compile(r"\b(?:for|of)\s+(?:at\s+least|not\s+less\s+than|a\s+minimum\s+of|no\s+less\s+than)\s*$",
                           re.IGNORECASE)
#: The length of a renewal, not of the initial term: "shall be automatically extended for one (1) year periods".
_RENEWED_FOR = re.compile(r"\b(?:renew(?:s|ed)?|extended|prolonged)\s+(?:\w+\s+)?for\s+(?:a\s+(?:period|term)\s+of\s+)?"
                          r"(?:an?\s+)?$", re.IGNORECASE)
#: Between a length and the date it runs from: "(five years) commencing on", "(two months) to commence on".
_STARTING_AT = re.compile(r"\W{0,3}(?:to\s+)?(?:commenc\w*|beginning|starting|effective)\s+(?:on\s+|as\s+of\s+|from\s+)?"
                          r"(?:the\s+)?(?:\w+\s+){0,3}?(?:on\s+)?\W?$", re.IGNORECASE)
#: The length runs from an event whose date the contract does not give: "fifteen (15) years from first
#: Commercial Launch of the Product", "2 years following the Launch Date". The end date is then only an
#: estimate from the effective date (low confidence).
_FROM_EVENT = re.compile(r"\W{0,3}(?:thereafter\s+)?(?:from|after|following)\s+(?:the\s+)?(?:date\s+of\s+(?:the\s+)?)?"
                         r"(?:first\s+)?(?!(?:Effective|Execution|Agreement|Signing|Start|Commencement)\s+Date\b)"
                         r"(?-i:(?:[A-Z][\w-]*\s+){0,4}(?:Date|Launch|Sale|Approval|Closing)\b)", re.IGNORECASE)
_ORD = {"first": 1, "second": 2, "third": 3, "fourth": 4, "fifth": 5, "sixth": 6, "seventh": 7,
        "eighth": 8, "ninth": 9, "tenth": 10, "fifteenth": 15, "twentieth": 20}
_RENEWALISH = re.compile(r"\brenew|\bsuccessive\b|\badditional\s+(?:\w+\s+){0,3}?(?:term|period)", re.IGNORECASE)


_TERM_STRONG = re.compile(
    r"\b(?:initial\s+|effective\s+)?terms?\s+of\s+(?:this|the)\s+(?:agreement|contract)|[\"“](?:initial\s+)?term[\"”]"
    r"|[\"“](?:expiration|termination|end)\s+date[\"”]\s+(?:means|shall\s+mean)|^\W*(?:expiration|termination)\s+date\s*:"
    r"|\bterm\s+shall\s+mean\b|\bthe\s+term\s+(?:shall|will)\s+(?:commence|begin|start)\b"
    r"|\b(?:contract|agreement|license|licen[cs]e|service)\s+period[\"”]?\s+(?:means|shall\s+mean)"
    r"|\b(?:initial|effective)\s+(?:term|period)\b|\bduration\s+of\s+this"
    r"|\b(?:this|the)\s+(?:agreement|contract)(?:,?\s+(?:and|including)(?:\s+[\w-]+){1,5}?)?\s+(?:shall|will|is\s+to|is)"
    r"\s+(?:[\w,()]+\s+){0,14}?(?:continue|remain|expire|terminate|end|be\s+(?:in\s+(?:full\s+)?(?:force|effect)|valid|"
    r"effective|for)|extend|last|run|for\s+a)\b", re.IGNORECASE)
_TERM_WEAK = re.compile(
    r"\bthe\s+(?:(?:initial|subscription|service|contract|agreement)\s+)?term\s+is\s+(?:[\w-]+\s+){0,2}?(?:\(\d+\)\s+)?"
    r"(?:days?|weeks?|months?|years?)\b|"
    r"\b(?:shall|will)\s+have\s+a\s+duration\s+of\b|\b(?:agreement|contract)\s+(?:shall|will)\s+have\s+a\s+term\s+of\b|"
    r"\b(?:endur|continu|remain)\w*\s+(?:in\s+perpetuity|perpetually|indefinitely)\b"
    r"|\bfor\s+an?\s+(?:unlimited|indefinite)\s+(?:period|term|duration)\b"
    r"|\b(?:agreement|contract|term|licen[cs]e|appointment|engagement)\b[^.;]{0,120}?\bfor\s+a\s+(?:term|period)\s+of\b"
    r"|\b(?:venture|term|period)\b[^.;]{0,60}?\b(?:shall|will|is)\s+(?:[\w,()]+\s+){0,14}?"
    r"(?:continue|remain|expire|terminate|end|be)\b|\b(?:shall|will)\s+(?:commence|begin)\s+(?:on|as\s+of|upon)\b[^.;]{0,120}?"
    r"\b(?:continu|until|end|terminat|expir)", re.IGNORECASE)
_TERM_NOT = re.compile(
    r"\b(?:invalid|illegal|unenforceable)\b|\bduring\s+the\s+(?:initial\s+)?term\b|\b(?:following|after|upon)\s+(?:the\s+|any\s+|such\s+)?(?:expiration|"
    r"termination|expiry)\b|\bsurviv\w*|\birrevocable\b|\b(?:calendar|fiscal)\s+(?:quarter|year)\b|\bcontract\s+year\b|"
    r"\bconfidential|\bnon-?compet|\bwarrant\w*|\bforce\s+majeure|^\W*whereas\b|\beach\s+year\s+of\s+the\s+term|\bcovenants?\b|\bshall\s+within\b|\bbankrupt|\binsolv|\bminimum\s+royalt|\broyalty\s+payment|\bincrease|\bretain\b|\brecords\b|\bfail(?:s|ure)\s+to\b|\bfollowing\s+"
    r"(?:installation|delivery|receipt)|\binsurance\b|\broyalty\s+term\b.{0,30}\bmeans|\bshall\s+mean\b.{0,60}"
    r"\bquarter", re.IGNORECASE)
#: The definition of the term of something else: '"Royalty Term" means', '"Trademark License Term" means'.
_OTHER_TERM = re.compile(r"[\"“](?!(?:initial|agreement|contract|original)\s+term)(?:[\w-]+\s+){1,5}term[\"”]\s+"
                         r"(?:shall\s+)?mean"
                         # ... or of another period: '"Interim Period" means a period of four (4) years'
                         r"|[\"“](?!(?:initial|agreement|contract|original|licen[cs]e|services?|term|engagement)\s+period)"
                         r"(?:[\w-]+\s+){1,3}period[\"”]\s+(?:shall\s+)?mean", re.IGNORECASE)
_TERM_HEADING = re.compile(r"^\W{0,3}(?:\d+(?:\.\d+)*\.?\s*)?(?:\(\w\)\s*)?(?:initial\s+)?(?:term(?:\s+and\s+termination)?|"
                           r"duration|period\s+of\s+agreement)\b\s*[.:\-]", re.IGNORECASE)


def _term_value(seg: Seg, base: Found | None, agreed: Found | None = None) -> tuple[Found | None, Found | None] | None:
    """Return (initial_term, expiration_date) stated in one term sentence, or None.

    ``base`` is the date the term runs from (the effective date, else the agreement date);
    ``agreed`` is the agreement date, which "the anniversary of the date hereof" counts from.
    """
    ev = [(seg.start, seg.end)]
    for iso, s, e in seg.dates:                       # an explicit end date
        before = seg.text[max(0, seg.rel(s) - 60):seg.rel(s)]
        if _UNTIL_DATE.search(before):
            start_iso = next((d[0] for d in seg.dates if d[1] < s), None) or (base.value if base else None)
            length = N.duration_between(start_iso, iso) if start_iso else None
            return (Found(length, ev, 0.7) if length else None), Found(iso, ev, 0.85)
    durations = list(seg.durations)
    for m in _CONTRACT_YEARS.finditer(seg.text):
        n = int(m.group(2)) if m.group(2) else N.parse_number_word(m.group(1))
        if n:
            durations.append((f"P{n}Y", seg.start + m.start(), seg.start + m.end()))
    durations.sort(key=lambda d: d[1])
    for d in durations:                               # a length of time
        before = seg.text[max(0, seg.rel(d[1]) - 50):seg.rel(d[1])]
        if is_notice_duration(seg, d) and not _MINIMUM_TERM.search(before):
            continue
        after = seg.text[seg.rel(d[2]):seg.rel(d[2]) + 30]
        if re.search(r"(?:additional|successive|renewal|further|extension)\s*(?:of\s+)?(?:\w+\s+){0,1}$", before,
                     re.IGNORECASE) \
                or _RENEWED_FOR.search(before):
            continue
        anniversary = re.match(r"\s*anniversary", after, re.IGNORECASE)
        # a time after some other end ("until 12 months have elapsed since the end of the latest SOW")
        survival = re.match(r"\W*(?:(?:have|has)\s+(?:elapsed|passed)\s+)?(?:after|following|since)\s+(?:the\s+)?"
                            r"(?:end|expiration|termination|delivery|receipt|installation|completion|last|latest"
                            r"|date\s+of\s+(?:termination|expiration))", after, re.IGNORECASE)
        if anniversary or (_TERM_DURATION_BEFORE.search(before) and not survival):
            start_iso = None
            for iso, s, e in seg.dates:
                if s < d[1] and re.search(r"commenc|begin|start|from|effective|as\s+of|on\s*$",
                                          seg.text[max(0, seg.rel(s) - 30):seg.rel(s)], re.IGNORECASE):
                    start_iso = iso
                    break
                if d[2] <= s and _STARTING_AT.match(seg.text[seg.rel(d[2]):seg.rel(s)]):
                    start_iso = iso                   # "for two (2) years commencing on January 1, 2000"
                    break
            confidence = 0.7
            from_base = start_iso is None and base is not None
            if from_base:
                start_iso = base.value
                if _FROM_EVENT.match(seg.text, seg.rel(d[2])):
                    confidence = 0.5              # counted from the effective date, as CUAD does
            exp = None
            if start_iso:
                end = N.add_duration(datetime.date.fromisoformat(start_iso), d[0])
                exp = Found(end.isoformat(), ev, confidence) if end else None
                if exp is not None and from_base:
                    exp.extra = _inputs(base)
            return Found(d[0], ev, 0.8), exp
    ey = _END_OF_YEAR_N.search(seg.text)
    if ey:
        n = int(ey.group(1))
        end = N.add_duration(datetime.date.fromisoformat(base.value), f"P{n}Y") if base is not None and n else None
        return Found(f"P{n}Y", ev, 0.7), (Found(end.isoformat(), ev, 0.7, _inputs(base)) if end else None)
    am = _ANNIVERSARY.search(seg.text)
    if am:                                            # "until the fifth anniversary of the Effective Date"
        w = am.group(1).lower()
        digits = re.match(r"\d+", w)
        n = _ORD.get(w) or (int(digits.group(0)) if digits else 0)
        if n:
            if agreed is not None and _OF_THIS_DATE.match(seg.text, am.end()):
                base = agreed
            end = N.add_duration(datetime.date.fromisoformat(base.value), f"P{n}Y") if base is not None else None
            return Found(f"P{n}Y", ev, 0.7), (Found(end.isoformat(), ev, 0.7, _inputs(base)) if end else None)
    if _PERPETUAL.search(seg.text):
        return None, Found("perpetual", ev, 0.7)
    return None


#: A form field that states the end date: "Expiration Date: August 31, 2006", "TERMINATION DATE:\n
#: September 30, 1997". Only at the start of a line (or after a wide gap), so "Option Expiration Date" and
#: other things' end dates are left out.
_END_DATE_LABEL = re.compile(r"\b(?:expiration|expiry|termination|end)\s+date[ \t]*[:\-–][ \t]*(?:\n[ \t]*)?", re.IGNORECASE)
_END_DATE_LABEL_HEAD = re.compile(r"\b(?:agreement|contract|initial\s+term|term)\s+$", re.IGNORECASE)
#: ... or counts it from the start: "Expiration Date: at midnight on the last day of the month fifteen (15)
#: years from the Effective Date".
_FROM_START = re.compile(r"\s*(?:from|after)\s+(?:the\s+)?(?:effective\s+date|date\s+(?:hereof|of\s+this\s+agreement))",
                         re.IGNORECASE)
#: ... or spans the term: "Initial Distribution Period:  April 15, 2000 through October 15, 2000".
_TERM_RANGE_LABEL = re.compile(r"\b(?:term|period)[ \t]*:[ \t]*", re.IGNORECASE)
_TERM_RANGE_LABEL_HEAD = re.compile(r"\b(?:(?:initial|contract|agreement|licen[cs]e|distribution|services?)\s+){1,2}$",
                                    re.IGNORECASE)
_RANGE_TO = re.compile(r"\s*(?:through|to|until|[-–])\s*$", re.IGNORECASE)
_MONTH_END = re.compile(r"\blast\s+day\s+of\s+the\s+(?:calendar\s+)?month\b", re.IGNORECASE)


#: How many form labels ("Term:", "Expiration Date:") of a kind one text is searched at: a contract has a
#: handful, and a text of nothing but "Term:" lines would cost a date search per line (half a minute a MB).
_MAX_LABELS = 200


def _label_start(text: str, pos: int, head: re.Pattern[str]) -> int | None:
    """Return where the label whose last words start at ``pos`` begins (``head`` matches the words
    before them), if it opens a line or a form cell; else None."""
    h = head.search(text, max(0, pos - 40), pos)
    start = h.start() if h else pos
    return start if _opens_line(text, start) else None


def _opens_line(text: str, pos: int) -> bool:
    """Return whether ``pos`` starts a line or a cell of a form (after a gap of three or more blanks)."""
    j = pos
    while j > 0 and text[j - 1] in " \t":
        j -= 1
    return j == 0 or text[j - 1] == "\n" or pos - j >= 3


def _labelled_end_date(text: str, base: Found | None) -> tuple[Found, str | None] | None:
    """Return (end date, term length if the field states one) from a form field that states the end
    date or counts it from ``base``, with the field as evidence."""
    for k, m in enumerate(_END_DATE_LABEL.finditer(text)):
        if k >= _MAX_LABELS:
            break
        start = _label_start(text, m.start(), _END_DATE_LABEL_HEAD)
        if start is None:
            continue
        line = re.split(r"\n|[ \t]{3}", text[m.end():m.end() + 160], maxsplit=1)[0]
        found = N.find_dates(line)
        if found and found[0].start == 0:
            return Found(found[0].iso, [(start, m.end() + found[0].end)], 0.9), None
        for d in N.find_durations(line):
            if base is not None and _FROM_START.match(line, d.end):
                end = N.add_duration(datetime.date.fromisoformat(base.value), d.iso)
                if end is None:
                    break
                if _MONTH_END.search(line, 0, d.start):
                    end = end.replace(day=calendar.monthrange(end.year, end.month)[1])
                return Found(end.isoformat(), [(start, m.end() + len(line))], 0.8), d.iso
    return None


def _labelled_range(text: str) -> tuple[Found, str | None] | None:
    """Return (end date, term length) from a form field that spans the term from one date to another."""
    for k, m in enumerate(_TERM_RANGE_LABEL.finditer(text)):
        if k >= _MAX_LABELS:
            break
        start = _label_start(text, m.start(), _TERM_RANGE_LABEL_HEAD)
        if start is None:
            continue
        chunk = text[m.end():m.end() + 120]
        found = N.find_dates(chunk)
        if len(found) >= 2 and found[0].start == 0 and _RANGE_TO.match(chunk[found[0].end:found[1].start]):
            return (Found(found[1].iso, [(start, m.end() + found[1].end)], 0.85),
                    N.duration_between(found[0].iso, found[1].iso))
    return None


#: A form or schedule field that states the term's length: "Initial Term: three (3) years", "Term of
#: Agreement:  36 months from the Effective Date". At the start of a line (or a form cell) only.
_TERM_LENGTH_LABEL = re.compile(r"\b(?:(?:initial|contract|agreement|subscription|service|licen[cs]e)\s+)?(?:term|period)"
                                r"(?:\s+of\s+(?:this\s+|the\s+)?(?:agreement|contract))?[ \t]*[:\-–][ \t]*(?:\n[ \t]*)?",
                                re.IGNORECASE)
#: What may stand between the label and its length: "a period of", "an initial".
_LENGTH_LEAD = re.compile(r"^(?:(?:a|an|the)\s+)?(?:(?:initial|period|term)\s+(?:of\s+)?)?", re.IGNORECASE)
_NOT_A_TERM_LENGTH = re.compile(r"^\W{0,3}(?:'s?\s*)?(?:\(\d+\)\s*)?(?:prior|advance|written|notice"
                                r"|after\s+(?:receipt|delivery))", re.IGNORECASE)
#: The weight of a value computed from another field (a date plus a length): lower than one the text states.
COMPUTED_CONFIDENCE = 0.6


def _labelled_length(text: str, base: Found | None) -> tuple[Found, Found | None] | None:
    """Return (initial term, expiration date computed from ``base``) from a form or schedule field that
    states the term's length; the end date is marked as computed (lower confidence, its inputs named)."""
    for k, m in enumerate(_TERM_LENGTH_LABEL.finditer(text)):
        if k >= _MAX_LABELS:
            break
        if _label_start(text, m.start(), _TERM_RANGE_LABEL_HEAD) is None:
            continue
        line = re.split(r"\n|[ \t]{3}", text[m.end():m.end() + 160], maxsplit=1)[0]
        lead = _LENGTH_LEAD.match(line)
        durs = N.find_durations(line)
        if not durs or durs[0].start > lead.end() + 1 or _NOT_A_TERM_LENGTH.match(line, durs[0].end):
            continue
        d = durs[0]
        ev = [(m.start(), m.end() + len(line))]
        initial = Found(d.iso, ev, 0.75)
        end = N.add_duration(datetime.date.fromisoformat(base.value), d.iso) if base is not None else None
        if end is None:
            return initial, None
        return initial, computed(end.isoformat(), ev, base, "initial_term")
    return None


def computed(value: str, evidence: list[tuple[int, int]], base: Found, length_field: str) -> Found:
    """Return an end date computed from a start date and a length: lower confidence, and ``extra`` names
    the inputs and where the start date is stated."""
    return Found(value, list(evidence), COMPUTED_CONFIDENCE, _inputs(base, length_field))


def _inputs(base: Found, length_field: str = "initial_term") -> dict[str, object]:
    """Return the provenance of a value computed from ``base`` (a start date) and a length field."""
    return {"computed_from": [base.extra.get("field", "effective_date"), length_field],
            "start_evidence": [list(x) for x in base.evidence]}


def _as_base(found: Found | None, name: str) -> Found | None:
    """Return a copy of a start date that knows which field it is (for the provenance of computed dates)."""
    return None if found is None else Found(found.value, list(found.evidence), found.confidence,
                                            {**found.extra, "field": name})


def term(segs: list[Seg], eff: Found | None, agreed: Found | None,
         text: str = "") -> tuple[Found | None, Found | None]:
    """Return (initial_term, expiration_date) from the best-scoring term sentence.

    An end date a form field states ("Expiration Date: August 31, 2006", "Initial Term: April 15,
    2000 through October 15, 2000") beats one computed from a length: the term sentence of such a
    contract points to it ("shall expire on the Expiration Date set forth above"). The fields are
    read from ``text``, not ``segs``: the segmenter splits a label from its date. ``text`` also
    gives the definitions a term sentence points to ("shall be for the Contract Period").
    """
    eff, agreed = _as_base(eff, "effective_date"), _as_base(agreed, "agreement_date")
    base = eff or agreed
    initial, expiration = _best_term(segs, base, agreed, text)
    labelled = (_labelled_end_date(text, base) or _labelled_range(text)) if text else None
    if labelled is not None and (expiration is None or expiration.confidence < 0.85):
        expiration, length = labelled
        if initial is None and base is not None:
            length = length or N.duration_between(base.value, expiration.value)
            initial = Found(length, list(expiration.evidence), 0.7) if length else None
    if initial is None and expiration is None and text:
        stated = _labelled_length(text, base)          # "Initial Term: 3 years" in a cover sheet or schedule
        if stated is not None:
            initial, expiration = stated
    return initial, expiration


#: A sentence that speaks of renewal but states the initial term too.
_TERM_DESPITE_RENEWAL = re.compile(r"\binitial\s+term|\bterm\s+of\s+this|(?:shall|will)\s+(?:commence|begin|become\s+effective)"
                                   r"|(?<!renewed\s)(?<!extended\s)\bfor\s+(?:a|an|the)\s+(?:initial\s+)?(?:period|term)\s+of",
                                   re.IGNORECASE)
#: The sentence states the term before it turns to renewal: "This Agreement shall be effective until the
#: earlier of ... two (2) years after the date of this Agreement; provided, however, that it will renew ...".
_TERM_BEFORE_RENEWAL = re.compile(r"\b(?:this|the)\s+(?:agreement|contract)\s+(?:shall|will)\s+(?:be\s+effective|remain"
                                  r"|continue)\s+(?:in\s+(?:full\s+)?(?:force|effect)\s+(?:and\s+effect\s+)?)?"
                                  r"(?:until|for)\b[^;]*;", re.IGNORECASE)


#: A term sentence that leads into a list of its end events: "shall remain in effect until the earlier of the
#: below events occur:"; the segmenter puts "(a) The fifth anniversary of this Agreement;" apart.
_LIST_LEAD = re.compile(r"\b(?:earlie|late|first)\w*\b[^.;]{0,60}:\s*$", re.IGNORECASE)


def _joined(seg: Seg, nxt: Seg, text: str) -> Seg:
    """Return ``seg`` and the segment after it as one."""
    gap = text[seg.end:nxt.start] if text else " " * max(0, nxt.start - seg.end)
    return Seg(seg.start, nxt.end, seg.text + gap + nxt.text, seg.cats | nxt.cats, seg.dates + nxt.dates,
               seg.durations + nxt.durations, seg.money + nxt.money, seg.juris + nxt.juris, dict(seg.p))


def _best_term(segs: list[Seg], base: Found | None, agreed: Found | None,
               text: str = "") -> tuple[Found | None, Found | None]:
    """Return (initial_term, expiration_date) from the best-scoring term sentence; failing one, from the
    definition of the period a term sentence points to, or of the term itself ('"Term" means ...')."""
    best: tuple[float, int, tuple[Found | None, Found | None]] | None = None
    pointers: list[tuple[float, Seg]] = []           # term sentences that run "for the Contract Period"
    for i, seg in enumerate(segs):
        if _OTHER_TERM.search(seg.text):
            continue
        score = 0.0
        if _TERM_STRONG.search(seg.text):
            score += 2
        elif _TERM_WEAK.search(seg.text):
            score += 1
        if _TERM_HEADING.match(seg.text):
            score += 1
        pt = seg.p.get("term")
        if score == 0 and len(seg.dates) < 2 and (pt is None or pt < TERM_ADD):
            continue                                  # no cue can lift it to 1: skip the costly checks
        if _TERM_NOT.search(seg.text):
            score -= 3
        renew = RENEW_ACTION.search(seg.text)
        if renew and not _TERM_BEFORE_RENEWAL.search(seg.text, 0, renew.start()) \
                and not _TERM_DESPITE_RENEWAL.search(seg.text):
            score -= 2
        if score < 1 and len(seg.dates) >= 2 and _TERMISH.search(seg.text):
            first, second = seg.dates[0], seg.dates[1]
            if (_RANGE_START.search(seg.text[max(0, seg.rel(first[1]) - 40):seg.rel(first[1])])
                    and _UNTIL_DATE.search(seg.text[seg.rel(first[2]):seg.rel(second[1])])):
                score += 1.5                          # "from January 30, 2012 until July 29, 2012"
        if pt is not None:
            if score < 1 and pt >= TERM_ADD:
                score = 1.0
            score += TERM_WEIGHT * pt
        if score < 1:
            continue
        value = _term_value(seg, base, agreed)
        if value is None and i + 1 < len(segs) and _LIST_LEAD.search(seg.text):
            value = _term_value(_joined(seg, segs[i + 1], text), base, agreed)
        if value is None:
            if text and score >= 2:
                pointers.append((score, seg))
            continue
        if value[0] is not None or (value[1] is not None and value[1].value != "perpetual"):
            score += 0.5
        if value[1] is not None and value[1].confidence >= 0.85:
            score += 0.25                             # a stated end date beats one computed from a length
        if best is None or score > best[0]:
            best = (score, i, value)
    if best is None:
        for _, seg in sorted(pointers, key=lambda p: -p[0]):
            value = _defined_period(seg, text, base, agreed)
            if value is not None:
                return value
        m = _TERM_DEFINED.search(text) if text else None
        if m is not None:                            # the term defined where the segmenter saw no sentence
            value = _definition_value(text, m.start(), base, agreed)
            if value is not None:
                return value
        return None, None
    return best[2]


#: A term sentence that runs for a period (or to a date) defined elsewhere: "The Term of this Agreement shall
#: be for the Contract Period", "shall continue until the Intended End of Term".
_POINTER = re.compile(r"\b(?i:for|until|through|on)\s+the\s+(?P<name>(?!Effective\b|Term\b)[A-Z][\w-]*"
                      r"(?:\s+(?:of\s+)?[A-Z][\w-]*){0,3})")


def _defined_period(seg: Seg, text: str, base: Found | None,
                    agreed: Found | None) -> tuple[Found | None, Found | None] | None:
    """Return (initial_term, expiration_date) from the definition of the period a term sentence points to:
    '"Contract Period" shall mean that period of time from February 21, 2011 through December 31, 2012'."""
    for m in _POINTER.finditer(seg.text):
        name = re.escape(m.group("name")).replace(r"\ ", r"\s+")
        d = re.search(r"[\"“]" + name + r"[\"”]\s+(?:shall\s+)?means?\b", text)
        value = _definition_value(text, d.start(), base, agreed) if d else None
        if value is not None:
            return tuple(Found(f.value, [(seg.start, seg.end)] + f.evidence, f.confidence) if f else None
                         for f in value)  # type: ignore[return-value]
    return None


#: The definition of the contract's own term or period: '"CONTRACT PERIOD" means that period of time ...'.
_TERM_DEFINED = re.compile(r"[\"“](?:(?:initial|contract|agreement)\s+)?(?:term|period)[\"”]\s+(?:shall\s+)?means?\b",
                           re.IGNORECASE)


def _definition_value(text: str, at: int, base: Found | None,
                      agreed: Found | None) -> tuple[Found | None, Found | None] | None:
    """Return (initial_term, expiration_date) from the definition sentence at ``at``, if it gives an end."""
    end = re.search(r"\.\s|\n\s*\n", text[at:at + 600])
    stop = at + (end.start() if end else 600)
    sub = text[at:stop]
    defn = Seg(at, stop, sub, set(), [(x.iso, at + x.start, at + x.end) for x in N.find_dates(sub)],
               [(x.iso, at + x.start, at + x.end) for x in N.find_durations(sub)], [], [])
    value = _term_value(defn, base, agreed)
    if value is None or value[1] is None or value[1].value == "perpetual":
        return None
    return value
