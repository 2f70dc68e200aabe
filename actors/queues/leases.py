"""Leasing queue rows: the one mechanism behind the delivery and inbox workers.

A worker picks due rows and leases them until ``now + lease`` under a token of its own; a
killed worker's rows become due again when the lease expires. On PostgreSQL the pick is
``FOR UPDATE SKIP LOCKED``, so concurrent workers never pick the same row. On SQLite the
SELECT takes no lock, so the lease is written only where it is still free, and a worker keeps
only the rows its UPDATE changed.

Leases are short (tens of seconds) and renewed while the work is in flight (``renew``). Every
write a worker makes to a leased row matches the token too: a worker that stalled
past its lease, whose rows another worker has taken since, changes nothing.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Collection
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Select, Table, or_, update
from sqlalchemy.ext.asyncio import AsyncConnection

__all__ = ["lease_due", "new_lease_token", "renew"]


def new_lease_token() -> str:
    return secrets.token_hex(16)


async def lease_due(
    conn: AsyncConnection,
    table: Table,
    due: Select[Any],
    *,
    pending: str,
    now: datetime,
    lease: timedelta,
    token: str,
    pick: Callable[[list[Any]], list[int]] | None = None,
) -> list[int]:
    """Lease the rows ``due`` selects (ids of ``table`` first) under ``token``; return the ids
    got. ``pick``, given the selected rows, chooses which of them to lease."""
    if conn.dialect.name == "postgresql":
        due = due.with_for_update(skip_locked=True, of=table)
    rows = list(await conn.execute(due))
    ids = pick(rows) if pick is not None else [r[0] for r in rows]
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
