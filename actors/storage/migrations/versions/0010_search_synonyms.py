"""search: the variant and synonym table, and listings indexed without their automatic hashtags

Create Date: 2026-12-06

``search_synonyms`` (variant → canonical; see actors/feed/search/) is filled with the pairs shipped
in actors/feed/search/search_synonyms.txt; admins add their own (``yinhu search synonyms add``). The index
keeps its shape; listings are indexed again, now without the hashtags that every listing of
their kind carries (#二手 #闲置), which are for Mastodon readers, not the item's own words.
"""
import sqlalchemy as sa
from alembic import op

revision = '0010'
down_revision = '0009'


def upgrade() -> None:
    from actors.feed.search import reindex_listings_sync, shipped_synonyms

    table = op.create_table(
        "search_synonyms",
        sa.Column("term", sa.String(64), nullable=False),
        sa.Column("canonical", sa.String(64), nullable=False),
        sa.Column("builtin", sa.Boolean(), nullable=False, server_default=sa.false()),
        sa.PrimaryKeyConstraint("term", name="pk_search_synonyms"),
    )
    op.bulk_insert(table, [{"term": t, "canonical": c, "builtin": True} for t, c in dict(shipped_synonyms()).items()])
    reindex_listings_sync(op.get_bind())


def downgrade() -> None:
    op.drop_table("search_synonyms")
