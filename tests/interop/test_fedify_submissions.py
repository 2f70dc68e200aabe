"""A member on Fedify submits an Event to a Yinhu community; a moderator approves it with the
CLI; another Fedify actor following the community receives the community's Announce (issue 15).

The peer (tests/interop/peer/peer.mjs) holds two actors: the Group ``events`` (the member:
it follows the community and sends ``Create(Event)`` addressed to it) and the Person
``reader`` (a second follower, with a personal inbox only, so what reaches it is told apart).
Everything listed as received by the peer passed Fedify's own signature verification.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from tests.e2e.conftest import Yinhu
from tests.interop.conftest import Peer, poll

pytestmark = [pytest.mark.interop, pytest.mark.e2e]


def _feed_ids(a: Yinhu) -> list[str]:
    return [i["id"] for i in httpx.get(f"{a.url}/api/feed", timeout=10).json()["items"]]


def _from(peer: Peer, club: str, type_: str, recipient: str | None = None) -> list[dict[str, Any]]:
    return [r for r in peer.received() if r["type"] == type_ and r["actor"] == club
            and (recipient is None or r["recipient"] == recipient)]


def test_fedify_submits_an_event_a_moderator_approves_and_a_second_follower_gets_the_announce(
    peer: Peer, instance: Callable[[str], Yinhu]
) -> None:
    started = time.monotonic()
    a = instance("a")
    a.cli("community", "create", "club", "--name", "银湖读书会", "--kind", "club")
    club = f"{a.url}/c/club"
    a.start()
    for who in ("events", "reader"):
        peer.call("follow", {"actor": club, "as": who})
    poll(lambda: len(_from(peer, club, "Accept")) == 2, "Fedify's two actors to have their Follows accepted",
         context=peer.summary)

    sent = peer.call("submit-event", {"community": club, "title": "Fedify 湖边读书会", "start": "2031-08-01T11:00:00Z",
                                      "end": "2031-08-01T13:00:00Z"})
    line = poll(lambda: [x for x in a.cli("queue", "club").stdout.splitlines() if "Fedify 湖边读书会" in x],
                "the submission in `yinhu queue club`",
                context=lambda: str(a.query("SELECT activity_type, state, result FROM inbox_items")))[0]
    sid, kind, who = line.split("\t")[:3]
    assert (kind, who) == ("event", f"@events@{peer.host}")
    assert sent["id"] not in _feed_ids(a)  # pending: public nowhere

    out = a.cli("queue", "club", "--approve", sid)
    assert out.stdout.strip() == f"approved {sid}: {sent['id']}"

    # The second follower receives the FEP-1b12 Announce (the Create embedded) and the boost.
    poll(lambda: len(_from(peer, club, "Announce", "reader")) == 2,
         "the reader to receive (and verify) both Announces", context=peer.summary)
    announces = _from(peer, club, "Announce", "reader")
    wrapped = [r for r in announces if r["objectId"] == sent["activity"]]
    boosted = [r for r in announces if r["objectId"] == sent["id"]]
    assert len(wrapped) == 1 and len(boosted) == 1, announces
    create = wrapped[0]["raw"]["object"]  # FEP-1b12: the Create the member sent, embedded
    assert (create["type"], create["id"], create["object"]["id"]) == ("Create", sent["activity"], sent["id"])
    assert boosted[0]["object"]["type"] == "Event" and boosted[0]["object"]["name"] == "Fedify 湖边读书会"
    # The member's server gets the Accept of its Create.
    accept = poll(lambda: [r for r in _from(peer, club, "Accept") if r["objectId"] == sent["activity"]],
                  "the member to receive the Accept of its Create", context=peer.summary)[0]
    assert accept["signature"] is not None
    item = next(i for i in httpx.get(f"{a.url}/api/feed", timeout=10).json()["items"] if i["id"] == sent["id"])
    assert item["community"]["uri"] == club and item["author"]["handle"] == f"@events@{peer.host}"
    print(f"interop submissions: approved and announced; took {time.monotonic() - started:.1f} s")
