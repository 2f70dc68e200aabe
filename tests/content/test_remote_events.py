"""Events shaped the way Mobilizon and Gancio send them, from fake remote servers."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from actors.social.follows import follow_remote, list_following
from actors.storage.models import inbox_items
from fedi import vocab
from tests.conftest import Fediverse, Node
from tests.content.helpers import object_row
from tests.fakes.remote import FakeRemote, FakeUser

FIXTURES = Path(__file__).resolve().parents[1] / "fedi" / "fixtures"


def _utc(value: datetime | None) -> datetime | None:
    return None if value is None else (value if value.tzinfo else value.replace(tzinfo=UTC)).astimezone(UTC)


def load(name: str, origin: str, host: str) -> dict[str, Any]:
    """A fixture with its ids and actors moved from ``origin`` to the fake server ``host``."""
    text = (FIXTURES / name).read_text(encoding="utf-8").replace(origin, f"http://{host}")
    return json.loads(text)


async def _followed_by_b(fed: Fediverse, b: Node, remote: FakeRemote, sender: FakeUser) -> None:
    """B's feed actor follows the remote organiser and the remote accepts (Creates are kept only
    from actors someone here follows)."""
    await follow_remote(b.inst, "yinhu", sender.uri)
    await fed.drain()
    [follow] = remote.of_type("Follow")
    accept = {"@context": vocab.AS_CONTEXT, "id": sender.new_id(), "type": "Accept", "actor": sender.uri,
              "object": follow.activity}
    assert (await remote.send(sender, accept, b.url("/c/yinhu/inbox"))).status_code == 202
    await fed.drain()
    assert [(f.uri, f.state) for f in await list_following(b.inst, "yinhu")] == [(sender.uri, "accepted")]


async def _inbox_results(node: Node) -> list[tuple[str, str, str | None]]:
    async with node.inst.engine.connect() as conn:
        return [tuple(r) for r in await conn.execute(
            select(inbox_items.c.activity_type, inbox_items.c.state, inbox_items.c.result))]


CASES = {
    "mobilizon": dict(  # noqa: C408  (keyword style reads better here)
        fixture="mobilizon_event.json", origin="https://mobilizon.example.fr", host="mobi.test",
        name="Atelier de réparation de vélos", start=datetime(2025, 12, 6, 13, 0, tzinfo=UTC),
        end=datetime(2025, 12, 6, 16, 0, tzinfo=UTC), timezone="Europe/Paris", place="Maison du Vélo",
        address="12 rue des Cycles", lat=45.7676, lon=4.8344, category="WORKSHOPS_SKILL_SHARING",
        capacity=20, join_mode="restricted",
    ),
    "gancio": dict(  # noqa: C408
        fixture="gancio_event.json", origin="https://gancio.example.it", host="gancio.test",
        name="Concerto jazz al circolo", start=datetime(2025, 12, 12, 20, 0, tzinfo=UTC),
        end=datetime(2025, 12, 12, 22, 30, tzinfo=UTC), timezone=None, place="Circolo Arci Brecht",
        address="Via Roma 12, Bologna", lat=44.4949, lon=11.3426, category=None, capacity=None, join_mode=None,
    ),
}


@pytest.mark.parametrize("case", sorted(CASES))
async def test_remote_event_is_stored_with_time_and_place(fed: Fediverse, case: str) -> None:
    c = CASES[case]
    b = await fed.yinhu("b.test")
    remote = fed.remote(c["host"])
    sender = remote.add_user("organiser")
    await _followed_by_b(fed, b, remote, sender)
    event = load(c["fixture"], c["origin"], c["host"])
    event.pop("@context")
    context = load(c["fixture"], c["origin"], c["host"])["@context"]
    create = {"@context": context, "id": sender.new_id(), "type": "Create", "actor": sender.uri,
              "to": [vocab.PUBLIC], "object": event}
    assert (await remote.send(sender, create, b.url("/inbox"))).status_code == 202
    await fed.drain()

    row = await object_row(b, event["id"])
    assert row is not None, f"the event was not stored: {await _inbox_results(b)}"
    assert (row.kind, row.type, row.local, row.name) == ("event", "Event", False, c["name"])
    assert (_utc(row.start_time), _utc(row.end_time)) == (c["start"], c["end"])
    if c["timezone"]:
        assert row.timezone == c["timezone"]
    else:
        assert row.timezone  # derived from the offset
    assert row.place_name == c["place"]
    assert c["address"] in (row.address or "")
    assert (row.latitude, row.longitude) == (c["lat"], c["lon"])
    assert row.category == c["category"]
    assert row.capacity == c["capacity"]
    if c["join_mode"]:
        assert row.join_mode == c["join_mode"]
    assert row.url == event["url"]
    assert "<p>" in row.content

    # A newer Update from the same origin replaces it; then a Delete tombstones it.
    changed = dict(event, name=f"{c['name']} (nouveau)", updated="2026-01-01T00:00:00Z")
    update = {"@context": context, "id": sender.new_id(), "type": "Update", "actor": sender.uri, "object": changed}
    assert (await remote.send(sender, update, b.url("/inbox"))).status_code == 202
    await fed.drain()
    assert (await object_row(b, event["id"])).name == f"{c['name']} (nouveau)"
    delete = {"@context": vocab.AS_CONTEXT, "id": sender.new_id(), "type": "Delete", "actor": sender.uri,
              "object": {"id": event["id"], "type": "Tombstone"}}
    assert (await remote.send(sender, delete, b.url("/inbox"))).status_code == 202
    await fed.drain()
    assert (await object_row(b, event["id"])).deleted_at is not None


async def test_event_from_another_origin_is_not_stored(fed: Fediverse) -> None:
    b = await fed.yinhu("b.test")
    remote = fed.remote("evil.test")
    sender = remote.add_user("mallory")
    await _followed_by_b(fed, b, remote, sender)
    event = load("mobilizon_event.json", "https://mobilizon.example.fr", "mobi.test")
    event.pop("@context")
    create = {"@context": vocab.AS_CONTEXT, "id": sender.new_id(), "type": "Create", "actor": sender.uri,
              "object": event}
    assert (await remote.send(sender, create, b.url("/inbox"))).status_code == 202
    await fed.drain()
    assert await object_row(b, event["id"]) is None
