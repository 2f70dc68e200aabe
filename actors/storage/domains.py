"""Instance domain policies as every layer reads them: which severity covers a host.

A policy for ``example.com`` covers ``example.com`` and every subdomain (``a.b.example.com``),
as Mastodon's domain blocks do; the strictest covering policy wins. Severities, mildest first:
``review`` (everything received is held for a moderator), ``silence`` (stored, kept off the
feed, search and boosts), ``suspend`` (nothing received, fetched or delivered).

The whole table is read once and kept in the instance's cache for ``TTL`` seconds: the inbox
door and every fetch consult it, and a policy set by the CLI reaches a running server within
that time (``invalidate`` makes it immediate in the process that changed it).
"""

from __future__ import annotations

import time
from urllib.parse import urlsplit

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from actors.storage.instance import Instance
from actors.storage.models import domain_policies

__all__ = [
    "REVIEW",
    "SEVERITIES",
    "SILENCE",
    "SUSPEND",
    "TTL",
    "DomainSuspended",
    "covering",
    "host_of",
    "invalidate",
    "policy_table",
    "refuse_suspended",
    "severity_for",
    "stricter",
    "suspended_hosts",
]

REVIEW = "review"
SILENCE = "silence"
SUSPEND = "suspend"
SEVERITIES = (REVIEW, SILENCE, SUSPEND)  # mildest first
_RANK = {s: i for i, s in enumerate(SEVERITIES)}
TTL = 5.0
_CACHE_KEY = "domain_policies"


class DomainSuspended(ValueError):
    """Something would be fetched from a suspended domain (the inbox worker ignores the item)."""


def host_of(uri_or_host: str) -> str:
    """The lower-case host of a URL (or of a bare host), without port or trailing dot."""
    text = uri_or_host.strip()
    netloc = urlsplit(text).netloc if "//" in text else text
    host = netloc.rsplit("@", 1)[-1]
    if host.startswith("["):
        return host.split("]", 1)[0].lstrip("[").lower()
    return host.split(":", 1)[0].rstrip(".").lower()


def stricter(a: str | None, b: str | None) -> bool:
    """Whether severity ``a`` is stricter than ``b`` (None: no policy)."""
    return _RANK.get(a or "", -1) > _RANK.get(b or "", -1)


def covering(table: dict[str, str], host: str) -> str | None:
    """The strictest severity in ``table`` (domain → severity) covering ``host``."""
    labels = host.split(".")
    found: str | None = None
    for i in range(len(labels)):
        severity = table.get(".".join(labels[i:]))
        if severity is not None and stricter(severity, found):
            found = severity
    return found


async def policy_table(inst: Instance, *, fresh: bool = False) -> dict[str, str]:
    hit = inst.cache.get(_CACHE_KEY)
    now = time.monotonic()
    if hit is not None and hit[1] > now and not fresh:
        return hit[0]  # type: ignore[no-any-return]
    async with inst.engine.connect() as conn:
        table = {r.domain: r.severity for r in await conn.execute(select(domain_policies.c.domain, domain_policies.c.severity))}
    inst.cache[_CACHE_KEY] = (table, now + TTL)
    return table


def invalidate(inst: Instance) -> None:
    inst.cache.pop(_CACHE_KEY, None)


async def severity_for(inst: Instance, uri_or_host: str) -> str | None:
    """The severity covering the host of ``uri_or_host``, or None."""
    host = host_of(uri_or_host)
    if not host:
        return None
    return covering(await policy_table(inst), host)


async def suspended_hosts(conn: AsyncConnection, hosts: set[str]) -> set[str]:
    """Which of ``hosts`` a suspension covers (read in the caller's transaction)."""
    if not hosts:
        return set()
    rows = await conn.execute(select(domain_policies.c.domain).where(domain_policies.c.severity == SUSPEND))
    table = {r.domain: SUSPEND for r in rows}
    if not table:
        return set()
    return {h for h in hosts if covering(table, host_of(h)) == SUSPEND}


async def refuse_suspended(inst: Instance, url: str) -> None:
    """Raise ``DomainSuspended`` before a fetch from a suspended domain."""
    if await severity_for(inst, url) == SUSPEND:
        raise DomainSuspended(f"{host_of(url)} is suspended on this instance")
