"""The archive: a folder of 50 real-size Word contracts imported from the command line, then searched."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from tests.journeys.conftest import Installation, sign_in
from tests.journeys.documents import archive, archive_plan

pytestmark = [pytest.mark.journey, pytest.mark.browser]


def test_import_a_folder_of_contracts_and_find_them(clm_site: Installation, page, tmp_path: Path) -> None:
    site = clm_site
    folder = tmp_path / "drive"
    plan = {entry.path: entry for entry in archive_plan(50)}
    for relative, data in archive(50):
        target = folder / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
    sizes = sorted(p.stat().st_size for p in folder.rglob("*.docx"))
    assert len(sizes) == 50 and sizes[-1] > 1_000_000  # real files: some over a megabyte

    report = tmp_path / "import.csv"
    done = site.clm("import", str(folder), "--recursive", "--report", str(report), timeout=900)
    rows = list(csv.DictReader(report.open(encoding="utf-8")))
    assert [r["outcome"] for r in rows].count("imported") == 50, [r for r in rows if r["outcome"] != "imported"]
    assert "ETA" in done.stderr  # progress was shown
    again = site.clm("import", str(folder), "--recursive", timeout=900)
    assert again.stdout.count("already stored") == 50  # a rerun resumes: nothing twice

    contract_of = {Path(r["path"]).relative_to(folder).as_posix(): int(r["contract_id"]) for r in rows}

    # Legal searches the archive in the browser for a counterparty named in one contract.
    entry = plan[sorted(plan)[7]]
    sign_in(page, site, "legal")
    page.goto(f"{site.url}/search")
    page.get_by_label("Words").fill(f'"{entry.terms.customer}"')
    page.get_by_role("button", name="Search").click()
    hits = page.locator("ol.search-hits > li")
    assert hits.count() >= 1
    assert hits.first.get_by_role("link").get_attribute("href").startswith(f"/contracts/{contract_of[entry.path]}/")
    assert entry.terms.customer.split()[0] in hits.first.locator(".snippet").inner_text()

    # Finance pulls the contracts governed by one law over the API: the extracted terms filter it.
    law = entry.terms.governing_law
    found = site.api("finance").get(f"{site.url}/api/v1/search", timeout=60,
                                    params={"q": "agreement", "governing_law": law, "limit": 100}).json()
    expected = {contract_of[path] for path, e in plan.items() if e.terms.governing_law == law}
    assert {hit["contract_id"] for hit in found["hits"]} == expected


def test_an_undated_evergreen_contract_from_the_archive(clm_site: Installation, page, tmp_path: Path) -> None:
    # One file imported by the command (its own process); legal sees the blank date on the Terms
    # tab and on the send page, finance reads the evergreen renewal term over the API.
    site = clm_site
    contract = tmp_path / "reseller-agreement.txt"
    contract.write_text(
        "RESELLER AGREEMENT\n\nThis Reseller Agreement is made this ___ day of __________, 2026 by and between "
        "Northwind Traders Inc. and Contoso Retail LLC.\n\n1. Term. This Agreement shall commence on "
        "January 1, 2026 and continue for an initial term of one (1) year. Thereafter, it shall automatically "
        "continue until terminated by either party upon not less than thirty (30) days' prior written notice.\n\n"
        "2. Governing law. This Agreement is governed by the laws of the State of New York.\n", encoding="utf-8")
    contract_id = site.import_file(contract)

    terms = site.api("finance").get(f"{site.url}/api/v1/contracts/{contract_id}/terms", timeout=60).json()
    extracted = terms["extracted"]
    assert extracted["renewal_term"]["value"] == "perpetual" and extracted["renewal_term"]["needs_review"]
    assert extracted["non_renewal_notice"]["value"] == "P30D"
    assert "agreement_date" not in extracted  # a blank is no date

    sign_in(page, site, "legal")
    page.goto(f"{site.url}/contracts/{contract_id}?tab=terms")
    assert "until terminated (evergreen)" in page.locator("#term-renewal_term").inner_text()
    checks = page.get_by_role("list", name="To check in this version").inner_text()
    assert "the agreement date is left blank: \u201cthis ___ day of __________, 2026\u201d" in checks
    page.goto(f"{site.url}/contracts/{contract_id}/envelopes/new")
    assert "this ___ day of __________, 2026" in page.locator("#blanks").inner_text()
