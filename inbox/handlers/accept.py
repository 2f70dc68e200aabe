"""Accept/Reject of a Follow that one of our actors sent; a new Accept starts the backfill."""

from __future__ import annotations

import logging

from actors.feed.aggregate import backfill
from actors.social.follows import mark_outgoing
from actors.social.remote import get_actor
from inbox.dispatch import Context, Outcome, register
from inbox.handlers.attend import event_answer

log = logging.getLogger("yinhu.inbox")


async def _answer(ctx: Context, accepted: bool) -> Outcome:
    attended = await event_answer(ctx)  # Friendica / Hubzilla: Accept or Reject of our Event
    if attended is not None:
        return attended
    obj = ctx.object
    if isinstance(obj, dict) and obj.get("type") not in (None, "Follow"):
        return Outcome.ignored(f"{ctx.activity['type']} of {obj.get('type')} is not handled")
    remote = await get_actor(ctx.inst, ctx.signer)
    async with ctx.inst.engine.begin() as conn:
        matched = await mark_outgoing(ctx.inst, conn, remote, obj, accepted)
    if not matched:
        return Outcome.ignored("no Follow of ours matches")
    detail = f"follow of {remote.uri} {'accepted' if accepted else 'rejected'}"
    if matched.newly_accepted:
        # The follow is recorded already; the backfill may take time and never fails the Accept.
        try:
            detail += "; " + (await backfill(ctx.inst, remote)).summary()
        except Exception as exc:
            log.exception("backfill of %s failed", remote.uri)
            detail += f"; backfill failed: {type(exc).__name__}: {exc}"
    return Outcome.done(detail)


@register("Accept")
async def on_accept(ctx: Context) -> Outcome:
    return await _answer(ctx, True)


@register("Reject")
async def on_reject(ctx: Context) -> Outcome:
    return await _answer(ctx, False)
