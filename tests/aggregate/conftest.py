"""Three in-process instances for the shared feed: community instances A and B, aggregator C.

A hosts ``club`` and ``market``, B hosts ``makers`` and ``hall``; C's feed actor ``@yinhu``
follows them. ``Net.follow_all()`` follows every community from C and drains.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select

from actors.feed.aggregate import follow_many, subscriptions
from actors.publishing.publishing import Published, publish
from actors.social.local import create_community
from actors.storage.models import inbox_items, objects
from fedi import vocab
from tests.aggregate.fakes import OutboxRemote
from tests.conftest import Fediverse, Node
from tests.fakes.remote import FakeUser

AP = {"Accept": "application/activity+json"}
HANDLES = ["@club@a.test", "@market@a.test", "@makers@b.test", "@hall@b.test"]


def event_body(title: str = "Bike repair workshop", **over: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "type": "event", "title": title, "content": "Bring your bike. #cycling",
        "start": "2030-05-04T14:00", "end": "2030-05-04T17:00", "timezone": "Asia/Shanghai",
        "place": {"name": "银湖图书馆", "address": "银湖路 1 号", "latitude": 30.2512, "longitude": 120.1034},
        "tags": ["bikes"], "capacity": 20, "join_mode": "free", "status": "scheduled", "language": "en",
    }
    body.update(over)
    return body


def listing_body(title: str = "Child's bicycle", **over: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "type": "listing", "kind": "goods", "purpose": "offer", "title": title,
        "content": "Barely used.", "price": {"amount": "120", "currency": "CNY"},
        "condition": "good", "area": "银湖花园", "status": "available", "expires": "2030-06-01T12:00",
        "language": "en",
    }
    body.update(over)
    return body


def venue_body(name: str = "Community hall", **over: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "type": "venue", "name": name, "content": "The hall on the ground floor.",
        "address": "银湖路 5 号", "latitude": 30.2601, "longitude": 120.1102, "capacity": 40,
        "amenities": ["projector", "wifi"], "bookable": True, "price": {"amount": "50", "currency": "CNY"},
        "language": "en",
    }
    body.update(over)
    return body


@dataclass
class Net:
    fed: Fediverse
    a: Node
    b: Node
    c: Node

    async def publish(self, node: Node, slug: str, body: dict[str, Any]) -> Published:
        node.clock.advance(timedelta(minutes=1))  # distinct `published` times, newest last
        return await publish(node.inst, slug, body)

    async def follow_all(self, handles: list[str] | None = None) -> None:
        results = await follow_many(self.c.inst, handles or HANDLES)
        assert [r.state for r in results] == ["pending"] * len(results), results
        await self.settle()

    async def settle(self) -> None:
        """Drain, then once more after the first retry delay: concurrent first deliveries from
        a peer whose key is not known yet can get one 401 (a federation-core race, retried)."""
        await self.fed.drain()
        for node in self.fed.nodes:
            node.clock.advance(timedelta(minutes=2))
        await self.fed.drain()

    async def row(self, uri: str, node: Node | None = None) -> Any:
        async with (node or self.c).inst.engine.connect() as conn:
            return (await conn.execute(select(objects).where(objects.c.uri == uri))).first()

    async def uris(self, node: Node | None = None) -> set[str]:
        async with (node or self.c).inst.engine.connect() as conn:
            rows = await conn.execute(select(objects.c.uri).where(objects.c.deleted_at.is_(None)))
            return {r.uri for r in rows}

    async def inbox_results(self, activity_type: str, node: Node | None = None) -> list[tuple[str, str]]:
        async with (node or self.c).inst.engine.connect() as conn:
            rows = await conn.execute(
                select(inbox_items.c.state, inbox_items.c.result)
                .where(inbox_items.c.activity_type == activity_type)
                .order_by(inbox_items.c.id)
            )
            return [(r.state, r.result or "") for r in rows]


async def followed_group(net: Net, domain: str = "mobi.test", name: str = "group") -> tuple[OutboxRemote, FakeUser]:
    """A fake remote Group ``name`` on ``domain`` with an (empty) outbox, followed by Yinhu and accepted."""
    remote = OutboxRemote(domain, net.fed.client, net.fed.router)
    net.fed.remotes.append(remote)
    group = remote.add_user(name)
    remote.groups.add(name)
    remote.outboxes[name] = []
    await follow_many(net.c.inst, [group.handle])
    await net.fed.drain()
    [follow] = remote.of_type("Follow")
    accept = {"@context": vocab.AS_CONTEXT, "id": group.new_id(), "type": "Accept", "actor": group.uri,
              "object": follow.activity}
    assert (await remote.send(group, accept, net.c.url("/inbox"))).status_code == 202
    await net.fed.drain()
    assert [s.state for s in await subscriptions(net.c.inst) if s.uri == group.uri] == ["accepted"]
    return remote, group


@pytest.fixture
async def net(fed: Fediverse) -> Net:
    a = await fed.yinhu("a.test")
    b = await fed.yinhu("b.test")
    c = await fed.yinhu("c.test")
    for node, slug, name in ((a, "club", "银湖读书会"), (a, "market", "二手市场"), (b, "makers", "创客空间"),
                             (b, "hall", "银湖花园")):
        await create_community(node.inst, slug, name=name)
    return Net(fed, a, b, c)
