"""The pages residents read: home, the filtered feed and search, item and community pages,
the communities directory and the venue finder. zh-CN first, English via ``?lang=en``, plain
HTML forms (no JavaScript), one column on a phone.

Every list takes the parameters of ``actors.feed.feed.FeedFilter`` and links to the same view as
``/feed.ics``, ``/feed.atom`` and ``/api/feed``.
"""

from __future__ import annotations

import time
from dataclasses import replace
from datetime import date, datetime, timedelta
from typing import Any
from urllib.parse import urlencode

import orjson
from sqlalchemy import and_, func, or_, select
from sqlalchemy.engine import Row
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from actors.feed.feed import (
    DISTRICT_TZ,
    FeedFilter,
    FilterError,
    handle,
    query_feed,
    suggest_query,
)
from actors.feed.venues import VenueNeeds, find_venues
from actors.publishing.publishing import object_to_ap
from actors.social.visibility import publicly_visible
from actors.storage.instance import Instance
from actors.storage.models import actors, objects
from fedi import content as wire
from web import feed
from web.cards import Card, cards, fmt_day, notices
from web.communities import communities_page, community_detail, directory
from web.conversations import refresh_replies_after
from web.i18n import Translator, pick_language, translator
from web.ics import ICS_TYPE, calendar_bytes
from web.pages import object_page, render, render_error

__all__ = ["routes", "week_windows"]

PAGE_SIZE = 20


def _inst(request: Request) -> Instance:
    return request.app.state.instance  # type: ignore[no-any-return]


def week_windows(today: date) -> dict[str, tuple[date, date]]:
    """Today; the rest of this week before the weekend; what is left of the coming weekend
    after today (on a Saturday only Sunday; on a Sunday none: today holds it); and
    Monday–Sunday after it."""
    if today.weekday() == 6:
        sat = today - timedelta(days=1)
    else:
        sat = today + timedelta(days=5 - today.weekday())
    sun = sat + timedelta(days=1)
    windows = {"today": (today, today)}
    if today + timedelta(days=1) <= sat - timedelta(days=1):
        windows["later"] = (today + timedelta(days=1), sat - timedelta(days=1))
    if sun > today:
        windows["weekend"] = (max(sat, today + timedelta(days=1)), sun)
    windows["next_week"] = (sun + timedelta(days=1), sun + timedelta(days=7))
    return windows


# --- the filter form ------------------------------------------------------------------------


CATEGORY_TTL = 60.0  # seconds, as the directory's counts


async def category_counts(inst: Instance, conn: Any, now: datetime) -> dict[str, int]:
    """How many upcoming events, active listings and venues each category holds (once a minute)."""
    hit = inst.cache.get("resident:categories")
    if hit is not None and hit[1] > time.monotonic():
        return hit[0]  # type: ignore[no-any-return]
    o = objects.c
    live = or_(and_(o.kind == "event", func.coalesce(o.end_time, o.start_time) >= now),
               and_(o.kind == "listing", func.coalesce(o.status, "available") != "closed",
                    or_(o.expires_at.is_(None), o.expires_at > now)),
               o.kind == "venue")
    rows = await conn.execute(select(o.category, func.count()).where(publicly_visible(), o.category.is_not(None), live)
                              .group_by(o.category))
    counts = {str(cat): int(n) for cat, n in rows}
    inst.cache["resident:categories"] = (counts, time.monotonic() + CATEGORY_TTL)
    return counts


def form_context(f: FeedFilter, communities: list[Row[Any]], categories: dict[str, int]) -> dict[str, Any]:
    # The categories that hold something (and the one chosen), with their counts: not all 37.
    shown = [c for c in wire.CATEGORIES if categories.get(c) or c == f.category]
    return {
        "f": f, "categories": shown, "category_counts": categories, "listing_kinds": wire.LISTING_KINDS,
        "purposes": wire.LISTING_PURPOSES, "kinds": ("event", "listing", "venue", "note"),
        "communities_choice": [(c.uri, c.name or c.username, handle(c.username, c.domain, c.uri)) for c in communities],
        "near_text": f"{f.near[0]:g},{f.near[1]:g}" if f.near else "",
    }


def _exports(f: FeedFilter) -> dict[str, str]:
    q = f.query_string()
    qs = f"?{q}" if q else ""
    ev = FeedFilter.query_string(replace(f, kind="event"))
    if f.tag:  # the tag's own addresses, with the other filters (if any) as the query
        tag = wire.tag_path(f.tag)
        rest = replace(f, tag=None).query_string()
        ev_rest = FeedFilter.query_string(replace(f, tag=None, kind="event"))
        return {"ics": f"{tag}.ics?{ev_rest}", "atom": f"{tag}.atom" + (f"?{rest}" if rest else ""),
                "json": f"/api/feed{qs}"}
    return {"ics": f"/feed.ics?{ev}", "atom": f"/feed.atom{qs}", "json": f"/api/feed{qs}"}


def with_tag(request: Request, tag: str) -> Request:
    """The request as if ``?tag=NAME`` had been given (the other parameters kept), so a tag's
    page and exports are the feed's own views, filtered by the feed's own ``tag=`` filter."""
    params = [(k, v) for k, v in request.query_params.multi_items() if k != "tag"] + [("tag", tag)]
    return Request({**request.scope, "query_string": urlencode(params).encode()}, request.receive)


def _offset(request: Request) -> int | str:
    raw = request.query_params.get("offset", "0").strip() or "0"
    if not raw.isdigit() or int(raw) > 100_000:
        return "offset: a whole number from 0"
    return int(raw)


def _error_text(exc: FilterError, _: Translator) -> list[str]:
    return [f"{_('feed.field.' + k) if _('feed.field.' + k) != 'feed.field.' + k else k}: {_.problem(v)}"
            for k, v in exc.errors.items()]


# --- routes ---------------------------------------------------------------------------------


async def home(request: Request) -> Response:
    inst = _inst(request)
    lang = pick_language(request)
    now = inst.clock()
    today = now.astimezone(DISTRICT_TZ).date()
    windows = week_windows(today)
    sections: list[tuple[str, str, list[Card], str]] = []
    seen: set[int] = set()
    async with inst.engine.connect() as conn:
        for key, (start, end) in windows.items():
            f = FeedFilter(kind="event", date_from=start, date_to=end)
            page = await query_feed(conn, f, now, limit=30)
            items = [i for i in page.items if i.row.id not in seen
                     and (i.row.end_time or i.row.start_time) is not None
                     and (i.row.end_time or i.row.start_time) >= now]
            seen.update(i.row.id for i in items)
            label = fmt_day(start, lang) if start == end else f"{fmt_day(start, lang)} – {fmt_day(end, lang)}"
            sections.append((key, label, cards(items, lang), f"/feed?{f.query_string()}"))
        listings = await query_feed(conn, FeedFilter(kind="listing"), now, limit=6)
        venues = await query_feed(conn, FeedFilter(kind="venue"), now, limit=6)
        communities = await directory(inst, conn, now)
        categories = await category_counts(inst, conn, now)
        notice_cards = await notices(conn, now, lang)
    sections = [s for s in sections if s[0] != "later" or s[2]]
    return render(
        request, "home.html", sections=sections, notices=notice_cards, listings=cards(listings.items, lang),
        venues=cards(venues.items, lang), communities=communities[:12], more_communities=len(communities) > 12,
        any_events=any(s[2] for s in sections), **form_context(FeedFilter(), communities, categories),
    )


async def _list(request: Request, path: str, *, heading: str | None = None) -> Response:
    inst = _inst(request)
    lang = pick_language(request)
    _ = translator(lang)
    now = inst.clock()
    errors: list[str] = []
    try:
        f = FeedFilter.from_params(request.query_params)
    except FilterError as exc:
        errors = _error_text(exc, _)
        f = FeedFilter()
    offset = _offset(request)
    if isinstance(offset, str):
        errors.append(offset)
        offset = 0
    async with inst.engine.connect() as conn:
        communities = await directory(inst, conn, now)
        categories = await category_counts(inst, conn, now)
        if errors:
            return render(request, "feed/list.html", status=400, errors=errors, cards=[], path=path,
                          next_url=None, prev_url=None, exports=None, searching=path == "/search",
                          heading=heading, **form_context(f, communities, categories))
        page = await query_feed(conn, f, now, limit=PAGE_SIZE, offset=offset)
        suggestion = await suggest_query(conn, f, now) if f.q and not page.items and not offset else None
    qs = f.query_string()
    next_url = f"{path}?{qs + '&' if qs else ''}offset={page.next_offset}" if page.next_offset is not None else None
    prev_url = None
    if offset > 0:
        prev = max(0, offset - PAGE_SIZE)
        prev_url = f"{path}?{qs}" + (f"{'&' if qs else ''}offset={prev}" if prev else "")
    return render(
        request, "feed/list.html", errors=[], cards=cards(page.items, lang), path=path, next_url=next_url,
        prev_url=prev_url, exports=_exports(f), searching=path == "/search", offset=offset, heading=heading,
        suggestion=suggestion, suggestion_url=f"/search?{f.query_string(q=suggestion)}" if suggestion else None,
        **form_context(f, communities, categories),
    )


async def feed_page(request: Request) -> Response:
    return await _list(request, "/feed")


async def search_page(request: Request) -> Response:
    return await _list(request, "/search")


async def tag_page(request: Request) -> Response:
    """``/tags/NAME``: this instance's feed filtered by the tag (every hashtag link points here)."""
    tag = request.path_params["tag"].lstrip("#")
    return await _list(with_tag(request, tag), wire.tag_path(tag), heading=f"#{tag}")


async def tag_ics(request: Request) -> Response:
    return await feed.feed_ics(with_tag(request, request.path_params["tag"].lstrip("#")))


async def tag_atom(request: Request) -> Response:
    return await feed.feed_atom(with_tag(request, request.path_params["tag"].lstrip("#")))


async def _object_row(inst: Instance, object_id: int) -> Row[Any] | None:
    """The object behind ``/items/N`` when it may be shown publicly (``actors.social.visibility``;
    a deleted one too, for a 410); anything else is as unknown as a missing id."""
    async with inst.engine.connect() as conn:
        return (await conn.execute(
            select(objects).where(objects.c.id == object_id, publicly_visible(live=False))
        )).first()


async def item_page(request: Request) -> Response:
    inst = _inst(request)
    row = await _object_row(inst, request.path_params["id"])
    if row is None:
        return render_error(request, 404, translator(pick_language(request))("feed.no_item"))
    if row.deleted_at is not None:
        return render_error(request, 410, translator(pick_language(request))("feed.deleted"))
    async with inst.engine.connect() as conn:
        community = (await conn.execute(select(actors).where(actors.c.id == row.community_id))).one()
    extra = {
        "origin_url": row.url or row.uri, "item_community": community,
        "item_handle": handle(community.username, community.domain, community.uri),
        "item_local_ics": f"/items/{row.id}.ics",
    }
    page = await object_page(request, row, ics_url=f"/items/{row.id}.ics", extend=extra)
    return refresh_replies_after(inst, row, page)


async def item_ics(request: Request) -> Response:
    inst = _inst(request)
    row = await _object_row(inst, request.path_params["id"])
    _ = translator(pick_language(request))
    if row is None or row.kind != "event":
        return render_error(request, 404, _("feed.no_item"))
    if row.deleted_at is not None:
        return render_error(request, 410, _("feed.deleted"))
    async with inst.engine.connect() as conn:
        doc = await object_to_ap(inst, conn, row) if row.local else orjson.loads(row.raw)
    try:
        event = wire.event_from_ap(doc)
    except wire.ContentParseError:
        return render_error(request, 404, _("feed.no_item"))
    body = calendar_bytes([event], name=event.name, now=inst.clock(), lang=pick_language(request))
    return Response(body, media_type=ICS_TYPE,
                    headers={"Content-Disposition": f'inline; filename="item-{row.id}.ics"'})


async def venue_finder(request: Request) -> Response:
    inst = _inst(request)
    lang = pick_language(request)
    _ = translator(lang)
    errors: list[str] = []
    needs = VenueNeeds(lang=lang)
    asked = any(k in request.query_params for k in ("people", "amenity", "date", "start", "end", "area", "near"))
    try:
        needs = VenueNeeds.from_params(request.query_params, lang=lang)
    except FilterError as exc:
        errors = _error_text(exc, _)
    matches = []
    if asked and not errors:
        async with inst.engine.connect() as conn:
            matches = await find_venues(conn, needs, inst.clock())
    raw = request.query_params
    form = {k: raw.get(k, "") for k in ("people", "date", "start", "end", "area", "near", "radius")}
    chosen = set(raw.getlist("amenity"))
    return render(
        request, "feed/venues.html", status=400 if errors else 200, errors=errors, needs=needs, asked=asked,
        matches=matches, form=form, chosen=chosen, partial=raw.get("partial") in ("1", "on", "true", "yes"),
        amenities=[(k, v.get(lang, k)) for k, v in wire.AMENITIES.items()],
        share_url="/venues/find?" + urlencode(needs.to_params(), doseq=True),
    )


routes = [
    Route("/", home),
    Route("/feed", feed_page),
    Route("/search", search_page),
    Route("/tags/{tag}.ics", tag_ics),  # before /tags/{tag}, which would take "NAME.ics" whole
    Route("/tags/{tag}.atom", tag_atom),
    Route("/tags/{tag}", tag_page),
    Route("/items/{id:int}.ics", item_ics),
    Route("/items/{id:int}", item_page),
    Route("/communities", communities_page),
    Route("/communities/{id:int}", community_detail),
    Route("/venues/find", venue_finder),
]
