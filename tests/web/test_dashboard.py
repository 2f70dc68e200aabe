"""The organisers' web door: login, CSRF, the three kinds through the forms, inline errors,
upload limits, edit, delete, authorization and English."""

from __future__ import annotations

import io
import json
import re
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
from PIL import Image
from sqlalchemy import func, select

from actors.storage.models import activities, media, objects
from tests.web.conftest import PASSWORD, Site

EVENT = {
    "title": "周末换书会", "content": "带一本书来 #读书", "start": "2030-06-01T14:00", "end": "2030-06-01T17:00",
    "timezone": "Asia/Shanghai", "place_name": "银湖图书角", "place_address": "银湖路 1 号",
    "place_latitude": "22.54", "place_longitude": "114.06", "online_url": "", "category": "BOOK_CLUBS",
    "tags": "读书, 交换", "capacity": "30", "join_mode": "free", "external_url": "", "status": "scheduled",
    "language": "zh",
}
LISTING = {
    "kind": "goods", "purpose": "offer", "title": "九成新自行车", "content": "骑了一年", "price_mode": "amount",
    "price_amount": "120", "currency": "CNY", "condition": "like_new", "area": "银湖花园", "status": "available",
    "expires": "", "tags": "自行车", "language": "zh",
}
VENUE = {
    "name": "社区活动室", "content": "二楼，可容纳四十人", "address": "银湖路 3 号 2 楼", "latitude": "22.5",
    "longitude": "114.1", "capacity": "40", "amenities": ["projector", "wifi"], "opening_hours": "Mo-Fr 09:00-21:00",
    "bookable": "on", "contact": "物业前台", "price_mode": "free", "price_amount": "", "currency": "CNY",
    "part_of": "银湖花园", "tags": "", "language": "zh",
}


def png(width: int = 32, height: int = 20) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), (200, 80, 40)).save(out, "PNG")
    return out.getvalue()


def field_block(html: str, name: str) -> str:
    """The ``<div class="field ...">`` (or image slot) that holds the input called ``name``."""
    for chunk in re.split(r'(?=<div class="(?:field|slot)[ "])', html):
        if f'name="{name}"' in chunk:
            return chunk
    raise AssertionError(f"no field {name!r} in the page")


async def count(site: Site, table: Any, *where: Any) -> int:
    async with site.node.inst.engine.connect() as conn:
        return int((await conn.execute(select(func.count()).select_from(table).where(*where))).scalar_one())


async def local_objects(site: Site) -> list[Any]:
    async with site.node.inst.engine.connect() as conn:
        return list(await conn.execute(select(objects).where(objects.c.local.is_(True)).order_by(objects.c.id)))


async def post_form(site: Site, path: str, data: dict[str, Any], files: Any = None, csrf: bool = True) -> httpx.Response:
    body = dict(data)
    if csrf:
        body["csrf"] = await site.csrf(path)
    return await site.client.post(path, data=body, files=files)


async def test_login_success_failure_and_logout(site: Site) -> None:
    resp = await site.client.get("/dashboard/garden")
    assert resp.status_code == 303 and resp.headers["location"] == "/login?next=%2Fdashboard%2Fgarden"

    page = await site.client.get("/login?next=/dashboard/garden")
    assert page.status_code == 200 and 'type="password"' in page.text
    cookie = page.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=lax" in cookie and "secure" not in cookie  # http://a.test

    wrong = await site.login("lin", "not the password")
    assert wrong.status_code == 401 and "账号或密码不正确" in wrong.text
    assert (await site.client.get("/dashboard")).status_code == 303

    token = await site.csrf("/login")
    ok = await site.client.post(
        "/login", data={"name": "lin", "password": PASSWORD, "csrf": token, "next": "/dashboard/garden"}
    )
    assert ok.status_code == 303 and ok.headers["location"] == "/dashboard/garden"
    dash = await site.client.get("/dashboard")
    assert dash.status_code == 200 and "花园" in dash.text and "Chess club" not in dash.text

    # Logging out needs the CSRF token too; afterwards the dashboard asks for a login again.
    assert (await site.client.post("/logout", data={})).status_code == 403
    assert (await site.client.get("/dashboard")).status_code == 200
    out = await site.client.post("/logout", data={"csrf": await site.csrf("/dashboard")})
    assert out.status_code == 303
    assert (await site.client.get("/dashboard")).status_code == 303


async def test_login_refuses_offsite_next_and_rate_limits(site: Site) -> None:
    token = await site.csrf("/login")
    resp = await site.client.post(
        "/login", data={"name": "lin", "password": PASSWORD, "csrf": token, "next": "//evil.example/"}
    )
    assert resp.headers["location"] == "/dashboard"
    await site.client.post("/logout", data={"csrf": await site.csrf("/dashboard")})

    for _ in range(3):
        assert (await site.login("mod", "wrong password")).status_code == 401
    blocked = await site.login("mod")  # even the right password, from this address, for a while
    assert blocked.status_code == 429 and blocked.headers["retry-after"] == "2" and "2 秒" in blocked.text
    assert (await site.login("lin")).status_code == 303  # another account is not affected


async def test_login_without_csrf_is_refused(site: Site) -> None:
    resp = await site.client.post("/login", data={"name": "lin", "password": PASSWORD})
    assert resp.status_code == 403 and "CSRF" in resp.text
    assert (await site.client.get("/dashboard")).status_code == 303


async def test_form_post_without_or_with_wrong_csrf_is_403_and_stores_nothing(site: Site) -> None:
    await site.login("lin")
    missing = await post_form(site, "/dashboard/garden/new/event", EVENT, csrf=False)
    assert missing.status_code == 403 and "CSRF" in missing.text and "未做任何更改" in missing.text
    wrong = await site.client.post("/dashboard/garden/new/event", data={**EVENT, "csrf": "x" * 43})
    assert wrong.status_code == 403
    assert await local_objects(site) == []
    assert await count(site, activities, activities.c.type == "Create") == 0


async def test_event_through_the_form_with_an_image(site: Site) -> None:
    await site.login("lin")
    resp = await post_form(
        site, "/dashboard/garden/new/event", {**EVENT, "image_alt": "一摞书"},
        files={"image": ("cover.png", png(), "image/png")},
    )
    assert resp.status_code == 303 and resp.headers["location"].startswith("/dashboard/garden?ok=published&item=")
    [row] = await local_objects(site)
    assert (row.kind, row.type, row.name) == ("event", "Event", "周末换书会")
    assert row.source == "带一本书来 #读书"
    assert row.start_time.isoformat() == "2030-06-01T06:00:00+00:00"  # 14:00 in Shanghai
    assert row.end_time.isoformat() == "2030-06-01T09:00:00+00:00"
    assert (row.timezone, row.category, row.capacity, row.join_mode, row.status) == (
        "Asia/Shanghai", "BOOK_CLUBS", 30, "free", "scheduled"
    )
    assert (row.place_name, row.address, row.latitude, row.longitude) == ("银湖图书角", "银湖路 1 号", 22.54, 114.06)
    assert row.tags == "读书 交换"
    [image] = [a for a in json.loads(row.raw)["attachment"] if a["type"] == "Image"]
    assert image["mediaType"] == "image/png" and image["name"] == "一摞书" and image["isBannerImage"]
    assert await count(site, media) == 1
    assert await count(site, activities, activities.c.type == "Create", activities.c.object_uri == row.uri) == 1
    listing_page = await site.client.get(resp.headers["location"])
    assert "已发布" in listing_page.text and "周末换书会" in listing_page.text


async def test_listing_through_the_form(site: Site) -> None:
    await site.login("lin")
    resp = await post_form(
        site, "/dashboard/garden/new/listing", {**LISTING, "image1_alt": "车", "image2_alt": "车把"},
        files=[("image1", ("a.png", png(), "image/png")), ("image2", ("b.png", png(40, 40), "image/png"))],
    )
    assert resp.status_code == 303, resp.text
    [row] = await local_objects(site)
    assert (row.kind, row.name, row.listing_kind, row.purpose) == ("listing", "九成新自行车", "goods", "offer")
    assert (row.price_mode, row.price_amount, row.currency, row.condition) == ("amount", Decimal("120.00"), "CNY", "like_new")
    # Only the author's own tags: the automatic 二手 闲置 are sent to Mastodon readers, not kept as the item's.
    assert (row.place_name, row.status, row.tags) == ("银湖花园", "available", "自行车")
    assert {t["name"] for t in json.loads(row.raw)["tag"]} >= {"#二手", "#闲置", "#自行车"}
    assert json.loads(row.raw)["keywords"] == ["自行车"]
    assert [a["name"] for a in json.loads(row.raw)["attachment"] if a.get("type") == "Image"] == ["车", "车把"]
    assert await count(site, activities, activities.c.type == "Create", activities.c.object_uri == row.uri) == 1


async def test_venue_through_the_form(site: Site) -> None:
    await site.login("lin")
    resp = await post_form(site, "/dashboard/garden/new/venue", VENUE)
    assert resp.status_code == 303, resp.text
    [row] = await local_objects(site)
    assert (row.kind, row.type, row.name, row.address) == ("venue", "Place", "社区活动室", "银湖路 3 号 2 楼")
    assert (row.latitude, row.longitude, row.capacity, row.amenities) == (22.5, 114.1, 40, "projector wifi")
    assert (row.price_mode, row.place_name) == ("free", "银湖花园")
    assert await count(site, activities, activities.c.type == "Create") == 1


async def test_note_through_the_form(site: Site) -> None:
    await site.login("lin")
    resp = await post_form(site, "/dashboard/garden/new/note", {"content": "今晚停水 #通知", "language": "zh"})
    assert resp.status_code == 303
    [row] = await local_objects(site)
    assert (row.kind, row.source, row.tags) == ("note", "今晚停水 #通知", "通知")


async def test_validation_errors_rerender_inline_and_store_nothing(site: Site) -> None:
    await site.login("lin")
    bad_event = {**EVENT, "title": "", "end": "2030-06-01T13:00"}
    resp = await post_form(site, "/dashboard/garden/new/event", bad_event,
                           files={"image": ("cover.png", png(), "image/png")})
    assert resp.status_code == 422
    assert "请修正标出的字段" in resp.text
    assert "结束时间应晚于开始时间" in field_block(resp.text, "end")
    assert "必填" in field_block(resp.text, "title")
    assert 'value="银湖图书角"' in field_block(resp.text, "place_name")  # what was typed is kept
    assert 'value="BOOK_CLUBS" selected' in field_block(resp.text, "category")

    bad_listing = {**LISTING, "price_amount": "0"}
    resp = await post_form(site, "/dashboard/garden/new/listing", bad_listing)
    assert resp.status_code == 422
    assert "金额为 0 不是价格" in field_block(resp.text, "price_amount")

    venue = {**VENUE, "latitude": "95"}
    resp = await post_form(site, "/dashboard/garden/new/venue", venue)
    assert resp.status_code == 422 and "应在 -90 到 90 之间" in field_block(resp.text, "latitude")
    assert 'value="projector" checked' in field_block(resp.text, "amenities")

    assert await local_objects(site) == []
    assert await count(site, media) == 0  # the valid image was not stored for invalid content
    assert await count(site, activities) == 0


async def test_oversized_and_non_image_files_are_refused_at_the_field(site: Site) -> None:
    await site.login("lin")
    big = png()[:64] + b"\0" * (10 * 1024 * 1024 + 1)
    resp = await post_form(site, "/dashboard/garden/new/event", EVENT, files={"image": ("big.png", big, "image/png")})
    assert resp.status_code == 422
    assert "image too large" in field_block(resp.text, "image") and "请修正标出的字段" in resp.text

    resp = await post_form(site, "/dashboard/garden/new/listing", LISTING,
                           files={"image1": ("notes.txt", b"just some text", "text/plain")})
    assert resp.status_code == 422
    assert "not an image Yinhu accepts" in field_block(resp.text, "image1")

    # A body larger than the form's images could be is refused before it is read.
    huge = b"\0" * (13 * 1024 * 1024)
    resp = await post_form(site, "/dashboard/garden/new/event", EVENT, files={"image": ("huge.png", huge, "image/png")})
    assert resp.status_code == 413 and "MB" in resp.text

    assert await local_objects(site) == []
    assert await count(site, media) == 0
    media_dir = Path(site.node.inst.settings.data_dir) / "media"
    assert not media_dir.exists() or not any(p.is_file() for p in media_dir.rglob("*"))


async def test_edit_changes_the_object_and_queues_an_update(site: Site) -> None:
    await site.login("lin")
    await post_form(site, "/dashboard/garden/new/event", {**EVENT, "image_alt": "封面"},
                    files={"image": ("cover.png", png(), "image/png")})
    [row] = await local_objects(site)
    token = row.uri.rsplit("/", 1)[-1]
    form = await site.client.get(f"/dashboard/garden/edit/{token}")
    assert form.status_code == 200
    assert 'value="周末换书会"' in field_block(form.text, "title")
    assert 'value="2030-06-01T14:00"' in field_block(form.text, "start")  # back in the event's own zone
    assert "带一本书来 #读书" in field_block(form.text, "content")
    assert 'value="BOOK_CLUBS" selected' in field_block(form.text, "category")
    assert 'name="keep"' in form.text

    media_token = re.search(r'name="keep" value="([^"]+)"', form.text).group(1)  # type: ignore[union-attr]
    changed = {**EVENT, "title": "周末换书会（改期）", "start": "2030-06-08T14:00", "end": "2030-06-08T17:00",
               "status": "postponed", "keep": media_token, f"keep_alt_{media_token}": "封面"}
    resp = await post_form(site, f"/dashboard/garden/edit/{token}", changed)
    assert resp.status_code == 303 and resp.headers["location"].startswith("/dashboard/garden?ok=updated&item=")
    [after] = await local_objects(site)
    assert after.uri == row.uri and after.name == "周末换书会（改期）" and after.status == "postponed"
    assert after.start_time.isoformat() == "2030-06-08T06:00:00+00:00"
    assert after.updated is not None
    assert [a["name"] for a in json.loads(after.raw)["attachment"] if a["type"] == "Image"] == ["封面"]  # kept
    assert await count(site, activities, activities.c.type == "Update", activities.c.object_uri == row.uri) == 1

    invalid = await post_form(site, f"/dashboard/garden/edit/{token}", {**changed, "title": ""})
    assert invalid.status_code == 422 and "必填" in field_block(invalid.text, "title")
    assert await count(site, activities, activities.c.type == "Update") == 1


async def test_edit_listing_and_venue_prefill(site: Site) -> None:
    await site.login("lin")
    await post_form(site, "/dashboard/garden/new/listing", LISTING)
    await post_form(site, "/dashboard/garden/new/venue", VENUE)
    listing, venue = await local_objects(site)
    page = await site.client.get(f"/dashboard/garden/edit/{listing.uri.rsplit('/', 1)[-1]}")
    assert 'value="120.00"' in field_block(page.text, "price_amount")
    assert 'value="like_new" selected' in field_block(page.text, "condition")
    page = await site.client.get(f"/dashboard/garden/edit/{venue.uri.rsplit('/', 1)[-1]}")
    assert 'value="wifi" checked' in field_block(page.text, "amenities")
    assert 'value="物业前台"' in field_block(page.text, "contact")
    assert "checked" in field_block(page.text, "bookable")
    # Saving the prefilled venue unchanged is accepted: what the form shows is what it takes.
    resp = await post_form(site, f"/dashboard/garden/edit/{venue.uri.rsplit('/', 1)[-1]}", VENUE)
    assert resp.status_code == 303


async def test_delete_asks_for_confirmation_then_the_url_answers_410(site: Site) -> None:
    await site.login("lin")
    await post_form(site, "/dashboard/garden/new/venue", VENUE)
    [row] = await local_objects(site)
    token = row.uri.rsplit("/", 1)[-1]
    path = f"/dashboard/garden/delete/{token}"

    assert (await site.client.post(path, data={"confirm": "yes"})).status_code == 403  # no CSRF token
    ask = await post_form(site, path, {})  # the list's delete button: a confirmation page
    assert ask.status_code == 200 and "确认删除" in ask.text and 'name="confirm" value="yes"' in ask.text
    assert (await local_objects(site))[0].deleted_at is None

    done = await post_form(site, path, {"confirm": "yes"})
    assert done.status_code == 303 and done.headers["location"] == "/dashboard/garden?ok=deleted"
    gone = await site.client.get(row.uri, headers={"Accept": "application/activity+json"})
    assert gone.status_code == 410
    assert await count(site, activities, activities.c.type == "Delete") == 1
    assert (await site.client.get(f"/dashboard/garden/edit/{token}")).status_code == 404


async def test_a_moderator_of_another_community_gets_403(site: Site) -> None:
    await site.login("lin")
    await post_form(site, "/dashboard/garden/new/note", {"content": "花园的消息"})
    [row] = await local_objects(site)
    token = row.uri.rsplit("/", 1)[-1]
    await site.client.post("/logout", data={"csrf": await site.csrf("/dashboard")})

    await site.login("mod")
    assert (await site.client.get("/dashboard/chess")).status_code == 200
    for path in ("/dashboard/garden", "/dashboard/garden/new/event", f"/dashboard/garden/edit/{token}"):
        assert (await site.client.get(path)).status_code == 403, path
    csrf = await site.csrf("/dashboard/chess")
    resp = await site.client.post("/dashboard/garden/new/note", data={"content": "闯入", "csrf": csrf})
    assert resp.status_code == 403
    resp = await site.client.post(f"/dashboard/garden/delete/{token}", data={"confirm": "yes", "csrf": csrf})
    assert resp.status_code == 403
    # Nor through its own community's URLs: the object belongs to garden.
    assert (await site.client.get(f"/dashboard/chess/edit/{token}")).status_code == 404
    [after] = await local_objects(site)
    assert after.deleted_at is None and after.source == "花园的消息"


async def test_english_labels(site: Site) -> None:
    await site.login("lin")
    page = await site.client.get("/dashboard/garden/new/event?lang=en")
    assert page.status_code == 200 and '<html lang="en">' in page.text
    assert "Title" in field_block(page.text, "title") and "标题" not in page.text
    assert "Book clubs" in page.text and "Organiser approves" in page.text
    venue = await site.client.get("/dashboard/garden/new/venue")  # the lang cookie carries on
    assert "Projector" in venue.text and "Amount per hour" in venue.text
    resp = await post_form(site, "/dashboard/garden/new/listing", {**LISTING, "title": ""})
    assert "Please correct the marked fields" in resp.text and "required" in field_block(resp.text, "title")
    zh = await site.client.get("/dashboard/garden/new/venue?lang=zh-CN")
    assert "投影仪" in zh.text and "每小时金额" in zh.text


def test_catalogs_have_the_same_keys() -> None:
    locales = Path(__file__).resolve().parents[2] / "web" / "locales"
    zh = json.loads((locales / "zh-CN.json").read_text(encoding="utf-8"))
    en = json.loads((locales / "en.json").read_text(encoding="utf-8"))
    assert set(zh) == set(en)
    assert all(en.values()) and all(zh.values())
