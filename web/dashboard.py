"""The organisers' web door: login, a dashboard per community, and forms for each kind.

The forms build the same JSON body the API and the CLI take and hand it to ``publish`` /
``update_object`` / ``delete_object``: validation lives only in ``actors.publishing.validation``. Images
are checked after the body validates (with placeholder media tokens), then stored, then the
body is published, so invalid content stores nothing. Every POST carries a CSRF token.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote
from zoneinfo import ZoneInfo

import orjson
from sqlalchemy import select
from sqlalchemy.engine import Row
from starlette.datastructures import FormData, UploadFile
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from actors.publishing.media import MediaError, store_image
from actors.publishing.publishing import delete_object, publish, update_object
from actors.publishing.validation import (
    CONDITIONS,
    CURRENCIES,
    EVENT_STATUSES,
    JOIN_MODES,
    LANGUAGES,
    LISTING_KINDS,
    LISTING_STATUSES,
    PRICE_MODES,
    PURPOSES,
    ContentError,
    validate,
)
from actors.social.accounts import (
    MIN_PASSWORD,
    Account,
    AccountError,
    add_membership,
    authenticate,
    change_password,
    remove_membership,
)
from actors.social.local import get_local_actor, list_communities
from actors.storage.instance import Instance
from actors.storage.models import Role, accounts, actors, memberships, objects
from fedi.content import AMENITIES, CATEGORIES, event_from_ap, venue_from_ap
from web.i18n import pick_language, translator
from web.pages import render, render_error
from web.sessions import csrf_ok, csrf_token, current_account, limiter, log_in, log_out
from web.uploads import MB, BadForm, UploadTooLarge, read_capped_form

__all__ = ["routes"]

KINDS = ("event", "listing", "venue", "note")

MAX_PART = 11 * MB  # a little above the 10 MB image cap, so store_image gives the precise error
PENDING = "pending-upload"
TIMEZONES = (
    "Asia/Shanghai", "Asia/Hong_Kong", "Asia/Taipei", "Asia/Macau", "Asia/Urumqi", "Asia/Tokyo",
    "Asia/Seoul", "Asia/Singapore", "Europe/London", "Europe/Berlin", "Europe/Paris",
    "America/New_York", "America/Los_Angeles", "UTC",
)
SLOTS = {"event": ("image",), "listing": ("image1", "image2", "image3", "image4")}
SLOTS["venue"] = SLOTS["note"] = SLOTS["listing"]
MEDIA_URL_RE = re.compile(r"/media/([A-Za-z0-9]+)\.[A-Za-z0-9]+$")


def _inst(request: Request) -> Instance:
    return request.app.state.instance  # type: ignore[no-any-return]


def _t(request: Request) -> Any:
    return translator(pick_language(request))


# --- field specs ------------------------------------------------------------------------------


@dataclass(frozen=True)
class F:
    name: str  # the form field's name
    widget: str  # text | textarea | number | decimal | url | datetime | select | checkbox | checkboxes
    label: str  # i18n key
    errors: tuple[str, ...] = ()  # ContentError keys shown at this field
    options: tuple[tuple[str, Any], ...] = ()  # (value, i18n key | {lang: label} | literal)
    required: bool = False
    hint: str | None = None  # i18n key
    blank: bool = False  # a select with an empty "—" choice


def _opts(values: tuple[str, ...], prefix: str) -> tuple[tuple[str, Any], ...]:
    return tuple((v, f"{prefix}.{v}") for v in values)


LANG_OPTS = _opts(LANGUAGES, "language")
COMMON_TAIL = (
    F("tags", "text", "field.tags", ("tags",), hint="hint.tags"),
    F("language", "select", "field.language", ("language",), LANG_OPTS),
)

FIELDS: dict[str, tuple[F, ...]] = {
    "event": (
        F("title", "text", "field.title", ("title",), required=True),
        F("content", "textarea", "field.content", ("content",), hint="hint.markdown"),
        F("start", "datetime", "field.start", ("start",), required=True),
        F("end", "datetime", "field.end", ("end",)),
        F("timezone", "select", "field.timezone", ("timezone",), tuple((z, z) for z in TIMEZONES)),
        F("place_name", "text", "field.place_name", ("place",)),
        F("place_address", "text", "field.place_address"),
        F("place_latitude", "decimal", "field.latitude", ("place.latitude",)),
        F("place_longitude", "decimal", "field.longitude", ("place.longitude",)),
        F("online_url", "url", "field.online_url", ("online_url",)),
        F("category", "select", "field.category", ("category",), _opts(CATEGORIES, "category"), blank=True),
        F("capacity", "number", "field.capacity", ("capacity",), hint="hint.capacity"),
        F("join_mode", "select", "field.join_mode", ("join_mode",), _opts(JOIN_MODES, "join_mode")),
        F("external_url", "url", "field.external_url", ("external_url",), hint="hint.external_url"),
        F("status", "select", "field.event_status", ("status",), _opts(EVENT_STATUSES, "event_status")),
        *COMMON_TAIL,
    ),
    "listing": (
        F("kind", "select", "field.listing_kind", ("kind",), _opts(LISTING_KINDS, "listing_kind"), required=True),
        F("purpose", "select", "field.purpose", ("purpose",), _opts(PURPOSES, "purpose")),
        F("title", "text", "field.title", ("title",), required=True),
        F("content", "textarea", "field.content", ("content",), hint="hint.markdown"),
        F("price_mode", "select", "field.price_mode", (), _opts(PRICE_MODES, "price_mode")),
        F("price_amount", "decimal", "field.price_amount", ("price",), hint="hint.price_amount"),
        F("currency", "select", "field.currency", (), tuple((c, c) for c in CURRENCIES)),
        F("condition", "select", "field.condition", ("condition",), _opts(CONDITIONS, "condition"),
          hint="hint.condition", blank=True),
        F("area", "text", "field.area", ("area", "area.latitude", "area.longitude"), hint="hint.area"),
        F("status", "select", "field.listing_status", ("status",), _opts(LISTING_STATUSES, "listing_status")),
        F("expires", "datetime", "field.expires", ("expires",), hint="hint.expires"),
        *COMMON_TAIL,
    ),
    "venue": (
        F("name", "text", "field.venue_name", ("name",), required=True),
        F("content", "textarea", "field.content", ("content",), hint="hint.markdown"),
        F("address", "text", "field.address", ("address",), required=True),
        F("latitude", "decimal", "field.latitude", ("latitude",)),
        F("longitude", "decimal", "field.longitude", ("longitude",)),
        F("capacity", "number", "field.capacity", ("capacity",)),
        F("amenities", "checkboxes", "field.amenities", ("amenities",), tuple(AMENITIES.items())),
        F("opening_hours", "text", "field.opening_hours", ("opening_hours",), hint="hint.opening_hours"),
        F("bookable", "checkbox", "field.bookable", ("bookable",)),
        F("contact", "text", "field.contact", ("contact",)),
        F("price_mode", "select", "field.price_mode", (), _opts(("free", "negotiable", "amount"), "price_mode")),
        F("price_amount", "decimal", "field.venue_price_amount", ("price",), hint="hint.price_amount"),
        F("currency", "select", "field.currency", (), tuple((c, c) for c in CURRENCIES)),
        F("part_of", "text", "field.part_of", ("part_of",), hint="hint.part_of"),
        *COMMON_TAIL,
    ),
    "note": (
        F("content", "textarea", "field.note_content", ("content",), required=True, hint="hint.markdown"),
        F("language", "select", "field.language", ("language",), LANG_OPTS),
    ),
}
IMAGE_ERRORS = {"event": ("image",), "listing": ("images",), "venue": ("images",), "note": ("images",)}
DEFAULTS: dict[str, dict[str, Any]] = {
    "event": {"timezone": "Asia/Shanghai", "join_mode": "free", "status": "scheduled", "language": "zh"},
    "listing": {"kind": "goods", "purpose": "offer", "price_mode": "negotiable", "currency": "CNY",
                "status": "available", "language": "zh"},
    "venue": {"price_mode": "free", "currency": "CNY", "bookable": True, "language": "zh", "amenities": []},
    "note": {"language": "zh"},
}


def _form_values(kind: str, form: FormData) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for f in FIELDS[kind]:
        if f.widget == "checkbox":
            values[f.name] = f.name in form
        elif f.widget == "checkboxes":
            values[f.name] = [str(v) for v in form.getlist(f.name)]
        else:
            raw = form.get(f.name, "")
            values[f.name] = raw.strip() if isinstance(raw, str) else ""
    return values


def _body(kind: str, v: dict[str, Any]) -> dict[str, Any]:
    """The JSON body (as API and CLI send it) for what the form holds. Empty fields are left out,
    so validation's defaults apply exactly as they do for the other doors."""

    def pick(*names: str) -> dict[str, Any]:
        return {n: v[n] for n in names if v.get(n) not in (None, "")}

    def price(modes: tuple[str, ...]) -> Any:
        mode = v.get("price_mode") or modes[0]
        if mode == "amount":
            return {"amount": v.get("price_amount", ""), "currency": v.get("currency") or "CNY"}
        return mode

    if kind == "event":
        body = {"type": "event", **pick("title", "content", "start", "end", "timezone", "online_url", "category",
                                        "tags", "capacity", "join_mode", "external_url", "status", "language")}
        place = {k: v[f"place_{k}"] for k in ("name", "address", "latitude", "longitude") if v.get(f"place_{k}")}
        if place:
            body["place"] = place
        return body
    if kind == "listing":
        body = {"type": "listing", **pick("kind", "purpose", "title", "content", "condition", "area", "status",
                                          "expires", "tags", "language")}
        body["price"] = price(("negotiable",))
        return body
    if kind == "venue":
        body = {"type": "venue", **pick("name", "content", "address", "latitude", "longitude", "capacity",
                                        "opening_hours", "contact", "part_of", "tags", "language")}
        body["amenities"] = list(v.get("amenities") or [])
        body["bookable"] = bool(v.get("bookable"))
        body["price"] = price(("free",))
        return body
    return {"type": "note", **pick("content", "language")}


def _local_time(moment: datetime | None, zone: str | None) -> str:
    if moment is None:
        return ""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    try:
        tz = ZoneInfo(zone or "Asia/Shanghai")
    except (KeyError, ValueError):
        tz = ZoneInfo("Asia/Shanghai")
    return moment.astimezone(tz).strftime("%Y-%m-%dT%H:%M")


def _num(value: Any) -> str:
    return "" if value is None else str(value)


def _stored_images(row: Row[Any]) -> list[dict[str, str]]:
    """The images a stored object carries that were uploaded here: media token and alt text."""
    doc = orjson.loads(row.raw)
    found: dict[str, str] = {}
    for key in ("image", "attachment"):
        items = doc.get(key)
        for item in items if isinstance(items, list) else [items]:
            if not isinstance(item, dict):
                continue
            url = item.get("url")
            if isinstance(url, list):
                url = url[0] if url else None
            if isinstance(url, dict):
                url = url.get("href")
            m = MEDIA_URL_RE.search(url) if isinstance(url, str) else None
            if m and m.group(1) not in found:
                found[m.group(1)] = str(item.get("name") or "")
    return [{"token": t, "alt": a, "url": f"/media/{t}"} for t, a in found.items()]


def _values_from_row(kind: str, row: Row[Any]) -> dict[str, Any]:
    doc = orjson.loads(row.raw)
    v: dict[str, Any] = {"content": row.source or "", "language": row.language or "zh", "tags": row.tags or ""}
    if kind == "event":
        v.update(
            title=row.name or "", start=_local_time(row.start_time, row.timezone),
            end=_local_time(row.end_time, row.timezone), timezone=row.timezone or "Asia/Shanghai",
            place_name=row.place_name or "", place_address=row.address or "",
            place_latitude=_num(row.latitude), place_longitude=_num(row.longitude),
            online_url=_event_url(doc, "online_url"), category=row.category or "", capacity=_num(row.capacity),
            join_mode=row.join_mode or "free", external_url=_event_url(doc, "external_participation_url"), status=row.status or "scheduled",
        )
        if v["place_name"] == v["place_address"]:
            v["place_name"] = ""  # the place had only an address; its name was filled from it
    elif kind == "listing":
        v.update(
            kind=row.listing_kind or "goods", purpose=row.purpose or "offer", title=row.name or "",
            price_mode=row.price_mode or "negotiable", price_amount=_num(row.price_amount),
            currency=row.currency or "CNY", condition=row.condition or "", area=row.place_name or "",
            status=row.status or "available", expires=_local_time(row.expires_at, "Asia/Shanghai"),
        )
    elif kind == "venue":
        venue = _venue(doc)
        v.update(
            name=row.name or "", address=row.address or "", latitude=_num(row.latitude),
            longitude=_num(row.longitude), capacity=_num(row.capacity), amenities=(row.amenities or "").split(),
            opening_hours=_venue_hours(venue), bookable=venue.bookable if venue is not None else True,
            contact=(venue.contact or "") if venue is not None else "", price_mode=row.price_mode or "free", price_amount=_num(row.price_amount),
            currency=row.currency or "CNY", part_of=row.place_name or "",
        )
    return v


def _event_url(doc: dict[str, Any], attr: str) -> str:
    try:
        return getattr(event_from_ap(doc), attr) or ""
    except Exception:  # noqa: BLE001 - a stored document we cannot read back leaves the field empty
        return ""


def _venue(doc: dict[str, Any]) -> Any:
    try:
        return venue_from_ap(doc)
    except Exception:  # noqa: BLE001
        return None


def _venue_hours(venue: Any) -> str:
    if venue is None:
        return ""
    hours = venue.opening_hours
    if isinstance(hours, str):
        return hours
    return "; ".join(f"{','.join(d[:2] for d in h.days)} {h.opens}-{h.closes}" for h in hours)


# --- access ---------------------------------------------------------------------------------


def _safe_next(value: Any) -> str:
    if isinstance(value, str) and value.startswith("/") and not value.startswith("//") and "\\" not in value:
        return value
    return "/dashboard"


def _to_login(request: Request) -> Response:
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return RedirectResponse(f"/login?next={quote(target, safe='')}", status_code=303)


async def _gate(request: Request, slug: str) -> tuple[Account, Row[Any]] | Response:
    account = await current_account(request)
    if account is None:
        return _to_login(request)
    async with _inst(request).engine.connect() as conn:
        community = await get_local_actor(conn, slug)
    _ = _t(request)
    if community is None or community.type != "Group":
        return render_error(request, 404, _("dash.no_community", slug=slug))
    if not account.can_publish(slug):
        return render_error(request, 403, _("dash.forbidden", name=account.name, slug=slug))
    return account, community


def _csrf_failed(request: Request) -> Response:
    return render_error(request, 403, _t(request)("csrf.failed"))


async def _object_row(request: Request, community: Row[Any], token: str) -> Row[Any] | None:
    inst = _inst(request)
    async with inst.engine.connect() as conn:
        return (
            await conn.execute(
                select(objects).where(
                    objects.c.uri == inst.object_uri(token), objects.c.actor_id == community.id,
                    objects.c.local.is_(True), objects.c.deleted_at.is_(None),
                )
            )
        ).first()


async def _read_form(request: Request, kind: str) -> FormData | Response:
    """The submitted form, refusing bodies larger than the images it may carry allow."""
    _ = _t(request)
    limit = len(SLOTS[kind]) * MAX_PART + MB
    try:
        return await read_capped_form(request, limit=limit, max_files=len(SLOTS[kind]), max_part_size=MAX_PART)
    except UploadTooLarge:
        return render_error(request, 413, _("upload.too_large", mb=limit // MB))
    except BadForm as exc:
        return render_error(request, 400, _("upload.bad_form", reason=str(exc)))


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


async def members(request: Request) -> Response:
    """A community's accounts: owners (and administrators) see them, add moderators, remove roles."""
    slug = request.path_params["slug"]
    gate = await _gate(request, slug)
    if isinstance(gate, Response):
        return gate
    account, c = gate
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


# --- dashboard pages ------------------------------------------------------------------------


async def index(request: Request) -> Response:
    account = await current_account(request)
    if account is None:
        return _to_login(request)
    communities = [c for c in await list_communities(_inst(request)) if account.can_publish(c.username)]
    return render(request, "dashboard/index.html", account=account, communities=communities,
                  csrf=csrf_token(request), ok=request.query_params.get("ok") == "password")


def _when(row: Row[Any]) -> str:
    if row.start_time is not None:
        return _local_time(row.start_time, row.timezone).replace("T", " ")
    return _local_time(row.published, "Asia/Shanghai").replace("T", " ")


async def community(request: Request) -> Response:
    slug = request.path_params["slug"]
    gate = await _gate(request, slug)
    if isinstance(gate, Response):
        return gate
    account, c = gate
    async with _inst(request).engine.connect() as conn:
        rows = list(
            await conn.execute(
                select(objects.c.uri, objects.c.kind, objects.c.name, objects.c.start_time, objects.c.timezone,
                       objects.c.status, objects.c.published, objects.c.source)
                .where(objects.c.actor_id == c.id, objects.c.local.is_(True), objects.c.deleted_at.is_(None))
                .order_by(objects.c.published.desc())
                .limit(500)
            )
        )
    groups: dict[str, list[dict[str, Any]]] = {k: [] for k in KINDS}
    for r in rows:
        kind = r.kind if r.kind in groups else "note"
        lines = (r.source or "").strip().splitlines()
        title = r.name or (lines[0][:80] if lines else "—")
        groups[kind].append({"uri": r.uri, "token": r.uri.rsplit("/", 1)[-1], "title": title,
                             "when": _when(r), "status": r.status})
    ok = request.query_params.get("ok")
    return render(request, "dashboard/community.html", account=account, c=c, groups=groups, kinds=KINDS,
                  csrf=csrf_token(request), ok=ok if ok in ("published", "updated", "deleted") else None)


def _label(_: Any, lang: str, label: Any) -> str:
    if isinstance(label, dict):
        return str(label.get(lang) or label.get("en") or "")
    return _(label) if isinstance(label, str) else str(label)


def _message(_: Any, message: str) -> str:
    if message == "required":
        return _("error.required")
    if message.startswith("required:"):
        return _("error.required") + " —" + message[len("required"):].lstrip(":")
    return message


def _resolve(request: Request, kind: str, values: dict[str, Any], errors: dict[str, str]) -> list[dict[str, Any]]:
    lang = pick_language(request)
    _ = translator(lang)
    out = []
    for f in FIELDS[kind]:
        options = [(value, _label(_, lang, label)) for value, label in f.options]
        current = values.get(f.name)
        if f.widget == "select" and current and current not in [o[0] for o in options]:
            options.append((current, current))  # e.g. a timezone that is not in the short list
        out.append({
            "name": f.name, "widget": f.widget, "label": _(f.label), "required": f.required,
            "hint": _(f.hint) if f.hint else None, "blank": f.blank, "options": options,
            "value": current, "errors": [_message(_, errors[k]) for k in f.errors if k in errors],
        })
    return out


def _render_form(
    request: Request, account: Account, c: Row[Any], kind: str, values: dict[str, Any],
    errors: dict[str, str], *, row: Row[Any] | None = None, kept: list[dict[str, str]] | None = None,
    uploaded: bool = False, status: int = 200,
) -> Response:
    _ = _t(request)
    placed = {k for f in FIELDS[kind] for k in f.errors} | set(IMAGE_ERRORS[kind]) | set(SLOTS[kind])
    unplaced = {k: _message(_, v) for k, v in errors.items() if k not in placed}
    image_errors = [_message(_, errors[k]) for k in IMAGE_ERRORS[kind] if k in errors]
    slots = [{"name": s, "alt": values.get(f"{s}_alt", ""), "error": errors.get(s)} for s in SLOTS[kind]]
    token = row.uri.rsplit("/", 1)[-1] if row is not None else None
    action = f"/dashboard/{c.username}/edit/{token}" if row is not None else f"/dashboard/{c.username}/new/{kind}"
    return render(
        request, "dashboard/form.html", status=status, account=account, c=c, kind=kind,
        fields=_resolve(request, kind, values, errors), errors=errors, unplaced=unplaced,
        image_errors=image_errors, slots=slots, kept=kept or [], action=action, editing=row is not None,
        object_uri=row.uri if row is not None else None, uploaded=uploaded, csrf=csrf_token(request),
    )


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
        values = _form_values(kind, form)
        body = _body(kind, values)
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

    refs = [{"media": k["token"], "alt": k["alt"]} for k in kept if k["keep"]]
    refs += [{"media": PENDING, "alt": alt} for _slot, _data, alt in uploads]
    if kind == "event":
        refs = refs[-1:]  # a new cover image replaces the kept one
        if refs:
            body["image"] = refs[0]
    elif refs:
        body["images"] = refs

    def again(errors: dict[str, str]) -> Response:
        return _render_form(request, account, c, kind, values, errors, row=row, kept=kept,
                            uploaded=bool(uploads), status=422)

    try:
        validate(body, inst.clock())  # the validator publish() runs, before any image is stored
    except ContentError as exc:
        return again(exc.errors)
    media_errors: dict[str, str] = {}
    tokens: list[str] = []
    for slot, data, alt in uploads:
        try:
            tokens.append((await store_image(inst, c.id, data, alt)).token)
        except MediaError as exc:
            media_errors[slot] = str(exc)
    if media_errors:
        return again(media_errors)
    pending = [r for r in refs if r["media"] == PENDING]
    for ref, token in zip(pending, tokens, strict=True):
        ref["media"] = token
    try:
        if row is None:
            await publish(inst, c.username, body)
        else:
            await update_object(inst, row.uri, body)
    except ContentError as exc:
        return again(exc.errors)
    done = "published" if row is None else "updated"
    return RedirectResponse(f"/dashboard/{c.username}?ok={done}", status_code=303)


async def new(request: Request) -> Response:
    slug, kind = request.path_params["slug"], request.path_params["kind"]
    gate = await _gate(request, slug)
    if isinstance(gate, Response):
        return gate
    account, c = gate
    if kind not in KINDS:
        return render_error(request, 404, _t(request)("dash.no_kind", kind=kind))
    if request.method == "POST":
        return await _submit(request, account, c, kind, None, [])
    return _render_form(request, account, c, kind, dict(DEFAULTS[kind]), {})


async def edit(request: Request) -> Response:
    slug, token = request.path_params["slug"], request.path_params["token"]
    gate = await _gate(request, slug)
    if isinstance(gate, Response):
        return gate
    account, c = gate
    row = await _object_row(request, c, token)
    if row is None:
        return render_error(request, 404, _t(request)("dash.no_object"))
    kind = row.kind if row.kind in KINDS else "note"
    kept = [{**k, "keep": True} for k in _stored_images(row)]
    if request.method == "POST":
        return await _submit(request, account, c, kind, row, kept)
    return _render_form(request, account, c, kind, _values_from_row(kind, row), {}, row=row, kept=kept)


async def delete(request: Request) -> Response:
    slug, token = request.path_params["slug"], request.path_params["token"]
    gate = await _gate(request, slug)
    if isinstance(gate, Response):
        return gate
    account, c = gate
    row = await _object_row(request, c, token)
    if row is None:
        return render_error(request, 404, _t(request)("dash.no_object"))
    title = row.name or (row.source or "")[:80]
    if request.method == "POST":
        form = await request.form(max_files=0, max_fields=10)
        if not csrf_ok(request, form.get("csrf")):
            return _csrf_failed(request)
        if form.get("confirm") == "yes":
            await delete_object(_inst(request), row.uri)
            return RedirectResponse(f"/dashboard/{c.username}?ok=deleted", status_code=303)
    return render(request, "dashboard/delete.html", account=account, c=c, o=row, title=title,
                  kind=row.kind or "note", token=token, csrf=csrf_token(request))


routes = [
    Route("/login", login, methods=["GET", "POST"]),
    Route("/logout", logout, methods=["POST"]),
    Route("/dashboard", index),
    Route("/dashboard/password", password, methods=["GET", "POST"]),
    Route("/dashboard/{slug}", community),
    Route("/dashboard/{slug}/members", members, methods=["GET", "POST"]),
    Route("/dashboard/{slug}/new/{kind}", new, methods=["GET", "POST"]),
    Route("/dashboard/{slug}/edit/{token}", edit, methods=["GET", "POST"]),
    Route("/dashboard/{slug}/delete/{token}", delete, methods=["GET", "POST"]),
]
