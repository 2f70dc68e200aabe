"""Members' submissions to a community: what counts as one, the community's policy, the queue,
and what a decision sends (FEP-1b12).

* Intake (``submission_targets``): a received ``Create`` submits its object to a local
  community when the object is public or unlisted, is no reply (replies are conversations:
  ``actors.social.conversations``) and names the community: a ``Mention`` tag (Mastodon), its
  ``audience`` (FEP-1b12: Lemmy, Mbin, PieFed) or its ``to``/``cc`` (Mobilizon, Gancio, Fedify
  sending a structured object to the group). Nothing the community sends itself is one.
* Policy (``actors.submission_policy``, null: moderated): ``open`` approves members' and
  accepted followers' submissions at once and queues the rest; ``moderated`` queues
  everything, except members' when the community trusts members; ``closed`` refuses with a
  ``Reject``. A person banned from the community (``community_bans``) is always refused.
* A pending submission's object is stored with no community (``objects.community_id`` null),
  so ``actors.social.visibility.publicly_visible`` keeps it off every public page until a
  moderator approves it.
* Approval of an object (``announce_approved``): the community sends ``Announce`` of the
  received ``Create``, unchanged (FEP-1b12), and ``Announce`` of the object's id (a boost for
  Mastodon) to its followers, and ``Accept{object: Create}`` to the submitter; the object
  becomes the community's. A rejection (``send_rejection``) is ``Reject{object: Create,
  summary: reason}``. A Person also gets a short direct note saying so (``notify``).
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from types import SimpleNamespace
from typing import Any

import orjson
from sqlalchemy import insert, select, update
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncConnection

from actors.queues.delivery import follower_inboxes
from actors.queues.sending import emit, new_activity
from actors.social.conversations import send_private
from actors.social.local import CommunityError, require_local_actor
from actors.social.members import is_member
from actors.social.moderation import domain_policy_for, is_banned, log
from actors.social.visibility import PUBLIC, UNLISTED, visibility_of
from actors.storage.instance import Instance
from actors.storage.models import (
    FollowState,
    actors,
    follows,
    objects,
    submissions,
)
from fedi import vocab
from fedi.content import clean_html
from fedi.content.posts import read_post

__all__ = [
    "APPROVED",
    "LISTING_KINDS",
    "PENDING",
    "POLICIES",
    "REJECTED",
    "SubmissionChanged",
    "SubmissionError",
    "Taken",
    "Target",
    "age_of",
    "announce_approved",
    "claim",
    "get_submission",
    "inboxes_of",
    "list_queue",
    "log_decision",
    "notify",
    "policy_of",
    "record_submission",
    "refresh_pending",
    "refuse",
    "seen_mark",
    "send_accept",
    "send_rejection",
    "set_policy",
    "submission_targets",
    "submitter_of",
    "take",
]

POLICIES = ("open", "moderated", "closed")
# Community kinds whose members trade and help each other (the demo's market is an interest
# community; compounds and villages are neighbours): a plain post to them is read as a listing.
LISTING_KINDS = ("interest", "compound", "village")
PENDING, APPROVED, REJECTED = "pending", "approved", "rejected"


class SubmissionError(Exception):
    """A queue operation cannot be done; the message is for the moderator."""


class SubmissionChanged(SubmissionError):
    """The submission was edited (an ``Update`` from its author) after the moderator read it."""


def seen_mark(row: Any) -> str:
    """A short fingerprint of what a moderator reads of a submission: its text, its draft and
    the object's title. An approval given with the mark of another version is refused, so what
    is approved is what was read."""
    parts = (row.content or "", row.draft or "", getattr(row, "object_name", None) or "")
    return hashlib.sha256("\0".join(parts).encode()).hexdigest()[:16]


@dataclass(frozen=True)
class Target:
    """A community a received Create submits to, and what its policy says: ``queue``,
    ``approve`` (at once) or ``refuse`` (with ``reason``)."""

    community: Row[Any]
    verdict: str
    reason: str = ""


def _ids(value: Any) -> list[str]:
    return [i for i in (vocab.get_id(v) for v in vocab.as_list(value)) if i]


def _named(obj: Mapping[str, Any], activity: Mapping[str, Any]) -> list[str]:
    names = _ids(obj.get("audience"))
    names += [t["href"] for t in vocab.as_list(obj.get("tag"))
              if isinstance(t, dict) and t.get("type") == "Mention" and isinstance(t.get("href"), str)]
    for doc in (obj, activity):
        names += _ids(doc.get("to")) + _ids(doc.get("cc"))
    return list(dict.fromkeys(names))


async def _is(conn: AsyncConnection, query: Any) -> bool:
    return (await conn.execute(query.limit(1))).first() is not None


async def _verdict(conn: AsyncConnection, community: Row[Any], sender_id: int | None, *, silenced: bool) -> Target:
    if sender_id is not None and await is_banned(conn, community.id, sender_id):
        return Target(community, "refuse", "banned from this community")
    policy = community.submission_policy or "moderated"
    if policy == "closed":
        return Target(community, "refuse", "this community takes no submissions")
    if silenced:  # a silenced domain's people may submit, never past the moderators
        return Target(community, "queue")
    member = sender_id is not None and await is_member(conn, community.id, sender_id)
    if member and (policy == "open" or community.trust_members):
        return Target(community, "approve")
    if policy == "open" and sender_id is not None and await _is(conn, select(follows.c.id).where(
            follows.c.followed_id == community.id, follows.c.follower_id == sender_id,
            follows.c.state == FollowState.ACCEPTED.value)):
        return Target(community, "approve")
    return Target(community, "queue")


async def submission_targets(
    inst: Instance, conn: AsyncConnection, activity: Mapping[str, Any], obj: Mapping[str, Any], sender: str
) -> list[Target]:
    """The local communities a received Create submits its object to, each with its verdict."""
    if obj.get("inReplyTo") or visibility_of(obj, dict(activity)) not in (PUBLIC, UNLISTED):
        return []
    uris = [u for u in _named(obj, activity) if u != sender]
    if not uris:
        return []
    rows = list(await conn.execute(select(actors).where(
        actors.c.uri.in_(uris), actors.c.local.is_(True), actors.c.type == "Group", actors.c.deleted_at.is_(None))))
    sender_id = (await conn.execute(select(actors.c.id).where(actors.c.uri == sender))).scalar()
    silenced = await domain_policy_for(inst, sender) == "silence"
    return [await _verdict(conn, community, sender_id, silenced=silenced)
            for community in rows if community.username != "yinhu"]


async def record_submission(
    inst: Instance, conn: AsyncConnection, community: Row[Any], activity: Mapping[str, Any], sender: Row[Any],
    *, content: str, kind: str, shape: str = "object", object_row: Row[Any] | None = None,
    draft: Mapping[str, Any] | None = None, state: str = PENDING, reason: str | None = None,
) -> int | None:
    """One row per (community, activity); None when this activity was recorded before."""
    activity_uri = str(activity.get("id"))
    known = select(submissions.c.id).where(submissions.c.community_id == community.id,
                                           submissions.c.activity_uri == activity_uri)
    if (await conn.execute(known)).first() is not None:
        return None
    now = inst.clock()
    result = await conn.execute(insert(submissions).values(
        community_id=community.id, actor_id=sender.id, origin="fediverse", shape=shape, kind=kind,
        activity_uri=activity_uri, object_uri=object_row.uri if object_row is not None else vocab.get_id(activity.get("object")),
        raw=orjson.dumps(activity).decode() if state != REJECTED else None,
        draft=orjson.dumps(draft).decode() if draft is not None else None, content=content,
        submitter_name=sender.name or sender.username, state=state, reason=reason,
        object_id=object_row.id if object_row is not None else None, created_at=now,
        decided_at=now if state != PENDING else None, decided_by="policy" if state != PENDING else None,
    ))
    return int(result.inserted_primary_key[0])


async def refuse(inst: Instance, conn: AsyncConnection, target: Target, activity: Mapping[str, Any],
                 sender: Row[Any], content: str, kind: str) -> bool:
    """A refused submission: the rejected row only (no raw activity, no object) and a Reject."""
    sid = await record_submission(inst, conn, target.community, activity, sender, content=content, kind=kind,
                                  state=REJECTED, reason=target.reason)
    if sid is None:
        return False
    await send_rejection(inst, conn, target.community, sender.uri, inboxes_of(sender), activity, target.reason)
    return True


@dataclass
class Taken:
    """What intake did with a stored object: the submissions to approve at once (policy), the
    communities it was submitted to (their mention is no message of its own), a summary."""

    approve: list[int]
    communities: list[int]
    notes: list[str]

    def summary(self) -> str:
        return "; ".join(self.notes)


def _mention_names(obj: Mapping[str, Any]) -> list[str]:
    names = [str(t.get("name")) for t in vocab.as_list(obj.get("tag"))
             if isinstance(t, dict) and t.get("type") == "Mention" and t.get("name")]
    return list(dict.fromkeys(names + ["@" + n.lstrip("@").split("@", 1)[0] for n in names]))


def _images(obj: Mapping[str, Any]) -> list[dict[str, str]]:
    found = []
    for a in vocab.as_list(obj.get("attachment")):
        if isinstance(a, dict) and str(a.get("mediaType") or "").startswith("image/") and isinstance(a.get("url"), str):
            found.append({"url": a["url"], "alt": str(a.get("name") or "")})
    return found


def shape_of(community: Row[Any], obj: Mapping[str, Any], stored_kind: str | None,
             text: str) -> tuple[str, str, dict[str, Any] | None]:
    """(shape, kind, draft body): a structured object, or a Note with ``audience``, is announced
    as it is; a plain post to a community that takes listings is read, and a listing becomes a
    draft the community publishes as its own."""
    kind = stored_kind or "note"
    plain = obj.get("type") == "Note" and kind == "note" and community.uri not in _ids(obj.get("audience"))
    if not plain or community.kind not in LISTING_KINDS:
        return "object", kind, None
    tags = [str(t.get("name", "")).lstrip("#") for t in vocab.as_list(obj.get("tag"))
            if isinstance(t, dict) and t.get("type") == "Hashtag"]
    reading = read_post(text, hashtags=tags, images=_images(obj), mention_names=_mention_names(obj))
    if reading.kind != "listing":
        return "object", "note", None
    return "draft", "listing", dict(reading.body)


async def take(inst: Instance, conn: AsyncConnection, targets: list[Target], activity: Mapping[str, Any],
               obj: Mapping[str, Any], sender: Row[Any], stored_uri: str | None) -> Taken:
    """Record a stored object's submissions (refusing where the policy says so); with no
    ``stored_uri`` (every target refused, so nothing was stored) only the refusals."""
    from actors.storage.text import html_to_text

    taken = Taken([], [], [])
    stored = None
    if stored_uri is not None:
        stored = (await conn.execute(select(objects).where(objects.c.uri == stored_uri))).first()
    content = clean_html(obj.get("content") if isinstance(obj.get("content"), str) else "", obj.get("tag"))
    for target in targets:
        community = target.community
        taken.communities.append(community.id)
        if target.verdict == "refuse":
            await refuse(inst, conn, target, activity, sender, content, stored.kind if stored else "note")
            taken.notes.append(f"refused for {community.username}: {target.reason}")
            continue
        shape, kind, draft = shape_of(community, obj, stored.kind if stored else None, html_to_text(content))
        sid = await record_submission(inst, conn, community, activity, sender, content=content, kind=kind,
                                      shape=shape, object_row=stored, draft=draft)
        if sid is not None and target.verdict == "approve":
            taken.approve.append(sid)
        taken.notes.append(f"submission {sid} ({shape} {kind}) to {community.username}: {target.verdict}")
    return taken


async def refresh_pending(inst: Instance, conn: AsyncConnection, obj: Mapping[str, Any], stored_uri: str) -> int:
    """An Update of an object that waits in a queue: what the moderators read (and a draft read
    from it) follows the object, so what they approve is what they saw. Returns the rows changed."""
    from actors.storage.text import html_to_text

    rows = list(await conn.execute(
        select(submissions.c.id, submissions.c.shape, submissions.c.kind, actors.c.kind.label("community_kind"),
               actors.c.uri.label("community_uri"))
        .join(actors, actors.c.id == submissions.c.community_id)
        .where(submissions.c.object_uri == stored_uri, submissions.c.state == PENDING)))
    content = clean_html(obj.get("content") if isinstance(obj.get("content"), str) else "", obj.get("tag"))
    for row in rows:
        values: dict[str, Any] = {"content": content}
        if row.shape == "draft":
            community = SimpleNamespace(kind=row.community_kind, uri=row.community_uri)
            shape, _kind, draft = shape_of(community, obj, None, html_to_text(content))  # type: ignore[arg-type]
            if shape == "draft":
                values["draft"] = orjson.dumps(draft).decode()
        await conn.execute(update(submissions).where(submissions.c.id == row.id).values(**values))
    return len(rows)


# --- policy -----------------------------------------------------------------------------------
async def policy_of(inst: Instance, slug: str) -> tuple[str, bool]:
    async with inst.engine.connect() as conn:
        community = await require_local_actor(conn, slug, community=True)
    return community.submission_policy or "moderated", bool(community.trust_members)


async def set_policy(inst: Instance, slug: str, *, submissions: str | None = None,
                     trust_members: bool | None = None) -> tuple[str, bool]:
    """Change a community's policy (either part); returns the policy now in force."""
    if submissions is not None and submissions not in POLICIES:
        raise CommunityError(f"unknown submission policy {submissions!r}; choose one of {', '.join(POLICIES)}")
    async with inst.engine.begin() as conn:
        community = await require_local_actor(conn, slug, community=True)
        if community.type != "Group" or community.username == "yinhu":
            raise CommunityError(f"no community {slug!r} on this instance")
        values: dict[str, Any] = {}
        if submissions is not None:
            values["submission_policy"] = submissions
        if trust_members is not None:
            values["trust_members"] = trust_members
        if values:
            await conn.execute(update(actors).where(actors.c.id == community.id).values(updated_at=inst.clock(), **values))
    inst.cache.pop(f"actor-doc:{slug}", None)  # the profile shows the policy
    return await policy_of(inst, slug)


# --- the queue --------------------------------------------------------------------------------
def _queue_query() -> Any:
    return (select(submissions, actors.c.uri.label("actor_uri"), actors.c.username, actors.c.domain,
                   actors.c.type.label("actor_type"), actors.c.inbox, actors.c.shared_inbox,
                   objects.c.name.label("object_name"))
            .select_from(submissions.outerjoin(actors, actors.c.id == submissions.c.actor_id)
                         .outerjoin(objects, objects.c.id == submissions.c.object_id)))


async def list_queue(inst: Instance, community_id: int, *, state: str = PENDING, limit: int = 100) -> list[Row[Any]]:
    """A community's submissions in ``state`` (default: pending), oldest first."""
    async with inst.engine.connect() as conn:
        return list(await conn.execute(
            _queue_query().where(submissions.c.community_id == community_id, submissions.c.state == state)
            .order_by(submissions.c.id).limit(limit)))


async def get_submission(conn: AsyncConnection, community_id: int, submission_id: int) -> Row[Any]:
    row = (await conn.execute(_queue_query().where(submissions.c.id == submission_id,
                                                    submissions.c.community_id == community_id))).first()
    if row is None:
        raise SubmissionError(f"no submission {submission_id} for this community")
    return row


async def claim(inst: Instance, conn: AsyncConnection, row: Row[Any], state: str, *, by: str | None,
                reason: str | None = None) -> None:
    """Move a pending submission to ``state``; refuses one decided already (also concurrently)
    and one the author's ``Update`` changed since ``row`` was read (also concurrently: on
    PostgreSQL the UPDATE re-checks its conditions against a row committed meanwhile)."""
    res = await conn.execute(
        update(submissions).where(submissions.c.id == row.id, submissions.c.state == PENDING,
                                  submissions.c.content == row.content,
                                  submissions.c.draft.is_not_distinct_from(row.draft))
        .values(state=state, decided_by=by, decided_at=inst.clock(), reason=reason))
    if res.rowcount != 1:
        now = (await conn.execute(select(submissions.c.state).where(submissions.c.id == row.id))).scalar()
        if now == PENDING:
            raise SubmissionChanged(f"submission {row.id} was edited by its author since it was read; read it again")
        raise SubmissionError(f"submission {row.id} was already decided ({now or row.state})")


async def log_decision(inst: Instance, conn: AsyncConnection, row: Row[Any], action: str, *, by: str | None,
                       target: str, reason: str = "") -> None:
    await log(conn, inst, action, target, reason, community_id=row.community_id, by=by)


# --- on the wire --------------------------------------------------------------------------------
def submitter_of(row: Row[Any]) -> SimpleNamespace:
    """The submitter as ``send_private`` addresses them."""
    return SimpleNamespace(actor_uri=row.actor_uri, username=row.username, domain=row.domain, inbox=row.inbox,
                           shared_inbox=row.shared_inbox)


def _received(raw: str | None) -> dict[str, Any]:
    return orjson.loads(raw) if raw else {}


def _bare(activity: Mapping[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in activity.items() if k != "@context"}


def inboxes_of(sender: Any) -> list[str]:
    return [i for i in (sender.inbox or sender.shared_inbox,) if i]


async def announce_approved(inst: Instance, conn: AsyncConnection, community: Row[Any], row: Row[Any]) -> str:
    """The object becomes the community's and is announced twice; the submitter gets an Accept.
    Returns the id of the Announce of the object (what Mastodon shows as the boost)."""
    create = _received(row.raw)
    if row.object_id is not None:
        await conn.execute(update(objects).where(objects.c.id == row.object_id).values(community_id=community.id))
    followers = f"{community.uri}/followers"
    inboxes = await follower_inboxes(conn, community.id)
    wrapped = new_activity(inst, "Announce", community, create, to=[vocab.PUBLIC], cc=[followers], published=inst.clock())
    await emit(inst, conn, community, wrapped, inboxes)
    boosted = vocab.get_id(create.get("object")) or row.object_uri  # a venue's Page, as it was pushed
    boost = new_activity(inst, "Announce", community, boosted, to=[vocab.PUBLIC], cc=[followers],
                         published=inst.clock())
    # Public: the community's boost is in its outbox (the outbox shows it while the object is visible).
    await emit(inst, conn, community, boost, inboxes, public=True)
    await send_accept(inst, conn, community, row)
    return str(boost["id"])


async def send_accept(inst: Instance, conn: AsyncConnection, community: Row[Any], row: Row[Any]) -> None:
    """``Accept{object: the Create}`` to the submitter."""
    accept = new_activity(inst, "Accept", community, _bare(_received(row.raw)) or row.activity_uri, to=[row.actor_uri])
    await emit(inst, conn, community, accept, inboxes_of(submitter_of(row)))


async def send_rejection(inst: Instance, conn: AsyncConnection, community: Row[Any], to: str, inboxes: list[str],
                         activity: Mapping[str, Any], reason: str) -> None:
    """``Reject{object: the Create, summary: reason}`` to the submitter."""
    doc = new_activity(inst, "Reject", community, _bare(activity), to=[to])
    doc["summary"] = reason
    await emit(inst, conn, community, doc, inboxes)


APPROVED_TEXT = "你向「{name}」的投稿已通过审核并发布。\nYour submission to {name} was approved and published."
REJECTED_TEXT = "你向「{name}」的投稿未通过审核：{reason}\nYour submission to {name} was not approved: {reason}"


async def notify(inst: Instance, conn: AsyncConnection, community: Row[Any], row: Row[Any], *, approved: bool,
                 reason: str = "") -> str | None:
    """A short direct note to a Person who submitted (Mastodon shows it as a notification)."""
    if row.actor_type != "Person" or not (row.inbox or row.shared_inbox):
        return None
    name = community.name or community.username
    text = APPROVED_TEXT.format(name=name) if approved else REJECTED_TEXT.format(name=name, reason=reason)
    return await send_private(inst, conn, community, submitter_of(row), text, in_reply_to=row.object_uri,
                              language="zh")


def age_of(row: Row[Any], now: datetime) -> str:
    seconds = int((now - row.created_at).total_seconds())
    for size, unit in ((86400, "d"), (3600, "h"), (60, "min")):
        if seconds >= size:
            return f"{seconds // size} {unit}"
    return f"{max(seconds, 0)} s"
