"""A community on a.test with followers on other servers, and what the moderation tests check."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from actors.storage.models import deliveries, follows, inbox_items, moderation_log
from tests.conftest import Node
from tests.fakes.remote import FakeRemote


async def delivery_hosts(node: Node) -> set[str]:
    async with node.inst.engine.connect() as conn:
        return {r.host for r in await conn.execute(select(deliveries.c.host))}


async def follow_states(node: Node) -> list[str]:
    async with node.inst.engine.connect() as conn:
        return [r.state for r in await conn.execute(select(follows.c.state).order_by(follows.c.id))]


async def inbox_states(node: Node) -> list[tuple[str, str]]:
    async with node.inst.engine.connect() as conn:
        rows = await conn.execute(select(inbox_items.c.activity_type, inbox_items.c.state).order_by(inbox_items.c.id))
        return [(r.activity_type, r.state) for r in rows]


async def log_rows(node: Node) -> list[Any]:
    async with node.inst.engine.connect() as conn:
        return list(await conn.execute(select(moderation_log).order_by(moderation_log.c.id)))


def received(remote: FakeRemote, type_: str) -> list[dict[str, Any]]:
    """Activities of ``type_`` the fake server accepted (each one's signature verified)."""
    return [r.activity for r in remote.of_type(type_)]


async def community_id(node: Node, slug: str = "club") -> int:
    from actors.social.local import require_local_actor

    async with node.inst.engine.connect() as conn:
        return int((await require_local_actor(conn, slug, community=True)).id)
