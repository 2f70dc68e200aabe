"""The account pages: log in and out, change the password, a community's members."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.engine import Row
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from actors.social.accounts import (
    MIN_PASSWORD,
    Account,
    AccountError,
    add_membership,
    authenticate,
    change_password,
    remove_membership,
)
from actors.storage.models import Role, accounts, actors, memberships
from web.dashboard.access import (
    _csrf_failed,
    _inst,
    _safe_next,
    _t,
    _to_login,
    dashboard_page,
)
from web.pages import render, render_error
from web.sessions import csrf_ok, csrf_token, current_account, limiter, log_in, log_out

# --- login ----------------------------------------------------------------------------------


async def login(request: Request) -> Response:
    _ = _t(request)
    if request.method == "GET":
        account = await current_account(request)
        if account is not None:
            return RedirectResponse(_safe_next(request.query_params.get("next")), status_code=303)
        return render(request, "dashboard/login.html", csrf=csrf_token(request),
                      next=_safe_next(request.query_params.get("next")), name="", error=None)
    form = await request.form(max_files=0, max_fields=10)
    name = str(form.get("name", "")).strip()
    nxt = _safe_next(form.get("next"))
    if not csrf_ok(request, form.get("csrf")):
        return _csrf_failed(request)
    address = request.client.host if request.client else "unknown"
    limits = limiter(request)

    def again(status: int, error: str) -> Response:
        return render(request, "dashboard/login.html", status=status, csrf=csrf_token(request), next=nxt,
                      name=name, error=error)

    inst = _inst(request)
    wait = await limits.wait(inst, name, address)
    if wait > 0:
        seconds = max(1, round(wait))
        response = again(429, _("login.rate_limited", seconds=seconds))
        response.headers["Retry-After"] = str(seconds)
        return response
    account = await authenticate(inst, name, str(form.get("password", "")))
    if account is None:
        await limits.failed(inst, name, address)
        return again(401, _("login.failed"))
    await limits.succeeded(inst, name, address)
    await log_in(request, account)
    return RedirectResponse(nxt, status_code=303)


async def logout(request: Request) -> Response:
    form = await request.form(max_files=0, max_fields=10)
    if not csrf_ok(request, form.get("csrf")):
        return _csrf_failed(request)
    await log_out(request)
    return RedirectResponse("/", status_code=303)


async def password(request: Request) -> Response:
    """Change one's own password; every session of the account ends, this one starts afresh."""
    account = await current_account(request)
    if account is None:
        return _to_login(request)
    _ = _t(request)

    def page(status: int = 200, error: str | None = None) -> Response:
        return render(request, "dashboard/password.html", status=status, account=account, c=None,
                      csrf=csrf_token(request), error=error, min=MIN_PASSWORD)

    if request.method == "GET":
        return page()
    form = await request.form(max_files=0, max_fields=10)
    if not csrf_ok(request, form.get("csrf")):
        return _csrf_failed(request)
    new, again = str(form.get("new", "")), str(form.get("again", ""))
    if new != again:
        return page(422, _("password.differ"))
    if len(new) < MIN_PASSWORD:
        return page(422, _("password.short", min=MIN_PASSWORD))
    try:
        await change_password(_inst(request), account.id, str(form.get("current", "")), new)
    except AccountError:
        return page(422, _("password.wrong"))
    await log_in(request, account)  # this browser stays signed in under the new session version
    return RedirectResponse("/dashboard?ok=password", status_code=303)


@dashboard_page
async def members(request: Request, account: Account, c: Row[Any]) -> Response:
    """A community's accounts: owners (and administrators) see them, add moderators, remove roles."""
    slug = request.path_params["slug"]
    _ = _t(request)
    if not account.can_manage(slug):
        return render_error(request, 403, _("members.owner_only", slug=slug))
    inst = _inst(request)
    error = None
    if request.method == "POST":
        form = await request.form(max_files=0, max_fields=10)
        if not csrf_ok(request, form.get("csrf")):
            return _csrf_failed(request)
        name, action = str(form.get("name", "")).strip(), form.get("action")
        try:
            if action == "add":
                role = Role(str(form.get("role", "moderator")))
                await add_membership(inst, name, slug, role)
            elif action == "remove":
                await remove_membership(inst, name, slug)
            else:
                return render_error(request, 400, _("members.bad_action"))
            return RedirectResponse(f"/dashboard/{slug}/members", status_code=303)
        except (AccountError, ValueError) as exc:
            error = str(exc)
    async with inst.engine.connect() as conn:
        rows = list(
            await conn.execute(
                select(accounts.c.name, memberships.c.role, accounts.c.disabled_at)
                .select_from(memberships.join(accounts, accounts.c.id == memberships.c.account_id)
                             .join(actors, actors.c.id == memberships.c.actor_id))
                .where(actors.c.id == c.id)
                .order_by(accounts.c.name)
            )
        )
    return render(request, "dashboard/members.html", status=422 if error else 200, account=account, c=c,
                  rows=rows, error=error, csrf=csrf_token(request))
