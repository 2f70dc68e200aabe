"""Home: upcoming events grouped today / later this week / this weekend / next week in
Asia/Shanghai, then latest listings, venues and communities; past events and closed or expired
listings stay out; every item names its community and instance and links to its origin."""

from __future__ import annotations

from datetime import date

from tests.resident.conftest import Hood
from tests.resident.helpers import cards, links, section, visible_text
from web.resident import week_windows


async def test_home_groups_events_by_day(hood: Hood) -> None:
    page = (await hood.get("/")).text
    assert cards(section(page, "group-today")) == ["读书会：三体"]
    assert cards(section(page, "group-later")) == ["编程夜 Python 入门"]
    assert cards(section(page, "group-weekend")) == ["篮球友谊赛"]
    assert cards(section(page, "group-next_week")) == ["晨间瑜伽"]
    text = visible_text(page)
    for heading in ("今天", "本周末", "下周", "最新闲置与技能", "场地", "社区"):
        assert heading in text
    assert "上周的旧书交换" not in text  # past
    assert "端午包粽子" not in section(page, "events")  # beyond next week: in /feed, not on home


async def test_home_lists_listings_venues_and_communities(hood: Hood) -> None:
    page = (await hood.get("/")).text
    listed = cards(section(page, "listings"))
    assert listed[0] == "求教吉他"  # latest first
    assert set(listed) == {"求教吉他", "免费赠送旧书", "儿童自行车"}  # closed and expired are hidden
    assert "多功能活动室" in cards(section(page, "venues"))
    communities = visible_text(section(page, "communities"))
    for name, handle in (("银湖读书会", "@reading@a.test"), ("银湖花园小区", "@compound@a.test"), ("二手市场", "@market@a.test")):
        assert name in communities and handle in communities


async def test_every_item_shows_community_and_links_to_origin_and_detail(hood: Hood) -> None:
    page = (await hood.get("/")).text
    today = section(page, "group-today")
    assert "银湖读书会" in today and "@reading@a.test" in today
    hrefs = links(today)
    assert f"/items/{hood.ids['event.today']}" in hrefs
    assert hood.uris["event.today"] in hrefs  # the origin
    assert f"/items/{hood.ids['event.today']}.ics" in hrefs
    # a search box and the filter form at the top
    assert 'action="/search"' in page and 'action="/feed"' in page
    assert page.index('action="/search"') < page.index('id="events"')


def test_week_windows() -> None:
    wed = week_windows(date(2030, 5, 8))
    assert wed == {"today": (date(2030, 5, 8),) * 2, "later": (date(2030, 5, 9), date(2030, 5, 10)),
                   "weekend": (date(2030, 5, 11), date(2030, 5, 12)),
                   "next_week": (date(2030, 5, 13), date(2030, 5, 19))}
    fri = week_windows(date(2030, 5, 10))
    assert "later" not in fri and fri["weekend"] == (date(2030, 5, 11), date(2030, 5, 12))
    sat = week_windows(date(2030, 5, 11))
    assert sat["weekend"] == (date(2030, 5, 12), date(2030, 5, 12)) and sat["next_week"][0] == date(2030, 5, 13)
    sun = week_windows(date(2030, 5, 12))  # today is the weekend: no second, empty weekend heading
    assert "weekend" not in sun and sun["next_week"] == (date(2030, 5, 13), date(2030, 5, 19))
