"""The Chinese search fixture (fixtures/district_items.json) loaded into a migrated database,
on SQLite and, with YINHU_TEST_POSTGRES, PostgreSQL (through the ``db`` fixture)."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncEngine

from actors.feed import search
from actors.storage import migrate
from actors.storage.db import create_engine
from actors.storage.models import actors, objects
from tests.conftest import Databases

FIXTURE = Path(__file__).parent / "fixtures" / "district_items.json"
AP_TYPES = {"event": "Event", "venue": "Place", "listing": "Note", "note": "Note"}


def load_fixture() -> dict[str, Any]:
    return json.loads(FIXTURE.read_text(encoding="utf-8"))


@dataclass
class Loaded:
    engine: AsyncEngine
    ids: dict[str, int]  # fixture id -> objects.id
    items: dict[str, dict[str, Any]]  # fixture id -> item
    expected: dict[str, list[str]]

    def keys(self, object_ids: list[int]) -> list[str]:
        back = {v: k for k, v in self.ids.items()}
        return [back[i] for i in object_ids]


async def load_items(conn: Any, items: list[dict[str, Any]], actor_id: int, *, base: str = "http://search.test") -> dict[str, int]:
    """Insert fixture items as objects with SQLAlchemy Core and index them; returns their ids."""
    start = datetime(2026, 11, 1, tzinfo=UTC)
    ids: dict[str, int] = {}
    for n, item in enumerate(items):
        result = await conn.execute(
            insert(objects).values(
                uri=f"{base}/o/{item['id']}", actor_id=actor_id, local=True, type=AP_TYPES[item["kind"]],
                visibility="public", community_id=actor_id,  # as actors.publishing.publishing.publish stores them
                content=item["content"], raw="{}", published=start + timedelta(minutes=n), kind=item["kind"],
                name=item.get("title"), place_name=item.get("place_name"), address=item.get("address"),
                tags=item.get("tags"), category=item.get("category"), listing_kind=item.get("listing_kind"),
                purpose=item.get("purpose"),
                language="zh-CN",
            )
        )
        object_id = result.inserted_primary_key[0]
        await search.reindex(conn, object_id=object_id)
        ids[item["id"]] = object_id
    return ids


async def insert_community(conn: Any, name: str = "银湖社区", *, domain: str = "search.test") -> int:
    now = datetime(2026, 11, 1, tzinfo=UTC)
    result = await conn.execute(
        insert(actors).values(
            uri=f"http://{domain}/c/yinhu", local=True, type="Group", username="yinhu", domain=domain,
            name=name, summary="", created_at=now, updated_at=now,
        )
    )
    return int(result.inserted_primary_key[0])


@pytest.fixture
async def loaded(db: Databases) -> AsyncIterator[Loaded]:
    engine = create_engine(await db.new())
    try:
        await migrate.upgrade(engine)
        data = load_fixture()
        async with engine.begin() as conn:
            actor_id = await insert_community(conn)
            ids = await load_items(conn, data["items"], actor_id)
        yield Loaded(engine, ids, {i["id"]: i for i in data["items"]}, data["expected"])
    finally:
        await engine.dispose()
