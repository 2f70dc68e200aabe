"""A validly signed remote ``Create`` full of hostile values renders with no live hostile link.

A followed remote organiser sends an Event whose ``url``, Place URL, ``location[].url``,
``externalParticipationUrl``, banner and content links are ``javascript:`` or ``data:``, and a
Note whose ``url`` is ``javascript:``. The pages that show them (``/items/N``, ``/feed``, ``/``,
Atom, the JSON API) carry none of those values as a link, and the scripts in the content are
gone. An object whose *id* is ``javascript://origin/…`` (which passes a host comparison) is
refused.
"""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

from actors.feed.feed import DISTRICT_TZ
from fedi import vocab
from tests.conftest import Fediverse
from tests.content.helpers import object_row
from tests.content.test_remote_events import _followed_by_b

JS = "javascript:alert(document.domain)"
DATA = "data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg=="


def hostile_event(base: str, actor: str, start: str) -> dict[str, Any]:
    return {
        "id": f"{base}/events/evil", "type": "Event", "name": "Hostile meetup", "attributedTo": actor,
        "url": JS, "startTime": start, "timezone": "Asia/Shanghai",
        "content": f'<p onclick="alert(1)">Come <a href="{JS}">here</a> <a href="{DATA}">or here</a>'
                   f'<script>alert(2)</script><img src=x onerror="alert(3)"></p>',
        "location": [
            {"type": "Place", "name": "Evil hall", "url": DATA, "id": JS},
            {"type": "VirtualLocation", "url": JS},
        ],
        "externalParticipationUrl": DATA,
        "attachment": [{"type": "Document", "mediaType": "image/png", "url": DATA},
                       {"type": "Link", "name": "Website", "mediaType": "text/html", "href": JS}],
        "to": [vocab.PUBLIC],
    }


def live_links(page: str) -> list[str]:
    """Every value of an attribute a browser would follow or load."""
    return re.findall(r'(?:href|src|action|formaction|srcset)\s*=\s*["\']?([^"\'\s>]*)', page, re.IGNORECASE)


def assert_inert(page: str, where: str) -> None:
    for link in live_links(page):
        assert not link.strip().lower().startswith(("javascript:", "data:", "vbscript:")), f"{where}: {link}"
    assert "onclick" not in page and "onerror" not in page and "alert(2)" not in page, where


async def test_hostile_remote_objects_show_no_live_link(fed: Fediverse) -> None:
    b = await fed.yinhu("b.test")
    remote = fed.remote("evil.test")
    sender = remote.add_user("organiser")
    await _followed_by_b(fed, b, remote, sender)
    start = (fed.clock.now.astimezone(DISTRICT_TZ) + timedelta(hours=3)).replace(microsecond=0).isoformat()
    event = hostile_event(remote.base, sender.uri, start)
    note = {"id": f"{remote.base}/notes/evil", "type": "Note", "attributedTo": sender.uri, "url": DATA,
            "content": f'<p><a href="{JS}">click</a></p>', "to": [vocab.PUBLIC]}
    for obj in (event, note):
        create = {"@context": vocab.AS_CONTEXT, "id": sender.new_id(), "type": "Create", "actor": sender.uri,
                  "to": [vocab.PUBLIC], "object": obj}
        assert (await remote.send(sender, create, b.url("/inbox"))).status_code == 202
    await fed.drain()

    row = await object_row(b, event["id"])
    assert row is not None and row.kind == "event"
    assert row.url == event["id"]  # the javascript: url fell back to the (http) id
    note_row = await object_row(b, note["id"])
    assert note_row is not None and note_row.url == note["id"]

    for path in (f"/items/{row.id}", f"/items/{note_row.id}", "/feed", "/", "/feed?kind=event", "/feed.atom",
                 "/api/feed"):
        resp = await fed.client.get(b.url(path))
        assert resp.status_code == 200, path
        text = resp.text
        assert "Hostile meetup" in text or path == f"/items/{note_row.id}", path
        assert JS not in text.replace("\\/", "/") and DATA not in text.replace("\\/", "/"), path
        assert_inert(text, path)


async def test_object_with_a_javascript_id_on_the_senders_host_is_refused(fed: Fediverse) -> None:
    b = await fed.yinhu("b.test")
    remote = fed.remote("evil.test")
    sender = remote.add_user("organiser")
    await _followed_by_b(fed, b, remote, sender)
    note = {"id": "javascript://evil.test/%0Aalert(1)", "type": "Note", "attributedTo": sender.uri,
            "content": "<p>hi</p>", "to": [vocab.PUBLIC]}
    create = {"@context": vocab.AS_CONTEXT, "id": sender.new_id(), "type": "Create", "actor": sender.uri,
              "to": [vocab.PUBLIC], "object": note}
    assert (await remote.send(sender, create, b.url("/inbox"))).status_code in (202, 400)
    await fed.drain()
    assert await object_row(b, note["id"]) is None
