"""Pure tables: catalog rules, tiers, discounts, promotions, totals, approvals, conversion to commercial terms."""

from __future__ import annotations

import copy
from datetime import date
from decimal import Decimal

import pytest

from clm.downstream.terms import parse_terms
from clm.quotes.catalog import CatalogError, ConfigurationError, check_configuration, parse_catalog
from clm.quotes.conversion import terms_document
from clm.quotes.pricing import QuoteInputError, parse_request, price_quote, priced_from_dict, tier_total
from tests.quotes.conftest import REQUEST, TODAY, request_with


def price(catalog, **changes):
    return price_quote(catalog, parse_request(request_with(**changes), catalog, TODAY))


@pytest.mark.parametrize(("bundle", "chosen", "rules"), [
    ("ENTERPRISE", {"PLATFORM": 30, "IMPLEMENTATION": 1}, []),
    ("ENTERPRISE", {"PLATFORM": 30}, ["rule 'ENTERPRISE requires IMPLEMENTATION'"]),
    ("ENTERPRISE", {"PLATFORM": 10, "IMPLEMENTATION": 1}, ["rule 'ENTERPRISE PLATFORM quantity at least 25'"]),
    ("ENTERPRISE", {"PLATFORM": 30, "IMPLEMENTATION": 1, "LEGACY-CONNECTOR": 1},
     ["rule 'ENTERPRISE excludes LEGACY-CONNECTOR'"]),
    ("ENTERPRISE", {"PLATFORM": 30, "IMPLEMENTATION": 1, "PREMIUM-SUPPORT": 1, "STANDARD-SUPPORT": 1},
     ["rule 'PREMIUM-SUPPORT excludes STANDARD-SUPPORT'"]),
    (None, {"ANALYTICS": 5}, ["rule 'ANALYTICS requires PLATFORM'"]),
    (None, {"PLATFORM": 5, "SSO": 1}, ["rule 'SSO is sold only in a bundle'"]),
    ("ENTERPRISE", {"PLATFORM": 30, "IMPLEMENTATION": 1, "SSO": 1}, []),
])
def test_configuration_rules_are_named(catalog, bundle, chosen, rules):
    problems = check_configuration(catalog, bundle, chosen)
    assert [p.split(":")[0] for p in problems] == rules


@pytest.mark.parametrize(("sku", "quantity", "total"), [
    ("PLATFORM", 100, "120000"),     # volume: 100 x 1,200
    ("PLATFORM", 101, "109080"),     # volume: every unit at the 101+ price, 101 x 1,080
    ("PLATFORM", 501, "480960"),     # 501 x 960
    ("TRAINING", 10, "5000"),        # graduated: 10 x 500
    ("TRAINING", 12, "5800"),        # graduated: 10 x 500 + 2 x 400
    ("ANALYTICS", 7, "2100"),        # no tiers: 7 x 300
])
def test_quantity_tiers(catalog, sku, quantity, total):
    entry = catalog.price_books["standard-usd"].entries[sku]
    assert tier_total(entry, quantity) == Decimal(total)


@pytest.mark.parametrize(("changes", "tcv", "acv", "approvals"), [
    # 30 x 1,200 x 1 year = 36,000 + implementation 15,000, no discount
    ({"term_months": 12, "discount": "0", "promotions": [],
      "lines": [{"product": "PLATFORM", "quantity": 30}, {"product": "IMPLEMENTATION", "quantity": 1}]},
     "51000.00", "36000.00", ()),
    # 18 months: 36,000 x 1.5 = 54,000; ACV 54,000 x 12/18 = 36,000
    ({"term_months": 18, "discount": "0", "promotions": [],
      "lines": [{"product": "PLATFORM", "quantity": 30}, {"product": "IMPLEMENTATION", "quantity": 1}]},
     "69000.00", "36000.00", ()),
    # line 21 %: 36,000 x 0.79 = 28,440 + 15,000; 21 % > 20 %: sales manager
    ({"term_months": 12, "discount": "0", "promotions": [],
      "lines": [{"product": "PLATFORM", "quantity": 30, "discount": "21"}, {"product": "IMPLEMENTATION", "quantity": 1}]},
     "43440.00", "28440.00", ("sales_manager",)),
    # exactly 20 % needs no approval (the threshold is "above")
    ({"term_months": 12, "discount": "20", "promotions": [],
      "lines": [{"product": "PLATFORM", "quantity": 30}, {"product": "IMPLEMENTATION", "quantity": 1}]},
     "40800.00", "28800.00", ()),
    # 100 % line discount: free, and both levels must approve
    ({"term_months": 12, "discount": "0", "promotions": [],
      "lines": [{"product": "PLATFORM", "quantity": 30, "discount": "100"}, {"product": "IMPLEMENTATION", "quantity": 1}]},
     "15000.00", "0.00", ("sales_manager", "finance")),
    # a promotion alone needs no approval: analytics 30 x 300 x 0.9 = 8,100
    ({"term_months": 12, "discount": "0", "promotions": ["LAUNCH10"],
      "lines": [{"product": "PLATFORM", "quantity": 30}, {"product": "ANALYTICS", "quantity": 30},
                {"product": "IMPLEMENTATION", "quantity": 1}]},
     "59100.00", "44100.00", ()),
])
def test_totals_acv_tcv_and_approvals(catalog, changes, tcv, acv, approvals):
    result = price(catalog, **changes)
    assert (result.tcv, result.acv, result.approvals) == (tcv, acv, approvals)
    assert sum(Decimal(ln.net_total) for ln in result.lines) == Decimal(result.tcv)
    assert priced_from_dict(result.to_dict()) == result


def test_a_cent_is_rounded_once_per_line(catalog):
    # 7 users x 300.00 x 7/12 years = 1,225.00; x 0.6667 (33.33 % off) = 816.7075 -> 816.71
    result = price(catalog, bundle=None, promotions=[], discount="0", term_months=7,
                   lines=[{"product": "PLATFORM", "quantity": 1}, {"product": "ANALYTICS", "quantity": 7,
                                                                    "discount": "33.33"}])
    assert result.lines[1].list_total == "1225.00" and result.lines[1].net_total == "816.71"


@pytest.mark.parametrize(("changes", "message"), [
    ({"lines": [{"product": "NOPE", "quantity": 1}]}, "lines[0].product: unknown product 'NOPE'"),
    ({"lines": [{"product": "PLATFORM", "quantity": 0}]}, "lines[0].quantity: 0 must be from 1"),
    ({"lines": [{"product": "PLATFORM", "quantity": 2.5}]}, "lines[0].quantity: 2.5 must be a whole number"),
    ({"lines": [{"product": "PLATFORM", "quantity": 30, "discount": "-1"}]}, "lines[0].discount: -1% is negative"),
    ({"discount": "100.5"}, "discount: 100.5% is more than 100%"),
    ({"discount": 12.5}, "discount: 12.5 must be a decimal string"),
    ({"currency": "XYZ"}, "currency: 'XYZ' is not a known ISO 4217 currency code"),
    ({"currency": "GBP"}, "currency: no price book is in GBP"),
    ({"promotions": ["NOPE"]}, "promotions[0]: unknown promotion 'NOPE'"),
    ({"term_months": 0}, "term_months: 0 must be from 1 to 120 months"),
    ({"start_date": "2027-02-30"}, "start_date: '2027-02-30' is not a date"),
    ({"customer": ""}, "customer: missing"),
    ({"lines": []}, "lines: missing"),
    ({"colour": "red"}, "colour: unknown field"),
])
def test_bad_requests_name_the_field(catalog, changes, message):
    with pytest.raises(QuoteInputError) as err:
        parse_request(request_with(**changes), catalog, TODAY)
    assert message in str(err.value)


def test_an_expired_promotion_is_refused(catalog):
    with pytest.raises(QuoteInputError, match=r"promotions\[0\]: LAUNCH10 is not valid on 2028-01-01"):
        parse_request(REQUEST, catalog, date(2028, 1, 1))


def test_rules_are_checked_after_the_fields(catalog):
    with pytest.raises(ConfigurationError, match="rule 'ENTERPRISE requires IMPLEMENTATION'"):
        parse_request(request_with(lines=[{"product": "PLATFORM", "quantity": 30}]), catalog, TODAY)


@pytest.mark.parametrize(("mutate", "message"), [
    (lambda d: d["products"][0].update(kind="weekly"), "products[0].kind: 'weekly' is not one of"),
    (lambda d: d["price_books"][0]["entries"][1].update(list_price="-3"), "is not a non-negative decimal amount"),
    (lambda d: d["price_books"][0]["entries"][1].update(list_price="3.001"), "has more decimals than USD allows"),
    (lambda d: d["price_books"][0].update(currency="ZZZ"), "price_books[0].currency: cannot read 'ZZZ' as a known ISO 4217"),
    (lambda d: d["bundles"][0]["options"].append({"product": "GHOST", "type": "optional"}), "unknown product GHOST"),
    (lambda d: d["approvals"].reverse(), "levels must escalate"),
    (lambda d: d["promotions"][0].update(percent="120"), "promotions[0].percent: 120 is more than 100%"),
])
def test_bad_catalogs_are_refused_naming_the_field(catalog_data, mutate, message):
    data = copy.deepcopy(catalog_data)
    mutate(data)
    with pytest.raises(CatalogError) as err:
        parse_catalog(data)
    assert message in str(err.value)


def test_the_terms_document_is_read_unchanged_by_downstream(catalog):
    result = price(catalog, lines=REQUEST["lines"] + [{"product": "TRAINING", "quantity": 12}])
    doc = terms_document(result, signed_on=TODAY)
    terms = parse_terms(doc)
    assert sum(ln.price for ln in terms.lines) == Decimal(result.tcv)
    training = next(ln for ln in terms.lines if ln.id == "training")
    # ratable one-time service over P3M from the start; 12 seats graduated = 5,800 x 0.95 = 5,510
    assert (training.start, training.end, training.price) == (date(2027, 1, 1), date(2027, 3, 31), Decimal("5510.00"))
    assert training.billing.frequency == "once" and training.billing.on == date(2027, 1, 1)
    assert terms.renewal.auto_renewal and terms.renewal.non_renewal_notice.iso == "P60D"
