"""The dashboard's 待审核 page and community settings: pending submissions for the community's
moderators and owners only (a web visitor's contact shown there and nowhere else), approve and
reject as ``yinhu queue`` does (the submitter gets the Accept or the Reject), correcting a
draft in the dashboard's own form before approving it, the recent decisions, and the
submission policy for owners only; both languages."""

from __future__ import annotations

import contextlib
import json
import re
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import orjson

from actors.publishing.validation import validate
from actors.social.accounts import create_account
from actors.social.local import create_community, get_local_actor
from actors.social.proposals import Proposal, store_proposal
from actors.social.submissions import policy_of
from actors.storage.models import Role
from fedi import vocab
from tests.conftest import Fediverse
from tests.content.helpers import event_body, listing_body
from tests.resident.helpers import visible_text
from tests.submissions.helpers import Hood, hood, mastodon_post, mobilizon_event
from tests.web.conftest import CSRF_RE, PASSWORD
from tests.web.test_dashboard import field_block
from web.dashboard.forms import _body, values_from_body
from web.dashboard.submissions import _corrected

WEB_DRAFT = {"type": "listing", "kind": "goods", "purpose": "offer", "title": "旧书架", "content": "搬家送出，自提。",
             "price": "free", "language": "zh"}
CONTACT = "wechat: wang123"
UI_KEY = re.compile(r"\b(?:queue|policy|settings|kind|price_mode|field|hint|form|dash|role|listing_kind|purpose)"
                    r"\.[a-z_][\w.]*")


async def _club(fed: Fediverse, kind: str = "club") -> Hood:
    """A community ``club`` (of ``kind``: a club announces submissions as they are), its
    moderator ``mod``, its owner ``lin``, and ``other``, the owner of another community."""
    h = await hood(fed, "club", kind)
    await create_community(h.a.inst, "chess", name="Chess")
    await create_account(h.a.inst, "mod", PASSWORD, community="club", role=Role.MODERATOR)
    await create_account(h.a.inst, "lin", PASSWORD, community="club", role=Role.OWNER)
    await create_account(h.a.inst, "other", PASSWORD, community="chess", role=Role.OWNER)
    return h


@contextlib.asynccontextmanager
async def _browser(h: Hood, name: str | None) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=h.a.app), base_url=h.a.base) as client:
        if name is not None:
            token = CSRF_RE.search((await client.get("/login")).text).group(1)  # type: ignore[union-attr]
            done = await client.post("/login", data={"name": name, "password": PASSWORD, "csrf": token})
            assert done.status_code == 303
        yield client


def _csrf(page: httpx.Response) -> str:
    return CSRF_RE.search(page.text).group(1)  # type: ignore[union-attr]


def _seen(page: httpx.Response, sid: int | None = None) -> str:
    """The mark of the version a page shows: of submission ``sid`` on the queue, else of the
    one on a correction form."""
    near = rf'name="id" value="{sid}">' if sid is not None else ""
    return re.search(near + r'<input type="hidden" name="seen" value="(\w+)"', page.text).group(1)  # type: ignore[union-attr]


async def _web_proposal(h: Hood, draft: dict[str, Any], name: str | None = "王阿姨") -> int:
    """A neighbour's proposal from the web form (origin web, a draft, a contact for moderators)."""
    async with h.a.inst.engine.connect() as conn:
        community = await get_local_actor(conn, h.slug)
    assert community is not None
    return await store_proposal(h.a.inst, Proposal(community.id, draft["type"], draft, name, CONTACT, "0" * 64))


def _item(location: str) -> str:
    return "/items/" + parse_qs(urlsplit(location).query)["item"][0]


async def test_pending_submissions_for_moderators_with_the_contact_only_there(fed: Fediverse) -> None:
    h = await _club(fed)
    await h.send(h.emma, mobilizon_event(h, h.emma, "Ceilidh beginners workshop"))
    await h.send(h.ann, mastodon_post(h, h.ann, "周六一起去湖边跑步？<b>欢迎</b>"))
    web = await _web_proposal(h, {**WEB_DRAFT, "title": "旧书架 <script>x</script>"})
    async with _browser(h, None) as anonymous:
        assert (await anonymous.get("/dashboard/club/submissions")).status_code == 303
    async with _browser(h, "other") as other:
        denied = await other.get("/dashboard/club/submissions")
        assert denied.status_code == 403 and CONTACT not in denied.text
        assert (await other.get(f"/dashboard/club/submissions/{web}")).status_code == 403
    async with _browser(h, "mod") as mod:
        assert "待审核 (3)" in (await mod.get("/dashboard/club")).text
        assert "待审核 (3)" in (await mod.get("/dashboard")).text
        page = await mod.get("/dashboard/club/submissions")
        assert page.status_code == 200
        text = visible_text(page.text)
        # Oldest first: who, what, when (in the community's time), the contact of the web visitor.
        assert text.index("@emma@mobilizon.test") < text.index("@ann@masto.test") < text.index("访客（自称：王阿姨）")
        assert "Ceilidh beginners workshop" in text and "湖边跑步" in text
        assert f"联系方式（仅管理员可见）：{CONTACT}" in text and "将发布为：旧书架" in text
        assert "<script>" not in page.text and 'href="http://mobilizon.test/users/emma"' in page.text
        assert re.search(r"· \d{4}-\d\d-\d\d \d\d:\d\d", text)
        assert "审核后发布 · 所有投稿都要等管理员审核后才发布。" in text
    # The contact is for the moderators only: not on the community's page, the feed or its API.
    async with _browser(h, None) as anonymous:
        for path in ("/c/club", "/feed", "/api/feed", "/c/club/outbox?page=true"):
            assert CONTACT not in (await anonymous.get(path)).text, path


async def test_approve_publishes_and_reject_needs_a_reason(fed: Fediverse) -> None:
    h = await _club(fed)
    event = mobilizon_event(h, h.emma, "Ceilidh beginners workshop")
    await h.send(h.emma, event)
    await h.send(h.ann, mastodon_post(h, h.ann, "周六一起去湖边跑步？"))
    first, second = [r.id for r in await h.rows()]
    item = f"/items/{(await h.stored(event['object']['id'])).id}"
    async with _browser(h, None) as anonymous:
        assert (await anonymous.get(item)).status_code == 404  # waiting: on no public page
    async with _browser(h, "mod") as mod:
        queue = await mod.get("/dashboard/club/submissions")
        csrf, seen = _csrf(queue), _seen(queue, first)
        forged = await mod.post("/dashboard/club/submissions", data={"id": first, "action": "approve", "seen": seen})
        assert forged.status_code == 403
        assert [r.state for r in await h.rows()] == ["pending", "pending"]

        done = await mod.post("/dashboard/club/submissions", data={"csrf": csrf, "id": first, "action": "approve",
                                                                   "seen": seen})
        assert done.status_code == 303 and _item(done.headers["location"]) == item
        banner = await mod.get(done.headers["location"])
        assert f"已通过投稿 #{first} 并发布：" in banner.text and f'href="{item}">Ceilidh beginners workshop</a>' in banner.text
        again = await mod.post("/dashboard/club/submissions", data={"csrf": csrf, "id": first, "action": "approve",
                                                                    "seen": seen})
        assert again.status_code == 422 and f"投稿 #{first} 已经处理过了（已通过）" in again.text

        empty = await mod.post("/dashboard/club/submissions", data={"csrf": csrf, "id": second, "action": "reject",
                                                                    "reason": "  "})
        assert empty.status_code == 422 and "拒绝需要填写理由" in empty.text
        english = await mod.post("/dashboard/club/submissions?lang=en",
                                 data={"csrf": csrf, "id": "999", "action": "reject", "reason": "x"})
        assert english.status_code == 422 and "This community has no such submission." in english.text
        mod.cookies.delete("lang")
        assert [r.state for r in await h.rows()] == ["approved", "pending"]
        done = await mod.post("/dashboard/club/submissions", data={"csrf": csrf, "id": second, "action": "reject",
                                                                   "reason": "不在本社区范围 off topic"})
        assert done.status_code == 303
        page = visible_text((await mod.get(done.headers["location"])).text)
        assert f"已拒绝投稿 #{second}，投稿人会收到拒绝理由。" in page and "没有等待审核的投稿。" in page
        recent = page[page.index("最近的决定"):]
        assert recent.index("已拒绝") < recent.index("已通过")  # newest first
        assert "理由：不在本社区范围 off topic" in recent and "由 mod" in recent
    await fed.drain()
    async with _browser(h, None) as anonymous:
        assert (await anonymous.get(item)).status_code == 200
    assert any(a["object"] == event for a in h.got(h.reader, "Announce"))
    [refusal] = h.got(h.ann, "Reject")
    assert refusal["summary"] == "不在本社区范围 off topic"
    assert [(r.state, r.decided_by) for r in await h.rows()] == [("approved", "mod"), ("rejected", "mod")]


async def test_correcting_a_draft_listing_before_approving(fed: Fediverse) -> None:
    h = await _club(fed, "interest")  # a community whose members trade: a plain post is read as a listing
    post = mastodon_post(h, h.ann, "出售 九成新儿童自行车 ¥120 #二手")
    await h.send(h.ann, post)
    [row] = await h.rows()
    assert (row.shape, row.kind) == ("draft", "listing")  # the listing reader's (its own tests: tests/content)
    path = f"/dashboard/club/submissions/{row.id}"
    async with _browser(h, "mod") as mod:
        assert f'href="{path}"' in (await mod.get("/dashboard/club/submissions")).text
        form = await mod.get(path)
        assert form.status_code == 200
        assert 'value="儿童自行车"' in field_block(form.text, "title")
        assert 'value="120"' in field_block(form.text, "price_amount")
        assert 'value="amount" selected' in field_block(form.text, "price_mode")
        assert 'value="二手"' in field_block(form.text, "tags")
        assert 'value="like_new" selected' in field_block(form.text, "condition")
        values = {"kind": "goods", "purpose": "offer", "title": "儿童自行车（16 寸）", "content": "九成新，16 寸。",
                  "price_mode": "amount", "price_amount": "-3", "currency": "CNY", "condition": "like_new",
                  "area": "银湖花园", "status": "available", "tags": "二手", "language": "zh", "csrf": _csrf(form),
                  "seen": _seen(form)}
        bad = await mod.post(path, data=values)
        assert bad.status_code == 422 and "请修正标出的字段" in bad.text
        assert "金额应在 0 到 100000000 之间" in field_block(bad.text, "price_amount")
        assert 'value="儿童自行车（16 寸）"' in field_block(bad.text, "title")  # what was typed stays
        english = await mod.post(f"{path}?lang=en", data=values)
        assert english.status_code == 422 and "Please correct the marked fields." in english.text
        assert "amount must be between 0 and 100000000" in field_block(english.text, "price_amount")
        mod.cookies.delete("lang")
        assert [(r.state, orjson.loads(r.draft)["title"]) for r in await h.rows()] == [("pending", "儿童自行车")]

        done = await mod.post(path, data={**values, "price_amount": "90"})
        assert done.status_code == 303
        item = _item(done.headers["location"])
        assert "儿童自行车（16 寸）" in (await mod.get(done.headers["location"])).text
        assert (await mod.get(path)).status_code == 409  # decided: no form any more
    await fed.drain()
    async with _browser(h, None) as anonymous:
        public = await anonymous.get(item)
        assert public.status_code == 200 and "儿童自行车（16 寸）" in public.text and "90" in public.text
    [row] = await h.rows()
    assert row.state == "approved" and orjson.loads(row.draft)["price"] == {"amount": "90", "currency": "CNY"}
    assert [a["object"]["id"] for a in h.got(h.ann, "Accept") if isinstance(a["object"], dict)] == [post["id"]]


async def test_a_web_draft_corrected_and_an_object_has_no_draft(fed: Fediverse) -> None:
    h = await _club(fed)
    await h.send(h.emma, mobilizon_event(h, h.emma, "Ceilidh beginners workshop"))
    [event] = await h.rows()
    web = await _web_proposal(h, WEB_DRAFT)
    async with _browser(h, "mod") as mod:
        assert (await mod.get(f"/dashboard/club/submissions/{event.id}")).status_code == 404
        form = await mod.get(f"/dashboard/club/submissions/{web}")
        for bad in ("999", "99999999999999999999", "²", "x"):
            assert (await mod.get(f"/dashboard/club/submissions/{bad}")).status_code == 404, bad
            refused = await mod.post("/dashboard/club/submissions", data={"csrf": _csrf(form), "id": bad,
                                                                          "action": "approve"})
            assert refused.status_code == 422 and "本社区没有这条投稿。" in refused.text, bad
        odd = await mod.get("/dashboard/club/submissions?ok=approved&n=99999999999999999999&item=99999999999999999999")
        assert odd.status_code == 200 and "已通过投稿 # 并发布：" in visible_text(odd.text)
        assert CONTACT in form.text and 'value="free" selected' in field_block(form.text, "price_mode")
        done = await mod.post(f"/dashboard/club/submissions/{web}", data={
            "csrf": _csrf(form), "seen": _seen(form), "kind": "goods", "purpose": "offer", "title": "旧书架（白色）",
            "content": "搬家送出，自提。",
            "price_mode": "free", "currency": "CNY", "status": "available", "language": "zh"})
        assert done.status_code == 303
    async with _browser(h, None) as anonymous:
        public = visible_text((await anonymous.get(_item(done.headers["location"]))).text)
    assert "旧书架（白色）" in public and "王阿姨" in public and CONTACT not in public


async def test_the_policy_is_the_owners(fed: Fediverse) -> None:
    h = await _club(fed)
    async with _browser(h, "mod") as mod:
        page = await mod.get("/dashboard/club/submissions")
        assert 'href="/dashboard/club/settings"' not in page.text
        assert (await mod.get("/dashboard/club/settings")).status_code == 403
        refused = await mod.post("/dashboard/club/settings", data={"csrf": _csrf(page), "policy": "closed"})
        assert refused.status_code == 403 and "只有 club 的所有者可以修改社区设置" in refused.text
    assert await policy_of(h.a.inst, "club") == ("moderated", False)
    async with _browser(h, "lin") as lin:
        page = await lin.get("/dashboard/club/settings")
        assert page.status_code == 200 and 'value="moderated" checked' in page.text
        assert 'href="/dashboard/club/settings"' in (await lin.get("/dashboard/club")).text
        assert (await lin.post("/dashboard/club/settings", data={"policy": "open"})).status_code == 403
        bad = await lin.post("/dashboard/club/settings", data={"csrf": _csrf(page), "policy": "sometimes"})
        assert bad.status_code == 422 and "请选择一种投稿方式" in bad.text
        done = await lin.post("/dashboard/club/settings", data={"csrf": _csrf(page), "policy": "open",
                                                                "trust_members": "on"})
        assert done.status_code == 303 and done.headers["location"].endswith("?ok=saved")
        saved = visible_text((await lin.get(done.headers["location"])).text)
        assert "设置已保存。" in saved
        assert await policy_of(h.a.inst, "club") == ("open", True)
        await lin.post("/dashboard/club/settings", data={"csrf": _csrf(page), "policy": "closed"})
    assert await policy_of(h.a.inst, "club") == ("closed", False)
    await create_account(h.a.inst, "root", PASSWORD, is_admin=True)  # an administrator, of no community
    async with _browser(h, "root") as root:
        page = await root.get("/dashboard/club/settings")
        assert page.status_code == 200 and 'value="closed" checked' in page.text
        assert (await root.get("/dashboard/club/submissions")).status_code == 200
        await root.post("/dashboard/club/settings", data={"csrf": _csrf(page), "policy": "moderated"})
    assert await policy_of(h.a.inst, "club") == ("moderated", False)


async def test_every_page_in_both_languages(fed: Fediverse) -> None:
    h = await _club(fed)
    await h.send(h.emma, mobilizon_event(h, h.emma, "Ceilidh beginners workshop"))
    await h.send(h.ann, mastodon_post(h, h.ann, "周六一起去湖边跑步？"))
    web = await _web_proposal(h, WEB_DRAFT)
    await _web_proposal(h, {**WEB_DRAFT, "price": "swap"}, name=None)
    first = (await h.rows())[0].id
    from actors.publishing.decisions import reject

    await reject(h.a.inst, first, by="mod", reason="off topic")
    paths = ["/dashboard", "/dashboard/club", "/dashboard/club/submissions", f"/dashboard/club/submissions/{web}",
             "/dashboard/club/settings", "/dashboard/club/submissions?ok=approved&n=1&item=x",
             "/dashboard/club/submissions?ok=rejected_web&n=1"]
    async with _browser(h, "lin") as lin:
        for path in paths:
            sep = "&" if "?" in path else "?"
            zh = await lin.get(f"{path}{sep}lang=zh-CN")
            en = await lin.get(f"{path}{sep}lang=en")
            assert zh.status_code == en.status_code == 200, path
            for page in (zh, en):
                assert not UI_KEY.findall(visible_text(page.text)), (path, UI_KEY.findall(visible_text(page.text)))
            english = visible_text(en.text)
            for zh_ui in ("待审核", "通过", "拒绝", "投稿", "设置", "最近的决定", "审核后发布"):
                assert zh_ui not in english, (path, zh_ui)
        english = visible_text((await lin.get("/dashboard/club/settings?lang=en")).text)
        assert "Every submission waits for a moderator before it is published." in english
        queue = visible_text((await lin.get("/dashboard/club/submissions?lang=zh-CN")).text)
        assert "访客（未留名）" in queue and "将发布为：旧书架 · 交换" in queue


def test_queue_catalogs_have_the_same_keys() -> None:
    from web.i18n import LOCALES

    zh = json.loads((LOCALES / "zh-CN.queue.json").read_text(encoding="utf-8"))
    en = json.loads((LOCALES / "en.queue.json").read_text(encoding="utf-8"))
    assert set(zh) == set(en) and all(zh.values()) and all(en.values())


async def test_a_draft_that_does_not_validate_is_a_banner_not_a_decision(fed: Fediverse) -> None:
    h = await _club(fed)
    post = mastodon_post(h, h.ann, "周日换书")
    await h.send(h.ann, post)
    await h.send(h.ann, {"@context": vocab.AS_CONTEXT, "id": post["object"]["id"] + "#delete", "type": "Delete",
                         "actor": h.ann.uri, "object": {"id": post["object"]["id"], "type": "Tombstone"}})
    [deleted] = await h.rows()
    broken = await _web_proposal(h, {**WEB_DRAFT, "price": {"amount": "-3", "currency": "CNY"}})
    async with _browser(h, "mod") as mod:
        queue = await mod.get("/dashboard/club/submissions")
        csrf = _csrf(queue)
        gone = await mod.post("/dashboard/club/submissions", data={"csrf": csrf, "id": deleted.id, "action": "approve",
                                                                   "seen": _seen(queue, deleted.id)})
        assert gone.status_code == 422 and f"投稿 #{deleted.id} 已被作者删除，无法通过；请拒绝它。" in gone.text
        refused = await mod.post("/dashboard/club/submissions", data={"csrf": csrf, "id": broken, "action": "approve",
                                                                      "seen": _seen(queue, broken)})
        assert refused.status_code == 422
        assert f"投稿 #{broken} 的草稿有问题，请先修改：金额应在 0 到 100000000 之间" in visible_text(refused.text)
        unknown = await mod.post("/dashboard/club/submissions", data={"csrf": csrf, "id": broken, "action": "publish"})
        assert unknown.status_code == 422 and "未知操作" in unknown.text
        # Corrected in the form, it is published.
        form = await mod.get(f"/dashboard/club/submissions/{broken}")
        assert 'value="-3"' in field_block(form.text, "price_amount")
        done = await mod.post(f"/dashboard/club/submissions/{broken}", data={
            "csrf": csrf, "seen": _seen(form), "kind": "goods", "purpose": "offer", "title": "旧书架", "content": "搬家送出，自提。",
            "price_mode": "amount", "price_amount": "30", "currency": "CNY", "status": "available", "language": "zh"})
        assert done.status_code == 303
    assert [r.state for r in await h.rows()] == ["pending", "approved"]
    assert h.got(h.reader, "Announce") == []


def test_a_body_shows_in_its_form_as_it_was_sent() -> None:
    """``values_from_body`` reads back what ``_body`` makes: the form's body validates to the
    same content as the draft it was filled from."""
    now = datetime(2030, 1, 1, tzinfo=UTC)
    for kind, body in (("listing", listing_body(tags=["kids", "二手"])), ("event", event_body()),
                       ("note", {"type": "note", "content": "停水通知", "language": "zh"}),
                       ("listing", listing_body(price="swap", area={"name": "银湖花园", "latitude": 30.1, "longitude": 120.2},
                                                expires="2030-06-01T12:00:00+08:00"))):
        values = values_from_body(kind, body)
        again = _body(kind, values)
        if isinstance(body.get("area"), dict):  # one line in the form: its name (the page keeps the rest)
            again["area"] = body["area"]
        assert validate(again, now) == validate(dict(body), now), kind
    # What the form cannot show is kept: the images, an area's coordinates while its name stands.
    draft = listing_body(area={"name": "银湖花园", "latitude": 30.1, "longitude": 120.2}, images=[{"media": "abc"}])
    kept = _corrected("listing", _body("listing", values_from_body("listing", draft)), draft)
    assert kept["area"] == draft["area"] and kept["images"] == [{"media": "abc"}]
    moved = _corrected("listing", {"type": "listing", "area": "银湖北区"}, draft)
    assert moved["area"] == "银湖北区"
    london = values_from_body("event", event_body(start="2030-06-12T19:00:00+01:00", timezone="Europe/London",
                                                  end=None, place="The Kenn Centre"))
    assert (london["start"], london["end"], london["timezone"], london["place_name"]) == (
        "2030-06-12T19:00", "", "Europe/London", "The Kenn Centre")


async def test_an_edit_after_the_moderator_opened_it_is_read_before_it_is_approved(fed: Fediverse) -> None:
    """Ann's post is edited between the moderator opening the queue and pressing 通过: the
    approval is refused with a banner, the page shows the new text, and approving what is now
    shown goes through."""
    h = await _club(fed)
    post = mastodon_post(h, h.ann, "周六一起去湖边跑步？")
    await h.send(h.ann, post)
    [row] = await h.rows()

    async def edit(text: str, day: int) -> None:
        edited = {**post["object"], "content": f"<p>{text}</p>", "updated": f"2030-01-0{day}T00:00:00Z"}
        await h.send(h.ann, {"@context": vocab.AS_CONTEXT, "id": f"{post['object']['id']}#edit-{len(text)}",
                             "type": "Update", "actor": h.ann.uri, "to": post["to"], "cc": post["cc"],
                             "object": edited})

    async with _browser(h, "mod") as mod:
        opened = await mod.get("/dashboard/club/submissions")
        await edit("加微信买减肥药 spam.example", 2)
        stale = await mod.post("/dashboard/club/submissions", data={
            "csrf": _csrf(opened), "id": row.id, "action": "approve", "seen": _seen(opened, row.id)})
        assert stale.status_code == 422
        assert f"投稿 #{row.id} 在你打开之后被作者修改了" in stale.text and "加微信买减肥药" in stale.text
        assert [r.state for r in await h.rows()] == ["pending"] and not h.got(h.ann, "Accept")
        blank = await mod.post("/dashboard/club/submissions", data={"csrf": _csrf(opened), "id": row.id,
                                                                    "action": "approve"})
        assert blank.status_code == 422 and "被作者修改了" in blank.text  # no mark: nothing approved blind
        await edit("周六一起去湖边跑步？七点湖边见", 3)
        fresh = await mod.get("/dashboard/club/submissions")
        done = await mod.post("/dashboard/club/submissions", data={
            "csrf": _csrf(fresh), "id": row.id, "action": "approve", "seen": _seen(fresh, row.id)})
        assert done.status_code == 303
    stored = await h.stored(post["object"]["id"])
    assert "七点湖边见" in stored.content and [r.state for r in await h.rows()] == ["approved"]


async def test_an_edit_after_the_correction_form_was_opened_is_shown_before_approving(fed: Fediverse) -> None:
    market = await _club(fed, "interest")  # a plain post is read into a draft listing
    sale = mastodon_post(market, market.ann, "出售 九成新儿童自行车 ¥120")
    await market.send(market.ann, sale)
    [draft] = await market.rows()
    path = f"/dashboard/{market.slug}/submissions/{draft.id}"
    async with _browser(market, "mod") as mod:
        form = await mod.get(path)
        edited = {**sale["object"], "content": "<p>出售 九成新儿童自行车 ¥999</p>", "updated": "2030-01-02T00:00:00Z"}
        await market.send(market.ann, {"@context": vocab.AS_CONTEXT, "id": sale["object"]["id"] + "#edit",
                                       "type": "Update", "actor": market.ann.uri, "to": sale["to"],
                                       "cc": sale["cc"], "object": edited})
        values = {"csrf": _csrf(form), "seen": _seen(form), "kind": "goods", "purpose": "offer", "title": "儿童自行车",
                  "content": "九成新", "price_mode": "amount", "price_amount": "120", "currency": "CNY",
                  "status": "available", "language": "zh"}
        stale = await mod.post(path, data=values)
        assert stale.status_code == 422 and "被作者修改了" in stale.text and "¥999" in stale.text
        again = await mod.post(path, data={**values, "seen": _seen(stale)})
        assert again.status_code == 303
    [row] = await market.rows()
    assert row.state == "approved" and orjson.loads(row.draft)["price"] == {"amount": "120", "currency": "CNY"}
