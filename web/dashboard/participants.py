"""``/dashboard/SLUG/events/TOKEN/participants``: an event's participants for the community's
owners and moderators: approve or reject a request (restricted events), remove a participant,
export the list as CSV, and send every accepted participant a private message.

Decisions and the message are ``actors.social.participation``'s (the same as ``yinhu
participants``); the list is ``actors.social.rsvp.list_participants``.
"""

from __future__ import annotations

import csv
import functools
import io
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any
from urllib.parse import quote
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy.engine import Row
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from actors.social.accounts import Account
from actors.social.conversations import MAX_ANSWER
from actors.social.participation import decide, message_participants
from actors.social.rsvp import EventFull, RsvpError, list_participants
from web.dashboard.access import ObjectView, _csrf_failed, _inst, _t, dashboard_object_page
from web.dashboard.people import person_view
from web.i18n import Translator
from web.pages import render, render_error
from web.sessions import csrf_ok, csrf_token

__all__ = ["participants", "participants_csv"]

ACTIONS = {
    "approve": (True, ("pending", "rejected")),
    "reject": (False, ("pending",)),
    "remove": (False, ("accepted",)),
}
OK = ("approve", "reject", "remove", "sent", "sent_none")
STATES = ("pending", "accepted", "rejected")
# A cell starting with one of these is a formula to Excel and LibreOffice (CSV injection):
# names and messages come from other servers.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _local(when: datetime, tz: str | None) -> str:
    try:
        return when.astimezone(ZoneInfo(tz or "Asia/Shanghai")).strftime("%Y-%m-%d %H:%M")
    except (ZoneInfoNotFoundError, ValueError):
        return when.strftime("%Y-%m-%d %H:%M UTC")


def _views(rows: list[Row[Any]], event: Row[Any]) -> list[dict[str, Any]]:
    people = [{**person_view(r), "state": r.state, "message": r.message or "", "since": _local(r.created_at, event.timezone)}
              for r in rows]
    people.sort(key=lambda p: STATES.index(p["state"]) if p["state"] in STATES else len(STATES))
    return people


async def _act(request: Request, slug: str, event: Row[Any], rows: list[Row[Any]]) -> Response | str:
    """A POST: a redirect when done, else the error to show."""
    _ = _t(request)
    form = await request.form(max_files=0, max_fields=10, max_part_size=64 * 1024)
    if not csrf_ok(request, form.get("csrf")):
        return _csrf_failed(request)
    action = str(form.get("action", ""))
    here = f"/dashboard/{slug}/events/{request.path_params['token']}/participants"
    try:
        if action == "message":
            text = str(form.get("text", "")).strip()
            if not text or len(text) > MAX_ANSWER:
                return _("participants.bad_message", max=MAX_ANSWER)
            sent = await message_participants(_inst(request), event.uri, text)
            return RedirectResponse(f"{here}?ok={'sent' if sent else 'sent_none'}&n={sent}", status_code=303)
        uri = str(form.get("actor", ""))
        state = next((r.state for r in rows if r.uri == uri), None)
        if action not in ACTIONS or state not in ACTIONS[action][1]:
            return _("participants.no_such")
        await decide(_inst(request), event.uri, uri, approve=ACTIONS[action][0])
    except EventFull:
        return _("participants.full", n=event.capacity)
    except RsvpError:
        return _("participants.no_such")
    return RedirectResponse(f"{here}?ok={action}", status_code=303)


def event_page(view: ObjectView) -> Callable[[Request], Awaitable[Response]]:
    """A page of one of the community's events: 404 for any other kind of object."""

    @functools.wraps(view)
    async def page(request: Request, account: Account, c: Row[Any], row: Row[Any]) -> Response:
        if row.kind != "event":
            return render_error(request, 404, _t(request)("dash.no_object"))
        return await view(request, account, c, row)

    return dashboard_object_page(page)


@event_page
async def participants(request: Request, account: Account, c: Row[Any], event: Row[Any]) -> Response:
    inst = _inst(request)
    rows = await list_participants(inst, event.uri)
    error = None
    if request.method == "POST":
        done = await _act(request, c.username, event, rows)
        if isinstance(done, Response):
            return done
        error = done
    people = _views(rows, event)
    counts = {s: sum(p["state"] == s for p in people) for s in STATES}
    ok = request.query_params.get("ok")
    n = request.query_params.get("n", "")
    return render(request, "dashboard/participants.html", status=422 if error else 200, account=account, c=c,
                  event=event, token=request.path_params["token"], people=people, counts=counts,
                  csrf=csrf_token(request), error=error, ok=ok if ok in OK else None,
                  n=int(n) if n.isdigit() else 0, max_message=MAX_ANSWER)


def _cell(value: str) -> str:
    return "'" + value if value.startswith(FORMULA_START) else value


def _csv_text(people: list[dict[str, Any]], _: Translator) -> str:
    """The list as CSV with a UTF-8 byte order mark, without which Excel reads UTF-8 as the
    system's code page and shows Chinese as mojibake."""
    out = io.StringIO()
    writer = csv.writer(out)  # \r\n line ends, as RFC 4180 and Excel expect
    writer.writerow([_("participants.csv.state"), _("participants.csv.account"), _("participants.csv.name"),
                     _("participants.csv.since"), _("participants.csv.message"), _("participants.csv.uri")])
    for p in people:
        account = p["handle"].removeprefix("@")  # user@host: no formula, no quote
        writer.writerow([_("participants.state." + p["state"]), _cell(account), _cell(p["name"]), p["since"],
                         _cell(p["message"]), _cell(p["uri"])])
    return "\ufeff" + out.getvalue()


@event_page
async def participants_csv(request: Request, account: Account, c: Row[Any], event: Row[Any]) -> Response:
    people = _views(await list_participants(_inst(request), event.uri), event)
    body = _csv_text(people, _t(request)).encode("utf-8")
    token = request.path_params["token"]
    title = (event.name or token).replace("/", "-").replace("\\", "-")
    # An ASCII name for old clients, the event's own title (RFC 6266 / 5987) for the rest.
    disposition = f"attachment; filename=\"participants-{token}.csv\"; filename*=UTF-8''{quote(title + '.csv', safe='')}"
    return Response(body, media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": disposition, "Cache-Control": "private, no-store"})
