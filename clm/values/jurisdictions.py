"""Jurisdictions: a canonical name ("New York", "England and Wales") read from "the laws of the State of New York"."""

from __future__ import annotations

import re
from dataclasses import dataclass

from clm.values import ValueReadError

WHAT = "a jurisdiction"
EXAMPLE = "'Delaware' or 'England and Wales'"

#: US states (and DC, Puerto Rico) by postal code.
US_STATE_CODES = {
    "AL": "Alabama", "AK": "Alaska", "AZ": "Arizona", "AR": "Arkansas", "CA": "California",
    "CO": "Colorado", "CT": "Connecticut", "DE": "Delaware", "FL": "Florida", "GA": "Georgia",
    "HI": "Hawaii", "ID": "Idaho", "IL": "Illinois", "IN": "Indiana", "IA": "Iowa", "KS": "Kansas",
    "KY": "Kentucky", "LA": "Louisiana", "ME": "Maine", "MD": "Maryland", "MA": "Massachusetts",
    "MI": "Michigan", "MN": "Minnesota", "MS": "Mississippi", "MO": "Missouri", "MT": "Montana",
    "NE": "Nebraska", "NV": "Nevada", "NH": "New Hampshire", "NJ": "New Jersey", "NM": "New Mexico",
    "NY": "New York", "NC": "North Carolina", "ND": "North Dakota", "OH": "Ohio", "OK": "Oklahoma",
    "OR": "Oregon", "PA": "Pennsylvania", "RI": "Rhode Island", "SC": "South Carolina",
    "SD": "South Dakota", "TN": "Tennessee", "TX": "Texas", "UT": "Utah", "VT": "Vermont",
    "VA": "Virginia", "WA": "Washington", "WV": "West Virginia", "WI": "Wisconsin", "WY": "Wyoming",
    "DC": "District of Columbia", "PR": "Puerto Rico",
}
US_STATES = list(US_STATE_CODES.values())
CA_PROVINCE_CODES = {
    "ON": "Ontario", "QC": "Quebec", "BC": "British Columbia", "AB": "Alberta", "MB": "Manitoba",
    "SK": "Saskatchewan", "NS": "Nova Scotia", "NB": "New Brunswick", "NL": "Newfoundland and Labrador",
    "PE": "Prince Edward Island",
}
CA_PROVINCES = list(CA_PROVINCE_CODES.values())
#: Countries and other places whose law contracts choose, with the ISO 3166 code of their
#: holiday calendar where they have one of their own ("" for places that have none here).
COUNTRY_CODES = {
    "England and Wales": "GB-ENG", "England": "GB-ENG", "Scotland": "GB-SCT", "Northern Ireland": "GB-NIR",
    "Ireland": "IE", "United Kingdom": "GB", "Germany": "DE", "France": "FR", "Italy": "IT", "Spain": "ES",
    "Portugal": "PT", "Netherlands": "NL", "the Netherlands": "NL", "Belgium": "BE", "Luxembourg": "LU",
    "Switzerland": "CH", "Austria": "AT", "Sweden": "SE", "Norway": "NO", "Denmark": "DK", "Finland": "FI",
    "Poland": "PL", "Czech Republic": "CZ", "Hungary": "HU", "Greece": "GR", "Cyprus": "CY", "Malta": "MT",
    "Israel": "IL", "India": "IN", "China": "CN", "People's Republic of China": "CN", "PRC": "CN",
    "Hong Kong": "HK", "Singapore": "SG", "Japan": "JP", "Korea": "KR", "Republic of Korea": "KR",
    "South Korea": "KR", "Taiwan": "TW", "Australia": "AU", "New South Wales": "AU-NSW", "Victoria": "AU-VIC",
    "Queensland": "AU-QLD", "New Zealand": "NZ", "Canada": "CA", "Mexico": "MX", "Brazil": "BR",
    "Argentina": "AR", "Chile": "CL", "Colombia": "CO", "Cayman Islands": "KY", "British Virgin Islands": "VG",
    "Bermuda": "BM", "Bahamas": "BS", "South Africa": "ZA", "United Arab Emirates": "AE", "Dubai": "AE",
    "Russia": "RU", "Russian Federation": "RU", "Turkey": "TR", "Philippines": "PH", "Malaysia": "MY",
    "Thailand": "TH", "Indonesia": "ID", "Vietnam": "VN", "Macau": "MO", "Nevis": "KN", "Liechtenstein": "LI",
    "Hellenic Republic": "GR", "Republic of Ireland": "IE", "Peru": "PE", "Kazakhstan": "KZ",
    "Papua New Guinea": "PG", "Ukraine": "UA", "Egypt": "EG", "Nigeria": "NG", "Kenya": "KE", "Pakistan": "PK",
    "Sri Lanka": "LK", "Bangladesh": "BD", "Saudi Arabia": "SA", "Qatar": "QA", "Kuwait": "KW", "Jordan": "JO",
    "Lebanon": "LB", "Iceland": "IS", "Estonia": "EE", "Latvia": "LV", "Lithuania": "LT", "Romania": "RO",
    "Bulgaria": "BG", "Croatia": "HR", "Serbia": "RS", "Slovenia": "SI", "Slovakia": "SK", "Uruguay": "UY",
    "Venezuela": "VE", "Ecuador": "EC", "Panama": "PA", "Costa Rica": "CR", "Guatemala": "GT", "Barbados": "BB",
    "Jamaica": "JM", "Mauritius": "MU", "Gibraltar": "GI", "Jersey": "JE", "Guernsey": "GG", "Isle of Man": "IM",
    "Monaco": "MC", "Macao": "MO", "Mongolia": "MN", "Cambodia": "KH", "Myanmar": "MM", "Laos": "LA",
    "Nepal": "NP", "Marshall Islands": "MH", "Curacao": "CW", "Anguilla": "AI", "Labuan": "MY",
    "Western Australia": "AU-WA", "South Australia": "AU-SA", "Tasmania": "AU-TAS",
    "Federal Republic of Germany": "DE", "Swiss Confederation": "CH",
}
COUNTRIES = list(COUNTRY_CODES)
#: Four states and Puerto Rico style themselves commonwealths, and a careful drafter follows them.
COMMONWEALTHS = frozenset({"Kentucky", "Massachusetts", "Pennsylvania", "Virginia", "Puerto Rico"})

_CANON = {j.lower(): j for j in US_STATES + CA_PROVINCES + COUNTRIES}
_CANON.update({
    "england": "England and Wales", "england & wales": "England and Wales",
    "the netherlands": "Netherlands", "people's republic of china": "China", "prc": "China",
    "republic of korea": "South Korea", "korea": "South Korea", "russian federation": "Russia",
    "republic of ireland": "Ireland", "hellenic republic": "Greece",
    "federal republic of germany": "Germany", "swiss confederation": "Switzerland",
    "commonwealth of massachusetts": "Massachusetts", "commonwealth of pennsylvania":
    "Pennsylvania", "commonwealth of virginia": "Virginia", "commonwealth of kentucky": "Kentucky",
    "macao": "Macau",
})
#: What a person may type in a form: state codes and "DC" too. Province codes are deliberately
#: not aliases ("NB" or "NS" is likelier a typo for a US state code); nor is "UK" (Scotland has
#: its own law).
_ALIASES = {**_CANON, **{code.lower(): name for code, name in US_STATE_CODES.items()},
            "d.c.": "District of Columbia", "washington, d.c.": "District of Columbia"}
_PREFIX = re.compile(
    r"^\s*(?:the\s+)?(?:(?:substantive|internal|domestic)\s+)?(?:laws?\s+(?:in\s+force\s+)?(?:of|in)\s+)?"
    r"(?:the\s+)?(?:(?:state|commonwealth|province|republic|kingdom|country)\s+of\s+)?(?:the\s+)?",
    re.IGNORECASE,
)
_SUFFIX = re.compile(
    r"(?:,?\s*(?:the\s+)?(?:usa|u\.s\.a\.?|u\.s\.?|united states(?: of america)?|canada))?\s*[.,;]?\s*$",
    re.IGNORECASE,
)
_WELL_FORMED = re.compile(r"^[^\W\d_][\w .,'&()\-]{0,99}$")


def read(text: str) -> str:
    """Return the canonical jurisdiction a contract names ("the laws of the State of New York" -> "New York").

    Unknown places come back title-cased with the "laws of the State of" frame removed.
    """
    if not isinstance(text, str):
        raise ValueReadError(text, WHAT, EXAMPLE)
    s = re.sub(r"\s+", " ", text.replace("’", "'")).strip()
    bare = _SUFFIX.sub("", _PREFIX.sub("", s)).strip()
    if not bare:
        raise ValueReadError(text, WHAT, EXAMPLE)
    key = bare.lower()
    if key in _ALIASES:
        return _ALIASES[key]
    if re.fullmatch(r"england\s*(?:and|&)\s*wales", key):
        return "England and Wales"
    if not _WELL_FORMED.match(bare):
        raise ValueReadError(text, WHAT, EXAMPLE)
    return " ".join(w if w.isupper() and len(w) <= 3 else w.capitalize() for w in bare.split())


def parse(text: str) -> str:
    """Return the jurisdiction in our own form (a canonical name, a state code, or as :func:`format` writes it)."""
    if not isinstance(text, str):
        raise ValueReadError(text, WHAT, EXAMPLE)
    s = " ".join(text.split())
    bare = re.sub(r"^(the\s+)?(state|commonwealth|province|district)\s+of\s+", "", s, flags=re.IGNORECASE)
    bare = "District of Columbia" if s.lower() == "the district of columbia" else bare
    known = _ALIASES.get(bare.lower())
    if known:
        return known
    if _WELL_FORMED.match(s):
        return s
    raise ValueReadError(text, WHAT, EXAMPLE)


def format(name: str) -> str:
    """Return the jurisdiction as a contract names it: "the State of New York", "England and Wales"."""
    if name in COMMONWEALTHS:
        return f"the Commonwealth of {name}"
    if name == "District of Columbia":
        return "the District of Columbia"
    if name in US_STATE_CODES.values():
        return f"the State of {name}"
    if name in CA_PROVINCES:
        return f"the Province of {name}"
    return name


@dataclass(frozen=True)
class FoundJurisdiction:
    """A jurisdiction named in text, with its span."""

    value: str
    start: int
    end: int


_NAMES_RE = re.compile(r"\b(?:" + "|".join(re.escape(n) for n in sorted(_CANON, key=len, reverse=True))
                       + r")\b", re.IGNORECASE)


def find(text: str) -> list[FoundJurisdiction]:
    """Return every known jurisdiction named in ``text`` (the longest name wins), with spans."""
    return [FoundJurisdiction(_CANON[m.group(0).lower()], m.start(), m.end()) for m in _NAMES_RE.finditer(text)
            if not m.group(0).islower()]


def holiday_calendar(name: str) -> str | None:
    """Return the holiday calendar code of a jurisdiction ("New York" -> "US-NY", "England and Wales" -> "GB-ENG").

    None when clm knows no calendar for it.
    """
    for code, state in US_STATE_CODES.items():
        if state == name:
            return f"US-{code}"
    for code, province in CA_PROVINCE_CODES.items():
        if province == name:
            return f"CA-{code}"
    return COUNTRY_CODES.get(name) or None
