"""conversations: organisers' messages, replies under items, event Updates at most once a minute

Create Date: 2026-12-06

``messages``: what people do with a community's posts (replies, mentions, direct messages,
favourites, boosts, reports), one row per (community, activity), private to its organisers.
``objects`` gains ``in_reply_to`` (the parent's id), ``reply_root_id`` (the local object a
thread hangs under) and ``hidden_at`` (an organiser hid the reply). ``event_updates``: when
followers last got an Update of an event's counts, and when the next one is due.
"""
import sqlalchemy as sa
from alembic import op

revision = '0012'
down_revision = '0011'

Id = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')


def upgrade() -> None:
    op.add_column('objects', sa.Column('in_reply_to', sa.String(length=2048), nullable=True))
    op.add_column('objects', sa.Column('reply_root_id', Id, nullable=True))
    op.add_column('objects', sa.Column('hidden_at', sa.DateTime(timezone=True), nullable=True))
    op.create_index('ix_objects_reply_root_id', 'objects', ['reply_root_id'])
    op.create_index('ix_objects_in_reply_to', 'objects', ['in_reply_to'])
    op.create_table(
        'messages',
        sa.Column('id', Id, autoincrement=True, nullable=False),
        sa.Column('community_id', Id, nullable=False),
        sa.Column('kind', sa.String(length=16), nullable=False),
        sa.Column('actor_id', Id, nullable=False),
        sa.Column('activity_uri', sa.String(length=2048), nullable=False),
        sa.Column('object_uri', sa.String(length=2048), nullable=True),
        sa.Column('about_id', Id, nullable=True),
        sa.Column('content', sa.Text(), nullable=False),
        sa.Column('visibility', sa.String(length=16), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('read_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('answered_at', sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(['community_id'], ['actors.id'], name=op.f('fk_messages_community_id_actors'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['actor_id'], ['actors.id'], name=op.f('fk_messages_actor_id_actors'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['about_id'], ['objects.id'], name=op.f('fk_messages_about_id_objects'),
                                ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_messages')),
        sa.UniqueConstraint('community_id', 'activity_uri', name='uq_messages_community_activity'),
    )
    op.create_index('ix_messages_community', 'messages', ['community_id', 'id'])
    op.create_index('ix_messages_about', 'messages', ['about_id', 'kind'])
    op.create_table(
        'event_updates',
        sa.Column('object_id', Id, nullable=False),
        sa.Column('last_sent_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('due_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('participant_count', sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(['object_id'], ['objects.id'], name=op.f('fk_event_updates_object_id_objects'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('object_id', name=op.f('pk_event_updates')),
    )
    op.create_index('ix_event_updates_due', 'event_updates', ['due_at'])


def downgrade() -> None:
    op.drop_index('ix_event_updates_due', table_name='event_updates')
    op.drop_table('event_updates')
    op.drop_index('ix_messages_about', table_name='messages')
    op.drop_index('ix_messages_community', table_name='messages')
    op.drop_table('messages')
    op.drop_index('ix_objects_in_reply_to', table_name='objects')
    op.drop_index('ix_objects_reply_root_id', table_name='objects')
    op.drop_column('objects', 'hidden_at')
    op.drop_column('objects', 'reply_root_id')
    op.drop_column('objects', 'in_reply_to')
