"""The JSON API for organisers' scripts and tools: bearer tokens, one body for every door.

``yinhu token create ACCOUNT`` prints a token; requests send ``Authorization: Bearer TOKEN``.
The OpenAPI description is served at ``/api/openapi.json``.
"""

from __future__ import annotations

from typing import Any

import orjson
from sqlalchemy import select
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from actors.publishing.media import MediaError, store_image
from actors.publishing.publishing import delete_object, publish, update_object
from actors.publishing.validation import ContentError
from actors.social.accounts import Account, account_for_token
from actors.storage.instance import Instance
from actors.storage.models import actors, objects
from web.negotiation import json_response
from web.openapi import openapi_document
from web.uploads import MB, BadForm, UploadTooLarge, read_capped_form

__all__ = ["routes"]

MAX_UPLOAD = 11 * 1024 * 1024  # a little above the image cap, so the image check gives the precise error


def _inst(request: Request) -> Instance:
    return request.app.state.instance  # type: ignore[no-any-return]


def _error(status: int, message: str, **extra: Any) -> Response:
    return json_response({"error": message, **extra}, status=status)


async def _account(request: Request) -> Account | Response:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return _error(401, "send Authorization: Bearer TOKEN (create one with `yinhu token create ACCOUNT`)")
    account = await account_for_token(_inst(request), token.strip())
    if account is None:
        return _error(401, "unknown or revoked token")
    return account


async def _json_body(request: Request) -> Any:
    raw = await request.body()
    if len(raw) > 1_000_000:
        raise ContentError({"body": "larger than 1 MB"})
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise ContentError({"body": f"not valid JSON: {exc}"}) from exc


async def _owner(inst: Instance, uri: str) -> Any:
    """(username, deleted_at) of the community that published a local object, or None."""
    async with inst.engine.connect() as conn:
        return (
            await conn.execute(
                select(actors.c.username, objects.c.deleted_at)
                .select_from(objects.join(actors, actors.c.id == objects.c.actor_id))
                .where(objects.c.uri == uri, objects.c.local.is_(True))
            )
        ).first()


async def _community_id(inst: Instance, slug: str) -> int | None:
    async with inst.engine.connect() as conn:
        return (
            await conn.execute(
                select(actors.c.id).where(actors.c.username == slug, actors.c.local.is_(True), actors.c.type == "Group")
            )
        ).scalar_one_or_none()


def _published(result: Any, status: int = 200) -> Response:
    return json_response(
        {"id": result.uri, "token": result.uri.rsplit("/", 1)[-1], "url": result.uri, "activity": result.activity_uri,
         "recipients": result.recipients},
        status=status,
        headers={"Location": result.uri},
    )


async def me(request: Request) -> Response:
    account = await _account(request)
    if isinstance(account, Response):
        return account
    return json_response(
        {"name": account.name, "admin": account.is_admin, "communities": {k: v.value for k, v in account.roles.items()}}
    )


async def create(request: Request) -> Response:
    account = await _account(request)
    if isinstance(account, Response):
        return account
    slug = request.path_params["slug"]
    if await _community_id(_inst(request), slug) is None:
        return _error(404, f"no community {slug!r} on this instance")
    if not account.can_publish(slug):
        return _error(403, f"{account.name} may not publish for {slug}")
    try:
        result = await publish(_inst(request), slug, await _json_body(request))
    except ContentError as exc:
        return _error(422, str(exc), fields=exc.errors)
    return _published(result, 201)


async def _object_access(request: Request) -> tuple[Account, str] | Response:
    account = await _account(request)
    if isinstance(account, Response):
        return account
    inst = _inst(request)
    uri = inst.object_uri(request.path_params["token"])
    owner = await _owner(inst, uri)
    if owner is None:
        return _error(404, f"no object {uri} on this instance")
    if not account.can_publish(owner.username):
        return _error(403, f"{account.name} may not change what {owner.username} published")
    if owner.deleted_at is not None:
        return _error(410, f"{uri} was deleted on {owner.deleted_at:%Y-%m-%d %H:%M} UTC")
    return account, uri


async def change(request: Request) -> Response:
    access = await _object_access(request)
    if isinstance(access, Response):
        return access
    try:
        if request.method == "DELETE":
            return _published(await delete_object(_inst(request), access[1]))
        return _published(await update_object(_inst(request), access[1], await _json_body(request)))
    except ContentError as exc:
        return _error(422, str(exc), fields=exc.errors)


async def upload(request: Request) -> Response:
    account = await _account(request)
    if isinstance(account, Response):
        return account
    slug = request.path_params["slug"]
    inst = _inst(request)
    actor_id = await _community_id(inst, slug)
    if actor_id is None:
        return _error(404, f"no community {slug!r} on this instance")
    if not account.can_publish(slug):
        return _error(403, f"{account.name} may not upload for {slug}")
    try:
        form = await read_capped_form(request, limit=MAX_UPLOAD + MB, max_files=1, max_fields=5, max_part_size=MAX_UPLOAD)
    except UploadTooLarge as exc:
        return _error(413, str(exc))
    except BadForm as exc:
        return _error(400, f"malformed multipart body: {exc}")
    try:
        file = form.get("file")
        alt = form.get("alt", "")
        if file is None or isinstance(file, str):
            return _error(422, "send the image as multipart/form-data field 'file'", fields={"file": "required"})
        data = await file.read()
    finally:
        await form.close()
    try:
        stored = await store_image(inst, actor_id, data, str(alt))
    except MediaError as exc:
        return _error(422, str(exc), fields={"file": str(exc)})
    return json_response(
        {"media": stored.token, "url": stored.url, "media_type": stored.media_type,
         "width": stored.width, "height": stored.height, "alt": stored.alt},
        status=201,
    )


async def openapi(request: Request) -> Response:
    inst = _inst(request)
    async with inst.engine.connect() as conn:
        slugs = tuple(
            (await conn.execute(
                select(actors.c.username).where(actors.c.local.is_(True), actors.c.type == "Group")
                .order_by(actors.c.id).limit(20)
            )).scalars()
        )
    return json_response(openapi_document(inst.base, slugs))


routes = [
    Route("/api/openapi.json", openapi),
    Route("/api/v1/me", me),
    Route("/api/v1/communities/{slug}/objects", create, methods=["POST"]),
    Route("/api/v1/communities/{slug}/media", upload, methods=["POST"]),
    Route("/api/v1/objects/{token}", change, methods=["PUT", "DELETE"]),
]
