"""The public moderation log (``/moderation``, ``?community=SLUG``, ``/moderation.json``) in
both languages: every action with its reason; a target linked only when it is a public item;
nothing private (a direct message's text, a reporter, a private object's address) on it."""

from __future__ import annotations

from actors.publishing.publishing import publish
from actors.social.domains import block
from actors.social.local import create_community
from actors.social.moderation import ban, log, report
from fedi import vocab
from tests.conftest import Fediverse
from tests.conversations.helpers import direct, flag, town
from tests.moderation.helpers import community_id


async def test_the_log_shows_actions_and_reasons_and_nothing_private(fed: Fediverse) -> None:
    t = await town(fed)
    await create_community(t.a.inst, "market", name="二手市场")
    await t.send(t.ann, direct(t.ann, "SECRETDM my phone is 123"))
    await t.send(t.bo, flag(t.bo, [CLUB_URI], "SECRETREPORT about the club"))
    shown = await publish(t.a.inst, "club", {"type": "note", "content": "A public notice"})
    hidden = t.ann.new_id("statuses")
    t.masto.serve({"@context": vocab.AS_CONTEXT, "id": hidden, "type": "Note", "attributedTo": t.ann.uri,
                   "to": [vocab.PUBLIC], "content": "<p>x</p>"})
    await report(t.a.inst, hidden, "Spam to our members")
    await ban(t.a.inst, "club", t.ann.handle, "Harassment in replies")
    await block(t.a.inst, "spam.example", "suspend", "Known spam farm")
    async with t.a.inst.engine.begin() as conn:  # as the submissions intake writes an approval
        await log(conn, t.a.inst, "approve", shown.uri, "", community_id=await community_id(t.a))
        await log(conn, t.a.inst, "reject", t.ann.new_id("statuses"), "Off topic",
                  community_id=await community_id(t.a, "market"))
    await fed.drain()

    en = (await fed.client.get(t.a.url("/moderation?lang=en"))).text
    zh = (await fed.client.get(t.a.url("/moderation?lang=zh-CN"))).text
    for text, words in ((en, ("Moderation log", "banned", "suspended a domain", "reported to its server",
                              "approved a submission", "not public", "The whole instance")),
                        (zh, ("管理日志", "封禁", "屏蔽了域名", "向其服务器举报", "通过了投稿", "不公开", "全站"))):
        for word in words:
            assert word in text, word
        for reason in ("Harassment in replies", "Known spam farm", "Off topic"):
            assert reason in text
        assert "spam.example" in text and "@ann@masto.test" in text
        # A report sent out: the server it went to, not whom it is about nor what it says.
        assert "Spam to our members" not in text
        [reported] = [row for row in text.split('<tr class="moderation-entry">')
                      if "reported to its server" in row or "向其服务器举报" in row]
        assert "masto.test" in reported and "@ann" not in reported
        assert "SECRET" not in text and "my phone" not in text
        assert hidden not in text  # reported, not public here: neither its address nor its text
        assert "moderation.action." not in text and ">moderation." not in text  # no untranslated key
    row_link = [line for line in en.splitlines() if "/items/" in line]
    assert row_link and "A public notice" in en
    # One community's rows only; an unknown one is a 404.
    market = (await fed.client.get(t.a.url("/moderation?community=market&lang=en"))).text
    assert "Off topic" in market and "Harassment" not in market and "Known spam farm" not in market
    assert (await fed.client.get(t.a.url("/moderation?community=nope"))).status_code == 404
    data = (await fed.client.get(t.a.url("/moderation.json"))).json()["items"]
    assert [i["action"] for i in data][:3] == ["reject", "approve", "domain_suspend"]
    assert data[1]["url"].startswith("http://a.test/items/") and data[0]["url"] is None
    assert "SECRET" not in str(data) and hidden not in str(data)
    assert (await fed.client.get(t.a.url("/moderation.json?community=nope"))).status_code == 404
    # Linked from the communities page.
    assert 'href="/moderation"' in (await fed.client.get(t.a.url("/communities"))).text


CLUB_URI = "http://a.test/c/club"


def test_moderation_catalogs_have_identical_keys() -> None:
    import json

    from web.i18n import LOCALES

    zh = json.loads((LOCALES / "zh-CN.moderation.json").read_text(encoding="utf-8"))
    en = json.loads((LOCALES / "en.moderation.json").read_text(encoding="utf-8"))
    assert set(zh) == set(en) and all(zh.values()) and all(en.values())
    from web.moderation import KNOWN_ACTIONS

    assert {f"moderation.action.{a}" for a in KNOWN_ACTIONS} <= set(en)
