"""quotes: catalog, price books, quotes and their versions (issue 8)

Revision ID: e8b2d1f2a002
Revises: d7a1c0e1f001
Create Date: 2026-11-28 07:00:00
"""

from __future__ import annotations

import sqlalchemy as sa  # noqa: F401
from alembic import op  # noqa: F401

revision = 'e8b2d1f2a002'
down_revision = 'd7a1c0e1f001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
