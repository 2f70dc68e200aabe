"""The Starlette application factory: routes, the instance, and the in-process workers."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Callable
from datetime import datetime

import httpx
from starlette.applications import Starlette
from starlette.types import ASGIApp

from actors.publishing.media import close_pool
from actors.storage.db import checkpoint_wal
from actors.storage.instance import Instance
from actors.storage.settings import Settings
from fedi.fetch import Resolver
from inbox.receive import Receiver
from web import (
    admin,
    api,
    calendar,
    conversations,
    dashboard,
    federation,
    feed,
    interact,
    join,
    moderation,
    pages,
    resident,
    submit,
    wellknown,
)
from web.errors import exception_handlers
from web.security import SecurityHeaders
from web.sessions import session_middleware
from web.workers import run_workers

__all__ = ["create_app"]

log = logging.getLogger("yinhu.web")


class _App(Starlette):
    """Starlette with the security headers outside even its own error middleware, so a 500
    page carries them too (``Starlette(middleware=...)`` would sit inside it)."""

    def build_middleware_stack(self) -> ASGIApp:
        return SecurityHeaders(super().build_middleware_stack(), dev=self.state.settings.dev,
                               base=self.state.settings.url)


def create_app(
    settings: Settings,
    *,
    client: httpx.AsyncClient | None = None,
    resolver: Resolver | None = None,
    clock: Callable[[], datetime] | None = None,
    workers: bool = True,
) -> Starlette:
    """Build the app. The instance opens in the lifespan; ``workers=False`` leaves the queues
    to a separate ``yinhu worker`` process (or to a test calling ``run_once()``)."""

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        inst = await Instance.open(settings, client=client, resolver=resolver, clock=clock)
        app.state.instance = inst
        app.state.receiver = Receiver(inst)
        stop = asyncio.Event()
        # Without the workers this process still writes (the inbox), so it still checkpoints.
        task = asyncio.create_task(run_workers(inst, stop) if workers else checkpoint_wal(settings.database_url, stop))
        try:
            yield
        finally:
            stop.set()
            await task
            await app.state.receiver.close()
            await inst.close()
            await asyncio.to_thread(close_pool)

    routes = [
        *wellknown.routes,
        *resident.routes,  # the resident pages; "/" is the shared feed's home
        *calendar.routes,
        *moderation.routes,
        *pages.routes,  # before federation: /o/{token}.ics must win over /o/{token}
        *conversations.routes,
        *interact.routes,
        *submit.routes,  # /c/SLUG/submit and /c/SLUG/join/TOKEN, pages for people
        *join.routes,
        *federation.routes,
        *api.routes,
        *feed.routes,
        *dashboard.routes,
        *admin.routes,
    ]
    app = _App(
        routes=routes, lifespan=lifespan, exception_handlers=exception_handlers,
        middleware=[session_middleware(settings)],
    )
    app.state.settings = settings
    return app
