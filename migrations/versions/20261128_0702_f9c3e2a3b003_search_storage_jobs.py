"""scale: full-text search, blob storage, import jobs (issue 10)

Revision ID: f9c3e2a3b003
Revises: e8b2d1f2a002
Create Date: 2026-11-28 07:00:00
"""

from __future__ import annotations

import sqlalchemy as sa  # noqa: F401
from alembic import op  # noqa: F401

revision = 'f9c3e2a3b003'
down_revision = 'e8b2d1f2a002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
