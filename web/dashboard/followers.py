"""``/dashboard/SLUG/followers``: who follows a community, with their state; approve or reject
a pending request, remove an accepted follower, make one a member (``actors.social.members``);
ban one and lift a ban (the forms post to ``web.dashboard.moderation``), the banned listed apart.

The same functions as ``yinhu followers`` (``actors.social.follows``): an approval sends
``Accept`` of the person's Follow, a rejection or a removal ``Reject`` of it, to their own inbox.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.engine import Row
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from actors.social.accounts import Account
from actors.social.conversations import MAX_ANSWER
from actors.social.follows import FollowError, decide_follower, list_followers
from actors.social.local import CommunityError
from actors.social.members import MemberError, add_follower_member, list_members
from actors.social.moderation import list_bans
from web.dashboard.access import _inst, _t, dashboard_page, posted_form
from web.dashboard.people import person_view
from web.pages import render
from web.sessions import csrf_token

__all__ = ["followers"]

# action → (approve?, the states it applies to, the banner shown after it)
ACTIONS = {
    "approve": (True, ("pending",), "approved"),
    "reject": (False, ("pending",), "rejected"),
    "remove": (False, ("accepted",), "removed"),
}
STATES = ("pending", "accepted", "rejected")


@dashboard_page
async def followers(request: Request, account: Account, c: Row[Any]) -> Response:
    slug = c.username
    inst = _inst(request)
    _ = _t(request)
    error = None
    if request.method == "POST":
        form = await posted_form(request, max_part_size=8 * 1024)
        if isinstance(form, Response):
            return form
        action, uri = str(form.get("action", "")), str(form.get("actor", ""))
        state = next((r.state for r in await list_followers(inst, slug) if r.uri == uri), None)
        if action == "member":  # an accepted follower becomes a member (actors.social.members)
            try:
                await add_follower_member(inst, slug, uri)
            except MemberError:
                error = _("followers.no_such")
            else:
                return RedirectResponse(f"/dashboard/{slug}/followers?ok=member", status_code=303)
        elif action not in ACTIONS or state not in ACTIONS[action][1]:
            error = _("followers.no_such")
        else:
            approve, _states, done = ACTIONS[action]
            try:
                await decide_follower(inst, slug, uri, approve=approve)
            except (FollowError, CommunityError):
                error = _("followers.no_such")
            else:
                return RedirectResponse(f"/dashboard/{slug}/followers?ok={done}", status_code=303)
    return await _page(request, account, c, error)


async def _page(request: Request, account: Account, c: Row[Any], error: str | None = None) -> Response:
    """The followers (the banned apart, under their own heading), with ``error`` as a banner."""
    inst = _inst(request)
    members = {m.uri for m in await list_members(inst, c.username)}
    async with inst.engine.connect() as conn:
        bans = await list_bans(conn, c.id)
    banned = {b.uri for b in bans}
    rows = [r for r in await list_followers(inst, c.username) if r.uri not in banned]
    people = [{**person_view(r), "state": r.state, "since": r.created_at, "member": r.uri in members} for r in rows]
    # Requests waiting first, then followers, then the rejected; oldest first within each.
    people.sort(key=lambda p: STATES.index(p["state"]) if p["state"] in STATES else len(STATES))
    counts = {s: sum(p["state"] == s for p in people) for s in STATES}
    ok = request.query_params.get("ok")
    return render(request, "dashboard/followers.html", status=422 if error else 200, account=account, c=c,
                  people=people, counts=counts, csrf=csrf_token(request), error=error, max_reason=MAX_ANSWER,
                  banned=[{**person_view(b), "reason": b.reason, "by": b.created_by or "", "since": b.created_at}
                          for b in bans],
                  ok=ok if ok in ("approved", "rejected", "removed", "member", "banned", "unbanned") else None)
