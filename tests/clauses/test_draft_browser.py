"""Real browser: draft an MSA from the library form and land on the new contract's page."""

from __future__ import annotations

import re

import pytest

from tests.conftest import sign_in

pytestmark = pytest.mark.browser


def test_draft_an_msa_in_the_browser(demo_server, page):
    errors: list[str] = []
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    sign_in(page, demo_server)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Draft").click()
    page.get_by_role("link", name="Master Subscription Agreement", exact=True).click()
    page.wait_for_url(f"{demo_server}/draft/master_subscription_agreement")

    # A bad value first: the error appears next to its field and nothing is stored.
    page.get_by_label("Customer's legal name").fill("Initech Corporation")
    page.get_by_label("Customer's entity type and place of organization").fill("a Texas corporation")
    page.get_by_role("button", name="Create contract").click()
    field = page.locator("#field-effective_date")
    assert "needs a value" in field.locator(".field-error").inner_text()

    page.get_by_label("Effective date").fill("2026-09-01")
    page.get_by_label("Include Provider's insurance commitments?").check()
    page.get_by_label("Limitation of Liability").select_option("fallback_1")
    page.get_by_role("button", name="Preview").click()
    preview = page.locator("article.preview")
    assert "Initech Corporation" in preview.inner_text() and "September 1, 2026" in preview.inner_text()

    page.get_by_role("button", name="Create contract").click()
    page.wait_for_url(re.compile(rf"{re.escape(demo_server)}/contracts/\d+$"))
    assert page.get_by_role("heading", name="Master Subscription Agreement", exact=True).is_visible()
    assert "stored as version 1" in page.get_by_role("status").inner_text()
    rows = page.locator("table.versions tbody tr")
    assert rows.count() == 1 and "template" in rows.nth(0).inner_text()
    assert "Initech Corporation" in page.get_by_label("Key facts").inner_text()  # the parties, above the tabs
    # No CSP violations or script errors; the refused first submit answers 422, which chromium logs.
    assert [e for e in errors if "status of 422" not in e] == []
