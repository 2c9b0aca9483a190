"""Invoices a customer can pay: seller and bill-to, tax per jurisdiction, sequential numbers per seller, a PDF that fits."""

from __future__ import annotations

from datetime import date
from decimal import Decimal as D

import pytest

from clm import db
from clm.downstream.billing import invoice_tax, parse_tax_rates
from clm.downstream.terms import TermsError, parse_terms, terms_hash, terms_to_dict
from clm.errors import InvalidInput
from tests.downstream.examples import saas_doc

SELLER = {"name": "Clause & Co. Ltd", "address": ["1 Long Acre", "London WC2E 9LH", "United Kingdom"],
          "code": "CLAUSE-UK", "tax_id": "GB123456789"}
BILL_TO = {"name": "Acme Holdings Limited", "address": "Accounts payable\n99 King Street\nToronto ON M5H 1J9",
           "jurisdiction": "CA-ON", "tax_id": "123456789RT0001"}


def test_parties_parse_and_keep_the_hash_of_documents_without_them():
    terms = parse_terms(saas_doc(seller=SELLER, bill_to=BILL_TO))
    assert terms.seller.code == "CLAUSE-UK" and terms.bill_to.address[-1] == "Toronto ON M5H 1J9"
    assert parse_terms(terms_to_dict(terms)) == terms
    plain = parse_terms(saas_doc())
    assert "seller" not in terms_to_dict(plain) and terms_hash(plain) != terms_hash(terms)


@pytest.mark.parametrize("changes, error", [
    ({"seller": {"address": []}}, "seller.name: missing"),
    ({"seller": {"name": "X", "code": "lower case"}}, "seller.code: 'lower case' must be like ACME-US"),
    ({"bill_to": {"name": "X", "jurisdiction": "Ontario"}}, "bill_to.jurisdiction: 'Ontario' must be like US-NY or GB"),
    ({"bill_to": {"name": "X", "vat": "1"}}, "bill_to.vat"),
])
def test_bad_parties_are_refused(changes, error):
    with pytest.raises(TermsError) as err:
        parse_terms(saas_doc(**changes))
    assert any(e.startswith(error) for e in err.value.errors), err.value.errors


def test_tax_lines_per_jurisdiction():
    rates = parse_tax_rates("GB=20, CA=5, CA-ON=8, US-NY=8.875")
    assert invoice_tax(D("120000.00"), "CA-ON", rates, "USD") == [
        type(invoice_tax(D(1), "GB", rates, "USD")[0])("CA", D(5), D("6000.00")),
        type(invoice_tax(D(1), "GB", rates, "USD")[0])("CA-ON", D(8), D("9600.00"))]
    # 8.875 % of 15,000.01 = 1,331.2508875 -> 1,331.25.
    assert [t.amount for t in invoice_tax(D("15000.01"), "US-NY", rates, "USD")] == [D("1331.25")]
    assert invoice_tax(D(100), "US-CA", rates, "USD") == [] == invoice_tax(D(100), None, rates, "USD")
    for bad in ("GB", "gb=20", "GB=120", "GB=x"):
        with pytest.raises(InvalidInput, match="CLM_TAX_RATES"):
            parse_tax_rates(bad)


def _bearer(token):
    return {"Authorization": f"Bearer {token}"}


def test_sequential_numbers_per_seller_tax_and_pdf(client, make_token, make_signed, app, auth):
    from clm.downstream.invoicing import issue_invoices

    app.config["TAX_RATES"] = "CA=5,CA-ON=8"
    first = make_signed(saas_doc(seller=SELLER, bill_to=BILL_TO), via=db.sessionmaker_for(app))
    second = make_signed(saas_doc(seller=SELLER, signed_on="2025-12-20"), title="Globex", via=db.sessionmaker_for(app))
    other = make_signed(saas_doc(), title="Initech", via=db.sessionmaker_for(app))
    factory = db.make_sessionmaker(app.extensions["clm_db"].kw["bind"])
    with db.transaction_for(factory) as s:
        issued = issue_invoices(s, date(2026, 1, 1), now=db.utcnow())
    # 1 January: each contract's subscription invoice; CLAUSE-UK numbers its two in order, the
    # contract without a seller goes under the default code.
    assert sorted(i.number for i in issued) == ["CLAUSE-UK-000001", "CLAUSE-UK-000002", "INV-000001"]
    with db.transaction_for(factory) as s:
        assert issue_invoices(s, date(2026, 1, 1), now=db.utcnow()) == []  # nothing twice
        later = issue_invoices(s, date(2026, 12, 31), now=db.utcnow())
    assert sorted(i.number for i in later) == ["CLAUSE-UK-000003", "CLAUSE-UK-000004", "INV-000002"]

    finance = _bearer(make_token("finance"))
    invoices = client.get(f"/api/v1/contracts/{first.contract_id}/billing", headers=finance).get_json()["invoices"]
    inv = invoices[0]
    assert inv["seller_number"] == "CLAUSE-UK-000001"
    assert inv["seller"]["name"] == "Clause & Co. Ltd" and inv["bill_to"]["jurisdiction"] == "CA-ON"
    # 120,000.00 + GST 5 % 6,000.00 + Ontario 8 % 9,600.00 = 135,600.00.
    assert inv["tax"] == [{"jurisdiction": "CA", "rate": "5", "amount": "6000.00"},
                          {"jurisdiction": "CA-ON", "rate": "8", "amount": "9600.00"}]
    assert inv["total_due"] == "135600.00"
    second_invoices = client.get(f"/api/v1/contracts/{second.contract_id}/billing", headers=finance).get_json()
    assert second_invoices["invoices"][0]["tax"] == [] and second_invoices["invoices"][0]["bill_to"] is None
    assert other.contract_id != first.contract_id

    auth.login("finance")
    response = client.get(f"/finance/invoices/{inv['number']}.pdf")
    assert response.status_code == 200 and response.data.startswith(b"%PDF")


def test_the_invoice_fits_the_page(app):
    """Lay the invoice out with WeasyPrint and check no box runs past the page's right edge."""
    import weasyprint
    from flask import render_template

    long = "Implementation, data migration and training for " + "the-whole-group-of-companies-" * 6
    invoice = {"number": "INV-12-0001", "date": "2026-01-01", "due": "2026-02-02", "currency": "USD",
               "total": "135000.00", "status": "scheduled", "terms_sha256": "ab" * 32,
               "lines": [{"line": f"l{i}", "description": long, "period_start": "2026-01-01",
                          "period_end": "2026-12-31", "amount": "1234567890.12"} for i in range(30)]}
    pay = {"seller_number": "CLAUSE-UK-000001", "seller": {**SELLER, "jurisdiction": None},
           "bill_to": {**BILL_TO, "address": BILL_TO["address"].splitlines(), "code": None},
           "subtotal": "135000.00", "tax": [{"jurisdiction": "CA", "rate": "5", "amount": "6750.00"}],
           "total_due": "141750.00"}

    class Contract:
        title = "Master subscription agreement " + "x" * 120
        counterparty = "Acme"

    with app.test_request_context():
        html = render_template("downstream/invoice_pdf.html", invoice=invoice, contract=Contract, pay=pay)
    document = weasyprint.HTML(string=html).render()
    assert len(document.pages) >= 2  # 30 long lines flow onto a second page rather than off the first

    def boxes(box):
        yield box
        for child in getattr(box, "children", []):
            yield from boxes(child)

    for page in document.pages:
        width = page.width
        for box in boxes(page._page_box):
            if hasattr(box, "position_x") and hasattr(box, "margin_width"):
                assert box.position_x + box.margin_width() <= width + 0.5, (type(box).__name__, box.position_x)


def test_clm_downstream_issue(runner, make_signed, plain, monkeypatch):
    from clm.cli import main

    make_signed(saas_doc(seller=SELLER))
    assert runner.invoke(main, ["downstream", "process"]).exit_code == 0
    monkeypatch.setenv("CLM_INVOICE_SELLER_CODE", "ACME")
    result = runner.invoke(main, ["downstream", "issue", "--today", "2026-03-31"])
    assert result.exit_code == 0, result.output
    # Both invoices (1 January and 15 March) get CLAUSE-UK numbers, in date order.
    assert [line.split("\t")[0] for line in result.stdout.splitlines()] == ["CLAUSE-UK-000001", "CLAUSE-UK-000002"]
    again = runner.invoke(main, ["downstream", "issue", "--today", "2026-03-31"])
    assert again.stdout == "" and "Issued 0 invoice(s)." in again.output


def test_usage_goes_on_the_invoice_of_its_period_until_it_is_issued(client, make_token, make_signed, app, auth):
    """What the customer is invoiced for a usage line is what the journal and revenue count."""
    from sqlalchemy import func, select

    from clm.downstream.invoicing import issue_invoices
    from clm.downstream.models import InvoiceNumber, UsageRecord
    from tests.downstream.test_journal import USAGE_DOC

    app.config["TAX_RATES"] = "GB=20"
    signed = make_signed({**USAGE_DOC, "bill_to": {"name": "Initech UK Ltd", "jurisdiction": "GB"}},
                         via=db.sessionmaker_for(app))
    finance = _bearer(make_token("finance"))
    base = f"/api/v1/contracts/{signed.contract_id}"

    def invoice_on(day):
        invoices = client.get(f"{base}/billing", headers=finance).get_json()["invoices"]
        return next(inv for inv in invoices if inv["date"] == day)

    # December's usage is billed on 1 January 2027, a date nothing else bills: reserved, empty.
    reserved = invoice_on("2027-01-01")
    assert reserved["lines"] == [] and reserved["total"] == "0.00"
    assert invoice_on("2026-02-01")["total"] == "1000.00"
    for day, quantity in (("2026-01-05", "100000"), ("2026-01-20", "12345")):
        posted = client.post(f"{base}/usage", json={"line": "api", "date": day, "quantity": quantity}, headers=finance)
        assert posted.status_code == 201, posted.get_json()
    february = invoice_on("2026-02-01")
    # 112,345 calls x 0.002 = 224.69 on January's invoice of 1 February, with the seats; GB VAT 20 %.
    assert [(ln["line"], ln["amount"]) for ln in february["lines"]] == [("seats", "1000.00"), ("api", "224.69")]
    assert february["total"] == "1224.69" and february["total_due"] == "1469.63"
    # The journal's receivable for that invoice is the same total due.
    journal = client.get(f"{base}/journal?as_of=2026-02-01", headers=finance).get_json()["entries"]
    receivable = sum(D(e["debit"]) - D(e["credit"]) for e in journal
                     if e["account"] == "Accounts receivable" and e["memo"].startswith(february["number"]))
    assert receivable == D("1469.63")

    factory = db.make_sessionmaker(app.extensions["clm_db"].kw["bind"])
    with db.transaction_for(factory) as s:
        issued = issue_invoices(s, date(2026, 2, 1), now=db.utcnow())
    assert [i.invoice for i in issued][-1] == february["number"]
    late = client.post(f"{base}/usage", json={"line": "api", "date": "2026-01-25", "quantity": "10"}, headers=finance)
    assert late.status_code == 409
    assert f"billed on invoice {february['number']}, already issued as INV-000002" in late.get_json()["error"]
    with db.transaction_for(factory) as s:
        assert s.scalar(select(func.count()).select_from(UsageRecord)) == 2
        kept = s.scalar(select(InvoiceNumber).where(InvoiceNumber.number == "INV-000002"))
        assert kept.total_minor == 122469 and kept.lines[-1]["amount"] == "224.69"
    assert invoice_on("2026-02-01")["total"] == "1224.69"
    auth.login("finance")
    tab = client.get(f"/contracts/{signed.contract_id}?tab=finance").get_data(as_text=True)
    row = tab[tab.index(reserved["number"] + "</a>"):]
    assert "usage period: no usage recorded yet" in row[:row.index("</tr>")]
    pdf = client.get(f"/finance/invoices/{february['number']}.pdf")
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF")

    assert client.post(f"{base}/usage", json={"line": "api", "date": "2026-02-10", "quantity": "500"},
                       headers=finance).status_code == 201
    assert invoice_on("2026-03-01")["lines"][-1] == {
        "line": "api", "description": "API calls (500 x 0.002)", "period_start": "2026-02-01",
        "period_end": "2026-02-28", "amount": "1.00"}
    # The reserved invoice with no usage is never issued; every other one is.
    with db.transaction_for(factory) as s:
        issued = issue_invoices(s, date(2027, 1, 31), now=db.utcnow())
    assert reserved["number"] not in [i.invoice for i in issued] and len(issued) == 11


def test_cash_received_against_issued_invoices_the_journal_and_the_aging(client, make_token, make_signed, app, auth):
    import csv
    import io

    from sqlalchemy import func, select

    from clm.downstream.invoicing import issue_invoices
    from clm.downstream.models import Payment

    app.config["TAX_RATES"] = "CA=5,CA-BC=7"
    signed = make_signed(saas_doc(bill_to={"name": "Initech Canada Ltd", "jurisdiction": "CA-BC"}),
                         via=db.sessionmaker_for(app))
    finance = _bearer(make_token("finance"))
    base = f"/api/v1/contracts/{signed.contract_id}"
    factory = db.make_sessionmaker(app.extensions["clm_db"].kw["bind"])
    with db.transaction_for(factory) as s:
        [issued] = issue_invoices(s, date(2026, 1, 1), now=db.utcnow())
    assert issued.number == "INV-000001"

    def first():
        return client.get(f"{base}/billing", headers=finance).get_json()["invoices"][0]

    # 120,000.00 + GST 6,000.00 + PST 8,400.00 = 134,400.00 due; nothing received yet.
    assert (first()["total_due"], first()["received"], first()["outstanding"]) == ("134400.00", "0.00", "134400.00")
    pay = {"invoice": "INV-000001", "amount": "100000.00", "date": "2026-01-20", "reference": "bank-1"}
    posted = client.post(f"{base}/payments", json=pay, headers=finance)
    assert posted.status_code == 201, posted.get_json()
    assert client.post(f"{base}/payments", json=pay, headers=finance).status_code == 200  # a retry stores nothing
    assert (first()["received"], first()["outstanding"]) == ("100000.00", "34400.00")

    second = client.get(f"{base}/billing", headers=finance).get_json()["invoices"][1]["number"]
    for body, error in (
            ({**pay, "reference": None, "amount": "40000.00"},
             "amount: 40000.00 is more than the 34400.00 outstanding on INV-000001"),
            ({**pay, "reference": None, "invoice": second},
             f"invoice: '{second}' is not an issued invoice of this contract"),
            ({**pay, "reference": None, "date": "2025-12-31"}, "date: 2025-12-31 is before the invoice's date 2026-01-01"),
            ({**pay, "reference": None, "date": "2999-01-01"}, "date: 2999-01-01 is in the future"),
            ({**pay, "reference": None, "amount": "1.005"}, "amount: "),
            ({**pay, "reference": None, "amount": 5.5}, "amount: "),
            ({**pay, "reference": None, "cheque": "1"}, "cheque: unknown field")):
        body = {k: v for k, v in body.items() if v is not None}
        response = client.post(f"{base}/payments", json=body, headers=finance)
        assert response.status_code == 422, (body, response.get_json())
        assert any(e.startswith(error) for e in response.get_json()["errors"]), response.get_json()
    assert client.post(f"{base}/payments", json={**pay, "amount": "1.00"}, headers=finance).status_code == 409
    assert client.post(f"{base}/payments", json=pay, headers=_bearer(make_token("viewer"))).status_code == 403
    with db.transaction_for(factory) as s:
        assert s.scalar(select(func.count()).select_from(Payment)) == 1
    listed = client.get(f"{base}/payments", headers=finance).get_json()["payments"]
    assert [(p["invoice"], p["amount"], p["date"]) for p in listed] == [("INV-000001", "100000.00", "2026-01-20")]

    # The journal: cash in, receivable down, on the day the cash came.
    journal = client.get(f"{base}/journal?as_of=2026-01-31", headers=finance).get_json()["entries"]
    cash = [(e["date"], e["account"], e["debit"], e["credit"]) for e in journal if "payment" in e["memo"]]
    assert cash == [("2026-01-20", "Cash", "100000.00", "0.00"), ("2026-01-20", "Accounts receivable", "0.00", "100000.00")]
    receivable = sum(D(e["debit"]) - D(e["credit"]) for e in journal if e["account"] == "Accounts receivable")
    assert receivable == D("34400.00")

    # The aging: due on the invoice's due date, 31-60 days past due on 15 March.
    due = date.fromisoformat(first()["due"])
    aging = client.get("/api/v1/receivables?as_of=2026-03-15", headers=finance).get_json()["receivables"]
    assert [(r["invoice"], r["outstanding"], r["days_past_due"]) for r in aging] == [
        ("INV-000001", "34400.00", (date(2026, 3, 15) - due).days)]
    assert aging[0]["bucket"] == "31-60" and 31 <= aging[0]["days_past_due"] <= 60
    before = client.get("/api/v1/receivables?as_of=2026-01-10", headers=finance).get_json()["receivables"]
    assert before[0]["outstanding"] == "134400.00" and before[0]["bucket"] == "current"  # cash not yet in
    rows = list(csv.reader(io.StringIO(client.get("/api/v1/receivables?as_of=2026-03-15&format=csv",
                                                  headers=finance).get_data(as_text=True))))
    assert rows[0][:3] == ["contract_id", "title", "invoice"] and rows[1][2] == "INV-000001"
    client.post(f"{base}/payments", json={**pay, "reference": "bank-2", "amount": "34400.00", "date": "2026-03-20"},
                headers=finance)
    assert client.get("/api/v1/receivables?as_of=2026-03-31", headers=finance).get_json()["receivables"] == []
    assert first()["outstanding"] == "0.00" and first()["paid"] is True
    auth.login("finance")
    tab = client.get(f"/contracts/{signed.contract_id}?tab=finance").get_data(as_text=True)
    row = tab[tab.index(issued.invoice + "</a>"):]
    assert "issued as INV-000001: paid" in row[:row.index("</tr>")]
    row = tab[tab.index(second + "</a>"):]
    assert "scheduled" in row[:row.index("</tr>")]


def test_finance_records_a_payment_on_the_finance_tab(client, make_signed, app, auth):
    from sqlalchemy import func, select

    from clm.downstream.invoicing import issue_invoices
    from clm.downstream.models import Payment

    signed = make_signed(saas_doc(), via=db.sessionmaker_for(app))
    factory = db.make_sessionmaker(app.extensions["clm_db"].kw["bind"])
    with db.transaction_for(factory) as s:
        issue_invoices(s, date(2026, 1, 1), now=db.utcnow())
    auth.login("finance")
    tab = client.get(f"/contracts/{signed.contract_id}?tab=finance").get_data(as_text=True)
    form = tab[tab.index('id="payment-form"'):]
    assert "INV-000001: USD 120,000.00 outstanding" in form[:form.index("</form>")]
    url = f"/contracts/{signed.contract_id}/payments"
    bad = client.post(url, data={"invoice": "INV-000001", "amount": "200,000.00", "date": "2026-01-20",
                                 "csrf_token": auth.token()}, follow_redirects=True)
    page = bad.get_data(as_text=True)
    assert "amount: 200000.00 is more than the 120000.00 outstanding on INV-000001" in page
    form = page[page.index('id="payment-form"'):]
    assert 'id="msg-payment-form"' in form[:form.index("</form>")]  # beside the form, not at the top
    with db.transaction_for(factory) as s:
        assert s.scalar(select(func.count()).select_from(Payment)) == 0
    done = client.post(url, data={"invoice": "INV-000001", "amount": "100,000.00", "date": "2026-01-20",
                                  "reference": "", "csrf_token": auth.token()}, follow_redirects=True)
    page = done.get_data(as_text=True)
    assert "Payment of USD 100,000.00 against INV-000001 recorded." in page
    assert "issued as INV-000001: USD 20,000.00 outstanding" in page
    listed = page[page.index('id="payments-h"'):]
    listed = listed[:listed.index("</table>")]
    assert "INV-000001" in listed and "USD 100,000.00" in listed and "finance" in listed  # who recorded it
    misread = client.post(url, data={"invoice": "INV-000001", "amount": "20.000,00", "date": "2026-01-21",
                                     "csrf_token": auth.token()}, follow_redirects=True).get_data(as_text=True)
    assert "amount: cannot read &#39;20.000,00&#39; as an amount" in misread  # a decimal comma is not read as 20
    with db.transaction_for(factory) as s:
        assert s.scalar(select(func.count()).select_from(Payment)) == 1
    assert client.post(url, data={"invoice": "INV-000001", "amount": "1", "date": "2026-01-20"}).status_code == 400
