"""A community's members: invitation links (use, limits, expiry, revocation, unknown handles),
the follower → member action of the dashboard, and ``yinhu member`` / ``yinhu invite``."""

from __future__ import annotations

import argparse
import hashlib
import re
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx
import pytest
from sqlalchemy import select
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Mount, Route

from actors.social.accounts import create_account
from actors.social.local import get_local_actor
from actors.social.members import (
    MemberError,
    create_invitation,
    is_member,
    list_members,
    revoke_invitation,
)
from actors.storage.models import Role, community_members, invitations
from fedi.intents import SUBSCRIBE_REL
from tests.conftest import Fediverse
from tests.conversations.helpers import CLUB, Town, town
from tests.conversations.test_pages import PASSWORD, _browser
from tests.e2e.conftest import run_cli
from tests.e2e.test_cli import assert_one_line_error
from tests.fakes.remote import FakeRemote
from tests.submissions.test_web_submit import untranslated
from web.cli import build_parser

CSRF_RE = re.compile(r'name="csrf" value="([^"]+)"')


def offer_remote_follow(fed: Fediverse, remote: FakeRemote) -> None:
    """Give ``remote`` Mastodon's remote-interaction template in its WebFinger answer."""

    async def webfinger(request: Request) -> Response:
        name = request.query_params.get("resource", "").removeprefix("acct:").split("@", 1)[0]
        user = remote.users.get(name)
        if user is None:
            return JSONResponse({"error": "not found"}, status_code=404)
        return JSONResponse({"subject": f"acct:{name}@{remote.domain}", "links": [
            {"rel": "self", "type": "application/activity+json", "href": user.uri},
            {"rel": SUBSCRIBE_REL, "template": f"{remote.base}/authorize_interaction?uri={{uri}}"}]})

    fed.router.add(remote.domain, Starlette(routes=[Route("/.well-known/webfinger", webfinger),
                                                    Mount("", app=remote.app)]))


async def member_ids(t: Town) -> dict[int, str]:
    async with t.a.inst.engine.connect() as conn:
        return {r.actor_id: r.via for r in await conn.execute(select(community_members))}


async def uses(t: Town, invitation_id: int) -> int:
    async with t.a.inst.engine.connect() as conn:
        return int((await conn.execute(select(invitations.c.uses).where(invitations.c.id == invitation_id))).scalar_one())


async def test_an_invitation_makes_members_until_it_is_used_up(fed: Fediverse) -> None:
    t = await town(fed)
    offer_remote_follow(fed, t.masto)
    cai = t.masto.add_user("cai")
    made = await create_invitation(t.a.inst, "club", uses=2, days=7)
    async with t.a.inst.engine.connect() as conn:  # only the hash is kept
        [row] = (await conn.execute(select(invitations))).all()
    assert row.token_hash == hashlib.sha256(made.token.encode()).hexdigest() and made.token not in str(tuple(row))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=t.a.app), base_url=t.a.base) as visitor:
        form = await visitor.get(made.path)
        assert form.status_code == 200 and "加入「Club」" in form.text and 'name="handle"' in form.text
        assert untranslated(form.text) == []
        joined = await visitor.post(made.path, data={"handle": "@ann@masto.test"})
        assert joined.status_code == 200 and "@ann@masto.test 已成为「Club」的成员" in joined.text
        follow = f"http://masto.test/authorize_interaction?uri={quote(CLUB, safe='')}"
        assert f'href="{follow}"' in joined.text and untranslated(joined.text) == []
        again = await visitor.post(made.path, data={"handle": "@ann@masto.test"})
        assert "已经是「Club」的成员" in again.text and await uses(t, made.id) == 1
        unknown = await visitor.post(made.path, data={"handle": "@ghost@masto.test"})
        assert unknown.status_code == 400 and "找不到账号 @ghost@masto.test" in unknown.text
        empty = await visitor.post(made.path + "?lang=en", data={"handle": ""})
        assert empty.status_code == 400 and "Please give your account" in empty.text
        huge = await visitor.post(made.path, data={"handle": "@" + "x" * 20_000 + "@masto.test"})
        assert huge.status_code == 400
        assert await uses(t, made.id) == 1
        second = await visitor.post(made.path, data={"handle": "@bo@gts.test"})  # no template: follow by hand
        assert second.status_code == 200 and "Search for @club@a.test on your server" in second.text
        used_up = await visitor.post(made.path, data={"handle": "@cai@masto.test"})
        assert used_up.status_code == 410 and "has been used as many times as it allows" in used_up.text
        assert (await visitor.get(made.path + "?lang=zh-CN")).status_code == 410
    members = await member_ids(t)
    assert set(members.values()) == {"invitation"} and len(members) == 2
    club = {m.uri: m.id for m in await list_members(t.a.inst, "club")}
    assert set(club) == {t.ann.uri, t.bo.uri} and cai.uri not in club
    async with t.a.inst.engine.connect() as conn:
        club_id = (await get_local_actor(conn, "club")).id  # type: ignore[union-attr]
        assert await is_member(conn, club_id, club[t.ann.uri]) is True
        assert await is_member(conn, club_id, club_id) is False


async def test_expired_revoked_and_unknown_links_say_so(fed: Fediverse) -> None:
    t = await town(fed)
    soon = await create_invitation(t.a.inst, "club", days=1)
    gone = await create_invitation(t.a.inst, "club")
    await revoke_invitation(t.a.inst, "club", gone.id)
    with pytest.raises(MemberError, match="no open invitation"):
        await revoke_invitation(t.a.inst, "club", gone.id)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=t.a.app), base_url=t.a.base) as visitor:
        assert (await visitor.get(soon.path)).status_code == 200
        fed.clock.advance(timedelta(days=2))
        expired = await visitor.post(soon.path, data={"handle": "@ann@masto.test"})
        assert expired.status_code == 410 and "这个邀请链接已过期" in expired.text
        revoked = await visitor.get(gone.path)
        assert revoked.status_code == 410 and "已被撤销" in revoked.text
        unknown = await visitor.get("/c/club/join/not-a-token")
        assert unknown.status_code == 404 and "没有这个邀请链接" in unknown.text
        elsewhere = await visitor.get(soon.path.replace("/club/", "/nowhere/"))
        assert elsewhere.status_code == 404
    assert await member_ids(t) == {}


async def test_the_dashboard_makes_a_follower_a_member(fed: Fediverse) -> None:
    t = await town(fed)
    await create_account(t.a.inst, "mod", PASSWORD, community="club", role=Role.MODERATOR)
    async with _browser(t, "mod") as mod:
        page = await mod.get("/dashboard/club/followers")
        assert page.text.count('value="member"') == 2 and "设为成员" in page.text
        csrf = CSRF_RE.search(page.text).group(1)  # type: ignore[union-attr]
        done = await mod.post("/dashboard/club/followers", data={"csrf": csrf, "actor": t.ann.uri, "action": "member"})
        assert done.status_code == 303 and done.headers["location"].endswith("ok=member")
        after = await mod.get(done.headers["location"])
        assert "已设为成员" in after.text and after.text.count('value="member"') == 1
        stranger = await mod.post("/dashboard/club/followers",
                                  data={"csrf": csrf, "actor": "http://masto.test/users/nobody", "action": "member"})
        assert stranger.status_code == 422
    assert list((await member_ids(t)).values()) == ["follower"]


async def cli(t: Town, capsys: pytest.CaptureFixture[str], *argv: str) -> str:
    """Run a ``yinhu`` command in this process against the test's instance; its stdout."""
    args: argparse.Namespace = build_parser().parse_args(list(argv))
    assert await args.run.__wrapped__(args, t.a.inst) == 0
    return capsys.readouterr().out


async def test_member_and_invite_commands(fed: Fediverse, capsys: pytest.CaptureFixture[str]) -> None:
    t = await town(fed)
    cai = t.masto.add_user("cai")
    assert "has no members yet" in await cli(t, capsys, "member", "list", "club")
    assert await cli(t, capsys, "member", "add", "club", "@ann@masto.test") == f"{t.ann.uri}: member\n"
    assert await cli(t, capsys, "member", "add", "club", t.ann.uri) == f"{t.ann.uri}: already a member\n"
    await cli(t, capsys, "member", "add", "club", "@cai@masto.test")
    listed = await cli(t, capsys, "member", "list", "club")
    assert "@ann@masto.test" in listed and "follower" in listed and "organiser" in listed  # cai does not follow
    assert await cli(t, capsys, "member", "remove", "club", "@cai@masto.test") == f"{cai.uri}: removed\n"
    with pytest.raises(MemberError, match="is not a member of club"):
        await cli(t, capsys, "member", "remove", "club", cai.uri)
    link = await cli(t, capsys, "invite", "club", "--uses", "3", "--days", "2")
    assert re.match(r"invitation 1: http://a\.test/c/club/join/[\w-]{20,}\n", link)
    assert "0/3" in (listing := await cli(t, capsys, "invite", "club", "--list")) and "usable" in listing
    assert await cli(t, capsys, "invite", "club", "--revoke", "1") == "invitation 1: revoked\n"
    assert "revoked" in await cli(t, capsys, "invite", "club", "--list")


@pytest.fixture
def data_dir(tmp_path: Path) -> Iterator[Path]:
    data = tmp_path / "data"
    run_cli("init", "--url", "http://127.0.0.1:9", "--dev", "--data", str(data))
    run_cli("community", "create", "garden", "--name", "花园", "--data", str(data))
    yield data


@pytest.mark.e2e
def test_member_commands_fail_with_one_line(data_dir: Path) -> None:
    def yinhu(*args: str) -> Any:
        return run_cli(*args, "--data", str(data_dir), check=False)

    assert_one_line_error(yinhu("member", "list", "nowhere"), code=1, needle="no community 'nowhere'")
    assert_one_line_error(yinhu("member", "remove", "garden", "@x@y.test"), code=1, needle="is not a member")
    assert_one_line_error(yinhu("member", "add", "garden", "not a handle"), code=1, needle="could not resolve")
    assert_one_line_error(yinhu("invite", "garden", "--uses", "0"), code=1, needle="--uses must be")
    assert_one_line_error(yinhu("invite", "garden", "--days", "-1"), code=1, needle="--days must be")
    assert_one_line_error(yinhu("invite", "garden", "--revoke", "7"), code=1, needle="no open invitation 7")
    assert_one_line_error(yinhu("invite", "garden", "--uses", "many"), code=2, needle="invalid int value")
    made = yinhu("invite", "garden", "--uses", "1")
    assert made.returncode == 0 and "/c/garden/join/" in made.stdout
