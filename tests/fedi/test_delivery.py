"""fedi.delivery: the classification table, Retry-After, and one POST against a fake inbox."""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import AsyncIterator, Generator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from fedi.delivery import (
    MAX_RETRY_AFTER,
    RESPONSE_PEEK_BYTES,
    DeliveryResult,
    HostCheckCache,
    Outcome,
    classify,
    deliver,
    parse_retry_after,
)

NOW = datetime(2026, 11, 23, 12, 0, 0, tzinfo=UTC)
PUBLIC_IP = "93.184.216.34"
INBOX = "https://remote.test/inbox"
BODY = b'{"type":"Follow","id":"https://yinhu.test/a/1","actor":"https://yinhu.test/u/x"}'


# --- Retry-After and classify ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, None),
        ("120", NOW + timedelta(seconds=120)),
        (" 0 ", NOW),
        ("Mon, 23 Nov 2026 12:05:00 GMT", NOW + timedelta(minutes=5)),
        ("Mon, 23 Nov 2026 11:00:00 GMT", NOW),  # in the past: retry now, not earlier
        ("99999999999", NOW + MAX_RETRY_AFTER),
        ("Fri, 01 Jan 2100 00:00:00 GMT", NOW + MAX_RETRY_AFTER),
        ("-5", None),
        ("soon", None),
        ("", None),
        ("1.5", None),
    ],
)
def test_parse_retry_after(value: str | None, expected: datetime | None) -> None:
    assert parse_retry_after(value, NOW) == expected


def test_parse_retry_after_naive_now_is_utc() -> None:
    naive = NOW.replace(tzinfo=None)
    assert parse_retry_after("Mon, 23 Nov 2026 12:00:10 GMT", naive) == NOW + timedelta(seconds=10)


@pytest.mark.parametrize(
    ("status", "outcome"),
    [
        (200, Outcome.DELIVERED),
        (201, Outcome.DELIVERED),
        (202, Outcome.DELIVERED),
        (204, Outcome.DELIVERED),
        (401, Outcome.RETRY),
        (408, Outcome.RETRY),
        (429, Outcome.RETRY),
        (500, Outcome.RETRY),
        (502, Outcome.RETRY),
        (503, Outcome.RETRY),
        (302, Outcome.RETRY),
        (400, Outcome.GIVE_UP),
        (403, Outcome.GIVE_UP),
        (404, Outcome.GIVE_UP),
        (405, Outcome.GIVE_UP),
        (410, Outcome.GIVE_UP),
        (413, Outcome.GIVE_UP),
        (422, Outcome.GIVE_UP),
    ],
)
def test_classify_table(status: int, outcome: Outcome) -> None:
    result = classify(status, {}, NOW)
    assert result.outcome is outcome
    assert result.status == status
    assert result.retry_after is None
    assert (result.error is None) is (outcome is Outcome.DELIVERED)


def test_classify_429_with_retry_after_seconds() -> None:
    assert classify(429, {"Retry-After": "30"}, NOW) == DeliveryResult(
        Outcome.RETRY, 429, NOW + timedelta(seconds=30), "HTTP 429"
    )


def test_classify_503_with_retry_after_http_date_any_header_case() -> None:
    result = classify(503, {"retry-after": "Mon, 23 Nov 2026 13:00:00 GMT"}, NOW)
    assert result.retry_after == NOW + timedelta(hours=1)
    assert classify(429, httpx.Headers({"RETRY-AFTER": "1"}), NOW).retry_after == NOW + timedelta(
        seconds=1
    )


def test_retry_after_ignored_when_giving_up_or_delivered() -> None:
    assert classify(410, {"Retry-After": "30"}, NOW).retry_after is None
    assert classify(202, {"Retry-After": "30"}, NOW).retry_after is None


def test_outcome_values_are_stable_strings() -> None:
    # actors/ stores these in a column.
    assert [o.value for o in Outcome] == ["delivered", "retry", "give_up"]
    assert Outcome("retry") is Outcome.RETRY
    assert isinstance(Outcome.RETRY, str) and str(Outcome.RETRY) == "retry"


# --- deliver against a fake inbox --------------------------------------------------------------

received: list[tuple[bytes, dict[str, str]]] = []


async def _inbox(request: Request) -> Response:
    received.append((await request.body(), dict(request.headers)))
    return Response(status_code=202)


async def _status(request: Request) -> Response:
    code = int(request.path_params["code"])
    headers = {"Retry-After": "60"} if code in (429, 503) else {}
    return Response(f"error {code}: " + "x" * 5000, status_code=code, headers=headers)


async def _slow(request: Request) -> Response:
    await asyncio.sleep(5)
    return Response(status_code=202)


inbox_app = Starlette(
    routes=[
        Route("/inbox", _inbox, methods=["POST"]),
        Route("/status/{code}", _status, methods=["POST"]),
        Route("/slow", _slow, methods=["POST"]),
        Route("/moved", lambda r: Response(status_code=301, headers={"Location": "/inbox"}),
              methods=["POST"]),
    ]
)


class DigestAuth(httpx.Auth):
    """Stands in for HTTPSignatureAuth: proves the auth flow sees the exact bytes sent."""

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        request.headers["Digest"] = "SHA-256=" + hashlib.sha256(request.content).hexdigest()
        yield request


lookups: list[str] = []


async def fake_resolver(host: str) -> list[str]:
    lookups.append(host)
    answers = {"remote.test": [PUBLIC_IP], "evil.test": ["10.0.0.1"]}
    if host not in answers:
        raise OSError(f"NXDOMAIN {host}")
    return answers[host]


def _refuse(request: httpx.Request) -> httpx.Response:
    raise AssertionError(f"unexpected host {request.url}")


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    received.clear()
    lookups.clear()
    transport = httpx.ASGITransport(app=inbox_app)
    async with httpx.AsyncClient(
        transport=httpx.MockTransport(_refuse),
        mounts={
            "all://remote.test": transport,
            "all://127.0.0.1:8001": transport,
            f"all://{PUBLIC_IP}": transport,
        },
    ) as c:
        yield c


async def send(client: httpx.AsyncClient, inbox: str = INBOX, **kwargs: Any) -> DeliveryResult:
    kwargs.setdefault("resolver", fake_resolver)
    kwargs.setdefault("host_cache", HostCheckCache())
    return await deliver(client, inbox, BODY, DigestAuth(), now=NOW, **kwargs)


async def test_deliver_posts_exact_bytes_signed(client: httpx.AsyncClient) -> None:
    result = await send(client)
    assert result == DeliveryResult(Outcome.DELIVERED, 202, None, None)
    ((body, headers),) = received
    assert body == BODY
    assert headers["content-type"] == "application/activity+json"
    assert headers["digest"] == "SHA-256=" + hashlib.sha256(BODY).hexdigest()


async def test_deliver_5xx_retry_with_retry_after_and_short_error(
    client: httpx.AsyncClient,
) -> None:
    result = await send(client, "https://remote.test/status/503")
    assert result.outcome is Outcome.RETRY
    assert result.status == 503
    assert result.retry_after == NOW + timedelta(seconds=60)
    assert result.error is not None and result.error.startswith("HTTP 503: error 503: xxx")
    assert len(result.error) < RESPONSE_PEEK_BYTES + 50


@pytest.mark.parametrize(("code", "outcome"), [(410, Outcome.GIVE_UP), (401, Outcome.RETRY)])
async def test_deliver_4xx(client: httpx.AsyncClient, code: int, outcome: Outcome) -> None:
    result = await send(client, f"https://remote.test/status/{code}")
    assert (result.outcome, result.status) == (outcome, code)


async def test_deliver_does_not_follow_redirects(client: httpx.AsyncClient) -> None:
    result = await send(client, "https://remote.test/moved")
    assert (result.outcome, result.status) == (Outcome.RETRY, 301)
    assert received == []


async def test_network_error_is_retry() -> None:
    def fail(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused", request=request)

    async with httpx.AsyncClient(transport=httpx.MockTransport(fail)) as c:
        result = await send(c)
    assert result.outcome is Outcome.RETRY
    assert result.status is None
    assert result.error == "ConnectError: connection refused"


async def test_timeout_is_retry(client: httpx.AsyncClient) -> None:
    result = await send(client, "https://remote.test/slow", timeout=0.05)
    assert result.outcome is Outcome.RETRY
    assert result.error is not None and "timed out" in result.error


@pytest.mark.parametrize(
    "inbox",
    ["https://evil.test/inbox", "http://10.0.0.1/inbox", "http://[::ffff:127.0.0.1]/inbox",
     "file:///etc/passwd", "gopher://remote.test/inbox"],
)
async def test_blocked_address_gives_up(client: httpx.AsyncClient, inbox: str) -> None:
    result = await send(client, inbox)
    assert result.outcome is Outcome.GIVE_UP
    assert result.error is not None and result.error.startswith("blocked")
    assert received == []


async def test_private_allowed_when_asked(client: httpx.AsyncClient) -> None:
    result = await send(client, "http://127.0.0.1:8001/inbox", allow_private=True)
    assert result.outcome is Outcome.DELIVERED


async def test_dns_failure_is_retry(client: httpx.AsyncClient) -> None:
    result = await send(client, "https://nowhere.test/inbox")
    assert result.outcome is Outcome.RETRY
    assert result.error is not None and "nowhere.test" in result.error


# --- host check cache -------------------------------------------------------------------------


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


async def test_cache_resolves_each_host_once_per_ttl(client: httpx.AsyncClient) -> None:
    clock = FakeClock()
    cache = HostCheckCache(ttl=60, clock=clock)
    for _ in range(3):
        assert (await send(client, host_cache=cache)).outcome is Outcome.DELIVERED
    assert lookups == ["remote.test"]
    clock.now += 61
    await send(client, host_cache=cache)
    assert lookups == ["remote.test", "remote.test"]


async def test_cache_remembers_refusals_but_not_dns_failures(client: httpx.AsyncClient) -> None:
    cache = HostCheckCache()
    for _ in range(2):
        assert (await send(client, "https://evil.test/inbox", host_cache=cache)).outcome is (
            Outcome.GIVE_UP
        )
        await send(client, "https://nowhere.test/inbox", host_cache=cache)
    assert lookups == ["evil.test", "nowhere.test", "nowhere.test"]


async def test_cache_skips_dns_for_ip_literals_and_is_bounded(client: httpx.AsyncClient) -> None:
    cache = HostCheckCache(max_entries=2)
    await send(client, f"http://{PUBLIC_IP}/inbox", host_cache=cache)
    assert lookups == []

    async def any_public(host: str) -> list[str]:
        lookups.append(host)
        return [PUBLIC_IP]

    for host in ("a.test", "b.test", "c.test", "a.test"):
        await cache.check(f"https://{host}/inbox", allow_private=False, resolver=any_public)
    assert lookups == ["a.test", "b.test", "c.test", "a.test"]  # a.test was evicted


async def test_default_cache_is_used_without_host_cache(client: httpx.AsyncClient) -> None:
    async def own_resolver(host: str) -> list[str]:
        lookups.append(host)
        return [PUBLIC_IP]

    for _ in range(2):
        result = await deliver(client, INBOX, BODY, DigestAuth(), resolver=own_resolver)
        assert result.outcome is Outcome.DELIVERED
    assert lookups == ["remote.test"]
