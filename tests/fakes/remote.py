"""A fake remote fediverse server: one small Starlette app per domain (STYLE lesson 9).

It serves WebFinger and Person actors with their own RSA keys, and inboxes that verify every
POST with our own ``fedi.verify.verify_request`` (fetching the sender's key through the shared
client, as a real peer would) and record what they accepted. Tests send signed activities from
its users, rotate their keys, and switch an inbox between healthy, failing and unreachable.
"""

from __future__ import annotations

import itertools
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import httpx
import orjson
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from fedi import vocab
from fedi.errors import FediError
from fedi.fetch import fetch_json
from fedi.httpsig import HTTPSignatureAuth
from fedi.keys import generate_rsa_keypair
from fedi.signatures import PublicKeyInfo
from fedi.verify import verify_request
from tests.fakes.router import HostRouter

__all__ = ["FakeRemote", "FakeUser", "Received", "fetch_public_key"]

_ids = itertools.count(1)


async def fetch_public_key(client: httpx.AsyncClient, key_id: str) -> PublicKeyInfo | None:
    """A peer's key lookup: fetch the signer's actor (Yinhu's) through ``client``, every time, and
    find the key ``key_id`` in its ``publicKey``; None when the actor cannot be had or lacks the key."""
    try:
        doc = await fetch_json(client, key_id.split("#", 1)[0], allow_private=True, check_id=False)
    except FediError:
        return None
    for key in vocab.as_list(doc.get("publicKey")):
        if isinstance(key, dict) and key.get("id") == key_id and key.get("publicKeyPem"):
            return PublicKeyInfo(key_id, str(key.get("owner") or doc.get("id")), key["publicKeyPem"])
    return None


@dataclass
class FakeUser:
    remote: FakeRemote
    name: str
    private_key_pem: str
    public_key_pem: str

    @property
    def uri(self) -> str:
        return f"{self.remote.base}/users/{self.name}"

    @property
    def key_id(self) -> str:
        return f"{self.uri}#main-key"

    @property
    def inbox(self) -> str:
        return f"{self.uri}/inbox"

    @property
    def handle(self) -> str:
        return f"@{self.name}@{self.remote.domain}"

    def new_id(self, kind: str = "activity") -> str:
        return f"{self.remote.base}/{kind}/{next(_ids)}"

    def follow(self, target: str) -> dict[str, Any]:
        return {
            "@context": vocab.AS_CONTEXT,
            "id": self.new_id("follows"),
            "type": "Follow",
            "actor": self.uri,
            "object": target,
        }

    def undo(self, activity: dict[str, Any]) -> dict[str, Any]:
        inner = {k: v for k, v in activity.items() if k != "@context"}
        return {"@context": vocab.AS_CONTEXT, "id": self.new_id(), "type": "Undo", "actor": self.uri, "object": inner}

    def document(self) -> dict[str, Any]:
        doc: dict[str, Any] = {
            "@context": [vocab.AS_CONTEXT, vocab.SEC_CONTEXT],
            "id": self.uri,
            "type": "Person",
            "preferredUsername": self.name,
            "name": self.name.title(),
            "inbox": self.inbox,
            "outbox": f"{self.uri}/outbox",
            "followers": f"{self.uri}/followers",
            "publicKey": {"id": self.key_id, "owner": self.uri, "publicKeyPem": self.public_key_pem},
        }
        if self.remote.shared_inbox:
            doc["endpoints"] = {"sharedInbox": f"{self.remote.base}/inbox"}
        return doc


@dataclass(frozen=True)
class Received:
    path: str
    signer: str
    activity: dict[str, Any]

    @property
    def type(self) -> str:
        return str(self.activity.get("type"))


@dataclass
class FakeRemote:
    """A fake server for ``domain`` whose requests and key fetches go through ``client``."""

    domain: str
    client: httpx.AsyncClient
    router: HostRouter
    shared_inbox: bool = True
    users: dict[str, FakeUser] = field(default_factory=dict)
    received: list[Received] = field(default_factory=list)
    rejected: list[tuple[str, str]] = field(default_factory=list)  # (path, reason)
    # What the inboxes answer: (status, headers); None means "verify, record, 202".
    inbox_answer: tuple[int, dict[str, str]] | None = None
    # The fediverse's one clock (shared with the Yinhu nodes): signatures are made and checked
    # against it, as real servers all share real time.
    clock: Callable[[], datetime] = field(default=lambda: datetime.now(UTC))
    # Which signature schemes the inboxes accept ("cavage", "rfc9421"); a refused one gets 401,
    # as a server that verifies only RFC 9421 answers draft-cavage.
    accept_schemes: frozenset[str] = frozenset({"cavage", "rfc9421"})
    schemes_seen: list[str] = field(default_factory=list)
    # Awaited by the inbox before it answers: a test holds a send in flight with it.
    before_answer: Callable[[], Awaitable[None]] | None = None
    # Other documents this server serves, by path (a status, a replies collection): GET answers
    # them as ActivityStreams JSON, anything else 404.
    documents: dict[str, dict[str, Any]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.app = Starlette(
            routes=[
                Route("/.well-known/webfinger", self._webfinger),
                Route("/users/{name}", self._actor),
                Route("/users/{name}/inbox", self._inbox, methods=["POST"]),
                Route("/inbox", self._inbox, methods=["POST"]),
                Route("/{path:path}", self._document),
            ]
        )
        self.router.add(self.domain, self.app)

    @property
    def base(self) -> str:
        return f"http://{self.domain}"

    def add_user(self, name: str) -> FakeUser:
        private_pem, public_pem = generate_rsa_keypair()
        user = FakeUser(self, name, private_pem, public_pem)
        self.users[name] = user
        return user

    def rotate_key(self, user: FakeUser) -> None:
        user.private_key_pem, user.public_key_pem = generate_rsa_keypair()

    # --- the inbox's health -------------------------------------------------------------
    def fail_with(self, status: int, headers: dict[str, str] | None = None) -> None:
        self.inbox_answer = (status, headers or {})

    def go_down(self) -> None:
        self.router.down.add(self.domain)

    def heal(self) -> None:
        self.inbox_answer = None
        self.router.down.discard(self.domain)

    # --- what arrived ---------------------------------------------------------------------
    def of_type(self, type_: str) -> list[Received]:
        return [r for r in self.received if r.type == type_]

    # --- sending --------------------------------------------------------------------------
    async def send(
        self, user: FakeUser, activity: dict[str, Any], to_inbox: str, *, body: bytes | None = None
    ) -> httpx.Response:
        """POST ``activity`` signed with ``user``'s key; ``body`` overrides the serialized bytes."""
        content = body if body is not None else orjson.dumps(activity)
        return await self.client.post(
            to_inbox,
            content=content,
            headers={"Content-Type": "application/activity+json"},
            auth=HTTPSignatureAuth(user.key_id, user.private_key_pem, clock=self.clock),
        )

    # --- endpoints --------------------------------------------------------------------------
    async def _webfinger(self, request: Request) -> Response:
        resource = request.query_params.get("resource", "")
        name = resource.removeprefix("acct:").split("@", 1)[0]
        user = self.users.get(name)
        if user is None or resource != f"acct:{name}@{self.domain}":
            return JSONResponse({"error": "not found"}, status_code=404)
        return JSONResponse(
            {
                "subject": resource,
                "links": [{"rel": "self", "type": "application/activity+json", "href": user.uri}],
            },
            media_type="application/jrd+json",
        )

    async def _actor(self, request: Request) -> Response:
        user = self.users.get(request.path_params["name"])
        if user is None:
            return JSONResponse({"error": "not found"}, status_code=404)
        return Response(orjson.dumps(user.document()), media_type="application/activity+json")

    def serve(self, doc: dict[str, Any]) -> None:
        """Serve ``doc`` at its own id (which must be on this server)."""
        assert doc["id"].startswith(self.base + "/"), doc["id"]
        self.documents[doc["id"].removeprefix(self.base)] = doc

    async def _document(self, request: Request) -> Response:
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        doc = self.documents.get(target)
        if doc is None:
            return JSONResponse({"error": "not found"}, status_code=404)
        return Response(orjson.dumps(doc), media_type="application/activity+json")

    async def _inbox(self, request: Request) -> Response:
        body = await request.body()
        scheme = "rfc9421" if "signature-input" in request.headers else "cavage"
        self.schemes_seen.append(scheme)
        if scheme not in self.accept_schemes:
            self.rejected.append((request.url.path, f"{scheme} signatures are not accepted here"))
            return JSONResponse({"error": f"{scheme} signatures are not accepted here"}, status_code=401)
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        result = await verify_request(
            "POST", target, request.headers, body, self._key_lookup, now=self.clock(), scheme=request.url.scheme
        )
        if not result.ok or result.owner is None:
            self.rejected.append((request.url.path, result.detail))
            return JSONResponse({"error": result.detail}, status_code=401)
        activity = orjson.loads(body)
        if vocab.get_id(activity.get("actor")) != result.owner:
            self.rejected.append((request.url.path, "actor is not the key owner"))
            return JSONResponse({"error": "actor is not the key owner"}, status_code=401)
        if self.before_answer is not None:
            await self.before_answer()
        if self.inbox_answer is not None:
            status, headers = self.inbox_answer
            return Response(b"unavailable", status_code=status, headers=headers)
        self.received.append(Received(request.url.path, result.owner, activity))
        return Response(status_code=202)

    async def _key_lookup(self, key_id: str, refresh: bool) -> PublicKeyInfo | None:
        """Fetch the sender's actor (our Yinhu) through the shared client, every time."""
        return await fetch_public_key(self.client, key_id)
