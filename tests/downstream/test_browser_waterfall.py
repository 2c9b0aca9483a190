"""Real browser: the revenue waterfall scrolls inside its own box; the finance page never scrolls sideways."""

from __future__ import annotations

import re

import pytest

from tests.conftest import sign_in
from tests.downstream.test_browser_finance import finance_server  # noqa: F401 (the fixture)

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("width", [1366, 390])
def test_the_waterfall_scrolls_in_its_own_box(finance_server, page, width):  # noqa: F811
    page.set_viewport_size({"width": width, "height": 900})
    sign_in(page, finance_server, "finance@example.com")
    page.goto(f"{finance_server}/finance")
    box = page.get_by_role("region", name="Revenue waterfall table", exact=True)
    assert box.count() == 1
    sizes = box.evaluate("e => [e.scrollWidth, e.clientWidth, getComputedStyle(e).overflowX]")
    # Twelve months of amounts are wider than the page: the box scrolls, not the page.
    assert sizes[0] > sizes[1] and sizes[2] == "auto", sizes
    # No table makes the page wider than the window (the site's top navigation is not this page's).
    wide = page.evaluate("""() => { const w = document.documentElement.clientWidth;
        return [...document.querySelectorAll('main table')].filter(t => !t.closest('.table-scroll')
            && t.getBoundingClientRect().right > w + 1).map(t => t.className); }""")
    assert wide == [], f"tables run off the page at {width}px: {wide}"
    assert box.evaluate("e => e.getBoundingClientRect().right") <= width
    if width >= 1366:
        overflow = page.evaluate("() => document.documentElement.scrollWidth - document.documentElement.clientWidth")
        assert overflow <= 0, f"the page scrolls sideways by {overflow}px at {width}px"
    assert re.search(r"USD \d,\d{3}\.\d{2}", box.inner_text())        # "USD 2,038.36", not "2038.36"
    assert "Dec 2026" in box.inner_text() or "Jan 2027" in box.inner_text()   # months in words
    # A keyboard user reaches the box and scrolls it.
    box.focus()
    page.keyboard.press("ArrowRight")
    page.keyboard.press("End")
    page.wait_for_function("() => document.querySelector('.table-scroll.waterfall').scrollLeft > 0", timeout=5000)
