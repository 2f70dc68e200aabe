"""The inbox worker: lease stored activities and run the handler registered for each.

Handlers register for an ``(activity type, object type)`` key; ``"*"`` matches any object
type. A key with no handler is recorded as ignored, never raised. A handler's exception is
caught here, at the job boundary, and written to the row; transient ones are retried.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import orjson

from actors import inbox_queue
from actors.instance import Instance
from actors.models import InboxState
from actors.remote import ActorError
from fedi import vocab
from fedi.errors import FetchError

__all__ = ["REGISTRY", "Context", "Handler", "InboxWorker", "Outcome", "handler_for", "register"]

log = logging.getLogger("yinhu.inbox")


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


class InboxWorker:
    def __init__(self, inst: Instance, *, batch: int = 100) -> None:
        from inbox import handlers  # noqa: F401  (importing registers every handler)

        self.inst = inst
        self.batch = batch

    async def run_once(self) -> int:
        items = await inbox_queue.claim(self.inst, self.batch, self.inst.clock())
        outcomes: list[tuple[int, InboxState, str]] = []
        for item in items:
            result = await self._process(item)
            if result is not None:
                outcomes.append((item.id, result.state, result.detail))
        await inbox_queue.finish(self.inst, outcomes, self.inst.clock())
        return len(items)

    async def _process(self, item: inbox_queue.InboxItem) -> Outcome | None:
        activity = orjson.loads(item.body)
        handler = handler_for(activity)
        if handler is None:
            return Outcome.ignored(f"no handler for {activity.get('type')}/{object_type(activity)}")
        try:
            return await handler(Context(self.inst, activity, item.signer))
        except (FetchError, ActorError) as exc:
            if item.attempts + 1 < inbox_queue.MAX_ATTEMPTS:
                delay = timedelta(minutes=2 ** item.attempts)
                await inbox_queue.retry_later(self.inst, item.id, f"retrying: {exc}", self.inst.clock() + delay)
                return None
            return Outcome(InboxState.FAILED, f"gave up: {exc}")
        except Exception as exc:  # the job boundary: record, never crash the worker
            log.exception("inbox item %s (%s) failed", item.id, item.activity_uri)
            return Outcome(InboxState.FAILED, f"{type(exc).__name__}: {exc}")
