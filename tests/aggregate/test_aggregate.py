"""The shared feed across three in-process instances: A and B host communities, C aggregates."""

from __future__ import annotations

import argparse
import asyncio
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import func, select, update

from actors.feed.aggregate import (
    BACKFILL_LIMIT,
    backfill,
    decide_inclusion,
    follow_many,
    inclusion_requests,
    refresh_subscriptions,
    store_once,
    subscriptions,
    unfollow,
)
from actors.publishing.publishing import delete_object, update_object
from actors.social.follows import decide_follower, follow_remote, list_following
from actors.social.local import create_community
from actors.social.remote import get_actor
from actors.storage.models import FollowState, activities, actors, objects
from fedi import vocab
from tests.aggregate.conftest import (
    HANDLES,
    Net,
    event_body,
    followed_group,
    listing_body,
    venue_body,
)
from tests.aggregate.fakes import gone_app
from tests.fakes.remote import FakeUser
from web.cli import build_parser
from web.cli import common as cli_common
from web.cli import federation as cli_federation

FEED_C = "http://c.test/c/yinhu"


async def _count(net: Net, uri: str) -> int:
    async with net.c.inst.engine.connect() as conn:
        return (await conn.execute(select(func.count()).select_from(objects).where(objects.c.uri == uri))).scalar_one()


def _group_event(group: FakeUser, object_id: str, name: str) -> dict[str, Any]:
    """A public Event of the group's own (attributed to it)."""
    return {"id": object_id, "type": "Event", "name": name, "attributedTo": group.uri,
            "startTime": "2030-01-01T10:00:00Z", "to": [vocab.PUBLIC]}


def _from_group(group: FakeUser, activity_type: str, obj: Any) -> dict[str, Any]:
    """A public ``activity_type`` (Create, Announce) of ``obj`` by the group."""
    return {"@context": vocab.AS_CONTEXT, "id": group.new_id(), "type": activity_type, "actor": group.uri,
            "object": obj, "to": [vocab.PUBLIC]}


async def test_follow_many_accept_backfills_bounded_newest_first(net: Net) -> None:
    club = [await net.publish(net.a, "club", {"type": "note", "content": f"第 {i} 条"}) for i in range(25)]
    market = [await net.publish(net.a, "market", listing_body(f"自行车 {i}")) for i in range(2)]
    makers = await net.publish(net.b, "makers", event_body("创客夜"))
    hall = await net.publish(net.b, "hall", venue_body("多功能厅"))
    progress: list[tuple[int, int, str]] = []
    results = await follow_many(net.c.inst, [*HANDLES, "@nobody@a.test"], progress=lambda i, n, r: progress.append((i, n, r.state)))
    assert [r.state for r in results] == ["pending"] * 4 + ["failed"]
    assert progress[-1] == (5, 5, "failed") and results[-1].error
    await net.settle()

    here = await net.uris()
    assert {p.uri for p in club[-BACKFILL_LIMIT:]} <= here  # the 20 newest of club
    assert not {p.uri for p in club[:-BACKFILL_LIMIT]} & here  # bounded: the 5 oldest are not
    assert {p.uri for p in market} <= here and makers.uri in here and hall.uri in here
    assert (await net.row(hall.uri)).kind == "venue" and (await net.row(makers.uri)).kind == "event"
    accepts = await net.inbox_results("Accept")
    assert len(accepts) == 4 and all(state == "done" and "0 failed" in text for state, text in accepts), accepts
    subs = {s.handle: s for s in await subscriptions(net.c.inst)}
    assert {h: s.state for h, s in subs.items()} == dict.fromkeys(HANDLES, "accepted")
    assert subs["@club@a.test"].name == "银湖读书会" and subs["@club@a.test"].last_item is not None
    # Backfilled items are old: the feed actor does not boost them.
    async with net.c.inst.engine.connect() as conn:
        assert (await conn.execute(select(func.count()).select_from(activities).where(activities.c.type == "Announce"))).scalar_one() == 0


async def test_live_create_update_delete_and_duplicate_by_push_and_backfill(net: Net) -> None:
    await net.follow_all()
    event = await net.publish(net.a, "club", event_body("读书分享会"))
    listing = await net.publish(net.b, "makers", listing_body("3D 打印机"))
    await net.fed.drain()
    assert (await net.row(event.uri)).name == "读书分享会"
    assert (await net.row(listing.uri)).deleted_at is None

    net.a.clock.advance(__import__("datetime").timedelta(minutes=5))
    await update_object(net.a.inst, event.uri, event_body("读书分享会（改期）"))
    await delete_object(net.b.inst, listing.uri)
    await net.fed.drain()
    assert (await net.row(event.uri)).name == "读书分享会（改期）"
    assert (await net.row(listing.uri)).deleted_at is not None
    assert listing.uri not in await net.uris()

    # An old Update (not newer) is ignored, never raising; the edit stays.
    creates = await net.inbox_results("Create")
    assert all(state == "done" for state, _ in creates)

    # Unfollow then follow again: the backfill brings the pushed event again → stored once.
    assert await unfollow(net.c.inst, "@club@a.test") == "unfollowed"
    await net.fed.drain()
    await follow_many(net.c.inst, ["@club@a.test"])
    await net.fed.drain()
    assert await _count(net, event.uri) == 1
    assert (await net.row(event.uri)).name == "读书分享会（改期）"
    last_accept = (await net.inbox_results("Accept"))[-1]
    assert last_accept[0] == "done" and "0 failed" in last_accept[1], last_accept

    # store_once directly, twice, with the community as author: no error, one row.
    club = await get_actor(net.c.inst, "http://a.test/c/club")
    raw = (await net.fed.client.get(event.uri, headers={"Accept": "application/activity+json"})).json()
    raw.pop("@context")
    assert (await store_once(net.c.inst, club, raw)).startswith("ignored")
    assert await _count(net, event.uri) == 1


async def test_create_from_unfollowed_actor_is_ignored(net: Net) -> None:
    remote = net.fed.remote("spam.test")
    spammer = remote.add_user("spammer")
    note = {"id": spammer.new_id("notes"), "type": "Note", "attributedTo": spammer.uri, "content": "buy now",
            "to": [vocab.PUBLIC]}
    create = {"@context": vocab.AS_CONTEXT, "id": spammer.new_id(), "type": "Create", "actor": spammer.uri, "object": note}
    assert (await remote.send(spammer, create, net.c.url("/inbox"))).status_code == 202
    await net.fed.drain()
    assert await net.row(note["id"]) is None
    assert await net.inbox_results("Create") == [("ignored", "not from anyone followed here")]

    # Addressed to a local actor: kept (Mastodon keeps mentions too).
    dm = {"id": spammer.new_id("notes"), "type": "Note", "attributedTo": spammer.uri, "content": "hi", "to": [FEED_C]}
    create2 = {"@context": vocab.AS_CONTEXT, "id": spammer.new_id(), "type": "Create", "actor": spammer.uri, "object": dm}
    await remote.send(spammer, create2, net.c.url("/inbox"))
    # Announces from someone not followed are ignored too.
    boost = {"@context": vocab.AS_CONTEXT, "id": spammer.new_id(), "type": "Announce", "actor": spammer.uri,
             "object": note["id"]}
    await remote.send(spammer, boost, net.c.url("/inbox"))
    await net.fed.drain()
    assert await net.row(dm["id"]) is not None
    assert await net.inbox_results("Announce") == [("ignored", "not from anyone followed here")]


async def test_announce_of_a_followed_community_object_is_fetched_and_stored_once(net: Net) -> None:
    await net.follow_all(["@club@a.test"])
    event = await net.publish(net.a, "club", event_body("公园读书"))
    await net.fed.drain()
    remote, group = await followed_group(net)
    # The group boosts A's event twice, once with a forged embedded copy: C fetches it from A.
    forged = {"id": event.uri, "type": "Event", "name": "FORGED", "attributedTo": group.uri}
    for obj in (event.uri, forged):
        announce = _from_group(group, "Announce", obj)
        assert (await remote.send(group, announce, net.c.url("/inbox"))).status_code == 202
    await net.fed.drain()
    assert await _count(net, event.uri) == 1
    assert (await net.row(event.uri)).name == "公园读书"
    states = [s for s, _ in await net.inbox_results("Announce")]
    assert "failed" not in states

    # An object of the group's own host, embedded by the group: stored with the group as author.
    own = _group_event(group, remote.object_id("e1"), "Atelier")
    announce = _from_group(group, "Announce", own)
    await remote.send(group, announce, net.c.url("/inbox"))
    await net.fed.drain()
    assert (await net.row(own["id"])).name == "Atelier"


async def test_backfill_of_bare_ids_and_gancio_announces(net: Net) -> None:
    remote, group = await followed_group(net, "gancio.test")
    e1 = {"id": remote.object_id("e1"), "type": "Event", "name": "Concerto", "attributedTo": group.uri,
          "startTime": "2030-01-02T20:00:00Z", "published": "2025-01-02T00:00:00Z", "to": [vocab.PUBLIC]}
    e2 = {"id": remote.object_id("e2"), "type": "Event", "name": "Mercato", "attributedTo": group.uri,
          "startTime": "2030-01-03T20:00:00Z", "published": "2025-01-03T00:00:00Z", "to": [vocab.PUBLIC]}
    alien = {"id": "http://evil.test/objects/x", "type": "Event", "name": "alien"}
    remote.objects["e1"] = e1
    remote.outboxes["group"] = [
        {"id": f"{remote.base}/a/2", "type": "Announce", "actor": group.uri,
         "object": {"id": f"{remote.base}/a/c2", "type": "Create", "actor": group.uri, "object": e2}},
        e1["id"],  # a bare id, fetched (signed)
        {"id": f"{remote.base}/a/3", "type": "Create", "actor": group.uri, "object": alien},
    ]
    result = await backfill(net.c.inst, await get_actor(net.c.inst, group.uri))
    assert (result.stored, result.failed) == (2, 0), result
    assert (await net.row(e1["id"])).name == "Concerto" and (await net.row(e2["id"])).name == "Mercato"
    assert await net.row(alien["id"]) is None
    assert "/objects/e1" in remote.fetched


async def test_feed_actor_boosts_reach_a_mastodon_follower(net: Net) -> None:
    masto = net.fed.remote("masto.test")
    alice = masto.add_user("alice")
    follow = alice.follow(FEED_C)
    assert (await masto.send(alice, follow, net.c.url("/c/yinhu/inbox"))).status_code == 202
    await net.fed.drain()
    [accept] = masto.of_type("Accept")
    assert accept.activity["object"]["id"] == follow["id"]

    old = await net.publish(net.a, "club", event_body("backfilled, not boosted"))
    await net.follow_all()
    event = await net.publish(net.a, "club", event_body("新活动"))
    note = await net.publish(net.a, "club", {"type": "note", "content": "just a note"})
    venue = await net.publish(net.b, "hall", venue_body("新场地"))
    await net.fed.drain()
    announces = [r.activity for r in masto.of_type("Announce")]
    assert sorted(a["object"] for a in announces) == sorted([event.uri, f"{venue.uri}/announce"])
    announces.sort(key=lambda a: a["object"] != event.uri)
    for a in announces:
        assert a["actor"] == FEED_C and a["to"] == [vocab.PUBLIC] and a["cc"] == [f"{FEED_C}/followers"]
        assert vocab.AS_CONTEXT in vocab.as_list(a["@context"])
        assert a["published"] == vocab.isoformat(net.fed.clock())  # readers date the boost by it
    assert old.uri not in {a["object"] for a in announces} and note.uri not in {a["object"] for a in announces}
    # The Announce is dereferenceable and in the feed actor's outbox.
    got = await net.fed.client.get(announces[0]["id"], headers={"Accept": "application/activity+json"})
    assert got.status_code == 200 and got.json()["object"] == event.uri

    # Deleted at its origin: the boost is withdrawn.
    await delete_object(net.a.inst, event.uri)
    await net.fed.drain()
    [undo] = masto.of_type("Undo")
    assert undo.activity["object"]["id"] == announces[0]["id"] and undo.activity["object"]["type"] == "Announce"


async def test_unfollow_sends_undo_with_the_original_follow(net: Net) -> None:
    remote = net.fed.remote("far.test")
    user = remote.add_user("club")
    await follow_many(net.c.inst, [user.handle])
    await net.fed.drain()
    [follow] = remote.of_type("Follow")
    assert await unfollow(net.c.inst, user.handle) == "unfollowed"
    await net.fed.drain()
    [undo] = remote.of_type("Undo")
    assert undo.activity["actor"] == FEED_C
    assert undo.activity["object"]["id"] == follow.activity["id"]
    assert undo.activity["object"]["type"] == "Follow" and undo.activity["object"]["object"] == user.uri
    assert await list_following(net.c.inst, "yinhu") == []
    with pytest.raises(Exception, match="does not follow"):
        await unfollow(net.c.inst, user.handle)


async def test_subscriptions_show_every_state_including_gone(net: Net, monkeypatch: pytest.MonkeyPatch,
                                                             capsys: pytest.CaptureFixture[str]) -> None:
    await create_community(net.b.inst, "closed", name="闭门", manually_approves=True)
    await net.publish(net.a, "club", event_body())
    slow = net.fed.remote("slow.test")
    slow.add_user("club")
    doomed = net.fed.remote("doomed.test")
    doomed.add_user("club")
    doomed_deleted = net.fed.remote("deleted.test")
    bye = doomed_deleted.add_user("club")

    async def direct(args: argparse.Namespace, fn: Any) -> int:
        return int(await fn(net.c.inst))

    monkeypatch.setattr(cli_common, "_with_instance", direct)
    args = build_parser().parse_args(
        ["follow", "@club@a.test", "@closed@b.test", "@club@slow.test", "@club@doomed.test", "@club@deleted.test",
         "@ghost@a.test"]
    )
    assert await cli_federation.cmd_follow(args) == 1
    out, err = capsys.readouterr()
    assert "[1/6] @club@a.test: pending" in err and "[6/6] @ghost@a.test: failed" in err
    assert out.splitlines()[0].startswith("pending\t@club@a.test\thttp://a.test/c/club")
    await net.settle()
    await decide_follower(net.b.inst, "closed", FEED_C, approve=False)
    delete = {"@context": vocab.AS_CONTEXT, "id": bye.new_id(), "type": "Delete", "actor": bye.uri, "object": bye.uri}
    await doomed_deleted.send(bye, delete, net.c.url("/inbox"))
    await net.fed.drain()
    net.fed.router.add("doomed.test", gone_app())  # its actor now answers 410
    assert (await refresh_subscriptions(net.c.inst))["http://doomed.test/users/club"] == "gone"

    states = {s.handle: s.state for s in await subscriptions(net.c.inst)}
    assert states == {"@club@a.test": "accepted", "@closed@b.test": "rejected", "@club@slow.test": "pending",
                      "@club@doomed.test": "gone", "@club@deleted.test": "gone"}
    assert await cli_federation.cmd_subscriptions(build_parser().parse_args(["subscriptions"])) == 0
    out = capsys.readouterr().out
    lines = out.splitlines()
    assert lines[0].split() == ["STATE", "COMMUNITY", "NAME", "LAST", "ITEM"]
    club_line = next(ln for ln in lines if "@club@a.test" in ln)
    assert club_line.startswith("accepted") and "银湖读书会" in club_line and club_line.rstrip()[-5:].count(":") == 1
    assert next(ln for ln in lines if "@club@doomed.test" in ln).startswith("gone")


async def test_a_community_asks_to_be_included_and_an_admin_approves(net: Net) -> None:
    event = await net.publish(net.b, "makers", event_body("开放日"))
    remote, state = await follow_remote(net.b.inst, "makers", "@yinhu@c.test")
    assert remote.uri == FEED_C and state is FollowState.PENDING
    masto = net.fed.remote("masto.test")
    bob = masto.add_user("bob")
    await masto.send(bob, bob.follow(FEED_C), net.c.url("/c/yinhu/inbox"))
    await net.fed.drain()
    assert len(masto.of_type("Accept")) == 1  # a person is accepted at once
    assert [r.uri for r in await inclusion_requests(net.c.inst)] == ["http://b.test/c/makers"]
    assert [f.state for f in await list_following(net.b.inst, "makers")] == ["pending"]

    state_txt, back = await decide_inclusion(net.c.inst, "@makers@b.test", approve=True)
    assert state_txt == "accepted" and back is FollowState.PENDING
    await net.fed.drain()
    assert [f.state for f in await list_following(net.b.inst, "makers")] == ["accepted"]
    assert [s.state for s in await subscriptions(net.c.inst)] == ["accepted"]
    assert await inclusion_requests(net.c.inst) == []
    assert event.uri in await net.uris()  # the follow-back's Accept backfilled it


async def test_reject_after_accept_removes_the_follow_and_its_pushes_are_ignored(net: Net) -> None:
    # Interop F3: Mastodon sends Reject of an already accepted Follow to remove a follower (a
    # kick). The subscription ends, and what the community pushes afterwards is not stored.
    remote, group = await followed_group(net)
    [follow] = remote.of_type("Follow")
    before = _group_event(group, remote.object_id("e0"), "踢出前")
    create = _from_group(group, "Create", before)
    await remote.send(group, create, net.c.url("/inbox"))
    await net.fed.drain()
    assert await net.row(before["id"]) is not None

    kick = {"@context": vocab.AS_CONTEXT, "id": group.new_id(), "type": "Reject", "actor": group.uri,
            "object": follow.activity}
    assert (await remote.send(group, kick, net.c.url("/inbox"))).status_code == 202
    await net.fed.drain()
    assert [s.state for s in await subscriptions(net.c.inst) if s.uri == group.uri] == ["rejected"]
    assert (await net.inbox_results("Reject"))[-1][0] == "done"

    after = {**before, "id": remote.object_id("e1"), "name": "踢出后"}
    create = {**create, "id": group.new_id(), "object": after}
    await remote.send(group, create, net.c.url("/inbox"))
    await net.fed.drain()
    assert await net.row(after["id"]) is None
    assert (await net.inbox_results("Create"))[-1] == ("ignored", "not from anyone followed here")


async def test_the_same_new_object_stored_at_once_by_several_deliveries_is_one_row(net: Net) -> None:
    # Push, backfill and boosts can bring one object at the same moment: one insert wins, the
    # others find its row and carry on as updates, and nothing fails.
    _, group = await followed_group(net)
    author = await get_actor(net.c.inst, group.uri)
    obj = _group_event(group, f"{group.uri}/events/race", "同时到达")
    results = await asyncio.gather(*(store_once(net.c.inst, author, dict(obj)) for _ in range(4)))
    assert results.count("stored") == 1, results
    assert await _count(net, obj["id"]) == 1
    assert (await net.row(obj["id"])).name == "同时到达"


async def test_a_create_from_a_stale_sender_refreshes_it_and_is_stored(net: Net) -> None:
    # The sender's row is read inside the Create's transaction; a stale one is fetched again
    # (on a connection of its own) before anything is written, on SQLite and PostgreSQL alike.
    remote, group = await followed_group(net)
    long_ago = net.c.inst.clock() - timedelta(days=3)
    async with net.c.inst.engine.begin() as conn:
        await conn.execute(update(actors).where(actors.c.uri == group.uri).values(fetched_at=long_ago, name="旧名字"))
    obj = _group_event(group, remote.object_id("fresh"), "刷新之后")
    create = _from_group(group, "Create", obj)
    assert (await remote.send(group, create, net.c.url("/inbox"))).status_code == 202
    await net.fed.drain()
    assert (await net.inbox_results("Create"))[-1][0] == "done"
    assert (await net.row(obj["id"])).name == "刷新之后"
    async with net.c.inst.engine.connect() as conn:
        row = (await conn.execute(select(actors.c.fetched_at, actors.c.name).where(actors.c.uri == group.uri))).one()
    assert row.fetched_at > long_ago + timedelta(days=2) and row.name != "旧名字"
