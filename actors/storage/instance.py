"""The running instance: settings, database, HTTP client, keys and caches, opened once.

Everything below the web layer takes an ``Instance`` as its first argument instead of reading
globals, so a test can run three instances side by side in one process, each with its own
database, all sharing one ``httpx.AsyncClient`` whose mounts join them.
"""

from __future__ import annotations

import asyncio
import secrets
import time
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import httpx
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from actors.storage import migrate
from actors.storage.db import create_engine
from actors.storage.models import actors
from actors.storage.settings import Settings
from fedi.breaker import HostBreaker
from fedi.fetch import Resolver, default_resolver
from fedi.httpsig import HTTPSignatureAuth
from fedi.transport import network_client

__all__ = ["INSTANCE_ACTOR_USERNAME", "USER_AGENT", "Instance", "NotInitialised", "new_token", "utcnow"]

INSTANCE_ACTOR_USERNAME = "instance.actor"
USER_AGENT = "Yinhu/0.1 (+https://yinhu.social)"

_B32 = "0123456789abcdefghjkmnpqrstvwxyz"


def new_token() -> str:
    """A short, URL-safe, time-ordered id (48-bit milliseconds + 60 random bits, Crockford base32)."""
    value = (int(time.time() * 1000) << 60) | secrets.randbits(60)
    out = []
    for _ in range(22):
        out.append(_B32[value & 31])
        value >>= 5
    return "".join(reversed(out)).lstrip("0") or "0"


def utcnow() -> datetime:
    return datetime.now(UTC)


class NotInitialised(Exception):
    """The database has no schema or no instance actor: `yinhu init` was not run."""


@dataclass
class LocalKeys:
    actor_uri: str
    key_id: str
    private_key_pem: str


@dataclass
class Instance:
    settings: Settings
    engine: AsyncEngine
    client: httpx.AsyncClient
    resolver: Resolver = default_resolver
    clock: Callable[[], datetime] = utcnow
    owns_client: bool = False
    instance_actor: LocalKeys | None = None
    # Woken when work is queued in this process, so in-process workers start at once.
    inbox_wakeup: asyncio.Event = field(default_factory=asyncio.Event)
    delivery_wakeup: asyncio.Event = field(default_factory=asyncio.Event)
    # Small in-process caches; each says what it holds and for how long where it is used.
    cache: dict[str, Any] = field(default_factory=dict)
    _auths: dict[str, HTTPSignatureAuth] = field(default_factory=dict)
    # Hosts that just failed to answer a fetch, left alone for a cool-down (per process).
    breaker: HostBreaker = field(init=False)

    # Work started in the background (refreshes of stale remote actors): cancelled at close.
    background: set[asyncio.Task[Any]] = field(default_factory=set)

    def __post_init__(self) -> None:
        self.breaker = HostBreaker(lambda: self.clock())

    def spawn(self, coro: Coroutine[Any, Any, Any], name: str) -> asyncio.Task[Any]:
        """Run ``coro`` beside the caller; it is cancelled when the instance closes."""
        task = asyncio.create_task(coro, name=name)
        self.background.add(task)
        task.add_done_callback(self.background.discard)
        return task

    @classmethod
    async def open(
        cls,
        settings: Settings,
        *,
        client: httpx.AsyncClient | None = None,
        resolver: Resolver | None = None,
        clock: Callable[[], datetime] | None = None,
        check_schema: bool = True,
    ) -> Instance:
        engine = create_engine(settings.database_url)
        owns = client is None
        if client is None:
            # Room for every send a delivery worker may hold open (four per slot, parked ones
            # included: actors.queues.delivery) and for the fetches beside them.
            client = network_client(user_agent=USER_AGENT, allow_private=settings.allow_private,
                                    max_connections=4 * settings.delivery_concurrency + 256)
        inst = cls(
            settings=settings,
            engine=engine,
            client=client,
            resolver=resolver or default_resolver,
            clock=clock or utcnow,
            owns_client=owns,
        )
        if check_schema:
            try:
                await inst.load_instance_actor()
            except BaseException:
                await inst.close()
                raise
        return inst

    async def load_instance_actor(self) -> None:
        current = await migrate.current_revision(self.engine)
        if current is None:
            raise NotInitialised(
                f"the database has no Yinhu schema; run `yinhu init --url URL --data {self.settings.data_dir}`"
            )
        if current != migrate.head_revision():
            raise NotInitialised(
                f"the database schema is at {current}, this Yinhu needs {migrate.head_revision()}; run `yinhu migrate`"
            )
        async with self.engine.connect() as conn:
            row = (
                await conn.execute(
                    select(actors.c.uri, actors.c.key_id, actors.c.private_key_pem).where(
                        actors.c.local.is_(True), actors.c.username == INSTANCE_ACTOR_USERNAME
                    )
                )
            ).first()
        if row is None:
            raise NotInitialised("the instance actor is missing; run `yinhu init`")
        self.instance_actor = LocalKeys(row.uri, row.key_id, row.private_key_pem)

    async def close(self) -> None:
        for task in list(self.background):
            task.cancel()
        await asyncio.gather(*self.background, return_exceptions=True)
        if self.owns_client:
            await self.client.aclose()
        await self.engine.dispose()

    # --- URLs -------------------------------------------------------------------------------
    @property
    def base(self) -> str:
        return self.settings.url

    def actor_uri(self, username: str) -> str:
        if username == INSTANCE_ACTOR_USERNAME:
            return f"{self.base}/actor"
        return f"{self.base}/c/{username}"

    def object_uri(self, token: str) -> str:
        return f"{self.base}/o/{token}"

    def activity_uri(self, token: str) -> str:
        return f"{self.base}/a/{token}"

    @property
    def shared_inbox(self) -> str:
        return f"{self.base}/inbox"

    def is_local_uri(self, uri: str) -> bool:
        return uri == self.base or uri.startswith(self.base + "/")

    # --- signing ----------------------------------------------------------------------------
    def auth_for(self, key_id: str, private_key_pem: str) -> HTTPSignatureAuth:
        """One signer per key, reused: the parsed private key is cached inside fedi.keys."""
        auth = self._auths.get(key_id)
        if auth is None:
            auth = HTTPSignatureAuth(key_id, private_key_pem, clock=self.clock)
            self._auths[key_id] = auth
        return auth

    @property
    def fetch_auth(self) -> HTTPSignatureAuth:
        """Every outbound GET is signed by the instance actor (secure-mode peers require it)."""
        if self.instance_actor is None:
            raise NotInitialised("instance actor not loaded")
        return self.auth_for(self.instance_actor.key_id, self.instance_actor.private_key_pem)

    def wake(self) -> None:
        self.delivery_wakeup.set()
