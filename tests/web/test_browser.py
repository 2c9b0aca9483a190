"""Real-browser checks: Playwright driving Debian's chromium against a live clm server."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.conftest import sign_in

pytestmark = pytest.mark.browser


def test_sign_in_and_open_a_contract(demo_server, page):
    errors: list[str] = []
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    sign_in(page, demo_server)
    page.get_by_role("link", name="Master Subscription Agreement").click()
    assert page.get_by_role("heading", name="Master Subscription Agreement").is_visible()
    page.get_by_role("tab", name="Versions").click()
    rows = page.locator("table.versions tbody tr")
    assert rows.count() == 3
    assert "counterparty" in rows.nth(1).inner_text()
    page.get_by_role("link", name="v2").click()
    assert page.locator("article.document").get_by_text("to its auditors and regulators", exact=False).is_visible()
    assert errors == []  # no CSP violations or script errors


def test_upload_a_version_in_the_browser(demo_server, page, tmp_path):
    sign_in(page, demo_server)
    page.goto(f"{demo_server}/contracts/3")
    page.get_by_role("tab", name="Versions").click()
    new_file = tmp_path / "order-form-v2.txt"
    new_file.write_text("ORDER FORM No. 2026-014\nFees: USD 55,000.00 per year\n")
    page.get_by_label("File").set_input_files(str(new_file))
    page.get_by_role("button", name="Upload").click()
    page.wait_for_load_state()
    assert page.get_by_role("status").inner_text() == "Version 2 stored."
    assert page.locator("#upload").get_by_role("status").is_visible()  # beside the form, on its tab
    assert "tab=versions" in page.url
    assert page.locator("table.versions tbody tr").count() == 2


def test_see_a_term_follow_its_evidence_and_confirm_it(demo_server, page):
    sign_in(page, demo_server)
    page.goto(f"{demo_server}/contracts/1")
    page.get_by_role("tab", name="Terms").click()
    row = page.locator("#term-governing_law")
    assert "Delaware" in row.inner_text() and "changed (was New York)" not in row.inner_text()
    assert "payment terms" in page.locator("#term-payment_terms").inner_text().lower()
    row.get_by_role("link", name="show in text").click()
    mark = page.locator("mark#evidence")
    assert "governed by the laws of the State of Delaware" in mark.inner_text()
    assert mark.is_visible()
    page.go_back()
    assert page.locator("#term-governing_law").is_visible()  # back on the Terms tab
    page.locator("#term-governing_law").get_by_role("button", name="Confirm Governing law").click()
    assert page.get_by_role("status").inner_text() == "Governing law confirmed."
    assert page.locator("#term-governing_law").get_by_role("status").is_visible()
    row = page.locator("#term-governing_law")
    assert "confirmed" in row.inner_text() and "legal@example.com" in row.inner_text()


def test_compare_two_versions_and_download_the_docx(demo_server, page, tmp_path):
    from tests.versions.test_docx_io import texts

    sign_in(page, demo_server)
    page.goto(f"{demo_server}/contracts/1?tab=redline")
    page.get_by_label("Compare", exact=True).select_option("1")
    page.get_by_label("with", exact=True).select_option("2")
    page.get_by_role("button", name="Show redline").click()
    page.wait_for_url("**/contracts/1/compare?from=1&to=2")
    inline = page.locator("#rl-inline")
    assert inline.locator("ins").filter(has_text="auditors and regulators").count() >= 1
    assert not page.locator("#rl-side").is_visible()  # one view at a time
    page.get_by_role("tab", name="Side by side").click()
    assert page.locator("#rl-side").is_visible() and not inline.is_visible()
    assert "view=side" in page.url
    with page.expect_download() as info:
        page.get_by_role("link", name="Download DOCX with tracked changes").click()
    target = tmp_path / "redline.docx"
    info.value.save_as(target)
    assert info.value.suggested_filename == "Master Subscription Agreement v1-v2 redline.docx"
    accepted = texts(target.read_bytes(), "accept")
    assert any("to its auditors and regulators without notice" in p for p in accepted)
    assert not any("auditors and regulators" in p for p in texts(target.read_bytes(), "reject"))


def test_approving_the_last_deviation_unblocks_signature(demo_server, page):
    sign_in(page, demo_server)
    page.goto(f"{demo_server}/contracts/1?tab=signature")
    assert "Sending for signature is blocked: 1 clause(s)" in page.locator(".signing-panel").inner_text()
    assert page.get_by_role("link", name="Send for signature").count() == 0
    page.locator(".signing-panel").get_by_role("link", name="Clauses").click()
    row = page.locator("table.clauses tr.review")
    assert row.count() == 1 and "Confidentiality" in row.inner_text() and "nonstandard" in row.inner_text()
    row.locator("summary").click()
    assert "auditors and regulators" in row.locator("ins").first.inner_text()
    row.get_by_label("Comment on Confidentiality").fill("Regulators only; agreed on the call")
    row.get_by_role("button", name="Approve Confidentiality").click()
    assert page.get_by_role("status").inner_text() == "Clause approved."
    assert page.locator("table.clauses").get_by_role("status").is_visible()  # beside the clause
    assert page.locator("table.clauses tr.review").count() == 0
    page.get_by_role("tab", name="Signature").click()
    assert page.get_by_role("link", name="Send for signature").is_visible()


def test_contract_tabs_by_keyboard_and_by_url(demo_server, page):
    sign_in(page, demo_server)
    page.goto(f"{demo_server}/contracts/1")
    # The first screen: status, parties, value, next deadline; the Overview tab open, the rest closed.
    facts = page.get_by_label("Key facts")
    assert facts.is_visible() and "Next deadline" in facts.inner_text() and "Parties" in facts.inner_text()
    assert page.get_by_role("tab", name="Overview").get_attribute("aria-selected") == "true"
    assert not page.locator("#terms").is_visible()
    tab = page.get_by_role("tab", name="Overview")
    tab.focus()
    page.keyboard.press("ArrowRight")
    assert page.get_by_role("tab", name="Versions").get_attribute("aria-selected") == "true"
    assert page.get_by_role("tabpanel").count() == 1 and page.locator("#versions").is_visible()
    page.keyboard.press("End")
    last = page.get_by_role("tab").last
    assert last.get_attribute("aria-selected") == "true"
    assert page.evaluate("document.activeElement.id") == last.get_attribute("id")
    assert "tab=" in page.url
    page.reload()  # the URL keeps the open tab
    assert last.get_attribute("aria-selected") == "true"
    # Only the open tab's panel takes room: the page is short whichever tab is open.
    for key in ("overview", "versions", "clauses", "terms", "signature"):
        page.goto(f"{demo_server}/contracts/1?tab={key}")
        assert page.locator(f"#{key}").is_visible()
        assert page.evaluate("document.documentElement.scrollHeight") < 2600, key


def test_tabs_work_without_javascript(demo_server, page):
    context = page.context.browser.new_context(java_script_enabled=False, viewport={"width": 1366, "height": 900})
    plain = context.new_page()
    sign_in(plain, demo_server)
    plain.goto(f"{demo_server}/contracts/1")
    assert not plain.locator("#terms").is_visible()
    plain.get_by_role("tab", name="Terms").click()
    plain.wait_for_url("**/contracts/1?tab=terms")
    assert plain.locator("#terms").is_visible() and not plain.locator("#overview").is_visible()
    assert plain.get_by_role("tab", name="Terms").get_attribute("aria-selected") == "true"
    plain.goto(f"{demo_server}/contracts/1/compare?from=1&to=2")
    assert plain.locator("#rl-inline").is_visible() and not plain.locator("#rl-changes").is_visible()
    plain.get_by_role("tab", name="Changes").click()
    # Without the script the tab is a link: wait for the page it opens (expect retries until it shows).
    expect(plain.locator("#rl-changes")).to_be_visible()
    expect(plain.locator("#rl-inline")).to_be_hidden()
    # A change in the list opens the inline view at that change, without the script too.
    first = plain.locator("#rl-changes a").first
    target = first.get_attribute("href")
    assert target and target.startswith("#")
    first.click()
    expect(plain.locator("#rl-inline")).to_be_visible()
    expect(plain.locator("#rl-changes")).to_be_hidden()
    expect(plain.locator(f"#rl-inline {target}")).to_be_visible()
    context.close()


def test_a_bad_correction_is_reported_beside_the_field(demo_server, page):
    sign_in(page, demo_server)
    page.goto(f"{demo_server}/contracts/1?tab=terms")
    row = page.locator("#term-payment_terms")
    row.get_by_label("Corrected Payment terms").fill("whenever convenient")
    row.get_by_role("button", name="Correct Payment terms", exact=True).click()
    page.wait_for_load_state()
    alert = page.locator("#term-payment_terms").get_by_role("alert")
    assert alert.is_visible() and "Payment terms" in alert.inner_text()
    assert page.get_by_role("alert").count() == 1  # not repeated at the top of the page
    field = page.get_by_label("Corrected Payment terms")
    assert field.get_attribute("aria-invalid") == "true"
    assert field.get_attribute("aria-describedby") == alert.get_attribute("id")
    box, height = alert.bounding_box(), page.viewport_size["height"]
    assert box is not None and 0 <= box["y"] <= height  # on screen where the user is, not far above


def test_compare_views_one_at_a_time_and_a_change_opens_inline(demo_server, page):
    sign_in(page, demo_server)
    page.goto(f"{demo_server}/contracts/1/compare?from=1&to=2&view=changes")
    assert page.locator("#rl-changes").is_visible() and not page.locator("#rl-inline").is_visible()
    height = page.evaluate("document.documentElement.scrollHeight")
    page.locator("#rl-changes a").first.click()
    assert page.locator("#rl-inline").is_visible() and not page.locator("#rl-changes").is_visible()
    assert page.get_by_role("tab", name="Inline").get_attribute("aria-selected") == "true"
    assert height < 4000


def test_commercial_terms_form_prices_as_you_type(demo_server, page):
    sign_in(page, demo_server, "finance@example.com")
    page.goto(f"{demo_server}/contracts/1/commercial-terms")
    page.get_by_label("Currency").fill("USD")
    line = page.locator("[data-line]").first
    line.get_by_label("Price", exact=True).fill("")
    line.get_by_label("Quantity").fill("25")
    line.get_by_label("Unit price").fill("40")
    line.get_by_label("Billing frequency").select_option("monthly")
    assert line.locator("output").inner_text() == "USD 1,000.00 per month (25 × USD 40.00)"
    line.get_by_label("Price", exact=True).fill("12000")
    assert line.locator("output").inner_text() == "USD 12,000.00"
    assert page.locator("[data-total]").inner_text() == "USD 12,000.00"
    page.get_by_role("button", name="Add a line").click()
    assert page.locator("[data-line]").count() == 2
    assert page.get_by_label("Price", exact=True).first.input_value() == "12000"  # what was typed is kept
    page.get_by_role("button", name="Remove line 2").click()
    assert page.locator("[data-line]").count() == 1
    page.get_by_role("button", name="Save terms").click()
    page.wait_for_load_state()
    assert page.get_by_role("alert").first.is_visible()  # no service dates yet: refused, beside the fields
    assert page.locator(".field-error").count() >= 1


def test_an_undated_evergreen_order_form_on_the_terms_tab_and_the_send_page(demo_server, page, tmp_path):
    sign_in(page, demo_server)
    page.goto(f"{demo_server}/contracts/3?tab=versions")
    evergreen = tmp_path / "order-form-evergreen.txt"
    evergreen.write_text("ORDER FORM No. 2026-015, made this ___ day of __________, 2026\n\n"
                         "1. Term. This Order Form commences on January 1, 2026 and "
                         "shall continue for an initial term of one (1) year. Thereafter, it shall automatically "
                         "continue until terminated by either party upon not less than thirty (30) days' prior "
                         "written notice.\n")
    page.get_by_label("File").set_input_files(str(evergreen))
    page.get_by_role("button", name="Upload").click()
    page.wait_for_load_state()
    page.goto(f"{demo_server}/contracts/3?tab=terms")
    row = page.locator("#term-renewal_term")
    assert "until terminated (evergreen)" in row.inner_text()
    checks = page.get_by_role("list", name="To check in this version")
    assert "the agreement date is left blank: \u201cthis ___ day of __________, 2026\u201d" in checks.inner_text()
    assert "30 days" in page.locator("#term-non_renewal_notice").inner_text()
    # The initial term's end is a date; a person who reads it as open-ended says so in words.
    end = page.locator("#term-expiration_date")
    end.get_by_label("Corrected Expiration date").fill("until terminated")
    end.get_by_role("button", name="Correct Expiration date", exact=True).click()
    page.wait_for_load_state()
    assert "none: runs until terminated (perpetual)" in page.locator("#term-expiration_date").inner_text()
    # ... and whoever prepares the envelope is told the date is still blank.
    page.goto(f"{demo_server}/contracts/3/envelopes/new")
    warning = page.locator("#blanks")
    assert warning.is_visible() and "this ___ day of __________, 2026" in warning.inner_text()
