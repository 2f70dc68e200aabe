"""Submissions from the fediverse: what counts as one, each policy, and what is never public.

Members on Mastodon- (a public post mentioning the community), Lemmy- (a Page with
``audience``) and Mobilizon-shaped servers (an Event addressed to the group) submit to a
community on a.test; what the community sends back is received by fake servers that verify
every signature (tests/fakes/remote.py), so an activity listed there arrived signed."""

from __future__ import annotations

import orjson
from sqlalchemy import func, insert, select

from actors.publishing.decisions import approve
from actors.publishing.publishing import publish
from actors.social.domains import block, unblock
from actors.social.submissions import set_policy
from actors.storage.models import actors, community_bans, community_members, messages, objects
from fedi import vocab
from tests.conftest import Fediverse
from tests.submissions.helpers import Hood, hood, lemmy_page, mastodon_post, mobilizon_event


async def _actor_id(h: Hood, uri: str) -> int:
    async with h.a.inst.engine.connect() as conn:
        return int((await conn.execute(select(actors.c.id).where(actors.c.uri == uri))).scalar_one())


async def _community_id(h: Hood) -> int:
    return await _actor_id(h, h.community)


async def _count_objects(h: Hood) -> int:
    async with h.a.inst.engine.connect() as conn:
        return int((await conn.execute(select(func.count()).select_from(objects))).scalar_one())


async def test_a_mastodon_post_is_queued_and_public_nowhere_while_pending(fed: Fediverse) -> None:
    h = await hood(fed, "club", "club")
    act = mastodon_post(h, h.ann, "周六一起去湖边跑步？")
    await h.send(h.ann, act)
    [row] = await h.rows()
    assert (row.state, row.shape, row.kind, row.origin) == ("pending", "object", "note", "fediverse")
    assert row.activity_uri == act["id"] and row.object_uri == act["object"]["id"]
    assert "周六一起去湖边跑步" in row.content and "<script" not in row.content
    assert row.actor_id == await _actor_id(h, h.ann.uri)
    stored = await h.stored(act["object"]["id"])
    assert stored is not None and stored.community_id is None
    # Not on the community's page, the home page or /api/feed; not a message of its own.
    assert act["object"]["id"] not in await h.feed_ids()
    for path in (f"/c/{h.slug}", "/", f"/c/{h.slug}/outbox?page=true"):
        assert "湖边跑步" not in (await fed.client.get(h.a.url(path), headers={"Accept": "text/html"})).text
    async with h.a.inst.engine.connect() as conn:
        assert (await conn.execute(select(func.count()).select_from(messages))).scalar_one() == 0
    assert h.got(h.reader, "Announce") == [] and h.got(h.ann, "Accept") == []
    # The same activity again: still one row.
    await h.send(h.ann, act)
    assert len(await h.rows()) == 1


async def test_what_is_not_a_submission(fed: Fediverse) -> None:
    h = await hood(fed, "club", "club")
    own = await publish(h.a.inst, "club", {"type": "note", "content": "本周六跑步"})
    reply = mastodon_post(h, h.ann, "我也去")
    reply["object"]["inReplyTo"] = own.uri
    await h.send(h.ann, reply)
    direct = mastodon_post(h, h.ann, "私信：你好", to=[h.community])
    await h.send(h.ann, direct)
    followers_only = mastodon_post(h, h.ann, "仅关注者", to=[f"{h.ann.uri}/followers"])
    followers_only["object"]["cc"] = [h.community]
    await h.send(h.ann, followers_only)
    assert await h.rows() == []
    async with h.a.inst.engine.connect() as conn:
        kinds = sorted(r.kind for r in await conn.execute(select(messages.c.kind)))
    assert kinds == ["direct", "direct", "reply"]  # conversations, as before


async def test_moderated_queues_everyone_and_trusted_members_skip_the_queue(fed: Fediverse) -> None:
    h = await hood(fed, "club", "club")
    await h.follow(h.picard)
    await h.send(h.picard, lemmy_page(h, h.picard, "Seed swap", "Bring seeds."))
    assert [r.state for r in await h.rows()] == ["pending"]  # a follower is queued under "moderated"
    await set_policy(h.a.inst, "club", trust_members=True)
    async with h.a.inst.engine.begin() as conn:
        await conn.execute(insert(community_members).values(
            community_id=await _community_id(h), actor_id=await _actor_id(h, h.picard.uri), via="invitation",
            created_at=h.a.inst.clock()))
    page = lemmy_page(h, h.picard, "Compost day", "Bring a bucket.")
    await h.send(h.picard, page)
    rows = await h.rows()
    assert [r.state for r in rows] == ["pending", "approved"] and rows[1].decided_by == "policy"
    assert page["object"]["id"] in await h.feed_ids()
    [accept] = [a for a in h.got(h.picard, "Accept") if a["object"]["type"] == "Create"]
    assert accept["object"]["id"] == page["id"] and accept["actor"] == h.community


async def test_open_publishes_followers_at_once_and_queues_others(fed: Fediverse) -> None:
    h = await hood(fed, "club", "club")
    await set_policy(h.a.inst, "club", submissions="open")
    await h.follow(h.picard)
    page = lemmy_page(h, h.picard, "Seed swap", "Bring seeds.")
    await h.send(h.picard, page)
    event = mobilizon_event(h, h.emma, "Ceilidh beginners workshop")
    await h.send(h.emma, event)
    rows = await h.rows()
    assert [(r.state, r.kind) for r in rows] == [("approved", "note"), ("pending", "event")]
    assert page["object"]["id"] in await h.feed_ids() and event["object"]["id"] not in await h.feed_ids()
    wrapped = [a for a in h.got(h.reader, "Announce") if isinstance(a["object"], dict)]
    assert [a["object"] for a in wrapped] == [page]  # FEP-1b12: the Create exactly as received


async def test_a_silenced_domains_follower_is_queued_even_where_the_community_is_open(fed: Fediverse) -> None:
    h = await hood(fed, "club", "club")
    await set_policy(h.a.inst, "club", submissions="open")
    await h.follow(h.picard)
    await block(h.a.inst, "lemmy.test", "silence", "spam wave")
    page = lemmy_page(h, h.picard, "Seed swap", "Bring seeds.")
    await h.send(h.picard, page)
    [row] = await h.rows()
    assert row.state == "pending"  # a follower of an open community, but the moderators decide
    assert page["object"]["id"] not in await h.feed_ids() and h.got(h.reader, "Announce") == []


async def test_a_silenced_domains_post_a_moderator_approved_is_shown_where_it_is_announced(fed: Fediverse) -> None:
    """Approving announces the post to the followers, so that version is shown on the
    community's pages too, and the silence set again leaves it shown; an edit is another
    version, withheld again; a suspension hides it."""
    h = await hood(fed, "club", "club")
    await h.follow(h.picard)
    await block(h.a.inst, "lemmy.test", "silence", "spam wave")
    page = lemmy_page(h, h.picard, "Seed swap", "Bring seeds.")
    await h.send(h.picard, page)
    other = lemmy_page(h, h.picard, "Cheap pills", "spam")
    await h.send(h.picard, other)
    first, _second = await h.rows()
    await approve(h.a.inst, first.id, by="mod")
    await fed.drain()
    assert page["object"]["id"] in await h.feed_ids() and other["object"]["id"] not in await h.feed_ids()
    assert [a["object"]["id"] for a in h.got(h.reader, "Announce") if isinstance(a["object"], dict)] == [page["id"]]
    await block(h.a.inst, "lemmy.test", "silence", "still spam")  # set again: the approved version stays
    await unblock(h.a.inst, "lemmy.test")
    await block(h.a.inst, "lemmy.test", "silence")
    feed = await h.feed_ids()
    assert page["object"]["id"] in feed and other["object"]["id"] not in feed
    edited = {**page["object"], "content": "<p>Cheap pills here</p>", "updated": "2030-01-02T00:00:00Z"}
    await h.send(h.picard, {"@context": vocab.AS_CONTEXT, "id": page["object"]["id"] + "#edit", "type": "Update",
                            "actor": h.picard.uri, "to": page["to"], "cc": page["cc"], "object": edited})
    assert page["object"]["id"] not in await h.feed_ids()  # not the version approved
    await block(h.a.inst, "lemmy.test", "silence", "again")
    assert page["object"]["id"] not in await h.feed_ids()


async def test_the_policys_approval_does_not_outlast_a_later_silence(fed: Fediverse) -> None:
    """An open community published a follower's post at once; silencing its domain later
    withholds it: no moderator read it."""
    h = await hood(fed, "club", "club")
    await set_policy(h.a.inst, "club", submissions="open")
    await h.follow(h.picard)
    page = lemmy_page(h, h.picard, "Seed swap", "Bring seeds.")
    await h.send(h.picard, page)
    [row] = await h.rows()
    assert (row.state, row.decided_by) == ("approved", "policy") and page["object"]["id"] in await h.feed_ids()
    await block(h.a.inst, "lemmy.test", "silence", "spam wave")
    assert page["object"]["id"] not in await h.feed_ids()


async def test_naming_the_community_in_attributed_to_does_not_join_it(fed: Fediverse) -> None:
    h = await hood(fed, "club", "club")
    await set_policy(h.a.inst, "club", submissions="closed")
    post = mastodon_post(h, h.ann, "spam", to=[vocab.PUBLIC])
    obj = post["object"]
    obj.update(attributedTo=[h.ann.uri, h.community], tag=[], cc=[], bto=[h.community])
    post.update(cc=[], bto=[h.community])
    await h.send(h.ann, post)
    stored = await h.stored(obj["id"])
    assert stored is not None and stored.community_id is None  # kept (it addressed us), belongs to nobody
    assert obj["id"] not in await h.feed_ids() and "spam" not in (await fed.client.get(h.a.url("/c/club"))).text


async def test_an_edit_while_waiting_is_what_the_moderators_read_and_approve(fed: Fediverse) -> None:
    h = await hood(fed)  # a market: the post is read into a draft listing
    post = mastodon_post(h, h.ann, "出售 九成新儿童自行车 ¥120")
    await h.send(h.ann, post)
    [row] = await h.rows()
    assert row.shape == "draft" and orjson.loads(row.draft)["price"] == {"amount": "120", "currency": "CNY"}
    edited = {**post["object"], "content": post["object"]["content"].replace("¥120", "¥90 再加一句广告"),
              "updated": "2030-01-02T00:00:00Z"}
    update = {"@context": vocab.AS_CONTEXT, "id": post["object"]["id"] + "#edit", "type": "Update",
              "actor": h.ann.uri, "to": post["to"], "cc": post["cc"], "object": edited}
    await h.send(h.ann, update)
    [row] = await h.rows()
    assert "¥90 再加一句广告" in row.content and "¥120" not in row.content
    assert orjson.loads(row.draft)["price"] == {"amount": "90", "currency": "CNY"}


async def test_closed_refuses_with_a_reject_and_stores_nothing(fed: Fediverse) -> None:
    h = await hood(fed, "club", "club")
    await set_policy(h.a.inst, "club", submissions="closed")
    before = await _count_objects(h)
    event = mobilizon_event(h, h.emma, "Hogmanay dance")
    await h.send(h.emma, event)
    [row] = await h.rows()
    assert (row.state, row.raw, row.object_id, row.decided_by) == ("rejected", None, None, "policy")
    assert await _count_objects(h) == before and await h.stored(event["object"]["id"]) is None
    [reject] = h.got(h.emma, "Reject")
    assert reject["actor"] == h.community and reject["object"]["id"] == event["id"]
    profile = (await fed.client.get(h.community, headers={"Accept": "application/activity+json"})).json()
    assert {"type": "PropertyValue", "name": "投稿 Submissions", "value": "不接受 closed"} in profile["attachment"]
    assert reject["summary"] == "this community takes no submissions"
    assert h.got(h.reader, "Announce") == []


async def test_a_banned_person_is_always_refused(fed: Fediverse) -> None:
    h = await hood(fed, "club", "club")
    await set_policy(h.a.inst, "club", submissions="open")
    await h.follow(h.ann)
    async with h.a.inst.engine.begin() as conn:
        await conn.execute(insert(community_bans).values(
            community_id=await _community_id(h), actor_id=await _actor_id(h, h.ann.uri), reason="spam",
            created_at=h.a.inst.clock()))
    post = mastodon_post(h, h.ann, "快来买")
    await h.send(h.ann, post)
    [row] = await h.rows()
    assert (row.state, row.reason) == ("rejected", "banned from this community")
    assert await h.stored(post["object"]["id"]) is None
    assert [r["object"]["id"] for r in h.got(h.ann, "Reject")] == [post["id"]]


async def test_a_submission_from_the_community_itself_or_a_private_one_is_none(fed: Fediverse) -> None:
    h = await hood(fed, "club", "club")
    event = mobilizon_event(h, h.emma, "Reel study")
    event["object"]["to"] = [h.community]  # addressed only to the group: a direct message
    event["to"] = [h.community]
    await h.send(h.emma, event)
    assert await h.rows() == []
    assert vocab.PUBLIC not in event["to"]


async def test_a_plain_post_to_a_market_is_read_into_a_draft_listing(fed: Fediverse) -> None:
    h = await hood(fed)  # the market: an interest community, which takes listings
    sale = mastodon_post(h, h.ann, "出售 九成新儿童自行车 ¥120 #二手")
    sale["object"]["tag"].append({"type": "Hashtag", "name": "#二手", "href": "http://masto.test/tags/二手"})
    await h.send(h.ann, sale)
    walk = mastodon_post(h, h.ann, "明天下午有人一起去湖边散步吗")
    await h.send(h.ann, walk)
    listing, note = await h.rows()
    assert (listing.shape, listing.kind, note.shape, note.kind) == ("draft", "listing", "object", "note")
    draft = orjson.loads(listing.draft)
    assert (draft["type"], draft["kind"], draft["purpose"]) == ("listing", "goods", "offer")
    assert draft["price"] == {"amount": "120", "currency": "CNY"} and "二手" in draft["tags"]
    decision = await approve(h.a.inst, listing.id, by="mod")
    assert decision.object_uri in await h.feed_ids()
    assert sale["object"]["id"] not in await h.feed_ids()
