"""Field rules: segments and found values, notice periods, governing law, parties and commercial terms.

The renewal, termination and term rules live beside this module (renewal.py,
termination.py, term.py) and build on its Seg and Found.
"""
from __future__ import annotations

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


def notice_in(seg: Seg) -> str | None:
    """Return the first notice period stated in a segment, or None."""
    for d in seg.durations:
        if is_notice_duration(seg, d):
            return d[0]
    return None


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
    r",?\s+(?:(?:is|being)\s+)?(?:a|an)\s+(?:[\w.-]+\s+){0,6}?(?:corporation|company|limited|partnership|llc|"
    r"association|organi[sz]ation|bank|entity|institution|individual|resident|national|citizen|"
    r"business|subsidiary|agency|trust|foundation|university|societe|société|aktiengesellschaft|gmbh|"
    r"public|private|joint|state|federal|non-?profit|not-for-profit)\b"
    r"|,?\s+(?:having|with\s+(?:its|a|offices?|principal)|whose|located|organi[sz]ed|incorporated|existing|"
    r"residing|of\s+\d|at\s+\d|address|registered|acting|on\s+behalf|a\s+division|its\s+principal|"
    r"duly|represented|domiciled)\b"
    r"|,?\s+\(?\s*(?:formerly|hereinafter|as\s+successor)\b"
    # a street address: "2450 White Road", "of 512 Bayshore Dr", "Suite 207", "P.O. Box 4324"
    r"|,?\s+(?:(?:of|at)\s+)?(?:\d{2,6}[A-Z]?\s+(?:[A-Z]|Box\b)|P\.?\s?O\.?\s+Box\b|(?:Suite|Room|Unit)\s+\d)"
    r"|,?\s+(?:of|at)\s+\["                                         # "of [address removed]"
    r"|\s*\(", re.IGNORECASE)
_GENERIC_TERMS = {"agreement", "effective date", "parties", "party", "this agreement", "amendment",
                  "contract", "each", "letter", "term", "territory", "products", "product", "services",
                  "hereafter", "hereinafter", "herein"}
#: Roles, not names: a party's name is what such a role is defined for.
_ROLES = {"company", "consultant", "customer", "client", "supplier", "distributor", "reseller", "dealer",
                  "licensor", "licensee", "franchisor", "franchisee", "agent", "seller", "buyer", "purchaser",
                  "vendor", "contractor", "provider", "manufacturer", "member", "employee", "executive"}
_MONTHS = {"january", "february", "march", "april", "may", "june", "july", "august", "september", "october",
           "november", "december"}
_CORP = re.compile(r"\b(?:inc|incorporated|corp|corporation|company|co|llc|l\.l\.c|ltd|limited|plc|lp|l\.p|llp|"
                   r"gmbh|ag|s\.a|sa|b\.v|bv|n\.v|nv|pty|s\.p\.a|srl|sarl|ab|oy|kk|holdings?|group|trust|bank|"
                   r"university|partners|fund|association|foundation)\b\.?", re.IGNORECASE)


_COMPANY = re.compile(r"(?<![\w&.-])(?:[A-Z0-9][\w&'.-]*\s+){0,5}[A-Z][\w&'.-]*,?\s+(?:Inc|LLC|L\.L\.C|Ltd|Corporation|Corp"
                      r"|Limited|L\.P|LLP|GmbH|S\.A|B\.V|N\.V|plc|PLC|AG|Co)\b\.?")
_CORP_OF = re.compile(r"(.*?\b(?:Inc|LLC|L\.L\.C|Ltd|Limited|Corporation|Corp|Company|GmbH|plc|PLC|AG|S\.A|B\.V|N\.V"
                      r"|Pty)\b\.?),?\s+of\s+(?=[A-Z0-9])")
# lower-case words before a name: "and", "on the other hand, and", "its subsidiary", "as agent for"
_LOWER_LEAD = re.compile(r"[),\s]*(?:[a-z][a-z'-]*,?\s+){1,6}(?=[A-Z])")
_EXHIBIT_LEAD = re.compile(r"(?:Exhibit|Schedule|Annex|Appendix|Attachment)\s+[\d.]+[A-Z]?\s+(?:[A-Z&,-]{2,}\s+)*(?=[A-Z])")
_NOT_A_NAME = re.compile(r"(?:Exhibit|Schedule|Annex|Appendix|Section|Article|Attachment)\b", re.IGNORECASE)
_ABBREVIATED_END = re.compile(r"\b(?:Inc|INC|Corp|CORP|Co|CO|Ltd|LTD|N\.A|S\.A|B\.V|N\.V|L\.P|L\.L\.C|P\.C)$")
_SMALL_WORDS = {"of", "and", "the", "de", "for", "in", "on", "du", "des", "la", "le", "von", "van", "&"}


def _clean_name(chunk: str) -> str | None:
    flat = re.sub(r"\s+", " ", chunk)
    s = flat.strip(" ,;:.\n\t")
    s = re.sub(r"^(?:(?:and|by|between|among|with|&|,)\s+)+", "", s, flags=re.IGNORECASE)
    s = re.sub(r"^(?:parties\s*:?\s*)?(?:\d+[.)]|\(?[a-z0-9]{1,3}\))\s*", "", s, flags=re.IGNORECASE)
    s = re.sub(r"^(?:(?:and|by|between|among|with|&|,)\s+)+", "", s, flags=re.IGNORECASE)
    m = _DESCRIPTOR.search(s)
    if m and m.start() > 0:
        s = s[:m.start()]
    s = s.strip(" ,;:\"“”'")
    corp_of = _CORP_OF.match(s)                  # "Tigrent Learning UK Limited of Boston House"
    if corp_of:
        s = corp_of.group(1)
    s = re.sub(r"^(?:the\s+)?(?:undersigned\s+)?", lambda m: m.group(0) if s[:4].lower() == "the " else "", s)
    if not s or len(s) > 90 or len(s.split()) > 12:
        return None
    exhibit = _EXHIBIT_LEAD.match(s)                # "Exhibit 10.7 CONSULTING AGREEMENT Aduro Biotech, Inc"
    if exhibit:
        s = s[exhibit.end():]
    lead = _LOWER_LEAD.match(s)
    if lead:
        # "and Parcelway Courier Systems", "as administrator for Twentieth Century Fox"
        s = s[lead.end():]
    elif not re.match(r"[A-Z0-9]", s) and not _CORP.search(s):
        # "professional golfer, TOM WATSON": the name is the capitalised piece
        pieces = [p.strip() for p in s.split(",") if re.match(r"\s*[A-Z0-9]", p)]
        if not pieces:
            return None
        s = pieces[0]
    low = s.lower()
    if (len(re.sub(r"\W", "", s)) < 3 or (low.split(" ")[0] in _MONTHS and re.fullmatch(r"\w+(?:\s+\d[\d,]*)*", low)) or low in _GENERIC_TERMS or low in _ROLES or low.startswith(("this ", "these ", "such "))
            or re.fullmatch(r"party\s+\w", s, re.IGNORECASE) or _NOT_A_NAME.match(s)):
        return None
    words = [w for w in re.findall(r"[^\W\d_][\w'&.-]*", s) if w.lower() not in _SMALL_WORDS]
    capitalised = sum(w[0].isupper() for w in words)
    # a name is mostly capitalised words; without a corporate suffix, short and wholly so
    if not words or capitalised < 0.5 * len(words):
        return None
    if not _CORP.search(s) and (len(words) > 8 or capitalised < 0.75 * len(words)):
        return None
    if _ABBREVIATED_END.search(s) and s + "." in flat:
        s += "."                                      # "Inc." keeps the period the sentence end took
    return s


_SUFFIX_WORDS = {"inc", "incorporated", "corp", "corporation", "co", "company", "llc", "ltd", "limited", "plc",
                 "lp", "llp", "l", "p", "c", "sa", "s", "a", "ag", "nv", "n", "v", "bv", "b", "gmbh", "pty", "na"}
# A filing legend ("... filed separately with the Securities and Exchange Commission ...") is no preamble.
_LEGEND = re.compile(r"[^.\n]{0,300}(?:Securities\s+and\s+Exchange\s+Commission|confidential\s+treatment)[^.\n]{0,300}",
                     re.IGNORECASE)


_TAIL_PARTY = re.compile(r"[^.;\n]{0,160}?(?:\n[ \t]*)?[,)\s]\s*and\s+(?=[A-Z0-9])", re.DOTALL)


_TITLE_PARTIES = re.compile(r"\bbetween\b:?[ \t]*\n?\s*([^\n]{2,120}?)[ \t]*\n\s*and\b:?[ \t]*\n?\s*([^\n]{2,120}?)[ \t]*(?:\n|$)",
                            re.IGNORECASE)


def name_key(name: str) -> str:
    """Return the key two spellings of one party share: "Acme, Inc." and "ACME Inc" -> "acme"."""
    words = re.findall(r"[a-z0-9]+", name.lower().replace("&", " and "))
    while words and words[-1] in _SUFFIX_WORDS:
        words.pop()
    while words and words[0] == "the":
        words.pop(0)
    return " ".join(words) or name.lower()


def parties(text: str) -> tuple[Found | None, int]:
    """Return (parties, end of preamble) from the opening of the contract."""
    head = text[:6000]
    stop = _PRE_STOP.search(head, 40)
    pre_end = stop.start() if stop else min(len(head), 3000)
    # blank out filing legends, keeping every offset
    pre = _LEGEND.sub(lambda m: " " * len(m.group(0)), text[:pre_end])
    names: list[tuple[str, int, int]] = []
    bm = _BETWEEN.search(pre)
    origin = bm.end() if bm else 0
    last = party_end = origin
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
            s = pre.find(name, max(0, m.start() - len(chunk) - 5))
            names.append((name, s if s >= 0 else m.start(), (s if s >= 0 else m.start()) + len(name)))
            party_end = m.end()
    if names:
        # '... ("Northwind"), and Kestrel Corporation 780 Harbor Expressway ...': a last party
        # named without a defined term of its own
        tail = _TAIL_PARTY.match(pre, party_end)
        if tail:
            piece = re.split(r"\n\s*\n|\(|(?<![A-Z])\.\s", pre[tail.end():tail.end() + 300].lstrip(), maxsplit=1)[0]
            name = _clean_name(piece)
            if name and not _DEFINED.match(piece):
                at = pre.find(name, tail.end())
                names.append((name, at, at + len(name)))
    if len(names) < 2:
        # a title page: "BETWEEN / ASTELLAS PHARMA INC. / AND / FIBROGEN, INC.", one party per line
        title = _TITLE_PARTIES.search(pre, 0, 2500)
        if title:
            known = {name_key(n[0]) for n in names}
            for g in (1, 2):
                name = _clean_name(title.group(g))
                if name and name_key(name) not in known:
                    at = title.start(g)
                    names.append((name, at, at + len(name)))
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
        k = name_key(n[0])
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
