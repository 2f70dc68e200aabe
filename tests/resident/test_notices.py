"""Notices (a community's notes: 停水通知, 物业公告) have a home: on the home page and on the
community's page, its organisers' pinned one first; /c/SLUG in a browser is that page, with
the same cards as every resident page; counts read right in English."""

from __future__ import annotations

from actors.publishing.publishing import pin_notice, publish
from tests.resident.conftest import Hood
from tests.resident.helpers import cards, section, visible_text


async def _notices(hood: Hood) -> dict[str, str]:
    uris = {}
    for key, text in (("water", "明天 9:00–12:00 停水，请提前储水。"), ("lift", "3 号楼电梯周五保养。"),
                      ("market", "周日跳蚤市场，欢迎摆摊。")):
        hood.a.clock.now = hood.a.clock.now.replace(minute=hood.a.clock.now.minute + 1)
        slug = "market" if key == "market" else "compound"
        uris[key] = (await publish(hood.a.inst, slug, {"type": "note", "content": text})).uri
    return uris


async def test_notices_lead_home_and_the_community_page_pinned_first(hood: Hood) -> None:
    uris = await _notices(hood)
    home = (await hood.get("/")).text
    assert cards(section(home, "notices"))[0].startswith("周日跳蚤市场")  # newest first
    await pin_notice(hood.a.inst, uris["water"])
    home = (await hood.get("/")).text
    notices = cards(section(home, "notices"))
    assert notices[0].startswith("明天 9:00–12:00 停水") and len(notices) == 3
    assert "📌 置顶" in section(home, "notices")

    compound = (await hood.get("/c/compound")).text  # the origin's own page, in a browser
    assert [n[:4] for n in cards(section(compound, "notices"))] == ["明天 9", "3 号楼"]  # this community's only
    assert "篮球友谊赛" in cards(section(compound, "events"))
    text = visible_text(compound)
    assert "银湖花园小区" in text and "小区" in text and "位关注者" in text
    assert 'href="/"' in compound  # the way back: the resident navigation

    # Pinning another notice of the community unpins the first; unpinning leaves newest first.
    await pin_notice(hood.a.inst, uris["lift"])
    assert cards(section((await hood.get("/c/compound")).text, "notices"))[0].startswith("3 号楼")
    await pin_notice(hood.a.inst, uris["lift"], pinned=False)
    assert "📌" not in section((await hood.get("/c/compound")).text, "notices")


async def test_only_notices_can_be_pinned(hood: Hood) -> None:
    import pytest

    from actors.publishing.validation import ContentError

    with pytest.raises(ContentError) as caught:
        await pin_notice(hood.a.inst, hood.uris["event.today"])
    assert caught.value.errors["url"].code == "pin_notice"


async def test_english_counts_are_singular_for_one(hood: Hood) -> None:
    page = visible_text((await hood.get("/communities?lang=en")).text)
    assert "1 events" not in page and "1 venues" not in page and "1 listings" not in page
    assert "1 event" in page or "1 listing" in page or "1 venue" in page


async def test_a_notices_page_tells_its_time_in_the_district(hood: Hood) -> None:
    uris = await _notices(hood)
    from sqlalchemy import select

    from actors.storage.models import objects

    async with hood.a.inst.engine.connect() as conn:
        row = (await conn.execute(select(objects.c.id, objects.c.published).where(objects.c.uri == uris["water"]))).one()
    text = visible_text((await hood.get(f"/items/{row.id}")).text)
    local = row.published.astimezone(__import__("zoneinfo").ZoneInfo("Asia/Shanghai"))
    assert local.strftime("%Y-%m-%d %H:%M") in text and "UTC" not in text
