"""Communities as residents meet them: the directory (with counts, cached a minute), a
community's page (its notices, upcoming events, listings and venues; at ``/communities/ID``
on any instance, and at ``/c/SLUG`` in a browser on its own)."""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import orjson
from sqlalchemy import and_, case, func, or_, select
from starlette.requests import Request
from starlette.responses import Response

from actors.feed.feed import FeedFilter, handle, query_feed
from actors.social.local import FEED_ACTOR_USERNAME, get_local_actor
from actors.social.visibility import communities_here, publicly_visible
from actors.storage.instance import Instance
from actors.storage.models import FollowState, actors, follows, objects
from actors.storage.text import html_to_text
from fedi import content as wire
from web.cards import cards, notices
from web.i18n import pick_language, translator
from web.pages import render, render_error

__all__ = ["CommunityEntry", "communities_page", "community_detail", "community_home", "directory", "origin_of"]


def _inst(request: Request) -> Instance:
    return request.app.state.instance  # type: ignore[no-any-return]


async def _feed_actor_id(conn: Any) -> int | None:
    return (await conn.execute(select(actors.c.id).where(
        actors.c.local.is_(True), actors.c.username == FEED_ACTOR_USERNAME))).scalar()


@dataclass(frozen=True)
class CommunityEntry:
    id: int
    uri: str
    local: bool
    type: str
    username: str
    domain: str
    name: str
    summary: str
    kind: str | None
    raw: str | None
    event_count: int = 0
    listing_count: int = 0
    venue_count: int = 0
    takes_proposals: bool = False  # a local community whose policy is not "closed": /c/SLUG/submit


DIRECTORY_TTL = 60.0  # seconds: the counts may lag a minute; the pages must not scan every object


async def directory(inst: Instance, conn: Any, now: datetime) -> list[CommunityEntry]:
    """The communities here (``actors.social.visibility.communities_here``: local Groups and actors
    a local actor follows with an accepted follow; never the people who reply, mention or
    write to them), each with its counts of upcoming public events, active listings and venues.

    Counting walks every object, so the result is computed once a minute (one GROUP BY for
    all communities, not three subqueries each) and shared by every page that shows it."""
    hit = inst.cache.get("resident:directory")
    if hit is not None and hit[1] > time.monotonic():
        return hit[0]  # type: ignore[no-any-return]
    o = objects.c
    feed_id = await _feed_actor_id(conn)
    rows_q = (
        select(actors.c.id, actors.c.uri, actors.c.local, actors.c.type, actors.c.username, actors.c.domain,
               actors.c.name, actors.c.summary, actors.c.kind, actors.c.raw, actors.c.submission_policy)
        .where(actors.c.deleted_at.is_(None), actors.c.id.in_(communities_here()), actors.c.id != feed_id)
        .order_by(actors.c.local.desc(), actors.c.name, actors.c.id)
    )
    rows = list((await conn.execute(rows_q)).all())

    def tally(*conds: Any) -> Any:
        return func.sum(case((and_(*conds), 1), else_=0))

    counts_q = (
        select(
            o.community_id,
            tally(o.kind == "event", func.coalesce(o.end_time, o.start_time) >= now).label("events"),
            tally(o.kind == "listing", func.coalesce(o.status, "available") != "closed",
                  or_(o.expires_at.is_(None), o.expires_at > now)).label("listings"),
            tally(o.kind == "venue").label("venues"),
        )
        .where(publicly_visible(), o.kind.in_(("event", "listing", "venue")))
        .group_by(o.community_id)
    )
    counts = {r.community_id: r for r in await conn.execute(counts_q)}
    entries = []
    for r in rows:
        c = counts.get(r.id)
        entries.append(CommunityEntry(
            r.id, r.uri, r.local, r.type, r.username, r.domain, r.name, r.summary, r.kind, r.raw,
            int(c.events or 0) if c else 0, int(c.listings or 0) if c else 0, int(c.venues or 0) if c else 0,
            r.local and r.type == "Group" and r.submission_policy != "closed",
        ))
    inst.cache["resident:directory"] = (entries, time.monotonic() + DIRECTORY_TTL)
    return entries


def origin_of(actor: Any) -> str:
    if actor.raw:
        try:
            doc = orjson.loads(actor.raw)
            url = wire.object_url(doc) if isinstance(doc, dict) else None
            if url:
                return url
        except orjson.JSONDecodeError:
            pass
    return str(actor.uri)



async def communities_page(request: Request) -> Response:
    inst = _inst(request)
    async with inst.engine.connect() as conn:
        rows = await directory(inst, conn, inst.clock())
    return render(request, "feed/communities.html", communities=rows, origin_of=origin_of)


async def community_detail(request: Request) -> Response:
    inst = _inst(request)
    async with inst.engine.connect() as conn:
        c = (await conn.execute(select(actors).where(actors.c.id == request.path_params["id"],
                                                      actors.c.id.in_(communities_here()),
                                                      actors.c.deleted_at.is_(None)))).first()
    if c is None:
        return render_error(request, 404, translator(pick_language(request))("feed.no_community"))
    return await _community_view(request, c)


async def community_home(request: Request, slug: str) -> Response:
    """``/c/SLUG`` and ``/@SLUG`` in a browser: a local community's page, as residents see it."""
    inst = _inst(request)
    async with inst.engine.connect() as conn:
        c = await get_local_actor(conn, slug)
    if c is None or c.type != "Group":
        return render_error(request, 404, translator(pick_language(request))("feed.no_community"))
    return await _community_view(request, c)


async def _community_view(request: Request, c: Any) -> Response:
    """A community's page: its notices (pinned first), upcoming events, listings and venues."""
    inst = _inst(request)
    lang = pick_language(request)
    now = inst.clock()
    lists = {}
    async with inst.engine.connect() as conn:
        for kind in ("event", "listing", "venue"):
            f = FeedFilter(kind=kind, community=c.uri)
            lists[kind] = (cards((await query_feed(conn, f, now, limit=50)).items, lang), f"/feed?{f.query_string()}")
        notice_cards = await notices(conn, now, lang, community=c.uri)
        followers = None
        if c.local:
            followers = (await conn.execute(select(func.count()).select_from(follows).where(
                follows.c.followed_id == c.id, follows.c.state == FollowState.ACCEPTED.value))).scalar_one()
    more_notices = f"/feed?{FeedFilter(kind='note', community=c.uri).query_string()}"
    return render(request, "feed/community.html", c=c, handle=handle(c.username, c.domain, c.uri), origin=origin_of(c),
                  summary_text=html_to_text(c.summary or ""), lists=lists, notices=notice_cards,
                  more_notices=more_notices, follower_count=followers)
