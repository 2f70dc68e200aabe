"""What the feed shows for traffic shaped exactly as eight other fediverse programs send it.

For each case of ``payloads.py`` (ids ``source/case``): a real Yinhu app follows the source's
followed actors on a fake server for that source (``remote.py``), the server accepts and Yinhu
backfills the outbox; then the source's activities up to the case's phase are pushed to Yinhu's
shared inbox, signed as that software signs (``signing.py``), the inbox worker runs after each,
and ``/api/feed``, search, ``/feed.ics`` and the item page are checked against every field of the
case's ``Expect``. A case reports every field that does not hold, not only the first, with what
the inbox worker said about each activity.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import orjson
import pytest
from sqlalchemy import select

from actors.feed.aggregate import follow_many
from actors.storage.models import inbox_items, objects
from tests.conftest import Fediverse, Node
from tests.realworld.payloads import BUILDERS, Expect, Source, build_all
from tests.realworld.remote import SourceRemote
from tests.realworld.signing import signed_post_headers

ORIGINS = [f"http://127.0.0.1:{8101 + i}" for i in range(len(BUILDERS))]
SOURCES = build_all(ORIGINS)
# The fediverse's clock during these tests: the payloads' dates were written for early December
# 2026 (published and updated before it, every event after it).
NOW = datetime(2026, 12, 5, 12, 0, tzinfo=UTC)

CASES = [pytest.param(s, e, id=e.case) for s in SOURCES for e in s.expects]


@dataclass
class World:
    fed: Fediverse
    node: Node
    remote: SourceRemote
    log: list[str] = field(default_factory=list)  # one line per thing sent to Yinhu, with its answer
    refused: list[str] = field(default_factory=list)  # activities Yinhu's inbox did not accept (not 2xx)
    seen: dict[int, set[str]] = field(default_factory=dict)  # phase -> ids in /api/feed?past=1 after it

    async def get(self, path: str, **params: str) -> Any:
        r = await self.fed.client.get(self.node.url(path), params=params)
        return r

    async def feed(self, **params: str) -> list[dict[str, Any]]:
        """Every item of ``/api/feed`` with ``params``, following ``next``."""
        r = await self.get("/api/feed", limit="100", **params)
        assert r.status_code == 200, r.text
        body = r.json()
        items = list(body["items"])
        while body.get("next"):
            body = (await self.fed.client.get(body["next"])).json()
            items += body["items"]
        return items

    async def inbox_report(self) -> str:
        async with self.node.inst.engine.connect() as conn:
            rows = (await conn.execute(select(inbox_items.c.activity_type, inbox_items.c.activity_uri,
                                              inbox_items.c.state, inbox_items.c.result)
                                       .order_by(inbox_items.c.id))).all()
        lines = [f"  {r.activity_type} {r.activity_uri}: {r.state} {r.result or ''}" for r in rows]
        return "\n".join(["sent:", *("  " + x for x in self.log), "inbox worker:", *lines])

    async def row(self, uri: str) -> Any:
        async with self.node.inst.engine.connect() as conn:
            return (await conn.execute(select(objects).where(objects.c.uri == uri))).all()


async def run_source(fed: Fediverse, source: Source, upto_phase: int) -> World:
    fed.clock.now = NOW
    node = await fed.yinhu("yinhu.test")
    remote = SourceRemote(source, fed.client, fed.router, fed.clock)
    world = World(fed, node, remote)
    inbox = node.url("/inbox")
    followed = [remote.actor_id(a) for a in source.actors if a.followed]
    for result in await follow_many(node.inst, followed):
        world.log.append(f"follow {result.target}: {result.state} {result.error or ''}")
        if result.state != "pending":
            world.refused.append(f"follow of {result.target}: {result.state} {result.error or ''}")
    await fed.drain()
    world.refused += [f"the {source.name} server refused Yinhu's {x}" for x in remote.rejected]
    answers = await remote.accept_follows(inbox, fed.clock())
    if len(answers) != len(followed):
        world.refused.append(f"{len(answers)} Follows reached the {source.name} server, {len(followed)} sent")
    for r in answers:
        world.log.append(f"Accept: HTTP {r.status_code}")
        if not r.is_success:
            world.refused.append(f"Accept: HTTP {r.status_code} {r.text[:200]}")
    await fed.drain()
    for phase in range(1, upto_phase + 1):
        for push in (p for p in source.pushes if p.phase == phase):
            fed.clock.advance(timedelta(seconds=30))
            r = await remote.push(push.actor, push.activity, inbox, fed.clock())
            line = f"phase {phase} {push.activity.get('type')} {push.activity.get('id')} by {push.actor}"
            world.log.append(f"{line}: HTTP {r.status_code}")
            if not r.is_success:
                world.refused.append(f"{line}: HTTP {r.status_code} {r.text[:200]}")
            await fed.drain()
        world.seen[phase] = {i["id"] for i in await world.feed(past="1")}
    return world


def _instant(value: str | None) -> datetime | None:
    if value is None:
        return None
    return datetime.fromisoformat(value).astimezone(UTC)


def _community_handle(world: World, uri: str) -> str | None:
    for actor in world.remote.source.actors:
        if world.remote.actor_id(actor) == uri:
            return world.remote.handle(actor)
    return None


def _page_event_facts(e: Expect, item: dict[str, Any], text: str) -> list[str]:
    """What an event's page (zh-CN, the default) must show: when in the event's zone, the zone
    when it is not the district's, a cancelled badge, the address and map links at the coordinates."""
    bad = []
    zone = e.timezone or item.get("timezone")
    start = _instant(e.start)
    if start is not None and zone:
        local = start.astimezone(ZoneInfo(zone))
        when = f"{local.year}年{local.month}月{local.day}日"
        if when not in text or f"{local:%H:%M}" not in text:
            bad.append(f"item page: start {when} {local:%H:%M} ({zone}) not shown")
    if e.timezone and e.timezone != "Asia/Shanghai" and f"({e.timezone})" not in text:
        bad.append(f"item page: timezone {e.timezone} not shown")
    badge = re.search(r'<h2><span class="badge">', text) is not None
    if e.status == "cancelled" and not badge:
        bad.append("item page: no cancelled badge")
    if e.status == "scheduled" and badge:
        bad.append("item page: a status badge on a scheduled event")
    bad += [f"item page: address part {p!r} not shown" for p in e.address_has if p not in text]
    # The place opens in the map apps by its coordinates (OpenStreetMap's link names them plainly).
    for axis, value in (("mlat", e.lat), ("mlon", e.lon)):
        if value is not None and f"{axis}={value:.6f}" not in text:
            bad.append(f"item page: no map link at {axis}={value:.6f}")
    return bad


async def check(world: World, e: Expect) -> list[str]:
    """Every field of ``e`` that the feed does not show as expected, one line each."""
    bad = [f"inbox refused {line}" for line in world.refused]
    shown = [i for i in await world.feed() if i["id"] == e.id]
    with_past = [i for i in await world.feed(past="1") if i["id"] == e.id]
    rows = await world.row(e.id)
    live_rows = [r for r in rows if r.deleted_at is None]
    if not e.present:
        if e.id not in world.seen.get(e.phase - 1, set()):
            bad.append(f"present: never shown before phase {e.phase}, so its removal proves nothing")
        if shown or with_past:
            bad.append(f"present: still in /api/feed ({len(shown)} upcoming, {len(with_past)} with past=1)")
        for r in live_rows:
            page = await world.get(f"/items/{r.id}")
            if page.status_code == 200:
                bad.append(f"present: /items/{r.id} still answers 200")
        return bad
    if not shown:
        where = f"only with past=1 (start {with_past[0].get('start')})" if with_past else "not in /api/feed"
        bad.append(f"present: {where}; stored rows: {len(rows)}")
        if not with_past:
            return bad
        shown = with_past
    if e.once and len(shown) != 1:
        bad.append(f"once: shown {len(shown)} times")
    if e.once and len(rows) != 1:
        bad.append(f"once: {len(rows)} stored rows")
    item = shown[0]
    place = item.get("place") or {}

    # Each field the expectation names (not None) must be shown exactly so.
    for name, expected, got in (
        ("kind", e.kind, item.get("type")),
        ("name", e.name, item.get("name")),
        ("start", _instant(e.start), _instant(item.get("start"))),
        ("end", _instant(e.end), _instant(item.get("end"))),
        ("timezone", e.timezone, item.get("timezone")),
        ("status", e.status, item.get("status")),
        ("capacity", e.capacity, item.get("capacity")),
        ("community", e.community, (item.get("community") or {}).get("uri")),
    ):
        if expected is not None and expected != got:
            bad.append(f"{name}: expected {expected!r}, got {got!r}")
    if e.place_name is not None and e.place_name not in (place.get("name") or ""):
        bad.append(f"place_name: expected {e.place_name!r} in {place.get('name')!r}")
    for part in e.address_has:
        if part not in (place.get("address") or ""):
            bad.append(f"address: expected {part!r} in {place.get('address')!r}")
    for axis, expected in (("latitude", e.lat), ("longitude", e.lon)):
        got = place.get(axis)
        if expected is not None and (got is None or abs(got - expected) > 1e-5):
            bad.append(f"{axis}: expected {expected!r}, got {got!r}")
    got_tags = [t.casefold() for t in item.get("tags") or []]
    missing = [t for t in e.tags if t.casefold() not in got_tags]
    if missing:
        bad.append(f"tags: missing {missing}, got {item.get('tags')!r}")
    if e.content_has is not None and e.content_has not in html.unescape(item.get("content") or ""):
        bad.append(f"content: expected {e.content_has!r} in {item.get('content')!r}")
    if e.search is not None and e.id not in {i["id"] for i in await world.feed(q=e.search)}:
        bad.append(f"search: ?q={e.search} does not find it")
    if e.ics:
        ics = (await world.get("/feed.ics")).text.replace("\r\n ", "")
        if f"UID:{e.id}" not in ics:
            bad.append("ics: not in /feed.ics")
    # The item page: the resident's view of the same item.
    for r in live_rows[:1]:
        page = await world.get(f"/items/{r.id}")
        if page.status_code != 200:
            bad.append(f"item page: /items/{r.id} answers {page.status_code}")
            continue
        text = html.unescape(page.text)
        for label, value in (("name", e.name), ("place_name", e.place_name), ("content", e.content_has)):
            if value is not None and value not in text:
                bad.append(f"item page: {label} {value!r} not shown")
        handle = _community_handle(world, e.community) if e.community else None
        if handle and handle not in text:
            bad.append(f"item page: community {handle} not shown")
        bad += _page_event_facts(e, item, text)
        low = text.casefold()
        missing = [t for t in e.tags if f'href="/tags/{t.casefold()}"' not in low]
        if missing:
            bad.append(f"item page: no /tags/ link for {missing}")
    return bad


@pytest.mark.parametrize(("source", "expect"), CASES)
async def test_realworld(fed: Fediverse, source: Source, expect: Expect) -> None:
    world = await run_source(fed, source, expect.phase)
    bad = await check(world, expect)
    assert not bad, f"{expect.case} ({source.software}):\n" + "\n".join(bad) + "\n" + await world.inbox_report()


@pytest.mark.parametrize("source", [pytest.param(s, id=s.name) for s in SOURCES])
async def test_signature_flavour_is_checked(fed: Fediverse, source: Source) -> None:
    """Each software's signature is really verified: the same delivery with one byte of the body
    changed after signing is refused, so the cases above pass only because the signature holds."""
    fed.clock.now = NOW
    node = await fed.yinhu("yinhu.test")
    remote = SourceRemote(source, fed.client, fed.router, fed.clock)
    push = source.pushes[0]
    actor = remote.actor(push.actor)
    body = orjson.dumps(push.activity)
    inbox = node.url("/inbox")
    headers = signed_post_headers(source.sig, inbox, body, remote.actor_id(actor) + "#main-key",
                                  remote.private_key(actor), fed.clock())
    tampered = body.replace(b'"type":"', b'"type": "', 1)
    assert (await fed.client.post(inbox, content=tampered, headers=headers)).status_code == 401
    assert (await fed.client.post(inbox, content=body, headers=headers)).status_code == 202
