"""money controls: duplicate resolution, credit notes, vendor credits applied to payments

Revision ID: 0005
Revises: 0004
"""
import sqlalchemy as sa
from alembic import op

revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('bills', schema=None) as batch_op:
        batch_op.add_column(sa.Column('kind', sa.String(length=10), nullable=False, server_default='bill'))
        batch_op.add_column(sa.Column('duplicate_resolution', sa.JSON().with_variant(sa.JSON(), 'sqlite'),
                                      nullable=True))
    with op.batch_alter_table('payments', schema=None) as batch_op:
        batch_op.add_column(sa.Column('credits_applied', sa.JSON().with_variant(sa.JSON(), 'sqlite'),
                                      nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('payments', schema=None) as batch_op:
        batch_op.drop_column('credits_applied')
    with op.batch_alter_table('bills', schema=None) as batch_op:
        batch_op.drop_column('duplicate_resolution')
        batch_op.drop_column('kind')
