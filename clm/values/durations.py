"""Durations: one ``Duration(amount, unit)`` that keeps business days and hours.

Our own form is ISO-8601 plus ``P{n}BD`` for business days (ISO has none): ``P30D``, ``P30BD``,
``P2W``, ``P12M``, ``P1Y``, ``PT4H``. A duration keeps the unit it was written in ("12 months"
stays twelve months, "one year" one year); :func:`canonical` folds years into months and weeks
into days where one form must hash the same however it was written.
"""

from __future__ import annotations

import calendar as _calendar
import datetime
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from clm.values import ValueReadError
from clm.values.numbers import NUMBER_WORD, words, words_to_int

#: The units a duration may have, shortest first.
UNITS = ("hour", "day", "business_day", "week", "month", "year")
_CODES = {"hour": "H", "day": "D", "business_day": "BD", "week": "W", "month": "M", "year": "Y"}
_NAMES = {"hour": ("hour", "hours"), "day": ("day", "days"), "business_day": ("business day", "business days"),
          "week": ("week", "weeks"), "month": ("month", "months"), "year": ("year", "years")}
EXAMPLE = "P30D, P30BD, P12M, '30 days' or '30 business days'"
WHAT = "a duration"


class BusinessDays(Protocol):
    """What counting business days needs: whether a day is one (weekends and holidays are not)."""

    def is_business_day(self, day: datetime.date) -> bool: ...


class _WeekendsOnly:
    def is_business_day(self, day: datetime.date) -> bool:
        return day.weekday() < 5


WEEKENDS_ONLY: BusinessDays = _WeekendsOnly()


@dataclass(frozen=True)
class Duration:
    """A period: ``amount`` (a whole number, 0 or more) of ``unit`` (see :data:`UNITS`)."""

    amount: int
    unit: str

    def __post_init__(self) -> None:
        if self.unit not in _CODES:
            raise ValueError(f"unknown duration unit: {self.unit!r}")
        if isinstance(self.amount, bool) or not isinstance(self.amount, int) or self.amount < 0:
            raise ValueError(f"a duration's amount is a whole number, 0 or more, not {self.amount!r}")

    @property
    def iso(self) -> str:
        """Return our own form: ISO-8601, business days as ``P{n}BD`` ("P30D", "P30BD", "PT4H")."""
        if self.unit == "hour":
            return f"PT{self.amount}H"
        return f"P{self.amount}{_CODES[self.unit]}"

    @property
    def business(self) -> bool:
        """Return whether the duration counts business days."""
        return self.unit == "business_day"

    def calendar(self) -> tuple[int, int]:
        """Return (months, days) of a calendar duration; business days and hours have none."""
        if self.unit == "year":
            return 12 * self.amount, 0
        if self.unit == "month":
            return self.amount, 0
        if self.unit == "week":
            return 0, 7 * self.amount
        if self.unit == "day":
            return 0, self.amount
        raise ValueError(f"{self.iso} is not counted in calendar months and days")

    def approx_days(self) -> float:
        """Return the length in days, roughly (a month is 30.4375 days, a business day 7/5 of a day)."""
        if self.unit == "hour":
            return self.amount / 24
        if self.unit == "business_day":
            return self.amount * 7 / 5
        months, days = self.calendar()
        return months * 30.4375 + days

    def times(self, n: int) -> Duration:
        """Return this duration repeated ``n`` times."""
        return Duration(self.amount * n, self.unit)

    def after(self, start: datetime.date, days: BusinessDays | None = None) -> datetime.date:
        """Return ``start`` plus this duration.

        Calendar months are added first and clamped to the month's end (January 31 plus one month
        is February 28), then days. Business days are counted on ``days`` (weekends only when
        None): ten business days after a Friday is the second Friday after it.
        """
        if self.unit == "business_day":
            return _count_business_days(start, self.amount, days or WEEKENDS_ONLY)
        months, n = self.calendar()
        return add_months(start, months) + datetime.timedelta(days=n)

    def before(self, end: datetime.date, days: BusinessDays | None = None) -> datetime.date:
        """Return ``end`` minus this duration (months first, clamped to the month's end; then days)."""
        if self.unit == "business_day":
            return _count_business_days(end, -self.amount, days or WEEKENDS_ONLY)
        months, n = self.calendar()
        return add_months(end, -months) - datetime.timedelta(days=n)


def add_months(day: datetime.date, months: int) -> datetime.date:
    """Return ``day`` moved by ``months`` calendar months, clamped to the last day of the month."""
    y, m = divmod(day.month - 1 + months, 12)
    year, month = day.year + y, m + 1
    return datetime.date(year, month, min(day.day, _calendar.monthrange(year, month)[1]))


def _count_business_days(day: datetime.date, n: int, days: BusinessDays) -> datetime.date:
    step = datetime.timedelta(days=1 if n >= 0 else -1)
    left = abs(n)
    while left:
        day += step
        if days.is_business_day(day):
            left -= 1
    return day


# ----------------------------------------------------------------------------- our own form

_ISO = re.compile(r"P(?:(?P<y>\d{1,6})Y)?(?:(?P<m>\d{1,6})M)?(?:(?P<w>\d{1,6})W)?(?:(?P<d>\d{1,6})D)?"
                  r"|P(?P<bd>\d{1,6})BD|PT(?P<h>\d{1,6})H")
_PLAIN = re.compile(r"(?P<n>\d{1,6})\s+(?P<unit>business\s+days?|hours?|days?|weeks?|months?|years?)")
_UNIT_WORDS = {"hour": "hour", "day": "day", "business day": "business_day", "week": "week", "month": "month",
               "year": "year", "calendar day": "day", "working day": "business_day", "banking day": "business_day"}


def parse(text: str) -> Duration:
    """Return the duration in our own form: ISO-8601 or ``P{n}BD`` ("P30BD"), or as :func:`format` writes it.

    Years and months together ("P1Y6M") are months, weeks and days together days; a duration
    that mixes months with days ("P1M15D") has no single unit and is refused.
    """
    if isinstance(text, Duration):
        return text
    if not isinstance(text, str):
        raise ValueReadError(text, WHAT, EXAMPLE)
    s = text.strip()
    m = _ISO.fullmatch(s)
    if m and s != "P":
        if m.group("bd") is not None:
            return Duration(int(m.group("bd")), "business_day")
        if m.group("h") is not None:
            return Duration(int(m.group("h")), "hour")
        y, mo, w, d = (int(m.group(k)) if m.group(k) else None for k in "ymwd")
        if (y is not None or mo is not None) and (w is not None or d is not None):
            raise ValueReadError(text, "a duration in one unit (months or days, not both)", "P45D or P2M")
        if y is not None and mo is None:
            return Duration(y, "year")
        if y is not None or mo is not None:
            return Duration(12 * (y or 0) + (mo or 0), "month")
        if w is not None and d is None:
            return Duration(w, "week")
        return Duration(7 * (w or 0) + (d or 0), "day")
    p = _PLAIN.fullmatch(s)
    if p:
        return Duration(int(p.group("n")), _unit(p.group("unit")))
    raise ValueReadError(text, WHAT, EXAMPLE)


def _unit(word: str) -> str:
    return _UNIT_WORDS[" ".join(word.lower().split()).removesuffix("s")]


def format(d: Duration) -> str:
    """Return the duration as written in a schedule or a notice: "60 days", "1 year", "30 business days"."""
    singular, plural = _NAMES[d.unit]
    return f"{d.amount} {singular if d.amount == 1 else plural}"


def format_words(d: Duration) -> str:
    """Return the duration as a contract words it: "thirty (30) days", "one (1) year"."""
    singular, plural = _NAMES[d.unit]
    unit = singular if d.amount == 1 else plural
    if d.amount < 1_000_000:
        return f"{words(d.amount)} ({d.amount}) {unit}"
    return f"{d.amount:,} {unit}"


def canonical(d: Duration) -> str:
    """Return the form that hashes the same however the duration was written.

    Calendar durations become months ("P1Y", "P12M" -> "P1Y"; "P18M" -> "P1Y6M") or days
    ("P2W" -> "P14D"); business days and hours keep their own form.
    """
    if d.unit in ("business_day", "hour"):
        return d.iso
    months, days = d.calendar()
    if not months and not days:
        return "P0D"
    years, months = divmod(months, 12)
    return "P" + (f"{years}Y" if years else "") + (f"{months}M" if months else "") + (f"{days}D" if days else "")


# ----------------------------------------------------------------------------- contract wording

#: A duration as contracts write it: "thirty (30) days", "one (1) year", "12 months",
#: "sixty days", "90-day", "six (6) calendar months", "[30] days", "ten (10) business days".
DURATION_RE = re.compile(
    r"(?<![\w$.])(?:(?P<word>" + NUMBER_WORD + r")\s*(?:\(\s*[\"“]?(?P<paren>[\dOlI]{1,4})[\"”]?\s*\)\s*)?\]?"
    r"|\(?\[?\s*(?P<digits>\d{1,4})\s*\]?\)?)"
    # "3 (three) months", "ninety (\"90\") days", "[three (3)] months"
    r"\s*-?\s*(?:\(\s*(?:[\"“]?\d{1,4}[\"”]?|" + NUMBER_WORD + r")\s*\)\s*)?(?P<kind>(?:full\s+|consecutive\s+"
    r"|calendar\s+|business\s+|working\s+|banking\s+|additional\s+|successive\s+)*)"
    r"(?P<unit>day|week|month|year)s?\b(?:'s?)?",
    re.IGNORECASE,
)
_BUSINESS = re.compile(r"\b(?:business|working|banking)\b", re.IGNORECASE)
_HOURS = re.compile(r"(?:(?P<word>" + NUMBER_WORD + r")\s*\(\s*(?P<paren>\d{1,6})\s*\)|(?P<digits>\d{1,6}))\s*hours?",
                    re.IGNORECASE)
_ANNUAL_RE = re.compile(r"\b(?:year[\s-]+to[\s-]+year|annual(?:ly)?|yearly)\b", re.IGNORECASE)


@dataclass(frozen=True)
class FoundDuration:
    """A duration found in text, with its span."""

    value: Duration
    start: int
    end: int

    @property
    def iso(self) -> str:
        """Return the value in our own form ("P30BD")."""
        return self.value.iso

    @property
    def business(self) -> bool:
        """Return whether the duration counts business days."""
        return self.value.business


def find(text: str) -> list[FoundDuration]:
    """Return every duration in ``text`` in order ("thirty (30) business days" -> P30BD), with spans."""
    out = []
    for m in DURATION_RE.finditer(text):
        n: int | None
        if m.group("paren") and m.group("paren").isdigit():
            n = int(m.group("paren"))          # the digits in "thirty (30)" are authoritative
        elif m.group("digits"):
            n = int(m.group("digits"))
        else:
            n = words_to_int(m.group("word"))
        if n is None or n <= 0:
            continue
        unit = m.group("unit").lower()
        if unit == "day" and _BUSINESS.search(m.group("kind") or ""):
            unit = "business_day"
        out.append(FoundDuration(Duration(n, unit), m.start(), m.end()))
    return out


def read(text: str) -> Duration:
    """Return the duration a person or a contract words: "thirty (30) days", "30 business days", "p1y".

    Our own forms are read too; "annual" and "year to year" read as one year.
    """
    if isinstance(text, Duration):
        return text
    if not isinstance(text, str):
        raise ValueReadError(text, WHAT, EXAMPLE)
    s = text.strip().rstrip(".;,")
    try:
        return parse(s.upper() if re.fullmatch(r"[pP][\dtTyYmMwWdDbBhH]+", s) else s)
    except ValueReadError as err:
        if "one unit" in err.what:
            raise
    found = find(s)
    if len(found) == 1 and found[0].start == 0 and found[0].end == len(s):
        return found[0].value
    if _ANNUAL_RE.fullmatch(s):
        return Duration(1, "year")
    hours = _HOURS.fullmatch(s)
    if hours:
        return Duration(int(hours.group("paren") or hours.group("digits")), "hour")
    raise ValueReadError(text, WHAT, EXAMPLE)


def first_in(text: str) -> Duration | None:
    """Return the first duration stated in ``text``, or None ("year to year" and "annual" read as one year)."""
    found = find(text)
    if found:
        return found[0].value
    return Duration(1, "year") if _ANNUAL_RE.search(text) else None


def between(start: datetime.date, end: datetime.date) -> Duration | None:
    """Return the duration from ``start`` to ``end`` (whole months or years when the days line up).

    A term running "January 1, 2008 to December 31, 2008" is one year: an end date one day
    before a month boundary counts as that boundary.
    """
    if end <= start:
        return None
    for stop in (end, end + datetime.timedelta(days=1)):
        months = (stop.year - start.year) * 12 + stop.month - start.month
        try:
            if months > 0 and add_months(start, months) == stop:
                return Duration(months // 12, "year") if months % 12 == 0 else Duration(months, "month")
        except (ValueError, OverflowError):
            continue
    return Duration((end - start).days, "day")


def maybe(parse_fn: Callable[[str], Duration], text: str) -> Duration | None:
    """Return ``parse_fn(text)``, or None when it cannot be read."""
    try:
        return parse_fn(text)
    except ValueReadError:
        return None
