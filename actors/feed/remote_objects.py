"""Objects other instances publish (notes now; events, listings and venues build on this)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

import orjson
from sqlalchemy import select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncConnection

from actors.feed import search
from actors.social.visibility import community_for, visibility_of, vouched, withheld
from actors.storage.db import joined
from actors.storage.domains import SILENCE, SUSPEND, severity_for
from actors.storage.instance import Instance
from actors.storage.models import objects
from fedi import content as wire
from fedi import vocab

__all__ = ["STORED_TYPES", "OriginError", "delete_remote_object", "parse_time", "store_remote_object"]

STORED_TYPES = frozenset({"Note", "Article", "Page", "Event", "Place", "Question", "Proposal"})


class OriginError(Exception):
    """An actor tried to create, change or delete an object that is not on its own origin."""


def _host(uri: str) -> str:
    return urlsplit(uri).netloc.lower()


def parse_time(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        moment = datetime.fromisoformat(value)  # Python ≥ 3.11 reads a trailing "Z"
    except ValueError:
        return None
    return moment if moment.tzinfo else None


def _content(obj: dict[str, Any]) -> tuple[str, str | None]:
    content = obj.get("content")
    language = None
    content_map = obj.get("contentMap")
    if isinstance(content_map, dict) and content_map:
        language, mapped = next(iter(content_map.items()))
        if not isinstance(content, str):
            content = mapped
    return wire.clean_html(content if isinstance(content, str) else "", obj.get("tag")), language


def _place_columns(place: wire.PlaceData | str | None) -> dict[str, Any]:
    if place is None:
        return {}
    if isinstance(place, str):
        return {"place_name": place}
    return {
        "place_name": place.name or None,
        "address": wire.address_text(place.address),
        "latitude": place.latitude,
        "longitude": place.longitude,
    }


def _tags(tags: list[str], doc: dict[str, Any] | None = None) -> str | None:
    """Space-separated lowercase tags: every Hashtag of ``doc`` in its order (the author's own
    are always kept, also where they coincide with automatic ones), then any other parsed."""
    extra = wire.hashtags_from_ap(doc) if doc is not None else []
    return " ".join(dict.fromkeys(t.lower() for t in [*extra, *tags])) or None


def columns_from_ap(obj: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """The object to store (a venue Page is stored as its Place) and its typed columns.

    What cannot be parsed as an event, listing or venue is kept as a plain note-like object:
    the raw JSON is always stored, so nothing a peer sent is lost.
    """
    type_ = obj.get("type")
    try:
        if type_ == "Event":
            e = wire.event_from_ap(obj)
            return obj, {
                "kind": "event", "name": e.name, "start_time": e.start, "end_time": e.end, "timezone": e.timezone,
                **_place_columns(e.place), "category": e.category, "tags": _tags(e.tags, obj), "capacity": e.capacity,
                "join_mode": e.join_mode, "status": e.status, "url": e.url,
            }
        if type_ == "Place" or (type_ == "Page" and isinstance(obj.get("location"), dict)
                                and obj["location"].get("type") == "Place" and obj["location"].get("id")):
            place = obj if type_ == "Place" else obj["location"]
            v = wire.venue_from_ap(place if type_ == "Place" else obj)
            return place, {
                "kind": "venue", "name": v.name, "address": wire.address_text(v.address), "latitude": v.latitude,
                "longitude": v.longitude, "capacity": v.capacity, "amenities": " ".join(v.amenities) or None,
                "price_amount": v.price.amount if v.price else None, "currency": v.price.currency if v.price else None,
                "price_mode": "amount" if v.price else ("free" if v.free else "negotiable"),
                "tags": _tags(v.tags), "place_name": v.part_of, "url": v.url,
            }
        if type_ in ("Note", "Proposal"):
            listing = wire.listing_from_ap(obj)
            if listing is not None:
                return obj, {
                    "kind": "listing", "name": listing.title, "listing_kind": listing.kind, "purpose": listing.purpose,
                    "price_amount": listing.price.amount if listing.price else None,
                    "currency": listing.price.currency if listing.price else None, "price_mode": listing.price_mode,
                    "condition": listing.condition, "status": listing.status, "expires_at": listing.expires,
                    "tags": _tags(listing.tags), **_place_columns(listing.area), "url": listing.url,
                }
    except wire.ContentParseError:
        pass
    name = obj.get("name") if isinstance(obj.get("name"), str) else None
    return obj, {"kind": "note", "name": name, "url": wire.object_url(obj), "tags": _tags([], obj)}


async def store_remote_object(
    inst: Instance, author: Row[Any], obj: dict[str, Any], *, update_only: bool = False,
    conn: AsyncConnection | None = None, route: Sequence[str | None] = (), activity: dict[str, Any] | None = None,
) -> str:
    """Create or update a remote object. Only its author, on its own origin, may do either;
    an update applies only when it is newer than what we hold. Returns what happened.

    Its visibility comes from its addressing (the ``activity``'s when the object has none) and
    its community from ``actors.social.visibility.community_for`` (``route``: the announcer, sender or
    outbox owner that brought it, in that order); an update that finds no community keeps the
    one stored. In the caller's transaction when ``conn`` is given (the inbox stores and boosts in one),
    else in its own. Two deliveries of one new object at once never both insert: the loser's
    insert does nothing and it carries on as an update of the winner's row."""
    sent = obj  # a venue's Page: its addressing, audience and attribution are the Page's
    obj, columns = columns_from_ap(obj)
    uri = obj.get("id")
    if not isinstance(uri, str):
        raise OriginError("object without an id")
    if wire.safe_url(uri) is None:  # javascript://origin/… passes a host comparison
        raise OriginError(f"object id {uri[:80]!r} is not an http(s) URL")
    if _host(uri) != _host(author.uri):
        raise OriginError(f"{author.uri} cannot publish {uri}: another origin")
    # Same origin, not the same actor: Mobilizon attributes a group's event to the group while
    # a member's Person sends it. What matters for trust is the origin (as Mastodon checks).
    attributed = vocab.get_id(obj.get("attributedTo"))
    if attributed is not None and _host(attributed) != _host(author.uri):
        raise OriginError(f"{uri} is attributed to {attributed}, on another origin than {author.uri}")
    content, language = _content(obj)
    published = parse_time(obj.get("published")) or inst.clock()
    updated = parse_time(obj.get("updated"))
    values = {
        "type": str(obj.get("type"))[:32],
        "content": content,
        "language": language,
        "raw": orjson.dumps(obj).decode(),
        "updated": updated,
        **columns,
    }
    values["visibility"] = visibility_of(sent, activity)
    severity = await severity_for(inst, uri)
    async with joined(inst.engine, conn, write=True) as c:
        # Kept, off every public page; the version of a silenced domain's post a moderator
        # approved stays shown (an edit is another version).
        if severity == SUSPEND or (
                severity == SILENCE and not await vouched(c, uri, values["content"], values.get("name"))):
            values["visibility"] = withheld(values["visibility"])
        values["community_id"] = await community_for(c, sent, route)
        return await _store(c, author, uri, values, published, updated)


async def _store(
    conn: AsyncConnection, author: Row[Any], uri: str, values: dict[str, Any], published: datetime,
    updated: datetime | None,
) -> str:
    existing = select(objects.c.id, objects.c.actor_id, objects.c.updated, objects.c.deleted_at,
                      objects.c.reply_root_id).where(objects.c.uri == uri)
    row = (await conn.execute(existing)).first()
    if row is None:
        insert_ = pg_insert if conn.dialect.name == "postgresql" else sqlite_insert
        new_id = (
            await conn.execute(
                insert_(objects)
                .values(uri=uri, actor_id=author.id, local=False, published=published, **values)
                .on_conflict_do_nothing(index_elements=["uri"])
                .returning(objects.c.id)
            )
        ).scalar()
        if new_id is not None:
            await search.reindex(conn, object_id=new_id)
            return "stored"
        row = (await conn.execute(existing)).one()  # inserted meanwhile by another delivery
    if row.actor_id != author.id:
        raise OriginError(f"{uri} belongs to another actor")
    if row.deleted_at is not None:
        return "ignored: deleted before"
    if row.updated is not None and (updated is None or updated <= row.updated):
        return "ignored: not newer than the stored version"
    if values.get("community_id") is None or row.reply_root_id is not None:
        # Keep the stored community; a reply in a thread keeps having none (never an item).
        values = {k: v for k, v in values.items() if k != "community_id"}
    await conn.execute(update(objects).where(objects.c.id == row.id).values(**values))
    await search.reindex(conn, object_id=row.id)
    return "updated"


async def delete_remote_object(inst: Instance, author: Row[Any], uri: str) -> str:
    async with inst.engine.begin() as conn:
        row = (await conn.execute(select(objects.c.id, objects.c.actor_id).where(objects.c.uri == uri))).first()
        if row is None:
            return "ignored: unknown object"
        if row.actor_id != author.id:
            raise OriginError(f"{author.uri} cannot delete {uri}")
        await conn.execute(update(objects).where(objects.c.id == row.id).values(deleted_at=inst.clock()))
        await search.remove_object(conn, row.id)
        return "deleted"
