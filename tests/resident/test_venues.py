"""The venue finder ranks the known right answer first, says why, and excludes what cannot work."""

from __future__ import annotations

from datetime import date, time

from actors.feed.venues import VenueNeeds, find_venues, open_during
from fedi.content import OpeningHours
from fedi.content import hours_from_text as parse_hours_text
from tests.resident.conftest import HOME, NOW, Hood
from tests.resident.helpers import visible_text


async def _find(hood: Hood, needs: VenueNeeds) -> list:
    async with hood.a.inst.engine.connect() as conn:
        return await find_venues(conn, needs, NOW)


async def test_25_people_with_projector_on_saturday_afternoon(hood: Hood) -> None:
    needs = VenueNeeds(people=25, amenities=("projector",), day=date(2030, 5, 11), start=time(14), end=time(17))
    matches = await _find(hood, needs)
    # the 40-person room beats the 200-person hall; the 10-person room is too small, the
    # weekday room is closed on Saturdays, the garden and the 20-person maker space do not fit
    assert [m.name for m in matches] == ["多功能活动室", "大礼堂"]
    best = matches[0]
    assert best.reasons == ["可容纳 40 人（需要 25）", "有投影仪", "周六 10:00–18:00 开放", "免费", "可预约"]
    assert best.how_to_book["bookable"] and best.how_to_book["contact"] == "物业前台 0755-1234"
    assert best.how_to_book["community_handle"] == "@compound@a.test"
    assert best.how_to_book["origin"] == hood.uris["venue.room40"]
    assert matches[1].warnings == ["场地偏大：可容纳 200 人，需要 25"]
    assert "¥100/小时" in matches[1].reasons

    page = await hood.get("/venues/find?people=25&amenity=projector&date=2030-05-11&start=14:00&end=17:00")
    assert page.status_code == 200
    text = visible_text(page.text)
    assert text.index("多功能活动室") < text.index("大礼堂")
    for reason in best.reasons:
        assert reason in text
    assert "小会议室" not in text and "街道办会议室" not in text
    assert f'href="/items/{hood.ids["venue.room40"]}"' in page.text
    assert 'value="projector" checked' in page.text  # the form keeps the needs


async def test_whiteboard_and_power_near_home_on_a_weekday_evening(hood: Hood) -> None:
    needs = VenueNeeds(people=15, amenities=("whiteboard", "power_outlets"), day=date(2030, 5, 9),
                       start=time(19), end=time(21), near=HOME, radius_km=5)
    strict = await _find(hood, needs)
    assert [m.name for m in strict] == ["创客空间"]  # the only one with both; the 10-person room is too small
    assert strict[0].reasons == ["可容纳 20 人（需要 15）", "有白板、电源插座", "周四 13:00–22:00 开放",
                                 "距离 0.2 公里", "¥30/小时", "可预约"]
    partial = await _find(hood, VenueNeeds(**{**needs.__dict__, "partial": True}))
    assert partial[0].name == "创客空间"
    room = next(m for m in partial if m.name == "多功能活动室")
    assert room.warnings == ["缺少白板、电源插座"] and room.score < partial[0].score
    assert "大礼堂" in [m.name for m in partial]  # open 08–22 every day, 200 seats: ranked, but lower
    assert [m.name for m in partial].index("大礼堂") > [m.name for m in partial].index("多功能活动室")


async def test_outdoor_kitchen_on_sunday_in_english(hood: Hood) -> None:
    resp = await hood.get("/venues/find?people=45&amenity=outdoor&amenity=kitchen&date=2030-05-12&lang=en")
    text = visible_text(resp.text)
    assert "1 venue fits" in text
    assert "屋顶花园" in text
    for reason in ("Holds 50 people (you need 45)", "Has Outdoor space, Kitchen", "Free",
                   "Opening hours unknown, ask", "Not bookable online, contact first"):
        assert reason in text
    needs = VenueNeeds(people=45, amenities=("outdoor", "kitchen"), day=date(2030, 5, 12), lang="en")
    (only,) = await _find(hood, needs)
    assert only.open_status == "unknown" and only.warnings == ["Opening hours unknown, ask"]


async def test_area_and_capacity_fit(hood: Hood) -> None:
    # with no time asked, hours do not matter; 8 people: the small room fits best, not the hall
    matches = await _find(hood, VenueNeeds(people=8, amenities=("wifi",)))
    assert matches[0].name == "小会议室" and matches[-1].name == "大礼堂"
    assert await _find(hood, VenueNeeds(area="不存在的街道")) == []
    assert {m.name for m in await _find(hood, VenueNeeds(near=(22.65, 114.05), radius_km=1))} == {"街道办会议室"}


def test_parse_hours_text() -> None:
    assert parse_hours_text("Mo-Fr 09:00-21:00; Sa 10:00-18:00") == [
        OpeningHours(days=["Monday", "Tuesday", "Wednesday", "Thursday", "Friday"], opens="09:00", closes="21:00"),
        OpeningHours(days=["Saturday"], opens="10:00", closes="18:00"),
    ]
    assert parse_hours_text("Mo-Fr 09:00-18:00; Sa-Su off")[0].days[-1] == "Friday"
    assert parse_hours_text("周一至周五 9:00-21:00；周六 10:00-16:00")[1] == OpeningHours(["Saturday"], "10:00", "16:00")
    assert parse_hours_text("Sa,Su 08:00-12:00,14:00-18:00") == [
        OpeningHours(["Saturday", "Sunday"], "08:00", "12:00"), OpeningHours(["Saturday", "Sunday"], "14:00", "18:00")]
    assert parse_hours_text("24/7")[0].closes == "24:00"
    assert parse_hours_text("Fr-Mo 18:00-02:00")[0].days == ["Friday", "Saturday", "Sunday", "Monday"]
    assert parse_hours_text("call us") is None and parse_hours_text("") is None


def test_open_during() -> None:
    hours = parse_hours_text("Mo-Fr 09:00-21:00; Sa 10:00-18:00; Fr 22:00-02:00")
    assert hours is not None
    sat = date(2030, 5, 11)
    assert open_during(hours, sat, time(14), time(17)) is not None
    assert open_during(hours, sat, time(17), time(19)) is None  # runs past closing
    assert open_during(hours, date(2030, 5, 12), None, None) is None  # Sunday
    assert open_during(hours, date(2030, 5, 10), time(23), time(23, 59)) is not None  # past midnight


def test_needs_from_params() -> None:
    from starlette.datastructures import QueryParams

    needs = VenueNeeds.from_params(QueryParams("people=25&amenity=projector&amenity=wifi&date=2030-05-11&start=14:00"
                                               "&near=22.61,114.02&radius=3&partial=1"), lang="en")
    assert needs.amenities == ("projector", "wifi") and needs.start == time(14) and needs.partial
    assert needs.to_params()["amenity"] == ["projector", "wifi"]
