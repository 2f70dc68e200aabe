"""Proposals from the web: an event, a listing or a notice a visitor without an account offers
a community, stored as a ``submissions`` row (origin "web", shape "draft") for its moderators.

A web proposal always waits for a moderator, whatever the community's policy: nobody vouches
for an anonymous visitor. The body is the one the dashboard's form makes (validated before it
is stored, by ``web.submit``, and again when a moderator approves it); ``contact`` is for
moderators only.

Proposals are limited per client (``client_key``, a hash of the address the web door computes):
at most ``PER_HOUR`` an hour and ``PER_DAY`` a day, counted in the database so every process
serving the instance shares the count. ``store_proposal`` counts and inserts in one transaction
(on PostgreSQL under a lock per client, on SQLite under the write lock the insert takes), so
concurrent posts from one client cannot slip past the limit together.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import orjson
from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncConnection

from actors.storage.instance import Instance
from actors.storage.models import submissions
from actors.storage.text import render_markdown

__all__ = [
    "PER_DAY",
    "PER_HOUR",
    "Proposal",
    "TooManyProposals",
    "count_links",
    "proposal_html",
    "retry_after",
    "store_proposal",
]

PER_HOUR = 5
PER_DAY = 20
WINDOWS = ((timedelta(hours=1), PER_HOUR), (timedelta(days=1), PER_DAY))
URL_RE = re.compile(r"(?:https?://|www\.)\S+|\b[a-z0-9-]+(?:\.[a-z0-9-]+)*\.(?:com|net|org|cn|io|cc|xyz|top|info)/\S*",
                    re.IGNORECASE)
KINDS = ("event", "listing", "note")


@dataclass(frozen=True)
class Proposal:
    community_id: int
    kind: str  # event | listing | note
    draft: dict[str, Any]  # the body, as publish() takes it
    submitter_name: str | None
    contact: str
    client_key: str


def count_links(*texts: str) -> int:
    """How many web addresses the texts hold (``http://…``, ``www.…``, ``name.com/…``)."""
    return sum(len(URL_RE.findall(t)) for t in texts)


def proposal_html(kind: str, body: dict[str, Any]) -> str:
    """What the moderators read: the title, the other fields as a list (``start: …``, ``price:
    …``), then the text, all escaped or sanitized."""
    title = body.get("title") or body.get("name")
    head = f"<p><strong>{html.escape(str(title))}</strong></p>" if title else ""

    def plain(value: Any) -> str:
        if isinstance(value, dict):
            return ", ".join(f"{k} {plain(v)}" for k, v in value.items() if v not in (None, ""))
        return ", ".join(map(str, value)) if isinstance(value, list) else str(value)

    facts = [f"<li>{html.escape(k)}: {html.escape(plain(v))}</li>" for k, v in body.items()
             if k not in ("type", "title", "name", "content") and v not in (None, "", [], {})]
    listed = f"<ul>{''.join(facts)}</ul>" if facts else ""
    return head + listed + render_markdown(str(body.get("content") or ""))


class TooManyProposals(Exception):
    """This client proposed its limit; ``wait``: seconds until it may again."""

    def __init__(self, wait: int) -> None:
        super().__init__(f"too many proposals; try again in {wait} s")
        self.wait = wait


async def retry_after(inst: Instance, client_key: str) -> int:
    """Seconds this client must wait before its next proposal (0: it may propose now)."""
    async with inst.engine.connect() as conn:
        return await _wait(conn, client_key, inst.clock())


async def _wait(conn: AsyncConnection, client_key: str, now: datetime, *, besides: int | None = None) -> int:
    """``retry_after`` on ``conn``, leaving out the row ``besides`` (one being inserted)."""
    query = (select(submissions.c.created_at)
             .where(submissions.c.client_key == client_key, submissions.c.created_at > now - WINDOWS[-1][0])
             .order_by(submissions.c.created_at.desc()).limit(PER_DAY))
    if besides is not None:
        query = query.where(submissions.c.id != besides)
    times = [r.created_at for r in await conn.execute(query)]
    wait = 0.0
    for window, limit in WINDOWS:
        recent = [_aware(t, now) for t in times if _aware(t, now) > now - window]
        if len(recent) >= limit:  # free again when the limit-th newest leaves the window
            wait = max(wait, (recent[limit - 1] + window - now).total_seconds())
    return int(wait) + 1 if wait > 0 else 0


def _aware(moment: datetime, now: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=now.tzinfo)


async def store_proposal(inst: Instance, p: Proposal) -> int:
    """Store the proposal, pending; its id. ``TooManyProposals`` (nothing stored) when the
    client is over its limit, counted in the same transaction as the insert."""
    if p.kind not in KINDS:
        raise ValueError(f"a web proposal is an event, a listing or a note, not {p.kind!r}")
    now = inst.clock()
    async with inst.engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            await conn.execute(text("SELECT pg_advisory_xact_lock(hashtext(:k))"), {"k": f"proposal:{p.client_key}"})
        result = await conn.execute(submissions.insert().values(
            community_id=p.community_id, actor_id=None, origin="web", shape="draft", kind=p.kind,
            draft=orjson.dumps(p.draft).decode(), content=proposal_html(p.kind, p.draft),
            submitter_name=p.submitter_name, contact=p.contact, client_key=p.client_key, state="pending",
            created_at=now,
        ).returning(submissions.c.id))
        sid = int(result.scalar_one())
        wait = await _wait(conn, p.client_key, now, besides=sid)
        if wait:
            raise TooManyProposals(wait)  # the transaction is rolled back: nothing stored
        return sid
