"""near= results paged without repeats or gaps (issue 16): the whole radius is ranked once, in
SQL, before the offset; on SQLite and PostgreSQL."""

from __future__ import annotations

import random
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import insert

from actors.feed import search
from actors.feed.feed import FeedFilter, haversine_km, query_feed
from actors.storage import migrate
from actors.storage.db import create_engine
from actors.storage.models import objects
from tests.conftest import Databases
from tests.search.conftest import insert_community

CENTRE = (22.6012, 114.0135)
NOW = datetime(2026, 12, 6, tzinfo=UTC)


@pytest.fixture
async def scattered(db: Databases) -> AsyncIterator[tuple[Any, dict[int, float]]]:
    """120 listings scattered up to 9 km around CENTRE, published in an order unrelated to
    their distance (as the feed's default order would page them)."""
    engine = create_engine(await db.new())
    rng = random.Random(16)
    distances: dict[int, float] = {}
    try:
        await migrate.upgrade(engine)
        async with engine.begin() as conn:
            actor_id = await insert_community(conn)
            for n in range(120):
                lat = CENTRE[0] + rng.uniform(-0.08, 0.08)
                lon = CENTRE[1] + rng.uniform(-0.08, 0.08)
                result = await conn.execute(insert(objects).values(
                    uri=f"http://search.test/o/near{n}", actor_id=actor_id, local=True, type="Note", raw="{}",
                    content=f"<p>闲置物品 {n}</p>", name=f"邻居转让第{n}件", kind="listing", listing_kind="goods",
                    purpose="offer", published=NOW - timedelta(minutes=rng.randint(0, 10_000)),
                    latitude=lat, longitude=lon, language="zh-CN", visibility="public", community_id=actor_id,
                ))
                distances[int(result.inserted_primary_key[0])] = haversine_km(*CENTRE, lat, lon)
                await search.reindex(conn, object_id=int(result.inserted_primary_key[0]))
            # two at exactly the same place: the order between them must still be fixed
            for n in (200, 201):
                result = await conn.execute(insert(objects).values(
                    uri=f"http://search.test/o/near{n}", actor_id=actor_id, local=True, type="Note", raw="{}",
                    content="<p>同一个地方</p>", name="同址转让", kind="listing", listing_kind="goods",
                    purpose="offer", published=NOW - timedelta(minutes=5), latitude=CENTRE[0] + 0.01,
                    longitude=CENTRE[1], language="zh-CN", visibility="public", community_id=actor_id,
                ))
                distances[int(result.inserted_primary_key[0])] = haversine_km(*CENTRE, CENTRE[0] + 0.01, CENTRE[1])
                await search.reindex(conn, object_id=int(result.inserted_primary_key[0]))
        yield engine, distances
    finally:
        await engine.dispose()


async def _all_pages(engine: Any, f: FeedFilter, limit: int) -> list[Any]:
    seen: list[Any] = []
    offset: int | None = 0
    async with engine.connect() as conn:
        while offset is not None:
            page = await query_feed(conn, f, NOW, limit=limit, offset=offset)
            assert len(page.items) <= limit
            seen.extend(page.items)
            offset = page.next_offset
            assert len(seen) < 1000
    return seen


@pytest.mark.parametrize("limit", [5, 7, 20])
async def test_near_pages_have_no_repeats_or_gaps(scattered: tuple[Any, dict[int, float]], limit: int) -> None:
    engine, distances = scattered
    f = FeedFilter(near=CENTRE, radius_km=5.0)
    items = await _all_pages(engine, f, limit)
    ids = [i.row.id for i in items]
    inside = {k for k, d in distances.items() if d <= 5.0}
    assert len(ids) == len(set(ids)), "an item shown twice"
    # The radius is a flat-earth circle in SQL: the same as haversine up to metres at 5 km.
    assert {k for k, d in distances.items() if d <= 4.99} <= set(ids) <= {k for k, d in distances.items() if d <= 5.01}
    assert 20 < len(inside) < 100  # some are outside, and there are several pages
    shown = [i.distance_km for i in items]
    assert shown == sorted(shown), "nearest first, across pages"


async def test_near_with_a_query_pages_without_repeats(scattered: tuple[Any, dict[int, float]]) -> None:
    engine, distances = scattered
    items = await _all_pages(engine, FeedFilter(q="转让", near=CENTRE, radius_km=5.0), 6)
    ids = [i.row.id for i in items]
    assert len(ids) == len(set(ids))
    assert {k for k, d in distances.items() if d <= 4.99} <= set(ids) <= {k for k, d in distances.items() if d <= 5.01}
