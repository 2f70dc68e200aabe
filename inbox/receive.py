"""``POST /inbox``: size cap → JSON → signature → actor binding → store → 202.

Nothing here has side effects beyond one stored row: the inbox worker does the rest later.
The result carries an HTTP-like status and a reason; only ``web/`` turns it into a response.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import orjson

from actors import inbox_queue
from actors.instance import Instance
from actors.remote import KeyLookup
from fedi import vocab
from fedi.httpsig import verify_request

__all__ = ["Receipt", "Receiver"]

MAX_DEPTH = 32  # JSON nesting a legitimate activity never reaches; deeper is an attack


@dataclass(frozen=True)
class Receipt:
    status: int  # 202 stored, 200 duplicate, 400 bad JSON, 401 signature, 413 too large
    reason: str


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

    async def close(self) -> None:
        await self.writer.close()

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
        stored = await self.writer.store(
            activity_uri=activity_id, activity_type=type_, signer=result.owner, body=body.decode()
        )
        return Receipt(202, "accepted") if stored else Receipt(202, "already received")
