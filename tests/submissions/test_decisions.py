"""Moderators' decisions and what reaches other servers: the FEP-1b12 Announce (the Create
embedded unchanged) and the boost for Mastodon followers, Accept or Reject with the reason to
the submitter, a direct note to a Person, the moderation log; a draft published as the
community's own crediting the member; an aggregator showing the item under the community.

Every activity listed as received by a fake server passed its signature check."""

from __future__ import annotations

from typing import Any

import orjson
import pytest
from sqlalchemy import select, update

from actors.publishing.decisions import approve, reject
from actors.publishing.validation import ContentError
from actors.social.follows import follow_remote
from actors.social.submissions import SubmissionError
from actors.storage.models import inbox_items, moderation_log, submissions
from fedi import vocab
from tests.conftest import Fediverse
from tests.content.helpers import listing_body
from tests.fakes.remote import FakeUser
from tests.submissions.helpers import Hood, hood, mastodon_post, mobilizon_event


def _direct_notes(h: Hood, user: FakeUser) -> list[dict[str, Any]]:
    """Notes addressed to ``user`` alone (a direct message)."""
    return [a["object"] for a in h.got(user, "Create")
            if isinstance(a.get("object"), dict) and vocab.as_list(a["object"].get("to")) == [user.uri]]


async def _log(h: Hood) -> list[tuple[str, str, str, str | None]]:
    async with h.a.inst.engine.connect() as conn:
        return [(r.action, r.target, r.reason, r.created_by) for r in await conn.execute(select(moderation_log))]


async def test_approving_announces_the_create_unchanged_and_tells_the_submitter(fed: Fediverse) -> None:
    h = await hood(fed, "club", "club")
    post = mastodon_post(h, h.ann, "周六一起去湖边跑步？")
    await h.send(h.ann, post)
    [row] = await h.rows()
    decision = await approve(h.a.inst, row.id, by="mod")
    await fed.drain()
    assert decision.object_uri == post["object"]["id"]
    # FEP-1b12: Announce{Create as received}, to Public, cc the followers; and the boost of the id.
    wrapped, boost = sorted(h.got(h.reader, "Announce"), key=lambda a: isinstance(a["object"], str))
    assert wrapped["object"] == post and wrapped["actor"] == h.community
    assert wrapped["to"] == [vocab.PUBLIC] and wrapped["cc"] == [f"{h.community}/followers"]
    assert boost["object"] == post["object"]["id"] and boost["to"] == [vocab.PUBLIC]
    # The submitter: Accept{the Create}, and a direct note (zh and en) mentioning them.
    [accept] = [a for a in h.got(h.ann, "Accept") if isinstance(a["object"], dict)]
    assert accept["object"]["id"] == post["id"] and accept["object"]["type"] == "Create"
    [note] = _direct_notes(h, h.ann)
    assert "已通过审核" in note["content"] and "was approved" in note["content"]
    assert note["tag"] == [{"type": "Mention", "href": h.ann.uri, "name": "@ann@masto.test"}] and note["cc"] == []
    # The community's now: on its page and in the feed, with the member as byline.
    [item] = [i for i in (await fed.client.get(h.a.url("/api/feed"))).json()["items"] if i["id"] == post["object"]["id"]]
    assert item["community"]["uri"] == h.community and item["author"]["handle"] == "@ann@masto.test"
    assert "湖边跑步" in (await fed.client.get(h.a.url("/c/club"), headers={"Accept": "text/html"})).text
    [row] = await h.rows()
    assert (row.state, row.decided_by, row.announce_uri) == ("approved", "mod", boost["id"])
    assert await _log(h) == [("approve", post["object"]["id"], "", "mod")]
    with pytest.raises(SubmissionError, match="already decided"):
        await approve(h.a.inst, row.id, by="mod")


async def test_rejecting_sends_the_reason_and_the_item_stays_hidden(fed: Fediverse) -> None:
    h = await hood(fed, "club", "club")
    event = mobilizon_event(h, h.emma, "Ceilidh beginners workshop")
    await h.send(h.emma, event)
    [row] = await h.rows()
    with pytest.raises(SubmissionError, match="reason is empty"):
        await reject(h.a.inst, row.id, by="mod", reason="  ")
    await reject(h.a.inst, row.id, by="mod", reason="不在本社区范围 off topic")
    await fed.drain()
    [refusal] = h.got(h.emma, "Reject")
    assert refusal["object"]["id"] == event["id"] and refusal["summary"] == "不在本社区范围 off topic"
    assert refusal["to"] == [h.emma.uri]
    [note] = _direct_notes(h, h.emma)
    assert "未通过审核：不在本社区范围 off topic" in note["content"]
    assert h.got(h.reader, "Announce") == []
    assert event["object"]["id"] not in await h.feed_ids()
    assert await _log(h) == [("reject", event["object"]["id"], "不在本社区范围 off topic", "mod")]
    with pytest.raises(SubmissionError, match="already decided"):
        await reject(h.a.inst, row.id, by="mod", reason="again")
    with pytest.raises(SubmissionError, match="no submission 999"):
        await approve(h.a.inst, 999, by="mod")


async def test_what_its_author_deleted_meanwhile_is_not_announced(fed: Fediverse) -> None:
    h = await hood(fed, "club", "club")
    post = mastodon_post(h, h.ann, "周日换书")
    await h.send(h.ann, post)
    await h.send(h.ann, {"@context": vocab.AS_CONTEXT, "id": post["object"]["id"] + "#delete", "type": "Delete",
                         "actor": h.ann.uri, "object": {"id": post["object"]["id"], "type": "Tombstone"}})
    [row] = await h.rows()
    with pytest.raises(SubmissionError, match="deleted"):
        await approve(h.a.inst, row.id, by="mod")
    await reject(h.a.inst, row.id, by="mod", reason="作者已删除 deleted by its author")
    await fed.drain()
    assert h.got(h.reader, "Announce") == []


async def test_a_draft_is_published_as_the_communitys_own_crediting_the_member(fed: Fediverse) -> None:
    h = await hood(fed)
    post = mastodon_post(h, h.ann, "出售 九成新儿童自行车 ¥120")
    await h.send(h.ann, post)
    [row] = await h.rows()
    # What the listing reader makes of such a post (its own tests are in tests/content): a draft.
    draft = listing_body(title="儿童自行车", content="九成新，16 寸。", status="available", language="zh")
    async with h.a.inst.engine.begin() as conn:
        await conn.execute(update(submissions).where(submissions.c.id == row.id).values(
            shape="draft", kind="listing", draft=orjson.dumps(draft).decode()))
    with pytest.raises(ContentError):
        await approve(h.a.inst, row.id, by="mod", draft={**draft, "price": {"amount": "-3"}})
    assert [r.state for r in await h.rows()] == ["pending"]  # a bad correction changes nothing
    decision = await approve(h.a.inst, row.id, by="mod", draft={**draft, "title": "儿童自行车（16 寸）"})
    await fed.drain()
    [create] = [a for a in h.got(h.reader, "Create") if a["object"]["id"] == decision.object_uri]
    listing = create["object"]
    assert listing["attributedTo"] == h.community and "儿童自行车（16 寸）" in listing["content"]
    assert "由 " in listing["content"] and "Submitted by" in listing["content"] and h.ann.uri in listing["content"]
    assert {"type": "Mention", "href": h.ann.uri, "name": "@ann@masto.test"} in listing["tag"]
    assert h.ann.uri in create["cc"]
    assert [c["object"]["id"] for c in h.got(h.ann, "Create") if c["object"]["id"] == decision.object_uri]
    assert [a["object"]["id"] for a in h.got(h.ann, "Accept") if isinstance(a["object"], dict)] == [post["id"]]
    assert decision.object_uri in await h.feed_ids()
    assert post["object"]["id"] not in await h.feed_ids()  # the post itself stays the member's own
    [row] = await h.rows()
    assert row.state == "approved" and orjson.loads(row.draft)["title"] == "儿童自行车（16 寸）"


async def test_an_aggregator_shows_the_approved_item_under_the_community_by_the_member(fed: Fediverse) -> None:
    h = await hood(fed, "club", "club")
    b = await fed.yinhu("b.test")
    await follow_remote(b.inst, "yinhu", "@club@a.test")
    await fed.drain()
    event = mobilizon_event(h, h.emma, "Ceilidh beginners workshop")
    await h.send(h.emma, event)
    assert event["object"]["id"] not in [i["id"] for i in (await fed.client.get(b.url("/api/feed"))).json()["items"]]
    [row] = await h.rows()
    await approve(h.a.inst, row.id, by="mod")
    await fed.drain()
    items = [i for i in (await fed.client.get(b.url("/api/feed"))).json()["items"] if i["id"] == event["object"]["id"]]
    assert len(items) == 1
    assert items[0]["community"]["uri"] == h.community and items[0]["author"]["handle"] == "@emma@mobilizon.test"
    assert items[0]["name"] == "Ceilidh beginners workshop"
    # Both Announces were taken: the wrapped Create (its object fetched from its origin, as the
    # Create itself is not served there) and the boost.
    async with b.inst.engine.connect() as conn:
        states = [tuple(r) for r in await conn.execute(select(inbox_items.c.activity_type, inbox_items.c.state))]
    assert states.count(("Announce", "done")) == 2, states

