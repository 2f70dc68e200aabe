"""HTML pages for people (the resident-facing feed grows here in a later step)."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import orjson
from jinja2 import Environment, PackageLoader, select_autoescape
from sqlalchemy import select
from sqlalchemy.engine import Row
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from actors.feed.feed import handle, profile_url
from actors.feed.places import events_at
from actors.publishing.publishing import object_to_ap
from actors.social.rsvp import event_counts
from actors.storage.instance import Instance
from actors.storage.models import actors, objects
from fedi import content as wire
from web.cards import fmt_when
from web.conversations import page_conversation
from web.i18n import pick_language, translator
from web.ics import ICS_TYPE, calendar_bytes
from web.maps import map_links

__all__ = ["object_page", "render", "render_error", "routes"]

_env = Environment(loader=PackageLoader("web", "templates"), autoescape=select_autoescape(), enable_async=False)
_env.globals["map_links"] = map_links


def _inst(request: Request) -> Instance:
    return request.app.state.instance  # type: ignore[no-any-return]


def render(request: Request, template: str, status: int = 200, **ctx: Any) -> HTMLResponse:
    return _render(request, template, status, **ctx)


def _render(request: Request, template: str, status: int = 200, **ctx: Any) -> HTMLResponse:
    lang = pick_language(request)
    settings = request.app.state.settings
    other = "en" if lang == "zh-CN" else "zh-CN"
    # The language link keeps the page's own query (filters, search) and changes only lang.
    params = [(k, v) for k, v in request.query_params.multi_items() if k != "lang"] + [("lang", other)]
    lang_switch_url = "?" + urlencode(params)
    html = _env.get_template(template).render(
        lang=lang, _=translator(lang), settings=settings, lang_switch_url=lang_switch_url, **ctx
    )
    response = HTMLResponse(html, status_code=status, headers={"Vary": "Accept, Accept-Language, Cookie"})
    if request.query_params.get("lang") == lang:
        response.set_cookie("lang", lang, max_age=365 * 86400, samesite="lax")
    return response


def render_error(request: Request, status: int, message: str) -> Response:
    return render(request, "error.html", status=status, status_code=status, message=message)


def _local_time(moment: datetime, zone: str) -> datetime:
    try:
        return moment.astimezone(ZoneInfo(zone))
    except (ZoneInfoNotFoundError, ValueError):
        return moment


def event_when(e: wire.EventData, lang: str) -> str:
    start = _local_time(e.start, e.timezone)
    end = _local_time(e.end, e.timezone) if e.end else None
    _ = translator(lang)
    day = _(f"day.{start.strftime('%A')}")
    if lang == "zh-CN":
        text = f"{start.year}年{start.month}月{start.day}日（{day}）{start:%H:%M}"
    else:
        text = f"{day}, {start:%d %b %Y %H:%M}"
    if end is not None:
        text += f"–{end:%H:%M}" if end.date() == start.date() else f" – {end:%Y-%m-%d %H:%M}"
    return text


def _hours(v: wire.VenueData, lang: str) -> list[str]:
    return wire.hours_lines(v.opening_hours, lang == "zh-CN")


def _price_text(price: wire.PriceData | None) -> str:
    if price is None:
        return ""
    symbol = {"CNY": "¥", "HKD": "HK$", "USD": "$", "EUR": "€", "JPY": "¥", "TWD": "NT$"}.get(price.currency, price.currency + " ")
    amount = f"{price.amount:.2f}".rstrip("0").rstrip(".")
    return f"{symbol}{amount}"


async def object_page(
    request: Request, row: Row[Any], *, ics_url: str | None = None, extend: dict[str, Any] | None = None
) -> Response:
    """The page people see for an object: an event, listing or venue gets its own layout.

    ``extend`` (the resident pages' ``/items/{id}``) renders ``feed/item_<layout>`` instead,
    which adds the origin link and the community box, with those values in its context."""
    inst = _inst(request)
    extra = extend or {}
    ics_url = ics_url or (f"{row.uri}.ics" if row.local else f"/items/{row.id}.ics")

    def render(request: Request, template: str, **ctx: Any) -> HTMLResponse:
        return _render(request, f"feed/item_{template}" if extend is not None else template, **ctx, **extra)

    lang = pick_language(request)
    async with inst.engine.connect() as conn:
        author = (await conn.execute(select(actors).where(actors.c.id == row.actor_id))).one()
        # The byline as the person's own server names them, linking to their own profile.
        extra = {**extra, "author_handle": handle(author.username, author.domain, author.uri),
                 "author_url": profile_url(author.uri, author.raw, author.local, author.username)}
        doc = await object_to_ap(inst, conn, row) if row.local else orjson.loads(row.raw)
        counts = await event_counts(conn, row.id, row.capacity) if row.kind == "event" else (0, None)
        held = await events_at(conn, row, inst.clock()) if row.kind == "venue" else []
        # Replies under the item and what people did with it (web.conversations).
        extra = {**extra, **await page_conversation(conn, row)}
    try:
        if row.kind == "event":
            e = wire.event_from_ap(doc)
            return render(
                request, "event.html", o=row, e=e, author=author, when=event_when(e, lang),
                place_address=wire.address_text(e.place.address) if e.place else None,
                count=counts[0], left=counts[1], ics_url=ics_url,
            )
        if row.kind == "listing":
            listing = wire.listing_from_ap(doc)
            if listing is not None:
                area = listing.area if isinstance(listing.area, str) else (
                    listing.area.name or wire.address_text(listing.area.address) if listing.area else None)
                expires = _local_time(listing.expires, "Asia/Shanghai").strftime("%Y-%m-%d %H:%M") if listing.expires else None
                return render(
                    request, "listing.html", o=row, l=listing, author=author, area=area, expires=expires,
                    price_text=_price_text(listing.price), description=row.content,
                )
        if row.kind == "venue":
            v = wire.venue_from_ap(doc)
            labels = [wire.AMENITIES.get(a, {}).get(lang, a) for a in v.amenities]
            return render(
                request, "venue.html", o=row, v=v, author=author, address=wire.address_text(v.address) or "",
                amenities=labels, hours=_hours(v, lang), price_text=_price_text(v.price),
                held=[(e, fmt_when(e, lang)) for e in held],
            )
    except wire.ContentParseError:
        pass  # shown as a plain post below: what was stored is still readable
    published = _local_time(row.published, "Asia/Shanghai").strftime("%Y-%m-%d %H:%M")  # the district's time
    return render(request, "object.html", o=row, author=author, published=published)


async def event_ics(request: Request) -> Response:
    inst = _inst(request)
    uri = inst.object_uri(request.path_params["token"])
    async with inst.engine.connect() as conn:
        row = (
            await conn.execute(select(objects).where(objects.c.uri == uri, objects.c.kind == "event"))
        ).first()
        if row is None or row.deleted_at is not None:
            return render_error(request, 404 if row is None else 410, "no such event")
        doc = await object_to_ap(inst, conn, row) if row.local else orjson.loads(row.raw)
    event = wire.event_from_ap(doc)
    body = calendar_bytes([event], name=event.name, now=inst.clock(), lang=pick_language(request))
    return Response(body, media_type=ICS_TYPE, headers={"Content-Disposition": f'inline; filename="{request.path_params["token"]}.ics"'})


async def healthz(request: Request) -> Response:
    return Response("ok", media_type="text/plain")


routes = [
    Route("/o/{token}.ics", event_ics),
    Mount("/static", app=StaticFiles(packages=[("web", "static")]), name="static"),
    Route("/healthz", healthz),
]
