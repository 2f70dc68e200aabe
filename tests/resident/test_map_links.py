"""A place with coordinates opens in the map apps residents use (高德, 百度, 腾讯,
OpenStreetMap), told the coordinates are WGS-84; no raw numbers on the page, nothing loaded
from those sites."""

from __future__ import annotations

import html
import re
from urllib.parse import parse_qs, urlsplit

from tests.resident.conftest import Hood
from tests.resident.helpers import visible_text
from web.maps import map_links


def test_map_links_carry_the_coordinates_and_their_datum() -> None:
    links = dict(map_links(22.63, 114.02, "银湖球场", "银湖路 20 号"))
    assert set(links) == {"高德地图", "百度地图", "腾讯地图", "OpenStreetMap"}
    amap = parse_qs(urlsplit(links["高德地图"]).query)
    assert amap["position"] == ["114.020000,22.630000"] and amap["coordinate"] == ["wgs84"]
    baidu = parse_qs(urlsplit(links["百度地图"]).query)
    assert baidu["location"] == ["22.630000,114.020000"] and baidu["coord_type"] == ["wgs84"]
    qq = parse_qs(urlsplit(links["腾讯地图"]).query)
    assert qq["marker"][0].startswith("coord:22.630000,114.020000;title:银湖球场") and qq["coord_type"] == ["1"]
    assert "mlat=22.630000&mlon=114.020000" in links["OpenStreetMap"]
    assert all(u.startswith("https://") for u in links.values())
    assert map_links(None, 114.0) == [] and map_links(22.6, None) == []


async def test_event_and_venue_pages_link_out_to_maps(hood: Hood) -> None:
    for key in ("event.saturday", "venue.hall200"):
        page = (await hood.get(f"/items/{hood.ids[key]}")).text
        hrefs = [html.unescape(h) for h in re.findall(r'href="([^"]+)"', page)]
        assert sum(h.startswith(("https://uri.amap.com/", "https://api.map.baidu.com/", "https://apis.map.qq.com/",
                                 "https://www.openstreetmap.org/")) for h in hrefs) == 4, key
        text = visible_text(page)
        assert "在地图中打开" in text and "22.63000" not in text, key
        assert not re.search(r'<(script|img|iframe)[^>]+(amap|baidu|qq|openstreetmap)', page), key
