"""Journeys: clm run as its users run it.

Each journey gets its own installation: a fresh database (a SQLite file, or a database of its
own on the PostgreSQL server CLM_DATABASE_URL names), `clm init` and `clm user create` run as
commands, and `clm serve` (gunicorn, two workers) in its own process on a free port. People
use it through Playwright driving Debian's chromium; API clients through HTTP; every cron
command runs as its own process with the environment a crontab gives it. Nothing is called
in-process: what a journey sees is what a user sees.
"""

from __future__ import annotations

import csv
import email
import email.policy
import os
import re
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
import requests

import tests.conftest

PASSWORD = "journey-password-42"
#: The people of a journey's installation, created with `clm user create` as an admin would.
USERS = {"admin": "ada@northwind.example", "legal": "lee@northwind.example", "finance": "fran@northwind.example",
         "viewer": "val@northwind.example"}
LINK = re.compile(r"(https?://\S+/sign/[A-Za-z0-9_-]+)")
pytestmark = pytest.mark.journey


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _server_url() -> str | None:
    url = os.environ.get("CLM_DATABASE_URL", "")
    return url if url and not url.startswith("sqlite") else None


@dataclass
class Installation:
    """One clm installation under test: its settings, its server and the commands that act on it."""

    root: Path
    env: dict[str, str]
    url: str = ""
    server: subprocess.Popen[bytes] | None = None
    log: Path | None = None
    tokens: dict[str, str] = field(default_factory=dict)

    @property
    def instance(self) -> Path:
        return Path(self.env["CLM_INSTANCE_PATH"])

    def clm(self, *args: str, check: bool = True, timeout: float = 600, input: str | None = None,
            env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
        """Run ``clm ARGS`` as its own process, with a crontab's bare environment plus the settings."""
        done = subprocess.run([str(Path(sys.executable).with_name("clm")), *args], cwd=self.root,
                              env={**self.env, **(env or {})}, capture_output=True, text=True, timeout=timeout,
                              input=input)
        if check and done.returncode != 0:
            raise AssertionError(f"clm {' '.join(args)} exited {done.returncode}:\n{done.stdout}\n{done.stderr}")
        assert "Traceback" not in done.stderr, done.stderr
        return done

    def start(self, workers: int = 2) -> None:
        """Serve the installation with `clm serve` and wait until it answers."""
        port = _free_port()
        self.url = f"http://127.0.0.1:{port}"
        self.log = self.root / "serve.log"
        handle = self.log.open("wb")
        self.server = subprocess.Popen(
            [str(Path(sys.executable).with_name("clm")), "serve", "--port", str(port), "--workers", str(workers)],
            cwd=self.root, env=self.env, stdout=handle, stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.server.poll() is not None:
                raise AssertionError(f"clm serve exited:\n{self.log.read_text(errors='replace')}")
            try:
                if requests.get(f"{self.url}/api/v1/health", timeout=2).status_code == 200:
                    return
            except requests.RequestException:
                pass
            time.sleep(0.2)
        raise AssertionError(f"clm serve did not answer in 60 s:\n{self.log.read_text(errors='replace')}")

    def stop(self) -> None:
        if self.server is not None and self.server.poll() is None:
            os.killpg(self.server.pid, signal.SIGTERM)
            try:
                self.server.wait(20)
            except subprocess.TimeoutExpired:
                os.killpg(self.server.pid, signal.SIGKILL)
                self.server.wait(5)

    def server_log(self) -> str:
        return self.log.read_text(errors="replace") if self.log and self.log.exists() else ""

    # -- what users hold: tokens, mail, downloads ------------------------------------------------

    def token(self, role: str) -> str:
        """Return an API token of ``role`` (made once with `clm token create`)."""
        if role not in self.tokens:
            # A token belongs to a user and allows at most their role: the journey's user of that role.
            self.tokens[role] = self.clm("token", "create", "--user", USERS[role], "--label",
                                         f"journey {role}").stdout.strip()
        return self.tokens[role]

    def api(self, role: str) -> requests.Session:
        """An HTTP client holding a bearer token of ``role``."""
        client = requests.Session()
        client.headers["Authorization"] = f"Bearer {self.token(role)}"
        return client

    def mail(self) -> list[EmailMessage]:
        """Every email clm sent (the outbox folder, as no SMTP server is set), oldest first."""
        folder = self.instance / "outbox"
        if not folder.is_dir():
            return []
        messages = []
        for path in sorted(folder.glob("*.eml"), key=lambda p: (p.stat().st_mtime_ns, p.name)):
            message = email.message_from_bytes(path.read_bytes(), _class=EmailMessage, policy=email.policy.default)
            messages.append(message)
        return messages

    def import_file(self, path: Path) -> int:
        """Run ``clm import PATH`` as its own process and return the id of the contract it stored."""
        report = path.with_name(f"{path.stem}-import.csv")
        self.clm("import", str(path), "--report", str(report))
        (row,) = list(csv.DictReader(report.open(encoding="utf-8")))
        assert row["outcome"] == "imported", row
        return int(row["contract_id"])

    def links_for(self, address: str) -> list[str]:
        """Return the signing links mailed to ``address``, oldest first."""
        links = []
        for message in self.mail():
            if address in str(message["To"]):
                body = message.get_body(preferencelist=("plain",))
                found = LINK.search(body.get_content()) if body is not None else None
                if found:
                    links.append(found.group(1))
        return links


def _create_database(url: str) -> str:
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    name = f"clm_journey_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    engine = create_engine(url, isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    engine.dispose()
    return make_url(url).set(database=name).render_as_string(hide_password=False)


def _drop_database(url: str, target: str) -> None:
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    engine = create_engine(url, isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{make_url(target).database}" WITH (FORCE)'))
    engine.dispose()


def _install(root: Path, extra: dict[str, str] | None = None) -> Iterator[Installation]:
    server = _server_url()
    database = _create_database(server) if server else f"sqlite:///{root / 'instance' / 'clm.sqlite3'}"
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(root), "LANG": "C.UTF-8",
           "CLM_DATABASE_URL": database, "CLM_INSTANCE_PATH": str(root / "instance"),
           "CLM_SECRET_KEY": "journey-" + uuid.uuid4().hex, "CLM_REDIS_URL": "", **(extra or {})}
    installation = Installation(root=root, env=env)
    try:
        installation.clm("init")
        for role, address in USERS.items():
            installation.clm("user", "create", "--email", address, "--name", address.split("@")[0].title(),
                             "--role", role, env={"CLM_NEW_USER_PASSWORD": PASSWORD})
        installation.start()
        yield installation
    finally:
        installation.stop()
        if server:
            _drop_database(server, database)


@pytest.fixture
def clm_site(tmp_path: Path) -> Iterator[Installation]:
    """A fresh installation served by `clm serve`, with one user of each role."""
    yield from _install(tmp_path)


@pytest.fixture
def redis_url() -> str:
    """The Redis server the RQ journeys use (CLM_JOURNEY_REDIS_URL, default the machine's)."""
    url = os.environ.get("CLM_JOURNEY_REDIS_URL", "redis://127.0.0.1:6379/0")
    try:
        import redis

        redis.Redis.from_url(url, socket_connect_timeout=2).ping()
    except Exception as err:  # noqa: BLE001 - any failure means no server to test against
        if os.environ.get("CI"):
            pytest.fail(f"Redis at {url} is not reachable: {err}")
        pytest.skip(f"Redis at {url} is not reachable: {err}")
    return url


@pytest.fixture
def clm_site_with_workers(tmp_path: Path, redis_url: str) -> Iterator[Installation]:
    """A fresh installation whose jobs go to Redis (a queue of its own), run by `clm worker`."""
    yield from _install(tmp_path, {"CLM_REDIS_URL": redis_url, "CLM_RQ_QUEUE": f"journey-{uuid.uuid4().hex[:8]}"})


@pytest.fixture
def browser() -> Iterator[Any]:
    """Debian's headless chromium, driven by Playwright; one per journey."""
    from tests.conftest import CHROMIUM, CHROMIUM_ARGS

    if not os.path.exists(CHROMIUM):
        if os.environ.get("CI"):
            pytest.fail("chromium is not installed; scripts/install test installs it with apt")
        pytest.skip("Debian's chromium is not installed (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    """A desktop browser window (legal and finance at their desks)."""
    context = browser.new_context(accept_downloads=True, viewport={"width": 1366, "height": 900})
    yield context.new_page()
    context.close()


@pytest.fixture
def phone(browser: Any) -> Iterator[Any]:
    """A phone's browser (signers open their links there), with cookies of its own."""
    context = browser.new_context(accept_downloads=True, viewport={"width": 390, "height": 844},
                                  is_mobile=True, has_touch=True)
    yield context.new_page()
    context.close()


def sign_in(page: Any, site: Installation, role: str) -> None:
    """Sign in through the login form as the user of ``role``."""
    tests.conftest.sign_in(page, site.url, USERS[role], PASSWORD)


def sign_out(page: Any) -> None:
    page.get_by_role("button", name="Sign out").click()


def watch_console(page: Any) -> list[str]:
    """Collect the page's script errors and CSP violations (a journey ends with none)."""
    errors: list[str] = []
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    return errors


def sign_as_signer(page: Any, link: str, name: str) -> str:
    """Open a signing link as its recipient, consent, type a signature and finish; return the message."""
    page.goto(link)
    page.get_by_label("I agree to use electronic records and signatures").check()
    page.get_by_role("button", name="Continue").click()
    page.get_by_label("Full name").fill(name)
    page.get_by_role("button", name="Finish").click()
    return str(page.get_by_role("status").inner_text())
