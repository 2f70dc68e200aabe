"""iCalendar export of events (one event, or any list of them), with icalendar."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterable
from datetime import UTC, datetime
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import orjson
from icalendar import Calendar, Event, Timezone, vText

from actors.storage.text import html_to_text
from fedi.content import ContentParseError, EventData, address_text, event_from_ap
from web.i18n import DEFAULT, translator

__all__ = ["ICS_TYPE", "calendar_bytes", "stored_calendar_bytes"]

ICS_TYPE = "text/calendar; charset=utf-8"
STATUS = {"scheduled": "CONFIRMED", "cancelled": "CANCELLED", "postponed": "TENTATIVE", "tentative": "TENTATIVE"}


def _in_zone(moment: datetime, zone: str) -> datetime:
    """The event's own IANA zone (parsed times carry only a UTC offset), so calendars get a
    real TZID and a VTIMEZONE, and show the time organisers meant across DST changes."""
    try:
        return moment.astimezone(ZoneInfo(zone))
    except (ZoneInfoNotFoundError, ValueError):
        return moment.astimezone(UTC)


def _vevent(e: EventData, stamp: datetime, lang: str) -> Event:
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
    if e.category:  # the category's name in the calendar's language, not its code
        ev.add("categories", [translator(lang)(f"category.{e.category}")])
    if e.updated or e.published:
        ev.add("last-modified", e.updated or e.published)
    return ev


def _vevent_bytes(e: EventData, now: datetime, lang: str) -> bytes:
    """One VEVENT's lines. DTSTAMP is when the event was last revised (RFC 5545 3.8.7.2, for a
    calendar without METHOD), so the lines depend on the event alone and can be kept."""
    return _vevent(e, e.updated or e.published or now, lang).to_ical()


def _assemble(vevents: Iterable[tuple[bytes, str]], *, name: str) -> bytes:
    """The calendar around already rendered events (their lines, their zone): each zone's
    VTIMEZONE once, then the events."""
    cal = Calendar()
    cal.add("prodid", "-//Yinhu//yinhu 0.1//ZH")
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("x-wr-calname", name)
    bodies: list[bytes] = []
    zones: dict[str, None] = {}
    for lines, zone in vevents:
        bodies.append(lines)
        zones.setdefault(zone, None)
    for zone in zones:
        vtimezone = _vtimezone(zone)
        if vtimezone is not None:
            cal.add_component(vtimezone)
    head, end, _ = cal.to_ical().rpartition(b"END:VCALENDAR")
    return b"".join((head, *bodies, end, b"\r\n"))


def calendar_bytes(events: Iterable[EventData], *, name: str, now: datetime, lang: str = DEFAULT) -> bytes:
    return _assemble(((_vevent_bytes(e, now, lang), e.timezone) for e in events), name=name)


# Rendered events by (id, hash of the stored JSON, language): a feed export is the same events again
# and again (calendar apps poll it), and icalendar takes about a millisecond per event to
# build and fold them. Any change to the stored document is a new key.
_RENDERED: OrderedDict[tuple[str, int, str], tuple[bytes, str] | None] = OrderedDict()
RENDERED_MAX = 4096


def _rendered(uri: str, raw: str, now: datetime, lang: str) -> tuple[bytes, str] | None:
    key = (uri, hash(raw), lang)
    if key in _RENDERED:
        _RENDERED.move_to_end(key)
        return _RENDERED[key]
    try:
        e = event_from_ap(orjson.loads(raw))
    except ContentParseError:
        value = None
    else:
        value = (_vevent_bytes(e, now, lang), e.timezone)
        if not (e.updated or e.published):
            return value  # its DTSTAMP is now: not kept
    _RENDERED[key] = value
    if len(_RENDERED) > RENDERED_MAX:
        _RENDERED.popitem(last=False)
    return value


def stored_calendar_bytes(rows: Iterable[tuple[str, str]], *, name: str, now: datetime, lang: str = DEFAULT) -> bytes:
    """A calendar of stored events, given as (id, stored JSON); those that do not parse as an
    event are left out."""
    rendered = (_rendered(uri, raw, now, lang) for uri, raw in rows)
    return _assemble((r for r in rendered if r is not None), name=name)


@lru_cache(maxsize=64)
def _vtimezone(zone: str) -> Timezone | None:
    """The VTIMEZONE of an IANA zone, built once: deriving it from the zone's transitions
    costs tens of milliseconds, more than the events of a whole calendar."""
    try:
        return Timezone.from_tzid(zone)
    except (ValueError, KeyError, ZoneInfoNotFoundError):
        return None
