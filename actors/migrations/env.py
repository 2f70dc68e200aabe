"""Alembic environment: runs migrations on the connection handed over by actors.migrate."""

from __future__ import annotations

from alembic import context

from actors.models import metadata

connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError("run migrations through `yinhu init` / actors.migrate.upgrade, not the alembic CLI")

context.configure(
    connection=connection,
    target_metadata=metadata,
    render_as_batch=connection.dialect.name == "sqlite",
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
