"""Real browser: build a quote on the configure page, price it, save it, get it approved and send it."""

from __future__ import annotations

import re

import pytest

from clm import db
from clm.app import create_app
from clm.demo import seed
from clm.quotes import services
from tests.conftest import serving, sign_in
from tests.quotes.conftest import CATALOG_FILE

pytestmark = pytest.mark.browser


@pytest.fixture
def quote_server(app_config):
    import yaml

    app = create_app(app_config)
    with db.transaction_for(db.sessionmaker_for(app)) as s:
        seed(s)
        services.load_catalog(s, yaml.safe_load(CATALOG_FILE.read_text()), source="catalog.yaml", by="test")
    with serving(app) as url:
        yield url


def test_build_price_approve_and_send_a_quote(quote_server, page):
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    sign_in(page, quote_server, "legal@example.com")
    page.goto(f"{quote_server}/quotes")
    page.get_by_role("link", name="New quote").click()
    page.get_by_label("Customer").fill("Initech Corporation")
    page.get_by_label("Bundle").select_option("ENTERPRISE")
    page.get_by_label("Term (months)").fill("24")
    page.get_by_label("Start date").fill("2027-01-01")
    page.get_by_label("Quote discount (%)").fill("5")
    page.get_by_label("Product 1", exact=True).select_option("PLATFORM")
    page.get_by_label("Quantity 1", exact=True).fill("120")
    page.get_by_label("Line discount 1", exact=True).fill("30")
    page.get_by_label("Product 2", exact=True).select_option("IMPLEMENTATION")
    page.get_by_label("Quantity 2", exact=True).fill("1")
    page.get_by_role("button", name="Price").click()
    preview = page.locator("section.preview")
    # 120 x 1,080 x 2 x 0.70 x 0.95 = 172,368.00 + 15,000 x 0.95 = 14,250.00
    assert "USD 186,618.00" in preview.locator("td.tcv").inner_text()
    assert "Approval needed: Sales manager" in preview.inner_text()
    page.get_by_role("button", name="Save quote").click()
    page.wait_for_url(re.compile(rf"{re.escape(quote_server)}/quotes/\d+$"))
    assert "Quote Q-0001 saved as version 1" in page.get_by_role("status").first.inner_text()
    assert page.get_by_role("button", name="Send quote").count() == 0  # not before approval

    page.get_by_role("button", name="Sign out").click()
    sign_in(page, quote_server, "finance@example.com")
    page.goto(f"{quote_server}/quotes")
    page.get_by_role("link", name="Q-0001").click()
    page.get_by_label("Comment").fill("Strategic account")
    page.get_by_role("button", name="Approve as sales manager").click()
    assert "Sales manager: approved by finance@example.com" in page.locator("section.approvals").inner_text()
    assert "Approval needed" not in page.locator("p.approval-needed").inner_text()  # approved now
    page.get_by_label("Customer's email").fill("buyer@initech.example")
    page.get_by_role("button", name="Send quote").click()
    assert page.locator("#quote-status").inner_text() == "sent"
    assert "Quote sent to buyer@initech.example" in page.get_by_role("status").first.inner_text()
    assert page.get_by_role("button", name="Accept and create contract").count() == 0  # finance cannot accept
    with page.expect_download() as download:
        page.get_by_role("link", name="Download PDF").click()
    assert download.value.suggested_filename == "Q-0001-v1.pdf"
    assert errors == []


def test_the_price_follows_the_lines_as_they_change(quote_server, page):
    from playwright.sync_api import expect

    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    sign_in(page, quote_server, "legal@example.com")
    page.goto(f"{quote_server}/quotes/new")
    page.get_by_label("Customer").fill("Initech Corporation")
    page.get_by_label("Term (months)").fill("12")
    page.get_by_label("Start date").fill("2027-01-01")
    page.get_by_label("Product 1", exact=True).select_option("IMPLEMENTATION")
    page.get_by_label("Quantity 1", exact=True).fill("1")
    tcv = page.locator("section.preview td.tcv")
    expect(tcv).to_contain_text("USD 15,000.00")  # priced by the server without pressing Price
    page.get_by_label("Quantity 1", exact=True).fill("2")
    expect(tcv).to_contain_text("USD 30,000.00")  # priced again as the quantity changed
    assert page.locator("form.configure [role=status]").inner_text().startswith("Priced: USD 30,000.00")
    assert page.url.endswith("/quotes/new")  # nothing was saved
    assert errors == []
