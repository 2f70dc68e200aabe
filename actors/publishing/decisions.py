"""Moderators' decisions on submissions, for the CLI (``yinhu queue``) and the dashboard alike.

``approve``: an ``object`` submission is announced by the community as it was received
(``actors.social.submissions.announce_approved``); a ``draft`` (a listing read from a plain
post, or a visitor's web proposal) is validated and published as the community's own through
``publish``, crediting the member with a visible line (由 … 提交 · Submitted by …) and a
Mention, or a web visitor by the name they gave (never their contact). ``reject`` sends a
``Reject`` with the reason (not for the web: there is no actor to tell). A Person who
submitted also gets a direct note either way. Each decision writes a ``moderation_log`` row.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import orjson
from sqlalchemy import select, update
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncConnection

from actors.feed.aggregate import boost
from actors.publishing.publishing import Credit, publish
from actors.publishing.validation import ContentError, validate
from actors.social.conversations import checked_text
from actors.social.submissions import (
    APPROVED,
    PENDING,
    REJECTED,
    SubmissionChanged,
    SubmissionError,
    announce_approved,
    claim,
    get_submission,
    inboxes_of,
    log_decision,
    notify,
    seen_mark,
    send_accept,
    send_rejection,
    submitter_of,
)
from actors.social.visibility import object_mark, restored
from actors.storage.domains import SUSPEND, severity_for
from actors.storage.instance import Instance
from actors.storage.models import actors, objects, submissions

__all__ = ["Decision", "approve", "approve_at_once", "reject"]


@dataclass(frozen=True)
class Decision:
    submission_id: int
    state: str
    object_uri: str | None  # what is now public (approved), else the submitted object


async def _load(conn: AsyncConnection, submission_id: int, community_id: int | None,
                seen: str | None = None) -> tuple[Row[Any], Row[Any]]:
    if community_id is None:
        community_id = (await conn.execute(select(submissions.c.community_id)
                                           .where(submissions.c.id == submission_id))).scalar()
        if community_id is None:
            raise SubmissionError(f"no submission {submission_id}")
    row = await get_submission(conn, community_id, submission_id)
    if row.state != PENDING:
        raise SubmissionError(f"submission {submission_id} was already decided ({row.state})")
    if seen is not None and seen != seen_mark(row):
        raise SubmissionChanged(f"submission {submission_id} was edited by its author since it was read; read it again")
    community = (await conn.execute(select(actors).where(actors.c.id == community_id))).one()
    return row, community


async def approve(inst: Instance, submission_id: int, *, by: str | None, draft: dict[str, Any] | None = None,
                  community_id: int | None = None, seen: str | None = None) -> Decision:
    """Approve a pending submission (``draft``: a moderator's corrected body for a draft;
    ``seen``: the ``seen_mark`` of the version the moderator read, refused if it changed since)."""
    async with inst.engine.begin() as conn:
        row, community = await _load(conn, submission_id, community_id, seen)
        if row.shape == "object":
            if draft is not None:
                raise SubmissionError(f"submission {submission_id} is announced as it is; it has no draft to correct")
            if row.object_id is None or (await conn.execute(select(objects.c.deleted_at).where(
                    objects.c.id == row.object_id))).scalar() is not None:
                raise SubmissionError(f"submission {submission_id}: its author deleted it; reject it instead")
            await claim(inst, conn, row, APPROVED, by=by)
            await _vouch(inst, conn, row, by)
            announce_uri = await announce_approved(inst, conn, community, row)
            await boost(inst, row.object_uri or "", row.kind, conn=conn)  # the feed actor too, now it is public
            await conn.execute(update(submissions).where(submissions.c.id == row.id).values(announce_uri=announce_uri))
            await log_decision(inst, conn, row, "approve", by=by, target=row.object_uri or row.activity_uri or "")
            await notify(inst, conn, community, row, approved=True)
            return Decision(row.id, APPROVED, row.object_uri)
        body = draft if draft is not None else orjson.loads(row.draft or "{}")
        validate(body, inst.clock())  # a bad draft is refused before anything changes
        await claim(inst, conn, row, APPROVED, by=by)
    try:
        published = await publish(inst, community.username, _with_credit(body, row), credit=_credit(row))
    except Exception:
        async with inst.engine.begin() as conn:  # nothing was published: pending again
            await conn.execute(update(submissions).where(submissions.c.id == row.id)
                               .values(state=PENDING, decided_by=None, decided_at=None))
        raise
    async with inst.engine.begin() as conn:
        object_id = (await conn.execute(select(objects.c.id).where(objects.c.uri == published.uri))).scalar()
        await conn.execute(update(submissions).where(submissions.c.id == row.id).values(
            object_id=object_id, draft=orjson.dumps(body).decode(), announce_uri=published.activity_uri))
        await log_decision(inst, conn, row, "approve", by=by, target=published.uri)
        if row.origin == "fediverse" and row.actor_uri:
            await send_accept(inst, conn, community, row)
            await notify(inst, conn, community, row, approved=True)
    return Decision(row.id, APPROVED, published.uri)


async def _vouch(inst: Instance, conn: AsyncConnection, row: Row[Any], by: str | None) -> None:
    """A moderator's approval vouches for the version approved (``vouched_mark``): if its
    domain is silenced, that version is shown where the community announces it. An approval
    by the policy vouches for nothing; a suspended domain's post stays hidden."""
    if by == "policy":
        return
    obj = (await conn.execute(select(objects.c.visibility, objects.c.content, objects.c.name)
                              .where(objects.c.id == row.object_id))).one()
    await conn.execute(update(submissions).where(submissions.c.id == row.id)
                       .values(vouched_mark=object_mark(obj.content, obj.name)))
    vis = obj.visibility
    if vis and vis != restored(vis) and await severity_for(inst, row.object_uri or "") != SUSPEND:
        await conn.execute(update(objects).where(objects.c.id == row.object_id).values(visibility=restored(vis)))


_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()<>#+\-.!|~])")


def _md(text: str) -> str:
    return _MD_SPECIAL.sub(r"\\\1", " ".join(text.split()))


def _handle(row: Row[Any]) -> str:
    return f"@{row.username}@{row.domain}" if row.username and row.domain else str(row.actor_uri)


def _with_credit(body: dict[str, Any], row: Row[Any]) -> dict[str, Any]:
    """The body with the credit line after its text: the member (linked) or the web visitor's name."""
    if row.origin == "fediverse" and row.actor_uri:
        who = f"[{_md(_handle(row))}]({row.actor_uri})"
    else:
        who = _md(row.submitter_name or "邻居 a neighbour")
    line = f"由 {who} 提交 · Submitted by {who}"
    text = str(body.get("content") or "").rstrip()
    return {**body, "content": f"{text}\n\n{line}" if text else line}


def _credit(row: Row[Any]) -> Credit | None:
    if row.origin != "fediverse" or not row.actor_uri:
        return None
    return Credit(row.actor_uri, _handle(row), row.inbox or row.shared_inbox)


async def reject(inst: Instance, submission_id: int, *, by: str | None, reason: str,
                 community_id: int | None = None) -> Decision:
    """Reject a pending submission; the submitter (from the fediverse) is told why."""
    reason = checked_text(reason, "reason", SubmissionError)
    async with inst.engine.begin() as conn:
        row, community = await _load(conn, submission_id, community_id)
        await claim(inst, conn, row, REJECTED, by=by, reason=reason)
        if row.origin == "fediverse" and row.actor_uri:
            activity = orjson.loads(row.raw) if row.raw else {"id": row.activity_uri}
            await send_rejection(inst, conn, community, row.actor_uri, inboxes_of(submitter_of(row)), activity, reason)
            await notify(inst, conn, community, row, approved=False, reason=reason)
        await log_decision(inst, conn, row, "reject", by=by, target=row.object_uri or row.activity_uri or "",
                           reason=reason)
    return Decision(row.id, REJECTED, row.object_uri)


async def approve_at_once(inst: Instance, ids: list[int]) -> list[str]:
    """What the policy approves on arrival (open communities, trusted members)."""
    notes = []
    for sid in ids:
        try:
            decision = await approve(inst, sid, by="policy")
            notes.append(f"submission {sid} approved by the policy: {decision.object_uri}")
        except (SubmissionError, ContentError) as exc:
            notes.append(f"submission {sid} left pending: {exc}")
    return notes
