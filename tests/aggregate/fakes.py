"""Fake remotes for aggregation tests: one with an outbox of bare ids and Gancio-style
``Announce(Create(Event))`` items, and a server whose every answer is 410 Gone."""

from __future__ import annotations

from typing import Any

import orjson
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from fedi import vocab
from tests.fakes.remote import FakeRemote

AP_TYPE = "application/activity+json"


class OutboxRemote(FakeRemote):
    """A FakeRemote whose users can be Groups, with outboxes and dereferenceable objects."""

    def __post_init__(self) -> None:
        super().__post_init__()
        self.outboxes: dict[str, list[Any]] = {}
        self.objects: dict[str, dict[str, Any]] = {}
        self.groups: set[str] = set()
        self.fetched: list[str] = []
        self.app.router.routes.insert(0, Route("/users/{name}/outbox", self._outbox))
        self.app.router.routes.insert(0, Route("/objects/{key}", self._object))

    def object_id(self, key: str) -> str:
        return f"{self.base}/objects/{key}"

    async def _actor(self, request: Request) -> Response:
        user = self.users.get(request.path_params["name"])
        if user is None:
            return JSONResponse({"error": "not found"}, status_code=404)
        doc = user.document()
        if user.name in self.groups:
            doc["type"] = "Group"
        return Response(orjson.dumps(doc), media_type=AP_TYPE)

    async def _outbox(self, request: Request) -> Response:
        name = request.path_params["name"]
        coll = f"{self.base}/users/{name}/outbox"
        items = self.outboxes.get(name, [])
        if "page" not in request.query_params:
            doc = {"@context": vocab.AS_CONTEXT, "id": coll, "type": "OrderedCollection",
                   "totalItems": len(items), "first": f"{coll}?page=1"}
        else:
            doc = {"@context": vocab.AS_CONTEXT, "id": f"{coll}?page=1", "type": "OrderedCollectionPage",
                   "partOf": coll, "orderedItems": items}
        return Response(orjson.dumps(doc), media_type=AP_TYPE)

    async def _object(self, request: Request) -> Response:
        self.fetched.append(request.url.path)
        doc = self.objects.get(request.path_params["key"])
        if doc is None:
            return JSONResponse({"error": "not found"}, status_code=404)
        return Response(orjson.dumps({"@context": vocab.AS_CONTEXT, **doc}), media_type=AP_TYPE)


def gone_app() -> Starlette:
    async def gone(request: Request) -> Response:
        return Response(b"gone", status_code=410)

    return Starlette(routes=[Route("/{path:path}", gone, methods=["GET", "POST"])])
