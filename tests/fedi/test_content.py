"""fedi/content/: events, listings and venues to ActivityStreams and back."""

from __future__ import annotations

import json
import re
from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import quote
from zoneinfo import ZoneInfo

import pytest

from fedi.content import (
    AMENITIES,
    CATEGORIES,
    ContentParseError,
    EventData,
    ImageData,
    ListingData,
    OpeningHours,
    PlaceData,
    PostalAddressData,
    PriceData,
    VenueData,
    event_from_ap,
    event_summary_line,
    event_to_ap,
    listing_from_ap,
    listing_to_ap,
    place_from_ap,
    venue_announcement_page,
    venue_from_ap,
    venue_to_ap,
    zone_from_offset,
)
from fedi.vocab import AS_CONTEXT, CONTEXT, PUBLIC, SEC_CONTEXT

FIXTURES = Path(__file__).parent / "fixtures"
SH = ZoneInfo("Asia/Shanghai")
BASE = "https://yinhu.example"
GROUP = f"{BASE}/c/lakeside"
FOLLOWERS = f"{GROUP}/followers"


def tag_href(tag: str) -> str:
    return f"{BASE}/tags/{quote(tag)}"


LIBRARY = PlaceData(
    name="银湖图书馆",
    address=PostalAddressData(
        street="湖滨路 8 号",
        locality="银湖街道",
        region="浙江省",
        postal_code="311400",
        country="CN",
    ),
    latitude=30.0512,
    longitude=119.9483,
    id=f"{BASE}/places/library",
    url=f"{BASE}/venues/library",
)

ADDRESS = "湖滨路 8 号, 银湖街道, 浙江省, 311400, CN"

COVER = ImageData(
    url=f"{BASE}/media/cover.jpg",
    media_type="image/jpeg",
    alt="孩子们在图书馆里读绘本",
    width=1200,
    height=630,
    blurhash="LEHV6nWB2yk8pyo0adR*.7kCMdnj",
)


def make_event(**changes: Any) -> EventData:
    e = EventData(
        id=f"{BASE}/events/42",
        url=f"{BASE}/events/42",
        actor_id=GROUP,
        name="绘本共读会",
        content_html="<p>带上你喜欢的绘本，一起读给孩子们听。</p>",
        summary=None,
        start=datetime(2025, 12, 6, 14, 0, tzinfo=SH),
        end=datetime(2025, 12, 6, 16, 0, tzinfo=SH),
        timezone="Asia/Shanghai",
        place=LIBRARY,
        online_url=None,
        category="FAMILY_EDUCATION",
        tags=["亲子", "阅读"],
        capacity=30,
        participant_count=12,
        join_mode="free",
        external_participation_url=None,
        status="scheduled",
        image=COVER,
        language="zh-CN",
        published=datetime(2025, 11, 20, 9, 30, tzinfo=UTC),
        updated=datetime(2025, 11, 21, 10, 0, tzinfo=UTC),
    )
    return replace(e, **changes)


def make_listing(**changes: Any) -> ListingData:
    listing = ListingData(
        id=f"{BASE}/listings/7",
        url=f"{BASE}/listings/7",
        actor_id=GROUP,
        kind="goods",
        purpose="offer",
        title="儿童自行车 16 寸",
        content_html="<p>孩子长高了，车况良好，送打气筒。</p>",
        price=PriceData(amount=Decimal(120), currency="CNY"),
        price_mode="amount",
        condition="九成新",
        area="银湖花园",
        status="available",
        expires=datetime(2025, 12, 31, 23, 59, tzinfo=SH),
        images=[ImageData(url=f"{BASE}/media/bike.jpg", media_type="image/jpeg", alt="蓝色童车")],
        tags=["自行车"],
        language="zh-CN",
        published=datetime(2025, 11, 20, 9, 30, tzinfo=UTC),
        updated=None,
    )
    return replace(listing, **changes)


VENUE_LINE = ("银湖花园活动室 · 银湖花园，银湖花园 3 幢, 银湖街道, CN · 周一至周五 09:00–21:00；周六 10:00–18:00 · "
        f"可容纳 40 人 · 投影仪、厨房 · 免费 · 可预约：物业前台 0571-1234567 · {BASE}/venues/hall")


def make_venue(**changes: Any) -> VenueData:
    v = VenueData(
        id=f"{BASE}/venues/hall",
        url=f"{BASE}/venues/hall",
        actor_id=GROUP,
        name="银湖花园活动室",
        content_html="<p>小区会所二楼，适合讲座和手工活动。</p>",
        address=PostalAddressData(street="银湖花园 3 幢", locality="银湖街道", country="CN"),
        latitude=30.05,
        longitude=119.95,
        capacity=40,
        amenities=["projector", "kitchen"],
        opening_hours=[
            OpeningHours(
                days=["Monday", "Tuesday", "Wednesday", "Thursday", "Friday"],
                opens="09:00",
                closes="21:00",
            ),
            OpeningHours(days=["Saturday"], opens="10:00", closes="18:00"),
        ],
        bookable=True,
        contact="物业前台 0571-1234567",
        price=None,
        free=True,
        part_of="银湖花园",
        images=[ImageData(url=f"{BASE}/media/hall.jpg", media_type="image/webp", alt="活动室全景")],
        language="zh-CN",
        published=datetime(2025, 11, 1, 8, 0, tzinfo=UTC),
        updated=None,
    )
    return replace(v, **changes)


# ---------------------------------------------------------------------------------------------
# Every emitted key is an ActivityStreams term or defined in our inline context.

AS_TERMS = frozenset(
    [
        "id",
        "type",
        "actor",
        "attributedTo",
        "attachment",
        "audience",
        "bcc",
        "bto",
        "cc",
        "content",
        "contentMap",
        "context",
        "current",
        "deleted",
        "describes",
        "duration",
        "endTime",
        "first",
        "formerType",
        "generator",
        "height",
        "href",
        "hreflang",
        "icon",
        "image",
        "inReplyTo",
        "instrument",
        "items",
        "last",
        "latitude",
        "location",
        "longitude",
        "altitude",
        "accuracy",
        "mediaType",
        "name",
        "nameMap",
        "next",
        "object",
        "oneOf",
        "anyOf",
        "closed",
        "orderedItems",
        "origin",
        "partOf",
        "preview",
        "prev",
        "published",
        "radius",
        "rel",
        "relationship",
        "replies",
        "result",
        "startIndex",
        "startTime",
        "subject",
        "summary",
        "summaryMap",
        "tag",
        "target",
        "to",
        "totalItems",
        "units",
        "updated",
        "url",
        "width",
        "likes",
        "shares",
        "source",
    ]
)
AS_TYPES = frozenset(
    [
        "Object",
        "Link",
        "Activity",
        "IntransitiveActivity",
        "Collection",
        "OrderedCollection",
        "CollectionPage",
        "OrderedCollectionPage",
        "Accept",
        "Add",
        "Announce",
        "Arrive",
        "Block",
        "Create",
        "Delete",
        "Dislike",
        "Flag",
        "Follow",
        "Ignore",
        "Invite",
        "Join",
        "Leave",
        "Like",
        "Listen",
        "Move",
        "Offer",
        "Question",
        "Reject",
        "Read",
        "Remove",
        "TentativeReject",
        "TentativeAccept",
        "Travel",
        "Undo",
        "Update",
        "View",
        "Application",
        "Group",
        "Organization",
        "Person",
        "Service",
        "Article",
        "Audio",
        "Document",
        "Event",
        "Image",
        "Note",
        "Page",
        "Place",
        "Profile",
        "Relationship",
        "Tombstone",
        "Video",
        "Mention",
    ]
)
# Values that are maps keyed by language tags, not terms.
LANGUAGE_MAPS = frozenset({"contentMap", "nameMap", "summaryMap"})


def _inline() -> dict[str, Any]:
    return next(c for c in CONTEXT if isinstance(c, dict))


def _defined(key: str) -> bool:
    inline = _inline()
    if key in inline:
        return True
    prefix, sep, _ = key.partition(":")
    return bool(sep) and prefix in inline  # compact IRIs such as ical:status


def undefined_terms(doc: Any, path: str = "$") -> list[str]:
    problems: list[str] = []
    if isinstance(doc, list):
        for i, item in enumerate(doc):
            problems += undefined_terms(item, f"{path}[{i}]")
    elif isinstance(doc, dict):
        for key, value in doc.items():
            if key == "@context":
                continue
            if key not in AS_TERMS and not _defined(key):
                problems.append(f"{path}.{key}")
            if key == "type":
                for t in value if isinstance(value, list) else [value]:
                    if t not in AS_TYPES and not _defined(t):
                        problems.append(f"{path}.type={t}")
            if key in LANGUAGE_MAPS:
                continue
            problems += undefined_terms(value, f"{path}.{key}")
    return problems


def assert_context_ok(doc: dict[str, Any]) -> None:
    assert doc["@context"] == CONTEXT
    urls = [c for c in doc["@context"] if isinstance(c, str)]
    assert set(urls) <= {AS_CONTEXT, SEC_CONTEXT}
    assert undefined_terms(doc) == []
    json.dumps(doc)  # plain JSON all the way down


def test_checker_catches_an_undefined_term() -> None:
    assert undefined_terms({"type": "Note", "fooBar": {"type": "Thing"}}) == [
        "$.fooBar",
        "$.fooBar.type=Thing",
    ]


def test_context_terms_map_to_absolute_or_prefixed_iris() -> None:
    inline = _inline()
    for term, value in inline.items():
        iri = value["@id"] if isinstance(value, dict) else value
        prefix = iri.split(":", 1)[0]
        assert iri.startswith(("http://", "https://")) or prefix in inline or prefix in {"as"}, term


# ---------------------------------------------------------------------------------------------
# Events


def test_event_round_trip() -> None:
    e = make_event()
    assert event_from_ap(event_to_ap(e, followers=FOLLOWERS, tag_href=tag_href)) == e


def test_event_round_trip_hybrid_cancelled_with_organiser_summary() -> None:
    e = make_event(
        online_url="https://meet.example/lake",
        status="cancelled",
        summary="雨天改线上",
        join_mode="external",
        external_participation_url="https://forms.example/42",
        capacity=None,
        participant_count=0,
        end=None,
        image=None,
        category=None,
        tags=[],
    )
    doc = event_to_ap(e, followers=FOLLOWERS)
    assert doc["summary"].startswith("【已取消】")
    assert doc["summary"].endswith(" — 雨天改线上")
    assert doc["eventStatus"] == "EventCancelled" and doc["status"] == "CANCELLED"
    assert [loc["type"] for loc in doc["location"]] == ["Place", "VirtualLocation"]
    assert event_from_ap(doc) == e


@pytest.mark.parametrize("status", ["scheduled", "cancelled", "postponed", "tentative"])
def test_event_status_round_trip(status: str) -> None:
    e = make_event(status=status)
    assert event_from_ap(event_to_ap(e, followers=FOLLOWERS)).status == status


def test_event_is_mastodon_ready() -> None:
    doc = event_to_ap(make_event(), followers=FOLLOWERS, tag_href=tag_href)
    assert_context_ok(doc)
    assert doc["type"] == "Event"
    assert doc["name"] == "绘本共读会"
    # Title, when, where (with the address), how many and the link, on one line of text.
    assert doc["summary"] == (
        f"绘本共读会 · 12月6日（周六）14:00–16:00 · 银湖图书馆（{ADDRESS}） · 限 30 人 · {BASE}/events/42"
    )
    assert "\n" not in doc["summary"] and "<" not in doc["summary"]
    assert doc["url"] == f"{BASE}/events/42"
    assert doc["to"] == [PUBLIC] and doc["cc"] == [FOLLOWERS]
    images = [a for a in doc["attachment"] if a["type"] == "Image"]
    assert images[0]["mediaType"] == "image/jpeg"
    assert images[0]["url"] == COVER.url and images[0]["name"] == COVER.alt
    assert all("mediaType" in a for a in doc["attachment"])  # Gancio reads it on each one
    assert doc["tag"] == [
        {"type": "Hashtag", "name": "#亲子", "href": tag_href("亲子")},
        {"type": "Hashtag", "name": "#阅读", "href": tag_href("阅读")},
    ]


def test_event_fep_8a8e_and_mobilizon_fields() -> None:
    doc = event_to_ap(make_event(), followers=FOLLOWERS)
    assert doc["startTime"] == "2025-12-06T14:00:00+08:00"
    assert doc["endTime"] == "2025-12-06T16:00:00+08:00"
    assert doc["timezone"] == "Asia/Shanghai"
    assert doc["category"] == "FAMILY_EDUCATION"
    assert doc["joinMode"] == "free"
    assert doc["maximumAttendeeCapacity"] == 30
    assert doc["remainingAttendeeCapacity"] == 18
    assert doc["participantCount"] == 12
    assert doc["eventStatus"] == "EventScheduled"
    assert doc["status"] == doc["ical:status"] == "CONFIRMED"
    assert doc["content"].startswith("<p>") and doc["mediaType"] == "text/html"
    assert doc["contentMap"] == {"zh-CN": doc["content"]}
    assert doc["nameMap"] == {"zh-CN": "绘本共读会"}
    assert doc["inLanguage"] == "zh-CN"
    assert doc["published"] == "2025-11-20T09:30:00Z"
    assert doc["updated"] == "2025-11-21T10:00:00Z"
    loc = doc["location"]
    assert loc["type"] == "Place" and loc["id"] == LIBRARY.id
    assert loc["address"] == {
        "type": "PostalAddress",
        "streetAddress": "湖滨路 8 号",
        "addressLocality": "银湖街道",
        "addressRegion": "浙江省",
        "postalCode": "311400",
        "addressCountry": "CN",
    }
    assert (loc["latitude"], loc["longitude"]) == (30.0512, 119.9483)


def test_online_event_has_virtual_location_and_mobilizon_link() -> None:
    doc = event_to_ap(
        make_event(place=None, online_url="https://meet.example/x"), followers=FOLLOWERS
    )
    assert doc["location"] == {
        "type": "VirtualLocation",
        "name": "绘本共读会",
        "url": "https://meet.example/x",
    }
    assert {
        "type": "Link",
        "href": "https://meet.example/x",
        "mediaType": "text/html",
        "name": "Website",
    } in doc["attachment"]
    assert doc["summary"] == f"绘本共读会 · 12月6日（周六）14:00–16:00 · 线上 · 限 30 人 · {BASE}/events/42"
    assert_context_ok(doc)


def test_summary_line_variants() -> None:
    plain = replace(LIBRARY, address=None)
    tail = f"限 30 人 · {BASE}/events/42"
    en = make_event(language="en", place=replace(LIBRARY, name="Yinhu Library", address="1 Lake Road"))
    assert event_summary_line(en) == (
        f"绘本共读会 · Sat 6 Dec 14:00–16:00 · Yinhu Library, 1 Lake Road · up to 30 people · {BASE}/events/42"
    )
    multi = make_event(end=datetime(2025, 12, 7, 10, 0, tzinfo=SH), place=plain)
    assert event_summary_line(multi) == f"绘本共读会 · 12月6日（周六）14:00 – 12月7日（周日）10:00 · 银湖图书馆 · {tail}"
    next_year = make_event(start=datetime(2026, 1, 3, 9, 0, tzinfo=SH), end=None, place=plain)
    assert event_summary_line(next_year) == f"绘本共读会 · 2026年1月3日（周六）09:00 · 银湖图书馆 · {tail}"
    # Times are shown in the event's own zone, whatever zone the datetime carries.
    utc_start = make_event(start=datetime(2025, 12, 6, 6, 0, tzinfo=UTC), end=None, place=plain)
    assert event_summary_line(utc_start) == f"绘本共读会 · 12月6日（周六）14:00 · 银湖图书馆 · {tail}"
    paris = make_event(
        timezone="Europe/Paris",
        language="en",
        end=None,
        place=plain,
        capacity=None,
        start=datetime(2025, 12, 6, 14, 0, tzinfo=ZoneInfo("Europe/Paris")),
    )
    assert event_summary_line(paris) == (
        f"绘本共读会 · Sat 6 Dec 14:00 (Europe/Paris) · 银湖图书馆 · no attendance limit · {BASE}/events/42"
    )
    assert event_to_ap(paris, followers=FOLLOWERS)["startTime"] == "2025-12-06T14:00:00+01:00"
    postponed = make_event(status="postponed")
    assert event_summary_line(postponed).startswith("【已延期】绘本共读会 · 12月6日")


def test_categories_follow_fep_8a8e() -> None:
    for name in (
        "COMMUNITY",
        "LEARNING",
        "WORKSHOPS_SKILL_SHARING",
        "SPORTS",
        "MEETING",
        "CLIMATE_ENVIRONMENT",
        "FESTIVALS",
    ):
        assert name in CATEGORIES
    assert len(CATEGORIES) == len(set(CATEGORIES))


def test_unknown_remote_category_is_dropped() -> None:
    doc = event_to_ap(make_event(), followers=FOLLOWERS)
    doc["category"] = ["PICNIC", "sports"]
    assert event_from_ap(doc).category == "SPORTS"
    doc["category"] = "PICNIC"
    assert event_from_ap(doc).category is None


def test_mobilizon_event_fixture() -> None:
    doc = json.loads((FIXTURES / "mobilizon_event.json").read_text())
    e = event_from_ap(doc)
    assert e.name == "Atelier de réparation de vélos"
    assert e.actor_id == "https://mobilizon.example.fr/@atelier_velo"  # the group, not actor
    assert e.timezone == "Europe/Paris"
    assert e.start == datetime(2025, 12, 6, 13, 0, tzinfo=UTC)
    assert e.end == datetime(2025, 12, 6, 16, 0, tzinfo=UTC)
    assert e.place is not None and e.place.name == "Maison du Vélo"
    assert e.place.address == PostalAddressData(
        street="12 rue des Cycles",
        locality="Lyon",
        region="Auvergne-Rhône-Alpes",
        postal_code="69001",
        country="France",
    )
    assert (e.place.latitude, e.place.longitude) == (45.7676, 4.8344)
    assert e.place.id == "https://mobilizon.example.fr/address/0b6c9c4a-8a53-4c3e-9d0a-7f1e2d3c4b5a"
    assert e.online_url == "https://visio.example.fr/atelier-velo"
    assert e.category == "WORKSHOPS_SKILL_SHARING"
    assert e.tags == ["vélo", "réparation"]  # the Mention is not a tag
    assert (e.capacity, e.participant_count) == (20, 8)
    assert e.join_mode == "restricted"
    assert e.status == "scheduled"
    assert e.image == ImageData(
        url="https://mobilizon.example.fr/media/3f2a1b.jpg",
        media_type="image/jpeg",
        alt=None,
        blurhash="LEHV6nWB2yk8pyo0adR*.7kCMdnj",
    )
    assert e.language == "fr"
    assert e.summary is not None and e.summary.startswith("samedi 6 décembre")
    assert e.published == datetime(2025, 11, 2, 9, 15, tzinfo=UTC)


def test_mobilizon_legacy_status_only_ical() -> None:
    doc = json.loads((FIXTURES / "mobilizon_event.json").read_text())
    del doc["status"]
    doc["ical:status"] = "CANCELLED"
    assert event_from_ap(doc).status == "cancelled"
    doc["maximumAttendeeCapacity"] = 0  # Mobilizon: no limit
    assert event_from_ap(doc).capacity is None


def test_gancio_event_fixture() -> None:
    doc = json.loads((FIXTURES / "gancio_event.json").read_text())
    e = event_from_ap(doc)
    assert e.name == "Concerto jazz al circolo"
    assert e.url == "https://gancio.example.it/event/concerto-jazz-al-circolo"
    # No timezone: the offset is kept as a fixed-offset IANA zone (POSIX sign inversion).
    assert e.timezone == "Etc/GMT-1"
    assert e.start == datetime(2025, 12, 12, 20, 0, tzinfo=UTC)
    assert e.start.utcoffset() == timedelta(hours=1)
    assert e.place == PlaceData(
        name="Circolo Arci Brecht",
        address="Via Roma 12, Bologna",
        latitude=44.4949,
        longitude=11.3426,
        id="https://gancio.example.it/federation/p/17",
    )
    assert e.online_url == "https://stream.example.it/jazz"
    assert e.tags == ["jazz", "musica"]
    assert e.image is not None and e.image.alt == "Locandina del concerto jazz"
    assert e.image.media_type == "image/jpeg"
    assert e.join_mode == "none"  # Gancio does not handle Join
    assert e.summary == "Circolo Arci Brecht, venerdì 12 dicembre, 21:00 CET"
    # What we make of it re-serialises to a valid document of ours.
    assert_context_ok(event_to_ap(e, followers=FOLLOWERS))


def test_zone_from_offset() -> None:
    def at(**kw: int) -> datetime:
        return datetime(2025, 1, 1, tzinfo=timezone(timedelta(**kw)))

    assert zone_from_offset(at(hours=8)) == "Etc/GMT-8"
    assert zone_from_offset(at(hours=-5)) == "Etc/GMT+5"
    assert zone_from_offset(at(hours=0)) == "UTC"
    assert zone_from_offset(at(hours=5, minutes=30)) == "Asia/Kolkata"
    assert zone_from_offset(at(hours=2, minutes=15)) == "UTC"
    assert ZoneInfo("Etc/GMT-8").utcoffset(datetime(2025, 1, 1)) == timedelta(hours=8)


def test_naive_times_use_the_declared_timezone_and_bad_zone_falls_back() -> None:
    doc = {
        "id": "https://x.example/e/1",
        "type": "Event",
        "name": "n",
        "attributedTo": "https://x.example/u",
        "startTime": "2025-12-06T14:00:00",
        "timezone": "Asia/Shanghai",
    }
    assert event_from_ap(doc).start == datetime(2025, 12, 6, 6, 0, tzinfo=UTC)
    doc.update(startTime="2025-12-06T14:00:00+09:00", timezone="Mars/Olympus")
    assert event_from_ap(doc).timezone == "Etc/GMT-9"


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda d: d.pop("name") and d.pop("nameMap"), "no name"),
        (lambda d: d.update(name="  ", nameMap={}), "no name"),
        (lambda d: d.pop("startTime"), "no startTime"),
        (lambda d: d.update(startTime="next Saturday"), "startTime is not an ISO 8601"),
        (lambda d: d.pop("id"), "no id"),
        (lambda d: d.pop("attributedTo"), "no attributedTo"),
    ],
)
def test_event_bad_input(mutate: Any, message: str) -> None:
    doc = event_to_ap(make_event(), followers=FOLLOWERS)
    mutate(doc)
    with pytest.raises(ContentParseError, match=message):
        event_from_ap(doc)


def test_not_an_object_raises() -> None:
    with pytest.raises(ContentParseError):
        event_from_ap(["not", "a", "dict"])
    with pytest.raises(ContentParseError):
        venue_from_ap("https://x.example/p")
    assert issubclass(ContentParseError, ValueError)


def test_postponed_event_with_previous_start_time() -> None:
    doc = {
        "id": "https://x.example/e/2",
        "type": "Event",
        "name": "n",
        "attributedTo": "https://x.example/u",
        "previousStartTime": "2025-12-06T14:00:00Z",
        "eventStatus": "https://w3id.org/fep/8a8e/EventPostponed",
    }
    e = event_from_ap(doc)
    assert e.status == "postponed" and e.start == datetime(2025, 12, 6, 14, tzinfo=UTC)


def test_place_from_ap_shapes() -> None:
    assert place_from_ap(None) is None
    assert place_from_ap("村口大榕树") == PlaceData(name="村口大榕树")
    assert place_from_ap("https://x.example/places/1") is None
    assert place_from_ap([{"type": "VirtualLocation", "url": "https://m.example"}]) is None
    assert place_from_ap(
        {"type": "Place", "name": "A", "latitude": "30.5", "longitude": "120"}
    ) == PlaceData(name="A", latitude=30.5, longitude=120.0)


# ---------------------------------------------------------------------------------------------
# Listings


def test_listing_round_trip() -> None:
    listing = make_listing()
    doc = listing_to_ap(listing, followers=FOLLOWERS, tag_href=tag_href)
    assert listing_from_ap(doc) == listing


def test_listing_round_trip_with_place_area() -> None:
    listing = make_listing(area=LIBRARY, price=None, price_mode="swap", expires=None, images=[])
    doc = listing_to_ap(listing, followers=FOLLOWERS, tag_href=tag_href)
    assert doc["location"]["id"] == LIBRARY.id
    assert listing_from_ap(doc) == listing


def test_listing_note_reads_well_on_mastodon() -> None:
    doc = listing_to_ap(make_listing(), followers=FOLLOWERS, tag_href=tag_href)
    assert_context_ok(doc)
    assert doc["type"] == "Note"
    # Neither summary nor name: each becomes a content warning somewhere (GoToSocial: name).
    assert "summary" not in doc and "name" not in doc and "nameMap" not in doc
    content = doc["content"]
    assert content.startswith("<p><strong>儿童自行车 16 寸</strong></p>")
    assert "<p>¥120 · 九成新 · 银湖花园 · 截至12月31日</p>" in content
    assert "孩子长高了" in content
    assert f'<p><a href="{BASE}/listings/7">{BASE}/listings/7</a></p>' in content
    for tag in ("二手", "闲置", "自行车"):
        assert (
            f'<a href="{tag_href(tag)}" class="mention hashtag" rel="tag">#<span>{tag}</span></a>'
        ) in content
        assert {"type": "Hashtag", "name": f"#{tag}", "href": tag_href(tag)} in doc["tag"]
    assert doc["headline"] == "儿童自行车 16 寸"
    assert doc["attachment"] == [
        {
            "type": "Image",
            "mediaType": "image/jpeg",
            "url": f"{BASE}/media/bike.jpg",
            "name": "蓝色童车",
        }
    ]
    assert doc["to"] == [PUBLIC] and doc["cc"] == [FOLLOWERS]
    assert doc["contentMap"] == {"zh-CN": content}


def test_listing_fep_0837_fields() -> None:
    doc = listing_to_ap(make_listing(), followers=FOLLOWERS, tag_href=tag_href)
    assert doc["purpose"] == "offer"
    assert doc["publishes"] == {
        "type": "Intent",
        "id": f"{BASE}/listings/7#primary",
        "action": "transfer",
        "resourceQuantity": {"hasUnit": "one", "hasNumericalValue": "1"},
    }
    assert doc["reciprocal"] == {
        "type": "Intent",
        "id": f"{BASE}/listings/7#reciprocal",
        "action": "transfer",
        "resourceConformsTo": "https://www.wikidata.org/wiki/Q39099",
        "resourceQuantity": {"hasUnit": "one", "hasNumericalValue": "120"},
    }
    assert (doc["listingKind"], doc["priceMode"], doc["listingStatus"]) == (
        "goods",
        "amount",
        "available",
    )
    assert doc["condition"] == "九成新"
    assert doc["endTime"] == "2025-12-31T15:59:00Z"
    assert doc["location"] == {"type": "Place", "name": "银湖花园"}


@pytest.mark.parametrize(
    ("changes", "terms", "tags"),
    [
        (
            {"price": None, "price_mode": "free", "condition": None, "expires": None},
            "免费赠送 · 银湖花园",
            ["二手", "闲置"],
        ),
        (
            {"price": None, "price_mode": "swap", "expires": None},
            "可交换 · 九成新 · 银湖花园",
            ["二手", "闲置"],
        ),
        (
            {
                "price": None,
                "price_mode": "negotiable",
                "expires": None,
                "condition": None,
                "area": None,
            },
            "价格面议",
            ["二手", "闲置"],
        ),
        (
            {"purpose": "request", "expires": None, "condition": None},
            "预算 ¥120 · 银湖花园",
            ["二手", "求购"],
        ),
        (
            {
                "kind": "skill",
                "price": None,
                "price_mode": "free",
                "condition": None,
                "expires": None,
            },
            "免费 · 银湖花园",
            ["技能"],
        ),
        (
            {
                "kind": "service",
                "price": PriceData(Decimal("50.00"), "CNY"),
                "condition": None,
                "expires": None,
            },
            "¥50 · 银湖花园",
            ["服务"],
        ),
        (
            {
                "kind": "help",
                "purpose": "request",
                "price": None,
                "price_mode": "free",
                "condition": None,
                "expires": None,
            },
            "免费 · 银湖花园",
            ["求助", "互助"],
        ),
    ],
)
def test_listing_terms_and_hashtags(changes: dict[str, Any], terms: str, tags: list[str]) -> None:
    listing = make_listing(tags=[], **changes)
    doc = listing_to_ap(listing, followers=FOLLOWERS, tag_href=tag_href)
    assert f"<p>{terms}</p>" in doc["content"]
    assert [t["name"] for t in doc["tag"]] == [f"#{t}" for t in tags]
    assert ("reciprocal" in doc) == (listing.price_mode == "amount")
    assert doc["publishes"]["action"] == (
        "transfer" if listing.kind == "goods" else "deliverService"
    )
    assert listing_from_ap(doc) == listing
    assert_context_ok(doc)


@pytest.mark.parametrize(
    ("status", "label"), [("reserved", "【已预订】"), ("closed", "【已结束】")]
)
def test_listing_status_in_content(status: str, label: str) -> None:
    listing = make_listing(status=status)
    doc = listing_to_ap(listing, followers=FOLLOWERS, tag_href=tag_href)
    assert doc["content"].startswith(f"<p><strong>{label}儿童自行车 16 寸</strong></p>")
    assert doc["headline"] == "儿童自行车 16 寸"
    assert listing_from_ap(doc) == listing


def test_listing_english_and_escaping() -> None:
    listing = make_listing(
        language="en",
        title='Bike <16"> & pump',
        condition="like new",
        area="Yinhu Garden",
        status="reserved",
        expires=None,
        price=PriceData(Decimal("12.50"), "USD"),
    )
    doc = listing_to_ap(listing, followers=FOLLOWERS, tag_href=tag_href)
    assert "<strong>[Reserved] Bike &lt;16&quot;&gt; &amp; pump</strong>" in doc["content"]
    assert "<p>$12.5 · like new · Yinhu Garden</p>" in doc["content"]
    assert doc["reciprocal"]["resourceConformsTo"] == "https://www.wikidata.org/wiki/Q4917"
    assert doc["reciprocal"]["resourceQuantity"]["hasNumericalValue"] == "12.50"
    assert listing_from_ap(doc) == listing


def test_listing_without_tag_href_renders_plain_hashtags() -> None:
    doc = listing_to_ap(make_listing(), followers=FOLLOWERS, tag_href=None)
    assert "#二手 #闲置 #自行车" in doc["content"]
    assert all("href" not in t for t in doc["tag"])


def test_plain_note_is_not_a_listing() -> None:
    note = {
        "id": "https://m.example/n/1",
        "type": "Note",
        "content": "<p>hi</p>",
        "attributedTo": "https://m.example/u/a",
    }
    assert listing_from_ap(note) is None


def test_fep_0837_proposal_from_elsewhere() -> None:
    proposal = {
        "@context": ["https://www.w3.org/ns/activitystreams"],
        "type": "Proposal",
        "id": "https://market.example/proposals/dd",
        "purpose": "offer",
        "attributedTo": "https://market.example/users/alice",
        "name": "Offering used bike",
        "content": "Blue one-speed bike, 15 years old, some rust",
        "location": {"type": "Place", "longitude": -71.0, "latitude": 25.0},
        "publishes": {
            "type": "Intent",
            "id": "https://market.example/proposals/dd#primary",
            "action": "transfer",
            "resourceQuantity": {"hasUnit": "one", "hasNumericalValue": "1"},
        },
        "reciprocal": {
            "type": "Intent",
            "id": "https://market.example/proposals/dd#reciprocal",
            "action": "transfer",
            "resourceConformsTo": "https://www.wikidata.org/wiki/Q4917",
            "resourceQuantity": {"hasUnit": "one", "hasNumericalValue": "30"},
        },
        "to": PUBLIC,
    }
    listing = listing_from_ap(proposal)
    assert listing is not None
    assert (listing.kind, listing.purpose, listing.price_mode) == ("goods", "offer", "amount")
    assert listing.price == PriceData(Decimal(30), "USD")
    assert listing.content_html == "Blue one-speed bike, 15 years old, some rust"
    assert isinstance(listing.area, PlaceData) and listing.area.latitude == 25.0
    assert listing.status == "available" and listing.url == proposal["id"]


def test_listing_bad_input() -> None:
    doc = listing_to_ap(make_listing(), followers=FOLLOWERS, tag_href=tag_href)
    del doc["headline"]
    with pytest.raises(ContentParseError, match="Listing .* has no name"):
        listing_from_ap(doc)
    doc = listing_to_ap(make_listing(), followers=FOLLOWERS, tag_href=tag_href)
    doc["expires"] = doc.pop("endTime")
    doc["expires"] = "soon"
    with pytest.raises(ContentParseError, match="not an ISO 8601"):
        listing_from_ap(doc)


# ---------------------------------------------------------------------------------------------
# Venues


def test_venue_place_has_schema_org_terms() -> None:
    doc = venue_to_ap(make_venue())
    assert_context_ok(doc)
    assert doc["type"] == "Place" and doc["id"] == f"{BASE}/venues/hall"
    assert doc["name"] == "银湖花园活动室"
    assert doc["address"]["type"] == "PostalAddress"
    assert (doc["latitude"], doc["longitude"]) == (30.05, 119.95)
    assert doc["maximumAttendeeCapacity"] == 40
    assert doc["amenityFeature"] == [
        {"type": "LocationFeatureSpecification", "name": "投影仪", "value": True},
        {"type": "LocationFeatureSpecification", "name": "厨房", "value": True},
    ]
    assert doc["openingHoursSpecification"] == [
        {
            "type": "OpeningHoursSpecification",
            "dayOfWeek": ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday"],
            "opens": "09:00",
            "closes": "21:00",
        },
        {
            "type": "OpeningHoursSpecification",
            "dayOfWeek": "Saturday",
            "opens": "10:00",
            "closes": "18:00",
        },
    ]
    assert doc["isAccessibleForFree"] is True
    assert doc["publicAccess"] is True
    assert doc["containedInPlace"] == {"type": "Place", "name": "银湖花园"}
    assert doc["attributedTo"] == GROUP
    assert doc["image"][0]["mediaType"] == "image/webp"
    assert doc["bookable"] is True and doc["contact"] == "物业前台 0571-1234567"
    # Name, where, hours, size, equipment, price, how to book and the link, on one line.
    assert doc["summary"] == VENUE_LINE


def test_venue_round_trip() -> None:
    v = make_venue()
    assert venue_from_ap(venue_to_ap(v)) == v


def test_venue_round_trip_priced_text_hours_part_of_url() -> None:
    v = make_venue(
        free=False,
        price=PriceData(Decimal(80), "CNY"),
        opening_hours="Mo-Fr 09:00-21:00",
        part_of=f"{BASE}/places/compound",
        address="银湖花园 3 幢",
        amenities=["wifi", "accessible", "my own thing"],
        language="en",
        bookable=False,
        contact=None,
    )
    doc = venue_to_ap(v)
    assert doc["price"] == "80" and doc["priceCurrency"] == "CNY"
    assert doc["openingHours"] == "Mo-Fr 09:00-21:00"
    assert doc["containedInPlace"] == f"{BASE}/places/compound"
    assert [f["name"] for f in doc["amenityFeature"]] == [
        "Wi-Fi",
        "Wheelchair accessible",
        "my own thing",
    ]
    assert venue_from_ap(doc) == v
    assert_context_ok(doc)


def test_venue_announcement_page() -> None:
    v = make_venue(tags=["共享空间"])
    page = venue_announcement_page(
        v, page_id=f"{BASE}/venues/hall/announce", followers=FOLLOWERS, tag_href=tag_href
    )
    assert_context_ok(page)
    assert page["type"] == "Page"
    assert page["name"] == "银湖花园活动室"
    assert page["summary"] == page["location"]["summary"] == VENUE_LINE
    assert page["url"] == v.url
    assert page["to"] == [PUBLIC] and page["cc"] == [FOLLOWERS]
    place = page["location"]
    assert place["type"] == "Place" and place["id"] == v.id
    assert "@context" not in place
    assert page["attachment"][0]["mediaType"] == "image/webp"
    assert [t["name"] for t in page["tag"]] == ["#场地", "#共享空间"]
    # A peer can take the venue from the Page alone.
    assert venue_from_ap(page) == v


def test_venue_bad_input() -> None:
    doc = venue_to_ap(make_venue())
    del doc["attributedTo"]
    with pytest.raises(ContentParseError, match="no attributedTo"):
        venue_from_ap(doc)


def test_amenities_have_both_labels() -> None:
    for key in (
        "projector",
        "kitchen",
        "wifi",
        "accessible",
        "parking",
        "toilet",
        "air_conditioning",
        "sound_system",
        "whiteboard",
        "outdoor",
        "kids_friendly",
    ):
        assert set(AMENITIES[key]) == {"zh-CN", "en"}
        assert re.search(r"[\u4e00-\u9fff]", AMENITIES[key]["zh-CN"])


@pytest.mark.parametrize(("language", "shown"), [("zh", "几乎全新"), ("en", "Like new")])
def test_a_listings_condition_code_is_named_in_its_text(language: str, shown: str) -> None:
    """Mastodon readers and search see "几乎全新", not the code like_new (which still travels as
    ``condition``)."""
    listing = make_listing(tags=[], condition="like_new", language=language)
    doc = listing_to_ap(listing, followers=FOLLOWERS, tag_href=tag_href)
    assert shown in doc["content"] and "like_new" not in doc["content"]
    assert doc["condition"] == "like_new"
