"""fedi.fetch: redirects, SSRF guard, status mapping, content type, size cap and id checks.

A Starlette app plays the remote server; a fake resolver plays DNS. Any host that is not
mounted hits a transport that fails the test, so nothing here can reach the network.
"""

from __future__ import annotations

import ast
import asyncio
import importlib
from collections.abc import AsyncIterator, Generator
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response, StreamingResponse
from starlette.routing import Route

from fedi import errors
from fedi.fetch import (
    AP_ACCEPT,
    check_url,
    default_resolver,
    fetch_json,
    is_public_address,
)

PUBLIC_IP = "93.184.216.34"
REMOTE = "https://remote.test"
AP = "application/activity+json"

DNS = {
    "remote.test": [PUBLIC_IP],
    "evil.test": ["10.0.0.1"],
    "mixed.test": [PUBLIC_IP, "127.0.0.1"],
    "mapped.test": ["::ffff:192.168.1.1"],
}


async def fake_resolver(host: str) -> list[str]:
    if host in DNS:
        return DNS[host]
    raise OSError(f"NXDOMAIN {host}")


def _json(doc: Any, content_type: str = AP, status: int = 200) -> Response:
    return Response(orjson.dumps(doc), status_code=status, media_type=content_type)


def _actor(request: Request) -> Response:
    return _json({"id": f"{REMOTE}{request.url.path}", "type": "Person"})


def _loop(request: Request) -> Response:
    n = int(request.path_params["n"])
    return RedirectResponse(f"/loop/{n + 1}", status_code=302)


def _chain(request: Request) -> Response:
    n = int(request.path_params["n"])
    if n < 3:
        return RedirectResponse(f"/chain/{n + 1}", status_code=308)
    return _json({"id": f"{REMOTE}/chain/{n}"})


async def _big(request: Request) -> Response:
    async def chunks() -> AsyncIterator[bytes]:
        yield b'{"id": "x", "pad": "'
        for _ in range(100):
            yield b"a" * 10_000
        yield b'"}'

    return StreamingResponse(chunks(), media_type=AP)


async def _slow(request: Request) -> Response:
    await asyncio.sleep(5)
    return _actor(request)


def _echo(request: Request) -> Response:
    return _json({"id": f"{REMOTE}/echo", "headers": dict(request.headers)})


remote_app = Starlette(
    routes=[
        Route("/users/{name}", _actor),
        Route("/echo", _echo),
        Route("/redirect", lambda r: RedirectResponse("/users/alice", status_code=302)),
        Route("/moved", lambda r: RedirectResponse(f"{REMOTE}/users/moved", status_code=301)),
        Route("/loop/{n}", _loop),
        Route("/chain/{n}", _chain),
        Route("/to-evil", lambda r: RedirectResponse("https://evil.test/secret", 302)),
        Route("/to-loopback", lambda r: RedirectResponse("http://127.0.0.1/admin", 307)),
        Route("/to-file", lambda r: RedirectResponse("file:///etc/passwd", 302)),
        Route("/missing", lambda r: Response("no", 404)),
        Route("/gone", lambda r: Response("bye", 410)),
        Route("/private", lambda r: Response("sign it", 401)),
        Route("/forbidden", lambda r: Response("blocked", 403)),
        Route("/broken", lambda r: Response("oops", 500)),
        Route("/html", lambda r: Response("<html></html>", media_type="text/html")),
        Route("/plain-json", lambda r: _json({"id": f"{REMOTE}/plain-json"}, "application/json")),
        Route(
            "/ld",
            lambda r: _json(
                {"id": f"{REMOTE}/ld"},
                'application/ld+json; profile="https://www.w3.org/ns/activitystreams"',
            ),
        ),
        Route("/array", lambda r: _json([1, 2])),
        Route("/bad-json", lambda r: Response(b"{nope", media_type=AP)),
        Route("/no-id", lambda r: _json({"type": "Note"})),
        Route("/other-id", lambda r: _json({"id": f"{REMOTE}/users/bob"})),
        Route("/big", _big),
        Route("/big-declared", lambda r: Response(b"x" * 5000, media_type=AP)),
        Route("/slow", _slow),
    ]
)


def _refuse(request: httpx.Request) -> httpx.Response:
    raise AssertionError(f"test tried to reach an unmounted host: {request.url}")


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    remote = httpx.ASGITransport(app=remote_app)
    async with httpx.AsyncClient(
        transport=httpx.MockTransport(_refuse),
        mounts={"all://remote.test": remote, "all://127.0.0.1:8001": remote},
    ) as c:
        yield c


async def fetch(client: httpx.AsyncClient, url: str, **kwargs: Any) -> dict[str, Any]:
    kwargs.setdefault("resolver", fake_resolver)
    return await fetch_json(client, url, **kwargs)


# --- happy paths -------------------------------------------------------------------------


async def test_fetches_actor(client: httpx.AsyncClient) -> None:
    doc = await fetch(client, f"{REMOTE}/users/alice")
    assert doc == {"id": f"{REMOTE}/users/alice", "type": "Person"}


async def test_sends_ap_accept_and_applies_auth(client: httpx.AsyncClient) -> None:
    class MarkAuth(httpx.Auth):
        def auth_flow(
            self, request: httpx.Request
        ) -> Generator[httpx.Request, httpx.Response, None]:
            request.headers["X-Signed-For"] = str(request.url)
            yield request

    doc = await fetch(client, f"{REMOTE}/echo", auth=MarkAuth())
    assert doc["headers"]["accept"] == AP_ACCEPT
    assert doc["headers"]["x-signed-for"] == f"{REMOTE}/echo"


@pytest.mark.parametrize("path", ["/plain-json", "/ld"])
async def test_tolerated_content_types(client: httpx.AsyncClient, path: str) -> None:
    assert (await fetch(client, REMOTE + path))["id"] == REMOTE + path


async def test_relative_redirect_followed_and_id_may_equal_final_url(
    client: httpx.AsyncClient,
) -> None:
    doc = await fetch(client, f"{REMOTE}/redirect")
    assert doc["id"] == f"{REMOTE}/users/alice"


async def test_redirects_up_to_the_limit(client: httpx.AsyncClient) -> None:
    doc = await fetch(client, f"{REMOTE}/chain/0", max_redirects=3)
    assert doc["id"] == f"{REMOTE}/chain/3"
    with pytest.raises(errors.TooManyRedirects):
        await fetch(client, f"{REMOTE}/chain/0", max_redirects=2)


async def test_too_many_redirects(client: httpx.AsyncClient) -> None:
    with pytest.raises(errors.TooManyRedirects):
        await fetch(client, f"{REMOTE}/loop/0", max_redirects=3)


async def test_zero_redirects_allowed(client: httpx.AsyncClient) -> None:
    with pytest.raises(errors.TooManyRedirects):
        await fetch(client, f"{REMOTE}/redirect", max_redirects=0)


async def test_private_address_allowed_when_asked(client: httpx.AsyncClient) -> None:
    url = "http://127.0.0.1:8001/users/alice"
    with pytest.raises(errors.BlockedAddress):
        await fetch(client, url, check_id=False)
    doc = await fetch(client, url, allow_private=True, check_id=False)
    assert doc["type"] == "Person"


# --- SSRF guard ---------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/to-evil", "/to-loopback", "/to-file"])
async def test_redirect_to_blocked_target(client: httpx.AsyncClient, path: str) -> None:
    with pytest.raises(errors.BlockedAddress):
        await fetch(client, REMOTE + path)


@pytest.mark.parametrize(
    "url",
    [
        "https://evil.test/x",
        "https://mixed.test/x",  # one private answer is enough to refuse
        "https://mapped.test/x",
        "http://10.0.0.1/x",
        "http://127.0.0.1:8001/x",
        "http://[::1]/x",
        "http://[::ffff:127.0.0.1]/x",
        "http://169.254.169.254/latest/meta-data",
        "http://100.64.0.1/x",
        "ftp://remote.test/x",
        "file:///etc/passwd",
    ],
)
async def test_check_url_blocks(url: str) -> None:
    with pytest.raises(errors.BlockedAddress):
        await check_url(url, allow_private=False, resolver=fake_resolver)


async def test_check_url_allow_private_still_checks_scheme() -> None:
    await check_url("http://10.0.0.1/x", allow_private=True, resolver=fake_resolver)
    await check_url("https://evil.test/x", allow_private=True, resolver=fake_resolver)
    with pytest.raises(errors.BlockedAddress):
        await check_url("gopher://10.0.0.1/", allow_private=True, resolver=fake_resolver)


async def test_check_url_public_ok_and_dns_failure() -> None:
    await check_url(f"{REMOTE}/x", allow_private=False, resolver=fake_resolver)
    await check_url(f"http://{PUBLIC_IP}/x", allow_private=False, resolver=default_resolver)
    with pytest.raises(errors.FetchFailed):
        await check_url("https://nowhere.test/", allow_private=False, resolver=fake_resolver)


@pytest.mark.parametrize(
    ("ip", "public"),
    [
        (PUBLIC_IP, True),
        ("2606:4700:4700::1111", True),
        ("::ffff:93.184.216.34", True),
        ("10.0.0.1", False),
        ("172.16.5.4", False),
        ("192.168.0.1", False),
        ("127.0.0.1", False),
        ("0.0.0.0", False),
        ("169.254.1.1", False),
        ("100.64.0.1", False),
        ("100.127.255.254", False),
        ("224.0.0.1", False),
        ("240.0.0.1", False),
        ("255.255.255.255", False),
        ("203.0.113.5", False),  # TEST-NET-3: documentation only, never routable
        ("::1", False),
        ("::", False),
        ("fe80::1", False),
        ("fc00::1", False),
        ("ff02::1", False),
        ("::ffff:10.0.0.1", False),
        ("::ffff:127.0.0.1", False),
        ("2002:7f00:1::", False),  # 6to4 wrapping 127.0.0.1
        ("64:ff9b::a00:1", False),  # NAT64 wrapping 10.0.0.1
        ("not an ip", False),
    ],
)
def test_is_public_address(ip: str, public: bool) -> None:
    assert is_public_address(ip) is public


async def test_default_resolver_returns_literals_without_dns() -> None:
    assert await default_resolver("10.1.2.3") == ["10.1.2.3"]
    assert await default_resolver("::1") == ["::1"]
    assert await default_resolver("[::1]") == ["::1"]


# --- status, content type, body -------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "error", "status"),
    [
        ("/missing", errors.NotFound, 404),
        ("/gone", errors.Gone, 410),
        ("/private", errors.Unauthorized, 401),
        ("/forbidden", errors.Unauthorized, 403),
        ("/broken", errors.FetchFailed, 500),
    ],
)
async def test_status_mapping(
    client: httpx.AsyncClient, path: str, error: type[errors.FetchError], status: int
) -> None:
    with pytest.raises(error) as info:
        await fetch(client, REMOTE + path)
    assert info.value.status == status
    assert info.value.url == REMOTE + path


@pytest.mark.parametrize("path", ["/html", "/array", "/bad-json"])
async def test_not_activitypub(client: httpx.AsyncClient, path: str) -> None:
    with pytest.raises(errors.NotActivityPub):
        await fetch(client, REMOTE + path)


async def test_require_ap_off_accepts_other_types(client: httpx.AsyncClient) -> None:
    with pytest.raises(errors.NotActivityPub):  # still must be a JSON object
        await fetch(client, f"{REMOTE}/html", require_ap=False, check_id=False)


async def test_size_cap_streamed(client: httpx.AsyncClient) -> None:
    with pytest.raises(errors.TooLarge):
        await fetch(client, f"{REMOTE}/big", check_id=False)
    doc = await fetch(client, f"{REMOTE}/big", check_id=False, max_bytes=2_000_000)
    assert len(doc["pad"]) == 1_000_000


async def test_size_cap_declared_length(client: httpx.AsyncClient) -> None:
    with pytest.raises(errors.TooLarge):
        await fetch(client, f"{REMOTE}/big-declared", max_bytes=100)


@pytest.mark.parametrize("path", ["/other-id", "/no-id"])
async def test_id_mismatch(client: httpx.AsyncClient, path: str) -> None:
    with pytest.raises(errors.IdMismatch) as info:
        await fetch(client, REMOTE + path)
    assert info.value.url == REMOTE + path
    doc = await fetch(client, REMOTE + path, check_id=False)
    assert doc.get("id") == info.value.document_id


async def test_timeout_is_fetch_failed(client: httpx.AsyncClient) -> None:
    with pytest.raises(errors.FetchFailed, match="timed out"):
        await fetch(client, f"{REMOTE}/slow", timeout=0.05)


async def test_network_error_is_fetch_failed() -> None:
    def fail(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused", request=request)

    async with httpx.AsyncClient(transport=httpx.MockTransport(fail)) as c:
        with pytest.raises(errors.FetchFailed, match="ConnectError"):
            await fetch(c, f"{REMOTE}/users/alice")


# --- layering and exports -------------------------------------------------------------------

FEDI = Path(__file__).resolve().parents[2] / "fedi"
FORBIDDEN = {"actors", "inbox", "web", "sqlalchemy", "starlette"}


def test_fedi_imports_nothing_from_higher_layers() -> None:
    for path in FEDI.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            else:
                continue
            for name in names:
                assert name.split(".")[0] not in FORBIDDEN, f"{path.name} imports {name}"


@pytest.mark.parametrize("module", ["errors", "fetch", "webfinger", "nodeinfo", "delivery"])
def test_all_is_declared_and_complete(module: str) -> None:
    mod = importlib.import_module(f"fedi.{module}")
    assert len(set(mod.__all__)) == len(mod.__all__)
    for name in mod.__all__:
        assert hasattr(mod, name), f"fedi.{module}.__all__ lists missing {name}"


def test_every_error_is_an_exception() -> None:
    for name in errors.__all__:
        assert issubclass(getattr(errors, name), errors.FediError)
        assert issubclass(getattr(errors, name), Exception)
