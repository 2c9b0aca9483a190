"""The dependency rules of ARCHITECTURE.md, checked by import-linter (contracts in setup.cfg)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_import_contracts_are_kept():
    script = Path(sys.executable).parent / "lint-imports"
    result = subprocess.run([str(script), "--config", str(ROOT / "setup.cfg"), "--no-cache"],
                            cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout
