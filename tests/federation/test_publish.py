"""Publishing to followers: one Create per inbox, the envelope Mastodon needs, dereferencing,
and two of our own instances following, receiving and deleting."""

from __future__ import annotations

from sqlalchemy import select

from actors.publishing.publishing import delete_object, publish
from actors.social.follows import follow_remote, list_following
from actors.social.local import create_community
from actors.storage.models import deliveries, objects
from fedi import vocab
from tests.conftest import Fediverse

AP = {"Accept": "application/activity+json"}


async def test_publish_sends_one_create_per_shared_inbox(fed: Fediverse) -> None:
    a = await fed.yinhu("a.test")
    club = await create_community(a.inst, "club", name="Club")
    shared = fed.remote("remote.test", shared_inbox=True)
    solo = fed.remote("solo.test", shared_inbox=False)
    users = [shared.add_user(n) for n in ("alice", "bob", "carol")]
    dave = solo.add_user("dave")
    for user in users:
        assert (await shared.send(user, user.follow(club), a.url("/c/club/inbox"))).status_code == 202
    assert (await solo.send(dave, dave.follow(club), a.url("/c/club/inbox"))).status_code == 202
    await fed.drain()

    published = await publish(a.inst, "club", {"type": "note", "content": "Hello #garden", "language": "en"})
    assert published.recipients == 2
    await fed.drain()

    creates = shared.of_type("Create")
    assert [c.path for c in creates] == ["/inbox"]  # three followers, one shared inbox, one POST
    assert [c.path for c in solo.of_type("Create")] == ["/users/dave/inbox"]
    create = creates[0].activity
    assert creates[0].signer == club
    assert vocab.AS_CONTEXT in create["@context"]
    assert create["actor"] == club
    assert create["to"] == [vocab.PUBLIC] and create["cc"] == [f"{club}/followers"]
    note = create["object"]
    assert note["id"] == published.uri and note["id"].startswith("http://a.test/")
    assert note["to"] == [vocab.PUBLIC] and note["cc"] == [f"{club}/followers"]
    assert note["attributedTo"] == club

    resp = await fed.client.get(note["id"], headers=AP)
    assert resp.status_code == 200
    assert resp.headers["content-type"].startswith("application/activity+json")
    doc = resp.json()
    assert doc["id"] == note["id"] and doc["type"] == "Note"
    assert vocab.AS_CONTEXT in doc["@context"]

    async with a.inst.engine.connect() as conn:
        rows = list(await conn.execute(select(deliveries.c.inbox, deliveries.c.state)))
    creates_rows = [r for r in rows if r.inbox in ("http://remote.test/inbox", "http://solo.test/users/dave/inbox")]
    assert sorted(r.state for r in creates_rows).count("sent") == len(creates_rows)


async def test_two_instances_follow_publish_and_delete(fed: Fediverse) -> None:
    a = await fed.yinhu("a.test")
    b = await fed.yinhu("b.test")
    club = await create_community(a.inst, "club", name="Club")

    remote, state = await follow_remote(b.inst, "yinhu", "@club@a.test")
    assert remote.uri == club and state.value == "pending"
    await fed.drain()
    assert [(f.uri, f.state) for f in await list_following(b.inst, "yinhu")] == [(club, "accepted")]

    published = await publish(a.inst, "club", {"type": "note", "content": "来自 A 的消息"})
    assert published.recipients == 1
    await fed.drain()
    async with b.inst.engine.connect() as conn:
        row = (await conn.execute(select(objects).where(objects.c.uri == published.uri))).one()
    assert row.local is False and row.deleted_at is None
    assert "来自 A 的消息" in row.content

    await delete_object(a.inst, published.uri)
    await fed.drain()
    async with b.inst.engine.connect() as conn:
        row = (await conn.execute(select(objects).where(objects.c.uri == published.uri))).one()
    assert row.deleted_at is not None

    gone = await fed.client.get(published.uri, headers=AP)
    assert gone.status_code == 410
    assert gone.json()["type"] == "Tombstone" and gone.json()["id"] == published.uri


async def test_deleted_note_leaves_outbox_and_activity_urls(fed: Fediverse) -> None:
    a, kept, gone = await fed.kept_and_deleted("kept", "secret, then deleted")

    coll = (await fed.client.get(a.url("/c/club/outbox"), headers=AP)).json()
    assert coll["totalItems"] == 1
    page = (await fed.client.get(coll["first"], headers=AP)).json()
    assert [item["object"]["id"] for item in page["orderedItems"]] == [kept.uri]
    assert "secret" not in (await fed.client.get(coll["first"], headers=AP)).text

    create = await fed.client.get(gone.activity_uri, headers=AP)
    assert create.status_code == 410
    assert "secret" not in create.text
    assert (await fed.client.get(kept.activity_uri, headers=AP)).json()["object"]["id"] == kept.uri


async def test_remote_cannot_delete_or_create_our_objects(fed: Fediverse) -> None:
    a = await fed.yinhu("a.test")
    club = await create_community(a.inst, "club", name="Club")
    published = await publish(a.inst, "club", {"type": "note", "content": "ours"})
    remote = fed.remote("remote.test")
    mallory = remote.add_user("mallory")
    delete = {"@context": vocab.AS_CONTEXT, "id": mallory.new_id(), "type": "Delete",
              "actor": mallory.uri, "object": {"id": published.uri, "type": "Tombstone"}}
    forged = {"@context": vocab.AS_CONTEXT, "id": mallory.new_id(), "type": "Create", "actor": mallory.uri,
              "object": {"id": "http://a.test/o/forged", "type": "Note", "attributedTo": club, "content": "fake"}}
    for activity in (delete, forged):
        assert (await remote.send(mallory, activity, a.url("/inbox"))).status_code == 202
    await fed.drain()
    async with a.inst.engine.connect() as conn:
        rows = list(await conn.execute(select(objects.c.uri, objects.c.deleted_at)))
    assert [(r.uri, r.deleted_at) for r in rows] == [(published.uri, None)]
    assert (await fed.client.get(published.uri, headers=AP)).status_code == 200


async def test_two_instances_manual_approval_then_reject(fed: Fediverse) -> None:
    from actors.social.follows import decide_follower

    a = await fed.yinhu("a.test")
    b = await fed.yinhu("b.test")
    club = await create_community(a.inst, "club", name="Club", manually_approves=True)
    await follow_remote(b.inst, "yinhu", "@club@a.test")
    await fed.drain()
    assert [(f.uri, f.state) for f in await list_following(b.inst, "yinhu")] == [(club, "pending")]
    await decide_follower(a.inst, "club", "http://b.test/c/yinhu", approve=False)
    await fed.drain()
    assert [(f.uri, f.state) for f in await list_following(b.inst, "yinhu")] == [(club, "rejected")]
    published = await publish(a.inst, "club", {"type": "note", "content": "members only"})
    assert published.recipients == 0
