"""Outgoing signatures: draft-cavage first, RFC 9421 after a 401, remembered per host."""

from __future__ import annotations

import orjson
from sqlalchemy import select

from actors.publishing.publishing import publish
from actors.queues.delivery import DeliveryWorker
from actors.social.local import create_community
from actors.storage.models import hosts
from fedi.rfc9421 import RFC9421SignatureAuth
from tests.conftest import Fediverse


async def test_a_host_that_refuses_cavage_gets_rfc9421_and_it_is_remembered(fed: Fediverse) -> None:
    a = await fed.yinhu("a.test")
    club = await create_community(a.inst, "club", name="Club")
    remote = fed.remote("strict.test")
    user = remote.add_user("alice")
    assert (await remote.send(user, user.follow(club), a.url("/c/club/inbox"))).status_code == 202
    remote.accept_schemes = frozenset({"rfc9421"})
    await fed.drain()
    # The Accept went out as cavage, was refused with 401, and was sent again as RFC 9421.
    assert remote.schemes_seen == ["cavage", "rfc9421"]
    assert len(remote.of_type("Accept")) == 1
    async with a.inst.engine.connect() as conn:
        scheme = (await conn.execute(select(hosts.c.signature_scheme).where(hosts.c.host == "strict.test"))).scalar_one()
    assert scheme == "rfc9421"

    await publish(a.inst, "club", {"type": "note", "content": "你好"})
    assert await DeliveryWorker(a.inst).run_once() == 1
    # Remembered: the next delivery knocks with RFC 9421 at once.
    assert remote.schemes_seen[-1] == "rfc9421" and remote.schemes_seen.count("cavage") == 1
    assert len(remote.of_type("Create")) == 1


async def test_hosts_that_take_cavage_never_see_rfc9421(fed: Fediverse) -> None:
    a = await fed.yinhu("a.test")
    club = await create_community(a.inst, "club", name="Club")
    remote = fed.remote("plain.test")
    remote.accept_schemes = frozenset({"cavage"})
    user = remote.add_user("bob")
    assert (await remote.send(user, user.follow(club), a.url("/c/club/inbox"))).status_code == 202
    await fed.drain()
    await publish(a.inst, "club", {"type": "note", "content": "hello"})
    await fed.drain()
    assert set(remote.schemes_seen) == {"cavage"}
    assert len(remote.of_type("Create")) == 1


async def test_an_rfc9421_signed_follow_is_accepted_at_the_inbox(fed: Fediverse) -> None:
    """C12: a peer that signs RFC 9421 first (Fedify, Mastodon ≥ 4.7) is verified and served."""
    a, club, remote, user, follow = await fed.club_and_follower("fedify.test", "carol")
    response = await remote.client.post(
        a.url("/c/club/inbox"),
        content=orjson.dumps(follow),
        headers={"Content-Type": "application/activity+json"},
        auth=RFC9421SignatureAuth(user.key_id, user.private_key_pem, clock=fed.clock),
    )
    assert response.status_code == 202
    await fed.drain()
    accepts = remote.of_type("Accept")
    assert len(accepts) == 1 and accepts[0].activity["object"]["id"] == follow["id"]

    tampered = user.follow(club)
    request = remote.client.build_request(
        "POST", a.url("/c/club/inbox"), content=orjson.dumps(tampered),
        headers={"Content-Type": "application/activity+json"},
    )
    signed = next(RFC9421SignatureAuth(user.key_id, user.private_key_pem, clock=fed.clock).sync_auth_flow(request))
    signed.headers["content-length"] = str(len(signed.content) + 1)
    response = await remote.client.post(
        a.url("/c/club/inbox"), content=signed.content + b" ", headers=dict(signed.headers)
    )
    assert response.status_code == 401
