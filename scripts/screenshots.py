"""Take the README's screenshots: a demo clm driven by Debian's chromium through Playwright.

    .venv/bin/python scripts/screenshots.py [--out docs/screenshots]
"""

from __future__ import annotations

import argparse
import re
import sys
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from werkzeug.serving import WSGIRequestHandler, make_server

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from clm import db  # noqa: E402
from clm.app import create_app  # noqa: E402
from clm.cli import extract_all, upgrade_database  # noqa: E402
from clm.demo import DEMO_PASSWORD, seed, seed_finance  # noqa: E402

LINK = re.compile(r"/sign/([A-Za-z0-9_\-]+)")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--out", type=Path, default=ROOT / "docs" / "screenshots")
    args = ap.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp, demo(Path(tmp)) as base:
        shoot(base, Path(tmp), args.out)
    return 0


class _Quiet(WSGIRequestHandler):
    def log_request(self, *args: object, **kwargs: object) -> None:
        """Log no request line: the output is the figures (or the files written)."""


@contextmanager
def demo(tmp: Path) -> Iterator[str]:
    """Serve the demo (with FINANCE_CONTRACTS signed) from a database in ``tmp``; yield its base URL."""
    url = f"sqlite:///{tmp}/clm.sqlite3"
    upgrade_database(url)
    app = create_app({"DATABASE_URL": url, "INSTANCE_PATH": str(tmp), "SECRET_KEY": "screenshots"})
    with db.transaction_for(db.sessionmaker_for(app)) as session:
        seed(session)
    extract_all(app)
    seed_finance(app)
    server = make_server("127.0.0.1", 0, app, threaded=True, request_handler=_Quiet)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()


#: Every screenshot is the first screen of a 1366 px wide window (390 px for the signer's phone),
#: reduced to 256 colours: small files that still read well in the README.
DESK = {"width": 1366, "height": 900}
PHONE = {"width": 390, "height": 844}


def sign_in(browser: Any, base: str, email: str, viewport: dict[str, int] = DESK) -> Any:
    page = browser.new_page(viewport=viewport)
    page.goto(f"{base}/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{base}/")
    return page


def shoot(base: str, instance: Path, out: Path) -> None:
    from playwright.sync_api import sync_playwright

    shots: list[Path] = []

    def snap(page: Any, name: str) -> None:
        path = out / f"{name}.png"
        page.screenshot(path=str(path))
        shots.append(path)

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", headless=True,
                                             args=["--no-sandbox", "--disable-gpu", "--no-first-run",
                                                   "--disable-background-networking"])
        page = browser.new_page(viewport=DESK)
        page.goto(f"{base}/login")
        snap(page, "login")
        page.close()
        page = sign_in(browser, base, "legal@example.com")
        snap(page, "contracts")
        page.goto(f"{base}/contracts/1")
        snap(page, "contract")
        for tab in ("versions", "redline", "clauses", "terms", "signature"):
            page.goto(f"{base}/contracts/1?tab={tab}")
            snap(page, f"contract-{tab}")
        # A correction clm cannot read: the error is shown beside the field, where the user is.
        row = page.goto(f"{base}/contracts/1?tab=terms") and page.locator("#term-payment_terms")
        row.get_by_label("Corrected Payment terms").fill("whenever convenient")
        row.get_by_role("button", name="Correct Payment terms", exact=True).click()
        page.wait_for_load_state()
        snap(page, "contract-terms-error")
        page.goto(f"{base}/contracts/1/versions/2")
        snap(page, "version")
        for view, name in (("inline", "compare"), ("side", "compare-side"), ("changes", "compare-changes")):
            page.goto(f"{base}/contracts/1/compare?from=1&to=2&view={view}")
            snap(page, name)
        page.goto(f"{base}/quotes/new")
        snap(page, "quote-configure")
        page.goto(f"{base}/verify")
        snap(page, "verify")
        # Approve the one deviation, send for signature, and open the signer's page from the email.
        page.goto(f"{base}/contracts/1?tab=clauses")
        row = page.locator("table.clauses tr.review")
        row.get_by_label("Comment on Confidentiality").fill("Regulators only")
        row.get_by_role("button", name="Approve Confidentiality").click()
        page.goto(f"{base}/contracts/1?tab=signature")
        page.get_by_role("link", name="Send for signature").click()
        page.get_by_label("Name 1").fill("Pat Signer")
        page.get_by_label("Email 1").fill("pat@contoso.example")
        page.get_by_role("button", name="Send", exact=True).click()
        page.wait_for_load_state()
        snap(page, "envelope")
        mail = next((instance / "outbox").glob("*.eml")).read_text(encoding="utf-8", errors="replace")
        token = LINK.search(mail).group(1)  # type: ignore[union-attr]
        phone = browser.new_page(viewport=PHONE)
        phone.goto(f"{base}/sign/{token}")
        snap(phone, "signing-consent")
        phone.get_by_label("I agree to use electronic records and signatures").check()
        phone.get_by_role("button", name="Continue").click()
        phone.get_by_label("Full name").fill("Pat Signer")
        phone.locator("#sig-preview").scroll_into_view_if_needed()
        snap(phone, "signing")
        # Finance: the dashboard's charts over the signed contracts seed_finance() made, and one of them.
        money = sign_in(browser, base, "finance@example.com")
        money.goto(f"{base}/finance")
        snap(money, "finance")
        money.goto(f"{base}/finance/contracts")
        snap(money, "finance-contracts")
        signed = money.get_by_role("link", name="Globex hosting").first.get_attribute("href")
        contract_id = re.search(r"/contracts/(\d+)", signed).group(1)  # type: ignore[union-attr, arg-type]
        money.goto(f"{base}/contracts/{contract_id}?tab=finance")
        snap(money, "contract-finance")
        money.goto(f"{base}/contracts/{contract_id}/commercial-terms")
        snap(money, "terms-form")
        admin = sign_in(browser, base, "admin@example.com")
        admin.goto(f"{base}/admin/tokens")
        snap(admin, "admin-tokens")
        browser.close()
    from PIL import Image

    for path in shots:
        with Image.open(path) as image:
            small = image.convert("RGB").quantize(colors=256, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE)
        small.save(path, optimize=True)
        print(path.relative_to(ROOT), path.stat().st_size, "bytes")


if __name__ == "__main__":
    raise SystemExit(main())
