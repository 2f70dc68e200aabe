"""Signing up from Mastodon: a reply with a sign-up word, or Friendica's / Hubzilla's
``Accept`` / ``TentativeAccept`` / ``Reject`` of an event.

A reply to a local event whose text (HTML stripped, mentions removed, trailing punctuation
dropped, case ignored) is one of ``JOIN_WORDS`` asks to join, one of ``LEAVE_WORDS`` to leave.
The request goes through the same decision as a Mobilizon ``Join`` (``actors.social.rsvp``:
join mode and capacity), and the community answers at once with a direct Note addressed only to
the participant and mentioning them, so it reaches their notifications: 已报名 · 时间 · 剩余
名额, 名额已满, 等待组织者确认 and so on, in the event's language (Chinese unless the event is
English). The wording lives here, beside the event summary line's own two languages in
``fedi.content``, because it goes over the wire, not through the web catalogs.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import select
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncConnection

from actors.social.conversations import send_private
from actors.social.rsvp import decide_join, event_counts, find_event, leave_event
from actors.storage.instance import Instance
from actors.storage.models import ParticipantState, actors, participants
from actors.storage.text import html_to_text

__all__ = ["JOIN_WORDS", "LEAVE_WORDS", "answer_privately", "sign_up", "signup_intent"]

JOIN_WORDS = frozenset({"报名", "参加", "我要参加", "我要报名", "+1", "join", "going", "i'm going", "im going"})
LEAVE_WORDS = frozenset({"取消报名", "不去了", "cancel", "取消"})
_MENTION = re.compile(r"(?<![\w])@[\w.\-]+(?:@[\w.\-]+(?::\d+)?)?")
_TRAILING = re.compile(r"[\s!！。.,，~～?？:：;；]+$")


def signup_intent(content_html: str) -> str | None:
    """``"join"``, ``"leave"`` or None for a reply's HTML."""
    text = _MENTION.sub(" ", html_to_text(content_html or ""))
    text = _TRAILING.sub("", " ".join(text.split())).strip().lower()
    if text in JOIN_WORDS:
        return "join"
    if text in LEAVE_WORDS:
        return "leave"
    return None


_TEXT = {
    "zh": {
        "accepted": "已报名「{name}」 · {when} · {left}",
        "already": "你已报名「{name}」 · {when} · {left}",
        "pending": "已收到你的报名「{name}」，等待组织者确认",
        "declined": "很抱歉，组织者没有接受你对「{name}」的报名",
        "full": "「{name}」名额已满",
        "cancelled": "「{name}」已取消",
        "invite": "「{name}」仅限受邀者参加",
        "none": "「{name}」无需报名",
        "external": "「{name}」请在外部页面报名：{url}",
        "left": "已取消报名「{name}」",
        "not_in": "你还没有报名「{name}」",
        "left_n": "剩余 {n} 个名额",
        "unlimited": "不限人数",
    },
    "en": {
        "accepted": "You're signed up for “{name}” · {when} · {left}",
        "already": "You're already signed up for “{name}” · {when} · {left}",
        "pending": "We got your sign-up for “{name}”; the organisers will confirm it",
        "declined": "Sorry, the organisers of “{name}” could not accept your sign-up",
        "full": "Sorry, “{name}” is full",
        "cancelled": "“{name}” is cancelled",
        "invite": "“{name}” is by invitation only",
        "none": "“{name}” needs no sign-up",
        "external": "Sign up for “{name}” here: {url}",
        "left": "Your sign-up for “{name}” is cancelled",
        "not_in": "You were not signed up for “{name}”",
        "left_n": "{n} places left",
        "unlimited": "no limit",
    },
}


def _when(event: Row[Any], zh: bool) -> str:
    start: datetime = event.start_time
    try:
        start = start.astimezone(ZoneInfo(event.timezone or "Asia/Shanghai"))
    except (ZoneInfoNotFoundError, ValueError):
        pass
    return f"{start.month}月{start.day}日 {start:%H:%M}" if zh else f"{start.day} {start:%b} {start:%H:%M}"


def _external_url(event: Row[Any]) -> str:
    import orjson

    url = orjson.loads(event.raw).get("externalParticipationUrl")
    return url if isinstance(url, str) and url.startswith(("https://", "http://")) else event.uri


async def sign_up(
    inst: Instance, who: Row[Any], event_uri: str, intent: str, *, ref_uri: str, in_reply_to: str | None = None
) -> str:
    """Join or leave ``event_uri`` for ``who`` and answer privately; returns what was done.

    ``ref_uri`` (the reply or the activity) is recorded as the participation's request."""
    async with inst.engine.begin() as conn:
        event = await find_event(conn, event_uri)
        if event is None:
            return "ignored: no such event here"
        if intent == "leave":
            was = (await conn.execute(select(participants.c.state).where(
                participants.c.object_id == event.id, participants.c.actor_id == who.id))).first()
            reason = "left" if was is not None and await leave_event(inst, conn, event, who) else "not_in"
            detail = "left" if reason == "left" else "ignored: was not participating"
            if was is not None and was.state != ParticipantState.ACCEPTED.value and reason == "left":
                detail = "left (was " + was.state + ")"
        else:
            decision = await decide_join(inst, conn, event, who, ref_uri, None)
            reason, detail = decision.reason, decision.detail
        if not await answer_privately(inst, conn, event, who.id, reason, in_reply_to=in_reply_to):
            return f"{detail}; no inbox to answer to"
    return f"{detail}; answered privately: {reason}"


async def answer_privately(
    inst: Instance, conn: AsyncConnection, event: Row[Any], who_id: int, reason: str, *, in_reply_to: str | None = None
) -> bool:
    """Tell a participant, by a direct Note from the organising community, what became of their
    request (``reason``: a key of the wording above); False when they have no inbox."""
    zh = not (event.language or "").lower().startswith("en")
    _, left = await event_counts(conn, event.id, event.capacity)
    words = _TEXT["zh" if zh else "en"]
    places = words["unlimited"] if left is None else words["left_n"].format(n=left)
    text = words[reason].format(name=event.name or "", when=_when(event, zh), left=places,
                                url=_external_url(event) if reason == "external" else "")
    to = (await conn.execute(
        select(actors.c.uri.label("actor_uri"), actors.c.username, actors.c.domain, actors.c.inbox,
               actors.c.shared_inbox).where(actors.c.id == who_id)
    )).one()
    if not (to.inbox or to.shared_inbox):
        return False
    organiser = (await conn.execute(select(actors).where(actors.c.id == event.actor_id))).one()
    await send_private(inst, conn, organiser, to, text, in_reply_to=in_reply_to, language="zh-CN" if zh else "en")
    return True
