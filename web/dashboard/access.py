"""Who may use a dashboard page: the session gate, CSRF refusals, the object a URL names, capped form reading."""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import quote

from sqlalchemy import select
from sqlalchemy.engine import Row
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from actors.social.accounts import (
    Account,
)
from actors.social.local import get_local_actor
from actors.storage.instance import Instance
from actors.storage.models import objects
from web.dashboard.forms import (
    MAX_PART,
    SLOTS,
)
from web.i18n import pick_language, translator
from web.pages import render_error
from web.sessions import csrf_ok, current_account
from web.uploads import MB, BadForm, UploadTooLarge, read_capped_form


def _inst(request: Request) -> Instance:
    return request.app.state.instance  # type: ignore[no-any-return]


def _t(request: Request) -> Any:
    return translator(pick_language(request))



# --- access ---------------------------------------------------------------------------------


def _safe_next(value: Any) -> str:
    if isinstance(value, str) and value.startswith("/") and not value.startswith("//") and "\\" not in value:
        return value
    return "/dashboard"


def _to_login(request: Request) -> Response:
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return RedirectResponse(f"/login?next={quote(target, safe='')}", status_code=303)


async def _gate(request: Request, slug: str) -> tuple[Account, Row[Any]] | Response:
    account = await current_account(request)
    if account is None:
        return _to_login(request)
    async with _inst(request).engine.connect() as conn:
        community = await get_local_actor(conn, slug)
    _ = _t(request)
    if community is None or community.type != "Group":
        return render_error(request, 404, _("dash.no_community", slug=slug))
    if not account.can_publish(slug):
        return render_error(request, 403, _("dash.forbidden", name=account.name, slug=slug))
    return account, community


CommunityView = Callable[[Request, Account, Row[Any]], Awaitable[Response]]
ObjectView = Callable[[Request, Account, Row[Any], Row[Any]], Awaitable[Response]]


def dashboard_page(view: CommunityView) -> Callable[[Request], Awaitable[Response]]:
    """A page of the community ``{slug}`` names: the view runs with the signed-in account and the
    community once ``_gate`` lets it through, and ``_gate``'s answer is sent otherwise."""

    @functools.wraps(view)
    async def page(request: Request) -> Response:
        gate = await _gate(request, request.path_params["slug"])
        if isinstance(gate, Response):
            return gate
        account, community = gate
        return await view(request, account, community)

    return page


def dashboard_object_page(view: ObjectView) -> Callable[[Request], Awaitable[Response]]:
    """A page of one live object (``{token}``) of the community: 404 when it has no such object."""

    @functools.wraps(view)
    async def with_object(request: Request, account: Account, community: Row[Any]) -> Response:
        row = await _object_row(request, community, request.path_params["token"])
        if row is None:
            return render_error(request, 404, _t(request)("dash.no_object"))
        return await view(request, account, community, row)

    return dashboard_page(with_object)


def _csrf_failed(request: Request) -> Response:
    return render_error(request, 403, _t(request)("csrf.failed"))


async def posted_form(request: Request, *, max_fields: int = 10, max_part_size: int = 64 * 1024) -> FormData | Response:
    """A dashboard POST's form (no files, bounded), or the 403 page when its CSRF token is wrong."""
    form = await request.form(max_files=0, max_fields=max_fields, max_part_size=max_part_size)
    return form if csrf_ok(request, form.get("csrf")) else _csrf_failed(request)


async def _object_row(request: Request, community: Row[Any], token: str) -> Row[Any] | None:
    inst = _inst(request)
    async with inst.engine.connect() as conn:
        return (
            await conn.execute(
                select(objects).where(
                    objects.c.uri == inst.object_uri(token), objects.c.actor_id == community.id,
                    objects.c.local.is_(True), objects.c.deleted_at.is_(None),
                )
            )
        ).first()


async def _read_form(request: Request, kind: str) -> FormData | Response:
    """The submitted form, refusing bodies larger than the images it may carry allow."""
    _ = _t(request)
    limit = len(SLOTS[kind]) * MAX_PART + MB
    try:
        return await read_capped_form(request, limit=limit, max_files=len(SLOTS[kind]), max_part_size=MAX_PART)
    except UploadTooLarge:
        return render_error(request, 413, _("upload.too_large", mb=limit // MB))
    except BadForm as exc:
        return render_error(request, 400, _("upload.bad_form", reason=str(exc)))
