"""HTML pages for people (the resident-facing feed grows here in a later step)."""

from __future__ import annotations

from typing import Any

from jinja2 import Environment, PackageLoader, select_autoescape
from sqlalchemy import func, select
from sqlalchemy.engine import Row
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import Route

from actors.instance import Instance
from actors.local import get_local_actor, list_communities
from actors.models import FollowState, actors, follows, objects
from actors.text import render_plain
from web.i18n import pick_language, translator

__all__ = ["routes", "render", "render_error", "community_page", "object_page"]

_env = Environment(loader=PackageLoader("web", "templates"), autoescape=select_autoescape(), enable_async=False)


def _inst(request: Request) -> Instance:
    return request.app.state.instance  # type: ignore[no-any-return]


def render(request: Request, template: str, status: int = 200, **ctx: Any) -> HTMLResponse:
    lang = pick_language(request)
    settings = request.app.state.settings
    html = _env.get_template(template).render(lang=lang, _=translator(lang), settings=settings, **ctx)
    response = HTMLResponse(html, status_code=status, headers={"Vary": "Accept, Accept-Language, Cookie"})
    if request.query_params.get("lang") == lang:
        response.set_cookie("lang", lang, max_age=365 * 86400, samesite="lax")
    return response


def render_error(request: Request, status: int, message: str) -> Response:
    return render(request, "error.html", status=status, status_code=status, message=message)


async def _posts(inst: Instance, actor_id: int | None, limit: int = 20) -> list[Row[Any]]:
    q = (
        select(objects.c.uri, objects.c.content, objects.c.published, actors.c.username, actors.c.name)
        .select_from(objects.join(actors, actors.c.id == objects.c.actor_id))
        .where(objects.c.local.is_(True), objects.c.deleted_at.is_(None))
        .order_by(objects.c.published.desc())
        .limit(limit)
    )
    if actor_id is not None:
        q = q.where(objects.c.actor_id == actor_id)
    async with inst.engine.connect() as conn:
        return list(await conn.execute(q))


async def home(request: Request) -> Response:
    inst = _inst(request)
    return render(request, "home.html", communities=await list_communities(inst), posts=await _posts(inst, None))


async def community_page(request: Request, slug: str) -> Response:
    inst = _inst(request)
    async with inst.engine.connect() as conn:
        row = await get_local_actor(conn, slug)
        if row is None or row.type != "Group":
            return render_error(request, 404, f"no community @{slug} here")
        count = (
            await conn.execute(
                select(func.count()).select_from(follows).where(
                    follows.c.followed_id == row.id, follows.c.state == FollowState.ACCEPTED.value
                )
            )
        ).scalar_one()
    return render(
        request, "community.html", c=row, summary=render_plain(row.summary),
        follower_count=count, posts=await _posts(inst, row.id),
    )


async def object_page(request: Request, row: Row[Any]) -> Response:
    inst = _inst(request)
    async with inst.engine.connect() as conn:
        author = (await conn.execute(select(actors).where(actors.c.id == row.actor_id))).one()
    return render(request, "object.html", o=row, author=author)


async def healthz(request: Request) -> Response:
    return Response("ok", media_type="text/plain")


routes = [
    Route("/", home),
    Route("/healthz", healthz),
]
