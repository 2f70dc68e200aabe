"""A receiving inbox server for tests and benchmarks with real processes: it counts every POST.

Run: ``python -m tests.fakes.receiver --port N [--slow REGEX --delay S] [--latency S]``. Any
path accepts a POST and answers 202, after ``--delay`` seconds when the path matches ``--slow``
and ``--latency`` seconds otherwise (0 by default: what a real server across a network never
is, but what keeps tests short); it checks no
signature (the receiving side is not what is under test). ``GET /_stats`` answers
``{"posts": n, "distinct": d, "duplicates": n - d, "in_flight": i, "paths": p, "first": t0,
"last_at": {path: t}}`` where a POST counts once it is answered (or would have been, had the
client waited), keyed by (path, activity id), and times are ``time.time()`` of the answer
(``last_at`` only with ``?times=1``).

The inboxes it stands for are other servers on other machines, so it is kept cheap: a bare
asyncio protocol that reads HTTP/1.1 requests with a ``Content-Length`` (what every client
under test sends) on keep-alive connections. In bench_queues' delivery run two of them used
0.4–0.5 s of CPU for 2,000 POSTs, start-up included, where a Starlette app under uvicorn used
0.9–1.3 s: on a two-core machine that is left to the workers being measured. Anything it
cannot read gets a 400 and the connection is closed.
"""

from __future__ import annotations

import argparse
import asyncio
import re
import time
from collections import Counter
from typing import Any

import orjson

_MAX_HEAD = 64 * 1024
_MAX_BODY = 16 * 1024 * 1024


class Counts:
    """What the server has answered, by (path, activity id)."""

    def __init__(self, slow: str | None, delay: float, latency: float = 0.0) -> None:
        self.pattern = re.compile(slow) if slow else None
        self.delay, self.latency = delay, latency
        self.seen: Counter[tuple[str, str]] = Counter()
        self.last_at: dict[str, float] = {}
        self.in_flight = 0
        self.first = 0.0

    def delay_for(self, path: str) -> float:
        return self.delay if self.pattern is not None and self.pattern.search(path) else self.latency

    def answered(self, path: str, body: bytes) -> None:
        try:
            activity_id = str(orjson.loads(body).get("id"))
        except (orjson.JSONDecodeError, AttributeError):
            activity_id = ""
        self.seen[(path, activity_id)] += 1
        now = time.time()
        self.first = self.first or now
        self.last_at[path] = now

    def stats(self, with_times: bool) -> bytes:
        posts = sum(self.seen.values())
        doc: dict[str, Any] = {
            "posts": posts, "distinct": len(self.seen), "duplicates": posts - len(self.seen),
            "in_flight": self.in_flight, "paths": len({p for p, _ in self.seen}), "first": self.first,
        }
        if with_times:
            doc["last_at"] = self.last_at
        return orjson.dumps(doc)


def _response(status: str, body: bytes = b"", content_type: str = "text/plain") -> bytes:
    return (f"HTTP/1.1 {status}\r\ncontent-type: {content_type}\r\ncontent-length: {len(body)}\r\n\r\n").encode() + body


class Inbox(asyncio.Protocol):
    """One connection: requests one after another (clients under test do not pipeline)."""

    def __init__(self, counts: Counts) -> None:
        self.counts = counts
        self.buffer = bytearray()
        self.transport: asyncio.Transport | None = None
        self.busy = False  # a request is being answered (a slow one waits its delay)

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        if not self.busy:
            self._next()

    def _fail(self) -> None:
        assert self.transport is not None
        self.transport.write(_response("400 Bad Request", b"unreadable request"))
        self.transport.close()

    def _next(self) -> None:
        end = self.buffer.find(b"\r\n\r\n")
        if end < 0:
            if len(self.buffer) > _MAX_HEAD:
                self._fail()
            return
        try:
            head = bytes(self.buffer[:end]).decode("latin-1").split("\r\n")
            method, target, _ = head[0].split(" ", 2)
            headers = {k.strip().lower(): v.strip() for k, _, v in (line.partition(":") for line in head[1:])}
            length = int(headers.get("content-length", "0"))
        except ValueError:
            self._fail()
            return
        if length < 0 or length > _MAX_BODY or "chunked" in headers.get("transfer-encoding", "").lower():
            self._fail()
            return
        if len(self.buffer) < end + 4 + length:
            return
        body = bytes(self.buffer[end + 4 : end + 4 + length])
        del self.buffer[: end + 4 + length]
        path, _, query = target.partition("?")
        close = headers.get("connection", "").lower() == "close"
        if method == "GET" and path == "/_stats":
            self._answer(_response("200 OK", self.counts.stats("times" in query), "application/json"), close)
        elif method == "POST":
            self.busy = True
            self.counts.in_flight += 1
            delay = self.counts.delay_for(path)
            loop = asyncio.get_running_loop()
            if delay:
                loop.call_later(delay, self._posted, path, body, close)
            else:
                self._posted(path, body, close)
        else:
            self._answer(_response("405 Method Not Allowed"), close)

    def _posted(self, path: str, body: bytes, close: bool) -> None:
        self.counts.in_flight -= 1
        self.busy = False
        self.counts.answered(path, body)  # as a real server would have it, even if the client gave up
        if self.transport is None or self.transport.is_closing():
            return
        self._answer(_response("202 Accepted"), close)

    def _answer(self, response: bytes, close: bool) -> None:
        assert self.transport is not None
        self.transport.write(response)
        if close:
            self.transport.close()
        elif self.buffer:
            self._next()

    def connection_lost(self, exc: Exception | None) -> None:
        self.transport = None


async def serve(port: int, slow: str | None, delay: float, latency: float) -> None:
    counts = Counts(slow, delay, latency)
    loop = asyncio.get_running_loop()
    server = await loop.create_server(lambda: Inbox(counts), "127.0.0.1", port, backlog=4096)
    async with server:
        await server.serve_forever()


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--slow", help="paths matching this regex answer after --delay seconds")
    p.add_argument("--delay", type=float, default=0.0)
    p.add_argument("--latency", type=float, default=0.0, help="seconds every other POST takes to answer")
    args = p.parse_args()
    try:
        asyncio.run(serve(args.port, args.slow, args.delay, args.latency))
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
