"""A realistic neighbourhood for the resident pages: on ``a.test`` a reading club, a residential
compound that lends venues and a second-hand market, with events (today, later this week, this
Saturday, next Tuesday, past), listings (priced, free, closed, expired) and venues of various
capacities, amenities, hours and places; ``b.test`` is an aggregator whose feed actor follows
the compound, so it holds remote copies. The clock stands at Wednesday 2030-05-08 09:00 in
Asia/Shanghai."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from actors.publishing.publishing import publish
from actors.social.follows import follow_remote
from actors.social.local import create_community
from actors.storage.models import objects
from tests.conftest import Fediverse, Node

PUBLISH_AT = datetime(2030, 5, 6, 0, 0, tzinfo=UTC)  # Monday 08:00 in Shanghai
NOW = datetime(2030, 5, 8, 1, 0, tzinfo=UTC)  # Wednesday 09:00 in Shanghai
SAT = "2030-05-11"

# A point in the compound, and two others a few kilometres away.
HOME = (22.6100, 114.0200)


def event(title: str, start: str, end: str, **over: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "type": "event", "title": title, "content": over.pop("content", f"{title}，欢迎邻居参加。"),
        "start": start, "end": end, "timezone": "Asia/Shanghai",
        "place": {"name": "银湖社区中心", "address": "银湖路 8 号", "latitude": HOME[0], "longitude": HOME[1]},
        "join_mode": "free", "language": "zh-CN",
    }
    body.update(over)
    return body


def listing(title: str, **over: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "type": "listing", "kind": "goods", "purpose": "offer", "title": title,
        "content": over.pop("content", f"{title}，在银湖花园自提。"), "area": "银湖花园", "language": "zh-CN",
    }
    body.update(over)
    return body


def venue(name: str, **over: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "type": "venue", "name": name, "content": f"{name}，欢迎预约。", "address": "银湖路 8 号",
        "latitude": HOME[0], "longitude": HOME[1], "bookable": True, "contact": "物业前台 0755-1234",
        "price": "free", "language": "zh-CN",
    }
    body.update(over)
    return body


EVENTS = {
    "today": event("读书会：三体", "2030-05-08T19:00", "2030-05-08T21:00", category="BOOK_CLUBS", tags=["读书"]),
    "thursday": event("编程夜 Python 入门", "2030-05-09T19:00", "2030-05-09T21:00", category="SCIENCE_TECH"),
    "saturday": event("篮球友谊赛", f"{SAT}T15:00", f"{SAT}T17:00", category="SPORTS", tags=["篮球"],
                      place={"name": "银湖球场", "address": "银湖路 20 号", "latitude": 22.6300, "longitude": 114.0200}),
    "next_tuesday": event("晨间瑜伽", "2030-05-14T07:00", "2030-05-14T08:00", category="MEDITATION_WELLBEING", tags=["瑜伽"]),
    "past": event("上周的旧书交换", "2030-05-07T14:00", "2030-05-07T16:00", category="BOOK_CLUBS", tags=["读书"]),
    "later": event("端午包粽子", "2030-06-01T10:00", "2030-06-01T12:00", category="FOOD_DRINK"),
}
LISTINGS = {
    "priced": listing("儿童自行车", price={"amount": "120", "currency": "CNY"}, condition="good"),
    "free": listing("免费赠送旧书", price="free", tags=["读书"]),
    "closed": listing("已出的婴儿车", price={"amount": "300", "currency": "CNY"}, status="closed"),
    "expired": listing("过期的沙发", price={"amount": "50", "currency": "CNY"}, expires="2030-05-07T12:00"),
    "skill": listing("求教吉他", kind="skill", purpose="request", price="negotiable"),
}
VENUES = {
    "room40": venue("多功能活动室", capacity=40, amenities=["projector", "wifi", "tables_chairs"],
                    opening_hours=[{"days": ["Mo", "Tu", "We", "Th", "Fr"], "opens": "09:00", "closes": "21:00"},
                                   {"days": ["Sa"], "opens": "10:00", "closes": "18:00"}]),
    "hall200": venue("大礼堂", capacity=200, amenities=["projector", "wifi", "sound_system", "microphone"],
                     opening_hours="Mo-Su 08:00-22:00", price={"amount": "100", "currency": "CNY"},
                     latitude=22.6300, longitude=114.0300),
    "room10": venue("小会议室", capacity=10, amenities=["projector", "wifi", "whiteboard"],
                    opening_hours="Mo-Su 08:00-22:00"),
    "weekday30": venue("街道办会议室", capacity=30, amenities=["projector", "wifi"],
                       opening_hours="Mo-Fr 09:00-18:00; Sa-Su off", latitude=22.6500, longitude=114.0500),
    "garden50": venue("屋顶花园", capacity=50, amenities=["outdoor", "kitchen", "drinking_water"], bookable=False),
    "maker20": venue("创客空间", capacity=20, amenities=["projector", "whiteboard", "power_outlets", "wifi"],
                     opening_hours=[{"days": ["We", "Th", "Fr", "Sa", "Su"], "opens": "13:00", "closes": "22:00"}],
                     price={"amount": "30", "currency": "CNY"}, latitude=22.6120, longitude=114.0210),
}


@dataclass
class Hood:
    fed: Fediverse
    a: Node
    client: httpx.AsyncClient  # talks to a.test
    uris: dict[str, str] = field(default_factory=dict)  # key → object URI on a.test
    ids: dict[str, int] = field(default_factory=dict)  # key → objects.id on a.test

    async def get(self, path: str, **kw: Any) -> httpx.Response:
        return await self.client.get(path, **kw)


async def _ids(node: Node, uris: dict[str, str]) -> dict[str, int]:
    async with node.inst.engine.connect() as conn:
        rows = (await conn.execute(select(objects.c.id, objects.c.uri).where(objects.c.uri.in_(list(uris.values()))))).all()
    by_uri = {r.uri: r.id for r in rows}
    return {k: by_uri[u] for k, u in uris.items() if u in by_uri}


@pytest.fixture
async def hood(fed: Fediverse) -> AsyncIterator[Hood]:
    a = await fed.yinhu("a.test")
    a.clock.now = PUBLISH_AT
    await create_community(a.inst, "reading", name="银湖读书会", kind="club")
    await create_community(a.inst, "compound", name="银湖花园小区", kind="compound")
    await create_community(a.inst, "market", name="二手市场")
    uris: dict[str, str] = {}
    for key, body in EVENTS.items():
        slug = "reading" if body.get("category") == "BOOK_CLUBS" else "compound"
        uris[f"event.{key}"] = (await publish(a.inst, slug, body)).uri
    for key, body in LISTINGS.items():
        a.clock.now = a.clock.now.replace(minute=a.clock.now.minute + 1)  # distinct "latest" order
        uris[f"listing.{key}"] = (await publish(a.inst, "market", body)).uri
    for key, body in VENUES.items():
        uris[f"venue.{key}"] = (await publish(a.inst, "compound", body)).uri
    await fed.drain()
    a.clock.now = NOW
    transport = httpx.ASGITransport(app=a.app)
    async with httpx.AsyncClient(transport=transport, base_url=a.base) as client:
        yield Hood(fed, a, client, uris, await _ids(a, uris))


@pytest.fixture
async def aggregator(hood: Hood) -> Node:
    """``b.test`` whose feed actor follows the compound on ``a.test`` before the compound
    publishes one more event and venue (delivered by push).

    Both clocks run on wall time while they talk: outgoing signatures are dated by the wall
    clock (``Instance.auth_for`` signs without the injected clock) while receivers check the
    Date against their own clock. Afterwards both stand at ``NOW`` again."""
    b = await hood.fed.yinhu("b.test")
    hood.a.clock.now = b.clock.now = datetime.now(UTC)
    await follow_remote(b.inst, "yinhu", "@compound@a.test")
    await hood.fed.drain()
    hood.uris["event.pushed"] = (await publish(hood.a.inst, "compound", event(
        "周六亲子手工", f"{SAT}T10:00", f"{SAT}T12:00", category="CRAFTS"))).uri
    hood.uris["venue.pushed"] = (await publish(hood.a.inst, "compound", venue(
        "儿童活动室", capacity=15, amenities=["kids_friendly", "toilet"]))).uri
    await hood.fed.drain()
    hood.a.clock.now = b.clock.now = NOW
    return b
