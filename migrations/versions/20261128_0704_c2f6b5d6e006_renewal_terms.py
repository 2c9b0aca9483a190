"""renewal terms: the term each renewal is in now, so renewals due is one indexed query

Revision ID: c2f6b5d6e006
Revises: a0d4f3b4c004
Create Date: 2026-11-28 08:20:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = 'c2f6b5d6e006'
down_revision = 'a0d4f3b4c004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('renewal_terms',
    sa.Column('renewal_id', sa.Integer(), nullable=False),
    sa.Column('contract_id', sa.Integer(), nullable=False),
    sa.Column('order_id', sa.Integer(), nullable=False),
    sa.Column('term_number', sa.Integer(), nullable=False),
    sa.Column('term_start', sa.Date(), nullable=False),
    sa.Column('term_end', sa.Date(), nullable=False),
    sa.Column('renewal_date', sa.Date(), nullable=False),
    sa.Column('notice_deadline', sa.Date(), nullable=True),
    sa.Column('auto_renewal', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['contract_id'], ['contracts.id'], name=op.f('fk_renewal_terms_contract_id_contracts')),
    sa.ForeignKeyConstraint(['order_id'], ['orders.id'], name=op.f('fk_renewal_terms_order_id_orders')),
    sa.ForeignKeyConstraint(['renewal_id'], ['renewals.id'], name=op.f('fk_renewal_terms_renewal_id_renewals')),
    sa.PrimaryKeyConstraint('renewal_id', name=op.f('pk_renewal_terms'))
    )
    with op.batch_alter_table('renewal_terms', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_renewal_terms_contract_id'), ['contract_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_renewal_terms_order_id'), ['order_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_renewal_terms_term_end'), ['term_end'], unique=False)
        batch_op.create_index(batch_op.f('ix_renewal_terms_renewal_date'), ['renewal_date'], unique=False)
        batch_op.create_index(batch_op.f('ix_renewal_terms_notice_deadline'), ['notice_deadline'], unique=False)
    # Every existing renewal starts in its initial term; readers roll rows that are behind.
    op.execute("INSERT INTO renewal_terms (renewal_id, contract_id, order_id, term_number, term_start, term_end, "
               "renewal_date, notice_deadline, auto_renewal) SELECT id, contract_id, order_id, 0, term_start, "
               "term_end, renewal_date, notice_deadline, auto_renewal FROM renewals")


def downgrade() -> None:
    with op.batch_alter_table('renewal_terms', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_renewal_terms_notice_deadline'))
        batch_op.drop_index(batch_op.f('ix_renewal_terms_renewal_date'))
        batch_op.drop_index(batch_op.f('ix_renewal_terms_term_end'))
        batch_op.drop_index(batch_op.f('ix_renewal_terms_order_id'))
        batch_op.drop_index(batch_op.f('ix_renewal_terms_contract_id'))
    op.drop_table('renewal_terms')
