"""Uploaded images: checked (type, size, dimensions), re-encoded, stored under the data directory.

Re-encoding with Pillow drops EXIF (phone photos carry GPS coordinates of people's homes) and
anything that is not pixels, so what we serve is only ever an image we made ourselves.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, ImageOps, UnidentifiedImageError
from sqlalchemy import insert, select

from actors.instance import Instance, new_token
from actors.models import media

__all__ = ["ALLOWED", "MAX_BYTES", "MAX_PIXELS", "MediaError", "StoredMedia", "get_media", "store_image"]

MAX_BYTES = 10 * 1024 * 1024
MAX_SIDE = 8000
MAX_PIXELS = 40_000_000  # decompression-bomb guard: a small file can claim a huge canvas
ALLOWED = {"JPEG": ("image/jpeg", "jpg"), "PNG": ("image/png", "png"), "WEBP": ("image/webp", "webp"), "GIF": ("image/gif", "gif")}
MAX_ALT = 1500


class MediaError(Exception):
    """The upload is not an acceptable image; the message says exactly why."""


@dataclass(frozen=True)
class StoredMedia:
    token: str
    url: str
    media_type: str
    width: int
    height: int
    alt: str


def _check(data: bytes) -> Image.Image:
    if len(data) > MAX_BYTES:
        raise MediaError(f"image too large: {len(data) / 1048576:.1f} MB, at most {MAX_BYTES // 1048576} MB")
    if not data:
        raise MediaError("empty file")
    try:
        probe = Image.open(io.BytesIO(data))
        fmt = probe.format
        width, height = probe.size
    except (UnidentifiedImageError, OSError, Image.DecompressionBombError) as exc:
        raise MediaError("not an image Yinhu accepts (JPEG, PNG, WebP or GIF)") from exc
    if fmt not in ALLOWED:
        raise MediaError(f"{fmt} images are not accepted; use JPEG, PNG, WebP or GIF")
    if width > MAX_SIDE or height > MAX_SIDE or width * height > MAX_PIXELS:
        raise MediaError(f"image is {width}×{height} pixels; at most {MAX_SIDE} on a side and {MAX_PIXELS // 1_000_000} megapixels")
    if width < 1 or height < 1:
        raise MediaError("image has no pixels")
    try:
        image = Image.open(io.BytesIO(data))
        image.load()
    except (OSError, Image.DecompressionBombError) as exc:
        raise MediaError(f"the image is damaged: {exc}") from exc
    return image


def _reencode(image: Image.Image, fmt: str) -> bytes:
    image = ImageOps.exif_transpose(image) or image  # honour the camera's rotation before EXIF goes
    out = io.BytesIO()
    if fmt == "JPEG":
        image.convert("RGB").save(out, "JPEG", quality=88, optimize=True)
    elif fmt == "GIF":
        image.save(out, "GIF", save_all=getattr(image, "is_animated", False))
    else:
        image.save(out, fmt)
    return out.getvalue()


async def store_image(inst: Instance, actor_id: int, data: bytes, alt: str = "") -> StoredMedia:
    if len(alt) > MAX_ALT:
        raise MediaError(f"alt text too long: at most {MAX_ALT} characters")
    image = _check(data)
    fmt = image.format or "PNG"
    media_type, ext = ALLOWED[fmt]
    payload = _reencode(image, fmt)
    token = new_token()
    rel = Path("media") / token[-2:] / f"{token}.{ext}"
    path = inst.settings.data_dir / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(payload)
    width, height = image.size
    async with inst.engine.begin() as conn:
        await conn.execute(
            insert(media).values(
                token=token, actor_id=actor_id, path=str(rel), media_type=media_type, width=width,
                height=height, size=len(payload), alt=alt.strip(), created_at=inst.clock(),
            )
        )
    return StoredMedia(token, f"{inst.base}/media/{token}.{ext}", media_type, width, height, alt.strip())


async def get_media(inst: Instance, token: str) -> tuple[Path, str] | None:
    async with inst.engine.connect() as conn:
        row = (await conn.execute(select(media.c.path, media.c.media_type).where(media.c.token == token))).first()
    if row is None:
        return None
    return inst.settings.data_dir / row.path, row.media_type
