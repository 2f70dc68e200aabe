"""Who may see a received object, and which community it belongs to: one rule for every door.

* ``visibility_of``: the audience from the addressing. ``public`` when the Public collection
  (any spelling) is in ``to``; ``unlisted`` when it is only in ``cc``; ``followers`` when a
  followers collection is addressed; else ``direct``. The object's own ``to``/``cc`` decide;
  the activity's are used only when the object carries none.
* ``communities_here``: the actors that are communities on this instance: local Groups, and
  actors a local actor follows with an accepted follow. Anyone else is a person (an author).
* ``publicly_visible``: the one predicate every public output applies (the feed query behind
  the pages, search, ``/api/feed``, Atom and ICS; ``/items/N``; the venue finder; the outbox;
  the feed actor's boosts): live, ``public``, and belonging to a community here. Non-public
  objects stay stored, never served.
* ``community_for``: attribution by meaning, not by route: the community named by ``audience``
  (FEP-1b12; only when that community brought it or is on the object's own server: anyone
  can write ``audience``), else one named by ``attributedTo``, else the route's candidates in order (the
  followed group that announced it, the followed sender, the outbox owner). ``byline_of``: the
  person shown as its author (Mobilizon's ``actor`` member, else the first ``attributedTo``).
* ``withheld``/``restored``: an object from a silenced or suspended domain keeps its
  visibility behind the ``x-`` mark (``x-public``), so every public door leaves it out with no
  extra join, and lifting the policy restores it exactly (``actors.social.domains``).
  ``vouched``: the version of a post a moderator here approved as a submission; a silence does
  not withhold it (a suspension does): approving announces the post, so it is shown here too.
  An edit is another version, withheld again; an approval by the policy vouches for nothing.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import ColumnElement, CompoundSelect, and_, select, union
from sqlalchemy.ext.asyncio import AsyncConnection

from actors.storage.models import FollowState, actors, follows, objects, submissions
from fedi import vocab

__all__ = [
    "DIRECT",
    "FOLLOWERS",
    "PUBLIC",
    "UNLISTED",
    "byline_of",
    "communities_here",
    "community_for",
    "object_mark",
    "publicly_visible",
    "restored",
    "visibility_of",
    "vouched",
    "vouched_marks",
    "withheld",
]

PUBLIC = "public"
UNLISTED = "unlisted"
FOLLOWERS = "followers"
DIRECT = "direct"
WITHHELD = "x-"  # the mark of a silenced or suspended domain's objects (their visibility follows)


def withheld(visibility: str | None) -> str:
    """The stored visibility of an object its domain's policy keeps off public pages."""
    vis = visibility or DIRECT
    return vis if vis.startswith(WITHHELD) else WITHHELD + vis


def restored(visibility: str | None) -> str:
    """The visibility of a withheld object once its domain's policy is lifted."""
    return (visibility or DIRECT).removeprefix(WITHHELD)


def object_mark(content: str | None, name: str | None) -> str:
    """A fingerprint of what a post says (its text and its title): the version a moderator
    vouched for, which an edit changes."""
    return hashlib.sha256(f"{content or ''}\0{name or ''}".encode()).hexdigest()[:16]


def vouched_marks() -> Any:
    """The join of objects to the versions moderators vouched for (``submissions.vouched_mark``)."""
    return objects.outerjoin(submissions, and_(submissions.c.object_id == objects.c.id,
                                               submissions.c.state == "approved",
                                               submissions.c.vouched_mark.is_not(None)))


async def vouched(conn: AsyncConnection, uri: str, content: str | None, name: str | None) -> bool:
    """Whether a moderator here approved this version (``content``, ``name``) of the post at ``uri``."""
    marks = await conn.execute(select(submissions.c.vouched_mark).select_from(vouched_marks())
                               .where(objects.c.uri == uri, submissions.c.vouched_mark.is_not(None)))
    return object_mark(content, name) in {m for (m,) in marks}


def _ids(value: Any) -> list[str]:
    return [i for i in (vocab.get_id(v) for v in vocab.as_list(value)) if i]


def visibility_of(obj: Mapping[str, Any], activity: Mapping[str, Any] | None = None) -> str:
    doc: Mapping[str, Any] = obj
    if not (obj.get("to") or obj.get("cc")) and activity is not None:
        doc = activity
    to, cc = _ids(doc.get("to")), _ids(doc.get("cc"))
    if any(a in vocab.PUBLIC_ALIASES for a in to):
        return PUBLIC
    if any(a in vocab.PUBLIC_ALIASES for a in cc):
        return UNLISTED
    if any(a.rstrip("/").endswith("/followers") or "/followers/" in a for a in to + cc):
        return FOLLOWERS
    return DIRECT


def communities_here() -> CompoundSelect:
    """Ids of the actors that are communities here (a subquery for ``IN``)."""
    local_ids = select(actors.c.id).where(actors.c.local.is_(True))
    return union(
        select(actors.c.id).where(actors.c.local.is_(True), actors.c.type == "Group", actors.c.deleted_at.is_(None)),
        select(follows.c.followed_id).where(
            follows.c.state == FollowState.ACCEPTED.value, follows.c.follower_id.in_(local_ids)
        ),
    )


def publicly_visible(*, live: bool = True) -> ColumnElement[bool]:
    """The object may be shown publicly. Never NULL (so that ``~publicly_visible()`` holds for
    rows without a visibility or community). ``live=False`` also matches deleted ones (to
    answer 410 rather than 404 for what was public)."""
    o = objects.c
    # ``community_id + 0``: the membership test must not choose the index. Every public row
    # passes it, and a planner without statistics (SQLite, which the app never ANALYZEs) would
    # otherwise read every row through ix_objects_community_id and sort them all (100 ms at
    # 20,000 objects) instead of walking the feed's ordered indexes and stopping at a page.
    conds = [o.visibility.is_not(None), o.visibility == PUBLIC, o.community_id.is_not(None),
             (o.community_id + 0).in_(communities_here())]
    return and_(o.deleted_at.is_(None), *conds) if live else and_(*conds)


async def _community_rows(conn: AsyncConnection, uris: Iterable[str]) -> dict[str, int]:
    uris = [u for u in dict.fromkeys(uris) if u]
    if not uris:
        return {}
    rows = await conn.execute(
        select(actors.c.uri, actors.c.id).where(actors.c.uri.in_(uris), actors.c.id.in_(communities_here()))
    )
    return {r.uri: r.id for r in rows}


async def community_for(conn: AsyncConnection, obj: Mapping[str, Any], route: Iterable[str | None] = ()) -> int | None:
    """The id of the community ``obj`` belongs to, or None when it belongs to none here."""
    routed = [r for r in route if r]
    # Anyone can write ``audience`` and ``attributedTo``: a community named there counts when it
    # brought the object (its Announce or outbox) or lives on the object's own server (which
    # vouches for it). A remote post naming a community here joins it only through the
    # submissions queue (actors.social.submissions), never by naming it.
    host = _host(str(obj.get("id") or ""))
    audience = [a for a in _ids(obj.get("audience")) if a in routed or _host(a) == host]
    attributed = [a for a in _ids(obj.get("attributedTo")) if a in routed or _host(a) == host]
    found = await _community_rows(conn, audience + attributed + routed)
    for uri in audience + attributed + routed:
        if uri in found:
            return found[uri]
    return None


def _host(uri: str) -> str:
    return urlsplit(uri).netloc.lower()


def byline_of(obj: Mapping[str, Any], fallback: str) -> str:
    """The person shown as the author: Mobilizon names the member in ``actor`` while
    ``attributedTo`` is the group; others put the person first in ``attributedTo``."""
    actor = vocab.get_id(obj.get("actor"))
    if actor:
        return actor
    attributed = _ids(obj.get("attributedTo"))
    return attributed[0] if attributed else fallback
