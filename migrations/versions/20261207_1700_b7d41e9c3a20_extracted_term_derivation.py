"""extracted term derivation: how a computed value (an end date from a start date and a term) was made

Revision ID: b7d41e9c3a20
Revises: 5e0c2a7d9b41
Create Date: 2026-12-07 17:00:00

One nullable JSON column on extracted_terms: {"computed_from": [field, ...], "start_evidence":
[[start, end], ...]} for a value the extractor computed rather than read; NULL for a stated value
and for every existing row (they were extracted before derivations were kept).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = 'b7d41e9c3a20'
down_revision = '5e0c2a7d9b41'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column('extracted_terms', sa.Column('derivation', sa.JSON(), nullable=True))


def downgrade() -> None:
    if op.get_bind().dialect.name == 'sqlite':
        # DROP COLUMN on SQLite (3.35+) keeps the table and what refers to it, as the version_ocr downgrade does.
        op.execute("ALTER TABLE extracted_terms DROP COLUMN derivation")
    else:
        op.drop_column('extracted_terms', 'derivation')
