"""Transport and storage hardening: HSTS over TLS, proxy headers, no-store, a private SQLite file,
nested JSON answered 400 (issue 17 findings 14, 16, 17, 18)."""

from __future__ import annotations

import json
import os
import stat

import pytest

from clm import db
from clm.app import create_app


# -- finding 18: the SQLite database is private -------------------------------------------------


def test_a_new_sqlite_database_is_created_readable_by_its_owner_only(tmp_path):
    path = tmp_path / "fresh" / "clm.sqlite3"
    path.parent.mkdir()
    old = os.umask(0o022)  # the usual umask, which would give 0644
    try:
        engine = db.make_engine(f"sqlite:///{path}")
        with engine.connect() as connection:
            connection.exec_driver_sql("CREATE TABLE t (x INTEGER)")
            connection.commit()
        engine.dispose()
    finally:
        os.umask(old)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    for suffix in ("-wal", "-shm"):  # SQLite gives its side files the database's mode
        side = path.with_name(path.name + suffix)
        if side.exists():
            assert stat.S_IMODE(side.stat().st_mode) & 0o077 == 0


def test_the_instance_folder_is_created_private(tmp_path):
    instance = tmp_path / "new-instance"
    app = create_app({"TESTING": True, "DATABASE_URL": "sqlite://", "SECRET_KEY": "x",
                      "INSTANCE_PATH": str(instance)})
    app.extensions["clm_db"].kw["bind"].dispose()
    assert stat.S_IMODE(instance.stat().st_mode) & 0o077 == 0


# -- finding 16: HSTS over TLS, proxy headers only when configured --------------------------------


def test_hsts_is_sent_over_https_only(client):
    assert "Strict-Transport-Security" not in client.get("/login").headers
    secure = client.get("/login", base_url="https://clm.example")
    assert secure.headers["Strict-Transport-Security"].startswith("max-age=")


def test_forwarded_headers_are_ignored_unless_a_proxy_is_configured(app_config):
    seen = {}
    app = create_app(app_config)

    @app.route("/_whoami")
    def _whoami() -> str:
        from flask import request

        seen["ip"], seen["secure"] = request.remote_addr, request.is_secure
        return "ok"

    forwarded = {"X-Forwarded-For": "198.51.100.7", "X-Forwarded-Proto": "https"}
    app.test_client().get("/_whoami", headers=forwarded, environ_base={"REMOTE_ADDR": "10.0.0.2"})
    assert seen == {"ip": "10.0.0.2", "secure": False}
    app.extensions["clm_db"].kw["bind"].dispose()

    app = create_app({**app_config, "PROXY_HOPS": 1})
    app.add_url_rule("/_whoami", "_whoami", _whoami)
    response = app.test_client().get("/_whoami", headers=forwarded, environ_base={"REMOTE_ADDR": "10.0.0.2"})
    assert seen == {"ip": "198.51.100.7", "secure": True}
    assert "Strict-Transport-Security" in response.headers
    app.extensions["clm_db"].kw["bind"].dispose()


# -- finding 17: downloads are not cached --------------------------------------------------------


def test_downloads_say_no_store_and_static_files_may_be_cached(client, auth):
    auth.login("legal")
    from io import BytesIO

    response = client.post("/contracts/new", data={"file": (BytesIO(b"An agreement.\nSecond line.\n"), "a.txt"),
                                                   "csrf_token": auth.token()})
    assert response.status_code == 302
    contract_path = response.headers["Location"]
    download = client.get(contract_path.rstrip("/") + "/versions/1/download")
    assert download.status_code == 200
    assert download.headers["Cache-Control"] == "no-store"
    assert "no-store" not in client.get("/static/clm.css").headers.get("Cache-Control", "")


# -- finding 14: deeply nested JSON is a 400, never a 500 -------------------------------------------


@pytest.mark.parametrize("depth", [50_000, 200])
def test_deeply_nested_json_is_a_400(client, make_token, depth):
    token = make_token("admin")
    body = "[" * depth + "]" * depth
    for path, method in (("/api/v1/envelopes", "POST"), ("/api/v1/quotes/price", "POST"),
                         ("/api/v1/contracts/1/commercial-terms", "PUT")):
        response = client.open(path, method=method, data=body, content_type="application/json",
                               headers={"Authorization": f"Bearer {token}"})
        assert response.status_code == 400, (path, response.status_code, response.get_data(as_text=True)[:200])
        assert "nested" in json.loads(response.data)["error"]
