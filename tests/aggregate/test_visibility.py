"""What the fediverse sends privately stays private (issue 11).

Mastodon-shaped and GoToSocial-shaped senders (key ids ending in ``/main-key``, no shared
inbox) send aggregator C a direct message, a followers-only post, a reply and a mention. None
of them may reach any public output: the home page, the feed and search pages, ``/items/N``,
``/api/feed``, Atom, ICS, the feed actor's outbox, or a boost to the feed actor's followers;
and their authors are never listed as communities. A public post and event of a followed
person are the control: they do appear everywhere, so each check can fail.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from starlette.routing import Route

from actors.feed.aggregate import follow_many, subscriptions
from actors.publishing.publishing import publish
from actors.social.local import create_community
from actors.storage.models import objects
from fedi import vocab
from fedi.keys import generate_rsa_keypair
from tests.aggregate.conftest import Net
from tests.aggregate.fakes import OutboxRemote
from tests.fakes.remote import FakeRemote, FakeUser

FEED_C = "http://c.test/c/yinhu"
GARDEN_C = "http://c.test/c/garden"
AP = {"Accept": "application/activity+json"}


class GtsUser(FakeUser):
    """GoToSocial's key id: the actor URL + ``/main-key``, served as a stub actor."""

    @property
    def key_id(self) -> str:
        return f"{self.uri}/main-key"


class GtsRemote(FakeRemote):
    def __post_init__(self) -> None:
        super().__post_init__()
        self.app.router.routes.insert(0, Route("/users/{name}/main-key", self._actor))

    def add_user(self, name: str) -> FakeUser:
        private_pem, public_pem = generate_rsa_keypair()
        user = GtsUser(self, name, private_pem, public_pem)
        self.users[name] = user
        return user


def note(user: FakeUser, marker: str, *, to: list[str], cc: list[str], **extra: Any) -> dict[str, Any]:
    return {"id": user.new_id("statuses"), "type": "Note", "attributedTo": user.uri, "to": to, "cc": cc,
            "content": f"<p>{marker} hello</p>", "published": "2026-12-01T10:00:00Z", **extra}


def create(user: FakeUser, obj: dict[str, Any]) -> dict[str, Any]:
    return {"@context": [vocab.AS_CONTEXT, vocab.SEC_CONTEXT], "id": obj["id"] + "/activity", "type": "Create",
            "actor": user.uri, "to": obj["to"], "cc": obj["cc"], "object": obj}


def mention(target: str, name: str) -> list[dict[str, str]]:
    return [{"type": "Mention", "href": target, "name": name}]


def private_posts(user: FakeUser, local_note: str, tag: str) -> dict[str, dict[str, Any]]:
    """What Mastodon and GoToSocial send for each audience (mastodon-interop.md G3)."""
    followers = f"{user.uri}/followers"
    return {
        f"DM{tag}": note(user, f"SECRETDM{tag}", to=[GARDEN_C], cc=[], tag=mention(GARDEN_C, "@garden@c.test")),
        f"DMFEED{tag}": note(user, f"SECRETDMFEED{tag}", to=[FEED_C], cc=[], tag=mention(FEED_C, "@yinhu@c.test")),
        f"FOLLOWERS{tag}": note(user, f"SECRETFOLLOWERS{tag}", to=[followers], cc=[GARDEN_C],
                                tag=mention(GARDEN_C, "@garden@c.test")),
        f"REPLY{tag}": note(user, f"SECRETREPLY{tag}", to=[vocab.PUBLIC], cc=[followers, GARDEN_C],
                            inReplyTo=local_note, tag=mention(GARDEN_C, "@garden@c.test")),
        f"MENTION{tag}": note(user, f"SECRETMENTION{tag}", to=[vocab.PUBLIC], cc=[followers, GARDEN_C],
                              tag=mention(GARDEN_C, "@garden@c.test")),
    }


async def _follow_person(net: Net, remote: OutboxRemote, user: FakeUser) -> None:
    remote.outboxes[user.name] = []
    await follow_many(net.c.inst, [user.handle])
    await net.fed.drain()
    follow = [r for r in remote.of_type("Follow") if r.activity["object"] == user.uri][-1]
    accept = {"@context": vocab.AS_CONTEXT, "id": user.new_id(), "type": "Accept", "actor": user.uri,
              "object": follow.activity}
    assert (await remote.send(user, accept, net.c.url("/inbox"))).status_code == 202
    await net.fed.drain()
    assert [s.state for s in await subscriptions(net.c.inst) if s.uri == user.uri] == ["accepted"]


async def _public_text(net: Net, ids: list[int]) -> dict[str, str]:
    """Every public output of C, by path, as text."""
    client = net.fed.client
    paths = ["/", "/feed", "/feed?kind=note", "/feed?kind=event", "/communities", "/api/feed",
             "/api/feed?kind=note&limit=100", "/feed.atom", "/feed.atom?kind=note", "/feed.ics", "/venues/find"]
    # Every post says "hello" (the public control too); "picnic" is in both events.
    paths += ["/search?q=hello", "/api/feed?q=hello", "/search?q=picnic", "/api/feed?q=picnic&kind=event"]
    out = {}
    for path in paths:
        resp = await client.get(net.c.url(path))
        assert resp.status_code == 200, path
        out[path] = resp.text
    outbox = (await client.get(f"{FEED_C}/outbox?page=true", headers=AP)).json()
    out["outbox"] = str(outbox)
    for i in ids:
        out[f"/items/{i}"] = f"{(await client.get(net.c.url(f'/items/{i}'))).status_code}"
    return out


async def test_dm_followers_only_reply_and_mention_never_reach_a_public_output(net: Net) -> None:
    await create_community(net.c.inst, "garden", name="菜园")
    local = await publish(net.c.inst, "garden", {"type": "note", "content": "Seedlings on the balcony"})
    # A Mastodon user follows the feed actor: whatever it boosts, they receive.
    masto = net.fed.remote("masto.test")
    fan = masto.add_user("fan")
    assert (await masto.send(fan, fan.follow(FEED_C), net.c.url("/c/yinhu/inbox"))).status_code == 202
    # Senders nobody here follows: one Mastodon-shaped, one GoToSocial-shaped (no shared inbox).
    alice = masto.add_user("alice")
    gts = GtsRemote("gts.test", net.fed.client, net.fed.router, shared_inbox=False)
    net.fed.remotes.append(gts)
    bob = gts.add_user("bob")
    # A person the feed actor follows: their private posts are stored (they concern us) and
    # still never shown; their public ones are the control.
    social = OutboxRemote("social.test", net.fed.client, net.fed.router)
    net.fed.remotes.append(social)
    carol = social.add_user("carol")
    await _follow_person(net, social, carol)

    # From the followed person, only what is not public (a public reply of theirs is public).
    carols = {k: v for k, v in private_posts(carol, local.uri, "C").items() if k.startswith(("DM", "FOLLOWERS"))}
    posts = {**private_posts(alice, local.uri, "A"), **private_posts(bob, local.uri, "B"), **carols}
    senders = {"A": (masto, alice), "B": (gts, bob), "C": (social, carol)}
    carol_followers = f"{carol.uri}/followers"
    # The followed person's followers-only event and DM to the feed actor.
    posts["EVENTC"] = {"id": carol.new_id("events"), "type": "Event", "attributedTo": carol.uri,
                       "name": "SECRETFOLLOWERSEVENT picnic", "content": "<p>SECRETFOLLOWERS picnic</p>",
                       "startTime": "2030-06-01T10:00:00Z", "to": [carol_followers], "cc": []}
    public_note = note(carol, "PUBLICOK", to=[vocab.PUBLIC], cc=[carol_followers])
    public_event = {"id": carol.new_id("events"), "type": "Event", "attributedTo": carol.uri,
                    "name": "PUBLICEVENT picnic", "content": "<p>PUBLICEVENT</p>",
                    "startTime": "2030-06-02T10:00:00Z", "to": [vocab.PUBLIC], "cc": [carol_followers]}
    for key, obj in posts.items():
        remote, user = senders[key[-1]]
        inbox = net.c.url("/inbox")
        if remote is gts:  # GoToSocial delivers to each recipient's own inbox
            inbox = f"{FEED_C}/inbox" if FEED_C in obj["to"] else f"{GARDEN_C}/inbox"
        assert (await remote.send(user, create(user, obj), inbox)).status_code == 202, key
    for obj in (public_note, public_event):
        assert (await social.send(carol, create(carol, obj), net.c.url("/inbox"))).status_code == 202
    await net.settle()

    async with net.c.inst.engine.connect() as conn:
        rows = {r.uri: r for r in await conn.execute(select(objects).where(objects.c.local.is_(False)))}
    # They concern someone here, so they are kept, each with the audience it was sent to.
    expected = {"DM": "direct", "DMFEED": "direct", "FOLLOWERS": "followers", "REPLY": "public",
                "MENTION": "public", "EVENT": "followers"}
    for key, obj in posts.items():
        assert obj["id"] in rows, key
        assert rows[obj["id"]].visibility == expected[key[:-1]], key
    assert rows[public_note["id"]].visibility == "public"

    ids = [rows[o["id"]].id for o in posts.values()]
    shown = await _public_text(net, ids + [rows[public_note["id"]].id, rows[public_event["id"]].id])
    for path, text in shown.items():
        assert "SECRET" not in text, path
        for obj in posts.values():
            assert obj["id"] not in text, (path, obj["id"])
    for i in ids:
        assert shown[f"/items/{i}"] == "404"
    # The control: the followed person's public post and event are everywhere.
    assert shown[f"/items/{rows[public_note['id']].id}"] == "200"
    assert "PUBLICOK" in shown["/feed?kind=note"] and "PUBLICOK" in shown["/api/feed?kind=note&limit=100"]
    assert "PUBLICOK" in shown["/feed.atom?kind=note"] and "PUBLICEVENT" in shown["/feed.ics"]
    assert "PUBLICOK" in shown["/search?q=hello"] and "PUBLICOK" in shown["/api/feed?q=hello"]
    assert "PUBLICEVENT" in shown["/api/feed?q=picnic&kind=event"]
    # The people who replied, mentioned or wrote are not communities; the followed one and
    # the local community are.
    communities = shown["/communities"]
    for handle in ("@alice@masto.test", "@bob@gts.test", alice.uri, bob.uri):
        assert handle not in communities and handle not in shown["/"], handle
    assert "@carol@social.test" in communities and "菜园" in communities

    # The feed actor boosted the public event, and nothing private.
    boosted = [r.activity["object"] for r in masto.of_type("Announce")]
    assert public_event["id"] in boosted
    assert not {o["id"] for o in posts.values()} & set(boosted)
    assert public_event["id"] in shown["outbox"]


async def test_a_public_reply_of_a_stranger_stays_hidden_after_it_is_edited(net: Net) -> None:
    """An Update does not change who the object belongs to: still no community, still hidden."""
    await create_community(net.c.inst, "garden", name="菜园")
    masto = net.fed.remote("masto.test")
    alice = masto.add_user("alice")
    reply = note(alice, "STRANGER", to=[vocab.PUBLIC], cc=[GARDEN_C], tag=mention(GARDEN_C, "@garden@c.test"))
    await masto.send(alice, create(alice, reply), net.c.url("/inbox"))
    edited = dict(reply, content="<p>STRANGER edited</p>", updated="2026-12-02T10:00:00Z")
    update = dict(create(alice, edited), id=reply["id"] + "/update", type="Update")
    await masto.send(alice, update, net.c.url("/inbox"))
    await net.settle()
    row = await net.row(reply["id"])
    assert row is not None and "edited" in row.content and row.community_id is None
    assert (await net.fed.client.get(net.c.url(f"/items/{row.id}"))).status_code == 404
    assert "STRANGER" not in (await net.fed.client.get(net.c.url("/api/feed?kind=note"))).text
