"""feed indexes

Create Date: 2026-11-23
"""
from alembic import op

revision = '0005'
down_revision = '0004'


def upgrade() -> None:
    with op.batch_alter_table('objects', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_objects_kind_published'))
        batch_op.drop_index(batch_op.f('ix_objects_kind_start'))
        batch_op.create_index('ix_objects_feed_recent', ['kind', 'deleted_at', 'published'], unique=False)
        batch_op.create_index('ix_objects_feed_time', ['kind', 'deleted_at', 'start_time', 'end_time'], unique=False)
        batch_op.create_index('ix_objects_recent', ['deleted_at', 'published'], unique=False)
        batch_op.create_index('ix_objects_category', ['category', 'deleted_at', 'published'], unique=False)
        batch_op.create_index('ix_objects_geo', ['latitude', 'longitude'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('objects', schema=None) as batch_op:
        batch_op.drop_index('ix_objects_geo')
        batch_op.drop_index('ix_objects_category')
        batch_op.drop_index('ix_objects_recent')
        batch_op.drop_index('ix_objects_feed_time')
        batch_op.drop_index('ix_objects_feed_recent')
        batch_op.create_index(batch_op.f('ix_objects_kind_start'), ['kind', 'start_time'], unique=False)
        batch_op.create_index(batch_op.f('ix_objects_kind_published'), ['kind', 'published'], unique=False)

