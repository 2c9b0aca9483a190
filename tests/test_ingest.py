"""The bulk-import progress line: counts, rate, ETA; redrawn on a terminal, logged otherwise."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from clm import ingest
from clm.errors import InvalidInput


class _Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_a_log_gets_whole_lines_with_rate_eta_and_tallies(monkeypatch):
    clock = iter([0.0, 10.0, 10.0, 20.0, 20.0])
    monkeypatch.setattr(ingest.time, "monotonic", lambda: next(clock))
    out = io.StringIO()
    progress = ingest.Progress(4, out, every=5.0)
    progress.update(ingest.Outcome(Path("a"), ingest.IMPORTED, "contract 1 version 1"))
    progress.update(ingest.Outcome(Path("b"), ingest.REJECTED, "The file is empty."))
    lines = out.getvalue().splitlines()
    assert lines == [
        "Importing [######------------------] 1/4 files    0.1/s  ETA 0:00:30  imported 1 · skipped 0 · rejected 0",
        "Importing [############------------] 2/4 files    0.1/s  ETA 0:00:20  imported 1 · skipped 0 · rejected 1",
    ]


def test_a_terminal_gets_the_line_redrawn_in_place():
    out = _Tty()
    progress = ingest.Progress(1, out)
    progress.update(ingest.Outcome(Path("a"), ingest.SKIPPED, "already stored"))
    assert out.getvalue().startswith("\r\033[K") and out.getvalue().endswith("\n")
    assert "1/1 files" in out.getvalue() and "skipped 1" in out.getvalue()


def test_collect_walks_directories_in_name_order(tmp_path):
    (tmp_path / "b").mkdir()
    (tmp_path / "a").mkdir()
    for name in ("b/2.txt", "b/1.txt", "a/z.txt", "top.txt"):
        (tmp_path / name).write_text("x")
    assert [p.relative_to(tmp_path).as_posix() for p in ingest.collect([tmp_path], recursive=True)] == \
        ["top.txt", "a/z.txt", "b/1.txt", "b/2.txt"]
    with pytest.raises(InvalidInput, match="--recursive"):
        ingest.collect([tmp_path], recursive=False)


def test_a_pipe_is_refused_without_blocking(tmp_path):
    import os

    fifo = tmp_path / "pipe.txt"
    os.mkfifo(fifo)
    with pytest.raises(InvalidInput, match="not a regular file"):
        ingest.read_file(fifo, 1000)
