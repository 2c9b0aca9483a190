"""The Flask application factory: configuration, database, blueprints. Nothing else."""

from __future__ import annotations

import os
import secrets
from typing import Any

from flask import Flask

from clm import config as clm_config
from clm import db


def create_app(config: dict[str, Any] | None = None) -> Flask:
    """Create and configure a clm web application; ``config`` overrides settings (tests)."""
    from clm import logs

    logs.install_redaction()  # signer links and API tokens never reach a log line
    settings = clm_config.load()
    if config:
        settings.update(config)
    app = Flask(__name__, instance_path=os.path.abspath(settings["INSTANCE_PATH"]),
                static_folder="web/static", template_folder="web/templates")
    app.config.from_mapping(settings)
    # Private: it holds the SQLite file, the secret key, the seal and audit keys, the mail outbox.
    os.makedirs(app.instance_path, mode=0o700, exist_ok=True)
    app.config["SECRET_KEY"] = app.config["SECRET_KEY"] or _local_secret(app.instance_path)
    app.config.update(
        # Werkzeug refuses bodies over this before a view reads them (multipart DoS).
        MAX_CONTENT_LENGTH=max(app.config["MAX_UPLOAD_BYTES"], app.config["MAX_PDF_UPLOAD_BYTES"]) + 64 * 1024,
        # What one text field may hold in memory, which also caps the multipart parser's
        # buffer: Werkzeug reads the body in 64 KiB chunks and counts them against this limit, so
        # 64 KiB refused every file over about 300 KB as "too large". A drawn signature (at most
        # 200 KB of PNG, 267 KB as base64) is the largest field; files stream to disk regardless.
        MAX_FORM_MEMORY_SIZE=1024 * 1024,
        MAX_FORM_PARTS=50,
        SESSION_COOKIE_NAME="__Host-clm" if app.config["SECURE_COOKIES"] else "clm_session",
        SESSION_COOKIE_SECURE=app.config["SECURE_COOKIES"],
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        PERMANENT_SESSION_LIFETIME=app.config["SESSION_ABSOLUTE_HOURS"] * 3600,
    )

    if int(app.config.get("PROXY_HOPS") or 0) > 0:
        # Behind that many reverse proxies, each appending X-Forwarded-For/-Proto/-Host: the
        # client's address (audit trail, sign-in throttling) and https are read from them.
        # Without the setting these headers are ignored: anyone could send them.
        from werkzeug.middleware.proxy_fix import ProxyFix

        hops = int(app.config["PROXY_HOPS"])
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)  # type: ignore[method-assign]
    from clm.web import jsonbody

    app.json = jsonbody.BoundedJSONProvider(app)

    db.init_app(app)
    from clm.signing import audit, keys

    # The audit chain's key, read once, kept outside the database (clm.signing.audit).
    db.sessionmaker_for(app).configure(info={audit.KEY_INFO: keys.audit_key(app.config)})
    from clm.versions import blobs

    blobs.configure(app.config)  # where new blob bytes go: the database or CLM_BLOB_STORE's directory
    from clm.values import calendars

    calendars.configure(app.config["HOLIDAYS"])  # the business-day calendar when a contract names none
    from clm import events, subscribers

    subscribers.register()  # who acts on which domain event, in one place
    events.init_app(app)  # drain the events a commit published, after it (inline, or an RQ job)

    from clm import signing
    from clm.clauses import api as clauses_api
    from clm.clauses import views as clauses_views
    from clm.versions import views as versions_views
    from clm.web import admin, api, auth, contracts, errors, pages

    pages.init_app(app)
    auth.init_app(app)
    errors.init_app(app)
    app.register_blueprint(auth.bp)
    app.register_blueprint(admin.bp)
    app.register_blueprint(versions_views.bp)
    app.register_blueprint(contracts.bp)
    app.register_blueprint(clauses_views.bp)
    app.register_blueprint(clauses_api.bp)
    app.register_blueprint(api.bp)
    signing.init_app(app)
    from clm.downstream import views as downstream_views

    downstream_views.init_app(app)
    from clm.quotes import views as quotes_views

    quotes_views.init_app(app)
    from clm.search import views as search_views
    from clm.web import jobs as jobs_page

    search_views.init_app(app)
    app.register_blueprint(jobs_page.bp)
    return app


def _local_secret(instance_path: str) -> str:
    """Return the secret key kept in the instance folder, creating it on first use.

    One file shared by every worker process of this installation; production sets
    ``CLM_SECRET_KEY`` instead.
    """
    path = os.path.join(instance_path, "secret.key")
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        with open(path, encoding="ascii") as handle:
            return handle.read().strip()
    with os.fdopen(fd, "w", encoding="ascii") as handle:
        key = secrets.token_urlsafe(48)
        handle.write(key)
    return key
