"""events: one outbox (``events``) and one ``webhook_deliveries`` table with an event type

Revision ID: 24a1c3660766
Revises: e55cc334dd5d
Create Date: 2026-12-07 06:00:00

Upgrade: every ``outbox_events`` row becomes an ``events`` row (same id; "executed" becomes
``envelope.completed``, its payload gains ``envelope_id``), pending ones stay pending and are
processed by the new subscribers. Signing's ``webhook_deliveries`` and downstream's
``order_webhook_deliveries`` become one ``webhook_deliveries`` table whose ``event`` column is the
event type and whose UNIQUE ``key`` is the body's ``"id"``; attempts, due times, deliveries and
failures are kept as they were. The rows are read, the old tables dropped, the new ones
created and the rows written back (the same on SQLite and PostgreSQL, whose index names are
schema-wide).

Downgrade: the reverse. ``envelope.completed`` events go back to ``outbox_events``; webhook rows
go back to the table of their type (envelope/recipient rows need the envelope id and audit seq
their body carries); events of other kinds are dropped, except that a pending one carrying a
webhook body not yet queued gets its old-style delivery row, so no webhook is lost.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op

revision = '24a1c3660766'
down_revision = 'e55cc334dd5d'
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)


def _events() -> sa.TableClause:
    return sa.table('events', sa.column('id', sa.Integer), sa.column('name', sa.String), sa.column('key', sa.String),
                    sa.column('payload', sa.JSON), sa.column('created_at', TS), sa.column('processed_at', TS),
                    sa.column('attempts', sa.Integer), sa.column('last_error', sa.Text))


def _outbox() -> sa.TableClause:
    return sa.table('outbox_events', sa.column('id', sa.Integer), sa.column('envelope_id', sa.Integer),
                    sa.column('event', sa.String), sa.column('payload', sa.JSON), sa.column('created_at', TS),
                    sa.column('processed_at', TS), sa.column('attempts', sa.Integer), sa.column('last_error', sa.Text))


_DELIVERY = ('payload', 'created_at', 'attempts', 'next_attempt_at', 'delivered_at', 'failed_at', 'last_error')


def _delivery_columns() -> list[sa.ColumnClause[Any]]:
    return [sa.column('id', sa.Integer), sa.column('event', sa.String), sa.column('payload', sa.JSON),
            sa.column('created_at', TS), sa.column('attempts', sa.Integer), sa.column('next_attempt_at', TS),
            sa.column('delivered_at', TS), sa.column('failed_at', TS), sa.column('last_error', sa.String)]


def _new_webhooks() -> sa.TableClause:
    return sa.table('webhook_deliveries', *_delivery_columns(), sa.column('key', sa.String),
                    sa.column('event_id', sa.Integer))


def _old_envelope_webhooks() -> sa.TableClause:
    return sa.table('webhook_deliveries', *_delivery_columns(), sa.column('envelope_id', sa.Integer),
                    sa.column('audit_seq', sa.Integer))


def _old_order_webhooks() -> sa.TableClause:
    return sa.table('order_webhook_deliveries', *_delivery_columns(), sa.column('order_id', sa.Integer))


def _reset_sequence(table: str) -> None:
    """On PostgreSQL, move the id sequence past rows inserted with explicit ids."""
    if op.get_bind().dialect.name == 'postgresql':
        op.execute(sa.text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                           f"COALESCE((SELECT MAX(id) FROM {table}), 0) + 1, false)"))


def _create_events() -> None:
    op.create_table('events',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=60), nullable=False),
    sa.Column('key', sa.String(length=200), nullable=False),
    sa.Column('payload', sa.JSON(), nullable=False),
    sa.Column('created_at', TS, nullable=False),
    sa.Column('processed_at', TS, nullable=True),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('last_error', sa.Text(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_events')),
    sa.UniqueConstraint('name', 'key', name=op.f('uq_events_name_key'))
    )
    with op.batch_alter_table('events', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_events_processed_at'), ['processed_at'], unique=False)


def upgrade() -> None:
    bind = op.get_bind()
    outbox = list(bind.execute(sa.select(_outbox())).mappings())
    envelope_hooks = list(bind.execute(sa.select(_old_envelope_webhooks()).order_by(sa.text('id'))).mappings())
    order_hooks = list(bind.execute(sa.select(_old_order_webhooks()).order_by(sa.text('id'))).mappings())

    _create_events()
    rows = []
    for row in outbox:
        name = 'envelope.completed' if row['event'] == 'executed' else f"downstream.{row['event']}"
        rows.append({'id': row['id'], 'name': name, 'key': f"envelope-{row['envelope_id']}-{row['event']}",
                     'payload': {**(row['payload'] or {}), 'envelope_id': row['envelope_id']},
                     'created_at': row['created_at'], 'processed_at': row['processed_at'],
                     'attempts': row['attempts'], 'last_error': row['last_error']})
    if rows:
        op.bulk_insert(_events(), rows)
        _reset_sequence('events')
    op.drop_table('outbox_events')

    with op.batch_alter_table('webhook_deliveries', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_webhook_deliveries_next_attempt_at'))
        batch_op.drop_index(batch_op.f('ix_webhook_deliveries_envelope_id'))
    op.drop_table('webhook_deliveries')
    with op.batch_alter_table('order_webhook_deliveries', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_order_webhook_deliveries_next_attempt_at'))
        batch_op.drop_index(batch_op.f('ix_order_webhook_deliveries_order_id'))
    op.drop_table('order_webhook_deliveries')

    op.create_table('webhook_deliveries',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('event', sa.String(length=60), nullable=False),
    sa.Column('key', sa.String(length=200), nullable=False),
    sa.Column('event_id', sa.Integer(), nullable=True),
    sa.Column('payload', sa.JSON(), nullable=False),
    sa.Column('created_at', TS, nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('next_attempt_at', TS, nullable=True),
    sa.Column('delivered_at', TS, nullable=True),
    sa.Column('failed_at', TS, nullable=True),
    sa.Column('last_error', sa.String(length=500), nullable=True),
    sa.ForeignKeyConstraint(['event_id'], ['events.id'], name=op.f('fk_webhook_deliveries_event_id_events')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_webhook_deliveries')),
    sa.UniqueConstraint('key', name=op.f('uq_webhook_deliveries_key'))
    )
    with op.batch_alter_table('webhook_deliveries', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_webhook_deliveries_event'), ['event'], unique=False)
        batch_op.create_index(batch_op.f('ix_webhook_deliveries_event_id'), ['event_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_webhook_deliveries_next_attempt_at'), ['next_attempt_at'], unique=False)

    hooks: list[dict[str, Any]] = []
    seen: set[str] = set()
    for row in envelope_hooks:
        key = str((row['payload'] or {}).get('id') or f"envelope-{row['envelope_id']}-{row['audit_seq']}")
        hooks.append({'event': row['event'], 'key': key, 'event_id': None, **{c: row[c] for c in _DELIVERY}})
    for row in order_hooks:
        suffix = str(row['event']).rpartition('.')[2]
        key = str((row['payload'] or {}).get('id') or f"order-{row['order_id']}-{suffix}")
        hooks.append({'event': row['event'], 'key': key, 'event_id': None, **{c: row[c] for c in _DELIVERY}})
    hooks = [h for h in hooks if not (h['key'] in seen or seen.add(h['key']))]  # type: ignore[func-returns-value]
    hooks.sort(key=lambda h: (h['created_at'], h['key']))
    if hooks:
        op.bulk_insert(_new_webhooks(), hooks)


def downgrade() -> None:
    bind = op.get_bind()
    events = list(bind.execute(sa.select(_events()).order_by(sa.text('id'))).mappings())
    hooks = list(bind.execute(sa.select(_new_webhooks()).order_by(sa.text('id'))).mappings())

    with op.batch_alter_table('webhook_deliveries', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_webhook_deliveries_next_attempt_at'))
        batch_op.drop_index(batch_op.f('ix_webhook_deliveries_event_id'))
        batch_op.drop_index(batch_op.f('ix_webhook_deliveries_event'))
    op.drop_table('webhook_deliveries')
    with op.batch_alter_table('events', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_events_processed_at'))
    op.drop_table('events')

    op.create_table('outbox_events',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('envelope_id', sa.Integer(), nullable=False),
    sa.Column('event', sa.String(length=40), nullable=False),
    sa.Column('payload', sa.JSON(), nullable=False),
    sa.Column('created_at', TS, nullable=False),
    sa.Column('processed_at', TS, nullable=True),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('last_error', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['envelope_id'], ['envelopes.id'], name=op.f('fk_outbox_events_envelope_id_envelopes')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_outbox_events')),
    sa.UniqueConstraint('envelope_id', 'event', name=op.f('uq_outbox_events_envelope_id_event'))
    )
    op.create_table('webhook_deliveries',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('envelope_id', sa.Integer(), nullable=False),
    sa.Column('event', sa.String(length=40), nullable=False),
    sa.Column('audit_seq', sa.Integer(), nullable=False),
    sa.Column('payload', sa.JSON(), nullable=False),
    sa.Column('created_at', TS, nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('next_attempt_at', TS, nullable=True),
    sa.Column('delivered_at', TS, nullable=True),
    sa.Column('failed_at', TS, nullable=True),
    sa.Column('last_error', sa.String(length=500), nullable=True),
    sa.ForeignKeyConstraint(['envelope_id'], ['envelopes.id'], name=op.f('fk_webhook_deliveries_envelope_id_envelopes')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_webhook_deliveries')),
    sa.UniqueConstraint('envelope_id', 'event', 'audit_seq', name=op.f('uq_webhook_deliveries_envelope_id_event_audit_seq'))
    )
    with op.batch_alter_table('webhook_deliveries', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_webhook_deliveries_envelope_id'), ['envelope_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_webhook_deliveries_next_attempt_at'), ['next_attempt_at'], unique=False)
    op.create_table('order_webhook_deliveries',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('order_id', sa.Integer(), nullable=False),
    sa.Column('event', sa.String(length=40), nullable=False),
    sa.Column('payload', sa.JSON(), nullable=False),
    sa.Column('created_at', TS, nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('next_attempt_at', TS, nullable=True),
    sa.Column('delivered_at', TS, nullable=True),
    sa.Column('failed_at', TS, nullable=True),
    sa.Column('last_error', sa.String(length=500), nullable=True),
    sa.ForeignKeyConstraint(['order_id'], ['orders.id'], name=op.f('fk_order_webhook_deliveries_order_id_orders')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_order_webhook_deliveries')),
    sa.UniqueConstraint('order_id', 'event', name=op.f('uq_order_webhook_deliveries_order_id_event'))
    )
    with op.batch_alter_table('order_webhook_deliveries', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_order_webhook_deliveries_next_attempt_at'), ['next_attempt_at'],
                              unique=False)
        batch_op.create_index(batch_op.f('ix_order_webhook_deliveries_order_id'), ['order_id'], unique=False)

    outbox = []
    for event in events:
        payload = dict(event['payload'] or {})
        if event['name'] != 'envelope.completed' or 'envelope_id' not in payload:
            continue
        envelope_id = int(payload.pop('envelope_id'))
        payload.pop('webhook', None)
        outbox.append({'id': event['id'], 'envelope_id': envelope_id, 'event': 'executed', 'payload': payload,
                       'created_at': event['created_at'], 'processed_at': event['processed_at'],
                       'attempts': event['attempts'], 'last_error': event['last_error']})
    if outbox:
        op.bulk_insert(_outbox(), outbox)
        _reset_sequence('outbox_events')

    # Webhook bodies of events still pending (no delivery row yet) keep their webhook.
    queued = {h['key'] for h in hooks}
    rows = [dict(h) for h in hooks]
    for event in events:
        body = (event['payload'] or {}).get('webhook')
        if event['processed_at'] is None and body and str(body.get('id')) not in queued:
            rows.append({'event': event['name'], 'key': str(body['id']), 'payload': body,
                         'created_at': event['created_at'], 'attempts': 0, 'next_attempt_at': event['created_at'],
                         'delivered_at': None, 'failed_at': None, 'last_error': None})
    envelope_rows, order_rows = [], []
    for row in rows:
        body = row['payload'] or {}
        kept = {c: row[c] for c in _DELIVERY}
        if str(row['event']).startswith('order.'):
            order_id = (body.get('order') or {}).get('id') or str(row['key']).split('-')[1]
            order_rows.append({'event': row['event'], 'order_id': int(order_id), **kept})
        else:
            envelope_id = (body.get('envelope') or {}).get('id') or str(row['key']).split('-')[1]
            seq = (body.get('audit') or {}).get('seq') or str(row['key']).split('-')[2]
            envelope_rows.append({'event': row['event'], 'envelope_id': int(envelope_id), 'audit_seq': int(seq),
                                  **kept})
    if envelope_rows:
        op.bulk_insert(_old_envelope_webhooks(), envelope_rows)
    if order_rows:
        op.bulk_insert(_old_order_webhooks(), order_rows)
