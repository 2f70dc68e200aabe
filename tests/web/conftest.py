"""A Yinhu instance with two communities and organiser accounts, and a browser-like client."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from dataclasses import dataclass

import httpx
import pytest

from actors.social.accounts import create_account
from actors.social.local import create_community
from actors.storage.models import Role
from tests.conftest import Fediverse, Node

PASSWORD = "correct horse battery"
CSRF_RE = re.compile(r'name="csrf" value="([^"]+)"')


@dataclass
class Site:
    node: Node
    client: httpx.AsyncClient

    async def csrf(self, path: str = "/login") -> str:
        resp = await self.client.get(path)
        match = CSRF_RE.search(resp.text)
        assert match, resp.text
        return match.group(1)

    async def login(self, name: str, password: str = PASSWORD) -> httpx.Response:
        token = await self.csrf("/login")
        return await self.client.post("/login", data={"name": name, "password": password, "csrf": token})


@pytest.fixture
async def site(fed: Fediverse) -> AsyncIterator[Site]:
    node = await fed.yinhu("a.test")
    await create_community(node.inst, "garden", name="花园")
    await create_community(node.inst, "chess", name="Chess club")
    await create_account(node.inst, "lin", PASSWORD, community="garden", role=Role.OWNER)
    await create_account(node.inst, "mod", PASSWORD, community="chess", role=Role.MODERATOR)
    transport = httpx.ASGITransport(app=node.app)
    async with httpx.AsyncClient(transport=transport, base_url=node.base) as client:
        yield Site(node, client)
