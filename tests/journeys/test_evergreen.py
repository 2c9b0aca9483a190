"""An evergreen contract, from the text that says so to the day it runs on with no fixed end.

Legal imports a reseller agreement whose term, after its first year, "shall automatically continue
until terminated", confirms the terms clm read from it, finance attaches the commercial terms the
form prefills from them, the signer signs, and then each cron command runs as its own process:
the order is built, the renewal calendar lists the one notice deadline that matters (the last
chance to end the agreement with its initial term), the reminder says it runs on afterwards, and
past the initial term nothing is rolled into invented renewal terms.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest

from tests.journeys.conftest import USERS, Installation, sign_as_signer, sign_in, sign_out, watch_console

pytestmark = [pytest.mark.journey, pytest.mark.browser]
TITLE = "RESELLER AGREEMENT"   # the title clm import takes from the first line


def _first_of_next_month(today: dt.date) -> dt.date:
    return (today.replace(day=1) + dt.timedelta(days=32)).replace(day=1)


def _words(day: dt.date) -> str:
    return f"{day:%B} {day.day}, {day.year}"


def test_an_evergreen_contract_is_signed_reminded_once_and_then_runs_on(clm_site: Installation, page,
                                                                      tmp_path: Path) -> None:
    site = clm_site
    start = _first_of_next_month(dt.date.today())
    end = start.replace(year=start.year + 1) - dt.timedelta(days=1)       # the initial term: one year
    text = tmp_path / "reseller-agreement.txt"
    text.write_text(
        f"RESELLER AGREEMENT\n\nThis Reseller Agreement is made as of {_words(dt.date.today())} by and between "
        "Northwind Traders Inc. and Contoso Retail LLC.\n\n"
        f"1. Term. This Agreement shall commence on {_words(start)} and continue for an initial term of one (1) "
        "year. Thereafter, it shall automatically continue until terminated by either party upon not less than "
        "thirty (30) days' prior written notice.\n\n"
        "2. Governing law. This Agreement is governed by the laws of the State of New York.\n", encoding="utf-8")
    contract_id = site.import_file(text)
    errors = watch_console(page)

    # Legal confirms what clm read: the dates, the initial term and the evergreen renewal.
    sign_in(page, site, "legal")
    page.goto(f"{site.url}/contracts/{contract_id}?tab=terms")
    assert "until terminated (evergreen)" in page.locator("#term-renewal_term").inner_text()
    for label in ("Effective date", "Initial term", "Auto-renewal", "Renewal term", "Non-renewal notice",
                  "Governing law"):
        page.get_by_role("button", name=f"Confirm {label}", exact=True).click()
        assert page.locator("[role=alert]").count() == 0, page.locator("[role=alert]").inner_text()
    page.goto(f"{site.url}/contracts/{contract_id}")
    facts = page.locator("dl").first.inner_text()
    assert re.search(r"Next deadline\s+Notice of non-renewal: ", facts), facts
    assert "Northwind Traders Inc.; Contoso Retail LLC" in facts      # both parties, no defined terms
    # The term clause is not the library's: legal approves it, which unblocks signature.
    page.goto(f"{site.url}/contracts/{contract_id}?tab=clauses")
    row = page.locator("table.clauses tr.review")
    assert row.count() == 1, row.all_inner_texts()
    title = row.locator("td").first.inner_text().strip()
    row.locator("summary").click()
    row.get_by_label(f"Comment on {title}").fill("Evergreen after the first year: agreed")
    row.get_by_role("button", name=f"Approve {title}").click()
    assert page.get_by_role("status").inner_text() == "Clause approved."
    sign_out(page)

    # Finance attaches the commercial terms: the form is prefilled from the confirmed terms.
    sign_in(page, site, "finance")
    page.goto(f"{site.url}/contracts/{contract_id}/commercial-terms")
    assert page.get_by_label("Renewal term").input_value() == "until terminated"
    assert page.get_by_label("Renews automatically").is_checked()
    assert page.get_by_label("Service end").first.input_value() == end.isoformat()
    page.get_by_label("Currency").fill("USD")
    page.get_by_label("Price", exact=True).first.fill("12000.00")
    page.get_by_role("button", name="Save terms").click()
    assert page.locator(".error").count() == 0, page.locator(".error").all_inner_texts()
    sign_out(page)

    envelope = site.api("legal").post(f"{site.url}/api/v1/envelopes", timeout=120, json={
        "contract_id": contract_id, "subject": TITLE,
        "recipients": [{"name": "Carla Contoso", "email": "carla@contoso.example", "routing_order": 1}]})
    assert envelope.status_code == 201, envelope.text
    (link,) = site.links_for("carla@contoso.example")
    assert sign_as_signer(page, link, "Carla Contoso").startswith("Thank you, Carla Contoso")

    # The crons, each its own process.
    assert "Processed" in site.clm("downstream", "process").stdout
    finance = site.api("finance")
    renewal = finance.get(f"{site.url}/api/v1/contracts/{contract_id}/renewal",
                          params={"today": start.isoformat()}, timeout=60).json()
    assert (renewal["renewal_term"], renewal["evergreen"], renewal["term_end"]) == ("perpetual", True, end.isoformat())
    deadline = dt.date.fromisoformat(renewal["upcoming"]["notice_deadline"])
    # Thirty days before the term ends, moved back to a New York business day.
    assert end - dt.timedelta(days=34) <= deadline <= end - dt.timedelta(days=30) and deadline.weekday() < 5
    listed = site.clm("renewals", "--within", "400", "--today", start.isoformat()).stdout
    runs_on = end + dt.timedelta(days=1)
    assert (f"{contract_id}\t{TITLE}\tnotice by {deadline.isoformat()}\truns on until terminated from "
            f"{runs_on.isoformat()}") in listed, listed
    site.clm("renewals", "remind", "--today", (deadline - dt.timedelta(days=10)).isoformat())
    reminded = [m for m in site.mail() if "Renewal notice deadline" in str(m["Subject"])]
    assert {str(m["To"]) for m in reminded} == {USERS["finance"], USERS["legal"]}   # one mail each
    for mail in reminded:
        body = mail.get_body(preferencelist=("plain",)).get_content()
        assert f"ends its initial term on {_words(end)} and then runs on with no fixed end" in body

    # Past the initial term: no renewal term is invented, and notice ends it thirty days on.
    later = end + dt.timedelta(days=40)
    site.clm("renewals", "remind", "--today", later.isoformat())
    assert len([m for m in site.mail() if "Renewal notice deadline" in str(m["Subject"])]) == len(reminded)
    assert site.clm("renewals", "--within", "3650", "--today", later.isoformat()).stdout.strip() == ""
    renewal = finance.get(f"{site.url}/api/v1/contracts/{contract_id}/renewal",
                          params={"today": later.isoformat()}, timeout=60).json()
    assert renewal["upcoming"] is None
    assert renewal["runs_on"] == {"since": runs_on.isoformat(), "notice": "P30D",
                                  "earliest_end": (later + dt.timedelta(days=30)).isoformat()}

    # Finance reads it on the contract page today, before the initial term has ended.
    sign_in(page, site, "finance")
    page.goto(f"{site.url}/contracts/{contract_id}/commercial-terms")
    panel = re.sub(r"\s+", " ", page.locator(".downstream-panel").inner_text())
    assert f"runs on until terminated (evergreen) from {_words(runs_on)}" in panel, panel
    assert f"notice by {_words(deadline)} ends it with the initial term" in panel
    assert errors == [], errors
