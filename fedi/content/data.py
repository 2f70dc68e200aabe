"""The typed data of events, listings and venues, their vocabularies, and the parse error."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

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
    contact: str | None = None  # phone, WeChat ID or e-mail, as its publisher wrote it (one line)


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
