"""Undo(Follow) removes the follow, Undo(Join) leaves an event; other Undos are ignored."""

from __future__ import annotations

from actors.social.follows import remove_follow
from actors.social.remote import get_actor
from actors.social.rsvp import handle_leave
from fedi import vocab
from inbox.dispatch import Context, Outcome, register


@register("Undo", "Join")
async def on_undo_join(ctx: Context) -> Outcome:
    obj = ctx.object
    assert isinstance(obj, dict)
    if vocab.get_id(obj.get("actor")) not in (None, ctx.signer):
        return Outcome.ignored("Undo of someone else's Join")
    event = vocab.get_id(obj.get("object"))
    if not event or not ctx.inst.is_local_uri(event):
        return Outcome.ignored("Undo(Join) of an event not here")
    who = await get_actor(ctx.inst, ctx.signer)
    return Outcome.done(await handle_leave(ctx.inst, who, event))


@register("Undo", "Follow")
@register("Undo")
async def on_undo(ctx: Context) -> Outcome:
    obj = ctx.object
    follow_id = vocab.get_id(obj)
    followed = vocab.get_id(obj.get("object")) if isinstance(obj, dict) else None
    if isinstance(obj, dict):
        if obj.get("type") != "Follow":
            return Outcome.ignored(f"Undo of {obj.get('type')} is not handled")
        if vocab.get_id(obj.get("actor")) not in (None, ctx.signer):
            return Outcome.ignored("Undo of someone else's Follow")
    follower = await get_actor(ctx.inst, ctx.signer)
    async with ctx.inst.engine.begin() as conn:
        removed = await remove_follow(ctx.inst, conn, follower, follow_id, followed)
    return Outcome.done("follow removed") if removed else Outcome.ignored("no matching follow")
