"""draft records

Revision ID: b1e3006b24b4
Revises: 7a1c2e9d4b10
Create Date: 2026-11-28 05:23:22
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from clm.db import insert_only_ddl

revision = "b1e3006b24b4"
down_revision = "7a1c2e9d4b10"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "draft_records",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("contract_id", sa.Integer(), nullable=False),
        sa.Column("version_id", sa.Integer(), nullable=False),
        sa.Column("template_key", sa.String(length=80), nullable=False),
        sa.Column("template_version", sa.Integer(), nullable=False),
        sa.Column("clause_versions", sa.JSON(), nullable=False),
        sa.Column("variables", sa.JSON(), nullable=False),
        sa.Column("positions", sa.JSON(), nullable=False),
        sa.Column("created_by", sa.String(length=320), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["contract_id"], ["contracts.id"], name=op.f("fk_draft_records_contract_id_contracts")),
        sa.ForeignKeyConstraint(["version_id"], ["versions.id"], name=op.f("fk_draft_records_version_id_versions")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_draft_records")),
        sa.UniqueConstraint("version_id", name=op.f("uq_draft_records_version_id")),
    )
    with op.batch_alter_table("draft_records", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_draft_records_contract_id"), ["contract_id"], unique=False)
    # A draft record explains where a stored version came from: never rewritten.
    for statement in insert_only_ddl(op.get_bind().dialect.name, "draft_records")[0]:
        op.execute(statement)


def downgrade() -> None:
    for statement in insert_only_ddl(op.get_bind().dialect.name, "draft_records")[1]:
        op.execute(statement)
    with op.batch_alter_table("draft_records", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_draft_records_contract_id"))
    op.drop_table("draft_records")
