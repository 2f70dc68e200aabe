"""A community here, members on Mastodon-, Lemmy- and Mobilizon-shaped servers, a follower that
receives what the community sends, and the Creates each kind of member sends to submit.

The shapes are those of tests/realworld/payloads.py (Mastodon's Note with a Mention, Lemmy's
Page with ``audience``, Mobilizon's Event), addressed to the community as each software does."""

from __future__ import annotations

import html
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from actors.social.local import create_community
from actors.storage.models import objects, submissions
from fedi import vocab
from tests.conftest import Fediverse, Node
from tests.fakes.remote import FakeRemote, FakeUser


@dataclass
class Hood:
    fed: Fediverse
    a: Node
    slug: str
    masto: FakeRemote
    ann: FakeUser  # a Mastodon user
    lemmy: FakeRemote
    picard: FakeUser  # a Lemmy user
    mobilizon: FakeRemote
    emma: FakeUser  # a Mobilizon user
    reader: FakeUser  # a follower of the community (on its own server), who receives its Announces

    @property
    def community(self) -> str:
        return self.a.url(f"/c/{self.slug}")

    async def send(self, user: FakeUser, activity: dict[str, Any]) -> None:
        assert (await user.remote.send(user, activity, self.a.url("/inbox"))).status_code == 202
        await self.fed.drain()

    async def follow(self, user: FakeUser) -> None:
        await self.send(user, user.follow(self.community))

    def got(self, user: FakeUser, type_: str) -> list[dict[str, Any]]:
        """Activities of ``type_`` that reached ``user``'s server (verified by the fake)."""
        return [r.activity for r in user.remote.of_type(type_)]

    async def rows(self) -> list[Any]:
        async with self.a.inst.engine.connect() as conn:
            return list(await conn.execute(select(submissions).order_by(submissions.c.id)))

    async def stored(self, uri: str) -> Any:
        async with self.a.inst.engine.connect() as conn:
            return (await conn.execute(select(objects).where(objects.c.uri == uri))).first()

    async def feed_ids(self) -> list[str]:
        res = await self.fed.client.get(self.a.url("/api/feed"))
        assert res.status_code == 200
        return [i["id"] for i in res.json()["items"]]


async def hood(fed: Fediverse, slug: str = "market", kind: str = "interest") -> Hood:
    a = await fed.yinhu("a.test")
    await create_community(a.inst, slug, name="二手市集", kind=kind)
    masto, lemmy, mobilizon, readers = (fed.remote(d) for d in ("masto.test", "lemmy.test", "mobilizon.test", "readers.test"))
    h = Hood(fed, a, slug, masto, masto.add_user("ann"), lemmy, lemmy.add_user("picard"), mobilizon,
             mobilizon.add_user("emma"), readers.add_user("rita"))
    await h.follow(h.reader)
    return h


def _create(user: FakeUser, obj: dict[str, Any], *, to: list[str], cc: list[str]) -> dict[str, Any]:
    user.remote.serve({"@context": vocab.AS_CONTEXT, **obj})
    return {"@context": vocab.AS_CONTEXT, "id": obj["id"] + "/activity", "type": "Create", "actor": user.uri,
            "published": "2030-01-01T00:00:00Z", "to": to, "cc": cc, "object": obj}


def mastodon_post(h: Hood, user: FakeUser, text: str, *, to: list[str] | None = None) -> dict[str, Any]:
    """A public Mastodon status mentioning the community (Mastodon's HTML and Mention tag)."""
    to = to if to is not None else [vocab.PUBLIC]
    cc = [f"{user.uri}/followers", h.community] if to == [vocab.PUBLIC] else []
    obj = {"id": user.new_id("statuses"), "type": "Note", "attributedTo": user.uri, "to": to, "cc": cc,
           "published": "2030-01-01T00:00:00Z", "inReplyTo": None, "sensitive": False,
           "content": (f'<p><span class="h-card" translate="no"><a href="{h.community}" class="u-url mention">'
                       f'@<span>{h.slug}</span></a></span> {html.escape(text)}</p>'),
           "tag": [{"type": "Mention", "href": h.community, "name": f"@{h.slug}@a.test"}]}
    return _create(user, obj, to=to, cc=cc)


def lemmy_page(h: Hood, user: FakeUser, name: str, body: str) -> dict[str, Any]:
    """Lemmy's post to a community: a Page with ``audience``, to the community and Public."""
    obj = {"id": user.new_id("post"), "type": "Page", "attributedTo": user.uri, "to": [h.community, vocab.PUBLIC],
           "audience": h.community, "name": name, "content": f"<p>{html.escape(body)}</p>\n", "mediaType": "text/html",
           "source": {"content": body, "mediaType": "text/markdown"}, "sensitive": False,
           "tag": [{"href": h.community, "type": "Mention", "name": f"@{h.slug}@a.test"}],
           "published": "2030-01-01T00:00:00Z"}
    act = _create(user, obj, to=[vocab.PUBLIC], cc=[h.community])
    act["audience"] = h.community
    return act


def mobilizon_event(h: Hood, user: FakeUser, name: str) -> dict[str, Any]:
    """A Mobilizon-shaped Event addressed to the community (as a member's organiser sends it)."""
    obj = {"id": user.new_id("events"), "type": "Event", "attributedTo": user.uri, "actor": user.uri, "name": name,
           "content": "<p>£6 each. Everybody welcome.</p>", "mediaType": "text/html",
           "startTime": "2030-06-12T19:00:00+01:00", "endTime": "2030-06-12T21:00:00+01:00",
           "timezone": "Europe/London", "joinMode": "free", "status": "CONFIRMED", "category": "SPORTS",
           "location": {"type": "Place", "name": "The Kenn Centre", "latitude": 50.668, "longitude": -3.537},
           "to": [vocab.PUBLIC, h.community], "cc": [f"{user.uri}/followers"], "published": "2030-01-01T00:00:00Z"}
    return _create(user, obj, to=obj["to"], cc=obj["cc"])
