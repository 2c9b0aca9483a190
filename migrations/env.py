"""Alembic environment: runs revisions against the URL clm is configured with."""

from __future__ import annotations

from typing import Any

from alembic import context
from sqlalchemy.engine import Connection

from clm import config as clm_config
from clm.db import UtcDateTime, make_engine
from clm.models import Base
from clm.search.models import include_object

target_metadata = Base.metadata


def _url() -> str:
    # `clm init` passes the app's URL through the Alembic config; a bare `alembic` call reads env.
    url = context.config.get_main_option("sqlalchemy.url")
    return url or clm_config.load()["DATABASE_URL"]


def _render_item(type_: str, obj: Any, autogen_context: Any) -> str | bool:
    # Revisions must not import clm's column types: render UtcDateTime as the DateTime it wraps.
    if type_ == "type" and isinstance(obj, UtcDateTime):
        return "sa.DateTime(timezone=True)"
    return False


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        # SQLite cannot ALTER most things; batch mode rebuilds the table instead.
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
        render_item=_render_item,
        # Full-text objects (FTS5 table, tsvector column) are made by hand in their revision.
        include_object=include_object,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection = context.config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    engine = make_engine(_url())
    with engine.connect() as connection:
        _run(connection)
    engine.dispose()


if context.is_offline_mode():
    context.configure(url=_url(), target_metadata=target_metadata, literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()
else:
    run_migrations_online()
