"""login failures shared by every web process (sign-in rate limit)

Revision ID: 0004
Revises: 0003
"""
import sqlalchemy as sa
from alembic import op

import billpay.db.types

revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('login_failures',
    sa.Column('id', sa.String(length=40), nullable=False),
    sa.Column('key', sa.String(length=64), nullable=False),
    sa.Column('failed_at', billpay.db.types.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index('ix_login_failures_key_at', 'login_failures', ['key', 'failed_at'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_login_failures_key_at', table_name='login_failures')
    op.drop_table('login_failures')
