"""queue lease tokens; inbox items' origin and object key

Create Date: 2026-12-06
"""
import sqlalchemy as sa
from alembic import op

revision = '0008'
down_revision = '0007'


def upgrade() -> None:
    with op.batch_alter_table('deliveries', schema=None) as batch_op:
        batch_op.add_column(sa.Column('lease_token', sa.String(length=32), nullable=True))
    with op.batch_alter_table('inbox_items', schema=None) as batch_op:
        batch_op.add_column(sa.Column('lease_token', sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column('origin', sa.String(length=255), nullable=True))
        batch_op.add_column(sa.Column('object_key', sa.String(length=2048), nullable=True))
    op.create_index('ix_inbox_items_object_key', 'inbox_items', ['object_key', 'id'])
    op.create_index('ix_inbox_items_processed', 'inbox_items', ['processed_at'])


def downgrade() -> None:
    op.drop_index('ix_inbox_items_processed', table_name='inbox_items')
    op.drop_index('ix_inbox_items_object_key', table_name='inbox_items')
    with op.batch_alter_table('inbox_items', schema=None) as batch_op:
        batch_op.drop_column('object_key')
        batch_op.drop_column('origin')
        batch_op.drop_column('lease_token')
    with op.batch_alter_table('deliveries', schema=None) as batch_op:
        batch_op.drop_column('lease_token')
