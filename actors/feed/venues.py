"""The venue finder: an organiser states needs, we rank every venue we know (local and from
followed communities) and say why each fits and how to book it.

Hard filters (a venue that fails one is not shown):
  * capacity, when the venue states one, must hold the people asked for;
  * every amenity asked for must be present — unless ``partial`` is set, then venues missing
    some are kept, ranked lower and say what they lack;
  * when a date and time are asked for and the venue's opening hours are known (structured
    ``openingHoursSpecification`` or text such as ``Mo-Fr 09:00-21:00; Sa 10:00-18:00``), the
    venue must be open for the whole span; unknown or unreadable hours keep the venue, with
    "hours unknown, ask";
  * with ``near``, the venue must have coordinates within the radius; with ``area``, the text
    must appear in its name, address or the place it is part of.

Score (0–100) of what is left, weights summing to 100:
  capacity fit 35 · amenities 25 · open at the time 15 · distance 15 · bookable 5 · price 5.
  Capacity fit is 1 up to 1.5× the people and then falls as 1.5/ratio (a 200-person hall for
  25 people scores 0.19), unknown capacity 0.4. Amenities: share of those asked for present.
  Hours: confirmed open 1, unknown 0.3. Distance: 1 − d/radius. Price: free 1, negotiable 0.5,
  an hourly amount 0.8 falling to 0 at ¥200/h. A criterion the organiser did not ask about
  scores the same for every venue, so it does not change the order.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime, time
from decimal import Decimal
from typing import Any

import orjson
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from actors.feed.feed import FilterError, haversine_km, parse_near
from actors.social.visibility import publicly_visible
from actors.storage.models import actors, objects
from fedi import content as wire
from fedi.problems import problem

__all__ = ["WEIGHTS", "VenueMatch", "VenueNeeds", "find_venues", "open_during"]

WEIGHTS = {"capacity": 35, "amenities": 25, "hours": 15, "distance": 15, "bookable": 5, "price": 5}
DAYS = wire.DAYS_OF_WEEK
_SHORT = {"zh-CN": ("周一", "周二", "周三", "周四", "周五", "周六", "周日"),
          "en": ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")}

# Reason phrases, in the two UI languages (the actors layer cannot reach web/locales).
TEXT = {
    "zh-CN": {
        "capacity": "可容纳 {cap} 人（需要 {n}）",
        "capacity_only": "可容纳 {cap} 人",
        "capacity_big": "场地偏大：可容纳 {cap} 人，需要 {n}",
        "capacity_unknown": "容量未注明，请咨询",
        "has": "有{items}",
        "missing": "缺少{items}",
        "open": "{day} {opens}–{closes} 开放",
        "hours_unknown": "开放时间未知，请咨询",
        "distance": "距离 {km} 公里",
        "free": "免费",
        "price": "{price}/小时",
        "negotiable": "价格面议",
        "bookable": "可预约",
        "not_bookable": "不接受预约，请先联系",
        "sep": "、",
    },
    "en": {
        "capacity": "Holds {cap} people (you need {n})",
        "capacity_only": "Holds {cap} people",
        "capacity_big": "Larger than needed: holds {cap}, you need {n}",
        "capacity_unknown": "Capacity not stated, ask",
        "has": "Has {items}",
        "missing": "Missing {items}",
        "open": "Open {day} {opens}–{closes}",
        "hours_unknown": "Opening hours unknown, ask",
        "distance": "{km} km away",
        "free": "Free",
        "price": "{price} per hour",
        "negotiable": "Price negotiable",
        "bookable": "Bookable",
        "not_bookable": "Not bookable online, contact first",
        "sep": ", ",
    },
}
_SYMBOLS = {"CNY": "¥", "HKD": "HK$", "USD": "$", "EUR": "€", "JPY": "¥", "TWD": "NT$"}


def _truthy(value: Any) -> bool:
    return isinstance(value, str) and value.strip().lower() in ("1", "true", "on", "yes")


@dataclass(frozen=True)
class VenueNeeds:
    people: int | None = None
    amenities: tuple[str, ...] = ()
    day: date | None = None
    start: time | None = None
    end: time | None = None
    area: str | None = None
    near: tuple[float, float] | None = None
    radius_km: float = 10.0
    partial: bool = False
    lang: str = "zh-CN"

    @classmethod
    def from_params(cls, params: Any, lang: str = "zh-CN") -> VenueNeeds:
        """Parse a query (a Mapping with ``getlist`` for ``amenity``); raises FilterError."""
        errors: dict[str, str] = {}

        def get(name: str) -> str | None:
            value = params.get(name)
            return value.strip() if isinstance(value, str) and value.strip() else None

        people = None
        if (raw := get("people")) is not None:
            if raw.isdigit() and 0 < int(raw) <= 100_000:
                people = int(raw)
            else:
                errors["people"] = problem("people")
        wanted: list[str] = []
        raw_list = params.getlist("amenity") if hasattr(params, "getlist") else params.get("amenity", [])
        for a in [raw_list] if isinstance(raw_list, str) else raw_list:
            for key in str(a).replace("，", ",").split(","):
                key = key.strip()
                if not key:
                    continue
                if key not in wire.AMENITIES:
                    errors["amenity"] = problem("amenity", value=key, options=", ".join(wire.AMENITIES))
                elif key not in wanted:
                    wanted.append(key)
        day = None
        if (raw := get("date")) is not None:
            try:
                day = date.fromisoformat(raw)
            except ValueError:
                errors["date"] = problem("date")

        def clock(name: str) -> time | None:
            raw = get(name)
            if raw is None:
                return None
            m = re.fullmatch(r"(\d{1,2}):(\d{2})(?::\d{2})?", raw)
            if not m or int(m[1]) > 23 or int(m[2]) > 59:
                errors[name] = problem("time")
                return None
            return time(int(m[1]), int(m[2]))

        start, end = clock("start"), clock("end")
        if start and end and end <= start:
            errors["end"] = problem("end_after_start_time")
        if (start or end) and day is None and "date" not in errors:
            errors["date"] = problem("date_for_time")
        near, radius = parse_near(get("near"), get("radius"), 10.0, errors)
        if errors:
            raise FilterError(errors)
        return cls(people=people, amenities=tuple(wanted), day=day, start=start, end=end,
                   area=(get("area") or "")[:100] or None, near=near, radius_km=radius,
                   partial=_truthy(params.get("partial")), lang=lang if lang in TEXT else "zh-CN")

    def to_params(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        if self.people:
            out["people"] = str(self.people)
        if self.amenities:
            out["amenity"] = list(self.amenities)
        if self.day:
            out["date"] = self.day.isoformat()
        if self.start:
            out["start"] = self.start.strftime("%H:%M")
        if self.end:
            out["end"] = self.end.strftime("%H:%M")
        if self.area:
            out["area"] = self.area
        if self.near:
            out["near"] = f"{self.near[0]:.5f},{self.near[1]:.5f}"
            out["radius"] = f"{self.radius_km:g}"
        if self.partial:
            out["partial"] = "1"
        return out

    @property
    def asked(self) -> bool:
        return bool(self.to_params())


@dataclass
class VenueMatch:
    row: Any  # objects row + community_* columns
    venue: wire.VenueData | None
    score: float
    reasons: list[str]
    warnings: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    distance_km: float | None = None
    open_status: str = "not_asked"  # open | unknown | not_asked
    how_to_book: dict[str, Any] = field(default_factory=dict)

    @property
    def id(self) -> int:
        return int(self.row.id)

    @property
    def name(self) -> str:
        return str(self.row.name or (self.venue.name if self.venue else ""))


# --- opening hours --------------------------------------------------------------------------

def _minutes(hhmm: str) -> int:
    h, m = hhmm.split(":")[:2]
    return int(h) * 60 + int(m)


def open_during(hours: list[wire.OpeningHours], day: date, start: time | None, end: time | None) -> wire.OpeningHours | None:
    """The spec under which a venue is open on ``day`` for the whole of start–end (or at all
    that day when no time is given); None when it is closed then."""
    name = DAYS[day.weekday()]
    s = start.hour * 60 + start.minute if start else None
    e = end.hour * 60 + end.minute if end else (s + 1 if s is not None else None)
    for spec in hours:
        if name not in spec.days:
            continue
        try:
            o, c = _minutes(spec.opens), _minutes(spec.closes)
        except ValueError:
            continue
        if c <= o:
            c += 24 * 60  # past midnight
        if s is None or (o <= s and e is not None and e <= c):
            return spec
    return None


def _hours_of(venue: wire.VenueData | None) -> list[wire.OpeningHours] | None:
    if venue is None:
        return None
    if isinstance(venue.opening_hours, str):
        return wire.hours_from_text(venue.opening_hours) if venue.opening_hours else None
    return list(venue.opening_hours) or None


# --- scoring --------------------------------------------------------------------------------


def _capacity_fit(capacity: int | None, people: int | None) -> float:
    if people is None:
        return 0.5
    if capacity is None:
        return 0.4
    ratio = capacity / people
    return 1.0 if ratio <= 1.5 else 1.5 / ratio


def _price_fit(row: Any) -> float:
    if row.price_mode == "free" or (row.price_amount is None and row.price_mode in (None, "free")):
        return 1.0
    if row.price_amount is not None:
        return max(0.0, 0.8 * (1 - float(row.price_amount) / 200))
    return 0.5


def _price_text(amount: Decimal, currency: str | None) -> str:
    symbol = _SYMBOLS.get(currency or "CNY", f"{currency} ")
    return f"{symbol}{amount:.2f}".rstrip("0").rstrip(".")


def _km(d: float) -> str:
    return f"{d:.1f}" if d < 10 else f"{d:.0f}"


async def find_venues(conn: AsyncConnection, needs: VenueNeeds, now: datetime, *, limit: int = 50) -> list[VenueMatch]:
    """Every venue that passes the hard filters, best first (see the module docstring)."""
    t = TEXT[needs.lang if needs.lang in TEXT else "zh-CN"]
    cols = [*(c for c in objects.c if c.key != "community_id"), actors.c.id.label("community_id"),
            actors.c.name.label("community_name"), actors.c.username.label("community_username"),
            actors.c.domain.label("community_domain"), actors.c.uri.label("community_uri"),
            actors.c.local.label("community_local")]
    # Public venues of communities here only (actors.social.visibility), shown under their community.
    stmt = (select(*cols).select_from(objects.join(actors, actors.c.id == objects.c.community_id))
            .where(objects.c.kind == "venue", publicly_visible(), actors.c.deleted_at.is_(None)))
    if needs.people is not None:
        stmt = stmt.where((objects.c.capacity.is_(None)) | (objects.c.capacity >= needs.people))
    matches: list[VenueMatch] = []
    for row in (await conn.execute(stmt)).all():
        match = _match(row, needs, t)
        if match is not None:
            matches.append(match)
    matches.sort(key=lambda m: (-m.score, m.distance_km if m.distance_km is not None else 1e9,
                                m.row.capacity if m.row.capacity is not None else 1e9, m.name))
    return matches[:limit]


def _match(row: Any, needs: VenueNeeds, t: dict[str, str]) -> VenueMatch | None:
    lang = needs.lang if needs.lang in TEXT else "zh-CN"
    venue = _venue_of(row)
    capacity = row.capacity if row.capacity is not None else (venue.capacity if venue else None)
    if needs.people is not None and capacity is not None and capacity < needs.people:
        return None
    have = set((row.amenities or "").split()) | (set(venue.amenities) if venue else set())
    missing = [a for a in needs.amenities if a not in have]
    if missing and not needs.partial:
        return None
    if needs.area:
        haystack = " ".join(filter(None, [row.name, row.address, row.place_name, venue.part_of if venue else None]))
        if needs.area.casefold() not in haystack.casefold():
            return None
    distance = None
    if needs.near:
        if row.latitude is None or row.longitude is None:
            return None
        distance = haversine_km(needs.near[0], needs.near[1], row.latitude, row.longitude)
        if distance > needs.radius_km:
            return None
    reasons: list[str] = []
    warnings: list[str] = []
    fit_cap = _capacity_part(capacity, needs, t, reasons, warnings)
    fit_amen = _amenities_part(needs, have, missing, lang, t, reasons, warnings)
    hours_part = _hours_part(venue, needs, lang, t, reasons, warnings)
    if hours_part is None:
        return None
    open_status, fit_hours = hours_part
    # distance
    fit_dist = 0.5
    if distance is not None:
        fit_dist = max(0.0, 1 - distance / needs.radius_km)
        reasons.append(t["distance"].format(km=_km(distance)))
    # bookable and price
    bookable = bool(venue.bookable) if venue else False
    fit_book = 1.0 if bookable else 0.0
    fit_price = _price_fit(row)
    reasons.append(_price_reason(row, t))
    reasons.append(t["bookable"] if bookable else t["not_bookable"])
    score = (WEIGHTS["capacity"] * fit_cap + WEIGHTS["amenities"] * fit_amen + WEIGHTS["hours"] * fit_hours
             + WEIGHTS["distance"] * fit_dist + WEIGHTS["bookable"] * fit_book + WEIGHTS["price"] * fit_price)
    return VenueMatch(
        row=row, venue=venue, score=round(score, 2), reasons=reasons, warnings=warnings, missing=missing,
        distance_km=distance, open_status=open_status,
        how_to_book=_how_to_book(row, venue, bookable),
    )


def _venue_of(row: Any) -> wire.VenueData | None:
    """The venue's typed data from its stored document, None when it cannot be read."""
    try:
        return wire.venue_from_ap(orjson.loads(row.raw))
    except (wire.ContentParseError, orjson.JSONDecodeError, TypeError, ValueError):
        return None


def _capacity_part(
    capacity: int | None, needs: VenueNeeds, t: dict[str, str], reasons: list[str], warnings: list[str]
) -> float:
    """How well the capacity fits the group (0..1), with its reason or warning."""
    if needs.people is not None and capacity is not None:
        if capacity / needs.people > 3:
            warnings.append(t["capacity_big"].format(cap=capacity, n=needs.people))
        else:
            reasons.append(t["capacity"].format(cap=capacity, n=needs.people))
        return _capacity_fit(capacity, needs.people)
    if needs.people is not None:
        warnings.append(t["capacity_unknown"])
        return _capacity_fit(None, needs.people)
    if capacity is not None:
        reasons.append(t["capacity_only"].format(cap=capacity))
    return 0.5


def _amenities_part(
    needs: VenueNeeds, have: set[str], missing: list[str], lang: str, t: dict[str, str],
    reasons: list[str], warnings: list[str],
) -> float:
    """The share of the asked amenities the venue has, with what it has and what it lacks."""
    def label(key: str) -> str:
        return wire.AMENITIES.get(key, {}).get(lang, key)

    present = [a for a in needs.amenities if a in have]
    if present:
        reasons.append(t["has"].format(items=t["sep"].join(label(a) for a in present)))
    if missing:
        warnings.append(t["missing"].format(items=t["sep"].join(label(a) for a in missing)))
    return len(present) / len(needs.amenities) if needs.amenities else 1.0


def _hours_part(
    venue: wire.VenueData | None, needs: VenueNeeds, lang: str, t: dict[str, str],
    reasons: list[str], warnings: list[str],
) -> tuple[str, float] | None:
    """(open status, fit) for the asked day and time; None when the venue is closed then."""
    if needs.day is None:
        return "not_asked", 0.5
    hours = _hours_of(venue)
    if hours is None:
        warnings.append(t["hours_unknown"])
        return "unknown", 0.3
    spec = open_during(hours, needs.day, needs.start, needs.end)
    if spec is None:
        return None
    reasons.append(t["open"].format(day=_SHORT[lang][needs.day.weekday()], opens=spec.opens, closes=spec.closes))
    return "open", 1.0


def _price_reason(row: Any, t: dict[str, str]) -> str:
    if row.price_amount is not None:
        return t["price"].format(price=_price_text(row.price_amount, row.currency))
    if row.price_mode == "negotiable":
        return t["negotiable"]
    return t["free"]


def _how_to_book(row: Any, venue: wire.VenueData | None, bookable: bool) -> dict[str, Any]:
    return {
        "bookable": bookable,
        "contact": venue.contact if venue else None,
        "community_name": row.community_name,
        "community_handle": f"@{row.community_username}@{row.community_domain}",
        "community_page": f"/communities/{row.community_id}",
        "origin": row.url or row.uri,
        "detail": f"/items/{row.id}",
    }
