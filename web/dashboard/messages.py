"""``/dashboard/SLUG/inbox``: the community's messages for its owners and moderators, newest
first with the unread marked; answer one as the community, hide or show a public reply.

Opening the page marks what it shows as read (the marks are drawn from before). The work is
done by ``actors.social.conversations``, the same functions as ``yinhu inbox``.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from actors.feed.feed import handle, profile_url
from actors.social.conversations import (
    ConversationError,
    answer,
    hide_reply,
    list_messages,
    mark_read,
)
from fedi.content import safe_url
from web.dashboard.access import _gate, _inst, _t, posted_form
from web.dashboard.forms import row_id
from web.pages import render
from web.sessions import csrf_token

__all__ = ["inbox"]


def _view(r: Any) -> dict[str, Any]:
    return {
        "id": r.id, "kind": r.kind, "unread": r.read_at is None, "answered": r.answered_at is not None,
        "hidden": r.hidden_at is not None, "content": r.content, "created_at": r.created_at,
        "handle": handle(r.username, r.domain, r.actor_uri), "name": r.actor_name,
        "url": safe_url(profile_url(r.actor_uri, r.actor_raw, False, r.username)) or "",
        "about_uri": r.about_uri, "about_name": r.about_name, "object_uri": safe_url(r.object_uri or ""),
        "answerable": r.kind in ("reply", "mention", "direct", "like", "boost", "interested"),
    }


async def inbox(request: Request) -> Response:
    slug = request.path_params["slug"]
    gate = await _gate(request, slug)
    if isinstance(gate, Response):
        return gate
    account, c = gate
    inst = _inst(request)
    _ = _t(request)
    error = None
    if request.method == "POST":
        form = await posted_form(request)
        if isinstance(form, Response):
            return form
        action, message_id = str(form.get("action", "")), row_id(str(form.get("id", "")))
        try:
            if message_id is None:  # not ASCII digits that fit a row id ("²", 20 digits): no such message
                raise ConversationError(_("inbox.no_message"))
            if action == "answer":
                await answer(inst, c, message_id, str(form.get("text", "")))
                return RedirectResponse(f"/dashboard/{slug}/inbox?ok=answered", status_code=303)
            if action in ("hide", "show"):
                await hide_reply(inst, c.id, message_id, hidden=action == "hide")
                return RedirectResponse(f"/dashboard/{slug}/inbox?ok={action}", status_code=303)
            raise ConversationError(_("inbox.no_message"))
        except ConversationError as exc:
            error = str(exc)
    rows = [_view(r) for r in await list_messages(inst, c.id)]
    await mark_read(inst, c.id, [r["id"] for r in rows if r["unread"]])
    ok = request.query_params.get("ok")
    return render(request, "dashboard/inbox.html", status=422 if error else 200, account=account, c=c, rows=rows,
                  csrf=csrf_token(request), error=error, ok=ok if ok in ("answered", "hide", "show") else None)
