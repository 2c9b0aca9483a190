"""Values as pages, PDFs and the formatted CSV columns show them (clm.values.display)."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest

from clm.values import dates, display, durations, fields, money


@pytest.mark.parametrize(("value", "currency", "shown"), [
    ("135000.00", "USD", "USD 135,000.00"),
    (Decimal(1200), "JPY", "JPY 1,200"),
    ("1250.5", "KWD", "KWD 1,250.500"),
    (Decimal("-120.00"), "USD", "USD -120.00"),           # a credit
    (135000, "usd", "USD 135,000.00"),
    (money.Money(Decimal("60000.00"), "EUR"), None, "EUR 60,000.00"),
    ("", "USD", ""), (None, "USD", ""),
    ("n/a", "USD", "USD n/a"),                             # shown as it is, never an error
    ("100.00", "XXX1", "XXX1 100.00"),
    (1.5, "USD", "1.5"),                                   # a float is no amount
])
def test_money_text(value, currency, shown):
    assert display.money_text(value, currency) == shown


@pytest.mark.parametrize(("value", "shown"), [
    ("P60D", "60 days"), ("P30BD", "30 business days"), ("P1Y", "1 year"), ("P12M", "12 months"),
    ("PT4H", "4 hours"), (durations.Duration(2, "week"), "2 weeks"), ("", ""), (None, ""), ("soon", "soon"),
])
def test_duration_text(value, shown):
    assert display.duration_text(value) == shown


@pytest.mark.parametrize(("locale", "shown"), [
    ("en-US", "June 1, 2026"), ("en-GB", "1 June 2026"), ("iso", "2026-06-01"), ("xx", "June 1, 2026")])
def test_date_text_per_locale(locale, shown):
    for value in ("2026-06-01", datetime.date(2026, 6, 1), datetime.datetime(2026, 6, 1, 23, 59)):
        assert display.date_text(value, locale) == shown
    assert dates.read(display.date_text("2026-06-01", locale)) == datetime.date(2026, 6, 1)   # reads back


def test_date_text_leaves_what_is_no_date():
    assert display.date_text("") == "" and display.date_text(None) == "" and display.date_text("someday") == "someday"


def test_month_and_percent_text():
    assert display.month_text("2026-12") == "Dec 2026" and display.month_text(datetime.date(2027, 1, 5)) == "Jan 2027"
    assert display.month_text("Q4") == "Q4" and display.month_text(None) == ""
    assert display.percent_text("5") == "5%" and display.percent_text("2.50") == "2.5%"
    assert display.percent_text(Decimal(8)) == "8%" and display.percent_text("lots") == "lots"


def test_term_dates_follow_the_locale_and_default_to_iso():
    assert fields.format("effective_date", "2026-06-01") == "2026-06-01"
    assert fields.format("effective_date", "2026-06-01", "en-US") == "June 1, 2026"
    assert fields.format("effective_date", "2026-06-01", "en-GB") == "1 June 2026"
    fees = [{"amount": "60000.00", "currency": "USD", "period": None}]
    assert fields.format("fees", fees, "en-US") == "USD 60,000.00"
    # Issue 21 met a fee shown as {'amount': '60000.00', 'currency': 'USD', 'period': None}.
    assert fields.format("fees", fees[0]) == "USD 60,000.00"
    assert fields.cell("fees", {"amount": "60000.00", "currency": "USD", "period": "annual"}) == "USD 60,000.00 per year"
