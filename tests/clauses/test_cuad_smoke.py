"""Smoke check: `clm extract --jsonl` on a slice of CUAD dev, scored by the shared scorer."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from clm.cli import main

SHARED = Path(__file__).resolve().parents[3] / "shared"
GOLD = SHARED / "data" / "cuad" / "dev"
SCORER = SHARED / "tools" / "score_extraction.py"
SLICE = 25

if not (GOLD / "labels.jsonl").exists():
    if os.environ.get("CI"):
        raise RuntimeError(f"CUAD dev data missing at {GOLD}")
    pytest.skip("shared CUAD data not beside the repository", allow_module_level=True)


def _head(path: Path, n: int) -> list[str]:
    with path.open(encoding="utf-8") as handle:
        return [next(handle) for _ in range(n)]


def test_extract_a_cuad_slice_and_score_it(tmp_path: Path):
    gold = tmp_path / "gold"
    gold.mkdir()
    for name in ("contracts.jsonl", "labels.jsonl"):
        (gold / name).write_text("".join(_head(GOLD / name, SLICE)), encoding="utf-8")
    result = CliRunner().invoke(main, ["extract", "--jsonl", str(gold / "contracts.jsonl")])
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert len(lines) == SLICE
    first = json.loads(lines[0])
    assert set(first) == {"id", "fields", "evidence", "confidence", "derived"}
    assert set(first["evidence"]) == set(first["fields"]) == set(first["confidence"])
    predictions = tmp_path / "predictions.jsonl"
    predictions.write_text(result.stdout, encoding="utf-8")
    scored = subprocess.run([sys.executable, str(SCORER), str(gold), str(predictions), "--json"],
                            capture_output=True, text=True, timeout=120)
    assert scored.returncode == 0, scored.stderr
    report = json.loads(scored.stdout)
    fields = report["fields"]
    # Floors far below the measured dev figures (README): this catches a broken pipeline,
    # not a small regression; benchmarks/extraction.py measures accuracy.
    assert fields["governing_law"]["f1"] >= 0.8
    assert fields["parties"]["f1"] >= 0.8
    assert report["summary"]["presence_macro_f1"] >= 0.5
