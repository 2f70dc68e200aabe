"""Validating the content body that the web form, the JSON API and the CLI all submit.

Each ``validate_*`` takes the decoded JSON body and returns clean values, or raises
``ContentError`` with one message per bad field. Nothing is stored before validation passes,
so invalid content changes nothing at any of the three doors.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from fedi.content import AMENITIES, CATEGORIES
from fedi.problems import problem

__all__ = [
    "CONDITIONS",
    "EVENT_STATUSES",
    "JOIN_MODES",
    "LANGUAGES",
    "LISTING_KINDS",
    "LISTING_STATUSES",
    "MAX_CONTACT",
    "PRICE_MODES",
    "PURPOSES",
    "ContentError",
    "ImageRef",
    "Place",
    "Price",
    "validate",
]

LANGUAGES = ("zh", "zh-CN", "zh-TW", "en", "ja", "ko", "fr", "de", "es")
JOIN_MODES = ("free", "restricted", "external", "none")
EVENT_STATUSES = ("scheduled", "cancelled", "postponed")
LISTING_KINDS = ("goods", "skill", "service", "help")
PURPOSES = ("offer", "request")
PRICE_MODES = ("amount", "free", "swap", "negotiable")
CONDITIONS = ("new", "like_new", "good", "fair", "worn")
LISTING_STATUSES = ("available", "reserved", "closed")
CURRENCIES = ("CNY", "HKD", "TWD", "USD", "EUR", "JPY")
MAX_TITLE = 200
MAX_PAST_DAYS = 365  # an event may be recorded after it happened, not years later
MAX_CONTENT = 20_000
MAX_TAGS = 10
MAX_CONTACT = 100  # a phone number, a WeChat ID or an e-mail address, with a word or two
# Line breaks, control characters and the bidirectional overrides that could make a contact
# read as something else: a contact is one line of plain text.
NOT_ONE_LINE = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")
TAG_RE = re.compile(r"^[\w\u00b7\u30fb]{1,64}$", re.UNICODE)


class ContentError(Exception):
    """The body is not valid content; ``errors`` maps each field to what is wrong with it."""

    def __init__(self, errors: dict[str, str]) -> None:
        self.errors = errors
        super().__init__("; ".join(f"{k}: {v}" for k, v in errors.items()))


@dataclass(frozen=True)
class Place:
    name: str | None
    address: str | None
    latitude: float | None
    longitude: float | None


@dataclass(frozen=True)
class Price:
    mode: str  # amount | free | swap | negotiable
    amount: Decimal | None = None
    currency: str | None = None


@dataclass(frozen=True)
class ImageRef:
    media: str  # the token of an uploaded image (POST /api/media, the form, or the CLI)
    alt: str


@dataclass
class _Checker:
    body: dict[str, Any]
    errors: dict[str, str] = field(default_factory=dict)

    def fail(self, key: str, message: str) -> None:
        self.errors.setdefault(key, message)

    def text(self, key: str, *, required: bool = False, max_len: int = MAX_TITLE) -> str | None:
        value = self.body.get(key)
        if value is None or (isinstance(value, str) and not value.strip()):
            if required:
                self.fail(key, problem("required"))
            return None
        if not isinstance(value, str):
            self.fail(key, problem("text"))
            return None
        value = value.strip()
        if len(value) > max_len:
            self.fail(key, problem("too_long", length=len(value), limit=max_len))
            return None
        return value

    def one_line(self, key: str, *, max_len: int) -> str | None:
        value = self.text(key, max_len=max_len)
        if value is not None and NOT_ONE_LINE.search(value):
            self.fail(key, problem("one_line"))
            return None
        return value

    def choice(self, key: str, options: tuple[str, ...], default: str | None = None, *, required: bool = False) -> str | None:
        value = self.body.get(key, default)
        if value is None:
            if required:
                self.fail(key, problem("required_choice", options=", ".join(options)))
            return None
        if value not in options:
            self.fail(key, problem("choice", value=value, options=", ".join(options)))
            return None
        return str(value)

    def integer(self, key: str, *, minimum: int = 1, maximum: int = 1_000_000) -> int | None:
        value = self.body.get(key)
        if value is None or value == "":
            return None
        if isinstance(value, bool) or not isinstance(value, int | str):
            self.fail(key, problem("whole_number"))
            return None
        try:
            number = int(value)
        except ValueError:
            self.fail(key, problem("whole_number"))
            return None
        if not minimum <= number <= maximum:
            self.fail(key, problem("between", minimum=minimum, maximum=maximum))
            return None
        return number

    def boolean(self, key: str, default: bool = False) -> bool:
        value = self.body.get(key, default)
        if isinstance(value, bool):
            return value
        if value in ("true", "on", "1", "yes"):
            return True
        if value in ("false", "off", "0", "no", "", None):
            return False
        self.fail(key, problem("true_or_false"))
        return default

    def tags(self, key: str = "tags") -> list[str]:
        value = self.body.get(key, [])
        if isinstance(value, str):
            value = [t for t in re.split(r"[\s,，、]+", value) if t]
        if not isinstance(value, list) or not all(isinstance(t, str) for t in value):
            self.fail(key, problem("words"))
            return []
        clean = list(dict.fromkeys(t.strip().lstrip("#").lower() for t in value if t.strip().lstrip("#")))
        bad = [t for t in clean if not TAG_RE.match(t)]
        if bad:
            self.fail(key, problem("tag", tag=bad[0]))
            return []
        if len(clean) > MAX_TAGS:
            self.fail(key, problem("too_many_tags", limit=MAX_TAGS))
            return []
        return clean

    def coordinate(self, key: str, limit: float, value: Any = None) -> float | None:
        value = self.body.get(key) if value is None else value
        if value is None or value == "":
            return None
        try:
            number = float(value)
        except (TypeError, ValueError):
            self.fail(key, problem("number"))
            return None
        if not -limit <= number <= limit:
            self.fail(key, problem("between", minimum=f"-{limit:g}", maximum=f"{limit:g}"))
            return None
        return number

    def url(self, key: str) -> str | None:
        value = self.text(key, max_len=2048)
        if value is not None and not re.match(r"^https?://[^\s/$.?#][^\s]*$", value):
            self.fail(key, problem("http_url"))
            return None
        return value

    def language(self) -> str:
        return self.choice("language", LANGUAGES, "zh") or "zh"

    def image(self, key: str = "image") -> ImageRef | None:
        value = self.body.get(key)
        if value is None:
            return None
        if not isinstance(value, dict) or not isinstance(value.get("media"), str):
            self.fail(key, problem("image"))
            return None
        alt = value.get("alt", "")
        if not isinstance(alt, str) or len(alt) > 1500:
            self.fail(key, problem("alt", limit=1500))
            return None
        return ImageRef(value["media"], alt.strip())

    def images(self, key: str = "images", limit: int = 4) -> list[ImageRef]:
        value = self.body.get(key, [])
        if not isinstance(value, list):
            self.fail(key, problem("images"))
            return []
        if len(value) > limit:
            self.fail(key, problem("too_many_images", limit=limit))
            return []
        refs = []
        for item in value:
            self.body["_img"] = item
            ref = self.image("_img")
            if "_img" in self.errors:
                self.fail(key, self.errors.pop("_img"))
            if ref:
                refs.append(ref)
        self.body.pop("_img", None)
        return refs

    def place(self, key: str = "place") -> Place | None:
        value = self.body.get(key)
        if value is None:
            return None
        if isinstance(value, str):
            return Place(value.strip()[:MAX_TITLE], None, None, None) if value.strip() else None
        if not isinstance(value, dict):
            self.fail(key, problem("place"))
            return None
        name, address = value.get("name"), value.get("address")
        if name is not None and not isinstance(name, str) or address is not None and not isinstance(address, str):
            self.fail(key, problem("place_text"))
            return None
        lat = self.coordinate(f"{key}.latitude", 90, value.get("latitude"))
        lon = self.coordinate(f"{key}.longitude", 180, value.get("longitude"))
        if (lat is None) != (lon is None):
            self.fail(key, problem("both_coordinates"))
        if not (name or address):
            self.fail(key, problem("place_name"))
            return None
        return Place((name or "").strip() or None, (address or "").strip() or None, lat, lon)

    def money(self, key: str, value: Any) -> Price | None:
        if not isinstance(value, dict):
            return None
        try:
            amount = Decimal(str(value.get("amount")))
        except InvalidOperation:
            self.fail(key, problem("amount"))
            return None
        if not amount.is_finite() or amount < 0 or amount > Decimal(100000000):
            self.fail(key, problem("amount_range"))
            return None
        if amount == 0:
            self.fail(key, problem("amount_zero"))
            return None
        if amount.as_tuple().exponent < -2:  # type: ignore[operator]
            self.fail(key, problem("amount_decimals"))
            return None
        currency = value.get("currency", "CNY")
        if currency not in CURRENCIES:
            self.fail(key, problem("currency", options=", ".join(CURRENCIES)))
            return None
        return Price("amount", amount.quantize(Decimal("0.01")), currency)

    def unknown(self, allowed: set[str]) -> None:
        for key in sorted(set(self.body) - allowed):
            self.fail(key, problem("unknown_field"))

    def done(self) -> None:
        if self.errors:
            raise ContentError(self.errors)


def _moment(c: _Checker, key: str, zone: ZoneInfo, *, required: bool) -> datetime | None:
    value = c.body.get(key)
    if value is None or value == "":
        if required:
            c.fail(key, problem("datetime_required"))
        return None
    if not isinstance(value, str):
        c.fail(key, problem("datetime", value=value))
        return None
    try:
        moment = datetime.fromisoformat(value.strip())  # Python ≥ 3.11 reads a trailing "Z"
    except ValueError:
        c.fail(key, problem("datetime", value=value))
        return None
    # A time without an offset is local to the event's own timezone, as an organiser means it.
    return moment.replace(tzinfo=zone) if moment.tzinfo is None else moment


def _zone(c: _Checker) -> tuple[str, ZoneInfo]:
    name = c.body.get("timezone") or "Asia/Shanghai"
    try:
        return str(name), ZoneInfo(str(name))
    except (ZoneInfoNotFoundError, ValueError):
        c.fail("timezone", problem("timezone", value=name))
        return "Asia/Shanghai", ZoneInfo("Asia/Shanghai")


Check = Callable[[_Checker, datetime], dict[str, Any]]


def _kind(allowed: set[str]) -> Callable[[Check], Callable[[dict[str, Any], datetime], dict[str, Any]]]:
    """A kind's validator from its check: fields outside ``allowed`` (and ``type``) are refused,
    and every problem the check finds is raised at once as one ContentError."""

    def wrap(check: Check) -> Callable[[dict[str, Any], datetime], dict[str, Any]]:
        @functools.wraps(check)
        def validator(body: dict[str, Any], now: datetime) -> dict[str, Any]:
            c = _Checker(body)
            c.unknown({"type", *allowed})
            out = check(c, now)
            c.done()
            return out

        return validator

    return wrap


@_kind({"content", "language", "images"})
def validate_note(c: _Checker, now: datetime) -> dict[str, Any]:
    return {
        "content": c.text("content", required=True, max_len=MAX_CONTENT),
        "language": c.language(),
        "images": c.images(),
    }


@_kind({"title", "content", "start", "end", "timezone", "place", "online_url", "category",
        "tags", "capacity", "join_mode", "external_url", "status", "language", "image"})
def validate_event(c: _Checker, now: datetime) -> dict[str, Any]:
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
def validate_listing(c: _Checker, now: datetime) -> dict[str, Any]:
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
def validate_venue(c: _Checker, now: datetime) -> dict[str, Any]:
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


def _opening_hours(c: _Checker) -> str | list[dict[str, Any]] | None:
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
