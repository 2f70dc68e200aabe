"""Incoming follows: Accept, duplicates, Undo and manual approval."""

from __future__ import annotations

from sqlalchemy import func, select

from actors.social.follows import decide_follower, list_followers
from actors.social.local import create_community
from actors.storage.models import FollowState, InboxState, inbox_items
from tests.conftest import Fediverse

AP = {"Accept": "application/activity+json"}


async def _setup(fed: Fediverse, *, manual: bool = False):  # type: ignore[no-untyped-def]
    a = await fed.yinhu("a.test")
    club = await create_community(a.inst, "club", name="Club", manually_approves=manual)
    remote = fed.remote("remote.test")
    alice = remote.add_user("alice")
    return a, club, remote, alice


async def test_follow_is_accepted_with_the_original_follow(fed: Fediverse) -> None:
    a, club, remote, alice = await _setup(fed)
    follow = alice.follow(club)
    resp = await remote.send(alice, follow, a.url("/c/club/inbox"))
    assert resp.status_code == 202, resp.text
    await fed.drain()

    accepts = remote.of_type("Accept")
    assert len(accepts) == 1
    accept = accepts[0]
    assert accept.path == "/users/alice/inbox"  # follow answers go to the personal inbox
    assert accept.signer == club
    assert accept.activity["actor"] == club
    obj = accept.activity["object"]
    assert {k: obj[k] for k in ("id", "type", "actor", "object")} == {
        "id": follow["id"], "type": "Follow", "actor": alice.uri, "object": club,
    }
    followers = await list_followers(a.inst, "club")
    assert [(f.uri, f.state) for f in followers] == [(alice.uri, FollowState.ACCEPTED.value)]

    page = await fed.client.get(a.url("/c/club/followers?page=true"), headers=AP)
    assert page.status_code == 200
    assert page.json()["orderedItems"] == [alice.uri]
    coll = (await fed.client.get(a.url("/c/club/followers"), headers=AP)).json()
    assert coll["type"] == "OrderedCollection" and coll["totalItems"] == 1


async def test_duplicate_follow_is_answered_again_and_duplicate_ids_stored_once(fed: Fediverse) -> None:
    a, club, remote, alice = await _setup(fed)
    first = alice.follow(club)
    assert (await remote.send(alice, first, a.url("/c/club/inbox"))).status_code == 202
    # The very same activity again (a retry): accepted, but stored once.
    assert (await remote.send(alice, first, a.url("/inbox"))).status_code == 202
    async with a.inst.engine.connect() as conn:
        count = (await conn.execute(select(func.count()).select_from(inbox_items))).scalar_one()
    assert count == 1
    await fed.drain()
    assert len(remote.of_type("Accept")) == 1

    # A new Follow for the same pair (the first Accept was lost, say): answered again.
    second = alice.follow(club)
    assert (await remote.send(alice, second, a.url("/c/club/inbox"))).status_code == 202
    await fed.drain()
    accepts = remote.of_type("Accept")
    assert [r.activity["object"]["id"] for r in accepts] == [first["id"], second["id"]]
    assert len(await list_followers(a.inst, "club")) == 1


async def test_undo_follow_removes_the_follower_and_stops_deliveries(fed: Fediverse) -> None:
    from actors.publishing.publishing import publish

    a, club, remote, alice = await _setup(fed)
    follow = alice.follow(club)
    await remote.send(alice, follow, a.url("/c/club/inbox"))
    await fed.drain()
    assert len(await list_followers(a.inst, "club")) == 1

    assert (await remote.send(alice, alice.undo(follow), a.url("/c/club/inbox"))).status_code == 202
    await fed.drain()
    assert await list_followers(a.inst, "club") == []
    coll = (await fed.client.get(a.url("/c/club/followers"), headers=AP)).json()
    assert coll["totalItems"] == 0

    published = await publish(a.inst, "club", {"type": "note", "content": "after the undo"})
    assert published.recipients == 0
    await fed.drain()
    assert remote.of_type("Create") == []


async def test_manual_approval_keeps_pending_then_accepts(fed: Fediverse) -> None:
    a, club, remote, alice = await _setup(fed, manual=True)
    follow = alice.follow(club)
    await remote.send(alice, follow, a.url("/c/club/inbox"))
    await fed.drain()
    assert remote.received == []
    assert [(f.uri, f.state) for f in await list_followers(a.inst, "club")] == [(alice.uri, "pending")]
    coll = (await fed.client.get(a.url("/c/club/followers"), headers=AP)).json()
    assert coll["totalItems"] == 0

    assert await decide_follower(a.inst, "club", alice.uri, approve=True) is FollowState.ACCEPTED
    await fed.drain()
    [accept] = remote.received
    assert accept.type == "Accept"
    assert accept.activity["object"]["id"] == follow["id"]
    assert accept.activity["object"]["actor"] == alice.uri
    assert [f.state for f in await list_followers(a.inst, "club")] == ["accepted"]


async def test_manual_approval_reject_sends_reject(fed: Fediverse) -> None:
    a, club, remote, alice = await _setup(fed, manual=True)
    follow = alice.follow(club)
    await remote.send(alice, follow, a.url("/c/club/inbox"))
    await fed.drain()
    assert await decide_follower(a.inst, "club", alice.uri, approve=False) is FollowState.REJECTED
    await fed.drain()
    [reject] = remote.received
    assert reject.type == "Reject"
    assert reject.activity["object"]["id"] == follow["id"]
    assert [f.state for f in await list_followers(a.inst, "club")] == ["rejected"]


async def test_unknown_activity_types_are_ignored_not_failed(fed: Fediverse) -> None:
    a, club, remote, alice = await _setup(fed)
    for type_ in ("Flag", "Like", "EmojiReact"):
        activity = {"@context": "https://www.w3.org/ns/activitystreams", "id": alice.new_id(),
                    "type": type_, "actor": alice.uri, "object": club}
        resp = await remote.send(alice, activity, a.url("/inbox"))
        assert resp.status_code == 202, resp.text
    await fed.drain()
    async with a.inst.engine.connect() as conn:
        rows = list(await conn.execute(select(inbox_items.c.activity_type, inbox_items.c.state, inbox_items.c.body)))
    assert sorted((r.activity_type, r.state) for r in rows) == [
        # A Flag of the community is a report for its organisers (actors.social.conversations);
        # a Like of an actor, not of a post, counts for nothing.
        ("EmojiReact", InboxState.IGNORED.value), ("Flag", InboxState.DONE.value), ("Like", InboxState.IGNORED.value),
    ]
    # Kept for deduplication only: the id, not the body (990 KB Likes must not fill the disk).
    assert [r.body for r in rows] == ["", "", ""]
