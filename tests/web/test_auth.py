"""Sign-in, sessions, CSRF, roles and the headers every page carries."""

from __future__ import annotations

import time

import pytest

from clm.users import Role
from tests.conftest import PASSWORD


def test_pages_need_a_signed_in_user(client):
    response = client.get("/")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login?next=/")


def test_sign_in_and_out(client, auth):
    auth.login(Role.VIEWER)
    assert client.get("/").status_code == 200
    response = client.post("/logout", data={"csrf_token": auth.token()})
    assert response.status_code == 302
    assert client.get("/").status_code == 302


def test_a_wrong_password_is_refused_without_saying_which_part_was_wrong(client, auth, make_user):
    user = make_user(Role.LEGAL)
    response = client.post("/login", data={"email": user.email, "password": "wrong password",
                                           "csrf_token": auth.csrf()})
    assert response.status_code == 401
    assert "email or password is wrong" in response.get_data(as_text=True)
    assert client.get("/").status_code == 302


def test_repeated_failures_lock_the_account_for_a_while(app, client, auth, make_user):
    user = make_user(Role.LEGAL)
    app.config["LOGIN_ATTEMPTS_PER_15_MINUTES"] = 3
    for _ in range(3):
        client.post("/login", data={"email": user.email, "password": "nope", "csrf_token": auth.csrf()})
    response = client.post("/login", data={"email": user.email, "password": PASSWORD, "csrf_token": auth.csrf()})
    assert response.status_code == 401


def test_a_form_post_without_the_csrf_token_is_refused(client, make_user):
    user = make_user(Role.LEGAL)
    response = client.post("/login", data={"email": user.email, "password": PASSWORD})
    assert response.status_code == 400
    assert "reload the page" in response.get_data(as_text=True)


def test_a_signed_in_post_without_csrf_changes_nothing(client, auth):
    auth.login(Role.LEGAL)
    response = client.post("/contracts/new", data={"file": (b"A contract\n", "a.txt")},
                           content_type="multipart/form-data")
    assert response.status_code == 400
    assert "No contracts yet" in client.get("/").get_data(as_text=True)


def test_the_session_is_replaced_at_sign_in(client, auth, make_user):
    with client.session_transaction() as sess:
        sess["planted"] = "by an attacker"
    auth.login(Role.VIEWER)
    with client.session_transaction() as sess:
        assert "planted" not in sess and "user_id" in sess


def test_an_idle_session_expires(app, client, auth):
    auth.login(Role.VIEWER)
    with client.session_transaction() as sess:
        sess["seen_at"] = time.time() - app.config["SESSION_IDLE_MINUTES"] * 60 - 1
    assert client.get("/").status_code == 302


def test_a_session_expires_after_the_absolute_lifetime(app, client, auth):
    auth.login(Role.VIEWER)
    with client.session_transaction() as sess:
        sess["login_at"] = time.time() - app.config["SESSION_ABSOLUTE_HOURS"] * 3600 - 1
    assert client.get("/").status_code == 302


@pytest.mark.parametrize("target", ["//evil.example/", "https://evil.example/x", "/\\evil.example"])
def test_sign_in_never_redirects_off_site(client, auth, make_user, target):
    user = make_user(Role.VIEWER)
    response = client.post(f"/login?next={target}", data={"email": user.email, "password": PASSWORD,
                                                          "csrf_token": auth.csrf()})
    location = response.headers["Location"]
    assert "evil.example" not in location.split("?")[0].replace("\\", "/").lstrip("/").split("/")[0]


def test_a_viewer_cannot_upload(client, auth):
    auth.login(Role.VIEWER)
    assert client.get("/contracts/new").status_code == 403
    response = client.post("/contracts/new", data={"file": (b"A contract\n", "a.txt"), "csrf_token": auth.token()},
                           content_type="multipart/form-data")
    assert response.status_code == 403


def test_session_cookie_flags(client, auth):
    client.get("/login")
    auth.login(Role.VIEWER)
    cookie = client.get_cookie("clm_session")
    assert cookie is not None and cookie.http_only and cookie.same_site == "Lax"


def test_secure_cookies_use_the_host_prefix(app_config):
    from clm.app import create_app

    app = create_app({**app_config, "SECURE_COOKIES": True})
    assert app.config["SESSION_COOKIE_NAME"] == "__Host-clm"
    assert app.config["SESSION_COOKIE_SECURE"] is True


def test_every_page_carries_security_headers(client):
    response = client.get("/login")
    csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] == "DENY"
