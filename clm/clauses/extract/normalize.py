"""The extraction rules' names for contract values; one implementation, in :mod:`clm.values`.

Thin wrappers only: the rules (renewal.py, term.py ...) call these names, and each one hands
over to the value kind that owns the parsing (``clm.values.durations``, ``dates``, ``money``,
``jurisdictions``, ``numbers``). Durations in business days come out as ``P{n}BD``.
"""
from __future__ import annotations

import datetime
import re
from decimal import Decimal

from clm.values import ValueReadError, dates, durations, jurisdictions, money
from clm.values.dates import DATE_RE, FoundDate
from clm.values.durations import DURATION_RE
from clm.values.durations import FoundDuration as Duration
from clm.values.jurisdictions import CA_PROVINCES, COUNTRIES, US_STATES
from clm.values.money import MONEY_RE
from clm.values.money import FoundMoney as Money
from clm.values.numbers import NUMBER_WORD
from clm.values.numbers import words_to_int as parse_number_word

__all__ = [
    "CA_PROVINCES", "COUNTRIES", "DATE_RE", "DURATION_RE", "LAW_ADJECTIVES", "LAW_ADJECTIVE_RE", "MONEY_RE",
    "NUMBER_WORD", "US_STATES", "Duration",
    "FoundDate", "Money", "add_duration", "duration_between", "duration_days", "duration_iso", "find_dates",
    "find_durations", "find_money", "normalize_date", "normalize_duration", "normalize_jurisdiction",
    "normalize_money", "parse_iso_duration", "parse_number_word",
]

find_durations = durations.find
find_dates = dates.find
find_money = money.find


def duration_iso(n: int, unit: str) -> str:
    """Return our own form for ``n`` units (day/week/month/year/business_day or D/W/M/Y/BD)."""
    codes = {"D": "day", "W": "week", "M": "month", "Y": "year", "BD": "business_day"}
    name = codes.get(unit.upper(), unit.lower().rstrip("s"))
    try:
        return durations.Duration(n, name).iso
    except ValueError:
        raise ValueError(f"unknown duration unit: {unit!r}") from None


def normalize_duration(text: str) -> str | None:
    """Return our own form of the first duration in ``text`` ("thirty (30) days" -> P30D)."""
    found = durations.first_in(text)
    return found.iso if found else None


def _parse(iso: str) -> durations.Duration | None:
    try:
        return durations.parse(iso or "")
    except ValueReadError:
        return None


def parse_iso_duration(iso: str) -> tuple[int, int] | None:
    """Return (months, days) of a calendar duration, or None (business days have none)."""
    d = _parse(iso)
    return d.calendar() if d is not None and d.unit not in ("hour", "business_day") else None


def duration_days(iso: str) -> float | None:
    """Return an approximate length in days (a month is 30.4375 days), or None."""
    d = _parse(iso)
    return d.approx_days() if d is not None else None


def add_duration(start: datetime.date, iso: str) -> datetime.date | None:
    """Return ``start`` plus the duration (calendar months clamped to month end), None when it cannot be added."""
    d = _parse(iso)
    if d is None or d.unit == "hour":
        return None
    try:
        return d.after(start)
    except (ValueError, OverflowError):
        return None


def duration_between(start_iso: str, end_iso: str) -> str | None:
    """Return our own form of the duration from start to end (whole months or years when the days line up)."""
    try:
        start, end = datetime.date.fromisoformat(start_iso), datetime.date.fromisoformat(end_iso)
    except ValueError:
        return None
    found = durations.between(start, end)
    return found.iso if found else None


def normalize_date(text: str) -> str | None:
    """Return the ISO date of the first date in ``text`` ("1st day of June, 2019" -> 2019-06-01)."""
    found = dates.find(text)
    return found[0].iso if found else None


def normalize_jurisdiction(text: str) -> str | None:
    """Return a canonical jurisdiction name ("the laws of the State of New York" -> "New York")."""
    try:
        return jurisdictions.read(text)
    except ValueReadError:
        return None


#: A jurisdiction named by its adjective, counted only right before "law(s)": "governed by English law",
#: "German law applies". General knowledge, not a list taken from dev errors.
LAW_ADJECTIVES: dict[str, str] = {
    "English": "England and Wales", "Scottish": "Scotland", "Scots": "Scotland", "Irish": "Ireland",
    "German": "Germany", "French": "France", "Swiss": "Switzerland", "Dutch": "Netherlands",
    "Italian": "Italy", "Spanish": "Spain", "Portuguese": "Portugal", "Belgian": "Belgium",
    "Austrian": "Austria", "Swedish": "Sweden", "Norwegian": "Norway", "Danish": "Denmark",
    "Finnish": "Finland", "Polish": "Poland", "Greek": "Greece", "Israeli": "Israel", "Indian": "India",
    "Chinese": "China", "Japanese": "Japan", "Korean": "South Korea", "Singaporean": "Singapore",
    "Taiwanese": "Taiwan", "Australian": "Australia", "Canadian": "Canada", "Mexican": "Mexico",
    "Brazilian": "Brazil", "Russian": "Russia", "Turkish": "Turkey", "Luxembourgish": "Luxembourg",
    "Colombian": "Colombia", "Argentine": "Argentina", "Chilean": "Chile", "Peruvian": "Peru",
}
LAW_ADJECTIVE_RE = re.compile(r"\b(" + "|".join(LAW_ADJECTIVES)
                              + r")(?=\s+(?:(?:substantive|statutory|civil)\s+)?laws?\b)")


def normalize_money(text: str) -> tuple[Decimal, str] | None:
    """Return (amount, ISO currency) of the first amount in ``text`` ("$1.5 million" -> 1500000 USD)."""
    found = money.find(text)
    return (found[0].amount, found[0].currency) if found else None
