"""A receiving inbox server for tests and benchmarks with real processes: it counts every POST.

Run: ``python -m tests.fakes.receiver --port N [--slow REGEX --delay S]``. Any path accepts a
POST and answers 202 (after ``--delay`` seconds when the path matches ``--slow``); it checks no
signature (the receiving side is not what is under test). ``GET /_stats`` answers
``{"posts": n, "distinct": d, "duplicates": n - d, "in_flight": i, "paths": p, "first": t0,
"last_at": {path: t}}`` where a POST counts once it is answered, keyed by (path, activity id),
and times are ``time.time()`` of the answer.
"""

from __future__ import annotations

import argparse
import asyncio
import re
import time
from collections import Counter

import orjson
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route


def app(slow: str | None = None, delay: float = 0.0, with_times: bool = False) -> Starlette:
    pattern = re.compile(slow) if slow else None
    seen: Counter[tuple[str, str]] = Counter()
    last_at: dict[str, float] = {}
    state = {"in_flight": 0, "first": 0.0}

    async def inbox(request: Request) -> Response:
        body = await request.body()
        state["in_flight"] += 1
        try:
            if pattern is not None and pattern.search(request.url.path):
                await asyncio.sleep(delay)
            try:
                activity_id = str(orjson.loads(body).get("id"))
            except (orjson.JSONDecodeError, AttributeError):
                activity_id = ""
            seen[(request.url.path, activity_id)] += 1
            now = time.time()
            state["first"] = state["first"] or now
            last_at[request.url.path] = now
            return Response(status_code=202)
        finally:
            state["in_flight"] -= 1

    async def stats(request: Request) -> Response:
        posts = sum(seen.values())
        doc = {
            "posts": posts, "distinct": len(seen), "duplicates": posts - len(seen),
            "in_flight": state["in_flight"], "paths": len({p for p, _ in seen}), "first": state["first"],
        }
        if with_times or request.query_params.get("times"):
            doc["last_at"] = last_at
        return Response(orjson.dumps(doc), media_type="application/json")

    return Starlette(routes=[Route("/_stats", stats), Route("/{path:path}", inbox, methods=["POST"])])


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--slow", help="paths matching this regex answer after --delay seconds")
    p.add_argument("--delay", type=float, default=0.0)
    args = p.parse_args()
    uvicorn.run(app(args.slow, args.delay), host="127.0.0.1", port=args.port, log_level="warning",
                access_log=False, backlog=4096)


if __name__ == "__main__":
    main()
