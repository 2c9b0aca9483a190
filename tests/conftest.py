"""Fixtures: an app on a fresh database per test (SQLite, or PostgreSQL via CLM_DATABASE_URL)."""

from __future__ import annotations

import os
import shutil
import threading
import uuid
import weakref
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session
from werkzeug.serving import make_server

from clm import db
from clm.app import create_app
from clm.cli import upgrade_database
from clm.models import Base
from clm.users import Role, User, create_token, create_user

PASSWORD = "correct horse battery"
SHARED = Path(__file__).resolve().parents[2] / "shared"


def pytest_report_header() -> str:
    header = f"clm database: {_server_url() or 'SQLite (temporary files)'}"
    if _server_url() and not _everything_on_server():
        header += " (only the tests that use a database; CLM_TEST_EVERYTHING=1 runs all)"
    return header


def _everything_on_server() -> bool:
    return os.environ.get("CLM_TEST_EVERYTHING", "") not in ("", "0")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """On a database server, run only the tests that use a database.

    A test that touches no database (diffing, extraction, values, schedules) gives the same result
    on every server, and the SQLite run has already run it; running it again doubled CI's time.
    A test uses a database when it asks for one through the fixtures, is a journey (which makes
    its own installation), or its module reads CLM_DATABASE_URL itself.
    """
    if _server_url() is None or _everything_on_server():
        return
    reads_url: dict[str, bool] = {}

    def uses_database(item: pytest.Item) -> bool:
        if "migrated_database" in getattr(item, "fixturenames", ()) or item.get_closest_marker("journey"):
            return True
        path = str(item.path)
        if path not in reads_url:
            source = item.path.read_text(encoding="utf-8") if item.path.suffix == ".py" else ""
            reads_url[path] = "CLM_DATABASE_URL" in source or "_server_url" in source
        return reads_url[path]

    kept = [item for item in items if uses_database(item)]
    deselected = [item for item in items if not uses_database(item)]
    if deselected:
        config.hook.pytest_deselected(items=deselected)
        items[:] = kept


def _server_url() -> str | None:
    url = os.environ.get("CLM_DATABASE_URL", "")
    return url if url and not url.startswith("sqlite") else None


@pytest.fixture(scope="session")
def migrated_database(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Yield the URL of a database migrated to head once per test session.

    For SQLite this is a template file that each test copies. For PostgreSQL it is a fresh
    database created beside the one CLM_DATABASE_URL names (so two test runs on one server
    cannot truncate each other's tables), dropped at the end; where the role may not create
    databases, the named database itself is wiped and used.
    """
    url = _server_url()
    if url is None:
        path = tmp_path_factory.mktemp("db") / "template.sqlite3"
        url = f"sqlite:///{path}"
        upgrade_database(url)
        yield url
        return
    own = _create_database(url)
    target = own or url
    if own is None:
        engine = db.make_engine(url)
        with engine.begin() as connection:
            connection.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
            connection.execute(text("CREATE SCHEMA public"))
        engine.dispose()
    upgrade_database(target)
    yield target
    if own is not None:
        from clm import jobs

        jobs.dispose_engines()
        _drop_database(url, make_url(own).database or "")


def _create_database(url: str) -> str | None:
    """Create an empty database on ``url``'s server; return its URL, or None if not allowed."""
    name = f"clm_test_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    engine = db.make_engine(url).execution_options(isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
    except DBAPIError:
        return None
    finally:
        engine.dispose()
    return make_url(url).set(database=name).render_as_string(hide_password=False)


def _drop_database(url: str, name: str) -> None:
    engine = db.make_engine(url).execution_options(isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    engine.dispose()


@pytest.fixture
def database_url(migrated_database: str, tmp_path: Path) -> str:
    """Return the URL of an empty, migrated database for this test."""
    if migrated_database.startswith("sqlite"):
        target = tmp_path / "clm.sqlite3"
        shutil.copyfile(migrated_database.removeprefix("sqlite:///"), target)
        return f"sqlite:///{target}"
    engine = db.make_engine(migrated_database)
    tables = ", ".join(table.name for table in Base.metadata.sorted_tables)
    with engine.begin() as connection:
        # TRUNCATE skips the row triggers that make versions and blobs insert-only.
        connection.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
    engine.dispose()
    return migrated_database


@pytest.fixture
def app_config(database_url: str, tmp_path: Path) -> dict[str, Any]:
    return {"TESTING": True, "DATABASE_URL": database_url, "SECRET_KEY": "test-secret",
            "INSTANCE_PATH": str(tmp_path / "instance"), "REDIS_URL": ""}


@pytest.fixture
def app(app_config: dict[str, Any]) -> Iterator[Flask]:
    application = create_app(app_config)
    yield application
    application.extensions["clm_db"].kw["bind"].dispose()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def session(app: Flask) -> Iterator[Session]:
    """A session on the test's database, for arranging data and checking results."""
    factory = db.sessionmaker_for(app)
    with factory() as s:
        yield s


@pytest.fixture
def cli_env(app_config: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """Point the `clm` command at the test's database."""
    env = {"CLM_DATABASE_URL": app_config["DATABASE_URL"], "CLM_INSTANCE_PATH": app_config["INSTANCE_PATH"],
           "CLM_SECRET_KEY": "test-secret", "CLM_REDIS_URL": ""}
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    return env


@pytest.fixture
def runner(cli_env: dict[str, str]) -> CliRunner:
    return CliRunner()


@pytest.fixture
def make_user(app: Flask) -> Callable[..., Any]:
    """Return a function that creates a user with a role (default legal) and the test password."""

    def _make(role: Role | str = Role.LEGAL, email: str | None = None) -> Any:
        role = Role(role)
        with db.transaction_for(db.sessionmaker_for(app)) as s:
            return create_user(s, email=email or f"{role.value}@example.test", name=role.value.title(),
                               password=PASSWORD, role=role)

    return _make


@pytest.fixture
def make_token(app: Flask) -> Callable[[Role | str], str]:
    """Return a function that creates an API token for a role and returns its text."""

    def _make(role: Role | str) -> str:
        role = Role(role)
        email = f"token-{role.value}@example.test"
        with db.transaction_for(db.sessionmaker_for(app)) as s:
            owner = s.scalar(select(User).where(User.email == email)) or create_user(
                s, email=email, name=f"Token {role.value}", password=PASSWORD, role=role)
            return create_token(s, user=owner, label=f"test {role.value}")[1]

    return _make


class AuthActions:
    """Sign in and out through the real login form, CSRF token included."""

    def __init__(self, client: FlaskClient, make_user: Callable[..., Any]) -> None:
        self._client = client
        self._make_user = make_user

    def csrf(self) -> str:
        self._client.get("/login")
        with self._client.session_transaction() as sess:
            return str(sess["csrf"])

    def login(self, role: Role | str = Role.LEGAL) -> Any:
        user = self._make_user(role)
        response = self._client.post("/login", data={"email": user.email, "password": PASSWORD,
                                                    "csrf_token": self.csrf()})
        assert response.status_code == 302, response.get_data(as_text=True)
        return user

    def token(self) -> str:
        with self._client.session_transaction() as sess:
            return str(sess["csrf"])


@pytest.fixture
def auth(client: FlaskClient, make_user: Callable[..., Any]) -> AuthActions:
    return AuthActions(client, make_user)


@pytest.fixture(scope="session")
def fixtures_dir() -> Path:
    return Path(__file__).parent / "fixtures"


# -- real-browser tests ------------------------------------------------------------------------

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
#: As root in a container: no sandbox; no background traffic to hosts this machine cannot reach.
#: Every engine clm makes during the run (create_app, jobs, commands), so the fixtures below can
#: close the pools a test or a module left open: on PostgreSQL, pools nobody closed add up to the
#: server's max_connections over a run (the PostgreSQL pass once peaked at ~90 of 100).
_ENGINES: weakref.WeakSet[Any] = weakref.WeakSet()
_make_engine = db.make_engine


def _tracked_engine(*args: Any, **kwargs: Any) -> Any:
    engine = _make_engine(*args, **kwargs)
    _ENGINES.add(engine)
    return engine


db.make_engine = _tracked_engine  # type: ignore[assignment]


@contextmanager
def _closing_new_engines() -> Iterator[None]:
    """Close the pools of the engines made inside the block (they reopen if used again)."""
    before = set(_ENGINES)
    yield
    for engine in set(_ENGINES) - before:
        engine.dispose()


@pytest.fixture(autouse=True, scope="module")
def _close_module_pools() -> Iterator[None]:
    """Close the pools a module's fixtures opened, once the module is done."""
    with _closing_new_engines():
        yield


@pytest.fixture(autouse=True)
def _close_test_pools() -> Iterator[None]:
    """Close the pools a test opened (an app it made and never disposed), once it is done."""
    with _closing_new_engines():
        yield


CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]


@contextmanager
def serving(app: Flask) -> Iterator[str]:
    """Serve ``app`` on a free local port in a thread; yield its base URL.

    Afterwards the app's connection pool is closed: on PostgreSQL, the pools of served apps left
    open add up to the server's max_connections over a run.
    """
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)
        app.extensions["clm_db"].kw["bind"].dispose()


@pytest.fixture
def demo_server(app_config) -> Iterator[str]:
    """Serve a demo-seeded clm, its versions extracted, on a free local port; yield its base URL."""
    from clm.cli import extract_all
    from clm.demo import seed

    app = create_app(app_config)
    with db.transaction_for(db.sessionmaker_for(app)) as session:
        seed(session)
    extract_all(app)
    with serving(app) as url:
        yield url


def sign_in(page: Any, base_url: str, email: str = "legal@example.com", password: str | None = None) -> None:
    """Sign in through the login form (the demo users' password unless ``password`` is given)."""
    from clm.demo import DEMO_PASSWORD

    page.goto(f"{base_url}/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password or DEMO_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{base_url}/")


@pytest.fixture
def viewport() -> dict[str, int]:
    """The browser window; a module overrides this fixture for a phone-sized screen."""
    return {"width": 1280, "height": 900}


@pytest.fixture
def page(viewport: dict[str, int]) -> Iterator[Any]:
    """A Playwright page in Debian's headless chromium."""
    if not os.path.exists(CHROMIUM):
        # CI installs chromium (.ci/run); there a missing browser must fail loudly, not skip.
        if os.environ.get("CI"):
            pytest.fail("chromium is not installed; .ci/run installs it with apt")
        pytest.skip("Debian's chromium is not installed (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        context = browser.new_context(accept_downloads=True, viewport=viewport)
        yield context.new_page()
        context.close()
        browser.close()
