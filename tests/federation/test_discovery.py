"""Discovery and documents as peers read them: WebFinger, host-meta, NodeInfo, actor
negotiation, outbox and followers collections."""

from __future__ import annotations

import pytest

from actors.publishing.publishing import publish
from actors.social.local import create_community
from fedi import vocab
from tests.conftest import Fediverse, Node

AP = {"Accept": "application/activity+json"}
LD = {"Accept": 'application/ld+json; profile="https://www.w3.org/ns/activitystreams"'}
HTML = {"Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}


@pytest.fixture
async def a(fed: Fediverse) -> Node:
    node = await fed.yinhu("a.test")
    await create_community(node.inst, "club", name="Club", summary="We meet on Sundays.")
    return node


@pytest.mark.parametrize(
    "resource",
    ["acct:club@a.test", "acct%3Aclub%40a.test", "club@a.test", "http://a.test/c/club", "http://a.test/@club", "acct:CLUB@a.test"],
)
async def test_webfinger_finds_the_community(fed: Fediverse, a: Node, resource: str) -> None:
    resp = await fed.client.get(a.url(f"/.well-known/webfinger?resource={resource}"))
    assert resp.status_code == 200, resp.text
    assert resp.headers["content-type"].startswith("application/jrd+json")
    doc = resp.json()
    assert doc["subject"] == "acct:club@a.test"
    [self_link] = [link for link in doc["links"] if link["rel"] == "self"]
    assert self_link == {"rel": "self", "type": "application/activity+json", "href": "http://a.test/c/club"}


@pytest.mark.parametrize(
    ("resource", "status"),
    [("acct:nobody@a.test", 404), ("acct:club@elsewhere.test", 404), ("http://a.test/o/123", 404), ("", 400)],
)
async def test_webfinger_unknown(fed: Fediverse, a: Node, resource: str, status: int) -> None:
    resp = await fed.client.get(a.url("/.well-known/webfinger"), params={"resource": resource} if resource else None)
    assert resp.status_code == status


async def test_host_meta_and_nodeinfo(fed: Fediverse, a: Node) -> None:
    resp = await fed.client.get(a.url("/.well-known/host-meta"))
    assert resp.status_code == 200
    assert "http://a.test/.well-known/webfinger?resource={uri}" in resp.text

    await publish(a.inst, "club", {"type": "note", "content": "one"})
    links = (await fed.client.get(a.url("/.well-known/nodeinfo"))).json()["links"]
    hrefs = {link["href"] for link in links}
    assert hrefs == {"http://a.test/nodeinfo/2.0", "http://a.test/nodeinfo/2.1"}
    for version in ("2.0", "2.1"):
        resp = await fed.client.get(a.url(f"/nodeinfo/{version}"))
        assert resp.status_code == 200
        assert f"nodeinfo.diaspora.software/ns/schema/{version}" in resp.headers["content-type"]
        doc = resp.json()
        assert doc["version"] == version
        assert "activitypub" in doc["protocols"]
        assert doc["usage"]["users"]["total"] == 1
        assert doc["usage"]["localPosts"] == 1
    assert (await fed.client.get(a.url("/nodeinfo/1.0"))).status_code == 404


@pytest.mark.parametrize("accept", [AP, LD])
async def test_actor_json(fed: Fediverse, a: Node, accept: dict[str, str]) -> None:
    resp = await fed.client.get(a.url("/c/club"), headers=accept)
    assert resp.status_code == 200
    assert resp.headers["content-type"].startswith("application/activity+json")
    assert "Accept" in resp.headers["vary"]
    doc = resp.json()
    assert doc["id"] == "http://a.test/c/club" and doc["type"] == "Group"
    assert doc["inbox"] == "http://a.test/c/club/inbox"
    assert doc["endpoints"]["sharedInbox"] == "http://a.test/inbox"
    assert doc["publicKey"]["id"] == "http://a.test/c/club#main-key"
    assert doc["publicKey"]["owner"] == doc["id"]
    assert vocab.AS_CONTEXT in doc["@context"]


async def test_actor_html_for_browsers(fed: Fediverse, a: Node) -> None:
    resp = await fed.client.get(a.url("/c/club"), headers=HTML)
    assert resp.status_code == 200
    assert resp.headers["content-type"].startswith("text/html")
    assert "Accept" in resp.headers["vary"]
    assert "Club" in resp.text
    instance_actor = await fed.client.get(a.url("/actor"), headers=AP)
    assert instance_actor.json()["type"] == "Application"
    assert (await fed.client.get(a.url("/c/nobody"), headers=AP)).status_code == 404


async def test_outbox_is_a_paginated_ordered_collection(fed: Fediverse, a: Node) -> None:
    uris = [(await publish(a.inst, "club", {"type": "note", "content": f"post {i}"})).uri for i in range(25)]
    coll = (await fed.client.get(a.url("/c/club/outbox"), headers=AP)).json()
    assert coll["type"] == "OrderedCollection" and coll["totalItems"] == 25
    page = (await fed.client.get(coll["first"], headers=AP)).json()
    assert page["type"] == "OrderedCollectionPage" and page["partOf"] == coll["id"]
    seen = [item["object"]["id"] for item in page["orderedItems"]]
    assert len(seen) == 20
    page2 = (await fed.client.get(page["next"], headers=AP)).json()
    seen += [item["object"]["id"] for item in page2["orderedItems"]]
    assert "next" not in page2
    assert seen == list(reversed(uris))  # newest first, nothing lost or repeated across pages


async def test_followers_collection_pages(fed: Fediverse, a: Node) -> None:
    remote = fed.remote("remote.test")
    users = [remote.add_user(f"u{i}") for i in range(22)]
    for user in users:
        assert (await remote.send(user, user.follow("http://a.test/c/club"), a.url("/c/club/inbox"))).status_code == 202
    await fed.drain()
    coll = (await fed.client.get(a.url("/c/club/followers"), headers=AP)).json()
    assert coll["totalItems"] == 22
    page = (await fed.client.get(coll["first"], headers=AP)).json()
    members = list(page["orderedItems"])
    page2 = (await fed.client.get(page["next"], headers=AP)).json()
    members += page2["orderedItems"]
    assert sorted(members) == sorted(u.uri for u in users)
