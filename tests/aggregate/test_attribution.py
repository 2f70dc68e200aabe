"""Attribution by meaning, not by arrival (issue 11), and FEP-1b12 ``Announce`` wrappers.

An object belongs to the community its ``audience`` names, else the community in its
``attributedTo``, else the followed group that announced it; the member is its byline. The
same object arriving as a member's ``Create``, a group's ``Announce`` or from the outbox ends
up identical. Shapes as Mobilizon (group event: ``attributedTo`` group, ``actor`` member) and
Lemmy (``Announce{Create|Update|Delete{Page}}`` with ``audience``) send them.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from starlette.responses import JSONResponse
from starlette.routing import Route

from actors.feed.aggregate import backfill
from actors.social.remote import get_actor
from actors.storage.models import actors
from fedi import vocab
from tests.aggregate.conftest import Net, followed_group
from tests.aggregate.fakes import OutboxRemote
from tests.fakes.remote import FakeUser


async def _actor_id(net: Net, uri: str) -> int:
    async with net.c.inst.engine.connect() as conn:
        return int((await conn.execute(select(actors.c.id).where(actors.c.uri == uri))).scalar_one())


async def _api_item(net: Net, uri: str, query: str) -> dict[str, Any] | None:
    items = (await net.fed.client.get(net.c.url(f"/api/feed?{query}&limit=100"))).json()["items"]
    found = [i for i in items if i["id"] == uri]
    assert len(found) <= 1, uri
    return found[0] if found else None


async def test_a_mobilizon_group_event_is_the_groups_whichever_route_it_takes(net: Net) -> None:
    remote, group = await followed_group(net, "mobi.test", "dancers")
    member = remote.add_user("emorrp1")  # not followed

    def event(key: str, name: str) -> dict[str, Any]:
        return {"id": remote.object_id(key), "type": "Event", "name": name, "attributedTo": group.uri,
                "actor": member.uri, "startTime": "2030-02-01T19:00:00Z", "endTime": "2030-02-01T21:00:00Z",
                "to": [vocab.PUBLIC], "cc": [f"{group.uri}/followers"], "content": "<p>£6 each.</p>",
                "tag": [{"type": "Hashtag", "name": "#Dance", "href": f"{remote.base}/tags/dance"}]}

    def create(obj: dict[str, Any]) -> dict[str, Any]:
        return {"@context": vocab.AS_CONTEXT, "id": obj["id"] + "/activity", "type": "Create", "actor": member.uri,
                "object": obj, "to": obj["to"], "cc": obj["cc"]}

    def announce(obj: dict[str, Any]) -> dict[str, Any]:
        return {"@context": vocab.AS_CONTEXT, "id": group.new_id("announces"), "type": "Announce",
                "actor": group.uri, "object": obj, "to": [f"{group.uri}/followers", member.uri], "cc": [vocab.PUBLIC]}

    pushed, announced, both, backfilled = (event(k, f"Ceilidh {k}") for k in ("e1", "e2", "e3", "e4"))
    await remote.send(member, create(pushed), net.c.url("/inbox"))
    await remote.send(group, announce(announced), net.c.url("/inbox"))
    await remote.send(group, announce(both), net.c.url("/inbox"))
    await remote.send(member, create(both), net.c.url("/inbox"))
    await net.fed.drain()
    remote.outboxes["dancers"] = [create(backfilled)]
    assert (await backfill(net.c.inst, await get_actor(net.c.inst, group.uri))).stored == 1

    group_id, member_id = await _actor_id(net, group.uri), await _actor_id(net, member.uri)
    shapes = set()
    for obj in (pushed, announced, both, backfilled):
        row = await net.row(obj["id"])
        assert (row.community_id, row.actor_id, row.visibility) == (group_id, member_id, "public"), obj["id"]
        assert row.tags == "dance"
        item = await _api_item(net, obj["id"], "kind=event")
        assert item is not None, obj["id"]
        assert item["community"]["uri"] == group.uri and item["community"]["handle"] == "@dancers@mobi.test"
        assert item["author"]["handle"] == "@emorrp1@mobi.test" and item["author"]["url"] == member.uri
        shapes.add((row.community_id, row.actor_id, row.visibility, row.kind, row.tags))
    assert len(shapes) == 1
    # The member is a byline, not a community; the group is one.
    page = (await net.fed.client.get(net.c.url("/communities"))).text
    assert "@dancers@mobi.test" in page and "@emorrp1@mobi.test" not in page
    assert (await net.fed.client.get(net.c.url(f"/communities/{member_id}"))).status_code == 404
    # The item page names the member by their own handle, linking to their own profile.
    detail = (await net.fed.client.get(net.c.url(f"/items/{(await net.row(pushed['id'])).id}"))).text
    assert "@emorrp1@mobi.test" in detail and f'href="{member.uri}"' in detail and 'href="/@emorrp1"' not in detail


class Lemmy:
    def __init__(self, remote: OutboxRemote, community: FakeUser, user: FakeUser) -> None:
        self.remote, self.c, self.u = remote, community, user
        self.n = 0

    def page(self, key: str, name: str, **extra: Any) -> dict[str, Any]:
        return {"id": self.remote.object_id(key), "type": "Page", "attributedTo": self.u.uri,
                "to": [self.c.uri, vocab.PUBLIC], "audience": self.c.uri, "name": name,
                "content": f"<p>{name}</p>", "mediaType": "text/html",
                "tag": [{"href": self.c.uri, "type": "Mention", "name": "@gardens@lemmy.test"}], **extra}

    def inner(self, kind: str, obj: Any, actor: str | None = None) -> dict[str, Any]:
        self.n += 1
        return {"actor": actor or self.u.uri, "to": [vocab.PUBLIC], "object": obj, "cc": [self.c.uri],
                "audience": self.c.uri, "type": kind, "id": f"{self.remote.base}/activities/{kind.lower()}/{self.n}"}

    def announce(self, act: dict[str, Any]) -> dict[str, Any]:
        self.n += 1
        return {"@context": vocab.AS_CONTEXT, "actor": self.c.uri, "to": [vocab.PUBLIC], "object": act,
                "cc": [f"{self.c.uri}/followers"], "type": "Announce",
                "id": f"{self.remote.base}/activities/announce/{self.n}"}


async def test_lemmy_posts_belong_to_the_community_live_by_backfill_and_direct(net: Net) -> None:
    remote, community = await followed_group(net, "lemmy.test", "gardens")
    lemmy = Lemmy(remote, community, remote.add_user("picard"))
    live, backfilled, direct = lemmy.page("p1", "Seed swap"), lemmy.page("p2", "Compost notes"), lemmy.page("p3", "Pruning")
    await remote.send(community, lemmy.announce(lemmy.inner("Create", live)), net.c.url("/inbox"))
    # Lemmy itself never pushes a member's Create to community followers, but others may:
    # a followed audience makes it relevant, and it is the community's all the same.
    direct_create = {"@context": vocab.AS_CONTEXT, **lemmy.inner("Create", direct)}
    await remote.send(lemmy.u, direct_create, net.c.url("/inbox"))
    await net.fed.drain()
    remote.outboxes["gardens"] = [lemmy.announce(lemmy.inner("Create", backfilled))]
    assert (await backfill(net.c.inst, await get_actor(net.c.inst, community.uri))).stored == 1

    community_id, picard_id = await _actor_id(net, community.uri), await _actor_id(net, lemmy.u.uri)
    for obj in (live, backfilled, direct):
        row = await net.row(obj["id"])
        assert row is not None, obj["id"]
        assert (row.community_id, row.actor_id, row.visibility) == (community_id, picard_id, "public"), obj["id"]
        item = await _api_item(net, obj["id"], "kind=note")
        assert item is not None and item["community"]["uri"] == community.uri, obj["id"]
        assert item["author"]["handle"] == "@picard@lemmy.test"


async def test_announced_update_delete_and_undo_follow_the_direct_origin_rules(net: Net) -> None:
    remote, community = await followed_group(net, "lemmy.test", "gardens")
    lemmy = Lemmy(remote, community, remote.add_user("picard"))
    mod = remote.add_user("mod")
    kept, removed, by_mod = lemmy.page("p1", "Seed swap"), lemmy.page("p2", "Compost"), lemmy.page("p3", "Orchard")
    for obj in (kept, removed, by_mod):
        await remote.send(community, lemmy.announce(lemmy.inner("Create", obj)), net.c.url("/inbox"))
    await net.fed.drain()
    removed_id = (await net.row(removed["id"])).id

    # Announce{Update}: applied as the author's own Update.
    edited = dict(kept, name="Seed swap moved to Sunday", updated="2026-12-04T08:00:00Z")
    await remote.send(community, lemmy.announce(lemmy.inner("Update", edited)), net.c.url("/inbox"))
    # Announce{Delete} by the author (a bare id, as Lemmy sends it): the post is removed.
    await remote.send(community, lemmy.announce(lemmy.inner("Delete", removed["id"])), net.c.url("/inbox"))
    # A moderator of the same instance removes another post: allowed as a direct Delete is.
    await remote.send(community, lemmy.announce(lemmy.inner("Delete", by_mod["id"], mod.uri)), net.c.url("/inbox"))
    await net.fed.drain()
    assert (await net.row(kept["id"])).name == "Seed swap moved to Sunday"
    assert (await net.row(removed["id"])).deleted_at is not None
    assert (await net.row(by_mod["id"])).deleted_at is not None
    assert await _api_item(net, removed["id"], "kind=note") is None
    assert (await net.fed.client.get(net.c.url(f"/items/{removed_id}"))).status_code == 410

    # A Delete wrapped by the group but claiming an actor of another server is not applied.
    evil = net.fed.remote("evil.test").add_user("eve")
    forged = lemmy.announce(lemmy.inner("Delete", kept["id"], evil.uri))
    forged["object"]["id"] = f"{evil.remote.base}/activities/delete/1"
    await remote.send(community, forged, net.c.url("/inbox"))
    # An announced Undo is dispatched like a direct one (an Undo of a Delete is not handled).
    undo = lemmy.announce(lemmy.inner("Undo", lemmy.inner("Delete", removed["id"])))
    await remote.send(community, undo, net.c.url("/inbox"))
    await net.fed.drain()
    assert (await net.row(kept["id"])).deleted_at is None
    results = [r for _, r in await net.inbox_results("Announce")]
    assert any("another origin" in r for r in results), results
    assert any("announced Undo" in r and "Undo of Delete is not handled" in r for r in results), results


async def test_an_announced_venue_page_is_public_by_the_pages_addressing(net: Net) -> None:
    """A venue is stored as the Place inside the Page; its audience is the Page's own."""
    remote, group = await followed_group(net, "hall.test", "hall")
    place = {"id": remote.object_id("place1"), "type": "Place", "name": "Community hall",
             "latitude": 30.26, "longitude": 120.11}
    page = {"id": remote.object_id("page1"), "type": "Page", "attributedTo": group.uri, "name": "Community hall",
            "content": "<p>The hall.</p>", "to": [vocab.PUBLIC], "cc": [f"{group.uri}/followers"], "location": place}
    announce = {"@context": vocab.AS_CONTEXT, "id": group.new_id("announces"), "type": "Announce",
                "actor": group.uri, "object": page, "to": [vocab.PUBLIC]}
    assert (await remote.send(group, announce, net.c.url("/inbox"))).status_code == 202
    await net.fed.drain()
    row = await net.row(place["id"])
    assert (row.kind, row.visibility, row.community_id) == ("venue", "public", await _actor_id(net, group.uri))
    assert await _api_item(net, place["id"], "kind=venue") is not None


async def test_a_stranger_cannot_claim_a_followed_communitys_audience(net: Net) -> None:
    """``audience`` names a community here, but the post is from another server and the
    community never announced it: kept (it concerns us) and never shown as the community's."""
    remote, community = await followed_group(net, "lemmy.test", "gardens")
    evil = net.fed.remote("evil.test")
    eve = evil.add_user("eve")
    post = {"id": eve.new_id("post"), "type": "Page", "attributedTo": eve.uri, "audience": community.uri,
            "to": [community.uri, vocab.PUBLIC], "name": "Free money", "content": "<p>CLAIMED</p>"}
    create = {"@context": vocab.AS_CONTEXT, "id": eve.new_id(), "type": "Create", "actor": eve.uri,
              "object": post, "to": post["to"]}
    assert (await evil.send(eve, create, net.c.url("/inbox"))).status_code == 202
    await net.fed.drain()
    row = await net.row(post["id"])
    assert row is not None and row.visibility == "public" and row.community_id is None
    assert (await net.fed.client.get(net.c.url(f"/items/{row.id}"))).status_code == 404
    assert "CLAIMED" not in (await net.fed.client.get(net.c.url("/api/feed?kind=note"))).text
    # Announced by the community itself, the same post is the community's.
    announce = {"@context": vocab.AS_CONTEXT, "id": community.new_id("announces"), "type": "Announce",
                "actor": community.uri, "object": post["id"], "to": [vocab.PUBLIC]}
    evil_doc = {"@context": vocab.AS_CONTEXT, **post}
    evil.app.router.routes.insert(0, Route("/post/{n}", lambda request: JSONResponse(
        evil_doc, media_type="application/activity+json")))
    assert (await remote.send(community, announce, net.c.url("/inbox"))).status_code == 202
    await net.fed.drain()
    assert (await net.row(post["id"])).community_id == await _actor_id(net, community.uri)
    assert await _api_item(net, post["id"], "kind=note") is not None
