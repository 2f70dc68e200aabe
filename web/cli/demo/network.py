"""The demo's running network: ports, the ``yinhu serve`` processes and their logs, the steps
through the real CLI (``yinhu follow``, ``publish``) and the waits for follows and items."""

from __future__ import annotations

import os
import queue
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import IO

from web.cli.demo.seed import (
    CLI_TIMEOUT,
    FOLLOW_TIMEOUT,
    HOST,
    START_TIMEOUT,
    STOP_TIMEOUT,
    DemoError,
    Node,
    say,
)


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


