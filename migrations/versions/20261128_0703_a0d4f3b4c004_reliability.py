"""reliability: integrity checks (issue 9)

Revision ID: a0d4f3b4c004
Revises: f9c3e2a3b003
Create Date: 2026-11-28 07:00:00
"""

from __future__ import annotations

import sqlalchemy as sa  # noqa: F401
from alembic import op  # noqa: F401

revision = 'a0d4f3b4c004'
down_revision = 'f9c3e2a3b003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
