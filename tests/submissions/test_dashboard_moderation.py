"""Moderation from the dashboard (``web.dashboard.moderation``): removing an approved item, or
the community's own, with a reason (``Undo{Announce}`` and the announced ``Delete``, as
``yinhu remove``), banning a follower or a submitter with a reason (``Block``) and lifting it
(``Undo{Block}``); the banned listed apart on the followers page. Every POST needs the CSRF
token and a role in the community; a missing reason or a repeat is a translated banner with a
4xx. Every activity checked here was accepted by a fake server that verified its signature."""

from __future__ import annotations

import re
from datetime import timedelta

import httpx

from actors.publishing.decisions import approve
from actors.publishing.publishing import publish
from tests.conftest import Fediverse
from tests.moderation.helpers import log_rows
from tests.resident.helpers import visible_text
from tests.submissions.helpers import Hood, mastodon_post, mobilizon_event
from tests.submissions.test_dashboard import _browser, _club, _csrf

CLUB = "http://a.test/c/club"
UI_KEY = re.compile(r"\b(?:mod|queue|followers|dash|moderation)\.[a-z_][\w.]*")


async def _approved(h: Hood) -> tuple[str, int, str]:
    """Ann's post, submitted and approved by a moderator: (its id, its row id, the club's Announce id)."""
    post = mastodon_post(h, h.ann, "周六一起去湖边跑步？")
    await h.send(h.ann, post)
    [row] = await h.rows()
    decision = await approve(h.a.inst, row.id, by="mod")
    await h.fed.drain()
    [row] = await h.rows()
    assert (row.state, decision.object_uri) == ("approved", post["object"]["id"])
    return post["object"]["id"], row.object_id, row.announce_uri


async def _post(client: httpx.AsyncClient, path: str, **data: object) -> httpx.Response:
    return await client.post(path, data={k: str(v) for k, v in data.items()})


async def test_removing_an_approved_item_from_the_queue_page(fed: Fediverse) -> None:
    h = await _club(fed)
    post, oid, announce = await _approved(h)
    async with _browser(h, None) as anonymous:
        assert "湖边跑步" in (await anonymous.get("/c/club")).text  # the control: public before
    async with _browser(h, "other") as other:  # the owner of another community
        csrf = _csrf(await other.get("/dashboard"))
        denied = await _post(other, "/dashboard/club/remove", csrf=csrf, item=oid, reason="x")
        assert denied.status_code == 403
        elsewhere = await _post(other, "/dashboard/chess/remove", csrf=csrf, item=oid, reason="x")
        assert elsewhere.status_code == 404 and "本社区没有这项内容。" in elsewhere.text  # not chess's item
    async with _browser(h, "mod") as mod:
        page = await mod.get("/dashboard/club/submissions")
        csrf = _csrf(page)
        assert 'action="/dashboard/club/remove"' in page.text and f'name="item" value="{oid}"' in page.text
        assert (await _post(mod, "/dashboard/club/remove", item=oid, reason="x")).status_code == 403  # no CSRF
        form = {"csrf": csrf, "item": oid, "back": "submissions"}
        empty = await _post(mod, "/dashboard/club/remove", **form, reason="  ")
        assert empty.status_code == 422 and "需要填写理由（最多 5000 字）。" in visible_text(empty.text)
        assert "最近的决定" in empty.text  # the page the form is on, with the banner
        english = await _post(mod, "/dashboard/club/remove?lang=en", **form)
        assert english.status_code == 422 and "A reason is required" in english.text
        mod.cookies.delete("lang")
        assert (await _post(mod, "/dashboard/club/remove", **{**form, "item": "99999"}, reason="x")).status_code == 404
        assert [r.state for r in await h.rows()] == ["approved"]

        done = await _post(mod, "/dashboard/club/remove", **form, reason="不是本社区的活动")
        assert done.status_code == 303 and done.headers["location"] == "/dashboard/club/submissions?ok=removed_item"
        shown = visible_text((await mod.get(done.headers["location"])).text)
        assert "已移除：它不再出现在公开页面上" in shown and "已移除 ·" in shown and "理由：不是本社区的活动" in shown
        again = await _post(mod, "/dashboard/club/remove", **form, reason="again")
        assert again.status_code == 409 and "这项内容已经移除过了。" in again.text
    await fed.drain()
    for user in (h.reader, h.ann):  # a follower, and the submitter
        [undo] = h.got(user, "Undo")
        assert undo["actor"] == CLUB and undo["object"]["type"] == "Announce" and undo["object"]["id"] == announce
        [delete] = [a["object"] for a in h.got(user, "Announce") if isinstance(a["object"], dict)
                    and a["object"].get("type") == "Delete"]
        assert delete == {**delete, "type": "Delete", "actor": CLUB, "object": post, "summary": "不是本社区的活动"}
    assert [(r.action, r.reason, r.created_by) for r in await log_rows(h.a)][-1] == ("remove", "不是本社区的活动", "mod")
    async with _browser(h, None) as anonymous:
        for path in ("/c/club", "/feed", "/api/feed"):
            assert "湖边跑步" not in (await anonymous.get(path)).text, path
        log = visible_text((await anonymous.get("/moderation")).text)
        assert "移除了内容" in log and "不是本社区的活动" in log


async def test_removing_the_communitys_own_item_from_its_page(fed: Fediverse) -> None:
    h = await _club(fed)
    own = await publish(h.a.inst, "club", {"type": "note", "content": "本周停水通知"})
    await fed.drain()
    async with _browser(h, "lin") as lin:
        page = await lin.get("/dashboard/club")
        oid = re.search(r'name="item" value="(\d+)"', page.text).group(1)  # type: ignore[union-attr]
        done = await _post(lin, "/dashboard/club/remove", csrf=_csrf(page), item=oid, reason="发错了")
        assert done.status_code == 303 and done.headers["location"] == "/dashboard/club?ok=removed_item"
        after = await lin.get(done.headers["location"])
        assert "已移除" in after.text and "本周停水通知" not in after.text
        again = await _post(lin, "/dashboard/club/remove", csrf=_csrf(page), item=oid, reason="发错了")
        assert again.status_code == 409 and "这项内容已经移除过了。" in again.text
    await fed.drain()
    assert [d["object"]["id"] for d in h.got(h.reader, "Delete")] == [own.uri]
    assert [(r.action, r.target, r.reason) for r in await log_rows(h.a)] == [("remove", own.uri, "发错了")]


async def test_banning_a_follower_from_the_followers_page_and_lifting_it(fed: Fediverse) -> None:
    h = await _club(fed)
    await h.follow(h.ann)
    async with _browser(h, "other") as other:
        csrf = _csrf(await other.get("/dashboard"))
        denied = await _post(other, "/dashboard/club/bans", csrf=csrf, action="ban", actor=h.ann.uri, reason="x")
        assert denied.status_code == 403
        elsewhere = await _post(other, "/dashboard/chess/bans", csrf=csrf, action="ban", actor=h.ann.uri, reason="x")
        assert elsewhere.status_code == 404 and "本社区不认识这个人" in elsewhere.text  # not a follower of chess
    async with _browser(h, "mod") as mod:
        page = await mod.get("/dashboard/club/followers")
        assert f'name="actor" value="{h.ann.uri}"' in page.text and "没有被封禁的人。" in page.text
        form = {"csrf": _csrf(page), "action": "ban", "back": "followers"}
        assert (await _post(mod, "/dashboard/club/bans", action="ban", actor=h.ann.uri, reason="x")).status_code == 403
        empty = await _post(mod, "/dashboard/club/bans", **form, actor=h.ann.uri, reason="")
        assert empty.status_code == 422 and "需要填写理由" in empty.text and "@ann@masto.test" in empty.text
        stranger = await _post(mod, "/dashboard/club/bans", **form, actor="http://masto.test/users/nobody", reason="x")
        assert stranger.status_code == 404 and "本社区不认识这个人" in stranger.text

        done = await _post(mod, "/dashboard/club/bans", **form, actor=h.ann.uri, reason="在回复里骚扰他人")
        assert done.status_code == 303 and done.headers["location"] == "/dashboard/club/followers?ok=banned"
        shown = visible_text((await mod.get(done.headers["location"])).text)
        following, banned = shown.split("已封禁 (1)")
        assert "已封禁：对方不再是关注者" in following and "@ann@masto.test" not in following
        assert "@rita@readers.test" in following
        assert "@ann@masto.test" in banned and "由 mod" in banned and "理由：在回复里骚扰他人" in banned
        again = await _post(mod, "/dashboard/club/bans", **form, actor=h.ann.uri, reason="x")
        assert again.status_code == 409 and "此人已被封禁。" in again.text
        await fed.drain()
        [block] = h.got(h.ann, "Block")
        assert {k: block[k] for k in ("actor", "object", "target", "summary")} == {
            "actor": CLUB, "object": h.ann.uri, "target": CLUB, "summary": "在回复里骚扰他人"}
        assert [b["id"] for b in h.got(h.reader, "Block")] == [block["id"]]  # the other followers' servers

        await h.send(h.ann, mastodon_post(h, h.ann, "出售 旧自行车 ¥50"))  # refused: banned
        [refused] = await h.rows()
        assert (refused.state, refused.reason) == ("rejected", "banned from this community")
        assert h.got(h.ann, "Reject")[-1]["object"]["id"] == refused.activity_uri

        lifted = await _post(mod, "/dashboard/club/bans", **{**form, "action": "unban"}, actor=h.ann.uri)
        assert lifted.status_code == 303 and lifted.headers["location"] == "/dashboard/club/followers?ok=unbanned"
        after = visible_text((await mod.get(lifted.headers["location"])).text)
        assert "已解除封禁。" in after and "没有被封禁的人。" in after
        twice = await _post(mod, "/dashboard/club/bans", **{**form, "action": "unban"}, actor=h.ann.uri)
        assert twice.status_code == 409 and "此人没有被封禁。" in twice.text
    await fed.drain()
    [undo] = h.got(h.ann, "Undo")
    assert undo["object"]["type"] == "Block" and undo["object"]["id"] == block["id"]
    assert [(r.action, r.created_by) for r in await log_rows(h.a)] == [("ban", "mod"), ("unban", "mod")]
    log = visible_text((await fed.client.get(h.a.url("/moderation"))).text)
    assert "解除封禁" in log and "在回复里骚扰他人" in log


async def test_banning_a_submitter_from_the_queue_page(fed: Fediverse) -> None:
    h = await _club(fed)
    await h.send(h.emma, mobilizon_event(h, h.emma, "Ceilidh beginners workshop"))
    async with _browser(h, "lin") as lin:
        page = await lin.get("/dashboard/club/submissions")
        assert f'name="actor" value="{h.emma.uri}"' in page.text
        done = await _post(lin, "/dashboard/club/bans", csrf=_csrf(page), action="ban", actor=h.emma.uri,
                           back="submissions", reason="spam events")
        assert done.status_code == 303 and done.headers["location"] == "/dashboard/club/submissions?ok=banned"
        shown = await lin.get(done.headers["location"])
        assert "已封禁：对方不再是关注者" in shown.text and f'name="actor" value="{h.emma.uri}"' not in shown.text
        assert '<strong class="badge">已封禁</strong>' in shown.text
    await fed.drain()
    assert [b["summary"] for b in h.got(h.emma, "Block")] == ["spam events"]


async def test_a_ban_while_their_server_is_down(fed: Fediverse) -> None:
    """The person as last fetched will do: banned at once, the Block delivered once their server is back."""
    h = await _club(fed)
    await h.follow(h.ann)
    h.masto.go_down()
    async with _browser(h, "mod") as mod:
        page = await mod.get("/dashboard/club/followers")
        done = await _post(mod, "/dashboard/club/bans", csrf=_csrf(page), action="ban", actor=h.ann.uri,
                           back="followers", reason="spam")
        assert done.status_code == 303
        assert "@ann@masto.test" in visible_text((await mod.get(done.headers["location"])).text).split("已封禁 (1)")[1]
    await fed.drain()
    assert h.got(h.ann, "Block") == []
    h.masto.heal()
    fed.clock.advance(timedelta(hours=1))
    await fed.drain()
    assert [b["summary"] for b in h.got(h.ann, "Block")] == ["spam"]


async def test_moderation_pages_in_both_languages(fed: Fediverse) -> None:
    h = await _club(fed)
    await _approved(h)
    await h.send(h.emma, mobilizon_event(h, h.emma, "Ceilidh beginners workshop"))
    await h.follow(h.ann)
    await publish(h.a.inst, "club", {"type": "note", "content": "notice"})
    async with _browser(h, "lin") as lin:
        page = await lin.get("/dashboard/club/followers")
        await _post(lin, "/dashboard/club/bans", csrf=_csrf(page), action="ban", actor=h.ann.uri, reason="x")
        paths = ["/dashboard/club", "/dashboard/club?ok=removed_item", "/dashboard/club/submissions",
                 "/dashboard/club/submissions?ok=removed_item", "/dashboard/club/submissions?ok=banned",
                 "/dashboard/club/followers", "/dashboard/club/followers?ok=banned", "/dashboard/club/followers?ok=unbanned"]
        for path in paths:
            sep = "&" if "?" in path else "?"
            zh, en = await lin.get(f"{path}{sep}lang=zh-CN"), await lin.get(f"{path}{sep}lang=en")
            assert zh.status_code == en.status_code == 200, path
            for text in (visible_text(zh.text), visible_text(en.text)):
                assert not UI_KEY.findall(text), (path, UI_KEY.findall(text))
            english = visible_text(en.text)
            for zh_ui in ("移除", "封禁", "理由"):
                assert zh_ui not in english, (path, zh_ui)
        english = visible_text((await lin.get("/dashboard/club/followers?lang=en")).text)
        assert "Banned (1)" in english and "Unban" in english and "@ann@masto.test" in english
