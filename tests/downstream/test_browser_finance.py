"""Real browser: the finance dashboard draws its charts and lists a signed contract's renewal."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta

import pytest

from clm import db
from clm.app import create_app
from tests.conftest import serving
from clm.demo import DEMO_PASSWORD, seed
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
    page.goto(f"{finance_server}/login")
    page.get_by_label("Email").fill("finance@example.com")
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{finance_server}/")
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
