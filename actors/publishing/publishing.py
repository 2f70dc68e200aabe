"""Publishing: one code path for the web form, the JSON API and the CLI.

A body (note, event, listing or venue; see ``actors.publishing.validation``) is validated, stored as an
object with typed columns for querying, wrapped in a ``Create`` addressed ``to`` Public and
``cc`` the followers, and queued for every follower's inbox (shared inboxes first, each once),
all in one transaction: either everything is recorded or nothing is. ``update_object`` and
``delete_object`` follow the same path with ``Update`` (a strictly newer ``updated``) and
``Delete`` (the URL then answers 410 with a Tombstone).
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

import orjson
from sqlalchemy import insert, select, update
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncConnection

from actors.feed import search
from actors.feed.aggregate import boost
from actors.publishing.validation import ContentError, ImageRef, Place, Price, validate
from actors.queues.delivery import follower_inboxes
from actors.queues.sending import emit, new_activity
from actors.social.event_updates import accepted_count
from actors.social.local import CommunityError, get_local_actor
from actors.social.visibility import PUBLIC
from actors.storage.instance import Instance, new_token
from actors.storage.models import actors, media, objects
from actors.storage.text import HASHTAG_RE, extract_hashtags, render_markdown
from fedi import content as wire
from fedi import vocab
from fedi.problems import problem

__all__ = [
    "KIND_OF_TYPE",
    "ContentError",
    "Credit",
    "Published",
    "announce_page_to_ap",
    "delete_object",
    "object_to_ap",
    "publish",
    "update_object",
]

# What a stored local object's ActivityStreams type says about its kind.
KIND_OF_TYPE = {"Event": "event", "Place": "venue"}
DAY_NAMES = {
    "mo": "Monday", "tu": "Tuesday", "we": "Wednesday", "th": "Thursday",
    "fr": "Friday", "sa": "Saturday", "su": "Sunday",
}


@dataclass(frozen=True)
class Credit:
    """Whom a community's object credits (a member's approved submission): a Mention tag, and
    the member in ``cc`` and among the recipients, so their server tells them."""

    uri: str
    handle: str
    inbox: str | None


@dataclass(frozen=True)
class Published:
    uri: str
    activity_uri: str
    recipients: int
    kind: str = "note"


def _tag_href(inst: Instance) -> Any:
    return lambda tag: f"{inst.base}{wire.tag_path(tag)}"  # /tags/NAME answers on every instance


def _tag_html(base: str, tag: str) -> str:
    href = html.escape(f"{base}{wire.tag_path(tag)}", quote=True)
    return f'<a href="{href}" class="mention hashtag" rel="tag">#<span>{html.escape(tag)}</span></a>'


_SKIP_RE = re.compile(r"(<a\b.*?</a>|<code\b.*?</code>|<pre\b.*?</pre>|<[^>]+>)", re.DOTALL)


def linkify_hashtags(base: str, content_html: str) -> str:
    """Turn ``#tag`` in text (not inside links, code or tags) into Mastodon-style hashtag links."""
    parts = _SKIP_RE.split(content_html)
    for i in range(0, len(parts), 2):
        parts[i] = HASHTAG_RE.sub(lambda m: _tag_html(base, m.group(1)), parts[i])
    return "".join(parts)


async def _images(conn: AsyncConnection, actor_id: int, refs: list[ImageRef], key: str) -> list[wire.ImageData]:
    if not refs:
        return []
    rows = {
        r.token: r
        for r in await conn.execute(
            select(media).where(media.c.token.in_([r.media for r in refs]), media.c.actor_id == actor_id)
        )
    }
    images = []
    for ref in refs:
        row = rows.get(ref.media)
        if row is None:
            raise ContentError({key: problem("no_image", value=ref.media)})
        ext = row.path.rsplit(".", 1)[-1]
        images.append(
            wire.ImageData(url=f"{{base}}/media/{row.token}.{ext}", media_type=row.media_type,
                           alt=ref.alt or row.alt or None, width=row.width, height=row.height)
        )
    return images


def _with_base(images: list[wire.ImageData], base: str) -> list[wire.ImageData]:
    return [replace(i, url=i.url.replace("{base}", base)) for i in images]


def _place(p: Place | None) -> wire.PlaceData | None:
    if p is None:
        return None
    return wire.PlaceData(name=p.name or p.address or "", address=p.address, latitude=p.latitude, longitude=p.longitude)


def _price(p: Price | None) -> tuple[wire.PriceData | None, str]:
    if p is None:
        return None, "negotiable"
    if p.mode == "amount" and p.amount is not None:
        return wire.PriceData(p.amount, p.currency or "CNY"), "amount"
    return None, p.mode


def _opening_hours(value: Any) -> list[wire.OpeningHours] | str:
    if value is None:
        return []
    if isinstance(value, str):
        return value.strip()
    hours = []
    for item in value:
        days = [DAY_NAMES.get(str(d).lower()[:2], str(d)) for d in item.get("days", [])]
        hours.append(wire.OpeningHours(days=days, opens=str(item.get("opens")), closes=str(item.get("closes"))))
    return hours


def _content_html(inst: Instance, source: str) -> str:
    return linkify_hashtags(inst.base, render_markdown(source)) if source else ""


@dataclass(frozen=True)
class Built:
    obj: dict[str, Any]  # the object served at its id (raw column)
    columns: dict[str, Any]  # typed columns
    announce: dict[str, Any]  # what Create/Update carries (a venue's Page, else the object)


@dataclass(frozen=True)
class _Base:
    """What every kind's builder shares: ids, audience, rendered body and common columns."""

    uri: str
    actor_uri: str
    followers: str
    href: Callable[[str], str]
    body_html: str
    common: dict[str, Any]
    published: datetime
    updated: datetime | None
    participant_count: int


def _build(
    inst: Instance, kind: str, data: dict[str, Any], images: list[wire.ImageData], *, uri: str,
    actor_uri: str, published: datetime, updated: datetime | None, participant_count: int = 0,
) -> Built:
    body_html = _content_html(inst, data.get("content") or "")
    base = _Base(
        uri=uri, actor_uri=actor_uri, followers=f"{actor_uri}/followers", href=_tag_href(inst),
        body_html=body_html, published=published, updated=updated, participant_count=participant_count,
        common={"kind": kind, "url": uri, "language": data.get("language"), "content": body_html},
    )
    tags = list(data.get("tags") or [])
    if kind != "note":
        # Hashtags written in the description are linked in it; they belong in ``tag`` too, or
        # Mastodon shows a link that no hashtag timeline knows about.
        tags = list(dict.fromkeys([*tags, *(t.lower() for t in extract_hashtags(data.get("content") or ""))]))
    builder = {"note": _build_note, "event": _build_event, "listing": _build_listing}.get(kind, _build_venue)
    built = builder(base, data, images, tags)
    # Where its public replies are listed (web.conversations), in what followers get too: an
    # aggregator (actors.feed.remote_replies) and Mastodon read replies from there.
    built.obj["replies"] = f"{uri}/replies"
    return built


def _build_note(b: _Base, data: dict[str, Any], images: list[wire.ImageData], tags: list[str]) -> Built:
    uri, actor_uri, followers, href, body_html = b.uri, b.actor_uri, b.followers, b.href, b.body_html
    common, published, updated = b.common, b.published, b.updated
    tags = list(dict.fromkeys([*extract_hashtags(data["content"]), *tags]))
    obj = vocab.note(
        object_id=uri, actor_id=actor_uri, content_html=body_html, language=data["language"], url=uri,
        published=published, updated=updated, to=[vocab.PUBLIC], cc=[followers],
        tags=[{"type": "Hashtag", "name": f"#{t}", "href": href(t)} for t in tags],
        attachments=[{"type": "Image", "mediaType": i.media_type, "url": i.url, "name": i.alt or ""} for i in images],
    )
    return Built(obj, {**common, "name": None, "tags": " ".join(t.lower() for t in tags) or None}, obj)


def _build_event(b: _Base, data: dict[str, Any], images: list[wire.ImageData], tags: list[str]) -> Built:
    uri, actor_uri, followers, href, body_html = b.uri, b.actor_uri, b.followers, b.href, b.body_html
    common, published, updated = b.common, b.published, b.updated
    participant_count = b.participant_count
    place = _place(data["place"])
    event = wire.EventData(
        id=uri, url=uri, actor_id=actor_uri, name=data["title"], content_html=body_html, summary=None,
        start=data["start"], end=data["end"], timezone=data["timezone"], place=place,
        online_url=data["online_url"], category=data["category"], tags=tags, capacity=data["capacity"],
        participant_count=participant_count, join_mode=data["join_mode"] or "free",
        external_participation_url=data["external_url"], status=data["status"] or "scheduled",
        image=images[0] if images else None, language=data["language"], published=published, updated=updated,
    )
    obj = wire.event_to_ap(event, followers=followers, tag_href=href)
    obj.pop("@context", None)
    cols = {
        **common, "name": data["title"], "start_time": data["start"], "end_time": data["end"],
        "timezone": data["timezone"], "place_name": data["place"].name if data["place"] else None,
        "address": place.address if place else None, "latitude": place.latitude if place else None,
        "longitude": place.longitude if place else None, "category": data["category"],
        "tags": " ".join(tags) or None, "capacity": data["capacity"], "join_mode": data["join_mode"],
        "status": data["status"],
    }
    return Built(obj, cols, obj)


def _build_listing(b: _Base, data: dict[str, Any], images: list[wire.ImageData], tags: list[str]) -> Built:
    uri, actor_uri, followers, href, body_html = b.uri, b.actor_uri, b.followers, b.href, b.body_html
    common, published, updated = b.common, b.published, b.updated
    price, mode = _price(data["price"])
    area = data["area"]
    area_wire: wire.PlaceData | str | None = (
        area.name if area is not None and area.latitude is None and not area.address else _place(area)
    )
    listing = wire.ListingData(
        id=uri, url=uri, actor_id=actor_uri, kind=data["kind"], purpose=data["purpose"], title=data["title"],
        content_html=body_html, price=price, price_mode=mode, condition=data["condition"], area=area_wire,
        status=data["status"], expires=data["expires"], images=images, tags=tags, language=data["language"],
        published=published, updated=updated, contact=data.get("contact"),
    )
    obj = wire.listing_to_ap(listing, followers=followers, tag_href=href)
    obj.pop("@context", None)
    cols = {
        **common, "name": data["title"], "listing_kind": data["kind"], "purpose": data["purpose"],
        "price_amount": price.amount if price else None, "currency": price.currency if price else None,
        "price_mode": mode, "condition": data["condition"], "status": data["status"],
        # The author's own tags only: the automatic ones (二手, 闲置 on every goods offer) are
        # sent to Mastodon readers but are not the item's, so tag=二手 finds what is second-hand.
        "expires_at": data["expires"], "tags": " ".join(t.lower() for t in listing.tags) or None,
        "place_name": area.name if area else None, "address": area.address if area else None,
        "latitude": area.latitude if area else None, "longitude": area.longitude if area else None,
    }
    return Built(obj, cols, obj)


def _build_venue(b: _Base, data: dict[str, Any], images: list[wire.ImageData], tags: list[str]) -> Built:
    uri, actor_uri, followers, href, body_html = b.uri, b.actor_uri, b.followers, b.href, b.body_html
    common, published, updated = b.common, b.published, b.updated
    price, mode = _price(data["price"])
    venue = wire.VenueData(
        id=uri, url=uri, actor_id=actor_uri, name=data["name"], content_html=body_html, address=data["address"],
        latitude=data["latitude"], longitude=data["longitude"], capacity=data["capacity"],
        amenities=data["amenities"], opening_hours=_opening_hours(data["opening_hours"]),
        bookable=data["bookable"], contact=data["contact"], price=price, free=mode == "free",
        part_of=data["part_of"], images=images, language=data["language"], published=published,
        updated=updated, tags=tags,
    )
    obj = wire.venue_to_ap(venue)
    obj.pop("@context", None)
    page = wire.venue_announcement_page(venue, page_id=f"{uri}/announce", followers=followers, tag_href=href)
    page.pop("@context", None)
    cols = {
        **common, "name": data["name"], "address": data["address"], "latitude": data["latitude"],
        "longitude": data["longitude"], "capacity": data["capacity"],
        "amenities": " ".join(data["amenities"]) or None, "price_amount": price.amount if price else None,
        "currency": price.currency if price else None, "price_mode": mode, "tags": " ".join(tags) or None,
        "place_name": data["part_of"],
    }
    return Built(obj, cols, page)


def _image_refs(kind: str, data: dict[str, Any]) -> tuple[list[ImageRef], str]:
    if kind == "event":
        return ([data["image"]] if data.get("image") else []), "image"
    return list(data.get("images") or []), "images"


async def _community(conn: AsyncConnection, slug: str) -> Row[Any]:
    community = await get_local_actor(conn, slug)
    if community is None or community.type != "Group":
        raise CommunityError(f"no community {slug!r} on this instance")
    return community


def _credited(built: Built, credit: Credit | None) -> list[str]:
    """Mention the credited member on what is sent; returns their inbox to add."""
    if credit is None:
        return []
    for doc in {id(built.obj): built.obj, id(built.announce): built.announce}.values():
        doc["tag"] = [*vocab.as_list(doc.get("tag")), {"type": "Mention", "href": credit.uri, "name": credit.handle}]
        doc["cc"] = [*vocab.as_list(doc.get("cc")), credit.uri]
    return [credit.inbox] if credit.inbox else []


async def publish(inst: Instance, slug: str, body: Any, *, credit: Credit | None = None) -> Published:
    now = inst.clock()
    kind, data = validate(body, now)
    uri = inst.object_uri(new_token())
    async with inst.engine.begin() as conn:
        community = await _community(conn, slug)
        refs, key = _image_refs(kind, data)
        images = _with_base(await _images(conn, community.id, refs, key), inst.base)
        built = _build(inst, kind, data, images, uri=uri, actor_uri=community.uri, published=now, updated=None)
        credited = _credited(built, credit)
        await conn.execute(
            insert(objects).values(
                uri=uri, actor_id=community.id, local=True, type=built.obj["type"], source=data.get("content"),
                raw=orjson.dumps(built.obj).decode(), published=now, visibility=PUBLIC, community_id=community.id,
                **built.columns,
            )
        )
        await search.reindex(conn, uri=uri)
        followers_url = f"{community.uri}/followers"
        create = new_activity(inst, "Create", community, built.announce, to=[vocab.PUBLIC],
                              cc=[followers_url] + ([credit.uri] if credit else []), published=now)
        inboxes = list(dict.fromkeys([*await follower_inboxes(conn, community.id), *credited]))
        await emit(inst, conn, community, create, inboxes, public=True)
        # The instance's feed actor boosts its own communities' events, listings and venues
        # too, so one follow of @yinhu@host shows everything published here.
        await boost(inst, f"{uri}/announce" if kind == "venue" else uri, kind, conn=conn)
    return Published(uri, create["id"], len(inboxes), kind)


async def _local_object(conn: AsyncConnection, uri: str) -> tuple[Row[Any], Row[Any]]:
    row = (await conn.execute(select(objects).where(objects.c.uri == uri, objects.c.local.is_(True)))).first()
    if row is None or row.deleted_at is not None:
        raise ContentError({"url": problem("no_object", value=uri)})
    owner = (await conn.execute(select(actors).where(actors.c.id == row.actor_id))).one()
    return row, owner


async def update_object(inst: Instance, uri: str, body: Any) -> Published:
    """Replace an object's content; followers get an Update with a strictly newer ``updated``."""
    now = inst.clock()
    kind, data = validate(body, now)
    async with inst.engine.begin() as conn:
        row, owner = await _local_object(conn, uri)
        if (row.kind or "note") != kind:
            raise ContentError({"type": problem("kind_change", was=row.kind or "note", kind=kind)})
        previous = row.updated or row.published
        updated = now if now > previous else previous + timedelta(seconds=1)
        refs, key = _image_refs(kind, data)
        images = _with_base(await _images(conn, owner.id, refs, key), inst.base)
        built = _build(
            inst, kind, data, images, uri=uri, actor_uri=owner.uri, published=row.published, updated=updated,
            participant_count=await accepted_count(conn, row.id),
        )
        await conn.execute(
            update(objects).where(objects.c.id == row.id).values(
                source=data.get("content"), raw=orjson.dumps(built.obj).decode(), updated=updated, **built.columns
            )
        )
        await search.reindex(conn, object_id=row.id)
        followers_url = f"{owner.uri}/followers"
        doc = new_activity(inst, "Update", owner, built.announce, to=[vocab.PUBLIC], cc=[followers_url], published=updated)
        inboxes = await follower_inboxes(conn, owner.id)
        await emit(inst, conn, owner, doc, inboxes, public=True)
    return Published(uri, doc["id"], len(inboxes), kind)


async def delete_object(inst: Instance, uri: str) -> Published:
    """Delete a local object: tombstone it (its URL answers 410) and tell the followers."""
    now = inst.clock()
    async with inst.engine.begin() as conn:
        row, owner = await _local_object(conn, uri)
        await conn.execute(update(objects).where(objects.c.id == row.id).values(deleted_at=now))
        await search.remove_object(conn, row.id)
        followers_url = f"{owner.uri}/followers"
        doc = new_activity(
            inst, "Delete", owner, {"id": uri, "type": "Tombstone", "formerType": row.type},
            to=[vocab.PUBLIC], cc=[followers_url],
        )
        inboxes = await follower_inboxes(conn, owner.id)
        await emit(inst, conn, owner, doc, inboxes, public=False)
    return Published(uri, doc["id"], len(inboxes), row.kind or "note")


async def pin_notice(inst: Instance, uri: str, *, pinned: bool = True) -> str:
    """Pin a community's notice to the top of its notices (the one it had pinned is unpinned),
    or unpin it; returns the community's slug. Only notices (notes) can be pinned."""
    async with inst.engine.begin() as conn:
        row, owner = await _local_object(conn, uri)
        if (row.kind or "note") != "note":
            raise ContentError({"url": problem("pin_notice")})
        if pinned:
            await conn.execute(update(objects).where(objects.c.actor_id == owner.id, objects.c.pinned_at.is_not(None))
                               .values(pinned_at=None))
        await conn.execute(update(objects).where(objects.c.id == row.id).values(pinned_at=inst.clock() if pinned else None))
    return str(owner.username)


async def object_to_ap(inst: Instance, conn: AsyncConnection, row: Row[Any]) -> dict[str, Any]:
    """A local object as served at its id: events carry their current participant count."""
    doc: dict[str, Any] = orjson.loads(row.raw)
    doc["replies"] = f"{row.uri}/replies"  # web.conversations serves the public replies
    if row.kind == "event":
        count = await accepted_count(conn, row.id)
        doc["participantCount"] = count
        if row.capacity is not None:
            doc["remainingAttendeeCapacity"] = max(row.capacity - count, 0)
    return {"@context": vocab.CONTEXT, **doc}


def announce_page_to_ap(inst: Instance, row: Row[Any]) -> dict[str, Any]:
    """The Page that announced a venue, rebuilt from the stored Place (served at ``{id}/announce``)."""
    venue = wire.venue_from_ap(orjson.loads(row.raw))
    owner_followers = f"{venue.actor_id}/followers"
    return wire.venue_announcement_page(venue, page_id=f"{row.uri}/announce", followers=owner_followers, tag_href=_tag_href(inst))
