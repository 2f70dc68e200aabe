"""The pages on a 390 px phone (nothing scrolls sideways, long links wrap) and on a 1280 px
desktop (home in two columns, lists as a grid of cards), in headless Chromium."""

from __future__ import annotations

from typing import Any

from tests.browser.conftest import DESKTOP, PHONE, Site, artifact
from tests.browser.test_resident_flow import no_horizontal_scroll

PAGES = [
    "/", "/feed?kind=event", "/feed?kind=listing", "/communities", "/c/reading", "/calendar",
    "/c/reading/submit", "/c/reading/submit?type=listing&lang=en",
    "/venues/find?people=20&amenity=projector&amenity=wifi&amenity=whiteboard&amenity=tables_chairs&area=%E9%93%B6%E6%B9%96",
]


def test_no_page_scrolls_sideways_on_a_phone(page: Any, site: Site) -> None:
    page.set_viewport_size(PHONE)
    for path in PAGES:
        page.goto(path)
        no_horizontal_scroll(page)
    page.goto(PAGES[-1])
    assert page.locator(".share a").is_visible()
    page.screenshot(path=str(artifact("venue-finder-share-phone.png")), full_page=True)
    page.goto("/c/reading")
    page.screenshot(path=str(artifact("community-phone.png")), full_page=True)
    first = page.locator("article.item h3.item-title a").first
    first.click()
    no_horizontal_scroll(page)


def test_desktop_home_has_two_columns_and_lists_a_grid(page: Any, site: Site) -> None:
    page.set_viewport_size(DESKTOP)
    page.goto("/")
    main, side = page.locator(".col-main").bounding_box(), page.locator(".col-side").bounding_box()
    assert side["x"] >= main["x"] + main["width"] - 1 and abs(side["y"] - main["y"]) < 5  # side by side
    assert main["width"] > side["width"]
    assert page.locator("body").bounding_box()["width"] > 900  # no longer one 640 px column
    page.goto("/feed?kind=listing")
    lefts = {round(b["x"]) for b in (c.bounding_box() for c in page.locator(".results article.item").all()) if b}
    assert len(lefts) >= 2, lefts  # cards side by side
    no_horizontal_scroll(page)
    page.screenshot(path=str(artifact("listings-desktop.png")), full_page=True)


def test_use_my_location_fills_the_near_field(browser: Any, site: Site) -> None:
    """The one script: where the reader allows it, 用我的位置 fills 附近 with their coordinates;
    the form is sent as typed."""
    ctx = browser.new_context(base_url=site.url, locale="zh-CN", viewport=PHONE, permissions=["geolocation"],
                              geolocation={"latitude": 22.6123, "longitude": 114.0245})
    try:
        page = ctx.new_page()
        page.goto("/venues/find")
        page.get_by_role("button", name="📍 用我的位置").click()
        page.wait_for_function("document.querySelector('#v-near').value !== ''")
        assert page.locator("#v-near").input_value() == "22.61230,114.02450"
        no_horizontal_scroll(page)
    finally:
        ctx.close()
