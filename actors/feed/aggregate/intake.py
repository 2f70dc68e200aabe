"""What reaches the feed: storing a remote object once, Mastodon's relevance rule, Announces of
followed actors, and the backfill of a community's outbox on Accept."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import select
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncConnection

from actors.feed.remote_objects import STORED_TYPES, OriginError, store_remote_object
from actors.social.remote import (
    ActorError,
    fetch_remote,
    get_actor,
)
from actors.social.visibility import byline_of
from actors.storage.db import joined
from actors.storage.instance import Instance
from actors.storage.models import FollowState, actors, follows, objects
from fedi import vocab
from fedi.errors import FediError

log = logging.getLogger("yinhu.aggregate")

BACKFILL_LIMIT = 20


def _host(uri: str) -> str:
    return urlsplit(uri).netloc.lower()


# --- storing ---------------------------------------------------------------------------------
async def store_once(
    inst: Instance, sender: Row[Any], obj: dict[str, Any], *, update_only: bool = False,
    conn: AsyncConnection | None = None, route: Sequence[str | None] = (), activity: dict[str, Any] | None = None,
) -> str:
    """``store_remote_object`` that never raises on a duplicate, with the byline read from the
    object (not from the route that brought it).

    The same object may arrive by push, by backfill and by Announce, possibly at the same time
    (``objects.uri`` is unique: a concurrent insert does nothing and becomes an update), and
    with different senders of the same origin (Mobilizon: a member's Person pushes, the group
    announces). Whatever the route, its author is ``byline_of`` the object when that actor is
    on the object's and the sender's origin (fetched if new), else ``sender``; an object
    stored earlier under another actor of the same origin keeps that author. Objects from
    another origin still raise ``OriginError``. In the caller's transaction when ``conn`` is
    given. ``route`` and ``activity``: see ``store_remote_object``.
    """
    author = sender
    obj_id = obj.get("id")
    byline = byline_of(obj, sender.uri)
    # Only on the sender's own origin: the sender vouches for its server's objects, never
    # for another's (store_remote_object then refuses the object as from another origin).
    if byline != sender.uri and isinstance(obj_id, str) and _host(byline) == _host(obj_id) == _host(sender.uri):
        try:
            author = await get_actor(inst, byline, conn=conn)
        except (ActorError, FediError) as exc:
            log.info("byline %s of %s not fetched (%s); %s kept", byline, obj_id, exc, sender.uri)
    for _ in range(2):
        try:
            return await store_remote_object(inst, author, obj, update_only=update_only, conn=conn, route=route,
                                             activity=activity)
        except OriginError as exc:
            if "belongs to another actor" not in str(exc):
                raise
            owner_of = (
                select(actors)
                .select_from(objects.join(actors, actors.c.id == objects.c.actor_id))
                .where(objects.c.uri == obj_id)
            )
            async with joined(inst.engine, conn) as c:
                owner = (await c.execute(owner_of)).first()
            if owner is None or _host(owner.uri) != _host(author.uri):
                raise
            author = owner
    return "ignored: already stored"


async def kind_of(inst: Instance, uri: str) -> str | None:
    async with inst.engine.connect() as conn:
        return (await conn.execute(select(objects.c.kind).where(objects.c.uri == uri))).scalar()


# --- relevance -------------------------------------------------------------------------------
def _candidate_actors(sender: str, obj: Any) -> list[str]:
    uris = [sender]
    if isinstance(obj, dict):
        for key in ("attributedTo", "actor", "audience"):
            uris += [u for u in (vocab.get_id(v) for v in vocab.as_list(obj.get(key))) if u]
    return list(dict.fromkeys(uris))


async def followed_here(inst: Instance, uris: Iterable[str], *, conn: AsyncConnection | None = None) -> bool:
    """Does a local actor follow any of ``uris`` with an accepted follow?"""
    uris = [u for u in uris if u]
    if not uris:
        return False
    local_ids = select(actors.c.id).where(actors.c.local.is_(True)).scalar_subquery()
    query = (
        select(follows.c.id)
        .select_from(follows.join(actors, actors.c.id == follows.c.followed_id))
        .where(
            actors.c.uri.in_(uris),
            follows.c.state == FollowState.ACCEPTED.value,
            follows.c.follower_id.in_(local_ids),
        )
        .limit(1)
    )
    async with joined(inst.engine, conn) as c:
        return (await c.execute(query)).first() is not None


def addresses_local(inst: Instance, *docs: Any) -> bool:
    """Is a local actor (or a local object, for replies) addressed or mentioned?"""
    for doc in docs:
        if not isinstance(doc, dict):
            continue
        targets = []
        for key in ("to", "cc", "bto", "bcc", "audience"):
            targets += [vocab.get_id(v) for v in vocab.as_list(doc.get(key))]
        targets += [
            t.get("href") for t in vocab.as_list(doc.get("tag")) if isinstance(t, dict) and t.get("type") == "Mention"
        ]
        targets.append(vocab.get_id(doc.get("inReplyTo")))
        for t in targets:
            if isinstance(t, str) and inst.is_local_uri(t) and not t.endswith(("/followers", "/following")):
                return True
    return False


async def is_relevant(
    inst: Instance, sender: str, activity: dict[str, Any], obj: Any, *, conn: AsyncConnection | None = None
) -> bool:
    return addresses_local(inst, obj, activity) or await followed_here(inst, _candidate_actors(sender, obj), conn=conn)


# --- Announce --------------------------------------------------------------------------------
async def _fetch(inst: Instance, url: str, *, check_id: bool = True) -> dict[str, Any]:
    return await fetch_remote(inst, url, check_id=check_id)


def _wrapped_object(ref: Any) -> str | None:
    """The id of the object a Create/Update wraps, when both are on one origin."""
    if not (isinstance(ref, dict) and ref.get("type") in ("Create", "Update")):
        return None
    inner = vocab.get_id(ref.get("object"))
    return inner if inner and _host(inner) == _host(str(ref.get("id", ""))) else None


async def ingest_announced(inst: Instance, announcer: Row[Any], obj_ref: Any) -> tuple[str, str | None]:
    """Store what a followed actor announced; returns (what happened, the object's id).

    A wrapped ``Create``/``Update`` (FEP-1b12: Lemmy, Mobilizon) is unwrapped; its object is
    stored as if pushed directly, with the announcer as the route's community candidate."""
    obj_id = vocab.get_id(obj_ref)
    if not obj_id:
        return "ignored: Announce without an object", None
    if inst.is_local_uri(obj_id):
        return "ignored: an object of this instance", obj_id
    obj: Any = obj_ref
    # Embedded copies count only from the object's own origin; anything else is fetched from it:
    # of a wrapped Create or Update (a group relaying a member's post), its object, which is
    # what is stored (the activity itself is often not served: Fedify's, Mastodon's Updates).
    if not (isinstance(obj, dict) and obj.get("type") and _host(obj_id) == _host(announcer.uri)):
        obj = await _fetch(inst, _wrapped_object(obj_ref) or obj_id)
    wrapper = None
    if isinstance(obj, dict) and obj.get("type") in ("Create", "Update") and isinstance(obj.get("object"), dict):
        wrapper, inner = obj, obj["object"]
        if _host(str(inner.get("id", ""))) != _host(str(obj.get("id", ""))):
            return "ignored: a wrapped object from another origin", obj_id
        obj = inner
    if not isinstance(obj, dict) or not isinstance(obj.get("id"), str):
        return "ignored: no object", obj_id
    if obj.get("type") not in STORED_TYPES:
        return f"ignored: {obj.get('type')} objects are not stored", obj["id"]
    if (obj.get("to") or obj.get("cc")) and not vocab.is_public(obj):
        return "ignored: not public", obj["id"]
    try:
        sender = announcer
        if _host(announcer.uri) != _host(obj["id"]):
            attributed = vocab.get_id(vocab.as_list(obj.get("attributedTo"))[0] if obj.get("attributedTo") else None)
            if attributed is None:
                return "ignored: no author on the object's origin", obj["id"]
            if _host(attributed) != _host(obj["id"]):
                raise OriginError(f"{obj['id']} is attributed to {attributed}, on another origin")
            sender = await get_actor(inst, attributed)
        result = await store_once(inst, sender, obj, route=[announcer.uri], activity=wrapper)
    except OriginError as exc:
        return f"ignored: {exc}", obj["id"]
    return result, obj["id"]


# --- backfill --------------------------------------------------------------------------------
@dataclass
class BackfillResult:
    stored: int = 0
    skipped: int = 0
    failed: int = 0
    notes: list[str] = field(default_factory=list)

    def summary(self) -> str:
        text = f"backfill: {self.stored} stored, {self.skipped} skipped, {self.failed} failed"
        if self.notes:
            text += " (" + "; ".join(self.notes[:3]) + (" …" if len(self.notes) > 3 else "") + ")"
        return text


def _items(page: dict[str, Any]) -> list[Any]:
    return vocab.as_list(page.get("orderedItems") if "orderedItems" in page else page.get("items"))


async def _first_page(inst: Instance, outbox_url: str) -> list[Any]:
    outbox = await _fetch(inst, outbox_url)
    items = _items(outbox)
    if items:
        return items
    first = outbox.get("first")
    if isinstance(first, dict):
        if _items(first):
            return _items(first)
        first = vocab.get_id(first)
    if not isinstance(first, str):
        return []
    if _host(first) != _host(outbox_url):
        raise OriginError(f"outbox page {first} is on another host")
    return _items(await _fetch(inst, first, check_id=False))


async def _backfill_item(inst: Instance, remote: Row[Any], item: Any) -> tuple[str, str | None]:
    host = _host(remote.uri)
    doc = item
    if isinstance(doc, str):
        if _host(doc) != host:
            return "skipped: another host", doc
        doc = await _fetch(inst, doc)
    if not isinstance(doc, dict):
        return "skipped: not an object", None
    type_ = doc.get("type")
    obj: Any = doc
    if type_ in ("Create", "Update", "Announce"):
        obj = doc.get("object")
        obj_id = vocab.get_id(obj)
        if not obj_id or _host(obj_id) != host:
            return f"skipped: {type_} of an object on another host", obj_id
        if not isinstance(obj, dict) or not obj.get("type"):
            obj = await _fetch(inst, obj_id)
        if isinstance(obj, dict) and obj.get("type") == "Create":  # Announce(Create(Event)), Gancio
            obj = obj.get("object")
            if vocab.get_id(obj) is None or _host(str(vocab.get_id(obj))) != host:
                return "skipped: wrapped object on another host", None
            if not isinstance(obj, dict):
                obj = await _fetch(inst, str(vocab.get_id(obj)))
    if not isinstance(obj, dict) or not isinstance(obj.get("id"), str):
        return "skipped: no object", None
    if _host(obj["id"]) != host:
        return "skipped: another host", obj["id"]
    if obj.get("type") not in STORED_TYPES:
        return f"skipped: {obj.get('type')}", obj["id"]
    attributed = vocab.get_id(obj.get("attributedTo"))
    if attributed is not None and attributed != remote.uri and _host(attributed) != host:
        return "skipped: attributed to another host", obj["id"]
    return await store_once(inst, remote, obj, route=[remote.uri], activity=doc if doc is not obj else None), obj["id"]


async def backfill(inst: Instance, remote: Row[Any], *, limit: int = BACKFILL_LIMIT) -> BackfillResult:
    """Read the first page of ``remote``'s outbox and store up to ``limit`` items, newest first."""
    result = BackfillResult()
    if not remote.outbox:
        result.notes.append("no outbox")
        return result
    try:
        items = await _first_page(inst, remote.outbox)
    except (FediError, OriginError, ValueError) as exc:
        result.failed += 1
        result.notes.append(f"outbox: {exc}")
        return result

    def published(item: Any) -> str:
        if isinstance(item, dict):
            inner = item.get("object") if isinstance(item.get("object"), dict) else {}
            return str(item.get("published") or inner.get("published") or "")
        return ""

    items = items[: limit * 2]  # a page in another order is still bounded
    if all(published(i) for i in items):
        items.sort(key=published, reverse=True)
    for item in items[:limit]:
        try:
            what, uri = await _backfill_item(inst, remote, item)
        except (FediError, OriginError, ValueError) as exc:
            result.failed += 1
            result.notes.append(f"{vocab.get_id(item)}: {exc}")
            continue
        except Exception as exc:
            log.exception("backfill of %s: item %s", remote.uri, vocab.get_id(item))
            result.failed += 1
            result.notes.append(f"{vocab.get_id(item)}: {type(exc).__name__}: {exc}")
            continue
        if what in ("stored", "updated"):
            result.stored += 1
        else:
            result.skipped += 1
            if what.startswith("skipped"):
                result.notes.append(f"{uri}: {what}")
    return result
