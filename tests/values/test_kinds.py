"""Each value kind: wordings read (tables), our own forms parsed, bad wordings refused, parse(format(v)) == v."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from clm.values import ValueReadError, calendars, dates, durations, frequencies, jurisdictions, money, numbers
from clm.values.durations import Duration
from clm.values.money import Money

# ----------------------------------------------------------------------------- durations


@pytest.mark.parametrize(("wording", "expected"), [
    ("thirty (30) days", Duration(30, "day")),
    ("thirty (30) business days", Duration(30, "business_day")),
    ("ten (10) working days", Duration(10, "business_day")),
    ("5 banking days", Duration(5, "business_day")),
    ("sixty days", Duration(60, "day")),
    ("one (1) year", Duration(1, "year")),
    ("12 months", Duration(12, "month")),
    ("six (6) calendar months", Duration(6, "month")),
    ("two weeks", Duration(2, "week")),
    ("four (4) hours", Duration(4, "hour")),
    ("p1y", Duration(1, "year")),
    ("P30BD", Duration(30, "business_day")),
    ("annually", Duration(1, "year")),
    ("30 days.", Duration(30, "day")),
])
def test_durations_are_read_from_contract_wording(wording, expected):
    assert durations.read(wording) == expected


@pytest.mark.parametrize(("text", "expected"), [
    ("P30D", Duration(30, "day")),
    ("P30BD", Duration(30, "business_day")),
    ("P2W", Duration(2, "week")),
    ("P12M", Duration(12, "month")),
    ("P1Y6M", Duration(18, "month")),
    ("P1Y", Duration(1, "year")),
    ("PT4H", Duration(4, "hour")),
    ("P0D", Duration(0, "day")),
    ("30 business days", Duration(30, "business_day")),
])
def test_durations_parse_our_own_forms(text, expected):
    assert durations.parse(text) == expected


@pytest.mark.parametrize("text", ["", "P", "30", "p1y", "P1M15D", "P-1D", "P1.5Y", "thirty days", "P30DB", None, 30])
def test_durations_refuse_what_is_not_our_own_form(text):
    with pytest.raises(ValueReadError, match="cannot read"):
        durations.parse(text)


@pytest.mark.parametrize(("value", "text", "words"), [
    (Duration(60, "day"), "60 days", "sixty (60) days"),
    (Duration(30, "business_day"), "30 business days", "thirty (30) business days"),
    (Duration(1, "year"), "1 year", "one (1) year"),
    (Duration(1, "business_day"), "1 business day", "one (1) business day"),
])
def test_durations_are_formatted_as_written(value, text, words):
    assert (durations.format(value), durations.format_words(value)) == (text, words)


def test_finding_durations_keeps_spans_and_business_days():
    text = "upon thirty (30) business days' notice, or 12 months"
    found = durations.find(text)
    assert [(f.iso, text[f.start:f.end]) for f in found] == [
        ("P30BD", "thirty (30) business days'"), ("P12M", "12 months")]


def test_business_days_skip_weekends_and_holidays():
    us = calendars.calendar("US")
    # Friday 2026-12-18 plus 5 business days: the week of Christmas loses Friday 25th.
    assert Duration(5, "business_day").after(date(2026, 12, 18), us) == date(2026, 12, 28)
    assert Duration(5, "business_day").before(date(2026, 12, 31), us) == date(2026, 12, 23)
    assert Duration(1, "month").after(date(2026, 1, 31)) == date(2026, 2, 28)


durations_strategy = st.builds(Duration, st.integers(0, 5000), st.sampled_from(durations.UNITS))


@given(durations_strategy)
def test_durations_round_trip(value):
    assert durations.parse(durations.format(value)) == value
    assert durations.parse(value.iso) == value
    if 0 < value.amount < 1000:         # from a thousand on, contracts write the digits alone
        assert durations.read(durations.format_words(value)) == value


# ----------------------------------------------------------------------------- money


@pytest.mark.parametrize(("wording", "expected"), [
    ("USD 135,000.00", Money(Decimal("135000.00"), "USD")),
    ("$1.5 million", Money(Decimal("1500000.00"), "USD")),
    ("US$ 5 million", Money(Decimal("5000000.00"), "USD")),
    ("135,000 dollars", Money(Decimal("135000.00"), "USD")),
    ("€250", Money(Decimal("250.00"), "EUR")),
    ("1,000 pounds sterling", Money(Decimal("1000.00"), "GBP")),
    ("KWD 1,250.500", Money(Decimal("1250.500"), "KWD")),
    ("jpy 1200", Money(Decimal("1200"), "JPY")),
    ("12,000.00 CHF", Money(Decimal("12000.00"), "CHF")),
])
def test_money_is_read_from_contract_wording(wording, expected):
    assert money.read(wording) == expected


@pytest.mark.parametrize(("text", "message"), [
    ("USD 12.345", "at most 2 decimals in USD"),
    ("JPY 10.5", "at most 0 decimals in JPY"),
    ("KWD 1.2345", "at most 3 decimals in KWD"),
    ("XYZ 5", "a known ISO 4217 currency"),
    ("12,000", "an amount with a currency"),
    ("lots", "an amount with a currency"),
])
def test_money_refuses_what_it_cannot_read(text, message):
    with pytest.raises(ValueReadError, match=message):
        money.read(text)


@pytest.mark.parametrize(("code", "digits"), [("USD", 2), ("JPY", 0), ("KWD", 3), ("BHD", 3), ("CLP", 0),
                                              ("HUF", 2), ("EUR", 2)])
def test_minor_units_come_from_iso_4217(code, digits):
    assert money.minor_units(code) == digits


@pytest.mark.parametrize(("value", "text"), [
    (Money(Decimal("135000"), "USD"), "USD 135,000.00"),
    (Money(Decimal("1200"), "JPY"), "JPY 1,200"),
    (Money(Decimal("1.25"), "KWD"), "KWD 1.250"),
])
def test_money_is_formatted_as_an_accountant_writes_it(value, text):
    assert money.format(value) == text


@st.composite
def money_values(draw):
    code = draw(st.sampled_from(["USD", "JPY", "KWD", "EUR", "CLP", "BHD"]))
    units = draw(st.integers(0, 10**12))
    return Money(money.from_minor(units, code), code)


@given(money_values())
def test_money_round_trips(value):
    assert money.parse(money.format(value)) == value
    assert money.to_minor(value.amount, value.currency) == money.to_minor(
        money.parse(money.format(value)).amount, value.currency)


@pytest.mark.parametrize("typed,code,expected", [
    ("100,000.00", "USD", "100000.00"), ("100 000.00", "USD", "100000.00"), ("$1,200", "USD", "1200.00"),
    ("USD 1,200.50", "USD", "1200.50"), ("1200.5 usd", "USD", "1200.50"), (" 7 ", "JPY", "7"),
    ("1\u202f234\u202f567.891", "KWD", "1234567.891"),
])
def test_a_typed_amount_is_read_as_people_type_it(typed, code, expected):
    assert money.typed(typed, code) == Decimal(expected)


@pytest.mark.parametrize("typed,code,message", [
    ("1,2,3", "USD", "grouped by commas"),           # not grouped in threes: never guessed
    ("100.000,00", "USD", "grouped by commas"),      # a decimal comma is refused, not read as 100
    ("1,000 000", "USD", "grouped by commas"),       # one separator throughout
    ("EUR 5", "USD", "an amount in USD"),
    ("USD 5 EUR", "USD", "an amount in USD"),
    ("12.345", "USD", "at most 2 decimals"),
    ("-5", "USD", "grouped by commas"),
    ("", "USD", "grouped by commas"),
])
def test_a_typed_amount_that_is_not_clear_is_refused(typed, code, message):
    with pytest.raises(ValueReadError, match=message):
        money.typed(typed, code)


# ----------------------------------------------------------------------------- dates, numbers


@pytest.mark.parametrize(("wording", "expected"), [
    ("June 1, 2019", date(2019, 6, 1)),
    ("1st day of June, 2019", date(2019, 6, 1)),
    ("first day of June, 2019", date(2019, 6, 1)),
    ("22 Dec. 2017", date(2017, 12, 22)),
    ("6/1/19", date(2019, 6, 1)),
    ("2019-06-01", date(2019, 6, 1)),
])
def test_dates_are_read_from_contract_wording(wording, expected):
    assert dates.read(wording) == expected


@pytest.mark.parametrize("text", ["June 1", "2026-02-30", "tomorrow", "", None])
def test_dates_refuse_what_they_cannot_read(text):
    with pytest.raises(ValueReadError, match="as a date"):
        dates.read(text)


@given(st.dates(date(1900, 1, 1), date(2200, 12, 31)))
def test_dates_round_trip(value):
    assert dates.parse(dates.format(value)) == value
    assert dates.parse(value.isoformat()) == value


@pytest.mark.parametrize(("wording", "expected"), [("thirty (30)", 30), ("forty-five", 45), ("1,000", 1000),
                                                   ("one hundred twenty", 120), ("3", 3)])
def test_numbers_are_read_in_words_and_digits(wording, expected):
    assert numbers.read(wording) == expected


@given(st.integers(0, 10**9))
def test_numbers_round_trip(value):
    assert numbers.read(numbers.format(value)) == value
    assert numbers.parse(str(value)) == value


@given(st.decimals(0, 1000, places=2))
def test_percentages_round_trip(value):
    assert numbers.parse_percent(numbers.format_percent(value)) == value


# ----------------------------------------------------------------------------- jurisdictions, frequencies


@pytest.mark.parametrize(("wording", "expected"), [
    ("the laws of the State of New York", "New York"),
    ("the Commonwealth of Massachusetts", "Massachusetts"),
    ("England & Wales", "England and Wales"),
    ("the laws of the People's Republic of China", "China"),
    ("Delaware, USA", "Delaware"),
])
def test_jurisdictions_are_read_from_contract_wording(wording, expected):
    assert jurisdictions.read(wording) == expected


@pytest.mark.parametrize("name", jurisdictions.US_STATES + jurisdictions.CA_PROVINCES
                         + ["England and Wales", "Germany", "Singapore"])
def test_jurisdictions_round_trip(name):
    assert jurisdictions.parse(jurisdictions.format(name)) == name


def test_jurisdictions_name_their_holiday_calendar():
    assert calendars.for_jurisdiction("New York") == "US-NY"
    assert calendars.for_jurisdiction("England and Wales") == "GB-ENG"
    assert calendars.for_jurisdiction("Germany") == "DE"
    assert calendars.read("New York") == "US-NY"


@pytest.mark.parametrize(("wording", "expected"), [
    ("annually", "annual"), ("per year", "annual"), ("yearly", "annual"), ("semi-annually", "semiannual"),
    ("quarterly", "quarterly"), ("per month", "monthly"), ("once", "once"), ("one-time", "once")])
def test_frequencies_are_read_from_contract_wording(wording, expected):
    assert frequencies.read(wording) == expected


@pytest.mark.parametrize("name", frequencies.FREQUENCIES)
def test_frequencies_round_trip(name):
    assert frequencies.parse(frequencies.format(name)) == name


@pytest.mark.parametrize("code", ["US", "US-NY", "GB-ENG", "DE-BY", "none"])
def test_calendars_round_trip(code):
    assert calendars.parse(calendars.format(code)) == code


@pytest.mark.parametrize("code", ["XX", "US-ZZ", "", "United States", None])
def test_unknown_calendars_are_refused(code):
    with pytest.raises(ValueReadError, match="holiday calendar"):
        calendars.parse(code)


def test_a_deadline_on_a_holiday_moves_to_the_business_day_before():
    assert calendars.calendar("US").on_or_before(date(2026, 12, 25)) == date(2026, 12, 24)
    assert calendars.calendar("GB").on_or_before(date(2026, 12, 28)) == date(2026, 12, 24)  # Boxing Day observed
    assert calendars.calendar("none").on_or_before(date(2026, 12, 25)) == date(2026, 12, 25)

