"""Background jobs run inline without Redis and through an RQ worker with it."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from clm import jobs

REDIS_URL = os.environ.get("CLM_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


def append_line(path: str, line: str) -> None:
    """A job: append a line to a file (importable by the worker as tests.test_jobs.append_line)."""
    with open(path, "a", encoding="utf-8") as handle:
        handle.write(line + "\n")


def test_without_redis_a_job_runs_at_once(tmp_path: Path):
    target = tmp_path / "out.txt"
    assert jobs.enqueue({"REDIS_URL": ""}, append_line, str(target), "inline") is None
    assert target.read_text() == "inline\n"


def _redis_or_skip():
    from redis import Redis
    from redis.exceptions import ConnectionError as RedisConnectionError

    connection = Redis.from_url(REDIS_URL)
    try:
        connection.ping()
    except RedisConnectionError:
        if os.environ.get("CI"):
            raise
        pytest.skip(f"no Redis at {REDIS_URL}")
    return connection


def test_with_redis_a_worker_runs_the_job(tmp_path: Path):
    from rq import Queue, SimpleWorker

    connection = _redis_or_skip()
    queue = Queue(jobs.QUEUE_NAME, connection=connection)
    queue.empty()
    target = tmp_path / "out.txt"
    job_id = jobs.enqueue({"REDIS_URL": REDIS_URL}, append_line, str(target), "queued")
    assert job_id is not None and not target.exists()
    SimpleWorker([queue], connection=connection).work(burst=True)
    assert target.read_text() == "queued\n"
    assert queue.fetch_job(job_id).is_finished
