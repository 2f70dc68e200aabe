"""Browser tests: headless Chromium (Debian's ``/usr/bin/chromium``) driven by Playwright's sync
API against a real ``yinhu serve`` process on a free 127.0.0.1 port.

The instance is initialised with the CLI (``yinhu init``), filled through the Python API
(``create_community`` + ``publish``, the same code ``yinhu publish`` runs) *before* the server
starts, then served. Dates are computed from the wall clock in Asia/Shanghai, because the
server runs on real time: an event today, one this weekend, two next week, listings at
several prices and six venues of different capacities, amenities and opening hours.

Playwright comes from PyPI (``[test]`` extra); its browsers are never downloaded
(``playwright install`` is not run) — the tests launch the system Chromium. Without Chromium
or Playwright the tests skip with the reason, except under ``CI=true``, where they fail:
``.ci/run`` installs Chromium, so a missing browser there is a broken CI, not a reason to skip.

On a failing test the page's screenshot and HTML land in ``ci-artifacts/browser/`` (which
``.ci/run`` keeps); a few screenshots are saved there on every run too (see the tests).
"""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any

import pytest

from actors.feed.feed import DISTRICT_TZ
from tests.browser.clocked import ClockedSite, in_thread, serve_clocked
from tests.e2e.conftest import REPO, Yinhu, free_port
from tests.resident.conftest import event, listing, venue
from web.resident import week_windows

CHROMIUM = os.environ.get("YINHU_TEST_CHROMIUM", "/usr/bin/chromium")
LAUNCH_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    # Without these Chromium dials out at start-up and this machine's closed network refuses it.
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]
ARTIFACTS = REPO / "ci-artifacts" / "browser"
IN_CI = os.environ.get("CI") == "true"
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}


def artifact(name: str) -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS / name


def _unavailable(reason: str) -> None:
    if IN_CI:
        pytest.fail(f"{reason} — CI=true requires the browser tests to run (.ci/run installs Chromium)",
                    pytrace=False)
    pytest.skip(reason)


# --- the data set ---------------------------------------------------------------------------


def _at(day: date, hh_mm: str) -> str:
    return f"{day.isoformat()}T{hh_mm}"


@dataclass
class DataSet:
    now: datetime  # when the data was made, Asia/Shanghai
    today: date
    windows: dict[str, tuple[date, date]]
    saturday: date  # a Saturday after today, for the venue finder
    events: dict[str, dict[str, Any]] = field(default_factory=dict)
    listings: dict[str, dict[str, Any]] = field(default_factory=dict)
    venues: dict[str, dict[str, Any]] = field(default_factory=dict)

    def expected_section(self, key: str) -> str | None:
        """The home section an event should appear in: the first window it overlaps (home
        shows each event once) while it has not ended; None when it is in none."""
        body = self.events[key]
        start = datetime.fromisoformat(body["start"]).replace(tzinfo=DISTRICT_TZ)
        end = datetime.fromisoformat(body["end"]).replace(tzinfo=DISTRICT_TZ)
        if end < self.now:
            return None
        for name, (first, last) in self.windows.items():
            lo = datetime.combine(first, time(0), DISTRICT_TZ)
            hi = datetime.combine(last + timedelta(days=1), time(0), DISTRICT_TZ)
            if start < hi and end >= lo:
                return name
        return None


def make_data(now: datetime) -> DataSet:
    today = now.date()
    windows = week_windows(today)
    weekend_last = windows["weekend"][1] if "weekend" in windows else today  # on a Sunday, today is the weekend
    mon = windows["next_week"][0]
    saturday = today + timedelta(days=(5 - today.weekday()) % 7 or 7)
    ds = DataSet(now=now, today=today, windows=windows, saturday=saturday)
    ds.events = {
        # Runs from the small hours of today into tomorrow, so it is "today" at any hour.
        "today": event("社区开放日", _at(today, "00:00"), _at(today + timedelta(days=1), "06:00"),
                        category="COMMUNITY", tags=["开放日"]),
        # The last day of this weekend, late, so it is still ahead on a Saturday too.
        "weekend": event("篮球友谊赛", _at(weekend_last, "20:00"), _at(weekend_last, "23:30"), category="SPORTS",
                          tags=["篮球"], place={"name": "银湖球场", "address": "银湖路 20 号",
                                                "latitude": 22.63, "longitude": 114.02}),
        "reading": event("读书会：三体", _at(mon, "19:00"), _at(mon, "21:00"), category="BOOK_CLUBS",
                          tags=["读书"], content="这次一起读《三体》第一部，读书会欢迎新朋友。",
                          place={"name": "银湖图书角", "address": "银湖路 8 号 2 楼",
                                 "latitude": 22.6123, "longitude": 114.0245}),
        "yoga": event("晨间瑜伽", _at(mon + timedelta(days=1), "07:00"), _at(mon + timedelta(days=1), "08:00"),
                       category="MEDITATION_WELLBEING", tags=["瑜伽"]),
        # Same category as the reading club, outside next week: the date filter leaves it out.
        "later_books": event("旧书交换日", _at(mon + timedelta(days=14), "14:00"),
                              _at(mon + timedelta(days=14), "16:00"), category="BOOK_CLUBS", tags=["读书"]),
    }
    ds.listings = {
        "bike": listing("儿童自行车", price={"amount": "120", "currency": "CNY"}, condition="good"),
        "shelf": listing("二手书架", price={"amount": "60", "currency": "CNY"}, condition="good"),
        "piano": listing("立式钢琴", price={"amount": "3000", "currency": "CNY"}),
        "books": listing("免费赠送旧书", price="free", tags=["读书"]),
    }
    ds.venues = {
        # 25 people, projector, Saturday 14:00–17:00: only room40 and hall200 pass; room40 fits best.
        "room40": venue("多功能活动室", capacity=40, amenities=["projector", "wifi", "tables_chairs"],
                         opening_hours=[{"days": ["Mo", "Tu", "We", "Th", "Fr"], "opens": "09:00", "closes": "21:00"},
                                        {"days": ["Sa"], "opens": "10:00", "closes": "18:00"}]),
        "hall200": venue("大礼堂", capacity=200, amenities=["projector", "wifi", "sound_system", "microphone"],
                          opening_hours="Mo-Su 08:00-22:00", price={"amount": "100", "currency": "CNY"}),
        "room10": venue("小会议室", capacity=10, amenities=["projector", "wifi", "whiteboard"],
                         opening_hours="Mo-Su 08:00-22:00"),
        "weekday30": venue("街道办会议室", capacity=30, amenities=["projector", "wifi"],
                            opening_hours="Mo-Fr 09:00-18:00; Sa-Su off"),
        "garden50": venue("屋顶花园", capacity=50, amenities=["outdoor", "kitchen", "drinking_water"], bookable=False),
        "maker20": venue("创客空间", capacity=20, amenities=["projector", "whiteboard", "power_outlets", "wifi"],
                          opening_hours="We-Su 13:00-22:00", price={"amount": "30", "currency": "CNY"}),
    }
    return ds


COMMUNITIES = {"reading": ("银湖读书会", "club"), "compound": ("银湖花园小区", "compound"),
               "market": ("二手市场", "interest")}


async def _fill(data_dir: Path, ds: DataSet) -> None:
    from actors.publishing.publishing import publish
    from actors.social.local import create_community
    from actors.storage.instance import Instance
    from actors.storage.settings import load_settings

    inst = await Instance.open(load_settings(data_dir))
    try:
        for slug, (name, kind) in COMMUNITIES.items():
            await create_community(inst, slug, name=name, kind=kind)
        for body in ds.events.values():
            await publish(inst, "reading" if body["category"] == "BOOK_CLUBS" else "compound", body)
        for body in ds.listings.values():
            await publish(inst, "market", body)
        for body in ds.venues.values():
            await publish(inst, "compound", body)
    finally:
        await inst.close()


@dataclass
class Site:
    url: str
    host: str
    data: DataSet


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    """One initialised, filled and running instance for the module; stopped in teardown."""
    root = tmp_path_factory.mktemp("browser")
    logs = root / "logs"
    logs.mkdir()
    inst = Yinhu("browser", root / "browser", free_port(), logs)
    inst.init()
    ds = make_data(datetime.now(DISTRICT_TZ))
    in_thread(_fill, inst.data, ds)
    try:
        inst.start()
        yield Site(inst.url, inst.host, ds)
    finally:
        inst.stop()
        for server in inst.servers:
            print(f"===== yinhu serve (exit {server.proc.returncode}) — {server.log} =====")
            print(server.log.read_text("utf-8", "replace")[-20000:])


# --- the browser ----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _unavailable("playwright is not installed (pip install -e '.[test]')")
    if not (os.path.isfile(CHROMIUM) and os.access(CHROMIUM, os.X_OK)) and not shutil.which(CHROMIUM):
        _unavailable(f"Chromium not found at {CHROMIUM} (apt-get install chromium)")
    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=LAUNCH_ARGS)
        try:
            yield b
        finally:
            b.close()


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    report = yield
    setattr(item, f"rep_{report.when}", report)
    return report


def _safe(nodeid: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", nodeid.split("::", 1)[-1])[:120]


@contextmanager
def open_context(browser: Any, base_url: str, request: pytest.FixtureRequest, **options: Any) -> Iterator[Any]:
    """A fresh browser context (own cookies), zh-CN like a resident's phone or PC (``options``
    go to Playwright's ``new_context``). Every page it opened is saved (PNG + HTML) to
    ci-artifacts/browser/ when the test fails."""
    ctx = browser.new_context(base_url=base_url, locale="zh-CN", viewport=DESKTOP,
                              extra_http_headers={"Accept-Language": "zh-CN,zh;q=0.9"}, **options)
    ctx.set_default_timeout(15_000)
    try:
        yield ctx
    finally:
        rep = getattr(request.node, "rep_call", None)
        if rep is not None and rep.failed:
            from playwright.sync_api import Error as PlaywrightError

            for n, pg in enumerate(ctx.pages):
                stem = f"FAILED-{_safe(request.node.nodeid)}-{n}"
                try:
                    pg.screenshot(path=str(artifact(stem + ".png")), full_page=True)
                    artifact(stem + ".html").write_text(f"<!-- {pg.url} -->\n" + pg.content(), "utf-8")
                except (PlaywrightError, OSError) as exc:  # a crashed page must not hide the test's failure
                    artifact(stem + ".txt").write_text(f"{pg.url}\ncould not capture: {exc!r}\n", "utf-8")
        ctx.close()


@pytest.fixture
def context(site: Site, browser: Any, request: pytest.FixtureRequest) -> Iterator[Any]:
    """A fresh context per test on the module's ``site``."""
    with open_context(browser, site.url, request) as ctx:
        yield ctx


@pytest.fixture
def page(context: Any) -> Any:
    return context.new_page()


# --- the site with a set clock --------------------------------------------------------------


@pytest.fixture(scope="session")
def clocked_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ClockedSite]:
    """One instance for every test that sets the time (tests/browser/clocked.py)."""
    with serve_clocked(tmp_path_factory.mktemp("clocked")) as s:
        yield s


@pytest.fixture
def clocked_page(clocked_site: ClockedSite, browser: Any, request: pytest.FixtureRequest) -> Iterator[Any]:
    """A page in a fresh context on the clocked site."""
    with open_context(browser, clocked_site.url, request) as ctx:
        yield ctx.new_page()
