"""issued invoice lines: what an invoice billed when it was issued, usage included

Revision ID: d2a8f6c1e305
Revises: 7b3f9d2c41a6
Create Date: 2026-12-07 19:00:00

Two nullable columns on invoice_numbers: the lines and total of the invoice as issued (a usage
line's amount comes from the usage recorded by then, so the scheduled row alone does not say
it). NULL for the invoices issued before: they billed their scheduled lines.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = 'd2a8f6c1e305'
down_revision = '7b3f9d2c41a6'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column('invoice_numbers', sa.Column('lines', sa.JSON(), nullable=True))
    op.add_column('invoice_numbers', sa.Column('total_minor', sa.BigInteger(), nullable=True))


def downgrade() -> None:
    for column in ('total_minor', 'lines'):
        if op.get_bind().dialect.name == 'sqlite':
            # DROP COLUMN on SQLite (3.35+) keeps the table and what refers to it.
            op.execute(f"ALTER TABLE invoice_numbers DROP COLUMN {column}")
        else:
            op.drop_column('invoice_numbers', column)
