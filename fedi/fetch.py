"""The one safe way to GET a remote JSON document.

``fetch_json`` bounds everything a hostile server controls: total time, number of redirects,
body size (counted after content decoding, so a gzip bomb stops at the cap too), content type
and the ``id`` inside the document. Before every hop, including each redirect target,
``check_url`` refuses non-http(s) schemes and hosts that resolve to private, loopback,
link-local, multicast or otherwise reserved addresses. DNS is a ``Resolver`` callable passed
in, so tests can fake it even though an ASGI transport never opens a socket.

DNS rebinding: httpx resolves the host again when it connects, so a name whose DNS answers a
public address to ``check_url`` and a private one a moment later could still reach an internal
service through a plain httpx client. The instance's real client (``fedi.transport``) checks
the addresses again when it opens the connection, which closes that window, as GoToSocial's
dial-time check does (``internal/httpclient/sanitizer.go``).

With a ``breaker`` (``fedi.breaker.HostBreaker``), a host that just failed to connect or
answer in time is not contacted again until its cool-down has run out: the call raises
``HostCoolingDown`` at once instead of spending the timeout again.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from collections.abc import Awaitable, Callable
from typing import Any

import httpx
import orjson

from fedi.breaker import HostBreaker
from fedi.errors import (
    BlockedAddress,
    FetchFailed,
    Gone,
    IdMismatch,
    NameNotResolved,
    NotActivityPub,
    NotFound,
    TooLarge,
    TooManyRedirects,
    Unauthorized,
)

__all__ = [
    "AP_ACCEPT",
    "AP_CONTENT_TYPES",
    "Resolver",
    "check_url",
    "default_resolver",
    "fetch_json",
    "is_public_address",
    "socket_address",
]

AP_ACCEPT = (
    "application/activity+json, "
    'application/ld+json; profile="https://www.w3.org/ns/activitystreams"'
)

# Media types (parameters ignored) accepted as ActivityPub. ``application/json`` is not AP, but
# enough real servers and caches send it for AP documents that refusing it only loses data;
# the JSON shape and ``id`` checks still apply.
AP_CONTENT_TYPES = frozenset(
    {"application/activity+json", "application/ld+json", "application/json"}
)

Resolver = Callable[[str], Awaitable[list[str]]]
"""Maps a host name to its IP addresses (as strings)."""

_ALLOWED_SCHEMES = frozenset({"http", "https"})

# Ranges that embed an IPv4 address in an IPv6 one; the embedded address is what gets reached.
_NAT64_PREFIXES = (
    ipaddress.IPv6Network("64:ff9b::/96"),
    ipaddress.IPv6Network("64:ff9b:1::/48"),
)
# Not covered by ``ipaddress`` flags on Python 3.11, but never a legitimate fediverse peer.
_EXTRA_BLOCKED = (ipaddress.IPv4Network("100.64.0.0/10"),)


def _is_ip_literal(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


async def default_resolver(host: str) -> list[str]:
    """Resolve ``host`` with the event loop's ``getaddrinfo``; IP literals come back as is."""
    literal = host[1:-1] if host.startswith("[") and host.endswith("]") else host
    if _is_ip_literal(literal):
        return [literal]
    infos = await asyncio.get_running_loop().getaddrinfo(host, None, type=socket.SOCK_STREAM)
    # dict.fromkeys keeps the order getaddrinfo chose while dropping duplicates.
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


def _embedded_ipv4(addr: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    if addr.sixtofour is not None:
        return addr.sixtofour
    if addr.teredo is not None:
        return addr.teredo[1]  # the client address is the one traffic is relayed to
    for net in _NAT64_PREFIXES:
        if addr in net:
            return ipaddress.IPv4Address(int(addr) & 0xFFFFFFFF)
    return None


def socket_address(ip: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    """The address a socket to ``ip`` reaches, or None when ``ip`` does not parse: an
    IPv4-mapped IPv6 address (``::ffff:192.0.2.1``) is its IPv4 address."""
    try:
        addr = ipaddress.ip_address(ip)
    except ValueError:
        return None
    if isinstance(addr, ipaddress.IPv6Address) and addr.ipv4_mapped is not None:
        return addr.ipv4_mapped
    return addr


def is_public_address(ip: str) -> bool:
    """Whether ``ip`` is a globally routable unicast address we may contact.

    Rejects private, loopback, link-local, multicast, reserved, unspecified, CGNAT
    (100.64.0.0/10) and documentation ranges, and IPv6 forms that embed such an IPv4 address
    (IPv4-mapped, 6to4, Teredo, NAT64). Anything that does not parse is not public.
    """
    addr = socket_address(ip)
    if addr is None:
        return False
    if isinstance(addr, ipaddress.IPv6Address):
        embedded = _embedded_ipv4(addr)
        if embedded is not None and not is_public_address(str(embedded)):
            return False
    if any(addr in net for net in _EXTRA_BLOCKED if net.version == addr.version):
        return False
    return addr.is_global and not (
        addr.is_multicast
        or addr.is_private
        or addr.is_loopback
        or addr.is_link_local
        or addr.is_reserved
        or addr.is_unspecified
    )


async def check_url(url: str, *, allow_private: bool, resolver: Resolver) -> None:
    """Raise ``BlockedAddress`` unless ``url`` is http(s) and its host resolves only to public IPs.

    Every resolved address must be public, because the connection may use any of them.
    ``allow_private`` (development, tests, two instances on one machine) skips the address
    check but never the scheme check. DNS failure raises ``NameNotResolved`` (a ``FetchFailed``): it may be temporary.
    """
    try:
        parsed = httpx.URL(url)
    except httpx.InvalidURL as exc:
        raise FetchFailed(f"invalid URL: {exc}", url=url) from exc
    if parsed.scheme not in _ALLOWED_SCHEMES:
        raise BlockedAddress(f"scheme {parsed.scheme!r} is not allowed", url=url)
    host = parsed.host
    if not host:
        raise BlockedAddress("URL has no host", url=url)
    if allow_private:
        return
    if _is_ip_literal(host):
        # No DNS involved: the literal is exactly the address httpx will connect to.
        if not is_public_address(host):
            raise BlockedAddress(f"{host} is not a public address", url=url)
        return
    try:
        addresses = await resolver(host)
    except OSError as exc:  # socket.gaierror is an OSError
        raise NameNotResolved(f"cannot resolve {host}: {exc}", url=url) from exc
    if not addresses:
        raise NameNotResolved(f"{host} resolves to no address", url=url)
    for address in addresses:
        if not is_public_address(address):
            raise BlockedAddress(f"{host} resolves to non-public address {address}", url=url)


async def fetch_json(
    client: httpx.AsyncClient,
    url: str,
    *,
    auth: httpx.Auth | None = None,
    allow_private: bool = False,
    resolver: Resolver = default_resolver,
    max_bytes: int = 1_000_000,
    max_redirects: int = 3,
    accept: str = AP_ACCEPT,
    require_ap: bool = True,
    check_id: bool = True,
    timeout: float = 10.0,
    breaker: HostBreaker | None = None,
) -> dict[str, Any]:
    """GET ``url`` and return the JSON object it holds, or raise a ``FetchError`` subclass.

    ``timeout`` bounds the whole call (every hop, DNS and body) as well as each network
    operation. ``auth`` (for example an HTTP signature) is applied to every hop, since each hop
    is a separate signed request to its own host; ``None`` leaves the client's default.
    With ``check_id`` the document's ``id`` must equal the URL asked or, after redirects, the
    final URL, as Mastodon requires. ``breaker`` is told of every hop's host that answered
    or did not (a name that does not resolve, a connect error, a network error or the
    timeout), and refuses cooling hosts.
    """
    trail: list[str] = []  # the hops contacted so far: the last is the one the timeout hit
    try:
        async with asyncio.timeout(timeout):
            final_url, body = await _get(
                client, url, auth=auth, allow_private=allow_private, resolver=resolver,
                max_bytes=max_bytes, max_redirects=max_redirects, accept=accept,
                require_ap=require_ap, timeout=timeout, breaker=breaker, trail=trail,
            )
    except TimeoutError as exc:
        if breaker is not None and trail:
            breaker.failed(trail[-1])
        raise FetchFailed(f"timed out after {timeout} s", url=url) from exc
    try:
        document = orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        raise NotActivityPub(f"invalid JSON: {exc}", url=final_url, status=200) from exc
    if not isinstance(document, dict):
        raise NotActivityPub("JSON body is not an object", url=final_url, status=200)
    if check_id:
        document_id = document.get("id")
        if document_id != url and document_id != final_url:
            raise IdMismatch(
                f"document id {document_id!r} is neither {url!r} nor {final_url!r}",
                url=url, status=200, document_id=document_id,
            )
    return document


async def _get(
    client: httpx.AsyncClient,
    url: str,
    *,
    auth: httpx.Auth | None,
    allow_private: bool,
    resolver: Resolver,
    max_bytes: int,
    max_redirects: int,
    accept: str,
    require_ap: bool,
    timeout: float,
    breaker: HostBreaker | None,
    trail: list[str],
) -> tuple[str, bytes]:
    """Follow redirects by hand so each hop gets the SSRF check; return (final URL, body)."""
    current = url
    # Omitting ``auth`` keeps the client's default; passing None would switch auth off.
    auth_kwargs: dict[str, Any] = {} if auth is None else {"auth": auth}
    for _hop in range(max_redirects + 1):
        if breaker is not None:
            breaker.check(current)
        trail.append(current)
        try:
            await check_url(current, allow_private=allow_private, resolver=resolver)
        except NameNotResolved:  # as unreachable as a refused connection (not a URL we could not read)
            if breaker is not None:
                breaker.failed(current)
            raise
        try:
            async with client.stream(
                "GET", current, headers={"Accept": accept}, follow_redirects=False,
                timeout=timeout, **auth_kwargs,
            ) as response:
                if breaker is not None:
                    breaker.succeeded(current)
                if response.is_redirect:
                    current = str(response.url.join(response.headers["location"]))
                    continue
                _raise_for_status(response, current)
                content_type = response.headers.get("content-type", "")
                if require_ap and _media_type(content_type) not in AP_CONTENT_TYPES:
                    raise NotActivityPub(
                        f"content type {content_type!r} is not ActivityPub",
                        url=current, status=response.status_code,
                    )
                body = await _read_capped(response, max_bytes, current)
                return current, body
        except httpx.TransportError as exc:  # no connection, no answer in time, a dropped one
            if breaker is not None:
                breaker.failed(current)
            raise FetchFailed(f"{type(exc).__name__}: {exc}", url=current) from exc
        # Bad encodings, and URLs (from Location) httpx cannot send.
        except (httpx.RequestError, httpx.InvalidURL) as exc:
            raise FetchFailed(f"{type(exc).__name__}: {exc}", url=current) from exc
    raise TooManyRedirects(f"more than {max_redirects} redirects", url=url)


def _media_type(content_type: str) -> str:
    return content_type.split(";", 1)[0].strip().lower()


def _raise_for_status(response: httpx.Response, url: str) -> None:
    status = response.status_code
    if 200 <= status < 300:
        return
    if status == 404:
        raise NotFound("not found", url=url, status=status)
    if status == 410:
        raise Gone("gone", url=url, status=status)
    if status in (401, 403):
        raise Unauthorized(f"HTTP {status}", url=url, status=status)
    raise FetchFailed(f"HTTP {status}", url=url, status=status)


async def _read_capped(response: httpx.Response, max_bytes: int, url: str) -> bytes:
    declared = response.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > max_bytes:
        raise TooLarge(
            f"declared length {declared} exceeds {max_bytes}", url=url, status=response.status_code
        )
    chunks: list[bytes] = []
    size = 0
    async for chunk in response.aiter_bytes():
        size += len(chunk)
        if size > max_bytes:
            raise TooLarge(f"body exceeds {max_bytes} bytes", url=url, status=response.status_code)
        chunks.append(chunk)
    return b"".join(chunks)
