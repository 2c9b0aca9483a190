"""signing recipient fields: what a recipient must fill in, and what they filled in

Revision ID: 9c7d48b2f6c4
Revises: a1309d5423d8
Create Date: 2026-11-28 06:08:28.646058
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '9c7d48b2f6c4'
down_revision = 'a1309d5423d8'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Nullable: recipients of envelopes made before this revision have no fields.
    with op.batch_alter_table('envelope_recipients', schema=None) as batch_op:
        batch_op.add_column(sa.Column('fields', sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column('field_values', sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('envelope_recipients', schema=None) as batch_op:
        batch_op.drop_column('field_values')
        batch_op.drop_column('fields')
