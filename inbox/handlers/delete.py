"""Delete of an object (tombstoned here) or of the sending actor itself."""

from __future__ import annotations

from sqlalchemy import delete, update

from actors.models import actors, follows
from actors.remote import get_actor
from actors.remote_objects import OriginError, delete_remote_object
from inbox.dispatch import Context, Outcome, register


@register("Delete")
async def on_delete(ctx: Context) -> Outcome:
    target = ctx.object_id
    if not target:
        return Outcome.ignored("Delete without an object")
    author = await get_actor(ctx.inst, ctx.signer, max_age=None)
    if target == ctx.signer:
        async with ctx.inst.engine.begin() as conn:
            await conn.execute(update(actors).where(actors.c.id == author.id).values(deleted_at=ctx.inst.clock()))
            await conn.execute(
                delete(follows).where((follows.c.follower_id == author.id) | (follows.c.followed_id == author.id))
            )
        ctx.inst.cache.pop(f"key:{author.key_id}", None)
        return Outcome.done(f"actor {target} deleted")
    try:
        return Outcome.done(await delete_remote_object(ctx.inst, author, target))
    except OriginError as exc:
        return Outcome.ignored(str(exc))
