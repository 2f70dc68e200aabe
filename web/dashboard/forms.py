"""The dashboard's forms: the fields of each kind, and the conversions form ⇄ JSON body ⇄ stored row."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

import orjson
from sqlalchemy.engine import Row
from starlette.datastructures import FormData

from actors.publishing.validation import (
    CONDITIONS,
    CURRENCIES,
    EVENT_STATUSES,
    JOIN_MODES,
    LANGUAGES,
    LISTING_KINDS,
    LISTING_STATUSES,
    MAX_TITLE,
    PRICE_MODES,
    PURPOSES,
)
from fedi.content import AMENITIES, CATEGORIES, event_from_ap, listing_from_ap, venue_from_ap
from web.uploads import MB

KINDS = ("event", "listing", "venue", "note")

MAX_PART = 11 * MB  # a little above the 10 MB image cap, so store_image gives the precise error
PENDING = "pending-upload"
TIMEZONES = (
    "Asia/Shanghai", "Asia/Hong_Kong", "Asia/Taipei", "Asia/Macau", "Asia/Urumqi", "Asia/Tokyo",
    "Asia/Seoul", "Asia/Singapore", "Europe/London", "Europe/Berlin", "Europe/Paris",
    "America/New_York", "America/Los_Angeles", "UTC",
)
SLOTS = {"event": ("image",), "listing": ("image1", "image2", "image3", "image4")}
SLOTS["venue"] = SLOTS["note"] = SLOTS["listing"]
MEDIA_URL_RE = re.compile(r"/media/([A-Za-z0-9]+)\.[A-Za-z0-9]+$")



# --- field specs ------------------------------------------------------------------------------


@dataclass(frozen=True)
class F:
    name: str  # the form field's name
    widget: str  # text | textarea | number | decimal | url | datetime | select | checkbox | checkboxes
    label: str  # i18n key
    errors: tuple[str, ...] = ()  # ContentError keys shown at this field
    options: tuple[tuple[str, Any], ...] = ()  # (value, i18n key | {lang: label} | literal)
    required: bool = False
    hint: str | None = None  # i18n key
    blank: bool = False  # a select with an empty "—" choice
    maxlength: int | None = None  # what validation allows, told to the browser before submit


def _opts(values: tuple[str, ...], prefix: str) -> tuple[tuple[str, Any], ...]:
    return tuple((v, f"{prefix}.{v}") for v in values)


LANG_OPTS = _opts(LANGUAGES, "language")
COMMON_TAIL = (
    F("tags", "text", "field.tags", ("tags",), hint="hint.tags"),
    F("language", "select", "field.language", ("language",), LANG_OPTS),
)

FIELDS: dict[str, tuple[F, ...]] = {
    "event": (
        F("title", "text", "field.title", ("title",), required=True, maxlength=MAX_TITLE),
        F("content", "textarea", "field.content", ("content",), hint="hint.markdown"),
        F("start", "datetime", "field.start", ("start",), required=True),
        F("end", "datetime", "field.end", ("end",)),
        F("timezone", "select", "field.timezone", ("timezone",), tuple((z, z) for z in TIMEZONES)),
        F("venue", "select", "field.venue", (), blank=True, hint="hint.venue"),
        F("place_name", "text", "field.place_name", ("place",)),
        F("place_address", "text", "field.place_address"),
        F("place_latitude", "decimal", "field.latitude", ("place.latitude",)),
        F("place_longitude", "decimal", "field.longitude", ("place.longitude",)),
        F("online_url", "url", "field.online_url", ("online_url",)),
        F("category", "select", "field.category", ("category",), _opts(CATEGORIES, "category"), blank=True),
        F("capacity", "number", "field.capacity", ("capacity",), hint="hint.capacity"),
        F("join_mode", "select", "field.join_mode", ("join_mode",), _opts(JOIN_MODES, "join_mode")),
        F("external_url", "url", "field.external_url", ("external_url",), hint="hint.external_url"),
        F("status", "select", "field.event_status", ("status",), _opts(EVENT_STATUSES, "event_status")),
        *COMMON_TAIL,
    ),
    "listing": (
        F("kind", "select", "field.listing_kind", ("kind",), _opts(LISTING_KINDS, "listing_kind"), required=True),
        F("purpose", "select", "field.purpose", ("purpose",), _opts(PURPOSES, "purpose")),
        F("title", "text", "field.title", ("title",), required=True, maxlength=MAX_TITLE),
        F("content", "textarea", "field.content", ("content",), hint="hint.markdown"),
        F("price_mode", "select", "field.price_mode", (), _opts(PRICE_MODES, "price_mode")),
        F("price_amount", "decimal", "field.price_amount", ("price",), hint="hint.price_amount"),
        F("currency", "select", "field.currency", (), tuple((c, c) for c in CURRENCIES)),
        F("condition", "select", "field.condition", ("condition",), _opts(CONDITIONS, "condition"),
          hint="hint.condition", blank=True),
        F("venue", "select", "field.listing_venue", (), blank=True, hint="hint.listing_venue"),
        F("area", "text", "field.area", ("area", "area.latitude", "area.longitude"), hint="hint.area"),
        F("status", "select", "field.listing_status", ("status",), _opts(LISTING_STATUSES, "listing_status")),
        F("expires", "datetime", "field.expires", ("expires",), hint="hint.expires"),
        F("contact", "text", "field.contact", ("contact",), hint="hint.listing_contact"),
        *COMMON_TAIL,
    ),
    "venue": (
        F("name", "text", "field.venue_name", ("name",), required=True, maxlength=MAX_TITLE),
        F("content", "textarea", "field.content", ("content",), hint="hint.markdown"),
        F("address", "text", "field.address", ("address",), required=True),
        F("latitude", "decimal", "field.latitude", ("latitude",)),
        F("longitude", "decimal", "field.longitude", ("longitude",)),
        F("capacity", "number", "field.capacity", ("capacity",)),
        F("amenities", "checkboxes", "field.amenities", ("amenities",), tuple(AMENITIES.items())),
        F("opening_hours", "text", "field.opening_hours", ("opening_hours",), hint="hint.opening_hours"),
        F("bookable", "checkbox", "field.bookable", ("bookable",)),
        F("contact", "text", "field.contact", ("contact",)),
        F("price_mode", "select", "field.price_mode", (), _opts(("free", "negotiable", "amount"), "price_mode")),
        F("price_amount", "decimal", "field.venue_price_amount", ("price",), hint="hint.price_amount"),
        F("currency", "select", "field.currency", (), tuple((c, c) for c in CURRENCIES)),
        F("part_of", "text", "field.part_of", ("part_of",), hint="hint.part_of"),
        *COMMON_TAIL,
    ),
    "note": (
        F("content", "textarea", "field.note_content", ("content",), required=True, hint="hint.markdown"),
        F("language", "select", "field.language", ("language",), LANG_OPTS),
    ),
}
IMAGE_ERRORS = {"event": ("image",), "listing": ("images",), "venue": ("images",), "note": ("images",)}
DEFAULTS: dict[str, dict[str, Any]] = {
    "event": {"timezone": "Asia/Shanghai", "join_mode": "free", "status": "scheduled", "language": "zh"},
    "listing": {"kind": "goods", "purpose": "offer", "price_mode": "negotiable", "currency": "CNY",
                "status": "available", "language": "zh"},
    "venue": {"price_mode": "free", "currency": "CNY", "bookable": True, "language": "zh", "amenities": []},
    "note": {"language": "zh"},
}


def _form_values(kind: str, form: FormData) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for f in FIELDS[kind]:
        if f.widget == "checkbox":
            values[f.name] = f.name in form
        elif f.widget == "checkboxes":
            values[f.name] = [str(v) for v in form.getlist(f.name)]
        else:
            raw = form.get(f.name, "")
            values[f.name] = raw.strip() if isinstance(raw, str) else ""
    return values


def _body(kind: str, v: dict[str, Any]) -> dict[str, Any]:
    """The JSON body (as API and CLI send it) for what the form holds. Empty fields are left out,
    so validation's defaults apply exactly as they do for the other doors."""

    def pick(*names: str) -> dict[str, Any]:
        return {n: v[n] for n in names if v.get(n) not in (None, "")}

    def price(modes: tuple[str, ...]) -> Any:
        mode = v.get("price_mode") or modes[0]
        if mode == "amount":
            return {"amount": v.get("price_amount", ""), "currency": v.get("currency") or "CNY"}
        return mode

    if kind == "event":
        body = {"type": "event", **pick("title", "content", "start", "end", "timezone", "online_url", "category",
                                        "tags", "capacity", "join_mode", "external_url", "status", "language")}
        place = {k: v[f"place_{k}"] for k in ("name", "address", "latitude", "longitude") if v.get(f"place_{k}")}
        if place:
            body["place"] = place
        return body
    if kind == "listing":
        body = {"type": "listing", **pick("kind", "purpose", "title", "content", "condition", "area", "status",
                                          "expires", "tags", "language", "contact")}
        body["price"] = price(("negotiable",))
        return body
    if kind == "venue":
        body = {"type": "venue", **pick("name", "content", "address", "latitude", "longitude", "capacity",
                                        "opening_hours", "contact", "part_of", "tags", "language")}
        body["amenities"] = list(v.get("amenities") or [])
        body["bookable"] = bool(v.get("bookable"))
        body["price"] = price(("free",))
        return body
    return {"type": "note", **pick("content", "language")}


def _local_time(moment: datetime | None, zone: str | None) -> str:
    if moment is None:
        return ""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    try:
        tz = ZoneInfo(zone or "Asia/Shanghai")
    except (KeyError, ValueError):
        tz = ZoneInfo("Asia/Shanghai")
    return moment.astimezone(tz).strftime("%Y-%m-%dT%H:%M")


def _num(value: Any) -> str:
    return "" if value is None else str(value)


def _stored_images(row: Row[Any]) -> list[dict[str, str]]:
    """The images a stored object carries that were uploaded here: media token and alt text."""
    doc = orjson.loads(row.raw)
    found: dict[str, str] = {}
    for key in ("image", "attachment"):
        items = doc.get(key)
        for item in items if isinstance(items, list) else [items]:
            if not isinstance(item, dict):
                continue
            url = item.get("url")
            if isinstance(url, list):
                url = url[0] if url else None
            if isinstance(url, dict):
                url = url.get("href")
            m = MEDIA_URL_RE.search(url) if isinstance(url, str) else None
            if m and m.group(1) not in found:
                found[m.group(1)] = str(item.get("name") or "")
    return [{"token": t, "alt": a, "url": f"/media/{t}"} for t, a in found.items()]


def _values_from_row(kind: str, row: Row[Any]) -> dict[str, Any]:
    doc = orjson.loads(row.raw)
    v: dict[str, Any] = {"content": row.source or "", "language": row.language or "zh", "tags": row.tags or ""}
    if kind == "event":
        v.update(
            title=row.name or "", start=_local_time(row.start_time, row.timezone),
            end=_local_time(row.end_time, row.timezone), timezone=row.timezone or "Asia/Shanghai",
            place_name=row.place_name or "", place_address=row.address or "",
            place_latitude=_num(row.latitude), place_longitude=_num(row.longitude),
            online_url=_event_url(doc, "online_url"), category=row.category or "", capacity=_num(row.capacity),
            join_mode=row.join_mode or "free", external_url=_event_url(doc, "external_participation_url"), status=row.status or "scheduled",
        )
        if v["place_name"] == v["place_address"]:
            v["place_name"] = ""  # the place had only an address; its name was filled from it
    elif kind == "listing":
        v.update(
            kind=row.listing_kind or "goods", purpose=row.purpose or "offer", title=row.name or "",
            price_mode=row.price_mode or "negotiable", price_amount=_num(row.price_amount),
            currency=row.currency or "CNY", condition=row.condition or "", area=row.place_name or "",
            status=row.status or "available", expires=_local_time(row.expires_at, "Asia/Shanghai"),
            contact=_listing_contact(doc),
        )
    elif kind == "venue":
        venue = _venue(doc)
        v.update(
            name=row.name or "", address=row.address or "", latitude=_num(row.latitude),
            longitude=_num(row.longitude), capacity=_num(row.capacity), amenities=(row.amenities or "").split(),
            opening_hours=_venue_hours(venue), bookable=venue.bookable if venue is not None else True,
            contact=(venue.contact or "") if venue is not None else "", price_mode=row.price_mode or "free", price_amount=_num(row.price_amount),
            currency=row.currency or "CNY", part_of=row.place_name or "",
        )
    return v


def _event_url(doc: dict[str, Any], attr: str) -> str:
    try:
        return getattr(event_from_ap(doc), attr) or ""
    except Exception:  # noqa: BLE001 - a stored document we cannot read back leaves the field empty
        return ""


def _listing_contact(doc: dict[str, Any]) -> str:
    try:
        listing = listing_from_ap(doc)
    except Exception:  # noqa: BLE001 - a stored document we cannot read back leaves the field empty
        return ""
    return (listing.contact or "") if listing is not None else ""


def _venue(doc: dict[str, Any]) -> Any:
    try:
        return venue_from_ap(doc)
    except Exception:  # noqa: BLE001
        return None


def _venue_hours(venue: Any) -> str:
    if venue is None:
        return ""
    hours = venue.opening_hours
    if isinstance(hours, str):
        return hours
    return "; ".join(f"{','.join(d[:2] for d in h.days)} {h.opens}-{h.closes}" for h in hours)


def _moment_text(value: Any, zone: str | None) -> str:
    """A body's date-time as the datetime-local field shows it (in ``zone`` when it has an offset)."""
    if not isinstance(value, str):
        return ""
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return value  # shown as it is, for validation to name what is wrong with it
    return _local_time(moment, zone) if moment.tzinfo else moment.strftime("%Y-%m-%dT%H:%M")


def values_from_body(kind: str, body: dict[str, Any]) -> dict[str, Any]:
    """What the kind's form shows for a JSON body (a submission's draft): ``_body`` read back."""
    v: dict[str, Any] = dict(DEFAULTS[kind])
    for f in FIELDS[kind]:
        value = body.get(f.name)
        if isinstance(value, (str, int, float)) and not isinstance(value, bool):
            v[f.name] = str(value)
    tags = body.get("tags")
    if isinstance(tags, list):
        v["tags"] = ", ".join(str(t) for t in tags)
    price = body.get("price")
    if isinstance(price, dict):
        v.update(price_mode="amount", price_amount=_num(price.get("amount")), currency=price.get("currency") or "CNY")
    elif isinstance(price, str):
        v["price_mode"] = price
    place, area = body.get("place"), body.get("area")
    if isinstance(place, dict):
        v.update({f"place_{n}": _num(place.get(n)) for n in ("name", "address", "latitude", "longitude")})
    elif isinstance(place, str):
        v["place_name"] = place
    if isinstance(area, dict):
        v["area"] = str(area.get("name") or area.get("address") or "")
    if kind == "event":
        zone = str(body.get("timezone") or "Asia/Shanghai")
        v.update(start=_moment_text(body.get("start"), zone), end=_moment_text(body.get("end"), zone))
    elif kind == "listing":
        v["expires"] = _moment_text(body.get("expires"), "Asia/Shanghai")
    return v


def row_id(raw: str) -> int | None:
    """A row id from a form or a URL: ASCII digits that fit a BIGINT, else None."""
    return int(raw) if raw.isascii() and raw.isdigit() and len(raw) <= 18 else None
