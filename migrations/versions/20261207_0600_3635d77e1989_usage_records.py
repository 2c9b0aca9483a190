"""usage records: units of a usage-based line used on a day, billed in arrears

Revision ID: 3635d77e1989
Revises: 2aaf7612942b
Create Date: 2026-12-07 06:00:00

A new table; nothing existing changes.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '3635d77e1989'
down_revision = '2aaf7612942b'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'usage_records',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('contract_id', sa.Integer(), nullable=False),
        sa.Column('line_id', sa.String(length=200), nullable=False),
        sa.Column('used_on', sa.Date(), nullable=False),
        sa.Column('quantity', sa.String(length=40), nullable=False),
        sa.Column('reference', sa.String(length=200), nullable=True),
        sa.Column('recorded_by', sa.String(length=320), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['contract_id'], ['contracts.id'], name=op.f('fk_usage_records_contract_id_contracts')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_usage_records')),
        sa.UniqueConstraint('contract_id', 'reference', name=op.f('uq_usage_records_contract_id_reference')),
    )
    op.create_index(op.f('ix_usage_records_contract_id'), 'usage_records', ['contract_id'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_usage_records_contract_id'), table_name='usage_records')
    op.drop_table('usage_records')
