"""The month calendar: each day lists the events on it, Monday first, in the district's time;
months page back and forth; the month is an .ics; a bad month is a 400 with the reason."""

from __future__ import annotations

import icalendar

from tests.resident.conftest import Hood
from tests.resident.helpers import visible_text
from web.calendar import month_grid


def test_month_grid_starts_on_monday() -> None:
    from datetime import date

    weeks = month_grid(date(2030, 5, 1))  # 1 May 2030 is a Wednesday
    assert weeks[0][:2] == [None, None] and weeks[0][2] == date(2030, 5, 1)
    assert all(len(w) == 7 for w in weeks) and weeks[-1][4] == date(2030, 5, 31)


def _day_cell(page: str, day: int) -> str:
    cell = page[page.index(f'<div class="day">{day}</div>'):]
    return cell[: cell.index("</td>")]


async def test_each_day_lists_its_events(hood: Hood) -> None:
    page = (await hood.get("/calendar?month=2030-05")).text
    assert "2030年5月" in page
    assert "篮球友谊赛" in _day_cell(page, 11) and "15:00" in _day_cell(page, 11)
    assert "读书会：三体" in _day_cell(page, 8)
    assert "上周的旧书交换" in _day_cell(page, 7)  # a past day of the month still shows what was on
    assert "端午包粽子" not in page  # June
    june = (await hood.get("/calendar?month=2030-06")).text
    assert "端午包粽子" in _day_cell(june, 1)
    assert 'href="/calendar?month=2030-04"' in page and 'href="/calendar?month=2030-06"' in page
    ics = next(h for h in page.split('"') if h.startswith("/feed.ics?"))
    cal = icalendar.Calendar.from_ical((await hood.get(ics.replace("&amp;", "&"))).content)
    names = {str(e["summary"]) for e in cal.walk("VEVENT")}
    assert {"篮球友谊赛", "读书会：三体"} <= names and "端午包粽子" not in names


async def test_default_month_english_and_bad_month(hood: Hood) -> None:
    page = visible_text((await hood.get("/calendar?lang=en")).text)
    assert "May 2030" in page and "Mon" in page and "Sun" in page
    bad = await hood.get("/calendar?month=2030-13")
    assert bad.status_code == 400 and "2026-12" in bad.text
