"""The shared feed: the feed actor (``@yinhu``) follows communities everywhere and boosts them.

* ``follow_many`` / ``unfollow`` / ``subscriptions``: what ``yinhu follow``, ``yinhu unfollow``
  and ``yinhu subscriptions`` run. A subscription's state is its ``follows`` row (pending,
  accepted, rejected) or ``gone`` when the remote actor was deleted or answered 410 (its
  ``actors.deleted_at``); "last item" is the newest ``objects.published`` of that community.
* ``backfill``: on Accept of one of our Follows, the first page of the community's outbox (at
  most ``BACKFILL_LIMIT`` items, newest first) is read. Items may be embedded ``Create``s, bare
  object ids (fetched, signed by the instance actor) or ``Announce``s of objects on the
  community's own host (unwrapped, as Gancio does). An object is stored only when it lives on
  the community's host and is attributed to the community or an actor of that host. Failures
  are counted and reported, never raised: the Accept is recorded whatever happens here.
* ``is_relevant``: Mastodon's rule for pushed content (G2): keep it only when a local actor
  follows the sender, the author or the object's FEP-1b12 ``audience`` with an accepted
  follow, or it addresses a local actor. Kept is not shown: ``actors.social.visibility`` decides that.
* ``ingest_announced``: an Announce by a followed actor. The object is used as embedded only
  when the announcer is on the object's own origin; otherwise it is fetched from its id.
* ``boost``: the feed actor Announces every *new* event, listing or venue that arrived live
  (pushed Create or Announce), to Public with its followers in cc, so a Mastodon user following
  ``@yinhu@host`` sees it as a boost. Backfilled items are not boosted: they are old, and
  Mastodon itself never backfills (G10); boosting twenty old items per new follow would flood
  timelines. Local communities' content is not boosted yet: ``publish`` would call
  ``boost(inst, uri, kind, conn=conn)`` after its ``emit`` (a venue: ``f"{uri}/announce"``).
* Inclusion requests: a ``Group`` that follows the feed actor asks to be aggregated. It stays
  pending until an admin runs ``yinhu subscriptions --approve HANDLE``, which accepts its
  Follow and makes the feed actor follow it back. People and services following the feed
  actor are accepted at once (it does not approve followers by hand).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import delete, func, select, update
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncConnection

from actors.feed.remote_objects import STORED_TYPES, OriginError, store_remote_object
from actors.queues.delivery import follower_inboxes
from actors.queues.sending import emit, new_activity
from actors.social.follows import FollowError, decide_follower, follow_remote
from actors.social.local import FEED_ACTOR_USERNAME, CommunityError, get_local_actor
from actors.social.remote import FETCH_TIMEOUT, ActorError, fetch_actor, get_actor, resolve
from actors.social.visibility import byline_of, publicly_visible
from actors.storage.db import joined
from actors.storage.instance import Instance
from actors.storage.models import FollowState, activities, actors, follows, objects
from fedi import vocab
from fedi.errors import FediError, Gone
from fedi.fetch import fetch_json

__all__ = [
    "BACKFILL_LIMIT",
    "BOOSTED_KINDS",
    "BackfillResult",
    "FollowResult",
    "Subscription",
    "backfill",
    "boost",
    "decide_inclusion",
    "follow_many",
    "inclusion_requests",
    "ingest_announced",
    "is_relevant",
    "kind_of",
    "refresh_subscriptions",
    "store_once",
    "subscriptions",
    "undo_boost",
    "unfollow",
]

log = logging.getLogger("yinhu.aggregate")

BACKFILL_LIMIT = 20
BOOSTED_KINDS = frozenset({"event", "listing", "venue"})
GONE = "gone"


def _host(uri: str) -> str:
    return urlsplit(uri).netloc.lower()


def handle_of(row: Row[Any]) -> str:
    if row.username and not str(row.username).startswith(("http://", "https://")):
        return f"@{row.username}@{row.domain}"
    return str(row.uri)


async def _feed(conn: AsyncConnection, username: str = FEED_ACTOR_USERNAME) -> Row[Any]:
    local = await get_local_actor(conn, username)
    if local is None:
        raise CommunityError(f"no local actor {username!r}")
    return local


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


# --- following -------------------------------------------------------------------------------
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
    return await fetch_json(
        inst.client, url, auth=inst.fetch_auth, allow_private=inst.settings.allow_private,
        resolver=inst.resolver, check_id=check_id, timeout=FETCH_TIMEOUT,
    )


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
    # Embedded copies count only from the object's own origin; anything else is fetched from it.
    if not (isinstance(obj, dict) and obj.get("type") and _host(obj_id) == _host(announcer.uri)):
        obj = await _fetch(inst, obj_id)
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


# --- boosting --------------------------------------------------------------------------------
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
        feed = await get_local_actor(c, FEED_ACTOR_USERNAME)
        if feed is None:
            return False
        inboxes = await follower_inboxes(c, feed.id)
        if not inboxes:
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
