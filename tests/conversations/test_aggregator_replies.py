"""Replies under other instances' items on an aggregator: read from the origin's ``replies``
collection once the page is sent, cached, each reply fetched from its own server; what the
origin stops listing is hidden; a reply is never an item; a collection cannot smuggle in a
post that is not a reply to the item, or one its server does not vouch for."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from actors.feed.remote_replies import refresh_replies
from actors.publishing.publishing import publish
from actors.social.conversations import answer, hide_reply, list_messages
from actors.social.follows import follow_remote
from actors.social.local import create_community, get_local_actor
from actors.storage.models import objects
from fedi import vocab
from tests.conftest import Fediverse, Node
from tests.content.helpers import event_body
from tests.content.test_remote_events import _followed_by_b
from tests.conversations.helpers import public_reply
from tests.fakes.remote import FakeRemote, FakeUser


async def _row(node: Node, uri: str) -> Any:
    async with node.inst.engine.connect() as conn:
        return (await conn.execute(select(objects).where(objects.c.uri == uri))).first()


async def _reply(fed: Fediverse, a: Node, user: FakeUser, text: str, parent: str) -> dict[str, Any]:
    create = public_reply(user, text, parent)
    assert (await user.remote.send(user, create, a.url("/inbox"))).status_code == 202
    user.remote.serve(create["object"])  # its own server serves it, as Mastodon does
    await fed.drain()
    return dict(create["object"])


async def _feed_ids(fed: Fediverse, node: Node) -> set[str]:
    return {i["id"] for i in (await fed.client.get(node.url("/api/feed"))).json()["items"]}


async def test_aggregator_shows_the_origins_replies_cached_and_hides_what_it_hides(fed: Fediverse) -> None:
    a, b = await fed.yinhu("a.test"), await fed.yinhu("b.test")
    club = await create_community(a.inst, "club", name="Club")
    await follow_remote(b.inst, "yinhu", "@club@a.test")
    await fed.drain()
    event = (await publish(a.inst, "club", event_body())).uri
    await fed.drain()
    item = await _row(b, event)
    assert item is not None and item.community_id is not None
    masto, gts = fed.remote("masto.test"), fed.remote("gts.test", shared_inbox=False)
    ann, bo = masto.add_user("ann"), gts.add_user("bo")
    first = await _reply(fed, a, ann, "Count me in, see you there", event)
    second = await _reply(fed, a, bo, "Can I bring a friend?", event)

    page = f"/items/{item.id}"
    assert "Count me in" not in (await fed.client.get(b.url(page))).text  # read once the page is sent
    shown = (await fed.client.get(b.url(page))).text
    assert "Count me in" in shown and "@ann@masto.test" in shown and "bring a friend" in shown
    assert shown.index("Count me in") < shown.index("bring a friend")  # oldest first
    assert (await _row(b, first["id"])).community_id is None  # a reply, never an item
    assert await _feed_ids(fed, b) == {event}

    # Cached: a new reply is not read on the next view within the TTL ...
    third = await _reply(fed, a, ann, "Is there parking?", event)
    assert "parking" not in (await fed.client.get(b.url(page))).text
    # ... and the origin's word on what is shown holds on the next read: hidden there, hidden here.
    async with a.inst.engine.connect() as conn:
        a_club = await get_local_actor(conn, "club")
    assert a_club is not None and a_club.uri == club
    bo_message = next(m for m in await list_messages(a.inst, a_club.id) if m.object_uri == second["id"])
    await hide_reply(a.inst, a_club.id, bo_message.id)
    result = await refresh_replies(b.inst, item.id)
    assert (result.listed, result.linked, result.hidden, result.skipped) == (2, 1, 1, ())
    shown = (await fed.client.get(b.url(page))).text
    assert "parking" in shown and "bring a friend" not in shown and third["id"]

    # The organisers' public answer is pushed to followers (B's feed actor): it hangs under the
    # reply it answers, and is not an item of the club on B.
    ann_message = next(m for m in await list_messages(a.inst, a_club.id) if m.object_uri == first["id"])
    await answer(a.inst, a_club, ann_message.id, "Welcome, Ann")
    await fed.drain()
    shown = (await fed.client.get(b.url(page))).text
    assert "Welcome, Ann" in shown and 'class="reply depth-1"' in shown
    assert await _feed_ids(fed, b) == {event}


def _status(user: FakeUser, text: str, in_reply_to: str | None, **more: Any) -> dict[str, Any]:
    return {"id": user.new_id("statuses"), "type": "Note", "attributedTo": user.uri, "content": f"<p>{text}</p>",
            "to": [vocab.PUBLIC], "inReplyTo": in_reply_to, "published": "2030-01-01T00:00:00Z", **more}


async def test_a_mastodon_shaped_collection_cannot_smuggle_posts_in(fed: Fediverse) -> None:
    b = await fed.yinhu("b.test")
    town: FakeRemote = fed.remote("town.test")
    org = town.add_user("org")
    await _followed_by_b(fed, b, town, org)
    item_id = f"{town.base}/statuses/item"
    masto, gts = fed.remote("masto.test"), fed.remote("gts.test")
    ann, bo = masto.add_user("ann"), gts.add_user("bo")
    good = _status(ann, "Lovely, thanks", item_id)
    elsewhere = _status(ann, "Not about this item", f"{town.base}/statuses/other")
    forged = {**_status(bo, "I never wrote this", item_id), "id": masto.base + "/statuses/forged"}
    for doc in (good, elsewhere, forged):
        (masto if doc["id"].startswith(masto.base) else gts).serve(doc)
    missing = f"{masto.base}/statuses/gone"
    town.serve({"id": f"{item_id}/replies?page=2", "type": "CollectionPage", "partOf": f"{item_id}/replies",
                "items": [good["id"], elsewhere["id"], forged["id"], missing, "javascript:alert(1)"]})
    note = {"id": item_id, "type": "Note", "attributedTo": org.uri, "content": "<p>Town meeting on Friday</p>",
            "to": [vocab.PUBLIC], "published": "2030-01-01T00:00:00Z",
            # Embedded as Mastodon embeds it: the first page lists the author's own replies only.
            "replies": {"id": f"{item_id}/replies", "type": "Collection",
                        "first": {"type": "CollectionPage", "partOf": f"{item_id}/replies", "items": [],
                                  "next": f"{item_id}/replies?page=2"}}}
    town.serve(note)
    # Pushed without its replies collection: the aggregator reads it from the item as served.
    pushed = {k: v for k, v in note.items() if k != "replies"}
    create = {"@context": vocab.AS_CONTEXT, "id": org.new_id(), "type": "Create", "actor": org.uri,
              "to": [vocab.PUBLIC], "object": pushed}
    assert (await town.send(org, create, b.url("/inbox"))).status_code == 202
    await fed.drain()
    item = await _row(b, item_id)
    assert item is not None and item.community_id is not None

    result = await refresh_replies(b.inst, item.id)
    assert (result.listed, result.linked) == (4, 1)
    assert len(result.skipped) == 3 and any("not a reply" in s for s in result.skipped)
    assert await _row(b, elsewhere["id"]) is None and await _row(b, forged["id"]) is None
    shown = (await fed.client.get(b.url(f"/items/{item.id}"))).text
    assert "Lovely, thanks" in shown and "I never wrote this" not in shown and "Not about this item" not in shown
