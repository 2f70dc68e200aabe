"""A reply or a direct message about a listing reaches the organisers linked to the listing;
the public reply shows under it, the direct one nowhere public, and neither signs anyone up."""

from __future__ import annotations

from sqlalchemy import func, select

from actors.publishing.publishing import publish
from actors.social.accounts import create_account
from actors.social.conversations import list_messages
from actors.social.local import get_local_actor
from actors.storage.models import Role, participants
from tests.conftest import Fediverse
from tests.content.helpers import listing_body
from tests.conversations.helpers import direct, public_reply, town
from tests.conversations.test_pages import PASSWORD, _browser


async def test_reply_and_dm_about_a_listing_land_in_messages_linked_to_it(fed: Fediverse) -> None:
    t = await town(fed)
    listing = await publish(t.a.inst, "club", listing_body(title="儿童自行车", contact="微信 li_bike"))
    await fed.drain()
    await t.send(t.ann, public_reply(t.ann, "还在吗？+1", listing.uri))
    await t.send(t.bo, direct(t.bo, "+1 我想要，怎么联系？", parent=listing.uri))

    async with t.a.inst.engine.connect() as conn:
        club = await get_local_actor(conn, "club")
        signed_up = (await conn.execute(select(func.count()).select_from(participants))).scalar_one()
    assert club is not None and signed_up == 0
    rows = {r.actor_uri: r for r in await list_messages(t.a.inst, club.id)}
    assert (rows[t.ann.uri].kind, rows[t.ann.uri].about_uri, rows[t.ann.uri].about_name) == (
        "reply", listing.uri, "儿童自行车")
    assert (rows[t.bo.uri].kind, rows[t.bo.uri].about_uri) == ("direct", listing.uri)

    page = (await fed.client.get(listing.uri)).text
    assert "还在吗" in page and "怎么联系" not in page

    await create_account(t.a.inst, "mod", PASSWORD, community="club", role=Role.MODERATOR)
    async with _browser(t, "mod") as mod:
        inbox = (await mod.get("/dashboard/club/inbox")).text
    assert inbox.count(f'<a href="{listing.uri}">儿童自行车</a>') == 2 and "怎么联系" in inbox
