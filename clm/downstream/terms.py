"""Confirmed contract terms: parsing and validating the terms document, money and duration helpers."""

from __future__ import annotations

import calendar
import hashlib
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction
from typing import Any

from clm.errors import InputErrors

#: ISO 4217 codes clm accepts, with their minor-unit digits (JPY has none, KWD has three).
CURRENCIES: dict[str, int] = {
    "AED": 2, "ARS": 2, "AUD": 2, "BDT": 2, "BGN": 2, "BHD": 3, "BRL": 2, "CAD": 2, "CHF": 2,
    "CLP": 0, "CNY": 2, "COP": 2, "CZK": 2, "DKK": 2, "EGP": 2, "EUR": 2, "GBP": 2, "HKD": 2,
    "HUF": 2, "IDR": 2, "ILS": 2, "INR": 2, "ISK": 0, "JOD": 3, "JPY": 0, "KES": 2, "KRW": 0,
    "KWD": 3, "MXN": 2, "MYR": 2, "NGN": 2, "NOK": 2, "NZD": 2, "OMR": 3, "PEN": 2, "PHP": 2,
    "PKR": 2, "PLN": 2, "QAR": 2, "RON": 2, "SAR": 2, "SEK": 2, "SGD": 2, "THB": 2, "TND": 3,
    "TRY": 2, "TWD": 2, "UAH": 2, "UGX": 0, "USD": 2, "VND": 0, "XAF": 0, "XOF": 0, "ZAR": 2,
}

RECOGNITIONS = ("ratable", "point_in_time")
FREQUENCIES = ("once", "monthly", "quarterly", "annual")
TIMINGS = ("advance", "arrears")
TREATMENTS = ("separate_contract", "prospective")

#: Months in one billing period of each periodic frequency.
PERIOD_MONTHS = {"monthly": 1, "quarterly": 3, "annual": 12}

_DATE_RE = re.compile(r"\d{4}-\d{2}-\d{2}")
_DURATION_RE = re.compile(r"P(?:(\d+)Y)?(?:(\d+)M)?(?:(\d+)W)?(?:(\d+)D)?")
_AMOUNT_RE = re.compile(r"-?\d+(?:\.\d+)?")
_PERCENT_RE = re.compile(r"(-?\d+(?:\.\d+)?)\s*%?")

_LINE_FIELDS = ("id", "description", "price", "ssp", "recognition", "start", "end",
                "satisfied_on", "billing")
_BILLING_FIELDS = ("frequency", "timing", "on")
_RENEWAL_FIELDS = ("auto_renewal", "renewal_term", "non_renewal_notice", "price_increase_cap")
_MODIFICATION_FIELDS = ("effective", "treatment", "lines")


class TermsError(InputErrors):
    """The terms document has one or more problems; ``errors`` lists each as "path: problem"."""

    summary = "invalid contract terms"


# ----------------------------------------------------------------------------- values


@dataclass(frozen=True)
class Duration:
    """An ISO-8601 duration in calendar months and days (weeks count as 7 days)."""

    months: int
    days: int

    @property
    def iso(self) -> str:
        """Return the canonical ISO-8601 form (P1Y, P18M, P30D, P1Y6M ...)."""
        if not self.months and not self.days:
            return "P0D"
        years, months = divmod(self.months, 12)
        out = "P"
        out += f"{years}Y" if years else ""
        out += f"{months}M" if months else ""
        out += f"{self.days}D" if self.days else ""
        return out

    def times(self, n: int) -> Duration:
        """Return this duration repeated ``n`` times."""
        return Duration(self.months * n, self.days * n)

    def after(self, start: date) -> date:
        """Return ``start`` plus this duration (months first, clamped to the month end; then days)."""
        return add_months(start, self.months) + timedelta(days=self.days)

    def before(self, end: date) -> date:
        """Return ``end`` minus this duration (months first, clamped to the month end; then days)."""
        return add_months(end, -self.months) - timedelta(days=self.days)


def parse_duration(text: str) -> Duration:
    """Return the :class:`Duration` for an ISO-8601 text such as P1Y, P12M, P2W or P30D.

    Time parts (PT1H) are refused: contract periods are counted in days.
    """
    m = _DURATION_RE.fullmatch(text) if isinstance(text, str) else None
    if not m or text == "P":
        raise ValueError(f"{text!r} is not an ISO-8601 duration such as P1Y, P12M or P30D")
    years, months, weeks, days = (int(g) if g else 0 for g in m.groups())
    return Duration(12 * years + months, 7 * weeks + days)


def add_months(day: date, months: int) -> date:
    """Return ``day`` moved by ``months`` calendar months, clamped to the last day of the month."""
    y, m = divmod(day.month - 1 + months, 12)
    year, month = day.year + y, m + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def days_between(start: date, end: date) -> int:
    """Return the number of days from ``start`` to ``end``, both included."""
    return (end - start).days + 1


def minor_units(currency: str) -> int:
    """Return the number of decimals of ``currency`` (2 when the code is not in the table)."""
    return CURRENCIES.get(currency, 2)


def quantum(currency: str) -> Decimal:
    """Return the smallest amount of ``currency`` (0.01 for USD, 1 for JPY)."""
    return Decimal(1).scaleb(-minor_units(currency))


def round_money(amount: Decimal, currency: str) -> Decimal:
    """Return ``amount`` rounded half-up to the minor unit of ``currency``."""
    return amount.quantize(quantum(currency), rounding=ROUND_HALF_UP)


def round_fraction(value: Fraction, currency: str) -> Decimal:
    """Return the exact rational ``value`` rounded half-up (away from zero) to the currency's minor unit."""
    digits = minor_units(currency)
    units = abs(value) * 10**digits
    whole = int(units)  # floor, as units >= 0
    if units - whole >= Fraction(1, 2):
        whole += 1
    return (Decimal(-whole if value < 0 else whole)).scaleb(-digits)


def format_money(amount: Decimal, currency: str) -> str:
    """Return ``amount`` as a string with exactly the currency's minor-unit decimals ("10.00")."""
    return str(round_money(amount, currency))


# ----------------------------------------------------------------------------- the model


@dataclass(frozen=True)
class Billing:
    """How one line is invoiced.

    ``on`` is used with frequency ``once`` only: the invoice date (otherwise the line's start
    for advance, its end or satisfaction date for arrears).
    """

    frequency: str
    timing: str = "advance"
    on: date | None = None


@dataclass(frozen=True)
class Line:
    """One priced line of the contract (a performance obligation for revenue)."""

    id: str
    description: str
    price: Decimal
    ssp: Decimal
    recognition: str
    start: date | None
    end: date | None
    satisfied_on: date | None
    billing: Billing


@dataclass(frozen=True)
class RenewalTerms:
    """The renewal clause: automatic or not, the term, the notice and the cap on increases."""

    auto_renewal: bool = False
    renewal_term: Duration | None = None
    non_renewal_notice: Duration | None = None
    #: Maximum increase per renewal in percent (5 means 5 %), None when uncapped.
    price_increase_cap: Decimal | None = None


@dataclass(frozen=True)
class Modification:
    """A change to the contract from ``effective`` on (ASC 606-10-25-10 to 25-13)."""

    effective: date
    treatment: str
    lines: tuple[Line, ...]


@dataclass(frozen=True)
class ContractTerms:
    """The confirmed terms that billing, revenue and renewals read."""

    currency: str
    signed_on: date
    payment_terms_days: int
    lines: tuple[Line, ...]
    renewal: RenewalTerms = field(default_factory=RenewalTerms)
    modifications: tuple[Modification, ...] = ()

    def all_lines(self) -> tuple[Line, ...]:
        """Return the original lines followed by every modification's lines."""
        return self.lines + tuple(ln for mod in self.modifications for ln in mod.lines)


# ----------------------------------------------------------------------------- parsing


#: Bounds that keep every schedule computable; values outside them are refused, naming the field.
MIN_YEAR, MAX_YEAR = 1900, 2200
MAX_AMOUNT = Decimal(10) ** 13
MAX_PAYMENT_DAYS = 3650
MAX_DURATION_YEARS = 100


class FieldReader:
    """Reads fields of a JSON or YAML document, collecting errors named by their path.

    Shared by every document clm validates field by field (terms here, the quote catalog);
    subclasses add readers for their own kinds of value.
    """

    def __init__(self) -> None:
        self.errors: list[str] = []

    def error(self, path: str, problem: str) -> None:
        self.errors.append(f"{path}: {problem}")

    def known(self, obj: Mapping[str, Any], allowed: tuple[str, ...], path: str) -> None:
        # A misspelt key in a money document ("satisified_on") must not be silently ignored.
        for key in obj:
            if key not in allowed:
                self.error(f"{path}.{key}" if path else str(key), "unknown field")

    def mapping(self, value: Any, path: str) -> Mapping[str, Any] | None:
        if not isinstance(value, Mapping):
            self.error(path, f"must be an object, not {_kind(value)}")
            return None
        return value

    def date(self, obj: Mapping[str, Any], key: str, path: str, required: bool) -> date | None:
        value = obj.get(key)
        if value is None or value == "":
            if required:
                self.error(path, "missing")
            return None
        if not isinstance(value, str) or not _DATE_RE.fullmatch(value):
            self.error(path, f"{value!r} is not a date (YYYY-MM-DD)")
            return None
        try:
            parsed = date.fromisoformat(value)
        except ValueError:
            self.error(path, f"{value!r} is not a valid date")
            return None
        if not MIN_YEAR <= parsed.year <= MAX_YEAR:
            # Schedules run months past an end date; year 9999 would overflow the calendar.
            self.error(path, f"{value} is outside {MIN_YEAR}-{MAX_YEAR}")
            return None
        return parsed

    def amount(self, obj: Mapping[str, Any], key: str, path: str, currency: str | None,
               required: bool = True) -> Decimal | None:
        value = obj.get(key)
        if value is None or value == "":
            if required:
                self.error(path, "missing")
            return None
        if isinstance(value, (bool, float)):
            # A binary float cannot carry an exact amount of money; ask for the decimal string.
            self.error(path, f"{value!r} must be a decimal string such as \"1200.00\"")
            return None
        text = str(value).strip()
        if not _AMOUNT_RE.fullmatch(text):
            self.error(path, f"{value!r} is not a decimal amount")
            return None
        amount = Decimal(text)
        if amount < 0:
            self.error(path, f"{text} is negative")
            return None
        if amount >= MAX_AMOUNT:
            self.error(path, f"{text} is larger than any contract clm bills ({MAX_AMOUNT:,} or more)")
            return None
        if currency is not None:
            digits = minor_units(currency)
            if amount != amount.quantize(quantum(currency), rounding=ROUND_HALF_UP):
                self.error(path, f"{text} has more than {digits} decimals for {currency}")
                return None
            amount = amount.quantize(quantum(currency))
        return amount

    def duration(self, obj: Mapping[str, Any], key: str, path: str) -> Duration | None:
        value = obj.get(key)
        if value is None or value == "":
            return None
        try:
            duration = parse_duration(value)
        except ValueError as exc:
            self.error(path, str(exc))
            return None
        if duration.months > 12 * MAX_DURATION_YEARS or duration.days > 366 * MAX_DURATION_YEARS:
            self.error(path, f"{value!r} is longer than {MAX_DURATION_YEARS} years")
            return None
        return duration

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


def _kind(value: Any) -> str:
    return {dict: "an object", list: "a list", str: "a string", bool: "a boolean",
            int: "a number", float: "a number", type(None): "null"}.get(type(value), type(value).__name__)


def parse_terms(data: Any) -> ContractTerms:
    """Return the :class:`ContractTerms` of a terms document (parsed JSON).

    Every problem is collected and raised at once as :class:`TermsError` (an ``InvalidInput``),
    each naming its field path, e.g. ``lines[1].end: 2026-01-01 is before start 2026-03-01``.
    Unknown top-level keys (metadata such as who confirmed the terms) are ignored; unknown keys
    inside lines, billing, renewal and modifications are errors. Defaults: ``payment_terms_days``
    30, a line's ``ssp`` its price, ``description`` "", ``billing.timing`` advance.
    """
    r = FieldReader()
    doc = r.mapping(data, "terms")
    if doc is None:
        raise TermsError(r.errors)

    currency: str | None = None
    raw_currency = doc.get("currency")
    if raw_currency is None or raw_currency == "":
        r.error("currency", "missing")
    elif not isinstance(raw_currency, str) or raw_currency.upper() not in CURRENCIES:
        r.error("currency", f"{raw_currency!r} is not a known ISO 4217 currency code")
    else:
        currency = raw_currency.upper()

    signed_on = r.date(doc, "signed_on", "signed_on", required=True)

    payment_terms_days = 30
    raw_days = doc.get("payment_terms_days", 30)
    if isinstance(raw_days, bool) or not isinstance(raw_days, int) or not 0 <= raw_days <= MAX_PAYMENT_DAYS:
        r.error("payment_terms_days", f"{raw_days!r} must be a whole number of days from 0 to {MAX_PAYMENT_DAYS}")
    else:
        payment_terms_days = raw_days

    lines: list[Line] = []
    raw_lines = doc.get("lines")
    if raw_lines is None:
        r.error("lines", "missing")
    elif not isinstance(raw_lines, list):
        r.error("lines", f"must be a list, not {_kind(raw_lines)}")
    elif not raw_lines:
        r.error("lines", "must have at least one line")
    else:
        for i, raw in enumerate(raw_lines):
            line = _parse_line(r, raw, f"lines[{i}]", currency, None)
            if line is not None:
                lines.append(line)
        _check_ids(r, raw_lines, "lines")
        if len(lines) == len(raw_lines) and sum((ln.ssp for ln in lines), Decimal(0)) == 0:
            # Relative SSP allocation (606-10-32-31) divides by the sum of the SSPs.
            r.error("lines", "the standalone selling prices (ssp) sum to zero")

    renewal = RenewalTerms()
    if doc.get("renewal") is not None:
        renewal = _parse_renewal(r, doc["renewal"])

    modifications: list[Modification] = []
    raw_mods = doc.get("modifications")
    if raw_mods is not None:
        if not isinstance(raw_mods, list):
            r.error("modifications", f"must be a list, not {_kind(raw_mods)}")
        else:
            known_ids = {str(raw.get("id")) for raw in raw_lines or () if isinstance(raw, Mapping)}
            for i, raw in enumerate(raw_mods):
                mod = _parse_modification(r, raw, f"modifications[{i}]", currency, signed_on,
                                          lines, modifications, known_ids)
                if mod is not None:
                    modifications.append(mod)
            effective = [m.effective for m in modifications]
            if len(modifications) == len(raw_mods) and effective != sorted(effective):
                r.error("modifications", "must be in order of their effective dates")

    if r.errors:
        raise TermsError(r.errors)
    assert currency is not None and signed_on is not None
    return ContractTerms(currency, signed_on, payment_terms_days, tuple(lines), renewal,
                         tuple(modifications))


def _check_ids(r: FieldReader, raw_lines: list[Any], path: str) -> None:
    seen: set[str] = set()
    for i, raw in enumerate(raw_lines):
        if isinstance(raw, Mapping) and isinstance(raw.get("id"), str) and raw["id"]:
            if raw["id"] in seen:
                r.error(f"{path}[{i}].id", f"{raw['id']!r} is used by an earlier line")
            seen.add(raw["id"])


def _parse_line(r: FieldReader, raw: Any, path: str, currency: str | None, base: Line | None,
                default_start: date | None = None) -> Line | None:
    """Return one line, or None after recording its errors.

    ``base`` is the line a prospective modification changes: fields left out are taken from it
    (except the price, which is the modification's new consideration, and the start).
    ``default_start`` is the start of a line that does not give one (a modification's date).
    """
    obj = r.mapping(raw, path)
    if obj is None:
        return None
    before = len(r.errors)
    r.known(obj, _LINE_FIELDS, path)

    def inherited(key: str) -> Any:
        return getattr(base, key) if base is not None and key not in obj else None

    line_id = obj.get("id")
    if not isinstance(line_id, str) or not line_id.strip():
        r.error(f"{path}.id", "missing" if line_id in (None, "") else f"{line_id!r} must be a string")
        line_id = ""
    description = obj.get("description", base.description if base else "")
    if not isinstance(description, str):
        r.error(f"{path}.description", f"must be a string, not {_kind(description)}")
    price = r.amount(obj, "price", f"{path}.price", currency)
    ssp = inherited("ssp")
    if ssp is None:
        ssp = r.amount(obj, "ssp", f"{path}.ssp", currency) if "ssp" in obj else price
    recognition = r.choice(obj, "recognition", f"{path}.recognition", RECOGNITIONS,
                           base.recognition if base else None)
    start = r.date(obj, "start", f"{path}.start", required=False) or default_start
    end = inherited("end") or r.date(obj, "end", f"{path}.end", required=False)
    satisfied_on = (inherited("satisfied_on")
                    or r.date(obj, "satisfied_on", f"{path}.satisfied_on", required=False))
    billing: Billing | None = inherited("billing")
    if billing is None:
        billing = _parse_billing(r, obj.get("billing"), f"{path}.billing")

    if start and end and end < start:
        r.error(f"{path}.end", f"{end} is before start {start}")
    if recognition == "ratable":
        # A ratable line is recognized over its service period, so the period must be known.
        for key, value in (("start", start), ("end", end)):
            if value is None:
                r.error(f"{path}.{key}", "missing (a ratable line needs its service period)")
    elif recognition == "point_in_time" and satisfied_on is None:
        r.error(f"{path}.satisfied_on",
                "missing (a point-in-time line needs the date control transfers, actual or expected)")
    if billing is not None and billing.frequency != "once":
        for key, value in (("start", start), ("end", end)):
            if value is None and recognition != "ratable":
                r.error(f"{path}.{key}", f"missing (needed for {billing.frequency} billing)")
    if len(r.errors) > before:
        return None
    assert price is not None and ssp is not None and recognition is not None and billing is not None
    return Line(line_id, str(description), price, ssp, recognition, start, end, satisfied_on, billing)


def _parse_billing(r: FieldReader, raw: Any, path: str) -> Billing | None:
    if raw is None:
        r.error(path, "missing")
        return None
    obj = r.mapping(raw, path)
    if obj is None:
        return None
    before = len(r.errors)
    r.known(obj, _BILLING_FIELDS, path)
    frequency = r.choice(obj, "frequency", f"{path}.frequency", FREQUENCIES)
    timing = r.choice(obj, "timing", f"{path}.timing", TIMINGS, "advance")
    on = r.date(obj, "on", f"{path}.on", required=False)
    if on is not None and frequency not in (None, "once"):
        r.error(f"{path}.on", "only used with frequency once (periodic billing follows the start date)")
    if len(r.errors) > before:
        return None
    assert frequency is not None and timing is not None
    return Billing(frequency, timing, on)


def _parse_renewal(r: FieldReader, raw: Any) -> RenewalTerms:
    obj = r.mapping(raw, "renewal")
    if obj is None:
        return RenewalTerms()
    r.known(obj, _RENEWAL_FIELDS, "renewal")
    auto = obj.get("auto_renewal", False)
    if not isinstance(auto, bool):
        r.error("renewal.auto_renewal", f"{auto!r} must be true or false")
        auto = False
    term = r.duration(obj, "renewal_term", "renewal.renewal_term")
    if term is not None and term.months == 0 and term.days == 0:
        r.error("renewal.renewal_term", f"{obj['renewal_term']} must be longer than zero")
        term = None
    elif term is None and auto and "renewal_term" not in obj:
        r.error("renewal.renewal_term", "missing (required when auto_renewal is true)")
    notice = r.duration(obj, "non_renewal_notice", "renewal.non_renewal_notice")
    cap: Decimal | None = None
    raw_cap = obj.get("price_increase_cap")
    if raw_cap is not None and raw_cap != "":
        # Extraction yields the cap as a number of percent (5.0); a document may say "5%".
        m = _PERCENT_RE.fullmatch(str(raw_cap).strip()) if not isinstance(raw_cap, bool) else None
        if not m:
            r.error("renewal.price_increase_cap", f"{raw_cap!r} is not a percentage such as \"5%\"")
        elif Decimal(m.group(1)) < 0:
            r.error("renewal.price_increase_cap", f"{raw_cap} is negative")
        else:
            cap = Decimal(m.group(1))
    return RenewalTerms(auto, term, notice, cap)


def _parse_modification(r: FieldReader, raw: Any, path: str, currency: str | None,
                        signed_on: date | None, lines: list[Line], earlier: list[Modification],
                        known_ids: set[str]) -> Modification | None:
    obj = r.mapping(raw, path)
    if obj is None:
        return None
    before = len(r.errors)
    r.known(obj, _MODIFICATION_FIELDS, path)
    effective = r.date(obj, "effective", f"{path}.effective", required=True)
    if effective and signed_on and effective < signed_on:
        r.error(f"{path}.effective", f"{effective} is before the contract was signed ({signed_on})")
    treatment = r.choice(obj, "treatment", f"{path}.treatment", TREATMENTS)
    raw_lines = obj.get("lines")
    mod_lines: list[Line] = []
    if not isinstance(raw_lines, list) or not raw_lines:
        r.error(f"{path}.lines", "missing (a modification adds or changes at least one line)")
        raw_lines = []
    # The latest version of each line: a prospective modification may change a line twice.
    current = {ln.id: ln for ln in lines}
    for mod in earlier:
        current.update({ln.id: ln for ln in mod.lines})
    for i, raw_line in enumerate(raw_lines):
        lpath = f"{path}.lines[{i}]"
        line_id = raw_line.get("id") if isinstance(raw_line, Mapping) else None
        base = None
        if isinstance(line_id, str) and line_id in known_ids:
            if treatment == "separate_contract":
                r.error(f"{lpath}.id", f"{line_id!r} already exists; a separate contract adds new "
                                       "lines (606-10-25-12), use treatment prospective to change one")
                continue
            base = current.get(line_id)
            if base is None:
                continue  # the line itself was invalid and has been reported
        line = _parse_line(r, raw_line, lpath, currency, base, default_start=effective)
        if line is None or effective is None:
            continue
        if line.start is not None and line.start < effective:
            r.error(f"{lpath}.start", f"{line.start} is before the modification takes effect ({effective})")
        elif line.end is not None and line.end < effective:
            r.error(f"{lpath}.end", f"{line.end} is before the modification takes effect ({effective})")
        elif line.recognition == "point_in_time" and line.satisfied_on is not None \
                and line.satisfied_on < effective:
            r.error(f"{lpath}.satisfied_on",
                    f"{line.satisfied_on} is before the modification takes effect ({effective})")
        else:
            mod_lines.append(line)
    _check_ids(r, raw_lines, f"{path}.lines")
    if len(r.errors) > before:
        return None
    if sum((ln.ssp for ln in mod_lines), Decimal(0)) == 0:
        r.error(f"{path}.lines", "the standalone selling prices (ssp) sum to zero")
        return None
    known_ids.update(ln.id for ln in mod_lines)
    assert effective is not None and treatment is not None
    return Modification(effective, treatment, tuple(mod_lines))


# ----------------------------------------------------------------------------- canonical form


def terms_to_dict(terms: ContractTerms) -> dict[str, Any]:
    """Return the terms as a JSON-ready dict in canonical form (amounts at minor units, ISO dates)."""
    cur = terms.currency

    def line(ln: Line) -> dict[str, Any]:
        return {
            "id": ln.id, "description": ln.description,
            "price": format_money(ln.price, cur), "ssp": format_money(ln.ssp, cur),
            "recognition": ln.recognition,
            "start": _iso(ln.start), "end": _iso(ln.end), "satisfied_on": _iso(ln.satisfied_on),
            "billing": {"frequency": ln.billing.frequency, "timing": ln.billing.timing,
                        "on": _iso(ln.billing.on)},
        }

    rn = terms.renewal
    return {
        "currency": cur,
        "signed_on": terms.signed_on.isoformat(),
        "payment_terms_days": terms.payment_terms_days,
        "lines": [line(ln) for ln in terms.lines],
        "renewal": {
            "auto_renewal": rn.auto_renewal,
            "renewal_term": rn.renewal_term.iso if rn.renewal_term else None,
            "non_renewal_notice": rn.non_renewal_notice.iso if rn.non_renewal_notice else None,
            "price_increase_cap": None if rn.price_increase_cap is None
            else format(rn.price_increase_cap.normalize(), "f"),
        },
        "modifications": [
            {"effective": m.effective.isoformat(), "treatment": m.treatment,
             "lines": [line(ln) for ln in m.lines]}
            for m in terms.modifications
        ],
    }


def terms_hash(terms: ContractTerms) -> str:
    """Return the SHA-256 (hex) of the canonical JSON of ``terms``.

    The canonical form does not depend on how the document was written ("120000" and
    "120000.00", key order, "P12M" and "P1Y" hash the same), so a hash stored when the terms
    were confirmed proves that what was signed is what is billed.
    """
    text = json.dumps(terms_to_dict(terms), sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _iso(value: date | None) -> str | None:
    return value.isoformat() if value else None

