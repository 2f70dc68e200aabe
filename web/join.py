"""``/c/SLUG/join/TOKEN``: an invitation link (``yinhu invite``). The visitor gives their
fediverse handle; it is resolved (WebFinger, then a signed fetch of the actor) and they become a
member of the community (``actors.social.members``). The page then offers to follow the
community from their own server (its remote-interaction page, ``fedi.intents``), which is how
they will see what it publishes and send it their own posts.

A dead link (unknown, revoked, expired, used up) gets a page that says which, with 410 (404
for an unknown token). The form is a plain POST without cookies: the token in the path is what
the visitor was given, so there is nothing to forge.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.engine import Row
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from actors.feed.feed import handle
from actors.social.members import InvitationError, MemberError, find_invitation, redeem_invitation
from actors.social.remote import ActorError
from actors.storage.instance import Instance
from fedi.errors import FediError
from fedi.intents import interaction_url, subscribe_template
from web.i18n import pick_language, translator
from web.pages import render
from web.submit import community_page
from web.uploads import BadForm, UploadTooLarge, read_capped_form

__all__ = ["routes"]

MAX_HANDLE = 300
MAX_FORM = 8 * 1024


def _inst(request: Request) -> Instance:
    return request.app.state.instance  # type: ignore[no-any-return]


async def _follow_url(inst: Instance, who: str, community_uri: str) -> str | None:
    """Where ``who`` follows the community on their own server, when it offers a way."""
    if who.lstrip("@").count("@") != 1:
        return None  # an actor URL has no WebFinger template to ask
    try:
        template = await subscribe_template(inst.client, who, scheme="http" if inst.settings.dev else "https",
                                            allow_private=inst.settings.allow_private, resolver=inst.resolver)
    except FediError:
        return None
    return interaction_url(template, community_uri)


@community_page
async def join_page(request: Request, c: Row[Any]) -> Response:
    inst = _inst(request)
    _ = translator(pick_language(request))
    token = request.path_params["token"]
    try:
        await find_invitation(inst, c.id, token)
    except InvitationError as exc:
        return _dead(request, c, exc.reason)
    if request.method != "POST":
        return _form(request, c, "")
    try:
        form = await read_capped_form(request, limit=MAX_FORM, max_files=0, max_fields=5, max_part_size=MAX_FORM)
    except (UploadTooLarge, BadForm):
        return _form(request, c, "", _("join.no_handle"), 400)
    who = str(form.get("handle", "")).strip()
    if not who or len(who) > MAX_HANDLE:
        return _form(request, c, who, _("join.no_handle"), 400)
    try:
        person, added = await redeem_invitation(inst, c.id, token, who)
    except InvitationError as exc:
        return _dead(request, c, exc.reason)
    except (ActorError, FediError, MemberError, ValueError) as exc:
        return _form(request, c, who, _("join.failed", handle=who, reason=str(exc).splitlines()[0]), 400)
    follow = await _follow_url(inst, who, c.uri)
    return render(request, "join/done.html", c=c, added=added, follow_url=follow,
                  handle=handle(c.username, c.domain, c.uri), person=handle(person.username, person.domain, person.uri))


def _form(request: Request, c: Row[Any], who: str, error: str | None = None, status: int = 200) -> Response:
    return render(request, "join/form.html", status=status, c=c, who=who, error=error,
                  action=request.url.path + (f"?{request.url.query}" if request.url.query else ""))


def _dead(request: Request, c: Row[Any], reason: str) -> Response:
    _ = translator(pick_language(request))
    return render(request, "submit/message.html", status=404 if reason == "unknown" else 410, c=c,
                  title=_("join.dead_title"), message=_(f"join.dead.{reason}"))


routes = [Route("/c/{slug}/join/{token}", join_page, methods=["GET", "POST"])]
