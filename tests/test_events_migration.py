"""Revision 24a1c3660766 moves the data: outbox_events -> events, two webhook tables -> one, and back.

Runs on SQLite, and on PostgreSQL when CLM_DATABASE_URL names one (in a database of its own,
dropped afterwards, since it downgrades the schema).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from alembic.config import Config
from sqlalchemy import select, text
from sqlalchemy.engine import make_url

from clm import db, events
from clm.app import create_app
from clm.cli import upgrade_database
from clm.downstream import commercial
from clm.downstream.models import Order
from clm.events import Event
from clm.versions import store
from clm.webhooks import WebhookDelivery
from tests.conftest import _create_database, _drop_database, _server_url
from tests.downstream.conftest import TEXT, make_envelope, publish_completed
from tests.downstream.examples import saas_doc

ROOT = Path(__file__).resolve().parents[1]
BEFORE = "e55cc334dd5d"


@pytest.fixture
def own_database(tmp_path: Path) -> Iterator[str]:
    server = _server_url()
    if server is None:
        url = f"sqlite:///{tmp_path / 'events.sqlite3'}"
        upgrade_database(url)
        yield url
        return
    url = _create_database(server)
    if url is None:
        pytest.skip("the PostgreSQL role may not create a database of its own")
    try:
        upgrade_database(url)
        yield url
    finally:
        from clm import jobs

        jobs.dispose_engines()
        _drop_database(server, make_url(url).database or "")


def _alembic(url: str, verb: str, revision: str) -> None:
    cfg = Config(str(ROOT / "alembic.ini"))
    cfg.set_main_option("sqlalchemy.url", url)
    getattr(command, verb)(cfg, revision)


def _signed(app: Any, title: str, *, attach: bool) -> int:
    """A contract signed through the app's sessions; return its envelope id."""
    factory = db.sessionmaker_for(app)
    now = db.utcnow()
    with db.transaction_for(factory) as s:
        version = store.import_file(s, store.Upload(TEXT.encode(), f"{title}.txt"),
                                    limits=store.limits_from_settings(app.config), author="legal@example.test",
                                    title=title)
        cid = version.contract_id
        if attach:
            commercial.attach_terms(s, version.contract, saas_doc(), by="finance@example.test", now=now)
    with db.transaction_for(factory) as s:
        envelope = make_envelope(s, cid, now=now)
        publish_completed(s, envelope)
        # A status-change webhook as signing's audit trail queues it (body id envelope-<id>-<seq>).
        body = {"id": f"envelope-{envelope.id}-1", "event": "envelope.sent", "envelope": {"id": envelope.id},
                "audit": {"seq": 1}, "data": {}}
        events.publish(s, "envelope.sent", body["id"], {"webhook": body, "envelope_id": envelope.id})
        return envelope.id


def _snapshot(url: str) -> tuple[dict[int, Any], dict[str, Any]]:
    engine = db.make_engine(url)
    try:
        with db.make_sessionmaker(engine)() as s:
            completed = {e.id: (e.payload, e.processed_at is not None, e.last_error, e.attempts)
                         for e in s.scalars(select(Event).where(Event.name == "envelope.completed"))}
            hooks = {w.key: (w.event, w.payload, w.attempts, w.delivered_at is not None)
                     for w in s.scalars(select(WebhookDelivery))}
    finally:
        engine.dispose()
    return completed, hooks


def test_events_and_webhooks_survive_a_downgrade_and_an_upgrade(own_database: str, tmp_path: Path) -> None:
    app = create_app({"TESTING": True, "DATABASE_URL": own_database, "SECRET_KEY": "test-secret",
                      "INSTANCE_PATH": str(tmp_path / "instance"), "REDIS_URL": ""})
    processed_envelope = _signed(app, "Acme", attach=True)  # processed after commit: order + order.created
    waiting_envelope = _signed(app, "Globex", attach=False)  # deferred: no commercial terms yet
    app.extensions["clm_db"].kw["bind"].dispose()
    completed, hooks = _snapshot(own_database)
    assert sorted((p["envelope_id"], done) for p, done, _e, _a in completed.values()) == [
        (processed_envelope, True), (waiting_envelope, False)]
    assert {event for event, *_ in hooks.values()} == {"envelope.sent", "order.created"}
    assert len(hooks) == 3  # two envelope.sent, one order.created

    _alembic(own_database, "downgrade", BEFORE)
    engine = db.make_engine(own_database)
    with engine.connect() as connection:
        outbox = connection.execute(text("SELECT envelope_id, event, processed_at, last_error FROM outbox_events "
                                         "ORDER BY id")).all()
        envelope_hooks = connection.execute(text("SELECT envelope_id, event, audit_seq FROM webhook_deliveries "
                                                 "ORDER BY envelope_id")).all()
        order_hooks = connection.execute(text("SELECT event FROM order_webhook_deliveries")).all()
    engine.dispose()
    assert [(r[0], r[1], r[2] is not None) for r in outbox] == [(processed_envelope, "executed", True),
                                                               (waiting_envelope, "executed", False)]
    assert "no commercial terms" in outbox[1][3]
    assert [tuple(r) for r in envelope_hooks] == [(processed_envelope, "envelope.sent", 1),
                                                  (waiting_envelope, "envelope.sent", 1)]
    assert [r[0] for r in order_hooks] == ["order.created"]

    _alembic(own_database, "upgrade", "head")
    again, hooks_again = _snapshot(own_database)
    assert again == {i: ({**p}, done, err, n) for i, (p, done, err, n) in completed.items()}
    assert hooks_again == hooks

    # The waiting contract is processed by the new subscribers once its terms are attached.
    app = create_app({"TESTING": True, "DATABASE_URL": own_database, "SECRET_KEY": "test-secret",
                      "INSTANCE_PATH": str(tmp_path / "instance"), "REDIS_URL": ""})
    factory = db.sessionmaker_for(app)
    with db.transaction_for(factory) as s:
        contract_id = next(p["contract_id"] for p, done, *_ in completed.values() if not done)
        commercial.attach_terms(s, store.get_contract(s, contract_id), saas_doc(), by="finance@example.test",
                                now=db.utcnow())
    with factory() as s:
        assert s.scalar(select(Order.id).where(Order.envelope_id == waiting_envelope)) is not None
        # Ids went on from the migrated rows (PostgreSQL's sequence was moved past them).
        assert s.scalar(select(Event.id).order_by(Event.id.desc()).limit(1)) > max(completed)
    app.extensions["clm_db"].kw["bind"].dispose()
