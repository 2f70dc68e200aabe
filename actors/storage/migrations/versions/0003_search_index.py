"""search index: FTS5 on SQLite, tsvector + GIN on PostgreSQL (see actors/feed/search/)

Create Date: 2026-11-24

The tokens are made in Python (CJK bigrams, words), so each engine only stores and matches
them: SQLite's FTS5 with the 'ascii' tokenizer keeps every space-separated token whole, and
PostgreSQL receives tsvector/tsquery literals. Existing objects are indexed by
``actors.feed.search.reindex_all``.
"""
from alembic import op

revision = '0003'
down_revision = '0002'


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        # rowid = objects.id; columns: title tokens, body tokens.
        op.execute("CREATE VIRTUAL TABLE search_index USING fts5(title, body, tokenize='ascii', prefix='1')")
    else:
        op.execute(
            "CREATE TABLE search_index ("
            " object_id BIGINT NOT NULL,"
            " doc TSVECTOR NOT NULL,"
            " CONSTRAINT pk_search_index PRIMARY KEY (object_id),"
            " CONSTRAINT fk_search_index_object_id_objects FOREIGN KEY (object_id)"
            " REFERENCES objects (id) ON DELETE CASCADE)"
        )
        op.execute("CREATE INDEX ix_search_index_doc ON search_index USING gin (doc)")


def downgrade() -> None:
    op.execute("DROP TABLE search_index")
