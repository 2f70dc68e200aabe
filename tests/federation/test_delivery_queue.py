"""The delivery queue against inboxes that fail: retry times, giving up, Retry-After, leases."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

from sqlalchemy import select, update

from actors.publishing.publishing import publish
from actors.queues.delivery import DeliveryWorker
from actors.social.local import create_community
from actors.storage.instance import Instance
from actors.storage.models import activities, deliveries
from tests.conftest import Fediverse, Node
from tests.fakes.remote import FakeRemote

INBOX = "http://remote.test/inbox"


async def _followed(fed: Fediverse, n_remotes: int = 1) -> tuple[Node, list[FakeRemote]]:
    a = await fed.yinhu("a.test")
    club = await create_community(a.inst, "club", name="Club")
    remotes = []
    for i in range(n_remotes):
        remote = fed.remote(f"r{i}.test" if n_remotes > 1 else "remote.test")
        user = remote.add_user("alice")
        assert (await remote.send(user, user.follow(club), a.url("/c/club/inbox"))).status_code == 202
        remotes.append(remote)
    await fed.drain()
    for remote in remotes:
        assert len(remote.of_type("Accept")) == 1
    return a, remotes



async def _row(inst: Instance, inbox: str, activity_type: str = "Create") -> Any:
    """The one delivery row of the activity of ``activity_type`` to ``inbox``."""
    async with inst.engine.connect() as conn:
        rows = list(
            await conn.execute(
                select(deliveries)
                .join(activities, activities.c.id == deliveries.c.activity_id)
                .where(deliveries.c.inbox == inbox, activities.c.type == activity_type)
            )
        )
    assert len(rows) == 1
    return rows[0]


async def _first_try(a: Node) -> Any:
    """Publish a note in ``club``, let one worker pass try it, and return its delivery row to INBOX."""
    await publish(a.inst, "club", {"type": "note", "content": "hello"})
    assert await DeliveryWorker(a.inst).run_once() == 1
    return await _row(a.inst, INBOX)


async def test_dead_inbox_is_retried_later_with_the_injected_clock(fed: Fediverse) -> None:
    a, [remote] = await _followed(fed)
    remote.fail_with(503)
    row = await _first_try(a)
    assert (row.state, row.attempts, row.last_status) == ("pending", 1, 503)
    assert row.next_try_at > a.clock()
    assert row.lease_until is None
    # Not due yet: nothing is sent, however often the worker runs.
    assert await DeliveryWorker(a.inst).run_once() == 0
    assert remote.of_type("Create") == []

    remote.heal()
    a.clock.advance(row.next_try_at - a.clock() + timedelta(seconds=1))
    assert await DeliveryWorker(a.inst).run_once() == 1
    row = await _row(a.inst, INBOX)
    assert (row.state, row.attempts, row.last_status) == ("sent", 2, 202)
    assert len(remote.of_type("Create")) == 1


async def test_unreachable_inbox_is_retried(fed: Fediverse) -> None:
    a, [remote] = await _followed(fed)
    remote.go_down()
    row = await _first_try(a)
    assert (row.state, row.attempts, row.last_status) == ("pending", 1, None)
    assert "ConnectError" in row.last_error
    remote.heal()
    a.clock.advance(timedelta(hours=1))
    assert await DeliveryWorker(a.inst).run_once() == 1
    assert len(remote.of_type("Create")) == 1


async def test_gone_inbox_is_dead_after_one_try(fed: Fediverse) -> None:
    a, [remote] = await _followed(fed)
    remote.fail_with(410)
    row = await _first_try(a)
    assert (row.state, row.attempts, row.last_status) == ("dead", 1, 410)
    a.clock.advance(timedelta(days=1))
    remote.heal()
    assert await DeliveryWorker(a.inst).run_once() == 0
    assert remote.of_type("Create") == []


async def test_retry_after_is_honoured(fed: Fediverse) -> None:
    a, [remote] = await _followed(fed)
    # Let the instance's clock run ahead of the wall clock: Retry-After counts from our clock.
    a.clock.advance(timedelta(minutes=30))
    remote.fail_with(429, {"Retry-After": "3600"})
    await publish(a.inst, "club", {"type": "note", "content": "hello"})
    before = a.clock()
    assert await DeliveryWorker(a.inst).run_once() == 1
    row = await _row(a.inst, INBOX)
    assert (row.state, row.last_status) == ("pending", 429)
    assert row.next_try_at >= before + timedelta(seconds=3600)
    assert row.next_try_at <= before + timedelta(seconds=3660)
    remote.heal()
    a.clock.advance(timedelta(minutes=59))
    assert await DeliveryWorker(a.inst).run_once() == 0
    a.clock.advance(timedelta(minutes=2))
    assert await DeliveryWorker(a.inst).run_once() == 1
    assert len(remote.of_type("Create")) == 1


async def test_two_workers_never_send_the_same_row_twice(fed: Fediverse) -> None:
    a, remotes = await _followed(fed, n_remotes=6)
    await publish(a.inst, "club", {"type": "note", "content": "hello"})
    # A second instance object on the same database: a second worker process.
    other = await Instance.open(a.inst.settings, client=fed.client, clock=a.clock)
    try:
        workers = [DeliveryWorker(a.inst, batch=4), DeliveryWorker(other, batch=4)]
        total = 0
        for _ in range(4):
            counts = await asyncio.gather(*(w.run_once() for w in workers))
            total += sum(counts)
    finally:
        await other.close()
    assert total == 6
    for remote in remotes:
        assert len(remote.of_type("Create")) == 1, remote.domain
    async with a.inst.engine.connect() as conn:
        states = [r.state for r in await conn.execute(select(deliveries.c.state))]
    assert set(states) == {"sent"}


async def test_an_expired_lease_is_claimed_again(fed: Fediverse) -> None:
    a, [remote] = await _followed(fed)
    await publish(a.inst, "club", {"type": "note", "content": "hello"})
    row = await _row(a.inst, INBOX)
    async with a.inst.engine.begin() as conn:
        # A worker claimed the row and crashed: pending, leased until a moment in the future.
        await conn.execute(
            update(deliveries).where(deliveries.c.id == row.id).values(lease_until=a.clock() + timedelta(minutes=2))
        )
    assert await DeliveryWorker(a.inst).run_once() == 0
    async with a.inst.engine.begin() as conn:
        await conn.execute(
            update(deliveries).where(deliveries.c.id == row.id).values(lease_until=a.clock() - timedelta(seconds=1))
        )
    assert await DeliveryWorker(a.inst).run_once() == 1
    assert len(remote.of_type("Create")) == 1
    row = await _row(a.inst, INBOX)
    assert row.state == "sent"


async def test_retry_after_counts_from_the_answer_not_the_claim(fed: Fediverse) -> None:
    a, [remote] = await _followed(fed)

    async def slow() -> None:  # the inbox takes ten minutes (of the injected clock) to answer
        a.clock.advance(timedelta(minutes=10))

    remote.before_answer = slow
    remote.fail_with(429, {"Retry-After": "600"})
    row = await _first_try(a)
    answered = a.clock()
    assert row.next_try_at >= answered + timedelta(seconds=600)


async def test_a_worker_whose_lease_was_taken_records_nothing(fed: Fediverse) -> None:
    a, remotes = await _followed(fed, n_remotes=2)
    arrived, release = asyncio.Event(), asyncio.Event()

    async def hold() -> None:
        arrived.set()
        await release.wait()

    for remote in remotes:  # whichever is sent first is held in flight
        remote.before_answer = hold
    await publish(a.inst, "club", {"type": "note", "content": "hello"})
    # One send at a time, so the second row waits behind the first, which the inbox holds.
    worker = DeliveryWorker(a.inst, concurrency=1, batch=1, renew_every=0.05)
    run = asyncio.create_task(worker.run_once())
    await asyncio.wait_for(arrived.wait(), 10)
    # Meanwhile the lease ran out (say the worker stalled) and another worker took both rows.
    async with a.inst.engine.begin() as conn:
        await conn.execute(
            update(deliveries).values(lease_token="another", lease_until=a.clock() + timedelta(seconds=30))
        )
    # The renewer notices within a renewal or two and drops the row not yet sent.
    for _ in range(500):
        if worker.lost_leases:
            break
        await asyncio.sleep(0.01)
    assert worker.lost_leases == 2
    release.set()
    await asyncio.wait_for(run, 10)
    async with a.inst.engine.connect() as conn:
        rows = list(await conn.execute(select(deliveries).join(activities).where(activities.c.type == "Create")))
    assert len(rows) == 2
    for row in rows:  # nothing written by the worker that lost them
        assert (row.state, row.attempts, row.lease_token, row.last_status) == ("pending", 0, "another", None)
    # The send in flight was cancelled (or arrived); the row waiting behind it was never sent.
    assert sum(len(r.of_type("Create")) for r in remotes) <= 1



async def test_a_slow_inbox_gives_its_slot_back_and_the_next_one_is_sent(fed: Fediverse) -> None:
    """One slot: the inbox that does not answer is parked after ``slow_after`` and the next
    row goes out; with no parking (``slow_after`` past the test) it waits behind it."""
    a, remotes = await _followed(fed, n_remotes=2)
    arrived, release = asyncio.Event(), asyncio.Event()
    held: list[FakeRemote] = []

    def holder(remote: FakeRemote) -> Any:
        async def hold() -> None:
            if not held:  # the first inbox reached holds; the other answers at once
                held.append(remote)
                arrived.set()
                await release.wait()
        return hold

    for remote in remotes:
        remote.before_answer = holder(remote)
    await publish(a.inst, "club", {"type": "note", "content": "hello"})
    worker = DeliveryWorker(a.inst, concurrency=1, batch=1, slow_after=0.05)
    run = asyncio.create_task(worker.run_once())
    await asyncio.wait_for(arrived.wait(), 10)
    [other] = [r for r in remotes if r is not held[0]]
    for _ in range(500):  # the other inbox has it while the first still holds its answer
        if other.of_type("Create"):
            break
        await asyncio.sleep(0.01)
    assert len(other.of_type("Create")) == 1 and not held[0].of_type("Create")
    release.set()
    assert await asyncio.wait_for(run, 10) == 2
    async with a.inst.engine.connect() as conn:
        states = [r.state for r in await conn.execute(select(deliveries).join(activities).where(activities.c.type == "Create"))]
    assert states == ["sent", "sent"]
    assert sum(len(r.of_type("Create")) for r in remotes) == 2  # each once


async def test_without_parking_the_next_row_waits_behind_the_slow_one(fed: Fediverse) -> None:
    a, remotes = await _followed(fed, n_remotes=2)
    arrived, release = asyncio.Event(), asyncio.Event()

    async def hold() -> None:
        arrived.set()
        await release.wait()

    for remote in remotes:
        remote.before_answer = hold
    await publish(a.inst, "club", {"type": "note", "content": "hello"})
    worker = DeliveryWorker(a.inst, concurrency=1, batch=1, slow_after=60)
    run = asyncio.create_task(worker.run_once())
    await asyncio.wait_for(arrived.wait(), 10)
    await asyncio.sleep(0.2)
    assert sum(len(r.of_type("Create")) for r in remotes) == 0  # the second was not even sent
    release.set()
    assert await asyncio.wait_for(run, 10) == 2
