"""The shared feed at 100,000 objects: page latency, search latency and pushed-Create ingest.

    .venv/bin/python bench/bench_feed.py [--n 100000] [--quick] [--postgres URL] [--no-sqlite]

Issue 4 ("Speed"): with 100,000 objects on SQLite, home page and filtered lists p95 < 50 ms,
Chinese search p95 < 100 ms, ingesting a pushed Create < 10 ms of server time; the same
reported on PostgreSQL (``--postgres URL`` or ``YINHU_TEST_POSTGRES``: a temporary database is
created on that server and dropped at the end).

For each database:

1. ``yinhu init --dev``, then in this process: 5 local communities, 50 remote community
   actors (followed by the feed actor), 200 remote followers of the feed actor (so a new item
   is really boosted: Announce + deliveries queued), and ``--n`` objects bulk-inserted with
   SQLAlchemy Core (40% events over the past/next 90 days with places around 22.6N 114.0E,
   40% listings, 10% venues, 10% notes; ``raw`` is the real AP document, Chinese text from
   bench/bench_search.py's vocabulary). Then ``actors.feed.search.reindex_all`` (timed).
   PostgreSQL gets ``ANALYZE`` (autovacuum would do it after such a load); SQLite does not
   (the app never runs ANALYZE).
2. ``yinhu serve --no-workers`` pinned to CPU 0; this process (the client) pinned to CPU 1
   sends each URL sequentially (concurrency 1, one keep-alive connection, httpx). Latency is
   what the client measures from request to last byte, so it includes loopback + client
   overhead (~0.3 ms). Each URL is requested ``--requests`` times, or for ``--budget`` seconds
   when it is slow (at least 5 requests: the table shows n); ``srv cpu`` is the server process's CPU time per request (utime+stime
   over the run / requests) — the server's own cost, excluding time waiting for CPU.
3. Ingest: a fake remote actor (pre-inserted with its key, followed by the feed actor so
   the relevance check passes) POSTs ``--creates`` distinct signed ``Create{Event}`` to
   ``/inbox`` sequentially (pre-signed on CPU 1 before the run): "receive" latency as above.
   Then the server is stopped and, in this process pinned to CPU 0, ``InboxWorker.run_once()``
   runs until the queue is empty; "worker" is the time per item of each handler call
   (``_process``: relevance, store_remote_object + search reindex, boost), plus claim/finish
   amortised per item. The target compares receive + worker with 10 ms. The worker runs
   as ``yinhu worker`` does: start-up heap frozen, WAL checkpointer beside it; the notes
   list the statements it sent per item.

Busy share of each CPU is printed before and after: a polluted run shows.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import random
import secrets
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import orjson

from bench.bench_search import LATIN, PLACES, STREETS, WORDS, pct, pg_database
from bench.run import LOAD_CPU, SERVER_CPU, YINHU, busy_cpus, cpu_seconds, free_port, process

REMOTE_HOSTS = ["mobilizon.example", "gancio.example", "yinhu-north.example", "yinhu-east.example", "events.example"]
SIGNER = "http://remote.bench/users/organiser"
SIGNER_KEY = SIGNER + "#main-key"
CENTER = (22.6, 114.0)
PUBLIC = "https://www.w3.org/ns/activitystreams#Public"

def urls(today: date) -> list[tuple[str, str, float]]:
    week = today + timedelta(days=7)
    return [
        ("GET / (home)", "/", 50),
        ("GET /feed kind=event from..to (7 days)", f"/feed?kind=event&from={today}&to={week}", 50),
        ("GET /feed listing goods price_max=200", "/feed?kind=listing&listing_kind=goods&price_max=200", 50),
        ("GET /feed category=SPORTS near 3 km", "/feed?category=SPORTS&near=22.61,114.02&radius=3", 50),
        ("GET /api/feed kind=venue", "/api/feed?kind=venue", 50),
        ("GET /search q=篮球", "/search?q=篮球", 100),
        ("GET /search q=二手 自行车", "/search?q=二手 自行车", 100),
        ("GET /feed.ics", "/feed.ics", 50),
        ("GET /feed.atom", "/feed.atom", 50),
    ]


@dataclass
class Stat:
    p50: float
    p95: float
    p99: float = float("nan")
    extra: str = ""


@dataclass
class Backend:
    label: str
    stats: dict[str, Stat] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)


# ----------------------------------------------------------------------------------------
# data


def _title(rng: random.Random) -> str:
    t = "".join(rng.choice(WORDS) for _ in range(rng.randint(2, 4)))
    return f"{rng.choice(LATIN)} {t}" if rng.random() < 0.1 else t


def _html(rng: random.Random) -> str:
    out = []
    for _ in range(rng.randint(2, 5)):
        words = [rng.choice(WORDS) if rng.random() > 0.05 else rng.choice(LATIN) for _ in range(rng.randint(4, 10))]
        out.append("".join(words) + rng.choice("，。！"))
    return "<p>" + "".join(out) + "</p>"


def _coords(rng: random.Random) -> tuple[float, float]:
    return round(CENTER[0] + rng.uniform(-0.06, 0.06), 6), round(CENTER[1] + rng.uniform(-0.06, 0.06), 6)


def make_event(rng: random.Random, uri: str, actor_uri: str, now: datetime, published: datetime,
               start: datetime | None = None) -> tuple[dict[str, Any], dict[str, Any]]:
    from fedi import content as wire

    if start is None:
        start = now + timedelta(minutes=rng.randint(-90 * 1440, 90 * 1440))
    start = start.replace(second=0, microsecond=0)
    end = start + timedelta(hours=rng.choice((1, 2, 2, 3, 4)))
    lat, lon = _coords(rng)
    place = wire.PlaceData(name=rng.choice(PLACES), address=f"{rng.choice(STREETS)} {rng.randint(1, 300)} 号",
                           latitude=lat, longitude=lon)
    category = rng.choice(wire.CATEGORIES[:12] + ("SPORTS",) * 3 + ("BOOK_CLUBS", "FAMILY_EDUCATION", "COMMUNITY"))
    tags = rng.sample(WORDS, 2)
    e = wire.EventData(id=uri, url=uri, actor_id=actor_uri, name=_title(rng), content_html=_html(rng), summary=None,
                       start=start, end=end, timezone="Asia/Shanghai", place=place, category=category, tags=tags,
                       capacity=rng.choice((None, 20, 30, 50, 100)), language="zh-CN", published=published)
    doc = wire.event_to_ap(e, followers=actor_uri + "/followers")
    cols = dict(kind="event", type="Event", name=e.name, content=e.content_html, start_time=start, end_time=end,
                timezone=e.timezone, place_name=place.name, address=place.address, latitude=lat, longitude=lon,
                category=category, tags=" ".join(tags), capacity=e.capacity, join_mode="free", status="scheduled", url=uri)
    return doc, cols


def make_object(rng: random.Random, n: int, uri: str, actor_uri: str, now: datetime) -> dict[str, Any]:
    from fedi import content as wire

    published = now - timedelta(minutes=rng.randint(0, 180 * 1440))
    r = n % 10
    if r < 4:
        doc, cols = make_event(rng, uri, actor_uri, now, published)
    elif r < 8:
        kind = rng.choice(wire.LISTING_KINDS)
        mode = rng.choices(("amount", "free", "swap", "negotiable"), (6, 2, 1, 1))[0]
        price = wire.PriceData(Decimal(rng.choice((5, 10, 20, 50, 80, 120, 150, 200, 300, 500, 1200)))) if mode == "amount" else None
        status = rng.choices(("available", "reserved", "closed"), (7, 1, 2))[0]
        expires = rng.choice((None, None, now + timedelta(days=rng.randint(-30, 60))))
        area = rng.choice(PLACES)
        listing = wire.ListingData(id=uri, url=uri, actor_id=actor_uri, kind=kind, purpose=rng.choice(wire.LISTING_PURPOSES),
                                   title=_title(rng), content_html=_html(rng), price=price, price_mode=mode,
                                   condition=rng.choice((None, "used", "new")), area=area, status=status, expires=expires,
                                   tags=rng.sample(WORDS, 2), language="zh-CN", published=published)
        doc = wire.listing_to_ap(listing, followers=actor_uri + "/followers", tag_href=None)
        cols = dict(kind="listing", type="Note", name=listing.title, content=doc["content"], listing_kind=kind,
                    purpose=listing.purpose, price_amount=price.amount if price else None, currency="CNY" if price else None,
                    price_mode=mode, condition=listing.condition, status=status, expires_at=expires,
                    tags=" ".join(listing.tags), place_name=area, url=uri)
    elif r < 9:
        lat, lon = _coords(rng)
        amen = rng.sample(list(wire.AMENITIES), rng.randint(1, 4))
        price = wire.PriceData(Decimal(rng.choice((50, 100, 200)))) if rng.random() < 0.3 else None
        v = wire.VenueData(id=uri, url=uri, actor_id=actor_uri, name=rng.choice(PLACES) + rng.choice(("多功能厅", "会议室", "茶室", "屋顶", "球场")),
                           content_html=_html(rng), address=f"{rng.choice(STREETS)} {rng.randint(1, 300)} 号", latitude=lat,
                           longitude=lon, capacity=rng.choice((10, 20, 40, 80)), amenities=amen, price=price,
                           free=price is None, language="zh-CN", published=published)
        doc = wire.venue_to_ap(v)
        cols = dict(kind="venue", type="Place", name=v.name, content=v.content_html, address=v.address, latitude=lat,
                    longitude=lon, capacity=v.capacity, amenities=" ".join(amen), price_amount=price.amount if price else None,
                    currency="CNY" if price else None, price_mode="amount" if price else "free", url=uri)
    else:
        content = _html(rng)
        doc = {"id": uri, "type": "Note", "attributedTo": actor_uri, "content": content, "to": [PUBLIC],
               "cc": [actor_uri + "/followers"], "published": published.isoformat()}
        cols = dict(kind="note", type="Note", name=None, content=content, url=uri)
    row = dict.fromkeys(OPTIONAL_COLUMNS)
    row.update(uri=uri, raw=orjson.dumps(doc, default=str).decode(), published=published, language="zh-CN", **cols)
    return row  # every row the same keys: one executemany


OPTIONAL_COLUMNS = ("name", "start_time", "end_time", "timezone", "place_name", "address", "latitude", "longitude", "category",
                    "tags", "capacity", "join_mode", "status", "listing_kind", "purpose", "price_amount", "currency",
                    "price_mode", "condition", "amenities", "expires_at", "url")


async def populate(data: Path, n: int, n_followers: int, public_pem: str, port: int) -> tuple[list[str], dict[str, float]]:
    from sqlalchemy import insert, select, text

    from actors.feed import search
    from actors.social.local import FEED_ACTOR_USERNAME, create_community
    from actors.storage.instance import Instance, utcnow
    from actors.storage.models import FollowState, actors, follows, objects
    from actors.storage.settings import load_settings

    settings = load_settings(data)
    inst = await Instance.open(settings)
    timings: dict[str, float] = {}
    try:
        for slug, name in (("reading", "银湖读书会"), ("sports", "银湖篮球队"), ("market", "银湖跳蚤市场"),
                           ("family", "亲子活动"), ("elders", "长者服务")):
            await create_community(inst, slug, name=name)
        now = utcnow()
        rng = random.Random(4)
        async with inst.engine.begin() as conn:
            feed_id = (await conn.execute(select(actors.c.id).where(actors.c.username == FEED_ACTOR_USERNAME,
                                                                   actors.c.local.is_(True)))).scalar_one()
            base = dict(local=False, summary="", manually_approves=False, fetched_at=now, created_at=now, updated_at=now,
                        public_key_pem="x")
            rows = []
            for i in range(50):
                host = REMOTE_HOSTS[i % len(REMOTE_HOSTS)]
                uri = f"http://{host}/c/group{i}"
                rows.append(dict(base, uri=uri, type="Group", username=f"group{i}", domain=host,
                                 name=f"{rng.choice(PLACES)}{rng.choice(('读书会', '篮球队', '志愿者', '市集', '合唱团'))}{i}",
                                 inbox=uri + "/inbox", shared_inbox=f"http://{host}/inbox", key_id=uri + "#main-key"))
            rows.append(dict(base, uri=SIGNER, type="Person", username="organiser", domain="remote.bench", name="Organiser",
                             inbox=SIGNER + "/inbox", shared_inbox="http://remote.bench/inbox", key_id=SIGNER_KEY,
                             public_key_pem=public_pem))
            for i in range(n_followers):
                host = f"f{i % 20}.example"
                uri = f"http://{host}/users/u{i}"
                rows.append(dict(base, uri=uri, type="Person", username=f"u{i}", domain=host, name="", inbox=uri + "/inbox",
                                 shared_inbox=f"http://{host}/inbox", key_id=uri + "#main-key"))
            await conn.execute(insert(actors), rows)
            ids = {r.uri: r.id for r in await conn.execute(select(actors.c.id, actors.c.uri))}
            local_ids = [r.id for r in await conn.execute(select(actors.c.id).where(actors.c.local.is_(True), actors.c.type == "Group"))]
            remote_groups = [(ids[r["uri"]], r["uri"]) for r in rows if r["type"] == "Group"]
            frows = [dict(follower_id=feed_id, followed_id=gid, follow_uri=f"http://127.0.0.1:{port}/follows/{gid}",
                          state=FollowState.ACCEPTED.value, created_at=now, updated_at=now)
                     for gid in [g for g, _ in remote_groups] + [ids[SIGNER]]]
            frows += [dict(follower_id=ids[r["uri"]], followed_id=feed_id, follow_uri=r["uri"] + "/follows/1",
                           state=FollowState.ACCEPTED.value, created_at=now, updated_at=now)
                      for r in rows if r["username"].startswith("u")]
            await conn.execute(insert(follows), frows)
            local_rows = list(await conn.execute(select(actors.c.id, actors.c.uri).where(actors.c.id.in_(local_ids))))
        authors = [(r.id, r.uri, True) for r in local_rows] + [(gid, uri, False) for gid, uri in remote_groups]

        t0 = time.perf_counter()
        batch = 2000
        gen = 0.0
        for start in range(0, n, batch):
            g0 = time.perf_counter()
            values = []
            for i in range(start, min(start + batch, n)):
                aid, auri, local = authors[rng.randrange(len(authors))]
                uri = f"http://127.0.0.1:{port}/o/b{i}" if local else f"{auri}/o/{i}"
                values.append(dict(actor_id=aid, local=local, visibility="public", community_id=aid,
                                   **make_object(rng, i, uri, auri, now)))
            gen += time.perf_counter() - g0
            async with inst.engine.begin() as conn:
                await conn.execute(insert(objects), values)
        timings["insert"] = time.perf_counter() - t0
        timings["generate"] = gen
        t0 = time.perf_counter()
        indexed = await search.reindex_all(inst, batch=2000)
        timings["reindex_all"] = time.perf_counter() - t0
        assert indexed == n, indexed
        if inst.engine.dialect.name == "postgresql":
            async with inst.engine.connect() as conn:
                await conn.execute(text("ANALYZE"))
                await conn.commit()
    finally:
        await inst.close()
    return [u for _, u, _ in authors], timings


# ----------------------------------------------------------------------------------------
# HTTP (client side, on CPU 1)


def spy_start(pid: int, out: Path) -> subprocess.Popen[bytes]:
    """py-spy on CPU 1 (the client's core), collapsed stacks, until SIGINT."""
    spy = subprocess.Popen(["taskset", "-c", LOAD_CPU, str(Path(sys.executable).parent / "py-spy"), "record", "--pid", str(pid),
                            "--rate", "500", "--format", "raw", "-o", str(out), "--nonblocking"],
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(0.7)
    return spy


def spy_stop(spy: subprocess.Popen[bytes]) -> None:
    spy.send_signal(2)
    spy.wait(timeout=30)


MIN_REQUESTS = 5


def get_latencies(port: int, pid: int, paths: list[tuple[str, str, float]], n_req: int, budget: float, b: Backend,
                  profile: Path | None = None) -> None:
    """Each URL ``n_req`` times, or for ``budget`` seconds when it is slow (at least MIN_REQUESTS)."""
    import httpx

    with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=30) as client:
        for label, path, _target in paths:
            for _ in range(2):
                r = client.get(path)
                if r.status_code != 200:
                    raise RuntimeError(f"{path}: {r.status_code} {r.text[:300]}")
            times = []
            spy = spy_start(pid, profile / f"{b.label}_{len(b.stats):02d}.txt") if profile else None
            c0 = cpu_seconds(pid)
            started = time.perf_counter()
            while len(times) < n_req and (len(times) < MIN_REQUESTS or time.perf_counter() - started < budget):
                t0 = time.perf_counter()
                r = client.get(path)
                times.append((time.perf_counter() - t0) * 1000)
            srv = (cpu_seconds(pid) - c0) / len(times) * 1000
            if spy:
                spy_stop(spy)
            assert r.status_code == 200, (path, r.status_code)
            size = len(r.content)
            b.stats[label] = Stat(pct(times, 50), pct(times, 95), pct(times, 99),
                                  f"n={len(times)}; srv cpu {srv:.1f} ms/req; {size / 1000:.0f} kB")
            print(f"  {b.label:8} {label:42} p50 {pct(times, 50):7.1f}  p95 {pct(times, 95):7.1f}  "
                  f"p99 {pct(times, 99):7.1f} ms  ({b.stats[label].extra})", flush=True)


def presign_creates(port: int, count: int, private_pem: str) -> list[tuple[bytes, dict[str, str]]]:
    rng = random.Random(7)
    now = datetime.now(UTC)
    host = f"127.0.0.1:{port}"
    out = []
    for i in range(count):
        uri = f"http://remote.bench/events/{secrets.token_hex(6)}-{i}"
        out.append(signed_create(rng, uri, SIGNER, SIGNER_KEY, private_pem, host, now))
    return out


def signed_create(rng: random.Random, uri: str, actor: str, key_id: str, private_pem: str, host: str,
                  now: datetime) -> tuple[bytes, dict[str, str]]:
    """A ``Create`` of a random event ``uri`` by ``actor`` (starting within 30 days), as the body and
    headers of a POST to ``host``'s shared inbox signed with ``key_id``."""
    from fedi.httpsig import sign_headers

    start = now + timedelta(days=rng.randint(0, 30), hours=rng.randint(0, 23))
    doc, _ = make_event(rng, uri, actor, now, now, start=start)
    activity = {"@context": "https://www.w3.org/ns/activitystreams", "id": uri + "/create", "type": "Create",
                "actor": actor, "to": [PUBLIC], "cc": [actor + "/followers"], "object": doc}
    body = orjson.dumps(activity)
    base = {"Content-Type": "application/activity+json", "Host": host}
    signed = sign_headers("POST", f"http://{host}/inbox", base, body, key_id, private_pem, now=now)
    return body, {**base, **signed}


def post_creates(port: int, pid: int, reqs: list[tuple[bytes, dict[str, str]]], b: Backend) -> None:
    import httpx

    times = []
    codes: dict[int, int] = {}
    with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=30) as client:
        c0 = cpu_seconds(pid)
        for body, headers in reqs:
            t0 = time.perf_counter()
            r = client.post("/inbox", content=body, headers=headers)
            times.append((time.perf_counter() - t0) * 1000)
            codes[r.status_code] = codes.get(r.status_code, 0) + 1
        srv = (cpu_seconds(pid) - c0) / len(reqs) * 1000
    if set(codes) != {202}:
        raise RuntimeError(f"inbox answered {codes}: {r.text[:300]}")
    b.stats["ingest: receive POST /inbox"] = Stat(pct(times, 50), pct(times, 95), pct(times, 99),
                                                  f"srv cpu {srv:.1f} ms/req; {len(reqs)} signed Creates, codes {codes}")
    print(f"  {b.label:8} {'receive POST /inbox (Create{Event})':42} p50 {pct(times, 50):7.1f}  p95 {pct(times, 95):7.1f}"
          f"  p99 {pct(times, 99):7.1f} ms  (srv cpu {srv:.1f} ms/req)", flush=True)


# ----------------------------------------------------------------------------------------
# the inbox worker (this process, CPU 0)


async def run_worker(data: Path, b: Backend, profile: Path | None = None) -> None:
    from sqlalchemy import func, select

    from actors.storage.db import checkpoint_wal
    from actors.storage.instance import Instance
    from actors.storage.models import activities, deliveries, inbox_items
    from actors.storage.settings import load_settings
    from inbox.dispatch import InboxWorker
    from web.cli import freeze_startup_heap

    inst = await Instance.open(load_settings(data))
    freeze_startup_heap()  # what `yinhu worker` does once started; also hides this process's generated rows
    try:
        worker = InboxWorker(inst)
        per_item: list[float] = []
        orig = worker._process

        async def timed(item: Any, *args: Any) -> Any:
            t0 = time.perf_counter()
            try:
                return await orig(item, *args)
            finally:
                per_item.append((time.perf_counter() - t0) * 1000)

        worker._process = timed  # type: ignore[method-assign]
        prof = None
        if profile:
            import cProfile

            prof = cProfile.Profile()
            prof.enable()
        # Every statement the worker sends, by its first words: round trips are what the
        # item costs beyond Python, so the table shows how many there are.
        from collections import Counter

        from sqlalchemy import event

        sent: Counter[str] = Counter()

        def count(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
            sent[" ".join(statement.split()[:4])[:60]] += 1

        event.listen(inst.engine.sync_engine, "before_cursor_execute", count)
        # As in `yinhu worker`: the WAL checkpointer runs beside the queue.
        stop = asyncio.Event()
        checkpointer = asyncio.create_task(checkpoint_wal(inst.settings.database_url, stop))
        t0 = time.perf_counter()
        done = batches = 0
        while (k := await worker.run_once()):
            done += k
            batches += 1
        total = time.perf_counter() - t0
        stop.set()
        await checkpointer
        event.remove(inst.engine.sync_engine, "before_cursor_execute", count)
        if prof:
            prof.disable()
            prof.dump_stats(str(profile / f"{b.label}_worker.pstats"))
        async with inst.engine.connect() as conn:
            states = dict(list(await conn.execute(select(inbox_items.c.state, func.count()).group_by(inbox_items.c.state))))
            announces = (await conn.execute(select(func.count()).select_from(activities).where(activities.c.type == "Announce"))).scalar()
            queued = (await conn.execute(select(func.count()).select_from(deliveries))).scalar()
            sample = (await conn.execute(select(inbox_items.c.result).limit(1))).scalar()
    finally:
        await inst.close()
    overhead = (total * 1000 - sum(per_item)) / max(done, 1)
    b.stats["ingest: worker per item"] = Stat(
        pct(per_item, 50) + overhead, pct(per_item, 95) + overhead, pct(per_item, 99) + overhead,
        f"{done} items in {batches} batches, {total:.1f} s ({done / total:.0f}/s); handler p50 {pct(per_item, 50):.1f} ms"
        f" + claim/finish {overhead:.2f} ms/item; states {states}; {announces} Announces, {queued} deliveries queued")
    b.notes.append(f"{b.label}: worker result sample: {sample!r}")
    b.notes.append(f"{b.label}: worker statements per item {sum(sent.values()) / max(done, 1):.1f}: "
                   + ", ".join(f"{n / max(done, 1):.2f} × {k}" for k, n in sent.most_common(12)))
    print(f"  {b.label:8} {'worker per item':42} p50 {pct(per_item, 50) + overhead:7.1f}  p95 {pct(per_item, 95) + overhead:7.1f}"
          f" ms  ({b.stats['ingest: worker per item'].extra})", flush=True)
    if states.get("done", 0) != done:
        raise RuntimeError(f"not every Create was stored: {states}; e.g. {sample}")


# ----------------------------------------------------------------------------------------


def bench_backend(label: str, db_url: str | None, args: argparse.Namespace, tmp: Path) -> Backend:
    from fedi.keys import generate_rsa_keypair

    b = Backend(label)
    port = free_port()
    data = tmp / label
    cmd = [YINHU, "init", "--url", f"http://127.0.0.1:{port}", "--dev", "--data", str(data)]
    if db_url:
        cmd += ["--db", db_url]
    subprocess.run(cmd, check=True, capture_output=True)
    private_pem, public_pem = generate_rsa_keypair()
    t0 = time.perf_counter()
    _, t = asyncio.run(populate(data, args.n, args.followers, public_pem, port))
    b.notes.append(f"{label}: {args.n:,} objects generated in {t['generate']:.1f} s, inserted in {t['insert'] - t['generate']:.1f} s "
                   f"({args.n / (t['insert'] - t['generate']):,.0f}/s); reindex_all {t['reindex_all']:.1f} s "
                   f"({args.n / t['reindex_all']:,.0f} objects/s); setup total {time.perf_counter() - t0:.0f} s")
    print(f"  {b.notes[-1]}", flush=True)
    b.stats["search index build (reindex_all)"] = Stat(t["reindex_all"] * 1000, float("nan"), extra="one-off, whole table")
    if db_url is None:
        b.notes.append(f"{label}: database file {(data / 'yinhu.sqlite3').stat().st_size / 1e6:.0f} MB")
    from actors.feed.feed import DISTRICT_TZ

    today = datetime.now(UTC).astimezone(DISTRICT_TZ).date()
    os.sched_setaffinity(0, {int(LOAD_CPU)})
    reqs = presign_creates(port, args.creates, private_pem)
    serve = [YINHU, "serve", "--no-workers", "--data", str(data), "--port", str(port), "--log-level", "warning"]
    with process(serve, port, SERVER_CPU) as proc:
        get_latencies(port, proc.pid, urls(today), args.requests, args.budget, b, args.profile)
        post_creates(port, proc.pid, reqs, b)
    os.sched_setaffinity(0, {int(SERVER_CPU)})
    asyncio.run(run_worker(data, b, args.profile))
    os.sched_setaffinity(0, {0, 1})
    if args.keep:
        import shutil

        shutil.copytree(data, args.keep / label, dirs_exist_ok=True)
        b.notes.append(f"{label}: data directory kept in {args.keep / label}")
    return b


def fmt(s: Stat | None) -> str:
    if s is None:
        return "-"
    if s.p95 != s.p95:  # nan: a one-off duration
        return f"{s.p50 / 1000:.1f} s"
    return f"{s.p50:.1f} / {s.p95:.1f}"


def verdict(s: Stat | None, target: float) -> str:
    if s is None:
        return "-"
    return "pass" if s.p95 < target else "FAIL"


def print_table(backends: list[Backend], n: int) -> None:
    today = date.today()
    rows: list[tuple[str, ...]] = []
    get = lambda b, k: b.stats.get(k) if b else None
    sq = next((b for b in backends if b.label == "sqlite"), None)
    pg = next((b for b in backends if b.label == "postgres"), None)
    rows.append(("search index build (reindex_all)", fmt(get(sq, "search index build (reindex_all)")),
                 fmt(get(pg, "search index build (reindex_all)")), "-", "-"))
    for label, _, target in urls(today):
        rows.append((label, fmt(get(sq, label)), fmt(get(pg, label)), f"p95 < {target:.0f} ms",
                     f"{verdict(get(sq, label), target)} / {verdict(get(pg, label), target)}"))
    for key in ("ingest: receive POST /inbox", "ingest: worker per item"):
        rows.append((key, fmt(get(sq, key)), fmt(get(pg, key)), "", ""))
    sums = []
    for b in (sq, pg):
        r, w = get(b, "ingest: receive POST /inbox"), get(b, "ingest: worker per item")
        sums.append(Stat(r.p50 + w.p50, r.p95 + w.p95) if r and w else None)
    rows.append(("ingest: receive + worker (sum)", fmt(sums[0]), fmt(sums[1]), "< 10 ms",
                 f"{verdict(sums[0], 10)} / {verdict(sums[1], 10)}"))
    head = ("metric", "SQLite p50 / p95 ms", "PostgreSQL p50 / p95 ms", "target", "SQLite / PG")
    widths = [max(len(r[i]) for r in [head, *rows]) for i in range(len(head))]
    line = lambda r: "  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip()
    print(f"\n{n:,} objects in the feed; latency = client-measured at concurrency 1 (server on CPU 0, client on CPU 1)\n")
    print(line(head))
    print(line(tuple("-" * w for w in widths)))
    for r in rows:
        print(line(r))
    print()
    for b in backends:
        for key, s in b.stats.items():
            if s.extra and key != "search index build (reindex_all)":
                print(f"  {b.label:8} {key}: p99 {s.p99:.1f} ms; {s.extra}")
    for b in backends:
        for note in b.notes:
            print(f"  {note}")


def main() -> None:
    # The bench is one sender pushing thousands of activities a minute: lift the inbox's
    # per-sender and per-host limits (a 429 is not what is measured here; tests cover it).
    os.environ.setdefault("YINHU_INBOX_RATE_PER_ACTOR", "100000000")
    os.environ.setdefault("YINHU_INBOX_RATE_PER_HOST", "100000000")
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--n", type=int, default=100_000, help="objects in the feed")
    p.add_argument("--quick", action="store_true", help="fewer requests and Creates (use with --n 20000)")
    p.add_argument("--postgres", default=os.environ.get("YINHU_TEST_POSTGRES"), help="PostgreSQL server URL "
                   "(default $YINHU_TEST_POSTGRES); a temporary database is created there and dropped")
    p.add_argument("--no-sqlite", action="store_true")
    p.add_argument("--requests", type=int, help="timed requests per URL (default 200, --quick 40)")
    p.add_argument("--budget", type=float, help="seconds per URL before stopping early (default 20, --quick 6)")
    p.add_argument("--creates", type=int, help="signed Creates POSTed (default 2000, --quick 300)")
    p.add_argument("--followers", type=int, default=200, help="remote followers of the feed actor (boost fan-out)")
    p.add_argument("--profile", type=Path, help="into DIR: py-spy collapsed stacks of the server per URL "
                   "(NN = URL order; figures are lower while profiling) and a cProfile of the inbox worker")
    p.add_argument("--keep", type=Path, help="copy each data directory here, and keep the PostgreSQL database (reuse with `yinhu serve`)")
    args = p.parse_args()
    args.requests = args.requests or (40 if args.quick else 200)
    args.budget = args.budget or (6.0 if args.quick else 20.0)
    args.creates = args.creates or (300 if args.quick else 2000)
    if args.profile:
        args.profile.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    print(f"bench_feed: {args.n:,} objects, {args.requests} requests per URL, {args.creates} Creates; "
          f"server on CPU {SERVER_CPU}, client on CPU {LOAD_CPU}", flush=True)
    print(f"busy before start (other processes): {busy_cpus()}", flush=True)
    backends = []
    with tempfile.TemporaryDirectory(prefix="yinhu-bench-feed-") as d:
        tmp = Path(d)
        if not args.no_sqlite:
            backends.append(bench_backend("sqlite", None, args, tmp))
            print(f"busy now (other processes): {busy_cpus()}", flush=True)
        if args.postgres:
            url, drop = asyncio.run(pg_database(args.postgres))
            try:
                backends.append(bench_backend("postgres", url, args, tmp))
            finally:
                if args.keep:
                    print(f"PostgreSQL database kept: {url} (the kept data directory points at it)")
                else:
                    asyncio.run(drop())
    print_table(backends, args.n)
    print(f"busy after (other processes): {busy_cpus()}")
    print(f"\ntotal {time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    with contextlib.suppress(KeyboardInterrupt):
        main()
