"""actors.storage.db.checkpoint_wal: long-running processes keep SQLite's write-ahead log short.

What a checkpoint does is observable without doing one: once every frame of the log has been
copied back to the database file, the next writer starts the log from its beginning again,
so the file stops growing. Without checkpoints it grows with every write.
"""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

from sqlalchemy import text

from actors.storage.db import AUTOCHECKPOINT_PAGES, checkpoint_wal, create_engine


def _write(conn: sqlite3.Connection, rounds: int) -> None:
    for _ in range(rounds):
        conn.execute("INSERT INTO t (v) VALUES (?)", ("x" * 3000,))
        conn.commit()


def _wal_size(db: Path) -> int:
    return db.with_name(db.name + "-wal").stat().st_size


def _writer(db: Path) -> sqlite3.Connection:
    conn = sqlite3.connect(db)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA wal_autocheckpoint=0")  # only checkpoint_wal may checkpoint here
    conn.execute("CREATE TABLE IF NOT EXISTS t (id INTEGER PRIMARY KEY, v TEXT)")
    conn.commit()
    return conn


async def test_the_log_is_reused_when_checkpointed_and_grows_when_not(tmp_path: Path) -> None:
    db = tmp_path / "y.sqlite3"
    url = f"sqlite+aiosqlite:///{db}"
    conn = _writer(db)
    try:
        _write(conn, 200)
        first = _wal_size(db)
        stop = asyncio.Event()
        task = asyncio.create_task(checkpoint_wal(url, stop, every=0.05))
        await asyncio.sleep(0.3)  # a few rounds
        stop.set()
        await asyncio.wait_for(task, 5)  # it stops when told
        _write(conn, 200)
        assert _wal_size(db) <= first * 1.1, "after a checkpoint the log is written from its start again"

        _write(conn, 200)  # no checkpointer now
        assert _wal_size(db) > first * 1.5
    finally:
        conn.close()


async def test_no_checkpointer_for_databases_without_a_file() -> None:
    stop = asyncio.Event()  # never set: these must return by themselves
    await asyncio.wait_for(checkpoint_wal("sqlite+aiosqlite:///:memory:", stop), 1)
    await asyncio.wait_for(checkpoint_wal("postgresql+asyncpg://u@127.0.0.1/test", stop), 1)


async def test_app_connections_leave_the_backstop_checkpoint_at_64_mb(tmp_path: Path) -> None:
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'y.sqlite3'}")
    try:
        async with engine.connect() as conn:
            assert (await conn.execute(text("PRAGMA wal_autocheckpoint"))).scalar() == AUTOCHECKPOINT_PAGES
            assert (await conn.execute(text("PRAGMA journal_mode"))).scalar() == "wal"
    finally:
        await engine.dispose()
