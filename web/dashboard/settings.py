"""``/dashboard/SLUG/settings``: the community's submission policy (open / moderated / closed)
and whether its members skip the queue; for its owners and the instance's administrators only
(moderators decide submissions but do not change the policy).

The same function as ``yinhu community policy`` (``actors.social.submissions.set_policy``).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.engine import Row
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from actors.social.accounts import Account
from actors.social.local import CommunityError
from actors.social.submissions import POLICIES, policy_of, set_policy
from web.dashboard.access import _csrf_failed, _inst, _t, dashboard_page
from web.pages import render, render_error
from web.sessions import csrf_ok, csrf_token

__all__ = ["settings"]


@dashboard_page
async def settings(request: Request, account: Account, c: Row[Any]) -> Response:
    slug = c.username
    _ = _t(request)
    if not account.can_manage(slug):
        return render_error(request, 403, _("settings.owner_only", slug=slug))
    inst = _inst(request)
    error = None
    if request.method == "POST":
        form = await request.form(max_files=0, max_fields=10, max_part_size=1024)
        if not csrf_ok(request, form.get("csrf")):
            return _csrf_failed(request)
        policy = str(form.get("policy", ""))
        if policy not in POLICIES:
            error = _("settings.bad_policy")
        else:
            try:
                await set_policy(inst, slug, submissions=policy, trust_members="trust_members" in form)
            except CommunityError:
                error = _("settings.bad_policy")
            else:
                return RedirectResponse(f"/dashboard/{slug}/settings?ok=saved", status_code=303)
    policy, trust = await policy_of(inst, slug)
    return render(request, "dashboard/settings.html", status=422 if error else 200, account=account, c=c,
                  policies=POLICIES, policy=policy, trust=trust, csrf=csrf_token(request), error=error,
                  ok=request.query_params.get("ok") == "saved")
