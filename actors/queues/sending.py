"""Recording an activity we send and queueing it for delivery, in the caller's transaction."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import orjson
from sqlalchemy import insert
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncConnection

from actors.queues.delivery import enqueue
from actors.storage.instance import Instance, new_token
from actors.storage.models import activities
from fedi import vocab

__all__ = ["emit", "new_activity"]


def new_activity(inst: Instance, type_: str, sender: Row[Any], obj: Any, **kw: Any) -> dict[str, Any]:
    return vocab.activity(
        type_, activity_id=inst.activity_uri(new_token()), actor_id=sender.uri, obj=obj, **kw
    )


async def emit(
    inst: Instance,
    conn: AsyncConnection,
    sender: Row[Any],
    doc: dict[str, Any],
    inboxes: Sequence[str],
    *,
    public: bool = False,
) -> int:
    """Store the activity (for dereferencing, the outbox when public, dedupe) and queue it.

    The body is serialized once here; every delivery sends exactly these bytes.
    """
    raw = orjson.dumps(doc).decode()
    result = await conn.execute(
        insert(activities).values(
            uri=doc["id"],
            type=doc["type"],
            actor_uri=sender.uri,
            object_uri=vocab.get_id(doc.get("object")),
            local=True,
            public=public,
            raw=raw,
            created_at=inst.clock(),
        )
    )
    activity_id = result.inserted_primary_key[0]
    await enqueue(conn, activity_id=activity_id, sender_id=sender.id, inboxes=inboxes, now=inst.clock())
    inst.wake()
    return int(activity_id)
