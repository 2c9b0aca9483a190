"""Values as people read them, from whatever form a page, a PDF or a CSV holds them in.

Pages, PDFs and the formatted columns of CSVs show values through these functions (the Jinja
filters of :mod:`clm.web.pages` and the CSV writers call them), so money, durations and dates
look the same everywhere: "USD 135,000.00", "60 days", "June 1, 2026". Each takes the stored
or computed form (a decimal string or ``Decimal``, ``P60D``, an ISO date or a ``date``) and is
lenient: an empty value gives ``""`` and a value that does not read is shown as it is, never
as an error in the middle of a page.
"""

from __future__ import annotations

import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from clm.values import ValueReadError, dates, durations, money, numbers

__all__ = ["date_text", "duration_text", "money_text", "month_text", "percent_text"]


def _empty(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def money_text(value: Any, currency: Any) -> str:
    """Return an amount in ``currency`` as an accountant writes it: "USD 135,000.00", "JPY 1,200", "USD -120.00".

    ``value`` is a decimal string ("135000.00"), a ``Decimal``, an integer or a :class:`~money.Money`.
    """
    if isinstance(value, money.Money):
        value, currency = value.amount, value.currency
    if _empty(value):
        return ""
    if isinstance(value, (bool, float)):
        return str(value)
    try:
        amount = value if isinstance(value, Decimal) else Decimal(str(value).strip())
        if not amount.is_finite():
            return str(value)
        code = money.currency(currency)
        return money.format_amount(amount, code)
    except (InvalidOperation, ValueReadError, ValueError):
        return str(value) if _empty(currency) else f"{currency} {value}"


def duration_text(value: Any) -> str:
    """Return a duration as a schedule writes it: "60 days", "1 year", "30 business days" (from ``P60D`` ...)."""
    if _empty(value):
        return ""
    if isinstance(value, durations.Duration):
        return durations.format(value)
    try:
        return durations.format(durations.parse(str(value)))
    except (ValueReadError, ValueError):
        return str(value)


def date_text(value: Any, locale: str = "en-US") -> str:
    """Return a date (a ``date``, a ``datetime`` or an ISO string) as ``locale`` writes it: "June 1, 2026"."""
    if _empty(value):
        return ""
    if isinstance(value, datetime.datetime):
        value = value.date()
    if not isinstance(value, datetime.date):
        try:
            value = dates.parse(str(value))
        except ValueReadError:
            return str(value)
    return dates.format(value, locale)


def month_text(value: Any) -> str:
    """Return a month ("2026-12", a ``date``) as a table heads it: "Dec 2026"."""
    if _empty(value):
        return ""
    if isinstance(value, datetime.date):
        return f"{value:%b} {value.year}"
    try:
        day = datetime.date.fromisoformat(f"{str(value).strip()}-01")
    except ValueError:
        return str(value)
    return f"{day:%b} {day.year}"


def percent_text(value: Any) -> str:
    """Return a percentage as written: "5%", "2.5%" (from "5", 5, "2.5%")."""
    if _empty(value):
        return ""
    try:
        return numbers.format_percent(numbers.read_percent(value))
    except ValueReadError:
        return str(value)
