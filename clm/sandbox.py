"""Run a risky function (parsing an upload, rendering a PDF) in a forked child with caps.

The child gets an address-space cap, a CPU-time cap, no core dumps and, unless allowed, no
file writes; the parent enforces a wall-clock deadline and kills the child past it. One
upload or one rendering can then neither exhaust the server's memory nor hang a worker.
"""

from __future__ import annotations

import math
import multiprocessing
import os
import pickle
import signal
import sys
import time
from collections.abc import Callable
from typing import Any

from clm.errors import ClmError

try:  # POSIX only; elsewhere the child runs without memory/CPU caps (documented gap)
    import resource
except ImportError:  # pragma: no cover
    resource = None  # type: ignore[assignment]

MiB = 1024 * 1024


class SandboxTimeout(Exception):
    """The child did not finish before the deadline and was killed."""


class SandboxMemory(Exception):
    """The child ran out of the memory it was allowed."""


class SandboxCrash(Exception):
    """The child raised something other than a ClmError, or died; ``str()`` is the type name."""


#: In a child started with ``progress``: the end of the pipe :func:`report` writes to.
_report_conn: Any = None


def report(*values: Any) -> None:
    """Send ``values`` to the parent's ``progress`` callback (no-op outside such a child).

    Values must be small and picklable (page counts); the parent calls ``progress(*values)``
    as they arrive, while it waits for the result.
    """
    if _report_conn is not None:
        _report_conn.send_bytes(pickle.dumps(values, protocol=pickle.HIGHEST_PROTOCOL))


def _limit_child(timeout: float, memory_bytes: int, allow_writes: bool) -> None:
    """Cap the child's address space, CPU time, core dumps and (unless allowed) file writes."""
    if resource is None:  # pragma: no cover
        return
    inherited = 0
    try:
        with open("/proc/self/statm", "rb") as f:  # reading /proc creates nothing
            inherited = int(f.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        pass
    # The cap is headroom on top of what the child inherits: an absolute cap would fail at
    # once in a worker that has spaCy loaded.
    caps = [(resource.RLIMIT_AS, inherited + memory_bytes),
            (resource.RLIMIT_CPU, math.ceil(timeout) + 2),
            (resource.RLIMIT_CORE, 0)]
    if not allow_writes and hasattr(signal, "SIGXFSZ"):
        # With writes capped at 0 bytes a stray write fails with EFBIG instead of landing on disk.
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        caps.append((resource.RLIMIT_FSIZE, 0))
    for which, value in caps:
        _, hard = resource.getrlimit(which)
        if hard != resource.RLIM_INFINITY:
            value = min(value, hard)
        resource.setrlimit(which, (value, value))


def _child(conn: Any, func: Callable[..., Any], args: tuple[Any, ...], timeout: float,
           memory_bytes: int, allow_writes: bool, report_conn: Any = None) -> None:
    """Run ``func(*args)`` and send back ("ok", result) or an error tuple; never return normally."""
    global _report_conn
    _report_conn = report_conn
    try:
        _limit_child(timeout, memory_bytes, allow_writes)
        result: tuple[Any, ...] = ("ok", func(*args))
    except MemoryError:
        result = ("memory",)
    except ClmError as e:
        result = ("clm", type(e), str(e))
    except BaseException as e:  # noqa: BLE001 - reported generically, never as a stack trace
        result = ("memory",) if "Memory allocation failed" in str(e) else ("error", type(e).__name__)
    try:
        payload = pickle.dumps(result, protocol=pickle.HIGHEST_PROTOCOL)
    except MemoryError:
        payload = pickle.dumps(("memory",))
    except Exception as e:  # noqa: BLE001
        payload = pickle.dumps(("error", type(e).__name__))
    try:
        conn.send_bytes(payload)
    finally:
        # Skip interpreter teardown: atexit hooks and buffers are the parent's, not ours.
        os._exit(0)


def _context() -> Any:
    """Return the fork context where there is one: cheap, and the libraries are already loaded."""
    methods = multiprocessing.get_all_start_methods()
    return multiprocessing.get_context("fork" if "fork" in methods else None)


def run_capped(func: Callable[..., Any], *args: Any, timeout: float, memory_bytes: int,
               allow_writes: bool = False, progress: Callable[..., object] | None = None) -> Any:
    """Return ``func(*args)`` computed in a capped child process.

    Raise SandboxTimeout past ``timeout`` seconds (the child is killed), SandboxMemory when
    it exhausts ``memory_bytes`` of headroom, the child's own ClmError (same class and
    message) when ``func`` raises one, and SandboxCrash for anything else. With ``progress``,
    what the child passes to :func:`report` is handed to ``progress(*values)`` in this process
    while it waits (the time it takes counts against ``timeout``).
    """
    from multiprocessing.connection import wait

    ctx = _context()
    reader, writer = ctx.Pipe(duplex=False)
    progress_reader, progress_writer = ctx.Pipe(duplex=False) if progress is not None else (None, None)
    for stream in (sys.stdout, sys.stderr):  # a forked child must not inherit unflushed output
        try:
            stream.flush()
        except (AttributeError, ValueError, OSError):
            pass
    proc = ctx.Process(target=_child, args=(writer, func, args, timeout, memory_bytes, allow_writes,
                                            progress_writer), daemon=True)
    deadline = time.monotonic() + timeout
    try:
        proc.start()
    except BaseException:
        # A failed fork is the server's fault, not the input's: let it surface as a 5xx.
        for end in (reader, writer, progress_reader, progress_writer):
            if end is not None:
                end.close()
        raise
    try:
        writer.close()  # so a dead child reads as EOF here
        if progress_writer is not None:
            progress_writer.close()
        payload = None
        while progress_reader is not None and not reader.poll():
            ready = wait([reader, progress_reader], max(0.0, deadline - time.monotonic()))
            if not ready:
                break
            if progress_reader in ready:
                try:
                    values = pickle.loads(progress_reader.recv_bytes(64 * 1024))  # our own child's pickle
                except (EOFError, OSError):
                    progress_reader.close()
                    progress_reader = None  # the child closed it (or died): wait for the result alone
                    continue
                progress(*values)  # type: ignore[misc]
        if reader.poll(max(0.0, deadline - time.monotonic())):
            # The child reported its last pages before it sent the result: hand them on first.
            while progress_reader is not None and progress_reader.poll():
                try:
                    progress(*pickle.loads(progress_reader.recv_bytes(64 * 1024)))  # type: ignore[misc]
                except (EOFError, OSError):
                    break
            try:
                # The child is already memory-capped; this cap only guards the parent's buffer.
                payload = reader.recv_bytes(max(memory_bytes, 64 * MiB))
            except (EOFError, OSError):
                payload = None
        elif proc.is_alive():
            raise SandboxTimeout(f"over {timeout:g} s")
    finally:
        if proc.is_alive():
            proc.kill()
        proc.join(5)
        reader.close()
        writer.close()
        if progress_reader is not None:
            progress_reader.close()
        if proc.exitcode is not None:
            proc.close()
    if payload is None:
        raise SandboxCrash("child died")
    result = pickle.loads(payload)  # our own child's pickle, not user data
    if result[0] == "ok":
        return result[1]
    if result[0] == "memory":
        raise SandboxMemory()
    if result[0] == "clm" and isinstance(result[1], type) and issubclass(result[1], ClmError):
        try:
            err = result[1](result[2])
        except Exception:  # noqa: BLE001 - a subclass with another signature
            err = ClmError(result[2])
        raise err
    raise SandboxCrash(str(result[1]) if len(result) > 1 else "error")
