"""keyed audit chain: a hash scheme per audit event, and a MAC'd anchor for each envelope's unkeyed trail

Revision ID: e4b8d7f8a008
Revises: d3a7c6e7f007
Create Date: 2026-11-28 09:00:00

Existing events keep their unkeyed SHA-256 hashes (scheme 1; audit events are insert-only and
are not rewritten). So that they still verify, and so that no later event can pass itself off
as one of them, the head of every envelope's trail as it stands now is MAC'd with the audit
key (CLM_AUDIT_KEY, else audit.key in the instance folder, generated here if needed) into
``audit_legacy_anchors``. Run this with the same CLM_AUDIT_KEY / CLM_INSTANCE_PATH as the app
(`clm init` does). Events written from now on are keyed (scheme 2).
Plain ADD COLUMN, not batch mode: SQLite's batch mode would rebuild the table and drop its
insert-only triggers.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from clm.db import insert_only_ddl

revision = 'e4b8d7f8a008'
down_revision = 'd3a7c6e7f007'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column('envelope_audit_events', sa.Column('scheme', sa.SmallInteger(), server_default='1', nullable=False))
    op.create_table('audit_legacy_anchors',
    sa.Column('envelope_id', sa.Integer(), nullable=False),
    sa.Column('seq', sa.Integer(), nullable=False),
    sa.Column('head_hash', sa.String(length=64), nullable=False),
    sa.Column('mac', sa.String(length=64), nullable=False),
    sa.ForeignKeyConstraint(['envelope_id'], ['envelopes.id'], name=op.f('fk_audit_legacy_anchors_envelope_id_envelopes')),
    sa.PrimaryKeyConstraint('envelope_id', name=op.f('pk_audit_legacy_anchors'))
    )
    bind = op.get_bind()
    for statement in insert_only_ddl(bind.dialect.name, "audit_legacy_anchors")[0]:
        op.execute(statement)
    heads = bind.execute(sa.text(
        "SELECT e.envelope_id, e.seq, e.hash FROM envelope_audit_events e "
        "WHERE e.seq = (SELECT MAX(m.seq) FROM envelope_audit_events m WHERE m.envelope_id = e.envelope_id) "
        "ORDER BY e.envelope_id")).all()
    if not heads:
        return  # a new database: no key is needed yet
    from clm import config
    from clm.signing.audit import anchor_mac
    from clm.signing.keys import audit_key

    key = audit_key(config.load())
    anchors = sa.table('audit_legacy_anchors', sa.column('envelope_id'), sa.column('seq'), sa.column('head_hash'),
                       sa.column('mac'))
    op.bulk_insert(anchors, [{"envelope_id": envelope_id, "seq": seq, "head_hash": head,
                              "mac": anchor_mac(key, envelope_id, seq, head)} for envelope_id, seq, head in heads])


def downgrade() -> None:
    for statement in insert_only_ddl(op.get_bind().dialect.name, "audit_legacy_anchors")[1]:
        op.execute(statement)
    op.drop_table('audit_legacy_anchors')
    if op.get_bind().dialect.name == 'sqlite':
        op.execute("ALTER TABLE envelope_audit_events DROP COLUMN scheme")
    else:
        op.drop_column('envelope_audit_events', 'scheme')
