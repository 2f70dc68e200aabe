"""submissions and moderation: members' submissions, members, invitations, bans, domain policies, the log

Create Date: 2026-12-06

``submissions``: what a member, a follower or a visitor proposed to a community, queued for
its moderators (or published at once where the community's policy is open). ``actors`` gains
``submission_policy`` (open | moderated | closed; null: moderated) and ``trust_members``.
``community_members`` and ``invitations``: a community's members and the links that make them.
``community_bans``: people banned from a community. ``domain_policies``: suspend, silence or
review a whole domain. ``moderation_log``: what moderators did, shown publicly.
"""
import sqlalchemy as sa
from alembic import op

revision = '0014'
down_revision = '0013'

Id = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')
TS = sa.DateTime(timezone=True)


def _fk(table: str, column: str, target: str, ondelete: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint([column], [f'{target}.id'], name=op.f(f'fk_{table}_{column}_{target}'),
                                   ondelete=ondelete)


def upgrade() -> None:
    op.add_column('actors', sa.Column('submission_policy', sa.String(length=16), nullable=True))
    op.add_column('actors', sa.Column('trust_members', sa.Boolean(), nullable=False, server_default='0'))
    op.create_table(
        'submissions',
        sa.Column('id', Id, autoincrement=True, nullable=False),
        sa.Column('community_id', Id, nullable=False),
        sa.Column('actor_id', Id, nullable=True),
        sa.Column('origin', sa.String(length=16), nullable=False),
        sa.Column('shape', sa.String(length=16), nullable=False),
        sa.Column('kind', sa.String(length=16), nullable=False),
        sa.Column('activity_uri', sa.String(length=2048), nullable=True),
        sa.Column('object_uri', sa.String(length=2048), nullable=True),
        sa.Column('raw', sa.Text(), nullable=True),
        sa.Column('draft', sa.Text(), nullable=True),
        sa.Column('content', sa.Text(), nullable=False),
        sa.Column('submitter_name', sa.String(length=255), nullable=True),
        sa.Column('contact', sa.Text(), nullable=True),
        sa.Column('client_key', sa.String(length=64), nullable=True),
        sa.Column('state', sa.String(length=16), nullable=False),
        sa.Column('reason', sa.Text(), nullable=True),
        sa.Column('object_id', Id, nullable=True),
        sa.Column('announce_uri', sa.String(length=2048), nullable=True),
        sa.Column('decided_by', sa.String(length=64), nullable=True),
        sa.Column('created_at', TS, nullable=False),
        sa.Column('decided_at', TS, nullable=True),
        _fk('submissions', 'community_id', 'actors', 'CASCADE'),
        _fk('submissions', 'actor_id', 'actors', 'SET NULL'),
        _fk('submissions', 'object_id', 'objects', 'SET NULL'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_submissions')),
        sa.UniqueConstraint('community_id', 'activity_uri', name='uq_submissions_community_activity'),
    )
    op.create_index('ix_submissions_queue', 'submissions', ['community_id', 'state', 'id'])
    op.create_index('ix_submissions_client', 'submissions', ['client_key', 'created_at'])
    op.create_table(
        'community_members',
        sa.Column('id', Id, autoincrement=True, nullable=False),
        sa.Column('community_id', Id, nullable=False),
        sa.Column('actor_id', Id, nullable=False),
        sa.Column('via', sa.String(length=16), nullable=False),
        sa.Column('created_at', TS, nullable=False),
        _fk('community_members', 'community_id', 'actors', 'CASCADE'),
        _fk('community_members', 'actor_id', 'actors', 'CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_community_members')),
        sa.UniqueConstraint('community_id', 'actor_id', name='uq_community_members_pair'),
    )
    op.create_table(
        'invitations',
        sa.Column('id', Id, autoincrement=True, nullable=False),
        sa.Column('community_id', Id, nullable=False),
        sa.Column('token_hash', sa.String(length=64), nullable=False),
        sa.Column('created_by', sa.String(length=64), nullable=True),
        sa.Column('max_uses', sa.Integer(), nullable=True),
        sa.Column('uses', sa.Integer(), nullable=False, server_default='0'),
        sa.Column('created_at', TS, nullable=False),
        sa.Column('expires_at', TS, nullable=True),
        sa.Column('revoked_at', TS, nullable=True),
        _fk('invitations', 'community_id', 'actors', 'CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_invitations')),
        sa.UniqueConstraint('token_hash', name=op.f('uq_invitations_token_hash')),
    )
    op.create_table(
        'community_bans',
        sa.Column('id', Id, autoincrement=True, nullable=False),
        sa.Column('community_id', Id, nullable=False),
        sa.Column('actor_id', Id, nullable=False),
        sa.Column('reason', sa.Text(), nullable=False),
        sa.Column('block_uri', sa.String(length=2048), nullable=True),
        sa.Column('created_by', sa.String(length=64), nullable=True),
        sa.Column('created_at', TS, nullable=False),
        _fk('community_bans', 'community_id', 'actors', 'CASCADE'),
        _fk('community_bans', 'actor_id', 'actors', 'CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_community_bans')),
        sa.UniqueConstraint('community_id', 'actor_id', name='uq_community_bans_pair'),
    )
    op.create_table(
        'domain_policies',
        sa.Column('domain', sa.String(length=255), nullable=False),
        sa.Column('severity', sa.String(length=16), nullable=False),
        sa.Column('reason', sa.Text(), nullable=False),
        sa.Column('source', sa.String(length=64), nullable=False),
        sa.Column('created_at', TS, nullable=False),
        sa.PrimaryKeyConstraint('domain', name=op.f('pk_domain_policies')),
    )
    op.create_table(
        'moderation_log',
        sa.Column('id', Id, autoincrement=True, nullable=False),
        sa.Column('community_id', Id, nullable=True),
        sa.Column('action', sa.String(length=32), nullable=False),
        sa.Column('target', sa.String(length=2048), nullable=False),
        sa.Column('reason', sa.Text(), nullable=False),
        sa.Column('created_by', sa.String(length=64), nullable=True),
        sa.Column('created_at', TS, nullable=False),
        _fk('moderation_log', 'community_id', 'actors', 'SET NULL'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_moderation_log')),
    )
    op.create_index('ix_moderation_log_created', 'moderation_log', ['created_at', 'id'])


def downgrade() -> None:
    op.drop_index('ix_moderation_log_created', table_name='moderation_log')
    op.drop_table('moderation_log')
    op.drop_table('domain_policies')
    op.drop_table('community_bans')
    op.drop_table('invitations')
    op.drop_table('community_members')
    op.drop_index('ix_submissions_client', table_name='submissions')
    op.drop_index('ix_submissions_queue', table_name='submissions')
    op.drop_table('submissions')
    op.drop_column('actors', 'trust_members')
    op.drop_column('actors', 'submission_policy')
