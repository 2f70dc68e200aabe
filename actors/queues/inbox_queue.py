"""The inbox queue: received activities, stored raw with their verified signer, then leased
by the inbox worker. Storing is all the HTTP request does; side effects happen later."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import bindparam, delete, exists, insert, or_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import IntegrityError

from actors.queues import leases
from actors.queues.leases import lease_due
from actors.storage.instance import Instance
from actors.storage.models import InboxState, inbox_items
from fedi import vocab

__all__ = [
    "LEASE",
    "MAX_ATTEMPTS",
    "InboxItem",
    "InboxWriter",
    "claim",
    "finish",
    "object_key",
    "origin_of",
    "prune",
    "renew",
    "retry_later",
    "store",
]

LEASE = timedelta(seconds=30)
MAX_ATTEMPTS = 5
# Activities whose ``object`` is an activity they act on: ordered with that activity's object.
_WRAPPERS = frozenset({"Undo", "Accept", "Reject"})


def _host(url: str | None) -> str:
    return urlsplit(url or "").netloc.lower()[:255]


def object_key(doc: dict[str, Any]) -> str:
    """What ``doc`` is about, for ordering: items with one key are processed in arrival order.

    The actor and the object's id: a ``Create`` and the ``Update``/``Delete`` of its object share
    a key, as do a ``Follow`` and its ``Undo`` (the undone activity's object counts). Hashed, so
    the column stays small whatever the ids.
    """
    obj = doc.get("object")
    if doc.get("type") in _WRAPPERS and isinstance(obj, dict) and obj.get("object") is not None:
        obj = obj.get("object")
    target = vocab.get_id(obj) or ""
    actor = vocab.get_id(doc.get("actor")) or ""
    return hashlib.sha256(f"{actor}\n{target}".encode()).hexdigest()


def origin_of(doc: dict[str, Any]) -> str:
    """The host processing ``doc`` will talk to: the host of an object given only by a URL on
    another host (an ``Announce`` of a remote post is fetched from there), else the actor's."""
    actor_host = _host(vocab.get_id(doc.get("actor")))
    obj = doc.get("object")
    if isinstance(obj, str):
        obj_host = _host(obj)
        if obj_host and obj_host != actor_host:
            return obj_host
    return actor_host


@dataclass(frozen=True)
class InboxItem:
    id: int
    activity_uri: str
    activity_type: str
    signer: str
    body: str
    attempts: int
    origin: str


def _row(
    activity_uri: str, activity_type: str, signer: str, body: str, doc: dict[str, Any] | None, ignored: bool,
    held: bool = False,
) -> dict[str, Any]:
    doc = doc or {}
    state = InboxState.IGNORED if ignored else InboxState.HELD if held else InboxState.PENDING
    return {
        "activity_uri": activity_uri, "activity_type": activity_type[:64], "signer": signer,
        # An activity no handler wants keeps only its id (deduplication), never its body.
        "body": "" if ignored else body,
        "state": state.value,
        "result": f"no handler for {activity_type[:64]}" if ignored else None,
        "attempts": 0, "origin": origin_of(doc) or _host(signer), "object_key": object_key(doc) if doc else None,
    }


async def store(
    inst: Instance, *, activity_uri: str, activity_type: str, signer: str, body: str,
    doc: dict[str, Any] | None = None, ignored: bool = False,
) -> bool:
    """Store a received activity; False if this activity id was already received (dedupe)."""
    row = _row(activity_uri, activity_type, signer, body, doc, ignored)
    now = inst.clock()
    try:
        async with inst.engine.begin() as conn:
            await conn.execute(
                insert(inbox_items).values(**row, received_at=now, processed_at=now if ignored else None)
            )
    except IntegrityError:
        return False  # the unique activity id: this activity was received before
    inst.inbox_wakeup.set()
    return True


class InboxWriter:
    """Group commit for received activities: one writer task stores whatever requests arrived
    while the previous transaction was committing, in one INSERT … ON CONFLICT DO NOTHING.

    With SQLite's single writer, one transaction per request made concurrent requests queue
    on the database lock (p99 in seconds under load); batching turns that wait into shared
    commits. Each request still gets its own answer: stored, or already received.
    """

    def __init__(self, inst: Instance, max_batch: int = 256) -> None:
        self.inst = inst
        self.max_batch = max_batch
        self._queue: asyncio.Queue[tuple[dict[str, Any], asyncio.Future[bool]]] = asyncio.Queue()
        self._task: asyncio.Task[None] | None = None

    async def store(
        self, *, activity_uri: str, activity_type: str, signer: str, body: str,
        doc: dict[str, Any] | None = None, ignored: bool = False, held: bool = False,
    ) -> bool:
        """``held``: stored for a moderator (a domain under review), not processed until released."""
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(self._run(), name="inbox-writer")
        future: asyncio.Future[bool] = asyncio.get_running_loop().create_future()
        self._queue.put_nowait((_row(activity_uri, activity_type, signer, body, doc, ignored, held), future))
        return await future
    async def _run(self) -> None:
        while True:
            batch = [await self._queue.get()]
            while len(batch) < self.max_batch and not self._queue.empty():
                batch.append(self._queue.get_nowait())
            try:
                stored = await self._write([row for row, _ in batch])
            except Exception as exc:  # noqa: BLE001 - every waiting request learns of it; the task lives on
                for _, future in batch:
                    if not future.done():
                        future.set_exception(exc)
                continue
            for row, future in batch:
                uri = row["activity_uri"]
                new = uri in stored
                stored.discard(uri)  # a second copy of the same id in one batch is a duplicate
                if not future.done():
                    future.set_result(new)
            self.inst.inbox_wakeup.set()

    async def _write(self, rows: list[dict[str, Any]]) -> set[str]:
        now = self.inst.clock()
        for row in rows:
            row["received_at"] = now
            row["processed_at"] = now if row["state"] == InboxState.IGNORED.value else None
        async with self.inst.engine.begin() as conn:
            insert_ = pg_insert if conn.dialect.name == "postgresql" else sqlite_insert
            stmt = insert_(inbox_items).on_conflict_do_nothing(index_elements=["activity_uri"]).returning(
                inbox_items.c.activity_uri
            )
            result = await conn.execute(stmt, rows)
            return {r[0] for r in result}

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None


async def claim(
    inst: Instance, limit: int, now: datetime, *, token: str, lease: timedelta = LEASE,
    busy: dict[str, int] | None = None, share: int | None = None, exclude: Collection[str] = (),
) -> list[InboxItem]:
    """Lease up to ``limit`` due items under ``token``, oldest first.

    An item is due when no earlier item about the same object (``object_key``) is still
    pending: a ``Create`` is done before its ``Update`` is taken, by this worker or any other.
    With ``share``, no origin gets more than ``share`` items counting the ``busy`` ones this
    worker already holds per origin, so one slow or dead host cannot take every slot; origins
    in ``exclude`` get none.
    """
    earlier = inbox_items.alias("earlier")
    due = (
        select(inbox_items.c.id, inbox_items.c.origin)
        .where(
            inbox_items.c.state == InboxState.PENDING.value,
            or_(inbox_items.c.lease_until.is_(None), inbox_items.c.lease_until < now),
            ~exists().where(
                earlier.c.object_key == inbox_items.c.object_key,
                earlier.c.id < inbox_items.c.id,
                earlier.c.state == InboxState.PENDING.value,
            ),
        )
        .order_by(inbox_items.c.id)
        .limit(limit * 4 if share else limit)
    )
    counts = dict(busy or {})
    saturated = sorted({o for o, n in counts.items() if share and n >= share} | set(exclude))
    if saturated:
        due = due.where(or_(inbox_items.c.origin.is_(None), inbox_items.c.origin.not_in(saturated)))

    def pick(rows: list[Any]) -> list[int]:
        kept = []
        for row in rows:
            if share is not None and row.origin is not None:
                if counts.get(row.origin, 0) >= share:
                    continue
                counts[row.origin] = counts.get(row.origin, 0) + 1
            kept.append(row.id)
            if len(kept) >= limit:
                break
        return kept

    async with inst.engine.begin() as conn:
        ids = await lease_due(
            conn, inbox_items, due, pending=InboxState.PENDING.value, now=now, lease=lease, token=token, pick=pick
        )
        if not ids:
            return []
        rows = await conn.execute(
            select(
                inbox_items.c.id, inbox_items.c.activity_uri, inbox_items.c.activity_type,
                inbox_items.c.signer, inbox_items.c.body, inbox_items.c.attempts, inbox_items.c.origin,
            ).where(inbox_items.c.id.in_(ids)).order_by(inbox_items.c.id)
        )
        return [InboxItem(*r[:6], r[6] or "") for r in rows]


async def renew(inst: Instance, ids: set[int], *, token: str, until: datetime) -> set[int]:
    async with inst.engine.begin() as conn:
        return await leases.renew(conn, inbox_items, ids, token=token, until=until)


async def finish(inst: Instance, outcomes: list[tuple[int, InboxState, str]], now: datetime, *, token: str | None = None) -> None:
    """Record handled items (only those still leased by ``token``, when given). Done and
    ignored items keep their id for deduplication but drop the body; failed ones keep it."""
    if not outcomes:
        return
    stmt = update(inbox_items).where(inbox_items.c.id == bindparam("b_id"))
    if token is not None:
        stmt = stmt.where(inbox_items.c.lease_token == token)
    values = {
        "state": bindparam("b_state"), "result": bindparam("b_result"), "attempts": inbox_items.c.attempts + 1,
        "lease_until": None, "lease_token": None, "processed_at": now,
    }
    params = [{"b_id": i, "b_state": s.value, "b_result": r[:2000]} for i, s, r in outcomes]
    failed = [p for p in params if p["b_state"] == InboxState.FAILED.value]
    handled = [p for p in params if p["b_state"] != InboxState.FAILED.value]
    async with inst.engine.begin() as conn:
        if handled:
            await conn.execute(stmt.values(**values, body=""), handled)
        if failed:
            await conn.execute(stmt.values(**values), failed)


async def retry_later(inst: Instance, item_id: int, error: str, at: datetime, *, token: str | None = None) -> None:
    """A transient failure (the peer was down while we fetched): try the item again at ``at``."""
    stmt = update(inbox_items).where(inbox_items.c.id == item_id)
    if token is not None:
        stmt = stmt.where(inbox_items.c.lease_token == token)
    async with inst.engine.begin() as conn:
        await conn.execute(
            stmt.values(attempts=inbox_items.c.attempts + 1, lease_until=at, lease_token=None, result=error[:2000])
        )


async def prune(inst: Instance, now: datetime, days: int, *, batch: int = 5000) -> int:
    """Delete processed items older than ``days``; returns how many (deleted in batches)."""
    cutoff = now - timedelta(days=days)
    total = 0
    while True:
        async with inst.engine.begin() as conn:
            ids = select(inbox_items.c.id).where(
                inbox_items.c.processed_at < cutoff, inbox_items.c.state != InboxState.PENDING.value
            ).limit(batch)
            result = await conn.execute(delete(inbox_items).where(inbox_items.c.id.in_(ids)))
        total += result.rowcount or 0
        if (result.rowcount or 0) < batch:
            return total
