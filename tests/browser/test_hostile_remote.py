"""A hostile remote object, as a real browser sees it: no live ``javascript:``/``data:`` link on
``/items/N`` or ``/``, nothing that runs, and no Content-Security-Policy violation on the way.

The instance (a real ``yinhu serve``) holds a remote group the feed actor follows, and that
group's Event and Note, stored through the same code the inbox runs
(``actors.feed.remote_objects.store_remote_object``), with ``javascript:`` and ``data:`` in every URL
field and scripts in the content. The browser then reads every link, image and handler of the
two pages, and a click on the "original" link must not run script.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import insert, select

from actors.feed.feed import DISTRICT_TZ
from fedi import vocab
from tests.browser.conftest import Site
from tests.content.test_hostile_remote import DATA, JS, hostile_event
from tests.e2e.conftest import Yinhu, free_port

pytestmark = pytest.mark.browser

REMOTE = "https://evil.example"
GROUP = f"{REMOTE}/groups/meetups"


async def _fill(data_dir: Path) -> dict[str, int]:
    from actors.feed.remote_objects import store_remote_object
    from actors.social.local import FEED_ACTOR_USERNAME
    from actors.social.remote import store_actor
    from actors.storage.instance import Instance
    from actors.storage.models import FollowState, actors, follows, objects
    from actors.storage.settings import load_settings
    from fedi.keys import generate_rsa_keypair

    inst = await Instance.open(load_settings(data_dir))
    try:
        _, public_pem = generate_rsa_keypair()
        group = await store_actor(inst, {
            "@context": vocab.AS_CONTEXT, "id": GROUP, "type": "Group", "preferredUsername": "meetups",
            "name": "Evil meetups", "url": JS, "inbox": f"{GROUP}/inbox", "outbox": f"{GROUP}/outbox",
            "icon": {"type": "Image", "url": DATA},
            "publicKey": {"id": f"{GROUP}#main-key", "owner": GROUP, "publicKeyPem": public_pem},
        })
        now = datetime.now(UTC)
        async with inst.engine.begin() as conn:
            feed = (await conn.execute(select(actors.c.id).where(
                actors.c.username == FEED_ACTOR_USERNAME, actors.c.local.is_(True)))).scalar_one()
            await conn.execute(insert(follows).values(
                follower_id=feed, followed_id=group.id, follow_uri=f"{REMOTE}/follows/1",
                state=FollowState.ACCEPTED.value, created_at=now, updated_at=now))
        start = (now.astimezone(DISTRICT_TZ) + timedelta(hours=2)).replace(microsecond=0).isoformat()
        event = hostile_event(REMOTE, GROUP, start)
        note = {"id": f"{REMOTE}/notes/evil", "type": "Note", "attributedTo": GROUP, "url": DATA,
                "content": f'<p>Look <a href="{JS}">here</a></p>', "to": [vocab.PUBLIC],
                "published": now.isoformat()}
        for obj in (event, note):
            await store_remote_object(inst, group, obj)
        async with inst.engine.connect() as conn:
            ids = {r.uri: r.id for r in await conn.execute(select(objects.c.uri, objects.c.id))}
        return {"event": ids[event["id"]], "note": ids[note["id"]]}
    finally:
        await inst.close()


@pytest.fixture(scope="module")
def hostile_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Site, dict[str, int]]]:
    root = tmp_path_factory.mktemp("hostile")
    logs = root / "logs"
    logs.mkdir()
    inst = Yinhu("hostile", root / "hostile", free_port(), logs)
    inst.init()
    with ThreadPoolExecutor(1) as pool:
        ids = pool.submit(asyncio.run, _fill(inst.data)).result()
    try:
        inst.start()
        yield Site(inst.url, inst.host, None), ids  # type: ignore[arg-type]
    finally:
        inst.stop()


LINKS_JS = """() => {
  const out = [];
  for (const el of document.querySelectorAll('[href],[src],[action],[formaction],[srcset],[poster]')) {
    for (const attr of ['href', 'src', 'action', 'formaction', 'srcset', 'poster']) {
      if (el.hasAttribute(attr)) out.push([el.tagName, attr, el.getAttribute(attr)]);
    }
  }
  const handlers = [];
  for (const el of document.querySelectorAll('*')) {
    for (const a of el.attributes) if (a.name.startsWith('on')) handlers.push(el.tagName + ' ' + a.name);
  }
  // Scripts other than the site's own 用我的位置 file (the only one its CSP lets run).
  const scripts = Array.from(document.scripts).filter(s => s.getAttribute('src') !== '/static/locate.js').length;
  return {links: out, handlers, scripts,
          protocols: Array.from(document.links).map(a => a.protocol)};
}"""


def test_hostile_remote_object_shows_no_live_link(hostile_site: tuple[Site, dict[str, int]], browser: Any) -> None:
    site, ids = hostile_site
    ctx = browser.new_context(base_url=site.url, locale="zh-CN", java_script_enabled=True)
    try:
        page = ctx.new_page()
        violations: list[str] = []
        page.on("console", lambda m: violations.append(m.text) if "Content Security Policy" in m.text else None)
        dialogs: list[str] = []
        page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
        for path in (f"/items/{ids['event']}", f"/items/{ids['note']}", "/", "/feed", "/communities"):
            resp = page.goto(path)
            assert resp is not None and resp.status == 200, path
            if path in (f"/items/{ids['event']}", "/"):
                assert "Hostile meetup" in page.content(), path
            found = page.evaluate(LINKS_JS)
            for tag, attr, value in found["links"]:
                assert not value.strip().lower().startswith(("javascript:", "data:", "vbscript:")), (path, tag, attr, value)
            assert set(found["protocols"]) <= {"http:", "https:"}, (path, found["protocols"])
            assert found["handlers"] == [] and found["scripts"] == 0, (path, found)
        # Following the event's "original" link goes to its http(s) id, runs nothing.
        page.goto(f"/items/{ids['event']}")
        original = page.locator(".item-links a", has_text="原文")
        assert original.get_attribute("href") == f"{REMOTE}/events/evil"
        assert dialogs == [] and violations == [], (dialogs, violations)
    finally:
        ctx.close()
