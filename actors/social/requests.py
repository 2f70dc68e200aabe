"""Requests that wait for a local decision: a Follow of a community that approves its
followers, a Join of an event whose organiser decides. Both are a row of who asked (an actor),
for what (a community, an event) and by which activity (its id, answered in Accept/Reject)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, select
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.sql.schema import Column

from actors.storage.models import actors

__all__ = ["awaiting_decision"]


async def awaiting_decision(
    conn: AsyncConnection,
    request_uri: Column[Any],
    requester_id: Column[Any],
    for_target: ColumnElement[bool],
    actor_uri: str,
) -> Row[Any] | None:
    """The request of ``actor_uri`` that ``for_target`` selects, in the table of
    ``request_uri`` (the asking activity's id) and ``requester_id`` (the asking actor): the
    requester's actor columns plus ``request_uri`` and ``state``; None when it never asked."""
    table = request_uri.table
    return (
        await conn.execute(
            select(request_uri.label("request_uri"), table.c.state, actors)
            .select_from(table.join(actors, actors.c.id == requester_id))
            .where(for_target, actors.c.uri == actor_uri)
        )
    ).first()
