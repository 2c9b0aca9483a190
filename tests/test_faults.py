"""Faults: the database goes away and comes back, SQLite stays locked, a crash before completion.

The PostgreSQL outage is a small TCP proxy between the app and the shared server that the
test stops (closing every connection, as a restart does) and starts again, so the server
itself is never restarted. On SQLite the database file is moved away and back.
"""

from __future__ import annotations

import select as select_module
import socket
import sqlite3
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select
from sqlalchemy.engine import make_url

from clm import db
from clm.app import create_app

RECOVERY_SECONDS = 10


class TcpProxy:
    """Forward 127.0.0.1:<port> to a target; ``stop()`` drops every connection, ``start()`` listens again."""

    def __init__(self, target: tuple[str, int]) -> None:
        self.target = target
        probe = socket.socket()
        probe.bind(("127.0.0.1", 0))
        self.port = probe.getsockname()[1]
        probe.close()
        self._listener: socket.socket | None = None
        self._sockets: set[socket.socket] = set()
        self._lock = threading.Lock()

    def start(self) -> None:
        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(64)
        self._listener = listener
        threading.Thread(target=self._accept, args=(listener,), daemon=True).start()

    def stop(self) -> None:
        listener, self._listener = self._listener, None
        if listener is not None:
            try:
                listener.shutdown(socket.SHUT_RDWR)  # wakes the thread blocked in accept()
            except OSError:
                pass
            listener.close()
        with self._lock:
            for sock in self._sockets:
                try:
                    sock.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
                sock.close()
            self._sockets.clear()

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return
            try:
                upstream = socket.create_connection(self.target, timeout=5)
            except OSError:
                client.close()
                continue
            with self._lock:
                self._sockets.update((client, upstream))
            threading.Thread(target=self._pipe, args=(client, upstream), daemon=True).start()

    def _pipe(self, a: socket.socket, b: socket.socket) -> None:
        try:
            while True:
                ready, _, _ = select_module.select([a, b], [], [], 1.0)
                for sock in ready:
                    data = sock.recv(65536)
                    if not data:
                        return
                    (b if sock is a else a).sendall(data)
        except (OSError, ValueError):
            return
        finally:
            for sock in (a, b):
                try:
                    sock.close()
                except OSError:
                    pass


class Outage:
    """Take the test's database away and bring it back."""

    def __init__(self, app: Flask, proxy: TcpProxy | None, path: Path | None) -> None:
        self.app, self.proxy, self.path = app, proxy, path

    def down(self) -> None:
        if self.proxy is not None:
            self.proxy.stop()
            return
        assert self.path is not None
        # A restart drops every connection; a missing file then cannot be opened (a directory
        # stands in its place, so SQLite cannot quietly create an empty database there).
        self.app.extensions["clm_db"].kw["bind"].dispose()
        self.path.rename(self.path.with_suffix(".away"))
        self.path.mkdir()

    def up(self) -> None:
        if self.proxy is not None:
            self.proxy.start()
            return
        assert self.path is not None
        self.path.rmdir()
        self.path.with_suffix(".away").rename(self.path)


@pytest.fixture
def outage(database_url: str, tmp_path: Path) -> Iterator[Outage]:
    proxy = path = None
    if database_url.startswith("sqlite"):
        path = Path(database_url.removeprefix("sqlite:///"))
        url = database_url
    else:
        parsed = make_url(database_url)
        proxy = TcpProxy((parsed.host or "127.0.0.1", parsed.port or 5432))
        proxy.start()
        url = parsed.set(host="127.0.0.1", port=proxy.port).render_as_string(hide_password=False)
    app = create_app({"TESTING": True, "DATABASE_URL": url, "SECRET_KEY": "test-secret",
                      "INSTANCE_PATH": str(tmp_path / "instance"), "REDIS_URL": ""})
    state = Outage(app, proxy, path)
    yield state
    if proxy is not None:
        proxy.stop()
    elif path is not None and path.is_dir():
        state.up()
    app.extensions["clm_db"].kw["bind"].dispose()


def _get_urls(world: Any) -> list[tuple[str, bool]]:
    """Return (url, is_api) for every GET route, filled with the admin's own objects."""
    from flask import url_for

    from tests.test_access_sweep import ADMIN, POLICY, QUERY, RULES, _values

    urls = []
    with world.app.test_request_context():
        for endpoint, method, rule, args in RULES:
            if method == "GET" and endpoint in POLICY:  # a route without a policy fails the sweep
                url = url_for(endpoint, **_values(world, endpoint, args, ADMIN, "own")) + QUERY.get(endpoint, "")
                urls.append((url, rule.startswith("/api/")))
    return urls


def _admin_clients(world: Any) -> tuple[Any, Any]:
    from tests.test_access_sweep import ADMIN, _client

    return _client(world, ADMIN, api=False), _client(world, ADMIN, api=True)


def test_every_page_and_api_answers_503_while_the_database_is_down_and_recovers(outage: Outage) -> None:
    from clm.signing.models import Recipient, RecipientStatus
    from tests.test_access_sweep import _seed

    world = _seed(outage.app)
    page, api = _admin_clients(world)
    urls = _get_urls(world)
    before = {url: (api if is_api else page).get(url).status_code for url, is_api in urls}
    assert all(status < 500 for status in before.values()), before

    outage.down()
    started = time.monotonic()
    refused = {}
    for url, is_api in urls:
        response = (api if is_api else page).get(url)
        body = response.get_data().decode("utf-8", "replace")
        refused[url] = response.status_code
        assert "Traceback" not in body and "sqlalchemy" not in body.lower() and "psycopg" not in body.lower()
        if url.startswith("/sign/"):
            assert response.headers["Referrer-Policy"] == "no-referrer"
        if response.status_code == 503:
            assert "database is unavailable" in body
            assert response.headers.get("Retry-After")
            if is_api:
                assert response.is_json and "error" in response.get_json()
    assert set(refused.values()) == {503}, {u: s for u, s in refused.items() if s != 503}
    # A signer posting a signature meanwhile: 503, and nothing half-written once it is back.
    signer = outage.app.test_client()
    signer.set_cookie(world.cookie_name, world.cookies["signer"][0])
    response = signer.post(f"/sign/{world.signer_token}/sign",
                           data={"csrf_token": world.cookies["signer"][1], "kind": "typed", "typed_name": "A"})
    assert response.status_code == 503
    assert time.monotonic() - started < 30, "answering 503 must not hang"

    outage.up()
    deadline = time.monotonic() + RECOVERY_SECONDS
    while api.get("/api/v1/contracts").status_code != 200:
        assert time.monotonic() < deadline, f"not recovered {RECOVERY_SECONDS} s after the database came back"
        time.sleep(0.2)
    after = {url: (api if is_api else page).get(url).status_code for url, is_api in urls}
    assert after == before
    with db.sessionmaker_for(outage.app)() as s:
        # Envelope A's signer posted during the outage (the sealed contract's signer signed before).
        assert s.scalar(select(func.count()).select_from(Recipient)
                        .where(Recipient.envelope_id == world.envelope_a,
                               Recipient.status == RecipientStatus.SIGNED)) == 0


def test_a_sqlite_write_lock_held_too_long_is_503_and_reads_go_on(database_url: str, tmp_path: Path) -> None:
    if not database_url.startswith("sqlite"):
        pytest.skip("SQLite's write lock")
    from clm.users import LoginAttempt

    app = create_app({"TESTING": True, "DATABASE_URL": database_url, "SECRET_KEY": "test-secret",
                      "INSTANCE_PATH": str(tmp_path / "instance"), "REDIS_URL": "",
                      "SQLITE_BUSY_TIMEOUT_SECONDS": 0.3})
    client = app.test_client()
    client.get("/login")
    with client.session_transaction() as sess:
        csrf = sess["csrf"]
    blocker = sqlite3.connect(database_url.removeprefix("sqlite:///"), isolation_level=None)
    blocker.execute("BEGIN IMMEDIATE")  # another process holds the write lock
    try:
        started = time.monotonic()
        response = client.post("/login", data={"email": "x@example.test", "password": "wrong password",
                                               "csrf_token": csrf})
        assert response.status_code == 503, response.get_data(as_text=True)
        assert "database is unavailable" in response.get_data(as_text=True)
        assert time.monotonic() - started < 5
        assert client.get("/api/v1/health").status_code == 200  # readers are not blocked (WAL)
    finally:
        blocker.rollback()
        blocker.close()
    response = client.post("/login", data={"email": "x@example.test", "password": "wrong password",
                                           "csrf_token": csrf})
    assert response.status_code == 401
    with db.sessionmaker_for(app)() as s:
        assert s.scalar(select(func.count()).select_from(LoginAttempt)) == 1
    app.extensions["clm_db"].kw["bind"].dispose()


def test_a_crash_between_the_last_signature_and_completion_is_finished_by_the_sweep(
        app: Flask, client: Any, runner: Any) -> None:
    """The signing page commits the last signature, then the process dies before completing the
    envelope. `clm signing sweep` completes it: one completion event, one order, one billing
    and one revenue schedule, however often the sweep runs."""
    import re

    from clm.cli import main
    from clm.downstream import commercial
    from clm.signing import envelopes
    from clm.signing.models import AuditEvent, Envelope, EnvelopeStatus
    from clm.versions import store
    from tests.downstream.conftest import ONE_SAAS, TEXT, counts
    from tests.downstream.examples import saas_doc
    from tests.signing.conftest import LEGAL, NO_APPROVALS, tokens_in

    factory = db.sessionmaker_for(app)
    now = db.utcnow()
    with db.transaction_for(factory) as s:
        version = store.import_file(s, store.Upload(TEXT.encode(), "msa.txt"),
                                    limits=store.limits_from_settings(app.config), author="legal@example.test")
        commercial.attach_terms(s, version.contract, saas_doc(), by="finance@example.test", now=now)
        envelope = envelopes.create(s, version.contract_id, subject="Sign", message="", client=LEGAL, now=now,
                                    approvals=NO_APPROVALS, recipients=[envelopes.RecipientInput("A", "a@example.test")])
        envelope_id = envelope.id
        token = tokens_in(envelopes.send(s, envelope.id, client=LEGAL, now=now, link_base="https://clm.example",
                                         approvals=NO_APPROVALS))["a@example.test"]

    def csrf() -> str:
        page = client.get(f"/sign/{token}").get_data(as_text=True)
        return re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)  # type: ignore[union-attr]

    assert client.post(f"/sign/{token}/consent", data={"csrf_token": csrf(), "agree": "yes",
                                                       "disclosure_version": envelopes.DISCLOSURE_VERSION}
                       ).status_code == 200

    def crash(*_args: Any, **_kwargs: Any) -> None:
        raise SystemExit("worker killed")  # what os._exit leaves behind: the commit, nothing after it

    signing_csrf = csrf()
    with pytest.MonkeyPatch.context() as patch, pytest.raises(SystemExit):
        patch.setattr(envelopes, "complete", crash)
        client.post(f"/sign/{token}/sign", data={"csrf_token": signing_csrf, "kind": "typed", "typed_name": "A"})
    with factory() as s:
        assert s.get(Envelope, envelope_id).status is not EnvelopeStatus.COMPLETED
        assert envelopes.awaiting_completion(s) == [envelope_id]
    for _ in range(2):
        result = runner.invoke(main, ["signing", "sweep"])
        assert result.exit_code == 0, (result.output, result.exception)
    with factory() as s:
        assert s.get(Envelope, envelope_id).status is EnvelopeStatus.COMPLETED
        assert s.scalar(select(func.count()).select_from(AuditEvent)
                        .where(AuditEvent.envelope_id == envelope_id, AuditEvent.kind == "completed")) == 1
        assert counts(s) == ONE_SAAS


def test_a_command_with_the_database_down_prints_one_line_and_exits_2(runner: Any, monkeypatch: pytest.MonkeyPatch,
                                                                    tmp_path: Path) -> None:
    from clm.cli import main

    monkeypatch.setenv("CLM_DATABASE_URL", f"sqlite:///{tmp_path}/gone/clm.sqlite3")
    result = runner.invoke(main, ["signing", "sweep"])
    assert result.exit_code == 2, result.output
    assert result.stderr.startswith("clm: error: the database is unavailable")
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.output
