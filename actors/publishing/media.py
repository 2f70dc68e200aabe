"""Uploaded images: checked (type, size, dimensions), re-encoded, stored under the data directory.

Re-encoding with Pillow drops EXIF (phone photos carry GPS coordinates of people's homes) and
anything that is not pixels, so what we serve is only ever an image we made ourselves.
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import multiprocessing
import os
import signal
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, ImageOps, UnidentifiedImageError
from sqlalchemy import insert, select

from actors.storage.instance import Instance, new_token
from actors.storage.models import media

__all__ = ["ALLOWED", "MAX_BYTES", "MAX_PIXELS", "MediaError", "StoredMedia", "close_pool", "get_media", "pool", "process_image",
           "store_image"]

MAX_BYTES = 10 * 1024 * 1024
MAX_SIDE = 8000
MAX_PIXELS = 40_000_000  # decompression-bomb guard: a small file can claim a huge canvas
ALLOWED = {"JPEG": ("image/jpeg", "jpg"), "PNG": ("image/png", "png"), "WEBP": ("image/webp", "webp"), "GIF": ("image/gif", "gif")}
MAX_ALT = 1500
MAX_ANIMATION_PIXELS = 200_000_000  # all frames of an animated GIF together
POOL_SIZE = 2  # image processes per web process: the CPU work of uploads never runs on the event loop


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
    out = io.BytesIO()
    if fmt == "GIF":
        # Every frame, with its timing and the loop count; GIFs carry no EXIF orientation.
        animated = getattr(image, "n_frames", 1) > 1
        options: dict[str, object] = {"save_all": animated}
        if animated:
            options["loop"] = image.info.get("loop", 0)
            options["disposal"] = 2
        image.save(out, "GIF", **options)
        return out.getvalue()
    image = ImageOps.exif_transpose(image) or image  # honour the camera's rotation before EXIF goes
    if fmt == "JPEG":
        image.convert("RGB").save(out, "JPEG", quality=88, optimize=True)
    else:
        image.save(out, fmt)
    return out.getvalue()


def process_image(data: bytes) -> tuple[bytes, str, int, int]:
    """Check and re-encode ``data``: (new bytes, format, width, height), or ``MediaError``.

    Pure CPU work with no shared state: it runs in the worker pool (``store_image``).
    """
    image = _check(data)
    fmt = image.format or "PNG"
    frames = getattr(image, "n_frames", 1)
    if frames > 1 and frames * image.size[0] * image.size[1] > MAX_ANIMATION_PIXELS:
        raise MediaError(
            f"animation too large: {frames} frames of {image.size[0]}×{image.size[1]}; at most "
            f"{MAX_ANIMATION_PIXELS // 1_000_000} megapixels over all frames"
        )
    width, height = image.size
    return _reencode(image, fmt), fmt, width, height


def _background() -> None:
    """Image processes yield the CPU to the web process: requests first, re-encoding after.
    They leave Ctrl-C to the server (which shuts the pool down), so a terminal's SIGINT to the
    whole process group prints no traceback from them."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    with contextlib.suppress(OSError):
        os.nice(10)


_pool: ProcessPoolExecutor | None = None
_pool_pid = 0


def pool() -> ProcessPoolExecutor:
    """The process's image pool: ``POOL_SIZE`` processes, made on first use.

    Processes, not threads: decoding and encoding hold the GIL for long stretches, and a
    40-megapixel PNG held it (and every request) for seconds. ``spawn``: the web process has
    threads (database drivers) that ``fork`` would copy mid-state.
    """
    global _pool, _pool_pid
    if _pool is None or _pool_pid != os.getpid():
        _pool = ProcessPoolExecutor(
            max_workers=POOL_SIZE, mp_context=multiprocessing.get_context("spawn"), initializer=_background
        )
        _pool_pid = os.getpid()
    return _pool


def close_pool() -> None:
    """Stop this process's image processes, if it started any (at the server's shutdown:
    uvicorn then ends the process by the signal it caught, which skips the executor's own exit
    handler and used to leave them running, orphaned)."""
    global _pool
    if _pool is not None and _pool_pid == os.getpid():
        _pool.shutdown(wait=True, cancel_futures=True)
    _pool = None


async def store_image(inst: Instance, actor_id: int, data: bytes, alt: str = "") -> StoredMedia:
    if len(alt) > MAX_ALT:
        raise MediaError(f"alt text too long: at most {MAX_ALT} characters")
    if len(data) > MAX_BYTES:  # refused before it costs a trip to the pool
        raise MediaError(f"image too large: {len(data) / 1048576:.1f} MB, at most {MAX_BYTES // 1048576} MB")
    try:
        payload, fmt, width, height = await asyncio.get_running_loop().run_in_executor(pool(), process_image, data)
    except BrokenProcessPool as exc:  # a worker died (out of memory?): a fresh pool next time
        global _pool
        _pool = None
        raise MediaError("the image could not be processed; try a smaller one") from exc
    media_type, ext = ALLOWED[fmt]
    token = new_token()
    rel = Path("media") / token[-2:] / f"{token}.{ext}"
    path = inst.settings.data_dir / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(payload)
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
