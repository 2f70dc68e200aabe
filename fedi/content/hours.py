"""Time: zones and local ISO times, UTC offsets back to zones, weekday and month names, and
venues' opening hours (schema.org ``OpeningHoursSpecification``) both ways."""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta, tzinfo
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from ..vocab import as_list, get_id
from .data import DAYS_OF_WEEK, OpeningHours
from .text import _str


def _zone(name: str) -> tzinfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return UTC


def _local_iso(moment: datetime, timezone: str) -> str:
    """xsd:dateTime with the event's local UTC offset, second precision."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    local = moment.astimezone(_zone(timezone)).replace(microsecond=0)
    return local.isoformat().replace("+00:00", "Z")


_WEEKDAYS_ZH = ("周一", "周二", "周三", "周四", "周五", "周六", "周日")

_WEEKDAYS_EN = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")

_MONTHS_EN = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def _hours_text(hours: list[OpeningHours] | str, zh: bool) -> str | None:
    """ "周一、周二 09:00–21:00；周六 10:00–18:00" / "Mon, Tue 09:00–21:00; Sat 10:00–18:00"."""
    if isinstance(hours, str):
        return hours or None
    names = _WEEKDAYS_ZH if zh else _WEEKDAYS_EN
    specs = []
    for spec in hours:
        index = sorted({DAYS_OF_WEEK.index(d) for d in spec.days if d in DAYS_OF_WEEK})
        runs: list[list[int]] = []
        for i in index:  # consecutive days as one run: 周一至周五 / Mon–Fri
            if runs and runs[-1][-1] == i - 1:
                runs[-1].append(i)
            else:
                runs.append([i])
        days = [
            names[r[0]] if len(r) == 1 else f"{names[r[0]]}{'至' if zh else '–'}{names[r[-1]]}"
            for r in runs
        ]
        specs.append(f"{('、' if zh else ', ').join(days)} {spec.opens}–{spec.closes}")
    return ("；" if zh else "; ").join(specs) or None


def _opening_hours_doc(spec: OpeningHours) -> dict[str, Any]:
    days: str | list[str] = spec.days[0] if len(spec.days) == 1 else list(spec.days)
    return {
        "type": "OpeningHoursSpecification",
        "dayOfWeek": days,
        "opens": spec.opens,
        "closes": spec.closes,
    }


_HALF_HOUR_ZONES = {  # offsets that no Etc/GMT zone can express
    timedelta(hours=5, minutes=30): "Asia/Kolkata",
    timedelta(hours=5, minutes=45): "Asia/Kathmandu",
    timedelta(hours=6, minutes=30): "Asia/Yangon",
    timedelta(hours=9, minutes=30): "Australia/Darwin",
    timedelta(hours=3, minutes=30): "Asia/Tehran",
    timedelta(hours=4, minutes=30): "Asia/Kabul",
    timedelta(hours=-3, minutes=-30): "America/St_Johns",
}


def zone_from_offset(moment: datetime) -> str:
    """An IANA name with the same UTC offset, for events that came without ``timezone``.

    Whole-hour offsets map to ``Etc/GMT±N`` (note the POSIX sign inversion: +01:00 is
    ``Etc/GMT-1``), which keeps the sender's wall time without guessing a city; a few
    half-hour offsets map to their main zone; anything else falls back to ``UTC``.
    """
    offset = moment.utcoffset()
    if offset is None or offset == timedelta(0):
        return "UTC"
    if offset in _HALF_HOUR_ZONES:
        return _HALF_HOUR_ZONES[offset]
    seconds = int(offset.total_seconds())
    if seconds % 3600 == 0 and -12 <= seconds // 3600 <= 14:
        hours = seconds // 3600
        return f"Etc/GMT{-hours:+d}"
    return "UTC"


def _valid_zone(name: Any) -> str | None:
    if not isinstance(name, str) or not name:
        return None
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return None
    return name


def _day(value: Any) -> str | None:
    text = get_id(value) if not isinstance(value, str) else value
    if not text:
        return None
    tail = re.split(r"[/#:]", text)[-1]
    for day in DAYS_OF_WEEK:
        if tail.casefold() == day.casefold():
            return day
    return None


def _opening_hours_from_ap(doc: Mapping[str, Any]) -> list[OpeningHours] | str:
    specs = []
    for item in as_list(doc.get("openingHoursSpecification")):
        if not isinstance(item, Mapping):
            continue
        days = [d for d in (_day(v) for v in as_list(item.get("dayOfWeek"))) if d]
        opens, closes = _str(item.get("opens")), _str(item.get("closes"))
        if days and opens and closes:
            specs.append(OpeningHours(days=days, opens=opens[:5], closes=closes[:5]))
    if specs:
        return specs
    text = _str(doc.get("openingHours"))
    return text or []
