"""``/c/SLUG/submit``: a visitor's proposal is stored pending with its contact, shown nowhere
public, and each anti-spam rule refuses what it should (on SQLite and PostgreSQL)."""

from __future__ import annotations

import asyncio
import hashlib
import json
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import select, update

from actors.social.local import create_community
from actors.social.proposals import PER_HOUR
from actors.storage.models import actors, objects, submissions
from tests.conftest import Fediverse, Node
from tests.resident.helpers import UI_KEY, visible_text
from tests.web.test_dashboard import field_block
from web.submit import MIN_SECONDS

STAMP_RE = re.compile(r'name="stamp" value="([^"]+)"')
CONTACT = "微信 lin_private_42"
EVENT = {"title": "周六旧物交换会", "content": "带上你不用的东西来交换。", "start": "2030-06-01T14:00",
         "timezone": "Asia/Shanghai", "place_name": "银湖社区中心", "join_mode": "free", "status": "scheduled",
         "language": "zh", "submitter_name": "林阿姨", "submitter_contact": CONTACT}


@dataclass
class Visitor:
    node: Node
    fed: Fediverse
    client: httpx.AsyncClient

    async def stamp(self, kind: str = "event", slug: str = "garden") -> str:
        page = await self.client.get(f"/c/{slug}/submit", params={"type": kind})
        match = STAMP_RE.search(page.text)
        assert match, page.text
        return match.group(1)

    async def propose(self, data: dict[str, Any], *, kind: str = "event", slug: str = "garden",
                      wait: float = MIN_SECONDS + 2, path: str | None = None) -> httpx.Response:
        stamp = await self.stamp(kind, slug)
        self.fed.clock.advance(timedelta(seconds=wait))
        return await self.client.post(path or f"/c/{slug}/submit", data={"stamp": stamp, "type": kind, **data})


@pytest.fixture
async def town(fed: Fediverse) -> AsyncIterator[tuple[Node, Any]]:
    node = await fed.yinhu("a.test")
    await create_community(node.inst, "garden", name="花园")
    yield node, fed


def visitor(town: tuple[Node, Any], address: str = "203.0.113.7") -> Visitor:
    node, fed = town
    transport = httpx.ASGITransport(app=node.app, client=(address, 40000))
    return Visitor(node, fed, httpx.AsyncClient(transport=transport, base_url=node.base))


async def stored(node: Node) -> list[Any]:
    async with node.inst.engine.connect() as conn:
        return list((await conn.execute(select(submissions).order_by(submissions.c.id))).all())


FORM_KEY = re.compile(r"\b(?:submit|join|field|hint|form|dash|language|problem|upload)\.[A-Za-z_][\w.]*")


def untranslated(page: str) -> list[str]:
    """Catalog keys shown as text: a string with no translation."""
    text = visible_text(page)
    return UI_KEY.findall(text) + FORM_KEY.findall(text)


async def test_the_form_in_both_languages_and_the_links_to_it(town: tuple[Node, Any]) -> None:
    v = visitor(town)
    zh = await v.client.get("/c/garden/submit")
    assert zh.status_code == 200 and "向「花园」投稿" in zh.text and "联系方式" in zh.text
    assert 'name="title"' in zh.text and 'name="start"' in zh.text and 'name="submitter_contact"' in zh.text
    assert "<script" not in zh.text.split("</head>", 1)[1] and untranslated(zh.text) == []
    en = await v.client.get("/c/garden/submit?type=listing&lang=en")
    assert en.status_code == 200 and "Propose to 花园" in en.text and "Only the moderators see it" in en.text
    assert 'name="purpose"' in en.text and 'name="price_mode"' in en.text and untranslated(en.text) == []
    assert "联系方式" not in en.text and "投稿" not in visible_text(en.text)
    note = await v.client.get("/c/garden/submit?type=note&lang=zh-CN")
    assert 'name="content"' in note.text and 'name="title"' not in note.text and untranslated(note.text) == []
    assert 'href="/c/garden/submit"' in (await v.client.get("/c/garden")).text
    assert 'href="/c/garden/submit"' in (await v.client.get("/")).text
    assert (await v.client.get("/c/nowhere/submit")).status_code == 404


async def test_a_proposal_waits_pending_with_its_contact_and_is_shown_nowhere(town: tuple[Node, Any]) -> None:
    node, _fed = town
    v = visitor(town)
    sent = await v.propose(EVENT)
    assert sent.status_code == 303 and sent.headers["location"] == "/c/garden/submit/sent"
    thanks = await v.client.get(sent.headers["location"])
    assert "已提交，等待审核" in thanks.text and "lin_private_42" not in thanks.text and untranslated(thanks.text) == []
    english = await v.client.get(sent.headers["location"] + "?lang=en")
    assert "Sent, waiting for review" in english.text and "已提交" not in english.text
    [row] = await stored(node)
    assert (row.origin, row.shape, row.kind, row.state, row.actor_id) == ("web", "draft", "event", "pending", None)
    assert row.contact == CONTACT and row.submitter_name == "林阿姨"
    assert row.client_key == hashlib.sha256(b"203.0.113.7").hexdigest()
    draft = json.loads(row.draft)
    assert draft["type"] == "event" and draft["title"] == "周六旧物交换会" and "submitter_contact" not in draft
    assert "<strong>周六旧物交换会</strong>" in row.content and "<p>带上你不用的东西来交换。</p>" in row.content
    assert "<li>start: 2030-06-01T14:00</li>" in row.content and "<li>place: name 银湖社区中心</li>" in row.content
    for path in ("/", "/c/garden", f"/communities/{row.community_id}", "/feed", "/search?q=旧物交换",
                 "/api/feed", "/feed.atom", "/api/feed?q=旧物交换", "/c/garden/outbox?page=true"):
        page = await v.client.get(path)
        assert page.status_code == 200, path
        assert "周六旧物交换会" not in page.text and "带上你不用" not in page.text, path
        assert "lin_private_42" not in page.text, path
    async with node.inst.engine.connect() as conn:  # nothing published: no item page, no delivery
        assert (await conn.execute(select(objects.c.id).where(objects.c.community_id == row.community_id))).all() == []


async def test_a_closed_community_takes_no_proposals(town: tuple[Node, Any]) -> None:
    node, _fed = town
    async with node.inst.engine.begin() as conn:
        await conn.execute(update(actors).where(actors.c.username == "garden").values(submission_policy="closed"))
    v = visitor(town)
    page = await v.client.get("/c/garden/submit")
    assert page.status_code == 200 and "这个社区目前不接受投稿" in page.text and "<form" not in page.text
    assert "/c/garden/submit" not in (await v.client.get("/c/garden")).text
    refused = await v.client.post("/c/garden/submit", data={"stamp": "x", "type": "note", "content": "hi"})
    assert refused.status_code == 403 and "不接受投稿" in refused.text
    assert await stored(node) == []


async def test_validation_errors_are_shown_translated_at_their_fields(town: tuple[Node, Any]) -> None:
    node, _fed = town
    v = visitor(town)
    bad = {**EVENT, "title": "", "submitter_contact": "微信 a\u2028b"}
    zh = await v.propose(bad)
    assert zh.status_code == 422 and "请修正标出的字段" in zh.text
    assert '<div class="error" role="alert">必填</div>' in field_block(zh.text, "title")
    assert "只能是一行纯文本" in field_block(zh.text, "submitter_contact")
    assert "role=\"alert\"" not in field_block(zh.text, "content")
    assert "带上你不用的东西来交换" in zh.text  # the form keeps what was typed
    en = await v.propose({**EVENT, "submitter_contact": ""}, path="/c/garden/submit?lang=en")
    assert en.status_code == 422 and ">required<" in field_block(en.text, "submitter_contact")
    long = await v.propose({**EVENT, "submitter_contact": "1" * 101}, path="/c/garden/submit?lang=zh-CN")
    assert long.status_code == 422 and "太长：101 个字，最多 100 个" in field_block(long.text, "submitter_contact")
    assert await stored(node) == []


@pytest.mark.parametrize("venue", ["²", "99999999999999999999", "-1", "x"])
async def test_a_venue_that_is_no_row_id_is_ignored_not_a_500(town: tuple[Node, Any], venue: str) -> None:
    node, _fed = town
    answer = await visitor(town).propose({**EVENT, "venue": venue})
    assert answer.status_code == 303 and len(await stored(node)) == 1


async def test_the_honeypot_thanks_and_stores_nothing(town: tuple[Node, Any]) -> None:
    node, _fed = town
    v = visitor(town)
    trapped = await v.propose({**EVENT, "website": "http://spam.example"})
    assert trapped.status_code == 303 and trapped.headers["location"] == "/c/garden/submit/sent"
    assert await stored(node) == []


async def test_too_fast_forged_or_expired_stamps_are_refused_with_the_form_kept(town: tuple[Node, Any]) -> None:
    node, fed = town
    v = visitor(town)
    fast = await v.propose(EVENT, wait=1)
    assert fast.status_code == 400 and "提交得太快了" in fast.text and 'value="周六旧物交换会"' in fast.text
    forged = await v.client.post("/c/garden/submit", data={**EVENT, "type": "event", "stamp": "1700000000.00ff"})
    assert forged.status_code == 400 and "表单已过期或无效" in forged.text
    stamp = await v.stamp()
    other = await v.client.post("/c/other/submit", data={**EVENT, "type": "event", "stamp": stamp})
    assert other.status_code == 404
    issued, mac = stamp.split(".")
    moved = await v.client.post("/c/garden/submit", data={**EVENT, "type": "event", "stamp": f"{int(issued) - 60}.{mac}"})
    assert moved.status_code == 400  # the time is signed too
    fed.clock.advance(timedelta(hours=4))
    old = await v.client.post("/c/garden/submit?lang=en", data={**EVENT, "type": "event", "stamp": stamp})
    assert old.status_code == 400 and "The form has expired" in old.text and 'name="stamp"' in old.text
    assert await stored(node) == []


async def test_more_than_two_links_are_refused(town: tuple[Node, Any]) -> None:
    node, _fed = town
    v = visitor(town)
    spam = {**EVENT, "content": "http://a.example/1 www.b.example c.com/x"}
    refused = await v.propose(spam)
    assert refused.status_code == 422 and "网址太多了（最多 2 个）" in refused.text
    two = await v.propose({**EVENT, "content": "详见 https://a.example/1 和 https://b.example/2",
                           "online_url": "https://meet.example/x"})
    assert two.status_code == 303
    assert len(await stored(node)) == 1


async def test_the_rate_limit_per_address_hour_and_day(town: tuple[Node, Any]) -> None:
    node, fed = town
    v = visitor(town)
    for i in range(5):
        assert (await v.propose({**EVENT, "title": f"活动 {i}"})).status_code == 303
    sixth = await v.propose(EVENT)
    assert sixth.status_code == 429 and "投稿太多了" in sixth.text and 'value="周六旧物交换会"' in sixth.text
    assert 3000 < int(sixth.headers["retry-after"]) <= 3600
    elsewhere = visitor(town, "198.51.100.9")
    assert (await elsewhere.propose(EVENT)).status_code == 303
    for _hour in range(3):
        fed.clock.advance(timedelta(hours=1))
        for i in range(5):
            assert (await v.propose({**EVENT, "title": f"活动 {i}"})).status_code == 303
    fed.clock.advance(timedelta(hours=1))
    day = await v.propose(EVENT, path="/c/garden/submit?lang=en")
    assert day.status_code == 429 and "Too many proposals" in day.text
    assert int(day.headers["retry-after"]) > 3600 * 10  # the first of the 20 leaves the day in ~20 h
    assert len(await stored(node)) == 21


async def test_proposals_sent_at_once_cannot_pass_the_limit_together(town: tuple[Node, Any]) -> None:
    """Ten posts from one address in flight together: the early check lets all of them by, the
    count made with the insert keeps five."""
    node, fed = town
    v = visitor(town)
    stamp = await v.stamp()
    fed.clock.advance(timedelta(seconds=MIN_SECONDS + 2))
    answers = await asyncio.gather(*(
        v.client.post("/c/garden/submit", data={"stamp": stamp, "type": "event", **EVENT, "title": f"活动 {i}"})
        for i in range(10)))
    assert sorted(a.status_code for a in answers) == [303] * PER_HOUR + [429] * (10 - PER_HOUR)
    assert all(0 < int(a.headers["retry-after"]) <= 3601 for a in answers if a.status_code == 429)  # an hour, rounded up
    assert len(await stored(node)) == PER_HOUR


async def test_an_ipv6_network_counts_as_one_client(town: tuple[Node, Any]) -> None:
    node, _fed = town
    for address in ("2001:db8:1:2::1", "2001:db8:1:2:ffff::9"):
        assert (await visitor(town, address).propose(EVENT)).status_code == 303
    keys = {r.client_key for r in await stored(node)}
    assert keys == {hashlib.sha256(b"2001:db8:1:2::/64").hexdigest()}


async def test_the_longest_chinese_notice_fits_and_more_is_refused(town: tuple[Node, Any]) -> None:
    node, _fed = town
    v = visitor(town)
    longest = await v.propose({"content": "邻" * 20_000, "submitter_contact": "13800000000"}, kind="note")
    assert longest.status_code == 303, longest.text[:500]
    too_big = await v.propose({"content": "邻" * 40_000, "submitter_contact": "13800000000"}, kind="note")
    assert too_big.status_code == 413 and "表单内容太长了" in too_big.text
    [row] = await stored(node)
    assert row.kind == "note" and len(json.loads(row.draft)["content"]) == 20_000


async def test_what_moderators_read_is_sanitized(town: tuple[Node, Any]) -> None:
    node, _fed = town
    v = visitor(town)
    sent = await v.propose({**EVENT, "title": "<img src=x onerror=alert(1)>", "place_name": "<b>x</b>",
                            "content": "<script>alert(1)</script> **重要**"})
    assert sent.status_code == 303
    [row] = await stored(node)
    assert "<script" not in row.content and "<img" not in row.content and "<b>" not in row.content
    assert "&lt;img src=x onerror=alert(1)&gt;" in row.content and "<strong>重要</strong>" in row.content


def test_the_readme_quotes_the_limits() -> None:
    from pathlib import Path

    from actors.social.proposals import PER_DAY, PER_HOUR
    from web.submit import MAX_LINKS

    readme = " ".join((Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8").split())
    assert f"at most {PER_HOUR} proposals an hour and {PER_DAY} a day" in readme
    assert f"a minimum of {MIN_SECONDS:g} s on the form" in readme and f"at most {MAX_LINKS} web addresses" in readme
