"""fedi.breaker: the cool-down schedule, the probe, and fetch_json against a real host on
127.0.0.1 that accepts connections and never answers (as the bench's dead origin does)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import httpx
import orjson
import pytest

from fedi.breaker import HostBreaker, HostCoolingDown, backoff
from fedi.errors import FetchFailed, NotFound
from fedi.fetch import default_resolver, fetch_json
from fedi.transport import network_client


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 1, 1, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


def test_the_schedule_doubles_from_its_first_step_to_its_cap() -> None:
    steps = [backoff(n, first=timedelta(seconds=30), cap=timedelta(minutes=10)) for n in range(7)]
    assert steps == [None, *(timedelta(seconds=s) for s in (30, 60, 120, 240, 480))] + [timedelta(minutes=10)]
    # The delivery queue's rule: nothing before the fifth failure in a row.
    assert backoff(4, first=timedelta(seconds=30), cap=timedelta(hours=6), threshold=5) is None
    assert backoff(5, first=timedelta(seconds=30), cap=timedelta(hours=6), threshold=5) == timedelta(seconds=30)


def test_a_failed_host_cools_down_then_gets_one_probe() -> None:
    clock = Clock()
    breaker = HostBreaker(clock)
    url = "https://dead.test/users/a"
    breaker.check(url)  # never failed: let through
    breaker.failed(url)
    with pytest.raises(HostCoolingDown, match="dead.test did not answer 1 time"):
        breaker.check("https://dead.test/users/b")  # the host counts, not the URL
    breaker.check("https://other.test/users/a")  # other hosts are not concerned
    assert breaker.remaining("dead.test") == timedelta(seconds=30)
    clock.now += timedelta(seconds=30)
    breaker.check(url)  # the probe goes through ...
    with pytest.raises(HostCoolingDown):
        breaker.check(url)  # ... and the others still fail fast while it runs
    breaker.failed(url)
    assert breaker.remaining(url) == timedelta(minutes=1)  # the next cool-down is longer
    for _ in range(10):
        breaker.failed(url)
    assert breaker.remaining(url) == timedelta(minutes=10)  # at most ten minutes
    clock.now += timedelta(minutes=10)
    breaker.check(url)
    breaker.succeeded(url)  # any answer closes it
    assert breaker.failures(url) == 0
    breaker.check(url)


class Blackhole:
    """Accepts connections and never answers; counts them."""

    def __init__(self) -> None:
        self.connections = 0
        self.release = asyncio.Event()

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        await self.release.wait()
        writer.close()


@pytest.fixture
async def blackhole() -> AsyncIterator[tuple[Blackhole, int]]:
    hole = Blackhole()
    server = await asyncio.start_server(hole.handle, "127.0.0.1", 0)
    yield hole, server.sockets[0].getsockname()[1]
    hole.release.set()
    server.close()
    await server.wait_closed()


async def test_a_host_that_never_answers_is_contacted_once_per_cool_down(blackhole: tuple[Blackhole, int]) -> None:
    hole, port = blackhole
    clock = Clock()
    breaker = HostBreaker(clock)
    async with network_client(user_agent="test", allow_private=True) as client:
        urls = [f"http://127.0.0.1:{port}/users/u{n}" for n in range(6)]
        with pytest.raises(FetchFailed, match="timed out") as first:
            await fetch_json(client, urls[0], allow_private=True, timeout=0.2, breaker=breaker)
        assert not isinstance(first.value, HostCoolingDown)
        for url in urls[1:]:
            with pytest.raises(HostCoolingDown):
                await fetch_json(client, url, allow_private=True, timeout=0.2, breaker=breaker)
        assert hole.connections == 1
        clock.now += timedelta(seconds=30)  # the cool-down is over: one probe, which fails again
        results = await asyncio.gather(
            *(fetch_json(client, url, allow_private=True, timeout=0.2, breaker=breaker) for url in urls),
            return_exceptions=True,
        )
        assert hole.connections == 2
        assert sum(isinstance(r, HostCoolingDown) for r in results) == 5
        assert breaker.remaining(urls[0]) == timedelta(minutes=1)


async def test_any_answer_closes_the_breaker_and_a_redirect_target_counts_for_itself() -> None:
    clock = Clock()
    breaker = HostBreaker(clock)

    def answer(request: httpx.Request) -> httpx.Response:
        if request.url.host == "down.test":
            raise httpx.ConnectError("connection refused", request=request)
        if request.url.path == "/moved":
            return httpx.Response(302, headers={"location": "https://down.test/users/a"})
        if request.url.path == "/missing":
            return httpx.Response(404)
        doc = {"id": str(request.url), "type": "Person"}
        return httpx.Response(200, content=orjson.dumps(doc), headers={"content-type": "application/activity+json"})

    async with httpx.AsyncClient(transport=httpx.MockTransport(answer)) as client:
        with pytest.raises(FetchFailed, match="ConnectError"):
            await fetch_json(client, "https://up.test/moved", allow_private=True, breaker=breaker)
        assert breaker.failures("down.test") == 1
        assert breaker.failures("up.test") == 0  # it answered: the redirect
        breaker.failed("https://up.test/")
        clock.now += timedelta(seconds=30)
        with pytest.raises(NotFound):  # the probe: a 404 is an answer
            await fetch_json(client, "https://up.test/missing", allow_private=True, breaker=breaker)
        assert breaker.failures("up.test") == 0
        doc = await fetch_json(client, "https://up.test/users/b", allow_private=True, breaker=breaker)
        assert doc["type"] == "Person"


async def test_a_name_that_does_not_resolve_cools_the_host_down() -> None:
    """Real DNS (``.invalid`` never resolves, RFC 2606) with the address check on, as in
    production: the first fetch asks the resolver, the next ones fail at once."""
    clock = Clock()
    breaker = HostBreaker(clock)
    asked: list[str] = []

    async def resolver(host: str) -> list[str]:
        asked.append(host)
        return await default_resolver(host)

    async with network_client(user_agent="test") as client:
        with pytest.raises(FetchFailed, match="cannot resolve"):
            await fetch_json(client, "https://yinhu-test.invalid/users/a", allow_private=False, resolver=resolver,
                             breaker=breaker)
        with pytest.raises(HostCoolingDown):
            await fetch_json(client, "https://yinhu-test.invalid/users/b", allow_private=False, resolver=resolver,
                             breaker=breaker)
    assert asked == ["yinhu-test.invalid"] and breaker.failures("yinhu-test.invalid") == 1


async def test_a_url_that_cannot_be_read_does_not_cool_its_host_down() -> None:
    """A peer can hand us any URL (a keyId, an object id): one httpx cannot parse is refused,
    and the real host its text names is not put in a cool-down."""
    breaker = HostBreaker(Clock())
    async with network_client(user_agent="test") as client:
        for url in ("https://mastodon.example/a\tb#key", "https://mastodon.example/\x00"):
            with pytest.raises(FetchFailed, match="invalid URL"):
                await fetch_json(client, url, allow_private=False, breaker=breaker)
    assert breaker.failures("mastodon.example") == 0
