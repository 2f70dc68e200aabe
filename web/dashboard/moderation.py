"""Moderation from the dashboard, for whoever may use a community's 待审核 and followers pages
(``access._gate``: its moderators and owners, and the instance's administrators):

* ``POST /dashboard/SLUG/remove`` (``item``: an object id, ``reason``): remove an item the
  community approved, or one of its own, as ``yinhu remove`` does
  (``actors.publishing.removal.remove``: ``Undo{Announce}`` and the announced ``Delete``).
* ``POST /dashboard/SLUG/bans`` (``action`` ban | unban, ``actor``: the person's actor URI,
  ``reason``): ``actors.social.moderation.ban`` / ``unban`` as ``yinhu ban`` does (``Block``,
  ``Undo{Block}``). Only a person the community knows (a follower, a submitter, a banned one).

``back`` names the page the form is on (``submissions``, ``followers``, else the community's
page): the answer is a redirect to it with a banner, or that page with the error as a banner
and a 4xx status.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import and_, or_, select
from sqlalchemy.engine import Row
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from actors.publishing.removal import remove
from actors.social.accounts import Account
from actors.social.conversations import MAX_ANSWER
from actors.social.moderation import ban, is_banned, unban
from actors.storage.models import actors, community_bans, follows, objects, submissions
from fedi.errors import FediError
from web.dashboard.access import _inst, _t, dashboard_page, posted_form
from web.dashboard.followers import _page as followers_page
from web.dashboard.forms import row_id
from web.dashboard.submissions import _page as queue_page
from web.pages import render_error

__all__ = ["bans", "remove_item"]

PAGES = {"submissions": queue_page, "followers": followers_page}


def _back(form: FormData) -> str:
    back = str(form.get("back", ""))
    return back if back in PAGES else ""


def _done(c: Row[Any], form: FormData, ok: str) -> Response:
    back = _back(form)
    return RedirectResponse(f"/dashboard/{c.username}{'/' + back if back else ''}?ok={ok}", status_code=303)


async def _again(request: Request, account: Account, c: Row[Any], form: FormData, status: int, error: str) -> Response:
    """The page the form is on, with ``error`` as its banner (an error page for the community's)."""
    back = _back(form)
    if not back:
        return render_error(request, status, error)
    page = await PAGES[back](request, account, c, error)
    page.status_code = status
    return page


def _reason(form: FormData) -> str | None:
    reason = str(form.get("reason", "")).strip()
    return reason if reason and len(reason) <= MAX_ANSWER else None


async def _item(request: Request, c: Row[Any], raw: str) -> str | int:
    """The URI of the live item ``raw`` (an object id) of the community: one of its own or one it
    approved; else 404 (none such) or 409 (removed already)."""
    oid = row_id(raw)
    if oid is None:
        return 404
    async with _inst(request).engine.connect() as conn:
        row = (await conn.execute(select(objects.c.uri, objects.c.local, objects.c.actor_id, objects.c.deleted_at)
                                  .where(objects.c.id == oid))).first()
        states = set((await conn.execute(select(submissions.c.state).where(
            submissions.c.object_id == oid, submissions.c.community_id == c.id))).scalars())
    if row is None:
        return 404
    if row.local and row.actor_id == c.id:
        return 409 if row.deleted_at is not None else str(row.uri)
    if "approved" in states and row.deleted_at is None:
        return str(row.uri)
    return 409 if "removed" in states or (states and row.deleted_at is not None) else 404


@dashboard_page
async def remove_item(request: Request, account: Account, c: Row[Any]) -> Response:
    _ = _t(request)
    form = await posted_form(request)
    if isinstance(form, Response):
        return form
    reason = _reason(form)
    if reason is None:
        return await _again(request, account, c, form, 422, _("mod.reason_required", max=MAX_ANSWER))
    item = await _item(request, c, str(form.get("item", "")))
    if isinstance(item, int):
        return await _again(request, account, c, form, item, _("mod.no_item" if item == 404 else "mod.removed_already"))
    try:
        await remove(_inst(request), item, reason, by=account.name, community_id=c.id)
    except ValueError as exc:  # ModerationError: removed meanwhile, or not the community's after all
        return await _again(request, account, c, form, 409, _("mod.failed", reason=str(exc)))
    return _done(c, form, "removed_item")


async def _known(request: Request, c: Row[Any], uri: str) -> int | None:
    """The id of a remote person the community knows: following it (in any state), having
    submitted to it, or banned from it."""
    related = or_(
        actors.c.id.in_(select(follows.c.follower_id).where(follows.c.followed_id == c.id)),
        actors.c.id.in_(select(submissions.c.actor_id).where(submissions.c.community_id == c.id)),
        actors.c.id.in_(select(community_bans.c.actor_id).where(community_bans.c.community_id == c.id)),
    )
    async with _inst(request).engine.connect() as conn:
        return (await conn.execute(select(actors.c.id).where(
            and_(actors.c.uri == uri, actors.c.local.is_(False), related)))).scalar()


async def _ban_or_unban(request: Request, account: Account, c: Row[Any], form: FormData) -> str | tuple[int, str]:
    """``banned`` / ``unbanned`` when done, else (status, the banner)."""
    _ = _t(request)
    inst = _inst(request)
    action, uri, reason = str(form.get("action", "")), str(form.get("actor", "")), _reason(form)
    if action not in ("ban", "unban"):
        return 400, _("queue.bad_action")
    person = await _known(request, c, uri)
    if person is None:
        return 404, _("mod.no_person")
    if action == "ban" and reason is None:
        return 422, _("mod.reason_required", max=MAX_ANSWER)
    async with inst.engine.connect() as conn:
        banned = await is_banned(conn, c.id, person)
    if banned == (action == "ban"):
        return 409, _("mod.banned_already" if banned else "mod.not_banned")
    try:
        if action == "ban":
            await ban(inst, c.username, uri, reason or "", by=account.name)
        else:
            await unban(inst, c.username, uri, by=account.name)
    except (FediError, ValueError) as exc:  # their server unreachable, a suspended domain, decided meanwhile
        return 409, _("mod.failed", reason=str(exc))
    return f"{action}ned"


@dashboard_page
async def bans(request: Request, account: Account, c: Row[Any]) -> Response:
    form = await posted_form(request)
    if isinstance(form, Response):
        return form
    done = await _ban_or_unban(request, account, c, form)
    if isinstance(done, tuple):
        return await _again(request, account, c, form, *done)
    return _done(c, form, done)
