"""sessions end, tokens expire, sign-in throttling per address and device

Revision ID: f5c9e8a9b009
Revises: e4b8d7f8a008
Create Date: 2026-11-28 09:10:00

* users.session_generation: sign-out, a password change and deactivation bump it, ending every
  session cookie issued before.
* login_attempts.ip and .device: failed sign-ins are counted per client address and per known
  device, not only per email.
* api_tokens.expires_at: every token now expires. Tokens that exist today keep working, with
  the role they had and no owner, until 30 days after this upgrade: long enough to replace them
  with user-owned tokens (`clm token create --user EMAIL`), short enough that a forgotten or
  leaked one does not live for ever. Revoking them on upgrade would break every integration
  without warning; keeping them for ever would leave tokens no one answers for.
  `clm token list` and /admin/tokens show them as "no owner (legacy)".
"""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from alembic import op

from clm.db import UtcDateTime

revision = 'f5c9e8a9b009'
down_revision = 'e4b8d7f8a008'
branch_labels = None
depends_on = None

#: How long tokens made before this revision keep working.
LEGACY_TOKEN_DAYS = 30


def upgrade() -> None:
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('session_generation', sa.Integer(), server_default='0', nullable=False))
    with op.batch_alter_table('login_attempts', schema=None) as batch_op:
        batch_op.add_column(sa.Column('ip', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('device', sa.String(length=64), nullable=True))
        batch_op.create_index(batch_op.f('ix_login_attempts_ip'), ['ip'], unique=False)
    with op.batch_alter_table('api_tokens', schema=None) as batch_op:
        batch_op.add_column(sa.Column('expires_at', sa.DateTime(timezone=True), nullable=True))
    tokens = sa.table('api_tokens', sa.column('expires_at', UtcDateTime()))
    op.execute(tokens.update().values(
        expires_at=dt.datetime.now(dt.UTC) + dt.timedelta(days=LEGACY_TOKEN_DAYS)))
    with op.batch_alter_table('api_tokens', schema=None) as batch_op:
        batch_op.alter_column('expires_at', existing_type=sa.DateTime(timezone=True), nullable=False)


def downgrade() -> None:
    with op.batch_alter_table('api_tokens', schema=None) as batch_op:
        batch_op.drop_column('expires_at')
    with op.batch_alter_table('login_attempts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_login_attempts_ip'))
        batch_op.drop_column('device')
        batch_op.drop_column('ip')
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('session_generation')
