"""The feed actor's subscriptions: following communities (``yinhu follow`` / ``unfollow`` /
``subscriptions``), their states including ``gone``, and inclusion requests from Groups."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, select, update
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncConnection

from actors.queues.sending import emit, new_activity
from actors.social.follows import FollowError, decide_follower, follow_remote
from actors.social.local import FEED_ACTOR_USERNAME, CommunityError, require_local_actor
from actors.social.remote import (
    ActorError,
    fetch_actor,
    resolve,
)
from actors.storage.instance import Instance
from actors.storage.models import FollowState, actors, follows, objects
from fedi.errors import FediError, Gone

GONE = "gone"


def handle_of(row: Row[Any]) -> str:
    if row.username and not str(row.username).startswith(("http://", "https://")):
        return f"@{row.username}@{row.domain}"
    return str(row.uri)


async def _feed(conn: AsyncConnection, username: str = FEED_ACTOR_USERNAME) -> Row[Any]:
    return await require_local_actor(conn, username)


def _is_gone(exc: BaseException) -> bool:
    while exc is not None:
        if isinstance(exc, Gone):
            return True
        exc = exc.__cause__  # type: ignore[assignment]
    return False


async def _mark_gone(inst: Instance, uri: str) -> None:
    async with inst.engine.begin() as conn:
        await conn.execute(
            update(actors)
            .where(actors.c.uri == uri, actors.c.local.is_(False), actors.c.deleted_at.is_(None))
            .values(deleted_at=inst.clock())
        )


async def _known_actor(inst: Instance, target: str) -> Row[Any] | None:
    """An actor row for a handle or URL, from the database only (no network)."""
    target = target.strip()
    async with inst.engine.connect() as conn:
        if target.startswith(("http://", "https://")):
            q = select(actors).where(actors.c.uri == target)
        else:
            name, _, domain = target.lstrip("@").partition("@")
            if not domain:
                return None
            q = select(actors).where(actors.c.username == name, actors.c.domain == domain.lower())
        return (await conn.execute(q)).first()


@dataclass(frozen=True)
class FollowResult:
    target: str
    state: str  # pending | accepted | failed
    uri: str | None = None
    error: str | None = None


async def follow_many(
    inst: Instance,
    targets: Iterable[str],
    *,
    username: str = FEED_ACTOR_USERNAME,
    progress: Callable[[int, int, FollowResult], None] | None = None,
) -> list[FollowResult]:
    """Follow every target in turn; a failure is reported for its target and the rest go on."""
    todo = list(dict.fromkeys(t.strip() for t in targets if t.strip()))
    results = []
    for i, target in enumerate(todo, 1):
        try:
            remote, state = await follow_remote(inst, username, target)
            result = FollowResult(target, state.value, remote.uri)
        except (FollowError, CommunityError, ActorError, FediError, ValueError) as exc:
            if _is_gone(exc):
                known = await _known_actor(inst, target)
                if known is not None:
                    await _mark_gone(inst, known.uri)
            result = FollowResult(target, "failed", None, str(exc).splitlines()[0] if str(exc) else type(exc).__name__)
        results.append(result)
        if progress is not None:
            progress(i, len(todo), result)
    return results


async def unfollow(inst: Instance, target: str, *, username: str = FEED_ACTOR_USERNAME) -> str:
    """Send Undo(Follow) carrying the original Follow (with its id) and remove the row."""
    remote = await _known_actor(inst, target)
    if remote is None:
        remote = await resolve(inst, target)
    async with inst.engine.begin() as conn:
        local = await _feed(conn, username)
        row = (
            await conn.execute(
                select(follows.c.id, follows.c.follow_uri).where(
                    follows.c.follower_id == local.id, follows.c.followed_id == remote.id
                )
            )
        ).first()
        if row is None:
            raise FollowError(f"@{username} does not follow {target}")
        sent = False
        inbox = remote.inbox or remote.shared_inbox
        if remote.deleted_at is None and inbox:
            original = {"id": row.follow_uri, "type": "Follow", "actor": local.uri, "object": remote.uri}
            await emit(inst, conn, local, new_activity(inst, "Undo", local, original), [inbox])
            sent = True
        await conn.execute(delete(follows).where(follows.c.id == row.id))
    return "unfollowed" if sent else "removed (the actor is gone; no Undo sent)"


@dataclass(frozen=True)
class Subscription:
    handle: str
    uri: str
    name: str
    type: str
    state: str  # pending | accepted | rejected | gone
    since: datetime
    last_item: datetime | None


async def subscriptions(inst: Instance, *, username: str = FEED_ACTOR_USERNAME) -> list[Subscription]:
    last = (
        select(objects.c.community_id, func.max(objects.c.published).label("last_item"))
        .where(objects.c.deleted_at.is_(None))
        .group_by(objects.c.community_id)
        .subquery()
    )
    async with inst.engine.connect() as conn:
        local = await _feed(conn, username)
        rows = await conn.execute(
            select(
                actors.c.uri, actors.c.username, actors.c.domain, actors.c.name, actors.c.type,
                actors.c.deleted_at, follows.c.state, follows.c.updated_at, last.c.last_item,
            )
            .select_from(
                follows.join(actors, actors.c.id == follows.c.followed_id).outerjoin(
                    last, last.c.community_id == actors.c.id
                )
            )
            .where(follows.c.follower_id == local.id)
            .order_by(follows.c.created_at, follows.c.id)
        )
        return [
            Subscription(
                handle_of(r), r.uri, r.name or "", r.type, GONE if r.deleted_at is not None else r.state,
                r.updated_at, r.last_item,
            )
            for r in rows
        ]


async def inclusion_requests(inst: Instance, *, username: str = FEED_ACTOR_USERNAME) -> list[Row[Any]]:
    """Groups asking to be aggregated: pending follows of the feed actor."""
    async with inst.engine.connect() as conn:
        local = await _feed(conn, username)
        res = await conn.execute(
            select(actors.c.uri, actors.c.username, actors.c.domain, actors.c.name, follows.c.created_at)
            .select_from(follows.join(actors, actors.c.id == follows.c.follower_id))
            .where(follows.c.followed_id == local.id, follows.c.state == FollowState.PENDING.value)
            .order_by(follows.c.created_at)
        )
        return list(res.all())


async def decide_inclusion(
    inst: Instance, target: str, *, approve: bool, username: str = FEED_ACTOR_USERNAME
) -> tuple[str, FollowState | None]:
    """Approve (accept its Follow, follow it back) or reject a community's inclusion request."""
    remote = await _known_actor(inst, target)
    if remote is None:
        raise FollowError(f"{target} has not asked to be included")
    state = await decide_follower(inst, username, remote.uri, approve=approve)
    back = None
    if approve:
        _, back = await follow_remote(inst, username, remote.uri)
    return state.value, back


async def refresh_subscriptions(inst: Instance, *, username: str = FEED_ACTOR_USERNAME) -> dict[str, str]:
    """Refetch every followed actor; a 410 (or a document gone) marks it ``gone``."""
    out: dict[str, str] = {}
    for sub in await subscriptions(inst, username=username):
        try:
            if sub.state == GONE:
                out[sub.uri] = GONE
                continue
            await fetch_actor(inst, sub.uri)
            out[sub.uri] = "ok"
        except (ActorError, FediError) as exc:
            if _is_gone(exc):
                await _mark_gone(inst, sub.uri)
                out[sub.uri] = GONE
            else:
                out[sub.uri] = f"unreachable: {exc}"
    return out
