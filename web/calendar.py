"""A month of events as a calendar (``/calendar?month=2026-12``), Monday first, in the
district's time; each day lists its events (title and start time) linking to their pages, with
the month as an ``.ics`` beside it. Events spanning days show on each day they run."""

from __future__ import annotations

import calendar as _calendar
from datetime import date, timedelta
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from actors.feed.feed import DISTRICT_TZ, FeedFilter, query_feed
from actors.storage.instance import Instance
from web.i18n import pick_language, translator
from web.pages import render, render_error

__all__ = ["month_grid", "routes"]

MAX_EVENTS = 500  # a month's events shown; a busier month says so and links to the list


def _inst(request: Request) -> Instance:
    return request.app.state.instance  # type: ignore[no-any-return]


def _month(raw: str | None, today: date) -> date | None:
    if not raw:
        return today.replace(day=1)
    try:
        year, month = (int(p) for p in raw.split("-", 1))
        return date(year, month, 1) if 1970 <= year <= 2200 else None
    except ValueError:
        return None


def month_grid(first: date) -> list[list[date | None]]:
    """The weeks of the month of ``first``, Monday first; days of other months are None."""
    return [[d if d.month == first.month else None for d in week]
            for week in _calendar.Calendar(firstweekday=0).monthdatescalendar(first.year, first.month)]


async def month_page(request: Request) -> Response:
    inst = _inst(request)
    lang = pick_language(request)
    _ = translator(lang)
    now = inst.clock()
    first = _month(request.query_params.get("month"), now.astimezone(DISTRICT_TZ).date())
    if first is None:
        return render_error(request, 400, _("cal.bad_month"))
    last = (first + timedelta(days=32)).replace(day=1) - timedelta(days=1)
    f = FeedFilter(kind="event", date_from=first, date_to=last, include_past=True)
    async with inst.engine.connect() as conn:
        page = await query_feed(conn, f, now, limit=MAX_EVENTS)
    days: dict[date, list[dict[str, Any]]] = {}
    for item in page.items:
        r = item.row
        start = r.start_time.astimezone(DISTRICT_TZ)
        end = (r.end_time or r.start_time).astimezone(DISTRICT_TZ)
        day = max(start.date(), first)
        while day <= min(end.date(), last):
            days.setdefault(day, []).append({"id": r.id, "title": r.name or "", "time": f"{start:%H:%M}" if day == start.date() else ""})
            day += timedelta(days=1)
    prev_month = (first - timedelta(days=1)).replace(day=1)
    next_month = last + timedelta(days=1)
    title = f"{first.year}年{first.month}月" if lang == "zh-CN" else first.strftime("%B %Y")
    return render(
        request, "feed/calendar.html", title=title, weeks=month_grid(first), days=days,
        today=now.astimezone(DISTRICT_TZ).date(), more=page.next_offset is not None,
        prev_url=f"/calendar?month={prev_month:%Y-%m}", next_url=f"/calendar?month={next_month:%Y-%m}",
        ics_url=f"/feed.ics?{f.query_string()}", list_url=f"/feed?{f.query_string()}",
        weekdays=[_(f"cal.weekday.{i}") for i in range(7)],
    )


routes = [Route("/calendar", month_page)]
