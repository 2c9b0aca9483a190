"""Pricing a quote: read the request, apply tiers, term, discounts and promotions; totals, ACV, TCV, approvals.

Pure and exact: amounts are computed as fractions and rounded half-up to the currency's minor
unit once per line (the line's net total), so every total is the sum of the lines to the cent.

* A recurring product's price is per unit per year: a line's list total is
  ``unit price x quantity x term months / 12``. A one-time product's is ``unit price x quantity``.
* Quantity tiers: ``volume`` prices every unit at the tier the quantity reaches; ``graduated``
  prices the units within each tier at that tier's price.
* Discounts multiply: ``net = list x (1 - line %) x (1 - promotion %) x (1 - quote %)``.
* Approval: the *discretionary* discount of a line is ``1 - (1 - line %) x (1 - quote %)``
  (promotions are approved in advance); the highest one across lines decides which thresholds
  of the catalog are crossed, and every level crossed must approve (sales manager, then finance).
* ACV is the recurring net per year (``net x 12 / term months`` per recurring line); TCV is
  the sum of every line's net total, one-time fees included.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass
from datetime import date, timedelta
from decimal import Decimal
from fractions import Fraction
from typing import Any

from clm.errors import InputErrors
from clm.quotes.catalog import (
    Catalog,
    ConfigurationError,
    PriceEntry,
    check_configuration,
)
from clm.values import money, numbers
from clm.values.dates import add_months
from clm.values.money import round_fraction

MAX_QUANTITY = 10**6
MAX_TERM_MONTHS = 120
_PERCENT_Q = Decimal("0.01")


class QuoteInputError(InputErrors):
    """The quote request has problems; ``errors`` lists each as "path: problem"."""

    summary = "invalid quote"


@dataclass(frozen=True)
class LineRequest:
    product: str
    quantity: int
    discount: Decimal


@dataclass(frozen=True)
class QuoteRequest:
    """What the rep configured: products, quantities, term, discounts, promotions."""

    customer: str
    currency: str
    price_book: str
    term_months: int
    start_date: date
    lines: tuple[LineRequest, ...]
    bundle: str | None = None
    discount: Decimal = Decimal(0)
    promotions: tuple[str, ...] = ()
    payment_terms_days: int = 30
    valid_days: int = 30

    def to_dict(self) -> dict[str, Any]:
        """Return the request as JSON-ready data that :func:`parse_request` reads back."""
        return {"customer": self.customer, "currency": self.currency, "price_book": self.price_book,
                "term_months": self.term_months, "start_date": self.start_date.isoformat(),
                "bundle": self.bundle, "discount": _pct(self.discount), "promotions": list(self.promotions),
                "payment_terms_days": self.payment_terms_days, "valid_days": self.valid_days,
                "lines": [{"product": ln.product, "quantity": ln.quantity, "discount": _pct(ln.discount)}
                          for ln in self.lines]}


@dataclass(frozen=True)
class PricedLine:
    """One priced line; amounts are decimal strings in the quote's currency."""

    sku: str
    name: str
    kind: str
    unit: str
    quantity: int
    #: The list price per unit (per year for recurring products) after quantity tiers.
    unit_price: str
    list_total: str
    discount: str
    promotion: str | None
    promotion_percent: str
    quote_discount: str
    #: Line and quote discount combined, in percent: what approvals look at.
    discretionary: str
    net_total: str
    #: Recurring lines: the net per year (for ACV); one-time lines: "0.00".
    annual_net: str
    ssp_total: str
    billing: str
    recognition: str
    #: One-time lines: ISO duration of the service period (ratable) or until delivery (point in time).
    delivery: str | None = None


@dataclass(frozen=True)
class PricedQuote:
    """A priced quote: lines, totals, ACV, TCV and the approvals it needs."""

    customer: str
    currency: str
    price_book: str
    bundle: str | None
    term_months: int
    start_date: date
    end_date: date
    payment_terms_days: int
    lines: tuple[PricedLine, ...]
    list_total: str
    discount_total: str
    net_total: str
    acv: str
    tcv: str
    discount_percent: str
    max_discretionary: str
    approvals: tuple[str, ...]
    auto_renewal: bool = True
    renewal_term: str = "P1Y"
    non_renewal_notice: str = "P30D"

    def to_dict(self) -> dict[str, Any]:
        """Return the priced quote as JSON-ready data that :func:`priced_from_dict` reads back."""
        out = asdict(self)
        out["start_date"], out["end_date"] = self.start_date.isoformat(), self.end_date.isoformat()
        out["approvals"] = list(self.approvals)
        return out


def priced_from_dict(data: Mapping[str, Any]) -> PricedQuote:
    """Return the :class:`PricedQuote` stored by :meth:`PricedQuote.to_dict`."""
    values = dict(data)
    values["start_date"] = date.fromisoformat(values["start_date"])
    values["end_date"] = date.fromisoformat(values["end_date"])
    values["lines"] = tuple(PricedLine(**ln) for ln in values["lines"])
    values["approvals"] = tuple(values["approvals"])
    return PricedQuote(**values)


_pct = numbers.plain_percent


# ----------------------------------------------------------------------------- reading a request


def _percent(errors: list[str], raw: Any, path: str) -> Decimal:
    if raw is None or raw == "":
        return Decimal(0)
    if isinstance(raw, (bool, float)):
        errors.append(f"{path}: {raw!r} must be a decimal string such as \"12.5\"")
        return Decimal(0)
    text = str(raw).strip().removesuffix("%").strip()
    try:
        value = Decimal(text)
    except ArithmeticError:
        errors.append(f"{path}: {raw!r} is not a percentage")
        return Decimal(0)
    if not value.is_finite():
        errors.append(f"{path}: {raw!r} is not a percentage")
        return Decimal(0)
    if value < 0:
        errors.append(f"{path}: {text}% is negative")
    elif value > 100:
        errors.append(f"{path}: {text}% is more than 100%")
    elif value != value.quantize(_PERCENT_Q):
        errors.append(f"{path}: {text}% has more than two decimals")
    else:
        return value
    return Decimal(0)


def _whole(errors: list[str], raw: Any, path: str, low: int, high: int, what: str) -> int | None:
    if isinstance(raw, str) and raw.strip().lstrip("-").isdigit():
        raw = int(raw.strip())
    if isinstance(raw, bool) or not isinstance(raw, int):
        errors.append(f"{path}: {raw!r} must be a whole number of {what}")
        return None
    if not low <= raw <= high:
        errors.append(f"{path}: {raw} must be from {low} to {high} {what}")
        return None
    return raw


def parse_request(data: Any, catalog: Catalog, today: date) -> QuoteRequest:
    """Return the :class:`QuoteRequest` in ``data`` (parsed JSON or form values), checked against ``catalog``.

    Raises :class:`QuoteInputError` naming every bad field (unknown products, quantities below
    one, discounts outside 0-100 %, a price book in another currency, products missing from the
    price book, unknown or expired promotions), then :class:`ConfigurationError` naming every
    broken bundle or product rule.
    """
    errors: list[str] = []
    if not isinstance(data, Mapping):
        raise QuoteInputError(["quote: must be an object"])
    allowed = {"customer", "currency", "price_book", "term_months", "start_date", "bundle", "discount",
               "promotions", "payment_terms_days", "valid_days", "lines"}
    errors.extend(f"{key}: unknown field" for key in data if key not in allowed)
    customer = data.get("customer")
    if not isinstance(customer, str) or not customer.strip() or len(customer) > 300 \
            or any(ord(c) < 32 or ord(c) == 127 for c in customer):
        errors.append("customer: missing or not one line of text (the customer's legal name, at most 300 "
                      "characters, no control characters)")
        customer = ""
    currency = data.get("currency")
    book_key = data.get("price_book") or None
    book = None
    if currency in (None, ""):
        book = catalog.price_books.get(book_key) if isinstance(book_key, str) else None
        currency = book.currency if book else None
        if currency is None:
            errors.append("currency: missing")
    elif not isinstance(currency, str) or not money.is_currency(currency.upper()):
        errors.append(f"currency: {currency!r} is not a known ISO 4217 currency code")
        currency = None
    else:
        currency = currency.upper()
    if currency is not None:
        if book_key is None:
            book = catalog.book_for(currency)
            if book is None:
                errors.append(f"currency: no price book is in {currency}")
        elif not isinstance(book_key, str) or book_key not in catalog.price_books:
            errors.append(f"price_book: unknown price book {book_key!r}")
        else:
            book = catalog.price_books[book_key]
            if book.currency != currency:
                errors.append(f"price_book: {book.key} is priced in {book.currency}, not {currency} "
                              "(currencies may not be mixed on one quote)")
                book = None
    term = _whole(errors, data.get("term_months", 12), "term_months", 1, MAX_TERM_MONTHS, "months")
    start = today
    raw_start = data.get("start_date")
    if raw_start not in (None, ""):
        try:
            start = date.fromisoformat(str(raw_start))
        except ValueError:
            errors.append(f"start_date: {raw_start!r} is not a date (YYYY-MM-DD)")
        else:
            if not 2000 <= start.year <= 2100:
                errors.append(f"start_date: {start} is outside 2000-2100")
    bundle = data.get("bundle") or None
    if bundle is not None and bundle not in catalog.bundles:
        errors.append(f"bundle: unknown bundle {bundle!r}")
        bundle = None
    discount = _percent(errors, data.get("discount"), "discount")
    promotions: list[str] = []
    raw_promos = data.get("promotions") or []
    if isinstance(raw_promos, str):
        raw_promos = [p for p in raw_promos.replace(",", " ").split() if p]
    if not isinstance(raw_promos, list):
        errors.append("promotions: must be a list of codes")
        raw_promos = []
    for i, code in enumerate(raw_promos):
        promo = catalog.promotions.get(str(code).strip().upper())
        if promo is None:
            errors.append(f"promotions[{i}]: unknown promotion {code!r}")
        elif not promo.valid_on(today):
            errors.append(f"promotions[{i}]: {promo.code} is not valid on {today} "
                          f"({promo.starts or 'any time'} to {promo.ends or 'open-ended'})")
        elif promo.code not in promotions:
            promotions.append(promo.code)
    payment = _whole(errors, data.get("payment_terms_days", catalog.defaults.payment_terms_days),
                     "payment_terms_days", 1, 365, "days")
    valid = _whole(errors, data.get("valid_days", catalog.defaults.valid_days), "valid_days", 1, 365, "days")
    lines: list[LineRequest] = []
    raw_lines = data.get("lines")
    if not isinstance(raw_lines, list) or not raw_lines:
        errors.append("lines: missing (a quote sells at least one product)")
        raw_lines = []
    if len(raw_lines) > 200:
        errors.append("lines: at most 200 lines")
        raw_lines = []
    seen: set[str] = set()
    for i, raw in enumerate(raw_lines):
        path = f"lines[{i}]"
        if not isinstance(raw, Mapping):
            errors.append(f"{path}: must be an object")
            continue
        errors.extend(f"{path}.{key}: unknown field" for key in raw if key not in ("product", "quantity", "discount"))
        sku = raw.get("product")
        sku = sku.strip().upper() if isinstance(sku, str) else sku
        ok = True
        if not isinstance(sku, str) or sku not in catalog.products:
            errors.append(f"{path}.product: unknown product {sku!r}")
            ok = False
        elif sku in seen:
            errors.append(f"{path}.product: {sku} is already on the quote; change that line's quantity")
            ok = False
        elif book is not None and sku not in book.entries:
            errors.append(f"{path}.product: {sku} has no price in price book {book.key} ({book.currency})")
            ok = False
        quantity = _whole(errors, raw.get("quantity", 1), f"{path}.quantity", 1, MAX_QUANTITY, "units")
        line_discount = _percent(errors, raw.get("discount"), f"{path}.discount")
        if ok and quantity is not None:
            seen.add(sku)
            lines.append(LineRequest(sku, quantity, line_discount))
    if errors:
        raise QuoteInputError(errors)
    assert currency is not None and book is not None and term is not None
    assert payment is not None and valid is not None
    problems = check_configuration(catalog, bundle, {ln.product: ln.quantity for ln in lines})
    if problems:
        raise ConfigurationError(problems)
    return QuoteRequest(customer.strip(), currency, book.key, term, start, tuple(lines), bundle, discount,
                        tuple(promotions), payment, valid)


# ----------------------------------------------------------------------------- pricing


def tier_total(entry: PriceEntry, quantity: int) -> Fraction:
    """Return the list price of ``quantity`` units (per year for recurring products) after tiers."""
    if not entry.tiers:
        return Fraction(entry.list_price) * quantity
    if entry.tier_mode == "volume":
        price = next(t.price for t in reversed(entry.tiers) if t.start <= quantity)
        return Fraction(price) * quantity
    total = Fraction(0)
    for i, tier in enumerate(entry.tiers):
        upper = entry.tiers[i + 1].start - 1 if i + 1 < len(entry.tiers) else quantity
        units = max(0, min(quantity, upper) - tier.start + 1)
        total += Fraction(tier.price) * units
    return total


def _as_percent(share: Fraction) -> Decimal:
    return Decimal(share.numerator * 100) / Decimal(share.denominator)


def _fmt(value: Fraction | Decimal, currency: str) -> str:
    return money.plain(round_fraction(Fraction(value), currency), currency)


def price_quote(catalog: Catalog, request: QuoteRequest) -> PricedQuote:
    """Return the priced quote for ``request`` (already checked by :func:`parse_request`)."""
    book = catalog.price_books[request.price_book]
    cur = request.currency
    promos = [catalog.promotions[c] for c in request.promotions]
    years = Fraction(request.term_months, 12)
    quote_factor = 1 - Fraction(request.discount) / 100
    lines: list[PricedLine] = []
    list_sum = net_sum = acv = Decimal(0)
    max_disc = Fraction(0)
    for req in request.lines:
        product = catalog.products[req.product]
        entry = book.entries[req.product]
        per_period = tier_total(entry, req.quantity)
        recurring = product.kind == "recurring"
        list_exact = per_period * years if recurring else per_period
        promo = next((p for p in promos if p.applies_to(req.product)), None)
        promo_pct = Fraction(promo.percent) if promo else Fraction(0)
        line_factor = 1 - Fraction(req.discount) / 100
        discretionary = 1 - line_factor * quote_factor
        max_disc = max(max_disc, discretionary)
        list_total = round_fraction(list_exact, cur)
        net_total = round_fraction(list_exact * line_factor * (1 - promo_pct / 100) * quote_factor, cur)
        annual = round_fraction(Fraction(net_total) / years, cur) if recurring else Decimal(0)
        ssp_exact = Fraction(entry.ssp) * req.quantity * (years if recurring else 1)
        lines.append(PricedLine(
            sku=req.product, name=product.name, kind=product.kind, unit=product.unit, quantity=req.quantity,
            unit_price=_fmt(per_period / req.quantity, cur), list_total=money.plain(list_total, cur),
            discount=_pct(req.discount), promotion=promo.code if promo else None,
            promotion_percent=_pct(promo.percent) if promo else "0", quote_discount=_pct(request.discount),
            discretionary=_pct(_as_percent(discretionary).quantize(_PERCENT_Q)),
            net_total=money.plain(net_total, cur), annual_net=money.plain(annual, cur),
            ssp_total=_fmt(ssp_exact, cur), billing=product.billing, recognition=product.recognition,
            delivery=product.delivery.iso if product.delivery else None))
        list_sum += list_total
        net_sum += net_total
        acv += annual
    max_pct = _as_percent(max_disc)
    approvals = tuple(t.level for t in catalog.thresholds if max_pct > t.above)
    overall = (list_sum - net_sum) * 100 / list_sum if list_sum else Decimal(0)
    end = add_months(request.start_date, request.term_months) - timedelta(days=1)
    return PricedQuote(
        customer=request.customer, currency=cur, price_book=book.key, bundle=request.bundle,
        term_months=request.term_months, start_date=request.start_date, end_date=end,
        payment_terms_days=request.payment_terms_days, lines=tuple(lines),
        list_total=money.plain(list_sum, cur), discount_total=money.plain(list_sum - net_sum, cur),
        net_total=money.plain(net_sum, cur), acv=money.plain(acv, cur), tcv=money.plain(net_sum, cur),
        discount_percent=_pct(overall.quantize(_PERCENT_Q)), max_discretionary=_pct(max_pct.quantize(_PERCENT_Q)),
        approvals=approvals, auto_renewal=catalog.defaults.auto_renewal,
        renewal_term=catalog.defaults.renewal_term, non_renewal_notice=catalog.defaults.non_renewal_notice)
