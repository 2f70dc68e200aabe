"""Delete of an object (tombstoned here) or of the sending actor itself.

An object may be deleted by its stored author or by another actor of the same origin (a
Mobilizon group deleting what a member's Person pushed, or the reverse), never from elsewhere.
If the feed actor boosted it, the boost is withdrawn (Undo(Announce) to its followers).
When an actor is deleted, its follows of us go; our follows of it stay and show as ``gone``
in ``yinhu subscriptions`` until unfollowed.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from sqlalchemy import delete, select, update

from actors.feed.aggregate import undo_boost
from actors.feed.remote_objects import OriginError, delete_remote_object
from actors.social.remote import get_actor
from actors.storage.models import actors, follows, objects
from inbox.dispatch import Context, Outcome, register


def _host(uri: str) -> str:
    return urlsplit(uri).netloc.lower()


async def _owner_of(ctx: Context, uri: str):  # type: ignore[no-untyped-def]
    async with ctx.inst.engine.connect() as conn:
        return (
            await conn.execute(
                select(actors).select_from(objects.join(actors, actors.c.id == objects.c.actor_id)).where(objects.c.uri == uri)
            )
        ).first()


@register("Delete")
async def on_delete(ctx: Context) -> Outcome:
    target = ctx.object_id
    if not target:
        return Outcome.ignored("Delete without an object")
    author = await get_actor(ctx.inst, ctx.signer, max_age=None)
    if target == ctx.signer:
        async with ctx.inst.engine.begin() as conn:
            await conn.execute(update(actors).where(actors.c.id == author.id).values(deleted_at=ctx.inst.clock()))
            await conn.execute(delete(follows).where(follows.c.follower_id == author.id))
        ctx.inst.cache.pop(f"key:{author.key_id}", None)
        return Outcome.done(f"actor {target} deleted")
    try:
        result = await delete_remote_object(ctx.inst, author, target)
    except OriginError as exc:
        owner = await _owner_of(ctx, target)
        same_origin = owner is not None and _host(target) == _host(author.uri) == _host(owner.uri)
        if not same_origin:
            return Outcome.ignored(str(exc))
        result = await delete_remote_object(ctx.inst, owner, target)
    if result == "deleted" and await undo_boost(ctx.inst, target):
        result += "; the feed actor's boost was withdrawn"
    return Outcome.done(result)
