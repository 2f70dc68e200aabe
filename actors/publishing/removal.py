"""Removing an approved item with a reason: ``yinhu remove URL --reason`` and the dashboard.

For an object a community announced from a submission (``submissions.announce_uri``): the
community sends ``Undo{Announce}`` of each such Announce and Lemmy's removal shape, a
``Delete{object: item, summary: reason}`` by the community wrapped in the community's
``Announce``, to its followers and the submitter; the submission becomes ``removed`` and the
object leaves every public page (it no longer belongs to the community). For a community's
own object (a draft it published, or anything an organiser wrote): the existing delete
(a ``Tombstone`` and ``Delete`` to the followers), with the reason in the moderation log.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_, select, update
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncConnection

from actors.feed.aggregate import undo_boost
from actors.publishing.publishing import delete_object
from actors.queues.sending import emit, new_activity
from actors.social.moderation import ModerationError, followers_and, log, stored_activity
from actors.storage.instance import Instance
from actors.storage.models import actors, objects, submissions
from fedi import vocab

__all__ = ["Removed", "find_item", "remove"]

_ITEM_PAGE = re.compile(r"/items/(\d{1,18})/?$")


@dataclass(frozen=True)
class Removed:
    uri: str
    community: str  # slug
    sent: tuple[str, ...]  # ids of the activities sent


async def find_item(inst: Instance, conn: AsyncConnection, url: str) -> Row[Any]:
    """The live object ``url`` names, in this order: its id, its page here (``/items/N``), its
    page at its origin (``url``, which a peer writes as it likes: only when nothing matched
    before, so a decoy naming another item's id as its ``url`` cannot shadow that item)."""
    live = objects.c.deleted_at.is_(None)
    page = _ITEM_PAGE.search(url)
    tries = [objects.c.uri == url]
    if page and url.startswith(inst.base + "/"):
        tries.append(objects.c.id == int(page.group(1)))
    tries.append(objects.c.url == url)
    for cond in tries:
        row = (await conn.execute(select(objects).where(cond, live).order_by(objects.c.id).limit(1))).first()
        if row is not None:
            return row
    raise ModerationError(f"no live item {url} here")


def _approved_in(object_id: int, community_id: int | None) -> Any:
    cond = [submissions.c.object_id == object_id, submissions.c.state == "approved"]
    if community_id is not None:
        cond.append(submissions.c.community_id == community_id)
    return and_(*cond)


async def _approved(conn: AsyncConnection, object_id: int, community_id: int | None) -> list[Row[Any]]:
    return list(await conn.execute(select(submissions).where(_approved_in(object_id, community_id))))


async def _undo_and_delete(
    inst: Instance, conn: AsyncConnection, community: Row[Any], item: Row[Any], sub: Row[Any], reason: str,
) -> list[str]:
    """Undo the community's Announce and announce Lemmy's removal (a Delete with a summary)."""
    followers = f"{community.uri}/followers"
    submitter = (await conn.execute(select(actors).where(actors.c.id == sub.actor_id))).first() if sub.actor_id else None
    inboxes = await followers_and(conn, community.id, submitter)
    sent = []
    announce = await stored_activity(conn, sub.announce_uri) if sub.announce_uri else None
    if announce is not None:
        announce.pop("@context", None)
        undo = new_activity(inst, "Undo", community, announce, to=[vocab.PUBLIC], cc=[followers])
        await emit(inst, conn, community, undo, inboxes, public=False)
        sent.append(undo["id"])
    removal = new_activity(inst, "Delete", community, item.uri, to=[vocab.PUBLIC], cc=[community.uri])
    removal["summary"] = reason
    removal.pop("@context", None)
    wrapped = new_activity(inst, "Announce", community, removal, to=[vocab.PUBLIC], cc=[followers])
    await emit(inst, conn, community, wrapped, inboxes, public=False)
    sent.append(wrapped["id"])
    return sent


async def remove(inst: Instance, url: str, reason: str, *, by: str = "cli", community_id: int | None = None) -> Removed:
    """Remove an approved item (or a community's own object) with a reason; ``community_id``:
    only as that community (a moderator's dashboard), never another's approval."""
    if not reason.strip():
        raise ModerationError("a removal needs a reason")
    reason = reason.strip()
    async with inst.engine.begin() as conn:
        item = await find_item(inst, conn, url)
        subs = await _approved(conn, item.id, community_id)
        owner_id = subs[0].community_id if subs else (item.actor_id if item.local else item.community_id)
        if community_id is not None and owner_id != community_id:
            raise ModerationError(f"{url} is not an item of this community")
        subs = [sub for sub in subs if sub.community_id == owner_id]  # only this community's approval
        community = (await conn.execute(select(actors).where(actors.c.id == owner_id))).first() if owner_id else None
        if community is None or not community.local or community.type != "Group":
            raise ModerationError(f"{url} is not an item of a community here")
        sent: list[str] = []
        for sub in [] if item.local else subs:
            sent += await _undo_and_delete(inst, conn, community, item, sub, reason)
        await conn.execute(update(submissions).where(_approved_in(item.id, community.id))
                           .values(state="removed", reason=reason, decided_at=inst.clock(), decided_by=by))
        still = None
        if not item.local:  # it stays with another community here that approved it, if any
            still = (await conn.execute(select(submissions.c.community_id)
                                        .where(_approved_in(item.id, None)).limit(1))).scalar()
            await conn.execute(update(objects).where(objects.c.id == item.id).values(community_id=still))
        await log(conn, inst, "remove", item.uri, reason, community_id=community.id, by=by)
    if item.local:
        deleted = await delete_object(inst, item.uri)
        sent = [deleted.activity_uri]
    elif still is None:  # no longer any community's: the feed actor's boost of it is withdrawn too
        await undo_boost(inst, item.uri)
    return Removed(item.uri, community.username, tuple(sent))
