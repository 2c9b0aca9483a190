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


def shoot(base: str, instance: Path, out: Path) -> None:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", headless=True,
                                             args=["--no-sandbox", "--disable-gpu", "--no-first-run",
                                                   "--disable-background-networking"])
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        page.goto(f"{base}/login")
        page.get_by_label("Email").fill("legal@example.com")
        page.get_by_label("Password").fill(DEMO_PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_url(f"{base}/")
        page.screenshot(path=str(out / "contracts.png"))
        page.goto(f"{base}/contracts/1")
        page.screenshot(path=str(out / "contract.png"), full_page=True)
        page.goto(f"{base}/contracts/1/compare?from=1&to=2")
        page.screenshot(path=str(out / "compare.png"))
        # Approve the one deviation, send for signature, and open the signer's page from the email.
        page.goto(f"{base}/contracts/1")
        row = page.locator("table.clauses tr.review")
        row.get_by_label("Comment on Confidentiality").fill("Regulators only")
        row.get_by_role("button", name="Approve Confidentiality").click()
        page.get_by_role("link", name="Send for signature").click()
        page.get_by_label("Name 1").fill("Pat Signer")
        page.get_by_label("Email 1").fill("pat@contoso.example")
        page.get_by_role("button", name="Send", exact=True).click()
        page.wait_for_load_state()
        mail = next((instance / "outbox").glob("*.eml")).read_text(encoding="utf-8", errors="replace")
        token = LINK.search(mail).group(1)  # type: ignore[union-attr]
        phone = browser.new_page(viewport={"width": 420, "height": 900})
        phone.goto(f"{base}/sign/{token}")
        phone.screenshot(path=str(out / "signing-consent.png"))
        phone.get_by_label("I agree to use electronic records and signatures").check()
        phone.get_by_role("button", name="Continue").click()
        phone.get_by_label("Full name").fill("Pat Signer")
        phone.locator("#sig-preview").scroll_into_view_if_needed()
        phone.screenshot(path=str(out / "signing.png"))
        # Finance: the dashboard's charts over the signed contracts seed_finance() made.
        money = browser.new_page(viewport={"width": 1280, "height": 1000})
        money.goto(f"{base}/login")
        money.get_by_label("Email").fill("finance@example.com")
        money.get_by_label("Password").fill(DEMO_PASSWORD)
        money.get_by_role("button", name="Sign in").click()
        money.wait_for_url(f"{base}/")
        money.goto(f"{base}/finance")
        money.screenshot(path=str(out / "finance.png"))
        browser.close()
    for path in sorted(out.glob("*.png")):
        print(path.relative_to(ROOT), path.stat().st_size, "bytes")


if __name__ == "__main__":
    raise SystemExit(main())
