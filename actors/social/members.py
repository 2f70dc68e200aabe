"""A community's members, and the invitation links that make them.

A member is an actor (usually a person on another server) the community counts as its own:
where the community trusts members (``actors.trust_members``), their submissions skip the
queue. Organisers add one by hand (``yinhu member add``, typically an approved follower) or hand
out an invitation link ``/c/SLUG/join/TOKEN``: the visitor gives their fediverse handle, it is
resolved (WebFinger, then a signed fetch of the actor) and recorded with ``via`` "invitation".

Only the SHA-256 of an invitation's token is stored, so the database cannot give links away.
A link counts its uses; it stops working when it expires, is revoked or is used up. Counting
is one conditional UPDATE, so two visitors racing for the last use cannot both get it.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, func, or_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncConnection

from actors.social.local import require_local_actor
from actors.social.remote import resolve
from actors.storage.instance import Instance
from actors.storage.models import FollowState, actors, community_members, follows, invitations

__all__ = [
    "Invitation",
    "InvitationError",
    "MemberError",
    "add_follower_member",
    "add_member",
    "create_invitation",
    "find_invitation",
    "is_member",
    "list_invitations",
    "list_members",
    "redeem_invitation",
    "remove_member",
    "revoke_invitation",
    "token_hash",
    "unusable_because",
]

MAX_DAYS = 3650
MAX_USES = 100_000


class MemberError(ValueError):
    """A one-line reason: no such member, not a community, a bad limit."""


class InvitationError(Exception):
    """Why a link cannot be used: ``reason`` is unknown | revoked | expired | used_up."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class Invitation:
    id: int
    token: str  # shown once, when made; never stored
    path: str  # /c/SLUG/join/TOKEN


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


async def is_member(conn: AsyncConnection, community_id: int, actor_id: int) -> bool:
    row = await conn.execute(select(community_members.c.id).where(
        community_members.c.community_id == community_id, community_members.c.actor_id == actor_id))
    return row.first() is not None


async def _community(conn: AsyncConnection, slug: str) -> Row[Any]:
    c = await require_local_actor(conn, slug, community=True)
    if c.type != "Group":
        raise MemberError(f"{slug!r} is not a community")
    return c


async def _insert_member(conn: AsyncConnection, community_id: int, actor_id: int, via: str, now: datetime) -> bool:
    """Record the pair; False when it was there already (the first ``via`` stays)."""
    insert_ = pg_insert if conn.dialect.name == "postgresql" else sqlite_insert
    stmt = insert_(community_members).values(community_id=community_id, actor_id=actor_id, via=via, created_at=now)
    result = await conn.execute(stmt.on_conflict_do_nothing(index_elements=["community_id", "actor_id"]))
    return bool(result.rowcount)


async def _add(inst: Instance, c: Row[Any], person: Row[Any]) -> bool:
    if person.id == c.id:
        raise MemberError("a community cannot be its own member")
    async with inst.engine.begin() as conn:
        following = (await conn.execute(select(follows.c.id).where(
            follows.c.follower_id == person.id, follows.c.followed_id == c.id,
            follows.c.state == FollowState.ACCEPTED.value))).first()
        return await _insert_member(conn, c.id, person.id, "follower" if following else "organiser", inst.clock())


async def add_member(inst: Instance, slug: str, target: str) -> tuple[Row[Any], bool]:
    """Make ``target`` (``@user@host`` or an actor URL, resolved as ``yinhu follow`` does) a member:
    (the actor, whether it was new). ``via`` says "follower" when they follow the community
    (accepted), else "organiser"."""
    async with inst.engine.connect() as conn:
        c = await _community(conn, slug)
    person = await resolve(inst, target)
    return person, await _add(inst, c, person)


async def add_follower_member(inst: Instance, slug: str, actor_uri: str) -> bool:
    """Make an accepted follower (as stored: no fetch) a member; whether they were new."""
    async with inst.engine.connect() as conn:
        c = await _community(conn, slug)
        person = (await conn.execute(
            select(actors).select_from(follows.join(actors, actors.c.id == follows.c.follower_id))
            .where(follows.c.followed_id == c.id, actors.c.uri == actor_uri,
                   follows.c.state == FollowState.ACCEPTED.value))).first()
    if person is None:
        raise MemberError(f"{actor_uri} does not follow {slug}")
    return await _add(inst, c, person)


async def _member_actor(conn: AsyncConnection, community_id: int, target: str) -> Row[Any] | None:
    """The member named by actor URL or ``@user@host`` (as stored; no network)."""
    name, _, host = target.strip().lstrip("@").partition("@")
    by_handle = (actors.c.username == name) & (func.lower(actors.c.domain) == host.lower()) if host else None
    query = (select(actors.c.id, actors.c.uri)
             .select_from(community_members.join(actors, actors.c.id == community_members.c.actor_id))
             .where(community_members.c.community_id == community_id,
                    or_(actors.c.uri == target.strip(), *([by_handle] if by_handle is not None else []))))
    return (await conn.execute(query)).first()


async def remove_member(inst: Instance, slug: str, target: str) -> str:
    """Remove a member (by actor URL or ``@user@host``); the actor's URI, or MemberError."""
    async with inst.engine.begin() as conn:
        c = await _community(conn, slug)
        person = await _member_actor(conn, c.id, target)
        if person is None:
            raise MemberError(f"{target} is not a member of {slug}")
        await conn.execute(delete(community_members).where(
            community_members.c.community_id == c.id, community_members.c.actor_id == person.id))
    return str(person.uri)


async def list_members(inst: Instance, slug: str) -> list[Row[Any]]:
    async with inst.engine.connect() as conn:
        c = await _community(conn, slug)
        rows = await conn.execute(
            select(actors.c.id, actors.c.uri, actors.c.username, actors.c.domain, actors.c.name,
                   community_members.c.via, community_members.c.created_at)
            .select_from(community_members.join(actors, actors.c.id == community_members.c.actor_id))
            .where(community_members.c.community_id == c.id)
            .order_by(community_members.c.created_at, community_members.c.id))
        return list(rows.all())


# --- invitations ------------------------------------------------------------------------------


async def create_invitation(inst: Instance, slug: str, *, uses: int | None = None, days: float | None = None,
                            created_by: str | None = None) -> Invitation:
    if uses is not None and not 1 <= uses <= MAX_USES:
        raise MemberError(f"--uses must be between 1 and {MAX_USES}")
    if days is not None and not 0 < days <= MAX_DAYS:
        raise MemberError(f"--days must be more than 0 and at most {MAX_DAYS}")
    token = secrets.token_urlsafe(24)
    now = inst.clock()
    async with inst.engine.begin() as conn:
        c = await _community(conn, slug)
        result = await conn.execute(invitations.insert().values(
            community_id=c.id, token_hash=token_hash(token), created_by=created_by, max_uses=uses, uses=0,
            created_at=now, expires_at=now + timedelta(days=days) if days is not None else None,
        ).returning(invitations.c.id))
        new_id = int(result.scalar_one())
    return Invitation(new_id, token, f"/c/{slug}/join/{token}")


async def list_invitations(inst: Instance, slug: str) -> list[Row[Any]]:
    async with inst.engine.connect() as conn:
        c = await _community(conn, slug)
        rows = await conn.execute(select(invitations).where(invitations.c.community_id == c.id)
                                  .order_by(invitations.c.id))
        return list(rows.all())


async def revoke_invitation(inst: Instance, slug: str, invitation_id: int) -> None:
    async with inst.engine.begin() as conn:
        c = await _community(conn, slug)
        result = await conn.execute(update(invitations).where(
            invitations.c.id == invitation_id, invitations.c.community_id == c.id,
            invitations.c.revoked_at.is_(None)).values(revoked_at=inst.clock()))
        if not result.rowcount:
            raise MemberError(f"no open invitation {invitation_id} for {slug}")


def unusable_because(row: Row[Any] | None, now: datetime) -> str | None:
    """Why an invitation cannot be used (unknown | revoked | expired | used_up), or None."""
    if row is None:
        return "unknown"
    if row.revoked_at is not None:
        return "revoked"
    expires = row.expires_at
    if expires is not None and (expires if expires.tzinfo else expires.replace(tzinfo=now.tzinfo)) <= now:
        return "expired"
    if row.max_uses is not None and row.uses >= row.max_uses:
        return "used_up"
    return None


async def find_invitation(inst: Instance, community_id: int, token: str) -> Row[Any]:
    """The usable invitation for this token, or InvitationError with the reason."""
    async with inst.engine.connect() as conn:
        row = (await conn.execute(select(invitations).where(
            invitations.c.token_hash == token_hash(token), invitations.c.community_id == community_id))).first()
    reason = unusable_because(row, inst.clock())
    if reason is not None:
        raise InvitationError(reason)
    return row  # type: ignore[return-value]


async def redeem_invitation(inst: Instance, community_id: int, token: str, handle: str) -> tuple[Row[Any], bool]:
    """Resolve ``handle`` (ActorError when it cannot be), then count one use of the link and
    record the member: (the actor, whether they are new). Someone already a member uses nothing."""
    await find_invitation(inst, community_id, token)  # refuse a dead link before any fetch
    person = await resolve(inst, handle)
    if person.id == community_id:
        raise MemberError("a community cannot be its own member")
    now = inst.clock()
    async with inst.engine.begin() as conn:
        if await is_member(conn, community_id, person.id):
            return person, False
        counted = await conn.execute(update(invitations).where(
            invitations.c.token_hash == token_hash(token), invitations.c.community_id == community_id,
            invitations.c.revoked_at.is_(None),
            or_(invitations.c.expires_at.is_(None), invitations.c.expires_at > now),
            or_(invitations.c.max_uses.is_(None), invitations.c.uses < invitations.c.max_uses),
        ).values(uses=invitations.c.uses + 1))
        if not counted.rowcount:  # used up (or revoked) while the handle was being resolved
            raise InvitationError("used_up")
        added = await _insert_member(conn, community_id, person.id, "invitation", now)
    return person, added
