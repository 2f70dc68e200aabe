"""Instance domain policies: suspend refuses everything, silence keeps a domain's objects off
the public pages, review holds what it sends for a moderator; subdomains are covered."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from actors.feed.aggregate import follow_many
from actors.publishing.publishing import publish
from actors.social.domains import (
    DomainError,
    block,
    list_held,
    normalise_domain,
    release_held,
    unblock,
)
from actors.social.remote import resolve
from actors.storage.domains import DomainSuspended, covering
from actors.storage.models import objects
from fedi import vocab
from tests.aggregate.conftest import Net, followed_group
from tests.conftest import Fediverse
from tests.conversations.helpers import like
from tests.moderation.helpers import (
    community_id,
    delivery_hosts,
    follow_states,
    inbox_states,
    log_rows,
    received,
)

CLUB = "http://a.test/c/club"


def test_a_policy_covers_subdomains_and_the_strictest_wins() -> None:
    table = {"example.com": "silence", "bad.example.com": "suspend"}
    assert covering(table, "example.com") == "silence"
    assert covering(table, "a.b.example.com") == "silence"
    assert covering(table, "x.bad.example.com") == "suspend"
    assert covering(table, "notexample.com") is None
    assert normalise_domain("*.Example.COM.") == "example.com"
    assert normalise_domain("https://例子.测试/path") == "xn--fsqu00a.xn--0zwm56d"
    for bad in ("ex*mple.com", "localhost", "", "a..b", "-a.com"):
        with pytest.raises(DomainError):
            normalise_domain(bad)


async def test_suspend_refuses_at_the_door_and_stops_deliveries_and_follows(fed: Fediverse) -> None:
    node, _club, bad, ann, follow = await fed.club_and_follower("bad.test", "ann")
    assert (await bad.send(ann, follow, node.url("/inbox"))).status_code == 202
    await fed.drain()
    assert await follow_states(node) == ["accepted"]
    note = await publish(node.inst, "club", {"type": "note", "content": "before"})
    await fed.drain()
    assert "bad.test" in await delivery_hosts(node)

    assert await block(node.inst, "bad.test", "suspend", "spam") == "added"
    # The follow from the suspended domain ended; nothing more is queued for it.
    assert await follow_states(node) == ["rejected"]
    before = len(bad.received)
    await publish(node.inst, "club", {"type": "note", "content": "after"})
    await fed.drain()
    assert len(bad.received) == before
    # Everything it sends is refused with 403 and a JSON reason, nothing stored; subdomains too.
    items = await inbox_states(node)
    resp = await bad.send(ann, like(ann, note.uri), node.url("/inbox"))
    assert resp.status_code == 403 and "domain" in resp.json()["error"]
    sub = fed.remote("sub.bad.test")
    bo = sub.add_user("bo")
    assert (await sub.send(bo, bo.follow(CLUB), node.url("/c/club/inbox"))).status_code == 403
    assert await inbox_states(node) == items
    # Nothing is fetched from it either.
    for target in ("@bo@sub.bad.test", bo.uri):
        with pytest.raises(DomainSuspended):
            await resolve(node.inst, target)
    assert [(r.action, r.target, r.reason) for r in await log_rows(node)] == [("domain_suspend", "bad.test", "spam")]
    # Lifted: it is heard again.
    assert await unblock(node.inst, "bad.test")
    assert (await sub.send(bo, bo.follow(CLUB), node.url("/c/club/inbox"))).status_code == 202


async def _public_pages(fed: Fediverse, net: Net, row_id: int) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for path in ("/feed?kind=note", "/search?q=hello", "/api/feed?kind=note", "/feed.atom?kind=note"):
        out[path] = (await fed.client.get(net.c.url(path))).text
    out["item"] = (await fed.client.get(net.c.url(f"/items/{row_id}"))).status_code
    return out


def _create(user: Any, text: str) -> dict[str, Any]:
    obj = {"id": user.new_id("statuses"), "type": "Note", "attributedTo": user.uri, "to": [vocab.PUBLIC],
           "cc": [f"{user.uri}/followers"], "content": f"<p>{text} hello</p>", "published": "2026-12-01T10:00:00Z"}
    return {"@context": vocab.AS_CONTEXT, "id": obj["id"] + "/activity", "type": "Create", "actor": user.uri,
            "to": obj["to"], "cc": obj["cc"], "object": obj}


async def test_silence_keeps_objects_stored_but_off_the_feed_search_and_items(fed: Fediverse) -> None:
    node = await fed.yinhu("c.test")
    net = Net(fed, node, node, node)
    loud, group = await followed_group(net, "m.loud.test", "group")
    first = _create(group, "LOUDFIRST")
    assert (await loud.send(group, first, node.url("/inbox"))).status_code == 202
    await fed.drain()
    row = await net.row(first["object"]["id"])
    shown = await _public_pages(fed, net, row.id)
    assert all("LOUDFIRST" in shown[p] for p in shown if p != "item") and shown["item"] == 200  # the control

    await block(node.inst, "loud.test", "silence", "floods")  # the parent domain covers m.loud.test
    second = _create(group, "LOUDSECOND")
    assert (await loud.send(group, second, node.url("/inbox"))).status_code == 202
    await fed.drain()
    async with node.inst.engine.connect() as conn:
        rows = {r.uri: r for r in await conn.execute(select(objects).where(objects.c.local.is_(False)))}
    assert rows[first["object"]["id"]].visibility == "x-public"
    assert rows[second["object"]["id"]].visibility == "x-public"  # stored, withheld at ingest
    for rid in (row.id, rows[second["object"]["id"]].id):
        shown = await _public_pages(fed, net, rid)
        assert shown["item"] == 404
        assert not any("LOUD" in shown[p] for p in shown if p != "item")

    await unblock(node.inst, "loud.test")
    shown = await _public_pages(fed, net, rows[second["object"]["id"]].id)
    assert shown["item"] == 200 and "LOUDSECOND" in shown["/feed?kind=note"] and "LOUDFIRST" in shown["/search?q=hello"]


async def test_silenced_people_still_reach_the_organisers(fed: Fediverse) -> None:
    from actors.social.conversations import list_messages
    from tests.conversations.helpers import direct

    node, _club, loud, ann, follow = await fed.club_and_follower("loud.test", "ann")
    await block(node.inst, "loud.test", "silence")
    assert (await loud.send(ann, follow, node.url("/inbox"))).status_code == 202
    assert (await loud.send(ann, direct(ann, "a question for you"), node.url("/inbox"))).status_code == 202
    await fed.drain()
    assert await follow_states(node) == ["accepted"] and received(loud, "Accept")
    assert ["direct"] == [m.kind for m in await list_messages(node.inst, await community_id(node))]


async def test_review_holds_everything_until_a_moderator_releases_or_discards(fed: Fediverse) -> None:
    node, _club, rev, ann, follow = await fed.club_and_follower("rev.test", "ann")
    await block(node.inst, "rev.test", "review", "new server")
    assert (await rev.send(ann, follow, node.url("/inbox"))).status_code == 202
    note = await publish(node.inst, "club", {"type": "note", "content": "hi"})
    assert (await rev.send(ann, like(ann, note.uri), node.url("/inbox"))).status_code == 202
    await fed.drain()
    assert await follow_states(node) == [] and not received(rev, "Accept")
    held = await list_held(node.inst, "rev.test")
    assert [h.activity_type for h in held] == ["Follow", "Like"]
    assert await inbox_states(node) == [("Follow", "held"), ("Like", "held")]

    from actors.social.domains import discard_held

    assert await discard_held(node.inst, [held[1].id]) == 1
    assert await release_held(node.inst, domain="rev.test") == 1
    await fed.drain()
    assert await follow_states(node) == ["accepted"] and received(rev, "Accept")
    assert await inbox_states(node) == [("Follow", "done"), ("Like", "ignored")]
    assert await list_held(node.inst) == []


async def test_no_fetch_from_a_suspended_domain_for_the_feed_actor(fed: Fediverse) -> None:
    node = await fed.yinhu("c.test")
    await block(node.inst, "gone.test", "suspend")
    fed.remote("gone.test").add_user("group")
    [result] = await follow_many(node.inst, ["@group@gone.test"])
    assert result.state == "failed" and "suspended" in (result.error or "")


async def test_the_feed_actor_does_not_boost_a_silenced_domain(fed: Fediverse) -> None:
    node = await fed.yinhu("c.test")
    net = Net(fed, node, node, node)
    masto = fed.remote("masto.test")
    fan = masto.add_user("fan")
    assert (await masto.send(fan, fan.follow(node.url("/c/yinhu")), node.url("/c/yinhu/inbox"))).status_code == 202
    loud, group = await followed_group(net, "loud.test", "group")

    def event(title: str) -> dict[str, Any]:
        obj = {"id": group.new_id("events"), "type": "Event", "attributedTo": group.uri, "name": title,
               "content": f"<p>{title}</p>", "startTime": "2030-06-01T10:00:00Z", "to": [vocab.PUBLIC],
               "cc": [f"{group.uri}/followers"]}
        return {"@context": vocab.AS_CONTEXT, "id": obj["id"] + "/activity", "type": "Create", "actor": group.uri,
                "to": obj["to"], "cc": obj["cc"], "object": obj}

    before, after = event("Picnic before"), event("Picnic after")
    await loud.send(group, before, node.url("/inbox"))
    await fed.drain()
    await block(node.inst, "loud.test", "silence")
    await loud.send(group, after, node.url("/inbox"))
    await fed.drain()
    boosted = [a["object"] for a in received(masto, "Announce")]
    assert before["object"]["id"] in boosted and after["object"]["id"] not in boosted
