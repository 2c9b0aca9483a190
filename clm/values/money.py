"""Money: one ``Money(amount, currency)``, one currency table with each currency's minor units (ISO 4217).

The table comes from the ``iso4217`` package, which ships ISO 4217's own list (codes and minor
units: JPY 0, USD 2, KWD 3). Babel's CLDR data was not used: CLDR gives the digits people use
in practice (HUF, IDR and COP 0), not ISO's (2), and amounts are stored as integer minor units,
so a table that changed a currency's digits would re-read stored amounts a hundred times off.

Our own form is ``"USD 135000.00"`` (also ``"USD 135,000.00"``, ``"135000.00 USD"``); amounts
in documents are decimal strings at the currency's minor units ("135000.00").
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from fractions import Fraction

from iso4217 import Currency

from clm.values import ValueReadError

WHAT = "an amount with a currency"
EXAMPLE = "USD 135,000.00"

#: Every ISO 4217 currency in use with its minor-unit digits (funds and metals, which have none, left out).
CURRENCIES: dict[str, int] = {c.code: c.exponent for c in Currency if c.exponent is not None}


@dataclass(frozen=True)
class Money:
    """An amount of money: a ``Decimal`` and an ISO 4217 currency code."""

    amount: Decimal
    currency: str


def is_currency(code: object) -> bool:
    """Return whether ``code`` is an ISO 4217 currency code clm knows (upper case)."""
    return isinstance(code, str) and code in CURRENCIES


def currency(code: object) -> str:
    """Return the ISO 4217 code ``code`` names (any case); raise ValueReadError otherwise."""
    if isinstance(code, str) and code.strip().upper() in CURRENCIES:
        return code.strip().upper()
    raise ValueReadError(code, "a known ISO 4217 currency code", "USD")


def minor_units(code: str) -> int:
    """Return the number of decimals of currency ``code`` (JPY 0, USD 2, KWD 3)."""
    try:
        return CURRENCIES[code]
    except KeyError:
        raise ValueReadError(code, "a known ISO 4217 currency code", "USD") from None


def quantum(code: str) -> Decimal:
    """Return the smallest amount of the currency (0.01 for USD, 1 for JPY, 0.001 for KWD)."""
    return Decimal(1).scaleb(-minor_units(code))


def round_money(amount: Decimal, code: str) -> Decimal:
    """Return ``amount`` rounded half-up to the currency's minor unit."""
    return amount.quantize(quantum(code), rounding=ROUND_HALF_UP)


def round_fraction(value: Fraction, code: str) -> Decimal:
    """Return the exact rational ``value`` rounded half-up (away from zero) to the currency's minor unit."""
    digits = minor_units(code)
    units = abs(value) * 10**digits
    whole = int(units)  # floor, as units >= 0
    if units - whole >= Fraction(1, 2):
        whole += 1
    return (Decimal(-whole if value < 0 else whole)).scaleb(-digits)


def is_exact(amount: Decimal, code: str) -> bool:
    """Return whether ``amount`` has no more decimals than the currency allows."""
    return amount == amount.quantize(quantum(code), rounding=ROUND_HALF_UP)


def to_minor(amount: Decimal, code: str) -> int:
    """Return ``amount`` in minor units of the currency (12.34 USD -> 1234); exact or ValueError."""
    units = amount.scaleb(minor_units(code))
    if units != units.to_integral_value():
        raise ValueError(f"{amount} has more decimals than {code} allows")
    return int(units)


def from_minor(units: int, code: str) -> Decimal:
    """Return minor ``units`` of the currency as a Decimal with the currency's decimals."""
    return Decimal(units).scaleb(-minor_units(code))


def plain(amount: Decimal, code: str) -> str:
    """Return the amount as documents store it: a decimal string at the minor units ("10.00", "1235" JPY).

    Rounds half-up when the amount is finer than the minor unit.
    """
    return str(round_money(amount, code))


# ----------------------------------------------------------------------------- our own form

_AMOUNT = r"(\d{1,3}(?:,\d{3})+|\d+)(\.\d+)?"
_CODE_FIRST = re.compile(rf"([A-Za-z]{{3}})\s*{_AMOUNT}")
_CODE_LAST = re.compile(rf"{_AMOUNT}\s*([A-Za-z]{{3}})")
_SYMBOL_FIRST = re.compile(rf"([$€£])\s*{_AMOUNT}")
_SYMBOLS = {"$": "USD", "€": "EUR", "£": "GBP"}


def parse(text: str) -> Money:
    """Return the money in our own form: "USD 135000.00", "USD 135,000.00", "135000.00 USD", "$12,000.00".

    An amount finer than the currency's minor unit ("USD 12.345") or negative is refused, not rounded.
    """
    if isinstance(text, Money):
        return _checked(text.amount, text.currency, text)
    if not isinstance(text, str):
        raise ValueReadError(text, WHAT, EXAMPLE)
    s = text.strip()
    for pattern in (_CODE_FIRST, _CODE_LAST, _SYMBOL_FIRST):
        m = pattern.fullmatch(s)
        if not m:
            continue
        if pattern is _CODE_LAST:
            whole, frac, code = m.groups()
        else:
            code, whole, frac = m.groups()
            code = _SYMBOLS.get(code, code)
        return _checked(Decimal(whole.replace(",", "") + (frac or "")), code, text)
    raise ValueReadError(text, WHAT, EXAMPLE)


def amount(value: object, code: str) -> Decimal:
    """Return a document's amount (a decimal string such as "1200.00", or an integer) in ``code``.

    A binary float cannot carry an exact amount, so it is refused; so are negative amounts and
    amounts finer than the currency's minor unit.
    """
    if isinstance(value, (bool, float)) or not isinstance(value, (int, str, Decimal)):
        raise ValueReadError(value, "a decimal amount", '"1200.00"')
    text = str(value).strip()
    if not re.fullmatch(r"\d+(?:\.\d+)?", text):
        raise ValueReadError(value, "a non-negative decimal amount", '"1200.00"')
    return _checked(Decimal(text), code, value).amount


_TYPED = re.compile(r"(?:(?P<pre>[A-Za-z]{3}|[$€£])\s*)?(?P<whole>\d{1,3}(?:(?P<sep>[,\s\u00a0\u202f])\d{3})"
                    r"(?:(?P=sep)\d{3})*|\d+)(?P<frac>\.\d+)?(?:\s*(?P<post>[A-Za-z]{3}))?")


def typed(value: object, code: str) -> Decimal:
    """Return an amount as a person types it into a form, in ``code``: "100,000.00", "100 000.00",
    "$100,000", "USD 1,200.50", "1200.5".

    Digits may be grouped in threes by commas or spaces (one separator throughout); a currency
    code or symbol, if typed, must be ``code``'s. Anything else ("1,2,3", "100.000,00", "EUR 5"
    for a USD invoice) is refused with the reason, never guessed; the amount itself is then
    checked as :func:`amount` checks it.
    """
    if not isinstance(value, str):
        return amount(value, code)
    m = _TYPED.fullmatch(value.strip())
    if not m:
        raise ValueReadError(value, "an amount (digits, grouped by commas if you like, and a decimal point)",
                             '"1,200.00"')
    given = m.group("pre") or m.group("post")
    cur = code.upper() if isinstance(code, str) else code
    if m.group("pre") and m.group("post") or given and _SYMBOLS.get(given, given.upper()) != cur:
        raise ValueReadError(value, f"an amount in {cur}", f'"1,200.00" or "{cur} 1,200.00"')
    return amount(re.sub(r"\D", "", m.group("whole")) + (m.group("frac") or ""), cur)


def _checked(value: Decimal, code: str, wording: object) -> Money:
    cur = code.upper() if isinstance(code, str) else code
    if not is_currency(cur):
        raise ValueReadError(wording, "an amount in a known ISO 4217 currency", EXAMPLE)
    if not value.is_finite() or value < 0:
        raise ValueReadError(wording, "an amount of 0 or more", EXAMPLE)
    if not is_exact(value, cur):
        raise ValueReadError(wording, f"an amount with at most {minor_units(cur)} decimals in {cur}", EXAMPLE)
    return Money(value.quantize(quantum(cur)), cur)


def format(money: Money) -> str:
    """Return the money as an accountant writes it: "USD 135,000.00", "JPY 1,200", "KWD 1.250"."""
    digits = minor_units(money.currency)
    return f"{money.currency} {round_money(money.amount, money.currency):,.{digits}f}"


def format_amount(value: Decimal, code: str) -> str:
    """Return ``format(Money(value, code))``."""
    return format(Money(value, code))


# ----------------------------------------------------------------------------- contract wording

_CURRENCY_SYMBOL = {"$": "USD", "US$": "USD", "U.S.$": "USD", "€": "EUR", "£": "GBP", "¥": "JPY",
                    "C$": "CAD", "CDN$": "CAD", "A$": "AUD", "HK$": "HKD", "RMB": "CNY"}
_CURRENCY_WORD = {"dollars": "USD", "us dollars": "USD", "u.s. dollars": "USD", "euros": "EUR",
                  "euro": "EUR", "pounds sterling": "GBP", "pounds": "GBP", "yen": "JPY",
                  "canadian dollars": "CAD", "australian dollars": "AUD", "swiss francs": "CHF",
                  "renminbi": "CNY", "rmb": "CNY"}
_SCALE = {"thousand": Decimal(1000), "million": Decimal(10) ** 6, "billion": Decimal(10) ** 9,
          "k": Decimal(1000), "m": Decimal(10) ** 6, "mm": Decimal(10) ** 6, "bn": Decimal(10) ** 9}

#: "$12,000,000", "US$ 5 million", "USD 1,000.00", "EUR 100,000", "€250", "1,000 dollars".
MONEY_RE = re.compile(
    r"(?:(?P<sym>U\.S\.\$|US\$|CDN\$|HK\$|C\$|A\$|\$|€|£|¥)\s?|(?P<code>\b(?:USD|EUR|GBP|CAD|AUD|CHF|JPY"
    r"|CNY|RMB|HKD|SGD|INR|KWD|BHD|OMR|JOD|TND|NZD|SEK|NOK|DKK|ZAR|MXN|BRL)\b\.?\s?))"
    r"(?P<amount>\d{1,3}(?:,\d{3})+(?:\.\d{1,3})?|\d+(?:\.\d{1,3})?)"
    r"(?:\s?(?P<scale>thousand|million|billion|mm|bn|k|m)\b)?"
    r"|(?P<amount2>\d{1,3}(?:,\d{3})+(?:\.\d{1,2})?|\d+(?:\.\d{1,2})?)\s?(?P<scale2>thousand|million"
    r"|billion)?\s?(?P<word>(?:U\.?S\.?\s+|Canadian\s+|Australian\s+)?dollars|euros?|pounds\s+sterling"
    r"|swiss\s+francs|yen|renminbi|rmb)\b",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class FoundMoney:
    """An amount of money found in text, with its span."""

    value: Money
    start: int
    end: int

    @property
    def amount(self) -> Decimal:
        """Return the amount."""
        return self.value.amount

    @property
    def currency(self) -> str:
        """Return the ISO 4217 code."""
        return self.value.currency


def find(text: str) -> list[FoundMoney]:
    """Return every amount of money in ``text`` in order ("$1.5 million" -> USD 1500000), with spans."""
    out = []
    for m in MONEY_RE.finditer(text):
        raw = m.group("amount") or m.group("amount2")
        try:
            value = Decimal(raw.replace(",", ""))
        except InvalidOperation:  # pragma: no cover - the pattern admits only decimals
            continue
        scale = (m.group("scale") or m.group("scale2") or "").lower()
        if scale:
            value *= _SCALE[scale]
        if m.group("sym"):
            cur = _CURRENCY_SYMBOL[m.group("sym").upper()]
        elif m.group("code"):
            cur = m.group("code").strip(" .").upper().replace("RMB", "CNY")
        else:
            w = re.sub(r"\s+", " ", m.group("word").lower()).replace("u.s ", "us ").replace("u.s. ", "us ")
            cur = _CURRENCY_WORD.get(w, "USD" if w.endswith("dollars") else w.upper())
            if w.startswith("canadian"):
                cur = "CAD"
            elif w.startswith("australian"):
                cur = "AUD"
        out.append(FoundMoney(Money(value, cur), m.start(), m.end()))
    return out


def read(text: str) -> Money:
    """Return the money a contract or a person writes: "$1.5 million", "USD 135,000", "135,000 dollars".

    Our own forms are read too; an amount finer than the currency's minor unit is refused.
    """
    try:
        return parse(text)
    except ValueReadError as err:
        refused = err
    if isinstance(text, str):
        s = text.strip().rstrip(".;,")
        found = find(s)
        if len(found) == 1 and found[0].start == 0 and found[0].end == len(s):
            return _checked(found[0].amount, found[0].currency, text)
    raise refused           # our own form's reason (too many decimals, unknown currency) is the clearest
