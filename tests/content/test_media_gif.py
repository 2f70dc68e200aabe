"""Animated GIFs keep their frames, timing and loop through the re-encoding (in the image pool)."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from actors.publishing.media import MediaError, process_image


def _gif(frames: int, size: tuple[int, int] = (64, 48)) -> bytes:
    images = []
    for i in range(frames):  # palette images (no quantizing: quick to make), each unlike the last
        image = Image.new("P", size, i % 2)
        image.putpalette([0, 0, 0, 255, 200, 0] + [0] * 762)
        images.append(image)
    out = io.BytesIO()
    images[0].save(out, "GIF", save_all=True, append_images=images[1:], duration=120, loop=0)
    return out.getvalue()


def test_an_animated_gif_keeps_its_animation() -> None:
    payload, fmt, width, height = process_image(_gif(5))
    image = Image.open(io.BytesIO(payload))
    assert (fmt, width, height, image.n_frames) == ("GIF", 64, 48, 5)
    assert (image.info["duration"], image.info["loop"]) == (120, 0)


def test_a_still_gif_stays_one_frame() -> None:
    payload, fmt, *_ = process_image(_gif(1))
    assert (fmt, Image.open(io.BytesIO(payload)).n_frames) == ("GIF", 1)


def test_an_animation_too_large_over_all_frames_is_refused_with_a_reason() -> None:
    with pytest.raises(MediaError, match="animation too large: 60 frames of 2000×2000"):
        process_image(_gif(60, (2000, 2000)))
