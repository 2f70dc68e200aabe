"""RSVP over ActivityPub (FEP-8a8e, Mobilizon): Join / Leave for local events.

Free events answer Accept until the capacity is reached, then Reject; restricted events keep
the request pending for the organiser; events without RSVP (join mode none or external)
answer Ignore, as FEP-8a8e asks of servers that do not take participation here.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, insert, select, update
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncConnection

from actors.queues.sending import emit, new_activity
from actors.social.event_updates import accepted_count, counts_changed
from actors.social.requests import awaiting_decision
from actors.storage.instance import Instance
from actors.storage.models import ParticipantState, actors, objects, participants

__all__ = [
    "DecisionAnswer",
    "EventFull",
    "JoinDecision",
    "RsvpError",
    "decide_join",
    "decide_participant",
    "event_counts",
    "find_event",
    "handle_join",
    "handle_leave",
    "leave_event",
    "list_participants",
]


# Answers an organiser's decision in a way of its own (a private note for a sign-up by reply);
# True when it did, so no Accept / Reject of a Join goes out.
DecisionAnswer = Callable[[AsyncConnection, Row[Any], Row[Any], ParticipantState], Awaitable[bool]]


class RsvpError(Exception):
    """An RSVP operation cannot be done; the message is for the user."""


class EventFull(RsvpError):
    """Accepting one more participant would pass the event's capacity."""


def _join_object(join: dict[str, Any]) -> dict[str, Any]:
    return {k: join[k] for k in ("id", "type", "actor", "object") if k in join}


async def _event(conn: AsyncConnection, uri: str) -> Row[Any] | None:
    return (
        await conn.execute(
            select(objects).where(
                objects.c.uri == uri, objects.c.local.is_(True), objects.c.kind == "event", objects.c.deleted_at.is_(None)
            )
        )
    ).first()


async def _answer(inst: Instance, conn: AsyncConnection, event: Row[Any], who: Row[Any], join: dict[str, Any], type_: str) -> None:
    organiser = (await conn.execute(select(actors).where(actors.c.id == event.actor_id))).one()
    doc = new_activity(inst, type_, organiser, _join_object(join), to=[who.uri])
    await emit(inst, conn, organiser, doc, [who.inbox or who.shared_inbox])


async def _set(conn: AsyncConnection, inst: Instance, event_id: int, who_id: int, join_uri: str, state: ParticipantState, message: str | None) -> None:
    now = inst.clock()
    existing = (
        await conn.execute(select(participants.c.id).where(participants.c.object_id == event_id, participants.c.actor_id == who_id))
    ).first()
    if existing:
        await conn.execute(
            update(participants).where(participants.c.id == existing.id).values(state=state.value, join_uri=join_uri, updated_at=now)
        )
    else:
        await conn.execute(
            insert(participants).values(
                object_id=event_id, actor_id=who_id, join_uri=join_uri, state=state.value,
                message=message, created_at=now, updated_at=now,
            )
        )


@dataclass(frozen=True)
class JoinDecision:
    """What a request to join comes to: the RSVP answer to send (None while pending), why
    (``accepted``, ``already``, ``pending``, ``full``, ``cancelled``, ``invite``, ``none``,
    ``external``) and the line for the inbox row."""

    answer: str | None
    reason: str
    detail: str


async def find_event(conn: AsyncConnection, uri: str) -> Row[Any] | None:
    """The live local event at ``uri``."""
    return await _event(conn, uri)


async def decide_join(
    inst: Instance, conn: AsyncConnection, event: Row[Any], who: Row[Any], join_uri: str, message: str | None
) -> JoinDecision:
    """Record a request to join by join mode and capacity; the caller answers it (an RSVP
    activity for Join, a private note for a sign-up by reply)."""
    mode = event.join_mode or "free"
    if mode in ("none", "external"):
        return JoinDecision("Ignore", mode, f"Ignore: join mode {mode}")
    current = (
        await conn.execute(
            select(participants.c.state).where(participants.c.object_id == event.id, participants.c.actor_id == who.id)
        )
    ).first()
    if current is not None and current.state == ParticipantState.ACCEPTED.value:
        return JoinDecision("Accept", "already", "Accept: already participating")  # a repeated Join: answer again
    if event.status == "cancelled" or mode == "invite":
        reason = "cancelled" if event.status == "cancelled" else "invite"
        return JoinDecision("Reject", reason, f"Reject: {'cancelled' if reason == 'cancelled' else 'invite only'}")
    if mode == "restricted":
        await _set(conn, inst, event.id, who.id, join_uri, ParticipantState.PENDING, message)
        return JoinDecision(None, "pending", "pending: the organiser decides")
    if event.capacity is not None and await accepted_count(conn, event.id) >= event.capacity:
        await _set(conn, inst, event.id, who.id, join_uri, ParticipantState.REJECTED, message)
        return JoinDecision("Reject", "full", "Reject: full")
    await _set(conn, inst, event.id, who.id, join_uri, ParticipantState.ACCEPTED, message)
    await counts_changed(inst, conn, event)
    return JoinDecision("Accept", "accepted", "Accept")


async def handle_join(inst: Instance, who: Row[Any], join: dict[str, Any], event_uri: str) -> str:
    """Answer a Join; returns what was done (for the inbox row)."""
    message = join.get("participationMessage") if isinstance(join.get("participationMessage"), str) else None
    async with inst.engine.begin() as conn:
        event = await _event(conn, event_uri)
        if event is None:
            return "ignored: no such event here"
        decision = await decide_join(inst, conn, event, who, join["id"], message)
        if decision.answer is not None:
            await _answer(inst, conn, event, who, join, decision.answer)
        return decision.detail


async def leave_event(inst: Instance, conn: AsyncConnection, event: Row[Any], who: Row[Any]) -> bool:
    """Remove a participation; False when there was none."""
    res = await conn.execute(
        delete(participants).where(participants.c.object_id == event.id, participants.c.actor_id == who.id)
    )
    if res.rowcount:
        await counts_changed(inst, conn, event)
    return bool(res.rowcount)


async def handle_leave(inst: Instance, who: Row[Any], event_uri: str) -> str:
    async with inst.engine.begin() as conn:
        event = await _event(conn, event_uri)
        if event is None:
            return "ignored: no such event here"
        return "left" if await leave_event(inst, conn, event, who) else "ignored: was not participating"


async def decide_participant(
    inst: Instance, event_uri: str, actor_uri: str, *, approve: bool, answer: DecisionAnswer | None = None
) -> ParticipantState:
    """The organiser accepts or rejects a pending (or removes an accepted) participant; the
    participant gets an Accept / Reject of their Join unless ``answer`` answered otherwise."""
    async with inst.engine.begin() as conn:
        event = await _event(conn, event_uri)
        if event is None:
            raise RsvpError(f"no event at {event_uri}")
        row = await awaiting_decision(
            conn, participants.c.join_uri, participants.c.actor_id, participants.c.object_id == event.id, actor_uri
        )
        if row is None:
            raise RsvpError(f"{actor_uri} has not asked to join")
        full = (approve and event.capacity is not None and row.state != ParticipantState.ACCEPTED.value
                and await accepted_count(conn, event.id) >= event.capacity)
        if full:
            raise EventFull(f"the event is full ({event.capacity} places)")
        state = ParticipantState.ACCEPTED if approve else ParticipantState.REJECTED
        await _set(conn, inst, event.id, row.id, row.request_uri, state, None)
        await counts_changed(inst, conn, event)
        if answer is not None and await answer(conn, event, row, state):
            return state
        join = {"id": row.request_uri, "type": "Join", "actor": actor_uri, "object": event_uri}
        await _answer(inst, conn, event, row, join, "Accept" if approve else "Reject")
        return state


async def list_participants(inst: Instance, event_uri: str) -> list[Row[Any]]:
    async with inst.engine.connect() as conn:
        event = await _event(conn, event_uri)
        if event is None:
            raise RsvpError(f"no event at {event_uri}")
        return list(
            await conn.execute(
                select(actors.c.uri, actors.c.username, actors.c.domain, actors.c.name, actors.c.raw,
                       participants.c.state, participants.c.message, participants.c.created_at)
                .select_from(participants.join(actors, actors.c.id == participants.c.actor_id))
                .where(participants.c.object_id == event.id)
                .order_by(participants.c.created_at)
            )
        )


async def event_counts(conn: AsyncConnection, event_id: int, capacity: int | None) -> tuple[int, int | None]:
    """(participants accepted, places left or None when unlimited)."""
    count = await accepted_count(conn, event_id)
    return count, (None if capacity is None else max(capacity - count, 0))
