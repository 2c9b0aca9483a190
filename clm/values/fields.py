"""The catalogue of contract terms: each field's label and value kind, and how its values are read, stored and shown.

A value is *stored* as JSON in our own forms (ISO dates, ``P30BD``, fees as
``[{"amount": "135000.00", "currency": "USD", "period": "annual"}]``); :func:`read` takes a
person's wording (a correction), :func:`parse` a stored value, :func:`to_json` gives the stored
form and :func:`format` the text a reader sees ("30 business days", "USD 135,000.00 per year").
"""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from clm.errors import InvalidInput
from clm.values import (
    ValueReadError,
    dates,
    durations,
    frequencies,
    jurisdictions,
    money,
    numbers,
)

#: The kinds of value a term may have.
KINDS = ("parties", "date", "duration", "boolean", "integer", "jurisdiction", "fees", "frequency", "percent")


@dataclass(frozen=True)
class TermField:
    """A contract term: its name, the label people see, and the kind of its value."""

    name: str
    label: str
    kind: str


@dataclass(frozen=True)
class Fee:
    """A fee: an amount of money, charged once (``period`` None) or every period ("monthly", "annual" ...)."""

    money: money.Money
    period: str | None = None


TERM_FIELDS: tuple[TermField, ...] = (
    TermField("parties", "Parties", "parties"),
    TermField("agreement_date", "Agreement date", "date"),
    TermField("effective_date", "Effective date", "date"),
    TermField("initial_term", "Initial term", "duration"),
    TermField("expiration_date", "Expiration date", "date"),
    TermField("auto_renewal", "Auto-renewal", "boolean"),
    TermField("renewal_term", "Renewal term", "duration"),
    TermField("non_renewal_notice", "Non-renewal notice", "duration"),
    TermField("renewal_limit", "Renewal limit", "integer"),
    TermField("termination_for_convenience", "Termination for convenience", "boolean"),
    TermField("termination_notice", "Termination notice", "duration"),
    TermField("termination_for_cause", "Termination for cause", "boolean"),
    TermField("cure_period", "Cure period", "duration"),
    TermField("governing_law", "Governing law", "jurisdiction"),
    TermField("payment_terms", "Payment terms", "duration"),
    TermField("fees", "Fees", "fees"),
    TermField("billing_frequency", "Billing frequency", "frequency"),
    TermField("price_increase_cap", "Price increase cap (%)", "percent"),
)
FIELDS = {f.name: f for f in TERM_FIELDS}

#: The value of a term with no fixed end: the agreement (its expiration date), or each renewal
#: (its renewal term, an "evergreen" contract), runs until a party terminates it. CUAD writes the
#: same word. It is not a date or a duration, so code that computes with these fields checks for it.
PERPETUAL = "perpetual"
#: The fields whose value may be PERPETUAL, and how a reader sees it.
OPEN_ENDED = {"expiration_date": "none: runs until terminated (perpetual)",
              "renewal_term": "until terminated (evergreen)"}
_PERPETUAL_WORDING = re.compile(r"perpetual(?:ly)?|in\s+perpetuity|evergreen|indefinite(?:ly)?|until\s+terminated"
                                r"|no\s+fixed\s+end", re.IGNORECASE)

_PERIOD_WORDS = {"weekly": "per week", "monthly": "per month", "quarterly": "per quarter",
                 "semiannual": "every six months", "annual": "per year"}
_YES = {"yes", "true", "1", "y"}
_NO = {"no", "false", "0", "n"}


def field(name: str) -> TermField:
    """Return the field called ``name``; raise InvalidInput for a term clm does not know."""
    try:
        return FIELDS[name]
    except KeyError:
        raise InvalidInput(f"Unknown term {name!r}.") from None


# ----------------------------------------------------------------------------- fees


def read_fees(text: str) -> list[Fee]:
    """Return the fees a person lists: "USD 135,000.00 per year; USD 5,000.00" (one a line or ``;``-separated)."""
    if not isinstance(text, str):
        raise ValueReadError(text, "fees", "USD 135,000.00 per year; USD 5,000.00")
    out = []
    for part in (p.strip() for p in re.split(r"[\n;]", text)):
        if not part:
            continue
        found = money.find(part)
        if not found or found[0].start != 0:
            raise ValueReadError(part, "a fee", "USD 135,000.00 per year")
        amount = money.read(part[:found[0].end])
        rest = part[found[0].end:].strip(" ,")
        period = None
        if rest:
            try:
                period = frequencies.read(rest)
            except ValueReadError:
                raise ValueReadError(part, "a fee", "USD 135,000.00 per year") from None
        out.append(Fee(amount, None if period == "once" else period))
    if not out:
        raise ValueReadError(text, "fees", "USD 135,000.00 per year")
    return out


def format_fee(fee: Fee) -> str:
    """Return a fee as written: "USD 135,000.00 per year", "USD 5,000.00"."""
    text = money.format(fee.money)
    return f"{text} {_PERIOD_WORDS[fee.period]}" if fee.period else text


def fee_json(fee: Fee) -> dict[str, Any]:
    """Return a fee as stored: ``{"amount": "135000.00", "currency": "USD", "period": "annual"}``."""
    exact = money.is_exact(fee.money.amount, fee.money.currency) if money.is_currency(fee.money.currency) else False
    amount = money.plain(fee.money.amount, fee.money.currency) if exact else str(fee.money.amount)
    return {"amount": amount, "currency": fee.money.currency, "period": fee.period}


def parse_fee(stored: Any) -> Fee:
    """Return the fee of a stored ``{"amount", "currency", "period"}`` object."""
    if not isinstance(stored, dict) or not isinstance(stored.get("currency"), str):
        raise ValueReadError(stored, "a fee", '{"amount": "135000.00", "currency": "USD", "period": "annual"}')
    cur = money.currency(stored["currency"])
    amount = money.amount(stored.get("amount"), cur)
    period = stored.get("period")
    if period is not None:
        period = frequencies.parse(period)
    return Fee(money.Money(amount, cur), None if period == "once" else period)


# ----------------------------------------------------------------------------- the four verbs


def read(name: str, raw: Any) -> Any:
    """Return a person's wording of term ``name`` as its typed value (a correction typed into a form).

    Raise InvalidInput naming the field and the wording when it is not a value of the field's kind.
    """
    f = field(name)
    if isinstance(raw, str) and not raw.strip():
        raise InvalidInput(f"{f.label}: enter a value, or clear the term instead.")
    if read_open_ended(name, raw):
        return PERPETUAL
    try:
        return _READERS[f.kind](raw)
    except ValueReadError as err:
        raise err.named(f.label) from None


def read_open_ended(name: str, raw: Any) -> bool:
    """Return whether a person's wording of term ``name`` is :data:`PERPETUAL` ("until terminated",
    "evergreen", "perpetual"), for the fields that may be (:data:`OPEN_ENDED`)."""
    return name in OPEN_ENDED and isinstance(raw, str) and _PERPETUAL_WORDING.fullmatch(raw.strip()) is not None


def parse(name: str, stored: Any) -> Any:
    """Return a stored value of term ``name`` as its typed value; raise ValueReadError naming the field.

    An expiration date or renewal term may be :data:`PERPETUAL` (returned as it is).
    """
    f = field(name)
    if name in OPEN_ENDED and stored == PERPETUAL:
        return PERPETUAL
    try:
        return _PARSERS[f.kind](stored)
    except ValueReadError as err:
        raise err.named(f.label) from None


def to_json(name: str, value: Any) -> Any:
    """Return the typed value of term ``name`` in its stored form (JSON in our own forms)."""
    kind = field(name).kind
    if name in OPEN_ENDED and value == PERPETUAL:
        return PERPETUAL
    if kind == "date":
        return value.isoformat()
    if kind == "duration":
        return value.iso
    if kind == "fees":
        return [fee_json(fee) for fee in value]
    if kind == "percent":
        return float(value)
    return value


def format(name: str, stored: Any, locale: str = "iso") -> str:
    """Return a stored value of term ``name`` as a reader sees it ("30 business days", "USD 135,000.00 per year").

    Dates are written as ``locale`` writes them (:func:`clm.values.dates.format`; ISO unless told).
    A stored value that no longer parses (written by an older clm) is shown as it is.
    """
    if stored is None:
        return "—"
    kind = field(name).kind
    if name in OPEN_ENDED and stored == PERPETUAL:
        return OPEN_ENDED[name]
    try:
        value = parse(name, stored)
    except (ValueReadError, ValueError):
        return _plain(stored)
    if kind == "duration":
        return durations.format(value)
    if kind == "date":
        return dates.format(value, locale)
    if kind == "boolean":
        return "yes" if value else "no"
    if kind == "parties":
        return "; ".join(value)
    if kind == "fees":
        return "; ".join(format_fee(fee) for fee in value)
    if kind == "percent":
        return numbers.format_percent(value)
    if kind == "frequency":
        return frequencies.format(value)
    return str(value)


#: The kinds whose CSV cell is our own form (ISO dates, ``P30BD``) and that CSVs also give as people read them.
FORMATTED_KINDS = ("date", "duration")


def cell(name: str, stored: Any) -> str:
    """Return a stored value as a CSV cell: our own forms (ISO dates, ``P30BD``), fees and lists as text."""
    if stored is None:
        return ""
    kind = field(name).kind
    if kind in ("duration", "date", "jurisdiction", "integer", "frequency") and not isinstance(stored, (list, dict)):
        return "yes" if stored is True else "no" if stored is False else str(stored)
    return format(name, stored)


def _plain(stored: Any) -> str:
    if isinstance(stored, bool):
        return "yes" if stored else "no"
    if isinstance(stored, list):
        return "; ".join(_plain(v) for v in stored)
    if isinstance(stored, dict):
        return ", ".join(f"{k}: {_plain(v)}" for k, v in stored.items())
    return str(stored)


def _read_boolean(raw: Any) -> bool:
    if isinstance(raw, bool):
        return raw
    if isinstance(raw, str):
        lowered = raw.strip().lower()
        if lowered in _YES:
            return True
        if lowered in _NO:
            return False
    raise ValueReadError(raw, "yes or no", "yes")


def _read_parties(raw: Any) -> list[str]:
    if isinstance(raw, list) and all(isinstance(p, str) for p in raw):
        parts = [p.strip() for p in raw if p.strip()]
    elif isinstance(raw, str):
        parts = [p.strip() for p in re.split(r"[\n;]", raw) if p.strip()]
    else:
        parts = []
    if not parts:
        raise ValueReadError(raw, "party names", "Alpha Corp.; Beta LLC")
    return parts


def _parse_percent(raw: Any) -> Decimal:
    return numbers.read_percent(raw)


def _parse_fees(stored: Any) -> list[Fee]:
    if isinstance(stored, str):
        return read_fees(stored)       # older clm stored fees typed into a form as text
    if isinstance(stored, dict):
        return [parse_fee(stored)]     # one fee stored on its own, not in a list
    if not isinstance(stored, list):
        raise ValueReadError(stored, "fees", "USD 135,000.00 per year")
    return [parse_fee(item) for item in stored]


def _parse_date(stored: Any) -> datetime.date:
    return dates.parse(stored)


_READERS: dict[str, Any] = {
    "parties": _read_parties,
    "date": dates.read,
    "duration": durations.read,
    "boolean": _read_boolean,
    "integer": numbers.read,
    "jurisdiction": jurisdictions.read,
    "fees": read_fees,
    "frequency": frequencies.read,
    "percent": numbers.read_percent,
}
_PARSERS: dict[str, Any] = {
    "parties": _read_parties,
    "date": _parse_date,
    "duration": durations.parse,
    "boolean": _read_boolean,
    "integer": numbers.read,
    "jurisdiction": jurisdictions.parse,
    # Frequencies stored by an older extractor read as the contract words them ("annually").
    "frequency": frequencies.read,
    "fees": _parse_fees,
    "percent": _parse_percent,
}
