"""What a follower on each fediverse program sees of our events, listings and venues without
opening a content warning: what, when (local time), where (place and address), price or
capacity, and a link.

Each reader's rule is the one written in docs/federation.md ("Readable everywhere"), read from
its public source; here it is applied to the exact JSON we send:

* Mastodon: Note/Question are native (``summary`` = content warning, ``content`` shown, ``name``
  ignored); Article, Page, Image, Audio, Video and Event are converted to ``<h2>name</h2>`` +
  ``summary`` + a link to ``url`` (or ``id``), with no warning and ``content`` ignored.
* GoToSocial: the content warning is ``summary``, or ``name`` when there is no summary;
  ``content`` is shown behind it.
* Misskey: the content warning is ``summary`` as it stands (not parsed as HTML); ``content``
  is shown behind it; ``name`` is not shown.
* Pleroma and Akkoma: the content warning (subject) is ``summary``; the body is ``content``,
  preceded by ``name`` as a link to ``url`` when there is a name.

With a content warning, a reader sees only its line until they open it; without one, the body.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest

from fedi.content import (
    EventData,
    ListingData,
    OpeningHours,
    PlaceData,
    PostalAddressData,
    PriceData,
    VenueData,
    event_from_ap,
    event_to_ap,
    listing_from_ap,
    listing_to_ap,
    venue_announcement_page,
    venue_from_ap,
    venue_to_ap,
)

BASE = "https://yinhu.example"
GROUP = f"{BASE}/c/lakeside"
FOLLOWERS = f"{GROUP}/followers"
SH = datetime(2030, 5, 4, 6, 0, tzinfo=UTC)  # 14:00 in Shanghai


def tag_href(tag: str) -> str:
    return f"{BASE}/tags/{tag}"


@dataclass(frozen=True)
class Shown:
    warning: str  # the content-warning line ("" for none)
    body: str  # what opening it (or nothing, without a warning) shows

    @property
    def at_a_glance(self) -> str:
        return self.warning or self.body


def text(value: Any) -> str:
    if not isinstance(value, str):
        return ""
    value = re.sub(r"<(br|/p|/h2)\s*/?>", "\n", value)
    return html.unescape(re.sub(r"<[^>]+>", "", value)).strip()


CONVERTED_TYPES = {"Article", "Page", "Image", "Audio", "Video", "Event"}


def mastodon(obj: dict[str, Any]) -> Shown:
    if obj["type"] in CONVERTED_TYPES:
        link = obj.get("url") or obj["id"]
        return Shown("", text(f"<h2>{obj.get('name', '')}</h2>{obj.get('summary', '')}<p>{link}</p>"))
    assert obj["type"] in ("Note", "Question"), f"Mastodon drops a {obj['type']}"
    return Shown(text(obj.get("summary")), text(obj.get("content")))


def gotosocial(obj: dict[str, Any]) -> Shown:
    assert obj["type"] in {"Article", "Document", "Image", "Video", "Note", "Page", "Event", "Place",
                           "Profile", "Question", "Album"}
    return Shown(text(obj.get("summary")) or text(obj.get("name")), text(obj.get("content")))


def misskey(obj: dict[str, Any]) -> Shown:
    summary = obj.get("summary")
    return Shown(summary if isinstance(summary, str) else "", text(obj.get("content")))


def pleroma(obj: dict[str, Any]) -> Shown:  # and Akkoma
    body = obj.get("content", "")
    if obj.get("name"):
        body = f'<p><a href="{obj.get("url") or obj["id"]}">{obj["name"]}</a></p>{body}'
    return Shown(text(obj.get("summary")), text(body))


READERS: dict[str, Callable[[dict[str, Any]], Shown]] = {
    "mastodon": mastodon, "gotosocial": gotosocial, "misskey": misskey, "pleroma/akkoma": pleroma,
}


def event(**over: Any) -> EventData:
    e = EventData(
        id=f"{BASE}/o/ev1", url=f"{BASE}/o/ev1", actor_id=GROUP, name="读书会：三体",
        content_html="<p>这次一起读《三体》第一部。</p>", summary=None, start=SH,
        end=SH.replace(hour=8), timezone="Asia/Shanghai",
        place=PlaceData(name="银湖图书馆", address=PostalAddressData(street="银湖路 1 号", locality="银湖街道")),
        capacity=20, language="zh-CN", published=datetime(2030, 4, 1, tzinfo=UTC),
    )
    return EventData(**{**e.__dict__, **over})


def listing(**over: Any) -> ListingData:
    item = ListingData(
        id=f"{BASE}/o/l1", url=f"{BASE}/o/l1", actor_id=GROUP, kind="goods", purpose="offer",
        title="儿童自行车", content_html="<p>16 寸，九成新。</p>", price=PriceData(Decimal(120)),
        price_mode="amount", area=PlaceData(name="银湖花园", address="银湖路 8 号"), language="zh-CN",
    )
    return ListingData(**{**item.__dict__, **over})


def venue(**over: Any) -> VenueData:
    v = VenueData(
        id=f"{BASE}/o/v1", url=f"{BASE}/o/v1", actor_id=GROUP, name="多功能活动室",
        content_html="<p>二楼，适合讲座。</p>", address="银湖路 8 号", capacity=40,
        amenities=["projector"], opening_hours=[OpeningHours(["Saturday"], "10:00", "18:00")],
        bookable=True, contact="物业前台 0755-1234", free=True, language="zh-CN",
    )
    return VenueData(**{**v.__dict__, **over})


def sent(kind: str) -> tuple[dict[str, Any], dict[str, str]]:
    """The object a follower receives, and the facts that must show at a glance."""
    if kind == "event":
        return event_to_ap(event(), followers=FOLLOWERS, tag_href=tag_href), {
            "what": "读书会：三体", "when": "5月4日（周六）14:00–16:00", "place": "银湖图书馆",
            "address": "银湖路 1 号", "capacity": "20", "link": f"{BASE}/o/ev1"}
    if kind == "listing":
        return listing_to_ap(listing(), followers=FOLLOWERS, tag_href=tag_href), {
            "what": "儿童自行车", "price": "¥120", "place": "银湖花园", "address": "银湖路 8 号",
            "link": f"{BASE}/o/l1"}
    page = venue_announcement_page(venue(), page_id=f"{BASE}/o/v1/announce", followers=FOLLOWERS,
                                   tag_href=tag_href)
    return page, {"what": "多功能活动室", "address": "银湖路 8 号", "hours": "周六 10:00–18:00",
                  "capacity": "40", "price": "免费", "contact": "物业前台 0755-1234", "link": f"{BASE}/o/v1"}


@pytest.mark.parametrize("reader", sorted(READERS))
@pytest.mark.parametrize("kind", ["event", "listing", "venue"])
def test_the_facts_show_without_opening_a_warning(kind: str, reader: str) -> None:
    obj, facts = sent(kind)
    glance = READERS[reader](obj).at_a_glance
    missing = {k: v for k, v in facts.items() if v not in glance}
    assert not missing, f"{reader} shows {glance!r} of the {kind}; missing {missing}"


def test_a_fetched_venue_place_reads_the_same_on_gotosocial() -> None:
    """GoToSocial also takes a Place as a status (when someone looks its URL up)."""
    shown = gotosocial(venue_to_ap(venue()))
    assert shown.warning.startswith("多功能活动室 · 银湖路 8 号 · 周六 10:00–18:00 · 可容纳 40 人")


def test_no_markup_reaches_a_warning_line() -> None:
    """Misskey shows ``summary`` unparsed, so our summaries are text (escaped, no tags)."""
    for kind in ("event", "venue"):
        obj, _ = sent(kind)
        assert "<" not in obj["summary"] and "&lt;" not in obj["summary"], kind


HOSTILE = '<b>Bold</b> & <script>alert("x")</script>'


def test_our_own_summary_and_content_escape_text() -> None:
    """Titles, places, addresses, contacts and an organiser's summary are text; in the HTML
    of ``summary``/``content`` they arrive escaped, and a Yinhu peer reads them back exact."""
    e = event(name=HOSTILE, summary=HOSTILE, place=PlaceData(name=HOSTILE, address=HOSTILE))
    doc = event_to_ap(e, followers=FOLLOWERS)
    assert "<b>" not in doc["summary"] and "<script>" not in doc["summary"]
    assert "&lt;b&gt;Bold&lt;/b&gt; &amp; &lt;script&gt;" in doc["summary"]
    assert doc["name"] == HOSTILE  # AS2 name is plain text, never HTML
    back = event_from_ap(doc)
    assert back == e

    item = listing(title=HOSTILE, condition=HOSTILE, area=HOSTILE)
    ldoc = listing_to_ap(item, followers=FOLLOWERS, tag_href=tag_href)
    assert "<b>" not in ldoc["content"] and "<script>" not in ldoc["content"]
    assert listing_from_ap(ldoc) == item

    v = venue(name=HOSTILE, address=HOSTILE, contact=HOSTILE, part_of=HOSTILE, opening_hours=HOSTILE)
    for vdoc in (venue_to_ap(v), venue_announcement_page(v, page_id=f"{BASE}/o/v1/announce", followers=FOLLOWERS)):
        assert "<b>" not in vdoc["summary"] and "<script>" not in vdoc["summary"]
        assert "&lt;script&gt;" in vdoc["summary"]
    assert venue_from_ap(venue_to_ap(v)).name == HOSTILE
