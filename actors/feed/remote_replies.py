"""Replies under other instances' items, on an aggregator: read from the item's ``replies``
collection on its origin, kept like any other received object, refreshed at most every
``REPLIES_TTL``.

The collection only says *which* replies to show; each reply is fetched (signed, SSRF-checked)
from its own id, on its own server, and stored only when it is on its author's origin and
really answers the item (``inReplyTo`` is the item), so a collection cannot put words in
anyone's mouth. The collection lives on the item's own host, and it is the origin's word on
what is shown: a reply it no longer lists (an organiser there hid it, or its author deleted
it) is hidden here too, once the whole collection was read. A stored reply never becomes an
item of its own (no community).

Bounded: ``MAX_PAGES`` collection pages and ``MAX_FETCHES`` new replies per refresh; a refresh
that fails waits out the TTL like one that worked, so a dead origin is not asked on every view.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import orjson
from sqlalchemy import select, update
from sqlalchemy.engine import Row

from actors.feed.remote_objects import STORED_TYPES, OriginError, store_remote_object
from actors.social.remote import ActorError, fetch_remote, get_actor
from actors.social.visibility import publicly_visible
from actors.storage.domains import DomainSuspended
from actors.storage.instance import Instance
from actors.storage.models import objects
from fedi import vocab
from fedi.content import safe_url
from fedi.errors import FetchError

__all__ = ["MAX_FETCHES", "MAX_PAGES", "REPLIES_TTL", "Refreshed", "refresh_due", "refresh_replies"]

REPLIES_TTL = 600.0  # seconds between two reads of one item's collection
MAX_PAGES = 3
MAX_FETCHES = 20


@dataclass(frozen=True)
class Refreshed:
    """What a refresh did: replies the origin lists, newly hung under the item, hidden, shown
    again, and why some were skipped (for logs and tests)."""

    listed: int = 0
    linked: int = 0
    hidden: int = 0
    shown: int = 0
    skipped: tuple[str, ...] = ()
    error: str | None = None


def _host(uri: str) -> str:
    return urlsplit(uri).netloc.lower()


def _key(uri: str) -> str:
    return f"replies:{uri}"


def refresh_due(inst: Instance, item_uri: str) -> bool:
    """Whether the item's replies were not read within the TTL (nor are being read now)."""
    return float(inst.cache.get(_key(item_uri), 0.0)) <= time.monotonic()


async def _get(inst: Instance, url: str, *, check_id: bool = True) -> dict[str, Any]:
    return await fetch_remote(inst, url, check_id=check_id)


async def _listed(inst: Instance, item: Row[Any], replies: Any) -> tuple[list[str], bool]:
    """The reply ids the collection lists (in its order) and whether it was read to its end."""
    host = _host(item.uri)
    ref = vocab.get_id(replies)
    if isinstance(replies, dict) and "first" in replies:
        collection: dict[str, Any] = replies  # embedded, as Mastodon sends it (the item came from its origin)
    elif ref and _host(ref) == host:
        collection = await _get(inst, ref, check_id=False)
    else:
        return [], False
    ids: list[str] = []
    page: Any = collection.get("first", collection)
    for _ in range(MAX_PAGES):
        if isinstance(page, str):
            if _host(page) != host:
                return ids, False
            page = await _get(inst, page, check_id=False)
        if not isinstance(page, dict):
            return ids, True
        for entry in vocab.as_list(page.get("orderedItems", page.get("items"))):
            uri = vocab.get_id(entry)
            if uri and safe_url(uri) and uri not in ids:
                ids.append(uri)
        page = page.get("next")
        if not page:
            return ids, True
    return ids, False


async def _store_reply(inst: Instance, item: Row[Any], uri: str) -> str | None:
    """Fetch and store one listed reply; None when stored, else why not."""
    try:
        doc = await _get(inst, uri)
    except (FetchError, DomainSuspended) as exc:
        return f"{uri}: {exc}"
    if doc.get("type") not in STORED_TYPES or vocab.get_id(doc.get("inReplyTo")) != item.uri:
        return f"{uri}: not a reply to {item.uri}"
    author_uri = vocab.get_id(doc.get("attributedTo"))
    if not author_uri:
        return f"{uri}: no author"
    try:
        author = await get_actor(inst, author_uri)
        await store_remote_object(inst, author, doc)
    except (ActorError, OriginError, FetchError) as exc:
        return f"{uri}: {exc}"
    return None


async def refresh_replies(inst: Instance, item_id: int) -> Refreshed:
    """Read a remote item's ``replies`` collection and bring its replies here."""
    async with inst.engine.connect() as conn:
        item = (await conn.execute(
            select(objects).where(objects.c.id == item_id, objects.c.local.is_(False), publicly_visible())
        )).first()
    if item is None:
        return Refreshed(error="no such remote item")
    inst.cache[_key(item.uri)] = time.monotonic() + REPLIES_TTL
    replies = orjson.loads(item.raw).get("replies")
    try:
        if replies is None:  # not in what was pushed (or backfilled): the item as its origin serves it
            replies = (await _get(inst, item.uri)).get("replies")
        ids, complete = await _listed(inst, item, replies)
    except (FetchError, DomainSuspended) as exc:
        return Refreshed(error=str(exc))
    async with inst.engine.connect() as conn:
        held = {r.uri for r in await conn.execute(select(objects.c.uri).where(objects.c.uri.in_(ids)))} if ids else set()
    skipped = []
    for uri in [u for u in ids if u not in held][:MAX_FETCHES]:
        why = await _store_reply(inst, item, uri)
        if why is not None:
            skipped.append(why)
    return await _thread(inst, item, ids, complete, tuple(skipped))


async def _answering(inst: Instance, item: Row[Any], ids: list[str]) -> list[str]:
    """The listed ids held here (remote, not yet in a thread) whose own ``inReplyTo`` is the item."""
    if not ids:
        return []
    async with inst.engine.connect() as conn:
        rows = await conn.execute(
            select(objects.c.uri, objects.c.raw).where(objects.c.uri.in_(ids), objects.c.local.is_(False),
                                                      objects.c.reply_root_id.is_(None))
        )
        return [r.uri for r in rows if r.raw and vocab.get_id(orjson.loads(r.raw).get("inReplyTo")) == item.uri]


async def _thread(inst: Instance, item: Row[Any], ids: list[str], complete: bool, skipped: tuple[str, ...]) -> Refreshed:
    """Hang the listed replies under the item (as replies, never items) and hide what the
    origin no longer lists."""
    answering = await _answering(inst, item, ids)
    under = (objects.c.reply_root_id == item.id, objects.c.in_reply_to == item.uri)
    linked = shown = hidden = 0
    async with inst.engine.begin() as conn:
        if answering:
            res = await conn.execute(update(objects).where(objects.c.uri.in_(answering))
                                     .values(in_reply_to=item.uri, reply_root_id=item.id, community_id=None))
            linked = int(res.rowcount or 0)
        if ids:
            res = await conn.execute(update(objects).where(*under, objects.c.uri.in_(ids), objects.c.hidden_at.is_not(None))
                                     .values(hidden_at=None))
            shown = int(res.rowcount or 0)
        if complete:
            res = await conn.execute(update(objects).where(*under, objects.c.uri.not_in(ids), objects.c.hidden_at.is_(None))
                                     .values(hidden_at=inst.clock()))
            hidden = int(res.rowcount or 0)
    return Refreshed(listed=len(ids), linked=linked, hidden=hidden, shown=shown, skipped=skipped)
