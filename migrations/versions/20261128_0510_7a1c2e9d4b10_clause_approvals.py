"""clause approvals

Revision ID: 7a1c2e9d4b10
Revises: c350547afcbf
Create Date: 2026-11-28 05:10:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from clm.db import insert_only_ddl

revision = "7a1c2e9d4b10"
down_revision = "c350547afcbf"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "clause_approvals",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("contract_id", sa.Integer(), nullable=False),
        sa.Column("version_id", sa.Integer(), nullable=False),
        sa.Column("clause_type", sa.String(length=80), nullable=False),
        sa.Column("clause_hash", sa.String(length=64), nullable=False),
        sa.Column("decision", sa.Enum("approved", "rejected", name="approvaldecision", native_enum=False,
                                      length=20), nullable=False),
        sa.Column("comment", sa.Text(), nullable=False),
        sa.Column("decided_by", sa.String(length=320), nullable=False),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["contract_id"], ["contracts.id"],
                                name=op.f("fk_clause_approvals_contract_id_contracts")),
        sa.ForeignKeyConstraint(["version_id"], ["versions.id"], name=op.f("fk_clause_approvals_version_id_versions")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_clause_approvals")),
    )
    with op.batch_alter_table("clause_approvals", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_clause_approvals_contract_id"), ["contract_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_clause_approvals_clause_hash"), ["clause_hash"], unique=False)
    # Approvals are the record of who accepted which deviation: never rewritten.
    for statement in insert_only_ddl(op.get_bind().dialect.name, "clause_approvals")[0]:
        op.execute(statement)


def downgrade() -> None:
    for statement in insert_only_ddl(op.get_bind().dialect.name, "clause_approvals")[1]:
        op.execute(statement)
    with op.batch_alter_table("clause_approvals", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_clause_approvals_clause_hash"))
        batch_op.drop_index(batch_op.f("ix_clause_approvals_contract_id"))
    op.drop_table("clause_approvals")
