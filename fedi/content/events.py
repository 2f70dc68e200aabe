"""Events both ways.

An **event** is an AS ``Event`` with FEP-8a8e names (``timezone``, ``category``, ``joinMode``,
``eventStatus`` …) which are also Mobilizon's names, plus Mobilizon's ``status``/``ical:status``.
``summary`` is one line of text, "title · date and time · place (address) · capacity · link"
in the event's own timezone (Chinese when the language is zh): Mastodon shows it under the
``name`` heading, GoToSocial, Misskey, Pleroma and Akkoma as the content-warning line, so
every reader sees the facts without opening anything (docs/federation.md, "Readable
everywhere"). ``startTime``/``endTime`` carry the event's local UTC offset (FEP-8a8e:
offsets are not zones, hence ``timezone`` too).

The parser's tolerance of Mobilizon and Gancio (online address, iCalendar status, banner
image) sits beside it, at the end of this module.
"""

from __future__ import annotations

import html
import re
from collections.abc import Mapping
from dataclasses import replace
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from ..vocab import CONTEXT, PUBLIC, as_list, first_str, get_id
from .data import (
    CATEGORIES,
    DEFAULT_TIMEZONE,
    JOIN_MODES,
    ContentParseError,
    EventData,
    ImageData,
    TagHref,
)
from .hours import (
    _MONTHS_EN,
    _WEEKDAYS_EN,
    _WEEKDAYS_ZH,
    _local_iso,
    _valid_zone,
    _zone,
    zone_from_offset,
)
from .images import _image_doc, _image_from_ap, _is_image
from .places import _is_virtual, _place_text, place_from_ap, place_to_ap
from .reading import _actor, _datetime, _int, _language, _map_first, _require, _required_str, _url
from .text import (
    _dedupe,
    _hashtag,
    _is_zh,
    _str,
    _tags_from_ap,
    _text_html,
    _type_names,
    _with_language_and_dates,
    clean_html,
    safe_url,
)

_STATUS_AP = {  # ours → (FEP-8a8e eventStatus, Mobilizon/iCalendar status)
    "scheduled": ("EventScheduled", "CONFIRMED"),
    "cancelled": ("EventCancelled", "CANCELLED"),
    "postponed": ("EventPostponed", "TENTATIVE"),
    "tentative": ("EventTentative", "TENTATIVE"),
}

_STATUS_LABEL = {
    "cancelled": ("【已取消】", "[Cancelled] "),
    "postponed": ("【已延期】", "[Postponed] "),
    "tentative": ("【待定】", "[Tentative] "),
}


def _fmt_day(local: datetime, zh: bool, with_year: bool) -> str:
    if zh:
        year = f"{local.year}年" if with_year else ""
        return f"{year}{local.month}月{local.day}日（{_WEEKDAYS_ZH[local.weekday()]}）"
    year = f" {local.year}" if with_year else ""
    return f"{_WEEKDAYS_EN[local.weekday()]} {local.day} {_MONTHS_EN[local.month - 1]}{year}"


def _event_when(e: EventData) -> str:
    """ "12月6日（周六）14:00–16:00" in the event's own timezone (named when not the default)."""
    zh = _is_zh(e.language)
    zone = _zone(e.timezone)
    start = e.start.astimezone(zone)
    ref_year = (e.published or e.start).astimezone(zone).year
    with_year = start.year != ref_year
    when = f"{_fmt_day(start, zh, with_year)} {start:%H:%M}"
    if zh:
        when = when.replace("） ", "）")
    if e.end is not None:
        end = e.end.astimezone(zone)
        if end.date() == start.date():
            when += f"–{end:%H:%M}"
        else:
            when += f" – {_fmt_day(end, zh, end.year != ref_year)} {end:%H:%M}"
            if zh:
                when = when.replace("） ", "）")
    if e.timezone != DEFAULT_TIMEZONE:
        when += f"（{e.timezone}）" if zh else f" ({e.timezone})"
    return when


def _event_line(e: EventData) -> str:
    """What, when, where, how many and where to read more, on one line of plain text."""
    zh = _is_zh(e.language)
    parts = [e.name, _event_when(e)]
    where = _place_text(e.place.name, e.place.address, zh) if e.place is not None else None
    if where:
        parts.append(where)
    if e.online_url:
        parts.append("线上" if zh else "Online")
    if e.capacity is not None:
        parts.append(f"限 {e.capacity} 人" if zh else f"up to {e.capacity} people")
    else:
        parts.append("不限人数" if zh else "no attendance limit")
    if e.url:
        parts.append(e.url)
    line = " · ".join(parts)
    label = _STATUS_LABEL.get(e.status)
    if label:
        line = (label[0] if zh else label[1]) + line
    return line


def event_summary_line(e: EventData) -> str:
    """The event's ``summary`` as plain text (``event_to_ap`` HTML-escapes it):
    "读书会：三体 · 12月6日（周六）14:00–16:00 · 银湖图书馆（银湖路 1 号）· 限 20 人 · https://…".

    Every reader shows it without opening anything (docs/federation.md, "Readable
    everywhere"): Mastodon under the ``name`` heading, GoToSocial, Misskey, Pleroma and Akkoma
    as the content-warning line, which is why it starts with the title and ends with the link.
    In the event's timezone; the year appears only when it differs from the publication year;
    cancelled/postponed/tentative events get a bracketed prefix. An organiser's own
    ``EventData.summary`` follows after " — ".
    """
    line = _event_line(e)
    if e.summary and e.summary != line:
        line = f"{line} — {e.summary}"
    return line


def _event_location(e: EventData) -> dict[str, Any] | list[dict[str, Any]]:
    """The place, the online address, or both; an empty list when neither."""
    locations: list[dict[str, Any]] = []
    if e.place is not None:
        locations.append(place_to_ap(e.place))
    if e.online_url:
        locations.append({"type": "VirtualLocation", "name": e.name, "url": e.online_url})
    return locations[0] if len(locations) == 1 else locations


def _event_attachments(e: EventData) -> list[dict[str, Any]]:
    attachments: list[dict[str, Any]] = []
    if e.image is not None:
        attachments.append(_image_doc(e.image, banner=True))
    if e.online_url:
        # Mobilizon and Gancio read an online address only from a Link attachment; Mobilizon
        # matches on name "Website" and mediaType text/html.
        attachments.append(
            {"type": "Link", "href": e.online_url, "mediaType": "text/html", "name": "Website"}
        )
    return attachments


def event_to_ap(e: EventData, *, followers: str, tag_href: TagHref | None = None) -> dict[str, Any]:
    """An FEP-8a8e ``Event`` that Mobilizon, Gancio and Mastodon all read."""
    ap_status, ical_status = _STATUS_AP.get(e.status, _STATUS_AP["scheduled"])
    doc: dict[str, Any] = {
        "@context": CONTEXT,
        "id": e.id,
        "type": "Event",
        "url": e.url,
        "attributedTo": e.actor_id,
        "name": e.name,
        "summary": _text_html(event_summary_line(e)),
        "content": e.content_html,
        "mediaType": "text/html",
        "startTime": _local_iso(e.start, e.timezone),
        "timezone": e.timezone,
        "joinMode": e.join_mode,
        "eventStatus": ap_status,
        "status": ical_status,
        "ical:status": ical_status,  # Mobilizon < 4 reads only the prefixed key
        "participantCount": e.participant_count,
        "to": [PUBLIC],
        "cc": [followers],
    }
    if e.end is not None:
        doc["endTime"] = _local_iso(e.end, e.timezone)
    location = _event_location(e)
    if location:
        doc["location"] = location
    if e.category:
        doc["category"] = e.category
    if e.external_participation_url:
        doc["externalParticipationUrl"] = e.external_participation_url
    if e.capacity is not None:
        doc["maximumAttendeeCapacity"] = e.capacity
        doc["remainingAttendeeCapacity"] = max(e.capacity - e.participant_count, 0)
    tags = _dedupe(e.tags)
    if tags:
        doc["tag"] = [_hashtag(t, tag_href) for t in tags]
    attachments = _event_attachments(e)
    if attachments:
        doc["attachment"] = attachments
    return _with_language_and_dates(
        doc, e.language, e.published, e.updated, name=e.name, content=e.content_html
    )


def _online_url(doc: Mapping[str, Any]) -> str | None:
    for item in as_list(doc.get("location")):
        if _is_virtual(item):
            url = safe_url(first_str(item.get("url")))
            if url:
                return url
        if isinstance(item, Mapping) and isinstance(item.get("address"), Mapping):
            url = safe_url(_str(item["address"].get("url")))  # Gancio's own online-place shape
            if url:
                return url
    links = [
        att
        for att in as_list(doc.get("attachment"))
        if isinstance(att, Mapping)
        and "Link" in _type_names(att)
        and safe_url(_str(att.get("href")))
        and (_str(att.get("mediaType")) or "text/html").startswith("text/html")
    ]
    for att in links:
        if _str(att.get("name")) == "Website":  # Mobilizon's marker
            return safe_url(_str(att.get("href")))
    return safe_url(_str(links[0].get("href"))) if links else None


_STATUS_FROM_8A8E = {
    "eventscheduled": "scheduled",
    "eventrescheduled": "scheduled",
    "eventmovedonline": "scheduled",
    "eventcancelled": "cancelled",
    "eventpostponed": "postponed",
    "eventtentative": "tentative",
}

_STATUS_FROM_ICAL = {"confirmed": "scheduled", "cancelled": "cancelled", "tentative": "tentative"}


def _event_status(doc: Mapping[str, Any]) -> str:
    value = _str(doc.get("eventStatus")) or get_id(doc.get("eventStatus"))
    if value:
        key = re.split(r"[/#:]", value)[-1].lower()
        if key in _STATUS_FROM_8A8E:
            return _STATUS_FROM_8A8E[key]
    for key in ("status", "ical:status"):
        value = _str(doc.get(key))
        if value and value.lower() in _STATUS_FROM_ICAL:
            return _STATUS_FROM_ICAL[value.lower()]
    return "scheduled"


def _category(value: Any) -> str | None:
    for item in as_list(value):
        if isinstance(item, str):
            key = re.split(r"[/#]", item)[-1].upper()
            if key in CATEGORIES:
                return key
    return None


def _banner(doc: Mapping[str, Any]) -> ImageData | None:
    atts = [a for a in as_list(doc.get("attachment")) if _is_image(a)]
    for att in atts:
        if att.get("isBannerImage") is True:
            return _image_from_ap(att)
    for att in atts:
        if _str(att.get("name")) == "Banner":  # Mobilizon names its banner, not its alt text
            img = _image_from_ap(att)
            return (
                ImageData(img.url, img.media_type, None, img.width, img.height, img.blurhash)
                if img
                else None
            )
    if atts:
        return _image_from_ap(atts[0])
    for item in as_list(doc.get("image")):
        img = _image_from_ap(item)
        if img is not None:
            return img
    return None


def event_from_ap(doc: Any) -> EventData:
    """An Event as Yinhu, Mobilizon or Gancio send it. Raises ContentParseError when ``id``,
    ``name``, ``startTime`` (or FEP-8a8e ``previousStartTime``) or the attributed actor is
    missing. Without ``timezone`` the zone is derived from the start's UTC offset."""
    doc = _require(doc, "Event")
    ident = _required_str(_str(doc.get("id")), "Event", "id", doc)
    name = _required_str(_map_first(doc, "name"), "Event", "name", doc)
    actor = _required_str(_actor(doc), "Event", "attributedTo", doc)
    start, end, timezone = _event_times(doc, ident)

    capacity = _int(doc.get("maximumAttendeeCapacity"))
    if capacity is not None and capacity <= 0:
        capacity = None  # Mobilizon sends 0 for "no limit"
    count = _int(doc.get("participantCount"))
    if count is None and isinstance(doc.get("attendees"), Mapping):
        count = _int(doc["attendees"].get("totalItems"))
    join_mode = _str(doc.get("joinMode"))
    join_mode = join_mode.lower() if join_mode else "none"
    if join_mode not in JOIN_MODES:
        join_mode = "restricted"

    event = EventData(
        id=ident,
        url=_url(doc) or safe_url(ident) or "",
        actor_id=actor,
        name=name.strip(),
        content_html=clean_html(_map_first(doc, "content"), doc.get("tag")),
        summary=None,
        start=start,
        end=end,
        timezone=timezone,
        place=place_from_ap(doc.get("location")),
        online_url=_online_url(doc),
        category=_category(doc.get("category")),
        tags=_tags_from_ap(doc.get("tag")),
        capacity=capacity,
        participant_count=count or 0,
        join_mode=join_mode,
        external_participation_url=safe_url(_str(doc.get("externalParticipationUrl"))),
        status=_event_status(doc),
        image=_banner(doc),
        language=_language(doc),
        published=_datetime(doc.get("published"), "published"),
        updated=_datetime(doc.get("updated"), "updated"),
    )
    summary = _sender_summary(doc, event)
    if summary:
        event = replace(event, summary=summary)
    return event


def _event_times(doc: Mapping[str, Any], ident: str) -> tuple[datetime, datetime | None, str]:
    """Start, end and zone; without ``timezone`` the zone comes from the start's UTC offset."""
    declared_zone = _valid_zone(doc.get("timezone"))
    zone = ZoneInfo(declared_zone) if declared_zone else None
    start = _datetime(doc.get("startTime"), "startTime", zone=zone) or _datetime(
        doc.get("previousStartTime"), "previousStartTime", zone=zone
    )
    if start is None:
        raise ContentParseError(f"Event ({ident}) has no startTime")
    end = _datetime(doc.get("endTime"), "endTime", zone=zone)
    if end is not None and end < start:
        end = None
    return start, end, declared_zone or zone_from_offset(start)


def _sender_summary(doc: Mapping[str, Any], event: EventData) -> str | None:
    """Strip our own generated line back off so a Yinhu round trip is exact; anything else a
    sender wrote (Gancio's "place, date" line, Mobilizon's) is kept as the summary."""
    summary = _map_first(doc, "summary")
    if summary:
        summary = html.unescape(re.sub(r"<[^>]+>", "", summary)).strip()
        line = _event_line(event)
        if summary == line:
            summary = None
        elif summary.startswith(line + " — "):
            summary = summary[len(line) + 3 :] or None
    return summary
