"""Signing up from Mastodon and GoToSocial by replying with a word, and from Friendica by
Accept / TentativeAccept / Reject of the Event: same rules as Join, answered privately at once."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from actors.social.conversations import count_reactions
from actors.social.event_updates import send_due_updates
from actors.social.rsvp import decide_participant, list_participants
from actors.social.signup import signup_intent
from fedi import vocab
from tests.conftest import Fediverse
from tests.content.helpers import AP, object_row
from tests.conversations.helpers import CLUB, Town, direct, mention_html, public_reply, town
from tests.fakes.remote import FakeUser

ZH = {"title": "修车工作坊", "language": "zh-CN"}


@pytest.mark.parametrize(("html", "intent"), [
    (mention_html("报名"), "join"), (mention_html("我要参加！"), "join"), (mention_html("+1"), "join"),
    ("<p>Join</p>", "join"), (mention_html("going!"), "join"), ("<p>@club@a.test 参加</p>", "join"),
    (mention_html("取消报名"), "leave"), (mention_html("不去了。"), "leave"), (mention_html("Cancel"), "leave"),
    (mention_html("报名了吗？"), None), (mention_html("I will join you later"), None), ("<p></p>", None),
])
def test_signup_words(html: str, intent: str | None) -> None:
    assert signup_intent(html) == intent


def confirmations(t: Town, user: FakeUser) -> list[dict[str, Any]]:
    return [a["object"] for a in t.notes_to(user)]


async def _participants(t: Town) -> list[tuple[str, str]]:
    return sorted((p.uri, p.state) for p in await list_participants(t.a.inst, t.event))


async def _count(t: Town) -> tuple[int, int | None]:
    doc = (await t.fed.client.get(t.event, headers=AP)).json()
    return doc["participantCount"], doc.get("remainingAttendeeCapacity")


def updates_seen(t: Town) -> list[int]:
    return [a["object"]["participantCount"] for a in t.received_by(t.ann) if a["type"] == "Update"]


async def test_reply_words_sign_up_until_full_answered_privately(fed: Fediverse) -> None:
    t = await town(fed, capacity=2, **ZH)
    cai = t.masto.add_user("cai")
    await t.send(t.ann, public_reply(t.ann, "报名", t.event))
    [note] = confirmations(t, t.ann)
    sent = next(r for r in t.masto.received if r.activity["object"] is note)
    assert sent.signer == CLUB and sent.path == "/users/ann/inbox"  # verified by the fake with our key
    assert note["to"] == [t.ann.uri] and note["cc"] == [] and vocab.PUBLIC not in str(sent.activity)
    assert note["tag"] == [{"type": "Mention", "href": t.ann.uri, "name": "@ann@masto.test"}]
    assert "已报名「修车工作坊」 · 5月4日 14:00 · 剩余 1 个名额" in note["content"]
    assert await _count(t) == (1, 1)
    assert updates_seen(t) == [1]  # followers learn the new count at once

    await t.send(t.bo, direct(t.bo, "join", parent=t.event))  # GoToSocial, privately, in English
    assert "剩余 0 个名额" in confirmations(t, t.bo)[0]["content"]
    assert updates_seen(t) == [1]  # within the minute: due, not sent
    fed.clock.advance(timedelta(seconds=61))
    assert await send_due_updates(t.a.inst) == 1
    await fed.drain()
    assert updates_seen(t) == [1, 2]

    await t.send(cai, public_reply(cai, "+1", t.event))
    assert "名额已满" in confirmations(t, cai)[0]["content"]
    assert await _participants(t) == sorted([(t.ann.uri, "accepted"), (t.bo.uri, "accepted"), (cai.uri, "rejected")])

    await t.send(t.ann, public_reply(t.ann, "取消报名", t.event))
    assert "已取消报名「修车工作坊」" in confirmations(t, t.ann)[-1]["content"]
    assert await _count(t) == (1, 1)
    # Other people's notes never carry another participant's confirmation.
    assert all(t.ann.uri not in str(n) for n in confirmations(t, t.bo))


async def test_restricted_event_waits_for_the_organiser(fed: Fediverse) -> None:
    t = await town(fed, join_mode="restricted")
    await t.send(t.ann, public_reply(t.ann, "I'm going", t.event))
    await t.send(t.bo, public_reply(t.bo, "going", t.event))
    [note] = confirmations(t, t.bo)
    assert "the organisers will confirm it" in note["content"]  # an English event answers in English
    assert await _participants(t) == sorted([(t.ann.uri, "pending"), (t.bo.uri, "pending")])
    await decide_participant(t.a.inst, t.event, t.bo.uri, approve=True)
    await fed.drain()
    assert await _count(t) == (1, 19)


async def test_a_reply_that_is_not_a_sign_up_word_signs_nobody_up(fed: Fediverse) -> None:
    t = await town(fed)
    await t.send(t.ann, public_reply(t.ann, "报名截止是什么时候？", t.event))
    assert await _participants(t) == [] and confirmations(t, t.ann) == []


def _answer(user: FakeUser, verb: str, event: str, embed: bool) -> dict[str, Any]:
    obj: Any = {"id": event, "type": "Event"} if embed else event
    return {"@context": vocab.AS_CONTEXT, "id": user.new_id("rsvp"), "type": verb, "actor": user.uri, "object": obj}


@pytest.mark.parametrize("embed", [True, False])
async def test_friendica_accept_tentative_accept_and_reject_of_the_event(fed: Fediverse, embed: bool) -> None:
    t = await town(fed, **ZH)
    await t.send(t.ann, _answer(t.ann, "Accept", t.event, embed))
    assert await _participants(t) == [(t.ann.uri, "accepted")]
    assert "已报名" in confirmations(t, t.ann)[0]["content"]
    await t.send(t.bo, _answer(t.bo, "TentativeAccept", t.event, embed))
    row = await object_row(t.a, t.event)
    async with t.a.inst.engine.connect() as conn:
        assert (await count_reactions(conn, row.id))["interested"] == 1
    assert await _participants(t) == [(t.ann.uri, "accepted")]
    await t.send(t.ann, _answer(t.ann, "Reject", t.event, embed))
    assert await _participants(t) == []
    assert "已取消报名" in confirmations(t, t.ann)[-1]["content"]
