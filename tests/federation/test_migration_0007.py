"""Migration 0007 fills ``objects.visibility`` and ``objects.community_id`` for rows stored
before it, from their raw JSON: what was private stays hidden after the upgrade."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import orjson
from sqlalchemy import insert, select

from actors.storage import migrate
from actors.storage.db import create_engine
from actors.storage.models import actors, follows, objects
from tests.conftest import Databases

PUBLIC = "https://www.w3.org/ns/activitystreams#Public"
NOW = datetime(2026, 12, 1, tzinfo=UTC)


def _actor(uri: str, *, local: bool = False, type_: str = "Person") -> dict[str, Any]:
    name = uri.rsplit("/", 1)[-1]
    return {"uri": uri, "local": local, "type": type_, "username": name, "domain": uri.split("/")[2],
            "created_at": NOW, "updated_at": NOW}


async def test_0007_reads_visibility_and_community_from_the_stored_json(db: Databases) -> None:
    engine = create_engine(await db.new())
    try:
        await migrate.upgrade(engine, "0006")
        async with engine.begin() as conn:
            ids = {}
            for key, values in {
                "feed": _actor("http://c.test/c/yinhu", local=True, type_="Service"),
                "garden": _actor("http://c.test/c/garden", local=True, type_="Group"),
                "lemmy": _actor("http://lemmy.test/c/gardens", type_="Group"),
                "picard": _actor("http://lemmy.test/u/picard"),
                "alice": _actor("http://masto.test/users/alice"),
            }.items():
                ids[key] = (await conn.execute(insert(actors).values(**values).returning(actors.c.id))).scalar_one()
            await conn.execute(insert(follows).values(follower_id=ids["feed"], followed_id=ids["lemmy"],
                                                      follow_uri="http://c.test/a/1", state="accepted",
                                                      created_at=NOW, updated_at=NOW))

            async def obj(uri: str, actor: str, doc: dict[str, Any], *, local: bool = False) -> None:
                await conn.execute(insert(objects).values(
                    uri=uri, actor_id=ids[actor], local=local, type="Note", content="", published=NOW,
                    raw=orjson.dumps({"id": uri, **doc}).decode()))

            await obj("http://c.test/o/1", "garden", {"to": [PUBLIC]}, local=True)
            await obj("http://lemmy.test/post/1", "picard",
                      {"attributedTo": "http://lemmy.test/u/picard", "audience": "http://lemmy.test/c/gardens",
                       "to": ["http://lemmy.test/c/gardens", PUBLIC]})
            await obj("http://masto.test/s/1", "alice", {"to": ["http://c.test/c/garden"], "cc": []})
            await obj("http://masto.test/s/2", "alice", {"to": ["http://masto.test/users/alice/followers"]})
            await obj("http://masto.test/s/3", "alice", {"to": ["as:Public"], "cc": []})
            await obj("http://masto.test/s/4", "alice", {"to": [], "cc": ["Public"]})
        await migrate.upgrade(engine)
        async with engine.connect() as conn:
            rows = {r.uri: r for r in await conn.execute(select(objects))}
        got = {uri: (r.visibility, r.community_id) for uri, r in rows.items()}
        assert got == {
            "http://c.test/o/1": ("public", ids["garden"]),
            "http://lemmy.test/post/1": ("public", ids["lemmy"]),  # audience, not the stored author
            "http://masto.test/s/1": ("direct", ids["alice"]),
            "http://masto.test/s/2": ("followers", ids["alice"]),
            "http://masto.test/s/3": ("public", ids["alice"]),
            "http://masto.test/s/4": ("unlisted", ids["alice"]),
        }
    finally:
        await engine.dispose()
