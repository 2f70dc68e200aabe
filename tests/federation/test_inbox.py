"""What ``POST /inbox`` refuses, with a reason, and what it accepts after a key rotation."""

from __future__ import annotations

import orjson
from sqlalchemy import func, select

from actors.social.local import create_community
from actors.storage.models import inbox_items
from tests.conftest import Fediverse, Node
from tests.fakes.remote import FakeRemote, FakeUser


async def _setup(fed: Fediverse) -> tuple[Node, str, FakeRemote, FakeUser]:
    a = await fed.yinhu("a.test")
    club = await create_community(a.inst, "club", name="Club")
    remote = fed.remote("remote.test")
    return a, club, remote, remote.add_user("alice")


async def _stored(node: Node) -> int:
    async with node.inst.engine.connect() as conn:
        return int((await conn.execute(select(func.count()).select_from(inbox_items))).scalar_one())


async def test_unsigned_post_is_401_with_a_reason(fed: Fediverse) -> None:
    a, club, _remote, alice = await _setup(fed)
    resp = await fed.client.post(
        a.url("/inbox"), content=orjson.dumps(alice.follow(club)),
        headers={"Content-Type": "application/activity+json"},
    )
    assert resp.status_code == 401
    assert "not signed" in resp.json()["error"]
    assert await _stored(a) == 0


async def test_body_altered_after_signing_is_401(fed: Fediverse) -> None:
    a, club, _remote, alice = await _setup(fed)
    follow = alice.follow(club)
    signed_body = orjson.dumps(follow)
    request = fed.client.build_request(
        "POST", a.url("/inbox"), content=signed_body, headers={"Content-Type": "application/activity+json"}
    )
    from fedi.httpsig import HTTPSignatureAuth

    flow = HTTPSignatureAuth(alice.key_id, alice.private_key_pem).auth_flow(request)
    signed = next(flow)
    tampered = orjson.dumps({**follow, "object": f"{club}x"})
    resp = await fed.client.post(
        a.url("/inbox"), content=tampered,
        headers={k: v for k, v in signed.headers.items() if k.lower() != "content-length"},
    )
    assert resp.status_code == 401
    assert "digest" in resp.json()["error"].lower()
    assert await _stored(a) == 0


async def test_actor_other_than_key_owner_is_401(fed: Fediverse) -> None:
    a, club, remote, alice = await _setup(fed)
    mallory = remote.add_user("mallory")
    forged = {**alice.follow(club), "actor": mallory.uri}
    resp = await remote.send(alice, forged, a.url("/inbox"))
    assert resp.status_code == 401
    assert mallory.uri in resp.json()["error"]
    assert await _stored(a) == 0


async def test_activity_claiming_a_local_actor_is_401(fed: Fediverse) -> None:
    a, club, remote, alice = await _setup(fed)
    forged = {**alice.follow(club), "id": "http://a.test/a/forged", "actor": club}
    resp = await remote.send(alice, forged, a.url("/inbox"))
    assert resp.status_code == 401
    assert await _stored(a) == 0


async def test_oversized_body_is_413_and_invalid_json_400(fed: Fediverse) -> None:
    a, club, remote, alice = await _setup(fed)
    big = {**alice.follow(club), "padding": "x" * (a.inst.settings.max_body_bytes + 1)}
    resp = await remote.send(alice, big, a.url("/inbox"))
    assert resp.status_code == 413
    assert "error" in resp.json()
    resp = await remote.send(alice, {}, a.url("/inbox"), body=b'{"type": "Follow", ')
    assert resp.status_code == 400
    assert "JSON" in resp.json()["error"]
    assert await _stored(a) == 0


async def test_unknown_community_inbox_is_404(fed: Fediverse) -> None:
    a, club, remote, alice = await _setup(fed)
    resp = await remote.send(alice, alice.follow(club), a.url("/c/nobody/inbox"))
    assert resp.status_code == 404
    assert await _stored(a) == 0


async def test_rotated_remote_key_is_refetched(fed: Fediverse) -> None:
    a, club, remote, alice = await _setup(fed)
    assert (await remote.send(alice, alice.follow(club), a.url("/c/club/inbox"))).status_code == 202
    remote.rotate_key(alice)
    like = {"@context": "https://www.w3.org/ns/activitystreams", "id": alice.new_id(),
            "type": "Like", "actor": alice.uri, "object": club}
    resp = await remote.send(alice, like, a.url("/inbox"))
    assert resp.status_code == 202, resp.text
    assert await _stored(a) == 2
    # A signature that is simply wrong (not a rotation) is still refused after the refetch.
    other = remote.add_user("other")
    alice_with_wrong_key = type(alice)(remote, "alice", other.private_key_pem, other.public_key_pem)
    resp = await remote.send(alice_with_wrong_key, {**like, "id": alice.new_id()}, a.url("/inbox"))
    assert resp.status_code == 401
    assert await _stored(a) == 2


async def test_activity_id_on_another_host_is_refused(fed: Fediverse) -> None:
    """An actor cannot claim an activity id on someone else's host: that would let it
    pre-empt (and so suppress, by de-duplication) the real activity with that id."""
    a, club, remote, alice = await _setup(fed)
    evil = fed.remote("evil.test")
    mallory = evil.add_user("mallory")
    stolen_id = alice.new_id("follows")
    resp = await evil.send(mallory, {**mallory.follow(club), "id": stolen_id}, a.url("/inbox"))
    assert resp.status_code == 400
    assert await _stored(a) == 0
    resp = await remote.send(alice, {**alice.follow(club), "id": stolen_id}, a.url("/inbox"))
    assert resp.status_code == 202
    await fed.drain()
    assert [r.activity["object"]["id"] for r in remote.of_type("Accept")] == [stolen_id]
