"""The shared feed: one filter object, one query, for the home page, lists, search, JSON, ICS
and Atom alike — every door takes the same parameters and gives the same answer."""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

import orjson
from sqlalchemy import ColumnElement, and_, func, or_, select
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncConnection

from actors.feed import search
from actors.social.visibility import publicly_visible
from actors.storage.models import actors, objects
from actors.storage.text import html_to_text
from fedi import vocab
from fedi.problems import problem

__all__ = ["DISTRICT_TZ", "KINDS", "FeedFilter", "FeedItem", "FeedPage", "FilterError", "handle", "haversine_km", "parse_near", "profile_url", "query_feed",
           "suggest_query"]

KINDS = ("event", "listing", "venue", "note")
DISTRICT_TZ = ZoneInfo("Asia/Shanghai")  # "today" and "this weekend" as residents mean them
MAX_LIMIT = 100
MAX_EVENT_SPAN = timedelta(days=62)
EARTH_KM = 6371.0


class FilterError(ValueError):
    """A filter parameter is malformed; ``errors`` maps each parameter to what is wrong."""

    def __init__(self, errors: dict[str, str]) -> None:
        self.errors = errors
        super().__init__("; ".join(f"{k}: {v}" for k, v in errors.items()))


def haversine_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_KM * math.asin(min(1.0, math.sqrt(a)))


def parse_near(raw_near: str | None, raw_radius: str | None, default_radius: float,
               errors: dict[str, str]) -> tuple[tuple[float, float] | None, float]:
    """``near=lat,lon`` (a full-width comma too) and ``radius`` in km, as the feed and the venue
    finder take them; what does not parse is named in ``errors``."""
    near = None
    if raw_near is not None:
        try:
            lat_s, lon_s = raw_near.replace("，", ",").split(",")
            lat, lon = float(lat_s), float(lon_s)
            if not (-90 <= lat <= 90 and -180 <= lon <= 180):
                raise ValueError
            near = (lat, lon)
        except ValueError:
            errors["near"] = problem("near")
    radius = default_radius
    if raw_radius is not None:
        try:
            radius = float(raw_radius)
            if not 0 < radius <= 500:
                raise ValueError
        except ValueError:
            errors["radius"] = problem("radius")
    return near, radius


def _day(raw: str | None, name: str, errors: dict[str, str]) -> date | None:
    """A date parameter (its first ten characters), or None with the reason in ``errors``."""
    if raw is None:
        return None
    try:
        return date.fromisoformat(raw[:10])
    except ValueError:
        errors[name] = problem("date")
        return None


def _money(raw: str | None, name: str, errors: dict[str, str]) -> Decimal | None:
    """A price parameter (a finite number of at least 0), or None with the reason in ``errors``."""
    if raw is None:
        return None
    try:
        value = Decimal(raw)
    except InvalidOperation:
        errors[name] = problem("price_number")
        return None
    if not value.is_finite() or value < 0:
        errors[name] = problem("price_minimum")
        return None
    return value


@dataclass(frozen=True)
class FeedFilter:
    kind: str | None = None
    q: str = ""
    category: str | None = None
    tag: str | None = None
    community: str | None = None  # an actor URI, or name@host, or a local slug
    date_from: date | None = None  # "from"
    date_to: date | None = None  # "to"
    listing_kind: str | None = None
    purpose: str | None = None
    price_min: Decimal | None = None
    price_max: Decimal | None = None
    free: bool = False
    near: tuple[float, float] | None = None
    radius_km: float = 5.0
    area: str | None = None
    include_past: bool = False
    include_closed: bool = False
    pinned: bool = False  # only notices their organisers pinned (not a query parameter)

    @classmethod
    def from_params(cls, params: Any) -> FeedFilter:
        """Parse query parameters (a Mapping); unknown ones are ignored, bad ones are errors."""
        errors: dict[str, str] = {}

        def get(name: str) -> str | None:
            value = params.get(name)
            return value.strip() if isinstance(value, str) and value.strip() else None

        kind = get("kind")
        if kind is not None and kind not in KINDS:
            errors["kind"] = problem("kind", options=", ".join(KINDS))

        near, radius = parse_near(get("near"), get("radius"), 5.0, errors)
        f = cls(
            kind=kind if "kind" not in errors else None,
            q=(get("q") or "")[:200],
            category=get("category"),
            tag=(get("tag") or "").lstrip("#").lower() or None,
            community=get("community"),
            date_from=_day(get("from"), "from", errors),
            date_to=_day(get("to"), "to", errors),
            listing_kind=get("listing_kind"),
            purpose=get("purpose"),
            price_min=_money(get("price_min"), "price_min", errors),
            price_max=_money(get("price_max"), "price_max", errors),
            free=get("free") in ("1", "true", "on", "yes"),
            near=near,
            radius_km=radius,
            area=get("area"),
            include_past=get("past") in ("1", "true", "on", "yes"),
            include_closed=get("closed") in ("1", "true", "on", "yes"),
        )
        if f.date_from and f.date_to and f.date_to < f.date_from:
            errors["to"] = problem("to_before_from")
        if errors:
            raise FilterError(errors)
        return f

    def to_params(self, **override: Any) -> dict[str, str]:
        """The filter as URL parameters (only what is set), so a filtered view can be shared."""
        f = replace(self, **override) if override else self
        out: dict[str, str] = {}
        simple = {"kind": f.kind, "q": f.q, "category": f.category, "tag": f.tag, "community": f.community,
                  "listing_kind": f.listing_kind, "purpose": f.purpose, "area": f.area}
        out.update({k: v for k, v in simple.items() if v})
        if f.date_from:
            out["from"] = f.date_from.isoformat()
        if f.date_to:
            out["to"] = f.date_to.isoformat()
        for name in ("price_min", "price_max"):
            value = getattr(f, name)
            if value is not None:
                out[name] = str(value)
        if f.free:
            out["free"] = "1"
        if f.near:
            out["near"] = f"{f.near[0]:.5f},{f.near[1]:.5f}"
            out["radius"] = f"{f.radius_km:g}"
        if f.include_past:
            out["past"] = "1"
        if f.include_closed:
            out["closed"] = "1"
        return out

    def query_string(self, **override: Any) -> str:
        return urlencode(self.to_params(**override))

    @property
    def active(self) -> bool:
        return bool(self.to_params())


@dataclass
class FeedItem:
    row: Row[Any]
    community_name: str
    community_handle: str
    community_uri: str
    author_name: str = ""
    author_handle: str = ""
    author_url: str = ""
    distance_km: float | None = None
    title_html: str = ""
    snippet_html: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def kind(self) -> str:
        return self.row.kind or "note"


@dataclass
class FeedPage:
    items: list[FeedItem]
    next_offset: int | None


def _day_start(d: date) -> datetime:
    return datetime.combine(d, time.min, tzinfo=DISTRICT_TZ)


def _community_cond(value: str) -> ColumnElement[bool]:
    if value.startswith(("http://", "https://")):
        return actors.c.uri == value
    name, _, host = value.lstrip("@").partition("@")
    if host:
        return and_(actors.c.username == name, actors.c.domain == host.lower())
    return and_(actors.c.username == name, actors.c.local.is_(True))


def conditions(f: FeedFilter, now: datetime) -> list[ColumnElement[bool]]:
    o = objects.c
    # publicly_visible: the one rule for every public door (actors.social.visibility).
    # Replies stay out without a condition of their own: a community's answers in a thread
    # belong to no community (community_id null), and a stranger's reply is not a community's.
    conds: list[ColumnElement[bool]] = [publicly_visible(), o.kind.is_not(None)]
    if f.pinned:
        conds.append(o.pinned_at.is_not(None))
    if f.kind:
        conds.append(o.kind == f.kind)
    if f.category:
        conds.append(o.category == f.category)
    if f.tag:
        # Tags are stored space-separated; pad both sides so a tag matches only whole.
        conds.append((" " + func.coalesce(o.tags, "") + " ").contains(f" {f.tag} "))
    if f.community:
        conds.append(o.community_id.in_(select(actors.c.id).where(_community_cond(f.community))))
    if f.date_from or f.date_to or (f.kind == "event" and not f.include_past):
        start = _day_start(f.date_from) if f.date_from else (None if f.include_past else now)
        end = _day_start(f.date_to + timedelta(days=1)) if f.date_to else None
        event_conds: list[ColumnElement[bool]] = [o.kind == "event"]
        if start is not None:
            # The lower bound on start_time lets the index range begin near the window instead
            # of at the first event ever; an event lasts at most MAX_EVENT_SPAN (validation
            # caps local ones at 60 days), so none that could still be on is left out.
            event_conds.append(o.start_time >= start - MAX_EVENT_SPAN)
            event_conds.append(func.coalesce(o.end_time, o.start_time) >= start)
        if end is not None:
            event_conds.append(o.start_time < end)
        conds.append(and_(*event_conds))
    elif not f.include_past:
        conds.append(or_(o.kind != "event", func.coalesce(o.end_time, o.start_time) >= now))
    if f.listing_kind:
        conds.append(o.listing_kind == f.listing_kind)
    if f.purpose:
        conds.append(o.purpose == f.purpose)
    if f.free:
        conds.append(o.price_mode == "free")
    if f.price_min is not None:
        conds.append(o.price_amount >= f.price_min)
    if f.price_max is not None:
        conds.append(or_(o.price_amount <= f.price_max, o.price_mode == "free"))
    if not f.include_closed:
        conds.append(or_(o.kind != "listing", and_(func.coalesce(o.status, "available") != "closed",
                                                   or_(o.expires_at.is_(None), o.expires_at > now))))
    if f.area:
        like = f"%{f.area.replace('%', '').replace('_', '')}%"
        conds.append(or_(o.place_name.like(like), o.address.like(like)))
    if f.near:
        lat, lon = f.near
        dlat = f.radius_km / 111.0
        dlon = f.radius_km / max(111.0 * math.cos(math.radians(lat)), 1e-6)
        conds.append(o.latitude.between(lat - dlat, lat + dlat))
        conds.append(o.longitude.between(lon - dlon, lon + dlon))
        # The circle itself, in SQL, so that offset paging counts only what is shown.
        conds.append(_distance_sq(f.near) <= f.radius_km * f.radius_km)
    return conds


def _distance_sq(near: tuple[float, float]) -> ColumnElement[Any]:
    """Squared distance in km² from ``near`` (a flat-earth approximation, well within 0.1% of
    haversine at district distances): what the radius filter and the near= order use."""
    lat, lon = near
    ky = 111.195
    kx = 111.195 * math.cos(math.radians(lat))
    dy = (objects.c.latitude - lat) * ky
    dx = (objects.c.longitude - lon) * kx
    return dy * dy + dx * dx


def _order(f: FeedFilter) -> list[Any]:
    o = objects.c
    if f.near:
        # The whole radius ranked once in SQL: pages follow each other without repeats or gaps.
        return [_distance_sq(f.near).asc(), o.id.asc()]
    if f.kind == "event":
        return [o.start_time.asc(), o.id.asc()]
    return [o.published.desc(), o.id.desc()]


async def query_feed(conn: AsyncConnection, f: FeedFilter, now: datetime, *, limit: int = 20, offset: int = 0) -> FeedPage:
    limit = max(1, min(limit, MAX_LIMIT))
    conds = conditions(f, now)
    community, author = actors.alias("community"), actors.alias("author")
    cols = [objects, community.c.name.label("community_name"), community.c.username.label("community_username"),
            community.c.domain.label("community_domain"), community.c.uri.label("community_uri"),
            author.c.name.label("author_name"), author.c.username.label("author_username"),
            author.c.domain.label("author_domain"), author.c.uri.label("author_uri"),
            author.c.local.label("author_local"), author.c.raw.label("author_raw")]
    base = select(*cols).select_from(
        objects.join(community, community.c.id == objects.c.community_id).join(author, author.c.id == objects.c.actor_id)
    )
    hits: dict[int, search.Hit] = {}
    if f.q:
        found = await search.search(conn, f.q, limit=limit + 1, offset=offset, filters=and_(*conds))
        hits = {h.id: h for h in found}
        if not hits:
            return FeedPage([], None)
        rows = {r.id: r for r in (await conn.execute(base.where(objects.c.id.in_(list(hits))))).all()}
        ordered = [rows[h.id] for h in found if h.id in rows]
    else:
        stmt = base.where(*conds).order_by(*_order(f)).limit(limit + 1).offset(offset)
        ordered = list((await conn.execute(stmt)).all())
    items = []
    for r in ordered:
        distance = None
        if f.near and r.latitude is not None and r.longitude is not None:
            distance = haversine_km(f.near[0], f.near[1], r.latitude, r.longitude)
        hit = hits.get(r.id)
        items.append(
            FeedItem(
                row=r,
                community_name=r.community_name,
                community_handle=handle(r.community_username, r.community_domain, r.community_uri),
                community_uri=r.community_uri,
                author_name=r.author_name or r.author_username,
                author_handle=handle(r.author_username, r.author_domain, r.author_uri),
                author_url=profile_url(r.author_uri, r.author_raw, r.author_local, r.author_username),
                distance_km=distance,
                title_html=str(hit.highlight(r.name or "", width=None)) if hit else "",
                snippet_html=str(hit.highlight(_text(r.content))) if hit else "",
            )
        )
    more = len(items) > limit
    return FeedPage(items[:limit], offset + limit if more else None)


def handle(username: str | None, domain: str | None, uri: str) -> str:
    """``@name@host`` on the actor's own host (``uri`` when there is no usable name)."""
    if username and domain and not username.startswith(("http://", "https://")):
        return f"@{username}@{domain}"
    return uri


def profile_url(uri: str, raw: str | None, local: bool, username: str | None = None) -> str:
    """Where a person's profile is read: ours for local actors, else the ``url`` their server
    publishes (http(s) only), else their id."""
    if local:
        return f"/@{username}" if username else uri
    if raw:
        try:
            doc = orjson.loads(raw)
        except orjson.JSONDecodeError:
            doc = None
        if isinstance(doc, dict):
            url = vocab.first_str(doc.get("url"))
            if isinstance(url, str) and url.startswith(("https://", "http://")):
                return url
    return uri


async def suggest_query(conn: AsyncConnection, f: FeedFilter, now: datetime) -> str | None:
    """For a search that found nothing: the nearest query that finds something with the same
    filters (a known word one character away, or the query without one of its words)."""
    if not f.q:
        return None
    found = await search.suggest(conn, f.q, filters=and_(*conditions(f, now)))
    return found[0] if found else None


def _text(content_html: str | None) -> str:
    return html_to_text(content_html or "")
