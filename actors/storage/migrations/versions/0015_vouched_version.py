"""vouched version: submissions.vouched_mark, the version of a post a moderator approved

Create Date: 2026-12-06

A silenced domain's posts are kept off public pages, unless a moderator approved one as a
submission (the community announces it). ``vouched_mark`` is a fingerprint of the version the
moderator approved (its text and title): an edit makes it another version, withheld again.
Null for policy approvals and for everything approved before this revision.
"""
import sqlalchemy as sa
from alembic import op

revision = '0015'
down_revision = '0014'


def upgrade() -> None:
    op.add_column('submissions', sa.Column('vouched_mark', sa.String(16), nullable=True))


def downgrade() -> None:
    op.drop_column('submissions', 'vouched_mark')
