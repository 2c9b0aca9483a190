"""Whole numbers and percentages as contracts write them: "thirty (30)", "forty-five", "2.5%"."""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from clm.values import ValueReadError

_UNITS = {
    "zero": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
    "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13,
    "fourteen": 14, "fifteen": 15, "sixteen": 16, "seventeen": 17, "eighteen": 18,
    "nineteen": 19, "a": 1, "an": 1, "single": 1,
}
_TENS = {"twenty": 20, "thirty": 30, "forty": 40, "fourty": 40, "fifty": 50, "sixty": 60,
         "seventy": 70, "eighty": 80, "ninety": 90}
#: Ordinal words up to thirtieth ("first day of June").
ORDINALS = {
    "first": 1, "second": 2, "third": 3, "fourth": 4, "fifth": 5, "sixth": 6, "seventh": 7,
    "eighth": 8, "ninth": 9, "tenth": 10, "eleventh": 11, "twelfth": 12, "thirteenth": 13,
    "fourteenth": 14, "fifteenth": 15, "sixteenth": 16, "seventeenth": 17, "eighteenth": 18,
    "nineteenth": 19, "twentieth": 20, "thirtieth": 30,
}
_ONES = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten",
         "eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen",
         "nineteen"]
_TENS_WORDS = ["", "", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"]

#: A spelled-out number up to 999 ("ninety", "forty-five", "one hundred twenty").
NUMBER_WORD = (
    r"(?:(?:one|two|three|four|five|six|seven|eight|nine)\s+hundred(?:\s+(?:and\s+)?)?)?"
    r"(?:(?:twenty|thirty|fou?rty|fifty|sixty|seventy|eighty|ninety)(?:[\s-]+"
    r"(?:one|two|three|four|five|six|seven|eight|nine))?"
    r"|zero|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|thirteen"
    r"|fourteen|fifteen|sixteen|seventeen|eighteen|nineteen)"
    r"|(?:one|two|three|four|five|six|seven|eight|nine)\s+hundred"
)
#: "thirty (30)", "30", "thirty": the number a contract writes, words and digits.
_NUMBER_RE = re.compile(rf"(?<![\w.])(?:(?P<word>{NUMBER_WORD})(?:\s*\(\s*(?P<paren>\d{{1,6}})\s*\))?"
                        r"|(?P<digits>\d{1,3}(?:,\d{3})+|\d+))(?![\w.])", re.IGNORECASE)
_NUMBER_FULL = re.compile(rf"\s*(?:(?P<word>{NUMBER_WORD})(?:\s*\(\s*(?P<paren>\d{{1,6}})\s*\))?"
                          r"|(?P<digits>\d{1,3}(?:,\d{3})+|\d+))\s*", re.IGNORECASE)
_PERCENT = re.compile(r"(\d{1,4}(?:\.\d{1,4})?)\s*(?:%|percent|per\s+cent)?")


def words_to_int(text: str) -> int | None:
    """Return the integer a spelled-out or digit number stands for, or None ("forty-five" -> 45)."""
    s = text.strip().lower().replace(",", "")
    if s.isdigit():
        return int(s)
    total = 0
    current = 0
    seen = False
    for w in re.split(r"[\s-]+", s):
        if not w or w == "and":
            continue
        if w in _UNITS:
            current += _UNITS[w]
        elif w in _TENS:
            current += _TENS[w]
        elif w == "hundred":
            current = (current or 1) * 100
        elif w == "thousand":
            total += (current or 1) * 1000
            current = 0
        else:
            return None
        seen = True
    return total + current if seen else None


def words(n: int) -> str:
    """Return ``n`` (0 <= n < 1,000,000) in English words, US style ("one hundred twenty")."""
    if n < 20:
        return _ONES[n]
    if n < 100:
        return _TENS_WORDS[n // 10] + (f"-{_ONES[n % 10]}" if n % 10 else "")
    if n < 1000:
        rest = n % 100
        return f"{_ONES[n // 100]} hundred" + (f" {words(rest)}" if rest else "")
    rest = n % 1000
    return f"{words(n // 1000)} thousand" + (f" {words(rest)}" if rest else "")


@dataclass(frozen=True)
class FoundNumber:
    """A number found in text, with its span."""

    value: int
    start: int
    end: int


def find(text: str) -> list[FoundNumber]:
    """Return every whole number in ``text`` ("thirty (30)" is one number: the digits win)."""
    out = []
    for m in _NUMBER_RE.finditer(text):
        if m.group("paren"):
            n: int | None = int(m.group("paren"))
        elif m.group("digits"):
            n = int(m.group("digits").replace(",", ""))
        else:
            n = words_to_int(m.group("word"))
        if n is not None:
            out.append(FoundNumber(n, m.start(), m.end()))
    return out


def read(text: str) -> int:
    """Return the whole number ``text`` states, in words or digits ("thirty (30)", "1,000", "three")."""
    if isinstance(text, bool):
        raise ValueReadError(text, "a whole number", "3")
    if isinstance(text, int):
        if text < 0:
            raise ValueReadError(text, "a whole number", "3")
        return text
    if isinstance(text, str) and (m := _NUMBER_FULL.fullmatch(text)):
        if m.group("paren"):
            return int(m.group("paren"))
        if m.group("digits"):
            return int(m.group("digits").replace(",", ""))
        n = words_to_int(m.group("word"))
        if n is not None:
            return n
    raise ValueReadError(text, "a whole number", "3")


def parse(text: str) -> int:
    """Return the whole number written in digits (our own format: "3", "1000")."""
    if isinstance(text, int) and not isinstance(text, bool) and text >= 0:
        return text
    if isinstance(text, str) and re.fullmatch(r"\d{1,15}", text.strip()):
        return int(text.strip())
    raise ValueReadError(text, "a whole number", "3")


def format(n: int) -> str:
    """Return ``n`` as a contract writes it: "thirty (30)", or "1,000" from a thousand on."""
    return f"{words(n)} ({n})" if 0 <= n < 1000 else f"{n:,}"


# ----------------------------------------------------------------------------- percentages


def read_percent(raw: object) -> Decimal:
    """Return a percentage from 0 to 1000 ("5", "2.5%", "3 percent", 5.0) as a Decimal."""
    if isinstance(raw, bool):
        raise ValueReadError(raw, "a percentage", "5%")
    if isinstance(raw, (int, Decimal)):
        value = Decimal(raw)
    elif isinstance(raw, float):
        value = Decimal(str(raw))
    elif isinstance(raw, str) and (m := _PERCENT.fullmatch(raw.strip())):
        try:
            value = Decimal(m.group(1))
        except InvalidOperation:  # pragma: no cover - the pattern admits only decimals
            raise ValueReadError(raw, "a percentage", "5%") from None
    else:
        raise ValueReadError(raw, "a percentage", "5%")
    if not value.is_finite() or not 0 <= value <= 1000:
        raise ValueReadError(raw, "a percentage from 0 to 1000", "5%")
    return value


def parse_percent(raw: object) -> Decimal:
    """Return a percentage in our own format ("5", "2.5", "5%")."""
    return read_percent(raw)


def format_percent(value: Decimal) -> str:
    """Return a percentage as written: "5%", "2.5%"."""
    return f"{value.normalize():f}%"


def plain_percent(value: Decimal) -> str:
    """Return a percentage as our documents store it: "5", "2.5" (no sign)."""
    return f"{value.normalize():f}" if value else "0"
