"""The whole deal: configure, quote, approve, send, accept into a contract, sign, invoice and recognize revenue.

Every amount below is worked out by hand in the comments from the shipped catalog
(clause_library/catalog.yaml) and the request in conftest.REQUEST.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select

from clm import db
from clm.clauses.approvals import library_from_settings
from clm.downstream import commercial, reports
from clm.downstream.models import Order
from clm.errors import Conflict, Forbidden
from clm.quotes import services
from clm.quotes.models import Quote, QuoteApproval, QuoteStatus, QuoteVersion
from clm.signing import envelopes
from clm.versions import store
from tests.quotes.conftest import NOW, REQUEST, TODAY, request_with
from tests.signing.conftest import LEGAL, NO_APPROVALS, complete, sign_as, tokens_in

# Prices (standard-usd): PLATFORM 1,200.00/user/year, 1,080.00 from 101 users (volume tiers), SSP 1,100.00;
# ANALYTICS 300.00/user/year (SSP 300.00); IMPLEMENTATION 15,000.00 one-time (SSP 18,000.00).
# PLATFORM  list 120 x 1,080.00 x 24/12 = 259,200.00; net x 0.70 x 0.95 = 172,368.00; per year 86,184.00
# ANALYTICS list 120 x 300.00 x 2 = 72,000.00; net x 0.90 (LAUNCH10) x 0.95 = 61,560.00; per year 30,780.00
# IMPLEMENTATION list 15,000.00; net x 0.95 = 14,250.00
# List 346,200.00, net (TCV) 248,178.00, discounts 98,022.00 = 28.31 %; ACV 86,184 + 30,780 = 116,964.00.
# Discretionary discount of PLATFORM: 1 - 0.70 x 0.95 = 33.5 % > 20 %: a sales manager approves; <= 40 %: not finance.


def _create(factory, data=REQUEST, by="legal@example.test"):
    with db.transaction_for(factory) as s:
        quote = services.create_quote(s, data, by=by, today=TODAY)
        return quote.id


def test_configure_price_approve_accept_sign_bill_and_recognize(app, factory, loaded):
    quote_id = _create(factory)
    with factory() as s:
        quote = s.get(Quote, quote_id)
        v = quote.current
        p = v.priced
        assert (quote.number, quote.status, v.number) == ("Q-0001", QuoteStatus.PENDING_APPROVAL, 1)
        assert [(ln["sku"], ln["unit_price"], ln["list_total"], ln["net_total"]) for ln in p["lines"]] == [
            ("PLATFORM", "1080.00", "259200.00", "172368.00"),
            ("ANALYTICS", "300.00", "72000.00", "61560.00"),
            ("IMPLEMENTATION", "15000.00", "15000.00", "14250.00")]
        assert (p["list_total"], p["discount_total"], p["discount_percent"]) == ("346200.00", "98022.00", "28.31")
        assert (p["tcv"], p["acv"], p["max_discretionary"]) == ("248178.00", "116964.00", "33.5")
        assert (v.tcv_minor, v.acv_minor, v.approvals_required) == (24817800, 11696400, ["sales_manager"])
        assert v.expires_on == dt.date(2027, 1, 9)  # priced 2026-12-10 + 30 days valid

    # Not sendable before approval; the rep who priced it cannot approve it; finance can.
    with pytest.raises(Conflict, match="needs approval first: Sales manager"), db.transaction_for(factory) as s:
        services.send(s, quote_id, by="legal@example.test", now=NOW)
    with pytest.raises(Forbidden, match="cannot approve it too"), db.transaction_for(factory) as s:
        services.approve(s, quote_id, by="legal@example.test", can=lambda _p: True, now=NOW)
    with db.transaction_for(factory) as s:
        approval = services.approve(s, quote_id, by="finance@example.test", can=lambda _p: True, now=NOW,
                                    comment="strategic logo")
        assert (approval.level, approval.decided_by) == ("sales_manager", "finance@example.test")
        assert s.get(Quote, quote_id).status is QuoteStatus.APPROVED
    with db.transaction_for(factory) as s:
        assert services.send(s, quote_id, by="legal@example.test", now=NOW).status is QuoteStatus.SENT

    # Accept: the Order Form + MSA contract with the quote's lines as commercial terms.
    with db.transaction_for(factory) as s:
        version = services.accept(s, quote_id, by="legal@example.test", now=NOW,
                                  library=library_from_settings(app.config), limits=store.limits_from_settings(app.config))
        contract_id = version.contract_id
    with factory() as s:
        contract = store.get_contract(s, contract_id)
        assert contract.counterparty == "Initech Corporation" and contract.title.startswith("Order Form Q-0001 v1")
        text = contract.latest.text
        assert "Total fees for the Subscription Term: USD 248,178.00" in text
        assert "Annual recurring fees: USD 116,964.00" in text
        assert "twenty-four (24) months" in text and "Limitation of Liability" in text
        terms = commercial.latest_document(s, contract_id).data
        assert [(ln["id"], ln["price"], ln["ssp"], ln["recognition"]) for ln in terms["lines"]] == [
            ("platform", "172368.00", "264000.00", "ratable"),      # SSP 1,100 x 120 x 2
            ("analytics", "61560.00", "72000.00", "ratable"),       # SSP 300 x 120 x 2
            ("implementation", "14250.00", "18000.00", "point_in_time")]
        assert (terms["lines"][0]["start"], terms["lines"][0]["end"]) == ("2027-01-01", "2028-12-31")
        assert terms["lines"][2]["satisfied_on"] == "2027-02-01"  # delivered one month (P1M) after the start
        assert s.get(Quote, quote_id).status is QuoteStatus.ACCEPTED

    # Sign through the real envelope flow; the completing commit runs the outbox.
    with db.transaction_for(factory) as s:
        envelope = envelopes.create(s, contract_id, subject="Please sign", message="", client=LEGAL, now=db.utcnow(),
                                    approvals=NO_APPROVALS,
                                    recipients=[envelopes.RecipientInput("Pat Provider", "pat@example.test", routing_order=1),
                                                envelopes.RecipientInput("Ines Initech", "ines@example.test", routing_order=2)])
        tokens = tokens_in(envelopes.send(s, envelope.id, client=LEGAL, now=db.utcnow(),
                                          link_base="https://clm.example", approvals=NO_APPROVALS))
        envelope_id = envelope.id
    outcome = sign_as(factory, tokens["pat@example.test"], "Pat Provider")
    assert sign_as(factory, tokens_in(outcome.mails)["ines@example.test"], "Ines Initech").ready_to_complete
    complete(factory, app, envelope_id)

    with factory() as s:
        assert s.scalar(select(func.count(Order.id))) == 1
        order = reports.order_json(s, contract_id)
        assert (order["currency"], order["total"]) == ("USD", "248178.00")
        billing = reports.billing_json(s, contract_id)
        # Annual in advance over 2027-01-01..2028-12-31; implementation once on the start date.
        # 2027-01-01: 86,184.00 + 30,780.00 + 14,250.00 = 131,214.00, due 30 days later
        # 2028-01-01: 86,184.00 + 30,780.00 = 116,964.00
        assert [(i["number"], i["date"], i["due"], i["total"]) for i in billing["invoices"]] == [
            (f"INV-{contract_id}-0001", "2027-01-01", "2027-02-01", "131214.00"),  # 31 Jan 2027 is a Sunday
            (f"INV-{contract_id}-0002", "2028-01-01", "2028-01-31", "116964.00")]
        assert billing["total"] == "248178.00"
        revenue = reports.revenue_json(s, contract_id, dt.date(2027, 2, 28))
        # Allocation by relative SSP (264,000 / 72,000 / 18,000 of 354,000):
        # 248,178 x 44/59 = 185,081.898 -> 185,081.89 (+1 cent, largest remainder) = 185,081.90
        # 248,178 x 12/59 = 50,476.881 -> 50,476.88;  248,178 x 3/59 = 12,619.220 -> 12,619.22
        assert revenue["allocation"] == {"platform": "185081.90", "analytics": "50476.88",
                                         "implementation": "12619.22"}
        by_month = {(r["period"], r["line"]): r["amount"] for r in revenue["schedule"]}
        # Ratable over 731 days (2028 is a leap year), cumulative and rounded half-up:
        # platform  Jan 2027: 185,081.90 x 31/731 = 7,848.89; Feb: 185,081.90 x 59/731 = 14,938.21 - 7,848.89 = 7,089.32
        # analytics Jan 2027: 50,476.88 x 31/731 = 2,140.61;  Feb: 4,074.06 - 2,140.61 = 1,933.45
        assert by_month[("2027-01", "platform")] == "7848.89"
        assert by_month[("2027-02", "platform")] == "7089.32"
        assert by_month[("2027-01", "analytics")] == "2140.61"
        assert by_month[("2027-02", "analytics")] == "1933.45"
        assert by_month[("2027-02", "implementation")] == "12619.22"  # recognized on delivery, 2027-02-01
        assert sum(Decimal(r["amount"]) for r in revenue["schedule"]) == Decimal("248178.00")
        assert max(r["period"] for r in revenue["schedule"]) == "2028-12"


def test_revision_is_a_new_version_and_the_redline_shows_the_change(factory, loaded):
    quote_id = _create(factory)
    changed = request_with(lines=[{"product": "PLATFORM", "quantity": 150, "discount": "10"},
                                  {"product": "IMPLEMENTATION", "quantity": 1}])
    with db.transaction_for(factory) as s:
        v2 = services.revise_quote(s, quote_id, changed, by="legal@example.test", today=TODAY)
        assert v2.number == 2 and v2.approvals_required == []  # 1 - 0.9 x 0.95 = 14.5 %
    with db.transaction_for(factory) as s:  # the same request again stores nothing
        assert services.revise_quote(s, quote_id, changed, by="legal@example.test", today=TODAY).number == 2
    with factory() as s:
        quote = s.get(Quote, quote_id)
        assert [v.number for v in quote.versions] == [1, 2] and quote.status is QuoteStatus.DRAFT
        # v1 is unchanged: 150 users x 1,080.00 x 2 x 0.9 x 0.95 = 277,020.00 only in v2
        assert quote.versions[0].priced["lines"][0]["quantity"] == 120
        _, _, redline = services.compare(quote, 1, 2)
    deleted = " ".join(t for op, t in redline.ops() if op == "delete")
    inserted = " ".join(t for op, t in redline.ops() if op == "insert")
    assert "120" in deleted and "150" in inserted and "277,020.00" in inserted
    assert "ANALYTICS" in deleted


def test_finance_level_needs_both_approvals_in_order(factory, loaded):
    # 1 - 0.55 x 0.95 = 47.75 % > 40 %: sales manager, then finance; legal cannot clear finance.
    data = request_with(lines=[{"product": "PLATFORM", "quantity": 120, "discount": "45"},
                               {"product": "IMPLEMENTATION", "quantity": 1}])
    quote_id = _create(factory, data)
    legal = {"quotes.approve"}.__contains__
    with db.transaction_for(factory) as s:
        assert services.approve(s, quote_id, by="admin@example.test", can=legal, now=NOW).level == "sales_manager"
    with pytest.raises(Forbidden, match="finance level"), db.transaction_for(factory) as s:
        services.approve(s, quote_id, by="other@example.test", can=legal, now=NOW)
    with db.transaction_for(factory) as s:
        assert services.approve(s, quote_id, by="finance@example.test", can=lambda _p: True, now=NOW).level == "finance"
    with factory() as s:
        v = s.get(Quote, quote_id).current
        assert v.approvals_required == ["sales_manager", "finance"]
        assert [(a.level, a.decided_by) for a in v.approvals] == [("sales_manager", "admin@example.test"),
                                                                  ("finance", "finance@example.test")]


def test_an_expired_quote_cannot_be_accepted(app, factory, loaded):
    quote_id = _create(factory, request_with(lines=[{"product": "PLATFORM", "quantity": 30},
                                                    {"product": "IMPLEMENTATION", "quantity": 1}]))
    with db.transaction_for(factory) as s:
        services.send(s, quote_id, by="legal@example.test", now=NOW)
    later = NOW + dt.timedelta(days=31)  # valid until 2027-01-09
    with pytest.raises(Conflict, match="expired on 2027-01-09"), db.transaction_for(factory) as s:
        services.accept(s, quote_id, by="legal@example.test", now=later, library=library_from_settings(app.config),
                        limits=store.limits_from_settings(app.config))
    with factory() as s:
        assert s.get(Quote, quote_id).contract_id is None


def test_a_redline_that_changes_fees_or_term_is_flagged_against_the_quote(app, factory, loaded, client, auth):
    from clm.clauses.services import extract_version

    quote_id = _create(factory, request_with(discount="0", promotions=[], term_months=12,
                                             lines=[{"product": "PLATFORM", "quantity": 50},
                                                    {"product": "IMPLEMENTATION", "quantity": 1}]))
    with db.transaction_for(factory) as s:
        services.send(s, quote_id, by="legal@example.test", now=NOW)
        version = services.accept(s, quote_id, by="legal@example.test", now=NOW,
                                  library=library_from_settings(app.config), limits=store.limits_from_settings(app.config))
        contract_id, text = version.contract_id, version.text
        extract_version(s, version.id)
    # 50 x 1,200.00 = 60,000.00 + 15,000.00 = 75,000.00. The counterparty's redline: lower fees, longer term.
    assert "USD 75,000.00" in text and "twelve (12) months" in text
    edited = text.replace("USD 75,000.00", "USD 65,000.00").replace(
        "Subscription Term: twelve (12) months", "Subscription Term: twenty-four (24) months")
    with db.transaction_for(factory) as s:
        contract = store.get_contract(s, contract_id)
        new = store.import_file(s, store.Upload(edited.encode(), "initech-redline.txt"),
                                limits=store.limits_from_settings(app.config), author="counsel@initech.example",
                                contract_id=contract.id)
        extract_version(s, new.id)
    with factory() as s:
        report = services.drift(s, s.get(Quote, quote_id))
    found = {(f.field, f.quote, f.contract) for f in report.findings}
    assert ("total fees", "USD 75,000.00", "USD 65,000.00") in found
    assert ("term", "12 months", "24 months") in found
    assert report.version_number == 2
    from clm.cli import main

    result = CliRunner().invoke(main, ["quote", "drift", "Q-0001"], env={
        "CLM_DATABASE_URL": app.config["DATABASE_URL"], "CLM_INSTANCE_PATH": app.config["INSTANCE_PATH"]})
    assert result.exit_code == 1 and "term: quote 12 months, contract 24 months" in result.output
    auth.login("viewer")
    page = client.get(f"/quotes/{quote_id}").get_data(as_text=True)
    assert "Version 2 of the contract changes priced terms of the quote" in page
    assert "total fees: quote USD 75,000.00, contract USD 65,000.00" in page
    contract_page = client.get(f"/contracts/{contract_id}").get_data(as_text=True)
    assert "Accepted from" in contract_page and f'href="/quotes/{quote_id}"' in contract_page
    assert "Version 2 changes priced terms of the quote" in contract_page
    assert "term: quote 12 months, contract 24 months" in contract_page
    with db.transaction_for(factory) as s:  # the customer's counsel restores the quoted figures
        store.import_file(s, store.Upload(text.encode(), "initech-v3.txt"), limits=store.limits_from_settings(app.config),
                          author="counsel@initech.example", contract_id=contract_id)
    with factory() as s:
        report = services.drift(s, s.get(Quote, quote_id))
    assert report.version_number == 3 and report.findings == ()


@pytest.mark.parametrize(("change", "message"), [
    ({"lines": [{"product": "NOPE", "quantity": 1}]}, "lines[0].product: unknown product 'NOPE'"),
    ({"lines": [{"product": "PLATFORM", "quantity": -5}]}, "lines[0].quantity: -5 must be from 1"),
    ({"lines": [{"product": "PLATFORM", "quantity": 30, "discount": "120"}]}, "lines[0].discount: 120% is more than 100%"),
    ({"currency": "EUR", "bundle": None, "promotions": [], "lines": [{"product": "SSO", "quantity": 1}]},
     "lines[0].product: SSO has no price in price book standard-eur (EUR)"),
    ({"currency": "EUR", "price_book": "standard-usd"}, "price_book: standard-usd is priced in USD, not EUR"),
    ({"lines": [{"product": "PLATFORM", "quantity": 30}]}, "rule 'ENTERPRISE requires IMPLEMENTATION'"),
])
def test_bad_input_is_refused_by_name_and_nothing_is_stored(factory, loaded, change, message):
    from clm.errors import InvalidInput

    with pytest.raises(InvalidInput) as err, db.transaction_for(factory) as s:
        services.create_quote(s, request_with(**change), by="legal@example.test", today=TODAY)
    assert message in str(err.value)
    with factory() as s:
        assert s.scalar(select(func.count(Quote.id))) == 0
        assert s.scalar(select(func.count(QuoteVersion.id))) == 0
        assert s.scalar(select(func.count(QuoteApproval.id))) == 0


def test_quote_versions_are_insert_only(factory, loaded):
    from sqlalchemy import text
    from sqlalchemy.exc import DBAPIError

    _create(factory)
    with pytest.raises(DBAPIError, match="immutable"), db.transaction_for(factory) as s:
        s.execute(text("UPDATE quote_versions SET tcv_minor = 1"))


def test_two_people_accepting_at_once_make_one_contract(app, factory, loaded):
    import threading

    from clm.versions.models import Contract

    quote_id = _create(factory, request_with(lines=[{"product": "PLATFORM", "quantity": 30},
                                                    {"product": "IMPLEMENTATION", "quantity": 1}]))
    with db.transaction_for(factory) as s:
        services.send(s, quote_id, by="legal@example.test", now=NOW)
    plain = db.make_sessionmaker(app.extensions["clm_db"].kw["bind"])
    library, limits = library_from_settings(app.config), store.limits_from_settings(app.config)
    barrier = threading.Barrier(4)
    results: list[str] = []

    def accept() -> None:
        barrier.wait(10)
        try:
            with db.transaction_for(plain) as s:
                services.accept(s, quote_id, by="legal@example.test", now=NOW, library=library, limits=limits)
            results.append("accepted")
        except Conflict as err:
            results.append(str(err))

    threads = [threading.Thread(target=accept) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert len(results) == 4 and results.count("accepted") == 1, results
    assert all("accepted" in r for r in results)
    with factory() as s:
        assert s.scalar(select(func.count(Contract.id))) == 1


def test_a_revision_cannot_change_the_currency(factory, loaded):
    quote_id = _create(factory)
    eur = request_with(currency="EUR", bundle=None, promotions=[],
                       lines=[{"product": "PLATFORM", "quantity": 10}])
    with pytest.raises(Exception, match="currency: quote Q-0001 is in USD"), db.transaction_for(factory) as s:
        services.revise_quote(s, quote_id, eur, by="legal@example.test", today=TODAY)
    with factory() as s:
        assert [v.number for v in s.get(Quote, quote_id).versions] == [1]


def test_an_accepted_quote_is_a_contract_legal_need_not_approve(app, factory, loaded):
    from clm.clauses import approvals

    quote_id = _create(factory)
    with db.transaction_for(factory) as s:
        services.approve(s, quote_id, by="finance@example.test", can=lambda _p: True, now=NOW)
    with db.transaction_for(factory) as s:
        services.send(s, quote_id, by="legal@example.test", now=NOW)
    with db.transaction_for(factory) as s:
        version = services.accept(s, quote_id, by="legal@example.test", now=NOW,
                                  library=library_from_settings(app.config), limits=store.limits_from_settings(app.config))
        contract_id = version.contract_id
    with factory() as s:
        contract = store.get_contract(s, contract_id)
        review = approvals.review_for(s, contract, app.config)
        assert [(row.title, row.status) for row in review.pending] == []
        # The order form's own sections are the library's wording, order lines and fees filled in.
        own = {row.title: row.status for row in review.rows if row.analyzed.section is not None}
        assert own["Order Form and Master Subscription Agreement: Order Details"] == "standard"
        assert own["Order Form and Master Subscription Agreement: Order Fees"] == "standard"
        # The check signing runs before an envelope is sent lets it through.
        approvals.approval_check(app.config)(s, contract)
