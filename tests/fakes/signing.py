"""What the signature tests share: a recording key lookup and a recorder of sent requests."""

from __future__ import annotations

from dataclasses import dataclass, field

import httpx

from fedi.signatures import PublicKeyInfo

__all__ = ["FakeLookup", "RequestLog"]


@dataclass
class FakeLookup:
    """A KeyLookup that records its calls; ``fresh`` is served when refresh=True."""

    cached: PublicKeyInfo | None
    fresh: PublicKeyInfo | None = None
    fail: bool = False
    calls: list[tuple[str, bool]] = field(default_factory=list)

    async def __call__(self, key_id: str, refresh: bool) -> PublicKeyInfo | None:
        self.calls.append((key_id, refresh))
        if self.fail:
            raise OSError("network down")
        return self.fresh if refresh and self.fresh is not None else self.cached


@dataclass
class RequestLog:
    """A handler for ``httpx.MockTransport`` that keeps every request and answers ``status``."""

    status: int = 200
    seen: list[httpx.Request] = field(default_factory=list)

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.seen.append(request)
        return httpx.Response(self.status)
