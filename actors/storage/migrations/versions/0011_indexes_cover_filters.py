"""feed indexes carry visibility and community_id, the inbox claim index origin and lease_until

Create Date: 2026-12-06

Since 0007 every public door filters on ``visibility`` and ``community_id``. With the feed
indexes holding neither, each candidate row in an event window (60 days before its start)
was read from the table, raw JSON and all, only to check them: the home page's three event
queries took 14 ms each at 20,000 objects on SQLite, 3 ms with the columns in the index.
The inbox worker's claim, walking pending items in id order, likewise filters on origin and
lease from ``ix_inbox_items_state`` instead of reading each stored body.
"""
import sqlalchemy as sa
from alembic import op

revision = '0011'
down_revision = '0010'

LIVE = sa.text('deleted_at IS NULL')
INDEXES = {
    'ix_objects_live_time': ['kind', 'start_time', 'id', sa.text('coalesce(end_time, start_time)')],
    'ix_objects_live_kind': ['kind', 'published', 'id'],
    'ix_objects_live_category': ['category', 'published', 'id'],
    'ix_objects_live': ['published', 'id'],
}
PUBLIC_FILTER = ['visibility', 'community_id']


def _recreate(extra: list[str]) -> None:
    for name, columns in INDEXES.items():
        op.drop_index(name, table_name='objects')
        op.create_index(name, 'objects', [*columns, *extra], postgresql_where=LIVE, sqlite_where=LIVE)


def _inbox_index(columns: list[str]) -> None:
    op.drop_index('ix_inbox_items_state', table_name='inbox_items')
    op.create_index('ix_inbox_items_state', 'inbox_items', columns)


def upgrade() -> None:
    _recreate(PUBLIC_FILTER)
    _inbox_index(['state', 'id', 'origin', 'lease_until'])


def downgrade() -> None:
    _inbox_index(['state', 'id'])
    _recreate([])
