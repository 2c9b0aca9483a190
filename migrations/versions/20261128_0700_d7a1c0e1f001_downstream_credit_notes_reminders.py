"""downstream: order cancellations and credit notes, renewal reminders and drafts, ERP order webhooks (issue 7)

Orders and invoices stay insert-only: a cancellation is its own row (one per order) that says
which invoices are not issued; its credit note is another (one per order). Both are
insert-only evidence too, as are the renewal reminders sent and the renewal drafts started.
New invoices are numbered INV-<order id>-<nnnn>; existing ones keep their numbers.

Revision ID: d7a1c0e1f001
Revises: 9c7d48b2f6c4
Create Date: 2026-11-28 07:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from clm.db import insert_only_ddl

revision = 'd7a1c0e1f001'
down_revision = '9c7d48b2f6c4'
branch_labels = None
depends_on = None


#: Evidence: the database refuses UPDATE and DELETE (see clm.db.insert_only_ddl).
INSERT_ONLY = ('order_cancellations', 'credit_notes', 'renewal_reminders', 'renewal_drafts')


def upgrade() -> None:
    op.create_table('order_cancellations',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('order_id', sa.Integer(), nullable=False),
    sa.Column('contract_id', sa.Integer(), nullable=False),
    sa.Column('cancel_on', sa.Date(), nullable=False),
    sa.Column('final_invoice_seq', sa.Integer(), nullable=True),
    sa.Column('cancelled_by', sa.String(length=320), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['contract_id'], ['contracts.id'],
                            name=op.f('fk_order_cancellations_contract_id_contracts')),
    sa.ForeignKeyConstraint(['order_id'], ['orders.id'], name=op.f('fk_order_cancellations_order_id_orders')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_order_cancellations')),
    sa.UniqueConstraint('order_id', name=op.f('uq_order_cancellations_order_id'))
    )
    with op.batch_alter_table('order_cancellations', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_order_cancellations_contract_id'), ['contract_id'], unique=False)

    op.create_table('credit_notes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('order_id', sa.Integer(), nullable=False),
    sa.Column('contract_id', sa.Integer(), nullable=False),
    sa.Column('number', sa.String(length=60), nullable=False),
    sa.Column('issued_on', sa.Date(), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('total_minor', sa.BigInteger(), nullable=False),
    sa.Column('lines', sa.JSON(), nullable=False),
    sa.Column('terms_sha256', sa.String(length=64), nullable=False),
    sa.Column('created_by', sa.String(length=320), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['contract_id'], ['contracts.id'], name=op.f('fk_credit_notes_contract_id_contracts')),
    sa.ForeignKeyConstraint(['order_id'], ['orders.id'], name=op.f('fk_credit_notes_order_id_orders')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_credit_notes')),
    sa.UniqueConstraint('number', name=op.f('uq_credit_notes_number')),
    sa.UniqueConstraint('order_id', name=op.f('uq_credit_notes_order_id'))
    )
    with op.batch_alter_table('credit_notes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_credit_notes_contract_id'), ['contract_id'], unique=False)

    op.create_table('renewal_reminders',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('renewal_id', sa.Integer(), nullable=False),
    sa.Column('contract_id', sa.Integer(), nullable=False),
    sa.Column('notice_deadline', sa.Date(), nullable=False),
    sa.Column('offset_days', sa.Integer(), nullable=False),
    sa.Column('sent_to', sa.Text(), nullable=False),
    sa.Column('sent_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['contract_id'], ['contracts.id'], name=op.f('fk_renewal_reminders_contract_id_contracts')),
    sa.ForeignKeyConstraint(['renewal_id'], ['renewals.id'], name=op.f('fk_renewal_reminders_renewal_id_renewals')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_renewal_reminders')),
    sa.UniqueConstraint('renewal_id', 'notice_deadline', 'offset_days',
                        name=op.f('uq_renewal_reminders_renewal_id_notice_deadline_offset_days'))
    )
    with op.batch_alter_table('renewal_reminders', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_renewal_reminders_contract_id'), ['contract_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_renewal_reminders_renewal_id'), ['renewal_id'], unique=False)

    op.create_table('renewal_drafts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('order_id', sa.Integer(), nullable=False),
    sa.Column('original_contract_id', sa.Integer(), nullable=False),
    sa.Column('term_number', sa.Integer(), nullable=False),
    sa.Column('contract_id', sa.Integer(), nullable=False),
    sa.Column('requested_pct', sa.String(length=20), nullable=False),
    sa.Column('applied_pct', sa.String(length=20), nullable=False),
    sa.Column('created_by', sa.String(length=320), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['contract_id'], ['contracts.id'], name=op.f('fk_renewal_drafts_contract_id_contracts')),
    sa.ForeignKeyConstraint(['order_id'], ['orders.id'], name=op.f('fk_renewal_drafts_order_id_orders')),
    sa.ForeignKeyConstraint(['original_contract_id'], ['contracts.id'],
                            name=op.f('fk_renewal_drafts_original_contract_id_contracts')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_renewal_drafts')),
    sa.UniqueConstraint('contract_id', name=op.f('uq_renewal_drafts_contract_id')),
    sa.UniqueConstraint('order_id', 'term_number', name=op.f('uq_renewal_drafts_order_id_term_number'))
    )
    with op.batch_alter_table('renewal_drafts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_renewal_drafts_order_id'), ['order_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_renewal_drafts_original_contract_id'), ['original_contract_id'],
                              unique=False)

    op.create_table('order_webhook_deliveries',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('order_id', sa.Integer(), nullable=False),
    sa.Column('event', sa.String(length=40), nullable=False),
    sa.Column('payload', sa.JSON(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('next_attempt_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('delivered_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('failed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('last_error', sa.String(length=500), nullable=True),
    sa.ForeignKeyConstraint(['order_id'], ['orders.id'], name=op.f('fk_order_webhook_deliveries_order_id_orders')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_order_webhook_deliveries')),
    sa.UniqueConstraint('order_id', 'event', name=op.f('uq_order_webhook_deliveries_order_id_event'))
    )
    with op.batch_alter_table('order_webhook_deliveries', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_order_webhook_deliveries_next_attempt_at'), ['next_attempt_at'],
                              unique=False)
        batch_op.create_index(batch_op.f('ix_order_webhook_deliveries_order_id'), ['order_id'], unique=False)

    for table in INSERT_ONLY:
        for statement in insert_only_ddl(op.get_bind().dialect.name, table)[0]:
            op.execute(statement)


def downgrade() -> None:
    for table in INSERT_ONLY:
        for statement in insert_only_ddl(op.get_bind().dialect.name, table)[1]:
            op.execute(statement)
    with op.batch_alter_table('order_webhook_deliveries', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_order_webhook_deliveries_order_id'))
        batch_op.drop_index(batch_op.f('ix_order_webhook_deliveries_next_attempt_at'))
    op.drop_table('order_webhook_deliveries')
    with op.batch_alter_table('renewal_drafts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_renewal_drafts_original_contract_id'))
        batch_op.drop_index(batch_op.f('ix_renewal_drafts_order_id'))
    op.drop_table('renewal_drafts')
    with op.batch_alter_table('renewal_reminders', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_renewal_reminders_renewal_id'))
        batch_op.drop_index(batch_op.f('ix_renewal_reminders_contract_id'))
    op.drop_table('renewal_reminders')
    with op.batch_alter_table('credit_notes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_credit_notes_contract_id'))
    op.drop_table('credit_notes')
    with op.batch_alter_table('order_cancellations', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_order_cancellations_contract_id'))
    op.drop_table('order_cancellations')
