"""fedi.webfinger: resource and handle parsing, our JRD and host-meta, resolving remote handles."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import AsyncIterator
from typing import Any

import httpx
import orjson
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from fedi import errors
from fedi.webfinger import (
    AP_PROFILE_TYPE,
    PROFILE_PAGE_REL,
    USERNAME_RE,
    host_meta_xml,
    is_valid_username,
    jrd,
    parse_handle,
    parse_resource,
    resolve_handle,
)

PUBLIC_IP = "93.184.216.34"


async def fake_resolver(host: str) -> list[str]:
    return {"remote.test": [PUBLIC_IP], "evil.test": ["10.0.0.1"]}[host]


# --- parsing ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("resource", "expected"),
    [
        ("acct:alice@remote.test", ("alice", "remote.test")),
        ("acct%3Aalice%40remote.test", ("alice", "remote.test")),
        ("acct:alice%40remote.test", ("alice", "remote.test")),
        ("alice@remote.test", ("alice", "remote.test")),
        ("@alice@remote.test", ("alice", "remote.test")),
        ("ACCT:Alice@Remote.TEST", ("Alice", "remote.test")),
        ("acct:bob.smith_2@127.0.0.1:8001", ("bob.smith_2", "127.0.0.1:8001")),
        ("https://remote.test/users/alice", "https://remote.test/users/alice"),
        ("http://remote.test/@alice", "http://remote.test/@alice"),
        ("https%3A%2F%2Fremote.test%2Fusers%2Falice", "https://remote.test/users/alice"),
        ("https://remote.test/a%20b", "https://remote.test/a%20b"),  # not decoded twice
    ],
)
def test_parse_resource(resource: str, expected: tuple[str, str] | str) -> None:
    assert parse_resource(resource) == expected


@pytest.mark.parametrize(
    "resource",
    ["", "acct:", "alice", "acct:alice@", "acct:@remote.test", "a@b@c", "mailto:a@b.test",
     "ftp://remote.test/x", "acct:al ice@remote.test", "acct:alice@bad_host", "acct:.a@x.test"],
)
def test_parse_resource_rejects(resource: str) -> None:
    with pytest.raises(ValueError):
        parse_resource(resource)


@pytest.mark.parametrize(
    ("handle", "expected"),
    [
        ("@alice@remote.test", ("alice", "remote.test")),
        ("alice@remote.test", ("alice", "remote.test")),
        ("acct:alice@remote.test", ("alice", "remote.test")),
        ("  @alice@127.0.0.1:8001 ", ("alice", "127.0.0.1:8001")),
        ("alice@localhost:3000", ("alice", "localhost:3000")),
        ("alice@[::1]:8001", ("alice", "[::1]:8001")),
        ("alice@bücher.example", ("alice", "xn--bcher-kva.example")),
    ],
)
def test_parse_handle(handle: str, expected: tuple[str, str]) -> None:
    assert parse_handle(handle) == expected


@pytest.mark.parametrize(
    ("handle", "reason"),
    [
        ("alice", "name@host"),
        ("@alice", "name@host"),
        ("a@b@c.test", "name@host"),
        ("alice@", "no host"),
        ("-alice@remote.test", "invalid username"),
        ("alice@remote.test:0", "invalid port"),
        ("alice@remote.test:99999", "invalid port"),
        ("alice@remote.test/path", "invalid host"),
        ("alice@-remote.test", "invalid host"),
    ],
)
def test_parse_handle_errors_are_clear(handle: str, reason: str) -> None:
    with pytest.raises(ValueError, match=reason):
        parse_handle(handle)


@pytest.mark.parametrize(
    ("name", "valid"),
    [
        ("alice", True), ("Alice_99", True), ("a.b", True), ("a-b", True), ("a..b", True),
        ("a_b.c-d", True), (".a", False), ("a.", False), ("-a", False), ("a-", False),
        ("a b", False), ("", False), ("ä", False), ("a@b", False),
    ],
)
def test_username_validity(name: str, valid: bool) -> None:
    assert is_valid_username(name) is valid
    assert (USERNAME_RE.fullmatch(name) is not None) is valid


# --- what we serve ---------------------------------------------------------------------------


def test_jrd_shape_exact() -> None:
    assert jrd(
        "acct:alice@yinhu.test",
        "https://yinhu.test/actors/alice",
        "https://yinhu.test/@alice",
        aliases=["https://yinhu.test/@alice"],
    ) == {
        "subject": "acct:alice@yinhu.test",
        "aliases": ["https://yinhu.test/@alice"],
        "links": [
            {
                "rel": "self",
                "type": "application/activity+json",
                "href": "https://yinhu.test/actors/alice",
            },
            {"rel": PROFILE_PAGE_REL, "type": "text/html", "href": "https://yinhu.test/@alice"},
        ],
    }


def test_jrd_minimal_adds_acct_prefix() -> None:
    assert jrd("alice@yinhu.test", "https://yinhu.test/actors/alice", None) == {
        "subject": "acct:alice@yinhu.test",
        "links": [
            {
                "rel": "self",
                "type": "application/activity+json",
                "href": "https://yinhu.test/actors/alice",
            }
        ],
    }


def test_host_meta_xml() -> None:
    root = ET.fromstring(host_meta_xml("https://yinhu.test/"))
    assert root.tag == "{http://docs.oasis-open.org/ns/xri/xrd-1.0}XRD"
    (link,) = list(root)
    assert link.attrib == {
        "rel": "lrdd",
        "template": "https://yinhu.test/.well-known/webfinger?resource={uri}",
    }


# --- resolving remote handles ----------------------------------------------------------------

ACTOR = "https://remote.test/users/alice"


def _webfinger(request: Request) -> Response:
    resource = request.query_params.get("resource", "")
    answers: dict[str, tuple[int, Any]] = {
        "acct:alice@remote.test": (200, jrd("alice@remote.test", ACTOR, None)),
        "acct:ld@remote.test": (
            200,
            {"subject": "acct:ld@remote.test",
             "links": [{"rel": "self", "type": AP_PROFILE_TYPE, "href": ACTOR}]},
        ),
        "acct:html@remote.test": (
            200,
            {"subject": "acct:html@remote.test",
             "links": [{"rel": "self", "type": "text/html", "href": ACTOR}]},
        ),
        "acct:nolinks@remote.test": (200, {"subject": "acct:nolinks@remote.test"}),
        "acct:array@remote.test": (200, []),
        "acct:gone@remote.test": (410, {}),
        "acct:broken@remote.test": (500, {}),
    }
    status, body = answers.get(resource, (404, {}))
    return Response(orjson.dumps(body), status, media_type="application/jrd+json")


app = Starlette(routes=[Route("/.well-known/webfinger", _webfinger)])
seen: list[str] = []


def _refuse(request: httpx.Request) -> httpx.Response:
    raise AssertionError(f"unexpected host {request.url}")


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)

    async def log(request: httpx.Request) -> None:
        seen.append(str(request.url))

    seen.clear()
    async with httpx.AsyncClient(
        transport=httpx.MockTransport(_refuse),
        mounts={"all://remote.test": transport, "all://127.0.0.1:8001": transport},
        event_hooks={"request": [log]},
    ) as c:
        yield c


@pytest.mark.parametrize("handle", ["@alice@remote.test", "alice@remote.test", "@ld@remote.test"])
async def test_resolve_handle(client: httpx.AsyncClient, handle: str) -> None:
    assert await resolve_handle(client, handle, resolver=fake_resolver) == ACTOR


async def test_resolve_handle_sends_unencoded_acct_over_https(client: httpx.AsyncClient) -> None:
    await resolve_handle(client, "alice@remote.test", resolver=fake_resolver)
    assert seen == ["https://remote.test/.well-known/webfinger?resource=acct:alice@remote.test"]


async def test_resolve_handle_with_port_over_http(client: httpx.AsyncClient) -> None:
    # Our fake answers only for remote.test subjects, so a 404 proves the request got there.
    with pytest.raises(errors.WebFingerError, match="no such account"):
        await resolve_handle(client, "alice@127.0.0.1:8001", scheme="http", allow_private=True)
    assert seen == [
        "http://127.0.0.1:8001/.well-known/webfinger?resource=acct:alice@127.0.0.1:8001"
    ]


@pytest.mark.parametrize(
    ("handle", "reason", "cause"),
    [
        ("nobody@remote.test", "no such account", errors.NotFound),
        ("gone@remote.test", "account is gone", errors.Gone),
        ("broken@remote.test", "lookup failed", errors.FetchFailed),
        ("array@remote.test", "lookup failed", errors.NotActivityPub),
        ("html@remote.test", "no self link", type(None)),
        ("nolinks@remote.test", "no self link", type(None)),
        ("alice@evil.test", "lookup failed", errors.BlockedAddress),
        ("alice@127.0.0.1:8001", "lookup failed", errors.BlockedAddress),
        ("not a handle", "name@host", ValueError),
    ],
)
async def test_resolve_handle_errors(
    client: httpx.AsyncClient, handle: str, reason: str, cause: type[BaseException]
) -> None:
    with pytest.raises(errors.WebFingerError, match=reason) as info:
        await resolve_handle(client, handle, resolver=fake_resolver)
    assert isinstance(info.value.__cause__, cause)
    assert info.value.handle == handle
