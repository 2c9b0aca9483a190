"""Measure the one outbox: publishing domain events in a transaction, and draining them.

Usage (from the project root, venv active)::

    python benchmarks/events.py [--events 2000] [--url sqlite:///...]

Publishes N webhook-carrying status events (``envelope.sent``-like, one per transaction as the
app does, and N more in one transaction), then drains them with the registered subscribers
(the webhook subscriber queues one ``webhook_deliveries`` row each; webhooks are off, so nothing
is POSTed). Prints the publish cost per event and the drain rate (events per second). A fresh
SQLite file in a temporary directory unless ``--url`` is given (use an empty database).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def main() -> None:
    from sqlalchemy import func, select

    from clm import db, events, subscribers
    from clm.cli import upgrade_database
    from clm.webhooks import WebhookDelivery

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=2000)
    parser.add_argument("--url")
    args = parser.parse_args()
    tmp = tempfile.TemporaryDirectory()
    url = args.url or f"sqlite:///{Path(tmp.name) / 'events.sqlite3'}"
    upgrade_database(url)
    subscribers.register()
    engine = db.make_engine(url)
    factory = db.make_sessionmaker(engine)
    settings = {"DATABASE_URL": url, "REDIS_URL": "", "WEBHOOK_URL": ""}
    n = args.events

    def body(i: int) -> dict[str, object]:
        return {"id": f"bench-{i}", "event": "envelope.sent", "envelope": {"id": i}, "audit": {"seq": 1}, "data": {}}

    start = time.perf_counter()
    for i in range(n):
        with db.transaction_for(factory) as s:
            events.publish(s, "envelope.sent", f"bench-{i}", {"webhook": body(i)})
    one_each = time.perf_counter() - start
    start = time.perf_counter()
    with db.transaction_for(factory) as s:
        for i in range(n, 2 * n):
            events.publish(s, "envelope.sent", f"bench-{i}", {"webhook": body(i)})
    batched = time.perf_counter() - start
    with db.transaction_for(factory) as s:  # publishing twice is a no-op (UNIQUE(name, key))
        for i in range(n):
            events.publish(s, "envelope.sent", f"bench-{i}", {"webhook": body(i)})
    start = time.perf_counter()
    outcomes = events.drain(factory, settings)
    drained = time.perf_counter() - start
    with factory() as s:
        rows = s.scalar(select(func.count()).select_from(WebhookDelivery))
        total = s.scalar(select(func.count()).select_from(events.Event))
    engine.dispose()
    processed = sum(o.result == "processed" for o in outcomes)
    print(f"database: {engine.dialect.name}; events: {total} ({n} republished, ignored)")
    print(f"publish, one transaction each: {one_each / n * 1000:.2f} ms per event (commit included)")
    print(f"publish, {n} in one transaction: {batched / n * 1000:.3f} ms per event")
    print(f"drain: {processed} processed, {rows} webhook rows queued, {drained:.1f} s, "
          f"{processed / drained:.0f} events/s (one transaction per event)")


if __name__ == "__main__":
    main()
