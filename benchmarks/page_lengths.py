"""How long the contract and compare pages are, per tab, in a 1366 px wide browser.

    .venv/bin/python benchmarks/page_lengths.py

Serves the demo (scripts/screenshots.py seeds it, signed finance contracts included), signs in as
legal and prints the page height of every tab of contract 1 and of every view of its compare
page (v1 -> v2), and the height with every panel shown at once: what the page was before tabs,
when it stacked them all. Needs Debian's chromium.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))

WIDTH = 1366
SHOW_ALL = """() => {
  document.querySelectorAll('[role=tabpanel]').forEach(p => { p.hidden = false; });
  const cmp = document.querySelector('.cmp'); if (cmp) { cmp.removeAttribute('data-view'); }
  return document.documentElement.scrollHeight; }"""


def main() -> int:
    from playwright.sync_api import sync_playwright

    import screenshots  # scripts/screenshots.py: the demo with finance data, served
    from clm.demo import DEMO_PASSWORD

    with tempfile.TemporaryDirectory() as tmp, screenshots.demo(Path(tmp)) as base, sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path="/usr/bin/chromium", headless=True,
                                     args=["--no-sandbox", "--disable-gpu"])
        page = browser.new_page(viewport={"width": WIDTH, "height": 900})
        page.goto(f"{base}/login")
        page.get_by_label("Email").fill("legal@example.com")
        page.get_by_label("Password").fill(DEMO_PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_url(f"{base}/")
        print(f"width {WIDTH} px; heights in px (document scrollHeight)")
        page.goto(f"{base}/contracts/1")
        tabs = [t.get_attribute("href").split("tab=")[1] for t in page.get_by_role("tab").all()]
        for tab in tabs:
            page.goto(f"{base}/contracts/1?tab={tab}")
            print(f"contract page, tab {tab:<10} {page.evaluate('document.documentElement.scrollHeight'):>6}")
        print(f"contract page, all panels stacked {page.evaluate(SHOW_ALL):>6}")
        for view in ("inline", "side", "changes"):
            page.goto(f"{base}/contracts/1/compare?from=1&to=2&view={view}")
            print(f"compare v1->v2, view {view:<8} {page.evaluate('document.documentElement.scrollHeight'):>6}")
        print(f"compare v1->v2, all views stacked {page.evaluate(SHOW_ALL):>6}")
        browser.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
