"""``yinhu demo`` end to end: three real servers come up with the sample network, the aggregator
shows both community instances' content, and Ctrl-C (SIGINT) stops everything.

The demo runs as ``sys.executable -m web.cli demo --data TMP --base-port BLOCK`` with its output
collected by a thread; it may move to the next free block if BLOCK is taken meanwhile, so the
ports are read from its summary.
"""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.e2e.conftest import REPO, clean_env, run_cli

pytestmark = pytest.mark.e2e

UP_TIMEOUT = min(120.0, 3 * float(os.environ.get("YINHU_E2E_TIMEOUT", "20")) + 60)
STOP_TIMEOUT = 20.0
COMMUNITIES = {"reading-club": "east", "maker-space": "east", "market": "east",
               "garden-compound": "west", "tech-park": "west", "basketball": "west"}


def _port_free(port: int) -> bool:
    """Nothing listens on 127.0.0.1:port and a server could bind it again (as uvicorn does)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.settimeout(1)
        if s.connect_ex(("127.0.0.1", port)) == 0:
            return False
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def _free_block() -> int:
    for _ in range(200):
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
            s.bind(("127.0.0.1", 0))
            base = int(s.getsockname()[1])
        if base + 2 < 65535 and all(_port_free(p) for p in range(base, base + 3)):
            return base
    raise AssertionError("no block of three free ports")


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie is dead for our purposes (its parent, the demo, has exited).
    try:
        return Path(f"/proc/{pid}/stat").read_text().split(")")[-1].split()[0] != "Z"
    except OSError:
        return True


def _ignore_sigint() -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # as `yinhu demo &` from a script inherits it


class Demo:
    def __init__(self, data: Path, base: int, *, sigint_ignored: bool = False) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "web.cli", "demo", "--data", str(data), "--base-port", str(base)],
            cwd=REPO, env=clean_env(), stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
            preexec_fn=_ignore_sigint if sigint_ignored else None,  # noqa: PLW1509 - no threads touch it here
        )
        self.lines: list[str] = []
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for raw in iter(self.proc.stdout.readline, b""):
            self.lines.append(raw.decode("utf-8", "replace").rstrip())

    @property
    def output(self) -> str:
        return "\n".join(self.lines)

    def wait_for(self, text: str, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while not any(text in line for line in self.lines):
            if self.proc.poll() is not None:
                self.reader.join(timeout=2)
                raise AssertionError(f"yinhu demo exited {self.proc.returncode} before {text!r}:\n{self.output}")
            if time.monotonic() > deadline:
                raise AssertionError(f"no {text!r} from yinhu demo within {timeout:.0f} s:\n{self.output}")
            time.sleep(0.2)

    def server_pids(self) -> list[int]:
        line = next(line for line in self.lines if line.strip().startswith("Servers:"))
        return [int(p) for p in re.findall(r"pid (\d+)", line)]

    def urls(self) -> dict[str, str]:
        text = self.output
        feed = re.search(r"打开 / open (http://127\.0\.0\.1:\d+)/", text)
        east = re.search(r"(http://127\.0\.0\.1:\d+)/ +银湖东岸", text)
        west = re.search(r"(http://127\.0\.0\.1:\d+)/ +银湖西岸", text)
        assert feed and east and west, text
        return {"feed": feed[1], "east": east[1], "west": west[1]}


@pytest.fixture
def demo(tmp_path: Path) -> Iterator[Demo]:
    d = Demo(tmp_path / "demo", _free_block())
    try:
        yield d
    finally:
        if d.proc.poll() is None:
            d.proc.send_signal(signal.SIGINT)
            try:
                d.proc.wait(timeout=STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                d.proc.kill()
                d.proc.wait()
        try:
            pids = d.server_pids()
        except StopIteration:
            pids = []
        for pid in pids:  # only the servers this demo started, by their pid
            if _alive(pid):
                os.kill(pid, signal.SIGKILL)
        d.reader.join(timeout=5)
        if d.proc.stdout is not None:
            d.proc.stdout.close()
        print(f"===== yinhu demo output (exit {d.proc.returncode}) =====\n{d.output}")


def _feed(url: str, **params: Any) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    nxt: str | None = f"{url}/api/feed"
    query: dict[str, Any] | None = {"limit": 100, **params}
    while nxt:
        r = httpx.get(nxt, params=query, timeout=5)
        assert r.status_code == 200, r.text
        body = r.json()
        items += body["items"]
        nxt, query = body["next"], None
    return items


def _handles(items: list[dict[str, Any]]) -> set[str]:
    return {i["community"]["handle"] for i in items}


def test_demo_started_with_sigint_ignored_still_stops_on_sigint(tmp_path: Path) -> None:
    d = Demo(tmp_path / "demo", _free_block(), sigint_ignored=True)
    try:
        d.wait_for("Setting up three Yinhu instances", UP_TIMEOUT)
        d.proc.send_signal(signal.SIGINT)
        code = d.proc.wait(timeout=STOP_TIMEOUT)
    finally:
        if d.proc.poll() is None:
            d.proc.kill()
            d.proc.wait()
        d.reader.join(timeout=5)
        if d.proc.stdout is not None:
            d.proc.stdout.close()
        print(d.output)
    assert code == 130 and "Ctrl-C before the demo was up; stopping" in d.output, d.output


def test_demo_help() -> None:
    out = run_cli("demo", "--help")
    assert "--base-port" in out.stdout and "--keep" in out.stdout


def test_demo_runs_the_network_and_stops_cleanly(demo: Demo) -> None:
    demo.wait_for("Ctrl-C stops everything", UP_TIMEOUT)
    urls = demo.urls()
    pids = demo.server_pids()
    assert len(pids) == 3 and all(_alive(p) for p in pids), demo.output
    summary = demo.output.split("=" * 78)[1]
    first_url = next(line for line in summary.splitlines() if "http://" in line)
    assert first_url.strip() == f"打开 / open {urls['feed']}/", "the summary opens with the aggregator's home"
    assert "account demo, password " in demo.output

    for url in urls.values():
        assert httpx.get(f"{url}/healthz", timeout=5).status_code == 200

    hosts = {name: url.removeprefix("http://") for name, url in urls.items()}
    expected = {f"@{slug}@{hosts[where]}" for slug, where in COMMUNITIES.items()}

    # Each community instance lists its own three communities' content.
    for where in ("east", "west"):
        own = _handles(_feed(urls[where]))
        assert own == {h for h in expected if h.endswith("@" + hosts[where])}, own

    # The aggregator's events come from both community instances (the handles differ in host).
    events = _feed(urls["feed"], kind="event")
    assert len(events) >= 12
    assert {h.rsplit("@", 1)[1] for h in _handles(events)} == {hosts["east"], hosts["west"]}
    assert all(e["start"] for e in events)

    # After backfill (and the two live pushes) it has items from all six communities,
    # events, listings and venues alike.
    everything = _feed(urls["feed"])
    assert _handles(everything) == expected, (
        f"the aggregator's /api/feed lacks {sorted(expected - _handles(everything))}: backfill did not bring "
        "every community's outbox")
    kinds = {i["type"] for i in everything}
    assert {"event", "listing", "venue"} <= kinds, kinds
    assert sum(i["type"] == "listing" for i in everything) >= 12
    assert sum(i["type"] == "venue" for i in everything) >= 6
    live = [i for i in everything if i["name"] in ("临时加场：焊接入门体验", "刚刚发布：九成新电饭煲")]
    assert len(live) == 2, "the two items published live were pushed to the aggregator"

    # The printed dashboard login works on both community instances.
    password = re.search(r"account demo, password (\S+)", demo.output)
    assert password, demo.output
    for where, slug in (("east", "reading-club"), ("west", "garden-compound")):
        with httpx.Client(base_url=urls[where], timeout=5) as client:
            csrf = re.search(r'name="csrf" value="([^"]+)"', client.get("/login").text)
            assert csrf, "the login form has a csrf field"
            r = client.post("/login", data={"name": "demo", "password": password[1], "csrf": csrf[1]})
            assert r.status_code == 303, r.text
            assert slug in client.get("/dashboard").text

    demo.proc.send_signal(signal.SIGINT)
    try:
        rc = demo.proc.wait(timeout=STOP_TIMEOUT)
    except subprocess.TimeoutExpired:
        raise AssertionError(f"yinhu demo did not exit within {STOP_TIMEOUT:.0f} s of SIGINT:\n{demo.output}")
    demo.reader.join(timeout=5)
    assert rc == 0, demo.output
    assert "nothing left running" in demo.output
    for pid in pids:
        assert not _alive(pid), f"server pid {pid} is still running"
    for url in urls.values():
        port = int(url.rsplit(":", 1)[1])
        assert _port_free(port), f"port {port} is still taken after the demo stopped"
