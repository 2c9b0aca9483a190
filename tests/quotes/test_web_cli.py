"""The quote API, pages and `clm quote` commands: the happy path and bad input (4xx / exit 2, nothing stored)."""

from __future__ import annotations

import json
from pathlib import Path

from sqlalchemy import func, select

from clm.cli import main
from clm.quotes.models import Quote
from tests.quotes.conftest import CATALOG_FILE, request_with


def _count(session) -> int:
    session.expire_all()
    return session.scalar(select(func.count(Quote.id))) or 0


def test_api_create_approve_send_accept(client, make_token, loaded, session):
    legal = {"Authorization": f"Bearer {make_token('legal')}"}
    finance = {"Authorization": f"Bearer {make_token('finance')}"}
    response = client.post("/api/v1/quotes", json=request_with(start_date="2027-01-01"), headers=legal)
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert (body["number"], body["status"], body["approvals_pending"]) == ("Q-0001", "pending_approval", ["sales_manager"])
    assert body["priced"]["tcv"] == "248178.00"
    qid = body["id"]
    assert client.post(f"/api/v1/quotes/{qid}/send", headers=legal).status_code == 409
    assert client.post(f"/api/v1/quotes/{qid}/approve", headers=legal).status_code == 403  # priced it
    assert client.post(f"/api/v1/quotes/{qid}/approve", headers=finance).get_json()["status"] == "approved"
    assert client.post(f"/api/v1/quotes/{qid}/send", headers=legal).get_json()["status"] == "sent"
    accepted = client.post(f"/api/v1/quotes/{qid}/accept", headers=legal)
    assert accepted.status_code == 201 and accepted.get_json()["contract_id"]
    cid = accepted.get_json()["contract_id"]
    terms = client.get(f"/api/v1/contracts/{cid}/commercial-terms", headers=finance).get_json()["terms"]
    assert sum(float(ln["price"]) for ln in terms["lines"]) == 248178.0
    pdf = client.get(f"/api/v1/quotes/{qid}/document?version=1", headers=legal)
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF")
    docx = client.get(f"/api/v1/quotes/{qid}/document?version=1&format=docx", headers=legal)
    assert docx.status_code == 200 and docx.data.startswith(b"PK")


def test_api_bad_input_is_422_with_every_field_and_stores_nothing(client, make_token, loaded, session):
    legal = {"Authorization": f"Bearer {make_token('legal')}"}
    bad = request_with(lines=[{"product": "NOPE", "quantity": -1, "discount": "150"}])
    response = client.post("/api/v1/quotes", json=bad, headers=legal)
    assert response.status_code == 422
    errors = response.get_json()["errors"]
    assert "lines[0].product: unknown product 'NOPE'" in errors
    assert any(e.startswith("lines[0].quantity: -1") for e in errors)
    assert "lines[0].discount: 150% is more than 100%" in errors
    assert _count(session) == 0
    viewer = {"Authorization": f"Bearer {make_token('viewer')}"}
    assert client.post("/api/v1/quotes", json=request_with(), headers=viewer).status_code == 403
    assert _count(session) == 0


def test_openapi_documents_every_quote_route(client):
    paths = client.get("/api/v1/openapi.json").get_json()["paths"]
    for path in ("/quotes", "/quotes/{id}", "/quotes/{id}/approve", "/quotes/{id}/send", "/quotes/{id}/accept",
                 "/quotes/price", "/quotes/catalog", "/quotes/{id}/compare", "/quotes/{id}/drift",
                 "/quotes/{id}/document"):
        assert path in paths, path


def test_the_configure_page_prices_and_shows_the_approval_needed(client, auth, loaded, session):
    auth.login("legal")
    form = {"csrf_token": auth.token(), "customer": "Initech Corporation", "currency": "USD", "bundle": "ENTERPRISE",
            "term_months": "24", "start_date": "2027-01-01", "discount": "5", "promotions": "LAUNCH10",
            "line-0-product": "PLATFORM", "line-0-quantity": "120", "line-0-discount": "30",
            "line-1-product": "ANALYTICS", "line-1-quantity": "120", "line-2-product": "IMPLEMENTATION",
            "line-2-quantity": "1", "action": "price"}
    page = client.post("/quotes/new", data=form)
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "USD 248,178.00" in html and "Approval needed: Sales manager" in html
    assert _count(session) == 0  # pricing stores nothing
    refused = client.post("/quotes/new", data={**form, "line-0-quantity": "10", "action": "save"})
    assert refused.status_code == 422
    assert "rule &#39;ENTERPRISE PLATFORM quantity at least 25&#39;" in refused.get_data(as_text=True)
    assert _count(session) == 0
    saved = client.post("/quotes/new", data={**form, "action": "save"})
    assert saved.status_code == 303 and _count(session) == 1
    shown = client.get(saved.headers["Location"]).get_data(as_text=True)
    assert "Quote Q-0001" in shown and "Waiting for: Sales manager" in shown


def test_cli_chain_and_bad_input(runner, tmp_path, app):
    result = runner.invoke(main, ["quote", "catalog", "load", str(CATALOG_FILE)])
    assert result.exit_code == 0, result.output
    assert "Catalog version 1 loaded: 8 products, 1 bundles, 2 price books, 1 promotions" in result.output
    request = tmp_path / "initech.json"
    request.write_text(json.dumps(request_with(start_date="2027-01-01", lines=[
        {"product": "PLATFORM", "quantity": 30}, {"product": "IMPLEMENTATION", "quantity": 1}])))
    result = runner.invoke(main, ["quote", "create", str(request), "--by", "legal@example.test"])
    assert result.exit_code == 0, result.output
    # 30 x 1,200 x 2 = 72,000 + 15,000 = 87,000; x 0.95 = 82,650.00; ACV 68,400.00
    assert "Q-0001 v1 (draft): Initech Corporation, TCV USD 82,650.00, ACV USD 34,200.00" in result.output
    result = runner.invoke(main, ["quote", "send", "Q-0001", "--to", "not-an-address"])
    assert result.exit_code == 2 and "to: 'not-an-address' is not an email address" in result.output, result.output
    assert "(draft)" in runner.invoke(main, ["quote", "show", "Q-0001"]).output
    result = runner.invoke(main, ["quote", "send", "Q-0001", "--to", "buyer@initech.example"])
    assert result.exit_code == 0 and "(sent)" in result.output and "Emailed to buyer@initech.example" in result.output
    outbox = list(Path(app.instance_path, "outbox").glob("*.eml"))
    assert len(outbox) == 1 and "To: buyer@initech.example" in outbox[0].read_text()
    assert "application/pdf" in outbox[0].read_text()
    out = tmp_path / "q.docx"
    assert runner.invoke(main, ["quote", "render", "Q-0001", "-o", str(out)]).exit_code == 0
    assert out.read_bytes().startswith(b"PK")
    result = runner.invoke(main, ["quote", "accept", "Q-0001"])
    assert result.exit_code == 0 and "Accepted: contract 1 version 1" in result.output, result.output

    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(request_with(currency="EUR", price_book="standard-usd")))
    result = runner.invoke(main, ["quote", "create", str(bad)])
    assert result.exit_code == 2
    assert "price_book: standard-usd is priced in USD, not EUR" in result.output
    assert "Traceback" not in result.output
    broken = tmp_path / "catalog.yaml"
    broken.write_text("products: [{sku: lower}]\nprice_books: []\n")
    result = runner.invoke(main, ["quote", "catalog", "load", str(broken)])
    assert result.exit_code == 2 and "products[0].sku: 'lower' is not a SKU" in result.output


def test_the_commands_run_in_a_fresh_process(cli_env, tmp_path):
    """`clm quote` needs no web app: a new process loads the catalog and creates a quote on its own."""
    import os
    import subprocess
    import sys
    from pathlib import Path

    clm = str(Path(sys.executable).with_name("clm"))
    env = {**os.environ, **cli_env}
    request = tmp_path / "q.json"
    request.write_text(json.dumps(request_with(lines=[{"product": "PLATFORM", "quantity": 30},
                                                      {"product": "IMPLEMENTATION", "quantity": 1}])))
    for args in (["quote", "catalog", "load", str(CATALOG_FILE)], ["quote", "create", str(request)],
                 ["quote", "revise", "Q-0001", str(request)]):
        done = subprocess.run([clm, *args], env=env, capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stderr
    assert "Q-0001 v1 (draft)" in done.stdout
    done = subprocess.run([clm, "quote", "show", "Q-9999"], env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 2 and done.stderr.strip() == "clm: error: There is no quote Q-9999."


# -- issue 17 finding 8: four eyes per approval level, approval rules only by an admin ----------------


def _deep_discount(client, headers):
    response = client.post("/api/v1/quotes", headers=headers,
                           json=request_with(start_date="2027-01-01", lines=[
                               {"product": "PLATFORM", "quantity": 120, "discount": "90"},
                               {"product": "ANALYTICS", "quantity": 120}, {"product": "IMPLEMENTATION", "quantity": 1}]))
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert body["approvals_pending"] == ["sales_manager", "finance"]
    return body["id"]


def test_one_principal_cannot_clear_both_approval_levels(client, make_token, make_user, loaded):
    from clm import db
    from clm.users import Role, User, create_token

    legal = {"Authorization": f"Bearer {make_token('legal')}"}
    qid = _deep_discount(client, legal)
    admin = {"Authorization": f"Bearer {make_token('admin')}"}
    first = client.post(f"/api/v1/quotes/{qid}/approve", headers=admin)
    assert first.status_code == 200 and first.get_json()["approvals_pending"] == ["finance"]
    second = client.post(f"/api/v1/quotes/{qid}/approve", headers=admin)
    assert second.status_code == 403 and "another approver" in second.get_json()["error"]
    # A second token of the same person is the same approver.
    app = client.application
    with db.transaction_for(db.sessionmaker_for(app)) as s:
        owner = s.query(User).filter_by(email="token-admin@example.test").one()
        other = create_token(s, user=owner, label="another")[1]
    again = client.post(f"/api/v1/quotes/{qid}/approve", headers={"Authorization": f"Bearer {other}"})
    assert again.status_code == 403
    assert client.post(f"/api/v1/quotes/{qid}/send", headers=legal).status_code == 409
    finance = {"Authorization": f"Bearer {make_token('finance')}"}
    done = client.post(f"/api/v1/quotes/{qid}/approve", headers=finance)
    assert done.status_code == 200 and done.get_json()["status"] == "approved"


def test_only_an_admin_changes_the_approval_rules_through_the_api(client, make_token, loaded, catalog_data):
    import copy

    finance = {"Authorization": f"Bearer {make_token('finance')}"}
    lax = copy.deepcopy(catalog_data)
    lax["approvals"] = [{"level": "sales_manager", "above": "95"}, {"level": "finance", "above": "99"}]
    refused = client.put("/api/v1/quotes/catalog", headers=finance, json=json.loads(json.dumps(lax, default=str)))
    assert refused.status_code == 403 and "administrator" in refused.get_json()["error"]
    promo = copy.deepcopy(catalog_data)
    promo["promotions"][0]["percent"] = "90"
    assert client.put("/api/v1/quotes/catalog", headers=finance,
                      json=json.loads(json.dumps(promo, default=str))).status_code == 403
    assert client.get("/api/v1/quotes/catalog", headers=finance).get_json()["version"] == loaded
    # Finance still maintains prices.
    prices = copy.deepcopy(catalog_data)
    prices["price_books"][0]["entries"][0]["list_price"] = "1250.00"
    changed = client.put("/api/v1/quotes/catalog", headers=finance, json=json.loads(json.dumps(prices, default=str)))
    assert changed.status_code == 201, changed.get_json()
    admin = {"Authorization": f"Bearer {make_token('admin')}"}
    assert client.put("/api/v1/quotes/catalog", headers=admin,
                      json=json.loads(json.dumps(lax, default=str))).status_code == 201
