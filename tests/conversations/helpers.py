"""A community with an event, followed from a Mastodon-shaped server (shared inbox) and a
GoToSocial-shaped one (personal inboxes only), and the activities their users send."""

from __future__ import annotations

import html
from dataclasses import dataclass
from typing import Any

from actors.publishing.publishing import publish
from actors.social.local import create_community
from fedi import vocab
from tests.conftest import Fediverse, Node
from tests.content.helpers import event_body
from tests.fakes.remote import FakeRemote, FakeUser

CLUB = "http://a.test/c/club"


@dataclass
class Town:
    fed: Fediverse
    a: Node
    event: str
    masto: FakeRemote
    gts: FakeRemote
    ann: FakeUser  # on the Mastodon-shaped server
    bo: FakeUser  # on the GoToSocial-shaped server

    async def send(self, user: FakeUser, activity: dict[str, Any]) -> None:
        remote = user.remote
        inbox = self.a.url("/inbox") if remote.shared_inbox else self.a.url("/c/club/inbox")
        assert (await remote.send(user, activity, inbox)).status_code == 202
        await self.fed.drain()

    def received_by(self, user: FakeUser) -> list[dict[str, Any]]:
        paths = {f"/users/{user.name}/inbox", "/inbox"}
        return [r.activity for r in user.remote.received if r.path in paths]

    def notes_to(self, user: FakeUser) -> list[dict[str, Any]]:
        """Creates of Notes that arrived for ``user`` (their own inbox or their server's shared one)."""
        return [a for a in self.received_by(user) if a.get("type") == "Create"
                and isinstance(a.get("object"), dict) and user.uri in vocab.as_list(a["object"].get("to"))]


async def town(fed: Fediverse, **event: Any) -> Town:
    a = await fed.yinhu("a.test")
    await create_community(a.inst, "club", name="Club")
    published = await publish(a.inst, "club", event_body(**event))
    masto = fed.remote("masto.test")
    gts = fed.remote("gts.test", shared_inbox=False)
    t = Town(fed, a, published.uri, masto, gts, masto.add_user("ann"), gts.add_user("bo"))
    for user in (t.ann, t.bo):
        await t.send(user, user.follow(CLUB))
    return t


def mention_html(text: str) -> str:
    """Mastodon's HTML for a post that starts by mentioning the community."""
    return ('<p><span class="h-card" translate="no"><a href="http://a.test/@club" class="u-url mention">'
            f'@<span>club</span></a></span> {html.escape(text)}</p>')


def note(user: FakeUser, text: str, *, to: list[str], cc: list[str] = (), in_reply_to: str | None = None,  # type: ignore[assignment]
         mention: bool = True) -> dict[str, Any]:
    """A Create{Note} as Mastodon and GoToSocial send it."""
    obj: dict[str, Any] = {
        "id": user.new_id("statuses"), "type": "Note", "attributedTo": user.uri, "to": to, "cc": list(cc),
        "content": mention_html(text) if mention else f"<p>{html.escape(text)}</p>",
        "published": "2030-01-01T00:00:00Z",
        "tag": [{"type": "Mention", "href": CLUB, "name": "@club@a.test"}] if mention else [],
    }
    if in_reply_to:
        obj["inReplyTo"] = in_reply_to
    return {"@context": vocab.AS_CONTEXT, "id": obj["id"] + "/activity", "type": "Create", "actor": user.uri,
            "to": to, "cc": list(cc), "object": obj}


def public_reply(user: FakeUser, text: str, parent: str) -> dict[str, Any]:
    return note(user, text, to=[vocab.PUBLIC], cc=[f"{user.uri}/followers", CLUB], in_reply_to=parent)


def direct(user: FakeUser, text: str, parent: str | None = None) -> dict[str, Any]:
    return note(user, text, to=[CLUB], in_reply_to=parent)


def like(user: FakeUser, target: str) -> dict[str, Any]:
    return {"@context": vocab.AS_CONTEXT, "id": f"{user.uri}#likes/{user.new_id('l').rsplit('/', 1)[1]}",
            "type": "Like", "actor": user.uri, "object": target}


def announce(user: FakeUser, target: str) -> dict[str, Any]:
    return {"@context": vocab.AS_CONTEXT, "id": user.new_id("statuses") + "/activity", "type": "Announce",
            "actor": user.uri, "object": target, "to": [vocab.PUBLIC], "cc": [CLUB, f"{user.uri}/followers"]}


def flag(user: FakeUser, targets: list[str], text: str) -> dict[str, Any]:
    return {"@context": vocab.AS_CONTEXT, "id": user.new_id("flags"), "type": "Flag", "actor": user.uri,
            "object": targets, "content": text}
