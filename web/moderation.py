"""The public moderation log: ``/moderation`` (``?community=SLUG``) and ``/moderation.json``.

What moderators did here (bans, removals, reports sent, domain policies, approvals and
rejections), newest first, with dates in the district's time zone as the other pages show
them. A target is linked only when it is a publicly visible item; the text of a private
message and who reported something never appear (``actors.social.moderation.public_log``).
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from actors.feed.feed import DISTRICT_TZ
from actors.social.local import CommunityError
from actors.social.moderation import LogEntry, public_log
from actors.storage.instance import Instance
from web.i18n import pick_language, translator
from web.negotiation import json_response
from web.pages import render, render_error

__all__ = ["moderation_json", "moderation_page", "routes"]

KNOWN_ACTIONS = ("approve", "reject", "remove", "ban", "unban", "report", "domain_suspend", "domain_silence",
                 "domain_review", "domain_unblock")


def _inst(request: Request) -> Instance:
    return request.app.state.instance  # type: ignore[no-any-return]


async def _entries(request: Request) -> list[LogEntry] | None:
    slug = request.query_params.get("community") or None
    try:
        return await public_log(_inst(request), community=slug[:64] if slug else None)
    except CommunityError:
        return None


def _public(e: LogEntry, base: str) -> dict[str, Any]:
    return {"date": e.created_at.astimezone(DISTRICT_TZ).isoformat(), "community": e.community,
            "action": e.action, "target": e.target or None, "url": base + e.link if e.link else None,
            "reason": e.reason}


async def moderation_page(request: Request) -> Response:
    entries = await _entries(request)
    _ = translator(pick_language(request))
    if entries is None:
        return render_error(request, 404, _("feed.no_community"))
    rows = [(e.created_at.astimezone(DISTRICT_TZ), e, f"moderation.action.{e.action}" if e.action in KNOWN_ACTIONS
             else None) for e in entries]
    return render(request, "feed/moderation.html", rows=rows, community=request.query_params.get("community"))


async def moderation_json(request: Request) -> Response:
    entries = await _entries(request)
    if entries is None:
        return json_response({"error": "no such community"}, status=404)
    base = _inst(request).base
    return json_response({"items": [_public(e, base) for e in entries]})


routes = [
    Route("/moderation", moderation_page),
    Route("/moderation.json", moderation_json),
]
