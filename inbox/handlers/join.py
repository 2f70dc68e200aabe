"""Join / Leave of local events (RSVP); Undo(Join) counts as Leave."""

from __future__ import annotations

from actors.social.remote import get_actor
from actors.social.rsvp import handle_join, handle_leave
from inbox.dispatch import Context, Outcome, register


async def _rsvp(ctx: Context, verb: str) -> Outcome:
    """``verb`` (Join or Leave) of the signer to a local event; anything not here is ignored."""
    target = ctx.object_id
    if not target or not ctx.inst.is_local_uri(target):
        return Outcome.ignored(f"{verb} of {target}, not an event here")
    who = await get_actor(ctx.inst, ctx.signer)
    if verb == "Join":
        return Outcome.done(await handle_join(ctx.inst, who, ctx.activity, target))
    return Outcome.done(await handle_leave(ctx.inst, who, target))


@register("Join")
async def on_join(ctx: Context) -> Outcome:
    return await _rsvp(ctx, "Join")


@register("Leave")
async def on_leave(ctx: Context) -> Outcome:
    return await _rsvp(ctx, "Leave")
