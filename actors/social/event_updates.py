"""Followers see true counts: an ``Update`` of a local event when its participant count changed,
at most once a minute.

``counts_changed`` is called in the transaction that changed a participation. When followers
got no Update of the event in the last ``MIN_INTERVAL``, one is sent at once; otherwise one is
made due at the end of the interval, and ``send_due_updates`` (run by the worker loop of
``yinhu serve`` / ``yinhu worker``) sends it then, with the counts of that moment. Nothing is
sent when the count is what followers last got.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import orjson
from sqlalchemy import func, insert, select, update
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncConnection

from actors.queues.delivery import follower_inboxes
from actors.queues.sending import emit, new_activity
from actors.storage.instance import Instance
from actors.storage.models import ParticipantState, actors, event_updates, objects, participants
from fedi import vocab

__all__ = ["MIN_INTERVAL", "accepted_count", "counts_changed", "send_due_updates"]

MIN_INTERVAL = timedelta(minutes=1)


async def accepted_count(conn: AsyncConnection, event_id: int) -> int:
    """How many participants of the event are accepted (its participantCount)."""
    return int(
        (
            await conn.execute(
                select(func.count()).select_from(participants).where(
                    participants.c.object_id == event_id, participants.c.state == ParticipantState.ACCEPTED.value
                )
            )
        ).scalar_one()
    )


async def _send(inst: Instance, conn: AsyncConnection, event: Row[Any], count: int) -> None:
    now = inst.clock()
    previous = event.updated or event.published
    updated = now if now > previous else previous + timedelta(seconds=1)  # strictly newer, or Mastodon ignores it
    doc: dict[str, Any] = orjson.loads(event.raw)
    doc["updated"] = vocab.isoformat(updated)
    await conn.execute(update(objects).where(objects.c.id == event.id).values(raw=orjson.dumps(doc).decode(),
                                                                               updated=updated))
    doc["participantCount"] = count
    if event.capacity is not None:
        doc["remainingAttendeeCapacity"] = max(event.capacity - count, 0)
    owner = (await conn.execute(select(actors).where(actors.c.id == event.actor_id))).one()
    followers = f"{owner.uri}/followers"
    activity = new_activity(inst, "Update", owner, doc, to=[vocab.PUBLIC], cc=[followers], published=updated)
    await emit(inst, conn, owner, activity, await follower_inboxes(conn, owner.id), public=True)


async def counts_changed(inst: Instance, conn: AsyncConnection, event: Row[Any]) -> str:
    """After a participation changed: send the Update now, make it due later, or nothing."""
    now = inst.clock()
    count = await accepted_count(conn, event.id)
    state = (await conn.execute(select(event_updates).where(event_updates.c.object_id == event.id))).first()
    # Followers last got the count of the last Update, else the one the Create carried.
    last = state.participant_count if state is not None else orjson.loads(event.raw).get("participantCount")
    if last == count and (state is None or state.due_at is None):
        return "unchanged"
    if state is None:
        await conn.execute(insert(event_updates).values(object_id=event.id))
    if state is None or state.last_sent_at is None or now - state.last_sent_at >= MIN_INTERVAL:
        fresh = (await conn.execute(select(objects).where(objects.c.id == event.id))).one()
        await _send(inst, conn, fresh, count)
        await conn.execute(update(event_updates).where(event_updates.c.object_id == event.id)
                           .values(last_sent_at=now, due_at=None, participant_count=count))
        return "sent"
    await conn.execute(update(event_updates).where(event_updates.c.object_id == event.id)
                       .values(due_at=state.last_sent_at + MIN_INTERVAL))
    return "due"


async def send_due_updates(inst: Instance) -> int:
    """Send every Update that came due; returns how many were sent."""
    now = inst.clock()
    sent = 0
    async with inst.engine.begin() as conn:
        due = list(await conn.execute(
            select(event_updates.c.object_id, event_updates.c.participant_count)
            .where(event_updates.c.due_at.is_not(None), event_updates.c.due_at <= now)
            .limit(100)
        ))
        for row in due:
            event = (await conn.execute(
                select(objects).where(objects.c.id == row.object_id, objects.c.deleted_at.is_(None))
            )).first()
            count = await accepted_count(conn, row.object_id)
            if event is not None and count != row.participant_count:
                await _send(inst, conn, event, count)
                sent += 1
            await conn.execute(update(event_updates).where(event_updates.c.object_id == row.object_id)
                               .values(last_sent_at=now, due_at=None, participant_count=count))
    return sent
