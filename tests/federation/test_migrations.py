"""The migrations build exactly the schema actors/storage/models.py describes, both ways, on both engines.

Alembic's autogenerate comparison is the judge: after ``upgrade head`` it must find nothing to
add, drop or change. Each migration must also undo cleanly (``downgrade``) and apply again.
"""

from __future__ import annotations

import warnings
from typing import Any

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect
from sqlalchemy.engine import Connection

from actors.storage import migrate
from actors.storage.db import create_engine
from actors.storage.models import SEARCH_TABLES, metadata
from tests.conftest import Databases


def _differences(conn: Connection) -> list[Any]:
    ctx = MigrationContext.configure(conn, opts={
        "compare_type": True,
        "include_name": lambda name, type_, parent: not (type_ == "table" and name in SEARCH_TABLES),
    })
    with warnings.catch_warnings():
        # SQLite cannot reflect expression indexes (ix_objects_live_time); Alembic says so and
        # skips them. PostgreSQL compares them.
        warnings.simplefilter("ignore")
        return list(compare_metadata(ctx, metadata))


def _index_names(conn: Connection) -> set[str]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # as above: SQLite leaves out the expression index
        return {i["name"] for i in inspect(conn).get_indexes("objects")}


def _revisions() -> list[str]:
    script = ScriptDirectory.from_config(migrate.alembic_config())
    return [rev.revision for rev in reversed(list(script.walk_revisions()))]


async def test_head_matches_the_models(db: Databases) -> None:
    engine = create_engine(await db.new())
    try:
        await migrate.upgrade(engine)
        async with engine.connect() as conn:
            assert await conn.run_sync(_differences) == []
            indexes = await conn.run_sync(_index_names)
        assert {"ix_objects_live", "ix_objects_live_kind", "ix_objects_live_category"} <= indexes
    finally:
        await engine.dispose()


@pytest.mark.parametrize("revision", _revisions()[1:])
async def test_each_migration_undoes_and_reapplies(db: Databases, revision: str) -> None:
    engine = create_engine(await db.new())
    try:
        await migrate.upgrade(engine, revision)
        async with engine.begin() as conn:
            await conn.run_sync(lambda c: command.downgrade(migrate.alembic_config(c), "-1"))
        assert await migrate.current_revision(engine) == _revisions()[_revisions().index(revision) - 1]
        await migrate.upgrade(engine)
        assert await migrate.current_revision(engine) == migrate.head_revision()
        async with engine.connect() as conn:
            assert await conn.run_sync(_differences) == []
    finally:
        await engine.dispose()
