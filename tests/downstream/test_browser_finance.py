"""Real browser: the finance dashboard draws its charts and lists a signed contract's renewal."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date, timedelta

import pytest

from clm import db
from clm.app import create_app
from tests.conftest import serving, sign_in
from clm.demo import seed
from clm.downstream import outbox
from tests.downstream.examples import saas_doc

pytestmark = pytest.mark.browser


@pytest.fixture
def finance_server(app_config, make_signed, plain) -> Iterator[str]:
    """Serve clm with the demo data and one contract signed this month, renewing within 60 days."""
    today = date.today()
    with db.transaction_for(plain) as s:
        seed(s)
    doc = saas_doc(signed_on=(today - timedelta(days=320)).isoformat())
    doc["lines"] = [{"id": "saas", "description": "Hosting", "price": "24000.00", "recognition": "ratable",
                     "start": (today - timedelta(days=310)).isoformat(),
                     "end": (today + timedelta(days=54)).isoformat(),
                     "billing": {"frequency": "monthly", "timing": "advance"}}]
    doc["renewal"] = {"auto_renewal": True, "renewal_term": "P1Y", "non_renewal_notice": "P30D"}
    make_signed(doc, title="Globex hosting", counterparty="Globex")
    outbox.drain(plain)
    app = create_app(app_config)
    with serving(app) as url:
        yield url
    app.extensions["clm_db"].kw["bind"].dispose()


def test_finance_dashboard_charts_and_renewals(finance_server, page):
    errors: list[str] = []
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    sign_in(page, finance_server, "finance@example.com")
    page.get_by_role("link", name="Finance").click()
    page.wait_for_url(f"{finance_server}/finance")
    assert page.get_by_role("heading", name="Finance", exact=True).is_visible()
    chart = page.get_by_role("img", name="Billing forecast (USD)")
    assert chart.is_visible()
    bars = chart.locator("rect.bar")
    assert bars.count() == 12
    assert bars.first.bounding_box()["height"] > 10  # this month's invoice is drawn, styled by finance.css
    assert page.get_by_role("img", name="Revenue by month (USD)").is_visible()
    page.get_by_role("link", name="60 days").click()
    row = page.locator("table.renewals tbody tr", has_text="Globex hosting")
    assert row.count() == 1 and "Globex" in row.inner_text()
    assert "yes" in row.inner_text()
    assert errors == []  # no CSP violations or script errors


@pytest.fixture
def contract_server(app_config, make_signed, plain) -> Iterator[tuple[str, int]]:
    """Serve clm with the demo users and one contract in its term: USD 24,000 a year, price increase cap 5%."""
    today = date.today()
    with db.transaction_for(plain) as s:
        seed(s)
    start, end = today - timedelta(days=100), today + timedelta(days=264)
    doc = saas_doc(signed_on=(start - timedelta(days=10)).isoformat())
    doc["lines"] = [{"id": "saas", "description": "Hosting", "price": "24000.00", "recognition": "ratable",
                     "start": start.isoformat(), "end": end.isoformat(),
                     "billing": {"frequency": "annual", "timing": "advance"}}]
    doc["renewal"] = {"auto_renewal": True, "renewal_term": "P1Y", "non_renewal_notice": "P30D",
                      "price_increase_cap": "5%"}
    signed = make_signed(doc, title="Initech hosting", counterparty="Initech")
    outbox.drain(plain)
    app = create_app(app_config)
    with serving(app) as url:
        yield url, signed.contract_id
    app.extensions["clm_db"].kw["bind"].dispose()


def test_finance_starts_a_capped_renewal_and_cancels_with_a_credit_note(contract_server, page):
    url, contract_id = contract_server
    errors: list[str] = []
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    sign_in(page, url, "finance@example.com")
    page.goto(f"{url}/contracts/{contract_id}?tab=finance")
    page.get_by_label("Price uplift for the renewal (%)").fill("8")
    page.get_by_role("button", name="Start renewal").click()
    page.wait_for_url(lambda u: u != f"{url}/contracts/{contract_id}" and "/contracts/" in u)
    assert "limits it to 5%" in page.content()
    assert page.get_by_role("link", name="Initech hosting").is_visible()  # back to the original
    page.get_by_role("link", name="Initech hosting").click()
    page.wait_for_url(f"{url}/contracts/{contract_id}")
    assert "capped from 8%" in page.content()
    page.get_by_role("tab", name="Finance").click()
    cancel_on = date.today() + timedelta(days=1)
    page.get_by_label("Cancel the order from (first day without service)").fill(cancel_on.isoformat())
    page.get_by_role("button", name="Cancel order").click()
    page.wait_for_load_state()
    assert f"Order cancelled from {cancel_on:%B} {cancel_on.day}, {cancel_on.year}" in page.content()
    assert re.search(r"credit note CN-\S+ for USD \d{1,3}(,\d{3})*\.\d{2} stored", page.content())
    link = page.get_by_role("link", name="CN-", exact=False)
    assert link.count() == 1 and link.is_visible()
    assert page.get_by_role("button", name="Cancel order").count() == 0
    with page.expect_download() as download:
        link.click()
    assert download.value.suggested_filename.startswith("CN-") and download.value.suggested_filename.endswith(".pdf")
    assert errors == []
