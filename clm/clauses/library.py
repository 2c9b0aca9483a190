"""The clause library: clause types and templates read from reviewed YAML, typed variables, assembly."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import yaml

from clm.errors import InvalidInput, NotFound

__all__ = [
    "CLAUSE_TEXT_MAX_WORDS",
    "VARIABLE_TYPES",
    "WORD",
    "AssembledSection",
    "ClauseType",
    "Condition",
    "Duration",
    "Guidance",
    "Library",
    "LibraryError",
    "MatchHints",
    "Money",
    "Position",
    "Template",
    "TemplateSection",
    "Variable",
    "assemble",
    "default_library_path",
    "format_value",
    "load_library",
    "normalize_value",
    "render_text",
    "template_variables",
    "wording",
]

#: The types a variable may have. ``boolean`` variables only drive ``when`` conditions.
VARIABLE_TYPES = (
    "party",
    "date",
    "duration",
    "money",
    "jurisdiction",
    "percentage",
    "integer",
    "text",
    "boolean",
)

#: ``{{ name }}``; the only markup a clause text may contain.
_PLACEHOLDER = re.compile(r"\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}")
#: Anything that looks like template syntax left over once placeholders are removed.
_STRAY_MARKUP = re.compile(r"\{\{|\}\}|\{%|%\}|\{#|#\}")
_NAME = re.compile(r"^[a-z][a-z0-9_]*$")
_CONDITION_TERM = re.compile(r"^\s*(not\s+)?([a-z][a-z0-9_]*)\s*$")
_POSITION_NAME = re.compile(r"^(standard|fallback_([1-9]))$")
_MAX_FALLBACKS = 3
_MAX_LABEL = 60
#: A word as the clause matcher counts them: "24,000.00", "per-user" and "Customer's" are one each.
WORD = re.compile(r"\w+(?:[.,'\-/]\w+)*")
#: The most words a party or text value may have where it fills a blank of a clause position (a
#: region, a seat of arbitration, an address). The matcher reads no longer value there, so words
#: someone adds next to the blank are an edit, not part of the value. A template's own sections
#: (order lines, special terms) take values of any valid length.
CLAUSE_TEXT_MAX_WORDS = 30


class LibraryError(InvalidInput):
    """A library file does not parse or breaks the format; the message names the file and line."""

    def __init__(self, message: str, path: str | None = None, line: int | None = None) -> None:
        self.path = path
        self.line = line
        where = path or "clause library"
        if line is not None:
            where = f"{where}, line {line}"
        super().__init__(f"{where}: {message}")


# --------------------------------------------------------------------------- typed values


@dataclass(frozen=True)
class Duration:
    """A period such as thirty days; ``unit`` is hour, day, business_day, week, month or year."""

    amount: int
    unit: str

    def iso(self) -> str:
        """Return the period as ISO 8601 (business days, which ISO lacks, as ``P10BD``)."""
        if self.unit == "hour":
            return f"PT{self.amount}H"
        code = {"day": "D", "business_day": "BD", "week": "W", "month": "M", "year": "Y"}[self.unit]
        return f"P{self.amount}{code}"


@dataclass(frozen=True)
class Money:
    """An amount in a currency; ``amount`` is a ``Decimal`` quantized to the currency's minor unit."""

    amount: Decimal
    currency: str


_DURATION_ISO = re.compile(r"^P(?:(\d{1,6})(Y|M|W|D|BD)|T(\d{1,6})H)$", re.IGNORECASE)
_DURATION_TEXT = re.compile(
    r"^(?:[a-z][a-z\- ]*?\s*\(\s*)?(\d{1,6})\s*\)?\s*"
    r"(business\s+days?|calendar\s+days?|days?|weeks?|months?|years?|hours?)$",
    re.IGNORECASE,
)
_ISO_UNITS = {"Y": "year", "M": "month", "W": "week", "D": "day", "BD": "business_day"}
_UNIT_NAMES = {
    "hour": ("hour", "hours"),
    "day": ("day", "days"),
    "business_day": ("business day", "business days"),
    "week": ("week", "weeks"),
    "month": ("month", "months"),
    "year": ("year", "years"),
}
_AMOUNT = r"(\d{1,3}(?:,\d{3})+|\d+)(\.\d+)?"
_MONEY_CODE_FIRST = re.compile(rf"^([A-Za-z]{{3}})\s*{_AMOUNT}$")
_MONEY_CODE_LAST = re.compile(rf"^{_AMOUNT}\s*([A-Za-z]{{3}})$")
_MONEY_SYMBOL = re.compile(rf"^([$€£])\s*{_AMOUNT}$")
_CURRENCY_SYMBOLS = {"$": "USD", "€": "EUR", "£": "GBP"}
#: Currencies with no minor unit; every other currency is written with two decimals.
_ZERO_DECIMAL_CURRENCIES = frozenset({"JPY", "KRW", "CLP", "ISK", "VND"})
_ONE_LINE = re.compile(r"^[^\x00-\x1f\x7f]+$")
_JURISDICTION = re.compile(r"^[^\W\d_][\w .,'&()\-]{0,99}$")

_US_STATES = {
    "AL": "Alabama",
    "AK": "Alaska",
    "AZ": "Arizona",
    "AR": "Arkansas",
    "CA": "California",
    "CO": "Colorado",
    "CT": "Connecticut",
    "DE": "Delaware",
    "FL": "Florida",
    "GA": "Georgia",
    "HI": "Hawaii",
    "ID": "Idaho",
    "IL": "Illinois",
    "IN": "Indiana",
    "IA": "Iowa",
    "KS": "Kansas",
    "KY": "Kentucky",
    "LA": "Louisiana",
    "ME": "Maine",
    "MD": "Maryland",
    "MA": "Massachusetts",
    "MI": "Michigan",
    "MN": "Minnesota",
    "MS": "Mississippi",
    "MO": "Missouri",
    "MT": "Montana",
    "NE": "Nebraska",
    "NV": "Nevada",
    "NH": "New Hampshire",
    "NJ": "New Jersey",
    "NM": "New Mexico",
    "NY": "New York",
    "NC": "North Carolina",
    "ND": "North Dakota",
    "OH": "Ohio",
    "OK": "Oklahoma",
    "OR": "Oregon",
    "PA": "Pennsylvania",
    "RI": "Rhode Island",
    "SC": "South Carolina",
    "SD": "South Dakota",
    "TN": "Tennessee",
    "TX": "Texas",
    "UT": "Utah",
    "VT": "Vermont",
    "VA": "Virginia",
    "WA": "Washington",
    "WV": "West Virginia",
    "WI": "Wisconsin",
    "WY": "Wyoming",
}
#: Four states style themselves commonwealths, and a careful drafter follows them.
_COMMONWEALTHS = frozenset({"Kentucky", "Massachusetts", "Pennsylvania", "Virginia"})
_CANADIAN_PROVINCES = {
    "AB": "Alberta",
    "BC": "British Columbia",
    "MB": "Manitoba",
    "NB": "New Brunswick",
    "NL": "Newfoundland and Labrador",
    "NS": "Nova Scotia",
    "ON": "Ontario",
    "PE": "Prince Edward Island",
    "QC": "Quebec",
    "SK": "Saskatchewan",
}
_JURISDICTION_ALIASES: dict[str, str] = {
    **{code.lower(): name for code, name in _US_STATES.items()},
    **{name.lower(): name for name in _US_STATES.values()},
    **{name.lower(): name for name in _CANADIAN_PROVINCES.values()},
    "dc": "District of Columbia",
    "d.c.": "District of Columbia",
    "washington, d.c.": "District of Columbia",
    "district of columbia": "District of Columbia",
    "england": "England and Wales",
    "england and wales": "England and Wales",
}
# Province codes are deliberately not aliases: "NB" or "NS" in a form is likelier a typo for a US
# state code than a Canadian province. "UK" is not an alias either: Scotland has its own law.

_EXPECTED = {
    "party": "a party's name on one line",
    "date": "a date such as 2026-06-01",
    "duration": "a duration such as P30D or '30 days'",
    "money": "an amount with a currency such as 'USD 12,000.00'",
    "jurisdiction": "a jurisdiction such as 'Delaware' or 'England and Wales'",
    "percentage": "a percentage from 0 to 100 such as 5 or '2.5%'",
    "integer": "a whole number such as 3",
    "text": "text on one line",
    "boolean": "true or false",
}

_ONES = [
    "zero",
    "one",
    "two",
    "three",
    "four",
    "five",
    "six",
    "seven",
    "eight",
    "nine",
    "ten",
    "eleven",
    "twelve",
    "thirteen",
    "fourteen",
    "fifteen",
    "sixteen",
    "seventeen",
    "eighteen",
    "nineteen",
]
_TENS = ["_", "_", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"]


def _words(n: int) -> str:
    """Return ``n`` (0 <= n < 1,000,000) in English words, US style ("one hundred twenty")."""
    if n < 20:
        return _ONES[n]
    if n < 100:
        return _TENS[n // 10] + (f"-{_ONES[n % 10]}" if n % 10 else "")
    if n < 1000:
        rest = n % 100
        return f"{_ONES[n // 100]} hundred" + (f" {_words(rest)}" if rest else "")
    rest = n % 1000
    return f"{_words(n // 1000)} thousand" + (f" {_words(rest)}" if rest else "")


def _bad(variable: Variable, raw: Any) -> InvalidInput:
    shown = repr(raw)
    if len(shown) > 60:
        shown = shown[:57] + "..."
    return InvalidInput(f"Variable '{variable.name}' must be {_EXPECTED[variable.type]}, got {shown}")


def _parse_duration(raw: Any) -> Duration | None:
    if isinstance(raw, Duration):
        return raw if raw.amount > 0 and raw.unit in _UNIT_NAMES else None
    if isinstance(raw, timedelta):
        if raw.total_seconds() <= 0:
            return None
        if raw.total_seconds() % 86400 == 0:
            return Duration(int(raw.total_seconds() // 86400), "day")
        if raw.total_seconds() % 3600 == 0:
            return Duration(int(raw.total_seconds() // 3600), "hour")
        return None
    if not isinstance(raw, str):
        return None
    text = raw.strip()
    match = _DURATION_ISO.match(text)
    if match:
        if match.group(3):
            amount, unit = int(match.group(3)), "hour"
        else:
            amount, unit = int(match.group(1)), _ISO_UNITS[match.group(2).upper()]
    else:
        match = _DURATION_TEXT.match(text)
        if not match:
            return None
        amount = int(match.group(1))
        word = " ".join(match.group(2).lower().split()).removesuffix("s")
        unit = {"business day": "business_day", "calendar day": "day"}.get(word, word)
    return Duration(amount, unit) if amount > 0 else None


def _money(amount: Decimal, currency: str) -> Money | None:
    currency = currency.upper()
    if not re.fullmatch(r"[A-Z]{3}", currency) or not amount.is_finite() or amount < 0:
        return None
    places = 0 if currency in _ZERO_DECIMAL_CURRENCIES else 2
    quantum = Decimal(1).scaleb(-places)
    quantized = amount.quantize(quantum)
    # A value finer than the currency's minor unit is a typo, not something to round silently.
    if quantized != amount:
        return None
    return Money(quantized, currency)


def _parse_money(raw: Any) -> Money | None:
    if isinstance(raw, Money):
        return _money(raw.amount, raw.currency)
    if isinstance(raw, Mapping):
        if set(raw) != {"amount", "currency"} or not isinstance(raw["currency"], str):
            return None
        value = raw["amount"]
        if isinstance(value, bool) or not isinstance(value, (int, str, Decimal, float)):
            return None
        try:
            amount = Decimal(str(value).replace(",", ""))
        except InvalidOperation:
            return None
        return _money(amount, raw["currency"])
    if not isinstance(raw, str):
        return None
    text = raw.strip()
    for pattern in (_MONEY_CODE_FIRST, _MONEY_CODE_LAST, _MONEY_SYMBOL):
        match = pattern.match(text)
        if not match:
            continue
        if pattern is _MONEY_CODE_LAST:
            whole, frac, code = match.groups()
        else:
            code, whole, frac = match.groups()
            code = _CURRENCY_SYMBOLS.get(code, code)
        return _money(Decimal(whole.replace(",", "") + (frac or "")), code)
    return None


def _parse_percentage(raw: Any) -> Decimal | None:
    if isinstance(raw, bool):
        return None
    if isinstance(raw, (int, Decimal)):
        value = Decimal(raw)
    elif isinstance(raw, float):
        value = Decimal(str(raw))
    elif isinstance(raw, str):
        text = raw.strip().removesuffix("%").removesuffix(" percent").strip()
        if not re.fullmatch(r"\d{1,3}(\.\d{1,4})?", text):
            return None
        value = Decimal(text)
    else:
        return None
    if not value.is_finite() or not 0 <= value <= 100:
        return None
    return value


def _parse_date(raw: Any) -> date | None:
    if isinstance(raw, datetime):
        return raw.date()
    if isinstance(raw, date):
        return raw
    if not isinstance(raw, str):
        return None
    text = raw.strip()
    for fmt in ("%Y-%m-%d", "%B %d, %Y"):
        try:
            return datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    return None


def _parse_jurisdiction(raw: Any) -> str | None:
    if not isinstance(raw, str):
        return None
    text = " ".join(raw.split())
    bare = re.sub(r"^(the\s+)?(state|commonwealth|province)\s+of\s+", "", text, flags=re.IGNORECASE)
    known = _JURISDICTION_ALIASES.get(bare.lower())
    if known:
        return known
    return text if _JURISDICTION.match(text) else None


def _parse_boolean(raw: Any) -> bool | None:
    if isinstance(raw, bool):
        return raw
    if isinstance(raw, str):
        return {"true": True, "yes": True, "false": False, "no": False}.get(raw.strip().lower())
    return None


def _parse_integer(raw: Any) -> int | None:
    if isinstance(raw, bool):
        return None
    if isinstance(raw, int):
        value = raw
    elif isinstance(raw, str) and re.fullmatch(r"\d{1,3}(,\d{3})+|\d+", raw.strip()):
        value = int(raw.strip().replace(",", ""))
    else:
        return None
    return value if value >= 0 else None


def _parse_line(raw: Any) -> str | None:
    if not isinstance(raw, str):
        return None
    text = raw.strip()
    return text if text and len(text) <= 2000 and _ONE_LINE.match(text) else None


_PARSERS = {
    "party": _parse_line,
    "text": _parse_line,
    "date": _parse_date,
    "duration": _parse_duration,
    "money": _parse_money,
    "jurisdiction": _parse_jurisdiction,
    "percentage": _parse_percentage,
    "integer": _parse_integer,
    "boolean": _parse_boolean,
}


def normalize_value(variable: Variable, raw: Any) -> Any:
    """Return ``raw`` as the typed value of ``variable`` (``Duration``, ``Money``, ``date`` ...).

    Raises ``InvalidInput`` naming the variable when ``raw`` is not a value of its type.
    """
    value = _PARSERS[variable.type](raw)
    if value is None:
        raise _bad(variable, raw)
    return value


def format_value(variable: Variable, value: Any) -> str:
    """Return a normalized value as a lawyer writes it: "thirty (30) days", "USD 12,000.00"."""
    kind = variable.type
    if kind == "duration":
        singular, plural = _UNIT_NAMES[value.unit]
        unit = singular if value.amount == 1 else plural
        if value.amount < 1_000_000:
            return f"{_words(value.amount)} ({value.amount}) {unit}"
        return f"{value.amount:,} {unit}"
    if kind == "money":
        places = 0 if value.currency in _ZERO_DECIMAL_CURRENCIES else 2
        return f"{value.currency} {value.amount:,.{places}f}"
    if kind == "date":
        return f"{value:%B} {value.day}, {value.year}"
    if kind == "percentage":
        return f"{value.normalize():f}%"
    if kind == "integer":
        return f"{_words(value)} ({value})" if value < 1000 else f"{value:,}"
    if kind == "jurisdiction":
        if value in _COMMONWEALTHS:
            return f"the Commonwealth of {value}"
        if value in _US_STATES.values():
            return f"the State of {value}"
        if value == "District of Columbia":
            return "the District of Columbia"
        if value in _CANADIAN_PROVINCES.values():
            return f"the Province of {value}"
        return str(value)
    if kind == "boolean":
        return "yes" if value else "no"
    # party and text are inserted as they are: markup such as "<b>" stays literal text here, and
    # escaping it is the job of whichever renderer (HTML, docx, PDF) writes the result out.
    return str(value)


def _canonical(value: Any) -> Any:
    if isinstance(value, Duration):
        return value.iso()
    if isinstance(value, Money):
        return f"{value.currency} {value.amount}"
    if isinstance(value, (date, Decimal)):
        return str(value)
    return value


# --------------------------------------------------------------------------- library objects


@dataclass(frozen=True)
class Variable:
    """A typed blank in clause or template text, written ``{{ name }}``."""

    name: str
    type: str
    label: str
    default: Any = None
    required: bool = True
    description: str = ""
    #: Provider's own value, the same in every contract (its home law and courts): the default is
    #: the only value, a draft cannot change it, and the matcher reads it as literal words, so a
    #: contract that says anything else there is at another position or non-standard.
    fixed: bool = False
    #: Line of the declaration in its file, for error messages; not part of the content.
    line: int = field(default=0, compare=False, repr=False)

    def as_dict(self) -> dict[str, Any]:
        """Return the declaration as plain JSON-ready values."""
        out = {
            "name": self.name,
            "type": self.type,
            "label": self.label,
            "default": _canonical(self.default),
            "required": self.required,
            "description": self.description,
        }
        if self.fixed:
            # Only when set, so the content hash of every clause without one stays as it was.
            out["fixed"] = True
        return out


@dataclass(frozen=True)
class Position:
    """One negotiating position of a clause: rank 0 is the standard, 1..3 the ordered fallbacks."""

    rank: int
    label: str
    text: str
    rationale: str = ""

    @property
    def name(self) -> str:
        """Return ``standard`` or ``fallback_<rank>``, the name templates use."""
        return "standard" if self.rank == 0 else f"fallback_{self.rank}"


@dataclass(frozen=True)
class Guidance:
    """Advice to negotiators: an overview, when to concede each fallback, and red flags."""

    overview: str
    when_to_concede: dict[str, str]
    red_flags: tuple[str, ...]


@dataclass(frozen=True)
class MatchHints:
    """Lower-case headings and phrases that identify this clause type in someone else's paper."""

    headings: tuple[str, ...]
    keywords: tuple[str, ...]


@dataclass(frozen=True)
class ClauseType:
    """A kind of clause with its standard text, fallbacks, variables and guidance."""

    key: str
    title: str
    version: int
    category: str
    positions: tuple[Position, ...]
    variables: dict[str, Variable]
    guidance: Guidance
    match_hints: MatchHints
    #: File the clause came from, relative to the library's parent; not part of the content.
    source: str = field(default="", compare=False, repr=False)

    @property
    def standard(self) -> Position:
        """Return the standard position (rank 0)."""
        return self.positions[0]

    @property
    def fallbacks(self) -> tuple[Position, ...]:
        """Return the fallback positions, most preferred first."""
        return self.positions[1:]

    def position(self, which: str | int) -> Position:
        """Return the position named ``standard``/``fallback_N`` or of rank N."""
        for position in self.positions:
            if which in (position.name, position.rank):
                return position
        raise InvalidInput(f"Clause '{self.key}' has no position {which!r}")

    def content(self) -> dict[str, Any]:
        """Return everything a reviewer can change, as plain values (the version number excluded)."""
        return {
            "key": self.key,
            "title": self.title,
            "category": self.category,
            "positions": [
                {"rank": p.rank, "label": p.label, "text": p.text, "rationale": p.rationale} for p in self.positions
            ],
            "variables": [v.as_dict() for v in self.variables.values()],
            "guidance": {
                "overview": self.guidance.overview,
                "when_to_concede": self.guidance.when_to_concede,
                "red_flags": list(self.guidance.red_flags),
            },
            "match_hints": {
                "headings": list(self.match_hints.headings),
                "keywords": list(self.match_hints.keywords),
            },
        }

    @property
    def content_hash(self) -> str:
        """Return the sha256 of the canonical JSON of :meth:`content`.

        The version number is left out on purpose, so the DB layer can tell "content changed but
        nobody bumped the version" from "version bumped".
        """
        canonical = json.dumps(self.content(), sort_keys=True, separators=(",", ":"), ensure_ascii=False)
        return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class Condition:
    """One ``when`` entry: ``name``, ``not name``, or such terms joined by ``or``.

    A term ``name`` holds when the variable has a value other than false; ``not name`` when it
    has none or is false. The condition holds when any of its terms does.
    """

    terms: tuple[tuple[str, bool], ...]

    @property
    def names(self) -> tuple[str, ...]:
        """Return the variable names the condition reads."""
        return tuple(name for name, _negated in self.terms)

    def holds(self, values: Mapping[str, Any]) -> bool:
        """Return whether the condition holds for normalized ``values``."""
        for name, negated in self.terms:
            value = values.get(name)
            is_set = value is not None and value is not False
            if is_set != negated:
                return True
        return False


@dataclass(frozen=True)
class TemplateSection:
    """One section of a template: a clause (at a position) or literal text, maybe conditional."""

    heading: str | None
    clause: str | None = None
    position: str = "standard"
    text: str | None = None
    when: tuple[Condition, ...] = ()
    line: int = field(default=0, compare=False, repr=False)


@dataclass(frozen=True)
class Template:
    """A contract template: typed variables and an ordered list of sections."""

    key: str
    title: str
    version: int
    description: str
    variables: dict[str, Variable]
    sections: tuple[TemplateSection, ...]
    source: str = field(default="", compare=False, repr=False)


@dataclass(frozen=True)
class Library:
    """Every clause type and template in a library directory."""

    root: Path
    clauses: dict[str, ClauseType]
    templates: dict[str, Template]

    def clause(self, key: str) -> ClauseType:
        """Return the clause type ``key``."""
        try:
            return self.clauses[key]
        except KeyError:
            raise NotFound(f"No clause type '{key}' in the clause library") from None

    def template(self, key: str) -> Template:
        """Return the template ``key``."""
        try:
            return self.templates[key]
        except KeyError:
            raise NotFound(f"No template '{key}' in the clause library; choose one of: "
                           f"{', '.join(sorted(self.templates))}") from None


@dataclass(frozen=True)
class AssembledSection:
    """One section of an assembled contract, with its variables filled in."""

    heading: str | None
    text: str
    clause_type: str | None = None
    position: int | None = None
    clause_version: int | None = None


# --------------------------------------------------------------------------- YAML with line numbers


class _Map(dict):  # type: ignore[type-arg]
    """A mapping that remembers its node and each value's node, for error lines."""

    node: yaml.Node
    nodes: dict[str, yaml.Node]
    key_nodes: dict[str, yaml.Node]


class _Seq(list):  # type: ignore[type-arg]
    """A sequence that remembers its node and each item's node."""

    node: yaml.Node
    nodes: list[yaml.Node]


class _Problem(Exception):
    def __init__(self, message: str, mark: yaml.Mark | None) -> None:
        super().__init__(message)
        self.message = message
        self.mark = mark


#: A SafeLoader whose mappings and sequences keep their nodes and refuse duplicate keys. Built with
#: type() because PyYAML ships no type hints and mypy refuses a subclass of an untyped class.
_Loader: Any = type("_Loader", (yaml.SafeLoader,), {})


def _construct_map(loader: Any, node: yaml.MappingNode) -> _Map:
    loader.flatten_mapping(node)
    result = _Map()
    result.node = node
    result.nodes = {}
    result.key_nodes = {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        if not isinstance(key, str):
            raise _Problem(f"keys must be text, got {key!r}", key_node.start_mark)
        # PyYAML keeps the last of two equal keys silently; in a reviewed file that hides an edit.
        if key in result:
            raise _Problem(f"duplicate key '{key}'", key_node.start_mark)
        result[key] = loader.construct_object(value_node, deep=True)
        result.nodes[key] = value_node
        result.key_nodes[key] = key_node
    return result


def _construct_seq(loader: Any, node: yaml.SequenceNode) -> _Seq:
    result = _Seq(loader.construct_object(child, deep=True) for child in node.value)
    result.node = node
    result.nodes = list(node.value)
    return result


_Loader.add_constructor("tag:yaml.org,2002:map", _construct_map)
_Loader.add_constructor("tag:yaml.org,2002:seq", _construct_seq)


class _File:
    """One library file being read: its display name, source text and validation helpers."""

    def __init__(self, path: Path, display: str) -> None:
        self.path = path
        self.display = display
        try:
            self.source = path.read_bytes().decode("utf-8")
        except UnicodeDecodeError as err:
            raise LibraryError("file is not UTF-8", display, path.read_bytes()[: err.start].count(b"\n") + 1) from None
        except OSError as err:
            raise LibraryError(f"cannot read file: {err.strerror}", display) from None

    def parse(self) -> _Map:
        """Return the document as a mapping that remembers line numbers."""
        try:
            data = yaml.load(self.source, Loader=_Loader)
        except _Problem as problem:
            raise self.error(problem.message, problem.mark) from None
        except yaml.MarkedYAMLError as err:
            mark = err.problem_mark or err.context_mark
            message = " ".join(str(part) for part in (err.context, err.problem) if part)
            raise self.error(message or "invalid YAML", mark) from None
        except yaml.YAMLError as err:
            raise self.error(f"invalid YAML: {err}", None) from None
        if not isinstance(data, _Map):
            # An empty file has no node at all; line 1 is still the right place to look.
            where = getattr(data, "node", None)
            raise LibraryError(
                "the file must be a mapping of keys such as 'key:' and 'title:'",
                self.display,
                where.start_mark.line + 1 if where is not None else 1,
            )
        return data

    def error(self, message: str, where: yaml.Node | yaml.Mark | None, offset: int = 0) -> LibraryError:
        """Return a LibraryError at a node or mark (``offset`` extra lines into it)."""
        mark = where.start_mark if isinstance(where, yaml.Node) else where
        line = mark.line + 1 + offset if mark is not None else None
        return LibraryError(message, self.display, line)

    def keys(self, data: _Map, allowed: set[str], what: str) -> None:
        """Refuse keys outside ``allowed``, which are usually typos of an allowed one."""
        for key, node in data.key_nodes.items():
            if key not in allowed:
                expected = ", ".join(sorted(allowed))
                raise self.error(f"unknown key '{key}' in {what} (expected one of: {expected})", node)

    def get(self, data: _Map, key: str, kind: type | tuple[type, ...], what: str, required: bool = True) -> Any:
        """Return ``data[key]`` checked against ``kind``; a missing required key is an error."""
        if key not in data:
            if required:
                raise self.error(f"{what} is missing required key '{key}'", data.node)
            return None
        if data[key] is None:
            if required:
                raise self.error(f"'{key}' has no value", data.key_nodes[key])
            return None
        value = data[key]
        kinds = kind if isinstance(kind, tuple) else (kind,)
        # bool is a subclass of int, but "version: yes" is a mistake, not version 1.
        if isinstance(value, bool) and bool not in kinds:
            raise self.error(f"'{key}' must be {_kind_name(kind)}, got {value!r}", data.nodes[key])
        if not isinstance(value, kind):
            raise self.error(f"'{key}' must be {_kind_name(kind)}, got {type(value).__name__}", data.nodes[key])
        if isinstance(value, str) and not value.strip():
            raise self.error(f"'{key}' must not be empty", data.nodes[key])
        return value

    def text(self, data: _Map, key: str, what: str, required: bool = True) -> str | None:
        """Return a text value with paragraphs one per line and surrounding blanks removed."""
        value = self.get(data, key, str, what, required)
        if value is None:
            return None
        return _paragraphs(value)

    def placeholder_line(self, node: yaml.Node, name: str) -> int:
        """Return the line in this file where ``{{ name }}`` first occurs inside ``node``."""
        first: int = node.start_mark.line + 1
        chunk = self.source[node.start_mark.index : node.end_mark.index]
        for match in _PLACEHOLDER.finditer(chunk):
            if match.group(1) == name:
                return first + chunk[: match.start()].count("\n")
        return first


def _kind_name(kind: type | tuple[type, ...]) -> str:
    names = {str: "text", int: "a whole number", bool: "true or false", _Map: "a mapping", _Seq: "a list"}
    kinds = kind if isinstance(kind, tuple) else (kind,)
    return " or ".join(names.get(k, k.__name__) for k in kinds)


def _paragraphs(text: str) -> str:
    """Return ``text`` with one paragraph per line: blank lines dropped, lines stripped."""
    return "\n".join(line.strip() for line in text.splitlines() if line.strip())


def _placeholders(text: str) -> list[str]:
    return [match.group(1) for match in _PLACEHOLDER.finditer(text)]


def _check_markup(file: _File, text: str, node: yaml.Node) -> None:
    stray = _STRAY_MARKUP.search(_PLACEHOLDER.sub("", text))
    if stray:
        chunk = file.source[node.start_mark.index : node.end_mark.index]
        index = chunk.find(stray.group(0))
        offset = chunk[:index].count("\n") if index >= 0 else 0
        raise file.error(
            f"malformed placeholder near '{stray.group(0)}': write variables as {{{{ name }}}}, "
            "and nothing else in braces",
            node,
            offset,
        )


def _read_variables(file: _File, data: _Map, allow_required: bool) -> dict[str, Variable]:
    # allow_required is True for templates (which may say what a form requires) and False for
    # clauses (which may instead fix a value of Provider's own).
    items = file.get(data, "variables", _Seq, "the file", required=False)
    if items is None:
        return {}
    allowed = {"name", "type", "label", "default", "description"} | ({"required"} if allow_required else {"fixed"})
    variables: dict[str, Variable] = {}
    for item, node in zip(items, items.nodes):
        if not isinstance(item, _Map):
            raise file.error("each variable must be a mapping with name, type and label", node)
        file.keys(item, allowed, "a variable")
        name = file.get(item, "name", str, "a variable")
        if not _NAME.match(name):
            raise file.error(f"variable name '{name}' must be lower_snake_case", item.nodes["name"])
        if name in variables:
            raise file.error(f"variable '{name}' is declared twice", item.nodes["name"])
        kind = file.get(item, "type", str, f"variable '{name}'")
        if kind not in VARIABLE_TYPES:
            raise file.error(
                f"variable '{name}' has unknown type '{kind}' (expected one of: {', '.join(VARIABLE_TYPES)})",
                item.nodes["type"],
            )
        label = file.get(item, "label", str, f"variable '{name}'")
        description = file.get(item, "description", str, f"variable '{name}'", required=False) or ""
        default = None
        probe = Variable(name, kind, label)
        if item.get("default") is not None:
            try:
                default = normalize_value(probe, item["default"])
            except InvalidInput as err:
                raise file.error(f"bad default: {err}", item.nodes["default"]) from None
        required = file.get(item, "required", bool, f"variable '{name}'", required=False)
        if required is None:
            required = default is None
        fixed = bool(file.get(item, "fixed", bool, f"variable '{name}'", required=False))
        if fixed and default is None:
            raise file.error(f"fixed variable '{name}' needs a default: the one value it has", node)
        variables[name] = Variable(
            name, kind, label, default, bool(required), " ".join(description.split()), fixed,
            line=node.start_mark.line + 1,
        )
    return variables


def _check_text_variables(
    file: _File, text: str, node: yaml.Node, variables: Mapping[str, Variable], where: str
) -> None:
    _check_markup(file, text, node)
    for name in _placeholders(text):
        if name not in variables:
            raise LibraryError(
                f"{where} uses {{{{ {name} }}}} but no variable '{name}' is declared",
                file.display,
                file.placeholder_line(node, name),
            )
        if variables[name].type == "boolean":
            raise LibraryError(
                f"{where} uses boolean variable '{name}' in text; booleans only select sections with 'when'",
                file.display,
                file.placeholder_line(node, name),
            )


def _read_version(file: _File, data: _Map) -> int:
    version = file.get(data, "version", int, "the file")
    if version < 1:
        raise file.error("'version' must be 1 or more", data.nodes["version"])
    return int(version)


def _read_key(file: _File, data: _Map) -> str:
    key = file.get(data, "key", str, "the file")
    if key != file.path.stem:
        raise file.error(f"key '{key}' must match the file name '{file.path.stem}'", data.nodes["key"])
    if not _NAME.match(key):
        raise file.error(f"key '{key}' must be lower_snake_case", data.nodes["key"])
    return str(key)


def _string_list(file: _File, data: _Map, key: str, what: str, required: bool = True) -> tuple[str, ...]:
    items = file.get(data, key, _Seq, what, required)
    if items is None:
        return ()
    if required and not items:
        raise file.error(f"'{key}' must list at least one entry", data.nodes[key])
    out = []
    for item, node in zip(items, items.nodes):
        if not isinstance(item, str) or not item.strip():
            raise file.error(f"each entry of '{key}' must be non-empty text", node)
        out.append(" ".join(item.split()))
    return tuple(out)


def _load_clause(file: _File) -> ClauseType:
    data = file.parse()
    file.keys(
        data,
        {"key", "title", "version", "category", "variables", "standard", "fallbacks", "guidance", "match_hints"},
        "a clause file",
    )
    key = _read_key(file, data)
    title = file.get(data, "title", str, "the file")
    version = _read_version(file, data)
    category = file.get(data, "category", str, "the file")
    if not _NAME.match(category):
        raise file.error(f"category '{category}' must be lower_snake_case", data.nodes["category"])
    variables = _read_variables(file, data, allow_required=False)

    standard = file.text(data, "standard", "the file")
    assert standard is not None
    _check_text_variables(file, standard, data.nodes["standard"], variables, "the standard text")
    positions = [Position(0, "Standard", standard)]

    fallbacks = file.get(data, "fallbacks", _Seq, "the file")
    if not 1 <= len(fallbacks) <= _MAX_FALLBACKS:
        raise file.error(
            f"a clause needs 1 to {_MAX_FALLBACKS} fallbacks, found {len(fallbacks)}", data.key_nodes["fallbacks"]
        )
    for rank, (item, node) in enumerate(zip(fallbacks, fallbacks.nodes), start=1):
        if not isinstance(item, _Map):
            raise file.error("each fallback must be a mapping with label, rationale and text", node)
        what = f"fallback_{rank}"
        file.keys(item, {"label", "rationale", "text"}, what)
        label = file.get(item, "label", str, what)
        if len(label) > _MAX_LABEL:
            raise file.error(f"{what} label is over {_MAX_LABEL} characters", item.nodes["label"])
        rationale = " ".join((file.get(item, "rationale", str, what) or "").split())
        text = file.text(item, "text", what)
        assert text is not None
        _check_text_variables(file, text, item.nodes["text"], variables, f"{what} text")
        positions.append(Position(rank, label, text, rationale))

    used = {name for position in positions for name in _placeholders(position.text)}
    for name, variable in variables.items():
        if name not in used:
            raise LibraryError(f"variable '{name}' is declared but no position uses it", file.display, variable.line)
    _check_positions_differ(file, data, positions, variables)

    guidance_data = file.get(data, "guidance", _Map, "the file")
    file.keys(guidance_data, {"overview", "when_to_concede", "red_flags"}, "guidance")
    overview = file.text(guidance_data, "overview", "guidance")
    concede_data = file.get(guidance_data, "when_to_concede", _Map, "guidance")
    names = [p.name for p in positions[1:]]
    for name, node in concede_data.nodes.items():
        if name not in names:
            raise file.error(f"when_to_concede names '{name}', but the fallbacks are {', '.join(names)}", node)
    for name in names:
        if name not in concede_data:
            raise file.error(f"when_to_concede has no advice for {name}", guidance_data.nodes["when_to_concede"])
    when_to_concede = {name: " ".join(file.get(concede_data, name, str, "when_to_concede").split()) for name in names}
    red_flags = _string_list(file, guidance_data, "red_flags", "guidance")
    guidance = Guidance(" ".join((overview or "").split()), when_to_concede, red_flags)

    hints_data = file.get(data, "match_hints", _Map, "the file")
    file.keys(hints_data, {"headings", "keywords"}, "match_hints")
    hints = MatchHints(
        tuple(h.lower() for h in _string_list(file, hints_data, "headings", "match_hints")),
        tuple(k.lower() for k in _string_list(file, hints_data, "keywords", "match_hints", required=False)),
    )
    return ClauseType(key, title, version, category, tuple(positions), variables, guidance, hints, source=file.display)


def wording(text: str, variables: Mapping[str, Variable]) -> str:
    """Return ``text`` as every contract at that position reads, whatever the values.

    Fixed variables are written in, the others blanked out, and whitespace is collapsed.
    """

    def blank(m: re.Match[str]) -> str:
        variable = variables.get(m.group(1))
        if variable is not None and variable.fixed:
            return format_value(variable, variable.default)
        return "{{ }}"

    return " ".join(_PLACEHOLDER.sub(blank, text).split())


def _check_positions_differ(
    file: _File, data: _Map, positions: list[Position], variables: Mapping[str, Variable]
) -> None:
    """Refuse two positions that read the same once filled in: no contract could say which it has.

    Positions that differ only in which variables they use (Provider's law in one, the
    customer's in the other) are told apart by fixing Provider's value (``fixed: true``).
    """
    seen: dict[str, Position] = {}
    for position in positions:
        key = wording(position.text, variables).lower()
        earlier = seen.get(key)
        if earlier is not None:
            node = data.nodes["standard"] if position.rank == 0 else data["fallbacks"].nodes[position.rank - 1]
            raise file.error(
                f"{position.name} reads the same as {earlier.name} once its variables are filled in, so a "
                "contract could not say which position it is at: make the words differ, or fix Provider's "
                "own value (fixed: true) where the two positions use different variables",
                node,
            )
        seen[key] = position


def _parse_when(file: _File, raw: Any, node: yaml.Node) -> tuple[Condition, ...]:
    items = [raw] if isinstance(raw, str) else raw
    nodes = [node] if isinstance(raw, str) else getattr(raw, "nodes", [])
    if not isinstance(items, list) or not items:
        raise file.error("'when' must be a condition such as 'name' or 'not name', or a list of them", node)
    conditions = []
    for item, item_node in zip(items, nodes):
        terms = []
        for part in re.split(r"\s+or\s+", item.strip()) if isinstance(item, str) else [None]:
            match = _CONDITION_TERM.match(part) if part is not None else None
            if not match:
                raise file.error(f"bad condition {item!r}: write 'name', 'not name' or 'name or not other'", item_node)
            terms.append((match.group(2), bool(match.group(1))))
        conditions.append(Condition(tuple(terms)))
    return tuple(conditions)


def _load_template(file: _File, clauses: Mapping[str, ClauseType]) -> Template:
    data = file.parse()
    file.keys(data, {"key", "title", "version", "description", "variables", "sections"}, "a template file")
    key = _read_key(file, data)
    title = file.get(data, "title", str, "the file")
    version = _read_version(file, data)
    description = " ".join((file.get(data, "description", str, "the file", required=False) or "").split())
    declared = _read_variables(file, data, allow_required=True)

    # Clause variables a template does not redeclare are inherited; a redeclaration may change the
    # label, default or whether it is required, but never the type.
    for clause in clauses.values():
        for name, variable in clause.variables.items():
            mine = declared.get(name)
            if mine is not None and mine.type != variable.type:
                raise LibraryError(
                    f"variable '{name}' is a {mine.type} here but a {variable.type} in {clause.source}",
                    file.display,
                    mine.line,
                )
            if mine is not None and variable.fixed:
                raise LibraryError(
                    f"variable '{name}' is fixed in {clause.source}; a template cannot redeclare it",
                    file.display,
                    mine.line,
                )

    items = file.get(data, "sections", _Seq, "the file")
    if not items:
        raise file.error("'sections' must list at least one section", data.nodes["sections"])
    sections = []
    for number, (item, node) in enumerate(zip(items, items.nodes), start=1):
        what = f"section {number}"
        if not isinstance(item, _Map):
            raise file.error(f"{what} must be a mapping with 'clause' or 'text'", node)
        file.keys(item, {"heading", "clause", "position", "text", "when"}, what)
        if ("clause" in item) == ("text" in item):
            raise file.error(f"{what} needs exactly one of 'clause' or 'text'", node)
        heading = file.get(item, "heading", str, what, required=False)
        when = _parse_when(file, item["when"], item.nodes["when"]) if "when" in item else ()
        for condition in when:
            for name in condition.names:
                if name not in declared:
                    raise file.error(
                        f"{what} depends on '{name}', which the template does not declare", item.nodes["when"]
                    )
        if "clause" in item:
            clause_key = file.get(item, "clause", str, what)
            if clause_key not in clauses:
                raise file.error(f"{what} refers to unknown clause type '{clause_key}'", item.nodes["clause"])
            position = file.get(item, "position", str, what, required=False) or "standard"
            names = [p.name for p in clauses[clause_key].positions]
            if position not in names:
                raise file.error(
                    f"clause '{clause_key}' has no position '{position}' (it has {', '.join(names)})",
                    item.nodes["position"],
                )
            sections.append(
                TemplateSection(
                    heading or clauses[clause_key].title, clause_key, position, None, when, node.start_mark.line + 1
                )
            )
        else:
            if "position" in item:
                raise file.error("'position' only applies to a clause section", item.nodes["position"])
            text = file.text(item, "text", what)
            assert text is not None
            _check_text_variables(file, text, item.nodes["text"], declared, f"{what} text")
            sections.append(TemplateSection(heading, None, "standard", text, when, node.start_mark.line + 1))
    used = {name for section in sections for condition in section.when for name in condition.names}
    used.update(name for section in sections if section.text for name in _placeholders(section.text))
    used.update(name for section in sections if section.clause for name in clauses[section.clause].variables)
    for name, variable in declared.items():
        if name not in used:
            raise LibraryError(
                f"variable '{name}' is declared but no section, condition or clause uses it",
                file.display,
                variable.line,
            )
    return Template(key, title, version, description, declared, tuple(sections), source=file.display)


def default_library_path(override: str | Path | None = None) -> Path:
    """Return ``override`` if given (e.g. from ``CLM_CLAUSE_LIBRARY``), else the repo's clause_library/."""
    if override:
        return Path(override)
    return Path(__file__).resolve().parents[2] / "clause_library"


def load_library(root: Path) -> Library:
    """Return the library under ``root`` (``clauses/*.yaml`` and ``templates/*.yaml``), validated.

    Raises ``LibraryError`` naming the file and line of the first problem found.
    """
    root = Path(root)
    if not (root / "clauses").is_dir():
        raise LibraryError(f"no clauses/ directory in {root}")

    def display(path: Path) -> str:
        return path.relative_to(root.parent).as_posix() if root.parent != root else path.as_posix()

    clauses: dict[str, ClauseType] = {}
    types: dict[str, tuple[str, str]] = {}
    for path in sorted((root / "clauses").glob("*.yaml")):
        clause = _load_clause(_File(path, display(path)))
        # One name, one type across the library: templates merge clause variables by name.
        for name, variable in clause.variables.items():
            first = types.setdefault(name, (variable.type, clause.source))
            if first[0] != variable.type:
                raise LibraryError(
                    f"variable '{name}' is a {variable.type} here but a {first[0]} in {first[1]}",
                    clause.source,
                    variable.line,
                )
        clauses[clause.key] = clause
    templates: dict[str, Template] = {}
    template_dir = root / "templates"
    for path in sorted(template_dir.glob("*.yaml")) if template_dir.is_dir() else []:
        template = _load_template(_File(path, display(path)), clauses)
        templates[template.key] = template
    return Library(root, clauses, templates)


# --------------------------------------------------------------------------- rendering


def _validate(
    variables: Mapping[str, Variable], values: Mapping[str, Any], names: list[str]
) -> tuple[dict[str, Any], list[str]]:
    """Return normalized values of ``names`` (defaults filled in) and the error messages."""
    normalized: dict[str, Any] = {}
    errors: list[str] = []
    for name in names:
        variable = variables.get(name)
        if variable is None:
            errors.append(f"Text uses {{{{ {name} }}}} but variable '{name}' is not declared")
            continue
        raw = values.get(name)
        if raw is None or (isinstance(raw, str) and not raw.strip()):
            if variable.default is None:
                errors.append(f"Variable '{name}' ({variable.label}) needs a value")
                continue
            normalized[name] = variable.default
            continue
        try:
            normalized[name] = normalize_value(variable, raw)
        except InvalidInput as err:
            errors.append(str(err))
            continue
        if variable.fixed and normalized[name] != variable.default:
            errors.append(
                f"Variable '{name}' ({variable.label}) is fixed by the clause library to "
                f"{format_value(variable, variable.default)}; choose another position of the clause to agree "
                "something else"
            )
    return normalized, errors


def _substitute(text: str, variables: Mapping[str, Variable], normalized: Mapping[str, Any]) -> str:
    # One pass over the text: a value that itself contains "{{ x }}" is never expanded again.
    return _PLACEHOLDER.sub(lambda m: format_value(variables[m.group(1)], normalized[m.group(1)]), text)


def render_text(text: str, variables: dict[str, Variable], values: dict[str, Any]) -> str:
    """Return ``text`` with each ``{{ name }}`` replaced by its typed, formatted value.

    Values are validated against their variable's type; a missing value falls back to the
    variable's default. Raises ``InvalidInput`` naming every bad or missing variable. Values are
    inserted as plain text, markup included: escaping belongs to the renderer that writes HTML,
    docx or PDF. No template code runs: this is a regular expression, not a template engine.
    """
    names = list(dict.fromkeys(_placeholders(text)))
    normalized, errors = _validate(variables, values, names)
    if errors:
        raise InvalidInput("; ".join(errors))
    return _substitute(text, variables, normalized)


def _all_variables(template: Template, library: Library) -> dict[str, Variable]:
    """Return the template's own variables, then those of every position of its clauses."""
    merged = dict(template.variables)
    for section in template.sections:
        if section.clause is not None:
            for name, variable in library.clause(section.clause).variables.items():
                merged.setdefault(name, variable)
    return merged


def template_variables(
    template: Template, library: Library, positions: Mapping[str, str | int] | None = None
) -> dict[str, Variable]:
    """Return the variables a form for this template should ask for.

    That is the template's own variables plus those used by the clause positions it selects
    (or that ``positions`` selects instead), whatever the ``when`` conditions turn out to be.
    Fixed variables are left out: there is nothing to ask.
    """
    everything = _all_variables(template, library)
    wanted = dict(template.variables)
    positions = positions or {}
    for section in template.sections:
        if section.clause is not None:
            clause = library.clause(section.clause)
            text = clause.position(positions.get(section.clause, section.position)).text
            for name in _placeholders(text):
                if not everything[name].fixed:
                    wanted.setdefault(name, everything[name])
    return wanted


def _long_values(
    clause: ClauseType, position: Position, variables: Mapping[str, Variable], current: Mapping[str, Any]
) -> list[str]:
    """Return an error per party or text value too long for its blank in a clause position."""
    errors = []
    for name in dict.fromkeys(_placeholders(position.text)):
        value = current.get(name)
        long = isinstance(value, str) and len(WORD.findall(value)) > CLAUSE_TEXT_MAX_WORDS
        if variables[name].type in ("party", "text") and long:
            errors.append(
                f"Variable '{name}' ({variables[name].label}) fills a blank in the {clause.title} clause and "
                f"may have at most {CLAUSE_TEXT_MAX_WORDS} words"
            )
    return errors


def assemble(
    template: Template,
    library: Library,
    values: Mapping[str, Any],
    positions: Mapping[str, str | int] | None = None,
) -> list[AssembledSection]:
    """Return the template's sections, conditions evaluated and variables filled in.

    ``positions`` picks a negotiated position per clause type (``{"indemnity": "fallback_1"}``),
    overriding the template's choice. Every value is validated before anything is rendered, and
    all problems are reported at once in one ``InvalidInput``.
    """
    variables = _all_variables(template, library)
    errors = [f"Unknown variable '{name}' for template '{template.key}'" for name in values if name not in variables]
    positions = dict(positions or {})
    used_clauses = {s.clause for s in template.sections if s.clause is not None}
    for clause_key in positions:
        if clause_key not in used_clauses:
            errors.append(f"Template '{template.key}' has no clause '{clause_key}' to set a position for")

    # Normalize everything supplied, so conditions see typed values and bad values are reported
    # even when the section that uses them ends up excluded.
    supplied, value_errors = _validate(
        variables, values, [n for n in variables if n in values and values[n] is not None]
    )
    errors.extend(value_errors)
    current = {name: supplied.get(name, variable.default) for name, variable in variables.items()}

    chosen: list[tuple[TemplateSection, Position | None, ClauseType | None]] = []
    for section in template.sections:
        if not all(condition.holds(current) for condition in section.when):
            continue
        if section.clause is None:
            chosen.append((section, None, None))
            continue
        clause_type = library.clause(section.clause)
        try:
            picked = clause_type.position(positions.get(section.clause, section.position))
        except InvalidInput as err:
            errors.append(str(err))
            continue
        chosen.append((section, picked, clause_type))

    needed = [name for name, v in template.variables.items() if v.required]
    for section, picked_position, _clause in chosen:
        text = picked_position.text if picked_position is not None else section.text or ""
        needed.extend(_placeholders(text))
        if picked_position is not None and _clause is not None:
            errors.extend(_long_values(_clause, picked_position, variables, current))
    # Values that were supplied have been checked (and any error reported) above.
    needed = [n for n in dict.fromkeys(needed) if values.get(n) is None]
    _, missing_errors = _validate(variables, {}, needed)
    errors.extend(missing_errors)
    if errors:
        raise InvalidInput("; ".join(dict.fromkeys(errors)))

    result = []
    for section, maybe_position, maybe_clause in chosen:
        if maybe_position is None or maybe_clause is None:
            text = _substitute(section.text or "", variables, current)
            result.append(AssembledSection(section.heading, text))
        else:
            text = _substitute(maybe_position.text, variables, current)
            result.append(
                AssembledSection(section.heading, text, maybe_clause.key, maybe_position.rank, maybe_clause.version)
            )
    return result
