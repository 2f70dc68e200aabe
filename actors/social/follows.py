"""Follow relationships, both ways, with an explicit state table.

``pending → accepted | rejected``, ``accepted → rejected`` (a kick), ``rejected → pending`` (a
new request); Undo removes the row. Incoming requests are answered with a signed Accept whose
object is the original Follow, embedded with its own id so every peer can match it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, insert, select, update
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncConnection

from actors.queues.sending import emit, new_activity
from actors.social.local import require_local_actor
from actors.social.remote import resolve
from actors.social.requests import awaiting_decision
from actors.storage.instance import Instance
from actors.storage.models import FollowState, actors, follows

__all__ = [
    "TRANSITIONS",
    "FollowError",
    "Outgoing",
    "answer_follow",
    "decide_follower",
    "follow_remote",
    "list_followers",
    "list_following",
    "mark_outgoing",
    "record_follow_request",
    "record_inclusion_request",
    "remove_follow",
]

TRANSITIONS: dict[FollowState | None, frozenset[FollowState]] = {
    None: frozenset({FollowState.PENDING, FollowState.ACCEPTED}),
    FollowState.PENDING: frozenset({FollowState.PENDING, FollowState.ACCEPTED, FollowState.REJECTED}),
    FollowState.ACCEPTED: frozenset({FollowState.ACCEPTED, FollowState.REJECTED}),
    FollowState.REJECTED: frozenset({FollowState.PENDING, FollowState.ACCEPTED, FollowState.REJECTED}),
}


class FollowError(Exception):
    """A follow operation cannot be done; the message is for the user."""


def _check(old: FollowState | None, new: FollowState) -> None:
    if new not in TRANSITIONS[old]:
        raise FollowError(f"a follow cannot go from {old.value if old else 'none'} to {new.value}")


async def _set_state(
    conn: AsyncConnection, inst: Instance, follower_id: int, followed_id: int, follow_uri: str, new: FollowState
) -> FollowState | None:
    row = (
        await conn.execute(
            select(follows.c.id, follows.c.state).where(
                follows.c.follower_id == follower_id, follows.c.followed_id == followed_id
            )
        )
    ).first()
    old = FollowState(row.state) if row else None
    _check(old, new)
    now = inst.clock()
    if row is None:
        await conn.execute(
            insert(follows).values(
                follower_id=follower_id, followed_id=followed_id, follow_uri=follow_uri,
                state=new.value, created_at=now, updated_at=now,
            )
        )
    else:
        await conn.execute(
            update(follows).where(follows.c.id == row.id).values(state=new.value, follow_uri=follow_uri, updated_at=now)
        )
    return old


async def record_follow_request(
    inst: Instance, conn: AsyncConnection, follower: Row[Any], local: Row[Any], follow_doc: dict[str, Any]
) -> FollowState:
    """An incoming Follow: accept at once unless the community approves followers by hand.

    A repeated Follow from an accepted follower is answered again (its first Accept may have
    been lost), never left unanswered.
    """
    existing = (
        await conn.execute(
            select(follows.c.state).where(follows.c.follower_id == follower.id, follows.c.followed_id == local.id)
        )
    ).first()
    if local.manually_approves and not (existing and existing.state == FollowState.ACCEPTED.value):
        await _set_state(conn, inst, follower.id, local.id, follow_doc["id"], FollowState.PENDING)
        return FollowState.PENDING
    await _set_state(conn, inst, follower.id, local.id, follow_doc["id"], FollowState.ACCEPTED)
    await answer_follow(inst, conn, local, follower, follow_doc, accept=True)
    return FollowState.ACCEPTED


async def record_inclusion_request(
    inst: Instance, conn: AsyncConnection, follower: Row[Any], local: Row[Any], follow_doc: dict[str, Any]
) -> FollowState:
    """A Group following the feed actor: pending until an admin decides; an accepted one is
    answered again (its first Accept may have been lost)."""
    existing = (
        await conn.execute(
            select(follows.c.state).where(follows.c.follower_id == follower.id, follows.c.followed_id == local.id)
        )
    ).first()
    if existing and existing.state == FollowState.ACCEPTED.value:
        await _set_state(conn, inst, follower.id, local.id, follow_doc["id"], FollowState.ACCEPTED)
        await answer_follow(inst, conn, local, follower, follow_doc, accept=True)
        return FollowState.ACCEPTED
    await _set_state(conn, inst, follower.id, local.id, follow_doc["id"], FollowState.PENDING)
    return FollowState.PENDING


def follow_object(follow_doc: dict[str, Any]) -> dict[str, Any]:
    """The original Follow as it goes back inside Accept/Reject: id, type, actor, object."""
    return {k: follow_doc[k] for k in ("id", "type", "actor", "object") if k in follow_doc}


async def answer_follow(
    inst: Instance, conn: AsyncConnection, local: Row[Any], follower: Row[Any], follow_doc: dict[str, Any], *, accept: bool
) -> None:
    doc = new_activity(inst, "Accept" if accept else "Reject", local, follow_object(follow_doc))
    # Follow answers go to the follower's own inbox (Mastodon sends and expects them there).
    await emit(inst, conn, local, doc, [follower.inbox or follower.shared_inbox])


async def decide_follower(inst: Instance, slug: str, follower_uri: str, *, approve: bool) -> FollowState:
    """A moderator approves or rejects (or kicks) a follower: ``yinhu followers --approve``."""
    async with inst.engine.begin() as conn:
        local = await require_local_actor(conn, slug, community=True)
        row = await awaiting_decision(
            conn, follows.c.follow_uri, follows.c.follower_id, follows.c.followed_id == local.id, follower_uri
        )
        if row is None:
            raise FollowError(f"{follower_uri} has not asked to follow {slug}")
        new = FollowState.ACCEPTED if approve else FollowState.REJECTED
        await _set_state(conn, inst, row.id, local.id, row.request_uri, new)
        follow_doc = {"id": row.request_uri, "type": "Follow", "actor": follower_uri, "object": local.uri}
        await answer_follow(inst, conn, local, row, follow_doc, accept=approve)
        return new


async def remove_follow(
    inst: Instance, conn: AsyncConnection, follower: Row[Any], follow_uri: str | None, followed_uri: str | None
) -> bool:
    """Undo(Follow): match the Follow id first, else the follower and followed pair."""
    cond = [follows.c.follower_id == follower.id]
    if follow_uri:
        hit = (
            await conn.execute(select(follows.c.id).where(follows.c.follow_uri == follow_uri, *cond))
        ).first()
        if hit:
            await conn.execute(delete(follows).where(follows.c.id == hit.id))
            return True
    if followed_uri:
        target = (await conn.execute(select(actors.c.id).where(actors.c.uri == followed_uri))).first()
        if target:
            res = await conn.execute(delete(follows).where(follows.c.followed_id == target.id, *cond))
            return bool(res.rowcount)
    return False


async def list_followers(inst: Instance, slug: str) -> list[Row[Any]]:
    async with inst.engine.connect() as conn:
        local = await require_local_actor(conn, slug, community=True)
        res = await conn.execute(
            select(actors.c.uri, actors.c.username, actors.c.domain, actors.c.name, actors.c.raw, follows.c.state,
                   follows.c.created_at)
            .select_from(follows.join(actors, actors.c.id == follows.c.follower_id))
            .where(follows.c.followed_id == local.id)
            .order_by(follows.c.created_at)
        )
        return list(res.all())


async def list_following(inst: Instance, username: str) -> list[Row[Any]]:
    async with inst.engine.connect() as conn:
        local = await require_local_actor(conn, username)
        res = await conn.execute(
            select(actors.c.uri, actors.c.username, actors.c.domain, actors.c.name, follows.c.state, follows.c.updated_at)
            .select_from(follows.join(actors, actors.c.id == follows.c.followed_id))
            .where(follows.c.follower_id == local.id)
            .order_by(follows.c.created_at)
        )
        return list(res.all())


async def follow_remote(inst: Instance, username: str, target: str) -> tuple[Row[Any], FollowState]:
    """A local actor (the feed actor, a community) sends a Follow to a remote actor."""
    remote = await resolve(inst, target)
    if remote.local:
        raise FollowError(f"{target} is on this instance; follow remote communities only")
    async with inst.engine.begin() as conn:
        local = await require_local_actor(conn, username)
        existing = (
            await conn.execute(
                select(follows.c.state).where(follows.c.follower_id == local.id, follows.c.followed_id == remote.id)
            )
        ).first()
        if existing and existing.state == FollowState.ACCEPTED.value:
            return remote, FollowState.ACCEPTED
        doc = new_activity(inst, "Follow", local, remote.uri)
        await _set_state(conn, inst, local.id, remote.id, doc["id"], FollowState.PENDING)
        await emit(inst, conn, local, doc, [remote.inbox])
    return remote, FollowState.PENDING


@dataclass(frozen=True)
class Outgoing:
    """A Follow of ours that an Accept/Reject matched: who sent it and its state before."""

    follower_id: int
    old_state: FollowState
    new_state: FollowState

    @property
    def newly_accepted(self) -> bool:
        return self.new_state is FollowState.ACCEPTED and self.old_state is not FollowState.ACCEPTED


async def mark_outgoing(
    inst: Instance, conn: AsyncConnection, remote: Row[Any], follow_ref: Any, accepted: bool
) -> Outgoing | None:
    """Accept/Reject of a Follow we sent: match it by id, else by (local actor, remote)."""
    follow_id = follow_ref if isinstance(follow_ref, str) else (follow_ref or {}).get("id")
    q = select(follows.c.id, follows.c.state, follows.c.follower_id).where(follows.c.followed_id == remote.id)
    row = None
    if follow_id:
        row = (await conn.execute(q.where(follows.c.follow_uri == follow_id))).first()
    if row is None and isinstance(follow_ref, dict) and isinstance(follow_ref.get("actor"), str):
        local = (await conn.execute(select(actors.c.id).where(actors.c.uri == follow_ref["actor"], actors.c.local.is_(True)))).first()
        if local:
            row = (await conn.execute(q.where(follows.c.follower_id == local.id))).first()
    if row is None:
        return None
    new = FollowState.ACCEPTED if accepted else FollowState.REJECTED
    old = FollowState(row.state)
    _check(old, new)
    await conn.execute(update(follows).where(follows.c.id == row.id).values(state=new.value, updated_at=inst.clock()))
    return Outgoing(int(row.follower_id), old, new)
