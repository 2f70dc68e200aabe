"""Send one activity to one inbox, once, and say what should happen next.

``deliver`` never retries, sleeps or stores anything: ``actors/`` owns the queue, the backoff
and the bookkeeping, and acts on the returned ``DeliveryResult``. The classification follows
Mastodon (``delivery_worker.rb``, ``response_error_unsalvageable?``): 2xx is delivered; 4xx
is permanent except 401 (keys may be mid-rotation or the peer may not know us yet), 408 and
429; everything else, including 3xx (inboxes do not move, and Mastodon does not follow them
either) and network errors, is worth retrying, at the time ``Retry-After`` asks for if given.

Signatures are draft-cavage unless ``signature_scheme="rfc9421"``; with ``double_knock`` a 400
or 401 is retried once, at once, with the other scheme (Mastodon 4.7's rule, interop D4), and
``DeliveryResult.signature_scheme`` says which scheme the final answer came from, so that the
caller can remember it per host. Remembering is the caller's business, not this module's.
"""

from __future__ import annotations

import asyncio
import enum
import ipaddress
import re
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from typing import Literal

import httpx

from fedi.errors import BlockedAddress, FetchFailed
from fedi.fetch import Resolver, check_url, default_resolver
from fedi.httpsig import HTTPSignatureAuth
from fedi.rfc9421 import RFC9421SignatureAuth

__all__ = [
    "ACTIVITY_CONTENT_TYPE",
    "MAX_RETRY_AFTER",
    "RESPONSE_PEEK_BYTES",
    "DeliveryResult",
    "HostCheckCache",
    "Outcome",
    "SignatureScheme",
    "auth_for_scheme",
    "classify",
    "deliver",
    "parse_retry_after",
]

SignatureScheme = Literal["cavage", "rfc9421"]

# Exactly this value: it is one of the signed headers, and Mastodon rejects other AP types.
ACTIVITY_CONTENT_TYPE = "application/activity+json"
# Enough of an error body for a useful log line; more would only cost time and memory.
RESPONSE_PEEK_BYTES = 1024
# A bogus or hostile Retry-After must not park a delivery forever; the queue's backoff and
# Mastodon's own 7-day "unavailable" horizon decide what happens past this.
MAX_RETRY_AFTER = timedelta(days=7)
_RETRYABLE_4XX = frozenset({401, 408, 429})
# Answers after which a double-knocking sender tries the other signature scheme.
_KNOCK_AGAIN = frozenset({400, 401})
_DIGITS = re.compile(r"[0-9]+")


class Outcome(enum.StrEnum):
    """What the queue should do next; the values are stored, so they must not change."""

    DELIVERED = "delivered"
    RETRY = "retry"
    GIVE_UP = "give_up"


@dataclass(frozen=True, slots=True)
class DeliveryResult:
    """What happened; ``retry_after`` is set only when the remote asked for a time."""

    outcome: Outcome
    status: int | None
    retry_after: datetime | None
    error: str | None
    # The signature scheme of the final attempt; None only from ``classify``. Left out of
    # equality: it says how the answer was obtained, not what it was.
    signature_scheme: SignatureScheme | None = field(default=None, compare=False)


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def parse_retry_after(value: str | None, now: datetime) -> datetime | None:
    """The moment a ``Retry-After`` header (delay in seconds or HTTP-date) points at.

    The result is clamped to ``[now, now + MAX_RETRY_AFTER]``; an unparsable value is ``None``.
    A naive ``now`` is taken as UTC.
    """
    if value is None:
        return None
    now = _aware(now)
    text = value.strip()
    if _DIGITS.fullmatch(text):
        seconds = min(int(text), int(MAX_RETRY_AFTER.total_seconds()))
        return now + timedelta(seconds=seconds)
    try:
        when = _aware(parsedate_to_datetime(text))
    except (TypeError, ValueError, IndexError):
        return None
    return min(max(when, now), now + MAX_RETRY_AFTER)


def _header(headers: Mapping[str, str], name: str) -> str | None:
    # Plain dicts are case-sensitive; httpx.Headers is not. Accept both.
    value = headers.get(name)
    if value is not None:
        return value
    return next((v for k, v in headers.items() if k.lower() == name), None)


def classify(status: int, headers: Mapping[str, str], now: datetime) -> DeliveryResult:
    """Turn an inbox's HTTP answer into delivered, retry (maybe at a time) or give up."""
    if 200 <= status < 300:
        return DeliveryResult(Outcome.DELIVERED, status, None, None)
    if 400 <= status < 500 and status not in _RETRYABLE_4XX:
        return DeliveryResult(Outcome.GIVE_UP, status, None, f"HTTP {status}")
    retry_after = parse_retry_after(_header(headers, "retry-after"), now)
    return DeliveryResult(Outcome.RETRY, status, retry_after, f"HTTP {status}")


class HostCheckCache:
    """Remembers for ``ttl`` seconds whether a host name passed the SSRF address check.

    Delivery fans one activity out to many inboxes on few hosts, so resolving each host once
    per few minutes instead of once per POST keeps ``deliver`` fast. Entries are keyed by
    ``(host, resolver)``, so different resolvers never share answers. Refusals are cached too;
    DNS failures are not, since they are often temporary. IP-literal hosts and
    ``allow_private`` need no DNS and bypass the cache. A name that turns private within
    ``ttl`` is still refused when the connection opens (``fedi.transport``).
    At ``max_entries`` the oldest entry is dropped.
    """

    def __init__(
        self,
        ttl: float = 300.0,
        max_entries: int = 4096,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.ttl = ttl
        self.max_entries = max_entries
        self._clock = clock
        # value: (expires_at, refusal message or None when the host is fine)
        self._entries: dict[tuple[str, Resolver], tuple[float, str | None]] = {}

    def clear(self) -> None:
        self._entries.clear()

    async def check(self, url: str, *, allow_private: bool, resolver: Resolver) -> None:
        """Like ``fedi.fetch.check_url``, answering from the cache when it can."""
        parsed = httpx.URL(url)
        host = parsed.host
        if allow_private or parsed.scheme not in ("http", "https") or not _needs_dns(host):
            await check_url(url, allow_private=allow_private, resolver=resolver)
            return
        key = (host, resolver)
        now = self._clock()
        cached = self._entries.get(key)
        if cached is not None and cached[0] > now:
            if cached[1] is not None:
                raise BlockedAddress(cached[1], url=url)
            return
        try:
            await check_url(url, allow_private=False, resolver=resolver)
        except BlockedAddress as exc:
            self._store(key, (now + self.ttl, str(exc)))
            raise
        self._store(key, (now + self.ttl, None))

    def _store(self, key: tuple[str, Resolver], value: tuple[float, str | None]) -> None:
        self._entries.pop(key, None)  # re-insert so dict order stays oldest-first
        while len(self._entries) >= self.max_entries:
            del self._entries[next(iter(self._entries))]
        self._entries[key] = value


def _needs_dns(host: str) -> bool:
    if not host:
        return False
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return True
    return False


_DEFAULT_CACHE = HostCheckCache()


def auth_for_scheme(auth: httpx.Auth, scheme: SignatureScheme) -> httpx.Auth:
    """``auth``'s key as an httpx auth signing with ``scheme``.

    Only our two signers can be converted; any other auth is returned as is for "cavage" and
    refused (``TypeError``) for "rfc9421".
    """
    if scheme == "cavage":
        if isinstance(auth, RFC9421SignatureAuth):
            return HTTPSignatureAuth(auth.key_id, auth.private_key_pem, clock=auth.clock)
        return auth
    if scheme == "rfc9421":
        if isinstance(auth, HTTPSignatureAuth):
            return RFC9421SignatureAuth(auth.key_id, auth.private_key_pem, clock=auth.clock)
        if isinstance(auth, RFC9421SignatureAuth):
            return auth
        raise TypeError(f"cannot sign RFC 9421 with {type(auth).__name__}")
    raise ValueError(f"unknown signature scheme {scheme!r}")


async def deliver(
    client: httpx.AsyncClient,
    inbox: str,
    body: bytes,
    auth: httpx.Auth,
    *,
    now: datetime | None = None,
    timeout: float = 10.0,
    allow_private: bool = False,
    resolver: Resolver = default_resolver,
    host_cache: HostCheckCache | None = None,
    signature_scheme: SignatureScheme = "cavage",
    double_knock: bool = False,
    clock: Callable[[], datetime] | None = None,
) -> DeliveryResult:
    """POST ``body`` (exact bytes, already serialized) to ``inbox``, signed by ``auth``.

    Never raises for remote or network trouble: that is what the result is for. ``timeout``
    bounds each network operation and the whole call. ``host_cache`` defaults to a
    process-wide ``HostCheckCache``. ``signature_scheme`` picks the signature (``auth``, an
    ``HTTPSignatureAuth``, is converted for "rfc9421"); ``double_knock`` retries a 400/401
    once with the other scheme (each attempt has its own ``timeout``). With ``clock``, a
    ``Retry-After`` delay counts from the moment the answer arrived (``clock()`` then), not
    from ``now``: a slow answer's delay must not be shortened by the time it took.
    """
    first = auth_for_scheme(auth, signature_scheme)
    result = await _deliver_once(
        client, inbox, body, first, now, timeout, allow_private, resolver, host_cache, clock
    )
    result = replace(result, signature_scheme=signature_scheme)
    if not double_knock or result.status not in _KNOCK_AGAIN:
        return result
    other: SignatureScheme = "rfc9421" if signature_scheme == "cavage" else "cavage"
    second = await _deliver_once(
        client, inbox, body, auth_for_scheme(auth, other), now, timeout, allow_private,
        resolver, host_cache, clock,
    )
    return replace(second, signature_scheme=other)


async def _deliver_once(
    client: httpx.AsyncClient,
    inbox: str,
    body: bytes,
    auth: httpx.Auth,
    now: datetime | None,
    timeout: float,
    allow_private: bool,
    resolver: Resolver,
    host_cache: HostCheckCache | None,
    clock: Callable[[], datetime] | None = None,
) -> DeliveryResult:
    try:
        httpx.URL(inbox)
    except httpx.InvalidURL as exc:
        return DeliveryResult(Outcome.GIVE_UP, None, None, f"invalid inbox URL: {exc}")
    cache = host_cache if host_cache is not None else _DEFAULT_CACHE
    try:
        await cache.check(inbox, allow_private=allow_private, resolver=resolver)
    except BlockedAddress as exc:
        return DeliveryResult(Outcome.GIVE_UP, None, None, f"blocked: {exc}")
    except FetchFailed as exc:  # DNS trouble: may well be temporary
        return DeliveryResult(Outcome.RETRY, None, None, str(exc))
    try:
        async with asyncio.timeout(timeout):
            status, headers, peek = await _post(client, inbox, body, auth, timeout)
    except TimeoutError:
        return DeliveryResult(Outcome.RETRY, None, None, f"timed out after {timeout} s")
    except httpx.RequestError as exc:
        return DeliveryResult(Outcome.RETRY, None, None, f"{type(exc).__name__}: {exc}")
    except httpx.InvalidURL as exc:  # a URL httpx parsed but cannot send will never work
        return DeliveryResult(Outcome.GIVE_UP, None, None, f"invalid inbox URL: {exc}")
    if clock is not None:
        moment = _aware(clock())
    else:
        moment = _aware(now) if now is not None else datetime.now(UTC)
    result = classify(status, headers, moment)
    if result.outcome is not Outcome.DELIVERED and peek:
        excerpt = peek.decode("utf-8", "replace").strip()
        result = replace(result, error=f"{result.error}: {excerpt}")
    return result


async def _post(
    client: httpx.AsyncClient, inbox: str, body: bytes, auth: httpx.Auth, timeout: float
) -> tuple[int, httpx.Headers, bytes]:
    async with client.stream(
        "POST", inbox, content=body, headers={"Content-Type": ACTIVITY_CONTENT_TYPE},
        auth=auth, follow_redirects=False, timeout=timeout,
    ) as response:
        # Inbox answers are usually empty or tiny; reading them whole (up to the peek size)
        # lets the connection be reused, and never more protects us from a flood.
        peek = b""
        async for chunk in response.aiter_bytes():
            peek += chunk
            if len(peek) >= RESPONSE_PEEK_BYTES:
                break
        return response.status_code, response.headers, peek[:RESPONSE_PEEK_BYTES]
