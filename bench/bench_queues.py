"""The queues with real ``yinhu worker`` processes: fan-out deliveries and aggregator ingest.

Run: .venv/bin/python bench/bench_queues.py [--scale 0.1] [--only delivery,ingest]
     [--pg postgresql+asyncpg://postgres@127.0.0.1:5432/postgres] [--backends pg,sqlite]

1. Deliveries (PostgreSQL): one ``Create`` (``yinhu publish``) to 20,000 followers behind 2,000
   shared inboxes (× ``--scale``); 5 % of the inboxes answer after 5 s, 2 % refuse connections
   (a port nothing listens on); the rest answer 202 at once, or after ``--latency`` seconds
   (``tests/fakes/receiver.py``, ``--receivers`` processes, 2 by default, each serving its
   share of the inboxes). Then 1, and in a fresh database 2, ``yinhu worker`` processes.
   Reported: the time from the first POST answered to every answering inbox (slow ones
   included) having the activity, deliveries/s over that time, the same for the prompt inboxes
   alone (all but the slow 5 %) with how busy the cores were meanwhile, and duplicates (POSTs
   of one activity to one inbox beyond the first, counted by the receiver after the workers
   are stopped).
2. Aggregator ingest: 2,000 signed ``Create{Event}`` (× ``--scale``) from 50 origins followed
   by the feed actor, POSTed to ``yinhu serve --no-workers`` (all 202), then handled by 1 or 2
   ``yinhu worker`` processes. One origin is dead: its actor row is stale, so handling its items
   refetches the actor from a port that accepts connections and never answers. Reported: live
   items/s (over the span of their ``processed_at``), and the delay the dead origin adds: the
   live items' span minus that of a control run without the dead origin's items (1 worker),
   and the fetches the dead origin was sent (connections it accepted): one per item without a
   breaker, about one per worker process with it (``fedi.breaker``).

The machine is shared (2 cores): figures move with its load, which is printed beside them.

Deliveries since slow sends are parked (``actors.queues.delivery.SLOW_AFTER``), ``--latency
0,0.2 --repeat 3``, 2026-12-06, load average 1.1–1.8: with the prompt inboxes answering at once,
every answering inbox in 7.8–8.0 s with one worker (245–252/s; 11.4–11.7 s before parking),
6.9–7.2 s with two (×1.08–1.17); the prompt ones alone 630–694/s and 881–1,067/s (×1.27–1.69,
the cores 97–99 % busy with two workers). Answering in 0.2 s: 12.3–12.4 s and 8.8–9.2 s
(×1.34–1.40); the prompt ones 246–247/s and 427–459/s (×1.74–1.86). Duplicates 0 in all.
Both runs of a pair end 5 s after their last slow send starts, which bounds the first ratio.

Earlier (before parking), measured on the shared 2-core machine (load average 4–9 from other work):
deliveries, full scale, 64 sends in flight per worker: every answering inbox in 13.4 s with one
worker (147/s), 10.6 s with two (185/s, ×1.26); duplicates 0 in both. Ingest, --scale 0.5 on
PostgreSQL: 56 items/s with one worker, 52 with the dead origin (it adds 1.1 s), 99 with two
(×1.8); full scale on SQLite: 66 items/s with one worker, 47 with the dead origin (its one slot
of the four SQLite's connection pool allows: +11.6 s over 2,000 queued items), 68 with two.

With the fetch breaker and stale actors refreshed beside the handler (`--repeat 3`, load
average 2–3): the dead origin adds +0.10, +0.41, +0.26 s with one worker on PostgreSQL
(133–140 items/s) and +1.01, −0.71, −0.44 s on SQLite (101–124 items/s), +0.01 s and −0.79 s
with two, and is sent one fetch per worker process. The code before, in the same hour
(`--repeat 2`): +2.11 and −0.31 s on PostgreSQL, +10.4 and +23.2 s on SQLite, 9 to 20 fetches.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
PY = sys.executable
ENV = {k: v for k, v in os.environ.items() if not k.startswith("YINHU_")}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def cli(data: Path, *args: str) -> str:
    proc = subprocess.run([PY, "-m", "web.cli", *args, "--data", str(data)], cwd=ROOT, env=ENV,
                          capture_output=True, text=True, check=False)
    if proc.returncode:
        raise RuntimeError(f"yinhu {' '.join(args)}: {proc.stdout}{proc.stderr}")
    return proc.stdout


def start(args: list[str], log: Path) -> subprocess.Popen[bytes]:
    with log.open("ab") as out:
        return subprocess.Popen([PY, *args], cwd=ROOT, env=ENV, stdin=subprocess.DEVNULL, stdout=out,
                                stderr=subprocess.STDOUT)


def stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def wait_http(url: str, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            httpx.get(url, timeout=1)
            return
        except httpx.HTTPError:
            time.sleep(0.1)
    raise RuntimeError(f"{url} did not answer")


def load() -> str:
    return " ".join(f"{x:.1f}" for x in os.getloadavg())


def cpu_of(pid: int) -> float:
    """CPU seconds (user + system) a live process has used, from /proc (Linux)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def machine_busy() -> tuple[float, float]:
    """(busy, total) CPU jiffies of the whole machine since boot: their differences over a span
    give how busy every core was, whoever used it (workers, receivers, PostgreSQL, the bench)."""
    values = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = values[3] + values[4]  # idle + iowait
    return float(sum(values) - idle), float(sum(values))


class Databases:
    def __init__(self, server: str) -> None:
        self.server = server
        self.made: list[str] = []

    def _admin(self, sql: str) -> None:
        import asyncpg
        from sqlalchemy.engine import make_url

        url = make_url(self.server)

        async def run() -> None:
            conn = await asyncpg.connect(host=url.host, port=url.port or 5432, user=url.username,
                                         password=url.password, database=url.database or "postgres")
            try:
                await conn.execute(sql)
            finally:
                await conn.close()

        asyncio.run(run())

    def new(self) -> str:
        from sqlalchemy.engine import make_url

        name = f"bench_queues_{secrets.token_hex(4)}"
        self._admin(f'CREATE DATABASE "{name}"')
        self.made.append(name)
        return make_url(self.server).set(database=name).render_as_string(hide_password=False)

    def drop_all(self) -> None:
        for name in self.made:
            self._admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        self.made.clear()


class Blackhole:
    """A port that accepts connections and never answers; counts them (each is a fetch the
    dead origin was sent) and holds them open until ``close``."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(4096)
        self.sock.settimeout(0.2)
        self.port = int(self.sock.getsockname()[1])
        self.connections = 0
        self._held: list[socket.socket] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._accept, daemon=True)
        self._thread.start()

    def _accept(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            self.connections += 1
            self._held.append(conn)

    def close(self) -> None:
        self._stop.set()
        self._thread.join()
        self.sock.close()
        for conn in self._held:
            conn.close()


# ----------------------------------------------------------------------------------------
# 1. deliveries


def receiver_stats(ports: list[int], times: bool = False) -> dict[str, Any]:
    query = "?times=1" if times else ""
    docs = [httpx.get(f"http://127.0.0.1:{p}/_stats{query}", timeout=10).json() for p in ports]
    firsts = [d["first"] for d in docs if d["first"]]
    return {"paths": sum(d["paths"] for d in docs), "duplicates": sum(d["duplicates"] for d in docs),
            "posts": sum(d["posts"] for d in docs), "first": min(firsts) if firsts else 0.0,
            "last_at": {k: v for d in docs for k, v in d.get("last_at", {}).items()}}


def busy_between(samples: list[tuple[float, tuple[float, float]]], t0: float, t1: float) -> float:
    """How busy the cores were between two times, from the samples taken nearest to them."""
    a = min(samples, key=lambda s: abs(s[0] - t0))[1]
    b = min(samples, key=lambda s: abs(s[0] - t1))[1]
    return (b[0] - a[0]) / max(1.0, b[1] - a[1])


def delivery_run(tmp: Path, dbs: Databases, n_workers: int, n_shared: int, per_shared: int, n_receivers: int,
                 latency: float = 0.0) -> dict[str, Any]:
    from tests.fakes.followers import add_followers

    run = Path(tempfile.mkdtemp(prefix=f"delivery-{n_workers}-", dir=tmp))
    rports, refused_port = [free_port() for _ in range(n_receivers)], free_port()
    receivers = [start(["-m", "tests.fakes.receiver", "--port", str(p), "--slow", "^/slow", "--delay", "5",
                        "--latency", str(latency)], run / f"receiver{p}.log") for p in rports]
    workers: list[subprocess.Popen[bytes]] = []
    try:
        for p in rports:
            wait_http(f"http://127.0.0.1:{p}/_stats")
        data = run / "data"
        cli(data, "init", "--url", f"http://127.0.0.1:{free_port()}", "--dev", "--db", dbs.new())
        cli(data, "community", "create", "bench", "--name", "Bench")
        inboxes: list[tuple[str, str | None]] = []
        answering = 0
        for j in range(n_shared):
            rport = rports[j % len(rports)]
            if j % 50 == 1:  # 2 %: nothing listens
                base = f"http://127.0.0.1:{refused_port}/h{j}"
            elif j % 20 == 0:  # 5 %: answers after 5 s
                base, answering = f"http://127.0.0.1:{rport}/slow{j}", answering + 1
            else:
                base, answering = f"http://127.0.0.1:{rport}/h{j}", answering + 1
            inboxes += [(f"{base}/users/u{k}/inbox", f"{base}/inbox") for k in range(per_shared)]
        add_followers(data, "bench", inboxes)
        note = run / "note.json"
        note.write_text('{"type": "note", "content": "hello, all of you"}', encoding="utf-8")
        out = cli(data, "publish", "bench", str(note))
        t_start, busy0 = time.time(), machine_busy()
        samples = [(t_start, busy0)]
        workers = [start(["-m", "web.cli", "worker", "--data", str(data)], run / f"worker{i}.log")
                   for i in range(n_workers)]
        deadline = time.monotonic() + 600
        while True:
            stats = receiver_stats(rports)
            samples.append((time.time(), machine_busy()))
            if stats["paths"] >= answering:
                t_all, busy1 = time.time(), machine_busy()
                worker_cpu = sum(cpu_of(w.pid) for w in workers)
                receiver_cpu = sum(cpu_of(r.pid) for r in receivers)
                break
            if time.monotonic() > deadline:
                raise RuntimeError(f"not every inbox got it: {stats}")
            time.sleep(0.05)
        time.sleep(2)  # a duplicate (a row sent again by another worker) would arrive by now
    finally:
        for w in workers:
            stop(w)
    stats = receiver_stats(rports, times=True)
    for r in receivers:
        stop(r)
    span = t_all - stats["first"]
    # The inboxes that answer promptly (all but the slow 5 %): when the last of them had it.
    prompt = [t for path, t in stats["last_at"].items() if not path.startswith("/slow")]
    t_prompt = max(prompt)
    return {
        "workers": n_workers, "inboxes": n_shared, "answering": answering, "followers": n_shared * per_shared,
        "queued": out.split("queued for ")[1].split()[0], "span": span, "from_start": t_all - t_start,
        "rate": answering / span, "duplicates": stats["duplicates"], "load": load(),
        "prompt_span": t_prompt - stats["first"], "prompt_rate": len(prompt) / max(1e-3, t_prompt - stats["first"]),
        "prompt_busy": busy_between(samples, stats["first"], t_prompt),
        # Where the CPU went from worker start until every answering inbox had it: the workers'
        # own seconds, the receivers', and how busy the machine's cores were on average.
        "worker_cpu": worker_cpu, "receiver_cpu": receiver_cpu,
        "busy": (busy1[0] - busy0[0]) / max(1.0, busy1[1] - busy0[1]), "cores": os.cpu_count(),
    }


def delivery_series(tmp: Path, dbs: Databases, n_shared: int, n_receivers: int, latency: float,
                    repeat: int) -> list[str]:
    lines = []
    for _ in range(repeat):
        base = None
        for n in (1, 2):
            r = delivery_run(tmp, dbs, n, n_shared, 10, n_receivers, latency)
            base = base or r
            line = (f"delivery  {r['workers']} worker(s), prompt inboxes answering in {latency:g} s: {r['followers']} "
                    f"followers, {r['inboxes']} shared inboxes ({r['answering']} answering, queued {r['queued']}): "
                    f"every answering inbox in {r['span']:.1f} s ({r['from_start']:.1f} s from worker start), "
                    f"{r['rate']:.0f} deliveries/s (×{r['rate'] / base['rate']:.2f}); the prompt ones in "
                    f"{r['prompt_span']:.2f} s, {r['prompt_rate']:.0f}/s (×{r['prompt_rate'] / base['prompt_rate']:.2f}), "
                    f"cores {r['prompt_busy']:.0%} busy meanwhile; duplicates {r['duplicates']}; load {r['load']}; "
                    f"CPU: workers {r['worker_cpu']:.1f} s ({1000 * r['worker_cpu'] / r['answering']:.2f} ms per "
                    f"inbox, start-up included), receivers {r['receiver_cpu']:.1f} s, the machine's "
                    f"{r['cores']} cores {r['busy']:.0%} busy")
            print(line, flush=True)
            lines.append(line)
            dbs.drop_all()
    return lines


# ----------------------------------------------------------------------------------------
# 2. ingest


async def seed_origins(data: Path, origins: list[tuple[str, bool]], public_pem: str) -> None:
    """The feed actor follows one Group per origin; the dead one's row is days old."""
    from sqlalchemy import insert, select

    from actors.social.local import FEED_ACTOR_USERNAME
    from actors.storage.instance import Instance, utcnow
    from actors.storage.models import FollowState, actors, follows
    from actors.storage.settings import load_settings

    inst = await Instance.open(load_settings(data))
    now = utcnow()
    try:
        async with inst.engine.begin() as conn:
            feed = (await conn.execute(select(actors.c.id).where(actors.c.username == FEED_ACTOR_USERNAME,
                                                                 actors.c.local.is_(True)))).scalar_one()
            rows = [{
                "uri": uri, "local": False, "type": "Group", "username": f"g{i}", "domain": uri.split("/")[2],
                "name": f"Group {i}", "summary": "", "inbox": uri + "/inbox", "shared_inbox": None,
                "key_id": uri + "#main-key", "public_key_pem": public_pem, "manually_approves": False,
                "fetched_at": now - timedelta(days=3) if dead else now, "created_at": now, "updated_at": now,
            } for i, (uri, dead) in enumerate(origins)]
            ids = [r[0] for r in await conn.execute(insert(actors).returning(actors.c.id, sort_by_parameter_order=True), rows)]
            await conn.execute(insert(follows), [{
                "follower_id": feed, "followed_id": gid, "follow_uri": f"{uri}/followers/{gid}",
                "state": FollowState.ACCEPTED.value, "created_at": now, "updated_at": now,
            } for gid, (uri, _) in zip(ids, origins, strict=True)])
    finally:
        await inst.close()


def presign(port: int, origins: list[tuple[str, bool]], count: int, private_pem: str, skip_dead: bool) -> list[tuple[bytes, dict[str, str], bool]]:
    from bench_feed import signed_create

    rng = random.Random(7)
    now = datetime.now(UTC)
    host = f"127.0.0.1:{port}"
    out = []
    for i in range(count):
        actor, dead = origins[i % len(origins)]
        if dead and skip_dead:
            continue
        uri = f"{actor}/events/{secrets.token_hex(6)}-{i}"
        body, headers = signed_create(rng, uri, actor, actor + "#main-key", private_pem, host, now)
        out.append((body, headers, dead))
    return out


class ItemTimes:
    """Reads the inbox rows of an instance's database with one engine for the whole run."""

    def __init__(self, data: Path) -> None:
        from actors.storage.db import create_engine
        from actors.storage.settings import load_settings

        self.engine = create_engine(load_settings(data).database_url)
        self.loop = asyncio.new_event_loop()

    def count_handled(self, skip_origin: str) -> int:
        from sqlalchemy import func, select

        from actors.storage.models import inbox_items

        async def run() -> int:
            async with self.engine.connect() as conn:
                return int((await conn.execute(select(func.count()).select_from(inbox_items).where(
                    inbox_items.c.state != "pending", inbox_items.c.origin != skip_origin))).scalar_one())

        return self.loop.run_until_complete(run())

    def rows(self) -> list[tuple[str, str, datetime | None]]:
        from sqlalchemy import select

        from actors.storage.models import inbox_items

        async def run() -> list[tuple[str, str, datetime | None]]:
            async with self.engine.connect() as conn:
                rows = await conn.execute(select(inbox_items.c.origin, inbox_items.c.state, inbox_items.c.processed_at))
                return [(r.origin or "", r.state, r.processed_at) for r in rows]

        return self.loop.run_until_complete(run())

    def close(self) -> None:
        self.loop.run_until_complete(self.engine.dispose())
        self.loop.close()


def ingest_run(tmp: Path, backend: str, db_url: str | None, n_workers: int, count: int, with_dead: bool,
               keys: tuple[str, str]) -> dict[str, Any]:
    label = f"ingest-{backend}-{n_workers}-{'dead' if with_dead else 'control'}"
    run = Path(tempfile.mkdtemp(prefix=f"{label}-", dir=tmp))  # one per run, --repeat repeats labels
    port = free_port()
    hole = Blackhole()
    hole_port = hole.port
    data = run / "data"
    try:
        init = ["init", "--url", f"http://127.0.0.1:{port}", "--dev"] + (["--db", db_url] if db_url else [])
        cli(data, *init)
        origins = [(f"http://o{i}.bench/c/g{i}", False) for i in range(49)]
        origins.insert(17, (f"http://127.0.0.1:{hole_port}/c/dead", True))
        asyncio.run(seed_origins(data, origins, keys[1]))
        reqs = presign(port, origins, count, keys[0], skip_dead=not with_dead)
        server = start(["-m", "web.cli", "serve", "--no-workers", "--data", str(data), "--port", str(port),
                        "--log-level", "warning"], run / "serve.log")
        try:
            wait_http(f"http://127.0.0.1:{port}/healthz")
            codes: dict[int, int] = {}
            with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=30) as client:
                for body, headers, _ in reqs:
                    code = client.post("/inbox", content=body, headers=headers).status_code
                    codes[code] = codes.get(code, 0) + 1
        finally:
            stop(server)
        if set(codes) != {202}:
            raise RuntimeError(f"inbox answered {codes}")
        live = sum(1 for *_, dead in reqs if not dead)
        workers = [start(["-m", "web.cli", "worker", "--data", str(data)], run / f"worker{i}.log") for i in range(n_workers)]
        reader = ItemTimes(data)
        try:
            deadline = time.monotonic() + 600
            while (handled := reader.count_handled(f"127.0.0.1:{hole_port}")) < live:
                if time.monotonic() > deadline:
                    raise RuntimeError(f"live items not all handled: {handled}/{live}")
                time.sleep(0.2)
            done = [r for r in reader.rows() if r[0] != f"127.0.0.1:{hole_port}" and r[1] != "pending"]
        finally:
            reader.close()
            for w in workers:
                stop(w)
    finally:
        hole.close()
    times = sorted(t for *_, t in done if t is not None)
    span = (times[-1] - times[0]).total_seconds()
    states: dict[str, int] = {}
    for _, state, _ in done:
        states[state] = states.get(state, 0) + 1
    return {"label": label, "workers": n_workers, "backend": backend, "live": live, "span": span,
            "rate": live / span if span else float("inf"), "states": states, "load": load(),
            "dead_fetches": hole.connections}


def ingest_series(tmp: Path, dbs: Databases, backend: str, count: int, keys: tuple[str, str], repeat: int) -> list[str]:
    """``repeat`` pairs of a control run and a dead-origin run with one worker (each dead run
    compared with the control just before it), then one dead-origin run with two workers."""
    lines: list[str] = []
    added_1: list[float] = []
    control: dict[str, Any] = {}
    for n, dead in [*((1, False), (1, True)) * repeat, (2, True)]:
        r = ingest_run(tmp, backend, dbs.new() if backend == "pg" else None, n, count, dead, keys)
        extra = ""
        if not dead:
            control = r
        else:
            added = r["span"] - r["live"] / control["rate"]
            added_1 += [added] if n == 1 else []
            extra = (f"; the dead origin adds {added:+.2f} s against the control's rate "
                     f"and was sent {r['dead_fetches']} fetches")
        lines.append(f"ingest    {backend:6} {n} worker(s) {'with' if dead else 'without'} the dead origin: "
                     f"{r['live']} live items in {r['span']:.1f} s = {r['rate']:.0f} items/s {r['states']}{extra}; "
                     f"load {r['load']}")
        print(lines[-1], flush=True)
    if repeat > 1:
        lines.append(f"ingest    {backend:6} 1 worker: the dead origin adds {sorted(added_1)[len(added_1) // 2]:+.2f} s "
                     f"(median of {len(added_1)}: {', '.join(f'{a:+.2f}' for a in added_1)})")
        print(lines[-1], flush=True)
    return lines


# ----------------------------------------------------------------------------------------


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--scale", type=float, default=1.0, help="fraction of the full sizes (20,000 followers, 2,000 items)")
    p.add_argument("--only", default="delivery,ingest")
    p.add_argument("--receivers", type=int, default=2, help="receiving server processes (inboxes split among them)")
    p.add_argument("--backends", default="pg,sqlite", help="for ingest (deliveries always run on PostgreSQL)")
    p.add_argument("--repeat", type=int, default=1, help="deliveries: runs with 1 and 2 workers; ingest: pairs of "
                   "control and dead-origin runs (1 worker) per backend")
    p.add_argument("--latency", default="0", help="deliveries: seconds the prompt inboxes take to answer, "
                   "comma-separated for several series (0: at once; 0.2: a real server across a network)")
    p.add_argument("--pg", default=os.environ.get("YINHU_BENCH_POSTGRES", "postgresql+asyncpg://postgres@127.0.0.1:5432/postgres"))
    args = p.parse_args()
    only = set(args.only.split(","))
    dbs = Databases(args.pg)
    results: list[str] = []
    with tempfile.TemporaryDirectory(prefix="bench-queues-") as tmpdir:
        tmp = Path(tmpdir)
        try:
            if "delivery" in only:
                n_shared = max(20, int(2000 * args.scale))
                for latency in (float(x) for x in args.latency.split(",")):
                    results += delivery_series(tmp, dbs, n_shared, args.receivers, latency, args.repeat)
            if "ingest" in only:
                from fedi.keys import generate_rsa_keypair

                keys = generate_rsa_keypair()
                count = max(100, int(2000 * args.scale))
                for backend in args.backends.split(","):
                    results += ingest_series(tmp, dbs, backend, count, keys, args.repeat)
        finally:
            dbs.drop_all()
    print("\n".join(["", "summary:", *results]))


if __name__ == "__main__":
    main()
