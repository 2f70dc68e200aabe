"""Events, listings and venues on the wire: typed dataclasses in, ActivityStreams dicts out, and back.

Pure protocol code. Builders take already-validated data (the three authoring doors validate) and
return plain dicts; parsers take whatever a peer sent and return the same dataclasses, tolerant
of the shapes Mobilizon and Gancio use, raising :class:`ContentParseError` only when a field we
cannot do without is missing.

Wire choices (see ../shared/docs/anchors.md §4 and mastodon-interop.md G4–G9):

* **Event** is an AS ``Event`` with FEP-8a8e names (``timezone``, ``category``, ``joinMode``,
  ``eventStatus`` …) which are also Mobilizon's names, plus Mobilizon's ``status``/``ical:status``.
  ``summary`` is one line of text, "title · date and time · place (address) · capacity · link"
  in the event's own timezone (Chinese when the language is zh): Mastodon shows it under the
  ``name`` heading, GoToSocial, Misskey, Pleroma and Akkoma as the content-warning line, so
  every reader sees the facts without opening anything (docs/federation.md, "Readable
  everywhere"). ``startTime``/``endTime`` carry the event's local UTC offset (FEP-8a8e:
  offsets are not zones, hence ``timezone`` too).
* **Listing** is a ``Note`` (every reader shows a Note's ``content`` in full): ``content``
  repeats title, price, condition, area, status, a link and linked hashtags; the bare
  description travels in ``description`` (schema.org) so a Yinhu peer recovers it exactly.
  FEP-0837 ``purpose``, ``publishes`` and ``reciprocal`` carry the structured offer. A
  listing has neither ``summary`` nor ``name`` (each becomes a content warning somewhere:
  GoToSocial uses ``name`` when there is no summary); its title travels as ``headline``.
  Expiry is AS ``endTime`` (a core Object property every processor already knows; ``expires``
  would need a new term and nobody reads it).
* **Venue** is a fetchable ``Place`` with schema.org terms; Mastodon drops a bare Place, so
  followers are told through a ``Page`` whose ``location`` is the embedded Place; both carry
  the venue line (name, address, hours, capacity, price, how to book, link) as ``summary``.

What comes from a peer is parsed here once and hostile values are dropped, not escaped:
every URL passes :func:`safe_url` (http(s) only) and every HTML body :func:`clean_html`.
Text we put in ``summary``/``content`` is HTML-escaped.

Every non-ActivityStreams term emitted here is defined in the inline object of
:data:`fedi.vocab.CONTEXT`.
"""

from __future__ import annotations

import html
import mimetypes
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta, tzinfo
from decimal import Decimal, InvalidOperation
from typing import Any
from urllib.parse import quote, urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import nh3

from ..vocab import CONTEXT, PUBLIC, as_list, first_str, get_id, isoformat

__all__ = [
    "AMENITIES",
    "CATEGORIES",
    "DAYS_OF_WEEK",
    "DEFAULT_TIMEZONE",
    "EVENT_STATUSES",
    "JOIN_MODES",
    "LISTING_KINDS",
    "LISTING_PURPOSES",
    "LISTING_STATUSES",
    "PRICE_MODES",
    "ContentParseError",
    "EventData",
    "ImageData",
    "ListingData",
    "OpeningHours",
    "PlaceData",
    "PostalAddressData",
    "PriceData",
    "TagHref",
    "VenueData",
    "address_text",
    "automatic_hashtags",
    "clean_html",
    "currency_uri",
    "event_from_ap",
    "event_summary_line",
    "event_to_ap",
    "hashtags_from_ap",
    "listing_content_html",
    "listing_from_ap",
    "listing_hashtags",
    "listing_own_tags",
    "listing_to_ap",
    "object_url",
    "place_from_ap",
    "place_to_ap",
    "safe_url",
    "tag_path",
    "venue_announcement_page",
    "venue_from_ap",
    "venue_summary_line",
    "venue_to_ap",
    "zone_from_offset",
]

DEFAULT_TIMEZONE = "Asia/Shanghai"
FEP_8A8E = "https://w3id.org/fep/8a8e/"
SCHEMA_ORG = "https://schema.org/"

TagHref = Callable[[str], str]

# FEP-8a8e "recommended set of event categories" (fep-8a8e.md, Event Categories), plus HEALTH,
# which Mobilizon sends and the FEP list dropped, so Mobilizon events keep their category.
CATEGORIES: tuple[str, ...] = (
    "ARTS",
    "AUTO_BOAT_AIR",
    "BOOK_CLUBS",
    "BUSINESS",
    "CAUSES",
    "CLIMATE_ENVIRONMENT",
    "COMMUNITY",
    "COMEDY",
    "CRAFTS",
    "CREATIVE_JAM",
    "DIY_MAKER_SPACES",
    "FAMILY_EDUCATION",
    "FASHION_BEAUTY",
    "FESTIVALS",
    "FILM_MEDIA",
    "FOOD_DRINK",
    "GAMES",
    "HEALTH",
    "INCLUSIVE_SPACES",
    "LANGUAGE_CULTURE",
    "LEARNING",
    "LGBTQ",
    "MEETING",
    "MEDITATION_WELLBEING",
    "MOVEMENTS_POLITICS",
    "MUSIC",
    "NETWORKING",
    "OUTDOORS_ADVENTURE",
    "PARTY",
    "PERFORMING_VISUAL_ARTS",
    "PETS",
    "PHOTOGRAPHY",
    "SCIENCE_TECH",
    "SPIRITUALITY_RELIGION_BELIEFS",
    "SPORTS",
    "THEATRE",
    "WORKSHOPS_SKILL_SHARING",
)

# Venue amenities: key → labels. The key is what the API takes; labels go on the wire
# (``amenityFeature[].name``) in the venue's language and are mapped back on receipt.
AMENITIES: dict[str, dict[str, str]] = {
    "projector": {"zh-CN": "投影仪", "en": "Projector"},
    "screen": {"zh-CN": "幕布/屏幕", "en": "Screen"},
    "kitchen": {"zh-CN": "厨房", "en": "Kitchen"},
    "wifi": {"zh-CN": "无线网络", "en": "Wi-Fi"},
    "accessible": {"zh-CN": "无障碍通道", "en": "Wheelchair accessible"},
    "parking": {"zh-CN": "停车位", "en": "Parking"},
    "bike_parking": {"zh-CN": "自行车停放", "en": "Bike parking"},
    "toilet": {"zh-CN": "卫生间", "en": "Toilet"},
    "accessible_toilet": {"zh-CN": "无障碍卫生间", "en": "Accessible toilet"},
    "air_conditioning": {"zh-CN": "空调", "en": "Air conditioning"},
    "heating": {"zh-CN": "暖气", "en": "Heating"},
    "sound_system": {"zh-CN": "音响", "en": "Sound system"},
    "microphone": {"zh-CN": "麦克风", "en": "Microphone"},
    "whiteboard": {"zh-CN": "白板", "en": "Whiteboard"},
    "tables_chairs": {"zh-CN": "桌椅", "en": "Tables and chairs"},
    "outdoor": {"zh-CN": "户外场地", "en": "Outdoor space"},
    "kids_friendly": {"zh-CN": "适合儿童", "en": "Kid-friendly"},
    "baby_changing": {"zh-CN": "母婴室", "en": "Baby changing"},
    "drinking_water": {"zh-CN": "饮用水", "en": "Drinking water"},
    "power_outlets": {"zh-CN": "电源插座", "en": "Power outlets"},
    "storage": {"zh-CN": "储物空间", "en": "Storage"},
    "pets_allowed": {"zh-CN": "可带宠物", "en": "Pets allowed"},
}

JOIN_MODES = ("free", "restricted", "external", "invite", "none")
EVENT_STATUSES = ("scheduled", "cancelled", "postponed", "tentative")
LISTING_KINDS = ("goods", "skill", "service", "help")
LISTING_PURPOSES = ("offer", "request")
PRICE_MODES = ("amount", "free", "swap", "negotiable")
LISTING_STATUSES = ("available", "reserved", "closed")
DAYS_OF_WEEK = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


class ContentParseError(ValueError):
    """An incoming object lacks something we cannot do without (it names what and where)."""


# ---------------------------------------------------------------------------------------------
# Data


@dataclass(frozen=True)
class PostalAddressData:
    street: str | None = None
    locality: str | None = None
    region: str | None = None
    postal_code: str | None = None
    country: str | None = None  # ISO 3166-1 alpha-2 preferred ("CN")

    def is_empty(self) -> bool:
        return not any((self.street, self.locality, self.region, self.postal_code, self.country))

    def one_line(self) -> str:
        parts = [self.street, self.locality, self.region, self.postal_code, self.country]
        return ", ".join(p for p in parts if p)


@dataclass(frozen=True)
class PlaceData:
    name: str
    address: PostalAddressData | str | None = None
    latitude: float | None = None
    longitude: float | None = None
    id: str | None = None
    url: str | None = None

    def is_name_only(self) -> bool:
        return (
            self.address is None
            and self.latitude is None
            and self.longitude is None
            and self.id is None
            and self.url is None
        )


@dataclass(frozen=True)
class ImageData:
    url: str
    media_type: str
    alt: str | None = None
    width: int | None = None
    height: int | None = None
    blurhash: str | None = None


@dataclass(frozen=True)
class PriceData:
    amount: Decimal
    currency: str = "CNY"  # ISO 4217


@dataclass(frozen=True)
class OpeningHours:
    """One schema.org OpeningHoursSpecification: days (English names) and "HH:MM" times."""

    days: list[str]
    opens: str
    closes: str


@dataclass(frozen=True)
class EventData:
    id: str
    url: str
    actor_id: str
    name: str
    content_html: str
    # An organiser's own short line. On the wire it follows the generated "date · time · place"
    # line (see event_summary_line); None means the generated line alone.
    summary: str | None
    start: datetime  # aware
    end: datetime | None
    timezone: str  # IANA
    place: PlaceData | None = None
    online_url: str | None = None
    category: str | None = None
    tags: list[str] = field(default_factory=list)
    capacity: int | None = None
    participant_count: int = 0
    join_mode: str = "free"
    external_participation_url: str | None = None
    status: str = "scheduled"
    image: ImageData | None = None
    language: str | None = None
    published: datetime | None = None
    updated: datetime | None = None


@dataclass(frozen=True)
class ListingData:
    id: str
    url: str
    actor_id: str
    kind: str  # goods | skill | service | help
    purpose: str  # offer | request
    title: str
    content_html: str
    price: PriceData | None = None
    price_mode: str = "negotiable"  # amount | free | swap | negotiable
    condition: str | None = None
    area: PlaceData | str | None = None
    status: str = "available"  # available | reserved | closed
    expires: datetime | None = None
    images: list[ImageData] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)
    language: str | None = None
    published: datetime | None = None
    updated: datetime | None = None


@dataclass(frozen=True)
class VenueData:
    id: str
    url: str
    actor_id: str
    name: str
    content_html: str
    address: PostalAddressData | str | None = None
    latitude: float | None = None
    longitude: float | None = None
    capacity: int | None = None
    amenities: list[str] = field(default_factory=list)
    opening_hours: list[OpeningHours] | str = field(default_factory=list)
    bookable: bool = False
    contact: str | None = None
    price: PriceData | None = None
    free: bool = True
    part_of: str | None = None  # a Place id (URL) or a name
    images: list[ImageData] = field(default_factory=list)
    language: str | None = None
    published: datetime | None = None
    updated: datetime | None = None
    public_access: bool = True
    tags: list[str] = field(default_factory=list)


# ---------------------------------------------------------------------------------------------
# Hostile values: every URL and every piece of HTML a peer sends passes here at parse time


_CONTROL_RE = re.compile(r"[\x00-\x20\x7f\\]")
_SCHEME_RE = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:\S")


def safe_url(value: Any) -> str | None:
    """``value`` when it is an absolute http(s) URL with a host, else None.

    Dropped, not escaped: ``javascript:``, ``data:``, ``vbscript:``, relative and
    protocol-relative references, and anything with spaces, control characters or backslashes
    (browsers strip or reinterpret those, which is how ``java\tscript:`` gets through filters).
    """
    if not isinstance(value, str):
        return None
    text = value.strip()
    if not text or _CONTROL_RE.search(text):
        return None
    try:
        parts = urlsplit(text)
        host = parts.hostname
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not host:
        return None
    return text


# What Mastodon keeps of a post's HTML (mastodon-interop G5), plus headings.
_HTML_TAGS = {
    "p", "br", "span", "a", "del", "s", "pre", "blockquote", "code", "b", "strong", "u", "i",
    "em", "ul", "ol", "li", "ruby", "rt", "rp", "h1", "h2", "h3", "h4", "h5", "h6", "hr",
}  # fmt: skip
_HTML_ATTRS = {"a": {"href", "class", "title"}, "span": {"class"}, "ol": {"start"}}


def _keep_attribute(tag: str, attr: str, value: str) -> str | None:
    if tag == "a" and attr == "href":
        return safe_url(value)
    return value


_HASHTAG_LINK_RE = re.compile(r"<a\b([^>]*)>\s*#(?:<span>)?([^<#]+?)(?:</span>)?\s*</a>")
_HREF_RE = re.compile(r'\shref="[^"]*"')


def tag_path(tag: str) -> str:
    """``/tags/NAME``, where every instance shows its feed filtered by a hashtag."""
    return "/tags/" + quote(_clean_tag(tag), safe="")


def clean_html(value: Any, tags: Any = None) -> str:
    """A peer's HTML reduced to inert markup: Mastodon's tag set, links only to http(s) URLs
    (any other ``href`` is removed, the text stays), no scripts, styles or event handlers.

    ``tags`` is the object's AS ``tag`` value: a link reading ``#name`` for one of its
    Hashtags is pointed at this instance's ``/tags/name`` instead of the sender's tag page,
    as Mastodon does, so a hashtag read here shows what this instance has under it."""
    if not isinstance(value, str) or not value:
        return ""
    cleaned = nh3.clean(
        value,
        tags=_HTML_TAGS,
        attributes=_HTML_ATTRS,
        attribute_filter=_keep_attribute,
        url_schemes={"http", "https"},
        link_rel="nofollow noopener noreferrer",
    )
    names = {t.casefold() for t in _tags_from_ap(tags)}
    if not names:
        return cleaned

    def local(match: re.Match[str]) -> str:
        name = html.unescape(match.group(2)).strip()
        if name.casefold() not in names:
            return match.group(0)
        attrs = _HREF_RE.sub("", match.group(1))
        href = html.escape(tag_path(name), quote=True)
        return f'<a href="{href}"{attrs}>#<span>{html.escape(name)}</span></a>'

    return _HASHTAG_LINK_RE.sub(local, cleaned)


# ---------------------------------------------------------------------------------------------
# Small helpers


def _is_zh(language: str | None) -> bool:
    return language is None or language.lower().startswith("zh")


def _zone(name: str) -> tzinfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return UTC


def _local_iso(moment: datetime, timezone: str) -> str:
    """xsd:dateTime with the event's local UTC offset, second precision."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    local = moment.astimezone(_zone(timezone)).replace(microsecond=0)
    return local.isoformat().replace("+00:00", "Z")


def _fmt_amount(amount: Decimal) -> str:
    text = format(amount, "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text or "0"


_CURRENCY_SYMBOLS = {
    "CNY": "¥",
    "USD": "$",
    "EUR": "€",
    "GBP": "£",
    "JPY": "JP¥",
    "HKD": "HK$",
    "TWD": "NT$",
    "MOP": "MOP$",
}
# FEP-0837 ``resourceConformsTo`` for money is "a currency URI"; its example uses Wikidata items.
_CURRENCY_URIS = {
    "CNY": "https://www.wikidata.org/wiki/Q39099",
    "USD": "https://www.wikidata.org/wiki/Q4917",
    "EUR": "https://www.wikidata.org/wiki/Q4916",
    "GBP": "https://www.wikidata.org/wiki/Q25224",
    "JPY": "https://www.wikidata.org/wiki/Q8146",
    "HKD": "https://www.wikidata.org/wiki/Q31015",
    "TWD": "https://www.wikidata.org/wiki/Q208526",
}
_URI_CURRENCIES = {uri: code for code, uri in _CURRENCY_URIS.items()}
_ISO4217_URN = "urn:iso:std:iso:4217:"


def currency_uri(code: str) -> str:
    return _CURRENCY_URIS.get(code.upper(), _ISO4217_URN + code.upper())


def _currency_from_uri(uri: str | None) -> str | None:
    if not uri:
        return None
    if uri in _URI_CURRENCIES:
        return _URI_CURRENCIES[uri]
    tail = re.split(r"[:/#]", uri.rstrip("/"))[-1]
    return tail.upper() if re.fullmatch(r"[A-Za-z]{3}", tail) else None


def _price_text(price: PriceData) -> str:
    symbol = _CURRENCY_SYMBOLS.get(price.currency.upper())
    amount = _fmt_amount(price.amount)
    return f"{symbol}{amount}" if symbol else f"{price.currency.upper()} {amount}"


def _hashtag(tag: str, tag_href: TagHref | None) -> dict[str, Any]:
    doc: dict[str, Any] = {"type": "Hashtag", "name": f"#{tag}"}
    if tag_href is not None:
        doc["href"] = tag_href(tag)
    return doc


def _hashtag_html(tag: str, tag_href: TagHref | None) -> str:
    if tag_href is None:
        return f"#{html.escape(tag)}"
    href = html.escape(tag_href(tag), quote=True)
    return (
        f'<a href="{href}" class="mention hashtag" rel="tag">#<span>{html.escape(tag)}</span></a>'
    )


def _clean_tag(tag: str) -> str:
    return tag.strip().lstrip("#").strip()


def _dedupe(tags: Sequence[str]) -> list[str]:
    seen: set[str] = set()
    out: list[str] = []
    for t in tags:
        t = _clean_tag(t)
        if t and t.casefold() not in seen:
            seen.add(t.casefold())
            out.append(t)
    return out


def _image_doc(img: ImageData, *, banner: bool = False) -> dict[str, Any]:
    # Every attachment carries mediaType: Gancio reads it on each one and can crash without it.
    doc: dict[str, Any] = {"type": "Image", "mediaType": img.media_type, "url": img.url}
    if img.alt:
        doc["name"] = img.alt
    if img.width is not None:
        doc["width"] = img.width
    if img.height is not None:
        doc["height"] = img.height
    if img.blurhash:
        doc["blurhash"] = img.blurhash
    if banner:
        doc["isBannerImage"] = True
    return doc


def _language_maps(
    doc: dict[str, Any], language: str | None, *, name: str | None, content: str | None
) -> None:
    if not language:
        return
    if name is not None:
        doc["nameMap"] = {language: name}
    if content is not None:
        doc["contentMap"] = {language: content}


def _postal_address_doc(addr: PostalAddressData | str) -> dict[str, Any] | str:
    if isinstance(addr, str):
        return addr
    doc: dict[str, Any] = {"type": "PostalAddress"}
    for key, value in (
        ("streetAddress", addr.street),
        ("addressLocality", addr.locality),
        ("addressRegion", addr.region),
        ("postalCode", addr.postal_code),
        ("addressCountry", addr.country),
    ):
        if value:
            doc[key] = value
    return doc


def address_text(addr: PostalAddressData | str | None) -> str | None:
    """An address as one line of text, whichever shape it came in."""
    return _address_text(addr)


def _address_text(addr: PostalAddressData | str | None) -> str | None:
    if addr is None:
        return None
    if isinstance(addr, str):
        return addr or None
    return addr.one_line() or None


def place_to_ap(place: PlaceData) -> dict[str, Any]:
    """A schema.org-flavoured AS ``Place``: name, PostalAddress (or text), latitude/longitude."""
    doc: dict[str, Any] = {"type": "Place", "name": place.name}
    if place.id:
        doc["id"] = place.id
    if place.url:
        doc["url"] = place.url
    if place.address is not None and not (
        isinstance(place.address, PostalAddressData) and place.address.is_empty()
    ):
        doc["address"] = _postal_address_doc(place.address)
    if place.latitude is not None:
        doc["latitude"] = place.latitude
    if place.longitude is not None:
        doc["longitude"] = place.longitude
    return doc


# ---------------------------------------------------------------------------------------------
# Event out

_WEEKDAYS_ZH = ("周一", "周二", "周三", "周四", "周五", "周六", "周日")
_WEEKDAYS_EN = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTHS_EN = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")

_STATUS_AP = {  # ours → (FEP-8a8e eventStatus, Mobilizon/iCalendar status)
    "scheduled": ("EventScheduled", "CONFIRMED"),
    "cancelled": ("EventCancelled", "CANCELLED"),
    "postponed": ("EventPostponed", "TENTATIVE"),
    "tentative": ("EventTentative", "TENTATIVE"),
}
_STATUS_LABEL = {
    "cancelled": ("【已取消】", "[Cancelled] "),
    "postponed": ("【已延期】", "[Postponed] "),
    "tentative": ("【待定】", "[Tentative] "),
}


def _fmt_day(local: datetime, zh: bool, with_year: bool) -> str:
    if zh:
        year = f"{local.year}年" if with_year else ""
        return f"{year}{local.month}月{local.day}日（{_WEEKDAYS_ZH[local.weekday()]}）"
    year = f" {local.year}" if with_year else ""
    return f"{_WEEKDAYS_EN[local.weekday()]} {local.day} {_MONTHS_EN[local.month - 1]}{year}"


def _event_when(e: EventData) -> str:
    """ "12月6日（周六）14:00–16:00" in the event's own timezone (named when not the default)."""
    zh = _is_zh(e.language)
    zone = _zone(e.timezone)
    start = e.start.astimezone(zone)
    ref_year = (e.published or e.start).astimezone(zone).year
    with_year = start.year != ref_year
    when = f"{_fmt_day(start, zh, with_year)} {start:%H:%M}"
    if zh:
        when = when.replace("） ", "）")
    if e.end is not None:
        end = e.end.astimezone(zone)
        if end.date() == start.date():
            when += f"–{end:%H:%M}"
        else:
            when += f" – {_fmt_day(end, zh, end.year != ref_year)} {end:%H:%M}"
            if zh:
                when = when.replace("） ", "）")
    if e.timezone != DEFAULT_TIMEZONE:
        when += f"（{e.timezone}）" if zh else f" ({e.timezone})"
    return when


def _place_text(name: str | None, address: PostalAddressData | str | None, zh: bool) -> str | None:
    """ "银湖图书馆（银湖路 1 号）" / "Yinhu Library, 1 Yinhu Road": a place and its address."""
    addr = _address_text(address)
    if name and addr and addr != name:
        return f"{name}（{addr}）" if zh else f"{name}, {addr}"
    return name or addr


def _event_line(e: EventData) -> str:
    """What, when, where, how many and where to read more, on one line of plain text."""
    zh = _is_zh(e.language)
    parts = [e.name, _event_when(e)]
    where = _place_text(e.place.name, e.place.address, zh) if e.place is not None else None
    if where:
        parts.append(where)
    if e.online_url:
        parts.append("线上" if zh else "Online")
    if e.capacity is not None:
        parts.append(f"限 {e.capacity} 人" if zh else f"up to {e.capacity} people")
    else:
        parts.append("不限人数" if zh else "no attendance limit")
    if e.url:
        parts.append(e.url)
    line = " · ".join(parts)
    label = _STATUS_LABEL.get(e.status)
    if label:
        line = (label[0] if zh else label[1]) + line
    return line


def event_summary_line(e: EventData) -> str:
    """The event's ``summary`` as plain text (``event_to_ap`` HTML-escapes it):
    "读书会：三体 · 12月6日（周六）14:00–16:00 · 银湖图书馆（银湖路 1 号）· 限 20 人 · https://…".

    Every reader shows it without opening anything (docs/federation.md, "Readable
    everywhere"): Mastodon under the ``name`` heading, GoToSocial, Misskey, Pleroma and Akkoma
    as the content-warning line, which is why it starts with the title and ends with the link.
    In the event's timezone; the year appears only when it differs from the publication year;
    cancelled/postponed/tentative events get a bracketed prefix. An organiser's own
    ``EventData.summary`` follows after " — ".
    """
    line = _event_line(e)
    if e.summary and e.summary != line:
        line = f"{line} — {e.summary}"
    return line


def _text_html(text: str) -> str:
    """Plain text as the HTML that AS2 ``summary``/``content`` hold: ``<``, ``>`` and ``&``
    escaped (quotes need no escaping outside attributes, and Misskey shows a CW unparsed)."""
    return html.escape(text, quote=False)


def event_to_ap(e: EventData, *, followers: str, tag_href: TagHref | None = None) -> dict[str, Any]:
    """An FEP-8a8e ``Event`` that Mobilizon, Gancio and Mastodon all read."""
    ap_status, ical_status = _STATUS_AP.get(e.status, _STATUS_AP["scheduled"])
    doc: dict[str, Any] = {
        "@context": CONTEXT,
        "id": e.id,
        "type": "Event",
        "url": e.url,
        "attributedTo": e.actor_id,
        "name": e.name,
        "summary": _text_html(event_summary_line(e)),
        "content": e.content_html,
        "mediaType": "text/html",
        "startTime": _local_iso(e.start, e.timezone),
        "timezone": e.timezone,
        "joinMode": e.join_mode,
        "eventStatus": ap_status,
        "status": ical_status,
        "ical:status": ical_status,  # Mobilizon < 4 reads only the prefixed key
        "participantCount": e.participant_count,
        "to": [PUBLIC],
        "cc": [followers],
    }
    if e.end is not None:
        doc["endTime"] = _local_iso(e.end, e.timezone)
    locations: list[dict[str, Any]] = []
    if e.place is not None:
        locations.append(place_to_ap(e.place))
    if e.online_url:
        locations.append({"type": "VirtualLocation", "name": e.name, "url": e.online_url})
    if len(locations) == 1:
        doc["location"] = locations[0]
    elif locations:
        doc["location"] = locations
    if e.category:
        doc["category"] = e.category
    if e.external_participation_url:
        doc["externalParticipationUrl"] = e.external_participation_url
    if e.capacity is not None:
        doc["maximumAttendeeCapacity"] = e.capacity
        doc["remainingAttendeeCapacity"] = max(e.capacity - e.participant_count, 0)
    tags = _dedupe(e.tags)
    if tags:
        doc["tag"] = [_hashtag(t, tag_href) for t in tags]
    attachments: list[dict[str, Any]] = []
    if e.image is not None:
        attachments.append(_image_doc(e.image, banner=True))
    if e.online_url:
        # Mobilizon and Gancio read an online address only from a Link attachment; Mobilizon
        # matches on name "Website" and mediaType text/html.
        attachments.append(
            {"type": "Link", "href": e.online_url, "mediaType": "text/html", "name": "Website"}
        )
    if attachments:
        doc["attachment"] = attachments
    if e.language:
        doc["inLanguage"] = e.language
    _language_maps(doc, e.language, name=e.name, content=e.content_html)
    if e.published is not None:
        doc["published"] = isoformat(e.published)
    if e.updated is not None:
        doc["updated"] = isoformat(e.updated)
    return doc


# ---------------------------------------------------------------------------------------------
# Listing out

_AUTO_TAGS: dict[tuple[str, str], tuple[str, ...]] = {
    ("goods", "offer"): ("二手", "闲置"),
    ("goods", "request"): ("二手", "求购"),
    ("skill", "offer"): ("技能",),
    ("skill", "request"): ("技能", "求助"),
    ("service", "offer"): ("服务",),
    ("service", "request"): ("服务", "求助"),
    ("help", "offer"): ("互助",),
    ("help", "request"): ("求助", "互助"),
}
_LISTING_STATUS_LABEL = {"reserved": ("已预订", "Reserved"), "closed": ("已结束", "Closed")}


def automatic_hashtags(kind: str | None, purpose: str | None) -> tuple[str, ...]:
    """The zh hashtags every listing of this kind and purpose carries (for Mastodon readers)."""
    return _AUTO_TAGS.get((kind or "", purpose or ""), ())


def listing_own_tags(doc: Mapping[str, Any], kind: str | None, purpose: str | None) -> list[str]:
    """A received listing's own tags: its ``keywords`` (as Yinhu sends the author's tags), else
    its Hashtags without the automatic ones of its kind and purpose."""
    keywords = [t for t in (_str(k) for k in as_list(doc.get("keywords"))) if t]
    if keywords:
        return _dedupe([t.lstrip("#＃") for t in keywords])
    auto_folded = {a.casefold() for a in automatic_hashtags(kind, purpose)}
    return [t for t in _tags_from_ap(doc.get("tag")) if t.casefold() not in auto_folded]


def listing_hashtags(listing: ListingData) -> list[str]:
    """The automatic zh hashtags for the kind and purpose, then the user's own, deduplicated."""
    auto = _AUTO_TAGS.get((listing.kind, listing.purpose), ())
    return _dedupe([*auto, *listing.tags])


def _listing_area_name(area: PlaceData | str | None) -> str | None:
    if area is None:
        return None
    if isinstance(area, str):
        return area or None
    return area.name or _address_text(area.address)


def _listing_terms(listing: ListingData, zh: bool, timezone: str) -> str:
    parts: list[str] = []
    if listing.price_mode == "amount" and listing.price is not None:
        text = _price_text(listing.price)
        if listing.purpose == "request":
            text = f"预算 {text}" if zh else f"Budget {text}"
        parts.append(text)
    elif listing.price_mode == "free":
        if listing.purpose == "offer" and listing.kind == "goods":
            parts.append("免费赠送" if zh else "Free to a good home")
        else:
            parts.append("免费" if zh else "Free")
    elif listing.price_mode == "swap":
        parts.append("可交换" if zh else "Swap")
    elif listing.price_mode == "negotiable":
        parts.append("价格面议" if zh else "Price negotiable")
    if listing.condition:
        parts.append(listing.condition)
    area = listing.area
    where = _place_text(area.name, area.address, zh) if isinstance(area, PlaceData) else area
    if where:
        parts.append(where)
    if listing.expires is not None:
        local = listing.expires.astimezone(_zone(timezone))
        parts.append(
            f"截至{local.month}月{local.day}日"
            if zh
            else f"until {local.day} {_MONTHS_EN[local.month - 1]}"
        )
    return " · ".join(parts)


def listing_content_html(
    listing: ListingData, *, tag_href: TagHref | None, timezone: str = DEFAULT_TIMEZONE
) -> str:
    """The Note body every reader shows in full: bold title (with its status), the terms line
    (price, condition, place, expiry), the description, a link to the listing, hashtags."""
    zh = _is_zh(listing.language)
    title = html.escape(listing.title)
    label = _LISTING_STATUS_LABEL.get(listing.status)
    if label:
        title = (f"【{label[0]}】" if zh else f"[{label[1]}] ") + title
    paragraphs = [f"<p><strong>{title}</strong></p>"]
    terms = _listing_terms(listing, zh, timezone)
    if terms:
        paragraphs.append(f"<p>{html.escape(terms)}</p>")
    if listing.content_html:
        paragraphs.append(listing.content_html)
    if listing.url:
        href = html.escape(listing.url, quote=True)
        paragraphs.append(f'<p><a href="{href}">{html.escape(listing.url)}</a></p>')
    tags = listing_hashtags(listing)
    if tags:
        paragraphs.append("<p>" + " ".join(_hashtag_html(t, tag_href) for t in tags) + "</p>")
    return "".join(paragraphs)


def listing_to_ap(
    listing: ListingData,
    *,
    followers: str,
    tag_href: TagHref | None,
    timezone: str = DEFAULT_TIMEZONE,
) -> dict[str, Any]:
    """A ``Note`` every reader shows in full, carrying FEP-0837 and Yinhu listing terms.

    It has neither ``summary`` nor ``name``: GoToSocial turns either into a content warning
    (``name`` when there is no summary) and Misskey, Pleroma and Akkoma the summary, which
    would hide the price behind it. The title travels as schema.org ``headline`` and first
    line of ``content``."""
    content = listing_content_html(listing, tag_href=tag_href, timezone=timezone)
    doc: dict[str, Any] = {
        "@context": CONTEXT,
        "id": listing.id,
        "type": "Note",
        "url": listing.url,
        "attributedTo": listing.actor_id,
        "headline": listing.title,
        "content": content,
        "mediaType": "text/html",
        "description": listing.content_html,
        "to": [PUBLIC],
        "cc": [followers],
        "purpose": listing.purpose,
        "publishes": {
            "type": "Intent",
            "id": f"{listing.id}#primary",
            "action": "transfer" if listing.kind == "goods" else "deliverService",
            "resourceQuantity": {"hasUnit": "one", "hasNumericalValue": "1"},
        },
        "listingKind": listing.kind,
        "priceMode": listing.price_mode,
        "listingStatus": listing.status,
    }
    if listing.price_mode == "amount" and listing.price is not None:
        doc["reciprocal"] = {
            "type": "Intent",
            "id": f"{listing.id}#reciprocal",
            "action": "transfer",
            "resourceConformsTo": currency_uri(listing.price.currency),
            "resourceQuantity": {
                "hasUnit": "one",
                "hasNumericalValue": format(listing.price.amount, "f"),
            },
        }
    if listing.condition:
        doc["condition"] = listing.condition
    if listing.area is not None:
        area = listing.area
        doc["location"] = place_to_ap(PlaceData(name=area) if isinstance(area, str) else area)
    if listing.expires is not None:
        doc["endTime"] = isoformat(listing.expires)
    tags = listing_hashtags(listing)
    if tags:
        doc["tag"] = [_hashtag(t, tag_href) for t in tags]
    if listing.tags:
        # The author's own tags apart from the automatic ones (which every goods offer carries
        # for Mastodon readers): a receiver keeps these, 二手 included when the author chose it.
        doc["keywords"] = list(listing.tags)
    if listing.images:
        doc["attachment"] = [_image_doc(i) for i in listing.images]
    if listing.language:
        doc["inLanguage"] = listing.language
    _language_maps(doc, listing.language, name=None, content=content)
    if listing.published is not None:
        doc["published"] = isoformat(listing.published)
    if listing.updated is not None:
        doc["updated"] = isoformat(listing.updated)
    return doc


# ---------------------------------------------------------------------------------------------
# Venue out


def _amenity_label(key: str, zh: bool) -> str:
    labels = AMENITIES.get(key)
    if labels is None:
        return key
    return labels["zh-CN"] if zh else labels["en"]


def _part_of_name(part_of: str | None) -> str | None:
    if part_of and not part_of.startswith(("http://", "https://")):
        return part_of
    return None


def _hours_text(hours: list[OpeningHours] | str, zh: bool) -> str | None:
    """ "周一、周二 09:00–21:00；周六 10:00–18:00" / "Mon, Tue 09:00–21:00; Sat 10:00–18:00"."""
    if isinstance(hours, str):
        return hours or None
    names = _WEEKDAYS_ZH if zh else _WEEKDAYS_EN
    specs = []
    for spec in hours:
        index = sorted({DAYS_OF_WEEK.index(d) for d in spec.days if d in DAYS_OF_WEEK})
        runs: list[list[int]] = []
        for i in index:  # consecutive days as one run: 周一至周五 / Mon–Fri
            if runs and runs[-1][-1] == i - 1:
                runs[-1].append(i)
            else:
                runs.append([i])
        days = [
            names[r[0]] if len(r) == 1 else f"{names[r[0]]}{'至' if zh else '–'}{names[r[-1]]}"
            for r in runs
        ]
        specs.append(f"{('、' if zh else ', ').join(days)} {spec.opens}–{spec.closes}")
    return ("；" if zh else "; ").join(specs) or None


def venue_summary_line(v: VenueData) -> str:
    """The venue as one line of plain text, shown by every reader without opening anything:
    "银湖花园活动室 · 银湖花园，银湖路 5 号 · 周一、周二 09:00–21:00 · 可容纳 40 人 · 投影仪、厨房
    · 免费 · 可预约：物业前台 0571-1234 · https://…" (the venue Page's and Place's ``summary``,
    HTML-escaped there)."""
    zh = _is_zh(v.language)
    parts: list[str] = [v.name]
    where = [p for p in (_part_of_name(v.part_of), _address_text(v.address)) if p]
    if where:
        parts.append(("，" if zh else ", ").join(dict.fromkeys(where)))
    hours = _hours_text(v.opening_hours, zh)
    if hours:
        parts.append(hours)
    if v.capacity is not None:
        parts.append(f"可容纳 {v.capacity} 人" if zh else f"Up to {v.capacity} people")
    if v.amenities:
        labels = [_amenity_label(a, zh) for a in v.amenities]
        parts.append(("、" if zh else ", ").join(labels))
    if v.free:
        parts.append("免费" if zh else "Free")
    elif v.price is not None:
        parts.append(f"{_price_text(v.price)}/小时" if zh else f"{_price_text(v.price)}/hour")
    if v.bookable:
        book = "可预约" if zh else "Bookable"
        parts.append(
            f"{book}：{v.contact}"
            if zh and v.contact
            else f"{book}: {v.contact}"
            if v.contact
            else book
        )
    elif v.contact:
        parts.append(f"联系：{v.contact}" if zh else f"Contact: {v.contact}")
    if v.url:
        parts.append(v.url)
    return " · ".join(parts)


def _opening_hours_doc(spec: OpeningHours) -> dict[str, Any]:
    days: str | list[str] = spec.days[0] if len(spec.days) == 1 else list(spec.days)
    return {
        "type": "OpeningHoursSpecification",
        "dayOfWeek": days,
        "opens": spec.opens,
        "closes": spec.closes,
    }


def _venue_place(v: VenueData) -> dict[str, Any]:
    zh = _is_zh(v.language)
    doc: dict[str, Any] = {
        "id": v.id,
        "type": "Place",
        "name": v.name,
        "url": v.url,
        "attributedTo": v.actor_id,
        "summary": _text_html(venue_summary_line(v)),
        "content": v.content_html,
        "mediaType": "text/html",
        "to": [PUBLIC],
    }
    if v.address is not None and not (
        isinstance(v.address, PostalAddressData) and v.address.is_empty()
    ):
        doc["address"] = _postal_address_doc(v.address)
    if v.latitude is not None:
        doc["latitude"] = v.latitude
    if v.longitude is not None:
        doc["longitude"] = v.longitude
    if v.capacity is not None:
        doc["maximumAttendeeCapacity"] = v.capacity
    if v.amenities:
        doc["amenityFeature"] = [
            {"type": "LocationFeatureSpecification", "name": _amenity_label(a, zh), "value": True}
            for a in v.amenities
        ]
    if isinstance(v.opening_hours, str):
        if v.opening_hours:
            doc["openingHours"] = v.opening_hours
    elif v.opening_hours:
        doc["openingHoursSpecification"] = [_opening_hours_doc(s) for s in v.opening_hours]
    doc["isAccessibleForFree"] = v.free
    doc["publicAccess"] = v.public_access
    doc["bookable"] = v.bookable
    if v.contact:
        doc["contact"] = v.contact
    if v.price is not None:
        doc["price"] = format(v.price.amount, "f")
        doc["priceCurrency"] = v.price.currency
    if v.part_of:
        name = _part_of_name(v.part_of)
        doc["containedInPlace"] = {"type": "Place", "name": name} if name else v.part_of
    if v.images:
        doc["image"] = [_image_doc(i) for i in v.images]
    if v.language:
        doc["inLanguage"] = v.language
    _language_maps(doc, v.language, name=v.name, content=v.content_html)
    if v.published is not None:
        doc["published"] = isoformat(v.published)
    if v.updated is not None:
        doc["updated"] = isoformat(v.updated)
    return doc


def venue_to_ap(v: VenueData) -> dict[str, Any]:
    """A fetchable ``Place`` with schema.org venue terms (served at ``v.id``)."""
    return {"@context": CONTEXT, **_venue_place(v)}


def venue_announcement_page(
    v: VenueData, *, page_id: str, followers: str, tag_href: TagHref | None = None
) -> dict[str, Any]:
    """A ``Page`` telling followers of a venue; Mastodon shows its name + summary + link.

    ``location`` embeds the Place with its id, so a peer that wants the venue has it without a
    second fetch (and can refetch ``location.id`` for updates).
    """
    zh = _is_zh(v.language)
    tags = _dedupe(["场地" if zh else "venue", *v.tags])
    doc: dict[str, Any] = {
        "@context": CONTEXT,
        "id": page_id,
        "type": "Page",
        "url": v.url,
        "attributedTo": v.actor_id,
        "name": v.name,
        "summary": _text_html(venue_summary_line(v)),
        "content": v.content_html,
        "mediaType": "text/html",
        "location": _venue_place(v),
        "to": [PUBLIC],
        "cc": [followers],
        "tag": [_hashtag(t, tag_href) for t in tags],
    }
    if v.images:
        doc["attachment"] = [_image_doc(i) for i in v.images]
    if v.language:
        doc["inLanguage"] = v.language
    _language_maps(doc, v.language, name=v.name, content=v.content_html)
    if v.published is not None:
        doc["published"] = isoformat(v.published)
    if v.updated is not None:
        doc["updated"] = isoformat(v.updated)
    return doc


# ---------------------------------------------------------------------------------------------
# Parsing helpers


def _type_names(doc: Mapping[str, Any]) -> set[str]:
    return {t for t in as_list(doc.get("type")) if isinstance(t, str)}


def _str(value: Any) -> str | None:
    """A plain string property (the first of a list), empty → None."""
    for item in as_list(value):
        if isinstance(item, str):
            return item or None
    return None


def _map_first(doc: Mapping[str, Any], key: str) -> str | None:
    value = _str(doc.get(key))
    if value is not None:
        return value
    mapping = doc.get(f"{key}Map")
    if isinstance(mapping, Mapping):
        for item in mapping.values():
            if isinstance(item, str) and item:
                return item
    return None


def _language(doc: Mapping[str, Any]) -> str | None:
    lang = doc.get("inLanguage")
    if isinstance(lang, Mapping):
        lang = lang.get("identifier") or lang.get("name")
    if isinstance(lang, str) and lang:
        return lang
    for key in ("contentMap", "nameMap", "summaryMap"):
        mapping = doc.get(key)
        if isinstance(mapping, Mapping):
            for k in mapping:
                if isinstance(k, str) and k and k != "und":
                    return k
    return None


def _number(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            return None
    return None


def _int(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and value.strip().isdigit():
        return int(value.strip())
    return None


def _bool(value: Any, default: bool) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    return default


def _datetime(value: Any, what: str, *, zone: tzinfo | None = None) -> datetime | None:
    text = _str(value)
    if text is None:
        return None
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError as exc:
        raise ContentParseError(f"{what} is not an ISO 8601 date-time: {text!r}") from exc
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=zone or UTC)
    return moment


_HALF_HOUR_ZONES = {  # offsets that no Etc/GMT zone can express
    timedelta(hours=5, minutes=30): "Asia/Kolkata",
    timedelta(hours=5, minutes=45): "Asia/Kathmandu",
    timedelta(hours=6, minutes=30): "Asia/Yangon",
    timedelta(hours=9, minutes=30): "Australia/Darwin",
    timedelta(hours=3, minutes=30): "Asia/Tehran",
    timedelta(hours=4, minutes=30): "Asia/Kabul",
    timedelta(hours=-3, minutes=-30): "America/St_Johns",
}


def zone_from_offset(moment: datetime) -> str:
    """An IANA name with the same UTC offset, for events that came without ``timezone``.

    Whole-hour offsets map to ``Etc/GMT±N`` (note the POSIX sign inversion: +01:00 is
    ``Etc/GMT-1``), which keeps the sender's wall time without guessing a city; a few
    half-hour offsets map to their main zone; anything else falls back to ``UTC``.
    """
    offset = moment.utcoffset()
    if offset is None or offset == timedelta(0):
        return "UTC"
    if offset in _HALF_HOUR_ZONES:
        return _HALF_HOUR_ZONES[offset]
    seconds = int(offset.total_seconds())
    if seconds % 3600 == 0 and -12 <= seconds // 3600 <= 14:
        hours = seconds // 3600
        return f"Etc/GMT{-hours:+d}"
    return "UTC"


def _valid_zone(name: Any) -> str | None:
    if not isinstance(name, str) or not name:
        return None
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return None
    return name


def _image_from_ap(value: Any) -> ImageData | None:
    if isinstance(value, str):
        if not safe_url(value):
            return None
        guessed = mimetypes.guess_type(value)[0]
        return ImageData(url=value.strip(), media_type=guessed or "image/jpeg")
    if not isinstance(value, Mapping):
        return None
    url = safe_url(first_str(value.get("url")) or _str(value.get("href")))
    if not url:
        return None
    media_type = _str(value.get("mediaType"))
    if media_type is None and isinstance(value.get("url"), Mapping):
        media_type = _str(value["url"].get("mediaType"))
    media_type = media_type or mimetypes.guess_type(url)[0] or "image/jpeg"
    return ImageData(
        url=url,
        media_type=media_type,
        alt=_str(value.get("name")) or _str(value.get("summary")),
        width=_int(value.get("width")),
        height=_int(value.get("height")),
        blurhash=_str(value.get("blurhash")),
    )


def _is_image(att: Any) -> bool:
    if not isinstance(att, Mapping):
        return False
    media_type = _str(att.get("mediaType")) or ""
    if media_type.startswith("image/"):
        return True
    return "Image" in _type_names(att) and not media_type


def _images(values: Any) -> list[ImageData]:
    out = []
    for att in as_list(values):
        if _is_image(att):
            img = _image_from_ap(att)
            if img is not None:
                out.append(img)
    return out


def hashtags_from_ap(doc: Any) -> list[str]:
    """Every ``Hashtag`` a document carries, as its author named them (without ``#``), the
    ones that coincide with automatic tags included: what a receiver indexes for any kind."""
    return _tags_from_ap(doc.get("tag")) if isinstance(doc, Mapping) else []


def _tags_from_ap(values: Any) -> list[str]:
    out = []
    for tag in as_list(values):
        if isinstance(tag, Mapping) and "Hashtag" in _type_names(tag):
            name = _str(tag.get("name"))
            if name:
                out.append(name)
    return _dedupe(out)


def _url(doc: Mapping[str, Any]) -> str | None:
    """The first http(s) ``url`` (an HTML one when it is a list of Links); None without one."""
    fallback = None
    for item in as_list(doc.get("url")):
        if isinstance(item, str):
            if safe_url(item):
                return safe_url(item)
            continue
        if isinstance(item, Mapping):
            href = safe_url(_str(item.get("href")) or _str(item.get("url")))
            if href and (_str(item.get("mediaType")) or "text/html").startswith("text/html"):
                return href
            fallback = fallback or href
    return fallback


def object_url(doc: Mapping[str, Any]) -> str | None:
    """Where people read an object: its first http(s) ``url``, else its id when that is
    http(s); None when neither is (a hostile ``javascript:`` or ``data:`` value is dropped)."""
    return _url(doc) or safe_url(_str(doc.get("id")))


def _require(doc: Any, kind: str) -> Mapping[str, Any]:
    if not isinstance(doc, Mapping):
        raise ContentParseError(f"{kind}: expected a JSON object, got {type(doc).__name__}")
    return doc


def _required_str(value: str | None, kind: str, key: str, doc: Mapping[str, Any]) -> str:
    if not value or not value.strip():
        ident = doc.get("id")
        where = f" ({ident})" if isinstance(ident, str) else ""
        raise ContentParseError(f"{kind}{where} has no {key}")
    return value


def _actor(doc: Mapping[str, Any]) -> str | None:
    for item in as_list(doc.get("attributedTo")):
        ident = get_id(item)
        if ident:
            return ident
    return get_id(doc.get("actor"))


def _postal_address_from_ap(value: Any) -> PostalAddressData | str | None:
    if isinstance(value, str):
        return value or None
    if not isinstance(value, Mapping):
        return None
    country = value.get("addressCountry")
    if isinstance(country, Mapping):
        country = country.get("name") or country.get("identifier")
    addr = PostalAddressData(
        street=_str(value.get("streetAddress")),
        locality=_str(value.get("addressLocality")),
        region=_str(value.get("addressRegion")),
        postal_code=_str(value.get("postalCode")),
        country=_str(country),
    )
    return None if addr.is_empty() else addr


def _is_virtual(value: Any) -> bool:
    return isinstance(value, Mapping) and "VirtualLocation" in _type_names(value)


def place_from_ap(value: Any) -> PlaceData | None:
    """The first physical Place in a ``location`` value (a Place, or a list mixing Places and
    VirtualLocations). A bare string that is not a URL becomes a name-only Place; a URL (a
    Place id we would have to fetch) gives None."""
    for item in as_list(value):
        if isinstance(item, str):
            if item and not item.startswith(("http://", "https://")):
                return PlaceData(name=item)
            continue
        if not isinstance(item, Mapping) or _is_virtual(item):
            continue
        address = _postal_address_from_ap(item.get("address"))
        lat, lon = _number(item.get("latitude")), _number(item.get("longitude"))
        name = _map_first(item, "name") or _address_text(address)
        if not name and lat is None:
            continue
        return PlaceData(
            name=name or "",
            address=address,
            latitude=lat,
            longitude=lon,
            id=safe_url(_str(item.get("id"))),
            url=safe_url(first_str(item.get("url"))),
        )
    return None


def _online_url(doc: Mapping[str, Any]) -> str | None:
    for item in as_list(doc.get("location")):
        if _is_virtual(item):
            url = safe_url(first_str(item.get("url")))
            if url:
                return url
        if isinstance(item, Mapping) and isinstance(item.get("address"), Mapping):
            url = safe_url(_str(item["address"].get("url")))  # Gancio's own online-place shape
            if url:
                return url
    links = [
        att
        for att in as_list(doc.get("attachment"))
        if isinstance(att, Mapping)
        and "Link" in _type_names(att)
        and safe_url(_str(att.get("href")))
        and (_str(att.get("mediaType")) or "text/html").startswith("text/html")
    ]
    for att in links:
        if _str(att.get("name")) == "Website":  # Mobilizon's marker
            return safe_url(_str(att.get("href")))
    return safe_url(_str(links[0].get("href"))) if links else None


_STATUS_FROM_8A8E = {
    "eventscheduled": "scheduled",
    "eventrescheduled": "scheduled",
    "eventmovedonline": "scheduled",
    "eventcancelled": "cancelled",
    "eventpostponed": "postponed",
    "eventtentative": "tentative",
}
_STATUS_FROM_ICAL = {"confirmed": "scheduled", "cancelled": "cancelled", "tentative": "tentative"}


def _event_status(doc: Mapping[str, Any]) -> str:
    value = _str(doc.get("eventStatus")) or get_id(doc.get("eventStatus"))
    if value:
        key = re.split(r"[/#:]", value)[-1].lower()
        if key in _STATUS_FROM_8A8E:
            return _STATUS_FROM_8A8E[key]
    for key in ("status", "ical:status"):
        value = _str(doc.get(key))
        if value and value.lower() in _STATUS_FROM_ICAL:
            return _STATUS_FROM_ICAL[value.lower()]
    return "scheduled"


def _category(value: Any) -> str | None:
    for item in as_list(value):
        if isinstance(item, str):
            key = re.split(r"[/#]", item)[-1].upper()
            if key in CATEGORIES:
                return key
    return None


def _banner(doc: Mapping[str, Any]) -> ImageData | None:
    atts = [a for a in as_list(doc.get("attachment")) if _is_image(a)]
    for att in atts:
        if att.get("isBannerImage") is True:
            return _image_from_ap(att)
    for att in atts:
        if _str(att.get("name")) == "Banner":  # Mobilizon names its banner, not its alt text
            img = _image_from_ap(att)
            return (
                ImageData(img.url, img.media_type, None, img.width, img.height, img.blurhash)
                if img
                else None
            )
    if atts:
        return _image_from_ap(atts[0])
    for item in as_list(doc.get("image")):
        img = _image_from_ap(item)
        if img is not None:
            return img
    return None


# ---------------------------------------------------------------------------------------------
# Event in


def event_from_ap(doc: Any) -> EventData:
    """An Event as Yinhu, Mobilizon or Gancio send it. Raises ContentParseError when ``id``,
    ``name``, ``startTime`` (or FEP-8a8e ``previousStartTime``) or the attributed actor is
    missing. Without ``timezone`` the zone is derived from the start's UTC offset."""
    doc = _require(doc, "Event")
    ident = _required_str(_str(doc.get("id")), "Event", "id", doc)
    name = _required_str(_map_first(doc, "name"), "Event", "name", doc)
    actor = _required_str(_actor(doc), "Event", "attributedTo", doc)
    declared_zone = _valid_zone(doc.get("timezone"))
    zone = ZoneInfo(declared_zone) if declared_zone else None
    start = _datetime(doc.get("startTime"), "startTime", zone=zone) or _datetime(
        doc.get("previousStartTime"), "previousStartTime", zone=zone
    )
    if start is None:
        raise ContentParseError(f"Event ({ident}) has no startTime")
    end = _datetime(doc.get("endTime"), "endTime", zone=zone)
    if end is not None and end < start:
        end = None
    timezone = declared_zone or zone_from_offset(start)

    capacity = _int(doc.get("maximumAttendeeCapacity"))
    if capacity is not None and capacity <= 0:
        capacity = None  # Mobilizon sends 0 for "no limit"
    count = _int(doc.get("participantCount"))
    if count is None and isinstance(doc.get("attendees"), Mapping):
        count = _int(doc["attendees"].get("totalItems"))
    join_mode = _str(doc.get("joinMode"))
    join_mode = join_mode.lower() if join_mode else "none"
    if join_mode not in JOIN_MODES:
        join_mode = "restricted"

    event = EventData(
        id=ident,
        url=_url(doc) or safe_url(ident) or "",
        actor_id=actor,
        name=name.strip(),
        content_html=clean_html(_map_first(doc, "content"), doc.get("tag")),
        summary=None,
        start=start,
        end=end,
        timezone=timezone,
        place=place_from_ap(doc.get("location")),
        online_url=_online_url(doc),
        category=_category(doc.get("category")),
        tags=_tags_from_ap(doc.get("tag")),
        capacity=capacity,
        participant_count=count or 0,
        join_mode=join_mode,
        external_participation_url=safe_url(_str(doc.get("externalParticipationUrl"))),
        status=_event_status(doc),
        image=_banner(doc),
        language=_language(doc),
        published=_datetime(doc.get("published"), "published"),
        updated=_datetime(doc.get("updated"), "updated"),
    )
    # Strip our own generated line back off so a Yinhu round trip is exact; anything else a
    # sender wrote (Gancio's "place, date" line, Mobilizon's) is kept as the summary.
    summary = _map_first(doc, "summary")
    if summary:
        summary = html.unescape(re.sub(r"<[^>]+>", "", summary)).strip()
        line = _event_line(event)
        if summary == line:
            summary = None
        elif summary.startswith(line + " — "):
            summary = summary[len(line) + 3 :] or None
    if summary:
        event = replace(event, summary=summary)
    return event


# ---------------------------------------------------------------------------------------------
# Listing in


def _is_listing(doc: Mapping[str, Any]) -> bool:
    if "listingKind" in doc:
        return True
    purpose = _str(doc.get("purpose"))
    return purpose in LISTING_PURPOSES or isinstance(doc.get("publishes"), Mapping)


def listing_from_ap(doc: Any) -> ListingData | None:
    """A listing from our Note or an FEP-0837 ``Proposal``; None when the object is not a
    listing (an ordinary Note). Raises ContentParseError when a listing lacks ``id``, ``name``
    or its actor."""
    doc = _require(doc, "Listing")
    if not _is_listing(doc):
        return None
    ident = _required_str(_str(doc.get("id")), "Listing", "id", doc)
    # ``headline`` is ours (no ``name``, see listing_to_ap); FEP-0837 Proposals use ``name``.
    title = _required_str(
        _map_first(doc, "name") or _str(doc.get("headline")), "Listing", "name", doc
    )
    actor = _required_str(_actor(doc), "Listing", "attributedTo", doc)

    publishes = doc.get("publishes") if isinstance(doc.get("publishes"), Mapping) else {}
    kind = _str(doc.get("listingKind"))
    if kind not in LISTING_KINDS:
        action = _str(publishes.get("action")) if publishes else None
        kind = "goods" if action in (None, "transfer") else "service"
    purpose = _str(doc.get("purpose"))
    if purpose not in LISTING_PURPOSES:
        purpose = "offer"

    price: PriceData | None = None
    reciprocal = doc.get("reciprocal")
    if isinstance(reciprocal, Mapping):
        quantity = reciprocal.get("resourceQuantity")
        raw = quantity.get("hasNumericalValue") if isinstance(quantity, Mapping) else None
        currency = _currency_from_uri(get_id(reciprocal.get("resourceConformsTo")))
        if raw is not None and currency:
            try:
                price = PriceData(amount=Decimal(str(raw)), currency=currency)
            except InvalidOperation:
                price = None
    price_mode = _str(doc.get("priceMode"))
    if price_mode not in PRICE_MODES:
        if price is not None:
            price_mode = "amount"
        else:
            price_mode = "free" if purpose == "offer" and reciprocal is None else "negotiable"
    if price_mode == "amount" and price is None:
        price_mode = "negotiable"
    status = _str(doc.get("listingStatus"))
    if status not in LISTING_STATUSES:
        status = "available"

    area: PlaceData | str | None = place_from_ap(doc.get("location"))
    if isinstance(area, PlaceData) and area.is_name_only():
        area = area.name

    description = _str(doc.get("description"))
    content = clean_html(
        description if description is not None else _map_first(doc, "content"), doc.get("tag")
    )
    tags = listing_own_tags(doc, kind, purpose)

    return ListingData(
        id=ident,
        url=_url(doc) or safe_url(ident) or "",
        actor_id=actor,
        kind=kind,
        purpose=purpose,
        title=title.strip(),
        content_html=content,
        price=price,
        price_mode=price_mode,
        condition=_str(doc.get("condition")),
        area=area,
        status=status,
        expires=_datetime(doc.get("endTime") or doc.get("expires"), "endTime"),
        images=_images(doc.get("attachment")),
        tags=tags,
        language=_language(doc),
        published=_datetime(doc.get("published"), "published"),
        updated=_datetime(doc.get("updated"), "updated"),
    )


# ---------------------------------------------------------------------------------------------
# Venue in


def _amenity_key(name: str) -> str:
    folded = name.strip().casefold()
    for key, labels in AMENITIES.items():
        if folded == key or any(folded == label.casefold() for label in labels.values()):
            return key
    return name.strip()


def _day(value: Any) -> str | None:
    text = get_id(value) if not isinstance(value, str) else value
    if not text:
        return None
    tail = re.split(r"[/#:]", text)[-1]
    for day in DAYS_OF_WEEK:
        if tail.casefold() == day.casefold():
            return day
    return None


def _opening_hours_from_ap(doc: Mapping[str, Any]) -> list[OpeningHours] | str:
    specs = []
    for item in as_list(doc.get("openingHoursSpecification")):
        if not isinstance(item, Mapping):
            continue
        days = [d for d in (_day(v) for v in as_list(item.get("dayOfWeek"))) if d]
        opens, closes = _str(item.get("opens")), _str(item.get("closes"))
        if days and opens and closes:
            specs.append(OpeningHours(days=days, opens=opens[:5], closes=closes[:5]))
    if specs:
        return specs
    text = _str(doc.get("openingHours"))
    return text or []


def venue_from_ap(doc: Any) -> VenueData:
    """A venue from its ``Place`` (or from an announcing ``Page`` whose ``location`` embeds
    it). Raises ContentParseError without ``id``, ``name`` or the attributed actor."""
    doc = _require(doc, "Venue")
    outer: Mapping[str, Any] = {}
    if "Place" not in _type_names(doc) and isinstance(doc.get("location"), Mapping):
        outer, doc = doc, doc["location"]
    ident = _required_str(_str(doc.get("id")), "Venue", "id", doc)
    name = _required_str(_map_first(doc, "name") or _map_first(outer, "name"), "Venue", "name", doc)
    actor = _required_str(_actor(doc) or _actor(outer), "Venue", "attributedTo", doc)

    amenities = []
    for feature in as_list(doc.get("amenityFeature")):
        if isinstance(feature, str):
            amenities.append(_amenity_key(feature))
        elif isinstance(feature, Mapping) and _bool(feature.get("value"), True):
            label = _map_first(feature, "name")
            if label:
                amenities.append(_amenity_key(label))

    price: PriceData | None = None
    raw_price = doc.get("price")
    if raw_price is not None and not isinstance(raw_price, (bool, Mapping, list)):
        try:
            price = PriceData(
                amount=Decimal(str(raw_price)),
                currency=(_str(doc.get("priceCurrency")) or "CNY").upper(),
            )
        except InvalidOperation:
            price = None

    contained = doc.get("containedInPlace")
    if isinstance(contained, Mapping):
        part_of = safe_url(_str(contained.get("id"))) or _map_first(contained, "name")
    else:
        part_of = _str(contained)
        if part_of and _SCHEME_RE.match(part_of) and not safe_url(part_of):
            part_of = None  # a URL, but not one we would link to

    images = [img for img in (_image_from_ap(i) for i in as_list(doc.get("image"))) if img]
    if not images:
        images = _images(outer.get("attachment"))

    return VenueData(
        id=ident,
        url=_url(doc) or _url(outer) or safe_url(ident) or "",
        actor_id=actor,
        name=name.strip(),
        content_html=clean_html(
            _map_first(doc, "content") or _map_first(outer, "content"), outer.get("tag")
        ),
        address=_postal_address_from_ap(doc.get("address")),
        latitude=_number(doc.get("latitude")),
        longitude=_number(doc.get("longitude")),
        capacity=_int(doc.get("maximumAttendeeCapacity")),
        amenities=_dedupe(amenities),
        opening_hours=_opening_hours_from_ap(doc),
        bookable=_bool(doc.get("bookable"), False),
        contact=_str(doc.get("contact")),
        price=price,
        free=_bool(doc.get("isAccessibleForFree"), price is None),
        part_of=part_of,
        images=images,
        language=_language(doc) or _language(outer),
        published=_datetime(doc.get("published") or outer.get("published"), "published"),
        updated=_datetime(doc.get("updated") or outer.get("updated"), "updated"),
        public_access=_bool(doc.get("publicAccess"), True),
        tags=[t for t in _tags_from_ap(outer.get("tag")) if t not in ("场地", "venue")],
    )
