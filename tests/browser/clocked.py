"""A site whose "now" the test sets: a real HTTP server on 127.0.0.1 serving an initialised,
filled instance through ``create_app(settings, clock=...)``, the clock injection the in-process
tests use (``tests.fakes.clock.Clock``), so the browser can see the home page on a Wednesday,
a Saturday and a Sunday of the same fixed week. Production code is unchanged: ``yinhu serve`` builds
the same app without a clock (wall time); here uvicorn serves it from a thread of the test
process, since a clock cannot be handed to another process.

The week is Monday 2030-05-06 to Sunday 2030-05-12 in Asia/Shanghai (``WEDNESDAY``,
``SATURDAY`` and ``SUNDAY`` at 10:00). The data is published on the Monday morning, through the same
``publish`` the CLI and the dashboard run; an organiser account ``lin`` owns the compound.
On PostgreSQL when ``YINHU_TEST_POSTGRES`` is set (a fresh database, dropped afterwards).
"""

from __future__ import annotations

import asyncio
import os
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

from tests.conftest import POSTGRES_ENV, Databases
from tests.e2e.conftest import STARTUP_TIMEOUT, Yinhu, free_port
from tests.fakes.clock import Clock
from tests.resident.conftest import event, venue

PASSWORD = "correct horse battery"
PUBLISHED = datetime(2030, 5, 5, 23, 0, tzinfo=UTC)  # Monday 07:00 in Shanghai
WEDNESDAY = datetime(2030, 5, 8, 2, 0, tzinfo=UTC)  # 10:00 in Shanghai
SATURDAY = datetime(2030, 5, 11, 2, 0, tzinfo=UTC)
SUNDAY = datetime(2030, 5, 12, 2, 0, tzinfo=UTC)  # 10:00 in Shanghai

HALL = {"name": "银湖社区中心多功能厅", "address": "银湖路 8 号 1 楼", "latitude": 22.6101, "longitude": 114.0203}
COURT = {"name": "银湖球场", "address": "银湖路 20 号", "latitude": 22.63, "longitude": 114.02}

EVENTS = {
    # Monday, at the hall: over by Wednesday, so the hall's page leaves it out.
    "monday": event("周一茶话会", "2030-05-06T09:00", "2030-05-06T10:00", category="COMMUNITY", place=HALL),
    "wednesday": event("读书会：三体", "2030-05-08T19:00", "2030-05-08T21:00", category="BOOK_CLUBS"),
    "thursday": event("编程夜 Python 入门", "2030-05-09T19:00", "2030-05-09T21:00", category="SCIENCE_TECH"),
    "saturday": event("篮球友谊赛", "2030-05-11T15:00", "2030-05-11T17:00", category="SPORTS", tags=["篮球"],
                      place=COURT),
    # Saturday morning to Sunday evening: on Sunday it is still on, so it is today's.
    "market": event("周末跳蚤市场", "2030-05-11T09:00", "2030-05-12T18:00", category="COMMUNITY"),
    # Sunday morning, running at 10:00 on Sunday; and Sunday evening, at the hall.
    "sunday_am": event("亲子手工课", "2030-05-12T09:30", "2030-05-12T11:30", category="FAMILY_EDUCATION"),
    "sunday_pm": event("周日露天电影", "2030-05-12T19:00", "2030-05-12T21:00", category="FILM_MEDIA", place=HALL),
    "tuesday": event("晨间瑜伽", "2030-05-14T07:00", "2030-05-14T08:00", category="MEDITATION_WELLBEING",
                     tags=["瑜伽"]),
}
VENUES = {
    "hall": venue(HALL["name"], address=HALL["address"], latitude=HALL["latitude"], longitude=HALL["longitude"],
                  capacity=80, amenities=["projector", "wifi"]),
    "garden": venue("屋顶花园", address="银湖路 8 号 天台", latitude=22.6105, longitude=114.0210, capacity=50),
}


@dataclass
class ClockedSite:
    url: str
    host: str
    clock: Clock
    ids: dict[str, int]  # "event.KEY" / "venue.KEY" -> objects.id (the resident page /items/ID)

    def at(self, when: datetime) -> None:
        """Set the server's "now" (the next request sees it)."""
        self.clock.now = when


async def _fill(data_dir: Path, clock: Clock) -> dict[str, int]:
    from sqlalchemy import select

    from actors.publishing.publishing import publish
    from actors.social.accounts import create_account
    from actors.social.local import create_community
    from actors.storage.instance import Instance
    from actors.storage.models import Role, objects
    from actors.storage.settings import load_settings

    inst = await Instance.open(load_settings(data_dir), clock=clock)
    try:
        await create_community(inst, "compound", name="银湖花园小区", kind="compound")
        await create_account(inst, "lin", PASSWORD, community="compound", role=Role.OWNER)
        uris = {}
        for prefix, bodies in (("venue", VENUES), ("event", EVENTS)):
            for key, body in bodies.items():
                uris[(await publish(inst, "compound", body)).uri] = f"{prefix}.{key}"
        async with inst.engine.connect() as conn:
            rows = await conn.execute(select(objects.c.id, objects.c.uri).where(objects.c.uri.in_(list(uris))))
            return {uris[r.uri]: int(r.id) for r in rows}
    finally:
        await inst.close()


def in_thread(fn: Any, *args: Any) -> Any:
    """Run a coroutine function to completion on a thread of its own (Playwright's sync API
    keeps an event loop running on the test's thread)."""
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, fn(*args)).result()


@contextmanager
def _database(root: Path) -> Iterator[list[str]]:
    """``yinhu init``'s ``--db`` arguments: a fresh PostgreSQL database when the tests run on
    PostgreSQL, else none (SQLite in the data directory)."""
    if not os.environ.get(POSTGRES_ENV):
        yield []
        return
    dbs = Databases("postgres", root)
    url = in_thread(dbs.new)
    try:
        yield ["--db", url]
    finally:
        in_thread(dbs.drop_all)


@contextmanager
def serve_clocked(root: Path) -> Iterator[ClockedSite]:
    import uvicorn

    from actors.storage.settings import load_settings
    from web.app import create_app

    logs = root / "logs"
    logs.mkdir()
    with _database(root) as db:
        inst = Yinhu("clocked", root / "clocked", free_port(), logs)
        inst.cli("init", "--url", inst.url, "--dev", *db)
        clock = Clock(PUBLISHED)
        ids = in_thread(_fill, inst.data, clock)
        app = create_app(load_settings(inst.data), clock=clock)
        server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=inst.port, log_level="warning"))
        thread = threading.Thread(target=server.run, name="clocked-site", daemon=True)
        thread.start()
        try:
            deadline = time.monotonic() + STARTUP_TIMEOUT
            while not (server.started and httpx.get(f"{inst.url}/healthz", timeout=1.0).status_code == 200):
                assert thread.is_alive() and time.monotonic() < deadline, "the clocked site did not start"
                time.sleep(0.05)
            yield ClockedSite(inst.url, inst.host, clock, ids)
        finally:
            server.should_exit = True
            thread.join(timeout=15)
