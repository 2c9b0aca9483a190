"""The migration chain: one head, matches the models, and keeps evidence tables insert-only."""

from __future__ import annotations

from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from clm import db
from clm.cli import upgrade_database
from clm.models import Base
from clm.search.models import include_object

ROOT = Path(__file__).resolve().parents[1]


def test_there_is_a_single_head():
    script = ScriptDirectory.from_config(Config(str(ROOT / "alembic.ini")))
    assert len(script.get_heads()) == 1


def test_upgrade_head_matches_the_models(migrated_database):
    engine = db.make_engine(migrated_database)
    with engine.connect() as connection:
        # The same filter as migrations/env.py: full-text objects the ORM does not model.
        opts = {"compare_type": True, "include_object": include_object}
        diff = compare_metadata(MigrationContext.configure(connection, opts=opts), Base.metadata)
    engine.dispose()
    assert diff == []


def test_downgrade_to_base_and_upgrade_again(tmp_path):
    from alembic import command

    url = f"sqlite:///{tmp_path / 'round.sqlite3'}"
    upgrade_database(url)
    cfg = Config(str(ROOT / "alembic.ini"))
    cfg.set_main_option("sqlalchemy.url", url)
    command.downgrade(cfg, "base")
    engine = db.make_engine(url)
    with engine.connect() as connection:
        names = {row[0] for row in connection.execute(text("SELECT name FROM sqlite_master WHERE type='table'"))}
    engine.dispose()
    assert names <= {"alembic_version"}
    upgrade_database(url)


@pytest.mark.parametrize("statement", [
    "UPDATE versions SET author = 'mallory'",
    "DELETE FROM versions",
    "UPDATE blobs SET data = NULL",
    "DELETE FROM blobs",
])
def test_the_database_refuses_to_rewrite_versions_and_blobs(app, session, statement):
    from clm.versions import store

    store.import_file(session, store.Upload(b"A contract.\nWith two lines.\n", "a.txt"),
                      limits=store.limits_from_settings(app.config), author="t")
    session.commit()
    with pytest.raises(DBAPIError, match="immutable"):
        session.execute(text(statement))
    session.rollback()
    assert session.scalar(text("SELECT count(*) FROM versions WHERE author = 't'")) == 1
