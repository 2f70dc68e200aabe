"""Leasing queue rows: the one mechanism behind the delivery and inbox workers.

A worker picks due rows and leases them until ``now + lease`` under a token of its own; a
killed worker's rows become due again when the lease expires. On PostgreSQL the pick is
``FOR UPDATE SKIP LOCKED``, so concurrent workers never pick the same row. On SQLite the
SELECT takes no lock, so the lease is written only where it is still free, and a worker keeps
only the rows its UPDATE changed.

Leases are short (tens of seconds) and renewed while the work is in flight (``renew``). Every
write a worker makes to a leased row matches the token too (``held``): a worker that stalled
past its lease, whose rows another worker has taken since, changes nothing.
"""

from __future__ import annotations

import secrets
from collections.abc import Collection
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Select, Table, and_, or_, update
from sqlalchemy.ext.asyncio import AsyncConnection

__all__ = ["held", "lease_due", "new_lease_token", "renew"]


def new_lease_token() -> str:
    return secrets.token_hex(16)


def held(table: Table, token: Any) -> ColumnElement[bool]:
    """The condition every write to a leased row adds: the row is still leased by ``token``."""
    return and_(table.c.lease_token == token)


async def lease_due(
    conn: AsyncConnection,
    table: Table,
    due: Select[tuple[int]],
    *,
    pending: str,
    now: datetime,
    lease: timedelta,
    token: str,
) -> list[int]:
    """Lease the rows ``due`` selects (ids of ``table``) under ``token``; return the ids got."""
    if conn.dialect.name == "postgresql":
        due = due.with_for_update(skip_locked=True)
    ids = [r[0] for r in await conn.execute(due)]
    if not ids:
        return []
    leased = await conn.execute(
        update(table)
        .where(
            table.c.id.in_(ids),
            table.c.state == pending,
            or_(table.c.lease_until.is_(None), table.c.lease_until < now),
        )
        .values(lease_until=now + lease, lease_token=token)
        .returning(table.c.id)
    )
    return [r[0] for r in leased]


async def renew(
    conn: AsyncConnection, table: Table, ids: Collection[int], *, token: str, until: datetime
) -> set[int]:
    """Extend the lease of those of ``ids`` still held under ``token``; return them."""
    if not ids:
        return set()
    result = await conn.execute(
        update(table)
        .where(table.c.id.in_(list(ids)), table.c.lease_token == token)
        .values(lease_until=until)
        .returning(table.c.id)
    )
    return {r[0] for r in result}
