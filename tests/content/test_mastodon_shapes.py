"""What a follower receives for each kind, checked against what Mastodon needs to show it
(mastodon-interop.md G4–G7): Event name + summary + url + image; listing Note content and
hashtags; venue Page whose location is a fetchable Place."""

from __future__ import annotations

import html
import re
from typing import Any

from actors.publishing.publishing import publish
from fedi import vocab
from tests.content.helpers import AP, Pair, event_body, image_bytes, listing_body, venue_body

WELL_KNOWN_CONTEXTS = {vocab.AS_CONTEXT, vocab.SEC_CONTEXT}
# The HTML elements Mastodon's strict sanitizer config keeps in remote content.
KEPT_TAGS = {"p", "br", "span", "a", "del", "s", "pre", "blockquote", "code", "b", "strong", "u", "i",
             "em", "ul", "ol", "li", "ruby"}


def assert_context(doc: dict[str, Any]) -> None:
    context = vocab.as_list(doc.get("@context"))
    assert vocab.AS_CONTEXT in context
    for entry in context:
        assert isinstance(entry, dict) or entry in WELL_KNOWN_CONTEXTS, f"custom context URL {entry!r}"


def assert_public(doc: dict[str, Any], club: str) -> None:
    assert doc["to"] == [vocab.PUBLIC]
    assert doc["cc"] == [f"{club}/followers"]


def text_of(fragment: str) -> str:
    return html.unescape(re.sub(r"<[^>]+>", "", fragment))


async def _received(pair: Pair, type_: str = "Create") -> list[dict[str, Any]]:
    await pair.fed.drain()
    return [r.activity for r in pair.remote.of_type(type_)]


async def test_event_create_has_what_mastodon_shows(pair: Pair) -> None:
    cover = await pair.upload(image_bytes(), "")
    published = await publish(pair.a.inst, "club", event_body(image={"media": cover, "alt": "A bike on a repair stand"}))
    [create] = await _received(pair)
    assert_context(create)
    assert_public(create, pair.club)
    assert create["actor"] == pair.club
    event = create["object"]
    assert event["type"] == "Event" and event["id"] == published.uri
    assert_public(event, pair.club)
    assert event["attributedTo"] == pair.club
    assert event["name"] == "Bike repair workshop"
    assert event["url"] == published.uri
    summary = event["summary"]
    assert "\n" not in summary and "<" not in summary
    assert "4 May" in summary and "14:00" in summary and "17:00" in summary and "银湖图书馆" in summary
    images = [att for att in event["attachment"] if att["type"] in ("Image", "Document")]
    assert len(images) == 1
    [image] = images
    assert image["mediaType"] == "image/jpeg"
    assert image["name"] == "A bike on a repair stand"
    assert image["url"].startswith("http://a.test/media/")
    got = await pair.fed.client.get(image["url"])
    assert got.status_code == 200 and got.headers["content-type"] == "image/jpeg"
    # FEP-8a8e fields a Mobilizon or Gancio follower reads.
    assert event["startTime"] == "2030-05-04T14:00:00+08:00" and event["timezone"] == "Asia/Shanghai"
    assert event["location"]["latitude"] == 30.2512 and event["category"] == "WORKSHOPS_SKILL_SHARING"
    assert {t["name"] for t in event["tag"] if t["type"] == "Hashtag"} >= {"#bikes", "#repair"}

    served = (await pair.fed.client.get(published.uri, headers=AP)).json()
    assert_context(served)
    assert served["summary"] == summary and served["name"] == event["name"]


async def test_event_summary_in_chinese_names_the_day_time_and_place(pair: Pair) -> None:
    await publish(pair.a.inst, "club", event_body(language="zh", title="修车工作坊"))
    [create] = await _received(pair)
    summary = create["object"]["summary"]
    assert "5月4日" in summary and "14:00" in summary and "银湖图书馆" in summary, summary


async def test_listing_note_reads_well_with_hashtags(pair: Pair) -> None:
    photo = await pair.upload(image_bytes("PNG", (40, 30)))
    published = await publish(pair.a.inst, "club", listing_body(
        content="Barely used. #bikes", images=[{"media": photo, "alt": "The bicycle"}]))
    [create] = await _received(pair)
    assert_context(create)
    note = create["object"]
    assert note["type"] == "Note" and note["id"] == published.uri and note["url"] == published.uri
    assert_public(note, pair.club)
    assert "summary" not in note  # a Note's summary is a content warning on Mastodon
    content = note["content"]
    text = text_of(content)
    for needle in ("Child's bicycle", "¥120", "银湖花园", "Reserved", "Barely used"):
        assert needle in text, (needle, text)
    assert set(re.findall(r"<([a-z0-9]+)", content)) <= KEPT_TAGS
    hashtags = [t for t in note["tag"] if t["type"] == "Hashtag"]
    names = {t["name"] for t in hashtags}
    assert {"#kids", "#bikes"} <= names, names
    for tag in hashtags:
        assert tag["href"].startswith("http://a.test/tags/")
        assert f'href="{html.escape(tag["href"])}"' in content, f"{tag['name']} is not linked in content"
    assert re.search(r'<a [^>]*class="mention hashtag"[^>]*>#<span>kids</span></a>', content)
    [image] = note["attachment"]
    assert (image["type"], image["mediaType"], image["name"]) == ("Image", "image/png", "The bicycle")
    # FEP-0837 fields for peers that understand listings.
    assert note["purpose"] == "offer" and note["reciprocal"]["resourceQuantity"]["hasNumericalValue"] == "120.00"


async def test_listing_available_has_no_status_label(pair: Pair) -> None:
    await publish(pair.a.inst, "club", listing_body(status="available", price="free"))
    [create] = await _received(pair)
    text = text_of(create["object"]["content"])
    assert "Reserved" not in text and "Free" in text


async def test_venue_is_announced_as_a_page_and_fetched_as_a_place(pair: Pair) -> None:
    published = await publish(pair.a.inst, "club", venue_body())
    [create] = await _received(pair)
    assert_context(create)
    page = create["object"]
    assert page["type"] == "Page" and page["id"] == f"{published.uri}/announce"
    assert_public(page, pair.club)
    assert page["name"] == "Community hall" and page["url"] == published.uri
    assert "40" in page["summary"] and "\n" not in page["summary"]
    place = page["location"]
    assert place["type"] == "Place" and place["id"] == published.uri

    resp = await pair.fed.client.get(published.uri, headers=AP)
    assert resp.status_code == 200 and resp.headers["content-type"].startswith("application/activity+json")
    doc = resp.json()
    assert_context(doc)
    assert doc["type"] == "Place" and doc["id"] == published.uri
    assert doc["maximumAttendeeCapacity"] == 40
    assert {f["name"] for f in doc["amenityFeature"]} == {"Projector", "Kitchen", "Wi-Fi"}
    assert all(f["type"] == "LocationFeatureSpecification" and f["value"] is True for f in doc["amenityFeature"])
    [hours] = doc["openingHoursSpecification"]
    assert (hours["dayOfWeek"], hours["opens"], hours["closes"]) == (["Monday", "Tuesday"], "09:00", "21:00")
    assert doc["containedInPlace"]["name"] == "银湖花园"
    assert (doc["latitude"], doc["longitude"]) == (30.2601, 120.1102)
    assert doc["summary"]

    announce = await pair.fed.client.get(f"{published.uri}/announce", headers=AP)
    assert announce.status_code == 200
    served_page = announce.json()
    assert_context(served_page)
    assert served_page["type"] == "Page" and served_page["id"] == page["id"]
    assert served_page["location"]["id"] == published.uri
    assert served_page["cc"] == [f"{pair.club}/followers"]


async def test_venue_opening_hours_as_text(pair: Pair) -> None:
    published = await publish(pair.a.inst, "club", venue_body(opening_hours="Mo-Fr 09:00-21:00"))
    doc = (await pair.fed.client.get(published.uri, headers=AP)).json()
    assert doc["openingHours"] == "Mo-Fr 09:00-21:00"


async def test_four_images_are_four_media_attachments_with_alt_text(pair: Pair) -> None:
    # Interop G6: up to 4 attachments, each with type, mediaType, url and its alt text as name.
    photos = [await pair.upload(image_bytes("PNG", (40 + i, 30))) for i in range(4)]
    await publish(pair.a.inst, "club", listing_body(
        images=[{"media": m, "alt": f"照片 {i}"} for i, m in enumerate(photos)]))
    [create] = await _received(pair)
    attachments = create["object"]["attachment"]
    assert [(a["type"], a["mediaType"], a["name"]) for a in attachments] == [
        ("Image", "image/png", f"照片 {i}") for i in range(4)]
    assert all(a["url"].startswith("http://a.test/") for a in attachments)
    assert len({a["url"] for a in attachments}) == 4
