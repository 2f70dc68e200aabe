"""Conversations on the public side: replies under an item and its ``replies`` collection (the
remote-interaction form that sends a visitor to their own server is ``web.interact``).

Only what ``actors.social.conversations.reply_visible`` allows is shown or listed: public,
live, not hidden, under an item that is itself publicly visible. Authors are shown by their
own handle ``@name@host``, linked to their own profile (http(s) only).
"""

from __future__ import annotations

import logging
from typing import Any

from sqlalchemy import select
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncConnection
from starlette.background import BackgroundTask
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from actors.feed.feed import handle, profile_url
from actors.feed.remote_replies import refresh_due, refresh_replies
from actors.social.conversations import count_reactions, reply_visible
from actors.social.visibility import publicly_visible
from actors.storage.instance import Instance
from actors.storage.models import actors, objects
from fedi import vocab
from fedi.content import safe_url
from web.negotiation import ap_response

__all__ = ["MAX_DEPTH", "REPLIES_PAGE", "page_conversation", "refresh_replies_after", "routes"]

log = logging.getLogger(__name__)

REPLIES_PAGE = 20
MAX_DEPTH = 4  # deeper replies are drawn at this indentation


def _inst(request: Request) -> Instance:
    return request.app.state.instance  # type: ignore[no-any-return]


async def _thread(conn: AsyncConnection, root: Row[Any]) -> list[dict[str, Any]]:
    rows = list(await conn.execute(
        select(objects.c.id, objects.c.uri, objects.c.in_reply_to, objects.c.content, objects.c.published,
               actors.c.uri.label("actor_uri"), actors.c.username, actors.c.domain, actors.c.name.label("actor_name"),
               actors.c.raw.label("actor_raw"), actors.c.local.label("actor_local"))
        .select_from(objects.join(actors, actors.c.id == objects.c.actor_id))
        .where(reply_visible(root.id))
        .order_by(objects.c.published, objects.c.id)
        .limit(500)
    ))
    children: dict[str, list[Row[Any]]] = {}
    for r in rows:
        children.setdefault(r.in_reply_to or root.uri, []).append(r)
    out: list[dict[str, Any]] = []

    def walk(parent: str, depth: int) -> None:
        for r in children.get(parent, []):
            url = safe_url(profile_url(r.actor_uri, r.actor_raw, r.actor_local, r.username)) if not r.actor_local \
                else profile_url(r.actor_uri, r.actor_raw, True, r.username)
            out.append({"uri": r.uri, "content": r.content, "published": r.published, "depth": min(depth, MAX_DEPTH),
                        "handle": handle(r.username, r.domain, r.actor_uri), "name": r.actor_name, "url": url})
            walk(r.uri, depth + 1)

    walk(root.uri, 0)
    return out


async def page_conversation(conn: AsyncConnection, row: Row[Any]) -> dict[str, Any]:
    """What an item page shows of its conversation: the thread and the reaction counts (ours
    only: another instance's item shows the replies read from its collection, no counts)."""
    if not row.local:
        return {"replies": await _thread(conn, row), "reactions": None}
    return {"replies": await _thread(conn, row), "reactions": await count_reactions(conn, row.id)}


async def _refresh(inst: Instance, item_id: int) -> None:
    try:
        result = await refresh_replies(inst, item_id)
    except Exception:  # a background task has no caller to tell; the page showed the cached thread
        log.exception("reading the replies of item %s failed", item_id)
        return
    if result.error or result.skipped:
        log.info("replies of item %s: %s", item_id, result)


def refresh_replies_after(inst: Instance, row: Row[Any], response: Response) -> Response:
    """On another instance's item page: read its replies collection once the page is sent, when
    the cached replies are older than ``actors.feed.remote_replies.REPLIES_TTL``."""
    if not row.local and row.deleted_at is None and refresh_due(inst, row.uri):
        response.background = BackgroundTask(_refresh, inst, row.id)
    return response


def _page_cursor(request: Request) -> int | None:
    raw = request.query_params.get("max_id")
    if raw is None:
        return None
    return int(raw) if raw.isdigit() else -1


async def replies_collection(request: Request) -> Response:
    """``/o/TOKEN/replies``: the direct public replies, oldest first, paged."""
    inst = _inst(request)
    uri = inst.object_uri(request.path_params["token"])
    coll_id = f"{uri}/replies"
    async with inst.engine.connect() as conn:
        parent = (await conn.execute(
            select(objects.c.id).where(objects.c.uri == uri, objects.c.local.is_(True),
                                       publicly_visible() | reply_visible())
        )).first()
        if parent is None:
            return ap_response({"error": "no such object"}, status=404)
        where = (objects.c.in_reply_to == uri, reply_visible())
        if "page" not in request.query_params and "max_id" not in request.query_params:
            total = len(list(await conn.execute(select(objects.c.id).where(*where).limit(10000))))
            return ap_response(vocab.ordered_collection(coll_id, total, f"{coll_id}?page=true"))
        cursor = _page_cursor(request)
        q = select(objects.c.id, objects.c.uri).where(*where)
        if cursor is not None:
            q = q.where(objects.c.id > cursor)
        rows = list(await conn.execute(q.order_by(objects.c.id).limit(REPLIES_PAGE + 1)))
    page_id = f"{coll_id}?page=true" if cursor is None else f"{coll_id}?max_id={cursor}"
    nxt = f"{coll_id}?max_id={rows[REPLIES_PAGE - 1].id}" if len(rows) > REPLIES_PAGE else None
    return ap_response(vocab.ordered_collection_page(page_id, coll_id, [r.uri for r in rows[:REPLIES_PAGE]], nxt))


routes = [
    Route("/o/{token}/replies", replies_collection),
]
