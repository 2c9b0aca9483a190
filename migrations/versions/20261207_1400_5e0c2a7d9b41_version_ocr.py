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
    with op.batch_alter_table('versions') as batch:
        batch.add_column(sa.Column('ocr_pages', sa.Integer(), nullable=True))
        batch.add_column(sa.Column('ocr_confidence', sa.Float(), nullable=True))
        batch.add_column(sa.Column('page_layout', sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('versions') as batch:
        batch.drop_column('page_layout')
        batch.drop_column('ocr_confidence')
        batch.drop_column('ocr_pages')
