"""invoice numbers: each seller's sequential number of an issued invoice

Revision ID: e55cc334dd5d
Revises: 3635d77e1989
Create Date: 2026-12-07 06:10:00

A new table; nothing existing changes.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = 'e55cc334dd5d'
down_revision = '3635d77e1989'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'invoice_numbers',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('invoice_id', sa.Integer(), nullable=False),
        sa.Column('seller', sa.String(length=40), nullable=False),
        sa.Column('seq', sa.Integer(), nullable=False),
        sa.Column('number', sa.String(length=60), nullable=False),
        sa.Column('issued_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['invoice_id'], ['invoices.id'], name=op.f('fk_invoice_numbers_invoice_id_invoices')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_invoice_numbers')),
        sa.UniqueConstraint('invoice_id', name=op.f('uq_invoice_numbers_invoice_id')),
        sa.UniqueConstraint('number', name=op.f('uq_invoice_numbers_number')),
        sa.UniqueConstraint('seller', 'seq', name=op.f('uq_invoice_numbers_seller_seq')),
    )


def downgrade() -> None:
    op.drop_table('invoice_numbers')
