"""The product catalog: products, bundles and their option rules, price books, promotions, approval thresholds.

Pure: :func:`parse_catalog` reads the parsed YAML/JSON of a catalog file and returns a frozen
:class:`Catalog`, or raises :class:`CatalogError` naming every bad field by its path.
:func:`check_configuration` applies the bundle and product rules to a chosen set of products and
returns every rule broken, each named (``SUITE requires PLATFORM``).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from clm.downstream.terms import FREQUENCIES, RECOGNITIONS
from clm.errors import InputErrors
from clm.values import ValueReadError, durations, money
from clm.values.durations import Duration
from clm.values.money import quantum
from clm.values.reader import FieldReader

KINDS = ("recurring", "one_time")
OPTION_TYPES = ("required", "optional", "excluded")
TIER_MODES = ("volume", "graduated")
#: Approval levels in escalating order; a catalog names which of them it uses and above what discount.
LEVELS = ("sales_manager", "finance")
_SKU = re.compile(r"^[A-Z0-9][A-Z0-9_-]{0,39}$")
_KEY = re.compile(r"^[a-z0-9][a-z0-9_-]{0,59}$")
_AMOUNT = re.compile(r"\d+(?:\.\d+)?")
MAX_PRICE = Decimal(10) ** 10


class CatalogError(InputErrors):
    """The catalog file has problems; ``errors`` lists each as "path: problem"."""

    summary = "invalid catalog"


class ConfigurationError(InputErrors):
    """A configuration breaks catalog rules; ``errors`` names each rule and what to change."""

    summary = "the configuration breaks catalog rules"


@dataclass(frozen=True)
class Product:
    """Something a quote can sell: recurring (priced per unit per year) or one-time."""

    sku: str
    name: str
    kind: str
    billing: str
    recognition: str
    unit: str = "unit"
    description: str = ""
    #: Other products that must be on the same quote.
    requires: tuple[str, ...] = ()
    #: False: sold only as an option of a bundle.
    standalone: bool = True
    #: One-time products: the ratable service period, or the time until a point-in-time delivery.
    delivery: Duration | None = None


@dataclass(frozen=True)
class BundleOption:
    """One option of a bundle: required, optional or excluded, with quantity bounds and exclusions."""

    product: str
    type: str
    min_quantity: int | None = None
    max_quantity: int | None = None
    excludes: tuple[str, ...] = ()


@dataclass(frozen=True)
class Bundle:
    """A package of products sold together, with rules on its options."""

    sku: str
    name: str
    options: tuple[BundleOption, ...]
    description: str = ""

    def option(self, sku: str) -> BundleOption | None:
        """Return the option for product ``sku``, or None."""
        return next((o for o in self.options if o.product == sku), None)


@dataclass(frozen=True)
class Tier:
    """From ``start`` units on, each unit costs ``price``."""

    start: int
    price: Decimal


@dataclass(frozen=True)
class PriceEntry:
    """A product's price in one price book: list price, SSP, optional quantity tiers."""

    product: str
    list_price: Decimal
    ssp: Decimal
    tiers: tuple[Tier, ...] = ()
    tier_mode: str = "volume"


@dataclass(frozen=True)
class PriceBook:
    """Prices in one currency."""

    key: str
    name: str
    currency: str
    entries: Mapping[str, PriceEntry]


@dataclass(frozen=True)
class Promotion:
    """A percentage off the named products (all products when none are named) between two dates."""

    code: str
    name: str
    percent: Decimal
    products: tuple[str, ...] = ()
    starts: date | None = None
    ends: date | None = None

    def applies_to(self, sku: str) -> bool:
        """Return whether the promotion discounts product ``sku``."""
        return not self.products or sku in self.products

    def valid_on(self, day: date) -> bool:
        """Return whether the promotion may be used on ``day``."""
        return (self.starts is None or self.starts <= day) and (self.ends is None or day <= self.ends)


@dataclass(frozen=True)
class Threshold:
    """A discount above ``above`` percent needs the approval of ``level``."""

    level: str
    above: Decimal


@dataclass(frozen=True)
class Defaults:
    """Quote defaults the catalog sets."""

    payment_terms_days: int = 30
    valid_days: int = 30
    auto_renewal: bool = True
    renewal_term: str = "P1Y"
    non_renewal_notice: str = "P30D"


@dataclass(frozen=True)
class Catalog:
    """Everything a quote is configured and priced from."""

    products: Mapping[str, Product]
    bundles: Mapping[str, Bundle]
    price_books: Mapping[str, PriceBook]
    promotions: Mapping[str, Promotion] = field(default_factory=dict)
    thresholds: tuple[Threshold, ...] = ()
    defaults: Defaults = field(default_factory=Defaults)

    def book_for(self, currency: str) -> PriceBook | None:
        """Return the first price book in ``currency``, or None."""
        return next((b for b in self.price_books.values() if b.currency == currency), None)


# ----------------------------------------------------------------------------- parsing


class _Reader(FieldReader):
    """The catalog's field readers, on top of the terms document's (errors, unknown keys, mappings)."""

    def items(self, obj: Mapping[str, Any], key: str, path: str, required: bool = False) -> list[Any]:
        value = obj.get(key)
        if value is None:
            if required:
                self.error(path, "missing")
            return []
        if not isinstance(value, list):
            self.error(path, "must be a list")
            return []
        return value

    def text(self, obj: Mapping[str, Any], key: str, path: str, required: bool = True, limit: int = 200) -> str:
        value = obj.get(key)
        if value is None or value == "":
            if required:
                self.error(path, "missing")
            return ""
        if not isinstance(value, str) or len(value) > limit or "\n" in value.strip():
            self.error(path, f"must be one line of text of at most {limit} characters")
            return ""
        return value.strip()

    def sku(self, value: Any, path: str) -> str:
        if not isinstance(value, str) or not _SKU.match(value):
            self.error(path, f"{value!r} is not a SKU (capitals, digits, - and _, at most 40)")
            return ""
        return value

    def amount(self, value: Any, path: str, currency: str | None = None, positive: bool = False) -> Decimal | None:
        if value is None or isinstance(value, (bool, float)):
            self.error(path, "missing" if value is None else f"{value!r} must be a decimal string such as \"1200.00\"")
            return None
        text = str(value).strip()
        if not _AMOUNT.fullmatch(text):
            self.error(path, f"{value!r} is not a non-negative decimal amount")
            return None
        amount = Decimal(text)
        if amount >= MAX_PRICE:
            self.error(path, f"{text} is too large")
            return None
        if positive and amount <= 0:
            self.error(path, f"{text} must be more than zero")
            return None
        if currency is not None and amount != amount.quantize(quantum(currency)):
            self.error(path, f"{text} has more decimals than {currency} allows")
            return None
        return amount

    def percent(self, value: Any, path: str) -> Decimal | None:
        amount = self.amount(value, path)
        if amount is not None and amount > 100:
            self.error(path, f"{amount} is more than 100%")
            return None
        return amount

    def integer(self, value: Any, path: str, low: int, high: int) -> int | None:
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            self.error(path, f"{value!r} must be a whole number from {low} to {high}")
            return None
        return value

    def day(self, value: Any, path: str) -> date | None:
        if value is None:
            return None
        if isinstance(value, date):
            return value
        try:
            return date.fromisoformat(str(value))
        except ValueError:
            self.error(path, f"{value!r} is not a date (YYYY-MM-DD)")
            return None

    def choice(self, obj: Mapping[str, Any], key: str, path: str, choices: tuple[str, ...],
               default: str | None = None) -> str:
        value = obj.get(key, default)
        if value not in choices:
            self.error(path, f"{value!r} is not one of {', '.join(choices)}" if value is not None
                       else f"missing (one of {', '.join(choices)})")
            return default or choices[0]
        return str(value)


def parse_catalog(data: Any) -> Catalog:
    """Return the :class:`Catalog` of a catalog document; raise :class:`CatalogError` naming every problem."""
    r = _Reader()
    doc = r.mapping(data, "catalog")
    if doc is None:
        raise CatalogError(r.errors)
    r.known(doc, ("version", "products", "bundles", "price_books", "promotions", "approvals", "defaults"), "")
    products: dict[str, Product] = {}
    for i, raw in enumerate(r.items(doc, "products", "products", required=True)):
        product = _product(r, raw, f"products[{i}]")
        if product is not None:
            if product.sku in products:
                r.error(f"products[{i}].sku", f"{product.sku} is used by an earlier product")
            products[product.sku] = product
    for sku, product in products.items():
        for other in product.requires:
            if other not in products:
                r.error(f"products[{sku}].requires", f"unknown product {other}")
    bundles: dict[str, Bundle] = {}
    for i, raw in enumerate(r.items(doc, "bundles", "bundles")):
        bundle = _bundle(r, raw, f"bundles[{i}]", products)
        if bundle is not None:
            if bundle.sku in bundles or bundle.sku in products:
                r.error(f"bundles[{i}].sku", f"{bundle.sku} is used by an earlier product or bundle")
            bundles[bundle.sku] = bundle
    books: dict[str, PriceBook] = {}
    for i, raw in enumerate(r.items(doc, "price_books", "price_books", required=True)):
        book = _price_book(r, raw, f"price_books[{i}]", products)
        if book is not None:
            if book.key in books:
                r.error(f"price_books[{i}].key", f"{book.key} is used by an earlier price book")
            books[book.key] = book
    promotions: dict[str, Promotion] = {}
    for i, raw in enumerate(r.items(doc, "promotions", "promotions")):
        promo = _promotion(r, raw, f"promotions[{i}]", products)
        if promo is not None:
            promotions[promo.code] = promo
    thresholds: list[Threshold] = []
    for i, raw in enumerate(r.items(doc, "approvals", "approvals")):
        path = f"approvals[{i}]"
        obj = r.mapping(raw, path)
        if obj is None:
            continue
        r.known(obj, ("level", "above"), path)
        level = r.choice(obj, "level", f"{path}.level", LEVELS)
        above = r.percent(obj.get("above"), f"{path}.above")
        if above is not None:
            thresholds.append(Threshold(level, above))
    levels = [t.level for t in thresholds]
    if len(set(levels)) != len(levels):
        r.error("approvals", "each level may appear once")
    if [t.above for t in thresholds] != sorted(t.above for t in thresholds) or \
            levels != [lv for lv in LEVELS if lv in levels]:
        r.error("approvals", "levels must escalate: sales_manager before finance, with rising thresholds")
    defaults = _defaults(r, doc.get("defaults"))
    if r.errors:
        raise CatalogError(r.errors)
    return Catalog(products, bundles, books, promotions, tuple(thresholds), defaults)


def _product(r: _Reader, raw: Any, path: str) -> Product | None:
    obj = r.mapping(raw, path)
    if obj is None:
        return None
    before = len(r.errors)
    r.known(obj, ("sku", "name", "kind", "billing", "recognition", "unit", "description", "requires",
                  "standalone", "delivery"), path)
    sku = r.sku(obj.get("sku"), f"{path}.sku")
    name = r.text(obj, "name", f"{path}.name")
    kind = r.choice(obj, "kind", f"{path}.kind", KINDS)
    billing = r.choice(obj, "billing", f"{path}.billing", FREQUENCIES, "annual" if kind == "recurring" else "once")
    recognition = r.choice(obj, "recognition", f"{path}.recognition", RECOGNITIONS,
                           "ratable" if kind == "recurring" else "point_in_time")
    if kind == "recurring" and (recognition != "ratable" or billing == "once"):
        r.error(path, "a recurring product is recognized ratably and billed monthly, quarterly or annually")
    if kind == "one_time" and billing != "once":
        r.error(f"{path}.billing", "a one-time product is billed once")
    requires = tuple(r.sku(v, f"{path}.requires") for v in r.items(obj, "requires", f"{path}.requires"))
    standalone = obj.get("standalone", True)
    if not isinstance(standalone, bool):
        r.error(f"{path}.standalone", "must be true or false")
    delivery = None
    if obj.get("delivery") is not None:
        try:
            delivery = durations.parse(str(obj["delivery"]))
        except ValueReadError as err:
            r.refused(f"{path}.delivery", err)
    if kind == "one_time" and recognition == "ratable" and delivery is None:
        r.error(f"{path}.delivery", "missing (a ratable one-time service needs its service period)")
    if len(r.errors) > before:
        return None
    return Product(sku, name, kind, billing, recognition, r.text(obj, "unit", f"{path}.unit", False) or "unit",
                   r.text(obj, "description", f"{path}.description", False, 1000), requires, bool(standalone),
                   delivery)


def _bundle(r: _Reader, raw: Any, path: str, products: Mapping[str, Product]) -> Bundle | None:
    obj = r.mapping(raw, path)
    if obj is None:
        return None
    before = len(r.errors)
    r.known(obj, ("sku", "name", "description", "options"), path)
    sku = r.sku(obj.get("sku"), f"{path}.sku")
    name = r.text(obj, "name", f"{path}.name")
    options: list[BundleOption] = []
    for j, raw_opt in enumerate(r.items(obj, "options", f"{path}.options", required=True)):
        opath = f"{path}.options[{j}]"
        opt = r.mapping(raw_opt, opath)
        if opt is None:
            continue
        r.known(opt, ("product", "type", "min_quantity", "max_quantity", "excludes"), opath)
        product = r.sku(opt.get("product"), f"{opath}.product")
        if product and product not in products:
            r.error(f"{opath}.product", f"unknown product {product}")
        kind = r.choice(opt, "type", f"{opath}.type", OPTION_TYPES)
        low = r.integer(opt["min_quantity"], f"{opath}.min_quantity", 1, 10**7) if "min_quantity" in opt else None
        high = r.integer(opt["max_quantity"], f"{opath}.max_quantity", 1, 10**7) if "max_quantity" in opt else None
        if low is not None and high is not None and high < low:
            r.error(f"{opath}.max_quantity", f"{high} is below min_quantity {low}")
        excludes = tuple(r.sku(v, f"{opath}.excludes") for v in r.items(opt, "excludes", f"{opath}.excludes"))
        for other in excludes:
            if other and other not in products:
                r.error(f"{opath}.excludes", f"unknown product {other}")
        options.append(BundleOption(product, kind, low, high, excludes))
    if not any(o.type == "required" for o in options):
        r.error(f"{path}.options", "a bundle needs at least one required option")
    if len(r.errors) > before:
        return None
    return Bundle(sku, name, tuple(options), r.text(obj, "description", f"{path}.description", False, 1000))


def _price_book(r: _Reader, raw: Any, path: str, products: Mapping[str, Product]) -> PriceBook | None:
    obj = r.mapping(raw, path)
    if obj is None:
        return None
    before = len(r.errors)
    r.known(obj, ("key", "name", "currency", "entries"), path)
    key = obj.get("key")
    if not isinstance(key, str) or not _KEY.match(key):
        r.error(f"{path}.key", f"{key!r} is not a key (lower case, digits, - and _)")
    name = r.text(obj, "name", f"{path}.name", required=False) or str(key)
    currency = obj.get("currency")
    if not money.is_currency(currency):
        r.refused(f"{path}.currency", ValueReadError(currency, "a known ISO 4217 currency code", "USD"))
        currency = None
    entries: dict[str, PriceEntry] = {}
    for j, raw_entry in enumerate(r.items(obj, "entries", f"{path}.entries", required=True)):
        epath = f"{path}.entries[{j}]"
        entry = r.mapping(raw_entry, epath)
        if entry is None:
            continue
        r.known(entry, ("product", "list_price", "ssp", "tiers", "tier_mode"), epath)
        product = r.sku(entry.get("product"), f"{epath}.product")
        if product and product not in products:
            r.error(f"{epath}.product", f"unknown product {product}")
        if product in entries:
            r.error(f"{epath}.product", f"{product} has an earlier entry in this price book")
        list_price = r.amount(entry.get("list_price"), f"{epath}.list_price", currency)
        ssp = r.amount(entry.get("ssp", entry.get("list_price")), f"{epath}.ssp", currency, positive=True)
        mode = r.choice(entry, "tier_mode", f"{epath}.tier_mode", TIER_MODES, "volume")
        tiers: list[Tier] = []
        for k, raw_tier in enumerate(r.items(entry, "tiers", f"{epath}.tiers")):
            tpath = f"{epath}.tiers[{k}]"
            tier = r.mapping(raw_tier, tpath)
            if tier is None:
                continue
            r.known(tier, ("from", "price"), tpath)
            start = r.integer(tier.get("from"), f"{tpath}.from", 1, 10**7)
            price = r.amount(tier.get("price"), f"{tpath}.price", currency)
            if start is not None and price is not None:
                tiers.append(Tier(start, price))
        if tiers and (tiers[0].start != 1 or [t.start for t in tiers] != sorted({t.start for t in tiers})):
            r.error(f"{epath}.tiers", "must start from 1 and rise")
        if list_price is not None and ssp is not None and product:
            entries[product] = PriceEntry(product, list_price, ssp, tuple(tiers), mode)
    if len(r.errors) > before:
        return None
    assert isinstance(key, str) and isinstance(currency, str)
    return PriceBook(key, name, currency, entries)


def _promotion(r: _Reader, raw: Any, path: str, products: Mapping[str, Product]) -> Promotion | None:
    obj = r.mapping(raw, path)
    if obj is None:
        return None
    before = len(r.errors)
    r.known(obj, ("code", "name", "percent", "products", "starts", "ends"), path)
    code = r.sku(obj.get("code"), f"{path}.code")
    percent = r.percent(obj.get("percent"), f"{path}.percent")
    skus = tuple(r.sku(v, f"{path}.products") for v in r.items(obj, "products", f"{path}.products"))
    for sku in skus:
        if sku and sku not in products:
            r.error(f"{path}.products", f"unknown product {sku}")
    starts, ends = r.day(obj.get("starts"), f"{path}.starts"), r.day(obj.get("ends"), f"{path}.ends")
    if starts and ends and ends < starts:
        r.error(f"{path}.ends", f"{ends} is before starts {starts}")
    if len(r.errors) > before or percent is None:
        return None
    return Promotion(code, r.text(obj, "name", f"{path}.name", False) or code, percent, skus, starts, ends)


def _defaults(r: _Reader, raw: Any) -> Defaults:
    if raw is None:
        return Defaults()
    obj = r.mapping(raw, "defaults")
    if obj is None:
        return Defaults()
    r.known(obj, ("payment_terms_days", "valid_days", "auto_renewal", "renewal_term", "non_renewal_notice"),
            "defaults")
    out = Defaults()
    days = r.integer(obj.get("payment_terms_days", 30), "defaults.payment_terms_days", 1, 365)
    valid = r.integer(obj.get("valid_days", 30), "defaults.valid_days", 1, 365)
    auto = obj.get("auto_renewal", True)
    if not isinstance(auto, bool):
        r.error("defaults.auto_renewal", "must be true or false")
    for key in ("renewal_term", "non_renewal_notice"):
        try:
            durations.parse(str(obj.get(key, getattr(out, key))))
        except ValueReadError as err:
            r.refused(f"defaults.{key}", err)
    return Defaults(days if days is not None else 30, valid if valid is not None else 30, bool(auto),
                    str(obj.get("renewal_term", out.renewal_term)),
                    str(obj.get("non_renewal_notice", out.non_renewal_notice)))


# ----------------------------------------------------------------------------- rules


def check_configuration(catalog: Catalog, bundle_sku: str | None, quantities: Mapping[str, int]) -> list[str]:
    """Return every catalog rule the chosen products break, each naming the rule; [] when none.

    ``quantities`` maps each chosen product SKU to its quantity. Rules: a bundle's required
    options must be chosen, its excluded options must not be, quantity bounds of its options
    hold, two options that exclude each other are not both chosen, a product's ``requires``
    are on the quote, and a product sold only in a bundle comes with a bundle offering it.
    """
    problems: list[str] = []
    bundle = catalog.bundles.get(bundle_sku) if bundle_sku else None
    chosen = set(quantities)

    def name(sku: str) -> str:
        product = catalog.products.get(sku)
        return f"{product.name} ({sku})" if product else sku

    if bundle is not None:
        for option in bundle.options:
            qty = quantities.get(option.product)
            if option.type == "required" and qty is None:
                problems.append(f"rule '{bundle.sku} requires {option.product}': add {name(option.product)}")
            if option.type == "excluded" and qty is not None:
                problems.append(f"rule '{bundle.sku} excludes {option.product}': remove {name(option.product)}")
            if qty is not None and option.min_quantity is not None and qty < option.min_quantity:
                problems.append(f"rule '{bundle.sku} {option.product} quantity at least {option.min_quantity}': "
                                f"{qty} is too few")
            if qty is not None and option.max_quantity is not None and qty > option.max_quantity:
                problems.append(f"rule '{bundle.sku} {option.product} quantity at most {option.max_quantity}': "
                                f"{qty} is too many")
            if qty is not None:
                for other in option.excludes:
                    if other in chosen:
                        problems.append(f"rule '{option.product} excludes {other}': choose one of "
                                        f"{name(option.product)} and {name(other)}")
    for sku in sorted(chosen):
        product = catalog.products.get(sku)
        if product is None:
            continue
        for other in product.requires:
            if other not in chosen:
                problems.append(f"rule '{sku} requires {other}': add {name(other)}")
        offered = bundle is not None and (option := bundle.option(sku)) is not None and option.type != "excluded"
        if not product.standalone and not offered:
            problems.append(f"rule '{sku} is sold only in a bundle': choose a bundle that offers {name(sku)}")
    return problems
