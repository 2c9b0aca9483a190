"""Real-browser check of the search page: from the contracts list to highlighted, filtered hits."""

from __future__ import annotations

import pytest

from tests.conftest import sign_in

pytestmark = pytest.mark.browser


def test_search_from_the_contracts_list(demo_server, page):
    errors: list[str] = []
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    sign_in(page, demo_server)
    page.get_by_placeholder("Search all contracts").fill('"Master Subscription" -nothingmatchesthis')
    page.keyboard.press("Enter")
    page.wait_for_url("**/search?**")
    hits = page.locator("ol.search-hits > li")
    assert hits.count() >= 1
    assert hits.first.locator("mark").count() >= 1
    # A filter no demo contract meets empties the list, and the page says so.
    page.get_by_label("Status").select_option("terminated")
    page.get_by_role("button", name="Search").click()
    page.wait_for_load_state()
    assert page.locator("ol.search-hits > li").count() == 0
    assert "with these filters" in page.locator("p.empty").inner_text()
    assert errors == []  # no CSP violations or script errors
