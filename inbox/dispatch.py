"""The inbox worker: lease stored activities and run the handler registered for each.

Handlers register for an ``(activity type, object type)`` key; ``"*"`` matches any object
type. A key with no handler is recorded as ignored, never raised. A handler's exception is
caught here, at the job boundary, and written to the row; transient ones are retried.
"""

from __future__ import annotations

import asyncio
import logging
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import orjson

from actors.queues import inbox_queue
from actors.queues.leases import new_lease_token
from actors.social.remote import ActorError
from actors.storage.domains import DomainSuspended
from actors.storage.instance import Instance
from actors.storage.models import InboxState
from fedi import vocab
from fedi.errors import FetchError

__all__ = ["REGISTRY", "Context", "Handler", "InboxWorker", "Outcome", "handler_for", "register"]

log = logging.getLogger("yinhu.inbox")

CONCURRENCY = 16  # items handled at once by one worker
POLL_SECONDS = 1.0  # how often a busy worker looks for items another process stored
# A finished item claims again at most this often: often enough that slots never wait long
# for the next item (a dead origin's items can hold the window's rest for seconds), rarely
# enough that a one-origin burst does not cost a claim per item.
CLAIM_INTERVAL = 0.1


@dataclass(frozen=True)
class Outcome:
    state: InboxState
    detail: str

    @classmethod
    def done(cls, detail: str) -> Outcome:
        return cls(InboxState.DONE, detail)

    @classmethod
    def ignored(cls, detail: str) -> Outcome:
        return cls(InboxState.IGNORED, detail)


@dataclass(frozen=True)
class Context:
    inst: Instance
    activity: dict[str, Any]
    signer: str  # the verified key owner, equal to the activity's actor

    @property
    def object(self) -> Any:
        return self.activity.get("object")

    @property
    def object_id(self) -> str | None:
        return vocab.get_id(self.activity.get("object"))


Handler = Callable[[Context], Awaitable[Outcome]]
REGISTRY: dict[tuple[str, str], Handler] = {}


def register(activity_type: str, object_type: str = "*") -> Callable[[Handler], Handler]:
    def deco(fn: Handler) -> Handler:
        REGISTRY[(activity_type, object_type)] = fn
        return fn

    return deco


def object_type(activity: dict[str, Any]) -> str:
    obj = activity.get("object")
    if isinstance(obj, dict) and isinstance(obj.get("type"), str):
        return obj["type"]
    return "*"


def handler_for(activity: dict[str, Any]) -> Handler | None:
    type_ = activity.get("type")
    if not isinstance(type_, str):
        return None
    return REGISTRY.get((type_, object_type(activity))) or REGISTRY.get((type_, "*"))


def _pool_slots(inst: Instance) -> int:
    """Items that may run at once without starving the connection pool: an item holds one
    connection and may need a second (an actor fetched meanwhile is stored on its own)."""
    pool = inst.engine.pool
    size = getattr(pool, "size", None)
    if not callable(size):
        return CONCURRENCY
    return max(1, (size() + int(getattr(pool, "_max_overflow", 0))) // 2)


WINDOW = 8  # items leased ahead per slot: claims come in batches, not one per item


class InboxWorker:
    """Runs handlers for stored items. ``run_once()`` works until nothing is due and returns
    how many items it took.

    Up to ``concurrency`` items run at once (fewer when the connection pool is small: 4 on
    SQLite, 10 on PostgreSQL with the default pools), each recorded as it finishes; one origin
    (the host an item's processing talks to, ``inbox_queue.origin_of``) gets at most ``share``
    of those slots (a fifth, at least one), so a dead or slow host delays only its own items.
    Items about one object run in arrival order (``inbox_queue.claim``).

    The worker leases a window of items ahead of its slots (``WINDOW`` per slot) and starts
    them from memory: one claim serves many items. One origin holds at most half the window,
    and is claimed again only once it has fallen to a quarter, so a dead host's backlog can
    neither fill the window nor make every finished item cost a claim. Leases are short and
    renewed while items wait or run.
    """

    def __init__(
        self, inst: Instance, *, batch: int | None = None, concurrency: int = CONCURRENCY,
        share: int | None = None, lease: timedelta = inbox_queue.LEASE, window: int | None = None,
    ) -> None:
        from inbox import handlers  # noqa: F401  (importing registers every handler)

        self.inst = inst
        self.concurrency = min(batch or concurrency, _pool_slots(inst))
        self.share = share if share is not None else max(1, self.concurrency // 5)
        self.window = max(self.concurrency, window if window is not None else self.concurrency * WINDOW)
        self.origin_cap = max(self.share, self.window // 2)
        self.lease = lease

    async def run_once(self) -> int:
        token = new_lease_token()
        waiting: dict[int, inbox_queue.InboxItem] = {}  # leased, not started (in id order)
        running: dict[int, tuple[inbox_queue.InboxItem, asyncio.Task[None]]] = {}
        changed = asyncio.Event()
        taken = 0
        may_have_more = True  # the last claim filled what it asked, or work arrived since
        held_back: set[str] = set()  # origins the last short claim left out
        loop = asyncio.get_running_loop()
        last_claim = loop.time()

        # Results wait here for the recorder, which writes whatever finished meanwhile in one
        # transaction (group commit); an item leaves ``running`` once its result is written.
        results: list[tuple[int, InboxState, str]] = []
        ready = asyncio.Event()

        async def run(item: inbox_queue.InboxItem) -> None:
            result = None
            try:
                result = await self._process(item, token)
            finally:
                if result is None:
                    running.pop(item.id, None)
                else:
                    results.append((item.id, result.state, result.detail))
                    ready.set()
                changed.set()  # its slot is free while the result waits to be written

        renewer = asyncio.create_task(self._renew(waiting, running, token))
        writer = asyncio.create_task(self._record(results, ready, running, changed, token))
        try:
            while True:
                self._start(waiting, running, run)
                stale = loop.time() - last_claim >= CLAIM_INTERVAL
                if may_have_more or stale or self._released(held_back, waiting, running):
                    last_claim = loop.time()
                    claimed, asked, held_back = await self._claim(waiting, running, token)
                    for item in claimed:
                        waiting[item.id] = item
                    taken += len(claimed)
                    may_have_more = asked > 0 and len(claimed) >= asked
                    if claimed:
                        continue
                if not running and not waiting:
                    if may_have_more or changed.is_set():
                        may_have_more = True
                        changed.clear()
                        continue  # what ran meanwhile ended: its origin may have more due
                    return taken
                # A finished item alone claims again only when it lets a held-back origin in,
                # or CLAIM_INTERVAL has passed (what it unblocked, an Update after its Create,
                # is due; the window may hold only a dead origin's items); new items or the
                # poll always do.
                may_have_more = await self._wait_for_work(changed)
        finally:
            renewer.cancel()
            writer.cancel()
            for _, task in list(running.values()):
                task.cancel()
            await asyncio.gather(renewer, writer, *(t for _, t in running.values()), return_exceptions=True)

    def _start(
        self, waiting: dict[int, inbox_queue.InboxItem],
        running: dict[int, tuple[inbox_queue.InboxItem, asyncio.Task[None]]],
        run: Callable[[inbox_queue.InboxItem], Awaitable[None]],
    ) -> None:
        """Start waiting items, oldest first, while slots are free and their origin's share
        allows. A slot counts while its handler runs, not while its result waits to be written."""
        active = [item for item, task in running.values() if not task.done()]
        busy = Counter(item.origin for item in active)
        slots = len(active)
        for item_id, item in list(waiting.items()):
            if slots >= self.concurrency:
                return
            if busy[item.origin] >= self.share:
                continue
            busy[item.origin] += 1
            slots += 1
            del waiting[item_id]
            running[item_id] = (item, asyncio.create_task(run(item)))

    async def _claim(
        self, waiting: dict[int, inbox_queue.InboxItem],
        running: dict[int, tuple[inbox_queue.InboxItem, asyncio.Task[None]]], token: str,
    ) -> tuple[list[inbox_queue.InboxItem], int, set[str]]:
        """Refill the window when a quarter of it is free (or it is empty); returns the items,
        how many were asked for (0: no claim made) and the origins left out."""
        held = self._held(waiting, running)
        room = self.window - sum(held.values())
        if room <= 0 or (held and room < max(1, self.window // 4)):
            return [], 0, set()
        # An origin holding a quarter of the window or more waits until it has fallen below.
        full = {o for o, n in held.items() if n >= self._refill_below}
        claimed = await inbox_queue.claim(
            self.inst, room, self.inst.clock(), token=token, lease=self.lease,
            busy=dict(held), share=self.origin_cap, exclude=full,
        )
        return claimed, room, full

    @property
    def _refill_below(self) -> int:
        return max(1, self.origin_cap // 2)

    @staticmethod
    def _held(
        waiting: dict[int, inbox_queue.InboxItem], running: dict[int, tuple[inbox_queue.InboxItem, asyncio.Task[None]]],
    ) -> Counter[str]:
        held = Counter(item.origin for item in waiting.values())
        held.update(item.origin for item, _ in running.values())
        return held

    def _released(
        self, held_back: set[str], waiting: dict[int, inbox_queue.InboxItem],
        running: dict[int, tuple[inbox_queue.InboxItem, asyncio.Task[None]]],
    ) -> bool:
        """Whether an origin the last claim left out has since fallen below its refill mark."""
        if not held_back:
            return False
        held = self._held(waiting, running)
        return any(held[o] < self._refill_below for o in held_back)

    async def _wait_for_work(self, changed: asyncio.Event) -> bool:
        """Wait for a slot to free, or for new items (this process's wake-up; others' at the
        poll). True when new items or the poll came first."""
        changed.clear()
        self.inst.inbox_wakeup.clear()
        waits = [asyncio.ensure_future(changed.wait()), asyncio.ensure_future(self.inst.inbox_wakeup.wait())]
        await asyncio.wait(waits, timeout=POLL_SECONDS, return_when=asyncio.FIRST_COMPLETED)
        for w in waits:
            w.cancel()
        return not changed.is_set()

    async def _record(
        self, results: list[tuple[int, InboxState, str]], ready: asyncio.Event,
        running: dict[int, tuple[inbox_queue.InboxItem, asyncio.Task[None]]], changed: asyncio.Event, token: str,
    ) -> None:
        """Write whatever finished meanwhile in one transaction (group commit); an item leaves
        ``running`` once its result is written."""
        while True:
            await ready.wait()
            ready.clear()
            batch = results[:]
            del results[: len(batch)]
            try:
                await inbox_queue.finish(self.inst, batch, self.inst.clock(), token=token)
            except Exception:  # the database failed: the leases run out and the items come back
                log.exception("recording %d inbox items failed", len(batch))
            for item_id, _, _ in batch:
                running.pop(item_id, None)
            changed.set()

    async def _renew(
        self, waiting: dict[int, inbox_queue.InboxItem],
        running: dict[int, tuple[inbox_queue.InboxItem, asyncio.Task[None]]], token: str,
    ) -> None:
        while True:
            await asyncio.sleep(self.lease.total_seconds() / 3)
            ids = set(running) | set(waiting)
            if not ids:
                continue
            try:
                kept = await inbox_queue.renew(self.inst, ids, token=token, until=self.inst.clock() + self.lease)
            except Exception:
                log.exception("renewing inbox leases failed")
                continue
            for lost in ids - kept:
                waiting.pop(lost, None)
                entry = running.get(lost)
                if entry is not None:
                    log.warning("lost the lease of inbox item %s; dropping it", lost)
                    entry[1].cancel()

    async def _process(self, item: inbox_queue.InboxItem, token: str) -> Outcome | None:
        activity = orjson.loads(item.body) if item.body else {}
        handler = handler_for(activity)
        if handler is None:
            return Outcome.ignored(f"no handler for {activity.get('type')}/{object_type(activity)}")
        try:
            return await handler(Context(self.inst, activity, item.signer))
        except (FetchError, ActorError) as exc:
            if item.attempts + 1 < inbox_queue.MAX_ATTEMPTS:
                # Not before its origin's breaker lets a fetch through again (``fedi.breaker``).
                delay = max(timedelta(minutes=2 ** item.attempts), self.inst.breaker.remaining(item.origin))
                await inbox_queue.retry_later(
                    self.inst, item.id, f"retrying: {exc}", self.inst.clock() + delay, token=token
                )
                return None
            return Outcome(InboxState.FAILED, f"gave up: {exc}")
        except DomainSuspended as exc:
            return Outcome.ignored(str(exc))
        except Exception as exc:  # the job boundary: record, never crash the worker
            log.exception("inbox item %s (%s) failed", item.id, item.activity_uri)
            return Outcome(InboxState.FAILED, f"{type(exc).__name__}: {exc}")
