"""Helpers for end-to-end tests: real ``yinhu`` processes on 127.0.0.1.

Every command runs as ``sys.executable -m web.cli`` (the interpreter running pytest, so the
venv's installed ``yinhu`` package), with the repository as working directory and no
``YINHU_*`` variables inherited. Servers write their output to files under ``tmp_path``;
teardown stops every process the test started and prints its output, which pytest shows
when the test fails.
"""

from __future__ import annotations

import os
import socket
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

from web.cli.demo.seed import OnLocalPort

REPO = Path(__file__).resolve().parents[2]
CLI_TIMEOUT = 60.0
# Bounds for waiting on servers and federation; raise them on a slow or loaded machine with
# YINHU_E2E_TIMEOUT=60 (seconds; children never see YINHU_* variables).
STARTUP_TIMEOUT = POLL_TIMEOUT = float(os.environ.get("YINHU_E2E_TIMEOUT", "20"))


def clean_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("YINHU_")}
    env["PYTHONUNBUFFERED"] = "1"
    env.setdefault("PYTHONIOENCODING", "utf-8")
    return env


def run_cli(*args: str, check: bool = True, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    """Run one ``yinhu`` command to completion and return its result."""
    proc = subprocess.run(
        [sys.executable, "-m", "web.cli", *args],
        check=False,  # `check` is ours: the caller asserts with the output in the message
        cwd=REPO,
        env=clean_env(),
        input=stdin,
        stdin=None if stdin is not None else subprocess.DEVNULL,
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=CLI_TIMEOUT,
    )
    if check and proc.returncode != 0:
        raise AssertionError(
            f"yinhu {' '.join(args)} exited {proc.returncode}\n"
            f"--- stdout ---\n{proc.stdout}\n--- stderr ---\n{proc.stderr}"
        )
    return proc


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_for(
    predicate: Callable[[], Any],
    what: str,
    timeout: float = POLL_TIMEOUT,
    interval: float = 0.2,
    context: Callable[[], Any] | None = None,
) -> Any:
    """Poll ``predicate`` until it returns something truthy; fail after ``timeout`` seconds.

    ``context`` is called on failure and its result added to the message (e.g. what a peer got).
    """
    deadline = time.monotonic() + timeout
    last_exc: BaseException | None = None
    while True:
        try:
            value = predicate()
            if value:
                return value
        except Exception as exc:  # noqa: BLE001 - keep polling; report the last error on timeout
            last_exc = exc
        if time.monotonic() > deadline:
            detail = f" (last error: {last_exc!r})" if last_exc else ""
            if context is not None:
                try:
                    detail += f"\n{context()}"
                except Exception as exc:  # noqa: BLE001 - the context is a courtesy
                    detail += f"\n(context failed: {exc!r})"
            raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}{detail}")
        time.sleep(interval)


@dataclass
class Server:
    name: str
    proc: subprocess.Popen[bytes]
    log: Path


@dataclass
class Yinhu(OnLocalPort):
    """One instance: a data directory, a port, and its ``yinhu serve`` process when running."""

    name: str
    data: Path
    port: int
    logs: Path
    servers: list[Server] = field(default_factory=list)

    @property
    def db(self) -> Path:
        return self.data / "yinhu.sqlite3"

    def cli(self, *args: str, check: bool = True, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
        return run_cli(*args, "--data", str(self.data), check=check, stdin=stdin)

    def init(self) -> None:
        self.cli("init", "--url", self.url, "--dev")

    @property
    def running(self) -> bool:
        return bool(self.servers) and self.servers[-1].proc.poll() is None

    def start(self) -> None:
        assert not self.running, f"{self.name} is already running"
        log = self.logs / f"{self.name}-serve-{len(self.servers) + 1}.log"
        with log.open("wb") as out:
            proc = subprocess.Popen(
                [sys.executable, "-m", "web.cli", "serve", "--data", str(self.data), "--port", str(self.port)],
                cwd=REPO,
                env=clean_env(),
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        server = Server(self.name, proc, log)
        self.servers.append(server)

        def healthy() -> bool:
            if proc.poll() is not None:
                raise AssertionError(f"{self.name}'s server exited with {proc.returncode}:\n{log.read_text('utf-8', 'replace')}")
            try:
                return httpx.get(f"{self.url}/healthz", timeout=1.0).status_code == 200
            except httpx.HTTPError:
                return False

        deadline = time.monotonic() + STARTUP_TIMEOUT
        while not healthy():
            if time.monotonic() > deadline:
                raise AssertionError(f"{self.name} did not answer /healthz within {STARTUP_TIMEOUT:.0f} s")
            time.sleep(0.1)

    def stop(self) -> None:
        for server in self.servers:
            stop_process(server.proc)

    def query(self, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        """Read this instance's SQLite database directly (WAL: safe beside the server)."""
        conn = sqlite3.connect(self.db, timeout=10)
        try:
            return conn.execute(sql, params).fetchall()
        finally:
            conn.close()

    def execute(self, sql: str, params: tuple[Any, ...] = ()) -> None:
        conn = sqlite3.connect(self.db, timeout=10)
        try:
            with conn:
                conn.execute(sql, params)
        finally:
            conn.close()


def stop_process(proc: subprocess.Popen[bytes], timeout: float = 10.0) -> None:
    if proc.poll() is not None:
        return
    proc.terminate()
    try:
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=timeout)


@pytest.fixture(scope="session")
def cli() -> Callable[..., subprocess.CompletedProcess[str]]:
    """``run_cli`` as a fixture: ``cli("community", "list", "--data", d, check=False)``."""
    return run_cli


@pytest.fixture
def poll() -> Callable[..., Any]:
    """``wait_for`` as a fixture, so test modules need not import this conftest."""
    return wait_for


@pytest.fixture
def make_instance(tmp_path: Path) -> Iterator[Callable[[str], Yinhu]]:
    """Factory of initialised instances on free ports; stops them all and prints their logs."""
    made: list[Yinhu] = []
    logs = tmp_path / "logs"
    logs.mkdir()

    def make(name: str) -> Yinhu:
        inst = Yinhu(name, tmp_path / name, free_port(), logs)
        inst.init()
        made.append(inst)
        return inst

    try:
        yield make
    finally:
        for inst in made:
            inst.stop()
        for inst in made:
            for server in inst.servers:
                print(f"===== {server.name}: yinhu serve (exit {server.proc.returncode}) — {server.log} =====")
                print(server.log.read_text("utf-8", "replace"))
