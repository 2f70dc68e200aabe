"""Reports both ways. In: Mastodon's ``Flag`` (from its instance actor, object = [account,
statuses], ``content``) and Lemmy's (from the reporter, ``to`` the community, ``object`` the
post, ``summary``) land in the community's messages as reports. Out: ``yinhu report`` sends a
``Flag`` to the object's server, which verifies its signature."""

from __future__ import annotations

import pytest

from actors.social.conversations import list_messages
from actors.social.moderation import ModerationError, report
from actors.storage.domains import DomainSuspended
from fedi import vocab
from tests.conftest import Fediverse
from tests.conversations.helpers import CLUB, flag, town
from tests.moderation.helpers import community_id, log_rows, received


async def test_mastodon_and_lemmy_reports_reach_the_organisers(fed: Fediverse) -> None:
    t = await town(fed)
    instance_actor = t.masto.add_user("masto.test")  # Mastodon reports as its instance actor
    await t.send(instance_actor, flag(instance_actor, [CLUB, t.event], "Spam: <b>fake tickets</b>"))
    lemmy = fed.remote("lemmy.test")
    cat = lemmy.add_user("cat")
    post = cat.new_id("post")  # a member's post the club announced: it lives on lemmy.test
    lemmy_flag = {"@context": vocab.AS_CONTEXT, "id": cat.new_id("activities/flag"), "type": "Flag",
                  "actor": cat.uri, "to": [CLUB], "object": post, "summary": "Rule 2: no ads"}
    assert (await lemmy.send(cat, lemmy_flag, t.a.url("/inbox"))).status_code == 202
    await fed.drain()
    reports = {m.actor_uri: m for m in await list_messages(t.a.inst, await community_id(t.a)) if m.kind == "report"}
    assert reports[instance_actor.uri].about_uri == t.event
    assert "fake tickets" in reports[instance_actor.uri].content
    assert "<script" not in reports[instance_actor.uri].content
    assert "Rule 2: no ads" in reports[cat.uri].content and post in reports[cat.uri].content
    # Reports are for the organisers: never on the public log.
    page = (await fed.client.get(t.a.url("/moderation"))).text
    assert "fake tickets" not in page and "Rule 2" not in page and "masto.test" not in page


async def test_a_report_goes_to_the_objects_server_signed(fed: Fediverse) -> None:
    t = await town(fed)
    status = {"@context": vocab.AS_CONTEXT, "id": t.ann.new_id("statuses"), "type": "Note",
              "attributedTo": t.ann.uri, "to": [vocab.PUBLIC], "content": "<p>buy followers</p>"}
    t.masto.serve(status)
    flag_id = await report(t.a.inst, status["id"], "spam sent to our members")
    await fed.drain()
    [sent] = received(t.masto, "Flag")  # accepted only after the fake server verified it
    assert [r.path for r in t.masto.of_type("Flag")] == ["/inbox"]  # the shared inbox
    assert sent["id"] == flag_id and sent["actor"] == t.a.url("/actor")
    assert sent["object"] == [t.ann.uri, status["id"]] and sent["content"] == "spam sent to our members"
    # As a community, to the author's own inbox where the server has no shared one.
    gts_status = {"@context": vocab.AS_CONTEXT, "id": t.bo.new_id("statuses"), "type": "Note",
                  "attributedTo": t.bo.uri, "to": [vocab.PUBLIC], "content": "<p>x</p>"}
    t.gts.serve(gts_status)
    await report(t.a.inst, gts_status["id"], "abuse", community="club")
    await fed.drain()
    [to_bo] = t.gts.of_type("Flag")
    assert to_bo.path == f"/users/{t.bo.name}/inbox" and to_bo.activity["actor"] == CLUB
    rows = [(r.action, r.target, r.reason, r.community_id is not None) for r in await log_rows(t.a)]
    assert rows == [("report", status["id"], "spam sent to our members", False),
                    ("report", gts_status["id"], "abuse", True)]
    with pytest.raises(ModerationError, match="on this instance"):
        await report(t.a.inst, t.event, "ours")
    with pytest.raises(ModerationError, match="could not fetch"):
        await report(t.a.inst, t.ann.new_id("statuses"), "gone")
    from actors.social.domains import block

    await block(t.a.inst, "masto.test", "suspend")
    with pytest.raises(DomainSuspended):
        await report(t.a.inst, status["id"], "again")
