"""The term-field catalogue: every field's values read, stored, parsed back and shown."""

from __future__ import annotations

import pytest

from clm.errors import InvalidInput
from clm.values import fields
from clm.values.fields import Fee


@pytest.mark.parametrize(("name", "wording", "stored", "shown"), [
    ("non_renewal_notice", "thirty (30) business days", "P30BD", "30 business days"),
    ("initial_term", "one (1) year", "P1Y", "1 year"),
    ("effective_date", "June 1, 2026", "2026-06-01", "2026-06-01"),
    ("auto_renewal", "yes", True, "yes"),
    ("renewal_limit", "two (2)", 2, "2"),
    ("governing_law", "the laws of the State of New York", "New York", "New York"),
    ("billing_frequency", "quarterly", "quarterly", "quarterly"),
    ("price_increase_cap", "5%", 5.0, "5%"),
    ("parties", "Alpha Corp.\nBeta LLC", ["Alpha Corp.", "Beta LLC"], "Alpha Corp.; Beta LLC"),
    ("fees", "USD 135,000.00 per year", [{"amount": "135000.00", "currency": "USD", "period": "annual"}],
     "USD 135,000.00 per year"),
])
def test_every_kind_reads_stores_and_shows(name, wording, stored, shown):
    value = fields.read(name, wording)
    assert fields.to_json(name, value) == stored
    assert fields.parse(name, stored) == value
    assert fields.format(name, stored) == shown


def test_every_field_has_a_known_kind():
    assert {f.kind for f in fields.TERM_FIELDS} <= set(fields.KINDS)


@pytest.mark.parametrize("name", [f.name for f in fields.TERM_FIELDS])
def test_empty_and_unknown_are_refused_naming_the_field(name):
    with pytest.raises(InvalidInput, match=fields.FIELDS[name].label.replace("(", r"\(").replace(")", r"\)")):
        fields.read(name, "   ")
    with pytest.raises(InvalidInput, match="Unknown term"):
        fields.read("no_such_term", "x")


def test_fees_are_a_typed_list_of_money_with_a_period():
    fees = fields.parse("fees", [{"amount": "135000", "currency": "USD", "period": "annual"},
                                 {"amount": "5000.00", "currency": "USD", "period": None}])
    assert [(f.money.amount, f.period) for f in fees] == [(135000, "annual"), (5000, None)]
    assert all(isinstance(f, Fee) for f in fees)
    assert fields.read("fees", fields.format("fees", fields.to_json("fees", fees))) == fees


@pytest.mark.parametrize(("name", "wording", "shown"), [
    ("expiration_date", "perpetual", "none: runs until terminated (perpetual)"),
    ("expiration_date", "until terminated", "none: runs until terminated (perpetual)"),
    ("renewal_term", "Evergreen", "until terminated (evergreen)"),
    ("renewal_term", "indefinitely", "until terminated (evergreen)"),
])
def test_a_term_with_no_fixed_end_is_perpetual(name, wording, shown):
    value = fields.read(name, wording)
    assert value == fields.PERPETUAL and fields.to_json(name, value) == "perpetual"
    assert fields.parse(name, "perpetual") == fields.PERPETUAL
    assert fields.format(name, "perpetual") == shown


@pytest.mark.parametrize(("name", "wording"), [
    ("initial_term", "perpetual"),        # a length is a length: only the end and the renewal may be open
    ("non_renewal_notice", "until terminated"),
    ("expiration_date", "perpetual, more or less"),
    ("renewal_term", "until terminated or 2 years"),
])
def test_perpetual_is_refused_where_it_is_not_a_value(name, wording):
    with pytest.raises(InvalidInput, match=fields.FIELDS[name].label):
        fields.read(name, wording)
    with pytest.raises(ValueError):
        fields.parse(name, wording)


def test_a_value_an_older_clm_stored_is_shown_as_it_is():
    assert fields.format("billing_frequency", "in advance") == "in advance"
    assert fields.format("non_renewal_notice", None) == "—"
