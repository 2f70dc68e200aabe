"""fedi.transport: the real network client, against real sockets on 127.0.0.1.

The server here is a bare asyncio socket server, so it can also misbehave in ways no framework
would: garbage status lines, truncated bodies, silence. Every request it receives is kept
byte for byte, so the signed headers can be checked as they crossed the wire.
"""

from __future__ import annotations

import asyncio
import gzip
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

import httpx
import pytest

from fedi.delivery import HostCheckCache, Outcome, deliver
from fedi.fetch import fetch_json
from fedi.httpsig import HTTPSignatureAuth
from fedi.keys import generate_rsa_keypair
from fedi.signatures import PublicKeyInfo
from fedi.transport import GuardedResolver, network_client
from fedi.verify import verify_request

KEY_ID = "http://127.0.0.1/c/alice#main-key"
BODY = b'{"type":"Follow","id":"http://127.0.0.1/a/1","actor":"http://127.0.0.1/c/alice"}'


@dataclass
class Received:
    method: str
    target: str
    headers: list[tuple[str, str]]
    body: bytes

    def header(self, name: str) -> list[str]:
        return [v for k, v in self.headers if k.lower() == name]


@dataclass
class RawServer:
    """Answers each request with ``reply(received)`` raw bytes (None: never answer)."""

    reply: Callable[[Received], bytes | None]
    received: list[Received] = field(default_factory=list)
    connections: int = 0
    port: int = 0

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                lines = head.decode("latin-1").split("\r\n")
                method, target, _ = lines[0].split(" ", 2)
                headers = [tuple(part.strip() for part in line.split(":", 1)) for line in lines[1:] if line]
                got = Received(method, target, headers, b"")  # type: ignore[arg-type]
                length = int(next(iter(got.header("content-length")), "0"))
                got.body = await reader.readexactly(length) if length else b""
                self.received.append(got)
                answer = self.reply(got)
                if answer is None:
                    await asyncio.sleep(3600)
                    return
                writer.write(answer)
                await writer.drain()
                if b"Connection: close" in answer:
                    break
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()


Reply = Callable[[Received], "bytes | None"]


@pytest.fixture
async def serve() -> AsyncIterator[Callable[[Reply], Awaitable[RawServer]]]:
    servers: list[asyncio.Server] = []

    async def start(reply: Reply) -> RawServer:
        raw = RawServer(reply)
        server = await asyncio.start_server(raw.handle, "127.0.0.1", 0)
        servers.append(server)
        raw.port = server.sockets[0].getsockname()[1]
        return raw

    yield start
    for server in servers:
        server.close()
        await server.wait_closed()


def ok(status: str = "202 Accepted", body: bytes = b"", headers: str = "") -> Callable[[Received], bytes]:
    def reply(_: Received) -> bytes:
        return f"HTTP/1.1 {status}\r\nContent-Length: {len(body)}\r\n{headers}\r\n".encode() + body

    return reply


@pytest.fixture(scope="module")
def keys() -> tuple[str, str]:
    return generate_rsa_keypair()


async def test_signed_post_verifies_as_received_on_the_wire(serve, keys) -> None:  # type: ignore[no-untyped-def]
    private_pem, public_pem = keys
    server = await serve(ok())
    inbox = f"http://127.0.0.1:{server.port}/c/bob/inbox"
    async with network_client(user_agent="Yinhu-test", allow_private=True) as client:
        result = await deliver(client, inbox, BODY, HTTPSignatureAuth(KEY_ID, private_pem), allow_private=True,
                               host_cache=HostCheckCache())
    assert result.outcome is Outcome.DELIVERED and result.status == 202
    got = server.received[0]
    assert (got.method, got.target, got.body) == ("POST", "/c/bob/inbox", BODY)
    # Each header once: aiohttp adds none of its own beside what httpx set.
    for name in ("host", "user-agent", "accept", "content-type", "content-length", "date", "digest", "signature"):
        assert len(got.header(name)) == 1, (name, got.headers)
    assert got.header("host") == [f"127.0.0.1:{server.port}"]  # non-default port kept (interop D2)
    assert got.header("user-agent") == ["Yinhu-test"]
    assert got.header("content-type") == ["application/activity+json"]

    async def lookup(key_id: str, refresh: bool) -> PublicKeyInfo | None:
        return PublicKeyInfo(key_id, key_id.partition("#")[0], public_pem)

    verified = await verify_request("POST", got.target, dict(got.headers), got.body, lookup, now=datetime.now(UTC))
    assert verified.ok, verified.detail


async def test_keep_alive_reuses_one_connection(serve) -> None:  # type: ignore[no-untyped-def]
    server = await serve(ok("200 OK", b"{}"))
    async with network_client(user_agent="t", allow_private=True) as client:
        for _ in range(5):
            assert (await client.post(f"http://127.0.0.1:{server.port}/x", content=b"a")).status_code == 200
    assert len(server.received) == 5 and server.connections == 1


async def test_gzip_body_is_decoded_and_json_fetch_works(serve) -> None:  # type: ignore[no-untyped-def]
    doc = b'{"id": "http://127.0.0.1:PORT/c/x", "type": "Group"}'
    holder: dict[str, bytes] = {}

    def reply(_: Received) -> bytes:
        packed = gzip.compress(holder["doc"])
        return (b"HTTP/1.1 200 OK\r\nContent-Type: application/activity+json\r\nContent-Encoding: gzip\r\n"
                b"Content-Length: %d\r\n\r\n" % len(packed)) + packed

    server = await serve(reply)
    url = f"http://127.0.0.1:{server.port}/c/x"
    holder["doc"] = doc.replace(b"PORT", str(server.port).encode())
    async with network_client(user_agent="t", allow_private=True) as client:
        got = await fetch_json(client, url, allow_private=True)
    assert got["type"] == "Group" and got["id"] == url


@pytest.mark.parametrize(
    ("reply", "expected"),
    [
        (lambda _: b"NONSENSE\r\n\r\n", httpx.RemoteProtocolError),
        (lambda _: b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\nConnection: close\r\n\r\nshort", httpx.ReadError),
        (lambda _: None, httpx.TimeoutException),
    ],
    ids=["garbage status line", "truncated body", "silence"],
)
async def test_misbehaving_servers_raise_httpx_errors_only(serve, reply, expected) -> None:  # type: ignore[no-untyped-def]
    server = await serve(reply)
    async with network_client(user_agent="t", allow_private=True, timeout=httpx.Timeout(0.5)) as client:
        with pytest.raises(expected):
            response = await client.get(f"http://127.0.0.1:{server.port}/")
            await response.aread()


async def test_connection_refused_is_a_connect_error() -> None:
    server = await asyncio.start_server(lambda r, w: None, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    server.close()
    await server.wait_closed()
    async with network_client(user_agent="t", allow_private=True) as client:
        with pytest.raises(httpx.ConnectError):
            await client.get(f"http://127.0.0.1:{port}/")


async def test_delivery_to_a_failing_inbox_is_retried_not_raised(serve, keys) -> None:  # type: ignore[no-untyped-def]
    server = await serve(lambda _: b"NONSENSE\r\n\r\n")
    async with network_client(user_agent="t", allow_private=True) as client:
        result = await deliver(client, f"http://127.0.0.1:{server.port}/inbox", BODY, HTTPSignatureAuth(KEY_ID, keys[0]),
                               allow_private=True, host_cache=HostCheckCache())
    assert result.outcome is Outcome.RETRY and "RemoteProtocolError" in (result.error or "")


async def test_names_resolving_to_private_addresses_are_refused_at_dial_time(serve) -> None:  # type: ignore[no-untyped-def]
    # "localhost" is a name, so only the resolver can see that it leads to 127.0.0.1: this is
    # the check that still holds when DNS changes its answer after check_url (rebinding).
    server = await serve(ok("200 OK", b"{}"))
    async with network_client(user_agent="t", allow_private=False) as client:
        with pytest.raises(httpx.ConnectError, match="non-public"):
            await client.get(f"http://localhost:{server.port}/")
    assert server.received == []
    async with network_client(user_agent="t", allow_private=True) as client:
        assert (await client.get(f"http://localhost:{server.port}/")).status_code == 200


async def test_guarded_resolver_passes_public_answers() -> None:
    class Fixed:
        def __init__(self) -> None:
            self.addrs = ["93.184.216.34"]

        async def resolve(self, host: str, port: int = 0, family: int = 0) -> list[dict[str, object]]:
            return [{"hostname": host, "host": addr, "port": port, "family": 2, "proto": 0, "flags": 0}
                    for addr in self.addrs]

        async def close(self) -> None:
            pass

    inner = Fixed()
    resolver = GuardedResolver(inner=inner)  # type: ignore[arg-type]
    assert [r["host"] for r in await resolver.resolve("example.org", 443)] == ["93.184.216.34"]
    inner.addrs = ["93.184.216.34", "10.0.0.7"]  # one private answer is enough to refuse
    with pytest.raises(OSError, match="10.0.0.7"):
        await resolver.resolve("example.org", 443)
