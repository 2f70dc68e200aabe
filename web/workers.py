"""Running the queue workers: inside ``yinhu serve`` or alone in ``yinhu worker``.

Each loop calls ``run_once()`` until it finds nothing to do, then waits for a wake-up from
this process (work queued here) or a short poll interval (work queued by another process,
e.g. a CLI command or another web process on the same database).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from datetime import timedelta

from actors.queues import inbox_queue
from actors.queues.delivery import DeliveryWorker
from actors.social.event_updates import send_due_updates
from actors.storage.db import checkpoint_wal
from actors.storage.instance import Instance
from inbox.dispatch import InboxWorker

__all__ = ["POLL_SECONDS", "prune_inbox", "run_workers"]

log = logging.getLogger("yinhu.workers")
POLL_SECONDS = 1.0
PRUNE_SECONDS = 3600.0


async def _loop(name: str, run_once: Callable[[], Awaitable[int]], wakeup: asyncio.Event, stop: asyncio.Event) -> None:
    while not stop.is_set():
        try:
            done = await run_once()
        except Exception:  # a worker never dies of one bad batch; it logs and goes on
            log.exception("%s worker batch failed", name)
            done = 0
        if done:
            log.debug("%s worker processed %d", name, done)
            continue
        wakeup.clear()
        waiter = asyncio.ensure_future(wakeup.wait())
        stopper = asyncio.ensure_future(stop.wait())
        await asyncio.wait({waiter, stopper}, timeout=POLL_SECONDS, return_when=asyncio.FIRST_COMPLETED)
        for fut in (waiter, stopper):
            fut.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await fut


async def prune_inbox(inst: Instance, stop: asyncio.Event, every: float = PRUNE_SECONDS) -> None:
    """Deletes processed inbox rows older than ``inbox_retention_days``, at start and hourly."""
    while not stop.is_set():
        try:
            gone = await inbox_queue.prune(inst, inst.clock(), inst.settings.inbox_retention_days)
            if gone:
                log.info("pruned %d processed inbox items", gone)
        except Exception:
            log.exception("pruning the inbox failed")
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=every)


async def send_event_updates(inst: Instance, stop: asyncio.Event, every: float = 5.0) -> None:
    """Sends the event Updates that came due (counts changed within a minute of the last one)."""
    while not stop.is_set():
        try:
            await send_due_updates(inst)
        except Exception:
            log.exception("sending due event updates failed")
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=every)


def delivery_worker_for(inst: Instance) -> DeliveryWorker:
    """The delivery worker the instance's settings describe (lease, sends at once)."""
    lease = timedelta(seconds=inst.settings.queue_lease_seconds)
    return DeliveryWorker(inst, lease=lease, concurrency=inst.settings.delivery_concurrency)


async def run_workers(inst: Instance, stop: asyncio.Event) -> None:
    inbox_worker = InboxWorker(inst)
    delivery_worker = delivery_worker_for(inst)
    await asyncio.gather(
        _loop("inbox", inbox_worker.run_once, inst.inbox_wakeup, stop),
        _loop("delivery", delivery_worker.run_once, inst.delivery_wakeup, stop),
        checkpoint_wal(inst.settings.database_url, stop),
        prune_inbox(inst, stop),
        send_event_updates(inst, stop),
    )
