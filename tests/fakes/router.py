"""One httpx transport that dispatches by host to ASGI apps registered later.

Every app in a federation test (our own ``create_app()`` instances and the fake remotes) is
reached through one shared ``httpx.AsyncClient`` built on this router, so an app can be
registered after the client exists and handed to the other apps. A host can be marked down,
which makes requests to it fail with ``httpx.ConnectError`` as a dead server would;
``attempts`` counts the requests made to each host, down or not.
"""

from __future__ import annotations

from collections import Counter

import httpx
from starlette.types import ASGIApp

__all__ = ["HostRouter"]


class HostRouter(httpx.AsyncBaseTransport):
    def __init__(self) -> None:
        self._apps: dict[str, httpx.ASGITransport] = {}
        self.down: set[str] = set()
        self.attempts: Counter[str] = Counter()

    def add(self, host: str, app: ASGIApp) -> None:
        self._apps[host.lower()] = httpx.ASGITransport(app=app)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        host = request.url.netloc.decode("ascii").lower()
        self.attempts[host] += 1
        if host in self.down:
            raise httpx.ConnectError(f"connection refused by {host} (marked down)", request=request)
        transport = self._apps.get(host)
        if transport is None:
            raise httpx.ConnectError(f"no app mounted for {host}", request=request)
        return await transport.handle_async_request(request)
