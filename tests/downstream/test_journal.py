"""Journal entries: every date balances and ties out to the invoices, the revenue schedule and the balance."""

from __future__ import annotations

import csv
import io
import json
from collections import defaultdict
from datetime import date, timedelta
from decimal import Decimal as D

import pytest

from clm import db
from clm.cli import main
from clm.downstream.billing import (
    UsageRecord,
    invoice_tax,
    billed_after_cancellation,
    build_billing_schedule,
    credit_note,
)
from clm.downstream.journal import (
    ACCOUNTS,
    ChartError,
    account_balances,
    Received,
    build_journal,
    check_balanced,
    parse_chart,
)
from clm.downstream.revenue import balance, build_revenue_schedule, cancel_revenue
from clm.downstream.terms import parse_terms, terms_to_dict
from clm.errors import InvalidInput
from tests.downstream import asc606
from tests.downstream.examples import saas_doc
from tests.downstream.test_properties import SEEDS, random_terms_doc

AR, ASSET, LIABILITY, REVENUE, TAX = (ACCOUNTS[k] for k in ("receivable", "contract_asset", "contract_liability",
                                                             "revenue", "tax_payable"))

USAGE_DOC = {"currency": "USD", "signed_on": "2026-01-01", "lines": [
    {"id": "seats", "description": "Seats", "quantity": 10, "unit_price": "100.00", "recognition": "ratable",
     "start": "2026-01-01", "end": "2026-12-31", "billing": {"frequency": "monthly"},
     "seats": [{"from": "2026-03-16", "quantity": 15}, {"from": "2026-06-01", "quantity": 12}]},
    {"id": "api", "description": "API calls", "recognition": "usage", "unit_price": "0.002",
     "start": "2026-01-01", "end": "2026-12-31", "billing": {"frequency": "monthly", "timing": "arrears"}}]}
USAGE = [UsageRecord("api", date(2026, 1, 5), D(100000)), UsageRecord("api", date(2026, 1, 20), D(12345)),
         UsageRecord("api", date(2026, 7, 3), D(5000))]

DOCS = {"saas": saas_doc(), "ex5b": asc606.EXAMPLE_5B, "ex6": asc606.EXAMPLE_6, "ex7": asc606.EXAMPLE_7, "ex8": asc606.EXAMPLE_8,
        "ex34b": asc606.EXAMPLE_34B, "usage": USAGE_DOC}


def _ties_out(terms, billed, revenue, as_of=None, tax_rates=None):
    """Assert every tie-out of the journal of ``terms`` through ``as_of``; return its entries."""
    entries = build_journal(terms, billed, revenue, as_of, tax_rates=tax_rates)
    check_balanced(entries)
    cutoff = as_of or date.max
    jurisdiction = terms.bill_to.jurisdiction if terms.bill_to else None
    taxed = {inv.number: invoice_tax(inv.total, jurisdiction, tax_rates or {}, terms.currency)
             for inv in billed if inv.date <= cutoff}
    # Receivable debits (less credits) per invoice = the invoice total with its tax, the total due.
    by_invoice: dict[str, D] = defaultdict(D)
    for e in entries:
        if e.account == AR:
            by_invoice[e.memo.split(" ")[0]] += e.debit - e.credit
    assert by_invoice == {inv.number: inv.total + sum((t.amount for t in taxed[inv.number]), D(0))
                          for inv in billed if inv.date <= cutoff and inv.total}
    # Sales tax payable credits = the invoices' tax lines; tax never reaches revenue or the contract position.
    tax_credits = sum((e.credit - e.debit for e in entries if e.account == TAX), D(0))
    assert tax_credits == sum((t.amount for lines in taxed.values() for t in lines), D(0))
    # Revenue credits per (month, line) = the schedule's, the as-of month through as-of.
    credited: dict[tuple[str, str], D] = defaultdict(D)
    for e in entries:
        if e.account == REVENUE:
            credited[(e.date.strftime("%Y-%m"), e.line)] += e.credit - e.debit
    assert sum(credited.values()) == revenue.recognized(cutoff)
    for entry in revenue.entries:
        if as_of is None or entry.period < as_of.strftime("%Y-%m"):
            assert credited[(entry.period, entry.line_id)] == entry.amount
    # The liability and asset balances = the balance `clm revenue --as-of` prints.
    if as_of is not None:
        b = balance(terms, billed, revenue, as_of)
        totals = account_balances(entries)
        assert -totals.get(LIABILITY, D(0)) == b["deferred_revenue"]
        assert totals.get(ASSET, D(0)) == b["contract_asset"]
        assert totals.get(AR, D(0)) == b["billed"] + tax_credits
    return entries


@pytest.mark.parametrize("name", sorted(DOCS))
@pytest.mark.parametrize("as_of", [None, date(2026, 1, 15), date(2026, 3, 31), date(2026, 6, 30),
                                   date(2027, 7, 14), date(2031, 1, 1)])
def test_journal_balances_and_ties_out_for_every_test_document(name, as_of):
    terms = parse_terms(DOCS[name])
    if as_of is not None and as_of < terms.signed_on:
        as_of = terms.signed_on
    usage = USAGE if name == "usage" else ()
    _ties_out(terms, build_billing_schedule(terms, usage=usage), build_revenue_schedule(terms, usage), as_of)


@pytest.mark.parametrize("seed", SEEDS[:150])
def test_journal_ties_out_for_random_terms(seed):
    terms = parse_terms(random_terms_doc(seed))
    billed, revenue = build_billing_schedule(terms), build_revenue_schedule(terms)
    last = max([inv.date for inv in billed] + [seg.last_day() for seg in revenue.segments])
    for as_of in (None, terms.signed_on, last):
        _ties_out(terms, billed, revenue, as_of)


def test_journal_of_a_cancelled_contract_ends_at_zero():
    terms = parse_terms(saas_doc())
    schedule = build_billing_schedule(terms)
    cancel_on = date(2026, 9, 1)
    billed = billed_after_cancellation(schedule, cancel_on, credit_note(schedule, cancel_on))
    revenue = cancel_revenue(build_revenue_schedule(terms), cancel_on, sum((i.total for i in billed), D(0)))
    entries = _ties_out(terms, billed, revenue, date(2026, 12, 31))
    totals = account_balances(entries)
    assert totals[LIABILITY] == D("0.00") and totals.get(ASSET, D(0)) == D(0)


BILL_TO_BC = {"name": "Initech Canada Ltd", "jurisdiction": "CA-BC"}
RATES = {"CA": D(5), "CA-BC": D(7), "GB": D(20)}


@pytest.mark.parametrize("as_of", [None, date(2026, 3, 31), date(2026, 12, 31)])
def test_tax_on_invoices_goes_to_tax_payable_not_revenue(as_of):
    terms = parse_terms(saas_doc(bill_to=BILL_TO_BC))
    entries = _ties_out(terms, build_billing_schedule(terms), build_revenue_schedule(terms), as_of, RATES)
    without = build_journal(terms, build_billing_schedule(terms), build_revenue_schedule(terms), as_of)
    # Revenue and the contract position are those of the journal without tax.
    for account in (REVENUE, LIABILITY, ASSET):
        assert account_balances(entries).get(account) == account_balances(without).get(account)
    first = [(e.account, str(e.debit), str(e.credit), e.memo) for e in entries if e.date == date(2026, 1, 1)]
    # 120,000.00 billed to British Columbia: GST 5 % 6,000.00 and PST 7 % 8,400.00.
    assert (AR, "6000.00", "0.00", "INV-0001 tax CA 5%") in first
    assert (TAX, "0.00", "6000.00", "INV-0001 tax CA 5%") in first
    assert (TAX, "0.00", "8400.00", "INV-0001 tax CA-BC 7%") in first


def test_a_credit_note_reverses_its_tax_and_the_chart_maps_tax_per_jurisdiction():
    terms = parse_terms(saas_doc(bill_to=BILL_TO_BC))
    schedule = build_billing_schedule(terms)
    cancel_on = date(2026, 9, 1)
    billed = billed_after_cancellation(schedule, cancel_on, credit_note(schedule, cancel_on))
    revenue = cancel_revenue(build_revenue_schedule(terms), cancel_on, sum((i.total for i in billed), D(0)))
    _ties_out(terms, billed, revenue, date(2026, 12, 31), RATES)
    chart = parse_chart("tax_payable=2200,tax_payable:CA-BC=2210")
    entries = build_journal(terms, billed, revenue, date(2026, 12, 31), chart, RATES)
    totals = account_balances(entries)
    net = sum((i.total for i in billed), D(0))
    assert net < D(120000)  # the credit note took some back
    # Tax is rounded per invoice and per credit note; here that comes to the rate of the net, to the cent.
    cents = D("0.01")
    assert -totals["2200"] == (net * D("0.05")).quantize(cents) and -totals["2210"] == (net * D("0.07")).quantize(cents)
    assert TAX not in totals


def test_no_tax_without_a_rate_for_the_bill_to():
    terms = parse_terms(saas_doc(bill_to={"name": "Acme", "jurisdiction": "US-NY"}))
    entries = build_journal(terms, build_billing_schedule(terms), build_revenue_schedule(terms), None, None, RATES)
    assert not [e for e in entries if e.account == TAX]


def test_the_saas_journal_by_hand():
    terms = parse_terms(saas_doc())
    entries = build_journal(terms, build_billing_schedule(terms), build_revenue_schedule(terms), date(2026, 3, 31))
    rows = [(e.date.isoformat(), e.account, str(e.debit), str(e.credit), e.line) for e in entries]
    assert rows[:4] == [
        ("2026-01-01", AR, "120000.00", "0.00", "saas"), ("2026-01-01", LIABILITY, "0.00", "120000.00", "saas"),
        ("2026-01-31", LIABILITY, "9936.99", "0.00", "saas"), ("2026-01-31", REVENUE, "0.00", "9936.99", "saas")]
    # 15,000 billed on go-live and 18,000 recognized (the SSP allocation) on the same month end.
    assert ("2026-03-15", AR, "15000.00", "0.00", "impl") in rows
    assert ("2026-03-31", REVENUE, "0.00", "18000.00", "impl") in rows


def test_example_39_contract_asset_then_receivable():
    # ASC 606 Example 39 (55-287 to 55-290): A and B for 1,000, A first; payment is conditional on
    # B too, so A's 400 is a contract asset until B is delivered and the 1,000 billed.
    doc = {"currency": "USD", "signed_on": "2026-01-01", "lines": [
        {"id": "A", "price": "1000.00", "ssp": "400.00", "recognition": "point_in_time", "satisfied_on": "2026-01-31",
         "billing": {"frequency": "once", "on": "2026-03-31"}},
        {"id": "B", "price": "0.00", "ssp": "600.00", "recognition": "point_in_time", "satisfied_on": "2026-03-31",
         "billing": {"frequency": "once", "on": "2026-03-31"}}]}
    terms = parse_terms(doc)
    entries = _ties_out(terms, build_billing_schedule(terms), build_revenue_schedule(terms), date(2026, 3, 31))
    net: dict[tuple[str, str], D] = defaultdict(D)
    for e in entries:
        net[(e.date.isoformat(), e.account)] += e.debit - e.credit
    assert {k: v for k, v in net.items() if v} == {
        ("2026-01-31", ASSET): D("400.00"), ("2026-01-31", REVENUE): D("-400.00"),
        ("2026-03-31", AR): D("1000.00"), ("2026-03-31", ASSET): D("-400.00"), ("2026-03-31", REVENUE): D("-600.00")}


def test_example_38_case_b_receivable_when_due():
    # Example 38 Case B (55-284 to 55-286): 1,000 billed (due) on 31 January for a product
    # delivered on 31 March: receivable / contract liability, then contract liability / revenue.
    doc = {"currency": "USD", "signed_on": "2026-01-01", "lines": [
        {"id": "P", "price": "1000.00", "recognition": "point_in_time", "satisfied_on": "2026-03-31",
         "billing": {"frequency": "once", "on": "2026-01-31"}}]}
    terms = parse_terms(doc)
    entries = _ties_out(terms, build_billing_schedule(terms), build_revenue_schedule(terms), date(2026, 3, 31))
    assert [(e.date.isoformat(), e.account, str(e.debit - e.credit)) for e in entries] == [
        ("2026-01-31", AR, "1000.00"), ("2026-01-31", LIABILITY, "-1000.00"),
        ("2026-03-31", LIABILITY, "1000.00"), ("2026-03-31", REVENUE, "-1000.00")]


EXAMPLE_38 = {"currency": "USD", "signed_on": "2026-01-01", "lines": [
    {"id": "P", "price": "1000.00", "recognition": "point_in_time", "satisfied_on": "2026-03-31",
     "billing": {"frequency": "once", "on": "2026-01-31"}}]}


def _net(entries) -> list[tuple[str, str, str]]:
    net: dict[tuple[str, str], D] = defaultdict(D)
    for e in entries:
        net[(e.date.isoformat(), e.account)] += e.debit - e.credit
    return [(day, account, str(v)) for (day, account), v in net.items() if v]


@pytest.mark.parametrize("cancellable", [True, False])
def test_example_38_cash_on_1_march(cancellable):
    # Example 38 (55-284 to 55-286): 1,000 due on 31 January, paid on 1 March, the product
    # delivered on 31 March. Case A, cancellable: no receivable until the cash comes in, which is
    # a contract liability. Case B, not cancellable: the receivable on the due date.
    terms = parse_terms({**EXAMPLE_38, "cancellable": cancellable})
    billed, revenue = build_billing_schedule(terms), build_revenue_schedule(terms)
    entries = build_journal(terms, billed, revenue, date(2026, 3, 31),
                            payments=[Received(date(2026, 3, 1), billed[0].number, D("1000.00"))])
    check_balanced(entries)
    case_a = [("2026-03-01", ACCOUNTS["cash"], "1000.00"), ("2026-03-01", LIABILITY, "-1000.00"),
              ("2026-03-31", LIABILITY, "1000.00"), ("2026-03-31", REVENUE, "-1000.00")]
    case_b = [("2026-01-31", AR, "1000.00"), ("2026-01-31", LIABILITY, "-1000.00"),
              ("2026-03-01", ACCOUNTS["cash"], "1000.00"), ("2026-03-01", AR, "-1000.00"),
              ("2026-03-31", LIABILITY, "1000.00"), ("2026-03-31", REVENUE, "-1000.00")]
    assert _net(entries) == (case_a if cancellable else case_b)


def test_a_cancellable_contract_has_a_receivable_for_what_is_earned_and_unpaid():
    # Not paid by delivery: the right to the 1,000 is unconditional once the product is delivered.
    terms = parse_terms({**EXAMPLE_38, "cancellable": True})
    entries = build_journal(terms, build_billing_schedule(terms), build_revenue_schedule(terms), date(2026, 3, 31))
    assert _net(entries) == [("2026-03-31", AR, "1000.00"), ("2026-03-31", REVENUE, "-1000.00")]
    assert "cancellable" not in terms_to_dict(parse_terms(EXAMPLE_38))  # older documents hash as they did


@pytest.mark.parametrize("seed", SEEDS[:100])
def test_a_cancellable_contract_ends_where_a_binding_one_does(seed):
    # Random terms, taxed, each invoice paid in two parts (half on its due date, the rest 30 days
    # later): every date balances, the position is a liability or an asset, never both and never
    # negative, and once everything is billed, delivered and paid every account ends as it does
    # for the same contract without the right to cancel.
    doc = random_terms_doc(seed)
    doc["bill_to"] = BILL_TO_BC
    cancellable, binding = parse_terms({**doc, "cancellable": True}), parse_terms(doc)
    billed, revenue = build_billing_schedule(binding), build_revenue_schedule(binding)
    payments = []
    for inv in billed:
        due = inv.total + sum((t.amount for t in invoice_tax(inv.total, "CA-BC", RATES, inv.currency)), D(0))
        if due > 0:
            half = (due / 2).quantize(D(1) / 10 ** -due.as_tuple().exponent)
            payments += [Received(inv.due, inv.number, half),
                         Received(inv.due + timedelta(days=30), inv.number, due - half)]
    last = max([p.date for p in payments] + [inv.date for inv in billed] + [seg.last_day() for seg in revenue.segments])
    days = {binding.signed_on, last, max(binding.signed_on, last - timedelta(days=40))} | {inv.due for inv in billed[:1]}
    for as_of in sorted(days):
        entries = build_journal(cancellable, billed, revenue, as_of, tax_rates=RATES, payments=payments)
        check_balanced(entries)
        totals = account_balances(entries)
        assert totals.get(ASSET, D(0)) >= 0 and totals.get(LIABILITY, D(0)) <= 0 and totals.get(AR, D(0)) >= 0
        assert not (totals.get(ASSET, D(0)) and totals.get(LIABILITY, D(0)))
    ends = {k: v for k, v in account_balances(entries).items() if v}
    assert ends == {k: v for k, v in account_balances(build_journal(binding, billed, revenue, last, tax_rates=RATES,
                                                                   payments=payments)).items() if v}
    assert AR not in ends and ASSET not in ends and LIABILITY not in ends


def test_chart_of_accounts():
    chart = parse_chart("receivable=1200, contract_liability=2300,revenue=4000,revenue:impl=4010")
    terms = parse_terms(saas_doc())
    entries = build_journal(terms, build_billing_schedule(terms), build_revenue_schedule(terms), None, chart)
    assert {e.account for e in entries} == {"1200", "2300", "4000", "4010"}
    assert {e.line for e in entries if e.account == "4010"} == {"impl"}
    for bad in ("receivable", "bank=1000", "revenue:=1"):
        with pytest.raises(ChartError, match="CLM_CHART_OF_ACCOUNTS"):
            parse_chart(bad)


def test_journal_as_of_before_signature_is_refused():
    terms = parse_terms(saas_doc())
    with pytest.raises(InvalidInput, match=r"as_of: 2025-12-14 is before the contract was signed \(2025-12-15\)"):
        build_journal(terms, build_billing_schedule(terms), build_revenue_schedule(terms), date(2025, 12, 14))


def test_clm_journal_command(tmp_path, monkeypatch):
    from click.testing import CliRunner

    path = tmp_path / "terms.json"
    path.write_text(json.dumps(saas_doc()))
    monkeypatch.setenv("CLM_CHART_OF_ACCOUNTS", "receivable=1200")
    result = CliRunner().invoke(main, ["journal", str(path), "--as-of", "2026-06-30"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["entries"][0] == {"date": "2026-01-01", "account": "1200", "debit": "120000.00", "credit": "0.00",
                                  "line": "saas", "memo": "INV-0001 CLM Enterprise subscription"}
    liability = sum(D(e["credit"]) - D(e["debit"]) for e in data["entries"] if e["account"] == LIABILITY)
    revenue = CliRunner().invoke(main, ["revenue", str(path), "--as-of", "2026-06-30"])
    assert str(liability) == json.loads(revenue.output)["balance"]["deferred_revenue"] == "58980.82"
    rows = list(csv.reader(io.StringIO(CliRunner().invoke(main, ["journal", str(path), "--format", "csv"]).output)))
    assert rows[0] == ["date", "account", "debit", "credit", "currency", "line", "memo"]
    bad = CliRunner().invoke(main, ["journal", str(path), "--as-of", "2025-01-01"])
    assert bad.exit_code == 2 and "as_of: 2025-01-01 is before the contract was signed" in bad.output
    assert "Traceback" not in bad.output


def _bearer(token):
    return {"Authorization": f"Bearer {token}"}


def test_the_journal_api_and_command_post_tax_with_the_configured_rates(client, make_token, make_signed, app,
                                                                        tmp_path, monkeypatch):
    """CLM_TAX_RATES reaches the journal the API, the ERP export and `clm journal` give, as it reaches invoices."""
    from click.testing import CliRunner

    app.config["TAX_RATES"] = "CA=5,CA-BC=7"
    app.config["CHART_OF_ACCOUNTS"] = "tax_payable:CA-BC=2210"
    signed = make_signed(saas_doc(bill_to=BILL_TO_BC), via=db.sessionmaker_for(app))
    finance = _bearer(make_token("finance"))
    journal = client.get(f"/api/v1/contracts/{signed.contract_id}/journal?as_of=2026-01-31", headers=finance).get_json()
    tax = [(e["account"], e["credit"]) for e in journal["entries"] if "tax" in e["memo"] and e["credit"] != "0.00"]
    assert tax == [(TAX, "6000.00"), ("2210", "8400.00")]
    export = client.get("/api/v1/journal?from=2026-01-01&to=2026-01-31&format=json", headers=finance).get_json()
    assert sum(D(e["credit"]) for e in export["entries"] if e["account"] == "2210") == D("8400.00")

    path = tmp_path / "terms.json"
    path.write_text(json.dumps(saas_doc(bill_to=BILL_TO_BC)))
    monkeypatch.setenv("CLM_TAX_RATES", "CA=5")
    result = CliRunner().invoke(main, ["journal", str(path), "--as-of", "2026-01-31"])
    assert result.exit_code == 0, result.output
    credits = [e for e in json.loads(result.output)["entries"] if e["account"] == TAX]
    assert [(c["credit"], c["memo"]) for c in credits] == [("6000.00", "INV-0001 tax CA 5%")]


def test_usage_and_journal_over_the_api(client, make_token, make_signed, app):
    signed = make_signed(USAGE_DOC, via=db.sessionmaker_for(app))
    finance = _bearer(make_token("finance"))
    base = f"/api/v1/contracts/{signed.contract_id}"
    posted = client.post(f"{base}/usage", json={"line": "api", "date": "2026-01-05", "quantity": "100000",
                                                "reference": "evt-1"}, headers=finance)
    assert posted.status_code == 201, posted.get_json()
    again = client.post(f"{base}/usage", json={"line": "api", "date": "2026-01-05", "quantity": "100000",
                                               "reference": "evt-1"}, headers=finance)
    assert again.status_code == 200 and again.get_json()["id"] == posted.get_json()["id"]
    assert client.post(f"{base}/usage", json={"line": "api", "date": "2026-01-20", "quantity": "12345"},
                       headers=finance).status_code == 201
    for body, error in (
            ({"line": "seats", "date": "2026-01-05", "quantity": "1"},
             "line: 'seats' is not usage-based (its recognition is ratable)"),
            ({"line": "api", "date": "2027-01-05", "quantity": "1"},
             "date: 2027-01-05 is outside the line's service period 2026-01-01 to 2026-12-31"),
            ({"line": "api", "date": "2026-01-05", "quantity": "-1"}, "quantity: -1 must be from 0 to less than 10^12"),
            ({"line": "nope", "date": "2026-01-05", "quantity": "1"}, "line: 'nope' is not a line of the contract")):
        response = client.post(f"{base}/usage", json=body, headers=finance)
        assert response.status_code == 422 and response.get_json()["errors"] == [error]
    usage = client.get(f"{base}/usage", headers=finance).get_json()["usage"]
    assert [u["quantity"] for u in usage] == ["100000", "12345"]
    assert client.post(f"{base}/usage", json={"line": "api", "date": "2026-01-05", "quantity": "1"},
                       headers=_bearer(make_token("viewer"))).status_code == 403

    journal = client.get(f"{base}/journal?as_of=2026-02-01", headers=finance).get_json()
    api_lines = [(e["date"], e["account"], e["debit"]) for e in journal["entries"] if e["line"] == "api"]
    # January's 112,345 calls x 0.002 = 224.69: recognized as used, billed in arrears on 1 February.
    assert ("2026-01-31", ACCOUNTS["contract_asset"], "224.69") in api_lines
    assert ("2026-02-01", AR, "224.69") in api_lines
    revenue = client.get(f"{base}/revenue?as_of=2026-02-01", headers=finance).get_json()
    totals: dict[str, D] = defaultdict(D)
    for e in journal["entries"]:
        totals[e["account"]] += D(e["debit"]) - D(e["credit"])
    assert str(-totals[LIABILITY]) == revenue["balance"]["deferred_revenue"]
    assert client.get(f"{base}/journal?as_of=2025-12-31", headers=finance).status_code == 422
    csv_rows = list(csv.reader(io.StringIO(client.get(f"{base}/journal?format=csv", headers=finance)
                                           .get_data(as_text=True))))
    assert csv_rows[0] == ["date", "account", "debit", "credit", "currency", "line", "memo"]

    export = client.get("/api/v1/journal?from=2026-01-01&to=2026-01-31", headers=finance)
    rows = list(csv.reader(io.StringIO(export.get_data(as_text=True))))
    assert rows[0][:3] == ["contract_id", "title", "date"]
    assert all("2026-01-01" <= r[2] <= "2026-01-31" for r in rows[1:]) and len(rows) > 1
    debit = sum(D(r[4]) for r in rows[1:])
    assert debit == sum(D(r[5]) for r in rows[1:])
    assert client.get("/api/v1/journal?from=2026-02-01", headers=finance).status_code == 422
    assert client.get("/api/v1/journal?from=2026-02-01&to=2026-01-01", headers=finance).status_code == 422

    waterfall = client.get("/api/v1/revenue/waterfall?today=2026-01-01&months=3", headers=finance)
    wrows = list(csv.reader(io.StringIO(waterfall.get_data(as_text=True))))
    assert wrows[0] == ["contract_id", "title", "currency", "2026-01", "2026-02", "2026-03", "total",
                        "total_formatted"]
    # January: 10 seats for 31 days of 365 (12,000 x 31/365 = 1,019.18) and 224.69 of API calls.
    assert wrows[1][3] == "1243.87"
    # The total for machines and, beside it, as finance reads it.
    assert wrows[1][-1] == "USD " + f"{float(wrows[1][-2]):,.2f}" and "," not in wrows[1][-2]
    assert client.get("/api/v1/revenue/waterfall?months=0", headers=finance).status_code == 422
