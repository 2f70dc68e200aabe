"""``/c/SLUG/submit``: a visitor without an account proposes an event, a listing or a notice to
a community; it waits for the community's moderators (``actors.social.proposals``).

The fields are the dashboard's for the kind (``web.dashboard.content.form_body`` turns them into
the same JSON body, checked by the same validator), plus the name to credit and a contact only
moderators see. Anti-spam needs no third party:

- the form carries a stamp signed with the instance's secret (the one session cookies use):
  a forged or expired stamp, or one younger than ``MIN_SECONDS``, is refused with the form kept.
  The page is anonymous, so the stamp is also its form token;
- a hidden field people leave empty (a honeypot): filled in, the visitor is thanked and nothing
  is stored;
- at most ``MAX_LINKS`` web addresses in the texts;
- per client address (IPv6 by /64, as the login limiter counts) a few proposals an hour and a
  day, counted in the database; over it, 429 with ``Retry-After``.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
from collections.abc import Awaitable, Callable
from typing import Any

from sqlalchemy.engine import Row
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from actors.feed.places import VenueChoice, venue_choices
from actors.publishing.fields import Checker
from actors.publishing.validation import MAX_CONTACT, MAX_TITLE, ContentError, validate
from actors.social.local import get_local_actor
from actors.social.proposals import (
    Proposal,
    TooManyProposals,
    count_links,
    retry_after,
    store_proposal,
)
from actors.storage.instance import Instance
from fedi.problems import problem
from web.dashboard.content import _resolve, form_body
from web.dashboard.forms import DEFAULTS, FIELDS
from web.i18n import Translator, pick_language, translator
from web.pages import render, render_error
from web.sessions import _address_key
from web.uploads import BadForm, UploadTooLarge, read_capped_form

__all__ = ["client_key", "community_page", "make_stamp", "routes", "stamp_age"]

KINDS = ("event", "listing", "note")
MIN_SECONDS = 3.0  # a person reads the form first; a script posts at once
MAX_STAMP_AGE = 3 * 3600.0  # a form left open longer is sent again with a fresh stamp
MAX_LINKS = 2
MAX_BODY = 256 * 1024  # the longest text validation allows, in Chinese, percent-encoded (9 bytes a character)
HONEYPOT = "website"
URL_FIELDS = {"online_url", "external_url"}  # addresses in their own fields are not counted


def _inst(request: Request) -> Instance:
    return request.app.state.instance  # type: ignore[no-any-return]


def client_key(request: Request) -> str:
    """SHA-256 hex of the client's address (an IPv6 address by its /64)."""
    address = request.client.host if request.client else "unknown"
    return hashlib.sha256(_address_key(address).encode()).hexdigest()


def _mac(secret: str, slug: str, issued: int) -> str:
    return hmac.new(secret.encode(), f"yinhu-submit\x00{slug}\x00{issued}".encode(), hashlib.sha256).hexdigest()


def make_stamp(inst: Instance, slug: str) -> str:
    issued = int(inst.clock().timestamp())
    return f"{issued}.{_mac(inst.settings.secret_key, slug, issued)}"


def stamp_age(inst: Instance, slug: str, stamp: str) -> float | None:
    """Seconds since the stamp was made for this community's form; None when it is forged,
    malformed, from the future or too old."""
    issued_text, _, mac = stamp.partition(".")
    if not issued_text.isdigit() or not hmac.compare_digest(mac, _mac(inst.settings.secret_key, slug, int(issued_text))):
        return None
    age = inst.clock().timestamp() - int(issued_text)
    return age if 0 <= age <= MAX_STAMP_AGE else None


def check_proposer(name: str, contact: str) -> tuple[str | None, str]:
    """The name to credit (optional) and the contact (required, one line, as short as a
    listing's); ContentError keyed ``submitter_name`` / ``submitter_contact``."""
    c = Checker({"submitter_name": name, "submitter_contact": contact})
    clean_name = c.one_line("submitter_name", max_len=MAX_TITLE)
    clean_contact = c.one_line("submitter_contact", max_len=MAX_CONTACT)
    if not contact.strip():
        c.fail("submitter_contact", problem("required"))
    if c.errors:
        raise ContentError(c.errors)
    return clean_name, clean_contact or ""


def _proposer_fields(_: Translator, values: dict[str, Any], errors: dict[str, str]) -> list[dict[str, Any]]:
    def field(name: str, required: bool, maxlength: int) -> dict[str, Any]:
        return {"name": name, "widget": "text", "label": _(f"submit.field.{name}"), "required": required,
                "hint": _(f"submit.hint.{name}"), "blank": False, "options": [], "maxlength": maxlength,
                "value": values.get(name, ""), "errors": [_.problem(errors[name])] if name in errors else []}
    return [field("submitter_name", False, MAX_TITLE), field("submitter_contact", True, MAX_CONTACT)]


def community_page(view: Callable[[Request, Row[Any]], Awaitable[Response]]) -> Callable[[Request], Awaitable[Response]]:
    """A page of a local community (``/c/SLUG/...``): the view gets its row; unknown, a 404 page."""

    @functools.wraps(view)
    async def page(request: Request) -> Response:
        async with _inst(request).engine.connect() as conn:
            c = await get_local_actor(conn, request.path_params["slug"])
        if c is None or c.type != "Group":
            return render_error(request, 404, translator(pick_language(request))("feed.no_community"))
        return await view(request, c)

    return page


def _kind(request: Request, form: FormData | None = None) -> str:
    kind = str((form.get("type") if form is not None else None) or request.query_params.get("type") or "event")
    return kind if kind in KINDS else "event"


async def _form_page(request: Request, c: Row[Any], kind: str, values: dict[str, Any], errors: dict[str, str],
                     *, banner: str | None = None, status: int = 200,
                     headers: dict[str, str] | None = None) -> Response:
    _ = translator(pick_language(request))
    venues: list[VenueChoice] = []
    if any(f.name == "venue" for f in FIELDS[kind]):
        async with _inst(request).engine.connect() as conn:
            venues = await venue_choices(conn)
    placed = {k for f in FIELDS[kind] for k in f.errors} | {"submitter_name", "submitter_contact"}
    query = f"?lang={request.query_params['lang']}" if request.query_params.get("lang") else ""
    response = render(
        request, "submit/form.html", status=status, c=c, kind=kind, kinds=KINDS, banner=banner,
        fields=_resolve(request, kind, values, errors, venues), errors=errors,
        proposer=_proposer_fields(_, values, errors), stamp=make_stamp(_inst(request), c.username),
        unplaced={k: _.problem(v) for k, v in errors.items() if k not in placed}, honeypot=HONEYPOT,
        action=f"/c/{c.username}/submit{query}",
    )
    response.headers.update(headers or {})
    return response


@community_page
async def submit_page(request: Request, c: Row[Any]) -> Response:
    _ = translator(pick_language(request))
    if (c.submission_policy or "moderated") == "closed":
        return render(request, "submit/message.html", status=403 if request.method == "POST" else 200, c=c,
                      title=_("submit.closed_title"), message=_("submit.closed"))
    if request.method == "POST":
        return await _receive(request, c)
    kind = _kind(request)
    return await _form_page(request, c, kind, dict(DEFAULTS[kind]), {})


async def _receive(request: Request, c: Row[Any]) -> Response:
    inst = _inst(request)
    _ = translator(pick_language(request))
    try:
        form = await read_capped_form(request, limit=MAX_BODY, max_files=0, max_part_size=MAX_BODY)
    except UploadTooLarge:
        return render_error(request, 413, _("submit.too_large"))
    except BadForm as exc:
        return render_error(request, 400, _("upload.bad_form", reason=str(exc)))
    kind = _kind(request, form)
    sent = RedirectResponse(f"/c/{c.username}/submit/sent", status_code=303)
    if str(form.get(HONEYPOT, "")).strip():
        return sent  # a script filled the field people never see: thank it, keep nothing
    values, body = await form_body(inst, kind, form)
    for name in ("submitter_name", "submitter_contact"):
        values[name] = str(form.get(name, "")).strip()

    async def again(banner: str, status: int, errors: dict[str, str] | None = None,
                    headers: dict[str, str] | None = None) -> Response:
        return await _form_page(request, c, kind, values, errors or {}, banner=banner, status=status,
                                headers=headers)

    age = stamp_age(inst, c.username, str(form.get("stamp", "")))
    if age is None:
        return await again(_("submit.stamp_invalid"), 400)
    if age < MIN_SECONDS:
        return await again(_("submit.too_fast"), 400)
    key = client_key(request)

    async def limited(wait: int) -> Response:
        return await again(_("submit.rate_limited", minutes=max(1, -(-wait // 60))), 429,
                           headers={"Retry-After": str(wait)})

    wait = await retry_after(inst, key)  # early, before any work; store_proposal checks again, atomically
    if wait:
        return await limited(wait)
    texts = [str(v) for k, v in values.items() if isinstance(v, str) and k not in URL_FIELDS]
    if count_links(*texts) > MAX_LINKS:
        return await again(_("submit.too_many_links", limit=MAX_LINKS), 422)
    errors: dict[str, str] = {}
    try:
        name, contact = check_proposer(values["submitter_name"], values["submitter_contact"])
    except ContentError as exc:
        errors.update(exc.errors)
    try:
        validate(body, inst.clock())
    except ContentError as exc:
        errors.update(exc.errors)
    if errors:
        return await again(_("form.fix_errors"), 422, errors)
    try:
        await store_proposal(inst, Proposal(c.id, kind, body, name, contact, key))
    except TooManyProposals as exc:  # another post from this client took the last place meanwhile
        return await limited(exc.wait)
    return sent


@community_page
async def sent_page(request: Request, c: Row[Any]) -> Response:
    """The thanks page: says what happens next, and nothing of what was sent."""
    _ = translator(pick_language(request))
    return render(request, "submit/message.html", c=c, title=_("submit.sent_title"), message=_("submit.sent"))


routes = [
    Route("/c/{slug}/submit", submit_page, methods=["GET", "POST"]),
    Route("/c/{slug}/submit/sent", sent_page),
]
