"""Real browser: the clause-against-library redline uses the compare page's colours (issue 21)."""

from __future__ import annotations

import pytest

from tests.conftest import sign_in

pytestmark = pytest.mark.browser

_STYLE = "e => { const s = getComputedStyle(e); return [s.color, s.backgroundColor, s.textDecorationLine]; }"


def test_clause_redline_and_compare_share_colours(demo_server, page):
    sign_in(page, demo_server)
    page.goto(f"{demo_server}/contracts/1/compare?from=1&to=2")
    compare_ins = page.locator("#rl-inline ins.rl-ins").first.evaluate(_STYLE)
    compare_del = page.locator("#rl-inline del.rl-del").first.evaluate(_STYLE)
    page.goto(f"{demo_server}/contracts/1")
    # The nonstandard Confidentiality clause against the library's standard text.
    clause_ins = page.locator("ins", has_text="auditors and regulators").first.evaluate(_STYLE)
    assert clause_ins == compare_ins
    assert clause_ins[0] == "rgb(11, 87, 208)" and "underline" in clause_ins[2]     # blue, underlined
    clause_del = page.locator(".redline-snippet del").first
    if clause_del.count():
        assert clause_del.evaluate(_STYLE) == compare_del
    assert "line-through" in compare_del[2]
    # Green is for moves only: what the clause inserts is not drawn in the move colour.
    assert clause_ins[0] != "rgb(19, 115, 51)"
