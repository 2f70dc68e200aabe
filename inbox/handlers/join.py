"""Join / Leave of local events (RSVP); Undo(Join) counts as Leave."""

from __future__ import annotations

from actors.social.remote import get_actor
from actors.social.rsvp import handle_join, handle_leave
from inbox.dispatch import Context, Outcome, register


@register("Join")
async def on_join(ctx: Context) -> Outcome:
    target = ctx.object_id
    if not target or not ctx.inst.is_local_uri(target):
        return Outcome.ignored(f"Join of {target}, not an event here")
    who = await get_actor(ctx.inst, ctx.signer)
    return Outcome.done(await handle_join(ctx.inst, who, ctx.activity, target))


@register("Leave")
async def on_leave(ctx: Context) -> Outcome:
    target = ctx.object_id
    if not target or not ctx.inst.is_local_uri(target):
        return Outcome.ignored(f"Leave of {target}, not an event here")
    who = await get_actor(ctx.inst, ctx.signer)
    return Outcome.done(await handle_leave(ctx.inst, who, target))
