"""The instance administrator's page for the aggregator: what the feed actor follows, follow
more communities at once, unfollow, and decide on communities asking to be included.

The same operations as ``yinhu follow`` / ``unfollow`` / ``subscriptions`` (actors.feed.aggregate);
only instance administrators (``yinhu account create NAME --admin``) may use it.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from actors.feed.aggregate import (
    decide_inclusion,
    follow_many,
    handle_of,
    inclusion_requests,
    subscriptions,
    unfollow,
)
from actors.social.follows import FollowError
from actors.social.remote import ActorError
from actors.storage.instance import Instance
from fedi.errors import FediError
from web.i18n import pick_language, translator
from web.pages import render, render_error
from web.sessions import csrf_ok, csrf_token, current_account

__all__ = ["routes"]

MAX_TARGETS = 100


def _inst(request: Request) -> Instance:
    return request.app.state.instance  # type: ignore[no-any-return]


async def subscriptions_page(request: Request) -> Response:
    account = await current_account(request)
    if account is None:
        return RedirectResponse(f"/login?next={request.url.path}", status_code=303)
    _ = translator(pick_language(request))
    if not account.is_admin:
        return render_error(request, 403, _("admin.only"))
    inst = _inst(request)
    results: list[tuple[str, str, str]] = []
    if request.method == "POST":
        form = await request.form(max_files=0, max_fields=20)
        if not csrf_ok(request, form.get("csrf")):
            return render_error(request, 403, _("csrf.failed"))
        action = str(form.get("action", ""))
        try:
            if action == "follow":
                targets = str(form.get("targets", "")).split()[:MAX_TARGETS]
                for r in await follow_many(inst, targets):
                    results.append((r.target, r.state, r.error or r.uri or ""))
            elif action in ("approve", "reject"):
                target = str(form.get("target", ""))
                state, _back = await decide_inclusion(inst, target, approve=action == "approve")
                results.append((target, state, ""))
            elif action == "unfollow":
                target = str(form.get("target", ""))
                results.append((target, await unfollow(inst, target), ""))
        except (FollowError, ActorError, FediError, ValueError) as exc:
            results.append((str(form.get("target", "")), "failed", str(exc).splitlines()[0]))
    return render(
        request, "admin/subscriptions.html", account=account, csrf=csrf_token(request), results=results,
        subs=await subscriptions(inst), requests=[(handle_of(r), r) for r in await inclusion_requests(inst)],
    )


routes = [Route("/admin/subscriptions", subscriptions_page, methods=["GET", "POST"])]
