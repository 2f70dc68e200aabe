"""One fake server per real-world source, at ``http://127.0.0.1:PORT`` on the test router.

It serves what that software serves by GET: its actors (with their own keys, PKCS#1 PEM for
Mobilizon), WebFinger, the objects of ``Source.objects``, and outboxes (Lemmy inline
``orderedItems``, the others a collection with a ``first`` page), and records what Yinhu POSTs
(its Follows) after checking their signatures as a peer does. ``push`` sends an activity to Yinhu's inbox signed as the software signs.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import httpx
import orjson
from cryptography.hazmat.primitives import serialization
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from fedi import vocab
from fedi.keys import generate_rsa_keypair, load_public_key
from fedi.signatures import PublicKeyInfo
from fedi.verify import verify_request
from tests.fakes.remote import fetch_public_key
from tests.fakes.router import HostRouter
from tests.realworld.payloads import AS, Actor, Source
from tests.realworld.signing import signed_post_headers

__all__ = ["SourceRemote"]

AP_TYPE = "application/activity+json"
_KEYS: dict[str, tuple[str, str]] = {}  # actor id -> (private PEM, SPKI public PEM), per test run
_ids = itertools.count(1)


def _keypair(actor_id: str) -> tuple[str, str]:
    if actor_id not in _KEYS:
        _KEYS[actor_id] = generate_rsa_keypair()
    return _KEYS[actor_id]


def _pkcs1(spki_pem: str) -> str:
    """The same key as Mobilizon publishes it: ``-----BEGIN RSA PUBLIC KEY-----``."""
    key = load_public_key(spki_pem)
    return key.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.PKCS1).decode("ascii")


@dataclass
class SourceRemote:
    source: Source
    client: httpx.AsyncClient
    router: HostRouter
    clock: Callable[[], datetime]
    received: list[dict[str, Any]] = field(default_factory=list)
    rejected: list[str] = field(default_factory=list)  # Yinhu's POSTs whose signature did not hold

    def __post_init__(self) -> None:
        self.app = Starlette(routes=[
            Route("/.well-known/webfinger", self._webfinger),
            Route("/{path:path}", self._any, methods=["GET", "POST"]),
        ])
        self.router.add(self.netloc, self.app)
        self.docs: dict[str, dict[str, Any]] = {}
        for actor in self.source.actors:
            self.docs[actor.path] = self.actor_doc(actor)
        for path, doc in self.source.objects.items():
            self.docs.setdefault(path, doc)
        for actor in self.source.actors:
            doc = self.docs[actor.path]
            for name in ("outbox", "followers", "following"):
                url = doc.get(name)
                if isinstance(url, str) and url.startswith(self.source.origin):
                    items = self.source.outboxes.get(actor.path, []) if name == "outbox" else []
                    self._collection(url[len(self.source.origin):], url, items)

    # --- documents -------------------------------------------------------------------------
    @property
    def netloc(self) -> str:
        return self.source.origin.split("://", 1)[1]

    def actor_id(self, actor: Actor) -> str:
        return self.source.origin + actor.path

    def actor(self, path: str) -> Actor:
        return next(a for a in self.source.actors if a.path == path)

    def actor_doc(self, actor: Actor) -> dict[str, Any]:
        public = _keypair(self.actor_id(actor))[1]
        return actor.doc(_pkcs1(public) if actor.key_format == "pkcs1" else public)

    def private_key(self, actor: Actor) -> str:
        return _keypair(self.actor_id(actor))[0]

    def handle(self, actor: Actor) -> str:
        return f"@{actor.handle}@{self.netloc}"

    def _collection(self, path: str, url: str, items: list[dict[str, Any]]) -> None:
        if self.source.software.startswith("Lemmy"):  # collections/group_outbox.json: inline, no "first"
            self.docs[path] = {"@context": AS, "type": "OrderedCollection", "id": url,
                               "totalItems": len(items), "orderedItems": items}
            return
        page = url + ("&" if "?" in url else "?") + "page=1"
        self.docs[path] = {"@context": AS, "type": "OrderedCollection", "id": url, "totalItems": len(items),
                           "first": page}
        self.docs[page[len(self.source.origin):]] = {"@context": AS, "type": "OrderedCollectionPage", "id": page,
                                                     "partOf": url, "orderedItems": items}

    # --- endpoints -------------------------------------------------------------------------
    async def _webfinger(self, request: Request) -> Response:
        resource = request.query_params.get("resource", "")
        for actor in self.source.actors:
            if resource == f"acct:{actor.handle}@{self.netloc}":
                return JSONResponse({"subject": resource, "links": [
                    {"rel": "self", "type": AP_TYPE, "href": self.actor_id(actor)}]},
                    media_type="application/jrd+json")
        return JSONResponse({"error": "not found"}, status_code=404)

    async def _any(self, request: Request) -> Response:
        if request.method == "POST":
            body = await request.body()
            target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
            result = await verify_request("POST", target, request.headers, body, self._key_lookup,
                                          now=self.clock(), scheme="http")
            activity = orjson.loads(body)
            if not result.ok or result.owner != vocab.get_id(activity.get("actor")):
                self.rejected.append(f"{activity.get('type')} to {target}: {result.detail}")
                return JSONResponse({"error": result.detail}, status_code=401)
            self.received.append(activity)
            return Response(status_code=202)
        key = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        doc = self.docs.get(key)
        if doc is None:
            return JSONResponse({"error": "not found"}, status_code=404)
        return Response(orjson.dumps(doc), media_type=AP_TYPE)

    async def _key_lookup(self, key_id: str, refresh: bool) -> PublicKeyInfo | None:
        """Fetch the signer's actor (Yinhu's) through the shared client, as a peer does."""
        return await fetch_public_key(self.client, key_id)

    # --- sending ---------------------------------------------------------------------------
    async def push(self, actor_path: str, activity: dict[str, Any], inbox: str, now: Any) -> httpx.Response:
        actor = self.actor(actor_path)
        body = orjson.dumps(activity)
        headers = signed_post_headers(self.source.sig, inbox, body, self.actor_id(actor) + "#main-key",
                                      self.private_key(actor), now)
        return await self.client.post(inbox, content=body, headers=headers)

    async def accept_follows(self, inbox: str, now: Any) -> list[httpx.Response]:
        """Answer every Follow received so far with an Accept embedding it, as all eight do."""
        out = []
        for follow in [r for r in self.received if r.get("type") == "Follow"]:
            target = follow.get("object")
            actor = next((a for a in self.source.actors if self.actor_id(a) == target), None)
            if actor is None:
                continue
            accept = {"@context": AS, "id": f"{self.source.origin}/accepts/{next(_ids)}", "type": "Accept",
                      "actor": target, "object": follow}
            out.append(await self.push(actor.path, accept, inbox, now))
        self.received = [r for r in self.received if r.get("type") != "Follow"]
        return out
