"""Load figures for clm's production server (gunicorn, 2 workers) on loopback.

    python benchmarks/load.py [--seconds 5] [--signer-seconds 30] [--connections 16]
                              [--postgres postgresql+psycopg://postgres@127.0.0.1:5432/postgres]

For each database (a fresh SQLite file; with ``--postgres`` also a fresh database created on
that server and dropped afterwards) it runs ``clm serve --workers 2`` on a free loopback port
against demo data, then measures:

1. the signing page (GET /sign/<token> with a valid token): requests/s and p99;
2. the terms API (GET /api/v1/contracts/<id>/terms with a bearer token): requests/s and p99;
3. 16 concurrent signers for ``--signer-seconds``: each consents and signs one recipient after
   another; counts signatures/s, "database is locked" answers (503) and lost signatures
   (acknowledged to a signer but not in the database);
4. the signing page again while a loop uploads the hostile files of
   ``../shared/data/badinputs-sample/``: p99 and its ratio to (1).

Reads use ``wrk`` when it is installed (``apt-get install wrk``), otherwise a small Python
load generator (threads with keep-alive connections, in this process; it costs CPU the server
would otherwise have, so its figures are a floor). It installs nothing. Targets (issue 9):
signing page >= 200 req/s and p99 <= 150 ms; terms API >= 300 req/s and p99 <= 100 ms; no
"database is locked", nothing lost; p99 under hostile uploads at most 2x.
"""

from __future__ import annotations

import argparse
import http.client
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
BADINPUTS = ROOT.parent / "shared" / "data" / "badinputs-sample"
CLM = Path(sys.executable).with_name("clm")

TEXT = ("MASTER SERVICES AGREEMENT\n" + "".join(
    f"{n}. Clause {n}. The Supplier shall perform the services described in this clause with due care "
    f"and skill, in accordance with good industry practice, and the Customer shall pay the fees.\n"
    for n in range(1, 41)))


# -- measuring ---------------------------------------------------------------------------------


@dataclass
class Run:
    """What one load run saw."""

    latencies: list[float] = field(default_factory=list)
    statuses: dict[int, int] = field(default_factory=dict)
    socket_errors: int = 0
    seconds: float = 0.0

    @property
    def requests(self) -> int:
        return len(self.latencies)

    @property
    def rps(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    def pct(self, p: float) -> float:
        if not self.latencies:
            return float("nan")
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(len(ordered) * p))] * 1000

    @property
    def errors(self) -> int:
        return self.socket_errors + sum(n for status, n in self.statuses.items() if status >= 400)


def _connection(port: int) -> http.client.HTTPConnection:
    return http.client.HTTPConnection("127.0.0.1", port, timeout=30)


def python_load(port: int, path: str, headers: dict[str, str], seconds: float, connections: int) -> Run:
    """GET ``path`` from ``connections`` keep-alive connections for ``seconds``."""
    run = Run()
    lock = threading.Lock()
    stop = time.monotonic() + seconds

    def worker() -> None:
        conn = _connection(port)
        mine: list[float] = []
        statuses: dict[int, int] = {}
        errors = 0
        while time.monotonic() < stop:
            started = time.perf_counter()
            try:
                conn.request("GET", path, headers=headers)
                response = conn.getresponse()
                response.read()
            except (OSError, http.client.HTTPException):
                errors += 1
                conn.close()
                conn = _connection(port)
                continue
            mine.append(time.perf_counter() - started)
            statuses[response.status] = statuses.get(response.status, 0) + 1
        conn.close()
        with lock:
            run.latencies.extend(mine)
            run.socket_errors += errors
            for status, n in statuses.items():
                run.statuses[status] = run.statuses.get(status, 0) + n

    threads = [threading.Thread(target=worker) for _ in range(connections)]
    begun = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    run.seconds = time.monotonic() - begun
    return run


_WRK_LATENCY = re.compile(r"^\s*(50|99)(?:\.000)?%\s+([\d.]+)(us|ms|s)\s*$", re.M)
_UNITS = {"us": 1e-6, "ms": 1e-3, "s": 1.0}


def wrk_load(port: int, path: str, headers: dict[str, str], seconds: float, connections: int) -> Run:
    """Run Debian's wrk (2 threads) and read its summary into a Run (p50/p99 only)."""
    args = ["wrk", "-t2", f"-c{connections}", f"-d{max(1, int(seconds))}s", "--latency"]
    for name, value in headers.items():
        args += ["-H", f"{name}: {value}"]
    out = subprocess.run([*args, f"http://127.0.0.1:{port}{path}"], capture_output=True, text=True,
                         check=True).stdout
    total = int(re.search(r"(\d+) requests in", out).group(1))  # type: ignore[union-attr]
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    sock = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    marks = {p: float(v) * _UNITS[u] for p, v, u in _WRK_LATENCY.findall(out)}
    run = Run(seconds=float(seconds), socket_errors=sum(map(int, sock.groups())) if sock else 0)
    # Rebuild a latency list with the reported percentiles, enough for pct(0.5) and pct(0.99).
    p50, p99 = marks.get("50", 0.0), marks.get("99", 0.0)
    run.latencies = [p50] * int(total * 0.5) + [p50 + (p99 - p50) * 0.5] * int(total * 0.49) + \
        [p99] * (total - int(total * 0.5) - int(total * 0.49))
    run.statuses = {200: total - (int(non2xx.group(1)) if non2xx else 0)}
    if non2xx:
        run.statuses[500] = int(non2xx.group(1))
    return run


def load(port: int, path: str, headers: dict[str, str], seconds: float, connections: int) -> Run:
    if shutil.which("wrk"):
        return wrk_load(port, path, headers, seconds, connections)
    return python_load(port, path, headers, seconds, connections)


# -- the server and its data -------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class World:
    sign_token: str
    contract_id: int
    api_token: str
    signer_tokens: list[list[str]]


def seed(url: str, instance: Path, signers: int, per_signer: int) -> World:
    """Migrate ``url`` and add: an API token, a 40-clause contract out for signature (the page to
    load), and ``signers`` envelopes of ``per_signer`` parallel recipients each (to sign)."""
    from clm import db
    from clm.app import create_app
    from clm.cli import upgrade_database
    from clm.signing import envelopes
    from clm.users import Role, create_token, create_user
    from clm.versions import store

    upgrade_database(url)
    app = create_app({"DATABASE_URL": url, "INSTANCE_PATH": str(instance), "REDIS_URL": "",
                      "SECRET_KEY": "load-benchmark"})
    factory = db.sessionmaker_for(app)
    client = envelopes.Client(actor="benchmark", ip="127.0.0.1", user_agent="load.py")
    link = re.compile(r"/sign/([A-Za-z0-9_-]+)")

    def no_approvals(_session: Any, _contract: Any) -> None:
        """The clause review is not what is measured here."""

    def envelope(title: str, count: int, hold_open: bool = False) -> tuple[int, list[str]]:
        now = db.utcnow()
        with db.transaction_for(factory) as s:
            version = store.import_file(s, store.Upload(TEXT.encode(), f"{title}.txt"),
                                        limits=store.limits_from_settings(app.config), author="benchmark",
                                        title=title, counterparty="Load Test Ltd")
            recipients = [envelopes.RecipientInput(name=f"Signer {i}", email=f"s{i}@{title}.example", routing_order=1)
                          for i in range(count)]
            if hold_open:
                # A second routing group that never signs: the run measures signatures, not the
                # sealing of completed envelopes (a PDF render each, measured elsewhere).
                recipients.append(envelopes.RecipientInput(name="Last", email=f"last@{title}.example",
                                                           routing_order=2))
            created = envelopes.create(s, version.contract_id, subject=title, message="", recipients=recipients,
                                       client=client, now=now, approvals=no_approvals)
            mails = envelopes.send(s, created.id, client=client, now=now, link_base="http://127.0.0.1",
                                   approvals=no_approvals)
            tokens = [m.group(1) for m in (link.search(mail.body) for mail in mails) if m]
            return version.contract_id, tokens

    contract_id, tokens = envelope("page", 2)
    with db.transaction_for(factory) as s:
        owner = create_user(s, email="load-bench@example.test", name="Load benchmark",
                            password="correct horse battery staple", role=Role.LEGAL)
        api_token = create_token(s, user=owner, label="load benchmark")[1]
    # An envelope has at most 20 recipients: each signer client works through several envelopes.
    signer_tokens = []
    for i in range(signers):
        own: list[str] = []
        step = envelopes.MAX_RECIPIENTS - 1
        for j in range(0, per_signer, step):
            own += envelope(f"signers{i}-{j}", min(step, per_signer - j), hold_open=True)[1]
        signer_tokens.append(own)
    app.extensions["clm_db"].kw["bind"].dispose()
    return World(tokens[0], contract_id, api_token, signer_tokens)


class Server:
    """``clm serve --workers 2`` on a free loopback port."""

    def __init__(self, env: dict[str, str], workers: int) -> None:
        self.port = free_port()
        self.log = tempfile.TemporaryFile()
        self.process = subprocess.Popen([str(CLM), "serve", "--host", "127.0.0.1", "--port", str(self.port),
                                         "--workers", str(workers)], env=env, stdout=self.log, stderr=self.log)
        deadline = time.monotonic() + 60
        while True:
            try:
                conn = _connection(self.port)
                conn.request("GET", "/api/v1/health")
                if conn.getresponse().status == 200:
                    return
            except OSError:
                pass
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.log.seek(0)
                raise SystemExit("clm serve did not start:\n" + self.log.read().decode(errors="replace")[-2000:])
            time.sleep(0.2)

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(20)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


# -- the scenarios -----------------------------------------------------------------------------


@dataclass
class SignerResult:
    acknowledged: int
    #: The tokens whose signature the server acknowledged (200).
    tokens: list[str]
    locked: int
    other_errors: int
    seconds: float
    latencies: list[float]


def concurrent_signers(port: int, tokens: list[list[str]], seconds: float) -> SignerResult:
    """Each of len(tokens) clients consents and signs its recipients one after another."""
    csrf = re.compile(r'name="csrf_token" value="([^"]+)"')
    acknowledged = locked = other = 0
    latencies: list[float] = []
    acknowledged_tokens: list[str] = []
    lock = threading.Lock()
    stop = time.monotonic() + seconds

    def signer(own: list[str]) -> None:
        nonlocal acknowledged, locked, other
        mine_ok = mine_locked = mine_other = 0
        mine_lat: list[float] = []
        mine_tokens: list[str] = []
        for token in own:
            if time.monotonic() >= stop:
                break
            conn = _connection(port)  # a new browser per signer: its own session cookie
            cookie = ""

            def call(method: str, path: str, body: str | None = None) -> tuple[int, str]:
                nonlocal cookie
                headers = {"Cookie": cookie} if cookie else {}
                if body is not None:
                    headers["Content-Type"] = "application/x-www-form-urlencoded"
                conn.request(method, path, body=body, headers=headers)
                response = conn.getresponse()
                text = response.read().decode(errors="replace")
                set_cookie = response.getheader("Set-Cookie")
                if set_cookie:
                    cookie = set_cookie.split(";", 1)[0]
                return response.status, text

            from urllib.parse import urlencode

            try:
                started = time.perf_counter()
                status, page = call("GET", f"/sign/{token}")
                match = csrf.search(page)
                if status != 200 or not match:
                    mine_other += 1
                    continue
                form = {"csrf_token": match.group(1), "agree": "yes", "disclosure_version": ""}
                from clm.signing.envelopes import DISCLOSURE_VERSION

                form["disclosure_version"] = DISCLOSURE_VERSION
                status, page = call("POST", f"/sign/{token}/consent", urlencode(form))
                if status == 503:
                    mine_locked += 1
                    continue
                match = csrf.search(page)
                if status != 200 or not match:
                    mine_other += 1
                    continue
                status, page = call("POST", f"/sign/{token}/sign", urlencode(
                    {"csrf_token": match.group(1), "kind": "typed", "typed_name": "Load Signer"}))
                mine_lat.append(time.perf_counter() - started)
                if status == 200:
                    mine_ok += 1
                    mine_tokens.append(token)
                elif status == 503:
                    mine_locked += 1
                else:
                    mine_other += 1
            except (OSError, http.client.HTTPException):
                mine_other += 1
            finally:
                conn.close()
        with lock:
            acknowledged += mine_ok
            locked += mine_locked
            other += mine_other
            latencies.extend(mine_lat)
            acknowledged_tokens.extend(mine_tokens)

    threads = [threading.Thread(target=signer, args=(own,)) for own in tokens]
    begun = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return SignerResult(acknowledged, acknowledged_tokens, locked, other, time.monotonic() - begun, latencies)


def recipient_ids(url: str, tokens: list[str]) -> dict[str, int]:
    """Return {token: recipient id} (signing clears the stored hash, so look them up first)."""
    from sqlalchemy import select

    from clm import db
    from clm.signing.models import Recipient
    from clm.signing.tokens import hash_token

    engine = db.make_engine(url)
    try:
        with db.make_sessionmaker(engine)() as s:
            by_hash = {hash_token(token): token for token in tokens}
            found: dict[str, int] = {}
            hashes = list(by_hash)
            for i in range(0, len(hashes), 500):
                for recipient_id, token_hash in s.execute(select(Recipient.id, Recipient.token_hash)
                                                          .where(Recipient.token_hash.in_(hashes[i:i + 500]))):
                    found[by_hash[token_hash]] = recipient_id
            return found
    finally:
        engine.dispose()


def lost_signatures(url: str, ids: dict[str, int], acknowledged: list[str]) -> int:
    """Return how many acknowledged signatures the database does not hold."""
    from sqlalchemy import func, select

    from clm import db
    from clm.signing.models import Recipient, RecipientStatus

    engine = db.make_engine(url)
    try:
        with db.make_sessionmaker(engine)() as s:
            wanted = [ids[token] for token in acknowledged]
            found = 0
            for i in range(0, len(wanted), 500):
                found += s.scalar(select(func.count()).select_from(Recipient).where(
                    Recipient.id.in_(wanted[i:i + 500]), Recipient.status == RecipientStatus.SIGNED)) or 0
            return len(acknowledged) - found
    finally:
        engine.dispose()


def hostile_uploads(port: int, api_token: str, stop: threading.Event) -> dict[str, int]:
    """Upload the hostile sample files in a loop until ``stop``; return statuses seen."""
    files = sorted(p for p in BADINPUTS.glob("*.docx") if not p.name.startswith("valid_"))
    seen: dict[str, int] = {}
    while not stop.is_set():
        for path in files:
            if stop.is_set():
                break
            boundary = uuid.uuid4().hex
            data = path.read_bytes()
            body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{path.name}\"\r\n"
                    f"Content-Type: application/octet-stream\r\n\r\n").encode() + data + f"\r\n--{boundary}--\r\n".encode()
            conn = _connection(port)
            try:
                conn.request("POST", "/api/v1/contracts", body=body, headers={
                    "Authorization": f"Bearer {api_token}", "Content-Type": f"multipart/form-data; boundary={boundary}"})
                status = conn.getresponse().status
            except (OSError, http.client.HTTPException):
                status = 0
            finally:
                conn.close()
            seen[str(status)] = seen.get(str(status), 0) + 1
    return seen


# -- the report --------------------------------------------------------------------------------


def row(cells: list[str], widths: list[int]) -> str:
    return "  ".join(c.ljust(w) for c, w in zip(cells, widths))


def bench(label: str, url: str, args: argparse.Namespace, out: list[list[str]], make_db: Callable[[], None]) -> None:
    make_db()
    with tempfile.TemporaryDirectory(prefix="clm-load-") as td:
        instance = Path(td) / "instance"
        per_signer = max(5, int(args.signer_seconds * 4))
        print(f"[{label}] seeding ({args.connections} signer clients x {per_signer} recipients) ...", file=sys.stderr)
        world = seed(url, instance, args.connections, per_signer)
        env = {**os.environ, "CLM_DATABASE_URL": url, "CLM_INSTANCE_PATH": str(instance),
               "CLM_SECRET_KEY": "load-benchmark", "CLM_REDIS_URL": "", "CLM_SECURE_COOKIES": "0"}
        server = Server(env, args.workers)
        try:
            sign_path = f"/sign/{world.sign_token}"
            terms_path = f"/api/v1/contracts/{world.contract_id}/terms"
            bearer = {"Authorization": f"Bearer {world.api_token}"}
            load(server.port, sign_path, {}, 1, 4)  # warm up both workers
            load(server.port, terms_path, bearer, 1, 4)
            print(f"[{label}] signing page ...", file=sys.stderr)
            page = load(server.port, sign_path, {}, args.seconds, args.connections)
            print(f"[{label}] terms API ...", file=sys.stderr)
            terms = load(server.port, terms_path, bearer, args.seconds, args.connections)
            print(f"[{label}] {args.connections} concurrent signers for {args.signer_seconds:g} s ...", file=sys.stderr)
            ids = recipient_ids(url, [token for own in world.signer_tokens for token in own])
            signers = concurrent_signers(server.port, world.signer_tokens, args.signer_seconds)
            lost = lost_signatures(url, ids, signers.tokens)
            print(f"[{label}] signing page beside hostile uploads ...", file=sys.stderr)
            stop = threading.Event()
            seen: dict[str, int] = {}
            uploader = threading.Thread(target=lambda: seen.update(hostile_uploads(server.port, world.api_token, stop)))
            uploader.start()
            time.sleep(0.5)
            hostile = load(server.port, sign_path, {}, args.seconds, args.connections)
            stop.set()
            uploader.join()
        finally:
            server.stop()
    ratio = hostile.pct(0.99) / page.pct(0.99) if page.latencies else float("nan")
    sign_p99 = statistics.quantiles(signers.latencies, n=100)[98] * 1000 if len(signers.latencies) > 2 else float("nan")
    out.extend([
        [label, "signing page GET", f"{page.rps:.0f}", f"{page.pct(0.5):.1f}", f"{page.pct(0.99):.1f}",
         str(page.errors), ">=200 rps, p99<=150", _ok(page.rps >= 200 and page.pct(0.99) <= 150 and not page.errors)],
        [label, "terms API GET", f"{terms.rps:.0f}", f"{terms.pct(0.5):.1f}", f"{terms.pct(0.99):.1f}",
         str(terms.errors), ">=300 rps, p99<=100", _ok(terms.rps >= 300 and terms.pct(0.99) <= 100 and not terms.errors)],
        [label, f"{len(world.signer_tokens)} signers (view+consent+sign)", f"{signers.acknowledged / signers.seconds:.1f}",
         "", f"{sign_p99:.0f}", f"locked {signers.locked}, lost {lost}, "
         f"other {signers.other_errors}", "0 locked, 0 lost",
         _ok(signers.locked == 0 and lost == 0)],
        [label, "signing page + hostile uploads", f"{hostile.rps:.0f}", f"{hostile.pct(0.5):.1f}",
         f"{hostile.pct(0.99):.1f}", f"{hostile.errors} (uploads: {_statuses(seen)})", "p99 <= 2x",
         _ok(ratio <= 2 and not hostile.errors) + f" ({ratio:.2f}x)"],
    ])


def _ok(flag: bool) -> str:
    return "ok" if flag else "MISSED"


def _statuses(seen: dict[str, int]) -> str:
    return " ".join(f"{k}x{v}" for k, v in sorted(seen.items()))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=5, help="length of each read run (default 5)")
    parser.add_argument("--signer-seconds", type=float, default=None,
                        help="length of the concurrent-signers run (default: --seconds; the issue's figure is 30)")
    parser.add_argument("--connections", type=int, default=16, help="concurrent connections and signers (16)")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers (2)")
    parser.add_argument("--postgres", metavar="URL", help="also run on a fresh database on this PostgreSQL server")
    args = parser.parse_args()
    args.signer_seconds = args.signer_seconds or args.seconds
    if not CLM.exists():
        raise SystemExit(f"{CLM} is missing: install clm into this Python (pip install -e .)")
    generator = "wrk" if shutil.which("wrk") else "python threads (wrk not found: apt-get install wrk)"
    print(f"load generator: {generator}; server: clm serve --workers {args.workers}; "
          f"{args.connections} connections; {os.cpu_count()} CPUs", file=sys.stderr)
    rows: list[list[str]] = []
    with tempfile.TemporaryDirectory(prefix="clm-load-db-") as td:
        bench("sqlite", f"sqlite:///{td}/clm.sqlite3", args, rows, lambda: None)
    if args.postgres:
        from sqlalchemy import text
        from sqlalchemy.engine import make_url

        from clm import db

        name = f"clm_load_{os.getpid()}"
        admin = db.make_engine(args.postgres).execution_options(isolation_level="AUTOCOMMIT")

        def create() -> None:
            with admin.connect() as connection:
                connection.execute(text(f'CREATE DATABASE "{name}"'))

        target = make_url(args.postgres).set(database=name).render_as_string(hide_password=False)
        try:
            bench("postgresql", target, args, rows, create)
        finally:
            with admin.connect() as connection:
                connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            admin.dispose()
    header = ["database", "scenario", "req/s", "p50 ms", "p99 ms", "errors", "target", "verdict"]
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]
    print(row(header, widths))
    print(row(["-" * w for w in widths], widths))
    for r in rows:
        print(row(r, widths))
    print(f"\nload generator: {generator}; {args.seconds:g} s per read run, {args.signer_seconds:g} s of signers")


if __name__ == "__main__":
    main()
