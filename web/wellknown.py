"""Discovery: WebFinger, host-meta, NodeInfo."""

from __future__ import annotations

from typing import Any

import orjson
from sqlalchemy.engine import Row
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from actors.social.local import cached_actor_document, count_local_posts, list_communities
from actors.storage.instance import INSTANCE_ACTOR_USERNAME, Instance
from fedi import nodeinfo
from fedi.webfinger import host_meta_xml, jrd, parse_resource
from web.errors import error_response
from web.negotiation import json_response

__all__ = ["routes"]

JRD = "application/jrd+json"


def _inst(request: Request) -> Instance:
    return request.app.state.instance  # type: ignore[no-any-return]


def _username_for_url(inst: Instance, url: str) -> str | None:
    if url == f"{inst.base}/actor":
        return INSTANCE_ACTOR_USERNAME
    for prefix in (f"{inst.base}/c/", f"{inst.base}/@"):
        if url.startswith(prefix) and "/" not in url[len(prefix):]:
            return url[len(prefix):]
    return None


async def webfinger(request: Request) -> Response:
    inst = _inst(request)
    resource = request.query_params.get("resource")
    if not resource:
        return error_response(request, 400, "the resource parameter is required")
    try:
        parsed = parse_resource(resource)
    except ValueError as exc:
        return error_response(request, 400, f"bad resource: {exc}")
    if isinstance(parsed, str):
        username = _username_for_url(inst, parsed)
    else:
        name, host = parsed
        username = name.lower() if host.lower() == inst.settings.host else None
    if username is None:
        return error_response(request, 404, f"no such account here: {resource}")
    body = await _jrd_bytes(inst, username)
    if body is None:
        return error_response(request, 404, f"no such account here: {resource}")
    return Response(body, media_type=JRD, headers={"Access-Control-Allow-Origin": "*"})


async def _jrd_bytes(inst: Instance, username: str) -> bytes | None:
    """The serialized JRD, cached like the actor document (WebFinger is the first request of
    every follow from every peer)."""

    def render(row: Row[Any]) -> bytes:
        profile = f"{inst.base}/@{row.username}" if row.type == "Group" else None
        return orjson.dumps(jrd(f"acct:{row.username}@{inst.settings.host}", row.uri, profile, aliases=[row.uri]))

    return await cached_actor_document(inst, "jrd", username, render)


async def host_meta(request: Request) -> Response:
    return Response(host_meta_xml(_inst(request).base), media_type="application/xrd+xml")


async def nodeinfo_links(request: Request) -> Response:
    return json_response(nodeinfo.well_known(_inst(request).base), headers={"Access-Control-Allow-Origin": "*"})


async def nodeinfo_doc(request: Request) -> Response:
    inst = _inst(request)
    version = request.path_params["version"]
    if version not in ("2.0", "2.1"):
        return error_response(request, 404, f"NodeInfo {version} is not served; use 2.0 or 2.1")
    communities = len(await list_communities(inst))
    body = nodeinfo.document(
        version,
        software_version="0.1.0",
        users_total=communities,
        users_active_month=communities,
        users_active_halfyear=communities,
        local_posts=await count_local_posts(inst),
        open_registrations=inst.settings.open_registrations,
        node_name=inst.settings.instance_name,
        node_description=inst.settings.description,
    )
    return json_response(body, media_type=nodeinfo.profile(version), headers={"Access-Control-Allow-Origin": "*"})


routes = [
    Route("/.well-known/webfinger", webfinger),
    Route("/.well-known/host-meta", host_meta),
    Route("/.well-known/nodeinfo", nodeinfo_links),
    Route("/nodeinfo/{version}", nodeinfo_doc),
]
