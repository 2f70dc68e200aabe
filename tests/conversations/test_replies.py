"""Public replies under an item: threaded on its page with the author's own handle, listed in
its paged ``replies`` collection; hidden ones gone from both; private ones in neither."""

from __future__ import annotations

from typing import Any

from actors.social.conversations import hide_reply, list_messages
from actors.social.local import get_local_actor
from tests.conftest import Fediverse
from tests.content.helpers import AP
from tests.conversations.helpers import Town, direct, public_reply, town


async def _collection_items(t: Town, uri: str) -> list[str]:
    coll = (await t.fed.client.get(f"{uri}/replies", headers=AP)).json()
    assert coll["type"] == "OrderedCollection" and coll["first"] == f"{uri}/replies?page=true"
    items: list[str] = []
    url: str | None = coll["first"]
    pages = 0
    while url:
        page = (await t.fed.client.get(url, headers=AP)).json()
        assert page["type"] == "OrderedCollectionPage" and page["partOf"] == f"{uri}/replies"
        items += page["orderedItems"]
        url = page.get("next")
        pages += 1
    assert coll["totalItems"] == len(items)
    assert pages == 1 + len(items) // 20
    return items


async def _club(t: Town) -> Any:
    async with t.a.inst.engine.connect() as conn:
        return await get_local_actor(conn, "club")


async def test_replies_are_threaded_paged_and_hidden_ones_gone(fed: Fediverse) -> None:
    t = await town(fed)
    doc = (await fed.client.get(t.event, headers=AP)).json()
    assert doc["replies"] == f"{t.event}/replies"
    first = public_reply(t.ann, "Count me in for the tyres", t.event)
    await t.send(t.ann, first)
    answer_to_ann = public_reply(t.bo, "Me too, see you", first["object"]["id"])  # a reply to a reply
    await t.send(t.bo, answer_to_ann)
    await t.send(t.bo, direct(t.bo, "private question", parent=t.event))
    others = [public_reply(t.bo, f"reply number {i}", t.event) for i in range(21)]
    for r in others:
        await t.send(t.bo, r)

    items = await _collection_items(t, t.event)
    assert items == [first["object"]["id"], *(r["object"]["id"] for r in others)]  # 22 over two pages
    page = (await fed.client.get(t.event)).text
    assert 'href="http://masto.test/users/ann"' in page and "@ann@masto.test" in page and "@bo@gts.test" in page
    assert page.index("Count me in") < page.index("Me too, see you") < page.index("reply number 0")
    assert 'class="reply depth-1"' in page  # the reply to a reply is indented under it
    assert "private question" not in page and "private question" not in str(items)

    club = await _club(t)
    msg = next(m for m in await list_messages(t.a.inst, club.id) if m.object_uri == first["object"]["id"])
    assert await hide_reply(t.a.inst, club.id, msg.id) == first["object"]["id"]
    assert first["object"]["id"] not in await _collection_items(t, t.event)
    assert "Count me in" not in (await fed.client.get(t.event)).text
    await hide_reply(t.a.inst, club.id, msg.id, hidden=False)
    assert first["object"]["id"] in await _collection_items(t, t.event)


async def test_replies_of_a_deleted_item_are_not_served(fed: Fediverse) -> None:
    from actors.publishing.publishing import delete_object

    t = await town(fed)
    await t.send(t.ann, public_reply(t.ann, "nice", t.event))
    await delete_object(t.a.inst, t.event)
    assert (await fed.client.get(f"{t.event}/replies", headers=AP)).status_code == 404
