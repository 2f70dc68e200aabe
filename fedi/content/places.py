"""Places and postal addresses both ways (an event's ``location``, a listing's area)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..vocab import as_list, first_str
from .data import PlaceData, PostalAddressData
from .reading import _map_first, _number
from .text import _str, _type_names, safe_url


def _postal_address_doc(addr: PostalAddressData | str) -> dict[str, Any] | str:
    if isinstance(addr, str):
        return addr
    doc: dict[str, Any] = {"type": "PostalAddress"}
    for key, value in (
        ("streetAddress", addr.street),
        ("addressLocality", addr.locality),
        ("addressRegion", addr.region),
        ("postalCode", addr.postal_code),
        ("addressCountry", addr.country),
    ):
        if value:
            doc[key] = value
    return doc


def address_text(addr: PostalAddressData | str | None) -> str | None:
    """An address as one line of text, whichever shape it came in."""
    return _address_text(addr)


def _address_text(addr: PostalAddressData | str | None) -> str | None:
    if addr is None:
        return None
    if isinstance(addr, str):
        return addr or None
    return addr.one_line() or None


def _put_address_and_position(
    doc: dict[str, Any],
    address: PostalAddressData | str | None,
    latitude: float | None,
    longitude: float | None,
) -> None:
    """Set ``address`` (unless empty), ``latitude`` and ``longitude`` on a Place document."""
    if address is not None and not (isinstance(address, PostalAddressData) and address.is_empty()):
        doc["address"] = _postal_address_doc(address)
    if latitude is not None:
        doc["latitude"] = latitude
    if longitude is not None:
        doc["longitude"] = longitude


def place_to_ap(place: PlaceData) -> dict[str, Any]:
    """A schema.org-flavoured AS ``Place``: name, PostalAddress (or text), latitude/longitude."""
    doc: dict[str, Any] = {"type": "Place", "name": place.name}
    if place.id:
        doc["id"] = place.id
    if place.url:
        doc["url"] = place.url
    _put_address_and_position(doc, place.address, place.latitude, place.longitude)
    return doc


def _place_text(name: str | None, address: PostalAddressData | str | None, zh: bool) -> str | None:
    """ "银湖图书馆（银湖路 1 号）" / "Yinhu Library, 1 Yinhu Road": a place and its address."""
    addr = _address_text(address)
    if name and addr and addr != name:
        return f"{name}（{addr}）" if zh else f"{name}, {addr}"
    return name or addr


def _postal_address_from_ap(value: Any) -> PostalAddressData | str | None:
    if isinstance(value, str):
        return value or None
    if not isinstance(value, Mapping):
        return None
    country = value.get("addressCountry")
    if isinstance(country, Mapping):
        country = country.get("name") or country.get("identifier")
    addr = PostalAddressData(
        street=_str(value.get("streetAddress")),
        locality=_str(value.get("addressLocality")),
        region=_str(value.get("addressRegion")),
        postal_code=_str(value.get("postalCode")),
        country=_str(country),
    )
    return None if addr.is_empty() else addr


def _is_virtual(value: Any) -> bool:
    return isinstance(value, Mapping) and "VirtualLocation" in _type_names(value)


def place_from_ap(value: Any) -> PlaceData | None:
    """The first physical Place in a ``location`` value (a Place, or a list mixing Places and
    VirtualLocations). A bare string that is not a URL becomes a name-only Place; a URL (a
    Place id we would have to fetch) gives None."""
    for item in as_list(value):
        if isinstance(item, str):
            if item and not item.startswith(("http://", "https://")):
                return PlaceData(name=item)
            continue
        if not isinstance(item, Mapping) or _is_virtual(item):
            continue
        address = _postal_address_from_ap(item.get("address"))
        lat, lon = _number(item.get("latitude")), _number(item.get("longitude"))
        name = _map_first(item, "name") or _address_text(address)
        if not name and lat is None:
            continue
        return PlaceData(
            name=name or "",
            address=address,
            latitude=lat,
            longitude=lon,
            id=safe_url(_str(item.get("id"))),
            url=safe_url(first_str(item.get("url"))),
        )
    return None
