"""scale: full-text search, blob storage, import jobs (issue 10)

Revision ID: f9c3e2a3b003
Revises: e8b2d1f2a002
Create Date: 2026-11-28 07:00:00

Full-text search lives outside the ORM (``clm.search.schema`` lists these objects and
``migrations/env.py`` leaves them out of autogenerate):

- PostgreSQL: ``versions.search_vector``, a stored generated ``tsvector`` column, with a GIN
  index. A generated column is computed on INSERT, so insert-only ``versions`` needs no
  trigger, and ranking reads the stored vector instead of parsing every matching text again.
- SQLite: ``versions_fts``, an FTS5 table with external content (``versions``), filled by an
  AFTER INSERT trigger; versions are never updated or deleted, so no other trigger is needed.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = 'f9c3e2a3b003'
down_revision = 'e8b2d1f2a002'
branch_labels = None
depends_on = None

# A tsvector holds at most 1 MB; a text whose vector would be larger (hostile or huge) is
# indexed by its first 100,000 characters rather than refused.
_PG_VECTOR_FUNCTION = """
CREATE OR REPLACE FUNCTION clm_search_vector(body text) RETURNS tsvector
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE AS $$
BEGIN
    RETURN to_tsvector('english'::regconfig, coalesce(body, ''));
EXCEPTION WHEN program_limit_exceeded THEN
    RETURN to_tsvector('english'::regconfig, left(body, 100000));
END $$
"""


def upgrade() -> None:
    dialect = op.get_bind().dialect.name

    op.create_table(
        'import_runs',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('source', sa.String(length=1000), nullable=False),
        sa.Column('status', sa.String(length=20), nullable=False),
        sa.Column('total', sa.Integer(), nullable=False),
        sa.Column('imported', sa.Integer(), nullable=False),
        sa.Column('skipped', sa.Integer(), nullable=False),
        sa.Column('rejected', sa.Integer(), nullable=False),
        sa.Column('created_by', sa.String(length=320), nullable=False),
        sa.Column('started_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_import_runs')),
    )
    op.create_table(
        'jobs',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('kind', sa.String(length=20), nullable=False),
        sa.Column('status', sa.String(length=20), nullable=False),
        sa.Column('import_run_id', sa.Integer(), nullable=True),
        sa.Column('version_id', sa.Integer(), nullable=True),
        sa.Column('path', sa.String(length=1000), nullable=True),
        sa.Column('error', sa.Text(), nullable=True),
        sa.Column('attempts', sa.Integer(), nullable=False),
        sa.Column('rq_job_id', sa.String(length=64), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['import_run_id'], ['import_runs.id'],
                                name=op.f('fk_jobs_import_run_id_import_runs')),
        sa.ForeignKeyConstraint(['version_id'], ['versions.id'], name=op.f('fk_jobs_version_id_versions')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_jobs')),
    )
    with op.batch_alter_table('jobs', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_jobs_import_run_id'), ['import_run_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_jobs_status'), ['status'], unique=False)
        batch_op.create_index(batch_op.f('ix_jobs_version_id'), ['version_id'], unique=False)

    # Only ADD COLUMN: SQLite batch mode alters in place, so the insert-only triggers stay.
    with op.batch_alter_table('blobs', schema=None) as batch_op:
        batch_op.add_column(sa.Column('location', sa.String(length=16), nullable=False, server_default='db'))

    # Indexes the search filters and the renewals and finance queries need.
    op.create_index('ix_contracts_status', 'contracts', ['status'], unique=False)
    op.create_index('ix_contracts_counterparty', 'contracts', ['counterparty'], unique=False)
    # On PostgreSQL the value rides along in the index, so a term filter is an index-only scan.
    op.create_index('ix_extracted_terms_field_version_id', 'extracted_terms', ['field', 'version_id'], unique=False,
                    postgresql_include=['value'])
    op.create_index('ix_term_decisions_contract_id_field', 'term_decisions', ['contract_id', 'field'], unique=False)
    op.create_index('ix_renewals_notice_deadline', 'renewals', ['notice_deadline'], unique=False)

    if dialect == 'postgresql':
        op.execute(_PG_VECTOR_FUNCTION)
        op.execute("ALTER TABLE versions ADD COLUMN search_vector tsvector "
                   "GENERATED ALWAYS AS (clm_search_vector(text)) STORED")
        op.execute("CREATE INDEX ix_versions_search_vector ON versions USING gin (search_vector)")
    elif dialect == 'sqlite':
        op.execute("CREATE VIRTUAL TABLE versions_fts USING fts5("
                   "text, content='versions', content_rowid='id', tokenize='porter unicode61')")
        op.execute("CREATE TRIGGER versions_fts_insert AFTER INSERT ON versions BEGIN "
                   "INSERT INTO versions_fts(rowid, text) VALUES (new.id, new.text); END")
        op.execute("INSERT INTO versions_fts(versions_fts) VALUES ('rebuild')")


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    if dialect == 'postgresql':
        op.execute("DROP INDEX IF EXISTS ix_versions_search_vector")
        op.execute("ALTER TABLE versions DROP COLUMN IF EXISTS search_vector")
        op.execute("DROP FUNCTION IF EXISTS clm_search_vector(text)")
    elif dialect == 'sqlite':
        op.execute("DROP TRIGGER IF EXISTS versions_fts_insert")
        op.execute("DROP TABLE IF EXISTS versions_fts")

    op.drop_index('ix_renewals_notice_deadline', table_name='renewals')
    op.drop_index('ix_term_decisions_contract_id_field', table_name='term_decisions')
    op.drop_index('ix_extracted_terms_field_version_id', table_name='extracted_terms')
    op.drop_index('ix_contracts_counterparty', table_name='contracts')
    op.drop_index('ix_contracts_status', table_name='contracts')

    # Plain DROP COLUMN (SQLite >= 3.35 too): no table rebuild, the insert-only triggers stay.
    op.execute("ALTER TABLE blobs DROP COLUMN location")

    with op.batch_alter_table('jobs', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_jobs_version_id'))
        batch_op.drop_index(batch_op.f('ix_jobs_status'))
        batch_op.drop_index(batch_op.f('ix_jobs_import_run_id'))
    op.drop_table('jobs')
    op.drop_table('import_runs')
