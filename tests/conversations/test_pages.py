"""The organisers' messages page (private to the community's owners and moderators) and the
remote-interaction redirect of item pages."""

from __future__ import annotations

import contextlib
import re
from collections.abc import AsyncIterator

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from actors.social.accounts import create_account
from actors.social.local import create_community
from actors.storage.models import Role
from fedi.errors import WebFingerError
from fedi.intents import subscribe_template
from tests.conftest import Fediverse
from tests.conversations.helpers import Town, direct, public_reply, town

PASSWORD = "correct horse battery"
CSRF_RE = re.compile(r'name="csrf" value="([^"]+)"')


@contextlib.asynccontextmanager
async def _browser(t: Town, name: str) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=t.a.app), base_url=t.a.base) as client:
        token = CSRF_RE.search((await client.get("/login")).text).group(1)  # type: ignore[union-attr]
        assert (await client.post("/login", data={"name": name, "password": PASSWORD, "csrf": token})).status_code == 303
        yield client


async def test_dashboard_messages_for_moderators_only_and_answering_a_dm(fed: Fediverse) -> None:
    t = await town(fed)
    await create_community(t.a.inst, "chess", name="Chess")
    await create_account(t.a.inst, "mod", PASSWORD, community="club", role=Role.MODERATOR)
    await create_account(t.a.inst, "other", PASSWORD, community="chess", role=Role.OWNER)
    await t.send(t.bo, direct(t.bo, "能带孩子吗?"))
    await t.send(t.ann, public_reply(t.ann, "Great <script>x</script>", t.event))

    anonymous = httpx.AsyncClient(transport=httpx.ASGITransport(app=t.a.app), base_url=t.a.base)
    async with anonymous:
        assert (await anonymous.get("/dashboard/club/inbox")).status_code == 303
    async with _browser(t, "other") as other:
        denied = await other.get("/dashboard/club/inbox")
        assert denied.status_code == 403 and "能带孩子吗" not in denied.text
    async with _browser(t, "mod") as mod:
        page = await mod.get("/dashboard/club/inbox")
        assert page.status_code == 200 and "能带孩子吗" in page.text and "@bo@gts.test" in page.text
        assert page.text.count("未读") == 2 and "<script>" not in page.text
        again = await mod.get("/dashboard/club/inbox")
        assert "未读" not in again.text  # seen once: read
        ids = re.findall(r'name="id" value="(\d+)"', again.text)
        csrf = CSRF_RE.search(again.text).group(1)  # type: ignore[union-attr]
        dm_id = min(set(ids), key=int)  # the older message: the DM
        assert (await mod.post("/dashboard/club/inbox", data={"csrf": "bad", "id": dm_id, "action": "answer",
                                                              "text": "x"})).status_code == 403
        for bad in ("²", "9" * 20, "-1"):  # no row id: a readable 422, never a 500
            refused = await mod.post("/dashboard/club/inbox", data={"csrf": csrf, "id": bad, "action": "answer",
                                                                    "text": "x"})
            assert refused.status_code == 422
        done = await mod.post("/dashboard/club/inbox", data={"csrf": csrf, "id": dm_id, "action": "answer",
                                                             "text": "可以，欢迎"})
        assert done.status_code == 303 and done.headers["location"].endswith("ok=answered")
    await fed.drain()
    [note] = [a["object"] for a in t.notes_to(t.bo)]
    assert note["to"] == [t.bo.uri] and "可以，欢迎" in note["content"]


def _mastodon_like(domain: str) -> Starlette:
    async def webfinger(request: Request) -> Response:
        if request.query_params.get("resource") != f"acct:me@{domain}":
            return JSONResponse({"error": "not found"}, status_code=404)
        return JSONResponse({"subject": f"acct:me@{domain}", "links": [
            {"rel": "self", "type": "application/activity+json", "href": f"https://{domain}/users/me"},
            {"rel": "http://ostatus.org/schema/1.0/subscribe", "template": f"https://{domain}/authorize_interaction?uri={{uri}}"},
        ]})

    return Starlette(routes=[Route("/.well-known/webfinger", webfinger)])


async def test_remote_interaction_redirects_to_the_visitors_own_server(fed: Fediverse) -> None:
    t = await town(fed)
    fed.router.add("home.test", _mastodon_like("home.test"))
    page = (await fed.client.get(t.event)).text
    assert 'action="/interact"' in page and "在我的 Mastodon 上报名" in page
    go = await fed.client.get(t.a.url("/interact"), params={"uri": t.event, "handle": "@me@home.test"})
    assert go.status_code == 303
    assert go.headers["location"] == "https://home.test/authorize_interaction?uri=" + t.event.replace(":", "%3A").replace("/", "%2F")

    unknown = await fed.client.get(t.a.url("/interact"), params={"uri": t.event, "handle": "@nobody@home.test"})
    assert unknown.status_code == 400 and "无法在 @nobody@home.test 的服务器上找到互动页面" in unknown.text
    english = await fed.client.get(t.a.url("/interact"), params={"uri": t.event, "handle": "not a handle", "lang": "en"})
    assert english.status_code == 400 and "Could not find a remote-interaction page" in english.text
    empty = await fed.client.get(t.a.url("/interact"), params={"uri": t.event, "handle": "", "lang": "zh-CN"})
    assert empty.status_code == 400 and "请填写你的账号" in empty.text
    elsewhere = await fed.client.get(t.a.url("/interact"), params={"uri": "https://evil.test/x", "handle": "@me@home.test"})
    assert elsewhere.status_code == 404  # only objects shown here: no open redirect for anything else


async def test_remote_interaction_lookup_keeps_the_ssrf_check(fed: Fediverse) -> None:
    """The route hands ``allow_private`` (false outside development) to this lookup."""
    fed.router.add("127.0.0.1", _mastodon_like("127.0.0.1"))
    assert await subscribe_template(fed.client, "@me@127.0.0.1", scheme="http", allow_private=True)
    with pytest.raises(WebFingerError, match="not a public address"):
        await subscribe_template(fed.client, "@me@127.0.0.1", scheme="http", allow_private=False)
