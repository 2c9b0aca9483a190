"""renewal holidays: the holiday calendar a renewal's notice deadlines count on

Revision ID: 75acfbebe124
Revises: f5c9e8a9b009
Create Date: 2026-12-07 05:00:00

NULL for renewals stored before it (and for contracts that name no calendar): their deadlines
count on the configured default (CLM_HOLIDAYS). Plain ADD COLUMN, as the version chain did.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '75acfbebe124'
down_revision = 'f5c9e8a9b009'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column('renewals', sa.Column('holidays', sa.String(length=20), nullable=True))


def downgrade() -> None:
    if op.get_bind().dialect.name == 'sqlite':
        op.execute("ALTER TABLE renewals DROP COLUMN holidays")
    else:
        op.drop_column('renewals', 'holidays')
