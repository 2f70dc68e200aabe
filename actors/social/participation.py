"""What organisers do with an event's participants, from the dashboard and ``yinhu participants``.

An organiser's decision is answered the way the request came: a Mobilizon ``Join`` gets an
``Accept`` / ``Reject`` of that Join (``actors.social.rsvp``); a sign-up by reply from Mastodon or
GoToSocial, which shows no RSVP activity, gets a direct Note (``actors.social.signup``). A reply
sign-up is known by its request: the participation's ``join_uri`` is then the reply itself,
which is stored as an object, while a Join activity never is.

A message to the participants (改到 3 楼) goes as one direct Note per participant, addressed
to that participant only. One Note addressed to all of them would show every recipient's
handle to every other (Mastodon lists and mentions everyone a direct post is addressed to, and
"reply" answers them all), and a participant list is private.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncConnection

from actors.social.conversations import checked_text, send_private
from actors.social.rsvp import RsvpError, decide_participant, find_event
from actors.social.signup import answer_privately
from actors.storage.instance import Instance
from actors.storage.models import ParticipantState, actors, objects, participants

__all__ = ["decide", "message_participants"]


async def decide(inst: Instance, event_uri: str, actor_uri: str, *, approve: bool) -> ParticipantState:
    """Accept or reject a pending participant (or remove an accepted one), answered as asked."""

    async def by_note(conn: AsyncConnection, event: Row[Any], who: Row[Any], state: ParticipantState) -> bool:
        came_by_reply = (await conn.execute(select(objects.c.id).where(objects.c.uri == who.request_uri))).first()
        if came_by_reply is None:
            return False
        reason = "accepted" if state is ParticipantState.ACCEPTED else "declined"
        await answer_privately(inst, conn, event, who.id, reason, in_reply_to=who.request_uri)
        return True

    return await decide_participant(inst, event_uri, actor_uri, approve=approve, answer=by_note)


def _signed(event: Row[Any], text: str) -> str:
    """The organiser's text, then the event it is about (a notification shows no context)."""
    english = (event.language or "").lower().startswith("en")
    about = f"“{event.name}” · {event.uri}" if english else f"「{event.name}」 · {event.uri}"
    return f"{text}\n\n{about}"


async def message_participants(inst: Instance, event_uri: str, text: str) -> int:
    """Send ``text`` privately to every accepted participant of a local event; returns how
    many were sent (participants without an inbox are skipped)."""
    text = checked_text(text, "message", RsvpError)
    async with inst.engine.begin() as conn:
        event = await find_event(conn, event_uri)
        if event is None:
            raise RsvpError(f"no event at {event_uri}")
        organiser = (await conn.execute(select(actors).where(actors.c.id == event.actor_id))).one()
        people = await conn.execute(
            select(actors.c.uri.label("actor_uri"), actors.c.username, actors.c.domain, actors.c.inbox,
                   actors.c.shared_inbox)
            .select_from(participants.join(actors, actors.c.id == participants.c.actor_id))
            .where(participants.c.object_id == event.id, participants.c.state == ParticipantState.ACCEPTED.value,
                   actors.c.deleted_at.is_(None))
            .order_by(participants.c.id)
        )
        body = _signed(event, text)
        language = "en" if (event.language or "").lower().startswith("en") else "zh-CN"
        sent = 0
        for who in people.all():
            if who.inbox or who.shared_inbox:
                await send_private(inst, conn, organiser, who, body, language=language)
                sent += 1
        return sent
