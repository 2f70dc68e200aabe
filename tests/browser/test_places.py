"""Places in a real browser (headless Chromium, the clocked site of tests/browser/clocked.py at
Wednesday 10:00): an event's map links by coordinates with nothing loaded from anywhere but
the site itself, a venue's page with its upcoming events, and an organiser placing a new event
at one of the network's venues from the dashboard — with JavaScript off, since the dashboard's
forms need none. At 1280 px and 390 px, screenshots kept in ci-artifacts/browser/."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlsplit

import pytest

from tests.browser.clocked import HALL, PASSWORD, WEDNESDAY, ClockedSite
from tests.browser.conftest import DESKTOP, PHONE, artifact, open_context
from tests.browser.test_resident_flow import no_horizontal_scroll
from tests.browser.test_week import both_sizes

pytestmark = pytest.mark.browser

MAPS = ["高德地图", "百度地图", "腾讯地图", "OpenStreetMap"]


def requests_of(page: Any) -> list[str]:
    """Every URL the page requests from now on (the list fills as it loads)."""
    seen: list[str] = []
    page.on("request", lambda r: seen.append(r.url))
    return seen


def assert_stayed_home(seen: list[str], site: ClockedSite) -> None:
    assert seen, "the page made no request at all"
    away = [u for u in seen if not u.startswith(site.url + "/")]
    assert not away, f"requests left {site.url}: {away}"


def assert_map_links(page: Any, lat: float, lon: float) -> None:
    maps = page.locator(".maps a")
    assert maps.all_inner_texts() == MAPS
    hrefs = [maps.nth(i).get_attribute("href") or "" for i in range(len(MAPS))]
    la, lo = f"{lat:.6f}", f"{lon:.6f}"
    assert hrefs[0].startswith("https://uri.amap.com/marker?") and f"position={lo}%2C{la}" in hrefs[0]
    assert hrefs[1].startswith("https://api.map.baidu.com/marker?") and f"location={la}%2C{lo}" in hrefs[1]
    assert hrefs[2].startswith("https://apis.map.qq.com/uri/v1/marker?") and f"coord:{la},{lo}" in hrefs[2]
    assert hrefs[3] == f"https://www.openstreetmap.org/?mlat={la}&mlon={lo}#map=17/{la}/{lo}"
    # Links only: no map drawn in the page, no script but the site's own.
    assert page.locator("iframe").count() == 0
    scripts = page.locator("script").evaluate_all("els => els.map(e => e.src || 'inline')")
    assert all(s == f"{urlsplit(page.url).scheme}://{urlsplit(page.url).netloc}/static/locate.js" for s in scripts), scripts


def test_event_links_to_maps_by_coordinates_and_loads_nothing_from_elsewhere(
        clocked_page: Any, clocked_site: ClockedSite) -> None:
    clocked_site.at(WEDNESDAY)
    page = clocked_page
    seen = requests_of(page)
    page.goto(f"/items/{clocked_site.ids['event.saturday']}")
    page.wait_for_load_state("networkidle")
    assert page.locator("article h2").inner_text().strip() == "篮球友谊赛"
    facts = page.locator("dl.facts").inner_text()
    assert "银湖球场" in facts and "银湖路 20 号" in facts
    assert "在地图中打开: 高德地图 · 百度地图 · 腾讯地图 · OpenStreetMap" in facts
    assert "22.63" not in facts  # a place, not raw numbers
    assert_map_links(page, 22.63, 114.02)
    both_sizes(page, "event-map-links")
    page.wait_for_load_state("networkidle")
    assert_stayed_home(seen, clocked_site)


def test_venue_page_lists_its_upcoming_events(clocked_page: Any, clocked_site: ClockedSite) -> None:
    clocked_site.at(WEDNESDAY)
    page = clocked_page
    seen = requests_of(page)
    page.goto(f"/items/{clocked_site.ids['venue.hall']}")
    assert page.locator("article h2").first.inner_text().strip() == HALL["name"]
    assert_map_links(page, HALL["latitude"], HALL["longitude"])
    held = page.locator("#held-here")
    assert held.get_by_role("heading", name="即将在这里举办").is_visible()
    # Sunday's film is at the hall; Monday's tea party was too but is over; the craft class is
    # at 银湖社区中心, a few metres away under another name.
    assert held.locator("a").all_inner_texts() == ["周日露天电影"]
    assert "5月12日（周日） 19:00" in held.inner_text()
    both_sizes(page, "venue-events")
    assert_stayed_home(seen, clocked_site)

    page.set_viewport_size(DESKTOP)
    with page.expect_navigation():
        held.get_by_role("link", name="周日露天电影").click()
    assert urlsplit(page.url).path == f"/items/{clocked_site.ids['event.sunday_pm']}"
    assert HALL["name"] in page.locator("dl.facts").inner_text()


def _log_in(page: Any) -> None:
    page.goto("/login")
    page.locator("#name").fill("lin")
    page.locator("#password").fill(PASSWORD)
    with page.expect_navigation():
        page.get_by_role("button", name="登录").click()
    assert urlsplit(page.url).path.startswith("/dashboard"), page.url


def test_organiser_places_an_event_at_a_network_venue_without_javascript(
        browser: Any, clocked_site: ClockedSite, request: pytest.FixtureRequest) -> None:
    clocked_site.at(WEDNESDAY)
    with open_context(browser, clocked_site.url, request, java_script_enabled=False) as ctx:
        page = ctx.new_page()
        _log_in(page)
        page.goto("/dashboard/compound/new/event")
        form = page.locator("form.dash-form")
        form.locator("#f-title").fill("屋顶音乐会")
        form.locator("#f-content").fill("夏夜的屋顶音乐会，自带坐垫。")
        form.locator("#f-start").fill("2030-05-20T19:00")
        form.locator("#f-end").fill("2030-05-20T21:00")
        venues = form.locator("#f-venue option").all_inner_texts()
        assert "屋顶花园 · 银湖路 8 号 天台" in venues and f"{HALL['name']} · {HALL['address']}" in venues, venues
        form.locator("#f-venue").select_option(label="屋顶花园 · 银湖路 8 号 天台")
        page.set_viewport_size(PHONE)
        no_horizontal_scroll(page)  # the filled form on a phone
        page.screenshot(path=str(artifact("dashboard-event-form-phone.png")), full_page=True)
        with page.expect_navigation():
            form.get_by_role("button", name="发布").click()
        page.set_viewport_size(DESKTOP)

        # The banner links to what was just published.
        banner = page.locator(".banner.ok")
        assert "屋顶音乐会" in banner.inner_text(), page.content()
        with page.expect_navigation():
            banner.get_by_role("link", name="屋顶音乐会").click()
        facts = page.locator("dl.facts").inner_text()
        assert "屋顶花园" in facts and "银湖路 8 号 天台" in facts, facts
        assert_map_links(page, 22.6105, 114.0210)

        # The venue's page now lists it, and its link leads to the event's resident page.
        page.goto(f"/items/{clocked_site.ids['venue.garden']}")
        held = page.locator("#held-here")
        assert held.locator("a").all_inner_texts() == ["屋顶音乐会"]
        both_sizes(page, "dashboard-venue-event")
        with page.expect_navigation():
            held.get_by_role("link", name="屋顶音乐会").click()
        assert re.fullmatch(r"/items/\d+", urlsplit(page.url).path)
        assert page.locator("article h2").inner_text().strip() == "屋顶音乐会"
        assert "屋顶花园" in page.locator("dl.facts").inner_text()
