"""Detail pages (local and remote, with origin links and calendar files), the communities
directory, and English that leaves no UI key untranslated."""

from __future__ import annotations

import json
from pathlib import Path

import icalendar
from sqlalchemy import select

from actors.storage.models import actors, objects
from tests.conftest import Node
from tests.resident.conftest import Hood
from tests.resident.helpers import UI_KEY, cards, links, section, visible_text

LOCALES = Path(__file__).resolve().parents[2] / "web" / "locales"


async def _row_id(node: Node, uri: str) -> int:
    async with node.inst.engine.connect() as conn:
        return int((await conn.execute(select(objects.c.id).where(objects.c.uri == uri))).scalar_one())


async def test_local_event_detail_and_calendar(hood: Hood) -> None:
    oid = hood.ids["event.saturday"]
    page = (await hood.get(f"/items/{oid}")).text
    text = visible_text(page)
    assert "篮球友谊赛" in text and "银湖路 20 号" in text and "在地图中打开: 高德地图 · 百度地图 · 腾讯地图 · OpenStreetMap" in text
    assert "原文" in text and hood.uris["event.saturday"] in links(page)
    assert f"/items/{oid}.ics" in links(page)
    cal = icalendar.Calendar.from_ical((await hood.get(f"/items/{oid}.ics")).content)
    (ev,) = cal.walk("VEVENT")
    assert str(ev["SUMMARY"]) == "篮球友谊赛"
    for key in ("listing.priced", "venue.room40"):
        assert (await hood.get(f"/items/{hood.ids[key]}")).status_code == 200


async def test_remote_items_on_the_aggregator(hood: Hood, aggregator: Node) -> None:
    uri = hood.uris["event.pushed"]
    oid = await _row_id(aggregator, uri)
    b = hood.fed.client
    page = (await b.get(aggregator.url(f"/items/{oid}"))).text
    assert "周六亲子手工" in page
    assert uri in links(page) and "原文" in visible_text(page)  # the origin, on a.test
    assert "@compound@a.test" in page
    assert f"/items/{oid}.ics" in links(page)
    cal = icalendar.Calendar.from_ical((await b.get(aggregator.url(f"/items/{oid}.ics"))).content)
    assert [str(e["SUMMARY"]) for e in cal.walk("VEVENT")] == ["周六亲子手工"]
    home = (await b.get(aggregator.url("/"))).text
    weekend = section(home, "group-weekend")
    assert "周六亲子手工" in cards(weekend) and "@compound@a.test" in weekend and uri in links(weekend)
    directory = (await b.get(aggregator.url("/communities"))).text
    assert "银湖花园小区" in directory and "@compound@a.test" in directory
    async with aggregator.inst.engine.connect() as conn:
        cid = (await conn.execute(select(actors.c.id).where(actors.c.uri == "http://a.test/c/compound"))).scalar_one()
    community = (await b.get(aggregator.url(f"/communities/{cid}"))).text
    assert "周六亲子手工" in cards(community) and "http://a.test/c/compound" in links(community)
    venue_id = await _row_id(aggregator, hood.uris["venue.pushed"])
    assert (await b.get(aggregator.url(f"/items/{venue_id}"))).status_code == 200
    found = (await b.get(aggregator.url("/venues/find?people=10&amenity=kids_friendly"))).text
    assert "儿童活动室" in found and "@compound@a.test" in found


async def test_communities_directory_counts(hood: Hood) -> None:
    page = (await hood.get("/communities")).text
    text = visible_text(page)
    # compound: thursday, saturday, next tuesday, June (4 upcoming), 6 venues; reading: today only
    assert "4 场活动 · 0 条闲置/技能 · 6 个场地" in text
    assert "0 场活动 · 3 条闲置/技能 · 0 个场地" in text  # the market: closed and expired not counted
    assert "1 场活动 · 0 条闲置/技能 · 0 个场地" in text


PAGES = ["/", "/feed", "/feed?kind=listing&free=1", "/search?q=读书", "/communities", "/calendar",
         "/venues/find", "/venues/find?people=25&amenity=projector&date=2030-05-11&start=14:00&end=17:00&partial=1",
         "/feed?from=bad", "/moderation"]


async def test_chinese_by_default(hood: Hood) -> None:
    text = visible_text((await hood.get("/")).text)
    assert "今天" in text and "本周末" in text and "下周" in text and "搜索" in text


async def test_english_is_complete(hood: Hood) -> None:
    async with hood.a.inst.engine.connect() as conn:
        reading = (await conn.execute(select(actors.c.id).where(actors.c.username == "reading"))).scalar_one()
    paths = PAGES + [f"/communities/{reading}"] + [f"/items/{i}" for i in hood.ids.values()]
    for path in paths:
        sep = "&" if "?" in path else "?"
        hood.client.cookies.clear()
        resp = await hood.get(f"{path}{sep}lang=en")
        assert resp.status_code in (200, 400), path
        text = visible_text(resp.text)
        assert not UI_KEY.findall(text), (path, UI_KEY.findall(text))
        for zh_ui in ("今天", "本周末", "下周", "筛选", "详情", "原文", "来自", "场地查找", "参数有误", "为什么合适"):
            assert zh_ui not in text, (path, zh_ui)
        zh_resp = await hood.get(f"{path}{sep}lang=zh-CN")
        assert not UI_KEY.findall(visible_text(zh_resp.text)), path
    home = visible_text((await hood.get("/?lang=en")).text)
    for phrase in ("Today", "This weekend", "Next week", "Latest listings", "Venue finder", "Search"):
        assert phrase in home


def test_feed_catalogs_have_identical_keys() -> None:
    zh = json.loads((LOCALES / "zh-CN.feed.json").read_text(encoding="utf-8"))
    en = json.loads((LOCALES / "en.feed.json").read_text(encoding="utf-8"))
    assert set(zh) == set(en) and all(zh.values()) and all(en.values())


async def test_no_page_shows_a_raw_code_or_an_untranslated_message(hood: Hood) -> None:
    """Every page in both languages, bad parameters included: no category, condition, amenity,
    kind or purpose code where its name belongs, and in Chinese no English problem message."""
    import re

    from fedi import content as wire
    from fedi.problems import ENGLISH

    def pattern(codes: set[str]) -> re.Pattern[str]:
        alternatives = "|".join(sorted(map(re.escape, codes), key=len, reverse=True))
        return re.compile(r"(?<![\w/=.-])(" + alternatives + r")(?![\w/=.-])")

    codes = set(wire.CATEGORIES) | {a for a in wire.AMENITIES if "_" in a} | {"like_new", "negotiable"}
    # In Chinese no code at all may show; English names of some amenities are their codes' words.
    patterns = {"zh-CN": pattern(codes | set(wire.AMENITIES)), "en": pattern(codes)}
    english = [t.split("{")[0].strip() for t in ENGLISH.values() if len(t.split("{")[0].strip()) > 12]
    async with hood.a.inst.engine.connect() as conn:
        reading = (await conn.execute(select(actors.c.id).where(actors.c.username == "reading"))).scalar_one()
    paths = PAGES + [f"/communities/{reading}", "/c/compound", "/feed?near=abc&radius=9999&price_min=-1&to=x",
                     "/venues/find?people=0&amenity=moat&date=x&start=25:00"] + [f"/items/{i}" for i in hood.ids.values()]
    for lang in ("zh-CN", "en"):
        for path in paths:
            sep = "&" if "?" in path else "?"
            text = visible_text((await hood.get(f"{path}{sep}lang={lang}")).text)
            assert not patterns[lang].findall(text), (lang, path, patterns[lang].findall(text))
            if lang == "zh-CN":
                leaked = [m for m in english if m in text]
                assert not leaked, (path, leaked)
