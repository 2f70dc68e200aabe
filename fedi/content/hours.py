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


_DAY_ABBR = {d[:2].lower(): d for d in DAYS_OF_WEEK}
_DAY_ZH = {"一": 0, "二": 1, "三": 2, "四": 3, "五": 4, "六": 5, "日": 6, "天": 6}
_RANGE = re.compile(r"(\d{1,2}):(\d{2})\s*[-–~至到]\s*(\d{1,2}):(\d{2})")


def _days_spec(text: str) -> list[str] | None:
    """"Mo-Fr", "Sa,Su", "Mo-Su", "周一至周五", "每天" → English day names; None if not days."""
    text = text.strip()
    if not text or text.lower() in ("daily", "everyday", "every day") or text in ("每天", "每日", "全天"):
        return list(DAYS_OF_WEEK)
    out: list[str] = []
    for part in re.split(r"[,，、]", text):
        part = part.strip()
        if not part:
            continue
        ends = re.split(r"\s*(?:-|–|~|至|到)\s*", part)
        found = [_day_index(e) for e in ends]
        idx = [i for i in found if i is not None]
        if len(idx) != len(found) or len(idx) > 2:
            return None
        if len(idx) == 1:
            out.append(DAYS_OF_WEEK[idx[0]])
        else:
            a, b = idx
            i = a
            while True:
                out.append(DAYS_OF_WEEK[i])
                if i == b:
                    break
                i = (i + 1) % 7
    return out or None


def _day_index(token: str) -> int | None:
    token = token.strip()
    if token[:2].lower() in _DAY_ABBR and token.isascii():
        return DAYS_OF_WEEK.index(_DAY_ABBR[token[:2].lower()])
    m = re.fullmatch(r"(?:周|星期|礼拜)([一二三四五六日天])", token)
    return _DAY_ZH[m[1]] if m else None


def hours_from_text(text: str) -> list[OpeningHours] | None:
    """OSM-style opening hours text → specs; None when it cannot be read with confidence.

    Understands ``Mo-Fr 09:00-21:00; Sa 10:00-18:00``, several ranges (``Mo 09:00-12:00,14:00-18:00``),
    ``Su off``, ``24/7``, ``daily 08:00-22:00``, and the Chinese ``周一至周五 9:00-21:00``.
    """
    text = text.strip()
    if not text:
        return None
    if text.replace(" ", "") == "24/7":
        return [OpeningHours(days=list(DAYS_OF_WEEK), opens="00:00", closes="24:00")]
    specs: list[OpeningHours] = []
    for rule in re.split(r"[;；\n]", text):
        rule = rule.strip()
        if not rule:
            continue
        first = _RANGE.search(rule)
        if first is None:
            if re.search(r"\b(off|closed)\b|休息|闭馆", rule, re.IGNORECASE):
                continue
            return None
        day_text = rule[: first.start()].strip().rstrip(":：")
        days = _days_spec(day_text) if day_text else list(DAYS_OF_WEEK)
        if days is None:
            return None
        for m in _RANGE.finditer(rule):
            h1, m1, h2, m2 = (int(g) for g in m.groups())
            if h1 > 24 or h2 > 24 or m1 > 59 or m2 > 59:
                return None
            specs.append(OpeningHours(days=days, opens=f"{h1:02d}:{m1:02d}", closes=f"{h2:02d}:{m2:02d}"))
    return specs or None




def hours_lines(hours: list[OpeningHours] | str, zh: bool) -> list[str]:
    """One line per rule: "周一至周五 09:00–21:00", "每天 08:00–22:00" / "Mon–Fri 09:00–21:00",
    "Daily 08:00–22:00". Text hours (``Mo-Fr 09:00-21:00; Sa-Su off``) are read first, and
    shown as typed only when they cannot be read."""
    if isinstance(hours, str):
        parsed = hours_from_text(hours)
        if parsed is None:
            return [hours.strip()] if hours.strip() else []
        hours = parsed
    names = _WEEKDAYS_ZH if zh else _WEEKDAYS_EN
    lines = []
    for spec in hours:
        index = sorted({DAYS_OF_WEEK.index(d) for d in spec.days if d in DAYS_OF_WEEK})
        if len(index) == 7:
            lines.append(f"{'每天' if zh else 'Daily'} {spec.opens}–{spec.closes}")
            continue
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
        lines.append(f"{('、' if zh else ', ').join(days)} {spec.opens}–{spec.closes}")
    return lines


def _hours_text(hours: list[OpeningHours] | str, zh: bool) -> str | None:
    """ "周一、周二 09:00–21:00；周六 10:00–18:00" / "Mon, Tue 09:00–21:00; Sat 10:00–18:00"."""
    return ("；" if zh else "; ").join(hours_lines(hours, zh)) or None


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
