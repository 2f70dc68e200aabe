"""``yinhu member ...`` and ``yinhu invite``: a community's members and its invitation links."""

from __future__ import annotations

import argparse
from datetime import datetime
from typing import Any

from actors.storage.instance import Instance
from web.cli.common import _table, with_instance


@with_instance
async def cmd_member(args: argparse.Namespace, inst: Instance) -> int:
    from actors.social.members import add_member, list_members, remove_member

    if args.member_cmd == "add":
        person, added = await add_member(inst, args.slug, args.actor)
        print(f"{person.uri}: {'member' if added else 'already a member'}")
        return 0
    if args.member_cmd == "remove":
        print(f"{await remove_member(inst, args.slug, args.actor)}: removed")
        return 0
    rows = await list_members(inst, args.slug)
    if not rows:
        print(f"@{args.slug} has no members yet (yinhu invite {args.slug}, or yinhu member add {args.slug} ACTOR)")
        return 0
    for line in _table(("MEMBER", "ACTOR", "VIA", "SINCE"), [
        (f"@{r.username}@{r.domain}", r.uri, r.via, f"{r.created_at:%Y-%m-%d %H:%M}") for r in rows
    ]):
        print(line)
    return 0


def _state(row: Any, now: datetime) -> str:
    from actors.social.members import unusable_because

    reason = unusable_because(row, now)
    return reason.replace("_", " ") if reason else "usable"


@with_instance
async def cmd_invite(args: argparse.Namespace, inst: Instance) -> int:
    from actors.social.members import create_invitation, list_invitations, revoke_invitation

    if args.revoke is not None:
        await revoke_invitation(inst, args.slug, args.revoke)
        print(f"invitation {args.revoke}: revoked")
        return 0
    if args.list:
        rows = await list_invitations(inst, args.slug)
        if not rows:
            print(f"@{args.slug} has no invitations yet (yinhu invite {args.slug} --uses N --days D)")
            return 0
        now = inst.clock()
        for line in _table(("ID", "USES", "EXPIRES", "STATE"), [
            (str(r.id), f"{r.uses}/{r.max_uses if r.max_uses is not None else '∞'}",
             f"{r.expires_at:%Y-%m-%d %H:%M}" if r.expires_at else "never", _state(r, now)) for r in rows
        ]):
            print(line)
        return 0
    made = await create_invitation(inst, args.slug, uses=args.uses, days=args.days, created_by="cli")
    print(f"invitation {made.id}: {inst.base}{made.path}")
    print("the link is shown only now; only its hash is stored")
    return 0


def add_member_commands(sub: Any, common: argparse.ArgumentParser) -> None:
    s = sub.add_parser("member", parents=[common], help="list, add or remove a community's members")
    msub = s.add_subparsers(dest="member_cmd", required=True, metavar="ACTION")
    m = msub.add_parser("list", parents=[common], help="list the members")
    m.add_argument("slug")
    m = msub.add_parser("add", parents=[common], help="make someone (e.g. an approved follower) a member")
    m.add_argument("slug")
    m.add_argument("actor", help="@user@host or an actor URL (resolved as `yinhu follow` does)")
    m = msub.add_parser("remove", parents=[common], help="remove a member")
    m.add_argument("slug")
    m.add_argument("actor", help="the member's actor URL or @user@host")
    s.set_defaults(run=cmd_member)

    s = sub.add_parser("invite", parents=[common], help="make, list or revoke a community's invitation links")
    s.add_argument("slug")
    g = s.add_mutually_exclusive_group()
    g.add_argument("--list", action="store_true", help="list the invitations and their uses")
    g.add_argument("--revoke", type=int, metavar="ID", help="revoke an invitation")
    s.add_argument("--uses", type=int, metavar="N", help="how many people may use the link (default: no limit)")
    s.add_argument("--days", type=float, metavar="D", help="days the link works (default: until revoked)")
    s.set_defaults(run=cmd_invite)
