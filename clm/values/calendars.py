"""Business-day calendars: weekends and public holidays, from the ``holidays`` package.

A calendar is named by an ISO 3166 country code with an optional subdivision: ``US``,
``US-NY``, ``GB-ENG``, ``DE-BY``. ``CLM_HOLIDAYS`` names the default; a terms document may name
its own (``"holidays": "GB"``). ``none`` counts weekends only.
"""

from __future__ import annotations

import datetime
import functools
import re
from dataclasses import dataclass, field
from typing import Any

import holidays as _holidays

from clm.values import ValueReadError
from clm.values.jurisdictions import holiday_calendar

WHAT = "a holiday calendar"
EXAMPLE = "US, US-NY, GB-ENG or none"
#: The default when neither the settings nor a contract name one.
DEFAULT = "US"
_CODE = re.compile(r"([A-Za-z]{2,3})(?:-([A-Za-z0-9]{1,4}))?")


@dataclass(frozen=True)
class BusinessCalendar:
    """Which days are business days: not a Saturday, a Sunday or a public holiday of ``code``."""

    code: str
    holidays: Any = field(default=None, compare=False, repr=False)

    def is_business_day(self, day: datetime.date) -> bool:
        """Return True unless ``day`` is a weekend day or a holiday."""
        return day.weekday() < 5 and (self.holidays is None or day not in self.holidays)

    def holiday_name(self, day: datetime.date) -> str | None:
        """Return the name of the holiday on ``day``, or None."""
        return None if self.holidays is None else self.holidays.get(day)

    def on_or_before(self, day: datetime.date) -> datetime.date:
        """Return ``day`` when it is a business day, else the business day before it (25 December -> 24th)."""
        while not self.is_business_day(day):
            day -= datetime.timedelta(days=1)
        return day

    def on_or_after(self, day: datetime.date) -> datetime.date:
        """Return ``day`` when it is a business day, else the business day after it."""
        while not self.is_business_day(day):
            day += datetime.timedelta(days=1)
        return day


def parse(code: str) -> str:
    """Return the calendar code in our own form ("us-ny" -> "US-NY"); refuse one ``holidays`` does not know."""
    if not isinstance(code, str):
        raise ValueReadError(code, WHAT, EXAMPLE)
    s = code.strip()
    if s.lower() == "none":
        return "none"
    m = _CODE.fullmatch(s)
    if not m:
        raise ValueReadError(code, WHAT, EXAMPLE)
    country, subdiv = m.group(1).upper(), (m.group(2) or "").upper()
    supported = _holidays.list_supported_countries()
    if country not in supported or (subdiv and subdiv not in supported[country]):
        raise ValueReadError(code, "a holiday calendar the holidays package knows", EXAMPLE)
    return f"{country}-{subdiv}" if subdiv else country


def read(text: str) -> str:
    """Return a calendar from a code or a jurisdiction's name ("New York" -> "US-NY")."""
    try:
        return parse(text)
    except ValueReadError:
        if isinstance(text, str):
            from clm.values import jurisdictions

            try:
                code = holiday_calendar(jurisdictions.read(text))
            except ValueReadError:
                code = None
            if code:
                return parse(code)
        raise


def format(code: str) -> str:
    """Return the calendar's code as written in a terms document ("US-NY")."""
    return code


_default = DEFAULT


def configure(code: str) -> str:
    """Set the calendar used when a contract names none (``CLM_HOLIDAYS``); return it in our own form.

    Called once by the app factory and the CLI with the setting; a bad code is refused.
    """
    global _default
    _default = parse(code)
    return _default


def default() -> str:
    """Return the calendar used when a contract names none."""
    return _default


def calendar(code: str | None = None) -> BusinessCalendar:
    """Return the business-day calendar ``code`` names (the configured default when None or empty)."""
    return _load(parse(code) if code else _default)


@functools.lru_cache(maxsize=64)
def _load(code: str) -> BusinessCalendar:
    if code == "none":
        return BusinessCalendar("none")
    country, _, subdiv = code.partition("-")
    return BusinessCalendar(code, _holidays.country_holidays(country, subdiv=subdiv or None))


def for_jurisdiction(name: str) -> str | None:
    """Return the calendar code of a jurisdiction's holidays when the ``holidays`` package has it."""
    code = holiday_calendar(name)
    if not code:
        return None
    try:
        return parse(code)
    except ValueReadError:
        try:
            return parse(code.partition("-")[0])
        except ValueReadError:
            return None
