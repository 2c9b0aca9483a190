"""Confirmed contract terms: parsing and validating the terms document, its canonical form and hash."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from clm.errors import InputErrors
from clm.values import ValueReadError, calendars, durations, money, numbers
from clm.values.calendars import BusinessCalendar
from clm.values.durations import Duration
from clm.values.fields import PERPETUAL
from clm.values.reader import FieldReader, kind_of

RECOGNITIONS = ("ratable", "point_in_time", "progress", "usage")
#: How often a line may be billed (a subset of the values' frequencies).
FREQUENCIES = ("once", "monthly", "quarterly", "annual")
TIMINGS = ("advance", "arrears")
TREATMENTS = ("separate_contract", "prospective", "cumulative_catch_up")
#: A line's ``ssp`` may say this: its SSP is what is left of the price (606-10-32-34(c)).
RESIDUAL = "residual"


_LINE_FIELDS = ("id", "description", "price", "ssp", "ssp_range", "recognition", "start", "end",
                "satisfied_on", "progress", "billing", "quantity", "unit_price", "seats")
#: Unit prices may be finer than the currency's minor unit (0.0015 a call), to this many places.
UNIT_PRICE_PLACES = 6
MAX_QUANTITY = 10 ** 9
_BILLING_FIELDS = ("frequency", "timing", "on")
_RENEWAL_FIELDS = ("auto_renewal", "renewal_term", "non_renewal_notice", "price_increase_cap")
_MODIFICATION_FIELDS = ("effective", "treatment", "lines", "reprice", "concession")
_DISCOUNT_FIELDS = ("lines", "amount")
_REPRICE_FIELDS = ("line", "price", "ssp")
_CONCESSION_FIELDS = ("line", "amount")


class TermsError(InputErrors):
    """The terms document has one or more problems; ``errors`` lists each as "path: problem"."""

    summary = "invalid contract terms"


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
    #: The SSP is the residual of the price (606-10-32-34(c)); ``ssp`` is then 0 until allocated.
    residual: bool = False
    #: The observable range of a residual SSP (low, high); a residual outside it is refused.
    ssp_range: tuple[Decimal, Decimal] | None = None
    #: For recognition ``progress``: (date, percent complete through that date), in date order,
    #: the last one 100 (an input or output measure of progress, 606-10-55-16 to 55-21).
    progress: tuple[tuple[date, Decimal], ...] = ()
    #: Quantity x unit price: ``quantity`` seats at ``unit_price`` per seat per billing period
    #: (a ``usage`` line: ``unit_price`` per unit used, billed in arrears from usage records).
    quantity: int | None = None
    unit_price: Decimal | None = None
    #: Mid-term seat changes: (first day, new quantity), prorated by days (see billing).
    seats: tuple[tuple[date, int], ...] = ()


@dataclass(frozen=True)
class Discount:
    """A discount that observable prices show belongs to some lines only (606-10-32-37).

    ``amount`` is the discount (the SSPs of ``lines`` less what they sell for together); it is
    needed beside a residual line, otherwise it is the sum of the SSPs less the price.
    """

    lines: tuple[str, ...]
    amount: Decimal | None = None


@dataclass(frozen=True)
class Reprice:
    """A modification's new consideration for what remains of an existing line.

    ``price`` is what the customer pays for ``line`` from the modification on, replacing its
    instalments dated on or after it (0 removes the rest of the line); ``ssp`` is the SSP of what
    remains at the modification date (None: the line's SSP prorated by the days left).
    """

    line: str
    price: Decimal
    ssp: Decimal | None = None


@dataclass(frozen=True)
class Concession:
    """A price concession on goods or services already delivered (606-10-32-5 to 32-9)."""

    line: str
    amount: Decimal


@dataclass(frozen=True)
class RenewalTerms:
    """The renewal clause: automatic or not, the term, the notice and the cap on increases."""

    auto_renewal: bool = False
    renewal_term: Duration | None = None
    non_renewal_notice: Duration | None = None
    #: Maximum increase per renewal in percent (5 means 5 %), None when uncapped.
    price_increase_cap: Decimal | None = None
    #: An evergreen contract (the document's ``"renewal_term": "perpetual"``): after its initial
    #: term it runs on, with no renewal term, until a party gives notice (``non_renewal_notice``).
    #: ``renewal_term`` is then None and ``auto_renewal`` true.
    evergreen: bool = False


@dataclass(frozen=True)
class Modification:
    """A change to the contract from ``effective`` on (ASC 606-10-25-10 to 25-13)."""

    effective: date
    treatment: str
    lines: tuple[Line, ...]
    reprice: tuple[Reprice, ...] = ()
    concession: Concession | None = None


@dataclass(frozen=True)
class PriceChange:
    """A change in the estimate of the original contract's variable consideration (606-10-32-42
    to 32-45): ``amount`` more (or less, when negative) from ``on``."""

    on: date
    amount: Decimal


@dataclass(frozen=True)
class Party:
    """Who issues or pays the invoices: a name, a postal address (lines), and for the seller a
    short code its invoice numbers carry, for the bill-to a tax jurisdiction ("US-NY", "GB")."""

    name: str
    address: tuple[str, ...] = ()
    code: str | None = None
    tax_id: str | None = None
    jurisdiction: str | None = None


_PARTY_FIELDS = {"seller": ("name", "address", "code", "tax_id"),
                 "bill_to": ("name", "address", "jurisdiction", "tax_id")}
_CODE_RE = re.compile(r"[A-Z0-9][A-Z0-9-]{0,19}")
_JURISDICTION_RE = re.compile(r"[A-Z]{2}(-[A-Z0-9]{1,3})?")


@dataclass(frozen=True)
class ContractTerms:
    """The confirmed terms that billing, revenue and renewals read."""

    currency: str
    signed_on: date
    payment_terms_days: int
    lines: tuple[Line, ...]
    renewal: RenewalTerms = field(default_factory=RenewalTerms)
    modifications: tuple[Modification, ...] = ()
    #: The holiday calendar business days count on ("GB", "US-NY"); None: the configured default.
    holidays: str | None = None
    #: Whether ``payment_terms_days`` counts business days (a document's ``"payment_terms": "P30BD"``).
    payment_business_days: bool = False
    discount: Discount | None = None
    seller: Party | None = None
    bill_to: Party | None = None
    price_changes: tuple[PriceChange, ...] = ()
    #: The customer may cancel without penalty until each good or service is delivered, so an
    #: invoice is not yet a receivable: the right to consideration is unconditional only once it is
    #: paid or earned (606-10-45-4; ASC 606 Example 38 Case A). Billing is the same either way.
    cancellable: bool = False

    def calendar(self) -> BusinessCalendar:
        """Return the business-day calendar of the contract (its own, else the configured default)."""
        return calendars.calendar(self.holidays)

    def all_lines(self) -> tuple[Line, ...]:
        """Return the original lines followed by every modification's lines."""
        return self.lines + tuple(ln for mod in self.modifications for ln in mod.lines)


# ----------------------------------------------------------------------------- parsing


#: Bounds that keep every schedule computable; values outside them are refused, naming the field.
MAX_AMOUNT = Decimal(10) ** 13
MAX_PAYMENT_DAYS = 3650


class _Reader(FieldReader):
    """The terms document's readers, on top of the values' field reader."""

    def amount(self, obj: Mapping[str, Any], key: str, path: str, currency: str | None,
               required: bool = True) -> Decimal | None:
        value = obj.get(key)
        if value is None or value == "":
            if required:
                self.error(path, "missing")
            return None
        return self.money_amount(value, path, currency, MAX_AMOUNT)


def parse_terms(data: Any) -> ContractTerms:
    """Return the :class:`ContractTerms` of a terms document (parsed JSON).

    Every problem is collected and raised at once as :class:`TermsError` (an ``InvalidInput``),
    each naming its field path, e.g. ``lines[1].end: 2026-01-01 is before start 2026-03-01``.
    Unknown top-level keys (metadata such as who confirmed the terms) are ignored; unknown keys
    inside lines, billing, renewal and modifications are errors. Defaults: ``payment_terms_days``
    30, a line's ``ssp`` its price, ``description`` "", ``billing.timing`` advance.
    """
    r = _Reader()
    doc = r.mapping(data, "terms")
    if doc is None:
        raise TermsError(r.errors)

    currency = r.currency(doc.get("currency"), "currency")

    signed_on = r.date(doc, "signed_on", "signed_on", required=True)

    payment_terms_days = 30
    raw_days = doc.get("payment_terms_days", 30)
    if isinstance(raw_days, bool) or not isinstance(raw_days, int) or not 0 <= raw_days <= MAX_PAYMENT_DAYS:
        r.error("payment_terms_days", f"{raw_days!r} must be a whole number of days from 0 to {MAX_PAYMENT_DAYS}")
    else:
        payment_terms_days = raw_days
    # Payment terms in business days ("P30BD") count on the contract's holiday calendar.
    payment_business_days = False
    payment = r.duration(doc, "payment_terms", "payment_terms", units=("day", "business_day"))
    if payment is not None:
        if payment.amount > MAX_PAYMENT_DAYS:
            r.error("payment_terms", f"{payment.iso} is more than {MAX_PAYMENT_DAYS} days")
        elif "payment_terms_days" in doc and raw_days != payment.amount:
            r.error("payment_terms", f"{payment.iso} disagrees with payment_terms_days {raw_days!r}; give one")
        else:
            payment_terms_days, payment_business_days = payment.amount, payment.business
    holidays = r.holidays(doc, "holidays", "holidays")

    lines: list[Line] = []
    raw_lines = doc.get("lines")
    if raw_lines is None:
        r.error("lines", "missing")
    elif not isinstance(raw_lines, list):
        r.error("lines", f"must be a list, not {kind_of(raw_lines)}")
    elif not raw_lines:
        r.error("lines", "must have at least one line")
    else:
        for i, raw in enumerate(raw_lines):
            line = _parse_line(r, raw, f"lines[{i}]", currency, None)
            if line is not None:
                lines.append(line)
        _check_ids(r, raw_lines, "lines")
        fixed = [ln for ln in lines if ln.recognition != "usage"]
        if len(lines) == len(raw_lines) and fixed and not any(ln.residual for ln in lines) \
                and sum((ln.ssp for ln in fixed), Decimal(0)) == 0:
            # Relative SSP allocation (606-10-32-31) divides by the sum of the SSPs.
            r.error("lines", "the standalone selling prices (ssp) sum to zero")

    discount = None
    if doc.get("discount") is not None:
        discount = _parse_discount(r, doc["discount"], currency, raw_lines)
    if raw_lines and len(lines) == len(raw_lines) and (discount is not None or any(ln.residual for ln in lines)):
        _check_allocation(r, lines, discount, currency or "USD")

    parties = {key: _parse_party(r, doc[key], key) for key in _PARTY_FIELDS if doc.get(key) is not None}
    price_changes = _parse_price_changes(r, doc.get("price_changes"), currency, signed_on, lines)

    cancellable = doc.get("cancellable", False)
    if not isinstance(cancellable, bool):
        r.error("cancellable", f"{cancellable!r} must be true or false")

    renewal = RenewalTerms()
    if doc.get("renewal") is not None:
        renewal = _parse_renewal(r, doc["renewal"])

    modifications: list[Modification] = []
    raw_mods = doc.get("modifications")
    if raw_mods is not None:
        if not isinstance(raw_mods, list):
            r.error("modifications", f"must be a list, not {kind_of(raw_mods)}")
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
    terms = ContractTerms(currency, signed_on, payment_terms_days, tuple(lines), renewal,
                          tuple(modifications), holidays, payment_business_days, discount,
                          parties.get("seller"), parties.get("bill_to"), price_changes, cancellable is True)
    _check_concessions(r, terms)
    if r.errors:
        raise TermsError(r.errors)
    return terms


def _parse_price_changes(r: _Reader, raw: Any, currency: str | None, signed_on: date | None,
                         lines: list[Line]) -> tuple[PriceChange, ...]:
    """Return ``[{"on": DATE, "amount": "40.00" or "-40.00"}, ...]``, in date order, after signing."""
    if raw is None:
        return ()
    if not isinstance(raw, list):
        r.error("price_changes", f"must be a list, not {kind_of(raw)}")
        return ()
    out: list[PriceChange] = []
    total = sum((ln.price for ln in lines if ln.recognition != "usage"), Decimal(0))
    for i, item in enumerate(raw):
        path = f"price_changes[{i}]"
        obj = r.mapping(item, path)
        if obj is None:
            continue
        r.known(obj, ("on", "amount"), path)
        on = r.date(obj, "on", f"{path}.on", required=True)
        value = obj.get("amount")
        negative = isinstance(value, str) and value.strip().startswith("-")
        if negative:
            value = str(value).strip()[1:]
        amount = r.amount({"amount": value}, "amount", f"{path}.amount", currency)
        if on is None or amount is None:
            continue
        amount = -amount if negative else amount
        if signed_on is not None and on < signed_on:
            r.error(f"{path}.on", f"{on} is before the contract was signed ({signed_on})")
        elif out and on < out[-1].on:
            r.error(f"{path}.on", f"{on} is before the change above it ({out[-1].on})")
        elif amount == 0:
            r.error(f"{path}.amount", "must not be zero")
        elif total + sum((c.amount for c in out), Decimal(0)) + amount < 0:
            r.error(f"{path}.amount", f"{money.plain(amount, currency or 'USD')} would make the contract's "
                                      "price negative")
        else:
            out.append(PriceChange(on, amount))
    return tuple(out)


def _parse_party(r: _Reader, raw: Any, path: str) -> Party | None:
    """Return the seller or bill-to party: {"name", "address": [lines] or "text", ...}."""
    obj = r.mapping(raw, path)
    if obj is None:
        return None
    before = len(r.errors)
    r.known(obj, _PARTY_FIELDS[path], path)
    name = obj.get("name")
    if not isinstance(name, str) or not name.strip() or len(name) > 200:
        r.error(f"{path}.name", "missing" if not name else "must be a name of 1 to 200 characters")
    address = obj.get("address", [])
    if isinstance(address, str):
        address = [x.strip() for x in address.splitlines() if x.strip()]
    if not isinstance(address, list) or not all(isinstance(x, str) and len(x) <= 200 for x in address) \
            or len(address) > 8:
        r.error(f"{path}.address", "must be up to 8 lines of text")
        address = []
    texts: dict[str, str | None] = {}
    for key, pattern in (("code", _CODE_RE), ("jurisdiction", _JURISDICTION_RE), ("tax_id", None)):
        value = obj.get(key)
        if value is None:
            texts[key] = None
        elif not isinstance(value, str) or (pattern is not None and not pattern.fullmatch(value)) \
                or not value.strip() or len(value) > 40:
            example = {"code": "ACME-US (capitals, digits, hyphens)", "jurisdiction": "US-NY or GB",
                       "tax_id": "a tax number"}[key]
            r.error(f"{path}.{key}", f"{str(value)[:40]!r} must be like {example}")
        else:
            texts[key] = value
    if len(r.errors) > before:
        return None
    return Party(str(name).strip(), tuple(address), texts.get("code"), texts.get("tax_id"),
                 texts.get("jurisdiction"))


def _party_dict(p: Party) -> dict[str, Any]:
    out: dict[str, Any] = {"name": p.name, "address": list(p.address)}
    for key in ("code", "tax_id", "jurisdiction"):
        if getattr(p, key) is not None:
            out[key] = getattr(p, key)
    return out


def _parse_discount(r: _Reader, raw: Any, currency: str | None, raw_lines: Any) -> Discount | None:
    obj = r.mapping(raw, "discount")
    if obj is None:
        return None
    before = len(r.errors)
    r.known(obj, _DISCOUNT_FIELDS, "discount")
    ids = {str(x.get("id")) for x in raw_lines or () if isinstance(x, Mapping)}
    names = obj.get("lines")
    if not isinstance(names, list) or not names:
        r.error("discount.lines", "missing (the lines the discount belongs to)")
        names = []
    for i, name in enumerate(names):
        if not isinstance(name, str) or name not in ids:
            r.error(f"discount.lines[{i}]", f"{name!r} is not a line of the contract")
        elif names.index(name) != i:
            r.error(f"discount.lines[{i}]", f"{name!r} is listed twice")
    amount = r.amount(obj, "amount", "discount.amount", currency, required=False)
    if len(r.errors) > before:
        return None
    return Discount(tuple(names), amount)


def _check_allocation(r: _Reader, lines: list[Line], discount: Discount | None, currency: str) -> None:
    """Refuse a discount or residual SSP the price cannot carry (606-10-32-34(c), 32-36 to 32-38)."""
    price = sum((ln.price for ln in lines), Decimal(0))
    residuals = [i for i, ln in enumerate(lines) if ln.residual]
    for i in residuals[1:]:
        r.error(f"lines[{i}].ssp", f"only one line may take the residual; {lines[residuals[0]].id!r} already does")
    named = set(discount.lines) if discount else set()
    for i, ln in enumerate(lines):
        if ln.residual and ln.id in named:
            r.error(f"lines[{i}].ssp", f"{ln.id!r} takes the residual, so the discount cannot belong to it")
    if r.errors:
        return
    plain = money.plain
    others = sum((ln.ssp for ln in lines if not ln.residual), Decimal(0))
    in_discount = sum((ln.ssp for ln in lines if ln.id in named), Decimal(0))
    if residuals:
        i = residuals[0]
        if discount is not None and discount.amount is None:
            r.error("discount.amount", "missing (beside a residual line the discount must be given)")
            return
        amount = discount.amount if discount and discount.amount is not None else Decimal(0)
        if amount > in_discount:
            r.error("discount.amount", f"{plain(amount, currency)} is more than the SSPs of its lines "
                                       f"({plain(in_discount, currency)})")
            return
        left = price - (others - amount)
        low_high = lines[i].ssp_range
        if left < 0:
            r.error(f"lines[{i}].ssp", f"the residual is negative ({plain(left, currency)}): the other lines' "
                                       f"SSPs, less the discount, exceed the price {plain(price, currency)}")
        elif low_high is not None and not low_high[0] <= left <= low_high[1]:
            r.error(f"lines[{i}].ssp", f"the residual {plain(left, currency)} is outside the observable range "
                                       f"{plain(low_high[0], currency)} to {plain(low_high[1], currency)}; it does "
                                       "not depict the SSP (606-10-32-34(c)): estimate the SSP another way")
        return
    assert discount is not None
    outside = others - in_discount
    if in_discount == 0:
        r.error("discount.lines", "the SSPs of the lines it names sum to zero (they share the discounted "
                                  "price by relative SSP)")
    elif outside > price:
        r.error("discount.lines", f"the lines outside the discount have SSPs of {plain(outside, currency)}, "
                                  f"more than the price {plain(price, currency)}")
    elif discount.amount is not None and discount.amount != others - price:
        r.error("discount.amount", f"{plain(discount.amount, currency)} is not the discount the prices give "
                                   f"(SSPs {plain(others, currency)} less price {plain(price, currency)} = "
                                   f"{plain(others - price, currency)})")


def _check_ids(r: FieldReader, raw_lines: list[Any], path: str) -> None:
    seen: set[str] = set()
    for i, raw in enumerate(raw_lines):
        if isinstance(raw, Mapping) and isinstance(raw.get("id"), str) and raw["id"]:
            if raw["id"] in seen:
                r.error(f"{path}[{i}].id", f"{raw['id']!r} is used by an earlier line")
            seen.add(raw["id"])


def _parse_line(r: _Reader, raw: Any, path: str, currency: str | None, base: Line | None,
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
        r.error(f"{path}.description", f"must be a string, not {kind_of(description)}")
    quantity, unit_price, seats = _parse_units(r, obj, path, base)
    usage = obj.get("recognition", base.recognition if base else None) == "usage"
    if usage and "price" not in obj:
        price = Decimal(0) * money.quantum(currency) if currency else Decimal(0)
    elif quantity is not None and unit_price is not None and "price" not in obj:
        price = None  # computed from the billing periods below
    else:
        price = r.amount(obj, "price", f"{path}.price", currency)
    ssp = inherited("ssp")
    residual = False
    ssp_range: tuple[Decimal, Decimal] | None = None
    if obj.get("ssp") == RESIDUAL:
        if base is not None or default_start is not None:
            r.error(f"{path}.ssp", "residual is for the contract's own lines, not a modification's")
        residual, ssp = True, Decimal(0)
        ssp_range = _parse_range(r, obj.get("ssp_range"), f"{path}.ssp_range", currency)
    elif "ssp_range" in obj:
        r.error(f"{path}.ssp_range", 'only used with "ssp": "residual"')
    elif ssp is None:
        ssp = r.amount(obj, "ssp", f"{path}.ssp", currency) if "ssp" in obj else None
    recognition = r.choice(obj, "recognition", f"{path}.recognition", RECOGNITIONS,
                           base.recognition if base else None)
    start = r.date(obj, "start", f"{path}.start", required=False) or default_start
    end = inherited("end") or r.date(obj, "end", f"{path}.end", required=False)
    satisfied_on = (inherited("satisfied_on")
                    or r.date(obj, "satisfied_on", f"{path}.satisfied_on", required=False))
    progress: tuple[tuple[date, Decimal], ...] = inherited("progress") or ()
    if "progress" in obj:
        progress = _parse_progress(r, obj.get("progress"), f"{path}.progress")
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
    elif recognition == "progress" and not progress and "progress" not in obj:
        r.error(f"{path}.progress", "missing (a line recognized by progress needs its measure of progress)")
    if progress and recognition != "progress":
        r.error(f"{path}.progress", "only used with recognition progress")
    if billing is not None and billing.frequency != "once":
        for key, value in (("start", start), ("end", end)):
            if value is None and recognition != "ratable":
                r.error(f"{path}.{key}", f"missing (needed for {billing.frequency} billing)")
    if recognition == "usage":
        if unit_price is None:
            r.error(f"{path}.unit_price", "missing (a usage line bills its unit price per unit used)")
        if price:
            r.error(f"{path}.price", "a usage line has no fixed price: it bills what is used")
        if billing is not None and (billing.frequency == "once" or billing.timing != "arrears"):
            r.error(f"{path}.billing", "a usage line is billed periodically in arrears, from usage records")
        for key, value in (("start", start), ("end", end)):
            if value is None:
                r.error(f"{path}.{key}", "missing (a usage line needs its service period)")
        if seats or quantity is not None:
            r.error(f"{path}.quantity", "a usage line has no fixed quantity")
    elif (quantity is None) != (unit_price is None):
        r.error(f"{path}.{'unit_price' if unit_price is None else 'quantity'}",
                "missing (quantity and unit_price go together)")
    if seats and (start is None or end is None):
        r.error(f"{path}.seats", "needs the line's start and end")
    elif start and end:
        for i, (day, _) in enumerate(seats):
            if not start < day <= end:
                r.error(f"{path}.seats[{i}].from", f"{day} is not within {start} (excluded) to {end}")
    if len(r.errors) > before:
        return None
    assert recognition is not None and billing is not None
    if price is None:  # quantity x unit price, per period of the service
        assert quantity is not None and unit_price is not None
        price = periodic_price(quantity, unit_price, start, end, billing, currency or "USD")
    if ssp is None:
        ssp = price
    return Line(line_id, str(description), price, ssp, recognition, start, end, satisfied_on, billing,
                residual, ssp_range, progress if recognition == "progress" else (), quantity, unit_price, seats)


def _parse_units(r: _Reader, obj: Mapping[str, Any], path: str,
                 base: Line | None) -> tuple[int | None, Decimal | None, tuple[tuple[date, int], ...]]:
    """Return the line's quantity, unit price and seat changes (inherited from ``base``)."""
    quantity = base.quantity if base is not None and "quantity" not in obj else None
    unit_price = base.unit_price if base is not None and "unit_price" not in obj else None
    seats = base.seats if base is not None and "seats" not in obj else ()
    if "quantity" in obj:
        raw = obj["quantity"]
        if isinstance(raw, bool) or not isinstance(raw, int) or not 0 <= raw <= MAX_QUANTITY:
            r.error(f"{path}.quantity", f"{raw!r} must be a whole number from 0 to {MAX_QUANTITY}")
        else:
            quantity = raw
    if obj.get("unit_price") not in (None, ""):
        value = r.money_amount(obj["unit_price"], f"{path}.unit_price", None, MAX_AMOUNT)
        if value is not None:
            if value < 0:
                r.error(f"{path}.unit_price", f"{value} must not be negative")
            elif -value.as_tuple().exponent > UNIT_PRICE_PLACES:  # type: ignore[operator]
                r.error(f"{path}.unit_price", f"{value} has more than {UNIT_PRICE_PLACES} decimal places")
            else:
                unit_price = value
    if "seats" in obj:
        raw_seats = obj["seats"]
        out: list[tuple[date, int]] = []
        if not isinstance(raw_seats, list):
            r.error(f"{path}.seats", "must be a list of {from, quantity}")
            raw_seats = []
        elif "quantity" not in obj and quantity is None:
            r.error(f"{path}.seats", "needs the line's quantity and unit_price")
        for i, item in enumerate(raw_seats):
            spath = f"{path}.seats[{i}]"
            sobj = r.mapping(item, spath)
            if sobj is None:
                continue
            r.known(sobj, ("from", "quantity"), spath)
            day = r.date(sobj, "from", f"{spath}.from", required=True)
            q = sobj.get("quantity")
            if isinstance(q, bool) or not isinstance(q, int) or not 0 <= q <= MAX_QUANTITY:
                r.error(f"{spath}.quantity", f"{q!r} must be a whole number from 0 to {MAX_QUANTITY}")
                continue
            if day is None:
                continue
            if out and day <= out[-1][0]:
                r.error(f"{spath}.from", f"{day} is not after the change before it ({out[-1][0]})")
                continue
            out.append((day, q))
        seats = tuple(out)
    return quantity, unit_price, seats


def periodic_price(quantity: int, unit_price: Decimal, start: date | None, end: date | None,
                    billing: Billing, currency: str) -> Decimal:
    """Return quantity x unit price per billing period over the service (stubs prorated by days)."""
    from fractions import Fraction

    from clm.downstream.billing import billing_periods
    from clm.values.frequencies import PERIOD_MONTHS

    periods = Fraction(1)
    if billing.frequency != "once" and start is not None and end is not None:
        periods = sum((w for _, _, w in billing_periods(start, end, PERIOD_MONTHS[billing.frequency])), Fraction(0))
    return money.round_fraction(Fraction(unit_price) * quantity * periods, currency)


def _parse_range(r: _Reader, raw: Any, path: str, currency: str | None) -> tuple[Decimal, Decimal] | None:
    if raw is None:
        return None
    if not isinstance(raw, list) or len(raw) != 2:
        r.error(path, "must be [low, high], two amounts")
        return None
    low = r.money_amount(raw[0], f"{path}[0]", currency, MAX_AMOUNT)
    high = r.money_amount(raw[1], f"{path}[1]", currency, MAX_AMOUNT)
    if low is None or high is None:
        return None
    if high < low:
        r.error(path, f"{money.plain(high, currency or 'USD')} is below "
                      f"{money.plain(low, currency or 'USD')}")
        return None
    return low, high


def _parse_progress(r: FieldReader, raw: Any, path: str) -> tuple[tuple[date, Decimal], ...]:
    """Return the measure of progress: [{"on": DATE, "percent": "60"}, ...], dates and percents
    rising, each percent from 0 to 100, the last 100 (actual or expected completion)."""
    if not isinstance(raw, list) or not raw:
        r.error(path, "must be a list of {on, percent}, the last at 100")
        return ()
    out: list[tuple[date, Decimal]] = []
    for i, item in enumerate(raw):
        obj = r.mapping(item, f"{path}[{i}]")
        if obj is None:
            return ()
        r.known(obj, ("on", "percent"), f"{path}[{i}]")
        on = r.date(obj, "on", f"{path}[{i}].on", required=True)
        try:
            pct = numbers.read_percent(obj.get("percent"))
        except ValueReadError as err:
            r.refused(f"{path}[{i}].percent", err)
            return ()
        if on is None:
            return ()
        if not 0 <= pct <= 100:
            r.error(f"{path}[{i}].percent", f"{numbers.plain_percent(pct)} must be from 0 to 100")
            return ()
        if out and on <= out[-1][0]:
            r.error(f"{path}[{i}].on", f"{on} is not after {out[-1][0]}")
            return ()
        if out and pct < out[-1][1]:
            r.error(f"{path}[{i}].percent", f"{numbers.plain_percent(pct)} is below the "
                                            f"{numbers.plain_percent(out[-1][1])} before it")
            return ()
        out.append((on, pct))
    if out[-1][1] != 100:
        r.error(f"{path}[{len(out) - 1}].percent", "the last measure must be 100 (completion, actual or expected)")
        return ()
    return tuple(out)


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
    raw_term = obj.get("renewal_term")
    evergreen = isinstance(raw_term, str) and raw_term.strip().lower() == PERPETUAL
    term = None if evergreen else r.duration(obj, "renewal_term", "renewal.renewal_term")
    if evergreen and not auto:
        r.error("renewal.renewal_term", f"{PERPETUAL!r} (runs on until terminated) needs auto_renewal true")
    elif term is not None and term.unit in ("hour", "business_day"):
        r.error("renewal.renewal_term", f"{term.iso} must be counted in days, weeks, months or years")
        term = None
    elif term is not None and term.amount == 0:
        r.error("renewal.renewal_term", f"{obj['renewal_term']} must be longer than zero")
        term = None
    elif term is None and auto and "renewal_term" not in obj:
        r.error("renewal.renewal_term", "missing (required when auto_renewal is true)")
    notice = r.duration(obj, "non_renewal_notice", "renewal.non_renewal_notice",
                        units=("day", "business_day", "week", "month", "year"))
    cap: Decimal | None = None
    raw_cap = obj.get("price_increase_cap")
    if raw_cap is not None and raw_cap != "":
        # Extraction yields the cap as a number of percent (5.0); a document may say "5%".
        try:
            cap = numbers.read_percent(raw_cap)
        except ValueReadError as err:
            r.refused("renewal.price_increase_cap", err)
    return RenewalTerms(auto, term, notice, cap, evergreen)


def _parse_modification(r: _Reader, raw: Any, path: str, currency: str | None,
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
    if effective and earlier and effective == earlier[-1].effective:
        r.error(f"{path}.effective", f"{effective} overlaps the modification before it on the same date; "
                                     "give them as one modification")
    raw_lines = obj.get("lines")
    mod_lines: list[Line] = []
    changes_only = ("reprice" in obj or "concession" in obj) and raw_lines in (None, [])
    if changes_only:
        raw_lines = []
    elif not isinstance(raw_lines, list) or not raw_lines:
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
        elif treatment == "cumulative_catch_up":
            r.error(f"{lpath}.id", f"{line_id!r} is not a line of the contract; a cumulative catch-up "
                                   "changes a partly satisfied line (606-10-25-13(b))")
            continue
        catch_up = treatment == "cumulative_catch_up"
        line = _parse_line(r, raw_line, lpath, currency, base,
                           default_start=(base.start if catch_up and base else None) or effective)
        if line is None or effective is None:
            continue
        if catch_up:
            mod_lines.append(line)
        elif line.start is not None and line.start < effective:
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
    if treatment == "cumulative_catch_up" and len(raw_lines) > 1:
        r.error(f"{path}.lines", "a cumulative catch-up changes one line (a single partly satisfied obligation)")
    reprices: list[Reprice] = []
    raw_reprice = obj.get("reprice")
    if raw_reprice is not None:
        if treatment != "prospective":
            r.error(f"{path}.reprice", "only with treatment prospective (606-10-25-13(a))")
        elif not isinstance(raw_reprice, list) or not raw_reprice:
            r.error(f"{path}.reprice", "must be a list of {line, price, ssp}")
        else:
            named = {ln.get("id") for ln in raw_lines if isinstance(ln, Mapping)}
            for i, raw_rp in enumerate(raw_reprice):
                rpath = f"{path}.reprice[{i}]"
                rp = r.mapping(raw_rp, rpath)
                if rp is None:
                    continue
                r.known(rp, _REPRICE_FIELDS, rpath)
                target = rp.get("line")
                if not isinstance(target, str) or target not in known_ids:
                    r.error(f"{rpath}.line", f"{target!r} is not a line of the contract")
                    continue
                if target in named or any(x.line == target for x in reprices):
                    r.error(f"{rpath}.line", f"{target!r} is changed twice by this modification")
                    continue
                latest = current.get(target)
                finished = None if latest is None or effective is None else (
                    latest.satisfied_on if latest.recognition == "point_in_time" else
                    latest.progress[-1][0] if latest.recognition == "progress" else latest.end)
                if finished is not None and effective is not None and finished < effective:
                    r.error(f"{rpath}.line", f"{target!r} was done on {finished}, before the modification "
                                             f"({effective}): nothing of it remains to reprice")
                    continue
                new_price = r.amount(rp, "price", f"{rpath}.price", currency)
                new_ssp = r.amount(rp, "ssp", f"{rpath}.ssp", currency, required=False)
                if new_price is not None:
                    reprices.append(Reprice(target, new_price, new_ssp))
    concession = None
    raw_concession = obj.get("concession")
    if raw_concession is not None:
        cobj = r.mapping(raw_concession, f"{path}.concession")
        if cobj is not None:
            r.known(cobj, _CONCESSION_FIELDS, f"{path}.concession")
            target = cobj.get("line")
            amount = r.amount(cobj, "amount", f"{path}.concession.amount", currency)
            if not isinstance(target, str) or target not in known_ids:
                r.error(f"{path}.concession.line", f"{target!r} is not a line of the contract")
            elif amount is not None:
                concession = Concession(target, amount)
    if len(r.errors) > before:
        return None
    if mod_lines and sum((ln.ssp for ln in mod_lines), Decimal(0)) == 0 and treatment != "cumulative_catch_up" \
            and not reprices and any(ln.recognition != "usage" for ln in mod_lines):
        r.error(f"{path}.lines", "the standalone selling prices (ssp) sum to zero")
        return None
    known_ids.update(ln.id for ln in mod_lines)
    assert effective is not None and treatment is not None
    return Modification(effective, treatment, tuple(mod_lines), tuple(reprices), concession)


def _check_concessions(r: FieldReader, terms: ContractTerms) -> None:
    """Refuse a concession larger than what was billed for its line up to the modification."""
    if not any(m.concession for m in terms.modifications):
        return
    from clm.downstream.billing import build_billing_schedule

    billed = build_billing_schedule(terms)
    cur = terms.currency
    for k, mod in enumerate(terms.modifications):
        c = mod.concession
        if c is None:
            continue
        before = sum((ln.amount for inv in billed if inv.date <= mod.effective for ln in inv.lines
                      if ln.line_id == c.line and ln.recognition != "concession"), Decimal(0))
        before -= sum((m.concession.amount for m in terms.modifications[:k]
                       if m.concession is not None and m.concession.line == c.line), Decimal(0))
        if c.amount > before:
            r.error(f"modifications[{k}].concession.amount",
                    f"{money.plain(c.amount, cur)} is more than the {money.plain(before, cur)} billed for "
                    f"{c.line!r} up to {mod.effective}")


# ----------------------------------------------------------------------------- canonical form


def renewal_term_json(renewal: RenewalTerms) -> str | None:
    """Return the renewal term as the terms document and the renewal record write it: ISO 8601,
    "perpetual" for an evergreen contract, None without one."""
    if renewal.evergreen:
        return PERPETUAL
    return durations.canonical(renewal.renewal_term) if renewal.renewal_term else None


def terms_to_dict(terms: ContractTerms) -> dict[str, Any]:
    """Return the terms as a JSON-ready dict in canonical form (amounts at minor units, ISO dates)."""
    cur = terms.currency

    def line(ln: Line) -> dict[str, Any]:
        out: dict[str, Any] = {
            "id": ln.id, "description": ln.description,
            "price": money.plain(ln.price, cur), "ssp": RESIDUAL if ln.residual else money.plain(ln.ssp, cur),
            "recognition": ln.recognition,
            "start": _iso(ln.start), "end": _iso(ln.end), "satisfied_on": _iso(ln.satisfied_on),
            "billing": {"frequency": ln.billing.frequency, "timing": ln.billing.timing,
                        "on": _iso(ln.billing.on)},
        }
        if ln.ssp_range is not None:
            out["ssp_range"] = [money.plain(x, cur) for x in ln.ssp_range]
        if ln.quantity is not None:
            out["quantity"] = ln.quantity
        if ln.unit_price is not None:
            out["unit_price"] = f"{ln.unit_price.normalize():f}"
        if ln.seats:
            out["seats"] = [{"from": day.isoformat(), "quantity": q} for day, q in ln.seats]
        if ln.progress:
            out["progress"] = [{"on": on.isoformat(), "percent": numbers.plain_percent(pct)}
                               for on, pct in ln.progress]
        return out

    def modification(m: Modification) -> dict[str, Any]:
        out: dict[str, Any] = {"effective": m.effective.isoformat(), "treatment": m.treatment,
                               "lines": [line(ln) for ln in m.lines]}
        if m.reprice:
            out["reprice"] = [{"line": rp.line, "price": money.plain(rp.price, cur),
                               "ssp": None if rp.ssp is None else money.plain(rp.ssp, cur)} for rp in m.reprice]
        if m.concession is not None:
            out["concession"] = {"line": m.concession.line, "amount": money.plain(m.concession.amount, cur)}
        return out

    rn = terms.renewal
    out = {
        "currency": cur,
        "signed_on": terms.signed_on.isoformat(),
        "payment_terms_days": terms.payment_terms_days,
        "lines": [line(ln) for ln in terms.lines],
        "renewal": {
            "auto_renewal": rn.auto_renewal,
            "renewal_term": renewal_term_json(rn),
            "non_renewal_notice": durations.canonical(rn.non_renewal_notice) if rn.non_renewal_notice else None,
            "price_increase_cap": None if rn.price_increase_cap is None
            else numbers.plain_percent(rn.price_increase_cap),
        },
        "modifications": [modification(m) for m in terms.modifications],
    }
    # Keys added since hashes were first stored appear only when used, so a document written
    # before them hashes as it did (RELIABILITY T3).
    if terms.payment_business_days:
        out["payment_terms"] = Duration(terms.payment_terms_days, "business_day").iso
    if terms.holidays:
        out["holidays"] = terms.holidays
    if terms.cancellable:
        out["cancellable"] = True
    if terms.price_changes:
        out["price_changes"] = [{"on": c.on.isoformat(), "amount": money.plain(c.amount, cur)}
                                for c in terms.price_changes]
    if terms.seller is not None:
        out["seller"] = _party_dict(terms.seller)
    if terms.bill_to is not None:
        out["bill_to"] = _party_dict(terms.bill_to)
    if terms.discount is not None:
        d = terms.discount
        out["discount"] = {"lines": list(d.lines),
                           "amount": None if d.amount is None else money.plain(d.amount, cur)}
    return out


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

