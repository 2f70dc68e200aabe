"""Tests for the items of docs/mastodon-interop.md (sections A-E) that no other test covered,
or covered only in part. Each test names its checklist item(s) in its docstring.

They run against real ``create_app()`` instances in the ``fed`` fediverse; where a peer must
behave in a way ``FakeRemote`` does not (GoToSocial's signed-GET-only actors and ``/main-key``
key ids), a small Starlette app stands in for it, and ``Tap`` records the raw requests an app
receives so that the exact bytes and headers Yinhu sends can be checked.
"""

from __future__ import annotations

import base64
import hashlib
import re
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import httpx
import orjson
import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPublicKey
from sqlalchemy import func, select
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp, Receive, Scope, Send

from actors.publishing.publishing import publish
from actors.social.local import create_community
from actors.storage.models import inbox_items
from fedi import vocab
from fedi.errors import FediError
from fedi.fetch import fetch_json
from fedi.httpsig import (
    HTTPSignatureAuth,
    body_digest,
    build_signing_string,
    parse_signature_header,
    sign_headers,
)
from fedi.keys import generate_rsa_keypair, load_private_key, load_public_key
from fedi.signatures import PublicKeyInfo
from fedi.verify import verify_request
from fedi.webfinger import USERNAME_RE, resolve_handle
from tests.conftest import Fediverse, Node
from tests.fakes.remote import FakeRemote, FakeUser

AP = {"Accept": "application/activity+json"}
AS_PROFILE = 'application/ld+json; profile="https://www.w3.org/ns/activitystreams"'
# What Mastodon's URL search sends (app/services/fetch_resource_service.rb).
SEARCH_ACCEPT = f"application/activity+json, {AS_PROFILE}, text/html;q=0.1"
IMF_FIXDATE = re.compile(
    r"^(Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d{2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}:\d{2} GMT$"
)
PUBLIC = vocab.PUBLIC


# --- helpers ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Tapped:
    method: str
    raw_target: str
    headers: dict[str, str]
    body: bytes


class Tap:
    """ASGI middleware recording every HTTP request (raw target, headers, body) it passes on."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.requests: list[Tapped] = []

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        messages, body, more = [], b"", True
        while more:
            message = await receive()
            messages.append(message)
            body += message.get("body", b"")
            more = message.get("more_body", False)
        target = scope.get("raw_path", scope["path"].encode()).decode("latin-1")
        if scope.get("query_string"):
            target += "?" + scope["query_string"].decode("latin-1")
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        self.requests.append(Tapped(scope["method"], target, headers, body))
        replay = iter(messages)

        async def again() -> Any:
            return next(replay, {"type": "http.disconnect"})

        await self.app(scope, again, send)

    def posts(self) -> list[Tapped]:
        return [r for r in self.requests if r.method == "POST"]

    def gets(self, path: str | None = None) -> list[Tapped]:
        return [
            r for r in self.requests if r.method == "GET" and (path is None or r.raw_target == path)
        ]


def tap(fed: Fediverse, host: str, app: ASGIApp) -> Tap:
    tapped = Tap(app)
    fed.router.add(host, tapped)
    return tapped


async def _setup(fed: Fediverse) -> tuple[Node, str, FakeRemote, FakeUser]:
    a = await fed.yinhu("a.test")
    club = await create_community(a.inst, "club", name="Club", summary="We meet on Sundays.")
    remote = fed.remote("remote.test")
    return a, club, remote, remote.add_user("alice")


async def _stored(node: Node) -> int:
    async with node.inst.engine.connect() as conn:
        return int((await conn.execute(select(func.count()).select_from(inbox_items))).scalar_one())


def _like(user: FakeUser, target: str) -> dict[str, Any]:
    return _like_by(user.uri, user.new_id(), target)


def _like_by(actor: str, like_id: str, target: str) -> dict[str, Any]:
    return {
        "@context": vocab.AS_CONTEXT,
        "id": like_id,
        "type": "Like",
        "actor": actor,
        "object": target,
    }


def _custom_signed(
    user: FakeUser,
    method: str,
    url: str,
    headers: dict[str, str],
    covered: list[str],
    *,
    algorithm: str | None = "rsa-sha256",
    target: str | None = None,
) -> dict[str, str]:
    """Headers plus a draft-cavage Signature over ``covered`` in that order (any algorithm label)."""
    parts = httpx.URL(url)
    if target is None:
        target = parts.raw_path.decode("ascii")
    text = build_signing_string(covered, method, target, headers)
    raw = load_private_key(user.private_key_pem).sign(
        text.encode(), padding.PKCS1v15(), hashes.SHA256()
    )
    alg = f'algorithm="{algorithm}",' if algorithm else ""
    sig = (
        f'keyId="{user.key_id}",{alg}headers="{" ".join(covered)}",'
        f'signature="{base64.b64encode(raw).decode()}"'
    )
    return {**headers, "Signature": sig}


ACTOR_PATHS = ("/actor", "/c/yinhu", "/c/club")


# --- A. Discovery -----------------------------------------------------------------------------


async def test_every_local_actor_round_trips_through_webfinger(fed: Fediverse) -> None:
    """A1, A2, A3: for every actor we serve (instance actor, feed actor, community), Mastodon's
    round trip works: preferredUsername matches Mastodon's USERNAME_RE, WebFinger answers
    ``acct:<preferredUsername>@host`` (and the actor URL as resource) with one-@ subject, the
    exact self-link type and an href byte-identical to the actor id, and the FEP-2c59
    ``webfinger`` property, when present, names the same account."""
    a, _club, _remote, _alice = await _setup(fed)
    for path in ACTOR_PATHS:
        doc = (await fed.client.get(a.url(path), headers=AP)).json()
        username = doc["preferredUsername"]
        assert USERNAME_RE.fullmatch(username), (path, username)
        for resource in (f"acct:{username}@a.test", doc["id"]):
            resp = await fed.client.get(
                a.url("/.well-known/webfinger"), params={"resource": resource}
            )
            assert resp.status_code == 200, (path, resource, resp.text)
            assert resp.headers["content-type"].startswith("application/jrd+json")
            jrd = resp.json()
            assert jrd["subject"] == f"acct:{username}@a.test"
            assert jrd["subject"].count("@") == 1
            selfs = [link for link in jrd["links"] if link.get("rel") == "self"]
            assert selfs == [
                {"rel": "self", "type": "application/activity+json", "href": doc["id"]}
            ], path
        if "webfinger" in doc:
            assert doc["webfinger"] == f"{username}@a.test"
        # Our own resolver, which applies Mastodon's rules, finds the same id.
        assert (
            await resolve_handle(
                fed.client, f"@{username}@a.test", scheme="http", allow_private=True
            )
            == doc["id"]
        )


# --- B. Actor documents -----------------------------------------------------------------------


async def test_every_local_actor_document_is_what_mastodon_reads(fed: Fediverse) -> None:
    """B1, B2, B3: each actor's @context holds the AS context (plus security/v1), its type is an
    actor type, it has an http(s) id, inbox, outbox, followers, preferredUsername, a url on its
    own host, endpoints.sharedInbox, PropertyValue attachments (<= 50), and a publicKey whose
    id is ``<id>#main-key``, owner is exactly the id, and PEM is an SPKI RSA key of >= 2048 bits."""
    a, _club, _remote, _alice = await _setup(fed)
    types = {}
    for path in ACTOR_PATHS:
        doc = (await fed.client.get(a.url(path), headers=AP)).json()
        ctx = vocab.as_list(doc["@context"])
        assert vocab.AS_CONTEXT in ctx and vocab.SEC_CONTEXT in ctx, path
        assert doc["type"] in vocab.ACTOR_TYPES
        types[path] = doc["type"]
        assert doc["id"] == a.url(path)
        host = httpx.URL(doc["id"]).host
        for key in ("inbox", "outbox", "followers"):
            assert httpx.URL(doc[key]).host == host, (path, key)
        assert httpx.URL(doc["url"]).host == host
        assert doc["endpoints"]["sharedInbox"] == a.url("/inbox")
        assert isinstance(doc.get("preferredUsername"), str)
        attachments = vocab.as_list(doc.get("attachment"))
        assert len(attachments) <= 50
        assert all(
            att["type"] == "PropertyValue" and att["name"] and att["value"] for att in attachments
        )
        key = doc["publicKey"]
        assert key["id"] == f"{doc['id']}#main-key" and key["owner"] == doc["id"]
        assert key["publicKeyPem"].startswith("-----BEGIN PUBLIC KEY-----")
        public = load_public_key(key["publicKeyPem"])
        assert isinstance(public, RSAPublicKey) and public.key_size >= 2048
        # Mastodon reads totalItems of outbox and followers; followers without `first` are hidden.
        for key_name in ("outbox", "followers"):
            coll = (await fed.client.get(doc[key_name], headers=AP)).json()
            assert coll["type"] == "OrderedCollection" and isinstance(coll["totalItems"], int)
            assert coll["first"]
    assert types == {"/actor": "Application", "/c/yinhu": "Service", "/c/club": "Group"}


async def test_documents_dereference_at_exactly_their_id(fed: Fediverse) -> None:
    """B4, E1: actor, collections, a collection page, an object and its activity answer a GET
    (with plain AS Accept and with Mastodon's URL-search Accept, which also lists text/html)
    with 200, ``Content-Type: application/activity+json``, ``Vary: Accept`` and an ``id``
    string-equal to the URL asked for."""
    a, _club, _remote, _alice = await _setup(fed)
    published = await publish(a.inst, "club", {"type": "note", "content": "hello"})
    urls = [
        a.url("/c/club"),
        a.url("/actor"),
        a.url("/c/club/outbox"),
        a.url("/c/club/followers"),
        a.url("/c/club/outbox?page=true"),
        published.uri,
        published.activity_uri,
    ]
    for accept in (AP["Accept"], AS_PROFILE, SEARCH_ACCEPT):
        for url in urls:
            resp = await fed.client.get(url, headers={"Accept": accept})
            assert resp.status_code == 200, (url, accept, resp.text)
            assert (
                resp.headers["content-type"].split(";")[0].strip() == "application/activity+json"
            ), (url, accept)
            assert "accept" in resp.headers.get("vary", "").lower(), (url, accept)
            assert resp.json()["id"] == url, (url, accept)
            assert vocab.AS_CONTEXT in vocab.as_list(resp.json()["@context"])


# --- C. Verifying incoming signatures -----------------------------------------------------------


async def test_rfc9421_signed_post_gets_401_so_the_sender_falls_back(fed: Fediverse) -> None:
    """C1, C12: a POST signed only the RFC 9421 way (Signature-Input + Signature dictionary +
    Content-Digest, as Fedify sends first) whose signature we cannot accept (here: not a valid
    signature; before RFC 9421 support: any) must get 401, never 403/5xx (Mastodon and Fedify
    fall back to draft-cavage only on 400/401), with a JSON error, and nothing is stored."""
    a, club, _remote, alice = await _setup(fed)
    body = orjson.dumps(alice.follow(club))
    digest = base64.b64encode(hashlib.sha256(body).digest()).decode()
    headers = {
        "Content-Type": "application/activity+json",
        "Content-Digest": f"sha-256=:{digest}:",
        "Signature-Input": (
            f'sig1=("@method" "@target-uri" "@authority" "content-digest");'
            f'created={int(fed.clock().timestamp())};keyid="{alice.key_id}"'
        ),
        "Signature": "sig1=:" + base64.b64encode(b"\x00" * 256).decode() + ":",
    }
    resp = await fed.client.post(a.url("/c/club/inbox"), content=body, headers=headers)
    assert resp.status_code == 401, resp.text
    assert "error" in resp.json()
    assert await _stored(a) == 0


async def test_gotosocial_style_hs2019_post_is_accepted(fed: Fediverse) -> None:
    """C3, C4: ``algorithm="hs2019"`` with an RSA key verifies as RSASSA-PKCS1-v1_5 SHA-256,
    headers signed in an unusual order with extras (Pleroma's content-length) are accepted
    end to end through the inbox, and a missing ``algorithm`` means hs2019."""
    a, club, _remote, alice = await _setup(fed)
    for algorithm, covered in (
        ("hs2019", ["(request-target)", "host", "date", "digest"]),
        (None, ["digest", "content-length", "date", "host", "(request-target)", "content-type"]),
    ):
        body = orjson.dumps(_like(alice, club))
        headers = {
            "Host": "a.test",
            "Date": sign_headers(
                "GET",
                "http://a.test/",
                {},
                None,
                alice.key_id,
                alice.private_key_pem,
                now=fed.clock(),
            )["Date"],
            "Digest": body_digest(body),
            "Content-Type": "application/activity+json",
            "Content-Length": str(len(body)),
        }
        signed = _custom_signed(
            alice, "POST", a.url("/inbox"), headers, covered, algorithm=algorithm
        )
        resp = await fed.client.post(a.url("/inbox"), content=body, headers=signed)
        assert resp.status_code == 202, (algorithm, resp.text)
    assert await _stored(a) == 2


async def test_request_target_uses_the_raw_path_and_query_with_a_path_only_retry(
    fed: Fediverse,
) -> None:
    """C5: the (request-target) is the raw, still percent-encoded path plus the raw query; a
    signature over the path with the query verifies, and so does one over the path only (older
    Mastodon, Pleroma, Fedify sign the path only) when the request carries a query."""
    a, club, _remote, alice = await _setup(fed)

    async def post(url: str, signed_url: str) -> httpx.Response:
        body = orjson.dumps(_like(alice, club))
        headers = {"Content-Type": "application/activity+json"}
        headers |= sign_headers(
            "POST", signed_url, headers, body, alice.key_id, alice.private_key_pem, now=fed.clock()
        )
        return await fed.client.post(url, content=body, headers=headers)

    # Query signed.
    assert (await post(a.url("/inbox?src=x%2Fy"), a.url("/inbox?src=x%2Fy"))).status_code == 202
    # Path only signed, query sent.
    assert (await post(a.url("/inbox?src=x%2Fy"), a.url("/inbox"))).status_code == 202
    # Percent-encoded path, signed as sent (raw), routed to the decoded community inbox.
    resp = await post(a.url("/c/%63lub/inbox"), a.url("/c/%63lub/inbox"))
    assert resp.status_code == 202, resp.text
    # ... but a signature over a different path is refused.
    assert (await post(a.url("/c/club/inbox"), a.url("/c/other/inbox"))).status_code == 401
    assert await _stored(a) == 3


@pytest.mark.parametrize(
    ("offset", "status"),
    [
        (timedelta(hours=-2), 401),
        (timedelta(hours=2), 401),
        (timedelta(minutes=-30), 202),
        (timedelta(minutes=30), 202),
    ],
)
async def test_date_window_at_the_inbox(fed: Fediverse, offset: timedelta, status: int) -> None:
    """C6: through the real inbox, a Date two hours off either way is 401, half an hour off
    either way is accepted (window +-1 h)."""
    a, club, _remote, alice = await _setup(fed)
    auth = HTTPSignatureAuth(
        alice.key_id, alice.private_key_pem, clock=lambda: fed.clock() + offset
    )
    resp = await fed.client.post(
        a.url("/inbox"),
        content=orjson.dumps(_like(alice, club)),
        headers={"Content-Type": "application/activity+json"},
        auth=auth,
    )
    assert resp.status_code == status, resp.text
    assert await _stored(a) == (1 if status == 202 else 0)


@pytest.mark.parametrize(
    "content_type",
    [
        "application/activity+json",
        "application/activity+json; charset=utf-8",
        AS_PROFILE,
        'application/ld+json; profile="https://www.w3.org/ns/activitystreams"; charset=utf-8',
    ],
)
async def test_inbox_accepts_every_activitypub_content_type(
    fed: Fediverse, content_type: str
) -> None:
    """C11: the inbox accepts both ActivityPub media types, with or without charset, on the
    shared inbox and the personal inbox, and keeps the raw bytes it was sent (of an activity
    it handles: a type without a handler keeps only its id)."""
    a, club, _remote, alice = await _setup(fed)
    for inbox in ("/inbox", "/c/club/inbox"):
        like = alice.follow(club)
        body = orjson.dumps(like, option=orjson.OPT_INDENT_2)  # odd bytes on purpose
        resp = await fed.client.post(
            a.url(inbox),
            content=body,
            headers={"Content-Type": content_type},
            auth=HTTPSignatureAuth(alice.key_id, alice.private_key_pem, clock=fed.clock),
        )
        assert resp.status_code == 202, (inbox, resp.text)
        async with a.inst.engine.connect() as conn:
            stored = (
                await conn.execute(
                    select(inbox_items.c.body).where(inbox_items.c.activity_uri == like["id"])
                )
            ).scalar_one()
        assert stored.encode() == body


class GoToSocialLike:
    """A peer that behaves like GoToSocial: every GET of its actors and keys must be signed
    (401 otherwise), its key ids end in ``/main-key`` (no ``#``), and the key URL returns a
    stub actor carrying only ``publicKey``. It verifies our GET signatures by fetching our key
    unsigned, as a secure-mode peer does, and records each GET signature it accepted."""

    def __init__(self, fed: Fediverse, domain: str = "gts.test") -> None:
        self.fed = fed
        self.domain = domain
        self.base = f"http://{domain}"
        self.private_pem, self.public_pem = generate_rsa_keypair()
        self.evil_private_pem, self.evil_public_pem = generate_rsa_keypair()
        self.accepted_gets: list[tuple[str, str, dict[str, str]]] = []  # (target, keyId, headers)
        self.unsigned_gets: list[str] = []
        app = Starlette(
            routes=[
                Route("/users/bob", self._actor),
                Route("/users/bob/main-key", self._stub),
                Route("/keys/evil", self._evil_key),
            ]
        )
        self.tap = tap(fed, domain, app)

    @property
    def uri(self) -> str:
        return f"{self.base}/users/bob"

    @property
    def key_id(self) -> str:
        return f"{self.uri}/main-key"

    def _key(self) -> dict[str, str]:
        return {"id": self.key_id, "owner": self.uri, "publicKeyPem": self.public_pem}

    async def _check(self, request: Request) -> Response | None:
        target = request.scope["raw_path"].decode("latin-1")
        if request.url.query:
            target += "?" + request.url.query
        result = await verify_request(
            "GET", target, request.headers, b"", self._lookup, now=self.fed.clock()
        )
        if not result.ok:
            self.unsigned_gets.append(target)
            return JSONResponse({"error": result.detail}, status_code=401)
        self.accepted_gets.append((target, str(result.key_id), dict(request.headers)))
        return None

    async def _lookup(self, key_id: str, refresh: bool) -> PublicKeyInfo | None:
        try:
            doc = await fetch_json(
                self.fed.client, key_id.split("#", 1)[0], allow_private=True, check_id=False
            )
        except FediError:
            return None
        key = doc.get("publicKey") or {}
        if key.get("id") == key_id:
            return PublicKeyInfo(key_id, str(key.get("owner")), key["publicKeyPem"])
        return None

    async def _person(self, request: Request, **more: str) -> Response:
        """bob's Person (with ``more`` fields), answered only to a request ``_check`` lets through."""
        if (refused := await self._check(request)) is not None:
            return refused
        doc = {
            "@context": [vocab.AS_CONTEXT, vocab.SEC_CONTEXT],
            "id": self.uri,
            "type": "Person",
            **more,
            "publicKey": self._key(),
        }
        return Response(orjson.dumps(doc), media_type="application/activity+json")

    async def _actor(self, request: Request) -> Response:
        return await self._person(
            request,
            preferredUsername="bob",
            inbox=f"{self.uri}/inbox",
            outbox=f"{self.uri}/outbox",
            followers=f"{self.uri}/followers",
        )

    async def _stub(self, request: Request) -> Response:
        return await self._person(request)

    async def _evil_key(self, request: Request) -> Response:
        # A key document that claims bob as owner, but bob's actor does not list it.
        doc = {
            "@context": vocab.SEC_CONTEXT,
            "id": f"{self.base}/keys/evil",
            "owner": self.uri,
            "publicKeyPem": self.evil_public_pem,
        }
        return Response(orjson.dumps(doc), media_type="application/activity+json")

    async def post(
        self, node: Node, activity: dict[str, Any], *, key_id: str | None = None, evil: bool = False
    ) -> httpx.Response:
        body = orjson.dumps(activity)
        headers = {"Content-Type": "application/activity+json"}
        headers |= sign_headers(
            "POST",
            node.url("/inbox"),
            headers,
            body,
            key_id or self.key_id,
            self.evil_private_pem if evil else self.private_pem,
            now=self.fed.clock(),
        )
        # GoToSocial labels its RSA signatures hs2019.
        headers["Signature"] = headers["Signature"].replace(
            'algorithm="rsa-sha256"', 'algorithm="hs2019"'
        )
        return await self.fed.client.post(node.url("/inbox"), content=body, headers=headers)


async def test_gotosocial_key_id_and_signed_fetches(fed: Fediverse) -> None:
    """C8, D2, H3: a GoToSocial-style sender (keyId ``<actor>/main-key``, stub actor at the key
    URL, 401 to unsigned GETs) is verified: we fetch its key and then its full owner actor with
    GETs signed by our instance actor (keyId ``/actor#main-key``, signing at least
    ``(request-target) host date``, Accept naming both AS media types), and the peer can check
    those signatures because our actor document is served without a signature."""
    a, club, _remote, _alice = await _setup(fed)
    gts = GoToSocialLike(fed)
    like = _like_by(gts.uri, f"{gts.base}/likes/1", club)
    resp = await gts.post(a, like)
    assert resp.status_code == 202, resp.text
    assert gts.unsigned_gets == []
    targets = [t for t, _k, _h in gts.accepted_gets]
    assert "/users/bob/main-key" in targets and "/users/bob" in targets
    for _target, key_id, headers in gts.accepted_gets:
        assert key_id == a.url("/actor#main-key")
        params = parse_signature_header(headers["signature"])
        assert params.headers[:3] == ("(request-target)", "host", "date")
        assert "application/activity+json" in headers["accept"]
        assert AS_PROFILE in headers["accept"]
        assert headers["host"] == "gts.test"
        assert IMF_FIXDATE.match(headers["date"])


async def test_key_document_not_listed_by_its_owner_is_refused(fed: Fediverse) -> None:
    """C8: a key document (publicKeyPem + owner) counts only if the owner's own actor document
    lists that key id; a key URL on the right host claiming bob as owner, which bob's actor
    does not list, must not verify bob's activities."""
    a, club, _remote, _alice = await _setup(fed)
    gts = GoToSocialLike(fed)
    like = _like_by(gts.uri, f"{gts.base}/likes/2", club)
    resp = await gts.post(a, like, key_id=f"{gts.base}/keys/evil", evil=True)
    assert resp.status_code == 401, resp.text
    assert await _stored(a) == 0


async def test_bad_signatures_refetch_the_key_at_most_once_per_interval(fed: Fediverse) -> None:
    """C9: after a rotation the first POST still verifies (one refetch), but a stream of bad
    signatures does not make us refetch the sender's actor for every request."""
    a, club, remote, alice = await _setup(fed)
    seen = tap(fed, "remote.test", remote.app)
    assert (await remote.send(alice, alice.follow(club), a.url("/c/club/inbox"))).status_code == 202
    assert len(seen.gets("/users/alice")) == 1
    remote.rotate_key(alice)
    assert (await remote.send(alice, _like(alice, club), a.url("/inbox"))).status_code == 202
    assert len(seen.gets("/users/alice")) == 2
    wrong = FakeUser(remote, "alice", *generate_rsa_keypair())
    for _ in range(5):
        assert (await remote.send(wrong, _like(alice, club), a.url("/inbox"))).status_code == 401
    assert len(seen.gets("/users/alice")) == 2


async def test_an_actor_with_two_inline_keys_may_sign_with_either(fed: Fediverse) -> None:
    """B3, C8: Mastodon reads up to 10 inline keys (``legacy_public_keys``) and looks up the
    one whose id is the keyId; an actor whose ``publicKey`` is a list of two keys (ids
    ``#main-key`` and ``#second-key``, both owned by it) may sign with the second."""
    a, club, _remote, _alice = await _setup(fed)
    base = "http://multi.test"
    uri = f"{base}/users/carol"
    keys = [generate_rsa_keypair(), generate_rsa_keypair()]
    ids = [f"{uri}#main-key", f"{uri}#second-key"]

    async def actor(request: Request) -> Response:
        doc = {
            "@context": [vocab.AS_CONTEXT, vocab.SEC_CONTEXT],
            "id": uri,
            "type": "Person",
            "preferredUsername": "carol",
            "inbox": f"{uri}/inbox",
            "outbox": f"{uri}/outbox",
            "publicKey": [
                {"id": k, "owner": uri, "publicKeyPem": pem}
                for k, (_priv, pem) in zip(ids, keys, strict=True)
            ],
        }
        return Response(orjson.dumps(doc), media_type="application/activity+json")

    tap(fed, "multi.test", Starlette(routes=[Route("/users/carol", actor)]))
    for n, (key_id, (private_pem, _pub)) in enumerate(zip(ids, keys, strict=True)):
        like = _like_by(uri, f"{base}/likes/{n}", club)
        resp = await fed.client.post(
            a.url("/inbox"),
            content=orjson.dumps(like),
            headers={"Content-Type": "application/activity+json"},
            auth=HTTPSignatureAuth(key_id, private_pem, clock=fed.clock),
        )
        assert resp.status_code == 202, (key_id, resp.text)


# --- D. Signing what we send --------------------------------------------------------------------


async def test_deliveries_carry_exactly_the_headers_mastodon_checks(fed: Fediverse) -> None:
    """D1, B3, E3: the inbox answers 202 before any work is done (the Accept goes out only when
    the worker runs); then each POST we send has Host equal to the peer's host, an IMF-fixdate
    Date, ``Digest: SHA-256=`` of the exact bytes sent, ``Content-Type:
    application/activity+json``, and a Signature with keyId == the sender's publicKey.id,
    algorithm rsa-sha256 and headers ``(request-target) host date digest content-type``
    which verifies over ``post <path>``; the activity carries the AS @context."""
    a, club, remote, alice = await _setup(fed)
    seen = tap(fed, "remote.test", remote.app)
    assert (await remote.send(alice, alice.follow(club), a.url("/c/club/inbox"))).status_code == 202
    assert seen.posts() == []  # nothing sent synchronously
    await fed.drain()
    await publish(a.inst, "club", {"type": "note", "content": "hello"})
    await fed.drain()
    posts = seen.posts()
    assert [orjson.loads(p.body)["type"] for p in posts] == ["Accept", "Create"]
    club_doc = (await fed.client.get(club, headers=AP)).json()
    for post in posts:
        h = post.headers
        assert h["host"] == "remote.test"
        assert IMF_FIXDATE.match(h["date"]), h["date"]
        assert h["digest"] == body_digest(post.body)
        assert h["content-type"] == "application/activity+json"
        params = parse_signature_header(h["signature"])
        assert params.key_id == club_doc["publicKey"]["id"]
        assert params.algorithm == "rsa-sha256"
        assert params.headers == ("(request-target)", "host", "date", "digest", "content-type")
        text = build_signing_string(params.headers, "POST", post.raw_target, h)
        assert text.startswith(f"(request-target): post {post.raw_target}\n")
        club_key = load_public_key(club_doc["publicKey"]["publicKeyPem"])
        assert isinstance(club_key, RSAPublicKey)
        club_key.verify(params.signature, text.encode(), padding.PKCS1v15(), hashes.SHA256())
        activity = orjson.loads(post.body)
        assert vocab.AS_CONTEXT in vocab.as_list(activity["@context"])
        assert activity["actor"] == club


async def test_delivery_host_header_keeps_a_non_default_port(fed: Fediverse) -> None:
    """D1: ``Host`` (signed) is the exact host including a non-default port, as the receiving
    server sees it (Misskey requires the signed host to equal its own)."""
    a, club, _remote, _alice = await _setup(fed)
    ported = fed.remote("port.test:8443")
    seen = tap(fed, "port.test:8443", ported.app)
    carol = ported.add_user("carol")
    assert (await ported.send(carol, carol.follow(club), a.url("/c/club/inbox"))).status_code == 202
    await fed.drain()
    [accept] = seen.posts()
    assert accept.headers["host"] == "port.test:8443"
    assert "host" in parse_signature_header(accept.headers["signature"]).headers
    assert [r.type for r in ported.received] == ["Accept"]


async def test_delivery_retries_on_401_408_429_and_drops_other_4xx(fed: Fediverse) -> None:
    """D3: through the real worker, a peer answering 401, 408 or 429 gets the delivery again
    later; one answering 403 does not."""
    a, club, remote, alice = await _setup(fed)
    await remote.send(alice, alice.follow(club), a.url("/c/club/inbox"))
    await fed.drain()
    for status, retried in ((401, True), (408, True), (429, True), (403, False)):
        before = len(remote.of_type("Create"))
        remote.fail_with(status)
        await publish(a.inst, "club", {"type": "note", "content": f"status {status}"})
        await fed.drain()
        remote.heal()
        fed.clock.advance(timedelta(days=1))
        await fed.drain()
        assert len(remote.of_type("Create")) - before == (1 if retried else 0), status


# --- E. Negotiation, limits, transport ----------------------------------------------------------


async def test_html_pages_link_to_their_activitypub_document(fed: Fediverse) -> None:
    """E1, E2: browsers (and ``application/json``, which is not an AS type) get HTML with
    ``Vary: Accept``; each HTML page of an actor or object carries ``<link rel="alternate"
    type="application/activity+json" href="<id>">``, so a pasted URL resolves."""
    a, club, _remote, _alice = await _setup(fed)
    published = await publish(a.inst, "club", {"type": "note", "content": "hello"})
    for url, ap_id in ((club, club), (a.url("/@club"), club), (published.uri, published.uri)):
        for accept in ("text/html,application/xhtml+xml,*/*;q=0.8", "application/json"):
            resp = await fed.client.get(url, headers={"Accept": accept})
            assert resp.status_code == 200, (url, accept)
            assert resp.headers["content-type"].startswith("text/html"), (url, accept)
            assert "accept" in resp.headers.get("vary", "").lower(), (url, accept)
            assert (
                f'<link rel="alternate" type="application/activity+json" href="{ap_id}">'
                in resp.text
            ), url


async def test_inbox_body_limit_is_one_megabyte(fed: Fediverse) -> None:
    """E3, C11: a signed activity just under 1 MB is accepted and one just over is 413 (Mastodon
    sends and accepts up to 1 MB)."""
    a, club, remote, alice = await _setup(fed)
    limit = a.inst.settings.max_body_bytes
    assert limit >= 1_000_000
    base = orjson.dumps({**_like(alice, club), "pad": ""})
    under = {**_like(alice, club)}
    under["pad"] = "x" * (limit - len(base) - 10)
    resp = await remote.send(alice, under, a.url("/inbox"))
    assert resp.status_code == 202, resp.text
    over = {**_like(alice, club), "pad": "x" * limit}
    assert (await remote.send(alice, over, a.url("/inbox"))).status_code == 413


async def test_a_date_digest_only_signature_is_refused_at_the_inbox(fed: Fediverse) -> None:
    """C4 (issue 12): a valid signature over only ``date digest`` could be replayed at another
    path or instance within the hour: the inbox answers 401 and stores nothing."""
    a, club, _remote, alice = await _setup(fed)
    body = orjson.dumps(_like(alice, club))
    date = sign_headers("GET", "http://a.test/", {}, None, alice.key_id, alice.private_key_pem, now=fed.clock())["Date"]
    headers = {"Host": "a.test", "Date": date, "Digest": body_digest(body), "Content-Type": "application/activity+json"}
    for covered in (["date", "digest"], ["host", "date", "digest"], ["(request-target)", "date", "digest"]):
        signed = _custom_signed(alice, "POST", a.url("/inbox"), headers, covered, algorithm="rsa-sha256")
        resp = await fed.client.post(a.url("/inbox"), content=body, headers=signed)
        assert resp.status_code == 401 and "must be signed" in resp.text, (covered, resp.text)
    assert await _stored(a) == 0
