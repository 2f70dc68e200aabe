"""The inbox queue under load and faults: rate limits, order per object, a dead origin beside a
live one, pruning. Items are stored as ``POST /inbox`` stores them (``inbox_queue.store``)."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

import orjson
from sqlalchemy import func, select, update

from actors.queues import inbox_queue
from actors.social.local import create_community
from actors.social.remote import get_actor
from actors.storage.models import InboxState, actors, inbox_items
from inbox.dispatch import REGISTRY, Context, InboxWorker, Outcome, register
from tests.conftest import Fediverse, Node


def _activity(type_: str, actor: str, obj: Any, n: int) -> dict[str, Any]:
    host = actor.split("/")[2]
    return {"id": f"http://{host}/activities/{type_}-{n}", "type": type_, "actor": actor, "object": obj}


async def _store(node: Node, doc: dict[str, Any]) -> None:
    assert await inbox_queue.store(
        node.inst, activity_uri=doc["id"], activity_type=doc["type"], signer=doc["actor"],
        body=orjson.dumps(doc).decode(), doc=doc,
    )


async def _states(node: Node) -> dict[str, str]:
    async with node.inst.engine.connect() as conn:
        return {r.activity_uri: r.state for r in await conn.execute(select(inbox_items.c.activity_uri, inbox_items.c.state))}


async def test_the_inbox_answers_429_past_a_senders_or_a_hosts_quota(fed: Fediverse) -> None:
    a = await fed.yinhu("a.test", inbox_rate_per_actor=3, inbox_rate_per_host=5)
    club = await create_community(a.inst, "club", name="Club")
    remote = fed.remote("remote.test")
    alice, bob = remote.add_user("alice"), remote.add_user("bob")
    codes = [(await remote.send(alice, alice.follow(club), a.url("/inbox"))).status_code for _ in range(3)]
    assert codes == [202, 202, 202]
    refused = await remote.send(alice, alice.follow(club), a.url("/inbox"))
    assert refused.status_code == 429
    assert int(refused.headers["Retry-After"]) >= 1  # 3 a minute: the next in about 20 s
    # Bob has his own quota, but the host's (5) runs out after his second.
    codes = [(await remote.send(bob, bob.follow(club), a.url("/inbox"))).status_code for _ in range(3)]
    assert codes == [202, 202, 429]
    async with a.inst.engine.connect() as conn:
        assert (await conn.execute(select(func.count()).select_from(inbox_items))).scalar_one() == 5


async def test_an_update_waits_for_its_create_whatever_the_concurrency(fed: Fediverse) -> None:
    a = await fed.yinhu("a.test")
    actor, note = "http://r.test/users/alice", "http://r.test/notes/1"
    for n, type_ in enumerate(("Create", "Update", "Delete")):
        await _store(a, _activity(type_, actor, {"id": note, "type": "Note"} if type_ != "Delete" else note, n))
    await _store(a, _activity("Create", actor, {"id": "http://r.test/notes/2", "type": "Note"}, 9))
    token = "t1"
    first = await inbox_queue.claim(a.inst, 10, a.clock(), token=token)
    # Only the first item about each object is due: the Create of note 1 and that of note 2.
    assert [i.activity_type for i in first] == ["Create", "Create"]
    assert await inbox_queue.claim(a.inst, 10, a.clock(), token="t2") == []
    await inbox_queue.finish(a.inst, [(first[0].id, InboxState.DONE, "ok")], a.clock(), token=token)
    second = await inbox_queue.claim(a.inst, 10, a.clock(), token="t2")
    assert [i.activity_type for i in second] == ["Update"]
    # A finish under another worker's token writes nothing (its lease was taken).
    await inbox_queue.finish(a.inst, [(second[0].id, InboxState.DONE, "ok")], a.clock(), token="stale")
    assert await inbox_queue.claim(a.inst, 10, a.clock(), token="t3") == []


async def test_a_dead_origin_takes_a_small_share_and_the_others_go_on(fed: Fediverse) -> None:
    a = await fed.yinhu("a.test")
    hang = asyncio.Event()  # the dead origin's fetches never end (until the test says so)
    started: list[str] = []

    async def handle(ctx: Context) -> Outcome:
        started.append(ctx.activity["id"])
        if "dead.test" in ctx.signer:
            await hang.wait()
        return Outcome.done("handled")

    register("Probe")(handle)
    try:
        dead, live = "http://dead.test/users/d", "http://live.test/users/l"
        for n in range(8):
            await _store(a, _activity("Probe", dead, f"http://dead.test/notes/{n}", n))
        for n in range(4):
            await _store(a, _activity("Probe", live, f"http://live.test/notes/{n}", n))
        worker = InboxWorker(a.inst, concurrency=8, share=1)  # 4 slots on SQLite, 1 per origin
        run = asyncio.create_task(worker.run_once())
        for _ in range(500):
            states = await _states(a)
            if all(s == "done" for u, s in states.items() if "live.test" in u):
                break
            await asyncio.sleep(0.01)
        states = await _states(a)
        assert [s for u, s in states.items() if "live.test" in u] == ["done"] * 4
        assert [s for u, s in states.items() if "dead.test" in u] == ["pending"] * 8
        assert sum("dead.test" in u for u in started) == 1  # one slot, not eight
        hang.set()
        taken = await asyncio.wait_for(run, 10)
        assert taken == 12
        assert set((await _states(a)).values()) == {"done"}
    finally:
        REGISTRY.pop(("Probe", "*"), None)
        hang.set()


async def test_processed_items_keep_a_small_record_and_are_pruned_after_the_retention(fed: Fediverse) -> None:
    a = await fed.yinhu("a.test")
    big = "x" * 100_000
    await _store(a, {**_activity("Create", "http://r.test/users/a", {"id": "http://r.test/n/1", "type": "Note"}, 1), "pad": big})
    [item] = await inbox_queue.claim(a.inst, 10, a.clock(), token="t")
    await inbox_queue.finish(a.inst, [(item.id, InboxState.DONE, "ok")], a.clock(), token="t")
    async with a.inst.engine.connect() as conn:
        [row] = list(await conn.execute(select(inbox_items.c.body, inbox_items.c.activity_uri)))
    assert row.body == ""  # the id stays (deduplication), the 100 KB body does not
    assert await inbox_queue.prune(a.inst, a.clock() + timedelta(days=13), 14) == 0
    assert await inbox_queue.prune(a.inst, a.clock() + timedelta(days=15), 14) == 1


async def test_a_dead_origin_is_tried_once_then_its_items_use_the_stale_actor_or_wait(fed: Fediverse) -> None:
    a = await fed.yinhu("a.test")
    club = await create_community(a.inst, "club", name="Club")
    dead, live = fed.remote("dead.test"), fed.remote("live.test")
    known = [dead.add_user(f"known{n}") for n in range(6)]
    for user in known:
        await get_actor(a.inst, user.uri)
    async with a.inst.engine.begin() as conn:  # stored two days ago: stale, refreshed when next seen
        await conn.execute(update(actors).where(actors.c.domain == "dead.test").values(
            fetched_at=a.clock() - timedelta(days=2)))
    unknown = [dead.add_user(f"new{n}") for n in range(6)]  # never seen: nothing to fall back on
    people = [live.add_user(f"l{n}") for n in range(6)]
    dead.go_down()
    fed.router.attempts.clear()
    for user in [*known, *unknown, *people]:
        await _store(a, user.follow(club))
    worker = InboxWorker(a.inst)
    assert await worker.run_once() == 18
    # The first failure (or the few in flight beside it) shuts the host: not one try per item.
    assert 1 <= fed.router.attempts["dead.test"] <= worker.share
    assert fed.router.attempts["live.test"] == 6
    async with a.inst.engine.connect() as conn:
        rows = {r.signer: r for r in await conn.execute(select(inbox_items))}
    assert {rows[u.uri].state for u in [*known, *people]} == {"done"}
    waiting = [rows[u.uri] for u in unknown]
    assert {r.state for r in waiting} == {"pending"}  # retried later, not failed
    assert {r.attempts for r in waiting} == {1}
    assert all(r.result.startswith("retrying:") for r in waiting)
    # The peer is back: once the items are due and the cool-down is over, they are handled.
    dead.heal()
    fed.clock.advance(timedelta(minutes=2))
    assert await InboxWorker(a.inst).run_once() == 6
    assert set((await _states(a)).values()) == {"done"}
    assert a.inst.breaker.failures("dead.test") == 0


async def test_a_stale_actor_is_used_at_once_and_refreshed_beside_the_caller(fed: Fediverse) -> None:
    a = await fed.yinhu("a.test")
    alice = fed.remote("r.test").add_user("alice")
    await get_actor(a.inst, alice.uri)
    stale = a.clock() - timedelta(days=2)
    async with a.inst.engine.begin() as conn:
        await conn.execute(update(actors).where(actors.c.uri == alice.uri).values(fetched_at=stale))
    fed.router.attempts.clear()
    row = await get_actor(a.inst, alice.uri)
    assert row.fetched_at.replace(tzinfo=None) == stale.replace(tzinfo=None)  # the stored copy, at once
    await asyncio.gather(*a.inst.background)
    assert fed.router.attempts["r.test"] == 1
    fresh = await get_actor(a.inst, alice.uri)
    assert fresh.fetched_at.replace(tzinfo=None) > stale.replace(tzinfo=None)
    assert fed.router.attempts["r.test"] == 1 and not a.inst.background
