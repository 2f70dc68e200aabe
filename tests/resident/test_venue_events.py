"""An event can take one of the network's venues as its place (the dashboard's event form
offers them), and a venue's page lists the events coming up there."""

from __future__ import annotations

from actors.publishing.publishing import publish
from tests.resident.conftest import Hood, event
from tests.resident.helpers import section, visible_text


async def test_the_venue_page_lists_its_coming_events_and_not_a_namesake_elsewhere(hood: Hood) -> None:
    here = {"name": "大礼堂", "address": "银湖路 1 号", "latitude": 22.6301, "longitude": 114.0301}
    far = {"name": "大礼堂", "address": "别的区", "latitude": 22.70, "longitude": 114.20}
    await publish(hood.a.inst, "compound", event("社区春晚彩排", "2030-05-20T19:00", "2030-05-20T21:00", place=here))
    await publish(hood.a.inst, "compound", event("别处的同名礼堂", "2030-05-21T19:00", "2030-05-21T21:00", place=far))
    await publish(hood.a.inst, "compound", event("去年的联欢", "2030-05-01T19:00", "2030-05-01T21:00", place=here))
    page = (await hood.get(f"/items/{hood.ids['venue.hall200']}")).text
    held = visible_text(section(page, "held-here"))
    assert "社区春晚彩排" in held and "5月20日" in held
    assert "别处的同名礼堂" not in held and "去年的联欢" not in held
    empty = visible_text(section((await hood.get(f"/items/{hood.ids['venue.room10']}")).text, "held-here"))
    assert "暂无在这里举办的活动" in empty
