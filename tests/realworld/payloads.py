"""Real-world-shaped ActivityPub payloads, one builder per source system.

Every shape below is copied from what that software emits (see SOURCES.md for the repository
and file each one comes from).  Only hosts, ids, dates (moved into the future so the feed
shows them) and a few words of content were changed.  Each builder returns a `Source`:

* actors: the actor documents it serves (its key is filled in at run time),
* objects: other documents it serves by GET (objects, collections),
* outboxes: actor path -> first-page items (for Yinhu's backfill after the Accept),
* pushes: activities it sends to Yinhu's shared inbox, per phase (1: create, 2: update/delete),
* expects: what the feed should show afterwards, per case.

`sig` names the HTTP-signature flavour that software uses (see tests/realworld/signing.py).
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

AS = "https://www.w3.org/ns/activitystreams"
SEC = "https://w3id.org/security/v1"
PUBLIC = "https://www.w3.org/ns/activitystreams#Public"


@dataclass
class Actor:
    path: str  # path (and query) under the source's origin; id = origin + path
    handle: str  # WebFinger user part
    doc: Callable[[str], dict[str, Any]]  # pem -> actor document
    key_format: str = "spki"  # "spki" | "pkcs1" (Mobilizon publishes PKCS#1 "RSA PUBLIC KEY")
    followed: bool = True


@dataclass
class Push:
    phase: int
    actor: str  # actor path that signs
    activity: dict[str, Any]


@dataclass
class Expect:
    case: str
    phase: int
    id: str  # the object id in the feed
    present: bool = True
    name: str | None = None
    start: str | None = None  # ISO instant the sender meant
    end: str | None = None
    timezone: str | None = None  # only when the sender declared one
    place_name: str | None = None
    address_has: tuple[str, ...] = ()
    lat: float | None = None
    lon: float | None = None
    status: str | None = None  # "cancelled" / "scheduled"
    capacity: int | None = None
    community: str | None = None  # the actor URI the item should be attributed to
    kind: str | None = None  # "event" / "note"
    tags: tuple[str, ...] = ()
    search: str | None = None  # a word that ?q= must find it by
    ics: bool = False  # must appear in /feed.ics
    content_has: str | None = None
    once: bool = True


@dataclass
class Source:
    name: str
    software: str
    sig: str
    origin: str
    actors: list[Actor] = field(default_factory=list)
    objects: dict[str, dict[str, Any]] = field(default_factory=dict)
    outboxes: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    pushes: list[Push] = field(default_factory=list)
    expects: list[Expect] = field(default_factory=list)


def _key(aid: str, pem: str) -> dict[str, str]:
    return {"id": aid + "#main-key", "owner": aid, "publicKeyPem": pem}


# ---------------------------------------------------------------------------------------------
# Mobilizon: lib/federation/activity_pub/utils.ex make_json_ld_header (context),
# converter/event.ex, converter/address.ex, converter/actor.ex, converter/post.ex, and the live
# captures in LemmyNet/lemmy crates/apub/apub/assets/mobilizon/objects/{event,group,person}.json

MOBILIZON_CONTEXT = [
    AS, SEC,
    {
        "@language": "und", "sc": "http://schema.org#", "ical": "http://www.w3.org/2002/12/cal/ical#",
        "pt": "https://joinpeertube.org/ns#", "toot": "http://joinmastodon.org/ns#",
        "discoverable": "toot:discoverable", "manuallyApprovesFollowers": "as:manuallyApprovesFollowers",
        "Hashtag": "as:Hashtag", "category": "sc:category", "uuid": "sc:identifier",
        "maximumAttendeeCapacity": "sc:maximumAttendeeCapacity",
        "remainingAttendeeCapacity": "sc:remainingAttendeeCapacity",
        "location": {"@id": "sc:location", "@type": "sc:Place"}, "PostalAddress": "sc:PostalAddress",
        "address": {"@id": "sc:address", "@type": "sc:PostalAddress"}, "addressCountry": "sc:addressCountry",
        "addressRegion": "sc:addressRegion", "postalCode": "sc:postalCode", "addressLocality": "sc:addressLocality",
        "streetAddress": "sc:streetAddress", "mz": "https://joinmobilizon.org/ns#",
        "repliesModerationOptionType": {"@id": "mz:repliesModerationOptionType", "@type": "rdfs:Class"},
        "repliesModerationOption": {"@id": "mz:repliesModerationOption", "@type": "mz:repliesModerationOptionType"},
        "commentsEnabled": {"@type": "sc:Boolean", "@id": "pt:commentsEnabled"},
        "joinModeType": {"@id": "mz:joinModeType", "@type": "rdfs:Class"},
        "joinMode": {"@id": "mz:joinMode", "@type": "mz:joinModeType"},
        "anonymousParticipationEnabled": {"@id": "mz:anonymousParticipationEnabled", "@type": "sc:Boolean"},
        "participationMessage": {"@id": "mz:participationMessage", "@type": "sc:Text"},
        "participantCount": {"@id": "mz:participantCount", "@type": "sc:Integer"},
        "memberCount": {"@id": "mz:memberCount", "@type": "sc:Integer"},
        "isOnline": {"@type": "sc:Boolean", "@id": "mz:isOnline"},
        "externalParticipationUrl": {"@id": "mz:externalParticipationUrl", "@type": "sc:URL"},
        "PropertyValue": "sc:PropertyValue", "value": "sc:value", "propertyID": "sc:propertyID",
        "inLanguage": "sc:inLanguage", "timezone": {"@id": "mz:timezone", "@type": "sc:Text"},
        "discussions": {"@id": "mz:discussions", "@type": "@id"}, "events": {"@id": "mz:events", "@type": "@id"},
        "members": {"@id": "mz:members", "@type": "@id"}, "openness": {"@id": "mz:openness", "@type": "@id"},
        "posts": {"@id": "mz:posts", "@type": "@id"}, "resources": {"@id": "mz:resources", "@type": "@id"},
        "todos": {"@id": "mz:todos", "@type": "@id"}, "status": {"@id": "ical:status", "@type": "ical:status"},
    },
]


def mobilizon(o: str) -> Source:
    g = o + "/@devon_caledonian_society"
    p = o + "/@emorrp1"
    s = Source("mobilizon", "Mobilizon 5.x", "mobilizon", o)

    def group(pem: str) -> dict[str, Any]:
        return {
            "@context": MOBILIZON_CONTEXT, "discoverable": True, "discussions": g + "/discussions",
            "endpoints": {"discussions": g + "/discussions", "events": g + "/events", "members": g + "/members",
                          "posts": g + "/posts", "resources": g + "/resources", "sharedInbox": o + "/inbox",
                          "todos": g + "/todos"},
            "events": g + "/events", "followers": g + "/followers", "following": g + "/following",
            "icon": {"mediaType": None, "type": "Image", "url": o + "/media/a94f.png?name=avatar.png"},
            "id": g, "inbox": g + "/inbox",
            "location": {"address": {"addressCountry": None, "addressLocality": None, "addressRegion": None,
                                     "postalCode": None, "streetAddress": None, "type": "PostalAddress"},
                         "id": o + "/address/935f207e-4c0f-4818-8762-51d6ab2ed27e", "name": None, "type": "Place"},
            "manuallyApprovesFollowers": False, "memberCount": 13, "members": g + "/members",
            "name": "Devon Caledonian Society", "openness": "open", "outbox": g + "/outbox", "posts": g + "/posts",
            "preferredUsername": "devon_caledonian_society", "publicKey": _key(g, pem),
            "resources": g + "/resources", "summary": "<p>Scottish country dancing in Devon.</p>",
            "todos": g + "/todos", "type": "Group", "url": g,
        }

    def person(pem: str) -> dict[str, Any]:
        return {
            "@context": MOBILIZON_CONTEXT, "discoverable": False, "endpoints": {"sharedInbox": o + "/inbox"},
            "followers": p + "/followers", "following": p + "/following", "id": p, "inbox": p + "/inbox",
            "manuallyApprovesFollowers": False, "name": "emorrp1", "outbox": p + "/outbox",
            "preferredUsername": "emorrp1", "publicKey": _key(p, pem), "summary": "", "type": "Person", "url": p,
        }

    s.actors = [Actor("/@devon_caledonian_society", "devon_caledonian_society", group, "pkcs1"),
                Actor("/@emorrp1", "emorrp1", person, "pkcs1", followed=False)]

    def event(uuid: str, name: str, start: str, end: str, *, status: str = "CONFIRMED", place: bool = True,
              capacity: int = 0, online: str | None = None) -> dict[str, Any]:
        eid = f"{o}/events/{uuid}"
        ev: dict[str, Any] = {
            "timezone": "Europe/London", "isOnline": online is not None, "contacts": [p],
            "cc": [g + "/followers"], "id": eid, "inLanguage": "en", "endTime": end,
            "repliesModerationOption": "allow_all",
            "content": "<p>£6 each.</p><p></p><p>The dance style is like a posh ceilidh, with some exciting new "
                       "ways to turn your partner.</p>",
            "category": "SPORTS", "actor": p, "type": "Event", "url": eid, "remainingAttendeeCapacity": None,
            "anonymousParticipationEnabled": True, "ical:status": status, "status": status,
            "to": [PUBLIC], "joinMode": "free",
            "startTime": start, "published": "2026-11-27T14:33:14Z", "draft": False, "participantCount": 0,
            "uuid": uuid, "maximumAttendeeCapacity": capacity,
            "tag": [{"href": o + "/tags/dance", "name": "#Dance", "type": "Hashtag"},
                    {"href": o + "/tags/caledonian", "name": "#Caledonian", "type": "Hashtag"}],
            "updated": "2026-11-27T14:39:18Z", "attributedTo": g, "commentsEnabled": True,
            "attachment": [{"mediaType": "image/jpeg", "name": "Banner", "type": "Document",
                            "url": o + "/media/cd75bf2f.jpg?name=banner.jpg"}],
            "name": name, "mediaType": "text/html",
            "summary": "Saturday, June 12, 2027 at 7:00:00 PM British Summer Time - The Kenn Centre, Devon Expressway, Teignbridge",
        }
        if place:
            ev["location"] = {
                "address": {"addressCountry": "United Kingdom", "addressLocality": "Teignbridge",
                            "addressRegion": "England", "postalCode": "EX6 7TW", "streetAddress": "Devon Expressway",
                            "type": "PostalAddress"},
                "id": o + "/address/e4c95383-15ac-4cc7-adf6-723d74ee2ccc", "latitude": 50.66881615,
                "longitude": -3.537739788359949, "name": "The Kenn Centre", "type": "Place"}
        if online:
            ev["attachment"].append({"type": "Link", "href": online, "mediaType": "text/html", "name": "mz:online_address"})
        return ev

    e1 = event("b81c0531-a57c-497d-93ba-af0f8b255498", "Caledonian scottish dance class",
               "2027-06-12T19:00:00+01:00", "2027-06-12T21:00:00+01:00")
    e2 = event("c2d1e6aa-0b64-4d1e-9a0c-8e3f5d7b1c22", "Ceilidh beginners workshop",
               "2027-01-16T14:00:00+00:00", "2027-01-16T17:30:00+00:00", capacity=40)
    e3 = event("d3a9f1c0-7e2b-4b8e-8c55-0f6a4c3b2e11", "Online reel study evening",
               "2027-02-03T19:30:00+00:00", "2027-02-03T21:00:00+00:00", place=False,
               online="https://meet.jit.si/devon-reels")
    e4 = event("e4b0c2d1-9f3a-4c6d-8e7f-1a2b3c4d5e6f", "Hogmanay dance",
               "2027-12-31T20:00:00+00:00", "2028-01-01T01:00:00+00:00")
    post_id = o + "/p/0a1b2c3d-4e5f-6071-8293-a4b5c6d7e8f9"
    article = {"type": "Article", "actor": p, "id": post_id, "name": "New term of classes announced",
               "content": "<p>Our spring term starts in January. Everybody welcome, no partner needed.</p>",
               "attributedTo": g, "published": "2026-12-01T10:00:00Z", "attachment": [], "draft": False,
               "to": [PUBLIC], "cc": [g + "/followers"], "url": post_id}

    def announce(obj: dict[str, Any], aid: str) -> dict[str, Any]:
        # utils.ex make_announce_data: to [followers, object actor], cc [Public]; the object embedded
        return {"@context": MOBILIZON_CONTEXT, "type": "Announce", "actor": g, "object": obj, "id": aid,
                "to": [g + "/followers", p], "cc": [PUBLIC]}

    def create(obj: dict[str, Any], verb: str = "Create", suffix: str = "") -> dict[str, Any]:
        return {"@context": MOBILIZON_CONTEXT, "type": verb, "actor": p, "object": obj,
                "id": obj["id"] + "/activity" + suffix, "to": obj.get("to", [PUBLIC]), "cc": obj.get("cc", []),
                "published": "2026-12-01T10:00:00Z"}

    # the group relays (Announce) what its members create: the aggregator gets the Announce...
    s.pushes.append(Push(1, "/@devon_caledonian_society", announce(e1, o + "/announces/8a7c1f4e-0000-4000-8000-000000000001")))
    # ... and for e2 both the member's Create and the group's Announce (must show once)
    s.pushes.append(Push(1, "/@emorrp1", create(e2)))
    s.pushes.append(Push(1, "/@devon_caledonian_society", announce(e2, o + "/announces/8a7c1f4e-0000-4000-8000-000000000002")))
    s.pushes.append(Push(1, "/@devon_caledonian_society", announce(e3, o + "/announces/8a7c1f4e-0000-4000-8000-000000000003")))
    s.pushes.append(Push(1, "/@emorrp1", create(article)))
    # phase 2: e2 is cancelled (Update), e1 deleted (Delete with the bare id, as Mobilizon sends it)
    e2c = dict(e2, **{"ical:status": "CANCELLED", "status": "CANCELLED", "updated": "2026-12-03T09:00:00Z"})
    s.pushes.append(Push(2, "/@emorrp1", create(e2c, "Update", "/update-1")))
    s.pushes.append(Push(2, "/@emorrp1", {"@context": MOBILIZON_CONTEXT, "type": "Delete", "actor": p,
                                           "object": e1["id"], "id": o + "/delete/7e6f5a4b-aaaa-4bbb-8ccc-000000000001",
                                           "to": [PUBLIC], "cc": [g + "/followers"]}))
    # e3 was first stored from the group's Announce; its organiser (the member) edits it: Mobilizon
    # sends Update{actor: member} and the group relays it as Announce(Update) (utils.ex relay)
    e3u = dict(e3, name="Online reel study evening (new link)", updated="2026-12-03T10:00:00Z")
    upd3 = create(e3u, "Update", "/update-2")
    s.pushes.append(Push(2, "/@emorrp1", upd3))
    s.pushes.append(Push(2, "/@devon_caledonian_society", announce(upd3, o + "/announces/8a7c1f4e-0000-4000-8000-000000000004")))
    s.outboxes["/@devon_caledonian_society"] = [
        {"type": "Create", "actor": p, "id": e4["id"] + "/activity", "object": e4, "to": [PUBLIC],
         "cc": [g + "/followers"], "published": "2026-11-20T10:00:00Z"}]
    for e in (e1, e2, e3, e4):
        s.objects[e["id"][len(o):]] = dict(e, **{"@context": MOBILIZON_CONTEXT})
    s.objects[post_id[len(o):]] = dict(article, **{"@context": MOBILIZON_CONTEXT})

    place = {"place_name": "The Kenn Centre", "address_has": ("Devon Expressway", "Teignbridge"),
                 "lat": 50.66881615, "lon": -3.537739788359949}
    s.expects += [
        Expect("mobilizon/announce-event", 1, e1["id"], name=e1["name"], start="2027-06-12T18:00:00Z",
               end="2027-06-12T20:00:00Z", timezone="Europe/London", community=g, kind="event",
               search="Caledonian", ics=True, tags=("dance", "caledonian"), **place),
        Expect("mobilizon/create+announce-shown-once", 1, e2["id"], name=e2["name"], start="2027-01-16T14:00:00Z",
               end="2027-01-16T17:30:00Z", timezone="Europe/London", capacity=40, community=g, kind="event",
               status="scheduled", **place),
        Expect("mobilizon/online-event", 1, e3["id"], name=e3["name"], start="2027-02-03T19:30:00Z",
               timezone="Europe/London", community=g, kind="event"),
        Expect("mobilizon/group-post-article", 1, post_id, name=article["name"], community=g,
               content_has="spring term", search="spring"),
        Expect("mobilizon/backfill-outbox", 1, e4["id"], name=e4["name"], start="2027-12-31T20:00:00Z",
               community=g, kind="event"),
        Expect("mobilizon/update-cancelled", 2, e2["id"], status="cancelled", name=e2["name"]),
        Expect("mobilizon/delete-bare-id", 2, e1["id"], present=False),
        Expect("mobilizon/member-updates-group-announced-event", 2, e3["id"], name="Online reel study evening (new link)"),
    ]
    return s


# ---------------------------------------------------------------------------------------------
# Gancio: server/api/models/event.js toAP, place.js toAP, server/federation/helpers.js
# (@context, sendEvent: Create/Update/Delete all embed the full event), users.js (actor, outbox),
# and framasoft/mobilizon test/fixtures/gancio-actor.json.  Times come from Luxon's toISO(),
# which writes milliseconds and the instance zone's offset.

GANCIO_CONTEXT = [
    AS, SEC,
    {"toot": "http://joinmastodon.org/ns#", "schema": "http://schema.org#", "ProperyValue": "schema:PropertyValue",
     "value": "schema:value", "discoverable": "toot:discoverable", "Hashtag": "https://www.w3.org/ns/activitystreams#Hashtag",
     "manuallyApprovesFollowers": "as:manuallyApprovesFollowers",
     "focalPoint": {"@container": "@list", "@id": "toot:focalPoint"}},
]


def gancio(o: str) -> Source:
    a = o + "/federation/u/gancio"
    s = Source("gancio", "Gancio 1.2x", "gancio", o)

    def actor(pem: str) -> dict[str, Any]:
        return {
            "@context": [AS, SEC, {"toot": "http://joinmastodon.org/ns#", "schema": "http://schema.org#",
                                   "ProperyValue": "schema:PropertyValue", "value": "schema:value",
                                   "discoverable": "toot:discoverable", "indexable": "toot:indexable"}],
            "id": a, "type": "Application", "summary": "Eventi a Roma", "name": "Gancio Roma",
            "preferredUsername": "gancio", "inbox": a + "/inbox", "outbox": a + "/outbox",
            "manuallyApprovesFollowers": False, "endpoints": {"sharedInbox": a + "/inbox"},
            "discoverable": True, "indexable": True,
            "attachment": [{"type": "PropertyValue", "name": "Website", "value": f"<a href='{o}'>{o}</a>"}],
            "icon": {"type": "Image", "mediaType": "image/png", "url": o + "/logo.png"},
            "publicKey": _key(a, pem), "url": a,
        }

    s.actors = [Actor("/federation/u/gancio", "gancio", actor)]

    def ev(n: int, slug: str, name: str, start: str, end: str | None, place: dict | None, *, online: list[str] = (),
           tags: list[str] = (), kind: str = "Create", updated: str | None = None) -> dict[str, Any]:
        location: Any = [{"type": "VirtualLocation", "url": u} for u in online]
        attachment = [{"type": "Link", "mediaType": "text/html", "name": u, "href": u} for u in online]
        if place is not None:
            location.append(place)
        if len(location) == 1:
            location = location[0]
        attachment.append({"type": "Document", "mediaType": "image/jpeg", "url": f"{o}/media/{slug}.jpg",
                           "name": name, "focalPoint": [0, 0]})
        out = {
            "id": f"{o}/federation/m/{n}", "name": name, "url": f"{o}/event/{slug}", "type": "Event",
            "startTime": start, **({"endTime": end} if end else {}), "location": location,
            "attachment": attachment,
            "tag": [{"type": "Hashtag", "name": "#" + t, "href": f"{o}/tag/{t}"} for t in tags],
            "published": "2026-12-01T08:00:00.000Z", **({"updated": updated} if kind != "Create" else {}),
            "attributedTo": a, "to": [PUBLIC], "cc": [a + "/followers"],
            "content": "<p>Proiezione all'aperto, portate una sedia.</p>",
            "summary": f"{(place or {}).get('name')}, sabato 10 luglio alle ore 21:30 CEST",
        }
        return out

    colosseo = {"id": o + "/federation/p/33", "type": "Place", "name": "Colosseo",
                "address": "Piazza del Colosseo, 1, 00184 Roma RM", "latitude": 41.8902, "longitude": 12.4922}
    g1 = ev(101, "cinema-sotto-le-stelle", "Cinema sotto le stelle", "2027-07-10T21:30:00.000+02:00",
            "2027-07-10T23:30:00.000+02:00", colosseo, tags=["cinema", "estate"])
    g2 = ev(102, "assemblea-online", "Assemblea online", "2027-03-05T18:00:00.000+01:00", None, None,
            online=["https://meet.jit.si/assemblea-gancio"], tags=["assemblea"])
    g3 = ev(103, "mercatino-del-riuso", "Mercatino del riuso", "2027-04-18T10:00:00.000+02:00",
            "2027-04-18T18:00:00.000+02:00",
            {"id": o + "/federation/p/34", "type": "Place", "name": "Ex Mattatoio", "address": "Piazza Orazio Giustiniani 4, Roma"},
            tags=["riuso"])

    def activity(obj: dict[str, Any], kind: str, stamp: str) -> dict[str, Any]:
        return {"id": f"{obj['id']}#{kind}-{stamp}", "type": kind, "to": [PUBLIC],
                "cc": [a + "/followers"], "actor": a, "object": obj, "@context": GANCIO_CONTEXT}

    s.pushes += [Push(1, "/federation/u/gancio", activity(g1, "Create", "1796000000000")),
                 Push(1, "/federation/u/gancio", activity(g2, "Create", "1796000000001"))]
    g1u = ev(101, "cinema-sotto-le-stelle", "Cinema sotto le stelle: Roma città aperta", "2027-07-10T21:45:00.000+02:00",
             "2027-07-10T23:45:00.000+02:00", colosseo, tags=["cinema", "estate"], kind="Update",
             updated="2026-12-04T09:00:00.000Z")
    g2d = ev(102, "assemblea-online", "Assemblea online", "2027-03-05T18:00:00.000+01:00", None, None,
             online=["https://meet.jit.si/assemblea-gancio"], kind="Delete", updated="2026-12-04T09:00:00.000Z")
    s.pushes += [Push(2, "/federation/u/gancio", activity(g1u, "Update", "1796000000002")),
                 Push(2, "/federation/u/gancio", activity(g2d, "Delete", "1796000000003"))]
    # outbox (users.js): items have to as a *string*, no cc, id ...#create
    s.outboxes["/federation/u/gancio"] = [
        {"id": g3["id"] + "#create", "type": "Create", "to": PUBLIC, "published": "2026-11-30T08:00:00.000+01:00",
         "actor": a, "object": g3}]
    for e in (g1, g2, g3):
        s.objects[e["id"][len(o):]] = dict(e, **{"@context": GANCIO_CONTEXT})
    s.expects += [
        Expect("gancio/create-event-place", 1, g1["id"], name=g1["name"], start="2027-07-10T19:30:00Z",
               end="2027-07-10T21:30:00Z", place_name="Colosseo", address_has=("Piazza del Colosseo",),
               lat=41.8902, lon=12.4922, community=a, kind="event", search="stelle", ics=True,
               tags=("cinema", "estate")),
        Expect("gancio/create-online-only", 1, g2["id"], name=g2["name"], start="2027-03-05T17:00:00Z",
               community=a, kind="event"),
        Expect("gancio/backfill-outbox-string-to", 1, g3["id"], name=g3["name"], start="2027-04-18T08:00:00Z",
               place_name="Ex Mattatoio", community=a, kind="event"),
        Expect("gancio/update-title-time", 2, g1["id"], name=g1u["name"], start="2027-07-10T19:45:00Z"),
        Expect("gancio/delete-full-object", 2, g2["id"], present=False),
    ]
    return s


# ---------------------------------------------------------------------------------------------
# WordPress with ActivityPub + Event Bridge for ActivityPub (The Events Calendar):
# Automattic/wordpress-activitypub includes/activity/extended-object/class-event.php (context),
# event-bridge includes/activitypub/transformer/event/class-event.php + class-the-events-calendar.php
# (startTime in the event's zone with offset, timezone, status CONFIRMED/CANCELLED, contentMap),
# transformer/place/class-base-post-place.php + class-the-events-calendar.php (Place + PostalAddress),
# and the blog actor / Article captures in LemmyNet/lemmy crates/apub/apub/assets/wordpress/.

WP_EVENT_CONTEXT = [
    "https://schema.org/", AS,
    {"pt": "https://joinpeertube.org/ns#", "mz": "https://joinmobilizon.org/ns#",
     "status": "http://www.w3.org/2002/12/cal/ical#status", "commentsEnabled": "pt:commentsEnabled",
     "isOnline": "mz:isOnline", "timezone": "mz:timezone", "participantCount": "mz:participantCount",
     "anonymousParticipationEnabled": "mz:anonymousParticipationEnabled",
     "joinMode": {"@id": "mz:joinMode", "@type": "mz:joinModeType"},
     "externalParticipationUrl": {"@id": "mz:externalParticipationUrl", "@type": "schema:URL"},
     "repliesModerationOption": {"@id": "mz:repliesModerationOption", "@type": "@vocab"},
     "contacts": {"@id": "mz:contacts", "@type": "@id"}},
]
WP_CONTEXT = [AS, SEC, {"Hashtag": "as:Hashtag", "sensitive": "as:sensitive", "dcterms": "http://purl.org/dc/terms/",
                        "postingRestrictedToMods": "lemmy:postingRestrictedToMods", "lemmy": "https://join-lemmy.org/ns#",
                        "discoverable": "toot:discoverable", "indexable": "toot:indexable", "toot": "http://joinmastodon.org/ns#",
                        "manuallyApprovesFollowers": "as:manuallyApprovesFollowers"}]


def wordpress(o: str) -> Source:
    b = o + "/?author=0"
    s = Source("wordpress", "WordPress + ActivityPub 7.x + Event Bridge", "wordpress", o)

    def blog(pem: str) -> dict[str, Any]:
        return {
            "@context": WP_CONTEXT, "id": b,
            "generator": {"type": "Application", "implements": [
                {"href": "https://datatracker.ietf.org/doc/html/rfc9421", "name": "RFC-9421: HTTP Message Signatures"}]},
            "type": "Group", "inbox": o + "/wp-json/activitypub/1.0/actors/0/inbox",
            "outbox": o + "/wp-json/activitypub/1.0/actors/0/outbox",
            "following": o + "/wp-json/activitypub/1.0/actors/0/following",
            "followers": o + "/wp-json/activitypub/1.0/actors/0/followers", "streams": [],
            "preferredUsername": "kulturverein", "name": "Kulturverein Mitte",
            "summary": "<p>Konzerte und Lesungen im Kiez.</p>", "url": o + "/",
            "endpoints": {"sharedInbox": o + "/wp-json/activitypub/1.0/inbox"}, "publicKey": _key(b, pem),
            "manuallyApprovesFollowers": False, "attributionDomains": ["127.0.0.1"],
            "alsoKnownAs": [b, o, o + "/"], "featured": o + "/wp-json/activitypub/1.0/actors/0/collections/featured",
            "discoverable": True, "indexable": True, "webfinger": "kulturverein@127.0.0.1",
            "postingRestrictedToMods": True, "published": "2020-01-01T00:00:00Z",
            "attachment": [{"type": "PropertyValue", "name": "Blog", "value": f'<p><a href="{o}/">{o}</a></p>'}],
        }

    s.actors = [Actor("/?author=0", "kulturverein", blog)]
    followers = o + "/wp-json/activitypub/1.0/actors/0/followers"

    def event(slug: str, name: str, start: str, end: str, status: str, updated: str | None = None) -> dict[str, Any]:
        eid = f"{o}/event/{slug}/"
        content = ("<p>Ein Abend mit Kammermusik von Schubert und Brahms.</p>"
                   "<ul><li><strong>Beginn:</strong> 20.03.2027 15:00</li><li><strong>Ort:</strong> Kulturhaus Mitte</li></ul>")
        out = {
            "@context": WP_EVENT_CONTEXT, "id": eid, "type": "Event", "attachment": [],
            "attributedTo": b, "audience": b, "content": content, "contentMap": {"de": content},
            "name": name, "nameMap": {"de": name},
            "summary": "<p>📅 20.03.2027 15:00 📍 Kulturhaus Mitte, Torstraße 94, 10119 Berlin</p>",
            "summaryMap": {"de": "<p>📅 20.03.2027 15:00 📍 Kulturhaus Mitte, Torstraße 94, 10119 Berlin</p>"},
            "url": eid, "tag": [{"type": "Hashtag", "href": o + "/tag/kammermusik/", "name": "#Kammermusik"}],
            "to": [PUBLIC, followers], "cc": [], "mediaType": "text/html", "sensitive": False,
            "published": "2026-11-30T12:00:00Z", **({"updated": updated} if updated else {}),
            "startTime": start, "endTime": end, "timezone": "Europe/Berlin", "status": status,
            "category": "MUSIC", "commentsEnabled": False, "repliesModerationOption": "closed",
            "joinMode": "external", "externalParticipationUrl": eid, "isOnline": False,
            "location": {"id": o + "/venue/kulturhaus-mitte/", "type": "Place", "name": "Kulturhaus Mitte",
                         "url": o + "/venue/kulturhaus-mitte/", "updated": "2026-11-30T12:00:00Z",
                         "address": {"type": "PostalAddress", "addressCountry": "Germany",
                                     "addressLocality": "Berlin", "postalCode": "10119",
                                     "streetAddress": "Torstraße 94"}},
        }
        return out

    w1 = event("kammerkonzert", "Kammerkonzert im Kulturhaus", "2027-03-20T15:00:00+01:00",
               "2027-03-20T17:00:00+01:00", "CONFIRMED")
    w1c = event("kammerkonzert", "Kammerkonzert im Kulturhaus", "2027-03-20T15:00:00+01:00",
                "2027-03-20T17:00:00+01:00", "CANCELLED", updated="2026-12-04T10:00:00Z")
    aid = o + "/2026/12/01/lesung-im-advent/"
    art_content = "<p>Am dritten Advent liest Anna Seghers' Enkelin aus dem Briefwechsel. Eintritt frei.</p>"
    article = {
        "@context": WP_CONTEXT, "id": aid, "type": "Article",
        "attachment": [{"type": "Image", "url": o + "/wp-content/uploads/2026/12/lesung.jpg?fit=980%2C980&#038;ssl=1",
                        "mediaType": "image/jpeg", "name": "Lesesaal"}],
        "attributedTo": b, "audience": b, "content": art_content, "contentMap": {"de": art_content},
        "name": "Lesung im Advent", "nameMap": {"de": "Lesung im Advent"},
        "summary": "<p>Am dritten Advent liest&#8230;</p>", "summaryMap": {"de": "<p>Am dritten Advent liest&#8230;</p>"},
        "published": "2026-12-01T09:00:00Z", "url": aid, "mediaType": "text/html", "sensitive": False,
        "tag": [{"type": "Hashtag", "href": o + "/tag/lesung/", "name": "#Lesung"}],
        "to": [PUBLIC, followers], "cc": [], "replies": {"id": aid + "#replies", "type": "Collection"},
    }

    def wrap(kind: str, obj: dict[str, Any], ctx: list) -> dict[str, Any]:
        # wordpress-activitypub ids its activities "<object id>#activity" (+ a hash for updates)
        return {"@context": ctx, "id": obj["id"] + "#activity" + ("-" + kind.lower() if kind != "Create" else ""),
                "type": kind, "actor": b, "object": {k: v for k, v in obj.items() if k != "@context"},
                "to": obj["to"], "cc": [], "published": obj["published"]}

    s.pushes += [Push(1, "/?author=0", wrap("Create", w1, WP_EVENT_CONTEXT)),
                 Push(1, "/?author=0", wrap("Create", article, WP_CONTEXT)),
                 Push(2, "/?author=0", wrap("Update", w1c, WP_EVENT_CONTEXT)),
                 Push(2, "/?author=0", {"@context": WP_CONTEXT, "id": aid + "#delete", "type": "Delete", "actor": b,
                                        "object": aid, "to": [PUBLIC, followers], "cc": []})]
    s.objects[w1["id"][len(o):]] = w1
    s.objects[aid[len(o):]] = article
    s.expects += [
        Expect("wordpress/event-bridge-create", 1, w1["id"], name=w1["name"], start="2027-03-20T14:00:00Z",
               end="2027-03-20T16:00:00Z", timezone="Europe/Berlin", place_name="Kulturhaus Mitte",
               address_has=("Torstraße 94", "Berlin"), community=b, kind="event", status="scheduled",
               search="Kammerkonzert", ics=True, tags=("kammermusik",)),
        Expect("wordpress/article", 1, aid, name="Lesung im Advent", community=b, search="Advent",
               content_has="dritten Advent", tags=("lesung",)),
        Expect("wordpress/update-cancelled", 2, w1["id"], status="cancelled"),
        Expect("wordpress/delete-article", 2, aid, present=False),
    ]
    return s


# ---------------------------------------------------------------------------------------------
# Lemmy: crates/apub/apub/assets/lemmy/{objects/group.json, objects/person.json, objects/page.json,
# activities/community/announce_create_page.json, activities/create_or_update/update_page.json,
# activities/deletion/delete_page.json, collections/group_outbox.json}

LEMMY_CONTEXT = [AS, SEC, {"lemmy": "https://join-lemmy.org/ns#", "litepub": "http://litepub.social/ns#",
                           "pt": "https://joinpeertube.org/ns#", "sc": "http://schema.org/",
                           "ChatMessage": "litepub:ChatMessage", "commentsEnabled": "pt:commentsEnabled",
                           "sensitive": "as:sensitive", "matrixUserId": "lemmy:matrixUserId",
                           "postingRestrictedToMods": "lemmy:postingRestrictedToMods",
                           "removeData": "lemmy:removeData", "stickied": "lemmy:stickied",
                           "moderators": {"@type": "@id", "@id": "lemmy:moderators"},
                           "expires": "as:endTime", "distinguished": "lemmy:distinguished",
                           "language": "sc:inLanguage", "identifier": "sc:identifier"}]


def lemmy(o: str) -> Source:
    c = o + "/c/localgardens"
    u = o + "/u/picard"
    s = Source("lemmy", "Lemmy 0.19", "lemmy", o)

    def group(pem: str) -> dict[str, Any]:
        return {"@context": LEMMY_CONTEXT, "id": c, "type": "Group", "preferredUsername": "localgardens",
                "name": "Local Gardens", "summary": "<p>Community gardens, seed swaps and work days.</p>\n",
                "source": {"content": "Community gardens, seed swaps and work days.", "mediaType": "text/markdown"},
                "mediaType": "text/html", "sensitive": False, "inbox": c + "/inbox", "followers": c + "/followers",
                "attributedTo": c + "/moderators", "featured": c + "/featured", "postingRestrictedToMods": False,
                "endpoints": {"sharedInbox": o + "/inbox"}, "outbox": c + "/outbox", "publicKey": _key(c, pem),
                "language": [{"identifier": "en", "name": "English"}], "published": "2019-06-02T16:43:50.799554Z",
                "updated": "2021-03-10T17:18:10.498868Z"}

    def person(pem: str) -> dict[str, Any]:
        return {"@context": LEMMY_CONTEXT, "id": u, "type": "Person", "preferredUsername": "picard",
                "name": "Jean-Luc Picard", "inbox": u + "/inbox", "outbox": u + "/outbox",
                "endpoints": {"sharedInbox": o + "/inbox"}, "publicKey": _key(u, pem),
                "published": "2020-01-17T01:38:22.348392Z"}

    s.actors = [Actor("/c/localgardens", "localgardens", group), Actor("/u/picard", "picard", person, followed=False)]

    def page(n: int, name: str, body: str, updated: str | None = None) -> dict[str, Any]:
        return {"id": f"{o}/post/{n}", "type": "Page", "attributedTo": u, "to": [c, PUBLIC], "audience": c,
                "name": name, "content": f"<p>{body}</p>\n", "mediaType": "text/html",
                "source": {"content": body, "mediaType": "text/markdown"},
                "attachment": [{"type": "Link", "href": o + "/pictrs/image/eOtYb9iEiB.png"}],
                "image": {"type": "Image", "url": o + "/pictrs/image/eOtYb9iEiB.png"}, "sensitive": False,
                "language": {"identifier": "en", "name": "English"},
                "tag": [{"href": c, "type": "Mention", "name": "@localgardens@127.0.0.1"}],
                "context": f"{o}/post/{n}/context", "published": "2026-12-01T12:35:34.292626Z",
                **({"updated": updated} if updated else {})}

    p1 = page(55143, "Seed swap this Saturday at the allotments", "Bring your saved tomato seeds, we have beans.")
    p1u = page(55143, "Seed swap moved to Sunday at the allotments", "Bring your saved tomato seeds, we have beans.",
               updated="2026-12-04T08:00:00.000000Z")
    p2 = page(55144, "Compost workshop notes", "Notes from the compost workshop are up.")
    p3 = page(2328, "Winter pruning guide", "How we prune the orchard in winter.")

    def inner(kind: str, obj: Any, n: str) -> dict[str, Any]:
        return {"actor": u, "to": [PUBLIC], "object": obj, "cc": [c], "audience": c, "type": kind,
                "id": f"{o}/activities/{kind.lower()}/{n}"}

    def announce(act: dict[str, Any], n: str) -> dict[str, Any]:
        return {"@context": LEMMY_CONTEXT, "actor": c, "to": [PUBLIC], "object": act, "cc": [c + "/followers"],
                "type": "Announce", "id": f"{o}/activities/announce/{n}"}

    s.pushes += [
        Push(1, "/c/localgardens", announce(inner("Create", p1, "2807c9ec-3ad8-4859-a9e0-28b59b6e499f"),
                                            "8030b171-803a-4108-94b1-342688f375cf")),
        Push(1, "/c/localgardens", announce(inner("Create", p2, "2807c9ec-3ad8-4859-a9e0-28b59b6e4a00"),
                                            "8030b171-803a-4108-94b1-342688f375d0")),
        Push(2, "/c/localgardens", announce(inner("Update", p1u, "ab360117-e165-4de4-b7fc-906b62c98631"),
                                            "8030b171-803a-4108-94b1-342688f375e1")),
        Push(2, "/c/localgardens", announce(inner("Delete", p2["id"], "f2abee48-c7bb-41d5-9e27-8775ff32db12"),
                                            "8030b171-803a-4108-94b1-342688f375f2")),
    ]
    # Lemmy's outbox is an OrderedCollection with orderedItems inline (no "first" page)
    s.outboxes["/c/localgardens"] = [announce(inner("Create", p3, "eee6a57a-622f-464d-b560-73ae1fcd3ddf"),
                                              "b204fe9f-b13d-4af2-9d22-239ac2d892e6")]
    for pg in (p1, p2, p3):
        s.objects[pg["id"][len(o):]] = dict(pg, **{"@context": LEMMY_CONTEXT})
    s.expects += [
        Expect("lemmy/announce-create-page", 1, p1["id"], name=p1["name"], community=c, search="allotments",
               content_has="tomato"),
        Expect("lemmy/announce-create-page-2", 1, p2["id"], name=p2["name"], community=c),
        Expect("lemmy/backfill-outbox-inline-items", 1, p3["id"], name=p3["name"], community=c),
        Expect("lemmy/announce-update-page", 2, p1["id"], name=p1u["name"]),
        Expect("lemmy/announce-delete-page", 2, p2["id"], present=False),
    ]
    return s


# ---------------------------------------------------------------------------------------------
# Mastodon: LemmyNet/lemmy crates/apub/apub/assets/mastodon/{objects/person.json,
# activities/create_note.json, activities/delete.json}; hashtag tag shape and the
# toot/ostatus context from mastodon/mastodon app/serializers/activitypub/note_serializer.rb.

# The @context Mastodon puts on its statuses and actors.
STATUS_CONTEXT = [AS, SEC, {"ostatus": "http://ostatus.org#", "atomUri": "ostatus:atomUri",
                              "inReplyToAtomUri": "ostatus:inReplyToAtomUri", "conversation": "ostatus:conversation",
                              "sensitive": "as:sensitive", "toot": "http://joinmastodon.org/ns#",
                              "votersCount": "toot:votersCount", "Hashtag": "as:Hashtag"}]


def mastodon(o: str) -> Source:
    a = o + "/users/gardenclub"
    s = Source("mastodon", "Mastodon 4.x", "mastodon", o)

    def person(pem: str) -> dict[str, Any]:
        return {"@context": STATUS_CONTEXT, "id": a, "type": "Person", "following": a + "/following",
                "followers": a + "/followers", "inbox": a + "/inbox", "outbox": a + "/outbox",
                "featured": a + "/collections/featured", "featuredTags": a + "/collections/tags",
                "preferredUsername": "gardenclub", "name": "Garden Club", "summary": "<p>We grow things.</p>",
                "url": o + "/@gardenclub", "manuallyApprovesFollowers": False, "discoverable": True,
                "indexable": True, "published": "2022-10-03T00:00:00Z", "memorial": False,
                "devices": a + "/collections/devices", "publicKey": _key(a, pem), "tag": [], "attachment": [],
                "endpoints": {"sharedInbox": o + "/inbox"},
                "icon": {"type": "Image", "mediaType": "image/png", "url": o + "/system/accounts/avatars/original/2cf6.png"}}

    s.actors = [Actor("/users/gardenclub", "gardenclub", person)]
    nid = a + "/statuses/113224289116410645"
    html = ('<p>Plant sale at the community greenhouse this weekend, all seedlings 1€. '
            f'<a href="{o}/tags/plantsale" class="mention hashtag" rel="tag">#<span>PlantSale</span></a> '
            f'<a href="{o}/tags/gardening" class="mention hashtag" rel="tag">#<span>gardening</span></a></p>')
    note = {"id": nid, "type": "Note", "summary": None, "inReplyTo": None, "published": "2026-12-02T11:46:50Z",
            "url": o + "/@gardenclub/113224289116410645", "attributedTo": a, "to": [PUBLIC], "cc": [a + "/followers"],
            "sensitive": False, "atomUri": nid, "inReplyToAtomUri": None,
            "conversation": "tag:127.0.0.1,2026-12-02:objectId=64635960:objectType=Conversation",
            "content": html, "contentMap": {"en": html}, "attachment": [],
            "tag": [{"type": "Hashtag", "href": o + "/tags/plantsale", "name": "#PlantSale"},
                    {"type": "Hashtag", "href": o + "/tags/gardening", "name": "#gardening"}],
            "replies": {"id": nid + "/replies", "type": "Collection",
                        "first": {"type": "CollectionPage", "next": nid + "/replies?only_other_accounts=true&page=true",
                                  "partOf": nid + "/replies", "items": []}}}
    nid2 = a + "/statuses/113224289116410777"
    html2 = "<p>Greenhouse open day photos are up!</p>"
    note2 = dict(note, id=nid2, url=o + "/@gardenclub/113224289116410777", atomUri=nid2, content=html2,
                 contentMap={"en": html2}, tag=[], attachment=[
                     {"type": "Document", "mediaType": "image/jpeg", "url": o + "/system/media_attachments/files/1.jpg",
                      "name": "Tomatoes on a shelf", "blurhash": "UFGb@Pxu~qIU", "focalPoint": [0.0, 0.0],
                      "width": 1200, "height": 900}],
                 replies={"id": nid2 + "/replies", "type": "Collection"})
    s.pushes += [
        Push(1, "/users/gardenclub", {"@context": STATUS_CONTEXT, "id": nid + "/activity", "type": "Create",
                                      "actor": a, "published": note["published"], "to": [PUBLIC],
                                      "cc": [a + "/followers"], "object": note}),
        Push(1, "/users/gardenclub", {"@context": STATUS_CONTEXT, "id": nid2 + "/activity", "type": "Create",
                                      "actor": a, "published": note["published"], "to": [PUBLIC],
                                      "cc": [a + "/followers"], "object": note2}),
        Push(2, "/users/gardenclub", {"@context": [AS, {"ostatus": "http://ostatus.org#", "atomUri": "ostatus:atomUri"}],
                                      "id": nid2 + "#delete", "type": "Delete", "actor": a, "to": [PUBLIC],
                                      "object": {"id": nid2, "type": "Tombstone", "atomUri": nid2}}),
    ]
    s.objects[nid[len(o):]] = dict(note, **{"@context": STATUS_CONTEXT})
    s.objects[nid2[len(o):]] = dict(note2, **{"@context": STATUS_CONTEXT})
    s.expects += [
        Expect("mastodon/create-note-hashtags", 1, nid, community=a, kind="note", tags=("plantsale", "gardening"),
               search="greenhouse", content_has="Plant sale"),
        Expect("mastodon/create-note-image", 1, nid2, community=a, kind="note", content_has="open day"),
        Expect("mastodon/delete-tombstone", 2, nid2, present=False),
    ]
    return s


# ---------------------------------------------------------------------------------------------
# Friendica: src/Protocol/ActivityPub/Transmitter.php createEvent() (name, content, startTime and
# endTime as UTC with +00:00, location Place from createLocation, dfrn:adjust) inside the note
# envelope of LemmyNet/lemmy crates/apub/apub/assets/friendica/objects/note_1.json
# (diaspora:guid, contentMap, source bbcode); actor from .../friendica/objects/person_1.json.

FRIENDICA_CONTEXT = [AS, SEC, {"vcard": "http://www.w3.org/2006/vcard/ns#", "dfrn": "http://purl.org/macgirvin/dfrn/1.0/",
                               "diaspora": "https://diasporafoundation.org/ns/", "litepub": "http://litepub.social/ns#",
                               "toot": "http://joinmastodon.org/ns#", "featured": {"@id": "toot:featured", "@type": "@id"},
                               "schema": "http://schema.org#", "manuallyApprovesFollowers": "as:manuallyApprovesFollowers",
                               "sensitive": "as:sensitive", "Hashtag": "as:Hashtag", "quoteUrl": "as:quoteUrl",
                               "conversation": "ostatus:conversation", "directMessage": "litepub:directMessage",
                               "discoverable": "toot:discoverable", "PropertyValue": "schema:PropertyValue",
                               "value": "schema:value"}]


def friendica(o: str) -> Source:
    a = o + "/profile/jakob"
    s = Source("friendica", "Friendica 2024.x", "friendica", o)

    def person(pem: str) -> dict[str, Any]:
        return {"@context": FRIENDICA_CONTEXT, "id": a, "diaspora:guid": "4edd2508-1661-30f6-ebcc-2da966353356",
                "type": "Person", "following": o + "/following/jakob", "followers": o + "/followers/jakob",
                "inbox": o + "/inbox/jakob", "outbox": o + "/outbox/jakob", "featured": o + "/featured/jakob",
                "preferredUsername": "jakob", "name": "Jakob :friendica:",
                "vcard:hasAddress": {"@type": "vcard:Home", "vcard:country-name": "Austria",
                                     "vcard:region": "Niederoesterreich", "vcard:locality": ""},
                "summary": "Linux, FOSS, Öffentlicher Verkehr, Eisenbahn", "url": a,
                "manuallyApprovesFollowers": False, "discoverable": True, "indexable": True,
                "publicKey": _key(a, pem), "endpoints": {"sharedInbox": o + "/inbox"},
                "icon": {"type": "Image", "url": o + "/photo/profile/jakob.png?ts=1630598950", "mediaType": "image/png"},
                "generator": {"id": o + "/friendica", "type": "Application", "name": "Friendica 'Yellow Archangel' 2024.12-1576", "url": o}}

    s.actors = [Actor("/profile/jakob", "jakob", person)]
    guid = "4edd2508-4361-edb8-c4d8-b45181083984"
    eid = f"{o}/objects/{guid}"

    def event(name: str, start: str, end: str, content: str) -> dict[str, Any]:
        return {"id": eid, "type": "Event", "summary": "", "inReplyTo": None, "diaspora:guid": guid,
                "published": "2026-12-02T20:21:24Z", "url": f"{o}/display/{guid}", "attributedTo": a,
                "sensitive": False, "context": f"{o}/objects/{guid}#context", "conversation": f"{o}/objects/{guid}#context",
                "content": content, "contentMap": {"de": content},
                "source": {"content": content.replace("<br>", "\n"), "mediaType": "text/bbcode"},
                "to": [PUBLIC], "cc": [o + "/followers/jakob"], "tag": [], "attachment": [],
                "name": name, "startTime": start, "endTime": end,
                "location": {"type": "Place", "name": "Bahnhof Tulln, Bahnhofstraße 1, 3430 Tulln an der Donau",
                             "latitude": 48.3284, "longitude": 16.0588},
                "dfrn:adjust": True}

    f1 = event("Bahnfahrt zum Christkindlmarkt", "2027-01-09T09:00:00+00:00", "2027-01-09T16:00:00+00:00",
               "Gemeinsame Anreise mit der Bahn.<br>Treffpunkt am Bahnsteig 2.")
    f1u = dict(event("Bahnfahrt zum Christkindlmarkt (verschoben)", "2027-01-16T09:00:00+00:00",
                     "2027-01-16T16:00:00+00:00", "Gemeinsame Anreise mit der Bahn.<br>Neuer Termin!"),
               updated="2026-12-04T07:00:00Z")
    s.pushes += [
        Push(1, "/profile/jakob", {"@context": FRIENDICA_CONTEXT, "id": f"{o}/objects/{guid}/Create", "type": "Create",
                                   "actor": a, "published": f1["published"], "instrument": {"type": "Service", "name": "Friendica"},
                                   "to": [PUBLIC], "cc": [o + "/followers/jakob"], "object": f1}),
        Push(2, "/profile/jakob", {"@context": FRIENDICA_CONTEXT, "id": f"{o}/objects/{guid}/Update", "type": "Update",
                                   "actor": a, "published": "2026-12-04T07:00:00Z", "to": [PUBLIC],
                                   "cc": [o + "/followers/jakob"], "object": f1u}),
    ]
    s.objects[eid[len(o):]] = dict(f1, **{"@context": FRIENDICA_CONTEXT})
    s.expects += [
        Expect("friendica/create-event-utc", 1, eid, name=f1["name"], start="2027-01-09T09:00:00Z",
               end="2027-01-09T16:00:00Z", place_name="Bahnhof Tulln", lat=48.3284, lon=16.0588, community=a,
               kind="event", search="Christkindlmarkt", ics=True),
        Expect("friendica/update-event-moved", 2, eid, name=f1u["name"], start="2027-01-16T09:00:00Z"),
    ]
    return s


# ---------------------------------------------------------------------------------------------
# FEP-8a8e examples (julianlam/feps fep/8a8e/fep-8a8e.md: timezone, location text address +
# PostalAddress, hybrid location array, eventStatus, categories, maximumAttendeeCapacity), sent by a
# Fedify-style Group actor (Fedify's compacted JSON-LD: data-integrity context, assertionMethod
# Multikey, publicKey) that signs deliveries with RFC 9421 first, as Fedify does.

FEP_CONTEXT = ["https://schema.org", "https://w3id.org/fep/8a8e", AS, {"sc": "https://schema.org/"}]


def fep8a8e(o: str) -> Source:
    a = o + "/ap/actor/events"
    s = Source("fep-8a8e", "FEP-8a8e examples via a Fedify-style actor", "rfc9421", o)

    def actor(pem: str) -> dict[str, Any]:
        return {"@context": [AS, SEC, "https://w3id.org/security/data-integrity/v1",
                             {"toot": "http://joinmastodon.org/ns#", "discoverable": "toot:discoverable",
                              "manuallyApprovesFollowers": "as:manuallyApprovesFollowers"}],
                "id": a, "type": "Group", "inbox": a + "/inbox", "outbox": a + "/outbox",
                "followers": a + "/followers", "following": a + "/following",
                "endpoints": {"type": "as:Endpoints", "sharedInbox": o + "/ap/inbox"},
                "preferredUsername": "events", "name": "Fediverse Town Events", "summary": "Events in Fediverse Town",
                "url": o + "/@events", "manuallyApprovesFollowers": False, "discoverable": True,
                "publicKey": {"id": a + "#main-key", "type": "CryptographicKey", "owner": a, "publicKeyPem": pem},
                "assertionMethod": []}

    s.actors = [Actor("/ap/actor/events", "events", actor)]

    def ev(slug: str, **kw: Any) -> dict[str, Any]:
        base = {"@context": FEP_CONTEXT, "type": "Event", "id": f"{o}/events/{slug}", "attributedTo": a,
                "organizers": None, "to": [PUBLIC], "cc": [a + "/followers"], "published": "2026-12-01T00:00:00Z",
                "url": f"{o}/events/{slug}"}
        base.update(kw)
        return base

    x1 = ev("new-year-party", name="New years party", startTime="2027-12-31T23:00:00+01:00",
            endTime="2028-01-01T04:00:00+01:00", timezone="Europe/Rome",
            location={"type": "Place", "name": "Foo Bar", "address": "15 Fediverse Street, 8010 Fediverse Town, Austria",
                      "latitude": 47.06829, "longitude": 15.45634})
    x2 = ev("fediverse-discussion", name="Discussion about the Fediverse", startTime="2027-05-14T18:00:00-08:00",
            endTime="2027-05-14T20:00:00-08:00", category=["MUSIC", "CREATIVE_JAM"], maximumAttendeeCapacity=100,
            attendees={"type": "Collection", "id": f"{o}/events/fediverse-discussion/attendees", "totalItems": 84},
            location=[{"type": "Place", "name": "Fediverse University", "url": "https://university.example.com",
                       "address": "15 Fediverse Street, 1337 Fediverse Town, Fediverse Country"},
                      {"type": "VirtualLocation", "name": "Big Blue Button Participation Link",
                       "url": "https://bbb.example.com/meeting-room-1"}])
    x3 = ev("open-mic-jam", name="Open Mic Jam at Sunny's", startTime="2027-06-12T20:00:00-08:00",
            endTime="2027-06-12T23:00:00-08:00",
            location={"id": "", "type": "Place", "name": "Sunny's",
                      "address": {"type": "PostalAddress", "addressCountry": "Austria", "addressLocality": "Fediverse Town",
                                  "addressRegion": "Steiermark", "postalCode": "8010", "streetAddress": "15 Fediverse Street"},
                      "latitude": 47.077892, "longitude": 15.460744})
    x4 = ev("moderation-meeting", name="Fediverse Moderation Meeting", startTime="2027-02-01T17:00:00Z",
            endTime="2027-02-01T18:00:00Z", eventStatus="EventCancelled",
            location={"type": "VirtualLocation", "name": "Jitsi Meet Meeting Link",
                      "url": "https://jitsi.example.org/fediverse-moderation-meeting"})

    def create(obj: dict[str, Any]) -> dict[str, Any]:
        return {"@context": [AS, "https://w3id.org/security/data-integrity/v1"], "id": obj["id"] + "#create",
                "type": "Create", "actor": a, "object": {k: v for k, v in obj.items() if k != "@context"},
                "to": [PUBLIC], "cc": [a + "/followers"], "published": obj["published"]}

    s.pushes += [Push(1, "/ap/actor/events", create(x)) for x in (x1, x2, x3, x4)]
    for x in (x1, x2, x3, x4):
        s.objects[x["id"][len(o):]] = x
    s.expects += [
        Expect("fep/timezone-text-address", 1, x1["id"], name=x1["name"], start="2027-12-31T22:00:00Z",
               end="2028-01-01T03:00:00Z", timezone="Europe/Rome", place_name="Foo Bar",
               address_has=("15 Fediverse Street",), lat=47.06829, lon=15.45634, community=a, kind="event", ics=True),
        Expect("fep/hybrid-location-capacity", 1, x2["id"], name=x2["name"], start="2027-05-15T02:00:00Z",
               place_name="Fediverse University", address_has=("15 Fediverse Street",), capacity=100,
               community=a, kind="event"),
        Expect("fep/postal-address", 1, x3["id"], name=x3["name"], start="2027-06-13T04:00:00Z",
               place_name="Sunny's", address_has=("15 Fediverse Street", "Fediverse Town"), lat=47.077892,
               lon=15.460744, community=a, kind="event"),
        Expect("fep/eventStatus-cancelled", 1, x4["id"], name=x4["name"], status="cancelled", community=a, kind="event"),
    ]
    return s


# ---------------------------------------------------------------------------------------------
# Pleroma / Akkoma: LemmyNet/lemmy crates/apub/apub/assets/pleroma/{activities/create_note.json,
# objects/person.json}: Note with "source", "context", "conversation", hashtag tags and a
# Create with "directMessage": false.

def pleroma(o: str) -> Source:
    a = o + "/users/repaircafe"
    s = Source("pleroma", "Pleroma/Akkoma 2.x", "pleroma", o)
    ctx = [AS, o + "/schemas/litepub-0.1.jsonld", {"@language": "und"}]

    def person(pem: str) -> dict[str, Any]:
        return {"@context": ctx, "id": a, "type": "Person", "preferredUsername": "repaircafe",
                "name": "Repair Café", "summary": "Fixing things together", "url": a, "inbox": a + "/inbox",
                "outbox": a + "/outbox", "followers": a + "/followers", "following": a + "/following",
                "endpoints": {"oauthAuthorizationEndpoint": o + "/oauth/authorize", "sharedInbox": o + "/inbox",
                              "uploadMedia": o + "/api/ap/upload_media"},
                "manuallyApprovesFollowers": False, "discoverable": True, "invisible": False,
                "publicKey": _key(a, pem), "tag": [], "attachment": [], "capabilities": {"acceptsChatMessages": True}}

    s.actors = [Actor("/users/repaircafe", "repaircafe", person)]
    nid = o + "/objects/1b8a6e2c-1c6e-4a1e-9f3a-6c2d5e8f9a01"
    html = ("Next repair café: Saturday 10:00 at the library basement. Bring broken lamps and toasters! "
            f'<a class="hashtag" data-tag="repaircafe" href="{o}/tag/repaircafe" rel="tag ugc">#repaircafe</a>')
    note = {"id": nid, "type": "Note", "actor": a, "attributedTo": a, "to": [PUBLIC], "cc": [a + "/followers"],
            "content": html, "contentMap": {"en": html}, "context": o + "/contexts/5b2f0b1e-aa11-4b9e-8d3c-77aa00bb11cc",
            "conversation": o + "/contexts/5b2f0b1e-aa11-4b9e-8d3c-77aa00bb11cc", "published": "2026-12-02T09:00:00.123456Z",
            "sensitive": False, "summary": "", "source": {"content": "Next repair café ... #repaircafe", "mediaType": "text/plain"},
            "tag": [{"href": o + "/tags/repaircafe", "name": "#repaircafe", "type": "Hashtag"}], "attachment": []}
    s.pushes.append(Push(1, "/users/repaircafe", {"@context": ctx, "actor": a, "cc": [a + "/followers"], "to": [PUBLIC],
                                                  "directMessage": False, "id": o + "/activities/0f2e3d4c-5b6a-4798-8a9b-0c1d2e3f4a5b",
                                                  "object": note, "published": note["published"], "type": "Create",
                                                  "context": note["context"]}))
    s.objects[nid[len(o):]] = dict(note, **{"@context": ctx})
    s.objects["/schemas/litepub-0.1.jsonld"] = {"@context": [AS, SEC, {"litepub": "http://litepub.social/ns#"}]}
    s.expects.append(Expect("pleroma/create-note-hashtag", 1, nid, community=a, kind="note", tags=("repaircafe",),
                            search="toasters", content_has="repair café"))
    return s


BUILDERS = [mobilizon, gancio, wordpress, lemmy, mastodon, friendica, fep8a8e, pleroma]


def build_all(origins: list[str]) -> list[Source]:
    return [b(o) for b, o in zip(BUILDERS, origins)]


def strip_ctx(doc: dict[str, Any]) -> dict[str, Any]:
    return copy.deepcopy({k: v for k, v in doc.items() if k != "@context"})
