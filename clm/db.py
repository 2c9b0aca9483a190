"""Database engine, declarative ``Base``, the per-request session and the one ``transaction()``."""

from __future__ import annotations

import datetime as dt
import decimal
import enum
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, NamedTuple

from sqlalchemy import DateTime, MetaData, Numeric, create_engine, event
from sqlalchemy.types import TypeDecorator
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker

if TYPE_CHECKING:
    from flask import Flask

# Stable constraint names, so Alembic revisions name the same constraint on every database.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UtcDateTime(TypeDecorator[dt.datetime]):
    """A timezone-aware UTC datetime on every database (SQLite hands back naive values)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: Any) -> dt.datetime | None:
        if value is not None and value.tzinfo is None:
            raise ValueError("naive datetimes are ambiguous; pass an aware UTC datetime")
        return value.astimezone(dt.UTC) if value is not None else None

    def process_result_value(self, value: dt.datetime | None, dialect: Any) -> dt.datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)


class Base(DeclarativeBase):
    """Declarative base of every clm model."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {
        decimal.Decimal: Numeric(18, 2),
        dt.datetime: UtcDateTime(),
    }


def enum_values(enum_cls: type[enum.Enum]) -> list[str]:
    """Return the values of an enum, so columns store ``"legal"`` rather than ``"LEGAL"``."""
    return [member.value for member in enum_cls]


def utcnow() -> dt.datetime:
    """Return the current time in UTC, timezone-aware."""
    return dt.datetime.now(dt.UTC)


def insert_ignore(session: Session, table: Any, rows: Sequence[Mapping[str, Any]], keys: Sequence[str]) -> list[int]:
    """INSERT ``rows`` into ``table`` (a model or a Table); a row whose UNIQUE ``keys`` exist is skipped.

    The one insert-or-ignore of clm (``INSERT ... ON CONFLICT DO NOTHING``, SQLite and
    PostgreSQL): what makes outbox events, webhook deliveries, downstream rows and reminders
    exactly-once under retries and races. Return the ids of the rows that went in.
    """
    if not rows:
        return []
    from sqlalchemy.dialects import postgresql, sqlite

    dialect: Any = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    target = getattr(table, "__table__", table)
    # Values go as parameters, not into the statement, so its compiled form is cached.
    statement = dialect.insert(target).on_conflict_do_nothing(index_elements=list(keys))
    params = [dict(r) for r in rows]
    if "id" in target.c:
        return [row[0] for row in session.execute(statement.returning(target.c.id), params)]
    session.execute(statement, params)
    return []


def make_engine(url: str, *, busy_timeout: float = 15) -> Engine:
    """Return an engine for ``url`` tuned for clm's use of it.

    ``busy_timeout``: how long, in seconds, a SQLite writer waits for the write lock before
    "database is locked" (answered as 503).
    """
    if url.startswith("sqlite"):
        _create_private_sqlite_file(url)
        engine = create_engine(url, connect_args={"timeout": busy_timeout}, hide_parameters=True)

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
            # WAL lets readers run beside a writer; busy_timeout makes writers queue instead of
            # failing with "database is locked"; SQLite leaves foreign keys off unless asked.
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute(f"PRAGMA busy_timeout={int(busy_timeout * 1000)}")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.close()

        return engine
    # pool_pre_ping: a restarted database costs one failed ping, not a failed request.
    # hide_parameters: an error message must never carry the values (a password hash, a token).
    return create_engine(url, pool_pre_ping=True, pool_size=5, max_overflow=10, hide_parameters=True)


def _create_private_sqlite_file(url: str) -> None:
    """Create a SQLite database file readable by its owner only (0600), before SQLite makes it 0644.

    The file holds password hashes and every contract; SQLite creates its -wal and -shm files
    with the database file's permissions, so they are private too.
    """
    import os

    from sqlalchemy.engine import make_url

    path = make_url(url).database
    if not path or path == ":memory:" or path.startswith("file:") or os.path.exists(path):
        return
    try:
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    except FileExistsError:
        pass  # another process created it first
    except FileNotFoundError:
        pass  # no such folder: SQLite reports it when it connects


def make_sessionmaker(engine: Engine) -> sessionmaker[Session]:
    """Return the session factory; objects stay readable after commit so views can render them.

    The process must have imported every model first (``clm.models``): a foreign key names its
    target by table, which SQLAlchemy resolves only among the models imported so far. The entry
    points do it: ``create_app`` and the ``clm`` command.
    """
    return sessionmaker(bind=engine, expire_on_commit=False)


@contextmanager
def committing(session: Session) -> Iterator[Session]:
    """Yield ``session``; commit when the block succeeds, roll back when it raises.

    The one place where clm commits: requests use it through :func:`transaction`, the CLI
    and jobs through :func:`transaction_for`.
    """
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise


@contextmanager
def transaction_for(factory: sessionmaker[Session]) -> Iterator[Session]:
    """Yield a new session that commits on success and rolls back on error (CLI, jobs)."""
    with factory() as session, committing(session):
        yield session


# -- Flask glue: a session per request, like flaskr's get_db() -------------------------------


def init_app(app: Flask) -> None:
    """Create the engine for ``app.config["DATABASE_URL"]`` and close sessions on teardown."""
    engine = make_engine(app.config["DATABASE_URL"],
                         busy_timeout=float(app.config.get("SQLITE_BUSY_TIMEOUT_SECONDS", 15)))
    app.extensions["clm_db"] = make_sessionmaker(engine)
    app.teardown_appcontext(_close_session)


def sessionmaker_for(app: Flask) -> sessionmaker[Session]:
    """Return the session factory of ``app``."""
    factory: sessionmaker[Session] = app.extensions["clm_db"]
    return factory


def get_session() -> Session:
    """Return the session of the current app context, creating it on first use."""
    from flask import current_app, g

    if "db_session" not in g:
        g.db_session = sessionmaker_for(current_app)()
    session: Session = g.db_session
    return session


def _close_session(_exc: BaseException | None) -> None:
    from flask import g

    session = g.pop("db_session", None)
    if session is not None:
        session.close()


@contextmanager
def transaction() -> Iterator[Session]:
    """Yield the request's session; commit when the block succeeds, roll back when it raises."""
    with committing(get_session()) as session:
        yield session


#: What drivers say when the database is not there for a moment (restarting, unreachable, locked).
_UNAVAILABLE = ("database is locked", "could not connect", "connection refused", "connection failed",
                "server closed the connection", "terminating connection", "the database system is",
                "unable to open database file", "connection timeout", "timeout expired", "connection is closed",
                "consuming input failed", "ssl connection has been closed", "no connection to the server",
                "connection reset", "broken pipe", "connection not open")


def is_unavailable(err: BaseException) -> bool:
    """Return whether ``err`` means the database is down or busy (retry later), not a bug."""
    from sqlalchemy.exc import DBAPIError, TimeoutError as PoolTimeout

    if isinstance(err, PoolTimeout):
        return True
    if not isinstance(err, DBAPIError):
        return False
    if err.connection_invalidated:
        return True
    message = str(err.orig).lower()
    return any(marker in message for marker in _UNAVAILABLE)


# -- insert-only tables ------------------------------------------------------------------------


def insert_only_ddl(dialect: str, table: str) -> tuple[list[str], list[str]]:
    """Return (create, drop) statements for triggers that reject UPDATE and DELETE on ``table``.

    Versions and audit events are evidence: the database itself refuses to change them, so
    neither a bug nor a hand-typed SQL statement can rewrite history unnoticed.
    """
    message = f"{table} rows are immutable"
    if dialect == "sqlite":
        create = [
            f"CREATE TRIGGER {table}_no_{verb.lower()} BEFORE {verb} ON {table} "
            f"BEGIN SELECT RAISE(ABORT, '{message}'); END"
            for verb in ("UPDATE", "DELETE")
        ]
        drop = [f"DROP TRIGGER IF EXISTS {table}_no_{verb}" for verb in ("update", "delete")]
        return create, drop
    if dialect == "postgresql":
        create = [
            f"CREATE OR REPLACE FUNCTION {table}_immutable() RETURNS trigger LANGUAGE plpgsql AS "
            f"$$ BEGIN RAISE EXCEPTION '{message}'; END $$",
            f"CREATE TRIGGER {table}_immutable BEFORE UPDATE OR DELETE ON {table} "
            f"FOR EACH ROW EXECUTE FUNCTION {table}_immutable()",
        ]
        drop = [f"DROP TRIGGER IF EXISTS {table}_immutable ON {table}",
                f"DROP FUNCTION IF EXISTS {table}_immutable()"]
        return create, drop
    raise NotImplementedError(f"no insert-only triggers for {dialect}")


# -- evidence checks ---------------------------------------------------------------------------


class Finding(NamedTuple):
    """One problem ``clm audit check`` found in an evidence table: which row, and what is wrong."""

    table: str
    #: The row's key ("12", or "contract 3" for a problem of a group of rows).
    row: str
    problem: str

    def __str__(self) -> str:
        return f"{self.table} {self.row}: {self.problem}"
