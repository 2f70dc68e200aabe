"""``POST /inbox``: size cap → JSON → signature → actor binding → store → 202.

Nothing here has side effects beyond one stored row: the inbox worker does the rest later.
The result carries an HTTP-like status and a reason; only ``web/`` turns it into a response.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import orjson

from actors.queues import inbox_queue
from actors.social.remote import KeyLookup
from actors.storage.domains import REVIEW, SUSPEND, severity_for
from actors.storage.instance import Instance
from fedi import vocab
from fedi.verify import verify_request
from inbox.dispatch import handler_for

__all__ = ["RateLimiter", "Receipt", "Receiver"]

MAX_DEPTH = 32  # JSON nesting a legitimate activity never reaches; deeper is an attack


@dataclass(frozen=True)
class Receipt:
    status: int  # 202 stored or duplicate, 400 bad JSON, 401 signature, 403 suspended domain, 413 too large, 429 too many
    reason: str
    retry_after: int | None = None  # seconds, with 429


class RateLimiter:
    """Token buckets per key: ``per_minute`` requests a minute, as a burst or spread out.

    Memory is bounded: past ``max_keys`` the least recently used bucket is dropped (a dropped
    key starts again with a full bucket, the same as a key idle for a minute). One process's
    view: each web process limits on its own.
    """

    def __init__(self, per_minute: int, *, max_keys: int = 50_000, clock: Callable[[], float] = time.monotonic) -> None:
        self.per_minute = per_minute
        self.max_keys = max_keys
        self.clock = clock
        self._buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()  # key: (tokens, at)

    def take(self, key: str) -> float:
        """Take one token for ``key``: 0 when allowed, else the seconds until one is free."""
        if self.per_minute <= 0:
            return 0.0
        now = self.clock()
        rate = self.per_minute / 60.0
        tokens, at = self._buckets.pop(key, (float(self.per_minute), now))
        tokens = min(float(self.per_minute), tokens + (now - at) * rate)
        wait = 0.0
        if tokens >= 1.0:
            tokens -= 1.0
        else:
            wait = (1.0 - tokens) / rate
        self._buckets[key] = (tokens, now)
        while len(self._buckets) > self.max_keys:
            self._buckets.popitem(last=False)
        return wait


def _depth(value: Any, limit: int) -> bool:
    """True when ``value`` nests no deeper than ``limit`` (iterative: no recursion on hostile input)."""
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if depth > limit:
            return False
        if isinstance(item, dict):
            stack.extend((v, depth + 1) for v in item.values() if isinstance(v, dict | list))
        elif isinstance(item, list):
            stack.extend((v, depth + 1) for v in item if isinstance(v, dict | list))
    return True


class Receiver:
    def __init__(self, inst: Instance) -> None:
        self.inst = inst
        self.key_lookup = KeyLookup(inst)
        self.writer = inbox_queue.InboxWriter(inst)
        self.per_actor = RateLimiter(inst.settings.inbox_rate_per_actor)
        self.per_host = RateLimiter(inst.settings.inbox_rate_per_host)
        from inbox import handlers  # noqa: F401  (registers the handlers: what has none is not kept)

    async def close(self) -> None:
        await self.writer.close()

    async def signer_of(self, method: str, target: str, headers: Mapping[str, str]) -> str | None:
        """The actor whose valid signature a bodiless request (a signed GET) carries, or None."""
        result = await verify_request(
            method, target, headers, b"", self.key_lookup, now=self.inst.clock(),
            scheme=urlsplit(self.inst.settings.url).scheme or "https",
        )
        return result.owner if result.ok else None

    async def receive(
        self, method: str, target: str, headers: Mapping[str, str], body: bytes, *, scheme: str | None = None
    ) -> Receipt:
        """``scheme`` is the public scheme RFC 9421's ``@target-uri`` was signed with; by
        default the one of the instance's URL, which stays right behind a TLS-terminating proxy."""
        if len(body) > self.inst.settings.max_body_bytes:
            return Receipt(413, f"body larger than {self.inst.settings.max_body_bytes} bytes")
        try:
            doc = orjson.loads(body)
        except orjson.JSONDecodeError:
            return Receipt(400, "body is not JSON")
        if not isinstance(doc, dict) or not _depth(doc, MAX_DEPTH):
            return Receipt(400, "body is not a JSON object of reasonable depth")
        activity_id, type_, actor = doc.get("id"), doc.get("type"), vocab.get_id(doc.get("actor"))
        if not isinstance(type_, str) or not actor:
            return Receipt(400, "an activity needs a type and an actor")
        if not isinstance(activity_id, str) or not activity_id.startswith(("https://", "http://")):
            return Receipt(400, "an activity needs an http(s) id")
        if urlsplit(activity_id).netloc.lower() != urlsplit(actor).netloc.lower():
            # Ids are de-duplicated: a foreign id would let one actor suppress another's activity.
            return Receipt(400, "the activity's id must be on its actor's host")
        # Before the signature: a suspended domain costs no key fetch (Mastodon answers 403 too).
        severity = await severity_for(self.inst, actor)
        if severity == SUSPEND:
            return Receipt(403, "this instance does not accept activities from that domain")
        result = await verify_request(
            method,
            target,
            headers,
            body,
            self.key_lookup,
            now=self.inst.clock(),
            scheme=scheme or urlsplit(self.inst.settings.url).scheme or "https",
        )
        if not result.ok:
            return Receipt(401, f"signature not accepted: {result.detail}")
        if result.owner != actor:
            return Receipt(401, f"signed by {result.owner}, but the activity's actor is {actor}")
        if self.inst.is_local_uri(actor):
            return Receipt(401, "activities from this instance's own actors are not accepted from outside")
        # Counted once the signer is known, so that nobody can spend another's quota.
        # A request the sender's own quota refuses does not count against its host's.
        wait = self.per_actor.take(actor) or self.per_host.take(urlsplit(actor).netloc.lower())
        if wait > 0:
            return Receipt(429, "too many activities from this sender; retry later", retry_after=max(1, round(wait + 0.5)))
        stored = await self.writer.store(
            activity_uri=activity_id, activity_type=type_, signer=result.owner, body=body.decode(), doc=doc,
            ignored=handler_for(doc) is None, held=severity == REVIEW,
        )
        return Receipt(202, "accepted") if stored else Receipt(202, "already received")
