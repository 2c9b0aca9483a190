"""Documents as they look, in a real browser: a drafted MSA's headings, numbers and tables in the
version view and on the signing page (on a phone, without sideways scrolling), then the signer's
copy through their used link, and the verify page telling them about it in words."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import select

from clm import db
from clm.app import create_app
from clm.signing import envelopes
from clm.versions.models import Contract
from tests.conftest import serving, sign_in
from clm.signing.models import Envelope, EnvelopeStatus
from tests.signing.conftest import LEGAL, NO_APPROVALS, tokens_in

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}
NO_SIDEWAYS_SCROLL = "document.documentElement.scrollWidth <= window.innerWidth"
#: What sticks out past the right edge (to name it when the page scrolls sideways).
STICKING_OUT = """[...document.querySelectorAll("body *")]
    .filter(el => el.getBoundingClientRect().right > window.innerWidth + 1).slice(-5)
    .map(el => `${el.tagName}.${el.className} ${Math.round(el.getBoundingClientRect().right)} ${el.textContent.slice(0, 40)}`)
    .concat([document.documentElement.scrollWidth])"""


def fits(page: Any) -> None:
    """Assert the page does not scroll sideways, naming what sticks out when it does."""
    page.wait_for_load_state("load")
    assert page.evaluate(NO_SIDEWAYS_SCROLL), page.evaluate(STICKING_OUT)


@pytest.fixture
def live(app_config: dict[str, Any]) -> Iterator[tuple[str, Any]]:
    """A demo-seeded clm served on a free port: (base URL, app)."""
    from clm.demo import seed

    app = create_app(app_config)
    with db.transaction_for(db.sessionmaker_for(app)) as session:
        seed(session)
    with serving(app) as url:
        yield url, app
    app.extensions["clm_db"].kw["bind"].dispose()


def _msa(factory: Any) -> int:
    with factory() as s:
        return s.scalar(select(Contract.id).where(Contract.title == "Master Subscription Agreement"))


def test_the_version_view_shows_headings_numbers_and_tables(live, page):
    base, app = live
    contract_id = _msa(db.sessionmaker_for(app))
    errors: list[str] = []
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    sign_in(page, base)
    page.goto(f"{base}/contracts/{contract_id}/versions/1")
    document = page.locator("article.document")
    assert document.get_by_role("heading", name="Master Subscription Agreement").is_visible()
    definitions = document.get_by_role("heading", name="1. Definitions")
    assert definitions.is_visible() and definitions.evaluate("el => el.tagName") == "H2"
    assert document.locator("h2").count() > 10
    assert document.locator("p", has_text="“Affiliate” means").count() + \
        document.locator("p", has_text='"Affiliate" means').count() == 1
    assert document.locator(".num", has_text="1.1.").first.is_visible()
    # The two-party signature block keeps its two columns.
    block = document.locator("table.signature-block")
    assert block.count() == 1
    first_row = block.locator("tr").first.locator("td")
    assert first_row.count() == 2
    assert "Northwind" in first_row.nth(0).inner_text() and "Contoso" in first_row.nth(1).inner_text()
    left, right = (first_row.nth(k).bounding_box() for k in (0, 1))
    assert right["x"] > left["x"] + left["width"] - 1 and abs(right["y"] - left["y"]) < 2
    fits(page)
    assert errors == []  # the CSP allows everything the page uses


def test_signing_on_a_phone_then_the_copy_and_the_verify_page(live, page, tmp_path):
    base, app = live
    factory = db.sessionmaker_for(app)
    contract_id = _msa(factory)
    recipients = [envelopes.RecipientInput(name="Nora North", email="nora@northwind.test", routing_order=1),
                  envelopes.RecipientInput(name="Carl Contoso", email="carl@contoso.test", routing_order=1)]
    with db.transaction_for(factory) as s:
        envelope = envelopes.create(s, contract_id, subject="MSA", message="", recipients=recipients, client=LEGAL,
                                    now=db.utcnow(), approvals=NO_APPROVALS)
        tokens = tokens_in(envelopes.send(s, envelope.id, client=LEGAL, now=db.utcnow(), link_base=base,
                                          approvals=NO_APPROVALS))
        envelope_id = envelope.id
    phone = page.context.browser.new_context(viewport=PHONE, accept_downloads=True)
    signer = phone.new_page()
    errors: list[str] = []
    signer.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    link = f"{base}/sign/{tokens['nora@northwind.test']}"
    signer.goto(link)
    fits(signer)
    signer.get_by_label("I agree to use electronic records and signatures").check()
    signer.get_by_role("button", name="Continue").click()
    document = signer.locator("article.document")
    assert document.get_by_role("heading", name="1. Definitions").is_visible()
    assert document.locator("table.signature-block tr").first.locator("td").count() == 2
    # Her own block (Northwind's, the first column) says where her signature goes.
    here = document.locator("table.signature-block td", has_text="Your signature goes here")
    assert here.count() == 1 and "Northwind" not in here.inner_text()
    first_column_x = document.locator("table.signature-block tr").first.locator("td").first.bounding_box()["x"]
    assert abs(here.bounding_box()["x"] - first_column_x) < 2
    fits(signer)
    signer.get_by_label("Full name").fill("Nora North")
    signer.get_by_role("button", name="Finish").click()
    assert signer.get_by_role("status").is_visible()
    fits(signer)

    # She comes back through the same link: what she signed, and her copy.
    signer.goto(link)
    assert signer.get_by_role("heading", name="You signed this on").is_visible()
    fits(signer)
    with signer.expect_download() as waiting:
        signer.get_by_role("link", name="Download your copy").click()
    assert waiting.value.path().read_bytes().startswith(b"%PDF-")

    # Carl signs on his own phone; the server completes the envelope; her link now gives the sealed PDF.
    carl = phone.new_page()
    carl.goto(f"{base}/sign/{tokens['carl@contoso.test']}")
    carl.get_by_label("I agree to use electronic records and signatures").check()
    carl.get_by_role("button", name="Continue").click()
    carl.get_by_label("Full name").fill("Carl Contoso")
    carl.get_by_role("button", name="Finish").click()
    assert carl.get_by_role("status").is_visible()
    with factory() as s:
        assert s.get(Envelope, envelope_id).status is EnvelopeStatus.COMPLETED
    signer.goto(link)
    assert signer.get_by_text("Everyone has signed").is_visible()
    with signer.expect_download() as waiting:
        signer.get_by_role("link", name="Download your copy").click()
    sealed = tmp_path / "signed.pdf"
    waiting.value.save_as(sealed)

    # The verify page, linked from there: upload it, read the answer in words.
    signer.get_by_role("link", name="verification page").click()
    fits(signer)
    signer.get_by_label("Signed PDF").set_input_files(str(sealed))
    signer.get_by_role("button", name="Verify").click()
    assert signer.get_by_role("heading", name="Valid: unchanged since it was sealed").is_visible()
    answer = signer.get_by_role("status").inner_text()
    assert "Sealed by" in answer and "document seal" in answer
    assert "Nora North" in answer and "Carl Contoso" in answer and "Nothing has changed" in answer
    fits(signer)
    # A changed file is told apart, in words.
    changed = bytearray(sealed.read_bytes())
    middle = len(changed) // 2
    changed[middle] = (changed[middle] + 1) % 256
    (tmp_path / "changed.pdf").write_bytes(bytes(changed))
    signer.get_by_label("Signed PDF").set_input_files(str(tmp_path / "changed.pdf"))
    signer.get_by_role("button", name="Verify").click()
    assert signer.get_by_role("heading", name="Not valid").is_visible()
    assert "has been changed since it was sealed" in signer.get_by_role("status").inner_text()
    assert errors == []
    phone.close()
