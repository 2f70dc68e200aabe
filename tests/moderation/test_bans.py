"""Bans and removals reach other servers: ``Block`` with ``target`` the community (Lemmy's
shape), ``Undo{Block}``; removal of an approved item as ``Undo{Announce}`` and the community's
``Announce`` of a ``Delete`` with a ``summary``. Every activity checked here was accepted by a
fake server that verified its signature."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from actors.publishing.decisions import approve
from actors.publishing.publishing import publish
from actors.publishing.removal import remove
from actors.social.follows import list_followers
from actors.social.moderation import ModerationError, ban, is_banned, unban
from actors.storage.models import objects, submissions
from tests.conftest import Fediverse
from tests.conversations.helpers import CLUB, Town, public_reply, town
from tests.moderation.helpers import community_id, log_rows, received


async def test_a_ban_blocks_removes_the_follower_and_refuses_their_next_follow(fed: Fediverse) -> None:
    t = await town(fed)
    block_id = await ban(t.a.inst, "club", t.ann.handle, "spam in replies")
    await fed.drain()
    # The Block reaches the person and the community's other followers (bo's own inbox).
    [to_ann] = [a for a in received(t.masto, "Block")]
    assert {k: to_ann[k] for k in ("id", "type", "actor", "object", "target", "summary")} == {
        "id": block_id, "type": "Block", "actor": CLUB, "object": t.ann.uri, "target": CLUB,
        "summary": "spam in replies"}
    assert [a["id"] for a in received(t.gts, "Block")] == [block_id]
    followers = {f.uri: f.state for f in await list_followers(t.a.inst, "club")}
    assert followers == {t.ann.uri: "rejected", t.bo.uri: "accepted"}
    # Their next Follow is answered with a Reject, and they stay out.
    await t.send(t.ann, t.ann.follow(CLUB))
    rejects = received(t.masto, "Reject")
    assert rejects and rejects[-1]["object"]["actor"] == t.ann.uri
    assert {f.uri: f.state for f in await list_followers(t.a.inst, "club")}[t.ann.uri] == "rejected"
    with pytest.raises(ModerationError, match="already banned"):
        await ban(t.a.inst, "club", t.ann.uri, "again")
    with pytest.raises(ModerationError, match="reason"):
        await ban(t.a.inst, "club", t.bo.uri, "  ")

    undo_id = await unban(t.a.inst, "club", t.ann.handle)
    await fed.drain()
    [undo] = received(t.masto, "Undo")
    assert undo["id"] == undo_id and undo["object"]["type"] == "Block" and undo["object"]["id"] == block_id
    async with t.a.inst.engine.connect() as conn:
        assert not await is_banned(conn, await community_id(t.a), await _actor_id(conn, t.ann.uri))
    await t.send(t.ann, t.ann.follow(CLUB))
    assert {f.uri: f.state for f in await list_followers(t.a.inst, "club")}[t.ann.uri] == "accepted"
    assert [(r.action, r.reason) for r in await log_rows(t.a)] == [("ban", "spam in replies"), ("unban", "")]


async def _actor_id(conn: object, uri: str) -> int:
    from actors.storage.models import actors

    return int((await conn.execute(select(actors.c.id).where(actors.c.uri == uri))).scalar_one())  # type: ignore[attr-defined]


async def _approved_submission(t: Town) -> tuple[str, str]:
    """Ann's post mentioning the club, taken by the submissions intake and approved by a
    moderator: stored under the club and boosted by it. (post id, the club's Announce id)"""
    create = public_reply(t.ann, "周六早上八点一起去爬山，山脚集合", CLUB)
    create["object"].pop("inReplyTo")
    await t.send(t.ann, create)
    async with t.a.inst.engine.connect() as conn:
        [sub] = list(await conn.execute(select(submissions)))
    assert (sub.state, sub.shape) == ("pending", "object")
    await approve(t.a.inst, sub.id, by="mod")
    await t.fed.drain()
    async with t.a.inst.engine.connect() as conn:
        announce_uri = (await conn.execute(select(submissions.c.announce_uri))).scalar_one()
    return create["object"]["id"], announce_uri


async def test_removing_an_approved_item_undoes_the_announce_and_announces_a_delete(fed: Fediverse) -> None:
    t = await town(fed)
    post, announce_id = await _approved_submission(t)
    item_id = (await t.fed.client.get(t.a.url("/api/feed?kind=note"))).json()
    assert post in str(item_id)  # the control: on the public feed before
    removed = await remove(t.a.inst, post, "not a listing")
    await fed.drain()
    assert len(removed.sent) == 2
    for remote in (t.masto, t.gts):
        [undo] = received(remote, "Undo")
        assert undo["actor"] == CLUB and undo["object"]["id"] == announce_id and undo["object"]["type"] == "Announce"
        wrapped = [a for a in received(remote, "Announce") if isinstance(a["object"], dict)
                   and a["object"].get("type") == "Delete"]
        [delete] = [w["object"] for w in wrapped]
        assert delete == {**delete, "type": "Delete", "actor": CLUB, "object": post, "summary": "not a listing"}
    async with t.a.inst.engine.connect() as conn:
        sub = (await conn.execute(select(submissions))).one()
        row = (await conn.execute(select(objects).where(objects.c.uri == post))).one()
    assert (sub.state, sub.reason, row.community_id) == ("removed", "not a listing", None)
    assert post not in (await t.fed.client.get(t.a.url("/api/feed?kind=note"))).text
    with pytest.raises(ModerationError, match="no live item"):
        await remove(t.a.inst, "http://a.test/o/nothing", "x")


async def test_removing_a_communitys_own_item_deletes_it_with_the_reason_logged(fed: Fediverse) -> None:
    t = await town(fed)
    own = await publish(t.a.inst, "club", {"type": "note", "content": "our own"})
    await fed.drain()
    async with t.a.inst.engine.connect() as conn:
        row_id = (await conn.execute(select(objects.c.id).where(objects.c.uri == own.uri))).scalar_one()
    removed = await remove(t.a.inst, t.a.url(f"/items/{row_id}"), "duplicate")
    await fed.drain()
    deletes = received(t.masto, "Delete")
    assert [d["id"] for d in deletes] == list(removed.sent) and deletes[0]["object"]["id"] == own.uri
    assert (await fed.client.get(own.uri, headers={"Accept": "application/activity+json"})).status_code == 410
    assert [(r.action, r.target, r.reason) for r in await log_rows(t.a)] == [("remove", own.uri, "duplicate")]
