"""ActivityPub endpoints: actors, collections, objects, activities and inboxes."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

import orjson
from sqlalchemy import ColumnElement, Exists, func, select
from sqlalchemy.engine import Row
from starlette.requests import Request
from starlette.responses import FileResponse, RedirectResponse, Response
from starlette.routing import Route

from actors.publishing.media import get_media
from actors.publishing.publishing import announce_page_to_ap, object_to_ap
from actors.social.local import actor_doc_bytes, get_local_actor
from actors.social.visibility import publicly_visible
from actors.storage.instance import INSTANCE_ACTOR_USERNAME, Instance
from actors.storage.models import FollowState, activities, actors, follows, objects
from fedi import vocab
from web.errors import error_response
from web.negotiation import ap_response, json_response, wants_activity_json

__all__ = ["PAGE_SIZE", "routes"]

PAGE_SIZE = 20


def _inst(request: Request) -> Instance:
    return request.app.state.instance  # type: ignore[no-any-return]


async def _actor_view(request: Request, username: str) -> Response:
    inst = _inst(request)
    if wants_activity_json(request):
        body = await actor_doc_bytes(inst, username)
        if body is None:
            return error_response(request, 404, f"no actor {username} here")
        return ap_response(body)
    if username == INSTANCE_ACTOR_USERNAME:
        return RedirectResponse(f"{inst.base}/", status_code=303)
    from web.communities import community_home

    return await community_home(request, username)


async def community(request: Request) -> Response:
    return await _actor_view(request, request.path_params["slug"])


async def instance_actor(request: Request) -> Response:
    return await _actor_view(request, INSTANCE_ACTOR_USERNAME)


async def profile_page(request: Request) -> Response:
    """``/@slug``: the community's page for people; federation clients get the actor."""
    slug = request.path_params["slug"]
    if wants_activity_json(request):
        return RedirectResponse(f"{_inst(request).base}/c/{slug}", status_code=301)
    from web.communities import community_home

    return await community_home(request, slug)


def _page_cursor(request: Request) -> int | None:
    raw = request.query_params.get("max_id")
    if raw is None:
        return None
    try:
        return int(raw)
    except ValueError:
        return -1


async def _local_or_404(request: Request) -> Any:
    slug = request.path_params.get("slug", INSTANCE_ACTOR_USERNAME)
    async with _inst(request).engine.connect() as conn:
        return await get_local_actor(conn, slug)


def _object_deleted() -> Any:
    """The activity's object is a local object that was deleted: its Create must not be
    served any more (it embeds the deleted content)."""
    return (
        select(objects.c.id)
        .where(objects.c.uri == activities.c.object_uri, objects.c.deleted_at.is_not(None))
        .exists()
    )


def _object_not_public() -> Exists:
    """The activity's object is a stored object that may not be shown publicly (a boost of
    something private, or of what no community here vouches for: actors.social.visibility)."""
    return select(objects.c.id).where(objects.c.uri == activities.c.object_uri, ~publicly_visible(live=False)).exists()


async def outbox(request: Request) -> Response:
    inst = _inst(request)
    actor = await _local_or_404(request)
    if actor is None:
        return error_response(request, 404, "no such actor")
    coll_id = f"{actor.uri}/outbox"
    where = (activities.c.actor_uri == actor.uri, activities.c.public.is_(True), ~_object_deleted(),
             ~_object_not_public())
    async with inst.engine.connect() as conn:
        if "page" not in request.query_params and "max_id" not in request.query_params:
            total = (await conn.execute(select(func.count()).select_from(activities).where(*where))).scalar_one()
            return ap_response(vocab.ordered_collection(coll_id, total, f"{coll_id}?page=true"))
        cursor = _page_cursor(request)
        q = select(activities.c.id, activities.c.raw).where(*where)
        if cursor is not None:
            q = q.where(activities.c.id < cursor)
        rows = list(await conn.execute(q.order_by(activities.c.id.desc()).limit(PAGE_SIZE + 1)))
    items = []
    for r in rows[:PAGE_SIZE]:
        doc = orjson.loads(r.raw)
        doc.pop("@context", None)
        items.append(doc)
    page_id = _page_id(coll_id, cursor)
    nxt = f"{coll_id}?max_id={rows[PAGE_SIZE - 1].id}" if len(rows) > PAGE_SIZE else None
    return ap_response(vocab.ordered_collection_page(page_id, coll_id, items, nxt))


def _page_id(coll_id: str, cursor: int | None) -> str:
    return f"{coll_id}?page=true" if cursor is None else f"{coll_id}?max_id={cursor}"


async def _relations(request: Request, *, followers: bool) -> Response:
    inst = _inst(request)
    actor = await _local_or_404(request)
    if actor is None:
        return error_response(request, 404, "no such actor")
    coll_id = f"{actor.uri}/{'followers' if followers else 'following'}"
    mine, other = (follows.c.followed_id, follows.c.follower_id) if followers else (follows.c.follower_id, follows.c.followed_id)
    where = (mine == actor.id, follows.c.state == FollowState.ACCEPTED.value)
    async with inst.engine.connect() as conn:
        if "page" not in request.query_params and "max_id" not in request.query_params:
            total = (await conn.execute(select(func.count()).select_from(follows).where(*where))).scalar_one()
            return ap_response(vocab.ordered_collection(coll_id, total, f"{coll_id}?page=true"))
        cursor = _page_cursor(request)
        q = select(follows.c.id, actors.c.uri).select_from(follows.join(actors, actors.c.id == other)).where(*where)
        if cursor is not None:
            q = q.where(follows.c.id < cursor)
        rows = list(await conn.execute(q.order_by(follows.c.id.desc()).limit(PAGE_SIZE + 1)))
    nxt = f"{coll_id}?max_id={rows[PAGE_SIZE - 1].id}" if len(rows) > PAGE_SIZE else None
    return ap_response(vocab.ordered_collection_page(_page_id(coll_id, cursor), coll_id, [r.uri for r in rows[:PAGE_SIZE]], nxt))


async def followers(request: Request) -> Response:
    return await _relations(request, followers=True)


async def following(request: Request) -> Response:
    return await _relations(request, followers=False)


async def _local_object(inst: Instance, request: Request, *where: ColumnElement[bool]) -> tuple[str, Row[Any] | None]:
    """The URI the path's token names and the local object there (deleted ones too), if any."""
    uri = inst.object_uri(request.path_params["token"])
    async with inst.engine.connect() as conn:
        row = (
            await conn.execute(select(objects).where(objects.c.uri == uri, objects.c.local.is_(True), *where))
        ).first()
    return uri, row


async def object_view(request: Request) -> Response:
    inst = _inst(request)
    uri, row = await _local_object(inst, request)
    if row is None:
        return error_response(request, 404, "no such object")
    if row.deleted_at is not None:
        if wants_activity_json(request):
            return ap_response(vocab.tombstone(uri, row.type, row.deleted_at), status=410)
        return error_response(request, 410, "this was deleted")
    if wants_activity_json(request):
        async with inst.engine.connect() as conn:
            return ap_response(await object_to_ap(inst, conn, row))
    from web.pages import object_page

    return await object_page(request, row)


async def announce_view(request: Request) -> Response:
    """The Page through which a venue was announced; people are sent to the venue itself."""
    inst = _inst(request)
    uri, row = await _local_object(inst, request, objects.c.kind == "venue")
    if row is None:
        return error_response(request, 404, "no such announcement")
    if row.deleted_at is not None:
        return ap_response(vocab.tombstone(f"{uri}/announce", "Page", row.deleted_at), status=410)
    if not wants_activity_json(request):
        return RedirectResponse(uri, status_code=303)
    return ap_response(announce_page_to_ap(inst, row))


async def media_view(request: Request) -> Response:
    inst = _inst(request)
    token = request.path_params["name"].split(".", 1)[0]
    found = await get_media(inst, token)
    if found is None or not found[0].is_file():
        return error_response(request, 404, "no such image")
    path, media_type = found
    return FileResponse(path, media_type=media_type, headers={"Cache-Control": "public, max-age=31536000, immutable"})


async def _addressee_asks(request: Request, raw: str) -> bool:
    """The GET is signed by an actor on the host of one of the activity's addressees."""
    if "signature" not in request.headers and "signature-input" not in request.headers:
        return False
    signer = await request.app.state.receiver.signer_of("GET", _raw_target(request), request.headers)
    if signer is None:
        return False
    doc = orjson.loads(raw)
    addressed = [*vocab.as_list(doc.get("to")), *vocab.as_list(doc.get("cc")), *vocab.as_list(doc.get("bto")),
                 *vocab.as_list(doc.get("bcc"))]
    hosts = {urlsplit(uri).netloc.lower() for uri in map(vocab.get_id, addressed) if uri}
    return urlsplit(signer).netloc.lower() in hosts


async def activity_view(request: Request) -> Response:
    inst = _inst(request)
    uri = inst.activity_uri(request.path_params["token"])
    async with inst.engine.connect() as conn:
        row = (
            await conn.execute(
                select(
                    activities.c.raw,
                    activities.c.type,
                    activities.c.public,
                    select(objects.c.deleted_at)
                    .where(objects.c.uri == activities.c.object_uri, objects.c.local.is_(True))
                    .scalar_subquery()
                    .label("object_deleted_at"),
                ).where(activities.c.uri == uri, activities.c.local.is_(True))
            )
        ).first()
    if row is None or (not row.public and not await _addressee_asks(request, row.raw)):
        # Not public (a direct message, an Accept, a Reject): only a server it was addressed to,
        # asking with a signed GET, may read it; anyone else learns nothing, not even that it exists.
        return error_response(request, 404, "no such activity")
    if row.object_deleted_at is not None and row.type != "Delete":
        return ap_response(vocab.tombstone(uri, row.type, row.object_deleted_at), status=410)
    return ap_response(row.raw.encode())


async def _read_capped(request: Request, limit: int) -> bytes | None:
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        return None
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            return None
        chunks.append(chunk)
    return b"".join(chunks)


def _raw_target(request: Request) -> str:
    """The request target as signed: the raw path plus ``?`` and the raw query."""
    raw_path = request.scope.get("raw_path") or request.url.path.encode()
    target = raw_path.decode("latin-1")
    query = request.scope.get("query_string") or b""
    if query:
        target += "?" + query.decode("latin-1")
    return target


async def inbox_post(request: Request) -> Response:
    inst = _inst(request)
    if "slug" in request.path_params:
        local = await _local_or_404(request)
        if local is None:
            return error_response(request, 404, "no such inbox")
    body = await _read_capped(request, inst.settings.max_body_bytes)
    if body is None:
        return json_response({"error": f"body larger than {inst.settings.max_body_bytes} bytes"}, status=413)
    receipt = await request.app.state.receiver.receive("POST", _raw_target(request), request.headers, body)
    if receipt.status >= 400:
        headers = {"Retry-After": str(receipt.retry_after)} if receipt.retry_after is not None else None
        return json_response({"error": receipt.reason}, status=receipt.status, headers=headers)
    return Response(status_code=202)


async def inbox_get(request: Request) -> Response:
    return error_response(request, 405, "inboxes accept signed POSTs of ActivityPub activities")


routes = [
    Route("/actor", instance_actor),
    Route("/actor/inbox", inbox_post, methods=["POST"]),
    Route("/actor/outbox", outbox),
    Route("/actor/followers", followers),
    Route("/actor/following", following),
    Route("/inbox", inbox_post, methods=["POST"]),
    Route("/inbox", inbox_get, methods=["GET"]),
    Route("/c/{slug}", community),
    Route("/@{slug}", profile_page),
    Route("/c/{slug}/inbox", inbox_post, methods=["POST"]),
    Route("/c/{slug}/inbox", inbox_get, methods=["GET"]),
    Route("/c/{slug}/outbox", outbox),
    Route("/c/{slug}/followers", followers),
    Route("/c/{slug}/following", following),
    Route("/o/{token}", object_view),
    Route("/o/{token}/announce", announce_view),
    Route("/media/{name}", media_view),
    Route("/a/{token}", activity_view),
]
