"""Parsing and validating the terms document; the canonical hash."""

from __future__ import annotations

import copy
import re
from datetime import date
from decimal import Decimal
from typing import Any

import pytest

from clm.downstream.terms import TermsError, parse_terms, terms_hash
from clm.values import ValueReadError
from clm.values.dates import add_months
from clm.values.durations import Duration, canonical
from clm.values.durations import parse as parse_duration
from clm.values.money import plain as format_money
from clm.errors import InvalidInput
from tests.downstream.examples import saas_doc


def test_parse_the_saas_contract():
    terms = parse_terms(saas_doc())
    assert terms.currency == "USD"
    assert terms.signed_on == date(2025, 12, 15)
    assert terms.payment_terms_days == 30
    saas, impl = terms.lines
    assert (saas.id, saas.price, saas.ssp, saas.recognition) == ("saas", Decimal("120000.00"),
                                                                  Decimal("130000.00"), "ratable")
    assert (saas.start, saas.end) == (date(2026, 1, 1), date(2026, 12, 31))
    assert (saas.billing.frequency, saas.billing.timing) == ("annual", "advance")
    assert impl.satisfied_on == date(2026, 3, 15)
    assert terms.renewal.auto_renewal is True
    assert terms.renewal.renewal_term == Duration(1, "year")
    assert terms.renewal.non_renewal_notice == Duration(60, "day")
    assert terms.renewal.price_increase_cap == Decimal(5)
    assert terms.modifications == ()


def test_defaults():
    doc = saas_doc()
    del doc["payment_terms_days"], doc["renewal"]
    del doc["lines"][1]["ssp"], doc["lines"][1]["description"], doc["lines"][0]["billing"]["timing"]
    terms = parse_terms(doc)
    assert terms.payment_terms_days == 30
    assert terms.lines[1].ssp == Decimal("15000.00")  # SSP defaults to the price
    assert terms.lines[1].description == ""
    assert terms.lines[0].billing.timing == "advance"
    assert terms.renewal.auto_renewal is False and terms.renewal.renewal_term is None


def test_amounts_are_quantized_to_the_currency():
    doc = saas_doc(currency="jpy")
    doc["lines"][0]["price"] = "120000"
    terms = parse_terms(doc)
    assert terms.currency == "JPY"
    assert str(terms.lines[0].price) == "120000"
    doc = saas_doc()
    doc["lines"][0]["price"] = 120000  # a JSON integer is exact, so it is accepted
    assert str(parse_terms(doc).lines[0].price) == "120000.00"


@pytest.mark.parametrize(("text", "months", "days", "iso"), [
    ("P1Y", 12, 0, "P1Y"),
    ("P12M", 12, 0, "P1Y"),
    ("P18M", 18, 0, "P1Y6M"),
    ("P1Y6M", 18, 0, "P1Y6M"),
    ("P30D", 0, 30, "P30D"),
    ("P2W", 0, 14, "P14D"),
    ("P0D", 0, 0, "P0D"),
])
def test_durations_hash_in_one_canonical_form(text, months, days, iso):
    # The canonical form is what terms_hash reads: unchanged, so hashes stored before still verify.
    d = parse_duration(text)
    assert (d.calendar(), canonical(d)) == ((months, days), iso)


@pytest.mark.parametrize("text", ["P", "1Y", "P1H", "P1.5Y", "p1y", "", "P-1D", "P1Y2M3D", "sixty days"])
def test_parse_duration_refuses(text):
    with pytest.raises(ValueReadError, match="cannot read"):
        parse_duration(text)


@pytest.mark.parametrize(("day", "months", "expected"), [
    (date(2026, 1, 31), 1, date(2026, 2, 28)),   # clamped to the short month
    (date(2028, 1, 31), 1, date(2028, 2, 29)),   # leap year
    (date(2028, 2, 29), 12, date(2029, 2, 28)),
    (date(2028, 2, 29), 48, date(2032, 2, 29)),
    (date(2026, 3, 31), -1, date(2026, 2, 28)),
    (date(2026, 12, 15), 1, date(2027, 1, 15)),
])
def test_add_months(day, months, expected):
    assert add_months(day, months) == expected


@pytest.mark.parametrize(("amount", "currency", "text"), [
    (Decimal(10), "USD", "10.00"),
    (Decimal("10.005"), "USD", "10.01"),     # half-up
    (Decimal("1234.5"), "JPY", "1235"),
    (Decimal("1.2345"), "KWD", "1.235"),
])
def test_format_money(amount, currency, text):
    assert format_money(amount, currency) == text


def _set(doc: dict[str, Any], path: str, value: Any) -> dict[str, Any]:
    """Set (or, with value ..., delete) a dotted path such as "lines.1.end" in a copy of doc."""
    doc = copy.deepcopy(doc)
    *parents, last = path.split(".")
    node: Any = doc
    for part in parents:
        node = node[int(part)] if isinstance(node, list) else node[part]
    key: Any = int(last) if isinstance(node, list) else last
    if value is ...:
        del node[key]
    else:
        node[key] = value
    return doc


BAD_INPUTS = [
    ("lines.0.price", ..., "lines[0].price: missing"),
    ("lines.1.price", "", "lines[1].price: missing"),
    ("lines.0.end", "2025-12-01", "lines[0].end: 2025-12-01 is before start 2026-01-01"),
    ("currency", "XYZ", "currency: cannot read 'XYZ' as a known ISO 4217 currency code"),
    ("currency", ..., "currency: missing"),
    ("lines.0.price", "-5.00", "lines[0].price: cannot read '-5.00' as a non-negative decimal amount"),
    ("lines.1.ssp", "-1", "lines[1].ssp: cannot read '-1' as a non-negative decimal amount"),
    ("lines.0.price", 120000.5, "lines[0].price: cannot read 120000.5 as a decimal amount (e.g. \"1200.00\")"),
    ("lines.0.price", "12,000", "lines[0].price: cannot read '12,000' as a non-negative decimal amount"),
    ("lines.0.price", "10.005", "lines[0].price: cannot read '10.005' as an amount with at most 2 decimals in USD"),
    ("lines.0.start", "2026-02-30", "lines[0].start: cannot read '2026-02-30' as a date (YYYY-MM-DD): no such day"),
    ("lines.0.start", "01/01/2026", "lines[0].start: cannot read '01/01/2026' as a date (YYYY-MM-DD)"),
    ("lines.0.end", ..., "lines[0].end: missing (a ratable line needs its service period)"),
    ("lines.1.satisfied_on", ..., "lines[1].satisfied_on: missing (a point-in-time line needs"),
    ("lines.0.recognition", "monthly", "lines[0].recognition: 'monthly' is not one of ratable, point_in_time"),
    ("lines.0.billing.frequency", "weekly", "lines[0].billing.frequency: 'weekly' is not one of"),
    ("lines.0.billing.timing", "later", "lines[0].billing.timing: 'later' is not one of advance, arrears"),
    ("lines.0.billing", ..., "lines[0].billing: missing"),
    ("lines.0.billing.on", "2026-02-01", "lines[0].billing.on: only used with frequency once"),
    ("lines.1.satisified_on", "2026-03-15", "lines[1].satisified_on: unknown field"),
    ("lines.1.id", "saas", "lines[1].id: 'saas' is used by an earlier line"),
    ("lines.0.id", ..., "lines[0].id: missing"),
    ("lines", [], "lines: must have at least one line"),
    ("lines", {"id": "x"}, "lines: must be a list, not an object"),
    ("signed_on", ..., "signed_on: missing"),
    ("payment_terms_days", -1, "payment_terms_days: -1 must be a whole number of days"),
    ("payment_terms_days", "30", "payment_terms_days: '30' must be a whole number of days"),
    ("renewal.renewal_term", "one year", "renewal.renewal_term: cannot read 'one year' as a duration"),
    ("renewal.renewal_term", "P10BD", "renewal.renewal_term: P10BD must be counted in days, weeks, months or years"),
    ("renewal.renewal_term", ..., "renewal.renewal_term: missing (required when auto_renewal is true)"),
    ("renewal.renewal_term", "P0D", "renewal.renewal_term: P0D must be longer than zero"),
    ("renewal.non_renewal_notice", "PT60D", "renewal.non_renewal_notice: cannot read 'PT60D' as a duration"),
    ("renewal.non_renewal_notice", "PT4H", "renewal.non_renewal_notice: 'PT4H' must be counted in days"),
    ("renewal.price_increase_cap", "five", "renewal.price_increase_cap: cannot read 'five' as a percentage"),
    ("holidays", "XX", "holidays: cannot read 'XX' as a holiday calendar"),
    ("payment_terms", "P2M", "payment_terms: 'P2M' must be counted in days or business days"),
    ("renewal.auto_renewal", "yes", "renewal.auto_renewal: 'yes' must be true or false"),
    ("renewal.notice", "P30D", "renewal.notice: unknown field"),
]


@pytest.mark.parametrize(("path", "value", "message"), BAD_INPUTS,
                         ids=[f"{p}={v!r}" for p, v, _ in BAD_INPUTS])
def test_bad_input_names_the_field(path, value, message):
    with pytest.raises(InvalidInput) as exc:
        parse_terms(_set(saas_doc(), path, value))
    assert message in str(exc.value)


def test_ssps_summing_to_zero():
    doc = _set(_set(saas_doc(), "lines.0.ssp", "0"), "lines.1.ssp", "0.00")
    with pytest.raises(InvalidInput, match=r"lines: the standalone selling prices \(ssp\) sum to zero"):
        parse_terms(doc)


def test_too_many_decimals_for_a_currency_without_minor_units():
    doc = _set(saas_doc(currency="JPY"), "lines.0.price", "120000.50")
    with pytest.raises(InvalidInput, match=r"lines\[0\]\.price: cannot read '120000\.50' as an amount with at most 0 "
                                           r"decimals in JPY"):
        parse_terms(doc)


def test_not_an_object():
    with pytest.raises(InvalidInput, match="terms: must be an object, not a list"):
        parse_terms([])


def test_every_error_is_reported_at_once():
    doc = saas_doc(currency="XYZ")
    doc["lines"][0]["end"] = "2025-01-01"
    del doc["lines"][1]["price"]
    doc["renewal"]["non_renewal_notice"] = "sixty days"
    with pytest.raises(TermsError) as exc:
        parse_terms(doc)
    assert exc.value.errors == [
        "currency: cannot read 'XYZ' as a known ISO 4217 currency code (e.g. USD)",
        "lines[0].end: 2025-01-01 is before start 2026-01-01",
        "lines[1].price: missing",
        "renewal.non_renewal_notice: cannot read 'sixty days' as a duration "
        "(e.g. P30D, P30BD, P12M, '30 days' or '30 business days')",
    ]
    assert str(exc.value).startswith("invalid contract terms: currency: cannot read 'XYZ'")
    assert "\n" not in str(exc.value)  # one line on the CLI's stderr


# ----------------------------------------------------------------------------- modifications

MOD_SAAS_UPSELL = {"effective": "2026-07-01", "treatment": "prospective",
                   "lines": [{"id": "saas", "price": "30000.00"}]}


def test_prospective_modification_inherits_the_line():
    terms = parse_terms(saas_doc(modifications=[MOD_SAAS_UPSELL]))
    (mod,) = terms.modifications
    (line,) = mod.lines
    assert (mod.effective, mod.treatment) == (date(2026, 7, 1), "prospective")
    # Price is the new consideration; the rest comes from the line it changes, and the
    # changed service starts on the effective date.
    assert line.price == Decimal("30000.00")
    assert (line.start, line.end) == (date(2026, 7, 1), date(2026, 12, 31))
    assert (line.recognition, line.ssp, line.billing.frequency) == ("ratable", Decimal("130000.00"), "annual")
    assert [ln.id for ln in terms.all_lines()] == ["saas", "impl", "saas"]


BAD_MODIFICATIONS = [
    ({"effective": "2026-07-01", "treatment": "separate_contract", "lines": [{"id": "saas", "price": "1"}]},
     "modifications[0].lines[0].id: 'saas' already exists; a separate contract adds new lines"),
    ({**MOD_SAAS_UPSELL, "effective": "2025-12-01"},
     "modifications[0].effective: 2025-12-01 is before the contract was signed (2025-12-15)"),
    ({**MOD_SAAS_UPSELL, "treatment": "retrospective"},
     "modifications[0].treatment: 'retrospective' is not one of separate_contract, prospective"),
    ({**MOD_SAAS_UPSELL, "lines": []},
     "modifications[0].lines: missing (a modification adds or changes at least one line)"),
    ({**MOD_SAAS_UPSELL, "lines": [{"id": "saas", "price": "1", "start": "2026-06-01"}]},
     "modifications[0].lines[0].start: 2026-06-01 is before the modification takes effect (2026-07-01)"),
    ({**MOD_SAAS_UPSELL, "lines": [{"id": "saas"}]}, "modifications[0].lines[0].price: missing"),
    ({**MOD_SAAS_UPSELL, "lines": [{"id": "support", "price": "10", "recognition": "ratable",
                                    "billing": {"frequency": "once"}}]},
     "modifications[0].lines[0].end: missing (a ratable line needs its service period)"),
    ({**MOD_SAAS_UPSELL, "lines": [{"id": "saas", "price": "1", "ssp": "0"}]},
     "modifications[0].lines: the standalone selling prices (ssp) sum to zero"),
    ({**MOD_SAAS_UPSELL, "when": "now"}, "modifications[0].when: unknown field"),
]


@pytest.mark.parametrize(("mod", "message"), BAD_MODIFICATIONS)
def test_bad_modification_names_the_field(mod, message):
    with pytest.raises(InvalidInput) as exc:
        parse_terms(saas_doc(modifications=[mod]))
    assert message in str(exc.value)


def test_modifications_in_date_order():
    later = {**MOD_SAAS_UPSELL, "effective": "2026-09-01"}
    with pytest.raises(InvalidInput, match="modifications: must be in order of their effective dates"):
        parse_terms(saas_doc(modifications=[later, MOD_SAAS_UPSELL]))


# ----------------------------------------------------------------------------- hash


def test_hash_ignores_how_the_document_is_written():
    a = saas_doc()
    b = saas_doc()
    b["lines"][0]["price"] = "120000"
    b["lines"][0] = dict(reversed(list(b["lines"][0].items())))
    b["renewal"]["renewal_term"] = "P12M"
    b["renewal"]["price_increase_cap"] = 5
    b["confirmed_by"] = "finance@example.com"  # metadata outside the terms
    assert terms_hash(parse_terms(a)) == terms_hash(parse_terms(b))
    assert len(terms_hash(parse_terms(a))) == 64


@pytest.mark.parametrize(("path", "value"), [
    ("lines.0.price", "120000.01"),
    ("lines.0.end", "2026-12-30"),
    ("lines.1.billing.timing", "advance"),
    ("payment_terms_days", 45),
    ("renewal.non_renewal_notice", "P90D"),
])
def test_hash_changes_with_any_term(path, value):
    assert terms_hash(parse_terms(_set(saas_doc(), path, value))) != terms_hash(parse_terms(saas_doc()))


@pytest.mark.parametrize(("change", "message"), [
    ({"payment_terms_days": 10 ** 30}, "payment_terms_days: "),
    ({"signed_on": "9999-12-31"}, "signed_on: 9999-12-31 is outside 1900-2200"),
    ({"renewal": {"auto_renewal": True, "renewal_term": "P1Y", "non_renewal_notice": "P99999Y"}},
     "renewal.non_renewal_notice: 'P99999Y' is longer than 100 years"),
])
def test_values_no_schedule_could_use_are_refused_naming_the_field(change, message):
    from tests.downstream.examples import saas_doc

    with pytest.raises(InvalidInput, match=re.escape(message)):
        parse_terms({**saas_doc(), **change})


def test_a_price_too_large_to_bill_is_refused():
    from tests.downstream.examples import saas_doc

    doc = saas_doc()
    doc["lines"][0]["price"] = "9" * 40 + ".00"
    with pytest.raises(InvalidInput, match=r"lines\[0\]\.price: .* is larger than any contract"):
        parse_terms(doc)
