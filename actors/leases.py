"""Leasing queue rows: the one mechanism behind the delivery and inbox workers.

A worker picks due rows and leases them until ``now + lease``; a killed worker's rows become
due again when the lease expires. On PostgreSQL the pick is ``FOR UPDATE SKIP LOCKED``, so
concurrent workers never pick the same row. On SQLite the SELECT takes no lock, so the lease
is written only where it is still free, and a worker keeps only the rows its UPDATE changed.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import Select, Table, or_, update
from sqlalchemy.ext.asyncio import AsyncConnection

__all__ = ["lease_due"]


async def lease_due(
    conn: AsyncConnection, table: Table, due: Select[tuple[int]], *, pending: str, now: datetime, lease: timedelta
) -> list[int]:
    """Lease the rows ``due`` selects (ids of ``table``) and return the ids this worker got."""
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
        .values(lease_until=now + lease)
        .returning(table.c.id)
    )
    return [r[0] for r in leased]
