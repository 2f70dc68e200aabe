"""Organisers' messages: every reaction from a Mastodon- or GoToSocial-shaped follower lands in
the community's messages, and nothing of it reaches a public output."""

from __future__ import annotations

import argparse
from typing import Any

import pytest

from actors.publishing.publishing import publish
from actors.social.conversations import ConversationError, answer, count_reactions, list_messages
from actors.social.local import get_local_actor
from fedi import vocab
from fedi.httpsig import HTTPSignatureAuth
from tests.conftest import Fediverse
from tests.content.helpers import AP, object_row
from tests.conversations.helpers import (
    CLUB,
    Town,
    announce,
    direct,
    flag,
    like,
    note,
    public_reply,
    town,
)
from tests.fakes.remote import FakeUser
from web.cli import build_parser
from web.cli import messages as cli_messages


async def _community(t: Town) -> Any:
    async with t.a.inst.engine.connect() as conn:
        return await get_local_actor(conn, "club")


async def _kinds(t: Town) -> list[tuple[str, str]]:
    c = await _community(t)
    return [(r.kind, r.actor_uri) for r in await list_messages(t.a.inst, c.id)]


async def _public_text(t: Town) -> str:
    """Everything the public outputs serve, concatenated."""
    get = t.fed.client.get
    token = t.event.rsplit("/", 1)[1]
    parts = [
        (await get(t.a.url("/"))).text, (await get(t.a.url("/api/feed"))).text,
        (await get(t.a.url("/feed.atom"))).text, (await get(t.a.url("/search?q=phone"))).text,
        (await get(t.a.url("/@club"))).text, (await get(t.event)).text,
        (await get(t.a.url("/c/club/outbox?page=true"), headers=AP)).text,
        (await get(t.event, headers=AP)).text,
        (await get(t.a.url(f"/o/{token}/replies?page=true"), headers=AP)).text,
    ]
    return "\n".join(parts)


async def test_each_reaction_reaches_the_organisers_and_nothing_is_public(fed: Fediverse) -> None:
    t = await town(fed)
    await t.send(t.ann, direct(t.ann, "secret phone 138"))  # a DM from Mastodon
    await t.send(t.bo, direct(t.bo, "secret from gts", parent=t.event))  # a private reply from GoToSocial
    # A public mention is a submission to the club now (tests/submissions): queued, not a message.
    await t.send(t.ann, note(t.ann, "secret mention", to=[vocab.PUBLIC], cc=[CLUB]))
    await t.send(t.bo, note(t.bo, "secret followers", to=[f"{t.bo.uri}/followers"], cc=[CLUB]))
    await t.send(t.ann, like(t.ann, t.event))
    await t.send(t.bo, like(t.bo, t.event))
    await t.send(t.ann, announce(t.ann, t.event))  # ann's server is not followed here: still counted
    await t.send(t.bo, flag(t.bo, [CLUB, t.event], "secret report"))
    assert await _kinds(t) == [
        ("report", t.bo.uri), ("boost", t.ann.uri), ("like", t.bo.uri), ("like", t.ann.uri),
        ("direct", t.bo.uri), ("direct", t.bo.uri), ("direct", t.ann.uri),
    ]
    row = await object_row(t.a, t.event)
    async with t.a.inst.engine.connect() as conn:
        assert await count_reactions(conn, row.id) == {"interested": 2, "boosts": 1}
    page = (await fed.client.get(t.event)).text
    assert "感兴趣" in page and "2" in page
    assert "secret" not in await _public_text(t)
    # Nothing was sent back for any of them (only the Accepts of the two follows).
    assert {a["type"] for u in (t.ann, t.bo) for a in t.received_by(u)} == {"Accept"}


async def test_undo_takes_a_favourite_and_a_boost_back(fed: Fediverse) -> None:
    t = await town(fed)
    fav, boost = like(t.bo, t.event), announce(t.bo, t.event)
    await t.send(t.bo, fav)
    await t.send(t.bo, boost)
    await t.send(t.bo, t.bo.undo(fav))
    await t.send(t.bo, t.bo.undo(boost))
    row = await object_row(t.a, t.event)
    async with t.a.inst.engine.connect() as conn:
        assert await count_reactions(conn, row.id) == {"interested": 0, "boosts": 0}
    assert await _kinds(t) == []


async def test_organiser_answers_a_dm_privately_and_a_reply_publicly(fed: Fediverse) -> None:
    t = await town(fed)
    await t.send(t.bo, direct(t.bo, "几点开门?"))
    await t.send(t.ann, public_reply(t.ann, "Looks great", t.event))
    club = await _community(t)
    rows = await list_messages(t.a.inst, club.id)
    reply_id, dm_id = rows[0].id, rows[1].id
    assert [rows[0].kind, rows[1].kind] == ["reply", "direct"]

    visibility, _ = await answer(t.a.inst, club, dm_id, "下午两点 <b>见</b>")
    assert visibility == "direct"
    await fed.drain()
    [got] = t.notes_to(t.bo)
    sent = next(r for r in t.gts.received if r.activity is got)
    assert sent.signer == CLUB and sent.path == "/users/bo/inbox"  # signed by the community, verified by bo's server
    obj = got["object"]
    assert obj["to"] == [t.bo.uri] and obj["cc"] == [] and got["to"] == [t.bo.uri] and not got.get("cc")
    assert vocab.PUBLIC not in str(got)
    assert obj["tag"] == [{"type": "Mention", "href": t.bo.uri, "name": "@bo@gts.test"}]
    assert "&lt;b&gt;见&lt;/b&gt;" in obj["content"] and obj["inReplyTo"] == rows[1].object_uri
    assert (await fed.client.get(obj["id"], headers=AP)).status_code == 404  # a private note is never served
    assert "下午两点" not in await _public_text(t)

    visibility, _ = await answer(t.a.inst, club, reply_id, "Thanks, see you there")
    assert visibility == "public"
    await fed.drain()
    [public] = [a for a in t.received_by(t.ann) if a["type"] == "Create"]
    assert public["object"]["to"] == [vocab.PUBLIC] and t.ann.uri in public["object"]["cc"]
    assert public["object"]["inReplyTo"] == rows[0].object_uri
    assert (await fed.client.get(public["object"]["id"], headers=AP)).json()["inReplyTo"] == rows[0].object_uri
    page = (await fed.client.get(t.event)).text
    assert "Looks great" in page and "Thanks, see you there" in page
    home = (await fed.client.get(t.a.url("/api/feed"))).text
    assert "Thanks, see you there" not in home and "Looks great" not in home
    assert all(r.answered_at is not None for r in (await list_messages(t.a.inst, club.id))[:2])

    with pytest.raises(ConversationError):
        await answer(t.a.inst, club, dm_id, "   ")


async def test_a_private_activity_is_served_only_to_a_signed_get_from_its_addressee(fed: Fediverse) -> None:
    t = await town(fed)
    await t.send(t.bo, direct(t.bo, "几点开门?"))
    club = await _community(t)
    [dm] = await list_messages(t.a.inst, club.id)
    await answer(t.a.inst, club, dm.id, "下午两点见")
    await fed.drain()
    [got] = t.notes_to(t.bo)

    def signed_by(user: FakeUser) -> HTTPSignatureAuth:
        return HTTPSignatureAuth(user.key_id, user.private_key_pem, clock=user.remote.clock)

    assert (await fed.client.get(got["id"], headers=AP)).status_code == 404  # anyone: not even that it exists
    assert (await fed.client.get(got["id"], headers=AP, auth=signed_by(t.ann))).status_code == 404  # not addressed
    answered = await fed.client.get(got["id"], headers=AP, auth=signed_by(t.bo))
    assert answered.status_code == 200 and answered.json()["object"]["content"] == got["object"]["content"]
    public = await publish(t.a.inst, "club", {"type": "note", "content": "开放日"})
    await fed.drain()
    [create] = [a for a in t.received_by(t.ann) if a["type"] == "Create" and a["object"]["id"] == public.uri]
    assert (await fed.client.get(create["id"], headers=AP)).status_code == 200  # public: anyone


async def test_cli_lists_newest_first_unread_marked_and_answers(
    fed: Fediverse, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    t = await town(fed)
    await t.send(t.ann, direct(t.ann, "first"))
    await t.send(t.bo, public_reply(t.bo, "second", t.event))

    async def direct_instance(args: argparse.Namespace, fn: Any) -> int:
        return int(await fn(t.a.inst))

    monkeypatch.setattr(cli_messages, "_with_instance", direct_instance)

    async def run(*argv: str) -> str:
        assert await cli_messages.cmd_inbox(build_parser().parse_args(["inbox", *argv])) == 0
        return capsys.readouterr().out

    lines = (await run("club", "--mark-read")).splitlines()
    assert lines[0].startswith("* ") and "\treply\t@bo@gts.test" in lines[0] and lines[0].endswith("second")
    assert lines[1].startswith("* ") and "\tdirect\t@ann@masto.test" in lines[1]
    assert lines[2] == "2 marked read"
    assert all(line.startswith("  ") for line in (await run("club")).splitlines())
    dm_id = lines[1].split()[1]
    assert "answered" in await run("club", "--answer", dm_id, "--text", "好的")
    await fed.drain()
    assert len(t.notes_to(t.ann)) == 1
