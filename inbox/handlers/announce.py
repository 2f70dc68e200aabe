"""Announce (a boost) by an actor followed here: the announced object is stored, once.

The object is taken as embedded only when the announcer is on the object's own origin;
otherwise it is fetched from its id (signed by the instance actor) and must be attributed to
an actor of that origin (Mastodon's ``trustworthy_attribution?``). A new event, listing or
venue is boosted onwards by the feed actor.
"""

from __future__ import annotations

from actors.aggregate import boost, followed_here, ingest_announced, kind_of
from actors.remote import get_actor
from inbox.dispatch import Context, Outcome, register


@register("Announce")
async def on_announce(ctx: Context) -> Outcome:
    if not ctx.object_id:
        return Outcome.ignored("Announce without an object")
    if not await followed_here(ctx.inst, [ctx.signer]):
        return Outcome.ignored("not from anyone followed here")
    announcer = await get_actor(ctx.inst, ctx.signer)
    result, uri = await ingest_announced(ctx.inst, announcer, ctx.object)
    if result.startswith("ignored"):
        return Outcome.ignored(f"{uri}: {result.removeprefix('ignored: ')}")
    detail = f"{uri}: {result}"
    if result == "stored" and uri and await boost(ctx.inst, uri, await kind_of(ctx.inst, uri)):
        detail += "; boosted by the feed actor"
    return Outcome.done(detail)
