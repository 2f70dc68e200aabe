"""A community's dashboard and the new / edit / delete pages of each kind."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

from sqlalchemy import func, select
from sqlalchemy.engine import Row
from starlette.datastructures import FormData, UploadFile
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from actors.feed.places import VenueChoice, venue_choices, venue_place
from actors.publishing.media import MediaError, store_image
from actors.publishing.publishing import delete_object, pin_notice, publish, update_object
from actors.publishing.validation import (
    ContentError,
    validate,
)
from actors.social.accounts import (
    Account,
)
from actors.social.conversations import MAX_ANSWER
from actors.social.local import list_communities
from actors.storage.instance import Instance
from actors.storage.models import objects, submissions
from web.dashboard.access import (
    _csrf_failed,
    _inst,
    _read_form,
    _t,
    _to_login,
    dashboard_object_page,
    dashboard_page,
)
from web.dashboard.forms import (
    DEFAULTS,
    FIELDS,
    IMAGE_ERRORS,
    KINDS,
    PENDING,
    SLOTS,
    _body,
    _form_values,
    _local_time,
    _stored_images,
    _values_from_row,
    row_id,
)
from web.i18n import pick_language, translator
from web.pages import render, render_error
from web.sessions import csrf_ok, csrf_token, current_account

# --- dashboard pages ------------------------------------------------------------------------


async def index(request: Request) -> Response:
    account = await current_account(request)
    if account is None:
        return _to_login(request)
    communities = [c for c in await list_communities(_inst(request)) if account.can_publish(c.username)]
    pending = await pending_counts(_inst(request), [c.id for c in communities])
    return render(request, "dashboard/index.html", account=account, communities=communities, pending=pending,
                  csrf=csrf_token(request), ok=request.query_params.get("ok") == "password")


async def pending_counts(inst: Instance, community_ids: list[int]) -> dict[int, int]:
    """How many submissions wait for each community's moderators (the 待审核 (N) links)."""
    async with inst.engine.connect() as conn:
        rows = await conn.execute(
            select(submissions.c.community_id, func.count()).where(
                submissions.c.community_id.in_(community_ids), submissions.c.state == "pending")
            .group_by(submissions.c.community_id))
    return {int(cid): int(n) for cid, n in rows}


def _when(row: Row[Any]) -> str:
    if row.start_time is not None:
        return _local_time(row.start_time, row.timezone).replace("T", " ")
    return _local_time(row.published, "Asia/Shanghai").replace("T", " ")


@dashboard_page
async def community(request: Request, account: Account, c: Row[Any]) -> Response:
    async with _inst(request).engine.connect() as conn:
        rows = list(
            await conn.execute(
                select(objects.c.id, objects.c.uri, objects.c.kind, objects.c.name, objects.c.start_time, objects.c.timezone,
                       objects.c.status, objects.c.published, objects.c.source, objects.c.pinned_at)
                .where(objects.c.actor_id == c.id, objects.c.local.is_(True), objects.c.deleted_at.is_(None),
                       objects.c.reply_root_id.is_(None))
                .order_by(objects.c.published.desc())
                .limit(500)
            )
        )
    groups: dict[str, list[dict[str, Any]]] = {k: [] for k in KINDS}
    for r in _in_date_order(rows, _inst(request).clock()):
        kind = r.kind if r.kind in groups else "note"
        lines = (r.source or "").strip().splitlines()
        title = r.name or (lines[0][:80] if lines else "—")
        groups[kind].append({"id": r.id, "uri": r.uri, "token": r.uri.rsplit("/", 1)[-1], "title": title,
                             "when": _when(r), "status": r.status, "pinned": r.pinned_at is not None})
    ok = request.query_params.get("ok")
    token = request.query_params.get("item", "")
    just = next((o for g in groups.values() for o in g if o["token"] == token), None) if token else None
    pending = (await pending_counts(_inst(request), [c.id])).get(c.id, 0)
    return render(request, "dashboard/community.html", account=account, c=c, groups=groups, kinds=KINDS,
                  csrf=csrf_token(request), just=just, pending=pending, max_reason=MAX_ANSWER,
                  ok=ok if ok in ("published", "updated", "deleted", "pinned", "unpinned", "removed_item") else None)


def _in_date_order(rows: list[Row[Any]], now: datetime) -> list[Row[Any]]:
    """Events by date: the coming ones soonest first, then past ones latest first; the other
    kinds newest first (as queried)."""
    def key(r: Row[Any]) -> tuple[int, float]:
        if r.kind != "event" or r.start_time is None:
            return (0, 0.0)
        start = r.start_time if r.start_time.tzinfo else r.start_time.replace(tzinfo=UTC)
        ahead = start >= now
        return (1 if ahead else 2, start.timestamp() if ahead else -start.timestamp())
    return sorted(rows, key=key)


@dashboard_object_page
async def pin(request: Request, account: Account, c: Row[Any], row: Row[Any]) -> Response:
    """Pin a notice to the top of the community's notices (POST pinned=1), or unpin it."""
    form = await request.form(max_files=0, max_fields=10)
    if not csrf_ok(request, form.get("csrf")):
        return _csrf_failed(request)
    pinned = form.get("pinned") == "1"
    try:
        await pin_notice(_inst(request), row.uri, pinned=pinned)
    except ContentError as exc:
        return render_error(request, 422, _t(request).problem(next(iter(exc.errors.values()))))
    return RedirectResponse(f"/dashboard/{c.username}?ok={'pinned' if pinned else 'unpinned'}", status_code=303)


def _label(_: Any, lang: str, label: Any) -> str:
    if isinstance(label, dict):
        return str(label.get(lang) or label.get("en") or "")
    return _(label) if isinstance(label, str) else str(label)


def _resolve(
    request: Request, kind: str, values: dict[str, Any], errors: dict[str, str], venues: list[VenueChoice],
) -> list[dict[str, Any]]:
    lang = pick_language(request)
    _ = translator(lang)
    out = []
    for f in FIELDS[kind]:
        options = [(value, _label(_, lang, label)) for value, label in f.options]
        if f.name == "venue":  # the network's venues, as they are now
            options = [(str(v.id), v.label) for v in venues]
        current = values.get(f.name)
        if f.widget == "select" and current and current not in [o[0] for o in options]:
            options.append((current, current))  # e.g. a timezone that is not in the short list
        out.append({
            "name": f.name, "widget": f.widget, "label": _(f.label), "required": f.required,
            "hint": _(f.hint) if f.hint else None, "blank": f.blank, "options": options, "maxlength": f.maxlength,
            "value": current, "errors": [_.problem(errors[k]) for k in f.errors if k in errors],
        })
    return out


async def field_views(request: Request, kind: str, values: dict[str, Any], errors: dict[str, str]) -> list[dict[str, Any]]:
    """The kind's fields as ``_fields.html`` shows them, with the network's venues to choose from."""
    venues: list[VenueChoice] = []
    if any(f.name == "venue" for f in FIELDS[kind]):
        async with _inst(request).engine.connect() as conn:
            venues = await venue_choices(conn)
    return _resolve(request, kind, values, errors, venues)


async def _render_form(
    request: Request, account: Account, c: Row[Any], kind: str, values: dict[str, Any],
    errors: dict[str, str], *, row: Row[Any] | None = None, kept: list[dict[str, str]] | None = None,
    uploaded: bool = False, status: int = 200,
) -> Response:
    _ = _t(request)
    placed = {k for f in FIELDS[kind] for k in f.errors} | set(IMAGE_ERRORS[kind]) | set(SLOTS[kind])
    unplaced = {k: _.problem(v) for k, v in errors.items() if k not in placed}
    image_errors = [_.problem(errors[k]) for k in IMAGE_ERRORS[kind] if k in errors]
    slots = [{"name": s, "alt": values.get(f"{s}_alt", ""), "error": errors.get(s)} for s in SLOTS[kind]]
    token = row.uri.rsplit("/", 1)[-1] if row is not None else None
    action = f"/dashboard/{c.username}/edit/{token}" if row is not None else f"/dashboard/{c.username}/new/{kind}"
    return render(
        request, "dashboard/form.html", status=status, account=account, c=c, kind=kind,
        fields=await field_views(request, kind, values, errors), errors=errors, unplaced=unplaced,
        image_errors=image_errors, slots=slots, kept=kept or [], action=action, editing=row is not None,
        object_uri=row.uri if row is not None else None, uploaded=uploaded, csrf=csrf_token(request),
    )


async def _venue_chosen(inst: Instance, values: dict[str, Any]) -> VenueChoice | None:
    """The network venue the form chose (for an event its place, for a listing its area: name,
    address and coordinates, which the 附近 filter and the venue's page match by)."""
    venue_id = row_id(str(values.get("venue") or ""))
    if venue_id is None:
        return None
    async with inst.engine.connect() as conn:
        venue = await venue_place(conn, venue_id)
    if venue is None:
        values["venue"] = ""
    return venue


def _coordinate(value: float | None) -> str:
    return "" if value is None else f"{value:.6f}"


def _image_refs(kind: str, body: dict[str, Any], kept: list[dict[str, Any]],
                uploads: list[tuple[str, bytes, str]]) -> list[dict[str, str]]:
    """The body's image references: the kept images, then the uploads (media still ``PENDING``)."""
    refs = [{"media": k["token"], "alt": k["alt"]} for k in kept if k["keep"]]
    refs += [{"media": PENDING, "alt": alt} for _slot, _data, alt in uploads]
    if kind == "event":
        refs = refs[-1:]  # a new cover image replaces the kept one
        if refs:
            body["image"] = refs[0]
    elif refs:
        body["images"] = refs
    return refs


async def _store_uploads(inst: Instance, c: Row[Any], uploads: list[tuple[str, bytes, str]],
                         refs: list[dict[str, str]]) -> dict[str, str]:
    """Store the uploaded images and put their tokens in the ``PENDING`` refs; errors by slot."""
    media_errors: dict[str, str] = {}
    tokens: list[str] = []
    for slot, data, alt in uploads:
        try:
            tokens.append((await store_image(inst, c.id, data, alt)).token)
        except MediaError as exc:
            media_errors[slot] = str(exc)
    if media_errors:
        return media_errors
    pending = [r for r in refs if r["media"] == PENDING]
    for ref, token in zip(pending, tokens, strict=True):
        ref["media"] = token
    return media_errors


async def form_body(inst: Instance, kind: str, form: FormData) -> tuple[dict[str, Any], dict[str, Any]]:
    """What a kind's form holds and the JSON body for it, the chosen network venue filled in
    (the dashboard's forms and the visitors' proposals, ``web.submit``)."""
    values = _form_values(kind, form)
    venue = await _venue_chosen(inst, values) if kind in ("event", "listing") else None
    if venue is not None and kind == "event":
        values.update(place_name=venue.name, place_address=venue.address,
                      place_latitude=_coordinate(venue.latitude), place_longitude=_coordinate(venue.longitude))
    body = _body(kind, values)
    if venue is not None and kind == "listing":  # where to find it: the venue, with its coordinates
        body["area"] = {"name": venue.name, "address": venue.address or None,
                        "latitude": venue.latitude, "longitude": venue.longitude}
    return values, body


async def _submit(
    request: Request, account: Account, c: Row[Any], kind: str, row: Row[Any] | None,
    kept_before: list[dict[str, str]],
) -> Response:
    inst = _inst(request)
    form = await _read_form(request, kind)
    if isinstance(form, Response):
        return form
    try:
        if not csrf_ok(request, form.get("csrf")):
            return _csrf_failed(request)
        values, body = await form_body(inst, kind, form)
        uploads: list[tuple[str, bytes, str]] = []
        for slot in SLOTS[kind]:
            alt = str(form.get(f"{slot}_alt", "")).strip()
            values[f"{slot}_alt"] = alt
            file = form.get(slot)
            if isinstance(file, UploadFile) and (file.filename or file.size):
                uploads.append((slot, await file.read(), alt))
        keep = {str(t) for t in form.getlist("keep")}
        kept = [
            {**k, "alt": str(form.get(f"keep_alt_{k['token']}", k["alt"])).strip(), "keep": k["token"] in keep}
            for k in kept_before
        ]
    finally:
        await form.close()

    refs = _image_refs(kind, body, kept, uploads)

    async def again(errors: dict[str, str]) -> Response:
        return await _render_form(request, account, c, kind, values, errors, row=row, kept=kept,
                            uploaded=bool(uploads), status=422)

    try:
        validate(body, inst.clock())  # the validator publish() runs, before any image is stored
    except ContentError as exc:
        return await again(exc.errors)
    media_errors = await _store_uploads(inst, c, uploads, refs)
    if media_errors:
        return await again(media_errors)
    try:
        if row is None:
            result = await publish(inst, c.username, body)
        else:
            result = await update_object(inst, row.uri, body)
    except ContentError as exc:
        return await again(exc.errors)
    done = "published" if row is None else "updated"
    # The banner links to what was just published or changed.
    token = quote(result.uri.rsplit("/", 1)[-1], safe="")
    return RedirectResponse(f"/dashboard/{c.username}?ok={done}&item={token}", status_code=303)


@dashboard_page
async def new(request: Request, account: Account, c: Row[Any]) -> Response:
    kind = request.path_params["kind"]
    if kind not in KINDS:
        return render_error(request, 404, _t(request)("dash.no_kind", kind=kind))
    if request.method == "POST":
        return await _submit(request, account, c, kind, None, [])
    return await _render_form(request, account, c, kind, dict(DEFAULTS[kind]), {})


@dashboard_object_page
async def edit(request: Request, account: Account, c: Row[Any], row: Row[Any]) -> Response:
    kind = row.kind if row.kind in KINDS else "note"
    kept = [{**k, "keep": True} for k in _stored_images(row)]
    if request.method == "POST":
        return await _submit(request, account, c, kind, row, kept)
    return await _render_form(request, account, c, kind, _values_from_row(kind, row), {}, row=row, kept=kept)


@dashboard_object_page
async def delete(request: Request, account: Account, c: Row[Any], row: Row[Any]) -> Response:
    title = row.name or (row.source or "")[:80]
    if request.method == "POST":
        form = await request.form(max_files=0, max_fields=10)
        if not csrf_ok(request, form.get("csrf")):
            return _csrf_failed(request)
        if form.get("confirm") == "yes":
            await delete_object(_inst(request), row.uri)
            return RedirectResponse(f"/dashboard/{c.username}?ok=deleted", status_code=303)
    return render(request, "dashboard/delete.html", account=account, c=c, o=row, title=title,
                  kind=row.kind or "note", token=request.path_params["token"], csrf=csrf_token(request))
