"""Yinhu speed benchmarks, each figure next to a bare ceiling measured in the same run.

Run: .venv/bin/python bench/run.py [--quick] [--only get,inbox,delivery,rsa,feed] [--profile DIR]

This machine has 2 cores, and the load generator shares it with the server, so everything
is pinned: every server (Yinhu and each bare ceiling) runs on CPU 0, every load generator
(wrk, the fake receiving servers) on CPU 1. Figures are therefore "one server core".

1. GET: ``yinhu serve`` (SQLite) answering the community actor (``Accept:
   application/activity+json``) and WebFinger, against a bare Starlette app on uvicorn
   returning a fixed JSON body with the same uvicorn settings. Load: wrk, 1 thread, keep-alive.
2. Inbox: distinct signed ``Like`` activities POSTed to ``/inbox`` (pre-signed before the run,
   Date fixed, each its own id, replayed by wrk from a Lua script), verified and stored by
   ``yinhu serve``; the signer is pre-inserted into the actors table so no request pays a
   fetch. Twice: as shipped (the workers in the same process also handle every Like that
   arrives), and with ``--no-workers`` (workers in a separate ``yinhu worker``). Ceiling: bare Starlette doing RSA verify + Digest + orjson parse + one sqlite3
   INSERT + COMMIT (WAL, synchronous=NORMAL) per request.
   Profiles (``--profile DIR``) are flame graphs; ``BENCH_PROFILE_FORMAT=txt`` writes
   collapsed stacks instead, ``json`` speedscope files.
3. Deliveries: in this process (pinned to CPU 0), ``publish()`` one note to 10,000 followers
   with personal inboxes, then to 10,000 followers behind 1,000 shared inboxes, and time
   ``DeliveryWorker.run_once()`` until nothing is due. The receivers (uvicorn answering 202)
   run on CPU 1. Ceiling: ``sign_headers`` + a bare aiohttp POST (the network layer under
   Yinhu's httpx client, see fedi/transport.py) on keep-alive connections to the same
   receivers, same concurrency (16), no database.
4. The RSA figures of bench/bench_httpsig.py (on CPU 0).
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import contextlib
import hashlib
import multiprocessing
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PY = sys.executable
YINHU = str(Path(PY).parent / "yinhu")
SERVER_CPU = "0"
LOAD_CPU = "1"
UVICORN_KW = dict(log_level="warning", access_log=False, proxy_headers=True, forwarded_allow_ips="127.0.0.1")
GET_CONNS = 50
POST_CONNS = 32
DELIVERY_CONCURRENCY = 64  # DeliveryWorker's default
PROFILE_FORMAT = os.environ.get("BENCH_PROFILE_FORMAT", "svg")  # svg (flame graph), json (speedscope) or txt (collapsed stacks)
REMOTE_ACTOR = "http://remote.bench/users/alice"
REMOTE_KEY_ID = REMOTE_ACTOR + "#main-key"
ACTOR_JSON = (
    b'{"@context":["https://www.w3.org/ns/activitystreams","https://w3id.org/security/v1"],'
    b'"id":"http://127.0.0.1/c/bench","type":"Group","preferredUsername":"bench","name":"Bench",'
    b'"inbox":"http://127.0.0.1/c/bench/inbox","outbox":"http://127.0.0.1/c/bench/outbox",'
    b'"followers":"http://127.0.0.1/c/bench/followers","publicKey":{"id":"http://127.0.0.1/c/bench#main-key",'
    b'"owner":"http://127.0.0.1/c/bench","publicKeyPem":"' + b"A" * 450 + b'"}}'
)


# ----------------------------------------------------------------------------------------
# helpers


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_port(port: int, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return
        time.sleep(0.05)
    raise RuntimeError(f"nothing listening on {port} after {timeout} s")


@contextlib.contextmanager
def process(cmd: list[str], port: int, cpu: str, env: dict[str, str] | None = None) -> Iterator[subprocess.Popen[bytes]]:
    full = ["taskset", "-c", cpu, *cmd]
    proc = subprocess.Popen(full, cwd=ROOT, env={**os.environ, **(env or {})}, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE)
    try:
        try:
            wait_port(port, timeout=60)
        except RuntimeError:
            proc.kill()
            sys.stderr.write(proc.communicate()[1].decode(errors="replace")[-3000:])
            raise
        yield proc
    finally:
        if proc.poll() is not None:
            return
        proc.send_signal(signal.SIGINT)
        try:
            _, err = proc.communicate(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            _, err = proc.communicate()
        tail = [line for line in err.decode(errors="replace").splitlines() if "Traceback" in line or "Error" in line]
        if tail:
            print(f"    [stderr of {cmd[0:3]}: {tail[:3]}]", flush=True)


def helper(name: str, *args: object) -> list[str]:
    return [PY, str(Path(__file__).resolve()), f"_{name}", *map(str, args)]


@dataclass
class Load:
    rps: float
    p50_ms: float
    p99_ms: float
    requests: int
    errors: str = ""
    cpu: float = float("nan")  # share of one core the measured server got during the run

    def cells(self) -> tuple[str, str, str, str]:
        return f"{self.rps:,.0f}/s", f"{self.p50_ms:.2f}", f"{self.p99_ms:.2f}", f"{self.cpu:.0%}"


def cpu_seconds(pid: int) -> float:
    """utime + stime of a process (all its threads), in seconds."""
    fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _ms(text: str) -> float:
    m = re.match(r"([\d.]+)(us|ms|s)", text)
    if not m:
        return float("nan")
    value, unit = float(m.group(1)), m.group(2)
    return value / 1000 if unit == "us" else value * 1000 if unit == "s" else value


def wrk(url: str, seconds: float, conns: int, headers: list[str] = (), script: str | None = None,
        script_args: list[str] = (), pid: int | None = None) -> Load:
    cmd = ["taskset", "-c", LOAD_CPU, "wrk", "-t1", f"-c{conns}", f"-d{seconds}s", "--latency", "--timeout", "5s"]
    for h in headers:
        cmd += ["-H", h]
    if script:
        cmd += ["-s", script]
    cmd.append(url)
    if script_args:
        cmd += ["--", *script_args]
    before, t0 = (cpu_seconds(pid) if pid else 0.0), time.perf_counter()
    out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
    cpu = (cpu_seconds(pid) - before) / (time.perf_counter() - t0) if pid else float("nan")
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    p50 = _ms(re.search(r"\s50%\s+(\S+)", out).group(1))
    p99 = _ms(re.search(r"\s99%\s+(\S+)", out).group(1))
    n = int(re.search(r"(\d+) requests in", out).group(1))
    errs = []
    if m := re.search(r"Non-2xx or 3xx responses: (\d+)", out):
        errs.append(f"{m.group(1)} non-2xx")
    if m := re.search(r"Socket errors: (.*)", out):
        errs.append("socket " + m.group(1))
    return Load(rps, p50, p99, n, "; ".join(errs), cpu)


# ----------------------------------------------------------------------------------------
# helper servers (run as subprocesses: `run.py _bare_get PORT` etc.)


def serve_bare_get(port: int) -> None:
    import uvicorn
    from starlette.applications import Starlette
    from starlette.responses import Response
    from starlette.routing import Route

    async def actor(request):  # type: ignore[no-untyped-def]
        return Response(ACTOR_JSON, media_type="application/activity+json", headers={"Vary": "Accept"})

    app = Starlette(routes=[Route("/c/{slug}", actor), Route("/.well-known/webfinger", actor)])
    uvicorn.run(app, host="127.0.0.1", port=port, **UVICORN_KW)


def serve_receiver(port: int) -> None:
    import uvicorn
    from starlette.applications import Starlette
    from starlette.responses import Response
    from starlette.routing import Route

    async def inbox(request):  # type: ignore[no-untyped-def]
        await request.body()
        return Response(status_code=202)

    app = Starlette(routes=[Route("/{path:path}", inbox, methods=["POST"])])
    uvicorn.run(app, host="127.0.0.1", port=port, **UVICORN_KW)


def serve_bare_inbox(port: int, db: str, public_pem_file: str) -> None:
    """The inbox floor: verify + digest + parse + one committed row, no framework of ours."""
    import sqlite3

    import orjson
    import uvicorn
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import padding
    from starlette.applications import Starlette
    from starlette.responses import Response
    from starlette.routing import Route

    key = serialization.load_pem_public_key(Path(public_pem_file).read_bytes())
    pad, sha = padding.PKCS1v15(), hashes.SHA256()
    conn = sqlite3.connect(db, isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=NORMAL")
    conn.execute("CREATE TABLE IF NOT EXISTS items (id INTEGER PRIMARY KEY, uri TEXT UNIQUE, signer TEXT, body TEXT)")
    param = re.compile(r'(\w+)="([^"]*)"')

    async def inbox(request):  # type: ignore[no-untyped-def]
        body = await request.body()
        h = request.headers
        params = dict(param.findall(h["signature"]))
        digest = "SHA-256=" + base64.b64encode(hashlib.sha256(body).digest()).decode()
        if h.get("digest") != digest:
            return Response(status_code=401)
        lines = []
        for name in params["headers"].split():
            if name == "(request-target)":
                lines.append(f"(request-target): post {request.url.path}")
            else:
                lines.append(f"{name}: {h[name]}")
        try:
            key.verify(base64.b64decode(params["signature"]), "\n".join(lines).encode(), pad, sha)
        except InvalidSignature:
            return Response(status_code=401)
        doc = orjson.loads(body)
        conn.execute("BEGIN")
        conn.execute("INSERT OR IGNORE INTO items (uri, signer, body) VALUES (?, ?, ?)",
                     (doc["id"], doc["actor"], body.decode()))
        conn.execute("COMMIT")
        return Response(status_code=202)

    app = Starlette(routes=[Route("/inbox", inbox, methods=["POST"])])
    uvicorn.run(app, host="127.0.0.1", port=port, **UVICORN_KW)


# ----------------------------------------------------------------------------------------
# 1 + 2: yinhu serve under wrk


def init_instance(data: Path, port: int) -> None:
    url = f"http://127.0.0.1:{port}"
    run = lambda *a: subprocess.run([YINHU, *a], cwd=ROOT, check=True, capture_output=True)
    run("init", "--url", url, "--dev", "--data", str(data))
    run("community", "create", "bench", "--name", "Bench", "--data", str(data))


def insert_remote_signer(data: Path, public_pem: str) -> None:
    import sqlite3

    db = data / "yinhu.sqlite3"
    conn = sqlite3.connect(db)
    now = datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")
    conn.execute(
        "INSERT INTO actors (uri, local, type, username, domain, name, summary, inbox, key_id, public_key_pem,"
        " manually_approves, fetched_at, created_at, updated_at) VALUES (?,0,'Person','alice','remote.bench','','',?,?,?,0,?,?,?)",
        (REMOTE_ACTOR, REMOTE_ACTOR + "/inbox", REMOTE_KEY_ID, public_pem, now, now, now),
    )
    conn.commit()
    conn.close()


def _sign_chunk(args: tuple[int, int, str, str, str]) -> list[bytes]:
    from fedi.httpsig import sign_headers

    start, stop, private_pem, host, date = args
    now = datetime.strptime(date, "%Y-%m-%dT%H:%M:%S").replace(tzinfo=UTC)
    out = []
    for i in range(start, stop):
        body = (
            '{"@context":"https://www.w3.org/ns/activitystreams","type":"Like",'
            f'"id":"{REMOTE_ACTOR}/likes/{i}","actor":"{REMOTE_ACTOR}",'
            f'"object":"http://remote.bench/notes/{i % 97}"}}'
        ).encode()
        base = {"Content-Type": "application/activity+json", "Host": host}
        signed = sign_headers("POST", f"http://{host}/inbox", base, body, REMOTE_KEY_ID, private_pem, now=now)
        head = "".join(f"{k}: {v}\r\n" for k, v in {**base, **signed}.items())
        out.append(f"POST /inbox HTTP/1.1\r\n{head}Content-Length: {len(body)}\r\n\r\n".encode() + body)
    return out


LUA = r"""
local reqs, n, i = {}, 0, 0
function init(args)
  local data = io.open(args[1], "rb"):read("*a")
  local pos = 1
  for len in io.lines(args[2]) do
    n = n + 1
    reqs[n] = data:sub(pos, pos + tonumber(len) - 1)
    pos = pos + tonumber(len)
  end
  i = tonumber(args[3])
end
function request()
  i = i + 1
  if i > n then i = 1 end
  return reqs[i]
end
"""


def presign(tmp: Path, count: int, private_pem: str) -> tuple[str, str]:
    """``count`` distinct signed POSTs, signed on both cores, written for the Lua script."""
    date = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S")
    step = (count + 7) // 8
    chunks = [(s, min(s + step, count), private_pem, "127.0.0.1", date) for s in range(0, count, step)]
    with multiprocessing.get_context("spawn").Pool(2) as pool:
        reqs = [r for part in pool.map(_sign_chunk, chunks) for r in part]
    (tmp / "reqs.bin").write_bytes(b"".join(reqs))
    (tmp / "reqs.len").write_text("".join(f"{len(r)}\n" for r in reqs))
    (tmp / "replay.lua").write_text(LUA)
    return str(tmp / "reqs.bin"), str(tmp / "reqs.len")


@dataclass
class Row:
    name: str
    yinhu: Load | None
    ceiling: Load | None
    target: str
    note: str = ""


@dataclass
class Results:
    rows: list[Row] = field(default_factory=list)
    extra: list[str] = field(default_factory=list)


def py_spy(pid: int, seconds: float, out: Path) -> subprocess.Popen[bytes]:
    spy = str(Path(PY).parent / "py-spy")
    return subprocess.Popen(["taskset", "-c", LOAD_CPU, spy, "record", "--pid", str(pid), "--duration", str(int(seconds)),
                             "--rate", "200", "--format", {".json": "speedscope", ".txt": "raw"}.get(out.suffix, "flamegraph"),
                             "-o", str(out), "--nonblocking"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def bench_http(res: Results, quick: bool, only: set[str], tmp: Path, profile: Path | None) -> None:
    from fedi.keys import generate_rsa_keypair

    secs = 4 if quick else 10
    warm = 1 if quick else 2
    accept = "Accept: application/activity+json"
    port = free_port()
    data = tmp / "yinhu"
    init_instance(data, port)
    private_pem, public_pem = generate_rsa_keypair()
    insert_remote_signer(data, public_pem)
    wf = f"/.well-known/webfinger?resource=acct:bench@127.0.0.1:{port}"

    bare_port = free_port()
    if "get" in only:
        with process(helper("bare_get", bare_port), bare_port, SERVER_CPU) as proc:
            wrk(f"http://127.0.0.1:{bare_port}/c/bench", warm, GET_CONNS, [accept])
            bare = wrk(f"http://127.0.0.1:{bare_port}/c/bench", secs, GET_CONNS, [accept], pid=proc.pid)
            bare_wf = wrk(f"http://127.0.0.1:{bare_port}{wf}", secs, GET_CONNS, pid=proc.pid)
        with process([YINHU, "serve", "--data", str(data), "--port", str(port), "--log-level", "warning"], port,
                     SERVER_CPU) as proc:
            wrk(f"http://127.0.0.1:{port}/c/bench", warm, GET_CONNS, [accept])
            spy = py_spy(proc.pid, secs, profile / f"actor_get.{PROFILE_FORMAT}") if profile else None
            actor = wrk(f"http://127.0.0.1:{port}/c/bench", secs, GET_CONNS, [accept], pid=proc.pid)
            if spy:
                spy.wait()
            wrk(f"http://127.0.0.1:{port}{wf}", warm, GET_CONNS)
            spy = py_spy(proc.pid, secs, profile / f"webfinger.{PROFILE_FORMAT}") if profile else None
            webfinger = wrk(f"http://127.0.0.1:{port}{wf}", secs, GET_CONNS, pid=proc.pid)
            if spy:
                spy.wait()
        res.rows.append(Row("actor GET /c/bench", actor, bare, "≥ 10,000/s"))
        res.rows.append(Row("WebFinger GET", webfinger, bare_wf, "≥ 10,000/s"))

    if "inbox" in only:
        post_secs = 3 if quick else 8
        warm_n = 3000 if quick else 6000
        count = warm_n + 10000 * post_secs  # distinct ids even for the bare ceiling (~8,000/s quiet)
        t0 = time.perf_counter()
        reqs, lens = presign(tmp, count, private_pem)
        res.extra.append(f"pre-signed {count:,} distinct Like POSTs in {time.perf_counter() - t0:.1f} s (both cores, before any server started)")
        lua = str(tmp / "replay.lua")
        pem_file = tmp / "remote.pub.pem"
        pem_file.write_text(public_pem)
        with process(helper("bare_inbox", bare_port, tmp / "bare_inbox.db", pem_file), bare_port, SERVER_CPU) as proc:
            wrk(f"http://127.0.0.1:{bare_port}/inbox", warm, POST_CONNS, script=lua, script_args=[reqs, lens, "0"])
            bare = wrk(f"http://127.0.0.1:{bare_port}/inbox", post_secs, POST_CONNS, script=lua,
                       script_args=[reqs, lens, str(warm_n)], pid=proc.pid)
        # As shipped (`yinhu serve`, workers in the same process handling what arrives), then
        # with the workers in their own process (`serve --no-workers` + `yinhu worker`), on a
        # fresh database so the same pre-signed activities are new there too.
        for extra, label, name in (([], "signed inbox POST /inbox", "inbox_post"),
                                   (["--no-workers"], "  … serve --no-workers", "inbox_post_no_workers")):
            target = data
            if extra:
                target = tmp / "yinhu-no-workers"
                init_instance(target, port)
                insert_remote_signer(target, public_pem)
            with process([YINHU, "serve", "--data", str(target), "--port", str(port), "--log-level", "warning", *extra],
                         port, SERVER_CPU) as proc:
                wrk(f"http://127.0.0.1:{port}/inbox", warm, POST_CONNS, script=lua, script_args=[reqs, lens, "0"])
                spy = py_spy(proc.pid, post_secs, profile / f"{name}.{PROFILE_FORMAT}") if profile else None
                yinhu = wrk(f"http://127.0.0.1:{port}/inbox", post_secs, POST_CONNS, script=lua,
                            script_args=[reqs, lens, str(warm_n)], pid=proc.pid)
                if spy:
                    spy.wait()
            stored = count_inbox(target)
            note = ""
            for load in (yinhu, bare):
                if warm_n + load.requests > count:
                    note = "ids repeated: pool too small"
            res.rows.append(Row(label, yinhu, bare, "≥ 2,000/s, p99 < 50 ms",
                                note or f"{stored:,} rows stored (warm-up incl.)"))


def count_inbox(data: Path) -> int:
    import sqlite3

    db = data / "yinhu.sqlite3"
    with contextlib.closing(sqlite3.connect(db)) as conn:
        return int(conn.execute("SELECT count(*) FROM inbox_items").fetchone()[0])


# ----------------------------------------------------------------------------------------
# 3: deliveries, in this process


@dataclass
class Timed:
    count: int
    seconds: float
    detail: str = ""
    cpu: float = float("nan")

    @property
    def rate(self) -> float:
        return self.count / self.seconds if self.seconds else 0.0


async def _deliveries(tmp: Path, rport: int, n_personal: int, n_shared_inboxes: int, per_shared: int,
                      profile: Path | None) -> dict[str, Timed]:
    import aiohttp
    from sqlalchemy import func, insert, select

    from actors.publishing.publishing import publish
    from actors.queues.delivery import DeliveryWorker
    from actors.social.local import create_community, initialise
    from actors.storage.instance import Instance, utcnow
    from actors.storage.models import DeliveryState, FollowState, actors, deliveries, follows
    from actors.storage.settings import Settings
    from fedi.httpsig import sign_headers

    data = tmp / "delivery"
    settings = Settings(url="http://127.0.0.1:9", data_dir=data, dev=True)
    data.mkdir(parents=True)
    inst = await Instance.open(settings, check_schema=False)
    await initialise(inst)
    await create_community(inst, "personal", name="Personal")
    await create_community(inst, "shared", name="Shared")
    base = f"http://127.0.0.1:{rport}"
    now = utcnow()
    async with inst.engine.begin() as conn:
        ids = {r.username: r.id for r in await conn.execute(select(actors.c.id, actors.c.username).where(actors.c.local.is_(True)))}
        rows = []
        for i in range(n_personal):
            rows.append(dict(uri=f"{base}/users/p{i}", local=False, type="Person", username=f"p{i}", domain=f"127.0.0.1:{rport}",
                             name="", summary="", inbox=f"{base}/users/p{i}/inbox", shared_inbox=None,
                             key_id=f"{base}/users/p{i}#main-key", public_key_pem="x", manually_approves=False,
                             fetched_at=now, created_at=now, updated_at=now))
        for j in range(n_shared_inboxes):
            for k in range(per_shared):
                name = f"s{j}_{k}"
                rows.append(dict(uri=f"{base}/h{j}/users/{name}", local=False, type="Person", username=name,
                                 domain=f"127.0.0.1:{rport}", name="", summary="",
                                 inbox=f"{base}/h{j}/users/{name}/inbox", shared_inbox=f"{base}/h{j}/inbox",
                                 key_id=f"{base}/h{j}/users/{name}#main-key", public_key_pem="x",
                                 manually_approves=False, fetched_at=now, created_at=now, updated_at=now))
        for start in range(0, len(rows), 2000):
            await conn.execute(insert(actors), rows[start:start + 2000])
        remote = list(await conn.execute(select(actors.c.id, actors.c.username).where(actors.c.local.is_(False))))
        frows = [dict(follower_id=r.id, followed_id=ids["personal" if r.username.startswith("p") else "shared"],
                      follow_uri=f"{base}/follows/{r.id}", state=FollowState.ACCEPTED.value, created_at=now, updated_at=now)
                 for r in remote]
        for start in range(0, len(frows), 2000):
            await conn.execute(insert(follows), frows[start:start + 2000])

    out: dict[str, Timed] = {}
    for slug in ("personal", "shared"):
        t0 = time.perf_counter()
        pub = await publish(inst, slug, {"type": "note", "content": f"hello #{slug} followers"})
        out[f"publish:{slug}"] = Timed(pub.recipients, time.perf_counter() - t0)
        worker = DeliveryWorker(inst)
        spy = py_spy(os.getpid(), 3 if slug == "shared" else 12, profile / f"deliver_{slug}.{PROFILE_FORMAT}") if profile else None
        if spy:
            time.sleep(0.5)
        t0, c0 = time.perf_counter(), cpu_seconds(os.getpid())
        sent = batches = 0
        while (done := await worker.run_once()):
            sent += done
            batches += 1
        seconds = time.perf_counter() - t0
        cpu = (cpu_seconds(os.getpid()) - c0) / seconds
        if spy:
            spy.wait()
        async with inst.engine.connect() as conn:
            states = dict(list(await conn.execute(select(deliveries.c.state, func.count()).group_by(deliveries.c.state))))
        ok = states.get(DeliveryState.SENT.value, 0)
        out[f"deliver:{slug}"] = Timed(pub.recipients, seconds, f"{batches} batches; states so far {states}", cpu)
        assert ok >= pub.recipients, states
        # ceiling: the same number of signed POSTs to the same receivers, no database
        async with inst.engine.connect() as conn:
            key = (await conn.execute(select(actors.c.key_id, actors.c.private_key_pem).where(actors.c.id.in_(
                select(actors.c.id).where(actors.c.username == slug))))).one()
            targets = [r.inbox for r in await conn.execute(
                select(deliveries.c.inbox).where(deliveries.c.state == DeliveryState.SENT.value).order_by(deliveries.c.id.desc()).limit(pub.recipients))]
        body = b'{"@context":"https://www.w3.org/ns/activitystreams","type":"Create","object":{}}' + b" " * 900
        # Bare aiohttp (the network layer under Yinhu's httpx client) plus our signing.
        session = aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=200))
        sem = asyncio.Semaphore(DELIVERY_CONCURRENCY)
        codes: dict[int, int] = {}

        async def post(url: str) -> None:
            async with sem:
                hdrs = {"Content-Type": "application/activity+json"}
                hdrs.update(sign_headers("POST", url, hdrs, body, key.key_id, key.private_key_pem))
                async with session.post(url, data=body, headers=hdrs) as r:
                    await r.read()
                    codes[r.status] = codes.get(r.status, 0) + 1

        await asyncio.gather(*(post(u) for u in targets[:200]))  # warm the pool like the worker's earlier batches
        t0, c0 = time.perf_counter(), cpu_seconds(os.getpid())
        await asyncio.gather(*(post(u) for u in targets))
        seconds = time.perf_counter() - t0
        out[f"ceiling:{slug}"] = Timed(len(targets), seconds, f"codes {codes}", (cpu_seconds(os.getpid()) - c0) / seconds)
        await session.close()
    await inst.close()
    return out


def bench_delivery(res: Results, quick: bool, tmp: Path, profile: Path | None) -> None:
    os.sched_setaffinity(0, {int(SERVER_CPU)})
    rport = free_port()
    n_personal = 2000 if quick else 10000
    n_shared, per_shared = (200, 10) if quick else (1000, 10)
    with process(helper("receiver", rport), rport, LOAD_CPU):
        t = asyncio.run(_deliveries(tmp, rport, n_personal, n_shared, per_shared, profile))
    os.sched_setaffinity(0, {0, 1})
    for slug, label, target in (("personal", f"deliveries, {n_personal:,} personal inboxes", "≥ 1,000/s (10k in ~10 s)"),
                                ("shared", f"deliveries, {n_shared:,} shared inboxes", "1,000 in ~1 s")):
        y, c = t[f"deliver:{slug}"], t[f"ceiling:{slug}"]
        res.rows.append(Row(label, Load(y.rate, float("nan"), float("nan"), y.count, cpu=y.cpu),
                            Load(c.rate, float("nan"), float("nan"), c.count, cpu=c.cpu), target,
                            f"{y.count:,} sent in {y.seconds:.2f} s (ceiling {c.seconds:.2f} s); publish() "
                            f"{t[f'publish:{slug}'].seconds * 1000:.0f} ms"))
        res.extra.append(f"{slug}: worker {y.detail}; ceiling {c.detail}")


# ----------------------------------------------------------------------------------------


def bench_rsa(res: Results, quick: bool) -> None:
    n = "2000" if quick else "5000"
    out = subprocess.run(["taskset", "-c", SERVER_CPU, PY, str(ROOT / "bench" / "bench_httpsig.py"), n],
                         capture_output=True, text=True, check=True, cwd=ROOT).stdout
    res.extra.append("bench/bench_httpsig.py (CPU 0):\n    " + "\n    ".join(out.strip().splitlines()))


def table(res: Results) -> str:
    head = ("benchmark", "Yinhu", "p50 ms", "p99 ms", "cpu", "ceiling", "p50 ms", "p99 ms", "cpu", "ratio", "target", "notes")
    lines = []
    for r in res.rows:
        y = r.yinhu.cells() if r.yinhu else ("-",) * 4
        c = r.ceiling.cells() if r.ceiling else ("-",) * 4
        ratio = f"{r.yinhu.rps / r.ceiling.rps:.2f}" if r.yinhu and r.ceiling and r.ceiling.rps else "-"
        errs = "; ".join(e for e in ((r.yinhu.errors if r.yinhu else ""), (r.ceiling.errors if r.ceiling else "")) if e)
        note = "; ".join(x for x in (r.note, errs) if x)
        lines.append((r.name, *[v.replace("nan", "-") for v in y], *[v.replace("nan", "-") for v in c], ratio, r.target, note))
    widths = [max(len(str(row[i])) for row in [head, *lines]) for i in range(len(head))]
    fmt = lambda row: "  ".join(str(v).ljust(w) for v, w in zip(row, widths, strict=True)).rstrip()
    return "\n".join([fmt(head), fmt(tuple("-" * w for w in widths)), *map(fmt, lines)])


def busy_cpus(seconds: float = 1.0) -> str:
    """Busy share of each CPU over ``seconds`` before we start: other work on the machine."""
    def sample() -> list[tuple[int, int]]:
        out = []
        for line in Path("/proc/stat").read_text().splitlines():
            if re.match(r"cpu\d", line):
                v = list(map(int, line.split()[1:]))
                out.append((v[3] + v[4], sum(v)))
        return out
    a = sample()
    time.sleep(seconds)
    b = sample()
    return ", ".join(f"CPU {i} {1 - (bi[0] - ai[0]) / max(bi[1] - ai[1], 1):.0%}" for i, (ai, bi) in enumerate(zip(a, b)))


def main() -> None:
    # The bench is one sender pushing thousands of activities a minute: lift the inbox's
    # per-sender and per-host limits (a 429 is not what is measured here; tests cover it).
    os.environ.setdefault("YINHU_INBOX_RATE_PER_ACTOR", "100000000")
    os.environ.setdefault("YINHU_INBOX_RATE_PER_HOST", "100000000")
    if len(sys.argv) > 1 and sys.argv[1].startswith("_"):
        name, args = sys.argv[1][1:], sys.argv[2:]
        {"bare_get": lambda: serve_bare_get(int(args[0])), "receiver": lambda: serve_receiver(int(args[0])),
         "bare_inbox": lambda: serve_bare_inbox(int(args[0]), args[1], args[2])}[name]()
        return
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--quick", action="store_true", help="short runs and smaller sets (~1 min instead of ~3)")
    p.add_argument("--only", default="get,inbox,delivery,rsa",
                   help="comma-separated subset; 'feed' (not in the default) runs bench/bench_feed.py")
    p.add_argument("--profile", type=Path, help="record py-spy flame graphs of Yinhu into this directory")
    args = p.parse_args()
    only = set(args.only.split(","))
    if shutil.which("wrk") is None and only & {"get", "inbox"}:
        sys.exit("bench/run.py needs wrk (Debian: apt-get install wrk)")
    if args.profile:
        args.profile.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    cpus = os.cpu_count()
    print(f"Yinhu benchmarks ({'quick' if args.quick else 'full'}); {cpus} CPUs: servers pinned to CPU {SERVER_CPU}, "
          f"load generators (wrk -t1, fake receivers) to CPU {LOAD_CPU}", flush=True)
    print(f"GET: wrk -t1 -c{GET_CONNS} keep-alive; POST: wrk -t1 -c{POST_CONNS} replaying distinct pre-signed "
          f"requests; deliveries: concurrency {DELIVERY_CONCURRENCY}", flush=True)
    print(f"busy before start (other processes): {busy_cpus()}", flush=True)
    if args.profile:
        print(f"PROFILING with py-spy (on CPU {LOAD_CPU}, shared with the load generator): figures are lower than usual")
    res = Results()
    with tempfile.TemporaryDirectory(prefix="yinhu-bench-") as d:
        tmp = Path(d)
        if only & {"get", "inbox"}:
            bench_http(res, args.quick, only, tmp, args.profile)
        if "delivery" in only:
            bench_delivery(res, args.quick, tmp, args.profile)
        if "rsa" in only:
            bench_rsa(res, args.quick)
        if "feed" in only:  # its own table: page/search latency at 100,000 objects and Create ingest
            subprocess.run([PY, str(ROOT / "bench" / "bench_feed.py"), *(["--n", "20000", "--quick"] if args.quick else [])],
                           check=True, cwd=ROOT)
    print()
    print(table(res))
    print("cpu = share of one core the measured server (deliveries: this process) used during the run;"
          " well under 100% while saturated means it waited on I/O or lost CPU 0 to another process")
    print()
    for line in res.extra:
        print(line)
    print(f"busy after (other processes): {busy_cpus()}")
    print(f"\ntotal {time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    main()
