"""Venues both ways.

A **venue** is a fetchable ``Place`` with schema.org terms; Mastodon drops a bare Place, so
followers are told through a ``Page`` whose ``location`` is the embedded Place; both carry
the venue line (name, address, hours, capacity, price, how to book, link) as ``summary``.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from ..vocab import CONTEXT, PUBLIC, as_list
from .data import AMENITIES, PriceData, TagHref, VenueData
from .hours import _hours_text, _opening_hours_doc, _opening_hours_from_ap
from .images import _image_doc, _image_from_ap, _images
from .places import (
    _address_text,
    _postal_address_from_ap,
    _put_address_and_position,
)
from .prices import _price_text
from .reading import (
    _actor,
    _bool,
    _datetime,
    _int,
    _language,
    _map_first,
    _number,
    _require,
    _required_str,
    _url,
)
from .text import (
    _SCHEME_RE,
    _dedupe,
    _hashtag,
    _is_zh,
    _one_line,
    _str,
    _tags_from_ap,
    _text_html,
    _type_names,
    _with_language_and_dates,
    clean_html,
    safe_url,
)


def _amenity_label(key: str, zh: bool) -> str:
    labels = AMENITIES.get(key)
    if labels is None:
        return key
    return labels["zh-CN"] if zh else labels["en"]


def _part_of_name(part_of: str | None) -> str | None:
    if part_of and not part_of.startswith(("http://", "https://")):
        return part_of
    return None


def venue_summary_line(v: VenueData) -> str:
    """The venue as one line of plain text, shown by every reader without opening anything:
    "银湖花园活动室 · 银湖花园，银湖路 5 号 · 周一、周二 09:00–21:00 · 可容纳 40 人 · 投影仪、厨房
    · 免费 · 可预约：物业前台 0571-1234 · https://…" (the venue Page's and Place's ``summary``,
    HTML-escaped there)."""
    zh = _is_zh(v.language)
    parts: list[str] = [v.name]
    where = [p for p in (_part_of_name(v.part_of), _address_text(v.address)) if p]
    if where:
        parts.append(("，" if zh else ", ").join(dict.fromkeys(where)))
    hours = _hours_text(v.opening_hours, zh)
    if hours:
        parts.append(hours)
    if v.capacity is not None:
        parts.append(f"可容纳 {v.capacity} 人" if zh else f"Up to {v.capacity} people")
    if v.amenities:
        labels = [_amenity_label(a, zh) for a in v.amenities]
        parts.append(("、" if zh else ", ").join(labels))
    if v.free:
        parts.append("免费" if zh else "Free")
    elif v.price is not None:
        parts.append(f"{_price_text(v.price)}/小时" if zh else f"{_price_text(v.price)}/hour")
    if v.bookable:
        book = "可预约" if zh else "Bookable"
        parts.append(
            f"{book}：{v.contact}"
            if zh and v.contact
            else f"{book}: {v.contact}"
            if v.contact
            else book
        )
    elif v.contact:
        parts.append(f"联系：{v.contact}" if zh else f"Contact: {v.contact}")
    if v.url:
        parts.append(v.url)
    return " · ".join(parts)


def _venue_place(v: VenueData) -> dict[str, Any]:
    zh = _is_zh(v.language)
    doc: dict[str, Any] = {
        "id": v.id,
        "type": "Place",
        "name": v.name,
        "url": v.url,
        "attributedTo": v.actor_id,
        "summary": _text_html(venue_summary_line(v)),
        "content": v.content_html,
        "mediaType": "text/html",
        "to": [PUBLIC],
    }
    _put_address_and_position(doc, v.address, v.latitude, v.longitude)
    if v.capacity is not None:
        doc["maximumAttendeeCapacity"] = v.capacity
    if v.amenities:
        doc["amenityFeature"] = [
            {"type": "LocationFeatureSpecification", "name": _amenity_label(a, zh), "value": True}
            for a in v.amenities
        ]
    if isinstance(v.opening_hours, str):
        if v.opening_hours:
            doc["openingHours"] = v.opening_hours
    elif v.opening_hours:
        doc["openingHoursSpecification"] = [_opening_hours_doc(s) for s in v.opening_hours]
    doc["isAccessibleForFree"] = v.free
    doc["publicAccess"] = v.public_access
    doc["bookable"] = v.bookable
    if v.contact:
        doc["contact"] = v.contact
    if v.price is not None:
        doc["price"] = format(v.price.amount, "f")
        doc["priceCurrency"] = v.price.currency
    if v.part_of:
        name = _part_of_name(v.part_of)
        doc["containedInPlace"] = {"type": "Place", "name": name} if name else v.part_of
    if v.images:
        doc["image"] = [_image_doc(i) for i in v.images]
    return _with_language_and_dates(
        doc, v.language, v.published, v.updated, name=v.name, content=v.content_html
    )


def venue_to_ap(v: VenueData) -> dict[str, Any]:
    """A fetchable ``Place`` with schema.org venue terms (served at ``v.id``)."""
    return {"@context": CONTEXT, **_venue_place(v)}


def venue_announcement_page(
    v: VenueData, *, page_id: str, followers: str, tag_href: TagHref | None = None
) -> dict[str, Any]:
    """A ``Page`` telling followers of a venue; Mastodon shows its name + summary + link.

    ``location`` embeds the Place with its id, so a peer that wants the venue has it without a
    second fetch (and can refetch ``location.id`` for updates).
    """
    zh = _is_zh(v.language)
    tags = _dedupe(["场地" if zh else "venue", *v.tags])
    doc: dict[str, Any] = {
        "@context": CONTEXT,
        "id": page_id,
        "type": "Page",
        "url": v.url,
        "attributedTo": v.actor_id,
        "name": v.name,
        "summary": _text_html(venue_summary_line(v)),
        "content": v.content_html,
        "mediaType": "text/html",
        "location": _venue_place(v),
        "to": [PUBLIC],
        "cc": [followers],
        "tag": [_hashtag(t, tag_href) for t in tags],
    }
    if v.images:
        doc["attachment"] = [_image_doc(i) for i in v.images]
    return _with_language_and_dates(
        doc, v.language, v.published, v.updated, name=v.name, content=v.content_html
    )


def _amenity_key(name: str) -> str:
    folded = name.strip().casefold()
    for key, labels in AMENITIES.items():
        if folded == key or any(folded == label.casefold() for label in labels.values()):
            return key
    return name.strip()


def _amenities_from_ap(doc: Mapping[str, Any]) -> list[str]:
    amenities = []
    for feature in as_list(doc.get("amenityFeature")):
        if isinstance(feature, str):
            amenities.append(_amenity_key(feature))
        elif isinstance(feature, Mapping) and _bool(feature.get("value"), True):
            label = _map_first(feature, "name")
            if label:
                amenities.append(_amenity_key(label))
    return amenities


def _venue_price_from_ap(doc: Mapping[str, Any]) -> PriceData | None:
    raw_price = doc.get("price")
    if raw_price is None or isinstance(raw_price, (bool, Mapping, list)):
        return None
    try:
        return PriceData(
            amount=Decimal(str(raw_price)),
            currency=(_str(doc.get("priceCurrency")) or "CNY").upper(),
        )
    except InvalidOperation:
        return None


def _part_of_from_ap(contained: Any) -> str | None:
    if isinstance(contained, Mapping):
        return safe_url(_str(contained.get("id"))) or _map_first(contained, "name")
    part_of = _str(contained)
    if part_of and _SCHEME_RE.match(part_of) and not safe_url(part_of):
        return None  # a URL, but not one we would link to
    return part_of


MAX_VENUE_CONTACT = 300  # as the organisers' venue form allows


def venue_from_ap(doc: Any) -> VenueData:
    """A venue from its ``Place`` (or from an announcing ``Page`` whose ``location`` embeds
    it). Raises ContentParseError without ``id``, ``name`` or the attributed actor."""
    doc = _require(doc, "Venue")
    outer: Mapping[str, Any] = {}
    if "Place" not in _type_names(doc) and isinstance(doc.get("location"), Mapping):
        outer, doc = doc, doc["location"]
    ident = _required_str(_str(doc.get("id")), "Venue", "id", doc)
    name = _required_str(_map_first(doc, "name") or _map_first(outer, "name"), "Venue", "name", doc)
    actor = _required_str(_actor(doc) or _actor(outer), "Venue", "attributedTo", doc)

    amenities = _amenities_from_ap(doc)
    price = _venue_price_from_ap(doc)
    part_of = _part_of_from_ap(doc.get("containedInPlace"))
    images = [img for img in (_image_from_ap(i) for i in as_list(doc.get("image"))) if img]
    if not images:
        images = _images(outer.get("attachment"))

    return VenueData(
        id=ident,
        url=_url(doc) or _url(outer) or safe_url(ident) or "",
        actor_id=actor,
        name=name.strip(),
        content_html=clean_html(
            _map_first(doc, "content") or _map_first(outer, "content"), outer.get("tag")
        ),
        address=_postal_address_from_ap(doc.get("address")),
        latitude=_number(doc.get("latitude")),
        longitude=_number(doc.get("longitude")),
        capacity=_int(doc.get("maximumAttendeeCapacity")),
        amenities=_dedupe(amenities),
        opening_hours=_opening_hours_from_ap(doc),
        bookable=_bool(doc.get("bookable"), False),
        contact=_one_line(doc.get("contact"), MAX_VENUE_CONTACT),
        price=price,
        free=_bool(doc.get("isAccessibleForFree"), price is None),
        part_of=part_of,
        images=images,
        language=_language(doc) or _language(outer),
        published=_datetime(doc.get("published") or outer.get("published"), "published"),
        updated=_datetime(doc.get("updated") or outer.get("updated"), "updated"),
        public_access=_bool(doc.get("publicAccess"), True),
        tags=[t for t in _tags_from_ap(outer.get("tag")) if t not in ("场地", "venue")],
    )
