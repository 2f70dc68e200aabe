"""A listing's contact (phone, WeChat ID, e-mail): validated at every door with problem codes,
shown on the listing page, sent as ``contact`` and in the text Mastodon shows, read back by
another Yinhu, and dropped when a peer sends something that is not one line of text."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from actors.publishing.publishing import publish, update_object
from actors.publishing.validation import ContentError, validate
from fedi import vocab
from fedi.content import listing_from_ap, venue_from_ap
from tests.content.helpers import AP, Pair, listing_body, object_row

NOW = datetime(2030, 1, 1, tzinfo=UTC)
WECHAT = "微信 yinhu_li · 138 0000 0000"


@pytest.mark.parametrize(("contact", "code"), [
    ("x" * 101, "too_long"), ("微信 abc\n电话 123", "one_line"), ("a\u202eb", "one_line"), ("tab\there", "one_line"),
    (13800000000, "text"),
])
def test_a_contact_that_is_not_one_short_line_is_refused_with_a_problem_code(contact: Any, code: str) -> None:
    with pytest.raises(ContentError) as caught:
        validate(listing_body(contact=contact), NOW)
    assert getattr(caught.value.errors["contact"], "code", None) == code


def test_a_contact_is_kept_trimmed_and_may_be_left_out() -> None:
    assert validate(listing_body(contact=f"  {WECHAT} "), NOW)[1]["contact"] == WECHAT
    assert validate(listing_body(contact="x" * 100), NOW)[1]["contact"] == "x" * 100
    assert validate(listing_body(), NOW)[1]["contact"] is None
    assert validate(listing_body(contact=""), NOW)[1]["contact"] is None


async def test_contact_on_the_page_in_the_ap_object_and_read_back_by_another_yinhu(pair: Pair) -> None:
    a, b = pair.a, pair.b
    zh = await publish(a.inst, "club", listing_body(title="儿童自行车", language="zh", contact=WECHAT))
    en = await publish(a.inst, "club", listing_body(contact="li@example.org"))
    plain = await publish(a.inst, "club", listing_body(title="No contact"))
    await pair.fed.drain()

    doc = (await pair.fed.client.get(zh.uri, headers=AP)).json()
    assert doc["contact"] == WECHAT and f"<p>联系：{WECHAT}</p>" in doc["content"]
    assert "yinhu:contact" in str(doc["@context"])  # the term is defined, so JSON-LD readers keep it
    assert "<p>Contact: li@example.org</p>" in (await pair.fed.client.get(en.uri, headers=AP)).json()["content"]
    assert "contact" not in (await pair.fed.client.get(plain.uri, headers=AP)).json()

    # What a Mastodon follower got: the contact in the text it shows.
    [create] = [r.activity for r in pair.remote.received
                if r.activity["type"] == "Create" and r.activity["object"]["id"] == zh.uri]
    assert WECHAT in create["object"]["content"] and create["object"]["contact"] == WECHAT

    page = (await pair.fed.client.get(zh.uri)).text
    assert "联系方式" in page and WECHAT in page
    # Another Yinhu reads it back from the object and shows it on its own item page.
    row = await object_row(b, zh.uri)
    assert row is not None and row.kind == "listing"
    item = (await pair.fed.client.get(b.url(f"/items/{row.id}"))).text
    assert WECHAT in item and "联系方式" in item
    assert "li@example.org" in (await pair.fed.client.get(b.url(f"/items/{(await object_row(b, en.uri)).id}?lang=en"))).text

    # An update that drops the contact drops it everywhere.
    await update_object(a.inst, zh.uri, listing_body(title="儿童自行车", language="zh"))
    await pair.fed.drain()
    assert "contact" not in (await pair.fed.client.get(zh.uri, headers=AP)).json()
    assert WECHAT not in (await pair.fed.client.get(b.url(f"/items/{row.id}"))).text


def _remote_listing(contact: Any) -> dict[str, Any]:
    return {"id": "https://x.test/o/1", "type": "Note", "attributedTo": "https://x.test/c/club", "headline": "Bike",
            "listingKind": "goods", "purpose": "offer", "content": "<p>Bike</p>", "to": [vocab.PUBLIC],
            "contact": contact}


@pytest.mark.parametrize("contact", ["line\nbreak", "x" * 101, "\u202eevil", [1], {"a": 1}, "   ", ["a\rb"]])
def test_a_peers_contact_that_is_not_one_short_line_is_dropped(contact: Any) -> None:
    listing = listing_from_ap(_remote_listing(contact))
    assert listing is not None and listing.contact is None


def test_a_peers_contact_is_read_as_plain_text() -> None:
    listing = listing_from_ap(_remote_listing(" <b>微信</b> abc "))
    assert listing is not None and listing.contact == "<b>微信</b> abc"  # shown escaped, never as HTML
    listing = listing_from_ap(_remote_listing(["138 0000 0000"]))  # a one-value list, as JSON-LD allows
    assert listing is not None and listing.contact == "138 0000 0000"


@pytest.mark.parametrize(("contact", "kept"), [("电话 0755-1234 5678", "电话 0755-1234 5678"), ("x" * 300, "x" * 300),
                                               ("x" * 301, None), ("预约\n请打电话", None), ("\u202eevil", None)])
def test_a_peers_venue_contact_is_one_line_of_at_most_300_characters(contact: str, kept: str | None) -> None:
    venue = venue_from_ap({"id": "https://x.test/p/1", "type": "Place", "name": "活动室", "address": "银湖路 1 号",
                           "attributedTo": "https://x.test/c/park", "contact": contact})
    assert venue.contact == kept
