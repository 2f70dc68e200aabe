"""Removing an approved item acts as one community only, and finds the item it was asked for:
another community's approval of the same post stands, and a decoy whose ``url`` names the
item's id cannot stand in for it."""

from __future__ import annotations

from sqlalchemy import select

from actors.publishing.decisions import approve
from actors.publishing.removal import remove
from actors.social.local import create_community
from actors.storage.models import actors, submissions
from tests.conftest import Fediverse
from tests.submissions.helpers import hood, mastodon_post


async def test_a_community_removes_only_its_own_approval_of_a_shared_post(fed: Fediverse) -> None:
    h = await hood(fed, "club", "club")
    await create_community(h.a.inst, "choir", name="Choir", kind="club")
    choir = h.a.url("/c/choir")
    await h.follow(h.reader)
    post = mastodon_post(h, h.ann, "周六一起唱歌，欢迎大家")
    post["object"]["tag"].append({"type": "Mention", "href": choir, "name": "@choir@a.test"})
    post["object"]["cc"].append(choir)
    await h.send(h.ann, post)
    rows = await h.rows()
    assert len(rows) == 2 and {r.state for r in rows} == {"pending"}
    async with h.a.inst.engine.connect() as conn:
        club_id = (await conn.execute(select(actors.c.id).where(actors.c.uri == h.community))).scalar_one()
    club_row = next(r for r in rows if r.community_id == club_id)
    for row in sorted(rows, key=lambda r: r.community_id == club_id):  # the club approves last
        await approve(h.a.inst, row.id, by="mod")
    await fed.drain()
    assert (await h.stored(post["object"]["id"])).community_id == club_id
    removed = await remove(h.a.inst, post["object"]["id"], "off topic", by="mod", community_id=club_row.community_id)
    await fed.drain()
    async with h.a.inst.engine.connect() as conn:
        states = dict((await conn.execute(select(submissions.c.community_id, submissions.c.state))).all())
    assert states[club_row.community_id] == "removed"
    assert [s for c, s in states.items() if c != club_row.community_id] == ["approved"]
    stored = await h.stored(post["object"]["id"])
    assert stored.community_id is not None and stored.community_id != club_row.community_id  # still the other's
    assert post["object"]["id"] in await h.feed_ids()
    undos = [a for a in h.got(h.reader, "Undo") if a["id"] in removed.sent]
    assert undos and all(u["actor"] == h.a.url(f"/c/{removed.community}") == u["object"]["actor"] for u in undos)


async def test_a_decoy_naming_the_item_as_its_url_cannot_shield_it(fed: Fediverse) -> None:
    h = await hood(fed, "club", "club")
    spam = mastodon_post(h, h.ann, "快来买便宜货")
    decoy = mastodon_post(h, h.ann, "另一条")
    decoy["object"]["url"] = spam["object"]["id"]
    await h.send(h.ann, decoy)  # stored first: an older row than the item it names
    await h.send(h.ann, spam)
    spam_row = next(r for r in await h.rows() if r.object_uri == spam["object"]["id"])
    await approve(h.a.inst, spam_row.id, by="mod")
    assert spam["object"]["id"] in await h.feed_ids()
    await remove(h.a.inst, spam["object"]["id"], "spam", by="mod")
    assert spam["object"]["id"] not in await h.feed_ids()
    assert (await h.stored(spam["object"]["id"])).community_id is None
