"""Bad ids, unknown names and wrong methods answer 4xx with a reason, never 500 (issue 12)."""

from __future__ import annotations

import pytest

from actors.social.accounts import create_account, create_token
from tests.web.conftest import Site


@pytest.fixture
async def admin(site: Site) -> dict[str, str]:
    await create_account(site.node.inst, "root", None, is_admin=True)
    return {"Authorization": f"Bearer {await create_token(site.node.inst, 'root')}"}


@pytest.mark.parametrize("path", [
    "/items/99999999999999999999", "/items/9223372036854775808", "/items/9223372036854775807",
    "/items/99999999999999999999.ics", "/communities/99999999999999999999999", "/communities/0",
])
async def test_ids_beyond_the_database_range_are_404(site: Site, path: str) -> None:
    resp = await site.client.get(path)
    assert resp.status_code == 404 and ("没有" in resp.text or "no " in resp.text.lower()), resp.text


async def test_unknown_community_is_404_for_publish_and_upload(site: Site, admin: dict[str, str]) -> None:
    resp = await site.client.post("/api/v1/communities/nope/media", headers=admin,
                                  files={"file": ("a.png", b"x", "image/png")})
    assert resp.status_code == 404 and resp.json()["error"] == "no community 'nope' on this instance"
    resp = await site.client.post("/api/v1/communities/nope/objects", headers=admin,
                                  json={"type": "note", "content": "hi"})
    assert resp.status_code == 404 and "nope" in resp.json()["error"]


async def test_delete_twice_is_410(site: Site, admin: dict[str, str]) -> None:
    made = await site.client.post("/api/v1/communities/garden/objects", headers=admin,
                                  json={"type": "note", "content": "hi"})
    assert made.status_code == 201
    token = made.json()["token"]
    assert made.json()["id"].endswith("/o/" + token)
    assert (await site.client.delete(f"/api/v1/objects/{token}", headers=admin)).status_code == 200
    again = await site.client.delete(f"/api/v1/objects/{token}", headers=admin)
    assert again.status_code == 410 and "was deleted" in again.json()["error"]
    put = await site.client.put(f"/api/v1/objects/{token}", headers=admin, json={"type": "note", "content": "x"})
    assert put.status_code == 410
    assert (await site.client.delete("/api/v1/objects/never", headers=admin)).status_code == 404


@pytest.mark.parametrize(("method", "path", "allow"), [
    ("PATCH", "/api/v1/me", "GET, HEAD"),
    ("GET", "/api/v1/communities/garden/objects", "POST"),
    ("POST", "/api/v1/objects/x", "PUT, DELETE"),
    ("DELETE", "/logout", "POST"),
])
async def test_405_names_the_allowed_methods(site: Site, method: str, path: str, allow: str) -> None:
    resp = await site.client.request(method, path)
    assert resp.status_code == 405
    assert set(resp.headers["allow"].split(", ")) == set(allow.split(", "))  # Starlette's order varies


@pytest.mark.parametrize("path", ["/c/gar%00den", "/@a%00", "/o/a%00b", "/media/a%00.png", "/a/%00",
                                  "/c/garden/outbox%00"])
async def test_nul_in_a_path_matches_nothing(site: Site, path: str) -> None:
    assert (await site.client.get(path)).status_code == 404  # PostgreSQL would refuse it: it was a 500


async def test_nul_in_a_query_or_body_is_never_a_500(site: Site, admin: dict[str, str]) -> None:
    for path in ("/api/feed?category=%00", "/search?q=a%00", "/feed?q=%00"):
        resp = await site.client.get(path)
        assert resp.status_code < 500, (path, resp.status_code)
    resp = await site.client.post("/api/v1/communities/garden/objects", headers=admin,
                                  json={"type": "note", "content": "a\u0000b"})
    assert resp.status_code < 500
    if site.node.inst.engine.dialect.name == "postgresql":
        assert resp.status_code == 400 and "NUL" in resp.json()["error"]
