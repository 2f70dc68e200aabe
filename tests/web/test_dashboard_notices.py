"""The dashboard as an organiser meets it: what was just published is one click away, events
are listed by date, a notice can be pinned and unpinned, and an event dated years ago (a
mistyped year) is refused in Chinese."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from actors.publishing.publishing import publish
from tests.web.conftest import Site
from tests.web.test_dashboard import EVENT, field_block, local_objects, post_form


async def test_the_banner_links_to_what_was_just_published(site: Site) -> None:
    await site.login("lin")
    resp = await post_form(site, "/dashboard/garden/new/event", EVENT)
    assert resp.status_code == 303 and "&item=" in resp.headers["location"]
    page = (await site.client.get(resp.headers["location"])).text
    [row] = await local_objects(site)
    banner = page[page.index('class="banner ok"'):]
    banner = banner[: banner.index("</p>")]
    assert f'href="{row.uri}"' in banner and "周末换书会" in banner


async def test_events_are_listed_by_date_coming_first(site: Site) -> None:
    site.node.clock.now = datetime(2030, 5, 1, 9, tzinfo=UTC)
    for title, start in (("六月", "2030-06-01T10:00"), ("五月底", "2030-05-20T10:00"), ("上个月", "2030-04-10T10:00"),
                         ("明天", "2030-05-02T10:00")):
        await publish(site.node.inst, "garden", {"type": "event", "title": title, "start": start})
    await site.login("lin")
    page = (await site.client.get("/dashboard/garden")).text
    events = page[page.index(">活动<"):]
    titles = re.findall(r"<strong>(.*?)</strong>", events[: events.index("<h3", 5)])
    assert titles == ["明天", "五月底", "六月", "上个月"]


async def test_a_notice_is_pinned_and_unpinned_from_the_dashboard(site: Site) -> None:
    first = await publish(site.node.inst, "garden", {"type": "note", "content": "明天停水"})
    await publish(site.node.inst, "garden", {"type": "note", "content": "电梯保养"})
    await site.login("lin")
    token = first.uri.rsplit("/", 1)[-1]
    resp = await post_form(site, "/dashboard/garden", {"pinned": "1"}, csrf=False)  # not a pin route: 405
    assert resp.status_code == 405
    csrf = await site.csrf("/dashboard/garden")
    resp = await site.client.post(f"/dashboard/garden/pin/{token}", data={"pinned": "1", "csrf": csrf})
    assert resp.status_code == 303 and resp.headers["location"].endswith("ok=pinned")
    page = (await site.client.get("/dashboard/garden")).text
    assert "📌 置顶" in page and "取消置顶" in page
    rows = {r.uri: r.pinned_at for r in await local_objects(site)}
    assert rows[first.uri] is not None and sum(v is not None for v in rows.values()) == 1
    resp = await site.client.post(f"/dashboard/garden/pin/{token}", data={"pinned": "0", "csrf": "forged"})
    assert resp.status_code == 403
    resp = await site.client.post(f"/dashboard/garden/pin/{token}", data={"pinned": "0", "csrf": csrf})
    assert resp.status_code == 303
    assert all(r.pinned_at is None for r in await local_objects(site))


async def test_an_event_years_ago_is_refused_in_chinese(site: Site) -> None:
    site.node.clock.now = datetime(2030, 5, 1, 9, tzinfo=UTC)
    await site.login("lin")
    resp = await post_form(site, "/dashboard/garden/new/event", {**EVENT, "start": "2020-06-01T14:00", "end": "2020-06-01T17:00"})
    assert resp.status_code == 422
    assert "开始时间不能早于 365 天前" in field_block(resp.text, "start")
    assert await local_objects(site) == []


async def test_the_form_tells_the_title_limit_before_submit(site: Site) -> None:
    await site.login("lin")
    for kind, field in (("event", "title"), ("listing", "title"), ("venue", "name")):
        page = (await site.client.get(f"/dashboard/garden/new/{kind}")).text
        assert 'maxlength="200"' in field_block(page, field), kind


async def test_the_event_form_offers_the_networks_venues_as_places(site: Site) -> None:
    venue = await publish(site.node.inst, "garden", {
        "type": "venue", "name": "多功能活动室", "address": "银湖花园 3 栋", "latitude": 22.61, "longitude": 114.02,
        "capacity": 40})
    await site.login("lin")
    form = (await site.client.get("/dashboard/garden/new/event")).text
    block = field_block(form, "venue")
    [(value, label)] = re.findall(r'<option value="(\d+)"[^>]*>([^<]*)</option>', block)
    assert label == "多功能活动室 · 银湖花园 3 栋"
    resp = await post_form(site, "/dashboard/garden/new/event", {
        **EVENT, "venue": value, "place_name": "", "place_address": "", "place_latitude": "", "place_longitude": ""})
    assert resp.status_code == 303
    [_, row] = await local_objects(site)
    assert (row.place_name, row.address, row.latitude, row.longitude) == ("多功能活动室", "银湖花园 3 栋", 22.61, 114.02)
    assert venue.uri  # the venue itself stays as it was


async def test_a_listing_at_a_venue_is_found_near_it(site: Site) -> None:
    from tests.web.test_dashboard import LISTING

    await publish(site.node.inst, "garden", {
        "type": "venue", "name": "物业前台", "address": "银湖花园 1 栋", "latitude": 22.61, "longitude": 114.02})
    await site.login("lin")
    form = (await site.client.get("/dashboard/garden/new/listing")).text
    [(value, _label)] = re.findall(r'<option value="(\d+)"[^>]*>([^<]*)</option>', field_block(form, "venue"))
    resp = await post_form(site, "/dashboard/garden/new/listing", {**LISTING, "venue": value, "area": ""})
    assert resp.status_code == 303
    row = next(r for r in await local_objects(site) if r.kind == "listing")
    assert (row.place_name, row.latitude, row.longitude) == ("物业前台", 22.61, 114.02)
    near = (await site.client.get("/feed?kind=listing&near=22.611,114.021&radius=1")).text
    assert LISTING["title"] in near
