"""Cutting off access: token revocation, logout, password change and disabling each end access at
once; roles are enforced; the login limiter slows an attacker without locking the organiser out,
and every app on the database shares it. Real apps on SQLite/PostgreSQL, the fediverse's clock."""

from __future__ import annotations

import contextlib
from datetime import timedelta

import httpx
import pytest
from sqlalchemy import func, select

from actors.social.accounts import (
    TOKEN_TOUCH_EVERY,
    AccountError,
    create_token,
    list_tokens,
    revoke_token_id,
    set_disabled,
    set_password,
)
from actors.storage.models import login_failures, tokens
from tests.conftest import Fediverse, fake_resolver
from tests.web.conftest import CSRF_RE, PASSWORD, Site
from web.app import create_app

NOTE = {"type": "note", "content": "hello"}


def client_from(site: Site, address: str, app: object | None = None) -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=app or site.node.app, client=(address, 40000))  # type: ignore[arg-type]
    return httpx.AsyncClient(transport=transport, base_url=site.node.base)


async def login(client: httpx.AsyncClient, name: str, password: str = PASSWORD) -> httpx.Response:
    page = await client.get("/login")
    match = CSRF_RE.search(page.text)
    assert match, page.text
    return await client.post("/login", data={"name": name, "password": password, "csrf": match.group(1)})


async def csrf(client: httpx.AsyncClient, path: str = "/dashboard") -> str:
    match = CSRF_RE.search((await client.get(path)).text)
    assert match
    return match.group(1)


async def test_revoked_token_answers_401_at_once(site: Site) -> None:
    inst = site.node.inst
    token = await create_token(inst, "lin", "script")
    auth = {"Authorization": f"Bearer {token}"}
    assert (await site.client.get("/api/v1/me", headers=auth)).status_code == 200
    [info] = await list_tokens(inst, "lin")
    assert info.label == "script" and info.revoked_at is None and info.last_used_at == site.node.clock()

    revoked = await revoke_token_id(inst, info.id)
    assert revoked.revoked_at is not None
    resp = await site.client.post("/api/v1/communities/garden/objects", headers=auth, json=NOTE)
    assert resp.status_code == 401 and "revoked" in resp.json()["error"]
    with pytest.raises(AccountError, match="no token with id 999"):
        await revoke_token_id(inst, 999)
    with pytest.raises(AccountError, match="no account"):
        await list_tokens(inst, "nobody")


async def test_token_use_is_written_at_most_once_a_minute(site: Site) -> None:
    inst, clock = site.node.inst, site.node.clock
    token = await create_token(inst, "lin")
    auth = {"Authorization": f"Bearer {token}"}
    first = clock()
    for _ in range(3):
        clock.advance(timedelta(seconds=10))
        assert (await site.client.get("/api/v1/me", headers=auth)).status_code == 200
    async with inst.engine.connect() as conn:
        used = (await conn.execute(select(tokens.c.last_used_at))).scalar_one()
    assert used == first + timedelta(seconds=10)  # the first use; the next two wrote nothing
    clock.advance(TOKEN_TOUCH_EVERY)
    assert (await site.client.get("/api/v1/me", headers=auth)).status_code == 200
    async with inst.engine.connect() as conn:
        assert (await conn.execute(select(tokens.c.last_used_at))).scalar_one() == clock()


async def test_logout_ends_a_copied_cookie(site: Site) -> None:
    assert (await site.login("lin")).status_code == 303
    stolen = dict(site.client.cookies)
    async with client_from(site, "10.9.9.9") as thief:
        thief.cookies.update(stolen)
        assert (await thief.get("/dashboard/garden")).status_code == 200
        assert (await site.client.post("/logout", data={"csrf": await site.csrf("/dashboard")})).status_code == 303
        resp = await thief.get("/dashboard/garden")
        assert resp.status_code == 303 and resp.headers["location"].startswith("/login")
        # The copied cookie cannot publish either.
        thief.cookies.update(stolen)
        resp = await thief.post("/dashboard/garden/new/note", data={"content": "x", "csrf": "y" * 43})
        assert resp.status_code == 303 and resp.headers["location"].startswith("/login")


async def test_password_change_in_the_dashboard_ends_other_sessions(site: Site) -> None:
    async with client_from(site, "10.0.0.2") as other:
        assert (await login(other, "lin")).status_code == 303
        assert (await site.login("lin")).status_code == 303
        page = await site.client.get("/dashboard/password", headers={"Accept-Language": "en"})
        assert page.status_code == 200 and "Change password" in page.text
        assert "修改密码" in (await site.client.get("/dashboard/password")).text
        token = await site.csrf("/dashboard/password")
        # No CSRF token: refused, nothing changed.
        no_csrf = await site.client.post("/dashboard/password", data={"current": PASSWORD, "new": "x" * 12, "again": "x" * 12})
        assert no_csrf.status_code == 403
        wrong = await site.client.post("/dashboard/password", data={
            "csrf": token, "current": "not it at all", "new": "new password 1", "again": "new password 1"})
        assert wrong.status_code == 422 and "当前密码不正确" in wrong.text
        differ = await site.client.post("/dashboard/password", data={
            "csrf": token, "current": PASSWORD, "new": "new password 1", "again": "new password 2"})
        assert differ.status_code == 422
        short = await site.client.post("/dashboard/password", data={
            "csrf": token, "current": PASSWORD, "new": "short", "again": "short"})
        assert short.status_code == 422
        assert (await other.get("/dashboard")).status_code == 200  # nothing changed yet

        ok = await site.client.post("/dashboard/password", data={
            "csrf": token, "current": PASSWORD, "new": "new password 1", "again": "new password 1"})
        assert ok.status_code == 303 and ok.headers["location"] == "/dashboard?ok=password"
        assert "密码已修改" in (await site.client.get("/dashboard?ok=password")).text  # this browser stays in
        assert (await other.get("/dashboard")).status_code == 303  # the other one is out
        assert (await login(other, "lin", PASSWORD)).status_code == 401
        assert (await login(other, "lin", "new password 1")).status_code == 303


async def test_cli_password_and_disable_end_sessions_and_tokens(site: Site) -> None:
    inst = site.node.inst
    token = await create_token(inst, "lin")
    auth = {"Authorization": f"Bearer {token}"}
    assert (await site.login("lin")).status_code == 303
    await set_password(inst, "lin", "another password")
    assert (await site.client.get("/dashboard")).status_code == 303
    assert (await site.client.get("/api/v1/me", headers=auth)).status_code == 200  # tokens stay valid

    assert (await site.login("lin", "another password")).status_code == 303
    assert await set_disabled(inst, "lin", True)
    assert not await set_disabled(inst, "lin", True)
    assert (await site.client.get("/dashboard")).status_code == 303
    assert (await site.client.get("/api/v1/me", headers=auth)).status_code == 401
    assert (await site.login("lin", "another password")).status_code == 401
    assert await set_disabled(inst, "lin", False)
    assert (await site.client.get("/api/v1/me", headers=auth)).status_code == 200
    assert (await site.login("lin", "another password")).status_code == 303


async def test_roles_moderator_publishes_owner_manages(site: Site) -> None:
    from actors.social.accounts import add_membership
    from actors.storage.models import Role

    await add_membership(site.node.inst, "mod", "garden", Role.MODERATOR)
    assert (await site.login("mod")).status_code == 303
    assert (await site.client.get("/dashboard/garden/new/note")).status_code == 200  # publish
    resp = await site.client.get("/dashboard/garden/members")
    assert resp.status_code == 403 and "所有者" in resp.text
    resp = await site.client.post("/dashboard/garden/members",
                                  data={"csrf": await site.csrf("/dashboard"), "action": "remove", "name": "lin"})
    assert resp.status_code == 403
    assert "/dashboard/garden/members" not in (await site.client.get("/dashboard/garden")).text
    await site.client.post("/logout", data={"csrf": await site.csrf("/dashboard")})

    assert (await site.login("lin")).status_code == 303  # owner of garden
    page = await site.client.get("/dashboard/garden/members")
    assert page.status_code == 200 and "mod" in page.text
    assert "/dashboard/garden/members" in (await site.client.get("/dashboard/garden")).text
    token = await site.csrf("/dashboard/garden/members")
    resp = await site.client.post("/dashboard/garden/members", data={"csrf": token, "action": "remove", "name": "mod"})
    assert resp.status_code == 303
    assert (await site.client.get("/dashboard/chess/members")).status_code == 403  # not lin's community
    unknown = await site.client.post("/dashboard/garden/members",
                                     data={"csrf": token, "action": "add", "name": "nobody", "role": "moderator"})
    assert unknown.status_code == 422 and "no account" in unknown.text
    await site.client.post("/logout", data={"csrf": await site.csrf("/dashboard")})
    assert (await site.login("mod")).status_code == 303
    assert (await site.client.get("/dashboard/garden/new/note")).status_code == 403  # role taken away


async def test_limiter_slows_the_attacker_not_the_organiser(site: Site) -> None:
    clock = site.node.clock
    async with client_from(site, "203.0.113.66") as attacker, client_from(site, "198.51.100.7") as organiser:
        for _ in range(3):
            assert (await login(attacker, "lin", "guess")).status_code == 401
        refused = await login(attacker, "lin")  # even the right password waits, from there
        assert refused.status_code == 429 and refused.headers["retry-after"] == "2"
        assert (await login(organiser, "lin")).status_code == 303  # the real organiser gets in
        clock.advance(timedelta(seconds=2))
        assert (await login(attacker, "lin", "guess")).status_code == 401
        assert (await login(attacker, "lin", "guess")).headers["retry-after"] == "4"  # doubling
        clock.advance(timedelta(seconds=4))
        assert (await login(attacker, "lin", "guess")).status_code == 401
        assert (await login(attacker, "lin", "guess")).headers["retry-after"] == "8"
        for _ in range(12):  # the delay stops growing at 15 minutes
            clock.advance(timedelta(hours=1))
            assert (await login(attacker, "lin", "guess")).status_code == 401
        assert (await login(attacker, "lin", "guess")).headers["retry-after"] == "900"
        clock.advance(timedelta(days=1, seconds=1))  # forgotten a day after the last failure
        assert (await login(attacker, "lin")).status_code == 303


async def test_limiter_is_shared_by_apps_on_one_database(fed: Fediverse, site: Site) -> None:
    second = create_app(site.node.inst.settings, client=fed.client, resolver=fake_resolver, clock=fed.clock,
                        workers=False)
    async with contextlib.AsyncExitStack() as stack:
        await stack.enter_async_context(second.router.lifespan_context(second))
        async with client_from(site, "203.0.113.5") as a, client_from(site, "203.0.113.5", second) as b:
            assert (await login(a, "mod", "guess")).status_code == 401
            assert (await login(b, "mod", "guess")).status_code == 401
            assert (await login(a, "mod", "guess")).status_code == 401
            assert (await login(b, "mod")).status_code == 429  # the other app counted
            assert (await login(a, "mod")).status_code == 429
    async with site.node.inst.engine.connect() as conn:
        assert (await conn.execute(select(func.count()).select_from(login_failures))).scalar_one() == 2


async def test_address_spraying_names_is_slowed(site: Site) -> None:
    async with client_from(site, "2001:db8::1") as a, client_from(site, "2001:db8::2") as same_64:
        for i in range(20):
            assert (await login(a if i % 2 else same_64, f"name{i}", "guess")).status_code == 401
        assert (await login(a, "lin")).status_code == 429  # the whole /64 waits, for any name
    async with client_from(site, "2001:db8:1::1") as elsewhere:
        assert (await login(elsewhere, "lin")).status_code == 303
