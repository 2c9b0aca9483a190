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
