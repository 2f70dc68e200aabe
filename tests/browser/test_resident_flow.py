"""What a resident does in a real browser (headless Chromium) against a real ``yinhu serve``:
home → filter → search → detail → add to calendar, the English pages, and the venue finder,
on a desktop and on a phone. The pages need no JavaScript; the browser proves the forms, links
and layout work as served, not only the HTML strings the in-process tests check."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from icalendar import Calendar

from actors.feed.feed import DISTRICT_TZ
from tests.browser.conftest import PHONE, Site, artifact

pytestmark = pytest.mark.browser

SECTION_TITLES = {"today": "今天", "later": "本周稍后", "weekend": "本周末", "next_week": "下周"}


def params(url: str) -> dict[str, list[str]]:
    return parse_qs(urlsplit(url).query)


def titles(page: Any, scope: str = "") -> list[str]:
    return [t.strip() for t in page.locator(f"{scope} article.item h3.item-title").all_inner_texts()]


def no_horizontal_scroll(page: Any) -> None:
    width, inner = page.evaluate("[document.scrollingElement.scrollWidth, window.innerWidth]")
    assert width <= inner, f"{page.url} scrolls sideways on a {inner}px-wide screen (content is {width}px)"


def test_home_shows_the_week_by_section_with_community_and_instance(page: Any, site: Site) -> None:
    page.goto("/")
    assert page.locator("html").get_attribute("lang") == "zh-CN"
    assert page.get_by_role("heading", name="近期活动").is_visible()
    for key, title in SECTION_TITLES.items():
        if key in site.data.windows and key != "later":
            assert page.locator(f"#group-{key} h3.group-title").inner_text().startswith(title)
    for key in site.data.events:
        expected = site.data.expected_section(key)
        title = site.data.events[key]["title"]
        if expected is None:
            assert title not in titles(page, "#events"), f"{title} should not be on the home page"
        else:
            assert title in titles(page, f"#group-{expected}"), f"{title} should be under {expected}"
    assert page.get_by_role("heading", name="最新闲置与技能").is_visible()
    assert "免费赠送旧书" in titles(page, "#listings")
    assert "多功能活动室" in titles(page, "#venues")

    # Every card says where it comes from: the community and its handle on this instance.
    reading = page.locator("#events article.item", has_text="读书会：三体")
    source = reading.locator(".item-source")
    assert "银湖读书会" in source.inner_text()
    assert source.locator(".handle").inner_text() == f"@reading@{site.host}"
    for card in page.locator("article.item").all():
        assert re.search(rf"@\w+@{re.escape(site.host)}", card.locator(".item-source").inner_text())
    page.screenshot(path=str(artifact("home-desktop.png")), full_page=True)

    page.set_viewport_size(PHONE)
    page.reload()
    no_horizontal_scroll(page)
    page.screenshot(path=str(artifact("home-phone.png")))  # kept on every run: the closing note shows it


def test_filter_form_puts_the_filters_in_the_url(page: Any, site: Site) -> None:
    mon, sun = site.data.windows["next_week"]
    page.goto("/")
    page.locator("details.filters > summary").click()
    form = page.locator("form.filter-form")
    form.locator("#f-kind").select_option("event")
    form.locator("#f-category").select_option("BOOK_CLUBS")
    form.locator("#f-from").fill(mon.isoformat())
    form.locator("#f-to").fill(sun.isoformat())
    with page.expect_navigation():
        form.get_by_role("button", name="筛选").click()

    q = params(page.url)
    assert urlsplit(page.url).path == "/feed"
    assert (q["kind"], q["category"], q["from"], q["to"]) == (["event"], ["BOOK_CLUBS"], [mon.isoformat()], [sun.isoformat()])
    assert titles(page, ".results") == ["读书会：三体"]  # 旧书交换日 is the same category, two weeks later
    assert page.locator(".results .kind").all_inner_texts() == ["活动"]
    # The form shows what was asked, so the view can be refined.
    assert page.locator("#f-kind").input_value() == "event"
    assert page.locator("#f-from").input_value() == mon.isoformat()

    form = page.locator("form.filter-form")
    form.locator("#f-kind").select_option("listing")
    form.locator("#f-category").select_option("")
    form.locator("#f-from").fill("")
    form.locator("#f-to").fill("")
    form.locator("#f-pmax").fill("100")
    with page.expect_navigation():
        form.get_by_role("button", name="筛选").click()

    q = params(page.url)
    assert q["kind"] == ["listing"] and q["price_max"] == ["100"]
    assert "from" not in q and "category" not in q
    found = titles(page, ".results")
    assert sorted(found) == sorted(["二手书架", "免费赠送旧书"]), found
    # The link is shareable: the same URL in a fresh page gives the same list.
    shared = page.context.new_page()
    shared.goto(page.url)
    assert titles(shared, ".results") == found


def test_search_detail_and_add_to_calendar(page: Any, site: Site) -> None:
    page.goto("/")
    page.locator("#search-q").fill("读书")
    with page.expect_navigation():
        page.locator("form.search-box button").click()
    assert urlsplit(page.url).path == "/search" and params(page.url)["q"] == ["读书"]
    marks = page.locator(".results mark").all_inner_texts()
    assert marks and all("读书" in m or m in "读书" for m in marks), marks
    found = titles(page, ".results")
    assert "读书会：三体" in found and "免费赠送旧书" in found
    assert "晨间瑜伽" not in found and "多功能活动室" not in found
    assert found.index("读书会：三体") < found.index("免费赠送旧书") or "读书" in found[0]

    with page.expect_navigation():
        page.locator(".results h3.item-title a", has_text="三体").click()
    body = site.data.events["reading"]
    start = datetime.fromisoformat(body["start"]).replace(tzinfo=DISTRICT_TZ)
    assert re.fullmatch(r"/items/\d+", urlsplit(page.url).path)
    assert page.locator("article h2").inner_text().strip() == "读书会：三体"
    facts = page.locator("dl.facts").inner_text()
    assert f"{start.month}月{start.day}日（周一）" in facts and "19:00–21:00" in facts
    assert "银湖图书角" in facts and "银湖路 8 号 2 楼" in facts
    assert "在地图中打开: 高德地图 · 百度地图 · 腾讯地图 · OpenStreetMap" in facts
    amap = page.get_by_role("link", name="高德地图").get_attribute("href")
    assert "position=114.024500%2C22.612300" in amap and "coordinate=wgs84" in amap
    assert "银湖读书会" in page.locator(".origin-box").inner_text()

    link = page.get_by_role("link", name=re.compile("添加到日历")).first
    href = link.get_attribute("href")
    assert href == urlsplit(page.url).path + ".ics"
    # Clicking it hands the browser a calendar file (a download, not a page) …
    with page.expect_download() as dl:
        link.click()
    assert dl.value.suggested_filename.endswith(".ics")
    # … whose content, fetched with the page's own request context, is the event.
    resp = page.request.get(href)
    assert resp.ok and resp.headers["content-type"].startswith("text/calendar")
    cal = Calendar.from_ical(resp.body())
    events = list(cal.walk("VEVENT"))
    assert len(events) == 1
    assert str(events[0]["SUMMARY"]) == "读书会：三体"
    assert events[0].decoded("DTSTART") == start


def test_language_switch_gives_english_headings(page: Any, site: Site) -> None:
    page.goto("/")
    with page.expect_navigation():
        page.get_by_role("link", name="English").click()
    assert params(page.url)["lang"] == ["en"]
    assert page.locator("html").get_attribute("lang") == "en"
    for name in ("Upcoming events", "Latest listings", "Venues", "Communities"):
        assert page.get_by_role("heading", name=name, exact=True).is_visible(), name
    groups = page.locator("h3.group-title").all_inner_texts()
    assert any(g.startswith("Today") for g in groups) and any(g.startswith("Next week") for g in groups)
    assert any(g.startswith("This weekend") for g in groups) == ("weekend" in site.data.windows)
    assert "近期活动" not in page.locator("main").inner_text()
    # The choice sticks (cookie) on the next page without ?lang=.
    page.goto("/venues/find")
    assert page.get_by_role("heading", name="Venue finder").is_visible() or page.locator("html").get_attribute("lang") == "en"
    assert page.locator("html").get_attribute("lang") == "en"


def test_venue_finder_ranks_the_best_fit_first_and_says_why(page: Any, site: Site) -> None:
    saturday = site.data.saturday
    page.goto("/")
    with page.expect_navigation():
        page.locator("nav.resident-nav a[href='/venues/find']").click()
    form = page.locator("form.venue-form")
    form.locator("#v-people").fill("25")
    form.locator("input[name=amenity][value=projector]").check()
    form.locator("#v-date").fill(saturday.isoformat())
    form.locator("#v-start").fill("14:00")
    form.locator("#v-end").fill("17:00")
    with page.expect_navigation():
        form.get_by_role("button", name="查找场地").click()

    q = params(page.url)
    assert (q["people"], q["amenity"], q["date"], q["start"], q["end"]) == (
        ["25"], ["projector"], [saturday.isoformat()], ["14:00"], ["17:00"])
    matches = page.locator("li.venue-match")
    names = [n.strip() for n in matches.locator("h3.item-title a").all_inner_texts()]
    # Too small (小会议室 10, 创客空间 20), closed on Saturdays (街道办会议室), no projector (屋顶花园).
    assert names == ["多功能活动室", "大礼堂"], names
    best = matches.first
    reasons = best.locator("ul.reasons li")
    assert best.locator(".why-title").is_visible()
    texts = reasons.all_inner_texts()
    assert any("可容纳 40 人（需要 25）" in t for t in texts), texts
    assert any("投影仪" in t for t in texts), texts
    assert any("周六 10:00–18:00" in t for t in texts), texts
    assert all(r.is_visible() for r in reasons.all())
    assert "物业前台 0755-1234" in best.locator(".how-to-book").inner_text()
    # The bigger hall fits too, but says it is larger than needed.
    assert "场地偏大" in matches.nth(1).inner_text()
    page.screenshot(path=str(artifact("venue-finder-desktop.png")), full_page=True)

    page.set_viewport_size(PHONE)
    page.reload()
    no_horizontal_scroll(page)
    best = page.locator("li.venue-match").first
    best.scroll_into_view_if_needed()
    assert best.locator("ul.reasons").is_visible()
    page.screenshot(path=str(artifact("venue-finder-phone.png")))


@pytest.mark.parametrize("path", ["/", "/feed?kind=event", "/search?q=读书", "/communities", "/venues/find"])
def test_phone_layout_has_no_sideways_scroll(context: Any, site: Site, path: str) -> None:
    page = context.new_page()
    page.set_viewport_size(PHONE)
    page.goto(path)
    no_horizontal_scroll(page)


def test_language_switch_keeps_the_filtered_view(page: Any, site: Site) -> None:
    page.goto("/search?q=读书&kind=event")
    with page.expect_navigation():
        page.get_by_role("link", name="English").click()
    q = params(page.url)
    assert q.get("lang") == ["en"]
    assert q.get("q") == ["读书"] and q.get("kind") == ["event"], page.url
