"""The inbox queue: received activities, stored raw with their verified signer, then leased
by the inbox worker. Storing is all the HTTP request does; side effects happen later."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import bindparam, insert, or_, select, update
from sqlalchemy.exc import IntegrityError

from actors.instance import Instance
from actors.models import InboxState, inbox_items

__all__ = ["InboxItem", "store", "claim", "finish", "retry_later", "MAX_ATTEMPTS", "LEASE"]

LEASE = timedelta(minutes=2)
MAX_ATTEMPTS = 5


@dataclass(frozen=True)
class InboxItem:
    id: int
    activity_uri: str
    activity_type: str
    signer: str
    body: str
    attempts: int


async def store(inst: Instance, *, activity_uri: str, activity_type: str, signer: str, body: str) -> bool:
    """Store a received activity; False if this activity id was already received (dedupe)."""
    try:
        async with inst.engine.begin() as conn:
            await conn.execute(
                insert(inbox_items).values(
                    activity_uri=activity_uri,
                    activity_type=activity_type[:64],
                    signer=signer,
                    body=body,
                    state=InboxState.PENDING.value,
                    attempts=0,
                    received_at=inst.clock(),
                )
            )
    except IntegrityError:
        return False  # the unique activity id: this activity was received before
    inst.inbox_wakeup.set()
    return True


async def claim(inst: Instance, limit: int, now: datetime) -> list[InboxItem]:
    due = (
        select(inbox_items.c.id)
        .where(
            inbox_items.c.state == InboxState.PENDING.value,
            or_(inbox_items.c.lease_until.is_(None), inbox_items.c.lease_until < now),
        )
        .order_by(inbox_items.c.id)
        .limit(limit)
    )
    async with inst.engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            due = due.with_for_update(skip_locked=True)
        ids = [r.id for r in await conn.execute(due)]
        if not ids:
            return []
        # Lease only rows still free and keep only those: on SQLite the SELECT takes no lock,
        # so a second worker may have chosen the same ids and leased them first.
        leased = await conn.execute(
            update(inbox_items)
            .where(
                inbox_items.c.id.in_(ids),
                inbox_items.c.state == InboxState.PENDING.value,
                or_(inbox_items.c.lease_until.is_(None), inbox_items.c.lease_until < now),
            )
            .values(lease_until=now + LEASE)
            .returning(inbox_items.c.id)
        )
        ids = [r.id for r in leased]
        if not ids:
            return []
        rows = await conn.execute(
            select(
                inbox_items.c.id, inbox_items.c.activity_uri, inbox_items.c.activity_type,
                inbox_items.c.signer, inbox_items.c.body, inbox_items.c.attempts,
            ).where(inbox_items.c.id.in_(ids)).order_by(inbox_items.c.id)
        )
        return [InboxItem(*r) for r in rows]


async def finish(inst: Instance, outcomes: list[tuple[int, InboxState, str]], now: datetime) -> None:
    if not outcomes:
        return
    async with inst.engine.begin() as conn:
        await conn.execute(
            update(inbox_items)
            .where(inbox_items.c.id == bindparam("b_id"))
            .values(
                state=bindparam("b_state"),
                result=bindparam("b_result"),
                attempts=inbox_items.c.attempts + 1,
                lease_until=None,
                processed_at=now,
            ),
            [{"b_id": i, "b_state": s.value, "b_result": r[:2000]} for i, s, r in outcomes],
        )


async def retry_later(inst: Instance, item_id: int, error: str, at: datetime) -> None:
    """A transient failure (the peer was down while we fetched): try the item again at ``at``."""
    async with inst.engine.begin() as conn:
        await conn.execute(
            update(inbox_items)
            .where(inbox_items.c.id == item_id)
            .values(attempts=inbox_items.c.attempts + 1, lease_until=at, result=error[:2000])
        )
