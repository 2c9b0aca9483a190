"""Every command the README tells people to cron works from a bare shell, in its own process.

In-process tests (CliRunner) import every model through the test suite's conftest; a real cron
run imports only what the command imports, which once left ``clm downstream process`` unable to
resolve the signing tables and failing every event.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from clm.downstream.models import Invoice, Order

CLM = [sys.executable, "-c", "from clm.cli import main; main()"]


def run_clm(args: list[str], cli_env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    """Run ``clm ARGS`` in a new Python process with only the environment a cron job has."""
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(cwd), "LANG": "C.UTF-8", **cli_env}
    return subprocess.run([*CLM, *args], env=env, cwd=cwd, capture_output=True, text=True, timeout=300)


def test_downstream_process_turns_a_pending_event_into_an_order(make_signed: Any, plain: Any, cli_env: dict[str, str],
                                                               tmp_path: Path) -> None:
    signed = make_signed()  # completed through `plain`: its event waits for a processor
    done = run_clm(["downstream", "process"], cli_env, tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Processed 1 of 1 pending event(s)." in done.stdout
    with plain() as s:
        order = s.scalar(select(Order).where(Order.envelope_id == signed.envelope_id))
        assert order is not None
        assert s.scalar(select(func.count(Invoice.id)).where(Invoice.contract_id == signed.contract_id)) > 0
    again = run_clm(["downstream", "process"], cli_env, tmp_path)
    assert again.returncode == 0 and "Processed 0 of 0" in again.stdout


def test_every_cron_command_runs_in_its_own_process(make_signed: Any, cli_env: dict[str, str], tmp_path: Path) -> None:
    make_signed()
    for args in (["signing", "sweep"], ["renewals", "remind"], ["extract-stored"], ["audit", "check"],
                 ["downstream", "process"], ["renewals", "--within", "400"]):
        done = run_clm(args, cli_env, tmp_path)
        assert done.returncode == 0, (args, done.stdout, done.stderr)
        assert "Traceback" not in done.stderr and "internal error" not in done.stderr, (args, done.stderr)
