"""What people do with a community's posts, for its organisers: the messages store.

Replies, mentions, direct messages, favourites (``Like``), boosts (``Announce`` of our
objects), reports (``Flag``) and a maybe (``TentativeAccept`` of an event) are recorded as one
``messages`` row per (community, activity). None of them makes anything public: a public
reply is shown under the item it answers (``reply_visible``), never as an item of its own, and
everything else is for the community's owners and moderators only.

Organisers answer as the community (``answer``): a direct message gets a direct Note addressed
only to its author, a public reply a public Note (to Public, cc the author and the followers).
A public answer is stored as a local object of the thread, so it is dereferenceable and shown
under the item; a direct one is only sent (its activity is stored for delivery, as every
activity we send).
"""

from __future__ import annotations

import html
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import orjson
from sqlalchemy import and_, delete, func, insert, select, update
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncConnection

from actors.queues.delivery import follower_inboxes
from actors.queues.sending import emit, new_activity
from actors.social.visibility import DIRECT, FOLLOWERS, PUBLIC, UNLISTED, visibility_of
from actors.storage.instance import Instance, new_token
from actors.storage.models import actors, messages, objects
from actors.storage.text import render_plain
from fedi import vocab
from fedi.content import clean_html, safe_url

__all__ = [
    "KINDS",
    "ConversationError",
    "Recorded",
    "answer",
    "count_reactions",
    "get_message",
    "hide_reply",
    "list_messages",
    "mark_read",
    "record_create",
    "record_reaction",
    "remove_reaction",
    "reply_visible",
    "thread_of",
]

# reply: a public or unlisted reply to one of our objects (shown under it);
# direct: a direct or followers-only message, or a private reply; mention: a public post naming us;
# like, boost, report, interested (TentativeAccept of an event).
KINDS = ("reply", "mention", "direct", "like", "boost", "report", "interested")
MAX_ANSWER = 5000


class ConversationError(Exception):
    """A messages operation cannot be done; the message is for the user."""


@dataclass(frozen=True)
class Recorded:
    """What ``record_create`` found: the local object the thread hangs under (if any), its
    direct parent's id, and the (community id, kind) rows written."""

    root: Row[Any] | None
    rows: tuple[tuple[int, str], ...]

    def summary(self) -> str:
        return ", ".join(f"{kind} for community {cid}" for cid, kind in self.rows) or "no message"


def reply_visible(root_id: Any = None) -> Any:
    """A reply that may be shown under its item: live, public, not hidden, and its thread hangs
    under an object that is itself publicly visible (so a reply never outlives its item)."""
    parent = objects.alias("parent")
    root_public = (
        select(parent.c.id)
        .where(parent.c.id == objects.c.reply_root_id, parent.c.deleted_at.is_(None),
               parent.c.visibility == PUBLIC, parent.c.community_id.is_not(None))
        .exists()
    )
    conds = [objects.c.reply_root_id.is_not(None), objects.c.deleted_at.is_(None), objects.c.hidden_at.is_(None),
             objects.c.visibility == PUBLIC, root_public]
    if root_id is not None:
        conds.append(objects.c.reply_root_id == root_id)
    return and_(*conds)


def _ids(value: Any) -> list[str]:
    return [i for i in (vocab.get_id(v) for v in vocab.as_list(value)) if i]


def _named(obj: Mapping[str, Any], activity: Mapping[str, Any]) -> list[str]:
    """Everyone addressed or mentioned by the object (and its activity)."""
    names: list[str] = []
    for doc in (obj, activity):
        for key in ("to", "cc", "bto", "bcc", "audience"):
            names += _ids(doc.get(key))
        names += [t["href"] for t in vocab.as_list(doc.get("tag"))
                  if isinstance(t, dict) and t.get("type") == "Mention" and isinstance(t.get("href"), str)]
    return list(dict.fromkeys(names))


async def _local_groups(conn: AsyncConnection, uris: Iterable[str]) -> list[int]:
    uris = list(uris)
    if not uris:
        return []
    rows = await conn.execute(
        select(actors.c.id).where(actors.c.uri.in_(uris), actors.c.local.is_(True), actors.c.type == "Group",
                                  actors.c.deleted_at.is_(None))
    )
    return [r.id for r in rows]


async def _insert(conn: AsyncConnection, inst: Instance, **values: Any) -> bool:
    exists = (
        await conn.execute(
            select(messages.c.id).where(messages.c.community_id == values["community_id"],
                                        messages.c.activity_uri == values["activity_uri"])
        )
    ).first()
    if exists:
        return False
    await conn.execute(insert(messages).values(created_at=inst.clock(), **values))
    return True


async def thread_of(conn: AsyncConnection, inst: Instance, parent_uri: str | None) -> Row[Any] | None:
    """The live item a reply to ``parent_uri`` hangs under: the parent itself when it is ours or
    an item of a community here (an aggregator shows replies under those too), else the root of
    the parent's own thread."""
    if not parent_uri:
        return None
    parent = (await conn.execute(select(objects).where(objects.c.uri == parent_uri))).first()
    if parent is None:
        return None
    if parent.reply_root_id is None and (parent.local or parent.community_id is not None):
        return parent if parent.deleted_at is None else None
    if parent.reply_root_id is None:
        return None
    root = (await conn.execute(select(objects).where(objects.c.id == parent.reply_root_id))).first()
    return root if root is not None and root.deleted_at is None else None


async def record_create(
    inst: Instance, conn: AsyncConnection, activity: Mapping[str, Any], obj: Mapping[str, Any], sender: Row[Any],
    *, skip: Iterable[int] = (),
) -> Recorded:
    """After a received object was stored: link it into the thread it replies to (when that
    thread hangs under a local object) and record it for the communities it concerns (but
    ``skip``: those it was submitted to, whose queue has it)."""
    uri = str(obj.get("id"))
    visibility = visibility_of(obj, dict(activity))
    parent = vocab.get_id(obj.get("inReplyTo"))
    root = await thread_of(conn, inst, parent)
    content = clean_html(obj.get("content") if isinstance(obj.get("content"), str) else "", obj.get("tag"))
    written: list[tuple[int, str]] = []
    common = {"actor_id": sender.id, "activity_uri": str(activity.get("id") or uri), "object_uri": uri,
              "content": content, "visibility": visibility}
    if root is not None:
        # A reply is shown under its item, never as an item of its own: no community.
        await conn.execute(
            update(objects).where(objects.c.uri == uri)
            .values(in_reply_to=parent, reply_root_id=root.id, community_id=None)
        )
        kind = "reply" if visibility in (PUBLIC, UNLISTED) else "direct"
        if root.local and await _insert(conn, inst, community_id=root.actor_id, kind=kind, about_id=root.id, **common):
            written.append((root.actor_id, kind))
    skipped = set(skip)
    for community_id in await _local_groups(conn, _named(obj, activity)):
        if (root is not None and community_id == root.actor_id) or community_id in skipped:
            continue
        kind = "direct" if visibility in (DIRECT, FOLLOWERS) else "mention"
        if await _insert(conn, inst, community_id=community_id, kind=kind, about_id=None, **common):
            written.append((community_id, kind))
    return Recorded(root, tuple(written))


async def record_reaction(
    inst: Instance, conn: AsyncConnection, sender: Row[Any], activity: Mapping[str, Any], kind: str,
    target_uri: str, content: str = "",
) -> Row[Any] | None:
    """A favourite, boost, maybe or report about a local object (or, for a report, a local
    community itself); returns the object concerned (None for a community) or raises when it
    is not ours."""
    row = (
        await conn.execute(
            select(objects).where(objects.c.uri == target_uri, objects.c.local.is_(True), objects.c.deleted_at.is_(None))
        )
    ).first()
    if row is not None:
        community_id, about = row.actor_id, row.id
    else:
        found = await _local_groups(conn, [target_uri])
        if not found or kind != "report":
            raise ConversationError(f"{target_uri} is not one of our objects")
        community_id, about = found[0], None
    await _insert(conn, inst, community_id=community_id, kind=kind, actor_id=sender.id,
                  activity_uri=str(activity.get("id")), object_uri=target_uri, about_id=about,
                  content=content, visibility=DIRECT)
    return row


async def remove_reaction(conn: AsyncConnection, sender: Row[Any], activity_uri: str, kinds: Iterable[str]) -> int:
    """Undo of a favourite or boost: its row goes (counts stay true)."""
    res = await conn.execute(
        delete(messages).where(messages.c.activity_uri == activity_uri, messages.c.actor_id == sender.id,
                               messages.c.kind.in_(list(kinds)))
    )
    return int(res.rowcount or 0)


async def count_reactions(conn: AsyncConnection, object_id: int) -> dict[str, int]:
    """Distinct people per kind: ``interested`` counts favourites and maybes together."""
    rows = await conn.execute(
        select(messages.c.kind, func.count(func.distinct(messages.c.actor_id)))
        .where(messages.c.about_id == object_id, messages.c.kind.in_(("like", "boost", "interested")))
        .group_by(messages.c.kind)
    )
    counts = {r[0]: int(r[1]) for r in rows}
    people = (
        await conn.execute(
            select(func.count(func.distinct(messages.c.actor_id)))
            .where(messages.c.about_id == object_id, messages.c.kind.in_(("like", "interested")))
        )
    ).scalar_one()
    return {"interested": int(people), "boosts": counts.get("boost", 0)}


async def list_messages(inst: Instance, community_id: int, *, limit: int = 100) -> list[Row[Any]]:
    """Newest first, with who sent it and what it is about."""
    about = objects.alias("about")
    async with inst.engine.connect() as conn:
        return list(
            await conn.execute(
                select(messages, actors.c.uri.label("actor_uri"), actors.c.username, actors.c.domain,
                       actors.c.name.label("actor_name"), actors.c.raw.label("actor_raw"),
                       about.c.uri.label("about_uri"), about.c.name.label("about_name"),
                       objects.c.hidden_at.label("hidden_at"))
                .select_from(
                    messages.join(actors, actors.c.id == messages.c.actor_id)
                    .outerjoin(about, about.c.id == messages.c.about_id)
                    .outerjoin(objects, and_(objects.c.uri == messages.c.object_uri, messages.c.kind == "reply"))
                )
                .where(messages.c.community_id == community_id)
                .order_by(messages.c.id.desc())
                .limit(limit)
            )
        )


async def get_message(conn: AsyncConnection, community_id: int, message_id: int) -> Row[Any]:
    row = (
        await conn.execute(
            select(messages, actors.c.uri.label("actor_uri"), actors.c.inbox, actors.c.shared_inbox,
                   actors.c.username, actors.c.domain)
            .select_from(messages.join(actors, actors.c.id == messages.c.actor_id))
            .where(messages.c.id == message_id, messages.c.community_id == community_id)
        )
    ).first()
    if row is None:
        raise ConversationError(f"no message {message_id} for this community")
    return row


async def mark_read(inst: Instance, community_id: int, ids: Iterable[int] | None = None) -> int:
    """Mark messages read (all unread ones when ``ids`` is None)."""
    where = [messages.c.community_id == community_id, messages.c.read_at.is_(None)]
    if ids is not None:
        where.append(messages.c.id.in_(list(ids)))
    async with inst.engine.begin() as conn:
        res = await conn.execute(update(messages).where(*where).values(read_at=inst.clock()))
    return int(res.rowcount or 0)


async def hide_reply(inst: Instance, community_id: int, message_id: int, *, hidden: bool = True) -> str:
    """Hide (or show again) the reply a message is: gone from the page and the collection."""
    async with inst.engine.begin() as conn:
        msg = await get_message(conn, community_id, message_id)
        if msg.kind != "reply" or not msg.object_uri:
            raise ConversationError(f"message {message_id} is a {msg.kind}, not a public reply")
        await conn.execute(
            update(objects).where(objects.c.uri == msg.object_uri)
            .values(hidden_at=inst.clock() if hidden else None)
        )
        return str(msg.object_uri)


def _mention_html(who: Row[Any]) -> str:
    name = f"@{who.username}" if who.username else who.actor_uri
    href = safe_url(who.actor_uri) or ""
    return (f'<span class="h-card"><a href="{html.escape(href)}" class="u-url mention">'
            f"{html.escape(name)}</a></span>")


def private_note(inst: Instance, sender: Row[Any], to: Row[Any], text: str, *, in_reply_to: str | None = None,
                 language: str | None = None) -> dict[str, Any]:
    """A direct Note from ``sender`` addressed only to ``to`` (a row with ``actor_uri``,
    ``username``), mentioning them so it reaches their notifications. Not stored as an object:
    a private note is never served."""
    body = render_plain(text) or "<p></p>"
    content = body.replace("<p>", f"<p>{_mention_html(to)} ", 1)
    note = vocab.note(
        object_id=inst.object_uri(new_token()), actor_id=sender.uri, content_html=content, language=language,
        url=sender.uri, published=inst.clock(), to=[to.actor_uri], cc=[],
        tags=[{"type": "Mention", "href": to.actor_uri, "name": _handle(to)}],
    )
    if in_reply_to:
        note["inReplyTo"] = in_reply_to
    return note


def _handle(who: Row[Any]) -> str:
    return f"@{who.username}@{who.domain}" if who.username and who.domain else str(who.actor_uri)


async def send_private(inst: Instance, conn: AsyncConnection, sender: Row[Any], to: Row[Any], text: str, *,
                       in_reply_to: str | None = None, language: str | None = None) -> str:
    """Send a direct Note; returns the Create's id."""
    note = private_note(inst, sender, to, text, in_reply_to=in_reply_to, language=language)
    create = new_activity(inst, "Create", sender, note, to=[to.actor_uri])
    await emit(inst, conn, sender, create, [to.inbox or to.shared_inbox])
    return str(create["id"])


def checked_text(text: str, what: str, error: type[Exception]) -> str:
    """What an organiser sends as the community, stripped: not empty, at most MAX_ANSWER
    characters (``error`` tells why not, naming ``what`` it is)."""
    text = text.strip()
    if not text:
        raise error(f"the {what} is empty")
    if len(text) > MAX_ANSWER:
        raise error(f"the {what} is longer than {MAX_ANSWER} characters")
    return text


async def answer(inst: Instance, community: Row[Any], message_id: int, text: str) -> tuple[str, str]:
    """Answer a message as the community; returns (visibility of the answer, the Create's id).

    A public reply gets a public answer in the thread; anything else a direct answer to its
    author only. Favourites and boosts are answered directly too."""
    text = checked_text(text, "answer", ConversationError)
    async with inst.engine.begin() as conn:
        msg = await get_message(conn, community.id, message_id)
        if not (msg.inbox or msg.shared_inbox):
            raise ConversationError(f"{msg.actor_uri} has no inbox to answer to")
        reply_to = msg.object_uri if msg.kind in ("reply", "mention", "direct") else None
        now = inst.clock()
        if msg.kind == "reply" and msg.visibility == PUBLIC:
            create_id = await _public_answer(inst, conn, community, msg, text, reply_to)
            visibility = PUBLIC
        else:
            create_id = await send_private(inst, conn, community, msg, text, in_reply_to=reply_to)
            visibility = DIRECT
        await conn.execute(update(messages).where(messages.c.id == msg.id).values(answered_at=now, read_at=now))
    return visibility, create_id


async def _public_answer(inst: Instance, conn: AsyncConnection, community: Row[Any], msg: Row[Any], text: str,
                         reply_to: str | None) -> str:
    now = inst.clock()
    uri = inst.object_uri(new_token())
    body = render_plain(text) or "<p></p>"
    content = body.replace("<p>", f"<p>{_mention_html(msg)} ", 1)
    followers = f"{community.uri}/followers"
    note = vocab.note(
        object_id=uri, actor_id=community.uri, content_html=content, language=None, url=uri, published=now,
        to=[vocab.PUBLIC], cc=[followers, msg.actor_uri],
        tags=[{"type": "Mention", "href": msg.actor_uri, "name": _handle(msg)}],
    )
    note["inReplyTo"] = reply_to
    root = await thread_of(conn, inst, reply_to)
    # Stored so that it is dereferenceable and shown in the thread; no community of its own
    # (community_id stays null), so it never becomes an item of the feed or the outbox.
    await conn.execute(
        insert(objects).values(
            uri=uri, actor_id=community.id, local=True, type="Note", source=text, content=content,
            raw=orjson.dumps(note).decode(), published=now, visibility=PUBLIC, community_id=None,
            in_reply_to=reply_to, reply_root_id=root.id if root is not None else None,
        )
    )
    create = new_activity(inst, "Create", community, note, to=[vocab.PUBLIC], cc=[followers, msg.actor_uri])
    # The author once, by the shared inbox when their server has one (as followers are reached).
    inboxes = list(dict.fromkeys([msg.shared_inbox or msg.inbox, *await follower_inboxes(conn, community.id)]))
    await emit(inst, conn, community, create, inboxes, public=False)
    return str(create["id"])

