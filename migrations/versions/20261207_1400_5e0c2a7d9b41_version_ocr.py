"""version ocr: how many pages of a PDF version OCR read, its mean word confidence, its page layout

Revision ID: 5e0c2a7d9b41
Revises: 24a1c3660766
Create Date: 2026-12-07 14:00:00

Three nullable columns on versions; existing rows (no PDFs were accepted before) stay NULL.
None is covered by a version's record hash, so the chain of existing versions is unchanged.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '5e0c2a7d9b41'
down_revision = '24a1c3660766'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # ADD COLUMN on SQLite keeps the table, its triggers (versions are immutable) and what refers to it.
    op.add_column('versions', sa.Column('ocr_pages', sa.Integer(), nullable=True))
    op.add_column('versions', sa.Column('ocr_confidence', sa.Float(), nullable=True))
    op.add_column('versions', sa.Column('page_layout', sa.JSON(), nullable=True))


def downgrade() -> None:
    for column in ('page_layout', 'ocr_confidence', 'ocr_pages'):
        if op.get_bind().dialect.name == 'sqlite':
            # DROP COLUMN on SQLite (3.35+) keeps the table and its triggers; a batch copy would drop
            # them and fail on the rows that refer to versions.
            op.execute(f"ALTER TABLE versions DROP COLUMN {column}")
        else:
            op.drop_column('versions', column)
