"""Hostile values from peers are dropped at parse time, not escaped later.

Every URL-bearing field the parsers of ``fedi/content/`` read is tried with a ``javascript:``
and a ``data:`` value (and a few tricks browsers accept); the parsed value must be gone, while
the same field with an https URL is kept, so each test proves it looks at that field.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import pytest

from fedi import content as wire

HOSTILE = [
    "javascript:alert(document.cookie)",
    "data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==",
]
TRICKS = [" javascript:alert(1)", "java\tscript:alert(1)", "JaVaScRiPt:alert(1)", "vbscript:msgbox(1)",
          "//evil.example/x", "/relative/path", "https://", "https:\\\\evil.example"]
GOOD = "https://ok.example/page"

EVENT: dict[str, Any] = {
    "id": "https://mobi.example/events/1", "type": "Event", "name": "Atelier",
    "attributedTo": "https://mobi.example/@group", "startTime": "2030-05-04T14:00:00+08:00",
    "content": "<p>Bring tools</p>",
    "location": {"type": "Place", "name": "Hall", "address": {"type": "PostalAddress", "streetAddress": "1 Road"}},
}
LISTING: dict[str, Any] = {
    "id": "https://a.example/o/l1", "type": "Note", "name": "Bike", "attributedTo": "https://a.example/c/m",
    "listingKind": "goods", "purpose": "offer", "content": "<p>Bike</p>",
}
VENUE: dict[str, Any] = {
    "id": "https://a.example/o/v1", "type": "Place", "name": "Hall", "attributedTo": "https://a.example/c/m",
    "content": "<p>A hall</p>",
}


def _set(doc: dict[str, Any], path: str, value: Any) -> dict[str, Any]:
    out = copy.deepcopy(doc)
    keys = path.split(".")
    node: Any = out
    for k in keys[:-1]:
        node = node[int(k)] if isinstance(node, list) else node[k]
    node[keys[-1]] = value
    return out


def _event(**extra: Any) -> dict[str, Any]:
    return {**copy.deepcopy(EVENT), **extra}


# field name → (document with {URL} where the value goes, how to read the parsed value back)
Case = tuple[Callable[[str], dict[str, Any]], Callable[[dict[str, Any]], Any]]
CASES: dict[str, Case] = {
    "event url": (lambda u: _event(url=u), lambda d: wire.event_from_ap(d).url),
    "event url Link href": (lambda u: _event(url=[{"type": "Link", "mediaType": "text/html", "href": u}]),
                            lambda d: wire.event_from_ap(d).url),
    "event location Place url": (lambda u: _set(EVENT, "location.url", u),
                                 lambda d: wire.event_from_ap(d).place.url),  # type: ignore[union-attr]
    "event location Place id": (lambda u: _set(EVENT, "location.id", u),
                                lambda d: wire.event_from_ap(d).place.id),  # type: ignore[union-attr]
    "event location[] VirtualLocation url": (
        lambda u: _event(location=[EVENT["location"], {"type": "VirtualLocation", "url": u}]),
        lambda d: wire.event_from_ap(d).online_url),
    "event Gancio location.address.url": (
        lambda u: _event(location={"type": "Place", "name": "online", "address": {"url": u}}),
        lambda d: wire.event_from_ap(d).online_url),
    "event Link attachment href": (
        lambda u: _event(attachment=[{"type": "Link", "name": "Website", "mediaType": "text/html", "href": u}]),
        lambda d: wire.event_from_ap(d).online_url),
    "event externalParticipationUrl": (lambda u: _event(externalParticipationUrl=u),
                                       lambda d: wire.event_from_ap(d).external_participation_url),
    "event banner attachment url": (
        lambda u: _event(attachment=[{"type": "Document", "mediaType": "image/jpeg", "url": u}]),
        lambda d: (wire.event_from_ap(d).image or wire.ImageData("", "")).url),
    "event image url": (lambda u: _event(image={"type": "Image", "url": u}),
                        lambda d: (wire.event_from_ap(d).image or wire.ImageData("", "")).url),
    "event image string": (lambda u: _event(image=u),
                           lambda d: (wire.event_from_ap(d).image or wire.ImageData("", "")).url),
    "event link in content": (lambda u: _event(content=f'<p><a href="{u}">tickets</a></p>'),
                              lambda d: _hrefs(wire.event_from_ap(d).content_html)),
    "listing url": (lambda u: {**LISTING, "url": u}, lambda d: _listing(d).url),
    "listing image attachment": (
        lambda u: {**LISTING, "attachment": [{"type": "Image", "mediaType": "image/png", "url": u}]},
        lambda d: [i.url for i in _listing(d).images]),
    "listing link in description": (lambda u: {**LISTING, "description": f'<a href="{u}">pay</a>'},
                                    lambda d: _hrefs(_listing(d).content_html)),
    "listing link in content": (lambda u: {**LISTING, "content": f'<p><a href="{u}">pay</a></p>'},
                                lambda d: _hrefs(_listing(d).content_html)),
    "venue url": (lambda u: {**VENUE, "url": u}, lambda d: wire.venue_from_ap(d).url),
    "venue image": (lambda u: {**VENUE, "image": [{"type": "Image", "url": u}]},
                    lambda d: [i.url for i in wire.venue_from_ap(d).images]),
    "venue Page attachment": (
        lambda u: {"id": "https://a.example/o/v1/announce", "type": "Page", "name": "Hall",
                   "attributedTo": "https://a.example/c/m", "location": VENUE,
                   "attachment": [{"type": "Image", "mediaType": "image/png", "url": u}]},
        lambda d: [i.url for i in wire.venue_from_ap(d).images]),
    "venue containedInPlace id": (lambda u: {**VENUE, "containedInPlace": {"type": "Place", "id": u}},
                                  lambda d: wire.venue_from_ap(d).part_of),
    "venue containedInPlace string": (lambda u: {**VENUE, "containedInPlace": u},
                                      lambda d: wire.venue_from_ap(d).part_of),
    "venue link in content": (lambda u: {**VENUE, "content": f'<a href="{u}">map</a>'},
                              lambda d: _hrefs(wire.venue_from_ap(d).content_html)),
    "note or actor url (object_url)": (lambda u: {"id": "https://a.example/n/1", "type": "Note", "url": u},
                                       lambda d: wire.object_url(d)),
}


def _listing(doc: dict[str, Any]) -> wire.ListingData:
    listing = wire.listing_from_ap(doc)
    assert listing is not None
    return listing


def _hrefs(html_text: str) -> list[str]:
    import re

    return re.findall(r'href="([^"]*)"', html_text)


def _contains(parsed: Any, url: str) -> bool:
    if isinstance(parsed, list):
        return any(url in str(p) for p in parsed)
    return parsed is not None and url in str(parsed)


@pytest.mark.parametrize("value", HOSTILE, ids=["javascript", "data"])
@pytest.mark.parametrize("field", sorted(CASES))
def test_hostile_url_is_dropped(field: str, value: str) -> None:
    make, read = CASES[field]
    assert _contains(read(make(GOOD)), GOOD), f"{field}: an https URL should be kept"
    parsed = read(make(value))
    assert not _contains(parsed, value.split(":", 1)[0] + ":"), f"{field} kept {parsed!r}"


@pytest.mark.parametrize("value", TRICKS)
def test_url_tricks_are_dropped(value: str) -> None:
    assert wire.safe_url(value) is None
    assert wire.event_from_ap(_event(url=value, externalParticipationUrl=value)).external_participation_url is None


def test_unsafe_url_falls_back_to_the_id_or_nothing() -> None:
    assert wire.event_from_ap(_event(url="javascript:x")).url == EVENT["id"]
    assert wire.event_from_ap(_event(id="javascript://mobi.example/%0Aalert(1)", url="data:x")).url == ""


def test_scripts_styles_and_handlers_are_removed_from_content() -> None:
    hostile = ('<p onclick="alert(1)" style="x">Hi<script>alert(2)</script><style>*{}</style>'
               '<img src=x onerror=alert(3)><iframe src="https://evil.example"></iframe>'
               '<a href="https://ok.example/" onmouseover="alert(4)">ok</a></p>')
    html = wire.event_from_ap(_event(content=hostile)).content_html
    assert "alert" not in html and "<img" not in html and "<iframe" not in html and "style" not in html
    assert '<a href="https://ok.example/"' in html and "Hi" in html
