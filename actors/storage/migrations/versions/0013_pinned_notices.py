"""pinned notices: objects.pinned_at, when an organiser pinned a notice to the top

Create Date: 2026-12-06

A community's organisers may pin one notice (a note: 停水通知, 物业公告); pinned notices lead
the notices on the community's page and on the home page.
"""
import sqlalchemy as sa
from alembic import op

revision = '0013'
down_revision = '0012'


def upgrade() -> None:
    op.add_column('objects', sa.Column('pinned_at', sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    op.drop_column('objects', 'pinned_at')
