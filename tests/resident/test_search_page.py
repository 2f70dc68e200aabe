"""/search as a resident types it (issue 16): variants and synonyms, unsegmented queries, and a
zero-result page that suggests the nearest query and the unfiltered feed, in zh-CN and English."""

from __future__ import annotations

from tests.resident.conftest import Hood
from tests.resident.helpers import cards, links, visible_text


async def test_variants_synonyms_and_unsegmented_queries(hood: Hood) -> None:
    assert cards((await hood.get("/search?q=瑜珈")).text) == ["晨间瑜伽"]
    assert cards((await hood.get("/search?q=单车")).text) == ["儿童自行车"]
    assert cards((await hood.get("/search?q=篮求")).text) == ["篮球友谊赛"]
    page = (await hood.get("/search?q=瑜珈")).text
    assert "<mark>瑜伽</mark>" in page  # the form it found is highlighted


async def test_zero_results_suggest_the_nearest_query_and_the_feed(hood: Hood) -> None:
    page = (await hood.get("/search?q=篮球友谊赛飞盘&kind=event")).text
    assert cards(page) == []
    text = visible_text(page)
    assert "没有找到与“篮球友谊赛飞盘”相关的内容" in text and "试试" in text
    suggested = next(h for h in links(page) if h.startswith("/search?") and "q=" in h and h != "/search")
    assert "kind=event" in suggested  # the same filters
    assert cards((await hood.get(suggested)).text) == ["篮球友谊赛"]
    assert '<a href="/feed">查看全部内容（不带搜索和筛选）</a>' in page
    english = (await hood.get("/search?q=篮球友谊赛飞盘&lang=en")).text
    assert "Nothing found for" in visible_text(english) and "Try:" in visible_text(english)
    assert "See everything in the feed" in visible_text(english)


async def test_zero_results_without_a_suggestion(hood: Hood) -> None:
    page = (await hood.get("/search?q=量子力学")).text
    assert cards(page) == [] and "没有找到" in visible_text(page) and "试试" not in visible_text(page)
    assert '<a href="/feed">查看全部内容' in page
    plain = (await hood.get("/feed?kind=event&category=TECH")).text  # no search: no suggestion
    assert "没有符合条件的内容" in visible_text(plain)
