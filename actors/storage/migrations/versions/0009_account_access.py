"""account access: disabled accounts, session versions, a shared login limiter

Create Date: 2026-12-06
"""
import sqlalchemy as sa
from alembic import op

revision = '0009'
down_revision = '0008'


def upgrade() -> None:
    with op.batch_alter_table('accounts', schema=None) as batch_op:
        batch_op.add_column(sa.Column('disabled_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('session_version', sa.Integer(), server_default='0', nullable=False))
    op.create_table('login_failures',
    sa.Column('key', sa.String(length=64), nullable=False),
    sa.Column('failures', sa.Integer(), nullable=False),
    sa.Column('last_failure_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('blocked_until', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('key', name=op.f('pk_login_failures'))
    )
    op.create_index('ix_login_failures_last', 'login_failures', ['last_failure_at'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_login_failures_last', table_name='login_failures')
    op.drop_table('login_failures')
    with op.batch_alter_table('accounts', schema=None) as batch_op:
        batch_op.drop_column('session_version')
        batch_op.drop_column('disabled_at')
