"""Friendica and Hubzilla answer events with ``Accept`` (attend), ``TentativeAccept`` (maybe)
and ``Reject`` (decline) whose object is the Event: Accept signs up (the same decision as a
Join, answered privately), Reject leaves, TentativeAccept counts as interested.
"""

from __future__ import annotations

from sqlalchemy import select

from actors.social.conversations import ConversationError, record_reaction
from actors.social.remote import get_actor
from actors.social.signup import sign_up
from actors.storage.models import objects
from inbox.dispatch import Context, Outcome, register


async def _local_event(ctx: Context) -> str | None:
    target = ctx.object_id
    if not target or not ctx.inst.is_local_uri(target):
        return None
    async with ctx.inst.engine.connect() as conn:
        found = (await conn.execute(
            select(objects.c.id).where(objects.c.uri == target, objects.c.local.is_(True), objects.c.kind == "event")
        )).first()
    return target if found else None


async def event_answer(ctx: Context) -> Outcome | None:
    """The handling of an Accept / TentativeAccept / Reject of a local event; None when the
    object is not a local event (an Accept of a Follow goes on as before)."""
    event = await _local_event(ctx)
    if event is None:
        return None
    who = await get_actor(ctx.inst, ctx.signer)
    verb = ctx.activity.get("type")
    if verb == "TentativeAccept":
        async with ctx.inst.engine.begin() as conn:
            try:
                await record_reaction(ctx.inst, conn, who, ctx.activity, "interested", event)
            except ConversationError as exc:
                return Outcome.ignored(str(exc))
        return Outcome.done(f"{who.uri} may come to {event}: counted as interested")
    intent = "join" if verb == "Accept" else "leave"
    return Outcome.done(await sign_up(ctx.inst, who, event, intent, ref_uri=str(ctx.activity["id"])))


@register("Accept", "Event")
@register("Reject", "Event")
@register("TentativeAccept", "Event")
@register("TentativeAccept")
async def on_event_answer(ctx: Context) -> Outcome:
    outcome = await event_answer(ctx)
    return outcome if outcome is not None else Outcome.ignored(f"{ctx.activity.get('type')} of something not an event here")
