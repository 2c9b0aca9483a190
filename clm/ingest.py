"""Bulk import of files and directory trees: resumable, reported file by file, extraction queued.

Each file is read, checked and stored in its own transaction, with its extraction job row, so
an import killed at any moment leaves whole contracts only; a rerun recognises every file whose
bytes are already stored as a version (by SHA-256) and skips it, and re-dispatches extraction
jobs the killed run had queued but not handed over.
"""

from __future__ import annotations

import hashlib
import os
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from sqlalchemy import select, update

from clm import csvfile, db, jobs
from clm.clauses import jobs as extraction
from clm.errors import ClmError, InvalidInput, TooLarge
from clm.versions import store
from clm.versions.models import Version, VersionSource

if TYPE_CHECKING:
    from sqlalchemy.orm import Session, sessionmaker

IMPORTED, SKIPPED, REJECTED = "imported", "skipped", "rejected"


@dataclass(frozen=True)
class Outcome:
    """What became of one file."""

    path: Path
    status: str
    #: "contract 12 version 1", "already stored as contract 3 version 1", or why it was rejected.
    detail: str
    contract_id: int | None = None
    version_number: int | None = None


def collect(paths: Iterable[Path], *, recursive: bool) -> list[Path]:
    """Return the files to import: each file given, and every file under each directory given.

    Raise InvalidInput for a directory without ``recursive``. Directories are walked in name
    order (so reruns meet files in the same order) without following directory symlinks.
    """
    found: list[Path] = []
    for path in paths:
        if path.is_dir():
            if not recursive:
                raise InvalidInput(f"{path} is a directory; pass --recursive to import the files under it.")
            for root, dirs, files in os.walk(path):
                dirs.sort()
                found.extend(Path(root) / name for name in sorted(files))
        else:
            found.append(path)
    return found


def read_file(path: Path, limit: int) -> bytes:
    """Return the bytes of ``path``; raise a ClmError a person can act on (never block on a pipe)."""
    try:
        if not path.is_file():
            raise InvalidInput("not a regular file" if path.exists() else "no such file")
        # Read at most limit + 1 bytes: a device reports size 0 and never ends.
        with path.open("rb") as handle:
            data = handle.read(limit + 1)
    except OSError as err:
        raise InvalidInput(f"cannot read the file: {err.strerror}") from None
    if len(data) > limit:
        raise TooLarge(f"The file is larger than the limit of {limit:,} bytes.")
    return data


class Importer:
    """Imports files one transaction each, counting them on an ImportRun row others can watch."""

    def __init__(self, factory: sessionmaker[Session], settings: dict[str, Any], *, author: str,
                 source: str, total: int, contract_id: int | None = None, title: str | None = None,
                 counterparty: str | None = None, version_source: VersionSource = VersionSource.UPLOAD) -> None:
        self.factory, self.settings, self.author = factory, settings, author
        self.limits = store.limits_from_settings(settings)
        self.contract_id, self.title, self.counterparty = contract_id, title, counterparty
        self.version_source = version_source
        with db.transaction_for(factory) as session:
            run = jobs.ImportRun(source=source[:1000], status=jobs.RUNNING, total=total, imported=0,
                                 skipped=0, rejected=0, created_by=author)
            session.add(run)
            session.flush()
            self.run_id = run.id

    def _count(self, session: Session, column: str) -> None:
        session.execute(update(jobs.ImportRun).where(jobs.ImportRun.id == self.run_id)
                        .values({column: getattr(jobs.ImportRun, column) + 1}))

    def _reject(self, path: Path, reason: str) -> Outcome:
        with db.transaction_for(self.factory) as session:
            session.add(jobs.Job(kind=jobs.IMPORT, status=jobs.FAILED, import_run_id=self.run_id,
                                 path=str(path)[:1000], error=reason[:500], attempts=1))
            self._count(session, "rejected")
        return Outcome(path, REJECTED, reason)

    def import_path(self, path: Path) -> Outcome:
        """Import one file; return what became of it. Never raises for a bad file."""
        try:
            data = read_file(path, max(self.limits.max_upload_bytes, self.limits.max_pdf_bytes))
        except ClmError as err:
            return self._reject(path, str(err))
        if self.contract_id is None:
            skipped = self._skip_if_stored(path, hashlib.sha256(data).hexdigest())
            if skipped is not None:
                return skipped
        try:
            with db.transaction_for(self.factory) as session:
                version = store.import_file(session, store.Upload(data=data, filename=path.name),
                                           limits=self.limits, author=self.author, contract_id=self.contract_id,
                                           title=self.title, counterparty=self.counterparty,
                                           source=self.version_source)
                job_id = jobs.queue_extraction(session, version.id, self.run_id).id
                self._count(session, "imported")
                outcome = Outcome(path, IMPORTED, f"contract {version.contract_id} version {version.number}",
                                  version.contract_id, version.number)
        except ClmError as err:
            return self._reject(path, str(err))
        extraction.dispatch(self.settings, job_id)
        return outcome

    def _skip_if_stored(self, path: Path, sha: str) -> Outcome | None:
        """Return a skipped Outcome when these bytes are already a version (re-queue lost extraction)."""
        redo: int | None = None
        with db.transaction_for(self.factory) as session:
            row = session.execute(select(Version.id, Version.contract_id, Version.number)
                                  .where(Version.blob_sha256 == sha).order_by(Version.id).limit(1)).first()
            if row is None:
                return None
            version_id, contract_id, number = row
            # A run killed between committing a version and handing its job over left the job
            # queued (or running, inline) with no RQ id: dispatch it again; jobs are idempotent.
            stale = session.scalar(select(jobs.Job.id).where(
                jobs.Job.version_id == version_id, jobs.Job.kind == jobs.EXTRACT,
                jobs.Job.status.in_([jobs.QUEUED, jobs.RUNNING]), jobs.Job.rq_job_id.is_(None),
                jobs.Job.import_run_id != self.run_id).limit(1))
            if stale is not None:
                redo = stale
            elif not extraction.pending_extraction(session, version_id):
                redo = jobs.queue_extraction(session, version_id, self.run_id).id
            self._count(session, "skipped")
        if redo is not None:
            extraction.dispatch(self.settings, redo)
        return Outcome(path, SKIPPED, f"already stored as contract {contract_id} version {number}",
                       contract_id, number)

    def finish(self, status: str = "finished") -> None:
        """Mark the run finished (or "interrupted")."""
        with db.transaction_for(self.factory) as session:
            run = session.get(jobs.ImportRun, self.run_id)
            assert run is not None
            run.status, run.finished_at = status, db.utcnow()


class Progress:
    """A progress line on stderr: files done of total, rate, ETA, and the tallies so far.

    On a terminal the line is redrawn in place; otherwise (a log file, CI) a line is written
    every ``every`` seconds and at the end.
    """

    def __init__(self, total: int, stream: IO[str], *, every: float = 5.0) -> None:
        self.total, self.stream = total, stream
        self.tty = bool(getattr(stream, "isatty", lambda: False)())
        self.every = 0.2 if self.tty else every
        self.started = time.monotonic()
        self.last = 0.0
        self.done = 0
        self.tally = {IMPORTED: 0, SKIPPED: 0, REJECTED: 0}

    def line(self) -> str:
        elapsed = max(time.monotonic() - self.started, 1e-9)
        rate = self.done / elapsed
        remaining = (self.total - self.done) / rate if rate > 0 else 0.0
        width = 24
        filled = int(width * self.done / self.total) if self.total else width
        return (f"Importing [{'#' * filled}{'-' * (width - filled)}] {self.done}/{self.total} files "
                f"{rate:6.1f}/s  ETA {_clock(remaining)}  imported {self.tally[IMPORTED]} · "
                f"skipped {self.tally[SKIPPED]} · rejected {self.tally[REJECTED]}")

    def update(self, outcome: Outcome) -> None:
        self.done += 1
        self.tally[outcome.status] += 1
        now = time.monotonic()
        if now - self.last >= self.every or self.done == self.total:
            self.last = now
            self.write()

    def write(self, final: bool = False) -> None:
        if self.tty:
            self.stream.write("\r\033[K" + self.line() + ("\n" if final or self.done == self.total else ""))
        else:
            self.stream.write(self.line() + "\n")
        self.stream.flush()

    def message(self, text: str) -> None:
        """Write a line (an error) without garbling the progress line."""
        self.stream.write(("\r\033[K" if self.tty else "") + text + "\n")
        self.stream.flush()


def _clock(seconds: float) -> str:
    seconds = int(seconds)
    return f"{seconds // 3600}:{seconds % 3600 // 60:02d}:{seconds % 60:02d}"


class ReportWriter:
    """The --report CSV: one row per file (path, outcome, detail, contract, version), flushed as it goes."""

    def __init__(self, handle: IO[str]) -> None:
        self.handle = handle
        self.writer = csvfile.writer(handle)
        self.writer.writerow(["path", "outcome", "detail", "contract_id", "version"])

    def write(self, o: Outcome) -> None:
        self.writer.writerow([str(o.path), o.status, o.detail, o.contract_id or "", o.version_number or ""])
        self.handle.flush()


def run(importer: Importer, paths: list[Path], progress: Progress | None = None) -> Iterator[Outcome]:
    """Import ``paths`` in order, yielding each outcome; mark the run interrupted if stopped early."""
    finished = False
    try:
        for path in paths:
            outcome = importer.import_path(path)
            if progress is not None:
                progress.update(outcome)
            yield outcome
        finished = True
    finally:
        importer.finish("finished" if finished else "interrupted")
