"""RSVP over ActivityPub: Join/Leave from remote actors against capacity and join mode."""

from __future__ import annotations

from typing import Any

import pytest

from actors.publishing.publishing import publish
from actors.social.rsvp import RsvpError, decide_participant, list_participants
from fedi import vocab
from tests.conftest import Fediverse, Node
from tests.content.helpers import AP, event_body
from tests.fakes.remote import FakeRemote, FakeUser


def join(user: FakeUser, event: str) -> dict[str, Any]:
    return {"@context": vocab.AS_CONTEXT, "id": user.new_id("joins"), "type": "Join", "actor": user.uri, "object": event}


def leave(user: FakeUser, event: str) -> dict[str, Any]:
    return {"@context": vocab.AS_CONTEXT, "id": user.new_id(), "type": "Leave", "actor": user.uri, "object": event}


def answers(remote: FakeRemote, user: FakeUser) -> list[tuple[str, str]]:
    """(type, id of the Join it answers) of every activity the user's inbox got."""
    return [(r.type, vocab.get_id(r.activity["object"])) for r in remote.received if r.path == f"/users/{user.name}/inbox"]


async def _setup(fed: Fediverse, **event: Any) -> tuple[Node, str, FakeRemote, list[FakeUser]]:
    from actors.social.local import create_community

    a = await fed.yinhu("a.test")
    await create_community(a.inst, "club", name="Club")
    published = await publish(a.inst, "club", event_body(**event))
    remote = fed.remote("people.test")
    return a, published.uri, remote, [remote.add_user(n) for n in ("ann", "bo", "cai")]


async def _send(fed: Fediverse, a: Node, remote: FakeRemote, user: FakeUser, activity: dict[str, Any]) -> None:
    assert (await remote.send(user, activity, a.url("/inbox"))).status_code == 202
    await fed.drain()


async def _counts(fed: Fediverse, uri: str) -> tuple[int, int | None]:
    doc = (await fed.client.get(uri, headers=AP)).json()
    return doc["participantCount"], doc.get("remainingAttendeeCapacity")


async def test_free_event_accepts_until_full_then_rejects_and_leave_frees_a_place(fed: Fediverse) -> None:
    a, uri, remote, (ann, bo, cai) = await _setup(fed, capacity=2, join_mode="free")
    assert await _counts(fed, uri) == (0, 2)
    joins = {u.name: join(u, uri) for u in (ann, bo, cai)}
    for user in (ann, bo, cai):
        await _send(fed, a, remote, user, joins[user.name])
    assert answers(remote, ann) == [("Accept", joins["ann"]["id"])]
    assert answers(remote, bo) == [("Accept", joins["bo"]["id"])]
    assert answers(remote, cai) == [("Reject", joins["cai"]["id"])]
    accept = next(r for r in remote.received if r.type == "Accept")
    assert accept.signer == "http://a.test/c/club" and accept.activity["actor"] == "http://a.test/c/club"
    assert accept.activity["object"]["type"] == "Join" and accept.activity["object"]["actor"] == ann.uri
    assert accept.activity["object"]["object"] == uri
    assert await _counts(fed, uri) == (2, 0)
    assert sorted((p.uri, p.state) for p in await list_participants(a.inst, uri)) == [
        (ann.uri, "accepted"), (bo.uri, "accepted"), (cai.uri, "rejected")]

    await _send(fed, a, remote, ann, leave(ann, uri))
    assert await _counts(fed, uri) == (1, 1)
    again = join(cai, uri)
    await _send(fed, a, remote, cai, again)
    assert answers(remote, cai)[-1] == ("Accept", again["id"])
    assert await _counts(fed, uri) == (2, 0)

    # Undo(Join) counts as leaving too.
    await _send(fed, a, remote, bo, bo.undo(joins["bo"]))
    assert await _counts(fed, uri) == (1, 1)


async def test_restricted_event_queues_then_the_organiser_accepts(fed: Fediverse) -> None:
    a, uri, remote, (ann, bo, _cai) = await _setup(fed, capacity=1, join_mode="restricted")
    first, second = join(ann, uri), join(bo, uri)
    await _send(fed, a, remote, ann, first)
    await _send(fed, a, remote, bo, second)
    assert remote.received == []
    assert sorted((p.uri, p.state) for p in await list_participants(a.inst, uri)) == [
        (ann.uri, "pending"), (bo.uri, "pending")]
    assert await _counts(fed, uri) == (0, 1)

    state = await decide_participant(a.inst, uri, ann.uri, approve=True)
    assert state.value == "accepted"
    await fed.drain()
    assert answers(remote, ann) == [("Accept", first["id"])]
    assert await _counts(fed, uri) == (1, 0)
    with pytest.raises(RsvpError):  # full: the organiser cannot accept a second one
        await decide_participant(a.inst, uri, bo.uri, approve=True)
    await decide_participant(a.inst, uri, bo.uri, approve=False)
    await fed.drain()
    assert answers(remote, bo) == [("Reject", second["id"])]


@pytest.mark.parametrize("mode", ["none", "external"])
async def test_event_without_rsvp_answers_ignore(fed: Fediverse, mode: str) -> None:
    extra = {"external_url": "https://signup.example/bikes"} if mode == "external" else {}
    a, uri, remote, (ann, _bo, _cai) = await _setup(fed, join_mode=mode, **extra)
    request = join(ann, uri)
    await _send(fed, a, remote, ann, request)
    assert answers(remote, ann) == [("Ignore", request["id"])]
    assert await list_participants(a.inst, uri) == []
    assert (await _counts(fed, uri))[0] == 0
