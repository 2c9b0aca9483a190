"""Reading a JSON or YAML document field by field, each value through its kind, errors named by path.

Shared by every document clm validates field by field (a contract's terms, the quote catalog);
subclasses add readers for their own kinds of value. Problems are collected, not raised one at a
time, so a person sees every bad field at once as "path: problem".
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from clm.values import ValueReadError, calendars, durations, money
from clm.values.durations import Duration

#: Bounds that keep every schedule computable; values outside them are refused, naming the field.
MIN_YEAR, MAX_YEAR = 1900, 2200
MAX_DURATION_YEARS = 100


def kind_of(value: Any) -> str:
    """Return how a person would name the JSON type of ``value`` ("an object", "a list" ...)."""
    return {dict: "an object", list: "a list", str: "a string", bool: "a boolean",
            int: "a number", float: "a number", type(None): "null"}.get(type(value), type(value).__name__)


class FieldReader:
    """Reads fields of a document, collecting errors named by their path."""

    def __init__(self) -> None:
        self.errors: list[str] = []

    def error(self, path: str, problem: str) -> None:
        self.errors.append(f"{path}: {problem}")

    def refused(self, path: str, err: ValueReadError) -> None:
        """Record a value that could not be read, in the one message shape (naming the wording)."""
        hint = f" (e.g. {err.example})" if err.example else ""
        shown = err.wording.strip() if isinstance(err.wording, str) else err.wording
        self.error(path, f"cannot read {shown!r} as {err.what}{hint}")

    def known(self, obj: Mapping[str, Any], allowed: tuple[str, ...], path: str) -> None:
        # A misspelt key in a money document ("satisified_on") must not be silently ignored.
        for key in obj:
            if key not in allowed:
                self.error(f"{path}.{key}" if path else str(key), "unknown field")

    def mapping(self, value: Any, path: str) -> Mapping[str, Any] | None:
        if not isinstance(value, Mapping):
            self.error(path, f"must be an object, not {kind_of(value)}")
            return None
        return value

    def date(self, obj: Mapping[str, Any], key: str, path: str, required: bool) -> datetime.date | None:
        value = obj.get(key)
        if value is None or value == "":
            if required:
                self.error(path, "missing")
            return None
        if isinstance(value, datetime.date) and not isinstance(value, datetime.datetime):
            parsed = value
        else:
            if not isinstance(value, str) or len(value.strip()) != 10:
                self.error(path, f"cannot read {value!r} as a date (YYYY-MM-DD)")
                return None
            try:
                parsed = datetime.date.fromisoformat(value.strip())
            except ValueError:
                self.error(path, f"cannot read {value!r} as a date (YYYY-MM-DD): no such day")
                return None
        if not MIN_YEAR <= parsed.year <= MAX_YEAR:
            # Schedules run months past an end date; year 9999 would overflow the calendar.
            self.error(path, f"{parsed} is outside {MIN_YEAR}-{MAX_YEAR}")
            return None
        return parsed

    def currency(self, value: Any, path: str) -> str | None:
        if value is None or value == "":
            self.error(path, "missing")
            return None
        try:
            return money.currency(value)
        except ValueReadError as err:
            self.refused(path, err)
            return None

    def money_amount(self, value: Any, path: str, currency: str | None, limit: Decimal | None = None) -> Decimal | None:
        """Return a decimal amount (string or integer) in ``currency`` (any decimals when None)."""
        try:
            amount = _decimal(value)
            if limit is not None and amount >= limit:
                self.error(path, f"{amount} is larger than any contract clm bills ({limit:,} or more)")
                return None
            return money.amount(value, currency) if currency else amount
        except ValueReadError as err:
            self.refused(path, err)
            return None

    def duration(self, obj: Mapping[str, Any], key: str, path: str, units: tuple[str, ...] | None = None) -> Duration | None:
        value = obj.get(key)
        if value is None or value == "":
            return None
        try:
            duration = durations.parse(value)
        except ValueReadError as err:
            self.refused(path, err)
            return None
        if units is not None and duration.unit not in units:
            self.error(path, f"{value!r} must be counted in {' or '.join(u.replace('_', ' ') + 's' for u in units)}")
            return None
        if duration.unit != "hour" and duration.approx_days() > 366 * MAX_DURATION_YEARS:
            self.error(path, f"{value!r} is longer than {MAX_DURATION_YEARS} years")
            return None
        return duration

    def holidays(self, obj: Mapping[str, Any], key: str, path: str) -> str | None:
        value = obj.get(key)
        if value is None or value == "":
            return None
        try:
            return calendars.parse(value)
        except ValueReadError as err:
            self.refused(path, err)
            return None

    def choice(self, obj: Mapping[str, Any], key: str, path: str, choices: tuple[str, ...],
               default: str | None = None) -> str | None:
        value = obj.get(key, default)
        if value is None:
            self.error(path, f"missing (one of {', '.join(choices)})")
            return None
        if value not in choices:
            self.error(path, f"{value!r} is not one of {', '.join(choices)}")
            return None
        return str(value)


def _decimal(value: Any) -> Decimal:
    if isinstance(value, (bool, float)) or not isinstance(value, (int, str, Decimal)):
        raise ValueReadError(value, "a decimal amount", '"1200.00"')
    text = str(value).strip()
    try:
        amount = Decimal(text)
    except ArithmeticError:
        raise ValueReadError(value, "a non-negative decimal amount", '"1200.00"') from None
    if not amount.is_finite() or amount < 0 or not text.replace(".", "", 1).isdigit():
        raise ValueReadError(value, "a non-negative decimal amount", '"1200.00"')
    return amount
