"""The pages that depend on the day, in headless Chromium against a site whose clock the test
sets (tests/browser/clocked.py): home on a Wednesday and on a Sunday of the same week, the
month calendar, and a search that finds nothing. Each at 1280 px and at 390 px (nothing
scrolls sideways), with screenshots kept in ci-artifacts/browser/."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlsplit

import pytest

from tests.browser.clocked import SATURDAY, SUNDAY, WEDNESDAY, ClockedSite
from tests.browser.conftest import DESKTOP, PHONE, artifact
from tests.browser.test_resident_flow import no_horizontal_scroll, params, titles

pytestmark = pytest.mark.browser

DAY = {"today": "今天", "later": "本周稍后", "weekend": "本周末", "next_week": "下周"}


def groups(page: Any) -> dict[str, tuple[str, list[str]]]:
    """The home page's day groups in order: key -> (heading text, card titles)."""
    out = {}
    for g in page.locator("#events section.day-group").all():
        key = (g.get_attribute("id") or "").removeprefix("group-")
        out[key] = (g.locator("h3.group-title").inner_text().strip(), titles(g))
    return out


def both_sizes(page: Any, name: str) -> None:
    """A full-page screenshot at 1280 px, then at 390 px, where nothing may scroll sideways."""
    page.set_viewport_size(DESKTOP)
    page.screenshot(path=str(artifact(f"{name}-desktop.png")), full_page=True)
    page.set_viewport_size(PHONE)
    page.reload()
    no_horizontal_scroll(page)
    page.screenshot(path=str(artifact(f"{name}-phone.png")), full_page=True)


def test_home_on_a_wednesday_lists_the_coming_weekend(clocked_page: Any, clocked_site: ClockedSite) -> None:
    clocked_site.at(WEDNESDAY)
    page = clocked_page
    page.goto("/")
    found = groups(page)
    assert list(found) == ["today", "later", "weekend", "next_week"], found
    assert found["today"] == ("今天 5月8日（周三）", ["读书会：三体"])
    assert found["later"] == ("本周稍后 5月9日（周四） – 5月10日（周五）", ["编程夜 Python 入门"])
    heading, weekend = found["weekend"]
    assert heading == "本周末 5月11日（周六） – 5月12日（周日）"
    # Soonest first; the market that runs Saturday to Sunday is listed once.
    assert weekend == ["周末跳蚤市场", "篮球友谊赛", "亲子手工课", "周日露天电影"], weekend
    assert found["next_week"][1] == ["晨间瑜伽"]
    assert "周一茶话会" not in page.locator("#events").inner_text()  # Monday's, over
    assert page.locator("#events .empty").count() == 0
    both_sizes(page, "home-wednesday")


def test_home_on_a_sunday_shows_the_weekend_as_today(clocked_page: Any, clocked_site: ClockedSite) -> None:
    """The issue's Sunday: eight events under 今天, then "本周末 暂无活动". Today is the weekend,
    so its events are under 今天 (with the day named), and there is no second, empty 本周末."""
    clocked_site.at(SUNDAY)
    page = clocked_page
    page.goto("/")
    found = groups(page)
    assert list(found) == ["today", "next_week"], found
    heading, today = found["today"]
    assert heading == "今天 5月12日（周日）"
    # Still running (the market since Saturday, the class since 09:30) and still ahead.
    assert today == ["周末跳蚤市场", "亲子手工课", "周日露天电影"], today
    assert found["next_week"] == ("下周 5月13日（周一） – 5月19日（周日）", ["晨间瑜伽"])
    events = page.locator("#events").inner_text()
    assert "篮球友谊赛" not in events  # Saturday's, over
    assert "本周末" not in events and "暂无活动" not in events
    both_sizes(page, "home-sunday")


def test_home_on_a_saturday_keeps_sunday_for_the_weekend(clocked_page: Any, clocked_site: ClockedSite) -> None:
    clocked_site.at(SATURDAY)
    page = clocked_page
    page.goto("/")
    found = groups(page)
    assert list(found) == ["today", "weekend", "next_week"], found
    assert found["today"] == ("今天 5月11日（周六）", ["周末跳蚤市场", "篮球友谊赛"])
    assert found["weekend"] == ("本周末 5月12日（周日）", ["亲子手工课", "周日露天电影"])  # the market once
    both_sizes(page, "home-saturday")


def test_month_calendar_puts_each_event_on_its_day(clocked_page: Any, clocked_site: ClockedSite) -> None:
    clocked_site.at(WEDNESDAY)
    page = clocked_page
    page.goto("/")
    with page.expect_navigation():
        page.locator("nav.resident-nav a[href='/calendar']").click()
    assert page.get_by_role("heading", name=re.compile("2030年5月")).is_visible()

    def day(n: int) -> Any:
        return page.locator("table.month td").filter(has=page.locator("div.day", has_text=re.compile(rf"^{n}$")))

    assert "today" in (day(8).get_attribute("class") or "")
    assert day(8).locator("a.cal-event").all_inner_texts() == ["19:00 读书会：三体"]
    assert day(11).locator("a.cal-event").all_inner_texts() == ["09:00 周末跳蚤市场", "15:00 篮球友谊赛"]
    # The market shows on both days it runs; Sunday's own events with their times.
    assert day(12).locator("a.cal-event").all_inner_texts() == ["周末跳蚤市场", "09:30 亲子手工课", "19:00 周日露天电影"]
    assert day(6).locator("a.cal-event").all_inner_texts() == ["09:00 周一茶话会"]  # the month keeps past days
    assert day(10).locator("a.cal-event").count() == 0
    # The Monday-first grid: 2030-05-01 is a Wednesday, the third cell of the first row.
    first_row = page.locator("table.month tbody tr").first.locator("td")
    assert first_row.nth(2).locator("div.day").inner_text() == "1"
    both_sizes(page, "calendar")

    page.set_viewport_size(DESKTOP)
    with page.expect_navigation():
        day(11).get_by_role("link", name=re.compile("篮球友谊赛")).click()
    assert urlsplit(page.url).path == f"/items/{clocked_site.ids['event.saturday']}"
    assert page.locator("article h2").inner_text().strip() == "篮球友谊赛"
    page.go_back()
    with page.expect_navigation():
        page.get_by_role("link", name=re.compile("下个月|下月")).click()
    assert params(page.url)["month"] == ["2030-06"]
    assert page.locator("a.cal-event").count() == 0


def test_search_with_no_results_suggests_a_query_and_the_feed(clocked_page: Any, clocked_site: ClockedSite) -> None:
    clocked_site.at(WEDNESDAY)
    page = clocked_page
    page.goto("/")
    page.locator("#search-q").fill("篮球友谊赛飞盘")
    with page.expect_navigation():
        page.locator("form.search-box button").click()
    assert params(page.url)["q"] == ["篮球友谊赛飞盘"]
    assert titles(page, ".results") == []
    zero = page.locator(".zero-results")
    assert "没有找到与“篮球友谊赛飞盘”相关的内容" in zero.inner_text()
    suggestion = zero.locator("a.suggestion")
    # The query without the word that found nothing (as words: "篮球 友谊赛").
    assert suggestion.is_visible() and suggestion.inner_text().replace(" ", "") == "篮球友谊赛"
    feed = zero.get_by_role("link", name=re.compile("查看全部内容"))
    assert feed.get_attribute("href") == "/feed"
    both_sizes(page, "search-zero")

    page.set_viewport_size(DESKTOP)
    with page.expect_navigation():
        page.locator(".zero-results a.suggestion").click()
    assert urlsplit(page.url).path == "/search"
    assert titles(page, ".results") == ["篮球友谊赛"]
    page.go_back()
    with page.expect_navigation():
        page.locator(".zero-results").get_by_role("link", name=re.compile("查看全部内容")).click()
    assert urlsplit(page.url).path == "/feed" and not urlsplit(page.url).query
    shown = titles(page, ".results")
    assert "篮球友谊赛" in shown and "屋顶花园" in shown, shown  # everything: events and venues

