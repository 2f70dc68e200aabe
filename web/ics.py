"""iCalendar export of events (one event, or any list of them), with icalendar."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from icalendar import Calendar, Event, Timezone, vText

from actors.storage.text import html_to_text
from fedi.content import EventData, address_text

__all__ = ["ICS_TYPE", "calendar_bytes"]

ICS_TYPE = "text/calendar; charset=utf-8"
STATUS = {"scheduled": "CONFIRMED", "cancelled": "CANCELLED", "postponed": "TENTATIVE", "tentative": "TENTATIVE"}


def _in_zone(moment: datetime, zone: str) -> datetime:
    """The event's own IANA zone (parsed times carry only a UTC offset), so calendars get a
    real TZID and a VTIMEZONE, and show the time organisers meant across DST changes."""
    try:
        return moment.astimezone(ZoneInfo(zone))
    except (ZoneInfoNotFoundError, ValueError):
        return moment.astimezone(UTC)


def _vevent(e: EventData, stamp: datetime) -> Event:
    ev = Event()
    ev.add("uid", e.id)
    ev.add("dtstamp", stamp)
    ev.add("dtstart", _in_zone(e.start, e.timezone))
    if e.end is not None:
        ev.add("dtend", _in_zone(e.end, e.timezone))
    ev.add("summary", e.name)
    description = html_to_text(e.content_html)
    if e.online_url:
        description = f"{description}\n\n{e.online_url}".strip()
    if description:
        ev.add("description", description)
    if e.place is not None:
        where = ", ".join(p for p in (e.place.name, address_text(e.place.address)) if p)
        ev.add("location", vText(where))
        if e.place.latitude is not None and e.place.longitude is not None:
            ev.add("geo", (e.place.latitude, e.place.longitude))
    elif e.online_url:
        ev.add("location", vText(e.online_url))
    ev.add("url", e.url)
    ev.add("status", STATUS.get(e.status, "CONFIRMED"))
    if e.category:
        ev.add("categories", [e.category])
    if e.updated or e.published:
        ev.add("last-modified", e.updated or e.published)
    return ev


def calendar_bytes(events: Iterable[EventData], *, name: str, now: datetime) -> bytes:
    cal = Calendar()
    cal.add("prodid", "-//Yinhu//yinhu 0.1//ZH")
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("x-wr-calname", name)
    zones: dict[str, None] = {}
    for e in events:
        cal.add_component(_vevent(e, now))
        zones.setdefault(e.timezone, None)
    for zone in zones:
        vtimezone = _vtimezone(zone)
        if vtimezone is not None:
            cal.add_component(vtimezone)
    return cal.to_ical()


@lru_cache(maxsize=64)
def _vtimezone(zone: str) -> Timezone | None:
    """The VTIMEZONE of an IANA zone, built once: deriving it from the zone's transitions
    costs tens of milliseconds, more than the events of a whole calendar."""
    try:
        return Timezone.from_tzid(zone)
    except (ValueError, KeyError, ZoneInfoNotFoundError):
        return None
