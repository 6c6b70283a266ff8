"""Scale-out: due columns the scheduler reads instead of visiting every organization, fair turns,
platform limits and call counts shared by every worker, the tick's election

- ``connections.next_pull_at`` (the connection's daily pull slot) and ``payments.due_at`` (the next
  clock-driven step of a payment), each with a partial index, so a tick reads only what is due.
- ``connections.turn_at``: when the connection's last turn with a worker began (round robin).
- ``platform_limits``, ``platform_calls``, ``scheduler_runs``.

Existing payments waiting on the clock are marked due now: the first tick looks at each of their
organizations once and sets the exact time. Connections start unscheduled (NULL): the first tick gives
each its slot, pulling at once only those whose last pull is older than their last slot.

Revision ID: 0006
Revises: 0005
"""
import datetime as dt

import sqlalchemy as sa
from alembic import op

import billpay.db.types

revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('connections', schema=None) as batch_op:
        batch_op.add_column(sa.Column('turn_at', billpay.db.types.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('next_pull_at', billpay.db.types.UTCDateTime(timezone=True), nullable=True))
        batch_op.create_index('ix_connections_next_pull', ['next_pull_at'], unique=False,
                              sqlite_where=sa.text("status = 'connected'"),
                              postgresql_where=sa.text("status = 'connected'"))
    with op.batch_alter_table('payments', schema=None) as batch_op:
        batch_op.add_column(sa.Column('due_at', billpay.db.types.UTCDateTime(timezone=True), nullable=True))
        batch_op.create_index('ix_payments_due', ['due_at'], unique=False,
                              sqlite_where=sa.text('due_at IS NOT NULL'),
                              postgresql_where=sa.text('due_at IS NOT NULL'))
    payments = sa.table('payments', sa.column('status', sa.String()),
                        sa.column('due_at', billpay.db.types.UTCDateTime(timezone=True)))
    op.execute(payments.update().where(payments.c.status.in_(['scheduled', 'processing', 'pending_approval']))
               .values(due_at=dt.datetime(1970, 1, 1, tzinfo=dt.timezone.utc)))
    op.create_table('platform_limits',
    sa.Column('key', sa.String(length=200), nullable=False),
    sa.Column('name', sa.String(length=60), nullable=False),
    sa.Column('level', sa.Float(), nullable=False),
    sa.Column('stamp', sa.Float(), nullable=False),
    sa.Column('holders', sa.JSON().with_variant(sa.JSON(), 'sqlite'), nullable=False),
    sa.PrimaryKeyConstraint('key', 'name')
    )
    op.create_table('platform_calls',
    sa.Column('connection_id', sa.String(length=40), nullable=False),
    sa.Column('org_id', sa.String(length=40), nullable=False),
    sa.Column('platform', sa.String(length=30), nullable=False),
    sa.Column('requests', sa.BigInteger(), nullable=False),
    sa.Column('throttled', sa.BigInteger(), nullable=False),
    sa.Column('last_throttled_at', billpay.db.types.UTCDateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('connection_id')
    )
    with op.batch_alter_table('platform_calls', schema=None) as batch_op:
        batch_op.create_index('ix_platform_calls_platform', ['platform'], unique=False)
    op.create_table('scheduler_runs',
    sa.Column('name', sa.String(length=40), nullable=False),
    sa.Column('minute', billpay.db.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('runner', sa.String(length=80), nullable=True),
    sa.PrimaryKeyConstraint('name')
    )


def downgrade() -> None:
    op.drop_table('scheduler_runs')
    with op.batch_alter_table('platform_calls', schema=None) as batch_op:
        batch_op.drop_index('ix_platform_calls_platform')
    op.drop_table('platform_calls')
    op.drop_table('platform_limits')
    with op.batch_alter_table('payments', schema=None) as batch_op:
        batch_op.drop_index('ix_payments_due', sqlite_where=sa.text('due_at IS NOT NULL'),
                            postgresql_where=sa.text('due_at IS NOT NULL'))
        batch_op.drop_column('due_at')
    with op.batch_alter_table('connections', schema=None) as batch_op:
        batch_op.drop_index('ix_connections_next_pull', sqlite_where=sa.text("status = 'connected'"),
                            postgresql_where=sa.text("status = 'connected'"))
        batch_op.drop_column('next_pull_at')
        batch_op.drop_column('turn_at')
