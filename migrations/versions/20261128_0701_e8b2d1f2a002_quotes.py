"""quotes: catalog, price books, quotes and their versions (issue 8)

Revision ID: e8b2d1f2a002
Revises: d7a1c0e1f001
Create Date: 2026-11-28 07:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from clm.db import insert_only_ddl

#: What was quoted and who approved it: the database refuses UPDATE and DELETE.
INSERT_ONLY = ('quote_catalogs', 'quote_versions', 'quote_lines', 'quote_approvals')

revision = 'e8b2d1f2a002'
down_revision = 'd7a1c0e1f001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('price_book_entries',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('price_book', sa.String(length=60), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('product_sku', sa.String(length=40), nullable=False),
    sa.Column('list_price_minor', sa.BigInteger(), nullable=False),
    sa.Column('ssp_minor', sa.BigInteger(), nullable=False),
    sa.Column('tiers', sa.JSON(), nullable=False),
    sa.Column('tier_mode', sa.String(length=20), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('catalog_version', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_price_book_entries')),
    sa.UniqueConstraint('price_book', 'product_sku', name=op.f('uq_price_book_entries_price_book_product_sku'))
    )
    with op.batch_alter_table('price_book_entries', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_price_book_entries_product_sku'), ['product_sku'], unique=False)

    op.create_table('products',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('sku', sa.String(length=40), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('billing', sa.String(length=20), nullable=True),
    sa.Column('recognition', sa.String(length=20), nullable=True),
    sa.Column('data', sa.JSON(), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('catalog_version', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_products')),
    sa.UniqueConstraint('sku', name=op.f('uq_products_sku'))
    )
    op.create_table('quote_catalogs',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('data', sa.JSON(), nullable=False),
    sa.Column('source', sa.String(length=300), nullable=False),
    sa.Column('loaded_by', sa.String(length=320), nullable=False),
    sa.Column('loaded_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_quote_catalogs')),
    sa.UniqueConstraint('version', name=op.f('uq_quote_catalogs_version'))
    )
    op.create_table('quotes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('number', sa.String(length=20), nullable=False),
    sa.Column('customer', sa.String(length=300), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('status', sa.Enum('draft', 'pending_approval', 'approved', 'sent', 'accepted', name='quotestatus', native_enum=False, length=20), nullable=False),
    sa.Column('current_version', sa.Integer(), nullable=False),
    sa.Column('contract_id', sa.Integer(), nullable=True),
    sa.Column('created_by', sa.String(length=320), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('sent_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('sent_by', sa.String(length=320), nullable=True),
    sa.Column('accepted_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('accepted_by', sa.String(length=320), nullable=True),
    sa.ForeignKeyConstraint(['contract_id'], ['contracts.id'], name=op.f('fk_quotes_contract_id_contracts')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_quotes')),
    sa.UniqueConstraint('number', name=op.f('uq_quotes_number'))
    )
    with op.batch_alter_table('quotes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_quotes_contract_id'), ['contract_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_quotes_created_at'), ['created_at'], unique=False)

    op.create_table('quote_versions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('quote_id', sa.Integer(), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('catalog_id', sa.Integer(), nullable=False),
    sa.Column('request', sa.JSON(), nullable=False),
    sa.Column('priced', sa.JSON(), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('list_total_minor', sa.BigInteger(), nullable=False),
    sa.Column('net_total_minor', sa.BigInteger(), nullable=False),
    sa.Column('acv_minor', sa.BigInteger(), nullable=False),
    sa.Column('tcv_minor', sa.BigInteger(), nullable=False),
    sa.Column('approvals_required', sa.JSON(), nullable=False),
    sa.Column('expires_on', sa.Date(), nullable=False),
    sa.Column('created_by', sa.String(length=320), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['catalog_id'], ['quote_catalogs.id'], name=op.f('fk_quote_versions_catalog_id_quote_catalogs')),
    sa.ForeignKeyConstraint(['quote_id'], ['quotes.id'], name=op.f('fk_quote_versions_quote_id_quotes')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_quote_versions')),
    sa.UniqueConstraint('quote_id', 'number', name=op.f('uq_quote_versions_quote_id_number'))
    )
    with op.batch_alter_table('quote_versions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_quote_versions_quote_id'), ['quote_id'], unique=False)

    op.create_table('quote_approvals',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('version_id', sa.Integer(), nullable=False),
    sa.Column('level', sa.String(length=20), nullable=False),
    sa.Column('decided_by', sa.String(length=320), nullable=False),
    sa.Column('decided_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('comment', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['version_id'], ['quote_versions.id'], name=op.f('fk_quote_approvals_version_id_quote_versions')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_quote_approvals')),
    sa.UniqueConstraint('version_id', 'level', name=op.f('uq_quote_approvals_version_id_level'))
    )
    with op.batch_alter_table('quote_approvals', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_quote_approvals_version_id'), ['version_id'], unique=False)

    op.create_table('quote_lines',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('version_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('product_sku', sa.String(length=40), nullable=False),
    sa.Column('quantity', sa.Integer(), nullable=False),
    sa.Column('unit_price_minor', sa.BigInteger(), nullable=False),
    sa.Column('list_total_minor', sa.BigInteger(), nullable=False),
    sa.Column('net_total_minor', sa.BigInteger(), nullable=False),
    sa.Column('discount', sa.String(length=12), nullable=False),
    sa.Column('promotion', sa.String(length=40), nullable=True),
    sa.ForeignKeyConstraint(['version_id'], ['quote_versions.id'], name=op.f('fk_quote_lines_version_id_quote_versions')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_quote_lines')),
    sa.UniqueConstraint('version_id', 'position', name=op.f('uq_quote_lines_version_id_position'))
    )
    with op.batch_alter_table('quote_lines', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_quote_lines_version_id'), ['version_id'], unique=False)
    for table in INSERT_ONLY:
        for statement in insert_only_ddl(op.get_bind().dialect.name, table)[0]:
            op.execute(statement)


def downgrade() -> None:
    for table in INSERT_ONLY:
        for statement in insert_only_ddl(op.get_bind().dialect.name, table)[1]:
            op.execute(statement)
    with op.batch_alter_table('quote_lines', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_quote_lines_version_id'))

    op.drop_table('quote_lines')
    with op.batch_alter_table('quote_approvals', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_quote_approvals_version_id'))

    op.drop_table('quote_approvals')
    with op.batch_alter_table('quote_versions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_quote_versions_quote_id'))

    op.drop_table('quote_versions')
    with op.batch_alter_table('quotes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_quotes_created_at'))
        batch_op.drop_index(batch_op.f('ix_quotes_contract_id'))

    op.drop_table('quotes')
    op.drop_table('quote_catalogs')
    op.drop_table('products')
    with op.batch_alter_table('price_book_entries', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_price_book_entries_product_sku'))

    op.drop_table('price_book_entries')
