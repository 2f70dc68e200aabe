"""Every route answers with the security headers, HTML pages above all: a strict CSP with no
inline script or style, nosniff, no framing, a Referrer-Policy. The test walks the app's own
route table, so a new route without a sample URL here fails it instead of going unchecked.
The templates carry no inline script, style element or style attribute (the CSP would block
them), and a 404 and a 500 page carry the headers too."""

from __future__ import annotations

import re
from pathlib import Path

import httpx
from sqlalchemy import select
from starlette.routing import Mount, Route

from actors.publishing.publishing import publish
from actors.social.accounts import create_account
from actors.social.local import create_community
from actors.storage.models import Role, actors, media
from tests.conftest import Fediverse
from tests.content.helpers import event_body, listing_body, object_row, venue_body
from web.security import content_security_policy

TEMPLATES = Path(__file__).resolve().parents[2] / "web" / "templates"
PASSWORD = "correct horse battery"


def assert_secure(resp: httpx.Response, what: str) -> None:
    h = resp.headers
    csp = h.get("content-security-policy", "")
    base = f"{resp.request.url.scheme}://{resp.request.url.netloc.decode()}"
    assert csp == content_security_policy(dev=True, base=base), f"{what}: CSP {csp!r}"
    directives = dict(d.strip().split(" ", 1) for d in csp.split(";"))
    # One script file may run, this site's own 用我的位置 button; nothing inline, nothing else.
    assert directives["default-src"] == "'none'" and directives["script-src"] == f"{base}/static/locate.js", what
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp, what
    assert directives["frame-ancestors"] == "'none'", what
    assert h.get("x-frame-options") == "DENY", what
    assert h.get("x-content-type-options") == "nosniff", what
    assert h.get("referrer-policy") == "same-origin", what


LOCATE_TAG = '<script src="/static/locate.js" defer></script>'


def test_templates_need_no_inline_script_or_style() -> None:
    for path in TEMPLATES.rglob("*.html"):
        text = path.read_text("utf-8")
        if path.name == "base.html":  # the one script tag, loading the one allowed file
            assert text.count(LOCATE_TAG) == 1, path
            text = text.replace(LOCATE_TAG, "")
        assert not re.search(r"<script\b|<style\b|\sstyle\s*=|\son[a-z]+\s*=|javascript:", text, re.IGNORECASE), path


def test_without_a_base_no_script_runs() -> None:
    directives = dict(d.strip().split(" ", 1) for d in content_security_policy(dev=False).split(";"))
    assert directives["script-src"] == "'none'"


async def test_every_route_carries_the_security_headers(fed: Fediverse) -> None:
    node = await fed.yinhu("a.test")
    await create_community(node.inst, "club", name="Club")
    await create_account(node.inst, "admin", PASSWORD, community="club", role=Role.OWNER, is_admin=True)
    event = await publish(node.inst, "club", event_body())
    await publish(node.inst, "club", listing_body())
    await publish(node.inst, "club", venue_body())
    row = await object_row(node, event.uri)
    token = event.uri.rsplit("/", 1)[1]
    async with node.inst.engine.connect() as conn:
        club_id = (await conn.execute(select(actors.c.id).where(actors.c.username == "club"))).scalar_one()
        media_name = (await conn.execute(select(media.c.token))).scalar()
    samples = {
        "id": str(row.id), "token": token, "slug": "club", "version": "2.1", "kind": "event", "tag": "bikes",
        "name": f"{media_name}.jpg" if media_name else "missing.jpg",
    }

    transport = httpx.ASGITransport(app=node.app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url=node.base) as client:
        page = await client.get("/login")  # logged in, /login only redirects: checked here
        assert_secure(page, "/login")
        csrf = re.search(r'name="csrf" value="([^"]+)"', page.text)
        assert csrf
        login = await client.post("/login", data={"name": "admin", "password": PASSWORD, "csrf": csrf.group(1)})
        assert login.status_code in (302, 303)

        html_paths = ["/login"] if page.headers["content-type"].startswith("text/html") else []
        for route in node.app.routes:
            if isinstance(route, Mount):
                resp = await client.get(f"{route.path}/yinhu.css")
                assert resp.status_code == 200
                assert_secure(resp, route.path)
                continue
            assert isinstance(route, Route)
            if "GET" not in (route.methods or set()):
                continue
            path = route.path
            if route.path == "/communities/{id:int}":
                path = f"/communities/{club_id}"
            path = re.sub(r"\{(\w+)(?::\w+)?\}", lambda m: samples[m.group(1)], path)
            if path.startswith("/.well-known/webfinger"):
                path += "?resource=acct:club@a.test"
            for accept in ("text/html", "application/activity+json"):
                resp = await client.get(path, headers={"Accept": accept})
                assert resp.status_code < 500, (path, resp.status_code)
                assert_secure(resp, f"{path} ({accept})")
                if resp.headers.get("content-type", "").startswith("text/html"):
                    html_paths.append(path)

        # The HTML pages people see, all of them in the walk above.
        expected = {"/", "/feed", "/search", f"/items/{row.id}", "/communities", f"/communities/{club_id}",
                    "/venues/find", "/tags/bikes", "/c/club", "/@club", f"/o/{token}", "/login", "/dashboard", "/dashboard/club",
                    "/dashboard/club/new/event", f"/dashboard/club/edit/{token}", f"/dashboard/club/delete/{token}",
                    "/admin/subscriptions"}
        assert expected <= set(html_paths), expected - set(html_paths)

        missing = await client.get("/items/999999", headers={"Accept": "text/html"})
        assert missing.status_code == 404 and missing.headers["content-type"].startswith("text/html")
        assert_secure(missing, "404 page")


async def test_a_crash_page_carries_the_headers_too(fed: Fediverse) -> None:
    node = await fed.yinhu("a.test")

    async def boom(request: object) -> None:
        raise RuntimeError("a bug")

    node.app.router.routes.append(Route("/boom", boom))
    transport = httpx.ASGITransport(app=node.app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url=node.base) as client:
        resp = await client.get("/boom", headers={"Accept": "text/html"})
    assert resp.status_code == 500
    assert_secure(resp, "500 page")
