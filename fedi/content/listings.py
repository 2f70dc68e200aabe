"""Listings both ways.

A **listing** is a ``Note`` (every reader shows a Note's ``content`` in full): ``content``
repeats title, price, condition, area, status, the contact, a link and linked hashtags; the
bare description travels in ``description`` (schema.org) so a Yinhu peer recovers it exactly.
FEP-0837 ``purpose``, ``publishes`` and ``reciprocal`` carry the structured offer; a contact
(phone, WeChat ID, e-mail) travels as Yinhu's ``contact``, the term venues use. A
listing has neither ``summary`` nor ``name`` (each becomes a content warning somewhere:
GoToSocial uses ``name`` when there is no summary); its title travels as ``headline``.
Expiry is AS ``endTime`` (a core Object property every processor already knows; ``expires``
would need a new term and nobody reads it).
"""

from __future__ import annotations

import html
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from ..vocab import CONTEXT, PUBLIC, as_list, get_id, isoformat
from .data import (
    DEFAULT_TIMEZONE,
    LISTING_KINDS,
    LISTING_PURPOSES,
    LISTING_STATUSES,
    PRICE_MODES,
    ListingData,
    PlaceData,
    PriceData,
    TagHref,
)
from .hours import _MONTHS_EN, _zone
from .images import _image_doc, _images
from .places import _address_text, _place_text, place_from_ap, place_to_ap
from .prices import _currency_from_uri, _price_text, currency_uri
from .reading import _actor, _datetime, _language, _map_first, _require, _required_str, _url
from .text import (
    _dedupe,
    _hashtag,
    _hashtag_html,
    _is_zh,
    _one_line,
    _str,
    _tags_from_ap,
    _with_language_and_dates,
    clean_html,
    safe_url,
)

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


# A goods listing's condition in the text readers see (the code itself travels as "condition").
CONDITION_LABELS = {
    "new": ("全新", "New"), "like_new": ("几乎全新", "Like new"), "good": ("成色良好", "Good condition"),
    "fair": ("成色一般", "Fair condition"), "worn": ("有磨损", "Worn"),
}


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
        labels = CONDITION_LABELS.get(listing.condition)
        parts.append(labels[0 if zh else 1] if labels else listing.condition)
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
    if listing.contact:
        paragraphs.append(f"<p>{'联系：' if zh else 'Contact: '}{html.escape(listing.contact)}</p>")
    if listing.content_html:
        paragraphs.append(listing.content_html)
    if listing.url:
        href = html.escape(listing.url, quote=True)
        paragraphs.append(f'<p><a href="{href}">{html.escape(listing.url)}</a></p>')
    tags = listing_hashtags(listing)
    if tags:
        paragraphs.append("<p>" + " ".join(_hashtag_html(t, tag_href) for t in tags) + "</p>")
    return "".join(paragraphs)


def _publishes(listing: ListingData) -> dict[str, Any]:
    """FEP-0837: what the listing offers (or asks for)."""
    return {
        "type": "Intent",
        "id": f"{listing.id}#primary",
        "action": "transfer" if listing.kind == "goods" else "deliverService",
        "resourceQuantity": {"hasUnit": "one", "hasNumericalValue": "1"},
    }


def _reciprocal(listing_id: str, price: PriceData) -> dict[str, Any]:
    """FEP-0837: what is asked in return, a sum of money."""
    return {
        "type": "Intent",
        "id": f"{listing_id}#reciprocal",
        "action": "transfer",
        "resourceConformsTo": currency_uri(price.currency),
        "resourceQuantity": {
            "hasUnit": "one",
            "hasNumericalValue": format(price.amount, "f"),
        },
    }


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
        "publishes": _publishes(listing),
        "listingKind": listing.kind,
        "priceMode": listing.price_mode,
        "listingStatus": listing.status,
    }
    if listing.price_mode == "amount" and listing.price is not None:
        doc["reciprocal"] = _reciprocal(listing.id, listing.price)
    if listing.condition:
        doc["condition"] = listing.condition
    if listing.contact:
        doc["contact"] = listing.contact
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
    return _with_language_and_dates(
        doc, listing.language, listing.published, listing.updated, name=None, content=content
    )


def _is_listing(doc: Mapping[str, Any]) -> bool:
    if "listingKind" in doc:
        return True
    purpose = _str(doc.get("purpose"))
    return purpose in LISTING_PURPOSES or isinstance(doc.get("publishes"), Mapping)


def _price_from_ap(doc: Mapping[str, Any], purpose: str) -> tuple[PriceData | None, str]:
    """The price (from FEP-0837 ``reciprocal``) and the price mode."""
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
    return price, price_mode


MAX_CONTACT = 100  # as actors.publishing.validation.MAX_CONTACT


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

    price, price_mode = _price_from_ap(doc, purpose)
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
        contact=_one_line(doc.get("contact"), MAX_CONTACT),
    )
