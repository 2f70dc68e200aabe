"""Follow → record the request; Accept at once unless the community approves by hand; a person
banned from the community gets a Reject."""

from __future__ import annotations

from actors.social.follows import answer_follow, record_follow_request, record_inclusion_request
from actors.social.local import FEED_ACTOR_USERNAME, get_local_actor
from actors.social.moderation import is_banned
from actors.social.remote import get_actor
from inbox.dispatch import Context, Outcome, register


@register("Follow")
async def on_follow(ctx: Context) -> Outcome:
    target = ctx.object_id
    if not target or not ctx.inst.is_local_uri(target):
        return Outcome.ignored(f"Follow of {target}, not an actor here")
    follower = await get_actor(ctx.inst, ctx.signer)
    async with ctx.inst.engine.begin() as conn:
        username = target.rsplit("/", 1)[-1] if "/c/" in target else None
        local = await get_local_actor(conn, username) if username else None
        if local is None or local.uri != target or local.type == "Application":
            return Outcome.ignored(f"no followable actor {target}")
        if await is_banned(conn, local.id, follower.id):
            await answer_follow(ctx.inst, conn, local, follower, ctx.activity, accept=False)
            return Outcome.done(f"{follower.uri} is banned from {local.username}: rejected")
        if local.username == FEED_ACTOR_USERNAME and follower.type == "Group":
            # A community asking to be aggregated: an inclusion request, for an admin to
            # approve (``yinhu subscriptions --approve``); people and services are accepted.
            state = await record_inclusion_request(ctx.inst, conn, follower, local, ctx.activity)
        else:
            state = await record_follow_request(ctx.inst, conn, follower, local, ctx.activity)
    return Outcome.done(f"{follower.uri} → {local.username}: {state.value}")
