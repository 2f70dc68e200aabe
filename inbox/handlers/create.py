"""Create/Update of content objects, and Update of the sender's own actor document.

A pushed Create is stored only when it concerns someone here (Mastodon's G2 rule): a local
actor follows the sender or the object's author with an accepted follow, or the object
addresses, mentions or replies to something local. An Update of an object already stored is
always considered (the origin checks still apply); of an unknown object, like a Create.
A newly stored event, listing or venue is boosted by the feed actor (``actors.feed.aggregate``).
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from actors.feed.aggregate import boost, is_relevant, store_once
from actors.feed.remote_objects import STORED_TYPES, OriginError, columns_from_ap
from actors.publishing.decisions import approve_at_once
from actors.social.conversations import record_create
from actors.social.remote import fetch_actor, get_actor
from actors.social.signup import sign_up, signup_intent
from actors.social.submissions import refresh_pending, submission_targets, take
from actors.storage.models import objects
from fedi import vocab
from inbox.dispatch import Context, Outcome, register

NOT_FOLLOWED = "not from anyone followed here"


async def _known(conn: AsyncConnection, uri: object) -> bool:
    if not isinstance(uri, str):
        return False
    return (await conn.execute(select(objects.c.id).where(objects.c.uri == uri))).first() is not None


async def _store(ctx: Context, update_only: bool) -> Outcome:
    obj = ctx.object
    if not isinstance(obj, dict):
        return Outcome.ignored("object not embedded")
    if obj.get("type") not in STORED_TYPES:
        return Outcome.ignored(f"{obj.get('type')} objects are not stored")
    # A venue arrives as a Page whose location is the Place: that Place is what is stored.
    stored_id = obj.get("id")
    if obj.get("type") == "Page" and isinstance(obj.get("location"), dict) and obj["location"].get("id"):
        stored_id = obj["location"]["id"]
    # Relevance, the sender's row, storing and the boost share one transaction: on PostgreSQL
    # that is 13 statements, pool checkouts and BEGIN/COMMITs per Create instead of 26
    # (counted with bench/bench_feed.py). Nothing is
    # written before get_actor, which may refresh a stale actor over the network.
    async with ctx.inst.engine.begin() as conn:
        already_here = update_only and await _known(conn, stored_id)
        if not already_here and not await is_relevant(ctx.inst, ctx.signer, ctx.activity, obj, conn=conn):
            return Outcome.ignored(NOT_FOLLOWED)
        author = await get_actor(ctx.inst, ctx.signer, conn=conn)
        # Submissions to communities here (actors.social.submissions); refused everywhere: nothing is stored.
        targets = [] if update_only else await submission_targets(ctx.inst, conn, ctx.activity, obj, ctx.signer)
        if targets and all(t.verdict == "refuse" for t in targets):
            return Outcome.done((await take(ctx.inst, conn, targets, ctx.activity, obj, author, None)).summary())
        try:
            result = await store_once(ctx.inst, author, obj, update_only=update_only, conn=conn,
                                      route=[ctx.signer], activity=ctx.activity)
        except OriginError as exc:
            return Outcome.ignored(str(exc))
        detail = f"{obj.get('type')} {obj.get('id')}: {result}"
        # Boost what is new; the id boosted is the one pushed (a venue's Page, which Mastodon
        # shows). The kind comes from the object itself (the same parse that filled its
        # columns), not from another query.
        kind = columns_from_ap(obj)[1]["kind"]
        if result == "stored" and not update_only and await boost(ctx.inst, str(obj["id"]), kind, conn=conn,
                                                                          stored_uri=str(stored_id)):
            detail += "; boosted by the feed actor"
        recorded, approve = None, []
        if update_only and result == "updated" and await refresh_pending(ctx.inst, conn, obj, str(stored_id)):
            detail += "; the waiting submission follows the edit"
        if result == "stored" and not update_only:
            taken = await take(ctx.inst, conn, targets, ctx.activity, obj, author, str(stored_id))
            approve = taken.approve
            # Replies, mentions and direct messages reach the organisers (never the public).
            recorded = await record_create(ctx.inst, conn, ctx.activity, obj, author, skip=taken.communities)
            detail += "; ".join(["", *taken.notes, recorded.summary()])
    for note in await approve_at_once(ctx.inst, approve):
        detail += "; " + note
    if (recorded is not None and recorded.root is not None and recorded.root.local and recorded.root.kind == "event"
            and vocab.get_id(obj.get("inReplyTo")) == recorded.root.uri):
        # A reply to an event saying 报名 / join (or 取消报名 / cancel) signs up (or leaves).
        intent = signup_intent(str(obj.get("content") or ""))
        if intent is not None:
            detail += "; " + await sign_up(ctx.inst, author, recorded.root.uri, intent, ref_uri=str(obj["id"]),
                                           in_reply_to=str(obj["id"]))
    return Outcome.done(detail)


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
