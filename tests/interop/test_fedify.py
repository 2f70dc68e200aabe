"""Yinhu against Fedify, an ActivityPub implementation nobody on this team wrote (issue 5).

The peer (tests/interop/peer/peer.mjs) is a Fedify 2.3.6 server with one Group actor,
``events``; Fedify's own WebFinger client, JSON-LD parser, vocabulary, signer and verifier
decide what is valid. Beside it run real ``yinhu serve`` processes on 127.0.0.1.

1. Discovery: Fedify looks up ``@club@127.0.0.1:PORT`` and our event, listing, venue, a
   deleted object (410 + Tombstone) and NodeInfo; the fields come out intact and JSON-LD
   expansion drops none of the terms we send.
2. Fedify follows a Yinhu community: our Accept reaches Fedify's verified inbox and names its
   Follow; Create/Update/Delete of an event, a listing and a venue arrive signed so that
   Fedify's verifier accepts them, with start/end/timezone, Place name/latitude/longitude,
   and the listing's price and status as text.
3. Yinhu's feed actor follows the Fedify Group: Fedify accepts; its Create(Event with a Place)
   passes our verifier (RFC 9421 first, draft-cavage after a 401) and lands in /api/feed.
4. Fedify sending with a key that is not the actor's, or an altered body, under either
   signature spec: our inbox answers 401 and nothing is stored; the same request signed
   right is accepted (so the refusals are not for some other reason).
5. Sign-up by reply: Fedify follows a community and replies 报名 to its event; the community
   answers at once with a direct Note addressed to Fedify's actor only, which reaches Fedify's
   inbox through Fedify's own signature verification, and lists Fedify as a participant.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.e2e.conftest import Yinhu
from tests.interop.conftest import Peer, poll

pytestmark = [pytest.mark.interop, pytest.mark.e2e]

AP_PUBLIC = "https://www.w3.org/ns/activitystreams#Public"
CAVAGE = "draft-cavage-http-signatures-12"
RFC9421 = "rfc9421"
TIMEZONE_IRI = "https://w3id.org/fep/8a8e/timezone"

EVENT = {
    "type": "event",
    "title": "读书会：湖边夜读",
    "content": "带一本书来，一起读。",
    "start": "2031-06-06T19:00",
    "end": "2031-06-06T21:00",
    "timezone": "Asia/Shanghai",
    "place": {"name": "银湖图书馆", "address": "湖滨路1号", "latitude": 30.25, "longitude": 120.15},
    "language": "zh",
}
# Asia/Shanghai is UTC+8 all year: what Fedify parses into Temporal.Instant, printed in UTC.
EVENT_START_UTC, EVENT_END_UTC = "2031-06-06T11:00:00Z", "2031-06-06T13:00:00Z"
LISTING = {
    "type": "listing",
    "kind": "goods",
    "title": "二手书架",
    "content": "九成新，自提。",
    "price": {"amount": "120", "currency": "CNY"},
    "condition": "good",
    "status": "available",
    "language": "zh",
}
VENUE = {
    "type": "venue",
    "name": "银湖活动室",
    "content": "安静，可借投影仪。",
    "address": "湖滨路2号",
    "latitude": 30.26,
    "longitude": 120.16,
    "capacity": 40,
    "language": "zh",
}
NOTE = {"type": "note", "content": "这条会被删除。", "language": "zh"}


# --- helpers ------------------------------------------------------------------------------------------
def _publish(a: Yinhu, tmp_path: Path, name: str, body: dict[str, Any]) -> str:
    path = tmp_path / f"{name}.json"
    path.write_text(json.dumps(body, ensure_ascii=False), encoding="utf-8")
    out = a.cli("publish", "club", str(path))
    url = out.stdout.strip().splitlines()[-1]
    assert url.startswith(f"{a.url}/o/"), out.stdout
    return url


def _update(a: Yinhu, tmp_path: Path, name: str, url: str, body: dict[str, Any]) -> None:
    path = tmp_path / f"{name}-update.json"
    path.write_text(json.dumps(body, ensure_ascii=False), encoding="utf-8")
    out = a.cli("update", url, str(path))
    assert out.stdout.strip().splitlines()[-1] == url, out.stdout


def _community(a: Yinhu) -> str:
    a.cli("community", "create", "club", "--name", "银湖读书会", "--summary", "每周读一本书")
    return f"{a.url}/c/club"


def _terms(expanded: Any) -> set[str]:
    assert isinstance(expanded, list) and len(expanded) == 1, f"JSON-LD expansion failed or gave {expanded!r}"
    return set(expanded[0])


def _values(expanded: Any, iri: str) -> list[Any]:
    return [v.get("@value", v.get("@id")) for v in _terms_doc(expanded).get(iri, [])]


def _terms_doc(expanded: Any) -> dict[str, Any]:
    _terms(expanded)
    return expanded[0]


def _dropped(raw: dict[str, Any], expanded: Any) -> list[str]:
    """Top-level terms of our compact JSON that JSON-LD expansion (Fedify's jsonld) lost.

    A term missing from our @context is silently dropped by every JSON-LD processor, so a
    consumer like Fedify never sees it. A term is kept if some expanded IRI ends with it.
    """
    iris = _terms(expanded)
    lost = []
    for key in raw:
        if key in ("@context", "id", "type"):
            continue
        local = key.split(":")[-1]
        if local in ("nameMap", "contentMap", "summaryMap"):  # language maps expand onto name/content/summary
            local = local.removesuffix("Map")
        if not any(iri.rstrip("/").endswith(("#" + local, "/" + local, ":" + local)) for iri in iris):
            lost.append(key)
    return lost


def _by(items: list[dict[str, Any]], **match: Any) -> list[dict[str, Any]]:
    return [i for i in items if all(i.get(k) == v for k, v in match.items())]


def _feed(a: Yinhu, kind: str | None = None) -> list[dict[str, Any]]:
    params = {"kind": kind} if kind else {}
    res = httpx.get(f"{a.url}/api/feed", params=params, timeout=10)
    assert res.status_code == 200, res.text
    return res.json()["items"]


def _feed_follows_peer(a: Yinhu, peer: Peer) -> dict[str, Any]:
    """A's feed actor follows @events@peer; returns the Follow as Fedify's inbox recorded it."""
    out = a.cli("follow", f"@events@{peer.host}")
    assert peer.actor in out.stdout, out.stdout + out.stderr
    poll(lambda: f"accepted\t{peer.actor}" in a.cli("following").stdout,
         "A's feed actor to see its Follow of the Fedify Group accepted")
    follows = _by(peer.received(), type="Follow", actor=f"{a.url}/c/yinhu")
    assert len(follows) == 1, peer.received()
    assert follows[0]["objectId"] == peer.actor
    return follows[0]


def _deliveries_to(peer: Peer, base: str) -> list[dict[str, Any]]:
    return [s for s in peer.sent() if s["url"].startswith(base)]


# --- 1. discovery -------------------------------------------------------------------------------------------
def test_fedify_discovers_and_parses_our_actor_objects_tombstone_and_nodeinfo(
    peer: Peer, instance: Callable[[str], Yinhu], tmp_path: Path
) -> None:
    started = time.monotonic()
    a = instance("a")
    club = _community(a)
    event = _publish(a, tmp_path, "event", EVENT)
    listing = _publish(a, tmp_path, "listing", LISTING)
    venue = _publish(a, tmp_path, "venue", VENUE)
    gone = _publish(a, tmp_path, "note", NOTE)
    a.cli("delete", gone)
    a.start()

    # WebFinger (acct: over http on loopback) then the actor document, parsed as a Group.
    found = peer.call("lookup", {"handle": f"@club@{a.host}"})
    g = found["object"]
    assert g["type"] == "Group" and g["id"] == club
    assert g["preferredUsername"] == "club" and g["name"] == "银湖读书会"
    assert (g["inbox"], g["outbox"], g["followers"]) == (f"{club}/inbox", f"{club}/outbox", f"{club}/followers")
    assert g["sharedInbox"] == f"{a.url}/inbox"
    assert g["publicKey"] == {"id": f"{club}#main-key", "owner": club, "algorithm": "RSASSA-PKCS1-v1_5"}
    # Fedify follows outbox and followers and parses both collections.
    assert g["outboxCollection"]["type"] == "OrderedCollection" and g["outboxCollection"]["totalItems"] >= 3
    assert g["followersCollection"] == {"id": f"{club}/followers", "type": "OrderedCollection", "totalItems": 0}
    raw_actor = httpx.get(club, headers={"Accept": "application/activity+json"}, timeout=10).json()
    assert _dropped(raw_actor, found["expanded"]) == []

    # The event: times as instants, the Place inside it, the timezone kept through JSON-LD.
    found = peer.call("lookup", {"url": event})
    e = found["object"]
    assert (e["type"], e["id"], e["name"]) == ("Event", event, EVENT["title"])
    assert (e["startTime"], e["endTime"]) == (EVENT_START_UTC, EVENT_END_UTC)
    assert {k: v for k, v in e["location"].items() if k != "id"} == {
        "type": "Place", "name": "银湖图书馆", "latitude": 30.25, "longitude": 120.15}
    assert e["attributedTo"] == [club] and AP_PUBLIC in e["to"]
    assert "带一本书来" in e["content"]
    assert _values(found["expanded"], TIMEZONE_IRI) == ["Asia/Shanghai"]
    raw_event = httpx.get(event, headers={"Accept": "application/activity+json"}, timeout=10).json()
    assert _dropped(raw_event, found["expanded"]) == []

    # The listing is a Note whose text carries title, price and terms; it has no name (the
    # title is schema:headline), which GoToSocial would show as a content warning.
    found = peer.call("lookup", {"url": listing})
    n = found["object"]
    assert (n["type"], n["id"], n["name"], n["summary"]) == ("Note", listing, None, None)
    assert "二手书架" in n["content"] and "¥120" in n["content"] and "九成新" in n["content"]
    raw_listing = httpx.get(listing, headers={"Accept": "application/activity+json"}, timeout=10).json()
    assert _dropped(raw_listing, found["expanded"]) == []

    # The venue is a Place with coordinates.
    found = peer.call("lookup", {"url": venue})
    v = found["object"]
    assert (v["type"], v["id"], v["name"]) == ("Place", venue, "银湖活动室")
    assert (v["latitude"], v["longitude"]) == (30.26, 120.16)
    raw_venue = httpx.get(venue, headers={"Accept": "application/activity+json"}, timeout=10).json()
    assert _dropped(raw_venue, found["expanded"]) == []

    # The deleted note: 410 with a Tombstone that Fedify's parser takes.
    t = peer.call("fetch-gone", {"url": gone})
    assert t["status"] == 410
    assert t["object"]["type"] == "Tombstone" and t["object"]["id"] == gone and t["object"]["deleted"]

    # NodeInfo, discovered through /.well-known/nodeinfo and parsed strictly.
    ni = peer.call("nodeinfo", {"url": a.url})
    assert ni["parsed"]["software"]["name"] == "yinhu"
    assert ni["parsed"]["protocols"] == ["activitypub"]
    assert ni["parsed"]["usage"]["localPosts"] >= 3
    print(f"interop scenario 1 took {time.monotonic() - started:.1f} s")


# --- 2. Fedify follows a Yinhu community ---------------------------------------------------------------
def test_fedify_follows_a_community_and_receives_create_update_delete(
    peer: Peer, instance: Callable[[str], Yinhu], tmp_path: Path
) -> None:
    started = time.monotonic()
    a = instance("a")
    club = _community(a)
    a.start()

    follow_id = peer.call("follow", {"actor": club})["id"]
    accept = poll(lambda: _by(peer.received(), type="Accept"), "Fedify to receive (and verify) our Accept", context=peer.summary)[0]
    assert accept["actor"] == club
    assert accept["objectId"] == follow_id, "our Accept must name Fedify's Follow by its id"
    poll(lambda: f"accepted\t{peer.actor}" in a.cli("followers", "club").stdout, "A to list the peer as a follower")

    event = _publish(a, tmp_path, "event", EVENT)
    listing = _publish(a, tmp_path, "listing", LISTING)
    venue = _publish(a, tmp_path, "venue", VENUE)

    def created(url: str) -> dict[str, Any]:
        return poll(lambda: [c for c in _by(peer.received(), type="Create") if c["objectId"] == url],
                    f"Fedify to receive the Create of {url}", context=peer.summary)[0]

    # A venue goes out as Create(Page) at {venue}/announce, its Place embedded as `location`.
    c_event, c_listing, c_venue = created(event), created(listing), created(f"{venue}/announce")
    for c in (c_event, c_listing, c_venue):
        assert c["actor"] == club and AP_PUBLIC in c["to"]
        assert c["signature"] in (CAVAGE, RFC9421)
        assert _dropped(c["raw"]["object"], [_terms_doc(c["expanded"])["https://www.w3.org/ns/activitystreams#object"][0]]) == []

    e = c_event["object"]
    assert (e["type"], e["name"], e["startTime"], e["endTime"]) == ("Event", EVENT["title"], EVENT_START_UTC, EVENT_END_UTC)
    assert {k: v for k, v in e["location"].items() if k != "id"} == {
        "type": "Place", "name": "银湖图书馆", "latitude": 30.25, "longitude": 120.15}
    assert c_event["raw"]["object"]["timezone"] == "Asia/Shanghai"
    inner = _terms_doc(c_event["expanded"])["https://www.w3.org/ns/activitystreams#object"][0]
    assert [v["@value"] for v in inner[TIMEZONE_IRI]] == ["Asia/Shanghai"]

    n = c_listing["object"]
    assert n["type"] == "Note" and "¥120" in n["content"] and "二手书架" in n["content"]

    v = c_venue["object"]
    assert (v["type"], v["name"]) == ("Page", "银湖活动室")
    assert v["location"] == {"id": venue, "type": "Place", "name": "银湖活动室", "latitude": 30.26, "longitude": 120.16}

    # Update: the listing is reserved (status as text), the event ends later.
    _update(a, tmp_path, "listing", listing, {**LISTING, "status": "reserved"})
    _update(a, tmp_path, "event", event, {**EVENT, "end": "2031-06-06T22:00"})

    def updated(url: str) -> dict[str, Any]:
        return poll(lambda: [u for u in _by(peer.received(), type="Update") if u["objectId"] == url],
                    f"Fedify to receive the Update of {url}", context=peer.summary)[0]

    u_listing, u_event = updated(listing), updated(event)
    assert "【已预订】" in u_listing["object"]["content"] and "¥120" in u_listing["object"]["content"]
    assert u_event["object"]["endTime"] == "2031-06-06T14:00:00Z"
    assert u_event["object"]["startTime"] == EVENT_START_UTC
    assert u_event["object"]["location"]["name"] == "银湖图书馆"

    # Delete: the venue goes; Fedify gets a Delete naming it.
    a.cli("delete", venue)
    d = poll(lambda: [x for x in _by(peer.received(), type="Delete") if x["objectId"] in (venue, f"{venue}/announce")],
             "Fedify to receive the Delete of the venue", context=peer.summary)[0]
    assert d["actor"] == club

    # Everything Fedify recorded came through its verifier; A saw every delivery accepted.
    poll(lambda: {s for (s,) in a.query("SELECT state FROM deliveries")} == {"sent"}, "A to record all deliveries sent")
    specs = sorted({r["signature"] for r in peer.received() if r["actor"] == club})
    print(f"interop scenario 2: Yinhu signed with {specs}; took {time.monotonic() - started:.1f} s")


# --- 3. Yinhu follows a Fedify Group -------------------------------------------------------------------------
def test_yinhu_follows_a_fedify_group_and_its_event_lands_in_the_feed(
    peer: Peer, instance: Callable[[str], Yinhu]
) -> None:
    started = time.monotonic()
    a = instance("a")
    a.start()
    _feed_follows_peer(a, peer)

    # Fedify's Accept reached A: the last attempt to A's inboxes answered 2xx.
    accept_tries = _deliveries_to(peer, a.url)
    assert accept_tries and isinstance(accept_tries[-1]["status"], int) and 200 <= accept_tries[-1]["status"] < 300, accept_tries

    published = peer.call("publish-event", {
        "title": "Fedify 湖边聚会",
        "start": "2031-07-01T11:00:00Z",
        "end": "2031-07-01T13:00:00Z",
        "place": {"name": "银湖亭", "latitude": 30.2741, "longitude": 120.1551},
    })
    event_id = published["id"]
    item = poll(lambda: [i for i in _feed(a, "event") if i["id"] == event_id], "the Fedify event in A's /api/feed?kind=event",
                context=peer.summary)[0]
    assert item["name"] == "Fedify 湖边聚会"
    assert item["start"] == "2031-07-01T11:00:00Z" and item["end"] == "2031-07-01T13:00:00Z"
    assert item["place"]["name"] == "银湖亭"
    assert (item["place"]["latitude"], item["place"]["longitude"]) == (30.2741, 120.1551)
    assert item["community"]["uri"] == peer.actor

    tries = _deliveries_to(peer, a.url)
    final = tries[-1]
    assert isinstance(final["status"], int) and 200 <= final["status"] < 300, tries
    print(f"interop scenario 3: Fedify's deliveries to A (spec, status): "
          f"{[(t['spec'], t['status']) for t in tries]}; took {time.monotonic() - started:.1f} s")


# --- 4. bad signatures are refused and store nothing ----------------------------------------------------
def _stored(a: Yinhu) -> tuple[Any, ...]:
    return (
        a.query("SELECT count(*) FROM inbox_items")[0][0],
        a.query("SELECT count(*) FROM objects")[0][0],
        sorted(i["id"] for i in _feed(a)),
    )


def test_wrong_key_or_altered_body_is_refused_with_401_and_nothing_is_stored(
    peer: Peer, instance: Callable[[str], Yinhu]
) -> None:
    started = time.monotonic()
    a = instance("a")
    a.start()
    _feed_follows_peer(a, peer)  # so that a well-signed Create from the peer would be stored
    tries = _deliveries_to(peer, a.url)
    rfc9421_verified = any(t["spec"] == RFC9421 and isinstance(t["status"], int) and t["status"] < 300 for t in tries)

    before = _stored(a)
    refused = []
    for inbox in (f"{a.url}/inbox", f"{a.url}/c/yinhu/inbox"):
        for spec in (CAVAGE, RFC9421):
            for kind in ("wrong-key", "altered-body"):
                r = peer.call("send-bad", {"kind": kind, "inbox": inbox, "spec": spec})
                assert r["status"] == 401, f"{kind} signed with {spec} to {inbox}: {r}"
                refused.append((inbox.removeprefix(a.url), spec, kind, r["status"]))
    assert _stored(a) == before, "a refused delivery must store nothing"

    # The same request signed right is accepted and lands: the 401s were for the signatures.
    good_specs = [CAVAGE, RFC9421] if rfc9421_verified else [CAVAGE]
    for spec in good_specs:
        r = peer.call("send-bad", {"kind": "good", "inbox": f"{a.url}/inbox", "spec": spec})
        assert r["status"] in (200, 202), f"good {spec}: {r}"
        event_id = r["event"]
        poll(lambda: [i for i in _feed(a, "event") if i["id"] == event_id],  # noqa: B023  used at once
             f"the well-signed ({spec}) event in A's feed", context=peer.summary)
    print(f"interop scenario 4: refused {refused}; accepted good {good_specs}; took {time.monotonic() - started:.1f} s")


# --- 5. sign-up by reply, answered privately --------------------------------------------------------------
def test_fedify_replies_baoming_and_receives_the_private_confirmation_it_verifies(
    peer: Peer, instance: Callable[[str], Yinhu], tmp_path: Path
) -> None:
    started = time.monotonic()
    a = instance("a")
    club = _community(a)
    event = _publish(a, tmp_path, "event", {**EVENT, "capacity": 12})
    a.start()

    peer.call("follow", {"actor": club})
    poll(lambda: _by(peer.received(), type="Accept"), "Fedify to receive our Accept", context=peer.summary)
    reply = peer.call("reply", {"actor": club, "inReplyTo": event, "text": "报名"})

    def confirmations() -> list[dict[str, Any]]:
        return [c for c in _by(peer.received(), type="Create", actor=club)
                if (c["object"] or {}).get("type") == "Note" and c["raw"]["object"].get("inReplyTo") == reply["id"]]

    # In Fedify's received list only because Fedify's own verifier accepted its signature.
    [c] = poll(confirmations, "Fedify to receive (and verify) the private confirmation", context=peer.summary)
    assert c["signature"] in (CAVAGE, RFC9421)
    note = c["object"]
    assert note["to"] == [peer.actor] and note["cc"] == [] and c["to"] == [peer.actor] and c["cc"] == []
    assert AP_PUBLIC not in json.dumps(c["raw"]) and "as:Public" not in json.dumps(c["raw"])
    assert "已报名「读书会：湖边夜读」 · 6月6日 19:00 · 剩余 11 个名额" in note["content"]
    assert note["tags"] == [{"type": "Mention", "name": f"@events@{peer.host}", "href": peer.actor}]
    assert f"accepted\t{peer.actor}" in a.cli("participants", event).stdout

    # The confirmation is private: nothing of it is served (its id answers 404), and the
    # event's public JSON counts the participant.
    assert httpx.get(note["id"], headers={"Accept": "application/activity+json"}, timeout=10).status_code == 404
    doc = httpx.get(event, headers={"Accept": "application/activity+json"}, timeout=10).json()
    assert (doc["participantCount"], doc["remainingAttendeeCapacity"]) == (1, 11)
    print(f"interop scenario 5: confirmation signed {c['signature']}; took {time.monotonic() - started:.1f} s")
