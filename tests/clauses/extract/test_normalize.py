"""Table tests for the pure normalizers: durations, dates, jurisdictions, money."""
from __future__ import annotations

import datetime
from decimal import Decimal

import pytest

from clm.clauses.extract import normalize as N


@pytest.mark.parametrize(("text", "iso"), [
    ("thirty (30) days", "P30D"),
    ("one (1) year", "P1Y"),
    ("12 months", "P12M"),
    ("sixty days", "P60D"),
    ("ninety (90) calendar days", "P90D"),
    ("a 90-day period", "P90D"),
    ("one-year term", "P1Y"),
    ("six (6) months' notice", "P6M"),
    ("forty-five (45) days", "P45D"),
    ("one hundred twenty (120) days", "P120D"),
    ("[30] days", "P30D"),
    ("two (2) year(s)", "P2Y"),
    ("ten (10) business days", "P10BD"),              # business days keep their unit (issue 18)
        ("thirty (30) working days", "P30BD"),
    ("three (3) weeks", "P3W"),
    ("twenty (20) years", "P20Y"),
    ("thirty (3O) days", "P30D"),            # OCR'd digits fall back to the words
    ("3 (three) months prior notice", "P3M"),  # digits first, words in the parentheses
    ('ninety ("90") days', "P90D"),            # quoted digits
    ("[three (3)] months'", "P3M"),            # bracketed as a blank that was filled in
    ("renews from year to year", "P1Y"),
    ("no duration here", None),
    ("Section 30 of the Agreement", None),
    ("", None),
])
def test_normalize_duration(text: str, iso: str | None) -> None:
    assert N.normalize_duration(text) == iso


@pytest.mark.parametrize(("words", "n"), [
    ("thirty", 30), ("forty-five", 45), ("one hundred twenty", 120), ("ninety nine", 99),
    ("12", 12), ("twelve", 12), ("zero", 0), ("blue", None), ("", None),
])
def test_parse_number_word(words: str, n: int | None) -> None:
    assert N.parse_number_word(words) == n


@pytest.mark.parametrize(("text", "iso"), [
    ("June 1, 2019", "2019-06-01"),
    ("June 1st, 2019", "2019-06-01"),
    ("1st day of June, 2019", "2019-06-01"),
    ("this 23rd day of  September, 2016", "2016-09-23"),
    ("the 1st of      March, 2003", "2003-03-01"),
    ("22 Dec. 2017", "2017-12-22"),
    ("26  September 2019", "2019-09-26"),
    ("15t h day of January 2018", "2018-01-15"),   # OCR split ordinal
    ("FEBRUARY 4, 2020", "2020-02-04"),
    ("first day of June, 2019", "2019-06-01"),
    ("6/1/19", "2019-06-01"),
    ("03/01/05", "2005-03-01"),
    ("12/31/99", "1999-12-31"),
    ("31/01/2025", "2025-01-31"),                 # day-first when the month cannot be 31
    ("2019-06-01", "2019-06-01"),
    ("February 30, 2020", None),                  # not a date
    ("this ___ day of _________, 2004", None),    # blank
    ("Section 3.1.2019", None),                   # section numbers are not dates
    ("", None),
])
def test_normalize_date(text: str, iso: str | None) -> None:
    assert N.normalize_date(text) == iso


def test_find_dates_gives_spans() -> None:
    text = "Signed on June 1, 2019 and ending 6/1/20."
    found = N.find_dates(text)
    assert [d.iso for d in found] == ["2019-06-01", "2020-06-01"]
    assert [text[d.start:d.end] for d in found] == ["June 1, 2019", "6/1/20"]


@pytest.mark.parametrize(("text", "name"), [
    ("the laws of the State of New York", "New York"),
    ("laws of the Commonwealth of Massachusetts", "Massachusetts"),
    ("England and Wales", "England and Wales"),
    ("the laws of England", "England and Wales"),
    ("the Province of British Columbia", "British Columbia"),
    ("State of California, USA", "California"),
    ("the Federal Republic of Germany", "Germany"),
    ("the People's Republic of China", "China"),
    ("the laws of the State of Ruritania", "Ruritania"),
    ("", None),
])
def test_normalize_jurisdiction(text: str, name: str | None) -> None:
    assert N.normalize_jurisdiction(text) == name


@pytest.mark.parametrize(("text", "value"), [
    ("$12,000,000", (Decimal(12000000), "USD")),
    ("US$ 5 million", (Decimal(5000000), "USD")),
    ("EUR 100,000", (Decimal(100000), "EUR")),
    ("1,000 dollars", (Decimal(1000), "USD")),
    ("€250.50", (Decimal("250.50"), "EUR")),
    ("£75", (Decimal(75), "GBP")),
    ("500 Canadian dollars", (Decimal(500), "CAD")),
    ("twelve million U.S. dollars ($12,000,000)", (Decimal(12000000), "USD")),
    ("no money", None),
])
def test_normalize_money(text: str, value: tuple[Decimal, str] | None) -> None:
    assert N.normalize_money(text) == value


@pytest.mark.parametrize(("start", "iso", "end"), [
    ("2019-06-01", "P1Y", "2020-06-01"),
    ("2020-01-31", "P1M", "2020-02-29"),          # clamped to month end
    ("2014-01-20", "P6M", "2014-07-20"),
    ("2019-06-01", "P30D", "2019-07-01"),
    ("2019-06-01", "P2W", "2019-06-15"),
])
def test_add_duration(start: str, iso: str, end: str) -> None:
    assert N.add_duration(datetime.date.fromisoformat(start), iso) == datetime.date.fromisoformat(end)


@pytest.mark.parametrize(("start", "end", "iso"), [
    ("2008-01-01", "2008-12-31", "P1Y"),
    ("2020-03-01", "2025-02-28", "P5Y"),
    ("2019-06-01", "2019-12-01", "P6M"),
    ("2019-06-01", "2019-06-11", "P10D"),
    ("2019-06-01", "2019-05-01", None),
    ("bad", "2019-05-01", None),
])
def test_duration_between(start: str, end: str, iso: str | None) -> None:
    assert N.duration_between(start, end) == iso


def test_duration_iso_rejects_unknown_unit() -> None:
    with pytest.raises(ValueError):
        N.duration_iso(3, "fortnight")
