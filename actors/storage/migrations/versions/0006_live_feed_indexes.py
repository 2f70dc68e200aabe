"""live feed indexes: partial (deleted_at IS NULL), id as the last sort key, events skip ended ones in the index

Create Date: 2026-11-23
"""
import sqlalchemy as sa
from alembic import op

revision = '0006'
down_revision = '0005'

LIVE = sa.text('deleted_at IS NULL')


def upgrade() -> None:
    op.drop_index('ix_objects_feed_time', table_name='objects')
    op.drop_index('ix_objects_feed_recent', table_name='objects')
    op.drop_index('ix_objects_recent', table_name='objects')
    op.drop_index('ix_objects_category', table_name='objects')
    op.create_index('ix_objects_live_time', 'objects',
                    ['kind', 'start_time', 'id', sa.text('coalesce(end_time, start_time)')],
                    postgresql_where=LIVE, sqlite_where=LIVE)
    op.create_index('ix_objects_live_kind', 'objects', ['kind', 'published', 'id'],
                    postgresql_where=LIVE, sqlite_where=LIVE)
    op.create_index('ix_objects_live_category', 'objects', ['category', 'published', 'id'],
                    postgresql_where=LIVE, sqlite_where=LIVE)
    op.create_index('ix_objects_live', 'objects', ['published', 'id'],
                    postgresql_where=LIVE, sqlite_where=LIVE)


def downgrade() -> None:
    op.drop_index('ix_objects_live', table_name='objects')
    op.drop_index('ix_objects_live_category', table_name='objects')
    op.drop_index('ix_objects_live_kind', table_name='objects')
    op.drop_index('ix_objects_live_time', table_name='objects')
    op.create_index('ix_objects_category', 'objects', ['category', 'deleted_at', 'published'])
    op.create_index('ix_objects_recent', 'objects', ['deleted_at', 'published'])
    op.create_index('ix_objects_feed_recent', 'objects', ['kind', 'deleted_at', 'published'])
    op.create_index('ix_objects_feed_time', 'objects', ['kind', 'deleted_at', 'start_time', 'end_time'])
