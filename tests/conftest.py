"""Fixtures that build real Yinhu instances on SQLite and, when asked, on PostgreSQL.

``db`` is parametrized over the backends: every test that uses it (directly or through
``fed``) runs once per backend. PostgreSQL runs only when ``YINHU_TEST_POSTGRES`` names a
reachable server database (e.g. ``postgresql+asyncpg://postgres@127.0.0.1:5432/test``); each
instance then gets its own fresh database, dropped afterwards.

``fed`` is a small fediverse in one process: our own ``create_app()`` instances and fake
remote servers joined by one ``httpx.AsyncClient`` whose transport routes by host. Workers
are driven by ``fed.drain()``, never by sleeping.
"""

from __future__ import annotations

import contextlib
import os
import secrets
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy.engine import make_url
from starlette.applications import Starlette

from actors.queues.delivery import DeliveryWorker
from actors.social.local import initialise
from actors.storage.instance import Instance
from actors.storage.settings import Settings
from inbox.dispatch import InboxWorker
from tests.fakes.clock import Clock
from tests.fakes.remote import FakeRemote
from tests.fakes.router import HostRouter
from web.app import create_app

POSTGRES_ENV = "YINHU_TEST_POSTGRES"
POSTGRES_SKIP = f"set {POSTGRES_ENV}=postgresql+asyncpg://... to run database tests on PostgreSQL"
PUBLIC_IP = "93.184.216.34"


async def fake_resolver(host: str) -> list[str]:
    """DNS for ``.test`` hosts (only consulted when private addresses are not allowed)."""
    return [PUBLIC_IP]


# --- databases ------------------------------------------------------------------------------


class Databases:
    """Hands out one empty database URL per call and removes them all at the end."""

    def __init__(self, backend: str, tmp_path: Path) -> None:
        self.backend = backend
        self.tmp_path = tmp_path
        self._created: list[str] = []
        self._n = 0

    async def new(self) -> str:
        self._n += 1
        if self.backend == "sqlite":
            return f"sqlite+aiosqlite:///{self.tmp_path / f'db{self._n}.sqlite3'}"
        server = make_url(os.environ[POSTGRES_ENV])
        name = f"yinhu_test_{secrets.token_hex(6)}"
        conn = await _pg_connect(server)
        try:
            await conn.execute(f'CREATE DATABASE "{name}"')
        finally:
            await conn.close()
        self._created.append(name)
        return server.set(database=name).render_as_string(hide_password=False)

    async def drop_all(self) -> None:
        if not self._created:
            return
        conn = await _pg_connect(make_url(os.environ[POSTGRES_ENV]))
        try:
            for name in self._created:
                await conn.execute(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    "WHERE datname = $1 AND pid <> pg_backend_pid()",
                    name,
                )
                await conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        finally:
            await conn.close()


async def _pg_connect(url: Any) -> Any:
    import asyncpg

    return await asyncpg.connect(
        host=url.host or "127.0.0.1",
        port=url.port or 5432,
        user=url.username or "postgres",
        password=url.password,
        database=url.database or "postgres",
    )


@pytest.fixture(
    params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)],
)
async def db(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Databases]:
    if request.param == "postgres" and not os.environ.get(POSTGRES_ENV):
        pytest.skip(POSTGRES_SKIP)
    dbs = Databases(request.param, tmp_path)
    try:
        yield dbs
    finally:
        await dbs.drop_all()


@pytest.fixture
async def db_url(db: Databases) -> str:
    return await db.new()


# --- instances ------------------------------------------------------------------------------


async def initialise_database(settings: Settings, client: httpx.AsyncClient) -> None:
    """``yinhu init`` for a test: schema, instance actor and feed actor."""
    inst = await Instance.open(settings, client=client, check_schema=False)
    try:
        await initialise(inst)
    finally:
        await inst.close()


@dataclass
class Node:
    """One running Yinhu app: its instance, its clock and its base URL."""

    app: Starlette
    inst: Instance
    clock: Clock
    host: str
    stack: contextlib.AsyncExitStack

    @property
    def base(self) -> str:
        return f"http://{self.host}"

    def url(self, path: str) -> str:
        return self.base + path


@dataclass
class Fediverse:
    router: HostRouter
    client: httpx.AsyncClient
    db: Databases
    tmp_path: Path
    stack: contextlib.AsyncExitStack
    nodes: list[Node] = field(default_factory=list)
    remotes: list[FakeRemote] = field(default_factory=list)
    # One clock for the whole fediverse: moving it moves every node and fake remote, as real
    # time does, so signatures made by one are checked against the same time by the others.
    clock: Clock = field(default_factory=Clock)

    async def yinhu(self, host: str = "a.test", **settings: Any) -> Node:
        """A new, initialised Yinhu instance at ``http://host`` with its own database."""
        data_dir = self.tmp_path / host
        data_dir.mkdir(exist_ok=True)
        conf = Settings(url=f"http://{host}", data_dir=data_dir, database_url=await self.db.new(), dev=True, **settings)
        await initialise_database(conf, self.client)
        return await self.start(conf)

    async def start(self, conf: Settings) -> Node:
        """Run an app on an initialised database (the lifespan opens the instance)."""
        clock = self.clock
        app = create_app(conf, client=self.client, resolver=fake_resolver, clock=clock, workers=False)
        node_stack = contextlib.AsyncExitStack()
        await node_stack.enter_async_context(app.router.lifespan_context(app))
        self.stack.push_async_callback(node_stack.aclose)
        host = conf.host
        self.router.add(host, app)
        node = Node(app, app.state.instance, clock, host, node_stack)
        self.nodes.append(node)
        return node

    async def restart(self, node: Node) -> Node:
        """Stop ``node`` (its instance closes) and start a new app on the same database."""
        await node.stack.aclose()
        self.nodes.remove(node)
        return await self.start(node.inst.settings)

    async def club_and_follower(self, domain: str = "remote.test", user: str = "alice") -> tuple[Node, Any, FakeRemote, Any, dict[str, Any]]:
        """a.test with the community "club", and a user of ``domain`` with its Follow of the
        club built (not sent): (node, club, remote, user, follow)."""
        from actors.social.local import create_community

        node = await self.yinhu("a.test")
        club = await create_community(node.inst, "club", name="Club")
        remote = self.remote(domain)
        person = remote.add_user(user)
        return node, club, remote, person, person.follow(club)

    async def kept_and_deleted(self, kept: str, deleted: str, name: str = "Club") -> tuple[Node, Any, Any]:
        """a.test with the community "club" and two notes published, the second deleted:
        (node, kept, deleted), each as ``publish`` returned it."""
        from actors.publishing.publishing import delete_object, publish
        from actors.social.local import create_community

        node = await self.yinhu("a.test")
        await create_community(node.inst, "club", name=name)
        first = await publish(node.inst, "club", {"type": "note", "content": kept})
        second = await publish(node.inst, "club", {"type": "note", "content": deleted})
        await delete_object(node.inst, second.uri)
        return node, first, second

    def remote(self, domain: str = "remote.test", *, shared_inbox: bool = True) -> FakeRemote:
        fake = FakeRemote(domain, self.client, self.router, shared_inbox=shared_inbox, clock=self.clock)
        self.remotes.append(fake)
        return fake

    async def drain(self, *nodes: Node, max_rounds: int = 50) -> int:
        """Run the inbox and delivery workers of ``nodes`` (default: all) until all are idle."""
        targets = nodes or tuple(self.nodes)
        total = 0
        for _ in range(max_rounds):
            done = 0
            for node in targets:
                done += await InboxWorker(node.inst).run_once()
                done += await DeliveryWorker(node.inst).run_once()
            if done == 0:
                return total
            total += done
        raise AssertionError(f"workers still busy after {max_rounds} rounds")


@pytest.fixture
async def fed(db: Databases, tmp_path: Path) -> AsyncIterator[Fediverse]:
    router = HostRouter()
    async with contextlib.AsyncExitStack() as stack:
        client = await stack.enter_async_context(httpx.AsyncClient(transport=router, timeout=10.0))
        yield Fediverse(router, client, db, tmp_path, stack)

