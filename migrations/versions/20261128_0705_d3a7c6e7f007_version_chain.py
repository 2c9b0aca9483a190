"""version chain: a record hash per version, linked to the previous one, and the head per contract

Revision ID: d3a7c6e7f007
Revises: c2f6b5d6e006
Create Date: 2026-11-28 08:40:00

Versions stored before this revision keep a NULL record hash (versions are insert-only, so
they cannot be updated here); the chain starts with the next version of each contract.
Plain ADD COLUMN, not batch mode: SQLite's batch mode would rebuild the table and drop its
insert-only and search triggers.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = 'd3a7c6e7f007'
down_revision = 'c2f6b5d6e006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column('versions', sa.Column('record_sha256', sa.String(length=64), nullable=True))
    op.add_column('contracts', sa.Column('versions_sha256', sa.String(length=64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('contracts', schema=None) as batch_op:
        batch_op.drop_column('versions_sha256')
    if op.get_bind().dialect.name == 'sqlite':
        # DROP COLUMN on SQLite (3.35+) keeps the table and its triggers.
        op.execute("ALTER TABLE versions DROP COLUMN record_sha256")
    else:
        op.drop_column('versions', 'record_sha256')
