"""Recall and precision of actors.feed.search on the Chinese fixture, per query and in total.

    python -m tests.search.relevance            # SQLite, a temporary database
    YINHU_TEST_POSTGRES=postgresql+asyncpg://... python -m tests.search.relevance --postgres

Recall: right answers found / right answers; precision: right answers found / found. Queries
are split into the fixture's old ones and those added for issue 16 (typed without spaces,
variants, synonyms); "phrase first" says whether the items that contain the query as typed
(or its variant) come before the others.
"""

from __future__ import annotations

import asyncio
import os
import sys
import tempfile
from typing import Any

from actors.feed import search
from actors.storage import migrate
from actors.storage.db import create_engine
from tests.search.conftest import insert_community, load_fixture, load_items


async def measure(engine: Any, data: dict[str, Any], ids: dict[str, int]) -> dict[str, dict[str, float]]:
    back = {v: k for k, v in ids.items()}
    out: dict[str, dict[str, float]] = {}
    async with engine.connect() as conn:
        for query, right in data["expected"].items():
            found = [back[h.id] for h in await search.search(conn, query, limit=1000)]
            hit = len(set(found) & set(right))
            out[query] = {
                "found": len(found), "right": len(right), "repeats": len(found) - len(set(found)),
                "recall": hit / len(right) if right else 1.0, "precision": hit / len(found) if found else 1.0,
            }
    return out


def summary(rows: dict[str, dict[str, float]], queries: list[str]) -> tuple[float, float]:
    hit = sum(rows[q]["recall"] * rows[q]["right"] for q in queries)
    right = sum(rows[q]["right"] for q in queries)
    found = sum(rows[q]["found"] for q in queries)
    return (hit / right if right else 1.0), (hit / found if found else 1.0)


async def main(url: str) -> None:
    engine = create_engine(url)
    try:
        await migrate.upgrade(engine)
        data = load_fixture()
        async with engine.begin() as conn:
            ids = await load_items(conn, data["items"], await insert_community(conn))
        rows = await measure(engine, data, ids)
    finally:
        await engine.dispose()
    old = [q for q in data["expected"] if q in set(data["old_queries"])]
    new = [q for q in data["expected"] if q not in set(data["old_queries"])]
    for name, queries in (("old queries", old), ("new queries", new)):
        print(f"{name}:")
        for q in queries:
            r = rows[q]
            print(f"  {q:<16} found {r['found']:>3}  right {r['right']:>3}  recall {r['recall']:.2f}  "
                  f"precision {r['precision']:.2f}  repeats {r['repeats']}")
        recall, precision = summary(rows, queries)
        print(f"  total: recall {recall:.3f}  precision {precision:.3f}")


if __name__ == "__main__":
    if "--postgres" in sys.argv:
        target = os.environ["YINHU_TEST_POSTGRES"]
        asyncio.run(main(target))
    else:
        with tempfile.TemporaryDirectory() as tmp:
            asyncio.run(main(f"sqlite+aiosqlite:///{tmp}/relevance.db"))
