"""Invalid content gets a precise error at every door (Python, JSON API, CLI) and stores nothing."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from actors.publishing.publishing import publish
from actors.publishing.validation import ContentError
from actors.social.accounts import create_account, create_token
from actors.social.local import create_community
from actors.storage.models import Role, activities, deliveries, media, objects
from actors.storage.settings import write_settings
from tests.content.helpers import Pair, event_body, image_bytes, listing_body, venue_body

REPO = Path(__file__).resolve().parents[2]


def _without(body: dict[str, Any], key: str) -> dict[str, Any]:
    return {k: v for k, v in body.items() if k != key}


# (case, body, the field the error names)
CASES: list[tuple[str, dict[str, Any], str]] = [
    ("end before start", event_body(end="2030-05-04T13:00"), "end"),
    ("unknown category", event_body(category="PARTYING"), "category"),
    ("price 0 on a listing", listing_body(price={"amount": "0", "currency": "CNY"}), "price"),
    ("condition on a skill", listing_body(kind="skill", condition="good"), "condition"),
    ("missing title", _without(event_body(), "title"), "title"),
    ("missing listing title", _without(listing_body(), "title"), "title"),
    ("unknown field", event_body(colour="red"), "colour"),
    ("bad timezone", event_body(timezone="Mars/Olympus_Mons"), "timezone"),
    ("latitude out of range", event_body(place={"name": "Hall", "latitude": 95, "longitude": 120}), "place.latitude"),
    ("longitude not a number", venue_body(longitude="east"), "longitude"),
    ("venue longitude out of range", venue_body(longitude=200), "longitude"),
    # Mastodon shows at most 4 media attachments (interop G6): a fifth image is refused, not lost.
    ("five images", listing_body(images=[{"media": f"m{i}", "alt": ""} for i in range(5)]), "images"),
]
IDS = [c[0] for c in CASES]


async def _counts(pair: Pair) -> dict[str, int]:
    async with pair.a.inst.engine.connect() as conn:
        return {
            t.name: (await conn.execute(select(func.count()).select_from(t))).scalar_one()
            for t in (objects, activities, deliveries, media)
        }


@pytest.mark.parametrize(("case", "body", "field"), CASES, ids=IDS)
async def test_python_door(pair: Pair, case: str, body: dict[str, Any], field: str) -> None:
    before = await _counts(pair)
    with pytest.raises(ContentError) as info:
        await publish(pair.a.inst, "club", json.loads(json.dumps(body)))
    assert field in info.value.errors, info.value.errors
    assert await _counts(pair) == before


@pytest.mark.parametrize(("case", "body", "field"), CASES, ids=IDS)
async def test_api_door(pair: Pair, case: str, body: dict[str, Any], field: str) -> None:
    token = await pair.token()
    before = await _counts(pair)
    resp = await pair.fed.client.post(pair.a.url("/api/v1/communities/club/objects"), json=body,
                                      headers={"Authorization": f"Bearer {token}"})
    assert resp.status_code == 422, resp.text
    doc = resp.json()
    assert field in doc["fields"], doc
    assert doc["fields"][field] and field in doc["error"]
    assert await _counts(pair) == before


async def test_api_auth(pair: Pair) -> None:
    url = pair.a.url("/api/v1/communities/club/objects")
    ok = event_body()
    before = await _counts(pair)
    assert (await pair.fed.client.post(url, json=ok)).status_code == 401
    assert (await pair.fed.client.post(url, json=ok, headers={"Authorization": "Bearer nope"})).status_code == 401
    assert (await pair.fed.client.post(url, json=ok, headers={"Authorization": "Basic eDp5"})).status_code == 401
    await create_community(pair.a.inst, "garden", name="Garden")
    await create_account(pair.a.inst, "gardener", "correct horse battery", community="garden", role=Role.OWNER)
    other = await create_token(pair.a.inst, "gardener")
    resp = await pair.fed.client.post(url, json=ok, headers={"Authorization": f"Bearer {other}"})
    assert resp.status_code == 403 and "error" in resp.json()
    upload = await pair.fed.client.post(pair.a.url("/api/v1/communities/club/media"),
                                        files={"file": ("a.jpg", image_bytes(), "image/jpeg")},
                                        headers={"Authorization": f"Bearer {other}"})
    assert upload.status_code == 403
    assert await _counts(pair) == before

    # The right token publishes, and another community's account may not change or delete it.
    mine = await pair.token()
    created = await pair.fed.client.post(url, json=ok, headers={"Authorization": f"Bearer {mine}"})
    assert created.status_code == 201, created.text
    token_part = created.json()["id"].rsplit("/", 1)[-1]
    change = pair.a.url(f"/api/v1/objects/{token_part}")
    assert (await pair.fed.client.delete(change, headers={"Authorization": f"Bearer {other}"})).status_code == 403
    assert (await pair.fed.client.delete(change)).status_code == 401
    put = await pair.fed.client.put(change, json=event_body(end="2030-05-04T10:00"),
                                    headers={"Authorization": f"Bearer {mine}"})
    assert put.status_code == 422 and "end" in put.json()["fields"]


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in __import__("os").environ.items() if not k.startswith("YINHU_")}
    return subprocess.run([sys.executable, "-m", "web.cli", *args], check=False, cwd=REPO, env=env, capture_output=True,
                          text=True, encoding="utf-8", timeout=120, stdin=subprocess.DEVNULL)


async def test_cli_door(pair: Pair, tmp_path: Path) -> None:
    data = pair.a.inst.settings.data_dir
    write_settings(pair.a.inst.settings)  # the CLI works on A's own database and data directory
    bodies = tmp_path / "bodies"
    bodies.mkdir()
    (bodies / "cover.jpg").write_bytes(image_bytes())
    cases = [*CASES, ("with an image file", event_body(end="2030-05-04T12:00", image={"file": "cover.jpg", "alt": "x"}), "end")]
    before = await _counts(pair)
    for i, (case, body, field) in enumerate(cases):
        path = bodies / f"bad{i}.json"
        path.write_text(json.dumps(body, ensure_ascii=False), encoding="utf-8")
        proc = _cli("publish", "club", str(path), "--data", str(data))
        assert proc.returncode != 0, (case, proc.stdout)
        lines = proc.stderr.strip().splitlines()
        assert len(lines) == 1, (case, proc.stderr)
        assert lines[0].startswith("yinhu: error:") and field in lines[0], (case, lines[0])
    assert await _counts(pair) == before
    assert not (data / "media").exists() or not any(p.is_file() for p in (data / "media").rglob("*"))

    good = bodies / "good.json"
    good.write_text(json.dumps(event_body(image={"file": "cover.jpg", "alt": "A bike"})), encoding="utf-8")
    proc = _cli("publish", "club", str(good), "--data", str(data))
    assert proc.returncode == 0, proc.stderr
    url = proc.stdout.strip().splitlines()[-1]
    assert url.startswith("http://a.test/o/")
    after = await _counts(pair)
    assert (after["objects"], after["media"]) == (before["objects"] + 1, before["media"] + 1)
