"""Create/Update of content objects, and Update of the sender's own actor document."""

from __future__ import annotations

from actors.remote import fetch_actor, get_actor
from actors.remote_objects import STORED_TYPES, OriginError, store_remote_object
from fedi import vocab
from inbox.dispatch import Context, Outcome, register


async def _store(ctx: Context, update_only: bool) -> Outcome:
    obj = ctx.object
    if not isinstance(obj, dict):
        return Outcome.ignored("object not embedded")
    if obj.get("type") not in STORED_TYPES:
        return Outcome.ignored(f"{obj.get('type')} objects are not stored")
    author = await get_actor(ctx.inst, ctx.signer)
    try:
        result = await store_remote_object(ctx.inst, author, obj, update_only=update_only)
    except OriginError as exc:
        return Outcome.ignored(str(exc))
    return Outcome.done(f"{obj.get('type')} {obj.get('id')}: {result}")


@register("Create")
async def on_create(ctx: Context) -> Outcome:
    return await _store(ctx, update_only=False)


@register("Update")
async def on_update(ctx: Context) -> Outcome:
    obj = ctx.object
    if isinstance(obj, dict) and obj.get("type") in vocab.ACTOR_TYPES:
        if obj.get("id") != ctx.signer:
            return Outcome.ignored("an actor may only update itself")
        # Refetch from the origin rather than trusting the pushed copy.
        row = await fetch_actor(ctx.inst, ctx.signer)
        return Outcome.done(f"actor {row.uri} refreshed")
    return await _store(ctx, update_only=True)
