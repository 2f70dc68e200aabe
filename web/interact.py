"""The remote-interaction form ("在我的 Mastodon 上报名 / 联系发布者"): a visitor types their own
handle, and is sent to their server's page for this object (WebFinger's
``http://ostatus.org/schema/1.0/subscribe`` template, as Mastodon serves it), where replying
or signing up is one step. Works without JavaScript; only for objects this site shows, so it
is not an open redirect.
"""

from __future__ import annotations

from sqlalchemy import select
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from actors.social.visibility import publicly_visible
from actors.storage.instance import Instance
from actors.storage.models import objects
from fedi.errors import WebFingerError
from fedi.intents import interaction_url, subscribe_template
from web.i18n import pick_language, translator
from web.pages import render_error

__all__ = ["routes"]


def _inst(request: Request) -> Instance:
    return request.app.state.instance  # type: ignore[no-any-return]


async def interact(request: Request) -> Response:
    """``/interact?uri=ID&handle=@me@their.server``: look the handle's server up (WebFinger,
    SSRF-checked) and send the visitor to its remote-interaction page for this object."""
    inst = _inst(request)
    _ = translator(pick_language(request))
    uri = request.query_params.get("uri", "")
    who = request.query_params.get("handle", "").strip()
    async with inst.engine.connect() as conn:
        known = (await conn.execute(
            select(objects.c.id).where(objects.c.uri == uri, objects.c.deleted_at.is_(None),
                                       publicly_visible() | objects.c.local.is_(True))
        )).first() if uri else None
    if known is None:
        return render_error(request, 404, _("interact.no_object"))
    if not who:
        return render_error(request, 400, _("interact.no_handle"))
    try:
        template = await subscribe_template(
            inst.client, who, scheme="http" if inst.settings.dev else "https",
            allow_private=inst.settings.allow_private, resolver=inst.resolver,
        )
    except WebFingerError as exc:
        return render_error(request, 400, _("interact.failed", handle=who, reason=str(exc)))
    target = interaction_url(template, uri)
    if target is None:
        return render_error(request, 400, _("interact.failed", handle=who, reason=_("interact.bad_template")))
    return RedirectResponse(target, status_code=303)


routes = [Route("/interact", interact)]
