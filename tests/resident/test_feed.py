"""/feed and /search: filters combine, live in the URL (form, exports, next page), paginate,
highlight search hits; bad parameters give a 400 page saying why."""

from __future__ import annotations

import re

import feedparser
import icalendar
import orjson

from actors.publishing.publishing import publish
from tests.resident.conftest import Hood, listing
from tests.resident.helpers import cards, links, visible_text


async def test_filters_combine(hood: Hood) -> None:
    assert cards((await hood.get("/feed?kind=listing&free=1")).text) == ["免费赠送旧书"]
    assert cards((await hood.get("/feed?kind=listing&price_min=100")).text) == ["儿童自行车"]
    assert cards((await hood.get("/feed?kind=event&category=BOOK_CLUBS")).text) == ["读书会：三体"]
    assert cards((await hood.get("/feed?tag=读书")).text) == ["免费赠送旧书", "读书会：三体"]
    assert cards((await hood.get("/feed?kind=event&tag=读书")).text) == ["读书会：三体"]
    assert cards((await hood.get("/feed?kind=event&from=2030-05-10&to=2030-05-20")).text) == ["篮球友谊赛", "晨间瑜伽"]
    assert cards((await hood.get("/feed?kind=event&near=22.63,114.02&radius=1")).text) == ["篮球友谊赛"]
    assert cards((await hood.get("/feed?kind=listing&listing_kind=skill&purpose=request")).text) == ["求教吉他"]
    community = "http://a.test/c/reading"
    assert cards((await hood.get("/feed", params={"community": community})).text) == ["读书会：三体"]
    closed = cards((await hood.get("/feed?kind=listing&closed=1")).text)
    assert "已出的婴儿车" in closed and "过期的沙发" in closed


async def test_filters_are_reflected_in_the_form_and_the_export_links(hood: Hood) -> None:
    page = (await hood.get("/feed?kind=event&category=SPORTS&from=2030-05-10&area=银湖")).text
    assert '<option value="event" selected>' in page
    assert '<option value="SPORTS" selected>运动 (1)</option>' in page
    assert 'name="from" value="2030-05-10"' in page and 'name="area" value="银湖"' in page
    hrefs = links(page)
    ics = next(h for h in hrefs if h.startswith("/feed.ics?"))
    atom = next(h for h in hrefs if h.startswith("/feed.atom?"))
    api = next(h for h in hrefs if h.startswith("/api/feed?"))
    for h in (ics, atom, api):
        assert "category=SPORTS" in h and "from=2030-05-10" in h
    cal = icalendar.Calendar.from_ical((await hood.get(ics)).content)
    assert [str(e["SUMMARY"]) for e in cal.walk("VEVENT")] == ["篮球友谊赛"]
    parsed = feedparser.parse((await hood.get(atom)).content)
    assert [e.title for e in parsed.entries] == ["篮球友谊赛"]
    body = orjson.loads((await hood.get(api)).content)
    assert [i["name"] for i in body["items"]] == ["篮球友谊赛"]


async def test_pagination_keeps_the_filters(hood: Hood) -> None:
    for n in range(25):
        hood.a.clock.now = hood.a.clock.now.replace(second=n)
        await publish(hood.a.inst, "market", listing(f"旧物 {n:02d} 号", price="free"))
    first = (await hood.get("/feed?kind=listing&free=1")).text
    assert len(cards(first)) == 20 and cards(first)[0] == "旧物 24 号"
    nxt = next(h for h in links(first) if "offset=" in h)
    assert nxt.startswith("/feed?") and "kind=listing" in nxt and "free=1" in nxt and "offset=20" in nxt
    second = (await hood.get(nxt)).text
    assert cards(second) == ["旧物 04 号", "旧物 03 号", "旧物 02 号", "旧物 01 号", "旧物 00 号", "免费赠送旧书"]
    assert not any("offset=40" in h for h in links(second))
    assert 'rel="prev" href="/feed?kind=listing&amp;free=1"' in second  # back to the first page


async def test_search_highlights(hood: Hood) -> None:
    resp = await hood.get("/search?q=读书")
    assert resp.status_code == 200
    titles = cards(resp.text)
    assert "读书会：三体" in titles and "免费赠送旧书" in titles
    assert "上周的旧书交换" not in titles  # past
    assert "<mark>读书</mark>" in resp.text
    assert 'value="读书"' in resp.text  # the query stays in the box
    narrowed = cards((await hood.get("/search?q=读书&kind=event")).text)
    assert narrowed == ["读书会：三体"]
    assert cards((await hood.get("/search?q=篮球")).text) == ["篮球友谊赛"]


async def test_bad_parameters_give_a_400_page_with_the_reason(hood: Hood) -> None:
    for path, field in (
        ("/feed?from=yesterday", "开始日期"), ("/feed?near=north", "附近"), ("/feed?price_min=-3", "最低价格"),
        ("/feed?kind=spaceship", "类型"), ("/feed?from=2030-05-10&to=2030-05-01", "结束日期"),
        ("/feed?offset=-1", "offset"), ("/search?q=x&radius=9000&near=1,1", "半径"),
        ("/venues/find?people=lots", "人数"), ("/venues/find?amenity=helipad", "helipad"),
        ("/venues/find?date=2030-05-11&start=25:00", "开始时间"),
        ("/venues/find?date=2030-05-11&start=18:00&end=09:00", "结束时间"),
        ("/venues/find?start=10:00", "日期"),
    ):
        resp = await hood.get(path)
        assert resp.status_code == 400, path
        assert "参数有误" in resp.text and field in visible_text(resp.text), path
    assert (await hood.get("/items/999999")).status_code == 404
    assert (await hood.get("/items/999999.ics")).status_code == 404
    assert (await hood.get("/communities/999999")).status_code == 404
    assert (await hood.get(f"/items/{hood.ids['venue.room40']}.ics")).status_code == 404  # not an event


async def test_the_calendar_export_follows_an_update_of_a_listed_event(hood: Hood) -> None:
    """Rendered events are kept between exports; a changed event is rendered again."""
    from actors.publishing.publishing import update_object
    from tests.resident.conftest import EVENTS

    def summaries(body: bytes) -> dict[str, tuple[str, str]]:
        cal = icalendar.Calendar.from_ical(body)
        return {str(e["uid"]): (str(e["summary"]), e["dtstamp"].dt.isoformat()) for e in cal.walk("VEVENT")}

    uri = hood.uris["event.thursday"]
    first = await hood.get("/feed.ics")
    assert first.status_code == 200
    before = summaries(first.content)
    assert before[uri][0] == "编程夜 Python 入门"
    assert (await hood.get("/feed.ics")).content == first.content  # the same events, the same bytes
    hood.a.clock.now = hood.a.clock.now.replace(minute=30)
    await update_object(hood.a.inst, uri, {**EVENTS["thursday"], "title": "编程夜 Python 进阶"})
    after = summaries((await hood.get("/feed.ics")).content)
    assert after[uri][0] == "编程夜 Python 进阶"
    assert after[uri][1] > before[uri][1]  # DTSTAMP: when the event was last revised
    assert {u: s for u, s in after.items() if u != uri} == {u: s for u, s in before.items() if u != uri}


async def test_exports_name_categories_in_the_readers_language(hood: Hood) -> None:
    uri = hood.uris["event.today"]

    def categories(body: bytes) -> list[str]:
        cal = icalendar.Calendar.from_ical(body)
        [event] = [e for e in cal.walk("VEVENT") if str(e["uid"]) == uri]
        return [str(c) for c in event["categories"].cats]

    assert categories((await hood.get("/feed.ics")).content) == ["读书会"]
    assert categories((await hood.get("/feed.ics?lang=en")).content) == ["Book clubs"]
    atom = feedparser.parse((await hood.get("/feed.atom")).text)
    [entry] = [e for e in atom.entries if e.id == uri]
    assert [(t.term, t.label) for t in entry.tags] == [("BOOK_CLUBS", "读书会")]


async def test_the_category_filter_offers_only_categories_that_hold_something(hood: Hood) -> None:
    page = (await hood.get("/feed")).text
    select = page[page.index('name="category"'):]
    select = select[: select.index("</select>")]
    options = dict(re.findall(r'<option value="([A-Z_]+)"[^>]*>[^<(]*\((\d+)\)</option>', select))
    assert options["SPORTS"] == "1" and options["BOOK_CLUBS"] == "1"  # the past book event does not count
    assert "PARENTING" not in options and "ARTS" not in options  # empty ones hidden
    chosen = (await hood.get("/feed?category=ARTS")).text  # an empty one still shows when chosen
    assert 'value="ARTS" selected' in chosen
