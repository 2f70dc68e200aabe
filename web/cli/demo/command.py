"""``yinhu demo``: the command's options, its run from setup to shutdown, and the summary."""

from __future__ import annotations

import argparse
import json
import os
import queue
import secrets
import shutil
import signal
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path
from typing import Any

from web.cli.demo.network import (
    _check_running,
    choose_ports,
    feed_ids,
    run_cli,
    start_servers,
    stop_servers,
    wait_follows,
    wait_healthy,
    wait_items,
)
from web.cli.demo.seed import (
    ACCOUNT,
    BACKFILL_TIMEOUT,
    DEFAULT_BASE_PORT,
    HOST,
    PUSH_TIMEOUT,
    STATE_FILE,
    SUMMARY_END,
    TZ,
    DemoError,
    Node,
    _nodes,
    live_plan,
    say,
    setup,
)


# --- the command ------------------------------------------------------------------------------
def add_demo_command(sub: Any) -> None:
    p = sub.add_parser("demo", help="run three instances with sample data on 127.0.0.1 (Ctrl-C stops)")
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
        password, state = _set_up(args, root, state, nodes)
        east, west, feed = nodes
        say("Starting the servers (yinhu serve)")
        start_servers(nodes, root / "logs", lines)
        wait_healthy(nodes)

        pushed = 0
        if not state.get("complete"):
            pushed = _follow_and_push(nodes, root, state)
        else:
            wait_follows(feed, len(east.handles()) + len(west.handles()), nodes)

        items = feed_ids(feed.url)
        summary(nodes, password, root, temporary and not args.keep, items, pushed, time.monotonic() - began)
        up = True
        _stream_logs(nodes, lines, root)
    except KeyboardInterrupt:
        say("")
        say(f"{_STOP_REASON[0]}: stopping…" if up else f"{_STOP_REASON[0]} before the demo was up; stopping…")
        code = 0 if up else 130
    except DemoError as exc:
        failure = str(exc)
    except Exception as exc:  # noqa: BLE001 - one line, then stop what started
        failure = f"{type(exc).__name__}: {exc}"
    finally:
        _shut_down(nodes, lines, root, up=up, remove=temporary and not args.keep)
    return _fail(failure) if failure else code


def _set_up(args: argparse.Namespace, root: Path, state: dict[str, Any] | None,
            nodes: list[Node]) -> tuple[str, dict[str, Any]]:
    """Reuse the finished demo in ``root`` (``state`` read from it) or set up a new one there.

    Fills ``nodes`` as soon as they are known, so that a failure later still stops them.
    Returns the dashboard password and the state.
    """
    if state is not None:
        base = int(state["base_port"])
        if args.base_port is not None and args.base_port != base:
            say(f"note: {root} was set up on ports {base}–{base + 2} (an instance's URL cannot change); "
                f"ignoring --base-port {args.base_port}")
        choose_ports(base, fixed=True)
        password = str(state["password"])
        nodes.extend(_nodes(root, base))
        say(f"Reusing the demo in {root}")
        return password, state
    base = choose_ports(args.base_port or DEFAULT_BASE_PORT, fixed=False)
    password = secrets.token_urlsafe(9)
    nodes.extend(_nodes(root, base))
    say(f"Setting up three Yinhu instances in {root}")
    state = {"base_port": base, "password": password, "complete": False}
    root.mkdir(parents=True, exist_ok=True)
    state_path = root / STATE_FILE
    state_path.write_text(json.dumps(state), encoding="utf-8")
    state_path.chmod(0o600)
    setup(nodes, root, password, datetime.now(TZ))
    return password, state


def _follow_and_push(nodes: list[Node], root: Path, state: dict[str, Any]) -> int:
    """The first run's federation steps: follow, wait for the backfill, publish two items live.

    Marks the demo in ``root`` complete; returns how many live items reached the aggregator.
    """
    east, west, feed = nodes
    pushed = 0
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
    (root / STATE_FILE).write_text(json.dumps(state), encoding="utf-8")
    return pushed


def _stream_logs(nodes: list[Node], lines: queue.Queue[tuple[str, str]], root: Path) -> None:
    """Print the servers' interesting log lines until Ctrl-C, SIGTERM or a server exits."""
    say(f"--- live logs: [east] [west] [feed] (warnings and deliveries; access log off; all of it in {root / 'logs'}) ---")
    while True:
        try:
            key, text = lines.get(timeout=0.5)
        except queue.Empty:
            _check_running(nodes)
            continue
        say(f"[{key}] {text}")


def _shut_down(nodes: list[Node], lines: queue.Queue[tuple[str, str]], root: Path, *, up: bool, remove: bool) -> None:
    """Stop what started (signals ignored meanwhile), print the last lines, remove or keep ``root``."""
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
        if remove:
            shutil.rmtree(root, ignore_errors=True)
            say(f"removed {root}")
        elif up:
            say(f"kept {root}; `yinhu demo --data {root}` starts it again")
    finally:
        signal.signal(signal.SIGINT, signal.default_int_handler)


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
