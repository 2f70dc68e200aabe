"""The demo's sample network and content: the three instances and their communities
(``data/network.json``), what they publish (``data/*.json``, dates relative to today), and
the in-process setup behind ``yinhu init`` / ``community create`` / ``publish`` / ``account create``."""

from __future__ import annotations

import copy
import json
import os
import random
import subprocess
import threading
import zlib
from collections import deque
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from datetime import time as dtime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from web.cli.content import _attach_files

DATA = Path(__file__).with_name("data")
TZ = ZoneInfo("Asia/Shanghai")
HOST = "127.0.0.1"
DEFAULT_BASE_PORT = 8100
STATE_FILE = "demo.json"
SUMMARY_END = "Ctrl-C stops everything"
ACCOUNT = "demo"
# Bounds (seconds); a slow machine can raise all of them with YINHU_DEMO_TIMEOUT_SCALE=2.
_SCALE = float(os.environ.get("YINHU_DEMO_TIMEOUT_SCALE", "1") or 1)
START_TIMEOUT = 60.0 * _SCALE
FOLLOW_TIMEOUT = 60.0 * _SCALE
BACKFILL_TIMEOUT = 60.0 * _SCALE
PUSH_TIMEOUT = 30.0 * _SCALE
CLI_TIMEOUT = 120.0 * _SCALE
STOP_TIMEOUT = 10.0
DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
KIND_ORDER = {"venue": 0, "event": 1, "listing": 2, "note": 3}


class DemoError(Exception):
    """A step failed; the message is one line for the user."""


def say(text: str = "") -> None:
    print(text, flush=True)


# --- sample content ---------------------------------------------------------------------------
def _load(name: str) -> dict[str, Any]:
    return json.loads((DATA / name).read_text(encoding="utf-8"))  # type: ignore[no-any-return]


def resolve_day(spec: str, today: date) -> date:
    """``today``, ``tomorrow``, ``+N``, ``sat``/``sun`` (this weekend, as the home page means it)
    or ``next-mon`` … ``next-sun`` (the week after this weekend)."""
    sat = today - timedelta(days=1) if today.weekday() == 6 else today + timedelta(days=5 - today.weekday())
    sun = sat + timedelta(days=1)
    if spec == "today":
        return today
    if spec == "tomorrow":
        return today + timedelta(days=1)
    if spec.startswith("+") and spec[1:].isdigit():
        return today + timedelta(days=int(spec[1:]))
    if spec in ("sat", "sun"):
        return max(sat if spec == "sat" else sun, today)
    if spec.startswith("next-") and spec[5:] in DAYS:
        return sun + timedelta(days=1 + DAYS.index(spec[5:]))
    raise ValueError(f"unknown day {spec!r} in the demo data")


def event_times(when: dict[str, str], now: datetime) -> tuple[str, str]:
    """Local start and end (``YYYY-MM-DDTHH:MM``, Asia/Shanghai) for a relative ``when``.

    An event that would already be over on its day is moved so the demo never shows a past
    one: a Saturday event on a Saturday evening moves to Sunday; anything else due today starts
    at the next half hour (or the last one, late at night) and ends by midnight.
    """
    local = now.astimezone(TZ)
    today = local.date()
    day = resolve_day(when["day"], today)
    start = datetime.combine(day, dtime.fromisoformat(when["start"]), TZ)
    end = datetime.combine(day, dtime.fromisoformat(when["end"]), TZ)
    soon = local + timedelta(minutes=30)
    if day == today and end <= soon and when["day"] == "sat":
        start, end = start + timedelta(days=1), end + timedelta(days=1)
    elif day == today and end <= soon:
        duration = end - start
        start = (local + timedelta(minutes=30)).replace(minute=0 if local.minute < 30 else 30, second=0, microsecond=0)
        if start.date() != today:
            start = local.replace(minute=0 if local.minute < 30 else 30, second=0, microsecond=0)
        end = max(min(start + duration, datetime.combine(today, dtime(23, 59), TZ)), soon)
    return start.strftime("%Y-%m-%dT%H:%M"), end.strftime("%Y-%m-%dT%H:%M")


def make_banner(path: Path, colors: list[str], seed: int) -> None:
    """A small JPEG banner: a two-colour gradient with soft circles, no text."""
    from PIL import Image, ImageDraw

    width, height = 960, 360
    a, b = (tuple(int(c.lstrip("#")[i:i + 2], 16) for i in (0, 2, 4)) for c in colors[:2])
    img = Image.new("RGB", (width, height))
    draw = ImageDraw.Draw(img)
    for x in range(width):
        t = x / (width - 1)
        draw.line([(x, 0), (x, height)], fill=tuple(round(a[i] + (b[i] - a[i]) * t) for i in range(3)))
    rnd = random.Random(seed)
    overlay = Image.new("RGBA", (width, height), (0, 0, 0, 0))
    odraw = ImageDraw.Draw(overlay)
    for _ in range(8):
        r = rnd.randint(18, 120)
        x, y = rnd.randint(0, width), rnd.randint(0, height)
        odraw.ellipse([x - r, y - r, x + r, y + r], fill=(255, 255, 255, rnd.randint(20, 70)))
    img = Image.alpha_composite(img.convert("RGBA"), overlay).convert("RGB")
    path.parent.mkdir(parents=True, exist_ok=True)
    img.save(path, "JPEG", quality=85)


@dataclass
class Item:
    community: str
    kind: str
    body: dict[str, Any]
    file: str | None = None  # for live items: the JSON file name written for `yinhu publish`

    @property
    def title(self) -> str:
        return str(self.body.get("title") or self.body.get("name") or self.body.get("content", ""))[:40]


def _build(raw: dict[str, Any], places: dict[str, Any], now: datetime, images: Path, *, relative: bool) -> Item:
    body = copy.deepcopy(raw["body"])
    for key in ("place", "area"):
        value = body.get(key)
        if isinstance(value, str) and value.startswith("@"):
            body[key] = dict(places[value[1:]])
    if "when" in raw:
        body["start"], body["end"] = event_times(raw["when"], now)
        body.setdefault("timezone", "Asia/Shanghai")
    if "banner" in raw:
        title = str(body.get("title") or body.get("name") or body.get("content"))
        seed = zlib.crc32(title.encode())
        path = images / f"{raw['community']}-{seed:08x}.jpg"
        make_banner(path, raw["banner"]["colors"], seed)
        ref = {"file": path.name if relative else str(path), "alt": raw["banner"]["alt"]}
        if body["type"] == "event":
            body["image"] = ref
        else:
            body["images"] = [ref]
    return Item(raw["community"], body["type"], body, raw.get("file"))


def content_plan(now: datetime, images: Path) -> dict[str, list[Item]]:
    """The sample content by community slug, bodies ready for ``publish`` (images generated)."""
    places = {k: v for k, v in _load("places.json").items() if k != "comment"}
    plan: dict[str, list[Item]] = {}
    for name in ("venues.json", "events.json", "listings.json", "notes.json"):
        for raw in _load(name)["items"]:
            item = _build(raw, places, now, images, relative=False)
            plan.setdefault(item.community, []).append(item)
    return plan


def live_plan(now: datetime, folder: Path) -> list[Item]:
    """The two items published live, written as JSON files (images beside them) in ``folder``."""
    places = {k: v for k, v in _load("places.json").items() if k != "comment"}
    items = []
    for raw in _load("live.json")["items"]:
        item = _build(raw, places, now, folder, relative=True)
        folder.mkdir(parents=True, exist_ok=True)
        (folder / str(item.file)).write_text(json.dumps(item.body, ensure_ascii=False, indent=2), encoding="utf-8")
        items.append(item)
    return items


# --- instances and servers --------------------------------------------------------------------
class OnLocalPort:
    """A server listening on 127.0.0.1:``port``: its base URL and its host (as in a Host header).
    The demo's nodes and the test suite's real-socket servers both are one."""

    port: int

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.port}"

    @property
    def host(self) -> str:
        return f"{HOST}:{self.port}"


@dataclass
class Node(OnLocalPort):
    key: str  # east | west | feed
    name: str
    description: str
    communities: list[dict[str, str]]
    port: int
    data: Path
    proc: subprocess.Popen[bytes] | None = None
    reader: threading.Thread | None = None
    tail: deque[str] = field(default_factory=lambda: deque(maxlen=30))

    def handles(self) -> list[str]:
        return [f"@{c['slug']}@{self.host}" for c in self.communities]


def _nodes(root: Path, base: int) -> list[Node]:
    specs = _load("network.json")["instances"]
    return [
        Node(s["key"], s["name"], s["description"], s["communities"], base + i, root / s["key"])
        for i, s in enumerate(specs)
    ]



# --- setup in process (the library calls behind yinhu init / community create / publish) -----
async def _setup_instance(node: Node, items: list[Item], password: str) -> dict[str, int]:
    from actors.publishing.publishing import publish
    from actors.social.accounts import add_membership, create_account
    from actors.social.local import create_community, initialise
    from actors.storage.instance import Instance
    from actors.storage.models import Role
    from actors.storage.settings import Settings, write_settings

    settings = Settings(url=node.url, data_dir=node.data, dev=True, instance_name=node.name,
                        description=node.description)
    node.data.mkdir(parents=True, exist_ok=True)
    counts: dict[str, int] = {}
    inst = await Instance.open(settings, check_schema=False)
    try:
        await initialise(inst)
        (node.data / "media").mkdir(exist_ok=True)
        write_settings(settings)
        await inst.load_instance_actor()
        for c in node.communities:
            await create_community(inst, c["slug"], name=c["name"], summary=c["summary"], kind=c["kind"])
        for item in sorted(items, key=lambda i: KIND_ORDER[i.kind]):
            try:
                await _attach_files(inst, item.community, item.body, DATA)
                await publish(inst, item.community, item.body)
            except Exception as exc:
                raise DemoError(f"publishing {item.kind} {item.title!r} in {item.community}: {exc}") from exc
            counts[item.kind] = counts.get(item.kind, 0) + 1
        if node.communities:
            first, *rest = [c["slug"] for c in node.communities]
            await create_account(inst, ACCOUNT, password, community=first, role=Role.OWNER, is_admin=True)
            for slug in rest:
                await add_membership(inst, ACCOUNT, slug, Role.OWNER)
    finally:
        await inst.close()
    return counts


def setup(nodes: list[Node], root: Path, password: str, now: datetime) -> None:
    import asyncio

    plan = content_plan(now, root / "images")
    for node in nodes:
        items = [i for c in node.communities for i in plan.get(c["slug"], [])]
        counts = asyncio.run(_setup_instance(node, items, password))
        what = ", ".join(f"{n} {k}{'s' if n != 1 else ''}" for k, n in sorted(counts.items(), key=lambda kv: KIND_ORDER[kv[0]]))
        names = "、".join(c["name"] for c in node.communities) or "feed actor @yinhu"
        say(f"  {node.key:<4} {node.url}  {node.name}: {names}" + (f"; published {what}" if what else ""))

