"""axe-core in Debian's chromium on every page: no serious or critical WCAG 2.1 AA violation, nothing
left for review on colour contrast, and no page wider than the window.

axe-core is vendored in ``tests/web/vendor`` (see its README) and injected through the browser
context, so the pages keep their CSP (``script-src 'self'``). One served demo for the module:
the demo contracts, three signed subscriptions with orders (clm.demo.seed_finance), and one
envelope sent to a signer whose link the outbox holds.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import sign_in

pytestmark = pytest.mark.browser

AXE = Path(__file__).parent / "vendor" / "axe.min.js"
WCAG21AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
RUN_AXE = """async (tags) => {
  const r = await axe.run(document, {runOnly: {type: 'tag', values: tags}, resultTypes: ['violations', 'incomplete']});
  const brief = (items) => items.map(v => ({id: v.id, impact: v.impact,
      nodes: v.nodes.slice(0, 3).map(n => n.target.join(' ') + ': ' + (n.failureSummary || '').slice(0, 160))}));
  return {violations: brief(r.violations), incomplete: brief(r.incomplete)};
}"""
OVERFLOW = "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"
LINK = re.compile(r"/sign/([A-Za-z0-9_\-]+)")


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Any:
    """Serve the demo with signed finance contracts and one envelope out for signature; yield (url, token)."""
    from clm import db
    from clm.app import create_app
    from clm.cli import extract_all, upgrade_database
    from clm.demo import seed, seed_finance
    from tests.conftest import serving

    tmp = tmp_path_factory.mktemp("a11y")
    url = f"sqlite:///{tmp}/clm.sqlite3"
    upgrade_database(url)
    app = create_app({"TESTING": True, "DATABASE_URL": url, "SECRET_KEY": "a11y", "INSTANCE_PATH": str(tmp),
                      "REDIS_URL": ""})
    with db.transaction_for(db.sessionmaker_for(app)) as session:
        seed(session)
    extract_all(app)
    seed_finance(app)
    with serving(app) as base:
        yield base, tmp
    app.extensions["clm_db"].kw["bind"].dispose()


@pytest.fixture(scope="module")
def browser() -> Any:
    from tests.conftest import CHROMIUM, CHROMIUM_ARGS

    if not Path(CHROMIUM).exists():
        if os.environ.get("CI"):  # as tests/conftest.py's page fixture: in CI a missing browser fails
            pytest.fail("chromium is not installed; .ci/run installs it with apt")
        pytest.skip("Debian's chromium is not installed (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


def new_page(browser: Any, width: int = 1366, height: int = 900) -> Any:
    """A page in a fresh context that carries axe-core into every document it opens."""
    context = browser.new_context(viewport={"width": width, "height": height})
    context.add_init_script(path=str(AXE))
    return context.new_page()


def audit(page: Any, what: str, *, contrast_reviewed: bool = False) -> None:
    """Assert the open page has no serious or critical WCAG 2.1 AA violation and does not overflow sideways.

    With ``contrast_reviewed``, axe must also leave no colour-contrast item for a person to review.
    """
    result = page.evaluate(RUN_AXE, WCAG21AA)
    bad = [v for v in result["violations"] if v["impact"] in ("serious", "critical")]
    assert bad == [], f"{what}: {bad}"
    if contrast_reviewed:
        review = [v for v in result["incomplete"] if v["id"] == "color-contrast"]
        assert review == [], f"{what}: colour contrast to review: {review}"
    assert page.evaluate(OVERFLOW) <= 0, f"{what}: wider than the {page.viewport_size['width']} px window"


def test_signed_out_pages(browser, served):
    base, _ = served
    page = new_page(browser)
    for path, what in (("/login", "login"), ("/verify", "verify")):
        page.goto(base + path)
        audit(page, what)


def test_legal_pages_and_every_tab(browser, served):
    base, _ = served
    page = new_page(browser)
    sign_in(page, base, "legal@example.com")
    audit(page, "contracts list")
    page.goto(f"{base}/contracts/1")
    tabs = [tab.get_attribute("href") for tab in page.get_by_role("tab").all()]
    assert len(tabs) >= 6
    for href in tabs:
        page.goto(base + href)
        audit(page, f"contract page {href}")
    page.goto(f"{base}/contracts/1/versions/2")
    audit(page, "version view")
    for view in ("inline", "side", "changes"):
        page.goto(f"{base}/contracts/1/compare?from=1&to=2&view={view}")
        audit(page, f"compare {view}", contrast_reviewed=True)
    for path in ("/contracts/new", "/draft", "/library", "/password", "/quotes/new"):
        page.goto(base + path)
        audit(page, path)
    page.goto(f"{base}/quotes")
    audit(page, "quotes")
    first_quote = page.locator("main a[href^='/quotes/']").first
    if first_quote.count():
        first_quote.click()
        page.wait_for_load_state()
        audit(page, "a quote")


def test_finance_pages(browser, served):
    base, _ = served
    page = new_page(browser)
    sign_in(page, base, "finance@example.com")
    page.goto(f"{base}/finance")
    audit(page, "finance dashboard", contrast_reviewed=True)
    page.goto(f"{base}/finance/contracts")
    audit(page, "finance contracts")
    signed = page.get_by_role("link", name="Globex hosting").first.get_attribute("href")
    contract_id = re.search(r"/contracts/(\d+)", signed).group(1)  # type: ignore[union-attr]
    page.goto(f"{base}/contracts/{contract_id}?tab=finance")
    assert page.locator("#finance table.invoices").is_visible()  # a signed contract: its order and invoices
    audit(page, "contract page, finance tab with an order")
    page.goto(f"{base}/contracts/{contract_id}/commercial-terms")
    audit(page, "commercial terms form")


def test_admin_pages(browser, served):
    base, _ = served
    page = new_page(browser)
    sign_in(page, base, "admin@example.com")
    page.goto(f"{base}/admin/tokens")
    audit(page, "admin: API tokens")


def test_signing_pages_on_a_phone(browser, served):
    base, instance = served
    page = new_page(browser)
    sign_in(page, base, "legal@example.com")
    page.goto(f"{base}/contracts/1?tab=clauses")
    row = page.locator("table.clauses tr.review")
    row.get_by_role("button", name="Approve Confidentiality").click()
    page.goto(f"{base}/contracts/1?tab=signature")
    page.get_by_role("link", name="Send for signature").click()
    audit(page, "send for signature")
    page.get_by_label("Name 1").fill("Pat Signer")
    page.get_by_label("Email 1").fill("pat@contoso.example")
    page.get_by_role("button", name="Send", exact=True).click()
    page.wait_for_load_state()
    audit(page, "envelope")
    mail = next((Path(instance) / "outbox").glob("*.eml")).read_text(encoding="utf-8", errors="replace")
    token = LINK.search(mail).group(1)  # type: ignore[union-attr]
    phone = new_page(browser, width=390, height=844)
    phone.goto(f"{base}/sign/{token}")
    audit(phone, "signing consent at 390 px")
    phone.get_by_label("I agree to use electronic records and signatures").check()
    phone.get_by_role("button", name="Continue").click()
    phone.wait_for_load_state()
    assert phone.get_by_label("Full name").is_visible()
    audit(phone, "signing page at 390 px")
    desk = new_page(browser)
    desk.goto(f"{base}/sign/{token}")  # consent given: the document and the signature form
    assert desk.get_by_label("Full name").is_visible()
    audit(desk, "signing page at 1366 px")


def test_a_wide_table_scrolls_in_its_own_box(browser, served):
    base, _ = served
    page = new_page(browser, width=390, height=844)
    sign_in(page, base, "legal@example.com")
    page.goto(f"{base}/contracts/1?tab=terms")
    box = page.locator("#terms .scroll")
    assert box.get_attribute("tabindex") == "0" and box.get_attribute("role") == "region"  # keyboard can scroll it
    assert "scrolls sideways" in box.get_attribute("aria-label")
    sizes = box.evaluate("e => [e.scrollWidth, e.clientWidth, getComputedStyle(e).overflowX, getComputedStyle(e).backgroundImage]")
    assert sizes[0] > sizes[1] and sizes[2] == "auto"  # wider than the phone: it scrolls, in its box
    assert "gradient" in sizes[3]  # the shadow at the edge that says there is more
    assert page.evaluate(OVERFLOW) <= 0  # and the page itself does not
