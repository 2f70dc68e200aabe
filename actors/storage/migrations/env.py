"""Alembic environment: runs migrations on the connection handed over by actors.storage.migrate."""

from __future__ import annotations

from alembic import context

from actors.storage.models import SEARCH_TABLES, metadata

connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError("run migrations through `yinhu init` / actors.storage.migrate.upgrade, not the alembic CLI")

context.configure(
    connection=connection,
    target_metadata=metadata,
    render_as_batch=connection.dialect.name == "sqlite",
    compare_type=True,
    # The search index is dialect-specific (an FTS5 table with shadow tables on SQLite, a
    # tsvector table on PostgreSQL) and created by hand in 0003; autogenerate must not touch it.
    include_name=lambda name, type_, parent: not (type_ == "table" and name in SEARCH_TABLES),
)
with context.begin_transaction():
    context.run_migrations()
