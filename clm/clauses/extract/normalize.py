"""Pure normalizers for contract values: durations, dates, jurisdictions and money."""
from __future__ import annotations

import calendar
import datetime
import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

# ----------------------------------------------------------------------------- numbers
_UNITS = {
    "zero": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
    "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13,
    "fourteen": 14, "fifteen": 15, "sixteen": 16, "seventeen": 17, "eighteen": 18,
    "nineteen": 19, "a": 1, "an": 1, "single": 1,
}
_TENS = {"twenty": 20, "thirty": 30, "forty": 40, "fourty": 40, "fifty": 50, "sixty": 60,
         "seventy": 70, "eighty": 80, "ninety": 90}
_ORDINALS = {
    "first": 1, "second": 2, "third": 3, "fourth": 4, "fifth": 5, "sixth": 6, "seventh": 7,
    "eighth": 8, "ninth": 9, "tenth": 10, "eleventh": 11, "twelfth": 12, "thirteenth": 13,
    "fourteenth": 14, "fifteenth": 15, "sixteenth": 16, "seventeenth": 17, "eighteenth": 18,
    "nineteenth": 19, "twentieth": 20, "thirtieth": 30,
}

#: A spelled-out number up to 999 ("ninety", "forty-five", "one hundred twenty").
NUMBER_WORD = (
    r"(?:(?:one|two|three|four|five|six|seven|eight|nine)\s+hundred(?:\s+(?:and\s+)?)?)?"
    r"(?:(?:twenty|thirty|fou?rty|fifty|sixty|seventy|eighty|ninety)(?:[\s-]+"
    r"(?:one|two|three|four|five|six|seven|eight|nine))?"
    r"|zero|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|thirteen"
    r"|fourteen|fifteen|sixteen|seventeen|eighteen|nineteen)"
    r"|(?:one|two|three|four|five|six|seven|eight|nine)\s+hundred"
)


def parse_number_word(s: str) -> int | None:
    """Return the integer a spelled-out or digit number stands for, or None."""
    s = s.strip().lower().replace(",", "")
    if s.isdigit():
        return int(s)
    total = 0
    current = 0
    seen = False
    for w in re.split(r"[\s-]+", s):
        if not w or w == "and":
            continue
        if w in _UNITS:
            current += _UNITS[w]
        elif w in _TENS:
            current += _TENS[w]
        elif w == "hundred":
            current = (current or 1) * 100
        elif w == "thousand":
            total += (current or 1) * 1000
            current = 0
        else:
            return None
        seen = True
    return total + current if seen else None


# ----------------------------------------------------------------------------- durations
_UNIT_CODE = {"day": "D", "week": "W", "month": "M", "year": "Y"}

#: A duration as contracts write it: "thirty (30) days", "one (1) year", "12 months",
#: "sixty days", "90-day", "six (6) calendar months", "[30] days".
DURATION_RE = re.compile(
    r"(?<![\w$.])(?:(?P<word>" + NUMBER_WORD + r")\s*(?:\(\s*[\"“]?(?P<paren>[\dOlI]{1,4})[\"”]?\s*\)\s*)?\]?"
    r"|\(?\[?\s*(?P<digits>\d{1,4})\s*\]?\)?)"
    # "3 (three) months", "ninety (\"90\") days", "[three (3)] months"
    r"\s*-?\s*(?:\(\s*(?:[\"“]?\d{1,4}[\"”]?|" + NUMBER_WORD + r")\s*\)\s*)?(?:full\s+|consecutive\s+|calendar\s+|business\s+|working\s+"
    r"|banking\s+|additional\s+|successive\s+)*"
    r"(?P<unit>day|week|month|year)s?\b(?:'s?)?",
    re.IGNORECASE,
)
_ANNUAL_RE = re.compile(r"\b(?:year[\s-]+to[\s-]+year|annual(?:ly)?|yearly)\b", re.IGNORECASE)


def duration_iso(n: int, unit: str) -> str:
    """Return the ISO-8601 duration for ``n`` units (unit in day/week/month/year or D/W/M/Y)."""
    code = _UNIT_CODE.get(unit.lower().rstrip("s"), unit.upper())
    if code not in "DWMY" or len(code) != 1:
        raise ValueError(f"unknown duration unit: {unit!r}")
    return f"P{n}{code}"


@dataclass(frozen=True)
class Duration:
    """A duration found in text: ISO value plus its character span."""

    iso: str
    start: int
    end: int
    business: bool = False


def find_durations(text: str) -> list[Duration]:
    """Return every duration in ``text`` in order, with spans relative to ``text``."""
    out = []
    for m in DURATION_RE.finditer(text):
        n: int | None
        if m.group("paren") and m.group("paren").isdigit():
            n = int(m.group("paren"))          # the digits in "thirty (30)" are authoritative
        elif m.group("digits"):
            n = int(m.group("digits"))
        else:
            n = parse_number_word(m.group("word"))
        if n is None or n <= 0:
            continue
        out.append(Duration(duration_iso(n, m.group("unit")), m.start(), m.end(),
                            "business" in m.group(0).lower()))
    return out


def normalize_duration(text: str) -> str | None:
    """Return the ISO-8601 duration of the first duration in ``text`` ("thirty (30) days" -> P30D).

    "year to year" and "annual" read as one year.
    """
    found = find_durations(text)
    if found:
        return found[0].iso
    if _ANNUAL_RE.search(text):
        return "P1Y"
    return None


def parse_iso_duration(iso: str) -> tuple[int, int] | None:
    """Return (months, days) for a PnYnMnWnD duration, or None."""
    m = re.fullmatch(r"P(?:(\d+)Y)?(?:(\d+)M)?(?:(\d+)W)?(?:(\d+)D)?", iso or "")
    if not m or iso == "P":
        return None
    y, mo, w, d = (int(x) if x else 0 for x in m.groups())
    return 12 * y + mo, 7 * w + d


def duration_days(iso: str) -> float | None:
    """Return an approximate length in days (a month is 30.4375 days), or None."""
    p = parse_iso_duration(iso)
    if p is None:
        return None
    return p[0] * 30.4375 + p[1]


def add_duration(start: datetime.date, iso: str) -> datetime.date | None:
    """Return ``start`` plus the ISO duration (calendar months, clamped to month end)."""
    p = parse_iso_duration(iso)
    if p is None:
        return None
    months, days = p
    y, m = divmod(start.month - 1 + months, 12)
    year = start.year + y
    if year > 9999:
        return None
    month = m + 1
    day = min(start.day, calendar.monthrange(year, month)[1])
    try:
        return datetime.date(year, month, day) + datetime.timedelta(days=days)
    except OverflowError:
        return None


def duration_between(start_iso: str, end_iso: str) -> str | None:
    """Return the ISO duration from start to end (whole months/years when the days line up).

    A term running "January 1, 2008 to December 31, 2008" is one year: an end date one day
    before a month boundary counts as that boundary.
    """
    try:
        start, end = datetime.date.fromisoformat(start_iso), datetime.date.fromisoformat(end_iso)
    except ValueError:
        return None
    if end <= start:
        return None
    for stop in (end, end + datetime.timedelta(days=1)):
        months = (stop.year - start.year) * 12 + stop.month - start.month
        if months > 0 and add_duration(start, f"P{months}M") == stop:
            return f"P{months // 12}Y" if months % 12 == 0 else f"P{months}M"
    return f"P{(end - start).days}D"


# ----------------------------------------------------------------------------- dates
_MONTHS = {name.lower(): i for i, name in enumerate(calendar.month_name) if name}
_MONTHS.update({name.lower(): i for i, name in enumerate(calendar.month_abbr) if name})
_MONTHS["sept"] = 9
_MONTH_NAMES = (r"January|February|March|April|May|June|July|August|September|October|November"
                r"|December|Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sept|Sep|Oct|Nov|Dec")
_ORDINAL_WORDS = "|".join(sorted(_ORDINALS, key=len, reverse=True))


def _month(g: str) -> str:
    return rf"(?P<{g}>{_MONTH_NAMES})\.?"


def _day(g: str) -> str:
    # OCR'd ordinals appear as "1s t" and "15t h"; accept a split suffix.
    return rf"(?P<{g}>[0-3]?\d)\s?(?:st|nd|rd|th|s\s?t|n\s?d|r\s?d|t\s?h)?"


def _year(g: str) -> str:
    return rf"(?P<{g}>(?:19|20)\d{{2}})(?!\d)"


#: Every date form contracts use: "June 1, 2019", "1st day of June, 2019", "the 1st of March,
#: 2003", "22 Dec. 2017", "2019-06-01", "6/1/19", "12-23-2019", "first day of June, 2019".
DATE_RE = re.compile(
    "|".join([
        rf"(?P<A>(?:\b|(?<=_)){_month('m1')}\s*{_day('d1')}\s*,?\s*{_year('y1')})",
        (rf"(?P<B>(?:\b|(?<=_)){_day('d2')}\s*(?:day\s+of\s+|of\s+)?(?:the\s+month\s+of\s+)?{_month('m2')}"
         rf"\s*,?\s*(?:in\s+the\s+year\s+)?{_year('y2')})"),
        r"(?P<C>\b(?P<y3>(?:19|20)\d{2})-(?P<m3>[01]?\d)-(?P<d3>[0-3]?\d)\b)",
        r"(?P<D>(?<![\d/.])(?P<m4>[0-3]?\d)/(?P<d4>[0-3]?\d)/(?P<y4>(?:19|20)?\d{2})(?![\d/]))",
        r"(?P<F>(?<![\d.])(?P<m6>[0-3]\d)\.(?P<d6>[0-3]\d)\.(?P<y6>(?:19|20)\d{2})(?![\d.]))",
        # "12-23-2019", "3-31-16": hyphenated month-day-year
        r"(?P<G>(?<![\w/.-])(?P<m7>[0-3]?\d)-(?P<d7>[0-3]?\d)-(?P<y7>(?:19|20)\d{2}|\d{2})(?![\w/.-]))",
        rf"(?P<E>\b(?P<d5>{_ORDINAL_WORDS})\s+day\s+of\s+{_month('m5')}\s*,?\s*{_year('y5')})",
    ]),
    re.IGNORECASE,
)


@dataclass(frozen=True)
class FoundDate:
    """A date found in text: ISO value plus its character span."""

    iso: str
    start: int
    end: int


def _mk_date(y: int, m: int, d: int) -> str | None:
    try:
        return datetime.date(y, m, d).isoformat()
    except ValueError:
        return None


def _date_from_match(m: re.Match[str]) -> str | None:
    if m.group("A"):
        return _mk_date(int(m.group("y1")), _MONTHS[m.group("m1").lower().rstrip(".")],
                        int(m.group("d1")))
    if m.group("B"):
        return _mk_date(int(m.group("y2")), _MONTHS[m.group("m2").lower().rstrip(".")],
                        int(m.group("d2")))
    if m.group("C"):
        return _mk_date(int(m.group("y3")), int(m.group("m3")), int(m.group("d3")))
    if m.group("D"):
        ys = m.group("y4")
        y = int(ys)
        if len(ys) == 2:
            y += 1900 if y >= 50 else 2000
        mo, d = int(m.group("m4")), int(m.group("d4"))
        if mo > 12 >= d:                       # written d/m/y
            mo, d = d, mo
        return _mk_date(y, mo, d)
    if m.group("F"):
        mo, d = int(m.group("m6")), int(m.group("d6"))
        if mo > 12 >= d:
            mo, d = d, mo
        return _mk_date(int(m.group("y6")), mo, d)
    if m.group("G"):
        ys = m.group("y7")
        y = int(ys) + ((1900 if int(ys) >= 50 else 2000) if len(ys) == 2 else 0)
        mo, d = int(m.group("m7")), int(m.group("d7"))
        if mo > 12 >= d:
            mo, d = d, mo
        return _mk_date(y, mo, d)
    if m.group("E"):
        return _mk_date(int(m.group("y5")), _MONTHS[m.group("m5").lower().rstrip(".")],
                        _ORDINALS[m.group("d5").lower()])
    return None


def find_dates(text: str) -> list[FoundDate]:
    """Return every complete date in ``text`` in order, with spans relative to ``text``."""
    out = []
    for m in DATE_RE.finditer(text):
        iso = _date_from_match(m)
        if iso:
            out.append(FoundDate(iso, m.start(), m.end()))
    return out


def normalize_date(text: str) -> str | None:
    """Return the ISO date of the first date in ``text`` ("1st day of June, 2019" -> 2019-06-01)."""
    found = find_dates(text)
    return found[0].iso if found else None


# ----------------------------------------------------------------------------- jurisdictions
US_STATES = [
    "Alabama", "Alaska", "Arizona", "Arkansas", "California", "Colorado", "Connecticut",
    "Delaware", "Florida", "Georgia", "Hawaii", "Idaho", "Illinois", "Indiana", "Iowa", "Kansas",
    "Kentucky", "Louisiana", "Maine", "Maryland", "Massachusetts", "Michigan", "Minnesota",
    "Mississippi", "Missouri", "Montana", "Nebraska", "Nevada", "New Hampshire", "New Jersey",
    "New Mexico", "New York", "North Carolina", "North Dakota", "Ohio", "Oklahoma", "Oregon",
    "Pennsylvania", "Rhode Island", "South Carolina", "South Dakota", "Tennessee", "Texas", "Utah",
    "Vermont", "Virginia", "Washington", "West Virginia", "Wisconsin", "Wyoming",
    "District of Columbia", "Puerto Rico",
]
CA_PROVINCES = [
    "Ontario", "Quebec", "British Columbia", "Alberta", "Manitoba", "Saskatchewan",
    "Nova Scotia", "New Brunswick", "Newfoundland and Labrador", "Prince Edward Island",
]
COUNTRIES = [
    "England and Wales", "England", "Scotland", "Northern Ireland", "Ireland", "United Kingdom",
    "Germany", "France", "Italy", "Spain", "Portugal", "Netherlands", "the Netherlands", "Belgium",
    "Luxembourg", "Switzerland", "Austria", "Sweden", "Norway", "Denmark", "Finland", "Poland",
    "Czech Republic", "Hungary", "Greece", "Cyprus", "Malta", "Israel", "India", "China",
    "People's Republic of China", "PRC", "Hong Kong", "Singapore", "Japan", "Korea",
    "Republic of Korea", "South Korea", "Taiwan", "Australia", "New South Wales", "Victoria",
    "Queensland", "New Zealand", "Canada", "Mexico", "Brazil", "Argentina", "Chile", "Colombia",
    "Cayman Islands", "British Virgin Islands", "Bermuda", "Bahamas", "South Africa",
    "United Arab Emirates", "Dubai", "Russia", "Russian Federation", "Turkey", "Philippines",
    "Malaysia", "Thailand", "Indonesia", "Vietnam", "Macau", "Nevis", "Liechtenstein",
    "Hellenic Republic", "Republic of Ireland", "Peru", "Kazakhstan", "Papua New Guinea", "Ukraine",
    "Egypt", "Nigeria", "Kenya", "Pakistan", "Sri Lanka", "Bangladesh", "Saudi Arabia", "Qatar",
    "Kuwait", "Jordan", "Lebanon", "Iceland", "Estonia", "Latvia", "Lithuania", "Romania", "Bulgaria",
    "Croatia", "Serbia", "Slovenia", "Slovakia", "Uruguay", "Venezuela", "Ecuador", "Panama",
    "Costa Rica", "Guatemala", "Barbados", "Jamaica", "Mauritius", "Gibraltar", "Jersey", "Guernsey",
    "Isle of Man", "Monaco", "Macao", "Mongolia", "Cambodia", "Myanmar", "Laos", "Nepal", "Marshall Islands",
    "Curacao", "Anguilla", "Labuan", "Western Australia", "South Australia", "Tasmania",
    "Federal Republic of Germany", "Swiss Confederation",
]
_JUR_CANON = {j.lower(): j for j in US_STATES + CA_PROVINCES + COUNTRIES}
_JUR_CANON.update({
    "england": "England and Wales", "england & wales": "England and Wales",
    "the netherlands": "Netherlands", "people's republic of china": "China", "prc": "China",
    "republic of korea": "South Korea", "korea": "South Korea", "russian federation": "Russia",
    "republic of ireland": "Ireland", "hellenic republic": "Greece",
    "federal republic of germany": "Germany", "swiss confederation": "Switzerland",
    "commonwealth of massachusetts": "Massachusetts", "commonwealth of pennsylvania":
    "Pennsylvania", "commonwealth of virginia": "Virginia", "commonwealth of kentucky": "Kentucky",
})
_JUR_PREFIX = re.compile(
    r"^\s*(?:the\s+)?(?:(?:substantive|internal|domestic)\s+)?(?:laws?\s+(?:in\s+force\s+)?(?:of|in)\s+)?"
    r"(?:the\s+)?(?:(?:state|commonwealth|province|republic|kingdom|country)\s+of\s+)?(?:the\s+)?",
    re.IGNORECASE,
)
_JUR_SUFFIX = re.compile(
    r"(?:,?\s*(?:the\s+)?(?:usa|u\.s\.a\.?|u\.s\.?|united states(?: of america)?|canada))?\s*[.,;]?\s*$",
    re.IGNORECASE,
)


def normalize_jurisdiction(text: str) -> str | None:
    """Return a canonical jurisdiction name ("the laws of the State of New York" -> "New York").

    Unknown jurisdictions come back title-cased with the "laws of the State of" frame removed.
    """
    s = re.sub(r"\s+", " ", text.replace("’", "'")).strip()
    s = _JUR_PREFIX.sub("", s)
    s = _JUR_SUFFIX.sub("", s).strip()
    if not s:
        return None
    key = s.lower()
    if key in _JUR_CANON:
        return _JUR_CANON[key]
    if re.fullmatch(r"england\s*(?:and|&)\s*wales", key):
        return "England and Wales"
    return " ".join(w if w.isupper() and len(w) <= 3 else w.capitalize() for w in s.split())


# ----------------------------------------------------------------------------- money
_CURRENCY_SYMBOL = {"$": "USD", "US$": "USD", "U.S.$": "USD", "€": "EUR", "£": "GBP", "¥": "JPY",
                    "C$": "CAD", "CDN$": "CAD", "A$": "AUD", "HK$": "HKD", "RMB": "CNY"}
_CURRENCY_WORD = {"dollars": "USD", "us dollars": "USD", "u.s. dollars": "USD", "euros": "EUR",
                  "euro": "EUR", "pounds sterling": "GBP", "pounds": "GBP", "yen": "JPY",
                  "canadian dollars": "CAD", "australian dollars": "AUD", "swiss francs": "CHF",
                  "renminbi": "CNY", "rmb": "CNY"}
_SCALE = {"thousand": Decimal(1000), "million": Decimal(10) ** 6, "billion": Decimal(10) ** 9,
          "k": Decimal(1000), "m": Decimal(10) ** 6, "mm": Decimal(10) ** 6, "bn": Decimal(10) ** 9}

#: "$12,000,000", "US$ 5 million", "USD 1,000.00", "EUR 100,000", "€250", "1,000 dollars".
MONEY_RE = re.compile(
    r"(?:(?P<sym>U\.S\.\$|US\$|CDN\$|HK\$|C\$|A\$|\$|€|£|¥)\s?|(?P<code>\b(?:USD|EUR|GBP|CAD|AUD|CHF|JPY"
    r"|CNY|RMB|HKD|SGD|INR)\b\.?\s?))"
    r"(?P<amount>\d{1,3}(?:,\d{3})+(?:\.\d{1,2})?|\d+(?:\.\d{1,2})?)"
    r"(?:\s?(?P<scale>thousand|million|billion|mm|bn|k|m)\b)?"
    r"|(?P<amount2>\d{1,3}(?:,\d{3})+(?:\.\d{1,2})?|\d+(?:\.\d{1,2})?)\s?(?P<scale2>thousand|million"
    r"|billion)?\s?(?P<word>(?:U\.?S\.?\s+|Canadian\s+|Australian\s+)?dollars|euros?|pounds\s+sterling"
    r"|swiss\s+francs|yen|renminbi|rmb)\b",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Money:
    """An amount of money found in text."""

    amount: Decimal
    currency: str
    start: int
    end: int


def find_money(text: str) -> list[Money]:
    """Return every amount of money in ``text`` in order."""
    out = []
    for m in MONEY_RE.finditer(text):
        raw = m.group("amount") or m.group("amount2")
        try:
            amount = Decimal(raw.replace(",", ""))
        except InvalidOperation:
            continue
        scale = (m.group("scale") or m.group("scale2") or "").lower()
        if scale:
            amount *= _SCALE[scale]
        if m.group("sym"):
            cur = _CURRENCY_SYMBOL[m.group("sym").upper()]
        elif m.group("code"):
            cur = m.group("code").strip(" .").upper().replace("RMB", "CNY")
        else:
            w = re.sub(r"\s+", " ", m.group("word").lower()).replace("u.s ", "us ").replace("u.s. ", "us ")
            cur = _CURRENCY_WORD.get(w, "USD" if w.endswith("dollars") else w.upper())
            if w.startswith("canadian"):
                cur = "CAD"
            elif w.startswith("australian"):
                cur = "AUD"
        out.append(Money(amount, cur, m.start(), m.end()))
    return out


def normalize_money(text: str) -> tuple[Decimal, str] | None:
    """Return (amount, ISO currency) of the first amount in ``text`` ("$1.5 million" -> 1500000 USD)."""
    found = find_money(text)
    return (found[0].amount, found[0].currency) if found else None
