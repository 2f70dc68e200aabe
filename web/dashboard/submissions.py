"""``/dashboard/SLUG/submissions`` (待审核): what members and visitors submitted to a community,
for its owners, moderators and the instance's administrators; approve or reject (with a
reason), correct a draft before approving it, and the recent decisions (an approved item can be
removed, a person from the fediverse banned: forms posting to ``web.dashboard.moderation``).

The decisions are ``actors.publishing.decisions``' (the same as ``yinhu queue``): approving
announces a submitted object or publishes a draft as the community's own, rejecting sends the
submitter a ``Reject`` with the reason. A web proposal's contact is shown here and nowhere else.
"""

from __future__ import annotations

from typing import Any

import orjson
from sqlalchemy import select
from sqlalchemy.engine import Row
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from actors.publishing.decisions import approve, reject
from actors.publishing.validation import PRICE_MODES, ContentError
from actors.social.accounts import Account
from actors.social.conversations import MAX_ANSWER
from actors.social.moderation import list_bans
from actors.social.submissions import (
    PENDING,
    SubmissionChanged,
    SubmissionError,
    _queue_query,
    get_submission,
    list_queue,
    seen_mark,
)
from actors.storage.instance import Instance
from actors.storage.models import actors, objects, submissions
from web.dashboard.access import _inst, _t, dashboard_page, posted_form
from web.dashboard.content import field_views, form_body, pending_counts
from web.dashboard.forms import FIELDS, _local_time, row_id, values_from_body
from web.dashboard.people import person_view
from web.i18n import Translator
from web.pages import render, render_error
from web.sessions import csrf_token

__all__ = ["correct", "queue"]

DECIDED = ("approved", "rejected", "removed")
RECENT = 50
OK = ("approved", "rejected", "rejected_web", "removed_item", "banned", "unbanned")  # the last three: .moderation
ZONE = "Asia/Shanghai"  # the zone the dashboard shows a community's own times in (content._when)


def _at(moment: Any) -> str:
    return _local_time(moment, ZONE).replace("T", " ") if moment is not None else ""


async def _people(inst: Instance, rows: list[Row[Any]]) -> dict[int, dict[str, Any]]:
    """The submitters from the fediverse, as ``person_view`` shows a remote person."""
    ids = {r.actor_id for r in rows if r.actor_id is not None}
    if not ids:
        return {}
    async with inst.engine.connect() as conn:
        found = await conn.execute(select(actors.c.id, actors.c.uri, actors.c.username, actors.c.domain,
                                          actors.c.name, actors.c.raw).where(actors.c.id.in_(ids)))
        return {r.id: person_view(r) for r in found}


def _draft_line(_: Translator, row: Row[Any]) -> str:
    """What a draft will publish, in a line: its title and its price."""
    if row.shape != "draft" or not row.draft:
        return ""
    body = orjson.loads(row.draft)
    title = str(body.get("title") or body.get("name") or "")
    price = body.get("price")
    if isinstance(price, dict):
        price = f"{price.get('amount')} {price.get('currency') or 'CNY'}"
    elif price in PRICE_MODES:
        price = _(f"price_mode.{price}")
    return " · ".join(str(p) for p in (title, price) if p)


def _view(_: Translator, r: Row[Any], people: dict[int, dict[str, Any]]) -> dict[str, Any]:
    person = people.get(r.actor_id) if r.actor_id is not None else None
    return {
        "id": r.id, "kind": r.kind if r.kind in FIELDS else "note", "shape": r.shape, "web": r.origin == "web",
        "person": person, "name": r.submitter_name or "", "contact": r.contact if r.origin == "web" else None,
        "when": _at(r.created_at), "content": r.content, "draft": _draft_line(_, r), "state": r.state,
        "reason": r.reason or "", "decided": _at(r.decided_at), "by": r.decided_by or "",
        "item": r.object_id if r.state == "approved" else None,
        "title": r.object_name if r.shape == "object" else None,
        "seen": seen_mark(r),
    }


async def _recent(inst: Instance, community_id: int) -> list[Row[Any]]:
    async with inst.engine.connect() as conn:
        return list(await conn.execute(
            _queue_query().where(submissions.c.community_id == community_id, submissions.c.state.in_(DECIDED))
            .order_by(submissions.c.decided_at.desc(), submissions.c.id.desc()).limit(RECENT)))


async def _done_item(inst: Instance, c: Row[Any], raw: str) -> dict[str, Any] | None:
    """The item an approval just made public, for the banner's link."""
    if row_id(raw) is None:
        return None
    async with inst.engine.connect() as conn:
        row = (await conn.execute(select(objects.c.id, objects.c.name, objects.c.source).where(
            objects.c.id == row_id(raw), objects.c.community_id == c.id))).first()
    if row is None:
        return None
    lines = (row.source or "").strip().splitlines()
    return {"url": f"/items/{row.id}", "title": row.name or (lines[0][:80] if lines else f"#{row.id}")}


async def _page(request: Request, account: Account, c: Row[Any], error: str | None = None) -> Response:
    inst = _inst(request)
    _ = _t(request)
    pending = await list_queue(inst, c.id)
    recent = await _recent(inst, c.id)
    people = await _people(inst, pending + recent)
    ok = request.query_params.get("ok")
    async with inst.engine.connect() as conn:
        banned = {b.uri for b in await list_bans(conn, c.id)}
    return render(
        request, "dashboard/submissions.html", status=422 if error else 200, account=account, c=c,
        rows=[_view(_, r, people) for r in pending], recent=[_view(_, r, people) for r in recent],
        count=(await pending_counts(inst, [c.id])).get(c.id, 0), policy=c.submission_policy or "moderated",
        trust=bool(c.trust_members), csrf=csrf_token(request), error=error, ok=ok if ok in OK else None,
        n=row_id(request.query_params.get("n", "")) or "", item=await _done_item(inst, c, request.query_params.get("item", "")),
        max_reason=MAX_ANSWER, banned=banned,
    )


def _problems(_: Translator, exc: ContentError) -> str:
    return "; ".join(_.problem(v) for v in exc.errors.values())


async def _pending_row(inst: Instance, c: Row[Any], raw_id: str, _: Translator) -> Row[Any] | str:
    """The community's pending submission ``raw_id`` names, or why there is none."""
    sid = row_id(raw_id)
    if sid is None:
        return _("queue.no_such")
    async with inst.engine.connect() as conn:
        try:
            row = await get_submission(conn, c.id, sid)
        except SubmissionError:
            return _("queue.no_such")
    if row.state != PENDING:
        return _("queue.already", id=row.id, state=_(f"queue.state.{row.state}"))
    return row


async def _refused(inst: Instance, c: Row[Any], row: Row[Any], exc: Exception, _: Translator) -> str:
    """A decision that could not be made: decided meanwhile, or what the core said."""
    again = await _pending_row(inst, c, str(row.id), _)
    if isinstance(again, str):
        return again
    if row.shape == "object":
        async with inst.engine.connect() as conn:
            gone = (await conn.execute(select(objects.c.id).where(
                objects.c.id == row.object_id, objects.c.deleted_at.is_(None)))).first() is None
        if gone:
            return _("queue.author_deleted", id=row.id)
    return _("queue.failed", id=row.id, reason=str(exc))


def _approved(c: Row[Any], object_id: int | None, sid: int) -> Response:
    return RedirectResponse(f"/dashboard/{c.username}/submissions?ok=approved&n={sid}&item={object_id or ''}",
                            status_code=303)


async def _object_id(inst: Instance, uri: str | None) -> int | None:
    async with inst.engine.connect() as conn:
        return (await conn.execute(select(objects.c.id).where(objects.c.uri == uri))).scalar() if uri else None


def _seen(form: FormData) -> str:
    """The mark of the version the moderator's page showed ("" from a form without one: refused)."""
    return str(form.get("seen", ""))


async def _decide(request: Request, account: Account, c: Row[Any], form: FormData) -> Response | str:
    """An approve or reject POST: a redirect when done, else the banner to show."""
    inst = _inst(request)
    _ = _t(request)
    row = await _pending_row(inst, c, str(form.get("id", "")), _)
    if isinstance(row, str):
        return row
    action = str(form.get("action", ""))
    try:
        if action == "approve":
            decision = await approve(inst, row.id, by=account.name, community_id=c.id, seen=_seen(form))
            return _approved(c, await _object_id(inst, decision.object_uri), row.id)
        if action == "reject":
            reason = str(form.get("reason", "")).strip()
            if not reason or len(reason) > MAX_ANSWER:
                return _("queue.reason_required", max=MAX_ANSWER)
            await reject(inst, row.id, by=account.name, reason=reason, community_id=c.id)
            done = "rejected_web" if row.origin == "web" else "rejected"
            return RedirectResponse(f"/dashboard/{c.username}/submissions?ok={done}&n={row.id}", status_code=303)
    except ContentError as exc:  # a draft that does not validate as it stands: correct it first
        return _("queue.bad_draft", id=row.id, problems=_problems(_, exc))
    except SubmissionChanged:
        return _("queue.changed", id=row.id)
    except SubmissionError as exc:
        return await _refused(inst, c, row, exc, _)
    return _("queue.bad_action")


@dashboard_page
async def queue(request: Request, account: Account, c: Row[Any]) -> Response:
    error = None
    if request.method == "POST":
        form = await posted_form(request)
        if isinstance(form, Response):
            return form
        done = await _decide(request, account, c, form)
        if isinstance(done, Response):
            return done
        error = done
    return await _page(request, account, c, error)


# --- correcting a draft ------------------------------------------------------------------------


def _corrected(kind: str, body: dict[str, Any], draft: dict[str, Any]) -> dict[str, Any]:
    """The form's body with what the form cannot show kept from the draft: its images, and the
    coordinates of a listing's area when its name was left as it was."""
    for key in ("images", "image"):
        if key in draft:
            body[key] = draft[key]
    area = draft.get("area")
    if kind == "listing" and isinstance(area, dict) and body.get("area") == (area.get("name") or area.get("address")):
        body["area"] = area
    return body


async def _correction(request: Request, account: Account, c: Row[Any], row: Row[Any], values: dict[str, Any],
                      errors: dict[str, str], banner: str | None = None) -> Response:
    _ = _t(request)
    kind = row.kind if row.kind in FIELDS else "note"
    placed = {k for f in FIELDS[kind] for k in f.errors}
    people = await _people(_inst(request), [row])
    return render(
        request, "dashboard/submission.html", status=422 if errors or banner else 200, account=account, c=c,
        s=_view(_, row, people), kind=kind, fields=await field_views(request, kind, values, errors),
        unplaced={k: _.problem(v) for k, v in errors.items() if k not in placed}, error=banner,
        csrf=csrf_token(request), max_reason=MAX_ANSWER,
    )


async def _approve_corrected(request: Request, account: Account, c: Row[Any], row: Row[Any]) -> Response:
    inst = _inst(request)
    _ = _t(request)
    form = await posted_form(request, max_fields=60)
    if isinstance(form, Response):
        return form
    kind = row.kind if row.kind in FIELDS else "note"
    values, body = await form_body(inst, kind, form)
    body = _corrected(kind, body, orjson.loads(row.draft or "{}"))
    try:
        decision = await approve(inst, row.id, by=account.name, draft=body, community_id=c.id, seen=_seen(form))
    except ContentError as exc:
        return await _correction(request, account, c, row, values, exc.errors, _("form.fix_errors"))
    except SubmissionChanged:  # the author edited it meanwhile: the page shows the new text
        fresh = await _pending_row(inst, c, str(row.id), _)
        return await _correction(request, account, c, fresh if not isinstance(fresh, str) else row, values, {},
                                 _("queue.changed", id=row.id))
    except SubmissionError as exc:
        return await _correction(request, account, c, row, values, {}, await _refused(inst, c, row, exc, _))
    return _approved(c, await _object_id(inst, decision.object_uri), row.id)


@dashboard_page
async def correct(request: Request, account: Account, c: Row[Any]) -> Response:
    """``/dashboard/SLUG/submissions/ID``: a pending draft in the dashboard's form for its kind,
    to correct and approve."""
    _ = _t(request)
    row = await _pending_row(_inst(request), c, request.path_params["id"], _)
    if isinstance(row, str):
        return render_error(request, 404 if row == _("queue.no_such") else 409, row)
    if row.shape != "draft":
        return render_error(request, 404, _("queue.no_draft", id=row.id))
    if request.method == "POST":
        return await _approve_corrected(request, account, c, row)
    kind = row.kind if row.kind in FIELDS else "note"
    return await _correction(request, account, c, row, values_from_body(kind, orjson.loads(row.draft or "{}")), {})
