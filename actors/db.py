"""Database engines for SQLite (the embedded default) and PostgreSQL, through one async API."""

from __future__ import annotations

from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from sqlalchemy.pool import NullPool

__all__ = ["create_engine", "is_sqlite", "is_postgres"]


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
        return create_async_engine(url, echo=echo, pool_size=10, max_overflow=10, pool_pre_ping=True)
    # Other backends are not supported; fail with the URL's scheme so the user sees why.
    raise ValueError(f"unsupported database {make_url(url).drivername!r}: use sqlite+aiosqlite:// or postgresql+asyncpg://")


def create_null_pool_engine(url: str) -> AsyncEngine:
    """An engine that closes connections at once: for one-shot CLI commands and migrations."""
    engine = create_async_engine(url, poolclass=NullPool)
    if is_sqlite(url):
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
    return engine
