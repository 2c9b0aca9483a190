"""downstream: credit notes, renewal reminders, ERP order deliveries (issue 7)

Revision ID: d7a1c0e1f001
Revises: 9c7d48b2f6c4
Create Date: 2026-11-28 07:00:00
"""

from __future__ import annotations

import sqlalchemy as sa  # noqa: F401
from alembic import op  # noqa: F401

revision = 'd7a1c0e1f001'
down_revision = '9c7d48b2f6c4'
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
