"""ActivityStreams vocabulary: tolerant getters for what arrives, builders for what we send.

Incoming JSON is whatever a peer chose to send: a property may be a string, an object with an
``id``, a list of either, or missing. The getters here (``get_id``, ``as_list``, ``first_str``)
absorb that once, so handlers never branch on shapes.

Builders return plain dicts ready for ``orjson.dumps``. They know nothing of Yinhu's database:
callers pass ids and values in.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

__all__ = [
    "ACTOR_TYPES",
    "AP_CONTENT_TYPE",
    "AS_CONTEXT",
    "CONTEXT",
    "PUBLIC",
    "PUBLIC_ALIASES",
    "SEC_CONTEXT",
    "YINHU_NS",
    "activity",
    "application_actor",
    "as_list",
    "first_str",
    "get_id",
    "group_actor",
    "has_as_context",
    "is_public",
    "isoformat",
    "note",
    "ordered_collection",
    "ordered_collection_page",
    "property_value",
    "public_key",
    "tombstone",
]

AS_CONTEXT = "https://www.w3.org/ns/activitystreams"
SEC_CONTEXT = "https://w3id.org/security/v1"
# A stable IRI for the terms Yinhu adds. It is a namespace, not a document anyone must fetch:
# the term definitions travel inline in CONTEXT, because many processors refuse to fetch custom
# context URLs and would otherwise reject the whole document.
YINHU_NS = "https://yinhu.social/ns#"
PUBLIC = "https://www.w3.org/ns/activitystreams#Public"
PUBLIC_ALIASES = frozenset({PUBLIC, "as:Public", "Public"})
AP_CONTENT_TYPE = "application/activity+json"
ACTOR_TYPES = frozenset({"Person", "Group", "Organization", "Service", "Application"})

CONTEXT: list[Any] = [
    AS_CONTEXT,
    SEC_CONTEXT,
    {
        "yinhu": YINHU_NS,
        "schema": "http://schema.org#",
        "toot": "http://joinmastodon.org/ns#",
        "manuallyApprovesFollowers": "as:manuallyApprovesFollowers",
        "discoverable": "toot:discoverable",
        "indexable": "toot:indexable",
        "PropertyValue": "schema:PropertyValue",
        "value": "schema:value",
        "communityKind": "yinhu:communityKind",
        # fedi/content/: events (FEP-8a8e names, which are also Mobilizon's), places and
        # venues (schema.org), listings (FEP-0837 / Valueflows) and Yinhu's own listing terms.
        "mz": "https://joinmobilizon.org/ns#",
        "ical": "http://www.w3.org/2002/12/cal/ical#",
        "vf": "https://w3id.org/valueflows/ont/vf#",
        "om2": "http://www.ontology-of-units-of-measure.org/resource/om-2/",
        "Hashtag": "as:Hashtag",
        "blurhash": "toot:blurhash",
        "timezone": "https://w3id.org/fep/8a8e/timezone",
        "category": "https://w3id.org/fep/8a8e/category",
        "joinMode": "https://w3id.org/fep/8a8e/joinMode",
        "externalParticipationUrl": "https://w3id.org/fep/8a8e/externalParticipationUrl",
        "isBannerImage": "https://w3id.org/fep/8a8e/isBannerImage",
        "eventStatus": {"@id": "https://w3id.org/fep/8a8e/eventStatus", "@type": "@vocab"},
        "EventScheduled": "https://w3id.org/fep/8a8e/EventScheduled",
        "EventCancelled": "https://w3id.org/fep/8a8e/EventCancelled",
        "EventPostponed": "https://w3id.org/fep/8a8e/EventPostponed",
        "EventTentative": "https://w3id.org/fep/8a8e/EventTentative",
        "EventRescheduled": "https://w3id.org/fep/8a8e/EventRescheduled",
        "EventMovedOnline": "https://w3id.org/fep/8a8e/EventMovedOnline",
        "status": "ical:status",
        "participantCount": "mz:participantCount",
        "remainingAttendeeCapacity": "mz:remainingAttendeeCapacity",
        "maximumAttendeeCapacity": "schema:maximumAttendeeCapacity",
        "inLanguage": "schema:inLanguage",
        "description": "schema:description",
        "keywords": "schema:keywords",
        "headline": "schema:headline",
        "VirtualLocation": "schema:VirtualLocation",
        "PostalAddress": "schema:PostalAddress",
        "address": "schema:address",
        "streetAddress": "schema:streetAddress",
        "addressLocality": "schema:addressLocality",
        "addressRegion": "schema:addressRegion",
        "postalCode": "schema:postalCode",
        "addressCountry": "schema:addressCountry",
        "amenityFeature": "schema:amenityFeature",
        "LocationFeatureSpecification": "schema:LocationFeatureSpecification",
        "openingHours": "schema:openingHours",
        "openingHoursSpecification": "schema:openingHoursSpecification",
        "OpeningHoursSpecification": "schema:OpeningHoursSpecification",
        "dayOfWeek": "schema:dayOfWeek",
        "opens": "schema:opens",
        "closes": "schema:closes",
        "isAccessibleForFree": "schema:isAccessibleForFree",
        "publicAccess": "schema:publicAccess",
        "containedInPlace": "schema:containedInPlace",
        "price": "schema:price",
        "priceCurrency": "schema:priceCurrency",
        "Intent": "vf:Intent",
        "Proposal": "vf:Proposal",
        "purpose": "vf:purpose",
        "publishes": "vf:publishes",
        "reciprocal": "vf:reciprocal",
        "action": "vf:action",
        "resourceConformsTo": {"@id": "vf:resourceConformsTo", "@type": "@id"},
        "resourceQuantity": "vf:resourceQuantity",
        "availableQuantity": "vf:availableQuantity",
        "unitBased": "vf:unitBased",
        "hasUnit": "om2:hasUnit",
        "hasNumericalValue": "om2:hasNumericalValue",
        "listingKind": "yinhu:listingKind",
        "priceMode": "yinhu:priceMode",
        "condition": "yinhu:condition",
        "listingStatus": "yinhu:listingStatus",
        "bookable": "yinhu:bookable",
        "contact": "yinhu:contact",
    },
]


def as_list(value: Any) -> list[Any]:
    """A property as a list: missing → [], scalar or object → [it], list → itself."""
    if value is None:
        return []
    if isinstance(value, list):
        return value
    return [value]


def get_id(value: Any) -> str | None:
    """The id of a property that may be a string, an object with ``id``, or a one-item list."""
    if isinstance(value, str):
        return value
    if isinstance(value, Mapping):
        inner = value.get("id")
        return inner if isinstance(inner, str) else None
    if isinstance(value, list) and value:
        return get_id(value[0])
    return None


def first_str(value: Any) -> str | None:
    """The first string of a property (or the first ``href``/``url`` of a Link-ish object)."""
    for item in as_list(value):
        if isinstance(item, str):
            return item
        if isinstance(item, Mapping):
            for key in ("href", "url", "id"):
                inner = item.get(key)
                if isinstance(inner, str):
                    return inner
    return None


def is_public(obj: Mapping[str, Any]) -> bool:
    """Whether ``to`` or ``cc`` names the Public collection in any of its spellings."""
    return any(
        isinstance(a, str) and a in PUBLIC_ALIASES
        for key in ("to", "cc")
        for a in as_list(obj.get(key))
    )


def has_as_context(doc: Mapping[str, Any]) -> bool:
    """Mastodon silently drops activities whose @context lacks the ActivityStreams URL."""
    return AS_CONTEXT in as_list(doc.get("@context"))


def isoformat(moment: datetime) -> str:
    """An xsd:dateTime in UTC with a ``Z``, second precision — what every peer parses."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def public_key(actor_id: str, pem: str) -> dict[str, str]:
    return {"id": f"{actor_id}#main-key", "owner": actor_id, "publicKeyPem": pem}


def property_value(name: str, value_html: str) -> dict[str, str]:
    return {"type": "PropertyValue", "name": name, "value": value_html}


def _actor_common(
    *,
    actor_id: str,
    type_: str,
    username: str,
    name: str,
    summary_html: str,
    url: str,
    public_key_pem: str,
    shared_inbox: str,
    published: datetime,
) -> dict[str, Any]:
    return {
        "@context": CONTEXT,
        "id": actor_id,
        "type": type_,
        "preferredUsername": username,
        "name": name,
        "summary": summary_html,
        "url": url,
        "inbox": f"{actor_id}/inbox",
        "outbox": f"{actor_id}/outbox",
        "followers": f"{actor_id}/followers",
        "following": f"{actor_id}/following",
        "endpoints": {"sharedInbox": shared_inbox},
        "publicKey": public_key(actor_id, public_key_pem),
        "published": isoformat(published),
    }


def group_actor(
    *,
    actor_id: str,
    username: str,
    webfinger: str,
    name: str,
    summary_html: str,
    url: str,
    public_key_pem: str,
    shared_inbox: str,
    published: datetime,
    manually_approves: bool,
    community_kind: str,
    fields: Sequence[tuple[str, str]] = (),
    icon_url: str | None = None,
) -> dict[str, Any]:
    """A community as a ``Group`` actor (Mastodon shows it with a Group badge)."""
    doc = _actor_common(
        actor_id=actor_id,
        type_="Group",
        username=username,
        name=name,
        summary_html=summary_html,
        url=url,
        public_key_pem=public_key_pem,
        shared_inbox=shared_inbox,
        published=published,
    )
    doc.update(
        {
            "webfinger": webfinger,
            "manuallyApprovesFollowers": manually_approves,
            "discoverable": True,
            "indexable": True,
            "communityKind": community_kind,
            "attachment": [property_value(n, v) for n, v in fields],
        }
    )
    if icon_url:
        doc["icon"] = {"type": "Image", "url": icon_url}
    return doc


def application_actor(
    *,
    actor_id: str,
    username: str,
    name: str,
    url: str,
    public_key_pem: str,
    shared_inbox: str,
    published: datetime,
) -> dict[str, Any]:
    """The instance actor (FEP-2677): signs fetches that no community makes."""
    doc = _actor_common(
        actor_id=actor_id,
        type_="Application",
        username=username,
        name=name,
        summary_html="",
        url=url,
        public_key_pem=public_key_pem,
        shared_inbox=shared_inbox,
        published=published,
    )
    doc["manuallyApprovesFollowers"] = True
    doc["discoverable"] = False
    return doc


def note(
    *,
    object_id: str,
    actor_id: str,
    content_html: str,
    language: str | None,
    url: str,
    published: datetime,
    updated: datetime | None = None,
    to: Iterable[str] = (PUBLIC,),
    cc: Iterable[str] = (),
    tags: Sequence[Mapping[str, Any]] = (),
    attachments: Sequence[Mapping[str, Any]] = (),
) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "id": object_id,
        "type": "Note",
        "attributedTo": actor_id,
        "content": content_html,
        "url": url,
        "published": isoformat(published),
        "to": list(to),
        "cc": list(cc),
    }
    if language:
        doc["contentMap"] = {language: content_html}
    if updated is not None:
        doc["updated"] = isoformat(updated)
    if tags:
        doc["tag"] = list(tags)
    if attachments:
        doc["attachment"] = list(attachments)
    return doc


def activity(
    type_: str,
    *,
    activity_id: str,
    actor_id: str,
    obj: Any,
    to: Iterable[str] = (),
    cc: Iterable[str] = (),
    published: datetime | None = None,
) -> dict[str, Any]:
    """Any activity with its own @context (receivers need it on the outermost document)."""
    doc: dict[str, Any] = {
        "@context": CONTEXT,
        "id": activity_id,
        "type": type_,
        "actor": actor_id,
        "object": obj,
    }
    to_list, cc_list = list(to), list(cc)
    if to_list:
        doc["to"] = to_list
    if cc_list:
        doc["cc"] = cc_list
    if published is not None:
        doc["published"] = isoformat(published)
    return doc


def ordered_collection(collection_id: str, total: int, first: str | None) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "@context": CONTEXT,
        "id": collection_id,
        "type": "OrderedCollection",
        "totalItems": total,
    }
    if first is not None:
        doc["first"] = first
    return doc


def ordered_collection_page(
    page_id: str, collection_id: str, items: Sequence[Any], next_id: str | None
) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "@context": CONTEXT,
        "id": page_id,
        "type": "OrderedCollectionPage",
        "partOf": collection_id,
        "orderedItems": list(items),
    }
    if next_id is not None:
        doc["next"] = next_id
    return doc


def tombstone(object_id: str, former_type: str, deleted: datetime) -> dict[str, Any]:
    return {
        "@context": CONTEXT,
        "id": object_id,
        "type": "Tombstone",
        "formerType": former_type,
        "deleted": isoformat(deleted),
    }
