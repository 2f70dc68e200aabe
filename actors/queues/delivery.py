"""The delivery queue: one row per (activity, target inbox), leased, retried, given up on.

``fedi.delivery.deliver`` sends once and classifies; this module owns everything around it:
choosing targets (shared inboxes first, each once), leasing due rows so that several worker
processes on PostgreSQL never send the same row at once (``FOR UPDATE SKIP LOCKED``), and
sending them a bounded number at a time. What a result means (retry with exponential backoff
that honours ``Retry-After``, back off a whole host that keeps failing, give up after days, not
minutes) and writing it is ``actors.queues.delivery_results``.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import or_, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncConnection

from actors.queues.delivery_results import (  # the retry rules, quoted by docs/federation.md from here
    FIRST_RETRY,
    GIVE_UP_AFTER,
    HOST_FAILURE_THRESHOLD,
    HOST_MAX_BACKOFF,
    MAX_RETRY,
    Claimed,
    record_results,
    retry_delay,
)
from actors.queues.leases import lease_due, new_lease_token, renew
from actors.storage.domains import suspended_hosts
from actors.storage.instance import Instance
from actors.storage.models import (
    DeliveryState,
    FollowState,
    activities,
    actors,
    deliveries,
    follows,
    hosts,
)
from fedi.delivery import DeliveryResult, deliver

__all__ = [
    "FIRST_RETRY",
    "GIVE_UP_AFTER",
    "HOST_FAILURE_THRESHOLD",
    "HOST_MAX_BACKOFF",
    "MAX_RETRY",
    "DeliveryWorker",
    "enqueue",
    "follower_inboxes",
    "retry_delay",
]

log = logging.getLogger("yinhu.delivery")

# Short, and renewed while sends are in flight: a killed worker's rows are sent again within
# about this long. Sends time out well inside it.
LEASE = timedelta(seconds=30)
SEND_TIMEOUT = 10.0
# A send with no answer after this long waits without its slot (see DeliveryWorker): inboxes
# that answer at all mostly do within a few hundred milliseconds.
SLOW_AFTER = 1.0


def host_of(url: str) -> str:
    return urlsplit(url).netloc.lower()


def targets_from_rows(rows: Iterable[Any]) -> list[str]:
    """Shared inboxes where the recipient has one, each inbox once, shared ones first."""
    shared: dict[str, None] = {}
    personal: dict[str, None] = {}
    for row in rows:
        if row.shared_inbox:
            shared.setdefault(row.shared_inbox, None)
        elif row.inbox:
            personal.setdefault(row.inbox, None)
    return list(shared) + [i for i in personal if i not in shared]


async def follower_inboxes(conn: AsyncConnection, actor_id: int) -> list[str]:
    rows = await conn.execute(
        select(actors.c.inbox, actors.c.shared_inbox)
        .select_from(follows.join(actors, actors.c.id == follows.c.follower_id))
        .where(
            follows.c.followed_id == actor_id,
            follows.c.state == FollowState.ACCEPTED.value,
            actors.c.local.is_(False),
            actors.c.deleted_at.is_(None),
        )
    )
    return targets_from_rows(rows)


async def enqueue(
    conn: AsyncConnection, *, activity_id: int, sender_id: int, inboxes: Sequence[str], now: datetime
) -> int:
    """Queue one row per distinct inbox (idempotent: a row that exists is left alone).
    Nothing is queued for a suspended domain."""
    unique = list(dict.fromkeys(i for i in inboxes if i))
    if not unique:
        return 0
    refused = await suspended_hosts(conn, {host_of(i) for i in unique})
    unique = [i for i in unique if host_of(i) not in refused]
    if not unique:
        return 0
    rows = [
        {
            "activity_id": activity_id,
            "sender_id": sender_id,
            "inbox": inbox,
            "host": host_of(inbox),
            "state": DeliveryState.PENDING.value,
            "attempts": 0,
            "next_try_at": now,
            "created_at": now,
        }
        for inbox in unique
    ]
    insert_ = pg_insert if conn.dialect.name == "postgresql" else sqlite_insert
    stmt = insert_(deliveries).on_conflict_do_nothing(index_elements=["activity_id", "inbox"])
    for start in range(0, len(rows), 2000):
        await conn.execute(stmt, rows[start : start + 2000])
    return len(unique)




@dataclass
class _Batch:
    """What one ``run_once`` holds: leased rows not yet recorded, and their finished sends."""

    token: str
    slots: asyncio.Semaphore  # sends being worked on (connecting, signing, writing, reading)
    sockets: asyncio.Semaphore  # sends open at all, parked slow ones included
    held: dict[int, Claimed] = field(default_factory=dict)
    tasks: dict[int, asyncio.Task[None]] = field(default_factory=dict)
    done: list[tuple[Claimed, DeliveryResult]] = field(default_factory=list)
    # Monotonic time until which the lease is certainly ours (set at claim and at renewal).
    valid_until: float = 0.0
    attempted: int = 0
    parked: int = 0  # sends that outlasted ``slow_after``: they wait for their answer without a slot
    ready: asyncio.Event = field(default_factory=asyncio.Event)  # results wait to be written
    changed: asyncio.Event = field(default_factory=asyncio.Event)  # a row was let go

    async def wait(self) -> None:
        self.changed.clear()
        await self.changed.wait()

    def queued(self) -> int:
        """Rows held that are not parked: being sent, or waiting for a slot."""
        return len(self.held) - self.parked


class DeliveryWorker:
    """Sends due deliveries. ``run_once()`` sends until nothing is due and returns how many
    sends it started.

    At most ``concurrency`` sends are worked on at once; a send still waiting for its answer
    after ``slow_after`` seconds gives its slot back and waits parked (at most ``max_open``
    sends open in all), so a hundred slow inboxes cannot stop a worker from reaching the fast
    ones. Rows are claimed in small groups as slots free up, under a short lease renewed every
    ``renew_every`` seconds while they are in flight, and each result is written as soon as it
    is known, matching the lease token: a worker that lost a lease (it stalled, another took
    the row) writes nothing and drops its unsent rows. A killed worker's rows are due again
    when their lease (``LEASE``) runs out.
    """

    def __init__(
        self,
        inst: Instance,
        *,
        batch: int | None = None,
        concurrency: int = 64,
        max_open: int | None = None,
        slow_after: float = SLOW_AFTER,
        lease: timedelta = LEASE,
        renew_every: float | None = None,
        send_timeout: float = SEND_TIMEOUT,
    ) -> None:
        self.inst = inst
        self.concurrency = concurrency
        self.max_open = max(max_open or 4 * concurrency, concurrency)
        self.slow_after = slow_after
        self.claim_size = batch or concurrency
        self.lease = lease
        self.renew_every = renew_every if renew_every is not None else lease.total_seconds() / 3
        self.send_timeout = send_timeout
        self._bodies: dict[int, bytes] = {}
        self._schemes: dict[str, str | None] = {}
        self.lost_leases = 0  # rows another worker took while this one held them (for logs, tests)

    async def _claim(self, now: datetime, limit: int, token: str) -> list[Claimed]:
        backed_off = select(hosts.c.host).where(hosts.c.backoff_until > now)
        due = (
            select(deliveries.c.id)
            .where(
                deliveries.c.state == DeliveryState.PENDING.value,
                deliveries.c.next_try_at <= now,
                or_(deliveries.c.lease_until.is_(None), deliveries.c.lease_until < now),
                deliveries.c.host.not_in(backed_off),
            )
            .order_by(deliveries.c.next_try_at, deliveries.c.id)
            .limit(limit)
        )
        async with self.inst.engine.begin() as conn:
            ids = await lease_due(
                conn, deliveries, due, pending=DeliveryState.PENDING.value, now=now, lease=self.lease, token=token
            )
            if not ids:
                return []
            rows = await conn.execute(
                select(
                    deliveries.c.id,
                    deliveries.c.inbox,
                    deliveries.c.host,
                    deliveries.c.attempts,
                    deliveries.c.created_at,
                    deliveries.c.activity_id,
                    activities.c.raw,
                    actors.c.key_id,
                    actors.c.private_key_pem,
                )
                .select_from(
                    deliveries.join(activities, activities.c.id == deliveries.c.activity_id).join(
                        actors, actors.c.id == deliveries.c.sender_id
                    )
                )
                .where(deliveries.c.id.in_(ids))
            )
            claimed = []
            for r in rows:
                body = self._bodies.get(r.activity_id)
                if body is None:
                    body = r.raw.encode()
                    if len(self._bodies) > 1000:
                        self._bodies.clear()
                    self._bodies[r.activity_id] = body
                claimed.append(
                    Claimed(r.id, r.inbox, r.host, r.attempts, r.created_at, body, r.key_id, r.private_key_pem)
                )
            if len(self._schemes) > 10000:
                self._schemes.clear()
            unknown = {c.host for c in claimed} - set(self._schemes)
            if unknown:
                found = await conn.execute(
                    select(hosts.c.host, hosts.c.signature_scheme).where(hosts.c.host.in_(unknown))
                )
                self._schemes.update({h: None for h in unknown})
                self._schemes.update({r.host: r.signature_scheme for r in found})
            return claimed

    async def run_once(self) -> int:
        batch = _Batch(new_lease_token(), asyncio.Semaphore(self.concurrency), asyncio.Semaphore(self.max_open))
        self._schemes.clear()  # what other processes learned since comes in with the claims
        recorder = asyncio.create_task(self._recorder(batch), name="delivery-recorder")
        renewer = asyncio.create_task(self._renewer(batch), name="delivery-renewer")
        try:
            while True:
                # Keep up to one claim's worth waiting behind the sends in slots, so that
                # another worker finds the rest; claim again when half of it has gone (one
                # claim per finished send would cost a query each).
                while batch.queued() > self.concurrency + self.claim_size // 2:
                    await batch.wait()
                wanted = self.concurrency + self.claim_size - batch.queued()
                claimed = await self._claim(self.inst.clock(), wanted, batch.token)
                if not claimed:
                    if not batch.held:
                        break
                    await batch.wait()
                    continue
                batch.valid_until = time.monotonic() + self.lease.total_seconds()
                for item in claimed:
                    batch.held[item.id] = item
                    batch.tasks[item.id] = asyncio.create_task(self._send(item, batch))
        finally:
            renewer.cancel()
            recorder.cancel()
            for task in batch.tasks.values():
                task.cancel()
            await asyncio.gather(renewer, recorder, *batch.tasks.values(), return_exceptions=True)
        return batch.attempted

    async def _send(self, item: Claimed, batch: _Batch) -> None:
        result: DeliveryResult | None = None
        try:
            async with batch.sockets:
                await batch.slots.acquire()
                if time.monotonic() >= batch.valid_until:
                    # The lease may have run out while this row waited (the process stalled):
                    # another worker may have it now. Send nothing; the lease's expiry frees it.
                    batch.slots.release()
                    return
                batch.attempted += 1
                result = await self._send_in_slot(item, batch)
        except Exception:  # a bug, not the network (deliver classifies that): the lease expires, it is tried again
            log.exception("sending delivery %s to %s failed", item.id, item.inbox)
        finally:
            batch.tasks.pop(item.id, None)
            if result is None:
                batch.held.pop(item.id, None)  # skipped or cancelled: nothing to record
            else:
                batch.done.append((item, result))
                batch.ready.set()
            batch.changed.set()

    async def _send_in_slot(self, item: Claimed, batch: _Batch) -> DeliveryResult:
        """The send, holding a slot (taken by the caller) until it answers or ``slow_after``
        passes, whichever comes first; then it waits parked."""
        # Draft-cavage first to hosts we know nothing of (what Mastodon accepts everywhere); a
        # 400/401 knocks again with RFC 9421, and what worked is remembered per host.
        send: asyncio.Future[DeliveryResult] | None = None
        parked = False
        try:
            send = asyncio.ensure_future(deliver(
                self.inst.client,
                item.inbox,
                item.body,
                self.inst.auth_for(item.key_id, item.private_key_pem),
                clock=self.inst.clock,
                timeout=self.send_timeout,
                allow_private=self.inst.settings.allow_private,
                resolver=self.inst.resolver,
                signature_scheme=self._schemes.get(item.host) or "cavage",  # type: ignore[arg-type]
                double_knock=True,
            ))
            await asyncio.wait({send}, timeout=self.slow_after)
            if not send.done():
                parked = True
                batch.parked += 1
                batch.slots.release()
                batch.changed.set()  # room for another claim
            return await send
        finally:
            try:
                if send is not None and not send.done():  # cancelled from outside (a lost lease)
                    send.cancel()  # the send goes too, its connection closed before the slot is free
                    await asyncio.wait({send}, timeout=1.0)
            finally:  # even if cancelled again meanwhile
                if parked:
                    batch.parked -= 1
                else:
                    batch.slots.release()

    async def _recorder(self, batch: _Batch) -> None:
        """Writes results as they come: each transaction takes whatever finished meanwhile."""
        while True:
            await batch.ready.wait()
            batch.ready.clear()
            done, batch.done = batch.done, []
            try:
                await record_results(self.inst, batch.token, [c for c, _ in done], [r for _, r in done], self.inst.clock(),
                                     self._schemes)
            except Exception:  # the rows' leases run out and they are sent again: logged, not fatal
                log.exception("recording %d delivery results failed", len(done))
            finally:
                for item, _ in done:
                    batch.held.pop(item.id, None)
                batch.changed.set()

    async def _renewer(self, batch: _Batch) -> None:
        while True:
            await asyncio.sleep(self.renew_every)
            ids = set(batch.held)
            if not ids:
                continue
            started = time.monotonic()
            try:
                async with self.inst.engine.begin() as conn:
                    kept = await renew(conn, deliveries, ids, token=batch.token, until=self.inst.clock() + self.lease)
            except Exception:  # no renewal: sends stop starting when the lease runs out
                log.exception("renewing delivery leases failed")
                continue
            batch.valid_until = started + self.lease.total_seconds()
            for lost in ids - kept:
                if lost not in batch.held:
                    continue  # recorded meanwhile
                self.lost_leases += 1
                task = batch.tasks.get(lost)
                if task is not None:  # another worker has the row now: drop it, record nothing
                    log.warning("lost the lease of delivery %s; dropping it", lost)
                    task.cancel()
