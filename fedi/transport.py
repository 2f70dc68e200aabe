"""The network under ``httpx``: aiohttp's connection pool, with the address check at dial time.

Everything in Yinhu talks HTTP through ``httpx.AsyncClient`` (tests swap in in-process
transports), but httpx's own network layer, httpcore, costs about 1.2 ms of CPU per keep-alive
POST here, which caps a delivery worker near 500 requests/s. aiohttp's client does the same
work in about 0.1 ms. ``network_client`` therefore builds an httpx client whose transport is
``httpx_aiohttp.AiohttpTransport`` (by httpx's maintainer), with two additions:

* ``GuardedResolver`` checks every address a host name resolves to *when the connection is
  opened*, so a name that answered a public address to ``fedi.fetch.check_url`` and a private
  one a moment later (DNS rebinding) still cannot reach an internal service. The check is
  ``fedi.fetch.is_public_address``; ``allow_private`` (development, two instances on one
  machine) turns it off, as it does the URL-level check.
* ``NetworkTransport`` turns every aiohttp error into the httpx exception family, so callers
  catch ``httpx.RequestError`` and nothing from aiohttp leaks out (the upstream mapping misses
  some, e.g. a malformed status line).
"""

from __future__ import annotations

import asyncio
import errno
import socket
from typing import Any

import aiohttp
import httpx
from aiohttp.abc import AbstractResolver, ResolveResult
from aiohttp.resolver import DefaultResolver
from httpx_aiohttp import AiohttpTransport

from fedi.fetch import is_public_address

__all__ = ["GuardedResolver", "NetworkTransport", "network_client"]


class GuardedResolver(AbstractResolver):
    """aiohttp's resolver, refusing (``OSError``) names that reach non-public addresses.

    Every address must be public, not just one: the connector may try any of them. aiohttp
    does not resolve IP literals, so they never get here; ``check_url`` refuses those already.
    """

    def __init__(self, *, allow_private: bool = False, inner: AbstractResolver | None = None) -> None:
        self.allow_private = allow_private
        self._inner = inner

    async def resolve(self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET) -> list[ResolveResult]:
        if self._inner is None:
            self._inner = DefaultResolver()
        results = await self._inner.resolve(host, port, family)
        if not self.allow_private:
            blocked = [r["host"] for r in results if not is_public_address(r["host"])]
            if blocked:
                # (errno, text): aiohttp shows the text of an OSError only when it has both.
                raise OSError(errno.EACCES, f"{host} resolves to a non-public address ({blocked[0]}); refused")
        return results

    async def close(self) -> None:
        if self._inner is not None:
            await self._inner.close()


def _as_httpx(exc: BaseException, request: httpx.Request, *, reading: bool = False) -> httpx.TransportError:
    """The httpx exception that says what ``exc`` (from aiohttp or the socket) means."""
    message = f"{type(exc).__name__}: {exc}"
    if isinstance(exc, aiohttp.ConnectionTimeoutError):
        return httpx.ConnectTimeout(message, request=request)
    if isinstance(exc, (TimeoutError, asyncio.TimeoutError)):
        return httpx.ReadTimeout(message, request=request)
    if isinstance(exc, aiohttp.ClientConnectorError):  # refused, unreachable, DNS, GuardedResolver
        return httpx.ConnectError(message, request=request)
    if isinstance(exc, aiohttp.ClientPayloadError) or reading:
        return httpx.ReadError(message, request=request)
    if isinstance(exc, (aiohttp.ServerDisconnectedError, aiohttp.ClientResponseError)):
        return httpx.RemoteProtocolError(message, request=request)  # e.g. a malformed status line
    return httpx.TransportError(message, request=request)


_NETWORK_ERRORS = (aiohttp.ClientError, OSError, TimeoutError, asyncio.TimeoutError, ValueError)


class NetworkTransport(AiohttpTransport):
    """``AiohttpTransport`` whose errors are all httpx errors, each of the right kind.

    The upstream mapping is replaced, not extended: it calls a refused connection a
    ``ConnectTimeout`` and lets a malformed answer through as an aiohttp exception.
    ``ValueError`` covers the header values and URLs aiohttp refuses where httpx did not.
    """

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        try:
            response = await super().handle_async_request(request)
        except httpx.HTTPError as exc:
            cause = exc.__cause__
            if isinstance(cause, _NETWORK_ERRORS):
                raise _as_httpx(cause, request) from cause
            raise
        except _NETWORK_ERRORS as exc:
            raise _as_httpx(exc, request) from exc
        response.stream = _GuardedStream(response.stream, request)  # type: ignore[arg-type]
        return response


class _GuardedStream(httpx.AsyncByteStream):
    """The response body, with aiohttp's mid-body errors as httpx errors."""

    def __init__(self, inner: Any, request: httpx.Request) -> None:
        self._inner = inner
        self._request = request

    async def __aiter__(self) -> Any:
        try:
            async for chunk in self._inner:
                yield chunk
        except httpx.HTTPError as exc:
            cause = exc.__cause__
            if isinstance(cause, _NETWORK_ERRORS):
                raise _as_httpx(cause, self._request, reading=True) from cause
            raise
        except _NETWORK_ERRORS as exc:
            raise _as_httpx(exc, self._request, reading=True) from exc

    async def aclose(self) -> None:
        try:
            await self._inner.aclose()
        except (httpx.HTTPError, *_NETWORK_ERRORS):
            pass  # closing a broken connection: nothing left to tell anyone


def network_client(
    *,
    user_agent: str,
    allow_private: bool = False,
    timeout: httpx.Timeout | None = None,
    max_connections: int = 512,  # an instance sizes it from its delivery_concurrency (actors.storage.instance)
    keepalive_expiry: float = 15.0,
) -> httpx.AsyncClient:
    """The ``httpx.AsyncClient`` an instance uses for the real network.

    The aiohttp session is created on first use, inside the running event loop.
    """

    def session() -> aiohttp.ClientSession:
        connector = aiohttp.TCPConnector(
            limit=max_connections,
            keepalive_timeout=keepalive_expiry,
            ssl=transport.ssl_context,
            resolver=GuardedResolver(allow_private=allow_private),
        )
        # httpx has already set every header we send, so aiohttp adds none of its own.
        return aiohttp.ClientSession(connector=connector, trust_env=False)

    transport = NetworkTransport(client=session)
    return httpx.AsyncClient(
        transport=transport,
        timeout=timeout or httpx.Timeout(10.0, connect=5.0),
        headers={"User-Agent": user_agent},
    )
