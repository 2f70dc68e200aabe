"""Events, listings and venues on the wire: typed dataclasses in, ActivityStreams dicts out, and back.

Pure protocol code. Builders take already-validated data (the three authoring doors validate) and
return plain dicts; parsers take whatever a peer sent and return the same dataclasses, tolerant
of the shapes Mobilizon and Gancio use, raising :class:`ContentParseError` only when a field we
cannot do without is missing.

One module per kind, each with both directions (``*_to_ap`` out, ``*_from_ap`` in):
:mod:`.events`, :mod:`.listings`, :mod:`.venues`; :mod:`.posts` reads a resident's plain post as a
listing (imported as ``fedi.content.posts``, not re-exported: it loads rjieba, which takes a
noticeable part of a second and nothing else here needs); and the pieces they share: :mod:`.data` (the
dataclasses and vocabularies), :mod:`.text` (URLs, HTML, hashtags), :mod:`.reading` (tolerant
property readers), :mod:`.places`, :mod:`.images`, :mod:`.hours` (dates, zones, opening hours)
and :mod:`.prices`. Wire choices: ../shared/docs/anchors.md §4 and mastodon-interop.md G4–G9.

What comes from a peer is parsed here once and hostile values are dropped, not escaped:
every URL passes :func:`safe_url` (http(s) only) and every HTML body :func:`clean_html`.
Text we put in ``summary``/``content`` is HTML-escaped.

Every non-ActivityStreams term emitted here is defined in the inline object of
:data:`fedi.vocab.CONTEXT`.

This package re-exports the public API; ``from fedi.content import X`` is the way in.
"""

from .data import (
    AMENITIES,
    CATEGORIES,
    DAYS_OF_WEEK,
    DEFAULT_TIMEZONE,
    EVENT_STATUSES,
    JOIN_MODES,
    LISTING_KINDS,
    LISTING_PURPOSES,
    LISTING_STATUSES,
    PRICE_MODES,
    ContentParseError,
    EventData,
    ImageData,
    ListingData,
    OpeningHours,
    PlaceData,
    PostalAddressData,
    PriceData,
    TagHref,
    VenueData,
)
from .events import (
    event_from_ap,
    event_summary_line,
    event_to_ap,
)
from .hours import (
    hours_from_text,
    hours_lines,
    zone_from_offset,
)
from .listings import (
    automatic_hashtags,
    listing_content_html,
    listing_from_ap,
    listing_hashtags,
    listing_own_tags,
    listing_to_ap,
)
from .places import (
    address_text,
    place_from_ap,
    place_to_ap,
)
from .prices import (
    currency_uri,
)
from .reading import (
    object_url,
)
from .text import (
    clean_html,
    hashtags_from_ap,
    safe_url,
    tag_path,
)
from .venues import (
    venue_announcement_page,
    venue_from_ap,
    venue_summary_line,
    venue_to_ap,
)

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
    "hours_from_text",
    "hours_lines",
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
