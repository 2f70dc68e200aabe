"""Local actors: the instance actor, the feed actor and the communities this instance hosts."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import orjson
from sqlalchemy import func, insert, select, update
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncConnection

from actors.storage import migrate
from actors.storage.instance import INSTANCE_ACTOR_USERNAME, Instance, utcnow
from actors.storage.models import FollowState, actors, follows, objects
from actors.storage.text import render_plain
from fedi import vocab
from fedi.keys import generate_rsa_keypair

__all__ = [
    "COMMUNITY_KINDS",
    "FEED_ACTOR_USERNAME",
    "RESERVED",
    "CommunityError",
    "actor_doc_bytes",
    "cached_actor_document",
    "count_local_posts",
    "create_community",
    "get_local_actor",
    "initialise",
    "list_communities",
    "local_actor_to_ap",
    "require_local_actor",
]

# The community's submission policy as its profile shows it (actors.social.submissions).
SUBMISSION_FIELD = {"open": "开放 open", "moderated": "需审核 moderated", "closed": "不接受 closed"}
COMMUNITY_KINDS = ("interest", "club", "compound", "village", "park", "organisation")
FEED_ACTOR_USERNAME = "yinhu"
RESERVED = frozenset(
    {INSTANCE_ACTOR_USERNAME, FEED_ACTOR_USERNAME, "admin", "api", "inbox", "actor", "static",
     "about", "search", "feed", "root", "support", "www", "instance", "nodeinfo", "settings"}
)
# Mastodon's username rule (it refuses actors whose preferredUsername does not match).
SLUG_RE = re.compile(r"^[a-z0-9_]+([.-]+[a-z0-9_]+)*$")


class CommunityError(Exception):
    """A community could not be created or found; the message is for the user."""


@dataclass(frozen=True)
class NewActor:
    username: str
    type: str
    name: str
    summary: str
    kind: str | None = None
    manually_approves: bool = False


async def _insert_local_actor(inst: Instance, conn: AsyncConnection, new: NewActor) -> str:
    private_pem, public_pem = generate_rsa_keypair()
    uri = inst.actor_uri(new.username)
    now = utcnow()
    await conn.execute(
        insert(actors).values(
            uri=uri,
            local=True,
            type=new.type,
            username=new.username,
            domain=inst.settings.host,
            name=new.name,
            summary=new.summary,
            kind=new.kind,
            inbox=f"{uri}/inbox",
            shared_inbox=inst.shared_inbox,
            outbox=f"{uri}/outbox",
            followers_url=f"{uri}/followers",
            key_id=f"{uri}#main-key",
            public_key_pem=public_pem,
            private_key_pem=private_pem,
            manually_approves=new.manually_approves,
            created_at=now,
            updated_at=now,
        )
    )
    return uri


async def initialise(inst: Instance) -> None:
    """Create the schema, the instance actor and the feed actor (``yinhu init``)."""
    if await migrate.current_revision(inst.engine) is not None:
        async with inst.engine.connect() as conn:
            has_actor = (
                await conn.execute(select(func.count()).select_from(actors).where(actors.c.local.is_(True)))
            ).scalar_one()
        if has_actor:
            raise CommunityError("this database already holds a Yinhu instance; refusing to initialise it again")
    await migrate.upgrade(inst.engine)
    async with inst.engine.begin() as conn:
        await _insert_local_actor(
            inst, conn, NewActor(INSTANCE_ACTOR_USERNAME, "Application", inst.settings.host, "", None, True)
        )
        await _insert_local_actor(
            inst,
            conn,
            NewActor(FEED_ACTOR_USERNAME, "Service", "银湖 Yinhu", "银湖社区网络的共享动态 · the shared Yinhu feed"),
        )
    await inst.load_instance_actor()


def validate_slug(slug: str) -> str:
    slug = slug.strip().lower()
    if not 1 <= len(slug) <= 64 or not SLUG_RE.match(slug):
        raise CommunityError(
            f"invalid community name {slug!r}: use 1-64 lowercase letters, digits, '_', with '.' or '-' only between them"
        )
    if slug in RESERVED:
        raise CommunityError(f"{slug!r} is reserved; choose another community name")
    return slug


async def create_community(
    inst: Instance,
    slug: str,
    *,
    name: str,
    summary: str = "",
    kind: str = "interest",
    manually_approves: bool = False,
) -> str:
    slug = validate_slug(slug)
    if kind not in COMMUNITY_KINDS:
        raise CommunityError(f"unknown kind {kind!r}; choose one of {', '.join(COMMUNITY_KINDS)}")
    if not name.strip():
        raise CommunityError("a community needs a name (--name)")
    async with inst.engine.begin() as conn:
        exists = (
            await conn.execute(
                select(actors.c.id).where(actors.c.username == slug, actors.c.domain == inst.settings.host)
            )
        ).first()
        if exists:
            raise CommunityError(f"community {slug!r} already exists")
        uri = await _insert_local_actor(
            inst, conn, NewActor(slug, "Group", name.strip(), summary.strip(), kind, manually_approves)
        )
    return uri


async def set_manual_approval(inst: Instance, slug: str, manual: bool) -> None:
    async with inst.engine.begin() as conn:
        res = await conn.execute(
            update(actors)
            .where(actors.c.local.is_(True), actors.c.username == slug)
            .values(manually_approves=manual, updated_at=utcnow())
        )
        if res.rowcount == 0:
            raise CommunityError(f"no community {slug!r} on this instance")
    inst.cache.pop(f"actor-doc:{slug}", None)
    inst.cache.pop(f"jrd:{slug}", None)


async def list_communities(inst: Instance) -> list[Row[Any]]:
    followers = (
        select(func.count())
        .select_from(follows)
        .where(follows.c.followed_id == actors.c.id, follows.c.state == FollowState.ACCEPTED.value)
        .scalar_subquery()
    )
    async with inst.engine.connect() as conn:
        result = await conn.execute(
            select(actors, followers.label("follower_count"))
            .where(actors.c.local.is_(True), actors.c.type == "Group", actors.c.deleted_at.is_(None))
            .order_by(actors.c.username)
        )
        return list(result.all())


async def get_local_actor(conn: AsyncConnection, username: str) -> Row[Any] | None:
    return (
        await conn.execute(
            select(actors).where(
                actors.c.local.is_(True), actors.c.username == username, actors.c.deleted_at.is_(None)
            )
        )
    ).first()


async def require_local_actor(conn: AsyncConnection, username: str, *, community: bool = False) -> Row[Any]:
    """The local actor ``username``, or ``CommunityError``: said of a community when the caller
    names one by its slug (``community=True``), else of a local actor."""
    row = await get_local_actor(conn, username)
    if row is None:
        raise CommunityError(
            f"no community {username!r} on this instance" if community else f"no local actor {username!r}"
        )
    return row


def local_actor_to_ap(inst: Instance, row: Row[Any]) -> dict[str, Any]:
    url = f"{inst.base}/@{row.username}" if row.type == "Group" else row.uri
    if row.type == "Application":
        return vocab.application_actor(
            actor_id=row.uri,
            username=row.username,
            name=row.name,
            url=url,
            public_key_pem=row.public_key_pem,
            shared_inbox=inst.shared_inbox,
            published=row.created_at,
        )
    doc = vocab.group_actor(
        actor_id=row.uri,
        username=row.username,
        webfinger=f"{row.username}@{inst.settings.host}",
        name=row.name,
        summary_html=render_plain(row.summary),
        url=url,
        public_key_pem=row.public_key_pem,
        shared_inbox=inst.shared_inbox,
        published=row.created_at,
        manually_approves=row.manually_approves,
        community_kind=row.kind or "interest",
        fields=[("类型 Kind", row.kind or "interest"),
                ("投稿 Submissions", SUBMISSION_FIELD[row.submission_policy or "moderated"]),
                ("银湖 Yinhu", f'<a href="{inst.base}">{inst.settings.host}</a>')]
        if row.type == "Group"
        else [],
    )
    if row.type == "Service":
        doc["type"] = "Service"
    return doc


async def actor_doc_bytes(inst: Instance, username: str) -> bytes | None:
    """The serialized actor document, cached for a few seconds: actor GETs are the hottest path
    of a federated server (every peer refetches keys and profiles)."""
    return await cached_actor_document(
        inst, "actor-doc", username, lambda row: orjson.dumps(local_actor_to_ap(inst, row))
    )


async def cached_actor_document(
    inst: Instance, cache_name: str, username: str, render: Callable[[Row[Any]], bytes]
) -> bytes | None:
    """A document rendered from a local actor's row, kept ten seconds in ``inst.cache`` under
    ``cache_name:username`` (None when there is no such actor). The documents change only when
    the community is edited, which drops the entries in this process (``set_manual_approval``)."""
    key = f"{cache_name}:{username}"
    now = inst.clock().timestamp()
    hit = inst.cache.get(key)
    if hit is not None and hit[1] > now:
        return hit[0]  # type: ignore[no-any-return]
    async with inst.engine.connect() as conn:
        row = await get_local_actor(conn, username)
    if row is None:
        return None
    body = render(row)
    inst.cache[key] = (body, now + 10.0)
    return body


async def count_local_posts(inst: Instance) -> int:
    async with inst.engine.connect() as conn:
        return int(
            (
                await conn.execute(
                    select(func.count()).select_from(objects).where(
                        objects.c.local.is_(True), objects.c.deleted_at.is_(None)
                    )
                )
            ).scalar_one()
        )
