"""Finance pages, the downstream API and the `clm downstream` / `clm renewals` commands."""

from __future__ import annotations

import csv
import io
import json

from clm import db
from clm.downstream import outbox
from clm.web.api import OPENAPI
from tests.downstream.conftest import ONE_SAAS, counts
from tests.downstream.examples import saas_doc


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def order_id(app, contract_id: int) -> int:
    """Return the id of the contract's order (invoice numbers are INV-<order id>-<nnnn>)."""
    from clm.downstream import reports

    with db.transaction_for(db.make_sessionmaker(app.extensions["clm_db"].kw["bind"])) as s:
        return reports.order_of(s, contract_id).id


def test_put_commercial_terms_over_the_api(client, make_token, make_signed):
    signed = make_signed(attach=False)
    finance = make_token("finance")
    url = f"/api/v1/contracts/{signed.contract_id}/commercial-terms"
    assert client.get(url, headers=bearer(finance)).status_code == 404
    bad = saas_doc()
    bad["lines"][0]["price"] = 12.5
    response = client.put(url, json=bad, headers=bearer(finance))
    assert response.status_code == 422
    assert any(e.startswith("lines[0].price:") for e in response.get_json()["errors"])
    response = client.put(url, json=saas_doc(), headers=bearer(finance))
    assert response.status_code == 201, response.get_json()
    assert response.get_json()["version"] == 1
    assert client.put(url, json=saas_doc(), headers=bearer(finance)).status_code == 200
    assert client.get(url, headers=bearer(finance)).get_json()["terms"]["currency"] == "USD"
    assert client.put(url, json=saas_doc(), headers=bearer(make_token("viewer"))).status_code == 403
    assert client.put(url, data="not json", headers=bearer(finance)).status_code == 422
    assert client.put(url, json=saas_doc()).status_code == 401


def test_attaching_terms_over_the_api_processes_a_waiting_signature(client, make_token, make_signed, app):
    signed = make_signed(attach=False, via=db.sessionmaker_for(app))
    token = make_token("legal")
    base = f"/api/v1/contracts/{signed.contract_id}"
    assert client.get(f"{base}/order", headers=bearer(token)).status_code == 404
    assert client.put(f"{base}/commercial-terms", json=saas_doc(), headers=bearer(token)).status_code == 201
    order = client.get(f"{base}/order", headers=bearer(token)).get_json()
    assert order["total"] == "135000.00" and len(order["lines"]) == 2


def test_order_billing_revenue_renewal_api(client, make_token, make_signed, app):
    signed = make_signed(via=db.sessionmaker_for(app))
    token = make_token("finance")
    base = f"/api/v1/contracts/{signed.contract_id}"
    billing = client.get(f"{base}/billing", headers=bearer(token)).get_json()
    assert [i["total"] for i in billing["invoices"]] == ["120000.00", "15000.00"]
    revenue = client.get(f"{base}/revenue?as_of=2026-12-31", headers=bearer(token)).get_json()
    assert revenue["balance"] == {"billed": "135000.00", "recognized": "135000.00", "deferred_revenue": "0.00",
                                  "contract_asset": "0.00"}
    renewal = client.get(f"{base}/renewal?today=2026-06-01", headers=bearer(token)).get_json()
    assert renewal["notice_deadline"] == "2026-10-30" and renewal["upcoming"]["renewal_date"] == "2027-01-01"
    due = client.get("/api/v1/renewals?within=60&today=2026-10-01", headers=bearer(token)).get_json()
    assert [r["contract_id"] for r in due["renewals"]] == [signed.contract_id]
    assert client.get("/api/v1/renewals?within=10&today=2026-06-01", headers=bearer(token)).get_json()["renewals"] == []
    assert client.get("/api/v1/renewals?within=-1", headers=bearer(token)).status_code == 422
    assert client.get(f"{base}/order", headers=bearer(make_token("viewer"))).status_code == 403
    assert client.get("/api/v1/contracts/999/order", headers=bearer(token)).status_code == 404


def test_openapi_documents_the_downstream_paths():
    for path in ("/contracts/{id}/commercial-terms", "/contracts/{id}/order", "/contracts/{id}/billing",
                 "/contracts/{id}/revenue", "/contracts/{id}/renewal", "/renewals", "/contracts/{id}/cancel",
                 "/contracts/{id}/credit-note", "/contracts/{id}/renewal/start", "/orders"):
        assert path in OPENAPI["paths"]


def test_finance_dashboard(client, auth, make_signed, app):
    make_signed(via=db.sessionmaker_for(app))
    auth.login("finance")
    page = client.get("/finance")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "Deferred revenue today" in html and "Renewals due" in html and "Revenue waterfall" in html
    assert 'href="/finance"' in client.get("/").get_data(as_text=True)  # the nav link
    assert "<script" not in html and "style=" not in html  # CSP: nothing inline
    assert client.get("/finance?within=30").status_code == 200


def test_dashboard_charts_show_this_years_contract(client, auth, make_signed, app):
    from datetime import date, timedelta

    today = date.today()
    doc = saas_doc(signed_on=(today - timedelta(days=10)).isoformat())
    doc["lines"] = [{"id": "saas", "price": "1200.00", "recognition": "ratable", "start": today.isoformat(),
                     "end": (today + timedelta(days=364)).isoformat(),
                     "billing": {"frequency": "monthly", "timing": "advance"}}]
    doc["renewal"] = {"auto_renewal": True, "renewal_term": "P1Y", "non_renewal_notice": "P300D"}
    make_signed(doc, title="Globex hosting", counterparty="Globex", via=db.sessionmaker_for(app))
    auth.login("finance")
    html = client.get("/finance").get_data(as_text=True)
    assert html.count('class="bar bar-billing"') == 12 and html.count('class="bar bar-revenue"') == 12
    assert "Billing forecast (USD)" in html
    assert "Globex hosting" in client.get("/finance?within=90").get_data(as_text=True)


def test_viewers_do_not_see_finance(client, auth):
    auth.login("viewer")
    assert client.get("/finance").status_code == 403
    assert 'href="/finance"' not in client.get("/").get_data(as_text=True)


def test_terms_table_filters_and_exports(client, auth, make_signed):
    make_signed(title="Acme subscription", counterparty="Acme")
    make_signed(title="Initech support", counterparty="Initech")
    auth.login("legal")
    html = client.get("/finance/contracts?counterparty=acme").get_data(as_text=True)
    assert "Acme subscription" in html and "Initech support" not in html
    response = client.get("/finance/contracts.csv?counterparty=initech")
    assert response.mimetype == "text/csv"
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    assert [r["title"] for r in rows] == ["Initech support"] and rows[0]["terms_version"] == "1"
    assert client.get("/finance/contracts?status=executed").status_code == 200


def test_terms_form_prefills_validates_and_saves(client, auth, make_signed, app):
    signed = make_signed(attach=False, via=db.sessionmaker_for(app))
    auth.login("finance")
    url = f"/contracts/{signed.contract_id}/commercial-terms"
    html = client.get(url).get_data(as_text=True)
    assert "No terms attached yet" in html and "&#34;lines&#34;" in html
    bad = saas_doc()
    bad["lines"][0]["end"] = "2025-01-01"
    response = client.post(url, data={"terms": json.dumps(bad), "csrf_token": auth.token()})
    assert response.status_code == 422
    assert "lines[0].end: 2025-01-01 is before start 2026-01-01" in response.get_data(as_text=True)
    response = client.post(url, data={"terms": "{", "csrf_token": auth.token()})
    assert response.status_code == 422 and "not JSON" in response.get_data(as_text=True)
    response = client.post(url, data={"terms": json.dumps(saas_doc()), "csrf_token": auth.token()})
    assert response.status_code == 303
    page = client.get(url).get_data(as_text=True)
    assert "Commercial terms version 1 saved." in page and f"INV-{order_id(app, signed.contract_id)}-0001" in page
    assert client.post(url, data={"terms": "{}"}).status_code == 400  # no CSRF token


def _prefill_from_confirmed(plain, make_signed, values: dict) -> tuple[dict, list[str]]:
    """Confirm ``values`` on a signed contract's latest version; return the commercial-terms prefill."""
    from datetime import date

    from clm.clauses.models import DecisionAction, TermDecision
    from clm.downstream import commercial
    from clm.versions import store

    signed = make_signed(attach=False)
    with db.transaction_for(plain) as s:
        contract = store.get_contract(s, signed.contract_id)
        for field, value in values.items():
            s.add(TermDecision(contract_id=contract.id, version_id=contract.latest.id, field=field,
                               action=DecisionAction.CONFIRMED, value=value, decided_by="legal", decided_at=db.utcnow(),
                               comment=""))
    with db.transaction_for(plain) as s:
        return commercial.prefill(s, store.get_contract(s, signed.contract_id), date(2026, 1, 1))


def test_terms_prefill_from_confirmed_terms(app, plain, make_signed):
    from clm.downstream.terms import parse_terms

    doc, notes = _prefill_from_confirmed(plain, make_signed, {
        "effective_date": "2026-01-01", "initial_term": "P1Y", "auto_renewal": True, "renewal_term": "P1Y",
        "non_renewal_notice": "P60D", "payment_terms": "P45D", "price_increase_cap": 5.0,
        # fees in the shape the extractor stores them (issue 18: the prefill once read only a string)
        "fees": [{"amount": "120000", "currency": "USD", "period": "annual"}], "billing_frequency": "quarterly"})
    assert doc["payment_terms_days"] == 45 and doc["currency"] == "USD"
    assert doc["renewal"] == {"auto_renewal": True, "renewal_term": "P1Y", "non_renewal_notice": "P60D",
                              "price_increase_cap": "5%"}
    line = doc["lines"][0]
    assert (line["price"], line["start"], line["end"], line["billing"]["frequency"]) == (
        "120000.00", "2026-01-01", "2026-12-31", "quarterly")
    parse_terms(doc)  # a complete, valid document
    assert any("payment_terms_days" in n for n in notes)


def test_an_evergreen_renewal_goes_into_the_prefill_and_an_open_end_is_left_for_a_person(app, plain, make_signed):
    from clm.downstream.terms import parse_terms

    doc, notes = _prefill_from_confirmed(plain, make_signed, {
        "effective_date": "2026-01-01", "initial_term": "P1Y", "expiration_date": "perpetual",
        "renewal_term": "perpetual", "non_renewal_notice": "P30D"})
    # No auto_renewal was confirmed: an evergreen contract runs on by itself, so the prefill says so.
    assert doc["renewal"] == {"renewal_term": "perpetual", "non_renewal_notice": "P30D", "auto_renewal": True}
    assert doc["lines"][0]["end"] == "2026-12-31"                             # from the initial term instead
    assert "renewal.auto_renewal from the confirmed renewal term" in notes
    assert any(n.startswith("lines[0].end left for you") for n in notes)
    doc["currency"], doc["lines"][0]["price"] = "USD", "1200.00"
    assert parse_terms(doc).renewal.evergreen


def test_invoice_pdf(client, auth, make_signed, app):
    signed = make_signed(via=db.sessionmaker_for(app))
    auth.login("finance")
    response = client.get(f"/finance/invoices/INV-{order_id(app, signed.contract_id)}-0001.pdf")
    assert response.status_code == 200 and response.data.startswith(b"%PDF")
    assert client.get("/finance/invoices/INV-0-0000.pdf").status_code == 404


def test_contract_panel_partial(app, plain, make_signed):
    from flask import render_template

    from clm.downstream.views import downstream_panel
    from clm.versions import store

    signed = make_signed()
    outbox.drain(plain)
    with app.test_request_context("/"), db.transaction_for(plain) as s:
        panel = downstream_panel(s, store.get_contract(s, signed.contract_id))
        html = render_template("downstream/_contract_panel.html", downstream=panel)
    # Values as people read them (clm.values.display), never the stored forms.
    assert "USD 135,000.00" in html and f"INV-{panel.order['id']}-0002" in html and "October 30, 2026" in html
    assert "135000.00" not in html and "2026-10-30" not in html


def test_cli_process_and_renewals(runner, make_signed, plain, tmp_path):
    from clm.cli import main

    signed = make_signed()
    result = runner.invoke(main, ["downstream", "process"])
    assert result.exit_code == 0, result.output
    assert "processed: order" in result.output
    with db.transaction_for(plain) as s:
        assert counts(s) == ONE_SAAS
    assert "Processed 0 of 0" in runner.invoke(main, ["downstream", "process"]).output
    ics = tmp_path / "renewals.ics"
    result = runner.invoke(main, ["renewals", "--within", "60", "--today", "2026-10-01", "--ics", str(ics)])
    assert result.exit_code == 0, result.output
    assert f"{signed.contract_id}\tAcme subscription\tnotice by 2026-10-30\trenews 2027-01-01" in result.output
    body = ics.read_text()
    assert "BEGIN:VCALENDAR" in body and "DTSTART;VALUE=DATE:20261030" in body
    result = runner.invoke(main, ["renewals", "--within", "60", "--today", "2026-10-01", "--format", "json"])
    assert json.loads(result.output)["renewals"][0]["notice_deadline"] == "2026-10-30"
    assert runner.invoke(main, ["renewals", "--within", "-5"]).exit_code == 2


def test_terms_prefill_reads_the_extractor_s_wording_of_the_billing_frequency(plain, make_signed):
    from datetime import date

    from clm.clauses.models import DecisionAction, TermDecision
    from clm.downstream import commercial
    from clm.versions import store

    signed = make_signed(attach=False)
    with db.transaction_for(plain) as s:
        contract = store.get_contract(s, signed.contract_id)
        s.add(TermDecision(contract_id=contract.id, version_id=contract.latest.id, field="billing_frequency",
                           action=DecisionAction.CONFIRMED, value="annually", decided_by="legal",
                           decided_at=db.utcnow(), comment=""))
    with db.transaction_for(plain) as s:
        doc, notes = commercial.prefill(s, store.get_contract(s, signed.contract_id), date(2026, 1, 1))
    assert doc["lines"][0]["billing"]["frequency"] == "annual"
    assert "lines[0].billing.frequency from the confirmed billing frequency" in notes


def test_the_contract_panel_says_an_evergreen_contract_runs_on(client, auth, make_signed, app, plain):
    import re
    from datetime import date, timedelta

    from tests.downstream.examples import saas_doc

    def evergreen(start: date, end: date) -> int:
        doc = saas_doc(signed_on=(start - timedelta(days=5)).isoformat(),
                       renewal={"auto_renewal": True, "renewal_term": "perpetual", "non_renewal_notice": "P30D"})
        doc["lines"] = [{"id": "saas", "description": "Hosting", "price": "12000.00", "recognition": "ratable",
                         "start": start.isoformat(), "end": end.isoformat(),
                         "billing": {"frequency": "annual", "timing": "advance"}}]
        return make_signed(doc, via=db.sessionmaker_for(app)).contract_id

    today = date.today()
    ending = evergreen(today - timedelta(days=200), today + timedelta(days=164))
    running = evergreen(today - timedelta(days=800), today - timedelta(days=436))
    outbox.drain(plain)
    auth.login("finance")

    def panel(contract_id: int) -> str:
        html = client.get(f"/contracts/{contract_id}/commercial-terms").get_data(as_text=True)
        return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html.split('id="downstream-h"', 1)[1]))

    text = panel(ending)
    assert "runs on until terminated (evergreen) from" in text and "ends it with the initial term" in text
    assert "Start renewal" in text and "auto-renews" not in text
    text = panel(running)
    assert "runs on until terminated (evergreen) since" in text and "expired" not in text
    end = today + timedelta(days=30)
    assert f"Notice given today would end it on {end:%B} {end.day}, {end.year}" in text
    assert "Start renewal" not in text      # there is no renewal term to draft
