"""Helpers for the content tests: the ``Pair`` that the ``pair`` fixture (conftest.py) builds,
bodies of each kind, API tokens and images made with Pillow."""

from __future__ import annotations

import io
from dataclasses import dataclass
from typing import Any

from PIL import Image
from sqlalchemy import select

from actors.publishing.media import store_image
from actors.social.accounts import create_account, create_token
from actors.social.local import get_local_actor
from actors.storage.models import Role, objects
from tests.conftest import Fediverse, Node
from tests.fakes.remote import FakeRemote, FakeUser

AP = {"Accept": "application/activity+json"}


def image_bytes(fmt: str = "JPEG", size: tuple[int, int] = (64, 48), **save: Any) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, (200, 80, 40)).save(out, fmt, **save)
    return out.getvalue()


async def object_row(node: Node, uri: str) -> Any:
    async with node.inst.engine.connect() as conn:
        return (await conn.execute(select(objects).where(objects.c.uri == uri))).first()


@dataclass
class Pair:
    fed: Fediverse
    a: Node
    b: Node
    club: str  # the community's actor URI on A
    remote: FakeRemote
    watcher: FakeUser  # a fake remote follower of the community: sees what Mastodon would get

    async def token(self, name: str = "org", slug: str = "club") -> str:
        await create_account(self.a.inst, name, "correct horse battery", community=slug, role=Role.OWNER)
        return await create_token(self.a.inst, name)

    async def upload(self, data: bytes, alt: str = "", slug: str = "club") -> str:
        """Store an image for the community the way every door does; returns its media token."""
        async with self.a.inst.engine.connect() as conn:
            actor = await get_local_actor(conn, slug)
        assert actor is not None
        return (await store_image(self.a.inst, actor.id, data, alt)).token


def event_body(**over: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "type": "event", "title": "Bike repair workshop", "content": "Bring your bike. #cycling",
        "start": "2030-05-04T14:00", "end": "2030-05-04T17:00", "timezone": "Asia/Shanghai",
        "place": {"name": "银湖图书馆", "address": "银湖路 1 号", "latitude": 30.2512, "longitude": 120.1034},
        "category": "WORKSHOPS_SKILL_SHARING", "tags": ["bikes", "repair"], "capacity": 20,
        "join_mode": "free", "status": "scheduled", "language": "en",
    }
    body.update(over)
    return body


def listing_body(**over: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "type": "listing", "kind": "goods", "purpose": "offer", "title": "Child's bicycle",
        "content": "Barely used, 16 inch wheels.", "price": {"amount": "120", "currency": "CNY"},
        "condition": "good", "area": "银湖花园", "status": "reserved", "expires": "2030-06-01T12:00",
        "tags": ["kids"], "language": "en",
    }
    body.update(over)
    return body


def venue_body(**over: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "type": "venue", "name": "Community hall", "content": "The hall on the ground floor.",
        "address": "银湖路 5 号", "latitude": 30.2601, "longitude": 120.1102, "capacity": 40,
        "amenities": ["projector", "kitchen", "wifi"],
        "opening_hours": [{"days": ["Mo", "Tu"], "opens": "09:00", "closes": "21:00"}],
        "bookable": True, "contact": "front desk, 0571-1234", "price": {"amount": "50", "currency": "CNY"},
        "part_of": "银湖花园", "language": "en",
    }
    body.update(over)
    return body
