"""The feed in machine formats: ``/api/feed`` (JSON), ``/feed.ics`` and ``/feed.atom``.

All three take the same parameters as the HTML lists (``actors.feed.feed.FeedFilter``), so any
filtered view a resident builds can be subscribed to in a calendar or a feed reader.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from typing import Any
from urllib.parse import quote

import orjson
from feedgen.feed import FeedGenerator
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from actors.feed.feed import FeedFilter, FeedItem, FilterError, query_feed
from actors.storage.instance import Instance
from actors.storage.text import html_to_text
from fedi.vocab import isoformat
from web.i18n import pick_language, translator
from web.ics import ICS_TYPE, stored_calendar_bytes
from web.negotiation import json_response

__all__ = ["item_json", "parse_filter", "routes"]

EXPORT_LIMIT = 200


def _inst(request: Request) -> Instance:
    return request.app.state.instance  # type: ignore[no-any-return]


def parse_filter(request: Request) -> FeedFilter | Response:
    try:
        return FeedFilter.from_params(request.query_params)
    except FilterError as exc:
        return json_response({"error": str(exc), "fields": exc.errors}, status=400)


def _limit(request: Request, default: int) -> int:
    raw = request.query_params.get("limit", "")
    return max(1, min(int(raw), 100)) if raw.isdigit() else default


def _iso(value: datetime | None) -> str | None:
    return isoformat(value) if value is not None else None


def item_json(item: FeedItem) -> dict[str, Any]:
    r = item.row
    out: dict[str, Any] = {
        "id": r.uri,
        "type": r.kind or "note",
        "name": r.name,
        "url": r.url or r.uri,
        "community": {"name": item.community_name, "handle": item.community_handle, "uri": item.community_uri},
        "author": {"name": item.author_name, "handle": item.author_handle, "url": item.author_url},
        "published": _iso(r.published),
        "updated": _iso(r.updated),
        "language": r.language,
        "tags": (r.tags or "").split(),
        "content": r.content,
    }
    place = {"name": r.place_name, "address": r.address, "latitude": r.latitude, "longitude": r.longitude}
    if any(v is not None for v in place.values()):
        out["place"] = place
    if r.kind == "event":
        out.update(start=_iso(r.start_time), end=_iso(r.end_time), timezone=r.timezone, category=r.category,
                   status=r.status, capacity=r.capacity, join_mode=r.join_mode)
    elif r.kind == "listing":
        price: Any = r.price_mode
        if r.price_amount is not None:
            price = {"amount": str(r.price_amount), "currency": r.currency}
        out.update(listing_kind=r.listing_kind, purpose=r.purpose, price=price, condition=r.condition,
                   status=r.status, expires=_iso(r.expires_at))
    elif r.kind == "venue":
        price = r.price_mode if r.price_amount is None else {"amount": str(r.price_amount), "currency": r.currency}
        out.update(capacity=r.capacity, amenities=(r.amenities or "").split(), price=price)
    if item.distance_km is not None:
        out["distance_km"] = round(item.distance_km, 2)
    if item.title_html or item.snippet_html:
        out["highlight"] = {"name": item.title_html, "content": item.snippet_html}
    return out


async def api_feed(request: Request) -> Response:
    f = parse_filter(request)
    if isinstance(f, Response):
        return f
    raw_offset = request.query_params.get("offset", "0")
    offset = int(raw_offset) if raw_offset.isdigit() else 0
    inst = _inst(request)
    async with inst.engine.connect() as conn:
        page = await query_feed(conn, f, inst.clock(), limit=_limit(request, 20), offset=offset)
    nxt = None
    if page.next_offset is not None:
        params = {**f.to_params(), "offset": str(page.next_offset)}
        if "limit" in request.query_params:
            params["limit"] = request.query_params["limit"]
        nxt = f"{inst.base}/api/feed?" + "&".join(f"{k}={_q(v)}" for k, v in params.items())
    body = {"items": [item_json(i) for i in page.items], "next": nxt}
    return Response(orjson.dumps(body), media_type="application/json", headers={"Access-Control-Allow-Origin": "*"})


def _q(value: str) -> str:
    return quote(value, safe="")


async def feed_ics(request: Request) -> Response:
    f = parse_filter(request)
    if isinstance(f, Response):
        return f
    inst = _inst(request)
    f = replace(f, kind="event")
    async with inst.engine.connect() as conn:
        page = await query_feed(conn, f, inst.clock(), limit=EXPORT_LIMIT)
    name = f"{inst.settings.instance_name} · 活动"
    body = stored_calendar_bytes(((i.row.uri, i.row.raw) for i in page.items), name=name, now=inst.clock(),
                                 lang=pick_language(request))
    return Response(body, media_type=ICS_TYPE)


async def feed_atom(request: Request) -> Response:
    f = parse_filter(request)
    if isinstance(f, Response):
        return f
    inst = _inst(request)
    async with inst.engine.connect() as conn:
        page = await query_feed(conn, f, inst.clock(), limit=50)
    fg = FeedGenerator()
    query = f.query_string()
    self_url = f"{inst.base}/feed.atom" + (f"?{query}" if query else "")
    fg.id(self_url)
    fg.title(inst.settings.instance_name)
    fg.subtitle(inst.settings.description)
    fg.link(href=self_url, rel="self")
    fg.link(href=f"{inst.base}/" + (f"?{query}" if query else ""), rel="alternate")
    lang = pick_language(request)
    _ = translator(lang)
    fg.language(lang)
    fg.updated(max((i.row.updated or i.row.published for i in page.items), default=inst.clock()))
    for item in reversed(page.items):  # feedgen prepends entries
        r = item.row
        entry = fg.add_entry()
        entry.id(r.uri)
        entry.title(r.name or _first_line(r.content) or r.uri)
        entry.link(href=r.url or r.uri)
        entry.author({"name": item.community_name, "uri": item.community_uri})
        entry.published(r.published)
        entry.updated(r.updated or r.published)
        entry.content(r.content or "", type="html")
        if r.category:
            entry.category(term=r.category, label=_(f"category.{r.category}"))
    return Response(fg.atom_str(pretty=False), media_type="application/atom+xml; charset=utf-8")


def _first_line(content_html: str | None) -> str:
    text = html_to_text(content_html or "")
    return text.splitlines()[0][:80] if text else ""


routes = [
    Route("/api/feed", api_feed),
    Route("/feed.ics", feed_ics),
    Route("/feed.atom", feed_atom),
]
