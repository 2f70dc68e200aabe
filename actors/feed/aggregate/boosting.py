"""The feed actor's boosts: an Announce of every new event, listing or venue that arrived live."""

from __future__ import annotations

import time
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncConnection

from actors.feed.aggregate.intake import kind_of
from actors.queues.delivery import follower_inboxes
from actors.queues.sending import emit, new_activity
from actors.social.local import FEED_ACTOR_USERNAME, get_local_actor
from actors.social.visibility import publicly_visible
from actors.storage.db import joined
from actors.storage.instance import Instance
from actors.storage.models import activities, objects
from fedi import vocab

BOOSTED_KINDS = frozenset({"event", "listing", "venue"})
# The feed actor's row and its followers' inboxes are read once per this many seconds, not
# for every pushed item (2 of the ~15 statements an ingested Create cost): a new follower gets
# boosts, and a departed one stops getting them, this much later. Announces are public.
AUDIENCE_TTL = 5.0
_AUDIENCE = "boost:audience"


async def _audience(inst: Instance, conn: AsyncConnection) -> tuple[Row[Any] | None, list[str]]:
    """The feed actor and its followers' inboxes, from memory when read in the last ``AUDIENCE_TTL``."""
    hit = inst.cache.get(_AUDIENCE)
    now = time.monotonic()
    if hit is not None and hit[2] > now:
        return hit[0], hit[1]
    feed = await get_local_actor(conn, FEED_ACTOR_USERNAME)
    inboxes = await follower_inboxes(conn, feed.id) if feed is not None else []
    inst.cache[_AUDIENCE] = (feed, inboxes, now + AUDIENCE_TTL)
    return feed, inboxes


async def boost(
    inst: Instance, obj_uri: str, kind: str | None = None, *, conn: AsyncConnection | None = None,
    stored_uri: str | None = None,
) -> bool:
    """The feed actor Announces a new event, listing or venue to its followers, only when the
    stored object (``stored_uri``, else ``obj_uri`` without a venue page's ``/announce``) is
    publicly visible (``actors.social.visibility``): never a private or community-less one.

    Nothing is recorded when the feed actor has no remote followers yet (Mastodon does not
    backfill, so an Announce nobody receives has no use).
    """
    if kind is None:
        kind = await kind_of(inst, obj_uri)
    if kind not in BOOSTED_KINDS:
        return False
    async with joined(inst.engine, conn, write=True) as c:
        feed, inboxes = await _audience(inst, c)
        if feed is None or not inboxes:
            return False
        shown = select(objects.c.id).where(
            objects.c.uri == (stored_uri or obj_uri.removesuffix("/announce")), publicly_visible()
        )
        if (await c.execute(shown)).first() is None:
            return False
        # ``published``: GoToSocial and Misskey date a boost by it (and fall back to "now").
        doc = new_activity(inst, "Announce", feed, obj_uri, to=[vocab.PUBLIC], cc=[feed.followers_url or f"{feed.uri}/followers"],
                           published=inst.clock())
        await emit(inst, c, feed, doc, inboxes, public=True)
        return True


async def undo_boost(inst: Instance, obj_uri: str) -> bool:
    """A boosted object was deleted at its origin: withdraw the feed actor's Announce."""
    async with inst.engine.begin() as conn:
        feed = await get_local_actor(conn, FEED_ACTOR_USERNAME)
        if feed is None:
            return False
        rows = list(
            await conn.execute(
                select(activities.c.uri, activities.c.id, activities.c.object_uri).where(
                    activities.c.type == "Announce", activities.c.actor_uri == feed.uri,
                    activities.c.object_uri.in_([obj_uri, f"{obj_uri}/announce"]), activities.c.local.is_(True),
                )
            )
        )
        if not rows:
            return False
        inboxes = await follower_inboxes(conn, feed.id)
        for row in rows:
            await conn.execute(update(activities).where(activities.c.id == row.id).values(public=False))
            if inboxes:
                announce = {"id": row.uri, "type": "Announce", "actor": feed.uri, "object": row.object_uri}
                undo = new_activity(inst, "Undo", feed, announce, to=[vocab.PUBLIC], cc=[feed.followers_url or f"{feed.uri}/followers"])
                await emit(inst, conn, feed, undo, inboxes)
    return True
