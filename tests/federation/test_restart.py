"""Queued work survives a restart, and concurrent inbox workers process each item once."""

from __future__ import annotations

import asyncio

from sqlalchemy import select

from actors.social.follows import list_followers
from actors.social.local import create_community
from actors.storage.instance import Instance
from actors.storage.models import inbox_items
from inbox.dispatch import InboxWorker
from tests.conftest import Fediverse


async def test_stored_inbox_item_is_processed_after_a_restart(fed: Fediverse) -> None:
    a, _club, remote, alice, follow = await fed.club_and_follower()
    assert (await remote.send(alice, follow, a.url("/c/club/inbox"))).status_code == 202

    a = await fed.restart(a)  # stored, never processed: the process stopped here
    async with a.inst.engine.connect() as conn:
        [row] = list(await conn.execute(select(inbox_items.c.activity_uri, inbox_items.c.state)))
    assert (row.activity_uri, row.state) == (follow["id"], "pending")

    await fed.drain()
    assert [(f.uri, f.state) for f in await list_followers(a.inst, "club")] == [(alice.uri, "accepted")]
    [accept] = remote.of_type("Accept")
    assert accept.activity["object"]["id"] == follow["id"]


async def test_two_inbox_workers_process_each_item_once(fed: Fediverse) -> None:
    a = await fed.yinhu("a.test")
    club = await create_community(a.inst, "club", name="Club")
    remote = fed.remote("remote.test")
    users = [remote.add_user(f"u{i}") for i in range(6)]
    for user in users:
        assert (await remote.send(user, user.follow(club), a.url("/c/club/inbox"))).status_code == 202
    other = await Instance.open(a.inst.settings, client=fed.client, clock=a.clock)
    try:
        workers = [InboxWorker(a.inst, batch=4), InboxWorker(other, batch=4)]
        total = 0
        for _ in range(3):
            total += sum(await asyncio.gather(*(w.run_once() for w in workers)))
    finally:
        await other.close()
    assert total == 6
    async with a.inst.engine.connect() as conn:
        rows = list(await conn.execute(select(inbox_items.c.state, inbox_items.c.attempts)))
    assert [(r.state, r.attempts) for r in rows] == [("done", 1)] * 6
    await fed.drain()
    assert sorted(r.signer for r in remote.of_type("Accept")) == ["http://a.test/c/club"] * 6
    assert len(remote.of_type("Accept")) == 6
