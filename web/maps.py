"""Links that open a place in the map apps residents use, by its coordinates: 高德 (Amap),
百度, 腾讯 and OpenStreetMap. Links only: no tiles, scripts or requests to them from our pages.

Coordinates here are WGS-84 (GPS, what ActivityPub ``Place`` carries). Chinese map apps draw
on GCJ-02 (and Baidu on BD-09); each is told the coordinates are WGS-84 (``coordinate=wgs84``,
``coord_type=wgs84``, ``coord_type=1``) and converts them itself, so the pin lands where the
place is rather than a few hundred metres off.
"""

from __future__ import annotations

from urllib.parse import quote, urlencode

__all__ = ["map_links"]


def map_links(latitude: float | None, longitude: float | None, name: str = "", address: str = "") -> list[tuple[str, str]]:
    """``[(label, url)]`` for a place; empty without both coordinates."""
    if latitude is None or longitude is None:
        return []
    lat, lon = f"{latitude:.6f}", f"{longitude:.6f}"
    title = (name or address or f"{lat},{lon}")[:80]
    marker = f"coord:{lat},{lon};title:{title};addr:{address[:120] or title}"
    return [
        ("高德地图", "https://uri.amap.com/marker?" + urlencode(
            {"position": f"{lon},{lat}", "name": title, "coordinate": "wgs84", "callnative": "0"})),
        ("百度地图", "https://api.map.baidu.com/marker?" + urlencode(
            {"location": f"{lat},{lon}", "title": title, "content": address or title, "output": "html",
             "coord_type": "wgs84", "src": "yinhu.community.web"})),
        ("腾讯地图", "https://apis.map.qq.com/uri/v1/marker?marker=" + quote(marker, safe=":;,")
         + "&coord_type=1&referer=yinhu"),
        ("OpenStreetMap", f"https://www.openstreetmap.org/?mlat={lat}&mlon={lon}#map=17/{lat}/{lon}"),
    ]
