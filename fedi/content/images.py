"""Images and attachments: ``Image``/``Document`` out, and back from whatever a peer attaches."""

from __future__ import annotations

import mimetypes
from collections.abc import Mapping
from typing import Any

from ..vocab import as_list, first_str
from .data import ImageData
from .reading import _int
from .text import _str, _type_names, safe_url


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
