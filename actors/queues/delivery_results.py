"""What happens after a send: retry times, giving up, the hosts' health, and writing results.

``actors.queues.delivery`` claims rows and sends them; this module decides what each result
means (sent; retried at 30 s, 1 min, 2 min, … capped at 6 h, later if ``Retry-After`` says
so; dead after 3 days or at a permanent refusal) and writes it, fenced by the lease token.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import bindparam, or_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncConnection

from actors.storage.instance import Instance
from actors.storage.models import DeliveryState, deliveries, hosts
from fedi.breaker import backoff as host_backoff
from fedi.delivery import DeliveryResult, Outcome

__all__ = [
    "FIRST_RETRY",
    "GIVE_UP_AFTER",
    "HOST_FAILURE_THRESHOLD",
    "HOST_MAX_BACKOFF",
    "HOST_SUCCESS_GRAIN",
    "MAX_RETRY",
    "Claimed",
    "record_hosts",
    "record_results",
    "retry_delay",
    "sort_results",
]

GIVE_UP_AFTER = timedelta(days=3)
FIRST_RETRY = timedelta(seconds=30)
MAX_RETRY = timedelta(hours=6)
HOST_FAILURE_THRESHOLD = 5  # consecutive failed attempts before the host as a whole is paused
HOST_MAX_BACKOFF = timedelta(hours=6)
HOST_SUCCESS_GRAIN = timedelta(minutes=1)  # a host's last_success_at is kept to this precision


def retry_delay(attempts: int, rng: random.Random | None = None) -> timedelta:
    """30 s, 1 min, 2 min, … capped at 6 h, with ±10 % jitter so retries do not stampede."""
    base = min(FIRST_RETRY * (2 ** max(attempts - 1, 0)), MAX_RETRY)
    jitter = (rng or random).uniform(0.9, 1.1)
    return base * jitter


@dataclass(frozen=True)
class Claimed:
    id: int
    inbox: str
    host: str
    attempts: int
    created_at: datetime
    body: bytes
    key_id: str
    private_key_pem: str


async def record_results(
    inst: Instance, token: str, claimed: Sequence[Claimed], results: Sequence[DeliveryResult], now: datetime,
    schemes: dict[str, str | None],
) -> None:
    """Write finished sends in one transaction: sent, retry at, or dead, only where the row is
    still leased under ``token``; the hosts' successes and failures; the signature schemes
    learned (also into ``schemes``, the worker's memory of them)."""
    sent, retry, dead, host_ok, host_fail, learned = sort_results(claimed, results, now, schemes)
    # The fence: a row another worker has leased since (its token differs) is not touched.
    base = update(deliveries).where(deliveries.c.id == bindparam("b_id"), deliveries.c.lease_token == token)
    released = {"lease_until": None, "lease_token": None}
    async with inst.engine.begin() as conn:
        if sent:
            await conn.execute(
                base.values(
                    state=DeliveryState.SENT.value, attempts=bindparam("b_attempts"),
                    last_status=bindparam("b_status"), last_error=None, done_at=now, **released,
                ),
                [{k: v for k, v in d.items() if k != "b_error"} for d in sent],
            )
        if dead:
            await conn.execute(
                base.values(
                    state=DeliveryState.DEAD.value, attempts=bindparam("b_attempts"),
                    last_status=bindparam("b_status"), last_error=bindparam("b_error"),
                    done_at=now, **released,
                ),
                dead,
            )
        if retry:
            await conn.execute(
                base.values(
                    attempts=bindparam("b_attempts"), last_status=bindparam("b_status"),
                    last_error=bindparam("b_error"), next_try_at=bindparam("b_next"), **released,
                ),
                retry,
            )
        await record_hosts(conn, host_ok - set(host_fail), host_fail, now)
        for host, scheme in learned.items():
            insert_ = pg_insert if conn.dialect.name == "postgresql" else sqlite_insert
            await conn.execute(
                insert_(hosts)
                .values(host=host, consecutive_failures=0, signature_scheme=scheme, last_success_at=now)
                .on_conflict_do_update(index_elements=["host"], set_={"signature_scheme": scheme})
            )
    for host, scheme in learned.items():
        schemes[host] = scheme

async def record_hosts(conn: AsyncConnection, ok: set[str], failed: dict[str, int], now: datetime) -> None:
    """A host that answered is reset; one that failed counts a failure and, past the threshold,
    is paused as a whole."""
    if ok:
        # Only rows with something to reset, or a last success older than a minute: every
        # result is written as it comes, and an UPDATE of a popular host's row at each one
        # would make all workers queue on that row's lock.
        await conn.execute(
            update(hosts)
            .where(
                hosts.c.host.in_(ok),
                or_(
                    hosts.c.consecutive_failures > 0,
                    hosts.c.backoff_until.is_not(None),
                    hosts.c.last_success_at.is_(None),
                    hosts.c.last_success_at < now - HOST_SUCCESS_GRAIN,
                ),
            )
            .values(consecutive_failures=0, backoff_until=None, first_failure_at=None, last_success_at=now)
        )
    for host in failed:
        row = (await conn.execute(select(hosts).where(hosts.c.host == host))).first()
        failures = (row.consecutive_failures if row else 0) + 1
        # The rule fetches' breaker follows too, from the first failure and in memory.
        pause = host_backoff(failures, first=FIRST_RETRY, cap=HOST_MAX_BACKOFF, threshold=HOST_FAILURE_THRESHOLD)
        backoff = None if pause is None else now + pause
        if row is None:
            await conn.execute(
                hosts.insert().values(
                    host=host, consecutive_failures=failures, backoff_until=backoff, first_failure_at=now
                )
            )
        else:
            await conn.execute(
                update(hosts)
                .where(hosts.c.host == host)
                .values(
                    consecutive_failures=failures,
                    backoff_until=backoff,
                    first_failure_at=row.first_failure_at or now,
                )
            )


def sort_results(
    claimed: Sequence[Claimed], results: Sequence[DeliveryResult], now: datetime, schemes: dict[str, str | None],
) -> tuple[list[dict[str, Any]], list[dict[str, Any]], list[dict[str, Any]], set[str], dict[str, int], dict[str, str]]:
    """The rows to mark sent, to retry (with their next try) and dead; the hosts that answered,
    those that failed (how often), and the signature schemes learned."""
    sent: list[dict[str, Any]] = []
    retry: list[dict[str, Any]] = []
    dead: list[dict[str, Any]] = []
    host_ok: set[str] = set()
    host_fail: dict[str, int] = {}
    learned: dict[str, str] = {}
    for item, res in zip(claimed, results, strict=True):
        attempts = item.attempts + 1
        common = {"b_id": item.id, "b_attempts": attempts, "b_status": res.status, "b_error": res.error}
        if res.outcome is Outcome.DELIVERED:
            sent.append(common)
            host_ok.add(item.host)
            if res.signature_scheme and res.signature_scheme != schemes.get(item.host):
                learned[item.host] = res.signature_scheme
            continue
        created = item.created_at
        next_try = now + retry_delay(attempts)
        if res.retry_after is not None and res.retry_after > next_try:
            next_try = res.retry_after
        if res.outcome is Outcome.GIVE_UP or next_try - created > GIVE_UP_AFTER:
            dead.append(common)
        else:
            retry.append({**common, "b_next": next_try})
        if res.outcome is Outcome.RETRY:
            host_fail[item.host] = host_fail.get(item.host, 0) + 1
        else:
            host_ok.add(item.host)  # the host answered; the request itself was bad
    return sent, retry, dead, host_ok, host_fail, learned
