"""Ingest the 351 CUAD dev contracts through `clm import DIR --recursive`: inline vs RQ workers.

    python benchmarks/ingest.py                      # inline, then 2 RQ workers
    python benchmarks/ingest.py --workers 2 --limit 100
    python benchmarks/ingest.py --url postgresql+psycopg://postgres@127.0.0.1:5432/clm_bench_ingest

Each mode starts from an empty database (dropped and migrated again) and times end to end: from
starting `clm import` until every contract is stored *and* its terms are extracted (inline, the
import does both; with Redis, the import stores and queues, and the workers started beforehand
extract; the clock stops when the jobs table has no queued or running job left). The RQ queue
has a name of its own and is deleted afterwards.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sqlalchemy import func, select  # noqa: E402

from benchmarks.scale import recreate_database  # noqa: E402

CUAD = ROOT.parent / "shared" / "data" / "cuad" / "dev" / "contracts.jsonl"
CLM = str(Path(sys.executable).with_name("clm"))
DEFAULT_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/clm_bench_ingest"
REDIS_URL = "redis://127.0.0.1:6379/14"


def write_files(folder: Path, limit: int | None) -> int:
    """Write the CUAD dev texts as .txt files in two sub-folders; return how many."""
    count = 0
    with CUAD.open(encoding="utf-8") as handle:
        for line in handle:
            if limit is not None and count >= limit:
                break
            record = json.loads(line)
            name = re.sub(r"[^A-Za-z0-9._-]+", "_", record["id"])[:150] + ".txt"
            sub = folder / ("a" if count % 2 else "b")
            sub.mkdir(parents=True, exist_ok=True)
            (sub / name).write_text(record["text"], encoding="utf-8")
            count += 1
    return count


def pending(url: str) -> tuple[int, int, int]:
    """Return (open, done, failed) extraction jobs."""
    from clm import db, jobs

    engine = db.make_engine(url)
    with engine.connect() as connection:
        rows = dict(connection.execute(select(jobs.Job.status, func.count()).where(jobs.Job.kind == jobs.EXTRACT)
                                       .group_by(jobs.Job.status)).all())
    engine.dispose()
    return rows.get("queued", 0) + rows.get("running", 0), rows.get("done", 0), rows.get("failed", 0)


def run_mode(url: str, folder: Path, total: int, workers: int) -> dict[str, object]:
    recreate_database(url)
    queue = f"clm-bench-{uuid.uuid4().hex[:8]}"
    env = {**os.environ, "CLM_DATABASE_URL": url, "CLM_SECRET_KEY": "bench",
           "CLM_INSTANCE_PATH": tempfile.mkdtemp(prefix="clm-ingest-"),
           "CLM_REDIS_URL": REDIS_URL if workers else "", "CLM_RQ_QUEUE": queue}
    started_workers = []
    if workers:
        from redis import Redis
        from rq import Queue, Worker

        connection = Redis.from_url(REDIS_URL)
        started_workers = [subprocess.Popen([CLM, "worker"], env=env, stdout=subprocess.DEVNULL,
                                            stderr=subprocess.DEVNULL) for _ in range(workers)]
        rq_queue = Queue(queue, connection=connection)
        deadline = time.monotonic() + 60
        while len(Worker.all(queue=rq_queue)) < workers and time.monotonic() < deadline:
            time.sleep(0.2)
    try:
        started = time.perf_counter()
        result = subprocess.run([CLM, "import", str(folder), "--recursive"], env=env, capture_output=True, text=True)
        imported_at = time.perf_counter() - started
        while pending(url)[0]:
            time.sleep(0.25)
        seconds = time.perf_counter() - started
    finally:
        for process in started_workers:
            process.terminate()
        for process in started_workers:
            process.wait(60)
        if workers:
            rq_queue.delete(delete_jobs=True)
    _open, done, failed = pending(url)
    progress = [line for line in result.stderr.splitlines() if line.startswith("Importing")]
    return {"mode": f"{workers} RQ workers" if workers else "inline", "files": total,
            "exit_code": result.returncode, "import_seconds": round(imported_at, 1), "seconds": round(seconds, 1),
            "contracts_per_second": round(total / seconds, 2), "extracted": done, "extraction_failed": failed,
            "progress_last_line": progress[-1] if progress else ""}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--url", default=DEFAULT_URL)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--limit", type=int, default=None, help="Only the first N contracts.")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="cuad-") as tmp:
        folder = Path(tmp) / "cuad"
        total = write_files(folder, args.limit)
        results = [run_mode(args.url, folder, total, 0), run_mode(args.url, folder, total, args.workers)]
    for r in results:
        print(json.dumps(r))
    print()
    print("| mode | files | import command (s) | end to end incl. extraction (s) | contracts/s |")
    print("|---|---|---|---|---|")
    for r in results:
        print(f"| {r['mode']} | {r['files']} | {r['import_seconds']} | {r['seconds']} | {r['contracts_per_second']} |")
    print()
    print(results[0]["progress_last_line"])


if __name__ == "__main__":
    main()
