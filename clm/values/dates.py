"""Dates: ISO ``YYYY-MM-DD`` is our own form; contracts write "June 1, 2019", "1st day of June, 2019", "6/1/19"."""

from __future__ import annotations

import calendar
import datetime
import re
from dataclasses import dataclass

from clm.values import ValueReadError
from clm.values.durations import add_months
from clm.values.numbers import ORDINALS

__all__ = ["DATE_RE", "LOCALES", "FoundDate", "add_months", "days_between", "find", "format", "parse", "read"]

WHAT = "a date"
EXAMPLE = "2026-06-01"
_MONTHS = {name.lower(): i for i, name in enumerate(calendar.month_name) if name}
_MONTHS.update({name.lower(): i for i, name in enumerate(calendar.month_abbr) if name})
_MONTHS["sept"] = 9
_MONTH_NAMES = (r"January|February|March|April|May|June|July|August|September|October|November"
                r"|December|Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sept|Sep|Oct|Nov|Dec")
_ORDINAL_WORDS = "|".join(sorted(ORDINALS, key=len, reverse=True))
_ISO = re.compile(r"\d{4}-\d{2}-\d{2}")


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
    """A date found in text, with its span."""

    value: datetime.date
    start: int
    end: int

    @property
    def iso(self) -> str:
        """Return the date in our own form (YYYY-MM-DD)."""
        return self.value.isoformat()


def _mk(y: int, m: int, d: int) -> datetime.date | None:
    try:
        return datetime.date(y, m, d)
    except ValueError:
        return None


def _swap(mo: int, d: int) -> tuple[int, int]:
    return (d, mo) if mo > 12 >= d else (mo, d)       # written d/m/y


def _century(ys: str) -> int:
    y = int(ys)
    return y + (1900 if y >= 50 else 2000) if len(ys) == 2 else y


def _from_match(m: re.Match[str]) -> datetime.date | None:
    if m.group("A"):
        return _mk(int(m.group("y1")), _MONTHS[m.group("m1").lower().rstrip(".")], int(m.group("d1")))
    if m.group("B"):
        return _mk(int(m.group("y2")), _MONTHS[m.group("m2").lower().rstrip(".")], int(m.group("d2")))
    if m.group("C"):
        return _mk(int(m.group("y3")), int(m.group("m3")), int(m.group("d3")))
    if m.group("D"):
        return _mk(_century(m.group("y4")), *_swap(int(m.group("m4")), int(m.group("d4"))))
    if m.group("F"):
        return _mk(int(m.group("y6")), *_swap(int(m.group("m6")), int(m.group("d6"))))
    if m.group("G"):
        return _mk(_century(m.group("y7")), *_swap(int(m.group("m7")), int(m.group("d7"))))
    if m.group("E"):
        return _mk(int(m.group("y5")), _MONTHS[m.group("m5").lower().rstrip(".")], ORDINALS[m.group("d5").lower()])
    return None


def find(text: str) -> list[FoundDate]:
    """Return every complete date in ``text`` in order, with spans relative to ``text``."""
    out = []
    for m in DATE_RE.finditer(text):
        day = _from_match(m)
        if day:
            out.append(FoundDate(day, m.start(), m.end()))
    return out


def parse(text: str) -> datetime.date:
    """Return the date in our own form: ISO ``YYYY-MM-DD``, or as :func:`format` writes it ("June 1, 2026")."""
    if isinstance(text, datetime.datetime):
        return text.date()
    if isinstance(text, datetime.date):
        return text
    if isinstance(text, str):
        s = text.strip()
        if _ISO.fullmatch(s):
            try:
                return datetime.date.fromisoformat(s)
            except ValueError:
                pass
        else:
            try:
                return datetime.datetime.strptime(s, "%B %d, %Y").date()
            except ValueError:
                pass
    raise ValueReadError(text, WHAT, EXAMPLE)


def read(text: str) -> datetime.date:
    """Return the date a contract or a person writes ("1st day of June, 2019", "6/1/19", "2019-06-01")."""
    try:
        return parse(text)
    except ValueReadError:
        pass
    if isinstance(text, str):
        s = text.strip().rstrip(".;,")
        found = find(s)
        if len(found) == 1 and found[0].start == 0 and found[0].end == len(s):
            return found[0].value
    raise ValueReadError(text, WHAT, EXAMPLE)


#: How each locale writes a date ("en-US" is how contracts and clm write it; "iso" is our own form).
LOCALES = ("en-US", "en-GB", "iso")


def format(day: datetime.date, locale: str = "en-US") -> str:
    """Return the date as a contract writes it: "June 1, 2026" (``en-US``), "1 June 2026" (``en-GB``), "2026-06-01" (``iso``).

    An unknown locale is written as ``en-US``.
    """
    if locale == "iso":
        return day.isoformat()
    if locale == "en-GB":
        return f"{day.day} {day:%B} {day.year}"
    return f"{day:%B} {day.day}, {day.year}"


def days_between(start: datetime.date, end: datetime.date) -> int:
    """Return the number of days from ``start`` to ``end``, both included."""
    return (end - start).days + 1
