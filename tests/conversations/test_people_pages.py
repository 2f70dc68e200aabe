"""The dashboard's followers and participants pages: private to the community's owners and
moderators, every action answered over ActivityPub as the CLI answers it, the CSV export, and
the private message to all participants."""

from __future__ import annotations

import csv
import io
import re
from typing import Any

import httpx
from sqlalchemy import update

from actors.social.accounts import create_account
from actors.social.follows import list_followers
from actors.social.local import create_community
from actors.social.rsvp import list_participants
from actors.storage.models import Role, actors
from fedi import vocab
from tests.conftest import Fediverse
from tests.conversations.helpers import CLUB, Town, public_reply, town
from tests.conversations.test_pages import CSRF_RE, PASSWORD, _browser
from tests.fakes.remote import FakeUser


def _csrf(page: httpx.Response) -> str:
    return CSRF_RE.search(page.text).group(1)  # type: ignore[union-attr]


def _join(user: FakeUser, event: str, message: str | None = None) -> dict[str, Any]:
    join: dict[str, Any] = {"@context": vocab.AS_CONTEXT, "id": user.new_id("join"), "type": "Join",
                            "actor": user.uri, "object": event}
    if message:
        join["participationMessage"] = message
    return join


async def _states(t: Town) -> dict[str, str]:
    return {r.uri: r.state for r in await list_followers(t.a.inst, "club")}


async def test_followers_page_approve_reject_remove(fed: Fediverse) -> None:
    t = await town(fed)  # ann and bo follow at once (no approval yet)
    async with t.a.inst.engine.begin() as conn:
        await conn.execute(update(actors).where(actors.c.uri == CLUB).values(manually_approves=True))
    cai, dee = t.masto.add_user("cai"), t.gts.add_user("dee")
    cai_follow, dee_follow = cai.follow(CLUB), dee.follow(CLUB)
    await t.send(cai, cai_follow)
    await t.send(dee, dee_follow)
    await create_community(t.a.inst, "chess", name="Chess")
    await create_account(t.a.inst, "mod", PASSWORD, community="club", role=Role.MODERATOR)
    await create_account(t.a.inst, "other", PASSWORD, community="chess", role=Role.OWNER)

    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=t.a.app), base_url=t.a.base) as anonymous:
        assert (await anonymous.get("/dashboard/club/followers")).status_code == 303
    async with _browser(t, "other") as other:
        denied = await other.get("/dashboard/club/followers")
        assert denied.status_code == 403 and "@cai@masto.test" not in denied.text
    async with _browser(t, "mod") as mod:
        assert 'href="/dashboard/club/followers"' in (await mod.get("/dashboard/club")).text
        page = await mod.get("/dashboard/club/followers")
        assert page.status_code == 200
        assert "2 位关注者 · 2 个待处理的请求" in page.text and page.text.count("待批准") == 2
        # Waiting requests come first.
        assert page.text.index("@cai@masto.test") < page.text.index("@ann@masto.test")
        csrf = _csrf(page)
        bad = await mod.post("/dashboard/club/followers", data={"csrf": "x", "actor": cai.uri, "action": "approve"})
        assert bad.status_code == 403 and (await _states(t))[cai.uri] == "pending"

        done = await mod.post("/dashboard/club/followers", data={"csrf": csrf, "actor": cai.uri, "action": "approve"})
        assert done.status_code == 303 and done.headers["location"].endswith("ok=approved")
        done = await mod.post("/dashboard/club/followers", data={"csrf": csrf, "actor": dee.uri, "action": "reject"})
        assert done.headers["location"].endswith("ok=rejected")
        done = await mod.post("/dashboard/club/followers", data={"csrf": csrf, "actor": t.ann.uri, "action": "remove"})
        assert done.headers["location"].endswith("ok=removed")
        # Removing is for followers only, approving for requests only.
        wrong = await mod.post("/dashboard/club/followers", data={"csrf": csrf, "actor": dee.uri, "action": "remove"})
        assert wrong.status_code == 422 and "没有这个关注者" in wrong.text
        english = await mod.post("/dashboard/club/followers?lang=en",
                                 data={"csrf": csrf, "actor": "http://nobody.test/u", "action": "approve"})
        assert english.status_code == 422 and "No such follower" in english.text
    await fed.drain()
    assert await _states(t) == {t.ann.uri: "rejected", t.bo.uri: "accepted", cai.uri: "accepted", dee.uri: "rejected"}

    def answers(user: FakeUser) -> list[tuple[str, str]]:
        return [(r.activity["type"], r.activity["object"]["id"]) for r in user.remote.received
                if r.path == f"/users/{user.name}/inbox" and r.activity["type"] in ("Accept", "Reject")]

    # Each answer is the CLI's: to the person's own inbox, about their own Follow.
    assert answers(cai)[-1] == ("Accept", cai_follow["id"])
    assert answers(dee) == [("Reject", dee_follow["id"])]
    assert answers(t.ann)[-1][0] == "Reject"


async def test_participants_page_decisions_csv_and_message(fed: Fediverse) -> None:
    t = await town(fed, join_mode="restricted", capacity=2, title="修车工作坊", language="zh-CN")
    cai = t.masto.add_user("cai")
    await t.send(t.ann, public_reply(t.ann, "报名", t.event))  # Mastodon: by reply
    await t.send(t.bo, public_reply(t.bo, "报名", t.event))  # GoToSocial: by reply
    cai_join = _join(cai, t.event, message="=HYPERLINK(\"http://evil.test\",\"点我\")")
    await t.send(cai, cai_join)  # Mobilizon-shaped: a Join
    token = t.event.rsplit("/", 1)[1]
    here = f"/dashboard/club/events/{token}/participants"
    await create_account(t.a.inst, "mod", PASSWORD, community="club", role=Role.MODERATOR)
    await create_community(t.a.inst, "chess", name="Chess")
    await create_account(t.a.inst, "other", PASSWORD, community="chess", role=Role.OWNER)

    async with _browser(t, "other") as other:
        assert (await other.get(here)).status_code == 403
        assert (await other.get(here + ".csv")).status_code == 403
    async with _browser(t, "mod") as mod:
        assert f'href="{here}"' in (await mod.get("/dashboard/club")).text
        assert (await mod.get("/dashboard/club/events/NOPE/participants")).status_code == 404
        page = await mod.get(here)
        assert page.status_code == 200 and "0 / 2 人已报名 · 3 人待确认" in page.text
        assert "@bo@gts.test" in page.text and "HYPERLINK" in page.text
        csrf = _csrf(page)
        for who, action in ((t.ann, "approve"), (t.bo, "reject"), (cai, "approve")):
            done = await mod.post(here, data={"csrf": csrf, "actor": who.uri, "action": action})
            assert done.status_code == 303, done.text
        full = await mod.post(here, data={"csrf": csrf, "actor": t.bo.uri, "action": "approve"})
        assert full.status_code == 422 and "活动已满（2 个名额）" in full.text

        export = await mod.get(here + ".csv")
        assert export.status_code == 200 and export.headers["content-type"] == "text/csv; charset=utf-8"
        assert export.headers["content-disposition"] == (
            f"attachment; filename=\"participants-{token}.csv\"; "
            "filename*=UTF-8''%E4%BF%AE%E8%BD%A6%E5%B7%A5%E4%BD%9C%E5%9D%8A.csv")
        assert export.headers["cache-control"] == "private, no-store"
        assert export.content.startswith(b"\xef\xbb\xbf")
        rows = list(csv.reader(io.StringIO(export.content.decode("utf-8-sig"))))
        assert rows[0] == ["状态", "账号", "名字", "报名时间", "留言", "地址"]
        by_account = {r[1]: r for r in rows[1:]}
        assert by_account["ann@masto.test"][0] == "已报名" and by_account["bo@gts.test"][0] == "未通过"
        assert by_account["cai@masto.test"][4] == "'=HYPERLINK(\"http://evil.test\",\"点我\")"  # no formula
        assert "\r\n" in export.text

        empty = await mod.post(here, data={"csrf": csrf, "action": "message", "text": "  "})
        assert empty.status_code == 422 and "请填写私信内容" in empty.text
        sent = await mod.post(here, data={"csrf": csrf, "action": "message", "text": "改到 3 楼"})
        assert sent.status_code == 303 and sent.headers["location"].endswith("ok=sent&n=2")
        assert "私信已发给 2 位报名者" in (await mod.get(sent.headers["location"])).text
    await fed.drain()
    assert sorted((p.uri, p.state) for p in await list_participants(t.a.inst, t.event)) == sorted(
        [(t.ann.uri, "accepted"), (t.bo.uri, "rejected"), (cai.uri, "accepted")])

    # A sign-up by reply is answered by a private note (Mastodon shows no Accept of a Join) ...
    notes = {u.name: [n["content"] for n in (a["object"] for a in t.notes_to(u))] for u in (t.ann, t.bo, cai)}
    assert any("已报名「修车工作坊」" in c for c in notes["ann"])
    assert any("组织者没有接受你对「修车工作坊」的报名" in c for c in notes["bo"])
    assert not [r for r in t.masto.received + t.gts.received
                if r.activity["type"] in ("Accept", "Reject") and r.activity.get("to") in ([t.ann.uri], [t.bo.uri])]
    # ... a Join by the Accept of that Join.
    [accept] = [r.activity for r in cai.remote.received if r.activity["type"] == "Accept"
                and r.path == "/users/cai/inbox"]
    assert accept["object"]["id"] == cai_join["id"] and accept["to"] == [cai.uri]

    # The message: one direct note per accepted participant, naming nobody else, never public.
    to_all = [r for r in t.masto.received + t.gts.received
              if r.activity["type"] == "Create" and "改到 3 楼" in r.activity["object"]["content"]]
    assert sorted(r.activity["object"]["to"][0] for r in to_all) == sorted([t.ann.uri, cai.uri])
    for r in to_all:
        note, (to,) = r.activity["object"], r.activity["object"]["to"]
        assert note["cc"] == [] and r.activity["to"] == [to] and r.signer == CLUB
        assert vocab.PUBLIC not in str(r.activity) and "Public" not in str(r.activity)
        others = {t.ann.uri, t.bo.uri, cai.uri} - {to}
        assert not any(o in str(r.activity) for o in others)
        assert "「修车工作坊」 · " + t.event in note["content"]
    outbox = (await fed.client.get(t.a.url("/c/club/outbox?page=true"), headers={"Accept": "application/activity+json"})).text
    assert "改到 3 楼" not in outbox
    assert re.search(r"改到 3 楼", (await fed.client.get(t.event)).text) is None
