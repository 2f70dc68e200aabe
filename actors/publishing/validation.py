"""Validating the content body that the web form, the JSON API and the CLI all submit.

Each ``validate_*`` takes the decoded JSON body and returns clean values, or raises
``ContentError`` with one message per bad field. Nothing is stored before validation passes,
so invalid content changes nothing at any of the three doors.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from actors.publishing.fields import (
    CURRENCIES,
    LANGUAGES,
    MAX_TITLE,
    Checker,
    ContentError,
    ImageRef,
    Place,
    Price,
    _moment,
    _zone,
)
from fedi.content import AMENITIES, CATEGORIES
from fedi.problems import problem

__all__ = [  # the shared field values re-exported: this module is where the doors import from
    "CONDITIONS",
    "CURRENCIES",
    "EVENT_STATUSES",
    "JOIN_MODES",
    "LANGUAGES",
    "LISTING_KINDS",
    "LISTING_STATUSES",
    "MAX_CONTACT",
    "MAX_TITLE",
    "PRICE_MODES",
    "PURPOSES",
    "ContentError",
    "ImageRef",
    "Place",
    "Price",
    "validate",
]

JOIN_MODES = ("free", "restricted", "external", "none")
EVENT_STATUSES = ("scheduled", "cancelled", "postponed")
LISTING_KINDS = ("goods", "skill", "service", "help")
PURPOSES = ("offer", "request")
PRICE_MODES = ("amount", "free", "swap", "negotiable")
CONDITIONS = ("new", "like_new", "good", "fair", "worn")
LISTING_STATUSES = ("available", "reserved", "closed")
MAX_PAST_DAYS = 365  # an event may be recorded after it happened, not years later
MAX_CONTENT = 20_000
MAX_CONTACT = 100  # a phone number, a WeChat ID or an e-mail address, with a word or two
# Line breaks, control characters and the bidirectional overrides that could make a contact
# read as something else: a contact is one line of plain text.


# A kind's check: the fields of that kind, from a Checker of the body.
Check = Callable[[Checker, datetime], dict[str, Any]]


def _kind(allowed: set[str]) -> Callable[[Check], Callable[[dict[str, Any], datetime], dict[str, Any]]]:
    """A kind's validator from its check: fields outside ``allowed`` (and ``type``) are refused,
    and every problem the check finds is raised at once as one ContentError."""

    def wrap(check: Check) -> Callable[[dict[str, Any], datetime], dict[str, Any]]:
        @functools.wraps(check)
        def validator(body: dict[str, Any], now: datetime) -> dict[str, Any]:
            c = Checker(body)
            c.unknown({"type", *allowed})
            out = check(c, now)
            c.done()
            return out

        return validator

    return wrap


@_kind({"content", "language", "images"})
def validate_note(c: Checker, now: datetime) -> dict[str, Any]:
    return {
        "content": c.text("content", required=True, max_len=MAX_CONTENT),
        "language": c.language(),
        "images": c.images(),
    }


@_kind({"title", "content", "start", "end", "timezone", "place", "online_url", "category",
        "tags", "capacity", "join_mode", "external_url", "status", "language", "image"})
def validate_event(c: Checker, now: datetime) -> dict[str, Any]:
    tz_name, zone = _zone(c)
    start = _moment(c, "start", zone, required=True)
    end = _moment(c, "end", zone, required=False)
    if start and end and end <= start:
        c.fail("end", problem("end_after_start"))
    if start and start < now - timedelta(days=MAX_PAST_DAYS):
        c.fail("start", problem("too_far_back", days=MAX_PAST_DAYS))  # a mistyped year, as often as not
    if start and end and end - start > timedelta(days=60):
        c.fail("end", problem("event_span"))
    category = c.body.get("category")
    if category is not None and category not in CATEGORIES:
        c.fail("category", problem("category", value=category))
    place = c.place()
    online = c.url("online_url")
    join_mode = c.choice("join_mode", JOIN_MODES, "free")
    external = c.url("external_url")
    if join_mode == "external" and not external:
        c.fail("external_url", problem("external_url"))
    return {
        "title": c.text("title", required=True),
        "content": c.text("content", max_len=MAX_CONTENT) or "",
        "start": start,
        "end": end,
        "timezone": tz_name,
        "place": place,
        "online_url": online,
        "category": category,
        "tags": c.tags(),
        "capacity": c.integer("capacity"),
        "join_mode": join_mode,
        "external_url": external,
        "status": c.choice("status", EVENT_STATUSES, "scheduled"),
        "language": c.language(),
        "image": c.image(),
    }


@_kind({"kind", "purpose", "title", "content", "price", "condition", "area", "status",
        "expires", "tags", "language", "images", "contact"})
def validate_listing(c: Checker, now: datetime) -> dict[str, Any]:
    kind = c.choice("kind", LISTING_KINDS, required=True)
    raw_price = c.body.get("price", "negotiable")
    price: Price | None = None
    if isinstance(raw_price, str):
        if raw_price in ("free", "swap", "negotiable"):
            price = Price(raw_price)
        else:
            c.fail("price", problem("price"))
    elif isinstance(raw_price, dict):
        unknown = set(raw_price) - {"amount", "currency"}
        if unknown:
            c.fail("price", problem("price_field", value=min(unknown)))
        price = c.money("price", raw_price)
    else:
        c.fail("price", problem("price"))
    condition = c.choice("condition", CONDITIONS)
    if condition is not None and kind != "goods":
        c.fail("condition", problem("condition_goods"))
    area = c.place("area")
    expires = _moment(c, "expires", ZoneInfo("Asia/Shanghai"), required=False)
    if expires is not None and expires <= now:
        c.fail("expires", problem("future"))
    return {
        "kind": kind,
        "purpose": c.choice("purpose", PURPOSES, "offer"),
        "title": c.text("title", required=True),
        "content": c.text("content", max_len=MAX_CONTENT) or "",
        "price": price,
        "condition": condition,
        "area": area,
        "status": c.choice("status", LISTING_STATUSES, "available"),
        "expires": expires,
        "tags": c.tags(),
        "language": c.language(),
        "images": c.images(),
        "contact": c.one_line("contact", max_len=MAX_CONTACT),
    }


@_kind({"name", "content", "address", "latitude", "longitude", "capacity", "amenities",
        "opening_hours", "bookable", "contact", "price", "part_of", "language", "images", "tags"})
def validate_venue(c: Checker, now: datetime) -> dict[str, Any]:
    lat, lon = c.coordinate("latitude", 90), c.coordinate("longitude", 180)
    if (lat is None) != (lon is None):
        c.fail("latitude", problem("both_coordinates"))
    amenities = c.body.get("amenities", [])
    if not isinstance(amenities, list) or not all(isinstance(a, str) for a in amenities):
        c.fail("amenities", problem("amenities"))
        amenities = []
    unknown_amenities = [a for a in amenities if a not in AMENITIES]
    if unknown_amenities:
        c.fail("amenities", problem("amenity", value=unknown_amenities[0], options=", ".join(AMENITIES)))
    raw_price = c.body.get("price", "free")
    price: Price | None = None
    if raw_price in ("free", "negotiable"):
        price = Price(str(raw_price))
    elif isinstance(raw_price, dict):
        price = c.money("price", raw_price)
    else:
        c.fail("price", problem("venue_price"))
    hours = _opening_hours(c)
    return {
        "name": c.text("name", required=True),
        "content": c.text("content", max_len=MAX_CONTENT) or "",
        "address": c.text("address", required=True, max_len=500),
        "latitude": lat,
        "longitude": lon,
        "capacity": c.integer("capacity", maximum=100_000),
        "amenities": list(dict.fromkeys(amenities)),
        "opening_hours": hours,
        "bookable": c.boolean("bookable", True),
        "contact": c.text("contact", max_len=300),
        "price": price,
        "part_of": c.text("part_of"),
        "tags": c.tags(),
        "language": c.language(),
        "images": c.images(),
    }


DAYS = ("mo", "tu", "we", "th", "fr", "sa", "su")
HHMM = re.compile(r"^([01]\d|2[0-4]):[0-5]\d$")


def _opening_hours(c: Checker) -> str | list[dict[str, Any]] | None:
    hours = c.body.get("opening_hours")
    if hours is None or (isinstance(hours, str) and not hours.strip()):
        return None
    if isinstance(hours, str):
        if len(hours) > 300:
            c.fail("opening_hours", problem("hours_length"))
        return hours.strip()
    if not isinstance(hours, list) or len(hours) > 14:
        c.fail("opening_hours", problem("hours"))
        return None
    clean = []
    for item in hours:
        if not isinstance(item, dict) or not isinstance(item.get("days"), list) or not item["days"]:
            c.fail("opening_hours", problem("hours"))
            return None
        days = [str(d).lower()[:2] for d in item["days"]]
        if any(d not in DAYS for d in days):
            c.fail("opening_hours", problem("hours_days", value=item["days"]))
            return None
        opens, closes = item.get("opens"), item.get("closes")
        if not (isinstance(opens, str) and HHMM.match(opens) and isinstance(closes, str) and HHMM.match(closes)):
            c.fail("opening_hours", problem("hours_times"))
            return None
        if closes <= opens:
            c.fail("opening_hours", problem("hours_order", opens=opens, closes=closes))
            return None
        clean.append({"days": days, "opens": opens, "closes": closes})
    return clean


VALIDATORS = {"note": validate_note, "event": validate_event, "listing": validate_listing, "venue": validate_venue}


def validate(body: Any, now: datetime) -> tuple[str, dict[str, Any]]:
    """``(kind, clean values)`` for any of the four kinds, or ContentError."""
    if not isinstance(body, dict):
        raise ContentError({"body": problem("json_object")})
    kind = body.get("type")
    validator = VALIDATORS.get(kind) if isinstance(kind, str) else None
    if validator is None:
        raise ContentError({"type": problem("content_type", value=kind, options=", ".join(VALIDATORS))})
    return kind, validator(dict(body), now)  # type: ignore[return-value]
