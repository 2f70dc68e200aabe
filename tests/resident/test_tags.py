"""``/tags/NAME`` (and ``.ics``, ``.atom``) answers on every instance with that instance's feed
filtered by the tag, and every hashtag link Yinhu sends (``tag[].href``, links in ``content``)
or renders (item pages, a remote post's own hashtag links) points there."""

from __future__ import annotations

import re
from urllib.parse import quote, unquote, urlsplit

import feedparser
import httpx
from icalendar import Calendar

from actors.storage.models import objects
from fedi import vocab
from tests.conftest import Node
from tests.resident.conftest import Hood
from tests.resident.helpers import cards

AP = {"Accept": "application/activity+json"}


def tag_url(tag: str) -> str:
    return f"/tags/{quote(tag)}"


async def test_tag_page_is_the_feed_filtered_by_the_tag(hood: Hood) -> None:
    page = await hood.get(tag_url("读书"))
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    shown = cards(page.text)
    assert shown == cards((await hood.get("/feed", params={"tag": "读书"})).text)
    assert "读书会：三体" in shown and "免费赠送旧书" in shown
    assert "篮球友谊赛" not in shown and "儿童自行车" not in shown
    assert "<h2>#读书</h2>" in page.text
    # A "#" in the path, another case and other filters all work as on /feed.
    assert cards((await hood.get("/tags/%23读书")).text) == shown
    assert cards((await hood.get(tag_url("读书"), params={"kind": "listing"})).text) == ["免费赠送旧书"]
    # Its exports are the tag's own addresses.
    assert f'href="{tag_url("读书")}.atom"' in page.text.replace("%E8%AF%BB%E4%B9%A6", quote("读书"))
    empty = await hood.get(tag_url("没有这个标签"))
    assert empty.status_code == 200 and cards(empty.text) == []


async def test_tag_ics_and_atom(hood: Hood) -> None:
    ics = await hood.get(tag_url("读书") + ".ics")
    assert ics.status_code == 200 and ics.headers["content-type"].startswith("text/calendar")
    summaries = {str(c["SUMMARY"]) for c in Calendar.from_ical(ics.content).walk("VEVENT")}
    assert "读书会：三体" in summaries and "篮球友谊赛" not in summaries
    atom = await hood.get(tag_url("篮球") + ".atom")
    assert atom.status_code == 200
    titles = [e.title for e in feedparser.parse(atom.content).entries]
    assert titles == ["篮球友谊赛"]


async def test_tag_page_answers_on_an_aggregator_too(hood: Hood, aggregator: Node) -> None:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=aggregator.app), base_url=aggregator.base) as b:
        page = await b.get(tag_url("篮球"))
        assert page.status_code == 200
        assert cards(page.text) == ["篮球友谊赛"]  # b's own copy (backfilled from the compound)
        assert cards(page.text) == cards((await b.get("/feed", params={"tag": "篮球"})).text)
        assert (await b.get(tag_url("篮球") + ".ics")).status_code == 200


def title(page: str) -> str:
    return re.sub(r"<[^>]+>", "", page.split("<h2>", 1)[1].split("</h2>", 1)[0]).strip()


def _hashtag_hrefs(html_text: str) -> list[str]:
    """The href of every link that reads ``#name``."""
    return [href for href, _ in re.findall(r'<a\b[^>]*\bhref="([^"]*)"[^>]*>\s*#(?:<span>)?([^<]+)', html_text)]


async def test_every_hashtag_link_we_send_or_render_points_to_tags(hood: Hood) -> None:
    base = hood.a.base
    for key in ("event.today", "listing.free", "venue.room40"):
        uri = hood.uris[key]
        doc = (await hood.get(urlsplit(uri).path, headers=AP)).json()
        if doc["type"] == "Place":  # the venue's followers get its Page
            doc = (await hood.get(urlsplit(uri).path + "/announce", headers=AP)).json()
        tags = [t for t in vocab.as_list(doc.get("tag")) if t.get("type") == "Hashtag"]
        assert tags, key
        for t in tags:
            assert t["href"] == f"{base}/tags/{quote(t['name'].lstrip('#'))}", (key, t)
        for href in _hashtag_hrefs(doc.get("content", "")):
            assert href.startswith(f"{base}/tags/"), (key, href)

        page = await hood.get(f"/items/{hood.ids[key]}")
        links = _hashtag_hrefs(page.text)
        for href in links:
            path = urlsplit(href).path
            assert path.startswith("/tags/"), (key, href)
            followed = await hood.get(path)
            assert followed.status_code == 200
            assert f"<h2>#{unquote(path[len('/tags/'):])}</h2>" in followed.text
            assert title(page.text) in cards(followed.text), (key, href)  # the item is under its tag
        if key != "venue.room40":  # events and listings list their tags
            assert links, key


async def test_a_remote_posts_hashtag_links_point_to_our_tag_page(hood: Hood) -> None:
    """A Mastodon post links #读书 to its own server; shown here, the link is our /tags/读书."""
    from sqlalchemy import select

    from actors.feed.remote_objects import store_remote_object
    from actors.social.remote import store_actor
    from fedi.keys import generate_rsa_keypair

    _, pem = generate_rsa_keypair()
    alice = await store_actor(hood.a.inst, {
        "@context": vocab.AS_CONTEXT, "id": "https://masto.example/users/alice", "type": "Person",
        "preferredUsername": "alice", "inbox": "https://masto.example/users/alice/inbox",
        "publicKey": {"id": "https://masto.example/users/alice#main-key",
                      "owner": "https://masto.example/users/alice", "publicKeyPem": pem},
    })
    note = {
        "id": "https://masto.example/users/alice/statuses/1", "type": "Note", "attributedTo": alice.uri,
        "content": '<p>Reading <a href="https://masto.example/tags/%E8%AF%BB%E4%B9%A6" class="mention hashtag" '
                   'rel="tag">#<span>读书</span></a> and <a href="https://masto.example/tags/x">#other</a></p>',
        "tag": [{"type": "Hashtag", "name": "#读书", "href": "https://masto.example/tags/%E8%AF%BB%E4%B9%A6"}],
        "to": [vocab.PUBLIC],
    }
    await store_remote_object(hood.a.inst, alice, note)
    async with hood.a.inst.engine.connect() as conn:
        content = (await conn.execute(select(objects.c.content).where(objects.c.uri == note["id"]))).scalar_one()
    assert _hashtag_hrefs(content) == [tag_url("读书"), "https://masto.example/tags/x"]  # #other is no Hashtag
