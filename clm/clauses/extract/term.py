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
_EFFECTIVE_WORD = re.compile(r"effective|commenc|into\s+(?:force|effect)|take[sn]?\s+effect|begin", re.IGNORECASE)
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


def _takes_effect_on_signing(text: str) -> bool:
    """Return whether the text says this contract starts on the date it bears."""
    for m in _EFFECTIVE_ON_SIGNING.finditer(text):
        if m.group("verb") is None or _SIGNING_SUBJECT.search(text, max(0, m.start() - 100), m.start()):
            return True
    return False


def _filing_stamp(text: str, pos: int) -> bool:
    """Return whether the date at ``pos`` sits in an EDGAR "Source: ..." page footer."""
    return bool(_FILING_STAMP.search(text, max(0, pos - 160), pos))


def agreement_date(text: str, pre_end: int) -> Found | None:
    """Return the date the agreement is made, from the preamble."""
    found = [d for d in N.find_dates(text[:pre_end]) if not _filing_stamp(text, d.start)]
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
    for m in _EFFECTIVE_WORD.finditer(text):
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
    if _EFFECTIVE_ON_LAST_SIGNATURE.search(text):
        return _last_signature_date(text)
    if agreed is None or agreed.confidence <= SIGNED_CONFIDENCE or _EFFECTIVE_IS_EVENT.search(text):
        return None
    if _takes_effect_on_signing(text) or _PREAMBLE_EFFECTIVE.search(text, 0, pre_end):
        return Found(agreed.value, list(agreed.evidence), 0.7)
    return None


_LATER_OF = r"(?:(?:on\s+)?(?:the\s+)?(?:later|earlier)\s+(?:to\s+occur\s+)?of\s+(?:the\s+date\s+(?:that\s+is\s+)?)?(?:\(\w{1,3}\)\s*)?)"
_UNTIL_DATE = re.compile(r"\b(?:(?:expiration|termination|end)\s+date\W{0,3}\s*(?:means|shall\s+mean|shall\s+be|is)?|until|through|to|ending\s+on|end\s+on|ends\s+on|expire\w*\s+on|terminat\w*\s+on|"
                         r"and\s+ending|expiring|expire\w*|terminat\w*|ending|ends?|concluding|-|–)\W*" + _LATER_OF
                         + r"?(?:\w+\W+){0,3}$", re.IGNORECASE)
_RANGE_START = re.compile(r"(?:from|commencing|beginning|starting|begin|commence|effective|of)\W*(?:\w+\W+){0,3}$"
                          r"|\b(?:term|period)\s*:\s*$", re.IGNORECASE)
#: "will end automatically upon the end of Year 3": the term runs N (contract) years.
_END_OF_YEAR_N = re.compile(r"\b(?:end|expire|terminate)\w*\s+(?:\w+\s+){0,3}?(?:the\s+)?end\s+of\s+(?:contract\s+)?"
                            r"year\s+(\d{1,2})\b", re.IGNORECASE)
_TERMISH = re.compile(r"\b(?:term|period|agreement|contract|venture|project|engagement)\b", re.IGNORECASE)
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
    r"|\b(?:end|expire)s?\s+(?:only\s+)?when\s+(?:it\s+is\s+)?terminated\s+by\b", re.IGNORECASE)
_TERM_DURATION_BEFORE = re.compile(
    r"(?:period\s+of|term\s+of|for|be|is|last|initial|until|continu\w+|expire\w*|end|ending|terminat\w*|valid|run|through|"
    r"remain\w*(?:\s+in\s+(?:full\s+)?"
    r"(?:force|effect)(?:\s+and\s+effect)?)?(?:\s+for)?|of|(?:an?\s+)?(?:initial\s+)?(?:term|period))\s*(?:a\s+)?"
    r"(?:(?:period|term)\s+of\s+)?(?:an?\s+)?(?:on\s+)?(?:the\s+(?:date|day)\s+(?:that\s+is\s+|which\s+is\s+)?)?"
    r"(?:the\s+entire\s+|at\s+least\s+|" + _LATER_OF + r")?$", re.IGNORECASE)
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
_ORD = {"first": 1, "second": 2, "third": 3, "fourth": 4, "fifth": 5, "sixth": 6, "seventh": 7,
        "eighth": 8, "ninth": 9, "tenth": 10, "fifteenth": 15, "twentieth": 20}
_RENEWALISH = re.compile(r"\brenew|\bsuccessive\b|\badditional\s+(?:\w+\s+){0,3}?(?:term|period)", re.IGNORECASE)


_TERM_STRONG = re.compile(
    r"\b(?:initial\s+|effective\s+)?terms?\s+of\s+(?:this|the)\s+(?:agreement|contract)|[\"“](?:initial\s+)?term[\"”]"
    r"|[\"“](?:expiration|termination|end)\s+date[\"”]\s+(?:means|shall\s+mean)|^\W*(?:expiration|termination)\s+date\s*:"
    r"|\bterm\s+shall\s+mean\b|\b(?:contract|agreement|license|licen[cs]e|service)\s+period[\"”]?\s+(?:means|shall\s+mean)"
    r"|\b(?:initial|effective)\s+(?:term|period)\b|\bduration\s+of\s+this"
    r"|\b(?:this|the)\s+(?:agreement|contract)(?:,?\s+(?:and|including)(?:\s+[\w-]+){1,5}?)?\s+(?:shall|will|is\s+to|is)"
    r"\s+(?:[\w,()]+\s+){0,14}?(?:continue|remain|expire|terminate|end|be\s+(?:in\s+(?:full\s+)?(?:force|effect)|valid|"
    r"effective|for)|extend|last|run|for\s+a)\b", re.IGNORECASE)
_TERM_WEAK = re.compile(
    r"\b(?:endur|continu|remain)\w*\s+(?:in\s+perpetuity|perpetually|indefinitely)\b"
    r"|\bfor\s+an?\s+(?:unlimited|indefinite)\s+(?:period|term|duration)\b"
    r"|\b(?:agreement|contract|term|licen[cs]e|appointment|engagement)\b[^.;]{0,120}?\bfor\s+a\s+(?:term|period)\s+of\b"
    r"|\b(?:venture|term|period)\b[^.;]{0,60}?\b(?:shall|will|is)\s+(?:[\w,()]+\s+){0,14}?"
    r"(?:continue|remain|expire|terminate|end|be)\b|\b(?:shall|will)\s+(?:commence|begin)\s+(?:on|as\s+of|upon)\b[^.;]{0,120}?"
    r"\b(?:continu|until|end|terminat|expir)", re.IGNORECASE)
_TERM_NOT = re.compile(
    r"\b(?:invalid|illegal|unenforceable)\b|\bduring\s+the\s+(?:initial\s+)?term\b|\b(?:following|after|upon)\s+(?:the\s+|any\s+|such\s+)?(?:expiration|"
    r"termination|expiry)\b|\bsurviv\w*|\birrevocable\b|\bcalendar\s+(?:quarter|year)\b|\bcontract\s+year\b|"
    r"\bconfidential|\bnon-?compet|\bwarrant\w*|\bforce\s+majeure|^\W*whereas\b|\beach\s+year\s+of\s+the\s+term|\bcovenants?\b|\bshall\s+within\b|\bbankrupt|\binsolv|\bminimum\s+royalt|\broyalty\s+payment|\bincrease|\bretain\b|\brecords\b|\bfail(?:s|ure)\s+to\b|\bfollowing\s+"
    r"(?:installation|delivery|receipt)|\binsurance\b|\broyalty\s+term\b.{0,30}\bmeans|\bshall\s+mean\b.{0,60}"
    r"\bquarter", re.IGNORECASE)
#: The definition of the term of something else: '"Royalty Term" means', '"Trademark License Term" means'.
_OTHER_TERM = re.compile(r"[\"“](?!(?:initial|agreement|contract|original)\s+term)(?:[\w-]+\s+){1,5}term[\"”]\s+"
                         r"(?:shall\s+)?mean", re.IGNORECASE)
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
    ey = _END_OF_YEAR_N.search(seg.text)
    if ey:
        n = int(ey.group(1))
        end = N.add_duration(datetime.date.fromisoformat(base.value), f"P{n}Y") if base is not None and n else None
        return Found(f"P{n}Y", ev, 0.7), (Found(end.isoformat(), ev, 0.7) if end else None)
    am = _ANNIVERSARY.search(seg.text)
    if am:                                            # "until the fifth anniversary of the Effective Date"
        w = am.group(1).lower()
        digits = re.match(r"\d+", w)
        n = _ORD.get(w) or (int(digits.group(0)) if digits else 0)
        if n:
            if agreed is not None and _OF_THIS_DATE.match(seg.text, am.end()):
                base = agreed
            end = N.add_duration(datetime.date.fromisoformat(base.value), f"P{n}Y") if base is not None else None
            return Found(f"P{n}Y", ev, 0.7), (Found(end.isoformat(), ev, 0.7) if end else None)
    if _PERPETUAL.search(seg.text):
        return None, Found("perpetual", ev, 0.7)
    return None


def term(segs: list[Seg], eff: Found | None, agreed: Found | None) -> tuple[Found | None, Found | None]:
    """Return (initial_term, expiration_date) from the best-scoring term sentence."""
    base = eff or agreed
    best: tuple[float, int, tuple[Found | None, Found | None]] | None = None
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
        if RENEW_ACTION.search(seg.text) and not re.search(r"\binitial\s+term|\bterm\s+of\s+this|(?:shall|will)\s+"
                                                            r"(?:commence|begin|become\s+effective)"
                                                   r"|\bfor\s+(?:a|an|the)\s+(?:initial\s+)?(?:period|term)\s+of",
                                                   seg.text, re.IGNORECASE):
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
        if value is None:
            continue
        if value[0] is not None or (value[1] is not None and value[1].value != "perpetual"):
            score += 0.5
        if value[1] is not None and value[1].confidence >= 0.85:
            score += 0.25                             # a stated end date beats one computed from a length
        if best is None or score > best[0]:
            best = (score, i, value)
    if best is None:
        return None, None
    return best[2]
