"""The ``pair`` fixture: A publishes, B's feed actor and a fake remote follow A's community."""

from __future__ import annotations

import pytest

from actors.social.follows import follow_remote, list_following
from actors.social.local import create_community
from tests.conftest import Fediverse
from tests.content.helpers import Pair


@pytest.fixture
async def pair(fed: Fediverse) -> Pair:
    a = await fed.yinhu("a.test")
    b = await fed.yinhu("b.test")
    club = await create_community(a.inst, "club", name="Club")
    await follow_remote(b.inst, "yinhu", "@club@a.test")
    remote = fed.remote("watch.test")
    watcher = remote.add_user("watcher")
    assert (await remote.send(watcher, watcher.follow(club), a.url("/c/club/inbox"))).status_code == 202
    await fed.drain()
    assert [(f.uri, f.state) for f in await list_following(b.inst, "yinhu")] == [(club, "accepted")]
    remote.received.clear()
    return Pair(fed, a, b, club, remote, watcher)
