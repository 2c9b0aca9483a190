"""Quote to cash: a priced, approved quote is accepted, its contract needs no approval, is signed,
and the order finance sees equals the quote to the cent."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import pytest

from tests.journeys.conftest import Installation, sign_as_signer

pytestmark = [pytest.mark.journey, pytest.mark.browser]
CATALOG = Path(__file__).resolve().parents[2] / "clause_library" / "catalog.yaml"


def _first_of_next_month(today: dt.date) -> dt.date:
    return (today.replace(day=1) + dt.timedelta(days=32)).replace(day=1)


def test_an_accepted_quote_is_signed_and_billed_as_quoted(clm_site: Installation, page) -> None:
    site = clm_site
    assert "loaded" in site.clm("quote", "catalog", "load", str(CATALOG)).stdout
    rep, finance = site.api("legal"), site.api("finance")
    start = _first_of_next_month(dt.date.today())
    request = {"customer": "Initech Corporation", "currency": "USD", "bundle": "ENTERPRISE", "term_months": 24,
               "start_date": start.isoformat(), "discount": "5", "promotions": ["LAUNCH10"],
               "lines": [{"product": "PLATFORM", "quantity": 120, "discount": "30"},
                         {"product": "ANALYTICS", "quantity": 120}, {"product": "IMPLEMENTATION", "quantity": 1}]}

    # The rep prices and saves the quote; it needs a sales manager's approval (33.5 % discount).
    priced = rep.post(f"{site.url}/api/v1/quotes/price", json=request, timeout=60)
    assert priced.status_code == 200, priced.text
    tcv = Decimal(priced.json()["tcv"])
    created = rep.post(f"{site.url}/api/v1/quotes", json=request, timeout=60)
    assert created.status_code == 201, created.text
    quote = created.json()
    assert quote["status"] == "pending_approval"
    approved = finance.post(f"{site.url}/api/v1/quotes/{quote['id']}/approve", json={"comment": "strategic logo"},
                            timeout=60)
    assert approved.status_code == 200, approved.text
    sent = rep.post(f"{site.url}/api/v1/quotes/{quote['id']}/send", timeout=60)
    assert sent.status_code == 200, sent.text
    accepted = rep.post(f"{site.url}/api/v1/quotes/{quote['id']}/accept", timeout=120)
    assert accepted.status_code == 201, accepted.text
    contract_id = accepted.json()["contract_id"]

    # The contract drafted from clm's own quote order form deviates from nothing.
    clauses = rep.get(f"{site.url}/api/v1/contracts/{contract_id}/clauses", timeout=60).json()
    assert clauses["pending"] == 0, [c for c in clauses["clauses"] if c["pending"]]

    # Sent for signature as it stands: the provider's signer, then the customer's.
    envelope = rep.post(f"{site.url}/api/v1/envelopes", timeout=120, json={
        "contract_id": contract_id, "subject": "Initech order form",
        "recipients": [{"name": "Pat Provider", "email": "pat@northwind.example", "routing_order": 1},
                       {"name": "Ines Initech", "email": "ines@initech.example", "routing_order": 2}]})
    assert envelope.status_code == 201, envelope.text
    (pat_link,) = site.links_for("pat@northwind.example")
    assert sign_as_signer(page, pat_link, "Pat Provider").startswith("Thank you, Pat Provider")
    (ines_link,) = site.links_for("ines@initech.example")
    assert sign_as_signer(page, ines_link, "Ines Initech").startswith("Thank you, Ines Initech")

    # The order, its invoices and its revenue add up to the quote, to the cent.
    cron = site.clm("downstream", "process")
    assert "Processed" in cron.stdout
    order = finance.get(f"{site.url}/api/v1/contracts/{contract_id}/order", timeout=60).json()
    assert (order["currency"], Decimal(order["total"])) == ("USD", tcv)
    assert order["signed_on"] == dt.datetime.now(dt.UTC).date().isoformat()
    billing = finance.get(f"{site.url}/api/v1/contracts/{contract_id}/billing", timeout=60).json()
    assert sum(Decimal(i["total"]) for i in billing["invoices"]) == tcv
    assert billing["invoices"][0]["date"] == start.isoformat()
    revenue = finance.get(f"{site.url}/api/v1/contracts/{contract_id}/revenue", timeout=60).json()
    assert sum(Decimal(r["amount"]) for r in revenue["schedule"]) == tcv

    # The daily cron issues the first invoice (its own process); finance sees it in the aging, and
    # cash dated before the invoice is refused, nothing stored.
    site.clm("downstream", "issue", "--today", start.isoformat())
    first = finance.get(f"{site.url}/api/v1/contracts/{contract_id}/billing", timeout=60).json()["invoices"][0]
    assert first["seller_number"] and first["outstanding"] == first["total_due"]
    aging = finance.get(f"{site.url}/api/v1/receivables?as_of={start.isoformat()}", timeout=60).json()["receivables"]
    assert [(r["invoice"], r["outstanding"], r["bucket"]) for r in aging] == [
        (first["seller_number"], first["total_due"], "current")]
    early = finance.post(f"{site.url}/api/v1/contracts/{contract_id}/payments", timeout=60, json={
        "invoice": first["seller_number"], "amount": first["total_due"], "date": dt.date.today().isoformat()})
    assert early.status_code == 422 and "before the invoice's date" in early.json()["error"]
    assert finance.get(f"{site.url}/api/v1/contracts/{contract_id}/payments", timeout=60).json()["payments"] == []
