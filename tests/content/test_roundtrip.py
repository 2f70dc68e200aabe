"""Round trips of each kind through two of our instances, and Update/Delete propagation."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import select

from actors.publishing.publishing import delete_object, publish, update_object
from actors.storage.models import objects
from fedi import vocab
from tests.content.helpers import (
    AP,
    Pair,
    event_body,
    image_bytes,
    listing_body,
    object_row,
    venue_body,
)

EVENT_COLUMNS = ("kind", "name", "start_time", "end_time", "timezone", "place_name", "address", "latitude",
                 "longitude", "category", "tags", "capacity", "join_mode", "status", "url")
LISTING_COLUMNS = ("kind", "name", "listing_kind", "purpose", "price_amount", "currency", "price_mode",
                   "condition", "status", "expires_at", "tags", "place_name", "url")
VENUE_COLUMNS = ("kind", "name", "capacity", "amenities", "address", "latitude", "longitude", "price_amount",
                 "currency", "price_mode", "place_name", "url")


def _utc(value: datetime | None) -> datetime | None:
    if value is None:
        return None
    return (value if value.tzinfo else value.replace(tzinfo=UTC)).astimezone(UTC)


def _columns(row: Any, names: tuple[str, ...]) -> dict[str, Any]:
    out = {}
    for name in names:
        value = getattr(row, name)
        if isinstance(value, datetime):
            value = _utc(value)
        if isinstance(value, Decimal):
            value = value.quantize(Decimal("0.01"))
        out[name] = value
    return out


async def test_event_listing_and_venue_arrive_on_b_with_the_same_fields(pair: Pair) -> None:
    a, b = pair.a, pair.b
    cover = await pair.upload(image_bytes(), "A bike on a repair stand")
    photo = await pair.upload(image_bytes("PNG", (32, 32)), "")
    event = await publish(a.inst, "club", event_body(image={"media": cover, "alt": "A bike on a repair stand"}))
    listing = await publish(a.inst, "club", listing_body(images=[{"media": photo, "alt": "The bicycle"}]))
    venue = await publish(a.inst, "club", venue_body(images=[{"media": cover, "alt": "The hall"}]))
    assert (event.recipients, listing.recipients, venue.recipients) == (2, 2, 2)
    await pair.fed.drain()

    for published, names in ((event, EVENT_COLUMNS), (listing, LISTING_COLUMNS), (venue, VENUE_COLUMNS)):
        mine, theirs = await object_row(a, published.uri), await object_row(b, published.uri)
        assert theirs is not None, f"B did not store {published.kind} {published.uri}"
        assert theirs.local is False and theirs.deleted_at is None
        assert _columns(theirs, names) == _columns(mine, names), published.kind

    e = await object_row(b, event.uri)
    assert (e.kind, e.type, e.name, e.timezone) == ("event", "Event", "Bike repair workshop", "Asia/Shanghai")
    assert _utc(e.start_time) == datetime(2030, 5, 4, 6, 0, tzinfo=UTC)  # 14:00 in Shanghai
    assert _utc(e.end_time) == datetime(2030, 5, 4, 9, 0, tzinfo=UTC)
    assert (e.place_name, e.address, e.latitude, e.longitude) == ("银湖图书馆", "银湖路 1 号", 30.2512, 120.1034)
    assert (e.category, e.capacity, e.join_mode, e.status) == ("WORKSHOPS_SKILL_SHARING", 20, "free", "scheduled")
    assert set(e.tags.split()) == {"bikes", "repair", "cycling"}  # the description's #cycling too
    assert "Bring your bike" in e.content

    li = await object_row(b, listing.uri)
    assert (li.kind, li.type, li.name, li.listing_kind, li.purpose) == ("listing", "Note", "Child's bicycle", "goods", "offer")
    assert (Decimal(li.price_amount), li.currency, li.price_mode) == (Decimal("120.00"), "CNY", "amount")
    assert (li.condition, li.status, li.place_name) == ("good", "reserved", "银湖花园")
    assert _utc(li.expires_at) == datetime(2030, 6, 1, 4, 0, tzinfo=UTC)
    assert "kids" in li.tags.split()

    v = await object_row(b, venue.uri)
    assert venue.uri.startswith("http://a.test/o/") and not venue.uri.endswith("/announce")
    assert (v.kind, v.type, v.name, v.capacity) == ("venue", "Place", "Community hall", 40)
    assert (v.address, v.latitude, v.longitude) == ("银湖路 5 号", 30.2601, 120.1102)
    assert set(v.amenities.split()) == {"projector", "kitchen", "wifi"}
    assert (Decimal(v.price_amount), v.currency, v.price_mode, v.place_name) == (Decimal("50.00"), "CNY", "amount", "银湖花园")
    async with b.inst.engine.connect() as conn:
        uris = {r.uri for r in await conn.execute(select(objects.c.uri))}
    assert f"{venue.uri}/announce" not in uris  # the Page is how it was announced, not what is stored


async def test_update_propagates_only_when_newer_and_delete_tombstones(pair: Pair) -> None:
    a, b = pair.a, pair.b
    published = await publish(a.inst, "club", event_body())
    await pair.fed.drain()
    before = await object_row(b, published.uri)
    assert before.name == "Bike repair workshop"

    a.clock.advance(timedelta(minutes=5))
    await update_object(a.inst, published.uri, event_body(title="Bike repair workshop (moved)", capacity=30))
    await pair.fed.drain()
    after = await object_row(b, published.uri)
    assert (after.name, after.capacity) == ("Bike repair workshop (moved)", 30)
    assert after.updated is not None
    assert before.updated is None or _utc(after.updated) > _utc(before.updated)
    [update] = pair.remote.of_type("Update")
    assert update.activity["object"]["updated"] == vocab.isoformat(_utc(after.updated))

    # An Update from A's community that is not newer than what B holds is ignored (G8).
    stale_obj = dict(update.activity["object"], name="Stale title")
    await _send_from_community(pair, "Update", stale_obj)
    same_obj = dict(update.activity["object"], name="Same time, other title")
    await _send_from_community(pair, "Update", same_obj)
    await pair.fed.drain()
    assert (await object_row(b, published.uri)).name == "Bike repair workshop (moved)"

    # A newer one sent the same way is applied (so the two above were refused for their age).
    newer = dict(update.activity["object"], name="Newest title",
                 updated=vocab.isoformat(_utc(after.updated) + timedelta(minutes=1)))
    await _send_from_community(pair, "Update", newer)
    await pair.fed.drain()
    assert (await object_row(b, published.uri)).name == "Newest title"


async def _send_from_community(pair: Pair, type_: str, obj: dict[str, Any]) -> None:
    """A signed activity from A's community to B's shared inbox, through A's delivery queue."""
    from actors.queues.sending import emit, new_activity
    from actors.social.local import get_local_actor

    inst = pair.a.inst
    async with inst.engine.begin() as conn:
        club = await get_local_actor(conn, "club")
        doc = new_activity(inst, type_, club, obj, to=[vocab.PUBLIC], cc=[f"{club.uri}/followers"])
        await emit(inst, conn, club, doc, [pair.b.url("/inbox")])


async def test_update_of_an_object_from_another_host_is_refused(pair: Pair) -> None:
    a, b = pair.a, pair.b
    published = await publish(a.inst, "club", event_body())
    await pair.fed.drain()
    original = await object_row(b, published.uri)
    mallory = pair.remote.add_user("mallory")
    hijack = dict(original_ap := (await pair.fed.client.get(published.uri, headers=AP)).json())
    hijack.pop("@context")
    hijack.update(name="Free bikes for everyone", updated=vocab.isoformat(datetime.now(UTC) + timedelta(days=1)))
    for target in (b, a):
        update = {"@context": vocab.CONTEXT, "id": mallory.new_id(), "type": "Update", "actor": mallory.uri,
                  "object": hijack}
        assert (await pair.remote.send(mallory, update, target.url("/inbox"))).status_code == 202
        # The same with attributedTo rewritten to the sender does not help either.
        forged = dict(hijack, attributedTo=mallory.uri)
        update = dict(update, id=mallory.new_id(), object=forged)
        assert (await pair.remote.send(mallory, update, target.url("/inbox"))).status_code == 202
    await pair.fed.drain()
    assert original_ap["name"] == "Bike repair workshop"
    on_b = await object_row(b, published.uri)
    assert (on_b.name, on_b.updated, on_b.raw) == (original.name, original.updated, original.raw)
    on_a = await object_row(a, published.uri)
    assert on_a.name == "Bike repair workshop" and on_a.local is True
    assert (await pair.fed.client.get(published.uri, headers=AP)).json()["name"] == "Bike repair workshop"


async def test_delete_propagates_and_the_url_answers_410(pair: Pair) -> None:
    a, b = pair.a, pair.b
    published = await publish(a.inst, "club", listing_body())
    await pair.fed.drain()
    assert (await object_row(b, published.uri)).deleted_at is None
    await delete_object(a.inst, published.uri)
    await pair.fed.drain()
    assert (await object_row(b, published.uri)).deleted_at is not None
    gone = await pair.fed.client.get(published.uri, headers=AP)
    assert gone.status_code == 410
    assert gone.json()["type"] == "Tombstone" and gone.json()["id"] == published.uri
    [delete] = pair.remote.of_type("Delete")
    assert vocab.get_id(delete.activity["object"]) == published.uri
