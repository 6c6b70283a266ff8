"""documents in the database: document_blobs

Revision ID: 0003
Revises: 0002
"""
import sqlalchemy as sa
from alembic import op

import billpay.db.types

revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('document_blobs',
    sa.Column('key', sa.String(length=300), nullable=False),
    sa.Column('org_id', sa.String(length=40), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('data', sa.LargeBinary(), nullable=False),
    sa.Column('created_at', billpay.db.types.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('key')
    )
    with op.batch_alter_table('document_blobs', schema=None) as batch_op:
        batch_op.create_index('ix_document_blobs_org', ['org_id'], unique=False)
    if op.get_bind().dialect.name == 'postgresql':
        # PDFs and images are already compressed: store them out of line without trying again.
        op.execute('ALTER TABLE document_blobs ALTER COLUMN data SET STORAGE EXTERNAL')


def downgrade() -> None:
    with op.batch_alter_table('document_blobs', schema=None) as batch_op:
        batch_op.drop_index('ix_document_blobs_org')
    op.drop_table('document_blobs')
