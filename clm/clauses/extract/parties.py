"""Party names: the legal names a contract is made between, read from its opening (preamble,
title page, letter salutation, form headers) or, for joint filings, its signature blocks."""
from __future__ import annotations

import re

from clm.clauses.extract.fields import Found

# "PREAMBLE" is no stop: it heads the sentence that names the parties
_PRE_STOP = re.compile(r"\b(?:WHEREAS|W\s?I\s?T\s?N\s?E\s?S\s?S\s?E\s?T\s?H|RECITALS?|NOW,?\s+THEREFORE|BACKGROUND"
                       r"|IN\s+CONSIDERATION\s+OF|The\s+parties\s+(?:hereto\s+)?agree)\b")
_BETWEEN = re.compile(r"\b(?:by\s+and\s+(?:between|among)|between|among)\b\s*:?"
                      r"|\b(?:entered\s+into|made|executed|agreement|contract)\s+(?:\w+\s+){0,6}?(?:by|with)\b(?!\s+and\s+(?:between|among))\s*:?",
                      re.IGNORECASE)
_DEFINED = re.compile(r"\(\s*(?:[^()\"“”]{0,100}?\b(?:referred\s+to|called|defined|known)\s+(?:herein\s+)?(?=as\b))?"
                      r"(?:hereinafter\s+)?(?:(?:each|individually|collectively|together)[^()]{0,60}?)?(?:hereinafter|hereafter|herein)?\s*"
                      r"(?:(?:called|referred\s+to\s+as|defined\s+as|known\s+as)\s+)?(?:as\s+)?(?:the\s+|this\s+)?"
                      r"[\"“”'‘’]+\s*([^\"“”'‘’()]{1,60}?)\s*[\"“”'‘’]+[^()]{0,160}?\)"
                      # no parentheses: ', referred to in this Agreement as "Company" or "Boyd"'
                      r"|,?\s*(?:hereinafter\s+)?(?:referred\s+to|called)\s+(?:in\s+this\s+agreement\s+|herein\s+)?as\s+"
                      r"(?:the\s+)?[\"“]([^\"“”()]{1,60}?)[\"”](?:\s*(?:or|and|,)\s*[\"“][^\"“”()]{1,60}?[\"”])*"
                      # unquoted: "(hereinafter referred to as Party A)"
                      r"|\(\s*(?:hereinafter\s+)?(?:referred\s+to\s+as\s+|called\s+)?(?:the\s+)?(Party\s+[A-D])\s*\)",
                      re.IGNORECASE)
_DESCRIPTOR = re.compile(
    r",?\s+(?:(?:is|being)\s+)?(?:a|an)\s+(?:[\w.'’-]+\s+){0,6}?(?:corporation|company|limited|partnership|llc|"
    r"association|organi[sz]ation|bank|entity|institution|individual|resident|national|citizen|"
    r"business|subsidiary|agency|trust|foundation|university|societe|société|aktiengesellschaft|gmbh|"
    r"public|private|joint|state|federal|non-?profit|not-for-profit|registered|"
    # a public body: "the City of Fort Stockton, Texas, a Texas Type A-General Law city"
    r"city|county|municipality|town|village|district|authority)\b"
    r"|,\s+(?:not\s+individually|(?:but\s+)?solely\s+(?:as|in))\b"
    r"|,\s+[A-Z][a-z]+\s+Branch\b"                                 # "UBS AG, London Branch"
    r"|,\s+as\s+(?-i:[A-Z][a-z]+)\b"                                 # a capacity: "VERIZON ABS LLC, as Depositor"
    r"|,?\s+(?:and|together\s+with)\s+its\s+(?:\w+\s+)?(?:affiliates|subsidiaries|associated)\b"   # "X, Inc. and its affiliates"
    r"|,\s+(?-i:[A-Z][a-z]+\s+(?:corporation|limited\s+liability\s+company|limited\s+partnership))\b"  # ", Delaware corporation"
    r"|,?\s+(?:listed|identified|named|set\s+forth|described)\s+(?:on|in)\s+(?:Schedule|Exhibit|Annex|Appendix|Attachment)\b"
    # "incorporated under the laws of", never the suffix of "ACCURAY INCORPORATED, a Delaware corporation"
    r"|,?\s+(?:having|with\s+(?:its|an?|offices?|principal)|whose|located|organi[sz]ed|existing|c/o|"
    r"incorporated(?=\s+(?:in|under|and|pursuant|as|with|on)\b)|"
    r"residing|of\s+\d|at\s+\d|address|registered|acting|on\s+behalf|a\s+division|its\s+principal|"
    r"duly|represented|domiciled|through\s+its|registration|company\s+(?:registration\s+)?(?:no|number))\b"
    r"|,\s+(?:an\s+)?individual\b"                                 # "Bruce Jenner, Individual"
    r"|,?\s+\(?\s*(?:formerly|hereinafter|as\s+successor)\b"
    # a street address: "2450 White Road", "of 512 Bayshore Dr", "Suite 207", "P.O. Box 4324"
    r"|,?\s+(?:(?:of|at)\s+)?(?:\d{2,6}[A-Z]?\s+(?:[A-Z]|Box\b)|P\.?\s?O\.?\s+Box\b|(?:Suite|Room|Unit)\s+\d)"
    r"|,?\s+(?:of|at)\s+\["                                         # "of [address removed]"
    r"|,?\s+\d{1,3}(?:st|nd|rd|th)\s+Floor\b"                          # "2nd Floor, Transpacific Haus"
    # a parenthesis ends the name, unless a corporate suffix follows it: "TOM Online (BVI) Limited"
    r"|\s*\((?![^()\"“”]{1,30}\)\s*(?:[A-Z][\w&.-]*\s+){0,3}?(?:Limited|Ltd|Inc|LLC|L\.?P|Corp|Corporation|Co|GmbH"
    r"|S\.?A|B\.?V|N\.?V|plc|AG|Pte|Pty)\b)", re.IGNORECASE)
_GENERIC_TERMS = {"agreement", "effective date", "parties", "party", "this agreement", "amendment",
                  "contract", "each", "letter", "term", "territory", "products", "product", "services",
                  "hereafter", "hereinafter", "herein"}
#: Roles, not names: a party's name is what such a role is defined for.
_ROLES = {"company", "consultant", "customer", "client", "supplier", "distributor", "reseller", "dealer",
                  "licensor", "licensee", "franchisor", "franchisee", "agent", "seller", "buyer", "purchaser",
                  "vendor", "contractor", "provider", "manufacturer", "member", "employee", "executive",
                  "subcontractor", "subscriber", "user", "you", "we", "us", "covered entity", "business associate"}
#: A document's title names no party.
_DOCUMENT_TITLE = re.compile(r"\b(?:agreement|contract|amendment|addendum|terms(?:\s+of\s+(?:service|use|sale))?|policy"
                             r"|conditions|program|programme)$")
#: Words that open a sentence, not a name, and words only prose has.
_PROSE_LEAD = {"welcome", "although", "your", "our", "if", "when", "please", "thank", "thanks", "because", "unless",
               "while", "whereas", "notwithstanding"}
_PROSE_ONLY = {"that", "this", "these", "those", "which", "whom", "whose", "purpose", "please", "shall", "will",
               "must", "should", "would", "could", "hereby", "your", "our", "their"}
_MONTHS = {"january", "february", "march", "april", "may", "june", "july", "august", "september", "october",
           "november", "december"}
_CORP = re.compile(r"\b(?:inc|incorporated|corp|corporation|company|co|llc|l\.l\.c|ltd|limited|plc|lp|l\.p|llp|"
                   r"gmbh|ag|s\.a|sa|b\.v|bv|n\.v|nv|pty|s\.p\.a|srl|sarl|ab|oy|kk|holdings?|group|trust|bank|"
                   r"university|partners|partnership|fund|association|foundation)\b\.?", re.IGNORECASE)


_COMPANY = re.compile(r"(?<![\w&.-])(?:(?:[A-Z0-9][\w&'.-]*|&)\s+){0,5}[A-Z][\w&'.-]*,?\s+(?:Inc|LLC|L\.L\.C|Ltd|Corporation|Corp"
                      r"|Limited|L\.P|LLP|GmbH|S\.A|B\.V|N\.V|plc|PLC|AG|Co)\b\.?")
_CORP_OF = re.compile(r"(.*?\b(?:Inc|LLC|L\.L\.C|Ltd|Limited|Corporation|Corp|Company|GmbH|plc|PLC|AG|S\.A|B\.V|N\.V"
                      r"|Pty)\b\.?),?\s+of\s+(?=[A-Z0-9])")
# lower-case words before a name: "and", "on the other hand, and", "its subsidiary", "as agent for"
_LOWER_LEAD = re.compile(r"[),\s]*(?:[a-z][a-z'-]*,?\s+){1,10}(?=[A-Z])")
_EXHIBIT_LEAD = re.compile(r"(?:Exhibit|Schedule|Annex|Appendix|Attachment)\s+[\d.]+[A-Z]?\s+(?:[A-Z&,-]{2,}\s+)*(?=[A-Z])")
_NOT_A_NAME = re.compile(r"(?:Exhibit|Schedule|Annex|Appendix|Section|Article|Attachment)\b", re.IGNORECASE)
_ABBREVIATED_END = re.compile(r"\b(?:Inc|INC|Corp|CORP|Co|CO|Ltd|LTD|N\.A|S\.A|B\.V|N\.V|L\.P|L\.L\.C|P\.C)$")
# a place, not a party: "the People's Republic of China", "State of Delaware", "United States of America"
_PLACE = re.compile(r"(?:the\s+)?(?:(?:People'?s\s+)?Republic|State|Commonwealth|Province|Kingdom)\s+of\b"
                    r"|(?:the\s+)?United\s+(?:States|Kingdom)\b", re.IGNORECASE)
_SMALL_WORDS = {"of", "and", "the", "de", "for", "in", "on", "du", "des", "la", "le", "von", "van", "&"}
#: Words no lower-case name ("i-on interactive", "drkoop.com, inc.") contains.
_NOT_IN_A_LOWER_CASE_NAME = {
    "the", "a", "an", "this", "that", "such", "its", "his", "her", "their", "each", "said", "above", "below",
    "named", "party", "parties", "and", "or", "of", "to", "for", "as", "by", "in", "on", "with", "who",
    "which", "is", "are", "be", "any", "all", "other", "hereto", "herein", "set", "forth", "having",
    "located", "whose", "being", "acting", "doing", "business", "offices", "address", "principal",
}
_ENTITY_DESCRIPTOR = re.compile(r",?\s+(?:(?:is|being)\s+)?(?:a|an)\s", re.IGNORECASE)


def _not_a_name(s: str, low: str) -> bool:
    """Return whether a cleaned candidate is something other than a party's name."""
    words = low.split()
    return bool(
        len(re.sub(r"\W", "", s)) < 3
        or (words[0] in _MONTHS and re.fullmatch(r"\w+(?:\s+\d[\d,]*)*", low))      # "May 21"
        or low in _GENERIC_TERMS or low in _ROLES or low.startswith(("this ", "these ", "such "))
        or re.fullmatch(r"party\s+\w", s, re.IGNORECASE) or _NOT_A_NAME.match(s)
        or _DOCUMENT_TITLE.search(low)                  # "AI Addendum", "GitHub Corporate Terms of Service"
        or re.match(r"\d{1,3}(?:,\d{3})+\b", s)        # "4,500,000 Trust Preferred ... Securities"
        or _PLACE.match(s)
        or _CORP.fullmatch(re.sub(r"^the\s+", "", s, flags=re.IGNORECASE).strip(" ,."))
        # prose, not a name: "Welcome to GitHub Marketplace", "CUSTOMER FOR THAT PURPOSE"
        or words[0] in _PROSE_LEAD
        or any(w.lower() in _PROSE_ONLY and (w.islower() or s.isupper()) for w in s.split()))


def _clean_name(chunk: str) -> str | None:
    flat = re.sub(r"\s+", " ", chunk).replace("\xad", "-")          # a soft hyphen: "Massachusetts-chartered"
    flat = re.sub(r"\s+,", ",", flat)                                 # "GROUPE PARAMEUS CORP , a Florida ..."
    s = flat.strip(" ,;:.\n\t●•·*")
    s = re.sub(r"^(?:(?:and|by|between|among|with|&|,|[-–]+)\s+)+", "", s, flags=re.IGNORECASE)   # "- and - X"
    s = re.sub(r"^(?:parties\s*:?\s*)?(?:\d+[.)]|\(?[a-z0-9]{1,3}\))\s*", "", s, flags=re.IGNORECASE)
    s = re.sub(r"^(?:(?:and|by|between|among|with|&|,)\s+)+", "", s, flags=re.IGNORECASE)
    m = _DESCRIPTOR.search(s)
    entity = False                    # the name is followed by what it is: ", a Florida corporation"
    if m and m.start() > 0:
        entity = bool(_ENTITY_DESCRIPTOR.match(m.group(0)))
        s = s[:m.start()]
    s = s.strip(" ,;:\"“”'")
    corp_of = _CORP_OF.match(s)                  # "Tigrent Learning UK Limited of Boston House"
    if corp_of:
        s = corp_of.group(1)
    s = re.sub(r"^(?:the\s+)?undersigned\b[,:]?\s*(?=[A-Z])", "", s, flags=re.IGNORECASE)   # "The undersigned, Dundee ..."
    s = re.sub(r"^[A-Za-z]+(?:\s+[A-Za-z]+)?\s*:\s*(?=\S)", "", s)    # a form label: "From: UBS AG", "Company: Bravatek"
    if not s or len(s) > 200:
        return None
    exhibit = _EXHIBIT_LEAD.match(s)                # "Exhibit 10.7 CONSULTING AGREEMENT Aduro Biotech, Inc"
    if exhibit:
        s = s[exhibit.end():]
    lead = _LOWER_LEAD.match(s)
    if lead and _CORP.fullmatch(s[lead.end():].strip(" ,.")):
        lead = None                                   # "e-centives, Inc.": the lower-case words are the name
    # a lower-case name ("i-on interactive", "drkoop.com, inc."): short, no prose, and a corporate
    # suffix or ", a Florida corporation" after it says it is one
    lower_name = (not re.match(r"[A-Z0-9]", s) and (entity or bool(_CORP.search(s))) and len(s.split()) <= 4
                  and bool(re.search(r"\w[.-]\w|\d", s) or _CORP.search(s))
                  and not any(w.strip(",.") in _NOT_IN_A_LOWER_CASE_NAME for w in s.lower().split()))
    if lead and not lower_name:
        # "and Parcelway Courier Systems", "as administrator for Twentieth Century Fox"
        s = s[lead.end():]
    elif lower_name:
        pass
    elif not re.match(r"[A-Z0-9]", s) and not _CORP.search(s):
        # "professional golfer, TOM WATSON": the name is the capitalised piece
        pieces = [p.strip() for p in s.split(",") if re.match(r"\s*[A-Z0-9]", p)]
        if not pieces:
            return None
        s = pieces[0]
    s = re.sub(r",?\s+(?:a|an)$", "", s)                            # a form left blank: "GROUPE PARAMEUS CORP , a ("
    if len(s) > 90 or len(s.split()) > 12:
        return None
    low = s.lower()
    first_words = low.split()[:2]
    if len(first_words) == 2 and first_words[0] in _ROLES and s.split()[1][0].islower():
        return None                                   # a role in a sentence: "Seller on , in Hong Kong"
    if _not_a_name(s, low):
        return None
    # (not counting "d/b/a", "f/k/a": "Cellco Partnership d/b/a Verizon Wireless")
    words = [w for w in re.findall(r"[^\W\d_][\w'&.-]*", re.sub(r"\b[dfan]/[bk]/a\b", " ", s, flags=re.IGNORECASE))
             if w.lower() not in _SMALL_WORDS]
    capitalised = sum(w[0].isupper() for w in words)
    # a name is mostly capitalised words; without a corporate suffix, short and wholly so
    if not words or (capitalised < 0.5 * len(words) and not lower_name):
        return None
    if not _CORP.search(s) and (len(words) > 8 or capitalised < 0.75 * len(words)) and not lower_name:
        return None
    if _ABBREVIATED_END.search(s) and s + "." in flat:
        s += "."                                      # "Inc." keeps the period the sentence end took
    return s


_SUFFIX_WORDS = {"inc", "incorporated", "corp", "corporation", "co", "company", "llc", "ltd", "limited", "plc",
                 "lp", "llp", "sa", "ag", "nv", "bv", "gmbh", "pty", "na", "pc"}
# A filing legend ("... filed separately with the Securities and Exchange Commission ...") is no preamble.
# Its tail stops at "between": "... FILED WITH THE COMMISSION  ACCURAY ... entered into by and between ACCURAY ...".
_LEGEND = re.compile(r"[^.\n]{0,300}(?:Securities\s+and\s+Exchange\s+Commission|confidential\s+treatment)"
                     r"(?:(?!\b(?:between|among)\b)[^.\n]){0,300}", re.IGNORECASE)


_TAIL_PARTY = re.compile(r"[^.;\n]{0,160}?(?:\n[ \t]*)?[,;)\s]\s*and\s+(?=[A-Z0-9])", re.DOTALL)


# (or "AMONG / X, as Issuer, / Y, as Depositor / AND / Z, as Servicer": several lines before the "and")
_TITLE_PARTIES = re.compile(r"\b(?:between|among)\b:?[ \t]*\n?\s*((?:[^\n]{2,120}?[ \t]*\n\s*){1,4}?)(?:and\b|&):?[ \t]*\n?\s*"
                            r"([^\n]{2,120}?)[ \t]*(?:\n|$)", re.IGNORECASE)
# a cover page without "between": "CHINA ECONOMIC INFORMATION SERVICE ... / AND / XINHUA FINANCIAL NETWORK LIMITED"
_TITLE_AND = re.compile(r"(?:^|\n)[ \t]*([^\n]{2,120}?)[ \t]*\n\s*(?:AND|&)[ \t]*\n\s*([^\n]{2,120}?)[ \t]*(?:\n|$)")
# a defined term soon after a name: ', a Delaware corporation ("FibroGen")'
_TERM_AFTER = re.compile(r"[^()\n]{0,250}?\(\s*(?:the\s+|hereinafter\s+)?[\"“]?[A-Z][^()\n]{0,40}\)")
# the number of a party in a list: "(1) SHBV ...; and (2) WASTE2ENERGY ..."
_ENUM = re.compile(r"(?:^|[\s;,])\(\s*(?:\d{1,2}|[a-h]|ii|iii|iv)\s*\)\s+(?=[A-Z])")
# "and" between two parties in one chunk: "X, a Delaware corporation, and Y Ltd."
_AND_SEP = re.compile(r"(?:[,;]\s*|\s+)(?:and|And)\s+(?=[A-Z0-9])")
# a term for several parties at once: '(collectively, the "Marathon Parties")', '(individually the "Member" ...)'
_COLLECTIVE = re.compile(r"\b(?:collectively|together|individually|each|jointly)\b", re.IGNORECASE)
# the end of the sentence that names the parties (not the period of "Inc." or "U.S.A.")
_SENTENCE_END = re.compile(r"(?<![A-Z])(?<!\bInc)(?<!\bCo)(?<!\bLtd)(?<!\bCorp)(?<!\bNo)(?<!\bSt)(?<!\bMr)(?<!\bMs)(?<!\bDr)"
                           r"\.\s+(?=[A-Z])(?!AND\b|And\b)")
# another agreement and its parties: "as an amendment to that certain Joint Venture Agreement dated ... by and among"
_OTHER_AGREEMENT = re.compile(r"\bthat\s+certain\b|\bdated\b[^()]{0,80}?\b(?:between|among)\b", re.IGNORECASE)
# parties that are only "the undersigned" (a joint filing agreement), and a signatory before "By:" or "/s/"
_UNDERSIGNED = re.compile(r"\bthe\s+undersigned\s+(?:hereby\s+)?(?:agree|acknowledge|confirm)", re.IGNORECASE)
_SIGNATORY = re.compile(r"(?<![\w&'.,-])((?:[A-Z][A-Z0-9&'.,()/À-Þ-]*[ \t]+)(?:(?:[A-Z0-9][A-Z0-9&'.,()/À-Þ-]*|&)[ \t]+){0,8}?"
                        r"[A-Z0-9][A-Z0-9&'.()À-Þ-]*)\s*(?=By:|/s/)")
# a letter agreement: the parties are named after the salutation, not in a "between" clause
_SALUTATION = re.compile(r"\b(?:Dear\s+(?:[A-Z][\w.'-]*\s+){0,3}[A-Z][\w.'-]*|Ladies\s+and\s+Gentlemen|Gentlemen|Dear\s+Sirs?)\s*:")
# a form that lists the parties by letter: "Party A: Beike Internet ... Co., Ltd.  Party B: ..."
_PARTY_LETTER = re.compile(r"\bParty\s+([A-D])[ \t]*[:：][ \t]*([^\n]{2,120}?)"
                           r"(?=\s*\bParty\s+[A-D]\s*[:：]|\s+[A-Z][A-Za-z]*(?:\s+[A-Za-z]+)?\s*[:：]|[ \t]{3,}|\n|$)")
# a party the preamble points to instead of naming: 'the company set forth below ("Company")', 'the above-named Supplier'
_FORM_POINTER = re.compile(r"\b(?:set\s+forth|identified|named|listed|specified)\s+(?:below|above)[^()\"“]{0,40}"
                           r"\(\s*(?:the\s+)?[\"“]([^\"“”]{1,40})[\"”]"
                           r"|\b(?:above|below)-?named\s+([A-Z]\w+)")
# two parties on one line: "Commnet Wireless, LLC And AT&T Mobility LLC", "Tate & Lyle PLC, and Igene Biotechnology, Inc."
_JOINED = re.compile(r"(.+?\b(?:Inc|LLC|L\.L\.C|Ltd|Corp|Corporation|Limited|PLC|plc|L\.P|LP|GmbH|AG|S\.A|B\.V|N\.V)\.?)"
                     r",?\s+(?:and|And|AND)\s+([A-Z0-9].+)$")


def name_key(name: str) -> str:
    """Return the key two spellings of one party share: "Acme, Inc." and "ACME Inc" -> "acme"."""
    # dotted abbreviations are one word ("L.P." -> "lp"), so "CLARUS IV-B, L.P." keeps its "b"
    low = re.sub(r"(?<![a-z])([a-z])\.(?=[a-z]\b)", r"\1", name.lower())
    words = re.findall(r"[a-z0-9]+", low.replace("&", " and "))
    while words and words[-1] in _SUFFIX_WORDS:
        words.pop()
    while words and words[0] == "the":
        words.pop(0)
    return " ".join(words) or name.lower()


def _locate(pre: str, name: str, start: int) -> tuple[int, int]:
    """Return the span of ``name`` in ``pre`` at or after ``start``, whatever whitespace the text has in it."""
    m = re.compile(r"\s+".join(re.escape(w) for w in name.split())).search(pre, max(0, start))
    if m is None and start > 0:
        m = re.compile(r"\s+".join(re.escape(w) for w in name.split())).search(pre)
    return (m.start(), m.end()) if m else (-1, -1)


def _chunk_names(pre: str, cand: str, at: int, collective: bool, blocks: bool = False) -> list[tuple[str, int, int]]:
    """Return the names in ``cand`` (the text before a defined term, starting at ``at`` in ``pre``).

    Usually one name opens it. A collective term ("(collectively, the "Marathon Parties")") closes a
    list: "X LLC, Y L.P. and Mario Cibelli". And "X, a Public corporation, ..., and Beijing CC-Pharming
    Ltd. of Beijing" names two parties when only the last one is given a term.
    """
    found: list[tuple[str, int, int]] = []
    first = _clean_name(cand)
    laid_out = re.split(r"[ \t]{3,}", cand.strip())
    if first is None and blocks and len(laid_out) > 1:
        # a laid-out page: "... Resort Hotel   The Covenanter: The HUANG JIA Country CLUB and Recreation Inc."
        first = _clean_name(laid_out[-1])
    if first:
        found.append((first, *_locate(pre, first, at)))
    last_and = None
    for last_and in _AND_SEP.finditer(cand):
        pass
    if last_and is not None and (collective or (first and _DESCRIPTOR.search(cand[:last_and.start()]))):
        piece = re.split(r"\n\s*\n", cand[last_and.end():])[0]
        name = _clean_name(piece) if re.match(r"\s*[A-Z0-9]", piece) else None
        if name and (collective or _CORP.search(name)) and name_key(name) not in {name_key(f[0]) for f in found}:
            if first and name in first:               # "X Company, and Y, Inc., a registered broker": split it
                head_name = _clean_name(cand[:last_and.start()])
                found = [(head_name, *_locate(pre, head_name, at))] if head_name else []
            found.append((name, *_locate(pre, name, at + last_and.end())))
    if collective:
        taken = [(s, e) for _, s, e in found]
        for m in _COMPANY.finditer(cand):
            s, e = at + m.start(), at + m.end()
            if any(s < te and ts < e for ts, te in taken):
                continue
            name = _clean_name(m.group(0))
            if name:
                found.append((name, *_locate(pre, name, s)))
                taken.append((s, e))
    return sorted(found, key=lambda n: n[1])


def _listed_party(cand: str) -> str | None:
    """Return the party a comma opens after the previous one's descriptor, if it has a descriptor of its own.

    ', a newly formed Maryland corporation, Hyde Park Bancorp, MHC, a Massachusetts chartered mutual
    holding company' -> 'Hyde Park Bancorp, MHC, a Massachusetts ...'; an address ('..., New York') has none.
    """
    flat = cand.replace("\xad", "-")
    for m in re.finditer(r",\s+(?=[A-Z0-9])", flat):
        piece = flat[m.end():]
        name = _clean_name(piece)
        if not name:
            continue
        at = _locate(piece, name, 0)[1]
        after = _DESCRIPTOR.match(piece, at) if at >= 0 else None
        if after and _ENTITY_DESCRIPTOR.match(after.group(0)):
            return cand[m.end():]
    return None


def _defined_parties(pre: str, origin: int) -> tuple[list[tuple[str, int, int]], dict[str, str], int]:
    """Return (names, {defined term: name}, end of the last party's term) for the terms defined after ``origin``."""
    names: list[tuple[str, int, int]] = []
    aliases: dict[str, str] = {}
    last = party_end = origin
    for m in _DEFINED.finditer(pre, origin):
        term_ = (m.group(1) or m.group(2) or m.group(3)).strip().lower()
        chunk_at = last
        chunk = pre[last:m.start()]
        last = m.end()
        if term_ in _GENERIC_TERMS or "agreement" in term_ or "date" in term_:
            continue
        # the sentence that names the parties has ended: later terms define other things
        if len(names) >= 2 and (_SENTENCE_END.search(chunk) or _OTHER_AGREEMENT.search(chunk)):
            break
        # the name opens the chunk (descriptors follow it), after any "between"
        bw = None
        for bw in re.finditer(r"\b(?:between|among)\b", chunk, re.IGNORECASE):
            pass
        if bw is not None:
            chunk_at += bw.end()
            chunk = chunk[bw.end():]
        # a name does not run across a blank line (title pages list the parties one per line)
        para = [p for p in re.split(r"\n\s*\n", chunk.strip()) if p.strip()]
        cand = para[-1] if para else chunk
        # "and ENTERPRISE PRODUCTS OPERATING L.P., a Delaware limited partnership / P.O. Box 4324 ...": an
        # address paragraph after the name
        if len(para) >= 2 and re.match(r"\s*(?:P\.?\s?O\.?\s+Box|\d)", cand, re.IGNORECASE) \
                and re.match(r"\s*(?:and|between|among)\b", para[-2], re.IGNORECASE):
            cand = para[-2]
        # numbered parties: "(1) SHBV (HONG KONG) LTD, a company ... ("SHBV"); and ... (2) WASTE2ENERGY ..."
        enum = None
        for enum in _ENUM.finditer(cand):
            pass
        if enum is not None:
            cand = cand[enum.end():]
        # ', a Nevada corporation, and TruckThat LLC': the previous party's descriptor comes first
        # (or the previous party's capacity: ', as Administrator for X', ', in the person of its Director ...')
        if re.match(r"[\s,]*(?:a|an|its|having|with|whose|located|of|which|organi[sz]ed|incorporated|as|for"
                    r"|acting|represented|established|existing|registered|duly|in(?!\s+favou?r))\b", cand, re.IGNORECASE):
            sep = None
            for sep in re.finditer(r"\band\b|;", cand, re.IGNORECASE):
                pass
            if sep is None:
                listed = _listed_party(cand)
                if listed is None:
                    # "..., with an address at ..., Japan, Fujitsu Semiconductor Limited ("FSL")": a company
                    # name closes the chunk right before its term
                    last_co = None
                    for last_co in _COMPANY.finditer(cand):
                        pass
                    # (a list item after a comma, not "as Administrator for X Corporation" or "a Nevada Corporation")
                    if last_co is None or cand[last_co.end():].strip(" ,\n\t") \
                            or not re.search(r",\s*$", cand[:last_co.start()]):
                        continue
                    listed = last_co.group(0)
                cand = listed
            else:
                cand = cand[sep.end():]
        cand_at = pre.find(cand, chunk_at) if cand else chunk_at
        collective = bool(m.group(1)) and bool(_COLLECTIVE.search(pre, m.start(), m.start(1)))
        found = _chunk_names(pre, cand, max(cand_at, chunk_at), collective, blocks=len(names) < 2)
        for name, s, e in found:
            names.append((name, s if s >= 0 else m.start(), (s if s >= 0 else m.start()) + len(name)))
        if found:
            aliases.setdefault(term_, found[-1][0])
            party_end = m.end()
    return names, aliases, party_end


def _preamble_span(text: str, name: str, start: int) -> tuple[int, int] | None:
    """Return where the preamble after a title page (and its table of contents) names ``name`` with a term."""
    name_re = re.compile(r"\s+".join(re.escape(w) for w in name.split()), re.IGNORECASE)
    for m in name_re.finditer(text, start, start + 30000):
        if _TERM_AFTER.match(text, m.end()):
            return m.start(), m.end()
    return None


def _signatories(text: str) -> list[tuple[str, int, int]]:
    """Return the entities a signature block names: "ABP TRUST /s/ ...", "CLARUS IV-A, L.P. By: ... its general
    partner By: /s/ ..." (an entity after "By:" signs for another; it is a party only where it signs for itself)."""
    found: list[tuple[str, int, int]] = []
    opening = None                     # the text before the first signature
    for m in _SIGNATORY.finditer(text, 0, 20000):
        opening = m.start() if opening is None else opening
        if re.search(r"By:\s*$", text[max(0, m.start() - 12):m.start()]):
            continue
        name = _clean_name(m.group(1))
        first = name.split()[0].strip(",").lower() if name else ""
        # the capitals end a mixed-case name: "Yorkville Advisors Global II, LLC By:" -> "II, LLC"
        if not name or re.fullmatch(r"[ivx]+|gp", first) or first in _SUFFIX_WORDS or name.count("(") != name.count(")"):
            continue
        if name_key(name) not in {name_key(f[0]) for f in found}:
            # where the text names it first: "the joint filing of Clarus IV-A, L.P., Clarus IV-B, L.P., ..."
            ref = re.compile(r"\s+".join(re.escape(w) for w in name.split()), re.IGNORECASE).search(text, 0, opening)
            found.append((name, *(ref.span() if ref else (m.start(1), m.start(1) + len(name)))))
    return found


def _form_parties(head: str) -> list[tuple[str, int, int]]:
    """Return the parties a form header lists: "Party A: Beike Internet ... Co., Ltd." / "Party B: ..."."""
    found: dict[str, tuple[str, int, int]] = {}
    for m in _PARTY_LETTER.finditer(head):
        name = _clean_name(m.group(2))
        if name and m.group(1) not in found:
            found[m.group(1)] = (name, *_locate(head, name, m.start(2)))
    return list(found.values()) if len(found) >= 2 else []


def _form_field(head: str, term_: str) -> tuple[str, int, int] | None:
    """Return the name a form gives a party the preamble only points to ("the company set forth below")."""
    field_re = re.compile(r"(?:^[ \t]*|(?<=[ \t]{2}))(?:" + re.escape(term_)
                          + r"|Company)(?:[ \t]+Name)?[ \t]*:[ \t]*(\S[^\n]{1,100})", re.MULTILINE)
    for m in field_re.finditer(head):
        name = _clean_name(re.split(r"\s{3,}|\b(?:Telephone|Tel|Phone|Fax|Address|E-?mail)\b", m.group(1))[0])
        if name:
            return (name, *_locate(head, name, m.start(1)))
    return None


def parties(text: str) -> tuple[Found | None, int]:
    """Return (parties, end of preamble) from the opening of the contract."""
    head = text[:6000]
    stop = _PRE_STOP.search(head, 40)
    pre_end = stop.start() if stop else min(len(head), 3000)
    # blank out filing legends, keeping every offset
    pre = _LEGEND.sub(lambda m: " " * len(m.group(0)), text[:pre_end])
    bm = _BETWEEN.search(pre)
    origin = bm.end() if bm else 0
    # a letter agreement names the parties after "Ladies and Gentlemen:"
    sal = _SALUTATION.search(pre, 0, 2500)
    if sal and (bm is None or sal.start() < bm.start()):
        origin = sal.end()
    names, aliases, party_end = _defined_parties(pre, origin)
    if not names and origin:
        # "between" only in a recital ("Agreement between the parties"): the terms came before it
        names, aliases, party_end = _defined_parties(pre, 0)
        if names:
            origin = 0
    # the terms defined before "between" too: "ACM" in "... by and between SLD and ACM"
    if origin:
        for term_, full in _defined_parties(pre, 0)[1].items():
            aliases.setdefault(term_, full)
    if names:
        # '... ("Northwind"), and Kestrel Corporation 780 Harbor Expressway ...': a last party
        # named without a defined term of its own
        tail = _TAIL_PARTY.match(pre, party_end)
        # (not from inside a parenthesis: '("Joint Venture Company") (each of Loop and Joint Venture Company is a ...')
        if tail and tail.group(0).count("(") <= tail.group(0).count(")"):
            piece = re.split(r"\n\s*\n|\(|(?<![A-Z])\.\s|\.\s+(?=[A-Z][a-z]+\s+[a-z])", pre[tail.end():tail.end() + 300].lstrip(),
                             maxsplit=1)[0]
            name = aliases.get(piece.strip(" ,;.").lower()) or _clean_name(piece)
            if name and not _DEFINED.match(piece):
                names.append((name, *_locate(pre, name, tail.end())))
    if len(names) < 2:
        # a title page: "BETWEEN / ASTELLAS PHARMA INC. / AND / FIBROGEN, INC.", one party per line
        title = _TITLE_PARTIES.search(pre, 0, 2500) or _TITLE_AND.search(pre, 0, 2500)
        if title:
            known = {name_key(n[0]) for n in names}
            lines = [(m.group(0), title.start(1) + m.start()) for m in re.finditer(r"[^\n]+", title.group(1))
                     if m.group(0).strip()] + [(title.group(2), title.start(2))]
            for line, line_at in lines:
                # a title line runs into other headings after a wide gap: "G.I.E.   AZUL-ATR   Amendment N° 1"
                name = _clean_name(re.split(r"[ \t]{3,}", line.strip())[0])
                if name and title.re is _TITLE_AND and not (_CORP.search(name) or name.isupper()):
                    continue
                if name and name_key(name) not in known:
                    span = _preamble_span(text, name, title.end()) or _locate(pre, name, line_at)
                    names.append((name, *span))
    if not names and _UNDERSIGNED.search(pre):
        # "the undersigned hereby agree to the joint filing ...": the parties are those who sign
        names = _signatories(text)
    if not names and bm:
        body = pre[origin:]
        # the sentence ends at a full stop, not at the one of "Inc." ("X Inc. and Y LLC.")
        body = re.split(r"(?<!\b[A-Z])(?<!\bInc)(?<!\bCo)(?<!\bLtd)(?<!\bCorp)\.\s(?!\s*(?:and|And|AND)\b)|\n\n",
                        body, maxsplit=1)[0]
        for piece in re.split(r"\band\b|;", body):
            name = _clean_name(piece)
            if name:
                names.append((name, *_locate(pre, name, origin)))
            if len(names) >= 4:
                break
    # a party the preamble only points to: "and the company set forth below ("Company") ... Company: Bravatek"
    for m in _FORM_POINTER.finditer(pre, origin):
        field = _form_field(head, m.group(1) or m.group(2))
        if field and name_key(field[0]) not in {name_key(n[0]) for n in names}:
            names.append(field)
    # "Party A: ... / Party B: ...": a form that lists the parties
    form = _form_parties(pre)
    if form:
        names = form
    if not names:
        # no "between ... and ..." frame: fall back to company names with a corporate suffix
        for m in _COMPANY.finditer(pre):
            name = _clean_name(m.group(0))
            if name:
                names.append((name, *_locate(pre, name, m.start())))
            if len(names) >= 2:
                break
    # a party named by the term an earlier sentence defined for it: "... by and between SLD and ACM"
    out: list[tuple[str, int, int]] = []
    for name, s, e in names:
        full = aliases.get(name.lower())
        if full and full.lower() != name.lower():
            name, (s, e) = full, _locate(pre, full, 0)
        # "Commnet Wireless, LLC And AT&T Mobility LLC": two parties on one title line
        joined = _JOINED.match(name)
        if joined and (_CORP.search(joined.group(2)) or len(joined.group(2).split()) >= 2):
            a, b = joined.group(1), joined.group(2)
            out.append((a, *_locate(pre, a, max(s, 0))))
            name, (s, e) = b, _locate(pre, b, max(s, 0))
        out.append((name, s, e))
    seen: set[str] = set()
    uniq = []
    for n in out:
        k = name_key(n[0])
        if k not in seen:
            seen.add(k)
            uniq.append(n)
    if not uniq:
        return None, pre_end
    return Found([n[0] for n in uniq], [(n[1], n[2]) for n in uniq if n[1] >= 0], 0.8), pre_end
