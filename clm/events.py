"""Domain events: the one outbox, the one way work follows a commit.

A service that changes state calls :func:`publish` in its own transaction: the ``events`` row
commits with the change or not at all, and UNIQUE(name, key) makes publishing the same fact
twice a no-op. Nothing else is done in that transaction; everything that follows a change (the
extraction job of a stored version, the order of a completed envelope, webhooks) is a
*subscriber* of its event, registered in one place (:mod:`clm.subscribers`, wired by the app
factory and therefore by every ``clm`` command and worker).

Delivery is one mechanism: after a commit that published events, :func:`init_app`'s listener
drains them, inline without ``CLM_REDIS_URL`` (as the embedded default always did) or as an RQ
job (:func:`process_job`) with it; ``clm downstream process`` (cron) drains whatever is left.
Each event is handled in its own transaction, all its subscribers together: an event is
``processed`` once every subscriber succeeded; a subscriber that cannot act yet raises
:class:`Deferred` (the event stays pending with the reason, and is retried on the next drain);
a crash rolls the event's work back and is recorded on the row. Subscribers are idempotent
(they insert against UNIQUE keys), so delivery may be at least once.

A *stamp* (also registered in one place) adds facts to an event's payload in the publishing
transaction, for a subscriber that must see the world as it was at the change (downstream
freezes the commercial terms current at signing) without the publisher knowing about it.

This module sits below every package (it imports none): packages publish by name.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from sqlalchemy import JSON, Integer, String, Text, UniqueConstraint, select, update
from sqlalchemy.orm import Mapped, mapped_column

from clm.db import Base, insert_ignore, utcnow

if TYPE_CHECKING:
    from sqlalchemy.orm import Session, sessionmaker

log = logging.getLogger(__name__)

#: session.info flag: this transaction published events; drain them once it commits.
PENDING_KEY = "clm.events_pending"


class Event(Base):
    """One domain event: what changed, written in the transaction of the change; processed once."""

    __tablename__ = "events"
    __table_args__ = (UniqueConstraint("name", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    #: "version.stored", "envelope.completed", "order.created", "order.cancelled", "envelope.sent" ...
    name: Mapped[str] = mapped_column(String(60))
    #: What makes it unique within its name ("envelope-4-7", "order-3-created", "version-12").
    key: Mapped[str] = mapped_column(String(200))
    #: Facts about the change; ``payload["webhook"]``, when present, is the body its webhook sends.
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    #: Set once every subscriber succeeded; NULL while pending (or deferred).
    processed_at: Mapped[dt.datetime | None] = mapped_column(index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    #: Why the last attempt deferred or crashed (one line for a person).
    last_error: Mapped[str | None] = mapped_column(Text)

    def __repr__(self) -> str:
        return f"<Event {self.id} {self.name} {self.key} {'processed' if self.processed_at else 'pending'}>"


class Deferred(Exception):
    """A subscriber cannot act on the event as things stand; it stays pending with this reason."""


@dataclass
class Handled:
    """What a subscriber did: a note for the operator ("order 7") and work to run after commit."""

    note: str | None = None
    after_commit: Callable[[], None] | None = None


#: A subscriber: (session of the event's transaction, the event, settings) -> what it did.
Subscriber = Callable[["Session", Event, Mapping[str, Any]], "Handled | None"]
#: A stamp: (publishing session, payload) -> facts to add to the payload.
Stamp = Callable[["Session", Mapping[str, Any]], Mapping[str, Any]]


@dataclass
class Registry:
    """Subscribers and stamps by event name (filled by :func:`clm.subscribers.register`)."""

    subscribers: dict[str, list[Subscriber]] = field(default_factory=dict)
    stamps: dict[str, list[Stamp]] = field(default_factory=dict)
    #: The RQ job that drains events in a worker (set with the subscribers).
    job: Callable[[str], Any] | None = None

    def subscribe(self, name: str, subscriber: Subscriber) -> None:
        if subscriber not in self.subscribers.setdefault(name, []):
            self.subscribers[name].append(subscriber)

    def stamp(self, name: str, stamp: Stamp) -> None:
        if stamp not in self.stamps.setdefault(name, []):
            self.stamps[name].append(stamp)


registry = Registry()


# -- publishing: in the transaction of the change ---------------------------------------------


def publish(session: Session, name: str, key: str, payload: Mapping[str, Any], *,
            now: dt.datetime | None = None) -> int | None:
    """Record event ``name`` (unique by ``key``) in the caller's transaction; return its id, or None if known.

    Stamps registered for ``name`` add their facts first. The caller's commit is what makes it
    happen; its rollback, what makes it never have happened.
    """
    data = dict(payload)
    for stamp in registry.stamps.get(name, ()):
        data.update(stamp(session, data))
    ids = insert_ignore(session, Event, [{"name": name, "key": key[:200], "payload": data,
                                          "created_at": now or utcnow(), "attempts": 0}], ("name", "key"))
    session.info[PENDING_KEY] = True
    return ids[0] if ids else None


def mark_pending(session: Session) -> None:
    """Ask for a drain after this transaction commits (it made a waiting event actionable)."""
    session.info[PENDING_KEY] = True


def waiting(session: Session, name: str | None = None) -> int:
    """Return how many events (of ``name``) are still pending."""
    from sqlalchemy import func

    query = select(func.count(Event.id)).where(Event.processed_at.is_(None))
    if name is not None:
        query = query.where(Event.name == name)
    return int(session.scalar(query) or 0)


# -- processing -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Outcome:
    """What processing one event did: "processed", "already processed", "deferred" or "failed"."""

    event_id: int
    name: str
    result: str
    note: str | None = None
    error: str | None = None


def pending(session: Session, names: tuple[str, ...] | None = None) -> list[int]:
    """Return the ids of unprocessed events (oldest first), of ``names`` only when given."""
    query = select(Event.id).where(Event.processed_at.is_(None)).order_by(Event.id)
    if names is not None:
        query = query.where(Event.name.in_(names))
    return list(session.scalars(query))


def process_event(session: Session, event_id: int, settings: Mapping[str, Any], *,
                  now: dt.datetime | None = None) -> tuple[Outcome, list[Callable[[], None]]]:
    """Run every subscriber of one event in this session's transaction; return the outcome and the after-commit work.

    The first statement claims the row (an UPDATE), so on SQLite the transaction holds the write
    lock from its start and concurrent drains queue rather than fail; on PostgreSQL the row lock
    does the same. Exactly-once does not rest on that claim but on the subscribers' UNIQUE keys.
    """
    from clm.errors import NotFound

    if not registry.subscribers:
        # Never mark an event processed that nobody acted on (a process that skipped clm.subscribers).
        raise RuntimeError("no event subscribers are registered in this process (clm.subscribers.register)")
    now = now or utcnow()
    claimed = session.execute(update(Event).where(Event.id == event_id).values(attempts=Event.attempts + 1),
                              execution_options={"synchronize_session": False})
    if claimed.rowcount != 1:  # type: ignore[attr-defined]
        raise NotFound(f"Event {event_id} does not exist.")
    event = session.get(Event, event_id, populate_existing=True)
    assert event is not None
    if event.processed_at is not None:
        return Outcome(event_id, event.name, "already processed"), []
    notes: list[str] = []
    after: list[Callable[[], None]] = []
    deferred: str | None = None
    for subscriber in registry.subscribers.get(event.name, ()):
        try:
            done = subscriber(session, event, settings)
        except Deferred as err:
            # The other subscribers still act (they are idempotent: a retry redoes nothing twice).
            log.warning("event %s (%s) deferred: %s", event_id, event.name, err)
            deferred = deferred or str(err)
            continue
        if done is not None:
            if done.note:
                notes.append(done.note)
            if done.after_commit is not None:
                after.append(done.after_commit)
    if deferred is not None:
        event.last_error = deferred[:2000]
        session.flush()
        return Outcome(event_id, event.name, "deferred", error=deferred), after
    event.processed_at = now
    event.last_error = None
    session.flush()
    return Outcome(event_id, event.name, "processed", "; ".join(notes) or None), after


def record_failure(session: Session, event_id: int, message: str) -> None:
    """Note on the event why processing crashed (the crash rolled back everything else)."""
    session.execute(update(Event).where(Event.id == event_id)
                    .values(last_error=message[:2000], attempts=Event.attempts + 1),
                    execution_options={"synchronize_session": False})


_local = threading.local()


def drain(factory: sessionmaker[Session], settings: Mapping[str, Any], *,
          names: tuple[str, ...] | None = None) -> list[Outcome]:
    """Process every pending event (and those their subscribers publish), one transaction each.

    A crash in one is recorded on it and the rest go on; each event's after-commit work runs
    once its transaction committed. An event is tried at most once per drain.
    """
    from clm.db import transaction_for

    outcomes: list[Outcome] = []
    tried: set[int] = set()
    _local.draining = getattr(_local, "draining", 0) + 1
    try:
        while True:
            with transaction_for(factory) as session:
                ids = [i for i in pending(session, names) if i not in tried]
            if not ids:
                return outcomes
            for event_id in ids:
                tried.add(event_id)
                after: list[Callable[[], None]] = []
                try:
                    with transaction_for(factory) as session:
                        outcome, after = process_event(session, event_id, settings)
                except Exception as err:
                    log.exception("event %s failed", event_id)
                    with transaction_for(factory) as session:
                        record_failure(session, event_id, f"{type(err).__name__}: {err}")
                        name = session.scalar(select(Event.name).where(Event.id == event_id)) or "?"
                    outcomes.append(Outcome(event_id, name, "failed", error=f"{type(err).__name__}: {err}"))
                    continue
                outcomes.append(outcome)
                for work in after:
                    try:
                        work()
                    except Exception:
                        log.exception("after-commit work of event %s failed", event_id)
    finally:
        _local.draining -= 1


def process_job(database_url: str) -> int:
    """The RQ job: drain every pending event with this process's settings; return how many were processed."""
    from clm import config, db
    from clm.values import calendars

    if not registry.subscribers:
        raise RuntimeError("no event subscribers are registered in this process; run workers with `clm worker`")
    settings = config.load()
    settings["DATABASE_URL"] = database_url
    calendars.configure(settings["HOLIDAYS"])
    engine = db.make_engine(database_url)
    try:
        outcomes = drain(db.make_sessionmaker(engine), settings)
    finally:
        engine.dispose()
    return sum(o.result == "processed" for o in outcomes)


def after_commit(settings: Mapping[str, Any], factory: sessionmaker[Session],
                 enqueue: Callable[..., Any] | None = None) -> Callable[[Session], None]:
    """Return an ``after_commit`` listener that drains events when the transaction published some.

    Inline (no Redis) it drains right away, in its own transactions; with ``CLM_REDIS_URL`` it
    queues :func:`process_job` for a worker. A failure is logged, never raised: the change is
    committed, and ``clm downstream process`` (or the next commit) retries.
    """

    def listener(session: Session) -> None:
        if not session.info.pop(PENDING_KEY, False):
            return
        if getattr(_local, "draining", 0):
            return  # the drain in progress picks up what this commit published
        follow(settings, factory, enqueue)

    return listener


def follow(settings: Mapping[str, Any], factory: sessionmaker[Session],
           enqueue: Callable[..., Any] | None = None) -> None:
    """Process the events a committed transaction published: drain them now without Redis,
    queue :func:`process_job` with it. A failure is logged, never raised (the change is committed;
    ``clm downstream process`` retries). For a job whose session factory has no listener."""
    try:
        if enqueue is not None:
            enqueue(dict(settings), registry.job or process_job, settings["DATABASE_URL"])
        elif settings.get("REDIS_URL"):
            from clm import jobs

            jobs.enqueue(dict(settings), registry.job or process_job, settings["DATABASE_URL"])
        else:
            drain(factory, settings)
    except Exception:
        log.exception("processing events after commit failed; `clm downstream process` retries")


def listen(factory: sessionmaker[Session], settings: Mapping[str, Any]) -> None:
    """Drain the events a commit of ``factory``'s sessions published, after that commit."""
    from sqlalchemy import event as sa_event

    def forget(session: Session) -> None:
        session.info.pop(PENDING_KEY, None)

    sa_event.listen(factory, "after_commit", after_commit(settings, factory))
    sa_event.listen(factory, "after_rollback", forget)


def init_app(app: Any) -> None:
    """Drain the events a commit of ``app``'s sessions published, after that commit."""
    from clm import db

    listen(db.sessionmaker_for(app), app.config)
