"""Accept/Reject of a Follow that one of our actors sent."""

from __future__ import annotations

from actors.follows import mark_outgoing
from actors.remote import get_actor
from inbox.dispatch import Context, Outcome, register


async def _answer(ctx: Context, accepted: bool) -> Outcome:
    obj = ctx.object
    if isinstance(obj, dict) and obj.get("type") not in (None, "Follow"):
        return Outcome.ignored(f"{ctx.activity['type']} of {obj.get('type')} is not handled")
    remote = await get_actor(ctx.inst, ctx.signer)
    async with ctx.inst.engine.begin() as conn:
        matched = await mark_outgoing(ctx.inst, conn, remote, obj, accepted)
    if not matched:
        return Outcome.ignored("no Follow of ours matches")
    return Outcome.done(f"follow of {remote.uri} {'accepted' if accepted else 'rejected'}")


@register("Accept")
async def on_accept(ctx: Context) -> Outcome:
    return await _answer(ctx, True)


@register("Reject")
async def on_reject(ctx: Context) -> Outcome:
    return await _answer(ctx, False)
