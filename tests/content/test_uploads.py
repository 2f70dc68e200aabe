"""Upload limits on the media API: size, type, dimensions; a good JPEG is served without EXIF."""

from __future__ import annotations

import io

from PIL import Image
from sqlalchemy import func, select

from actors.storage.models import media
from tests.content.helpers import Pair, image_bytes


async def _media_state(pair: Pair) -> tuple[int, list[str]]:
    async with pair.a.inst.engine.connect() as conn:
        rows = (await conn.execute(select(func.count()).select_from(media))).scalar_one()
    folder = pair.a.inst.settings.data_dir / "media"
    files = sorted(str(p) for p in folder.rglob("*") if p.is_file()) if folder.exists() else []
    return rows, files


async def _upload(pair: Pair, token: str, data: bytes, name: str = "photo.jpg", mime: str = "image/jpeg", alt: str = ""):  # type: ignore[no-untyped-def]
    return await pair.fed.client.post(
        pair.a.url("/api/v1/communities/club/media"), files={"file": (name, data, mime)}, data={"alt": alt},
        headers={"Authorization": f"Bearer {token}"},
    )


async def test_refused_uploads_store_nothing(pair: Pair) -> None:
    token = await pair.token()
    huge = image_bytes() + b"\0" * (30 * 1024 * 1024)
    resp = await _upload(pair, token, huge)
    assert resp.status_code in (413, 422), resp.text
    assert "MB" in resp.json()["error"]

    resp = await _upload(pair, token, b"%PDF-1.7 not an image at all", "doc.pdf", "application/pdf")
    assert resp.status_code == 422
    assert "not an image" in resp.json()["error"] and resp.json()["fields"]["file"]

    wide = image_bytes("PNG", (9000, 10))
    assert len(wide) < 1024 * 1024  # small file, too many pixels on a side
    resp = await _upload(pair, token, wide, "wide.png", "image/png")
    assert resp.status_code == 422
    assert "9000×10" in resp.json()["error"]

    resp = await pair.fed.client.post(pair.a.url("/api/v1/communities/club/media"), data={"alt": "no file"},
                                      headers={"Authorization": f"Bearer {token}"})
    assert resp.status_code == 422
    assert await _media_state(pair) == (0, [])


async def test_jpeg_is_stored_and_served_without_exif(pair: Pair) -> None:
    token = await pair.token()
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"  # Make
    exif[0x0110] = "Phone 12"  # Model
    exif[0x0131] = "SecretSoftware"  # Software
    original = image_bytes("JPEG", (120, 80), exif=exif.tobytes())
    assert Image.open(io.BytesIO(original)).getexif().get(0x010F) == "PhoneMaker"

    resp = await _upload(pair, token, original, alt="Our garden")
    assert resp.status_code == 201, resp.text
    doc = resp.json()
    assert (doc["media_type"], doc["width"], doc["height"], doc["alt"]) == ("image/jpeg", 120, 80, "Our garden")
    assert doc["url"].startswith("http://a.test/media/") and doc["url"].endswith(".jpg")
    rows, files = await _media_state(pair)
    assert rows == 1 and len(files) == 1

    served = await pair.fed.client.get(doc["url"])
    assert served.status_code == 200
    assert served.headers["content-type"] == "image/jpeg"
    image = Image.open(io.BytesIO(served.content))
    assert image.format == "JPEG" and image.size == (120, 80)
    assert dict(image.getexif()) == {}
    assert b"PhoneMaker" not in served.content and b"Exif" not in served.content

    # The token works in a publish body (the image then federates with its mediaType and alt).
    created = await pair.fed.client.post(
        pair.a.url("/api/v1/communities/club/objects"),
        json={"type": "note", "content": "Look", "images": [{"media": doc["media"], "alt": "Our garden"}]},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert created.status_code == 201, created.text
    note = (await pair.fed.client.get(created.json()["id"], headers={"Accept": "application/activity+json"})).json()
    assert note["attachment"] == [{"type": "Image", "mediaType": "image/jpeg", "url": doc["url"], "name": "Our garden"}]
