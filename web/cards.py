"""How the resident pages show an item in a list (a card), and the dates, times and prices on
it, in the reader's language; the notices (notes) of one community or of all."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from actors.feed.feed import DISTRICT_TZ, FeedFilter, FeedItem, query_feed
from actors.storage.text import html_to_text
from fedi import content as wire
from web.i18n import translator

__all__ = ["NOTICES", "Card", "card", "cards", "fmt_day", "fmt_price", "fmt_when", "notices"]

_WEEKDAYS_ZH = ("周一", "周二", "周三", "周四", "周五", "周六", "周日")
_WEEKDAYS_EN = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTHS_EN = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_SYMBOLS = {"CNY": "¥", "HKD": "HK$", "USD": "$", "EUR": "€", "JPY": "¥", "TWD": "NT$"}

def _zone(name: str | None) -> ZoneInfo:
    try:
        return ZoneInfo(name) if name else DISTRICT_TZ
    except (ZoneInfoNotFoundError, ValueError):
        return DISTRICT_TZ


def fmt_day(d: date, lang: str) -> str:
    if lang == "zh-CN":
        return f"{d.month}月{d.day}日（{_WEEKDAYS_ZH[d.weekday()]}）"
    return f"{_WEEKDAYS_EN[d.weekday()]} {d.day} {_MONTHS_EN[d.month - 1]}"


def fmt_when(row: Any, lang: str) -> str:
    if row.start_time is None:
        return ""
    zone = _zone(row.timezone)
    start = row.start_time.astimezone(zone)
    text = f"{fmt_day(start.date(), lang)} {start:%H:%M}"
    if row.end_time is not None:
        end = row.end_time.astimezone(zone)
        text += f"–{end:%H:%M}" if end.date() == start.date() else f" – {fmt_day(end.date(), lang)} {end:%H:%M}"
    return text


def fmt_price(row: Any, _: Any) -> str:
    if row.price_amount is not None:
        symbol = _SYMBOLS.get(row.currency or "CNY", f"{row.currency} ")
        return f"{symbol}{row.price_amount:.2f}".rstrip("0").rstrip(".")
    if row.price_mode:
        return str(_(f"price_mode.{row.price_mode}"))
    return ""


@dataclass
class Card:
    """What a list shows of one item."""

    id: int
    kind: str
    title: str
    title_html: str
    snippet_html: str
    snippet: str
    when: str
    where: str
    price: str
    capacity: int | None
    amenities: list[str]
    status: str | None
    category: str | None
    listing_kind: str | None
    purpose: str | None
    distance_km: float | None
    origin: str
    community_name: str
    community_handle: str
    community_uri: str
    community_id: int | None
    local: bool
    author_name: str = ""
    author_handle: str = ""
    author_url: str = ""
    pinned: bool = False


def card(item: FeedItem, lang: str, _: Any, community_ids: dict[str, int]) -> Card:
    r = item.row
    text = html_to_text(r.content or "")
    return Card(
        id=r.id, kind=item.kind, title=r.name or (text.splitlines()[0][:60] if text else r.uri),
        title_html=item.title_html, snippet_html=item.snippet_html,
        snippet=(text[:110] + "…") if len(text) > 110 else text,
        when=fmt_when(r, lang) if item.kind == "event" else "",
        where=" · ".join(dict.fromkeys(p for p in (r.place_name, r.address) if p)),
        price=fmt_price(r, _) if item.kind in ("listing", "venue") else "",
        capacity=r.capacity, amenities=[wire.AMENITIES.get(a, {}).get(lang, a) for a in (r.amenities or "").split()],
        status=r.status, category=r.category, listing_kind=r.listing_kind, purpose=r.purpose,
        distance_km=item.distance_km, origin=r.url or r.uri, community_name=item.community_name or item.community_handle,
        community_handle=item.community_handle, community_uri=item.community_uri,
        community_id=community_ids.get(item.community_uri) or r.community_id, local=bool(r.local),
        author_name=item.author_name, author_handle=item.author_handle, author_url=item.author_url,
        pinned=getattr(r, "pinned_at", None) is not None,
    )


NOTICES = 5  # notices on the home page and a community's page


async def notices(conn: Any, now: datetime, lang: str, *, community: str | None = None, limit: int = NOTICES) -> list[Card]:
    """The latest notices (notes), pinned ones first: of one community, or of all."""
    pinned = await query_feed(conn, FeedFilter(kind="note", community=community, pinned=True), now, limit=limit)
    latest = await query_feed(conn, FeedFilter(kind="note", community=community), now, limit=limit)
    shown = {i.row.id for i in pinned.items}
    items = pinned.items + [i for i in latest.items if i.row.id not in shown]
    return cards(items[:limit], lang)


def cards(items: list[FeedItem], lang: str) -> list[Card]:
    _ = translator(lang)
    return [card(i, lang, _, {}) for i in items]
