"""signed token hash: a signer's used link shows "You signed this" and gives their copy

Revision ID: 2aaf7612942b
Revises: 75acfbebe124
Create Date: 2026-12-07 06:00:00

NULL for recipients who signed before it: their used links stay dead, as they were.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '2aaf7612942b'
down_revision = '75acfbebe124'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column('envelope_recipients', sa.Column('signed_token_hash', sa.String(length=64), nullable=True))
    op.create_index(op.f('ix_envelope_recipients_signed_token_hash'), 'envelope_recipients', ['signed_token_hash'],
                    unique=True)


def downgrade() -> None:
    op.drop_index(op.f('ix_envelope_recipients_signed_token_hash'), table_name='envelope_recipients')
    if op.get_bind().dialect.name == 'sqlite':
        op.execute("ALTER TABLE envelope_recipients DROP COLUMN signed_token_hash")
    else:
        op.drop_column('envelope_recipients', 'signed_token_hash')
