"""Moderation that reaches other servers: bans, reports sent out, and the public log.

* ``ban``/``unban``: a community bans a person. ``Block{actor: community, object: person,
  target: community, summary: reason}`` (Lemmy's shape, sent by the community itself) goes to
  the person and to the community's followers; the person stops following (follow
  ``rejected``), stops being a member, and a later Follow gets a ``Reject``; ``Undo{Block}``
  lifts it. ``is_banned`` is what the submissions intake asks before it takes a submission.
* ``report``: a ``Flag`` about a remote object (or account) to its server, from the instance
  actor (or a community): ``object`` = [author, object], ``content`` = the reason, as Mastodon
  sends and reads reports.
* ``log``/``public_log``: the moderation log every action writes and ``/moderation`` shows.
  A row's target is shown as a link only when it is a publicly visible object here; a private
  message's text or a reporter is never part of a row. A report sent out shows only the server
  it went to: whom it is about and why is for that server's moderators, not for the public.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import delete, insert, select, update
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncConnection

from actors.queues.delivery import follower_inboxes
from actors.queues.sending import emit, new_activity
from actors.social.local import get_local_actor, require_local_actor
from actors.social.remote import get_actor, resolve
from actors.social.visibility import publicly_visible
from actors.storage.domains import host_of, refuse_suspended, severity_for
from actors.storage.instance import INSTANCE_ACTOR_USERNAME, Instance
from actors.storage.models import (
    FollowState,
    activities,
    actors,
    community_bans,
    community_members,
    follows,
    moderation_log,
    objects,
)
from actors.storage.text import html_to_text
from fedi import vocab
from fedi.errors import FetchError
from fedi.fetch import fetch_json

__all__ = [
    "LogEntry",
    "ModerationError",
    "ban",
    "domain_policy_for",
    "followers_and",
    "is_banned",
    "list_bans",
    "log",
    "public_log",
    "report",
    "unban",
]

FETCH_TIMEOUT = 10.0


class ModerationError(ValueError):
    """A moderation action cannot be done; the message is for the moderator."""


async def log(
    conn: AsyncConnection, inst: Instance, action: str, target: str, reason: str = "", *,
    community_id: int | None = None, by: str | None = None,
) -> None:
    """One row of the public moderation log, in the caller's transaction."""
    await conn.execute(insert(moderation_log).values(
        community_id=community_id, action=action[:32], target=target[:2048], reason=reason, created_by=by,
        created_at=inst.clock()))


async def domain_policy_for(inst: Instance, uri: str) -> str | None:
    """The domain policy covering ``uri``'s host (suspend / silence / review), or None: the
    submissions intake refuses a suspended domain's submissions and queues a reviewed one's."""
    return await severity_for(inst, uri)


async def is_banned(conn: AsyncConnection, community_id: int, actor_id: int) -> bool:
    row = await conn.execute(select(community_bans.c.id).where(
        community_bans.c.community_id == community_id, community_bans.c.actor_id == actor_id))
    return row.first() is not None


# --- bans -------------------------------------------------------------------------------------


async def list_bans(conn: AsyncConnection, community_id: int) -> list[Row[Any]]:
    """The people banned from a community, newest first: the actor's columns and the ban's."""
    return list(await conn.execute(
        select(actors.c.uri, actors.c.username, actors.c.domain, actors.c.name, actors.c.raw, community_bans.c.reason,
               community_bans.c.created_by, community_bans.c.created_at)
        .select_from(community_bans.join(actors, actors.c.id == community_bans.c.actor_id))
        .where(community_bans.c.community_id == community_id)
        .order_by(community_bans.c.created_at.desc(), community_bans.c.id.desc())))


async def _banned_pair(inst: Instance, slug: str, target: str) -> tuple[Row[Any], Row[Any]]:
    person = await resolve(inst, target)  # a fetch: before the transaction
    if person.local:
        raise ModerationError(f"{target} is on this instance; ban remote people only")
    async with inst.engine.connect() as conn:
        community = await require_local_actor(conn, slug, community=True)
    if community.type != "Group":
        raise ModerationError(f"{slug} is not a community")
    return community, person


async def followers_and(conn: AsyncConnection, community_id: int, person: Row[Any] | None) -> list[str]:
    """The community's follower inboxes and ``person``'s, one copy per server."""
    inboxes = await follower_inboxes(conn, community_id)
    if person is not None and not person.local and not (person.shared_inbox and person.shared_inbox in inboxes):
        inboxes = [person.inbox or person.shared_inbox, *inboxes]
    return [i for i in inboxes if i]


async def _send_to_person_and_followers(
    inst: Instance, conn: AsyncConnection, community: Row[Any], person: Row[Any], doc: dict[str, Any],
) -> None:
    await emit(inst, conn, community, doc, await followers_and(conn, community.id, person), public=False)


async def ban(inst: Instance, slug: str, target: str, reason: str, *, by: str = "cli") -> str:
    """Ban ``target`` (a handle or actor URL) from the community; returns the Block's id."""
    if not reason.strip():
        raise ModerationError("a ban needs a reason")
    community, person = await _banned_pair(inst, slug, target)
    async with inst.engine.begin() as conn:
        if await is_banned(conn, community.id, person.id):
            raise ModerationError(f"{person.uri} is already banned from {slug}")
        doc = new_activity(inst, "Block", community, person.uri, to=[person.uri], cc=[vocab.PUBLIC])
        doc.update(target=community.uri, summary=reason.strip())
        await _send_to_person_and_followers(inst, conn, community, person, doc)
        await conn.execute(insert(community_bans).values(
            community_id=community.id, actor_id=person.id, reason=reason.strip(), block_uri=doc["id"],
            created_by=by, created_at=inst.clock()))
        await conn.execute(
            update(follows).where(follows.c.follower_id == person.id, follows.c.followed_id == community.id)
            .values(state=FollowState.REJECTED.value, updated_at=inst.clock()))
        await conn.execute(delete(community_members).where(
            community_members.c.community_id == community.id, community_members.c.actor_id == person.id))
        await log(conn, inst, "ban", person.uri, reason.strip(), community_id=community.id, by=by)
    return str(doc["id"])


async def unban(inst: Instance, slug: str, target: str, *, by: str = "cli") -> str:
    """Lift a ban: ``Undo{Block}`` to the person and the followers; returns the Undo's id."""
    community, person = await _banned_pair(inst, slug, target)
    async with inst.engine.begin() as conn:
        row = (await conn.execute(select(community_bans).where(
            community_bans.c.community_id == community.id, community_bans.c.actor_id == person.id))).first()
        if row is None:
            raise ModerationError(f"{person.uri} is not banned from {slug}")
        block = {"id": row.block_uri, "type": "Block", "actor": community.uri, "object": person.uri,
                 "target": community.uri}
        doc = new_activity(inst, "Undo", community, block, to=[person.uri], cc=[vocab.PUBLIC])
        await _send_to_person_and_followers(inst, conn, community, person, doc)
        await conn.execute(delete(community_bans).where(community_bans.c.id == row.id))
        await log(conn, inst, "unban", person.uri, "", community_id=community.id, by=by)
    return str(doc["id"])


# --- reports sent out -----------------------------------------------------------------------


async def _reported(inst: Instance, url: str) -> tuple[Row[Any], str | None]:
    """(the author, the object's id or None for an account) of what ``url`` names, fetched."""
    if inst.is_local_uri(url):
        raise ModerationError(f"{url} is on this instance; moderate it here")
    await refuse_suspended(inst, url)
    try:
        doc = await fetch_json(inst.client, url, auth=inst.fetch_auth, allow_private=inst.settings.allow_private,
                               resolver=inst.resolver, timeout=FETCH_TIMEOUT)
    except FetchError as exc:
        raise ModerationError(f"could not fetch {url}: {exc}") from exc
    if doc.get("type") in vocab.ACTOR_TYPES:
        return await get_actor(inst, str(doc["id"])), None
    author = vocab.get_id(vocab.as_list(doc.get("attributedTo"))[0] if doc.get("attributedTo") else None)
    if not author or host_of(author) != host_of(str(doc["id"])):
        raise ModerationError(f"{url} names no author on its own server")
    return await get_actor(inst, author), str(doc["id"])


async def report(inst: Instance, url: str, reason: str, *, community: str | None = None, by: str = "cli") -> str:
    """Send a ``Flag`` about a remote object (or account) to its server; returns the Flag's id."""
    if not reason.strip():
        raise ModerationError("a report needs a reason")
    author, object_id = await _reported(inst, url)
    async with inst.engine.begin() as conn:
        sender = (await require_local_actor(conn, community, community=True) if community
                  else await get_local_actor(conn, INSTANCE_ACTOR_USERNAME))
        if sender is None:
            raise ModerationError("this instance has no instance actor (run yinhu init)")
        targets = [author.uri] + ([object_id] if object_id else [])
        doc = new_activity(inst, "Flag", sender, targets, to=[author.uri])
        doc["content"] = reason.strip()
        await emit(inst, conn, sender, doc, [author.shared_inbox or author.inbox], public=False)
        await log(conn, inst, "report", object_id or author.uri, reason.strip(),
                  community_id=sender.id if community else None, by=by)
    return str(doc["id"])


# --- the public log ---------------------------------------------------------------------------


@dataclass(frozen=True)
class LogEntry:
    created_at: datetime
    community: str | None  # slug
    community_name: str | None
    action: str
    target: str  # what may be shown: a domain, a handle, a public object's title, or ""
    link: str | None  # only for a publicly visible object here
    reason: str


async def _targets(conn: AsyncConnection, uris: list[str]) -> tuple[dict[str, Row[Any]], dict[str, Row[Any]]]:
    shown = await conn.execute(
        select(objects.c.id, objects.c.uri, objects.c.name, objects.c.content)
        .where(objects.c.uri.in_(uris), publicly_visible()))
    people = await conn.execute(select(actors.c.uri, actors.c.username, actors.c.domain).where(actors.c.uri.in_(uris)))
    return {r.uri: r for r in shown}, {r.uri: r for r in people}


def _shown_target(row: Row[Any], public: dict[str, Row[Any]], people: dict[str, Row[Any]]) -> tuple[str, str | None]:
    if row.action.startswith("domain_"):
        return row.target, None
    if row.action == "report":  # an accusation, not a verdict: only the server it went to
        return host_of(row.target), None
    if row.target in public:
        obj = public[row.target]
        title = obj.name or html_to_text(obj.content or "")
        return (title[:80] + "…" if len(title) > 80 else title) or obj.uri, f"/items/{obj.id}"
    if row.target in people:
        p = people[row.target]
        return f"@{p.username}@{p.domain}", None
    return "", None  # not public here: neither its address nor its text


async def public_log(inst: Instance, *, community: str | None = None, limit: int = 200) -> list[LogEntry]:
    """Newest first; ``community``: one community's rows (a slug; unknown → CommunityError)."""
    c = actors.alias("community")
    query = (select(moderation_log, c.c.username.label("slug"), c.c.name.label("community_name"))
             .select_from(moderation_log.outerjoin(c, c.c.id == moderation_log.c.community_id))
             .order_by(moderation_log.c.created_at.desc(), moderation_log.c.id.desc()).limit(limit))
    async with inst.engine.connect() as conn:
        if community is not None:
            local = await require_local_actor(conn, community, community=True)
            query = query.where(moderation_log.c.community_id == local.id)
        rows = (await conn.execute(query)).all()
        public, people = await _targets(conn, list({r.target for r in rows}))
    out = []
    for r in rows:
        target, link = _shown_target(r, public, people)
        reason = "" if r.action == "report" else r.reason  # what a report says is for its server's moderators
        out.append(LogEntry(r.created_at, r.slug, r.community_name, r.action, target, link, reason))
    return out


async def block_of(conn: AsyncConnection, community_id: int, actor_id: int) -> str | None:
    """The id of the Block a ban sent (for answering a banned person's Follow)."""
    row = await conn.execute(select(community_bans.c.block_uri).where(
        community_bans.c.community_id == community_id, community_bans.c.actor_id == actor_id))
    found = row.first()
    return found.block_uri if found else None


async def stored_activity(conn: AsyncConnection, uri: str) -> dict[str, Any] | None:
    """An activity we sent, as sent (the Announce a removal undoes)."""
    import orjson

    row = (await conn.execute(select(activities.c.raw).where(activities.c.uri == uri))).first()
    return orjson.loads(row.raw) if row is not None and row.raw else None
