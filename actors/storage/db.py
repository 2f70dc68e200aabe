"""Database engines for SQLite (the embedded default) and PostgreSQL, through one async API."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sqlite3
from collections.abc import AsyncIterator
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine
from sqlalchemy.pool import NullPool

__all__ = [
    "AUTOCHECKPOINT_PAGES", "CHECKPOINT_SECONDS", "checkpoint_wal", "create_engine", "is_postgres", "is_sqlite",
    "joined",
]

log = logging.getLogger("yinhu.db")

# SQLite copies the write-ahead log back into the database file (a checkpoint) when the log
# passes wal_autocheckpoint pages, inside whichever commit crossed the line: with the default
# 1,000 pages that was every ~13th stored Create, and it cost that request ~9 ms more (p95 of
# ingest 14 ms instead of 6; bench/bench_feed.py). Long-running processes checkpoint from a
# thread of their own every CHECKPOINT_SECONDS instead (``checkpoint_wal``); the automatic
# checkpoint stays as a backstop, at 64 MB of log, for processes that run none.
CHECKPOINT_SECONDS = 1.0

# asyncpg prepares every statement; after five runs PostgreSQL may switch a prepared statement
# to one generic plan for all parameter values. Yinhu's data is skewed (a search term in 2
# objects or in 20,000, a kind with 10 rows or 40,000), and the generic plan of the search
# query scanned the whole index backwards when a term was rarer than it guessed: 110 ms
# instead of 20 at 100k objects (bench/bench_feed.py). Planning each run costs well under 1 ms.
PG_CONNECT_ARGS: dict[str, Any] = {"server_settings": {"plan_cache_mode": "force_custom_plan"}}
AUTOCHECKPOINT_PAGES = 16384


def is_sqlite(url: str) -> bool:
    return make_url(url).get_backend_name() == "sqlite"


def is_postgres(url: str) -> bool:
    return make_url(url).get_backend_name() == "postgresql"


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    # WAL lets readers run beside the single writer; NORMAL sync is durable across application
    # crashes (only an OS crash can lose the last commits) and several times faster than FULL.
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.execute("PRAGMA busy_timeout=10000")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute(f"PRAGMA wal_autocheckpoint={AUTOCHECKPOINT_PAGES}")
    cur.close()


def create_engine(url: str, *, echo: bool = False) -> AsyncEngine:
    if is_sqlite(url):
        # Few connections: SQLite has one writer at a time, and each aiosqlite connection is a
        # thread; more of them only fight over the write lock (measured: p99 in seconds).
        engine = create_async_engine(url, echo=echo, pool_size=4, max_overflow=4, connect_args={"timeout": 10})
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
        return engine
    if is_postgres(url):
        make_url(url)  # raises ArgumentError early on a malformed URL
        return create_async_engine(url, echo=echo, pool_size=10, max_overflow=10, pool_pre_ping=True,
                                   connect_args=PG_CONNECT_ARGS)
    # Other backends are not supported; fail with the URL's scheme so the user sees why.
    raise ValueError(f"unsupported database {make_url(url).drivername!r}: use sqlite+aiosqlite:// or postgresql+asyncpg://")


@contextlib.asynccontextmanager
async def joined(engine: AsyncEngine, conn: AsyncConnection | None, *, write: bool = False) -> AsyncIterator[AsyncConnection]:
    """``conn`` when the caller passes its transaction in, else a connection of our own (a
    transaction committed at the end when ``write``). Functions that take an optional ``conn``
    use this, so a handler can run several of them in one transaction."""
    if conn is not None:
        yield conn
        return
    async with (engine.begin() if write else engine.connect()) as own:
        yield own


def create_null_pool_engine(url: str) -> AsyncEngine:
    """An engine that closes connections at once: for one-shot CLI commands and migrations."""
    engine = create_async_engine(url, poolclass=NullPool, connect_args=PG_CONNECT_ARGS if is_postgres(url) else {})
    if is_sqlite(url):
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
    return engine


async def checkpoint_wal(url: str, stop: asyncio.Event, every: float = CHECKPOINT_SECONDS) -> None:
    """Checkpoint an SQLite database's WAL every ``every`` seconds until ``stop`` is set.

    PASSIVE checkpoints never wait for readers or writers: they copy what they can, from a
    connection and thread of their own, so no request or queue item pays for it. Returns at
    once for PostgreSQL and in-memory databases. Errors are logged; the loop goes on.
    """
    if not is_sqlite(url):
        return
    path = make_url(url).database
    if not path or path == ":memory:" or path.startswith("file::memory:"):
        return
    conn = await asyncio.to_thread(sqlite3.connect, path, check_same_thread=False)
    try:
        while not stop.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), every)
            try:
                await asyncio.to_thread(_checkpoint, conn)
            except sqlite3.Error as exc:
                log.warning("WAL checkpoint of %s failed: %s", path, exc)
    finally:
        conn.close()


def _checkpoint(conn: sqlite3.Connection) -> None:
    conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
