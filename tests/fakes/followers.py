"""Followers for an instance on disk: remote actors and accepted follows, written straight into
its database (SQLite or PostgreSQL), for tests and benchmarks that fan out to many inboxes."""

from __future__ import annotations

import asyncio
from pathlib import Path

from sqlalchemy import insert, select

from actors.storage.instance import Instance, utcnow
from actors.storage.models import FollowState, actors, follows
from actors.storage.settings import load_settings

__all__ = ["add_followers"]


async def add_followers_async(data: Path, slug: str, inboxes: list[tuple[str, str | None]]) -> int:
    """One remote follower of ``slug`` per ``(inbox, shared_inbox or None)``; returns how many."""
    inst = await Instance.open(load_settings(data), check_schema=False)
    now = utcnow()
    try:
        async with inst.engine.begin() as conn:
            community = (
                await conn.execute(select(actors.c.id).where(actors.c.username == slug, actors.c.local.is_(True)))
            ).scalar_one()
            rows = []
            for i, (inbox, shared) in enumerate(inboxes):
                uri = inbox.removesuffix("/inbox") + f"#f{i}"
                rows.append({
                    "uri": uri, "local": False, "type": "Person", "username": f"f{i}", "domain": inbox.split("/")[2], "name": "",
                    "summary": "", "inbox": inbox, "shared_inbox": shared, "key_id": f"{uri}-key", "public_key_pem": "x",
                    "manually_approves": False, "fetched_at": now, "created_at": now, "updated_at": now,
                })
            ids: list[int] = []
            for start in range(0, len(rows), 2000):
                result = await conn.execute(insert(actors).returning(actors.c.id, sort_by_parameter_order=True), rows[start:start + 2000])
                ids.extend(r[0] for r in result)
            frows = [
                {"follower_id": i, "followed_id": community, "follow_uri": f"{rows[n]['uri']}/follow",
                     "state": FollowState.ACCEPTED.value, "created_at": now, "updated_at": now}
                for n, i in enumerate(ids)
            ]
            for start in range(0, len(frows), 2000):
                await conn.execute(insert(follows), frows[start:start + 2000])
    finally:
        await inst.close()
    return len(inboxes)


def add_followers(data: Path, slug: str, inboxes: list[tuple[str, str | None]]) -> int:
    return asyncio.run(add_followers_async(data, slug, inboxes))
