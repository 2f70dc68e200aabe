"""``yinhu demo``: the whole Yinhu network on 127.0.0.1 in one command.

Three instances run as real ``yinhu serve`` processes (``sys.executable -m web.cli``), each
with its own data directory under DIR:

* **east** (base port): 银湖读书会, 银湖创客空间, 二手市集
* **west** (base + 1): 银湖花园小区, 银湖科技园 (both offer venues), 篮球之友
* **feed** (base + 2): the aggregator; its feed actor ``@yinhu`` follows all six communities

Sequence: initialise the instances, create the communities, publish the sample content of
``web/demo_data/`` (dates relative to today in Asia/Shanghai, small generated JPEG banners),
start the servers, follow from the aggregator with ``yinhu follow`` (so it shows backfilled
items), wait for the Accepts and the backfill, publish two items live with ``yinhu publish``
(to show a push arriving), print a summary and stream the servers' logs until Ctrl-C or
SIGTERM. On exit the servers are stopped (terminate, 10 s, kill) and nothing stays running.

Setup runs in this process through the same library calls as ``yinhu init``, ``community
create``, ``publish`` and ``account create`` (about forty publishes would otherwise start as
many interpreters); following and the live publishes go through the real CLI.
"""

from __future__ import annotations

import argparse
import copy
import json
import os
import queue
import random
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import zlib
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from datetime import time as dtime
from pathlib import Path
from typing import IO, Any
from zoneinfo import ZoneInfo

__all__ = ["configure", "content_plan", "event_times", "resolve_day", "run"]

DATA = Path(__file__).with_name("demo_data")
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
@dataclass
class Node:
    key: str  # east | west | feed
    name: str
    description: str
    communities: list[dict[str, str]]
    port: int
    data: Path
    proc: subprocess.Popen[bytes] | None = None
    reader: threading.Thread | None = None
    tail: deque[str] = field(default_factory=lambda: deque(maxlen=30))

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.port}"

    @property
    def host(self) -> str:
        return f"{HOST}:{self.port}"

    def handles(self) -> list[str]:
        return [f"@{c['slug']}@{self.host}" for c in self.communities]


def _nodes(root: Path, base: int) -> list[Node]:
    specs = _load("network.json")["instances"]
    return [
        Node(s["key"], s["name"], s["description"], s["communities"], base + i, root / s["key"])
        for i, s in enumerate(specs)
    ]


def child_env() -> dict[str, str]:
    """The children's environment: no YINHU_* (each has its own --data), unbuffered, UTF-8, and
    this source tree importable even when it is not installed."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("YINHU_")}
    env["PYTHONUNBUFFERED"] = "1"
    env.setdefault("PYTHONIOENCODING", "utf-8")
    src = str(Path(__file__).resolve().parents[1])
    env["PYTHONPATH"] = src + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    return env


def _parent_death_signal() -> Callable[[], None] | None:
    """Linux: a function for ``preexec_fn`` that makes the server get SIGTERM if the demo itself
    is killed (kill -9), so nothing lingers. Resolved here, in the parent, so the child only
    calls into libc between fork and exec (no import, no lock)."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        import ctypes

        prctl = ctypes.CDLL(None, use_errno=True).prctl
    except (OSError, AttributeError):  # no prctl: the demo's own shutdown still stops them
        return None
    pr_set_pdeathsig, sigterm = 1, int(signal.SIGTERM)
    return lambda: prctl(pr_set_pdeathsig, sigterm)  # type: ignore[no-any-return]


def port_free(port: int) -> bool:
    """Whether ``yinhu serve`` could listen on 127.0.0.1:port (uvicorn binds with SO_REUSEADDR)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind((HOST, port))
        except OSError:
            return False
    return True


def choose_ports(base: int, *, fixed: bool) -> int:
    """The first block of three free ports from ``base`` (only ``base`` itself when ``fixed``)."""
    if not 1024 <= base <= 65533:
        raise DemoError(f"--base-port must be between 1024 and 65533, not {base}")
    for start in range(base, min(base + 3 * 50, 65533), 3):
        taken = [p for p in range(start, start + 3) if not port_free(p)]
        if not taken:
            if start != base:
                say(f"port {', '.join(map(str, _taken(base)))} on {HOST} is in use; "
                    f"using the next free block {start}–{start + 2} instead")
            return start
        if fixed:
            raise DemoError(f"port {taken[0]} on {HOST} is in use (this demo directory's instances need "
                            f"{base}–{base + 2}); stop what is using it and try again")
    raise DemoError(f"no block of three free ports on {HOST} from {base} on; pass another --base-port")


def _taken(base: int) -> list[int]:
    return [p for p in range(base, base + 3) if not port_free(p)]


LOG_LINE = re.compile(r"^\d{4}-\d\d-\d\d [\d:,]+ (?P<level>[A-Z]+) (?P<logger>[\w.]+): (?P<message>.*)$")


def worth_showing(text: str) -> bool:
    """The live log shows warnings and errors, Yinhu's own messages, anything not in the log
    format (tracebacks, the serve banner) and outgoing deliveries (httpx POSTs to inboxes), but
    not the INFO chatter of every fetch or of the schema check. The log files keep everything."""
    m = LOG_LINE.match(text)
    if m is None or m["level"] not in ("INFO", "DEBUG"):
        return True
    if m["logger"] == "httpx":
        return m["message"].startswith("HTTP Request: POST")
    return m["logger"].startswith("yinhu")


def _read_output(node: Node, stream: IO[bytes], log: IO[bytes], lines: queue.Queue[tuple[str, str]]) -> None:
    for raw in iter(stream.readline, b""):
        log.write(raw)
        log.flush()
        text = raw.decode("utf-8", "replace").rstrip()
        node.tail.append(text)
        if worth_showing(text):
            lines.put((node.key, text))
    stream.close()
    log.close()


def start_servers(nodes: list[Node], logs: Path, lines: queue.Queue[tuple[str, str]]) -> None:
    """Start every ``yinhu serve`` first and only then the reader threads, so no fork happens
    beside a running thread (the children set PR_SET_PDEATHSIG before exec)."""
    logs.mkdir(parents=True, exist_ok=True)
    on_parent_death = _parent_death_signal()
    for node in nodes:
        node.proc = subprocess.Popen(
            [sys.executable, "-m", "web.cli", "serve", "--data", str(node.data), "--host", HOST,
             "--port", str(node.port), "--log-level", "warning"],
            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=child_env(),
            start_new_session=True,  # Ctrl-C reaches the demo only; the demo stops them in order
            preexec_fn=on_parent_death,  # noqa: PLW1509 - calls libc only; the readers start below
        )
    for node in nodes:
        assert node.proc is not None and node.proc.stdout is not None
        log = (logs / f"{node.key}.log").open("ab")
        node.reader = threading.Thread(target=_read_output, args=(node, node.proc.stdout, log, lines), daemon=True)
        node.reader.start()


def _exited(node: Node) -> str:
    assert node.proc is not None
    last = "\n".join(f"  [{node.key}] {line}" for line in list(node.tail)[-12:])
    return f"the {node.key} server (port {node.port}) exited with status {node.proc.returncode}" + (
        f"; its last lines:\n{last}" if last else "")


def wait_healthy(nodes: list[Node]) -> None:
    import httpx

    pending = {n.key: n for n in nodes}
    deadline = time.monotonic() + START_TIMEOUT
    with httpx.Client(timeout=2.0) as client:
        while pending:
            for key, node in list(pending.items()):
                assert node.proc is not None
                if node.proc.poll() is not None:
                    time.sleep(0.2)  # let the reader collect the last lines
                    raise DemoError(_exited(node))
                try:
                    if client.get(f"{node.url}/healthz").status_code == 200:
                        del pending[key]
                        say(f"  {node.key:<4} {node.url}/ is up (pid {node.proc.pid})")
                except httpx.HTTPError:
                    pass
            if pending and time.monotonic() > deadline:
                raise DemoError(f"{', '.join(pending)} did not answer /healthz within {START_TIMEOUT:.0f} s")
            time.sleep(0.1)


def stop_servers(nodes: list[Node]) -> list[str]:
    """terminate → wait up to 10 s → kill; returns what was stopped."""
    running = [n for n in nodes if n.proc is not None and n.proc.poll() is None]
    for node in running:
        assert node.proc is not None
        node.proc.terminate()
    deadline = time.monotonic() + STOP_TIMEOUT
    stopped = []
    for node in running:
        assert node.proc is not None
        try:
            node.proc.wait(timeout=max(0.1, deadline - time.monotonic()))
            stopped.append(f"{node.key} (pid {node.proc.pid})")
        except subprocess.TimeoutExpired:
            node.proc.kill()
            node.proc.wait(timeout=STOP_TIMEOUT)
            stopped.append(f"{node.key} (pid {node.proc.pid}, killed after {STOP_TIMEOUT:.0f} s)")
    for node in nodes:
        if node.reader is not None:
            node.reader.join(timeout=2)
    return stopped


# --- setup in process (the library calls behind yinhu init / community create / publish) -----
async def _setup_instance(node: Node, items: list[Item], password: str) -> dict[str, int]:
    from actors.publishing.publishing import publish
    from actors.social.accounts import add_membership, create_account
    from actors.social.local import create_community, initialise
    from actors.storage.instance import Instance
    from actors.storage.models import Role
    from actors.storage.settings import Settings, write_settings
    from web.cli import _attach_files

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


# --- federation steps -------------------------------------------------------------------------
def run_cli(args: list[str], prefix: str = "    ") -> list[str]:
    """Run one ``yinhu`` command, echoing its output; its lines, or DemoError if it fails."""
    proc = subprocess.Popen([sys.executable, "-m", "web.cli", *args], stdin=subprocess.DEVNULL,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=child_env())
    out: list[str] = []
    assert proc.stdout is not None
    timer = threading.Timer(CLI_TIMEOUT, proc.kill)
    timer.start()
    try:
        for raw in iter(proc.stdout.readline, b""):
            line = raw.decode("utf-8", "replace").rstrip()
            out.append(line)
            say(prefix + line)
        rc = proc.wait()
    finally:
        timer.cancel()
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        proc.stdout.close()
    if rc != 0:
        raise DemoError(f"`yinhu {args[0]}` exited with status {rc}: {out[-1] if out else 'no output'}")
    return out


def wait_follows(feed: Node, n: int, nodes: list[Node]) -> None:
    import asyncio

    from actors.social.local import FEED_ACTOR_USERNAME
    from actors.storage.instance import Instance
    from actors.storage.settings import load_settings

    async def loop() -> None:
        inst = await Instance.open(load_settings(feed.data))
        started = time.monotonic()
        last = None
        try:
            while True:
                _check_running(nodes)
                from actors.social.follows import list_following

                rows = await list_following(inst, FEED_ACTOR_USERNAME)
                states = [str(getattr(r.state, "value", r.state)) for r in rows]
                accepted = states.count("accepted")
                if accepted != last:
                    say(f"    follows accepted: {accepted}/{n}  ({time.monotonic() - started:.1f} s)")
                    last = accepted
                if accepted >= n:
                    return
                if "rejected" in states:
                    raise DemoError("a community rejected the aggregator's Follow (see `yinhu following`)")
                if time.monotonic() - started > FOLLOW_TIMEOUT:
                    raise DemoError(f"only {accepted} of {n} follows were accepted within {FOLLOW_TIMEOUT:.0f} s")
                await asyncio.sleep(0.3)
        finally:
            await inst.close()

    asyncio.run(loop())


def feed_ids(url: str, **params: str) -> dict[str, str]:
    """Every item of an instance's ``/api/feed`` (all pages): id → community handle."""
    import httpx

    found: dict[str, str] = {}
    nxt: str | None = f"{url}/api/feed"
    query: dict[str, str] | None = {"limit": "100", **params}
    with httpx.Client(timeout=5.0) as client:
        while nxt:
            r = client.get(nxt, params=query)
            r.raise_for_status()
            body = r.json()
            for item in body["items"]:
                found[item["id"]] = item["community"]["handle"]
            nxt, query = body.get("next"), None
    return found


def _check_running(nodes: list[Node]) -> None:
    for node in nodes:
        if node.proc is not None and node.proc.poll() is not None:
            time.sleep(0.2)
            raise DemoError(_exited(node))


def wait_items(feed: Node, wanted: set[str], what: str, timeout: float, nodes: list[Node]) -> bool:
    """Poll the aggregator's feed until it lists every id in ``wanted``; a progress line per change."""
    started = time.monotonic()
    last = -1
    while True:
        _check_running(nodes)
        try:
            have = len(wanted & set(feed_ids(feed.url)))
        except Exception:  # noqa: BLE001 - keep polling; the bound reports
            have = last
        if have != last:
            say(f"    {what}: {have}/{len(wanted)} on the aggregator  ({time.monotonic() - started:.1f} s)")
            last = have
        if have >= len(wanted):
            return True
        if time.monotonic() - started > timeout:
            say(f"    warning: {what} incomplete after {timeout:.0f} s ({have}/{len(wanted)}); "
                "the rest may still arrive (see the [feed] log)")
            return False
        time.sleep(0.5)


# --- the command ------------------------------------------------------------------------------
def configure(p: argparse.ArgumentParser) -> None:
    p.description = (
        "Run a small Yinhu network on 127.0.0.1: two community instances (east: 银湖读书会, 银湖创客空间, "
        "二手市集; west: 银湖花园小区, 银湖科技园, 篮球之友) with sample events, listings and venues, "
        "and an aggregator whose feed actor @yinhu follows all six. Prints the URLs and the dashboard "
        "login, then streams the servers' logs; Ctrl-C stops everything."
    )
    p.add_argument("--data", metavar="DIR", default=argparse.SUPPRESS,  # `yinhu --data DIR demo` works too
                   help="put the three instances under DIR (kept on exit; run again with the same DIR "
                        "to reuse it). Default: a fresh temporary directory, removed on exit unless --keep")
    p.add_argument("--base-port", type=int, metavar="PORT",
                   help=f"first of three ports: east, west and the aggregator (default {DEFAULT_BASE_PORT}, "
                        f"so {DEFAULT_BASE_PORT}–{DEFAULT_BASE_PORT + 2}; the next free block if taken)")
    p.add_argument("--keep", action="store_true", help="keep the temporary directory on exit (its path is printed)")
    p.set_defaults(run=run)


_STOP_REASON = ["Ctrl-C"]


def _terminate_as_interrupt(signum: int, frame: Any) -> None:
    _STOP_REASON[0] = "SIGTERM"
    raise KeyboardInterrupt


def run(args: argparse.Namespace) -> int:
    for key in [k for k in os.environ if k.startswith("YINHU_") and k != "YINHU_DEMO_TIMEOUT_SCALE"]:
        say(f"note: ignoring ${key} (each demo instance has its own data directory)")
        del os.environ[key]
    # SIGINT handled whatever we inherited: a process started with SIGINT ignored (`yinhu demo &`
    # from a script, or a test runner that ignores it) inherits SIG_IGN, Python then installs no
    # KeyboardInterrupt handler, and Ctrl-C / kill -INT would do nothing. Python's own handler
    # (which asyncio.run also recognises and turns into a clean cancellation).
    previous = signal.signal(signal.SIGTERM, _terminate_as_interrupt)
    previous_int = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        return _run(args)
    finally:
        signal.signal(signal.SIGTERM, previous)
        signal.signal(signal.SIGINT, previous_int)


def _run(args: argparse.Namespace) -> int:
    began = time.monotonic()
    temporary = getattr(args, "data", None) is None
    root = Path(tempfile.mkdtemp(prefix="yinhu-demo-")) if temporary else Path(args.data).resolve()
    state_path = root / STATE_FILE
    state: dict[str, Any] | None = None
    if not temporary and state_path.exists():
        state = json.loads(state_path.read_text(encoding="utf-8"))
        if not state.get("complete"):
            return _fail(f"{root} holds a demo whose setup did not finish; remove it or choose another --data")
    elif not temporary and root.exists() and any(root.iterdir()):
        return _fail(f"{root} exists and is not a yinhu demo directory (no {STATE_FILE}); "
                     "give a new or empty directory")

    nodes: list[Node] = []
    lines: queue.Queue[tuple[str, str]] = queue.Queue()
    up = False
    code = 0
    failure = ""
    try:
        if state is not None:
            base = int(state["base_port"])
            if args.base_port is not None and args.base_port != base:
                say(f"note: {root} was set up on ports {base}–{base + 2} (an instance's URL cannot change); "
                    f"ignoring --base-port {args.base_port}")
            choose_ports(base, fixed=True)
            password = str(state["password"])
            nodes = _nodes(root, base)
            say(f"Reusing the demo in {root}")
        else:
            base = choose_ports(args.base_port or DEFAULT_BASE_PORT, fixed=False)
            password = secrets.token_urlsafe(9)
            nodes = _nodes(root, base)
            say(f"Setting up three Yinhu instances in {root}")
            state = {"base_port": base, "password": password, "complete": False}
            root.mkdir(parents=True, exist_ok=True)
            state_path.write_text(json.dumps(state), encoding="utf-8")
            state_path.chmod(0o600)
            setup(nodes, root, password, datetime.now(TZ))

        east, west, feed = nodes
        say("Starting the servers (yinhu serve)")
        start_servers(nodes, root / "logs", lines)
        wait_healthy(nodes)

        pushed = 0
        if not state.get("complete"):
            handles = east.handles() + west.handles()
            say(f"The aggregator follows {len(handles)} communities: yinhu follow {' '.join(handles)}")
            run_cli(["follow", "--data", str(feed.data), *handles])
            wait_follows(feed, len(handles), nodes)
            say("Backfill: the aggregator fetches each community's recent outbox")
            wanted = set(feed_ids(east.url)) | set(feed_ids(west.url))
            wait_items(feed, wanted, "backfilled items", BACKFILL_TIMEOUT, nodes)

            say("Publishing two items live (yinhu publish), pushed to the aggregator")
            live: set[str] = set()
            for item in live_plan(datetime.now(TZ), root / "live"):
                node = east if item.community in {c["slug"] for c in east.communities} else west
                out = run_cli(["publish", "--data", str(node.data), item.community, str(root / "live" / str(item.file))])
                live.add(out[-1].strip())
            if wait_items(feed, live, "pushed items", PUSH_TIMEOUT, nodes):
                pushed = len(live)
            state["complete"] = True
            state_path.write_text(json.dumps(state), encoding="utf-8")
        else:
            wait_follows(feed, len(east.handles()) + len(west.handles()), nodes)

        items = feed_ids(feed.url)
        summary(nodes, password, root, temporary and not args.keep, items, pushed, time.monotonic() - began)
        up = True
        say(f"--- live logs: [east] [west] [feed] (warnings and deliveries; access log off; all of it in {root / 'logs'}) ---")
        while True:
            try:
                key, text = lines.get(timeout=0.5)
            except queue.Empty:
                _check_running(nodes)
                continue
            say(f"[{key}] {text}")
    except KeyboardInterrupt:
        say("")
        say(f"{_STOP_REASON[0]}: stopping…" if up else f"{_STOP_REASON[0]} before the demo was up; stopping…")
        code = 0 if up else 130
    except DemoError as exc:
        failure = str(exc)
    except Exception as exc:  # noqa: BLE001 - one line, then stop what started
        failure = f"{type(exc).__name__}: {exc}"
    finally:
        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, signal.SIG_IGN)  # let the shutdown finish
        try:
            stopped = stop_servers(nodes)
            if up:
                while not lines.empty():
                    key, text = lines.get_nowait()
                    say(f"[{key}] {text}")
            if stopped:
                say(f"stopped {', '.join(stopped)}; nothing left running")
            if temporary and not args.keep:
                shutil.rmtree(root, ignore_errors=True)
                say(f"removed {root}")
            elif up:
                say(f"kept {root}; `yinhu demo --data {root}` starts it again")
        finally:
            signal.signal(signal.SIGINT, signal.default_int_handler)
    return _fail(failure) if failure else code


def _fail(message: str) -> int:
    print(f"yinhu: error: demo: {message}", file=sys.stderr, flush=True)
    return 1


def summary(nodes: list[Node], password: str, root: Path, removed: bool, items: dict[str, str],
            pushed: int, took: float) -> None:
    east, west, feed = nodes
    communities = sorted(set(items.values()))
    rule = "=" * 78
    lines = [
        rule,
        f"银湖 Yinhu demo is up ({took:.0f} s): three instances on {HOST}",
        "",
        f"  打开 / open {feed.url}/",
        f"      {feed.name}: the aggregator — {len(items)} items from {len(communities)} communities"
        + (f" (backfilled, plus {pushed} pushed live)" if pushed else ""),
        f"      venue finder {feed.url}/venues/find · search {feed.url}/search?q=篮球 · JSON {feed.url}/api/feed",
    ]
    for node in (east, west):
        names = "、".join(c["name"] for c in node.communities)
        lines.append(f"  {node.url}/   {node.name}: {names}")
    lines += [
        "",
        "  Follow from Mastodon (it needs a public https URL; on 127.0.0.1 use the pages above):",
        f"      @yinhu@{feed.host}   (the aggregator: boosts every new event, listing and venue)",
    ]
    for node in (east, west):
        lines.append("      " + "  ".join(node.handles()))
    lines += [
        "",
        f"  Dashboard (publish, edit, followers): {east.url}/login and {west.url}/login",
        f"      account {ACCOUNT}, password {password}",
        "",
        f"  Data: {root}" + (" (removed on exit; --keep keeps it)" if removed else ""),
        "  Servers: " + ", ".join(f"{n.key} pid {n.proc.pid if n.proc else '-'}" for n in nodes),
        f"  {SUMMARY_END}.",
        rule,
    ]
    say("\n".join(lines))
