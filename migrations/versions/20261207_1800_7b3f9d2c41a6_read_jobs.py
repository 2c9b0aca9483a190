"""read jobs: an uploaded PDF with scanned pages is read by OCR as a background job with progress

Revision ID: 7b3f9d2c41a6
Revises: b7d41e9c3a20
Create Date: 2026-12-07 18:00:00

Seven nullable columns on jobs (what a "read" job reads into which contract, for whom, and how
far it got); existing jobs (extraction, rejected import files) keep NULL in all of them.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '7b3f9d2c41a6'
down_revision = 'b7d41e9c3a20'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # jobs has no triggers and nothing refers to it: a batch copy on SQLite is safe.
    with op.batch_alter_table('jobs', schema=None) as batch_op:
        batch_op.add_column(sa.Column('contract_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('blob_sha256', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('filename', sa.String(length=255), nullable=True))
        batch_op.add_column(sa.Column('source', sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column('created_by', sa.String(length=320), nullable=True))
        batch_op.add_column(sa.Column('pages_total', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('pages_done', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_jobs_contract_id_contracts'), 'contracts', ['contract_id'], ['id'])
        batch_op.create_foreign_key(batch_op.f('fk_jobs_blob_sha256_blobs'), 'blobs', ['blob_sha256'], ['sha256'])
        batch_op.create_index(batch_op.f('ix_jobs_contract_id'), ['contract_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('jobs', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_jobs_contract_id'))
        batch_op.drop_constraint(batch_op.f('fk_jobs_blob_sha256_blobs'), type_='foreignkey')
        batch_op.drop_constraint(batch_op.f('fk_jobs_contract_id_contracts'), type_='foreignkey')
        for column in ('pages_done', 'pages_total', 'created_by', 'source', 'filename', 'blob_sha256', 'contract_id'):
            batch_op.drop_column(column)
